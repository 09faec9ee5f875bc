//! Commands for scripts: they reuse the codec (and the session) and print instead of drawing.

pub mod decode;
