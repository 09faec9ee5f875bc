//! Every failure a user can act on comes out as its own `TransportError` variant, with text that says
//! what to fix. Peers are local: a closed port, a full accept queue, scripted TLS and HTTP servers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{FakeTlsServer, TestCa, fake_http_once, free_ports, silent_server, write_file};
use mqscope::codec::Bytes;
use mqscope::transport::{DebugEvent, HandshakeStage, Transport, TransportError, TransportOptions};

async fn connect_err(opts: &TransportOptions) -> TransportError {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), Transport::connect(opts, |_| {})).await;
    let err = result.expect("connect did not give up by itself").expect_err("connect should fail");
    assert!(started.elapsed() < Duration::from_secs(20));
    err
}

fn trusting(url: String, dir: &std::path::Path, ca: &TestCa) -> TransportOptions {
    let mut opts = TransportOptions::new(url);
    opts.tls.ca_file = Some(write_file(dir, "ca.pem", &ca.cert_pem()));
    opts
}

#[tokio::test]
async fn refused_port_names_the_address() {
    let port = free_ports(1)[0];
    let err = connect_err(&TransportOptions::new(format!("mqtt://127.0.0.1:{port}"))).await;
    assert!(matches!(err, TransportError::Refused { addr } if addr.port() == port), "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "{err}");
    let err = connect_err(&TransportOptions::new(format!("ws://127.0.0.1:{port}/mqtt"))).await;
    assert!(matches!(err, TransportError::Refused { .. }), "{err}");
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_error_with_the_host() {
    let err = connect_err(&TransportOptions::new("mqtt://nonexistent.invalid:1883")).await;
    assert!(matches!(&err, TransportError::Dns { host, .. } if host == "nonexistent.invalid"), "{err}");
    assert!(err.to_string().contains("'nonexistent.invalid'"), "{err}");
}

#[tokio::test]
async fn invalid_url_is_reported_before_any_io() {
    let err = connect_err(&TransportOptions::new("http://127.0.0.1:1")).await;
    assert!(matches!(err, TransportError::InvalidUrl { .. }), "{err}");
    assert!(err.to_string().contains("use mqtt://, mqtts://, ws:// or wss://"), "{err}");
}

#[tokio::test]
async fn connect_timeout_when_the_accept_queue_is_full() {
    // A listener that never accepts, with a backlog of 1: once the queue is full the kernel drops further
    // SYNs, so the next connect hangs until our timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let mut opts = TransportOptions::new(format!("mqtt://{addr}"));
    opts.connect_timeout = Duration::from_millis(300);
    for _ in 0..8 {
        match tokio::time::timeout(Duration::from_millis(300), tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break,
        }
    }
    let err = connect_err(&opts).await;
    assert!(matches!(err, TransportError::ConnectTimeout { port, .. } if port == addr.port()), "{err}");
    drop(listener);
}

#[tokio::test]
async fn handshake_timeouts_name_the_stage() {
    let addr = silent_server().await;
    for (url, stage) in
        [(format!("mqtts://{addr}"), HandshakeStage::Tls), (format!("ws://{addr}/mqtt"), HandshakeStage::WebSocket)]
    {
        let mut opts = TransportOptions::new(url.clone());
        opts.tls.insecure = true;
        opts.handshake_timeout = Duration::from_millis(300);
        let err = connect_err(&opts).await;
        assert!(matches!(err, TransportError::HandshakeTimeout { stage: s, .. } if s == stage), "{url}: {err}");
    }
}

#[tokio::test]
async fn tls_unknown_issuer() {
    let (real, other) = (TestCa::new("real"), TestCa::new("other"));
    let server = FakeTlsServer::start(&real.server_cert(&["127.0.0.1"]), None).await;
    let dir = tempfile::tempdir().unwrap();
    let err = connect_err(&trusting(server.url(), dir.path(), &other)).await;
    assert!(matches!(err, TransportError::TlsUnknownIssuer { .. }), "{err}");
    assert!(err.to_string().contains("CA file"), "{err}");
}

#[tokio::test]
async fn tls_name_mismatch_lists_the_names_in_the_certificate() {
    let ca = TestCa::new("ca");
    let server = FakeTlsServer::start(&ca.server_cert(&["broker.example.com"]), None).await;
    let dir = tempfile::tempdir().unwrap();
    let err = connect_err(&trusting(server.url(), dir.path(), &ca)).await;
    assert!(matches!(err, TransportError::TlsNameMismatch { .. }), "{err}");
    assert!(err.to_string().contains("broker.example.com"), "{err}");
}

#[tokio::test]
async fn tls_expired_certificate() {
    let ca = TestCa::new("ca");
    let server = FakeTlsServer::start(&ca.expired_cert(&["127.0.0.1"]), None).await;
    let dir = tempfile::tempdir().unwrap();
    let err = connect_err(&trusting(server.url(), dir.path(), &ca)).await;
    assert!(matches!(err, TransportError::TlsExpired { .. }), "{err}");
}

#[tokio::test]
async fn insecure_connects_to_an_untrusted_expired_misnamed_certificate() {
    let ca = TestCa::new("nobody trusts me");
    let server = FakeTlsServer::start(&ca.expired_cert(&["elsewhere.example"]), None).await;
    let mut opts = TransportOptions::new(server.url());
    opts.tls.insecure = true;
    opts.tls.alpn = vec!["mqtt".into()];
    let warnings = opts.warnings();
    assert!(warnings.iter().any(|w| w.contains("verification is disabled")), "{warnings:?}");
    let mut events = Vec::new();
    let mut transport = Transport::connect(&opts, |e| events.push(e)).await.unwrap();
    assert!(events.iter().any(|e| matches!(e, DebugEvent::TlsEstablished { .. })));
    transport.send(Bytes::from_static(b"\xc0\x00")).await.unwrap(); // echoed back
    let mut buf = BytesMut::new();
    while buf.len() < 2 {
        assert_ne!(tokio::time::timeout(common::WAIT, transport.read(&mut buf)).await.unwrap().unwrap(), 0);
    }
    assert_eq!(&buf[..], b"\xc0\x00");
}

#[tokio::test]
async fn client_certificate_required_by_the_server() {
    let ca = TestCa::new("ca");
    let server = FakeTlsServer::start(&ca.server_cert(&["127.0.0.1"]), Some(&ca)).await;
    let dir = tempfile::tempdir().unwrap();

    // With a certificate and key: the echo works.
    let client = ca.client_cert("client-1");
    let mut opts = trusting(server.url(), dir.path(), &ca);
    opts.tls.client_cert = Some(write_file(dir.path(), "client.pem", &client.cert_pem));
    opts.tls.client_key = Some(write_file(dir.path(), "client.key", &client.key_pem));
    let mut transport = Transport::connect(&opts, |_| {}).await.unwrap();
    transport.send(Bytes::from_static(b"ping")).await.unwrap();
    let mut buf = BytesMut::new();
    while buf.len() < 4 {
        assert_ne!(tokio::time::timeout(common::WAIT, transport.read(&mut buf)).await.unwrap().unwrap(), 0);
    }

    // Without: TLS 1.3 reports the server's alert on the first read, as a TLS error.
    let opts = trusting(server.url(), dir.path(), &ca);
    let mut transport = Transport::connect(&opts, |_| {}).await.unwrap();
    let _ = transport.send(Bytes::from_static(b"ping")).await;
    let err = tokio::time::timeout(common::WAIT, transport.read(&mut BytesMut::new())).await.unwrap().unwrap_err();
    assert!(matches!(&err, TransportError::TlsAlert { alert, .. } if alert == "CertificateRequired"), "{err}");
    assert!(err.to_string().contains("client certificate"), "{err}");
}

#[tokio::test]
async fn tls_file_problems_are_reported_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0]; // nothing listens: these must fail before trying
    let url = format!("mqtts://127.0.0.1:{port}");

    let mut opts = TransportOptions::new(url.clone());
    opts.tls.ca_file = Some(dir.path().join("missing.pem"));
    let err = connect_err(&opts).await;
    assert!(matches!(err, TransportError::TlsFile { what: "CA file", .. }), "{err}");
    assert!(err.to_string().contains("missing.pem"), "{err}");

    // A FIFO would block the connect for ever, /dev/zero would fill the memory.
    let fifo = dir.path().join("fifo.pem");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, says) in [(fifo, "is a FIFO, not a regular file"), ("/dev/zero".into(), "a character device")] {
        opts.tls.ca_file = Some(path);
        let err = connect_err(&opts).await;
        assert!(
            matches!(err, TransportError::TlsFile { what: "CA file", .. }) && err.to_string().contains(says),
            "{err}"
        );
    }
    opts.tls.ca_file = Some(write_file(dir.path(), "junk.pem", "not a certificate\n"));
    let err = connect_err(&opts).await;
    assert!(matches!(err, TransportError::TlsFile { .. }), "{err}");

    let ca = TestCa::new("ca");
    let mut opts = trusting(url, dir.path(), &ca);
    opts.tls.client_cert = Some(write_file(dir.path(), "c.pem", &ca.client_cert("c").cert_pem));
    let err = connect_err(&opts).await;
    assert!(matches!(err, TransportError::TlsConfig(_)), "{err}");
    assert!(err.to_string().contains("client key"), "{err}");
}

