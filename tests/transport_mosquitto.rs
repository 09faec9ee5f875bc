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

/// One read takes everything that is waiting (up to the buffer's room), whatever the scheme, though the
/// broker writes each message on its own (a TLS record, a WebSocket message each): the dashboard's read
/// pacing takes a short read to mean that nothing more was waiting.
#[tokio::test]
async fn one_read_takes_all_that_is_waiting_on_every_scheme() {
    use bytes::BytesMut;
    use common::{connect_packet, encode_packet, read_packet};
    use mqscope::codec::{Packet, Properties, Publish, QoS, Subscribe, Subscription, SubscriptionOptions};
    let Some(broker) = Mosquitto::start() else { return };
    const V4: ProtocolVersion = ProtocolVersion::V3_1_1;
    const COUNT: usize = 400;
    for (i, url) in [broker.tcp_url(), broker.tls_url(), broker.ws_url(), broker.wss_url()].into_iter().enumerate() {
        let topic = format!("drain/{i}");
        let mut sub = Transport::connect(&broker.options(url.clone()), |_| {}).await.unwrap();
        let mut buf = BytesMut::new();
        sub.send(encode_packet(&connect_packet(V4, &format!("drain-sub-{i}")), V4)).await.unwrap();
        assert!(matches!(read_packet(&mut sub, &mut buf, V4).await, Some(Packet::ConnAck(_))), "{url}");
        let subscribe = Subscribe {
            packet_id: 1,
            properties: Properties::default(),
            subscriptions: vec![Subscription {
                filter: topic.as_str().into(),
                options: SubscriptionOptions::qos(QoS::AtMostOnce),
            }],
        };
        sub.send(encode_packet(&Packet::Subscribe(subscribe), V4)).await.unwrap();
        assert!(matches!(read_packet(&mut sub, &mut buf, V4).await, Some(Packet::SubAck(_))), "{url}");
        assert!(buf.is_empty());

        // The broker writes each message on its own (a TLS record, a WebSocket message each).
        let mut publisher = Transport::connect(&broker.options(broker.tcp_url()), |_| {}).await.unwrap();
        publisher.send(encode_packet(&connect_packet(V4, &format!("drain-pub-{i}")), V4)).await.unwrap();
        let mut pbuf = BytesMut::new();
        assert!(matches!(read_packet(&mut publisher, &mut pbuf, V4).await, Some(Packet::ConnAck(_))));
        let one = encode_packet(
            &Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: false,
                topic: topic.as_str().into(),
                packet_id: None,
                properties: Properties::default(),
                payload: bytes::Bytes::from(vec![b'x'; 60]),
            }),
            V4,
        );
        publisher.send_batch(std::iter::repeat_n(one.clone(), COUNT)).await.unwrap();
        let all = one.len() * COUNT;
        // Everything reaches the subscriber's socket before it reads again: one read, all of it.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let n = sub.read(&mut buf).await.unwrap();
        assert_eq!((n, buf.len()), (all, all), "{url}: one read took {n} of the {all} bytes waiting");
        publisher.close().await;
        sub.close().await;
    }
}
