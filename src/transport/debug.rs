//! What the transport reports while connecting, for `-d/--debug`. Secrets in headers are masked here,
//! so no caller can print them by accident.

use std::fmt;
use std::net::SocketAddr;

/// One step of connection setup. `Display` gives the text to print (several lines for the HTTP ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebugEvent {
    /// The host name resolved to these addresses, tried in order.
    Resolved { host: String, addrs: Vec<SocketAddr> },
    /// A TCP connection is up.
    Connected { addr: SocketAddr },
    /// The TLS handshake is done.
    TlsEstablished { version: String, cipher: String, alpn: Option<String> },
    /// The WebSocket upgrade request as sent (secret header values masked).
    WsRequest { method: String, target: String, headers: Vec<(String, String)> },
    /// The server's answer to the upgrade (secret header values masked).
    WsResponse { status: u16, reason: String, headers: Vec<(String, String)> },
}

impl fmt::Display for DebugEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolved { host, addrs } => {
                let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                write!(f, "resolved {host} to {}", list.join(", "))
            }
            Self::Connected { addr } => write!(f, "TCP connected to {addr}"),
            Self::TlsEstablished { version, cipher, alpn } => {
                write!(f, "TLS established: {version}, {cipher}")?;
                if let Some(alpn) = alpn {
                    write!(f, ", ALPN {alpn}")?;
                }
                Ok(())
            }
            Self::WsRequest { method, target, headers } => {
                write!(f, "> {method} {target} HTTP/1.1")?;
                for (name, value) in headers {
                    write!(f, "\n> {name}: {value}")?;
                }
                Ok(())
            }
            Self::WsResponse { status, reason, headers } => {
                write!(f, "< HTTP/1.1 {status} {reason}")?;
                for (name, value) in headers {
                    write!(f, "\n< {name}: {value}")?;
                }
                Ok(())
            }
        }
    }
}

/// Words in a header name that suggest its value is a secret (`X-Amz-Security-Token`, `X-Api-Key`,
/// `Proxy-Authorization`, `Set-Cookie`, `X-Hub-Signature`, `X-Session-Id`, …).
const SECRET_WORDS: [&str; 12] = [
    "auth",
    "token",
    "key",
    "secret",
    "cookie",
    "signature",
    "password",
    "passwd",
    "session",
    "credential",
    "ticket",
    "jwt",
];

/// Whether a header's value is a secret: its name has a secret word in it. The WebSocket handshake's
/// nonce and its answer are not secrets, and help when reading a failed upgrade.
pub(crate) fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name == "sec-websocket-key" || name == "sec-websocket-accept" {
        return false;
    }
    SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// The value to show for a header: secrets become `***`, keeping an auth scheme word (`Bearer ***`).
pub fn mask_header(name: &str, value: &str) -> String {
    if !is_secret(name) {
        return value.to_owned();
    }
    let is_auth = name.to_ascii_lowercase().ends_with("authorization");
    match value.split_once(' ') {
        Some((scheme, _)) if is_auth => format!("{scheme} ***"),
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_only() {
        assert_eq!(mask_header("Authorization", "Bearer abc.def"), "Bearer ***");
        assert_eq!(mask_header("authorization", "token"), "***");
        assert_eq!(mask_header("Cookie", "a=b; c=d"), "***");
        assert_eq!(mask_header("Set-Cookie", "sid=1 Path=/"), "***");
        assert_eq!(mask_header("Sec-WebSocket-Protocol", "mqtt"), "mqtt");
        assert_eq!(mask_header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), "dGhlIHNhbXBsZSBub25jZQ==");
    }

    #[test]
    fn masks_every_header_whose_name_suggests_a_secret() {
        for name in [
            "X-Token",
            "X-Amz-Security-Token",
            "X-Api-Key",
            "X-Auth-Token",
            "X-Client-Secret",
            "X-Hub-Signature-256",
            "X-Password",
            "X-Session-Id",
            "X-Credential",
            "Proxy-Authorization",
            "X-Goog-Iap-Jwt-Assertion",
        ] {
            assert_eq!(mask_header(name, "s3cr3t-value"), "***", "{name}");
        }
        for (name, value) in [("Host", "h"), ("User-Agent", "mqscope"), ("X-Request-Id", "42"), ("Origin", "o")] {
            assert_eq!(mask_header(name, value), value, "{name}");
        }
    }

    #[test]
    fn request_display() {
        let e = DebugEvent::WsRequest {
            method: "GET".into(),
            target: "/mqtt".into(),
            headers: vec![("Host".into(), "h".into()), ("Upgrade".into(), "websocket".into())],
        };
        assert_eq!(e.to_string(), "> GET /mqtt HTTP/1.1\n> Host: h\n> Upgrade: websocket");
    }
}
