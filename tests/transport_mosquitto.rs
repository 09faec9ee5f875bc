//! The transport against a real mosquitto: TCP, TLS, WebSocket and WebSocket over TLS with raw
//! CONNECT/CONNACK bytes from our codec, users, trust, and a broker restart on the same ports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Mosquitto, MosquittoOptions, TestCa, mqtt_handshake, mqtt_handshake_with_login, write_file};
use mqscope::codec::ProtocolVersion;
use mqscope::transport::{DebugEvent, Scheme, Transport, TransportError, TransportOptions};

#[tokio::test]
async fn every_scheme_gets_a_connack_from_mosquitto() {
    let Some(broker) = Mosquitto::start() else { return };
    for (url, scheme) in [
        (broker.tcp_url(), Scheme::Mqtt),
        (broker.tls_url(), Scheme::Mqtts),
        (broker.ws_url(), Scheme::Ws),
        (broker.wss_url(), Scheme::Wss),
    ] {
        for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
            let opts = broker.options(url.clone());
            let ack = mqtt_handshake(&opts, version, &format!("t-{scheme}-{}", version.level())).await;
            assert_eq!(ack.reason_code, 0, "{url} {version}");
        }
    }
}

#[tokio::test]
async fn websocket_to_mosquitto_reports_subprotocol_and_headers() {
    let Some(broker) = Mosquitto::start() else { return };
    let mut opts = broker.options(broker.wss_url());
    opts.headers.push(("Authorization".into(), "Bearer top-secret".into()));
    let mut events = Vec::new();
    let mut transport = Transport::connect(&opts, |e| events.push(e)).await.unwrap();
    assert_eq!(transport.subprotocol(), Some("mqtt"));
    assert_eq!(transport.scheme(), Scheme::Wss);
    transport.close().await;
    let text: Vec<String> = events.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    assert!(events.iter().any(|e| matches!(e, DebugEvent::TlsEstablished { .. })), "{all}");
    assert!(all.contains("> GET /mqtt HTTP/1.1"), "{all}");
    assert!(all.contains("> authorization: Bearer ***"), "{all}");
    assert!(!all.contains("top-secret"), "{all}");
    assert!(all.contains("< HTTP/1.1 101"), "{all}");
    assert!(all.to_ascii_lowercase().contains("< sec-websocket-protocol: mqtt"), "{all}");
}

#[tokio::test]
async fn users_from_the_password_file() {
    let opts = MosquittoOptions { users: vec![("alice".into(), "wonderland".into())], ..Default::default() };
    let Some(broker) = Mosquitto::start_with(opts) else { return };
    let v = ProtocolVersion::V3_1_1;
    let ack = mqtt_handshake_with_login(&broker.options(broker.ws_url()), v, "u1", Some(("alice", "wonderland"))).await;
    assert_eq!(ack.reason_code, 0);
    let ack = mqtt_handshake_with_login(&broker.options(broker.tcp_url()), v, "u2", Some(("alice", "nope"))).await;
    assert_eq!(ack.reason_code, 5, "3.1.1 return code 5: not authorized");
}

#[tokio::test]
async fn untrusted_ca_is_unknown_issuer_and_insecure_connects() {
    let Some(broker) = Mosquitto::start() else { return };
    let other = TestCa::new("some other CA");
    let dir = tempfile::tempdir().unwrap();
    let other_ca = write_file(dir.path(), "other.pem", &other.cert_pem());
    for url in [broker.tls_url(), broker.wss_url()] {
        let mut opts = TransportOptions::new(url.clone());
        opts.tls.ca_file = Some(other_ca.clone());
        let err = Transport::connect(&opts, |_| {}).await.unwrap_err();
        assert!(matches!(err, TransportError::TlsUnknownIssuer { .. }), "{url}: {err}");

        let mut opts = TransportOptions::new(url.clone());
        opts.tls.insecure = true;
        assert!(opts.warnings().iter().any(|w| w.contains("verification is disabled")));
        let ack = mqtt_handshake(&opts, ProtocolVersion::V5, "insecure").await;
        assert_eq!(ack.reason_code, 0, "{url}");
    }
}

#[tokio::test]
async fn tls_with_a_client_certificate() {
    let Some(broker) = Mosquitto::start() else { return };
    let client = broker.ca.client_cert("mqscope-client");
    let cert = write_file(broker.dir(), "client.pem", &client.cert_pem);
    let key = write_file(broker.dir(), "client.key", &client.key_pem);
    let mut opts = broker.options(broker.tls_url());
    opts.tls.client_cert = Some(cert);
    opts.tls.client_key = Some(key);
    let ack = mqtt_handshake(&opts, ProtocolVersion::V5, "with-cert").await;
    assert_eq!(ack.reason_code, 0);
}

#[tokio::test]
async fn reconnects_after_a_restart_on_the_same_ports() {
    let Some(mut broker) = Mosquitto::start() else { return };
    let ws = broker.options(broker.ws_url());
    let tcp = broker.options(broker.tcp_url());
    assert_eq!(mqtt_handshake(&ws, ProtocolVersion::V5, "before").await.reason_code, 0);
    let old_pid = broker.pid();
    broker.stop();
    let err = Transport::connect(&tcp, |_| {}).await.unwrap_err();
    assert!(matches!(err, TransportError::Refused { .. }), "{err}");
    broker.start_again();
    assert_ne!(broker.pid(), old_pid);
    assert_eq!(mqtt_handshake(&ws, ProtocolVersion::V5, "after").await.reason_code, 0);
    assert_eq!(mqtt_handshake(&tcp, ProtocolVersion::V3_1_1, "after-tcp").await.reason_code, 0);
}
