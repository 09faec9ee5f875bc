//! What the first bytes of a reply that is not MQTT say about the port: a URL of the wrong kind for its
//! listener (mqtt:// to a WebSocket port answers HTTP, mqtt:// to a TLS port answers a TLS record). Pure:
//! bytes and the URL in, the error to report out.

use super::{BrokerUrl, Scheme, TransportError};
use crate::sanitize;

/// The error for `first`, the start of what the server sent before any CONNACK, when it is plainly not
/// MQTT. `None` when it could be MQTT (the decoder's error then stands).
pub fn foreign_reply(url: &BrokerUrl, first: &[u8]) -> Option<TransportError> {
    let at = url.authority();
    if first.starts_with(b"HTTP/") {
        let line = first.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line.get(..80).unwrap_or(line)).into_owned();
        let ws = if url.scheme.is_tls() { "wss" } else { "ws" };
        return Some(TransportError::WrongScheme {
            what: format!("the server at '{at}' answered in HTTP ('{}')", sanitize::line(&line)),
            advice: format!("it is a WebSocket listener: use {ws}://{at}/mqtt"),
        });
    }
    // A TLS record: handshake (22) or alert (21), protocol version 3.x.
    let tls_record = matches!(first, [0x15 | 0x16, 0x03, ..]);
    if tls_record && url.scheme == Scheme::Mqtt {
        return Some(TransportError::WrongScheme {
            what: format!("the server at '{at}' answered with TLS"),
            advice: format!("it is a TLS listener: use mqtts://{at} (or wss://{at}/mqtt for WebSocket over TLS)"),
        });
    }
    None
}

/// The error for a connection the server closed before answering CONNECT on every MQTT version: most
/// often a plain mqtt:// URL for a port that expects TLS (it drops the bytes it cannot read).
pub fn closed_before_connack(url: &BrokerUrl) -> Option<TransportError> {
    let at = url.authority();
    (url.scheme == Scheme::Mqtt).then(|| TransportError::WrongScheme {
        what: format!("the server at '{at}' closed the connection without answering CONNECT"),
        advice: format!(
            "if the port expects TLS use mqtts://{at}, if it is a WebSocket listener ws://{at}/mqtt; \
             otherwise the broker refused this client without saying why (see its log)"
        ),
    })
}

/// The error for a server that closed the connection during the WebSocket upgrade, or answered it with
/// something that is not HTTP: not a WebSocket listener.
pub fn upgrade_unanswered(url: &BrokerUrl) -> TransportError {
    let at = url.authority();
    let advice = if url.scheme.is_tls() {
        format!("it does not speak WebSocket: for a TLS MQTT port use mqtts://{at}")
    } else {
        format!(
            "it does not speak WebSocket: for a plain MQTT port use mqtt://{at}, for a TLS port wss://{at}{}",
            url.path
        )
    };
    TransportError::WrongScheme {
        what: format!("the server at '{at}' closed the connection without answering the WebSocket upgrade"),
        advice,
    }
}

/// The error for a server that closed the connection during the TLS handshake (`answered`: it sent
/// something that is not TLS): not a TLS listener.
pub fn not_tls(url: &BrokerUrl, answered: bool) -> TransportError {
    let at = url.authority();
    let what = if answered {
        format!("the server at '{at}' does not speak TLS (its answer to the TLS handshake is not TLS)")
    } else {
        format!("the server at '{at}' closed the connection during the TLS handshake")
    };
    let advice = if url.scheme.is_websocket() {
        format!(
            "it does not seem to speak TLS: for a plain WebSocket port use ws://{at}{}, for a plain MQTT port mqtt://{at}",
            url.path
        )
    } else {
        format!(
            "it does not seem to speak TLS: for a plain MQTT port use mqtt://{at}, for a plain WebSocket port ws://{at}/mqtt"
        )
    };
    TransportError::WrongScheme { what, advice }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> BrokerUrl {
        BrokerUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn an_http_answer_points_to_ws() {
        let e =
            foreign_reply(&url("mqtt://h:8080"), b"HTTP/1.1 400 Bad Request\r\nServer: x\r\n").map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "the server at 'h:8080' answered in HTTP ('HTTP/1.1 400 Bad Request'): it is a WebSocket listener: use ws://h:8080/mqtt"
            )
        );
        let e = foreign_reply(&url("mqtts://h:8443"), b"HTTP/1.1 403 Forbidden\r\n").map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("wss://h:8443/mqtt")));
    }

    #[test]
    fn a_tls_record_points_to_mqtts_and_mqtt_bytes_are_left_alone() {
        let alert = [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];
        let e = foreign_reply(&url("mqtt://h:8883"), &alert).map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("answered with TLS") && e.contains("mqtts://h:8883")));
        assert!(foreign_reply(&url("mqtt://h"), &[0x20, 0x02, 0x00, 0x01]).is_none());
        assert!(foreign_reply(&url("mqtt://h"), b"HTT").is_none());
    }

    #[test]
    fn an_escape_in_the_status_line_is_not_printed() {
        let e = foreign_reply(&url("mqtt://h"), b"HTTP/1.1 400 \x1b]0;x\x07\r\n").map(|e| e.to_string());
        assert!(e.is_some_and(|e| !e.contains('\x1b')));
    }
}
