//! Transport errors: one variant per failure a user can do something about, with text that says what.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::url::UrlError;

/// Everything that can go wrong below MQTT. The `Display` text is meant for the user as it is.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid broker URL '{url}': {source}")]
    InvalidUrl { url: String, source: UrlError },

    #[error("could not resolve host '{host}': {source} (check the host name in the URL)")]
    Dns { host: String, source: io::Error },

    #[error("host '{host}' resolved to no addresses")]
    NoAddress { host: String },

    #[error("connection refused by {addr} (is the broker running and listening on port {}?)", addr.port())]
    Refused { addr: SocketAddr },

    #[error("could not connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: io::Error },

    #[error("timed out after {timeout:?} connecting to '{host}:{port}' (firewall, wrong port, or broker down?)")]
    ConnectTimeout { host: String, port: u16, timeout: Duration },

    #[error("timed out after {timeout:?} in the {stage} handshake with '{host}:{port}'{hint}", hint = stage.hint())]
    HandshakeTimeout { stage: HandshakeStage, host: String, port: u16, timeout: Duration },

    #[error("cannot read {what} '{}': {reason}", path.display())]
    TlsFile { what: &'static str, path: PathBuf, reason: String },

    #[error("no trusted root certificates: {reason} (install the ca-certificates package or pass a CA file)")]
    NoRootCertificates { reason: String },

    #[error("invalid TLS settings: {0}")]
    TlsConfig(String),

    #[error(
        "TLS: the certificate of '{host}' is signed by an unknown authority: a self-signed certificate, or one \
         from a private CA? Pass that certificate or the CA file with --cafile, or --insecure to skip \
         verification for a test broker"
    )]
    TlsUnknownIssuer { host: String },

    #[error(
        "TLS: the certificate of '{host}' is not valid for that name{detail} (connect with a name the certificate lists)"
    )]
    TlsNameMismatch { host: String, detail: String },

    #[error(
        "TLS: the certificate of '{host}' has expired{detail} (the broker must renew it, or check this machine's clock)"
    )]
    TlsExpired { host: String, detail: String },

    #[error("TLS: the certificate of '{host}' is not valid yet{detail} (check this machine's clock)")]
    TlsNotValidYet { host: String, detail: String },

    #[error("TLS: the certificate of '{host}' {detail}")]
    TlsBadCertificate { host: String, detail: String },

    #[error("TLS: '{host}' refused the handshake with alert '{alert}'{hint}", hint = alert_hint(alert))]
    TlsAlert { host: String, alert: String },

    #[error("TLS handshake with '{host}' failed: {source}")]
    Tls { host: String, source: rustls::Error },

    #[error(
        "WebSocket upgrade of '{url}' refused with HTTP {status}{}{hint}",
        if reason.is_empty() { String::new() } else { format!(" {reason}") },
        hint = status_hint(*status)
    )]
    UpgradeRefused { url: String, status: u16, reason: String, headers: Vec<(String, String)>, body: String },

    #[error(
        "the server at '{url}' did not accept the WebSocket subprotocol ({detail}; offered {}): is this an MQTT \
         endpoint? Check the path (most brokers use /mqtt) and the subprotocol setting",
        offered.join(", ")
    )]
    SubprotocolRejected { url: String, offered: Vec<String>, detail: String },

    #[error("WebSocket handshake with '{url}' failed: {source}")]
    WsHandshake { url: String, source: Box<tokio_tungstenite::tungstenite::Error> },

    #[error("invalid WebSocket header '{name}': {reason}")]
    BadHeader { name: String, reason: String },

    #[error("the server sent a WebSocket text frame ({len} bytes); MQTT over WebSockets uses binary frames only")]
    TextFrame { len: usize },

    #[error("the server closed the WebSocket with code {code}{}", if reason.is_empty() { String::new() } else { format!(": {reason}") })]
    Closed { code: u16, reason: String },

    #[error("WebSocket error: {0}")]
    WebSocket(Box<tokio_tungstenite::tungstenite::Error>),

    /// The URL's scheme does not fit what the port speaks (HTTP, TLS, or plain MQTT).
    #[error("{what}: {advice}")]
    WrongScheme { what: String, advice: String },

    #[error("connection error: {0}")]
    Io(#[from] io::Error),
}

/// Which handshake timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeStage {
    Tls,
    WebSocket,
}

impl HandshakeStage {
    fn hint(self) -> &'static str {
        match self {
            Self::Tls => " (is this port really TLS? mqtt:// and ws:// ports do not speak TLS)",
            Self::WebSocket => " (is this port really WebSocket? is a proxy in the way?)",
        }
    }
}

impl std::fmt::Display for HandshakeStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tls => "TLS",
            Self::WebSocket => "WebSocket",
        })
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 => ": wrong path? Most brokers serve MQTT over WebSockets on /mqtt",
        400 => ": the server did not like the upgrade request (path, headers or subprotocol)",
        401 | 403 => ": the server wants credentials (pass them as headers, e.g. Authorization)",
        426 => ": the server wants another protocol version or TLS (try wss://)",
        301 | 302 | 307 | 308 => ": redirected (see the Location header; maybe the path or wss://)",
        _ => "",
    }
}

fn alert_hint(alert: &str) -> &'static str {
    match alert {
        "CertificateRequired" | "BadCertificate" | "UnknownCA" | "HandshakeFailure" => {
            " (the broker may require a client certificate and key, or not trust the one given)"
        }
        "ProtocolVersion" => " (the broker speaks an old TLS version)",
        "NoApplicationProtocol" => " (the broker did not accept the ALPN protocol asked for)",
        _ => "",
    }
}

impl TransportError {
    /// True for failures that are worth retrying with backoff (the broker may come back); false for
    /// configuration mistakes that will fail the same way every time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Refused { .. }
                | Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::HandshakeTimeout { .. }
                | Self::Closed { .. }
                | Self::WebSocket(_)
                | Self::Io(_)
                | Self::Dns { .. }
        )
    }
}
