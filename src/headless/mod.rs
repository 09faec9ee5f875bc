//! Commands for scripts: they reuse the codec and the session and print instead of drawing.

pub mod clean_retained;
pub mod conn;
pub mod decode;
pub mod lines;
pub mod publish;
pub mod publisher;
pub mod sub;
