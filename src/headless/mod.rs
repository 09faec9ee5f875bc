//! Commands for scripts: they reuse the codec and the session and print instead of drawing.

pub mod clean_retained;
pub mod conn;
pub mod decode;
pub mod publish;
pub mod sub;

/// What a failed write to stdout means: a reader that went away (`| head`) ends the command
/// quietly and successfully; any other error (a full disk) is reported and fails it.
pub fn stdout_failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return crate::exit::OK;
    }
    crate::report!("mqscope: writing the output failed: {e}");
    crate::exit::FAILURE
}

/// Writes `bytes` to stdout and flushes; the exit code as [`stdout_failed`] gives it.
pub fn print_all(bytes: &[u8]) -> u8 {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::OK,
        Err(e) => stdout_failed(&e),
    }
}