#[tokio::test]
async fn http_404_is_upgrade_refused_with_status_headers_and_a_path_hint() {
    let response = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nX-Why: no route\r\n\r\nnot found".to_owned();
    let (addr, request) = fake_http_once(response).await;
    let opts = TransportOptions::new(format!("ws://{addr}/wrong"));
    let mut events = Vec::new();
    let err = Transport::connect(&opts, |e| events.push(e)).await.unwrap_err();
    match &err {
        TransportError::UpgradeRefused { status, headers, body, .. } => {
            assert_eq!(*status, 404);
            assert!(headers.contains(&("x-why".to_owned(), "no route".to_owned())), "{headers:?}");
            assert_eq!(body, "not found");
        }
        other => panic!("expected UpgradeRefused, got {other}"),
    }
    assert!(
        err.to_string().contains("HTTP 404 Not Found: wrong path? Most brokers serve MQTT over WebSockets on /mqtt"),
        "{err}"
    );
    assert!(request.await.unwrap().starts_with("GET /wrong HTTP/1.1\r\n"));
    assert!(events.iter().any(|e| matches!(e, DebugEvent::WsResponse { status: 404, .. })));
}

#[tokio::test]
async fn http_401_suggests_credentials() {
    let response = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n".to_owned();
    let (addr, _request) = fake_http_once(response).await;
    let err = connect_err(&TransportOptions::new(format!("ws://{addr}/mqtt"))).await;
    assert!(matches!(err, TransportError::UpgradeRefused { status: 401, .. }), "{err}");
    assert!(err.to_string().contains("credentials"), "{err}");
}

