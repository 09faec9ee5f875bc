//! The WebSocket upgrade: the request (path, subprotocols, extra headers), the checks on the answer, and
//! the mapping of failures to errors that name the culprit (path, subprotocol or header).

use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::handshake::client::{Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::debug::{DebugEvent, mask_header};
use super::{BrokerUrl, Stream, TransportError, TransportOptions};

/// Upper bound for the body of a refused upgrade kept in the error.
const MAX_BODY_IN_ERROR: usize = 512;

pub(crate) struct Upgraded {
    pub ws: WebSocketStream<Stream>,
    pub subprotocol: Option<String>,
}

pub(crate) fn build_request(url: &BrokerUrl, opts: &TransportOptions) -> Result<Request, TransportError> {
    // tungstenite fills in Host, Connection, Upgrade, the version and a fresh key from the URI. The scheme
    // only matters to tungstenite's own `connect`, which we do not use.
    let uri = format!("ws://{}{}", url.authority(), url.path);
    let mut request = uri.as_str().into_client_request().map_err(|e| TransportError::InvalidUrl {
        url: super::url::shown(&opts.url),
        source: super::url::UrlError::Junk(format!("{} ({e})", super::url::redact_query(&url.path))),
    })?;
    let headers = request.headers_mut();
    if !opts.subprotocols.is_empty() {
        insert(headers, "Sec-WebSocket-Protocol", &opts.subprotocols.join(", "))?;
    }
    for (name, value) in &opts.headers {
        insert(headers, name, value)?;
    }
    Ok(request)
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), TransportError> {
    let bad = |reason: String| TransportError::BadHeader { name: name.to_owned(), reason };
    let header = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| bad(e.to_string()))?;
    let value = HeaderValue::from_str(value.trim()).map_err(|e| bad(e.to_string()))?;
    // A user header replaces ours of the same name (e.g. a custom Sec-WebSocket-Protocol or Host).
    headers.insert(header, value);
    Ok(())
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            (name.as_str().to_owned(), text.into_owned())
        })
        .collect()
}

fn masked(list: &[(String, String)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.clone(), mask_header(n, v))).collect()
}

fn response_event(response: &Response) -> DebugEvent {
    DebugEvent::WsResponse {
        status: response.status().as_u16(),
        reason: response.status().canonical_reason().unwrap_or("").to_owned(),
        headers: masked(&header_list(response.headers())),
    }
}

/// Runs the upgrade over an established (TCP or TLS) stream.
pub(crate) async fn upgrade(
    stream: Stream,
    url: &BrokerUrl,
    opts: &TransportOptions,
    debug: &mut (dyn FnMut(DebugEvent) + Send),
) -> Result<Upgraded, TransportError> {
    let request = build_request(url, opts)?;
    let offered: Vec<String> = request
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    debug(DebugEvent::WsRequest {
        method: request.method().to_string(),
        target: super::url::redact_query(&url.path),
        headers: masked(&header_list(request.headers())),
    });

    let config = WebSocketConfig::default().read_buffer_size(opts.ws_read_buffer);
    let display_url = url.to_string();
    match tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await {
        Ok((ws, response)) => {
            debug(response_event(&response));
            // tungstenite has checked that the answer is one we offered (RFC 6455 §4.1); keep which one.
            let subprotocol = response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned());
            Ok(Upgraded { ws, subprotocol })
        }
        Err(WsError::Http(response)) => {
            let status = response.status();
            debug(DebugEvent::WsResponse {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                headers: masked(&header_list(response.headers())),
            });
            let body = response.body().as_deref().unwrap_or_default();
            let body = String::from_utf8_lossy(body.get(..MAX_BODY_IN_ERROR).unwrap_or(body)).into_owned();
            Err(TransportError::UpgradeRefused {
                url: display_url,
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                headers: masked(&header_list(response.headers())),
                body,
            })
        }
        Err(WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(e))) => {
            let detail = match e {
                SubProtocolError::NoSubProtocol => "the answer had no Sec-WebSocket-Protocol header",
                SubProtocolError::InvalidSubProtocol => "the answer named a subprotocol that was not offered",
                SubProtocolError::ServerSentSubProtocolNoneRequested => {
                    "the server named a subprotocol although none was offered"
                }
            };
            Err(TransportError::SubprotocolRejected { url: display_url, offered, detail: detail.to_owned() })
        }
        // Closed without an answer, or answered with something that is not HTTP: no WebSocket listener.
        Err(WsError::Io(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            ) =>
        {
            Err(super::sniff::upgrade_unanswered(url))
        }
        Err(WsError::Protocol(ProtocolError::HandshakeIncomplete) | WsError::HttpFormat(_)) => {
            Err(super::sniff::upgrade_unanswered(url))
        }
        Err(WsError::Io(e)) => Err(TransportError::Io(e)),
        Err(e) => Err(TransportError::WsHandshake { url: display_url, source: Box::new(e) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_has_path_subprotocols_and_headers() {
        let mut opts = TransportOptions::new("ws://broker:9001/mqtt?x=1");
        opts.headers.push(("Authorization".into(), "Bearer s3cret".into()));
        let url = BrokerUrl::parse(&opts.url).unwrap();
        let req = build_request(&url, &opts).unwrap();
        assert_eq!(req.uri().path_and_query().unwrap().as_str(), "/mqtt?x=1");
        assert_eq!(req.headers()["Host"], "broker:9001");
        assert_eq!(req.headers()["Sec-WebSocket-Protocol"], "mqtt, mqttv3.1");
        assert_eq!(req.headers()["Authorization"], "Bearer s3cret");
        let shown = masked(&header_list(req.headers()));
        assert!(shown.contains(&("authorization".into(), "Bearer ***".into())));
    }

    #[test]
    fn bad_header_is_reported_by_name() {
        let mut opts = TransportOptions::new("ws://h");
        opts.headers.push(("Bad Name".into(), "v".into()));
        let url = BrokerUrl::parse(&opts.url).unwrap();
        assert!(
            matches!(build_request(&url, &opts), Err(TransportError::BadHeader { name, .. }) if name == "Bad Name")
        );
    }
}
