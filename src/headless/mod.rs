//! Commands for scripts: they reuse the codec and the session and print instead of drawing.

pub mod clean_retained;
pub mod conn;
pub mod decode;
pub mod diff;
pub mod lines;
pub mod publish;
pub mod publisher;
pub mod sub;

/// Writes `bytes` to stdout and flushes; the exit code as [`crate::exit::write_failed`] gives it.
pub fn print_all(bytes: &[u8]) -> u8 {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::OK,
        Err(e) => crate::exit::write_failed(&e),
    }
}