#[tokio::test]
async fn tls_options_on_a_plain_url_are_warned_about() {
    let mut opts = TransportOptions::new("mqtt://127.0.0.1:1883");
    opts.tls.insecure = true;
    opts.headers.push(("X".into(), "y".into()));
    let warnings = opts.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("TLS options are ignored for mqtt://"));
    assert!(warnings[1].contains("HTTP headers are ignored"));
}

/// A self-signed certificate for localhost, made as a user makes one: `ca` as `openssl req -x509` does by
/// default (basic constraints CA:TRUE), `alg` for its key.
fn self_signed(ca: bool, alg: &'static rcgen::SignatureAlgorithm) -> common::CertPair {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let cert = params.self_signed(&key).unwrap();
    common::CertPair { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

/// No rustls type names or `Debug` output in what the user reads.
fn in_words(err: &TransportError) -> String {
    let text = err.to_string();
    for debug in ["Context", "OtherError", "Other(", "{", "CaUsedAsEndEntity", "UnknownIssuer"] {
        assert!(!text.contains(debug), "'{debug}' in: {text}");
    }
    text
}

#[tokio::test]
async fn self_signed_certificates_for_localhost_are_explained_in_words() {
    let dir = tempfile::tempdir().unwrap();
    // Not trusted: say it may be self-signed and how to trust it.
    let leaf = self_signed(false, &rcgen::PKCS_ECDSA_P256_SHA256);
    let server = FakeTlsServer::start(&leaf, None).await;
    let url = format!("mqtts://localhost:{}", server.addr.port());
    let text = in_words(&connect_err(&TransportOptions::new(url.clone())).await);
    assert!(text.contains("self-signed") && text.contains("--cafile"), "{text}");

    // A CA certificate serving as the server's own (openssl req -x509 without extensions), trusted.
    let ca_leaf = self_signed(true, &rcgen::PKCS_ECDSA_P256_SHA256);
    let server = FakeTlsServer::start(&ca_leaf, None).await;
    let mut opts = TransportOptions::new(format!("mqtts://localhost:{}", server.addr.port()));
    opts.tls.ca_file = Some(write_file(dir.path(), "ca-leaf.pem", &ca_leaf.cert_pem));
    let text = in_words(&connect_err(&opts).await);
    assert!(text.contains("CA certificate") && text.contains("server certificate"), "{text}");

    // The CA file holds another self-signed certificate of the same name (made again, with another key
    // type): the signature does not fit the key.
    let stale = self_signed(false, &rcgen::PKCS_ED25519);
    let mut opts = TransportOptions::new(url);
    opts.tls.ca_file = Some(write_file(dir.path(), "stale.pem", &stale.cert_pem));
    let text = in_words(&connect_err(&opts).await);
    assert!(text.contains("does not match") && text.contains("--cafile"), "{text}");
    assert!(text.contains("ECDSA") && text.contains("Ed25519"), "names the algorithms: {text}");
}
