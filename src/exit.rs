//! Process exit codes, documented in the README. Scripts branch on these.

/// Everything went as asked.
pub const OK: u8 = 0;
/// An error not covered below (bad file, IO error).
pub const FAILURE: u8 = 1;
/// Bad command line (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// Could not connect: DNS, refused, TLS, WebSocket upgrade, or the broker refused the CONNECT.
pub const CONNECT: u8 = 3;
/// The broker refused our credentials or authorisation.
pub const AUTH: u8 = 4;
/// Malformed or unexpected packet (from the broker, or on `decode`'s input).
pub const PROTOCOL: u8 = 5;
/// A deadline passed: connect, acknowledgement, or `-W` with nothing received.
pub const TIMEOUT: u8 = 6;
/// `sub --validate`: a message broke its JSON Schema (everything else went as asked).
pub const INVALID: u8 = 7;

/// The exit code after writing the output failed: a reader that went away (`| head`) is not an
/// error; anything else (a full disk) is said and is a failure.
pub fn write_failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return OK;
    }
    crate::report!("mqscope: cannot write the output: {e}");
    FAILURE
}
