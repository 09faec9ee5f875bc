//! The session task against scripted brokers (fake TCP peers): malformed packets, a silent broker, a
//! 3.1.1-only broker, topic aliases, refused credentials, server DISCONNECT, QoS 2 duplicates and QoS 1
//! retransmission after a reconnect. Each test plays the broker byte by byte and bounds every wait.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod session_support;

use common::{FakePeer, FakeTcpServer};
use mqscope::codec::{
    Ack, Bytes, ConnAck, Packet, Properties, Property, ProtocolVersion, Publish, QoS, ReasonPacket, SubAck,
};
use mqscope::session::{FatalKind, OutgoingPublish, SessionEvent, TaskOptions};
use mqscope::transport::TransportOptions;
use session_support::{Client, Proc, STEP, mqscope, sub, task_options, unique};
use std::time::{Duration, Instant};

const V5: ProtocolVersion = ProtocolVersion::V5;
const V311: ProtocolVersion = ProtocolVersion::V3_1_1;

fn options(server: &FakeTcpServer, version: ProtocolVersion) -> TaskOptions {
    task_options(TransportOptions::new(server.url()), &unique("fake"), Some(version))
}

/// `options` with a subscription to `#`, which the broker must grant (see [`grant_subscribe`]).
fn subscribed_options(server: &FakeTcpServer, version: ProtocolVersion) -> TaskOptions {
    let mut opts = options(server, version);
    opts.session.subscriptions = vec![sub("#", QoS::AtLeastOnce)];
    opts
}

fn connack(code: u8, session_present: bool, properties: Properties) -> Packet {
    Packet::ConnAck(ConnAck { session_present, reason_code: code, properties })
}

/// Accepts a connection, reads its CONNECT, answers with a successful CONNACK.
async fn accept_connected(server: &FakeTcpServer, version: ProtocolVersion) -> FakePeer {
    let mut peer = server.accept().await;
    let packet = peer.read_packet(version).await.expect("CONNECT");
    assert!(matches!(packet, Packet::Connect(_)), "{packet:?}");
    peer.send_packet(&connack(0, false, Properties::default()), version).await;
    peer
}

/// The next `Disconnected` event: (reason, reconnect_in, fatal).
async fn disconnected(c: &mut Client) -> (String, Option<Duration>, Option<FatalKind>) {
    c.until(STEP, |ev| match ev {
        SessionEvent::Disconnected { reason, reconnect_in, fatal } => Some((reason.clone(), *reconnect_in, *fatal)),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_malformed_packet_is_reported_precisely_and_the_session_reconnects() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(options(&server, V311));
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    // PUBLISH, QoS 0, topic length 2, topic bytes ff fe (not UTF-8), payload "x".
    peer.write(&[0x30, 0x05, 0x00, 0x02, 0xff, 0xfe, b'x']).await;
    let (reason, reconnect_in, fatal) = disconnected(&mut c).await;
    assert!(reason.contains("PUBLISH"), "names the packet: {reason}");
    assert!(reason.contains("topic"), "names the field: {reason}");
    assert!(reason.contains("at byte 4"), "names the offset: {reason}");
    assert!(reconnect_in.is_some() && fatal.is_none(), "{reason} {reconnect_in:?} {fatal:?}");
    // It comes back (after the backoff) and works.
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    c.handle.commands.send(mqscope::session::Command::Subscribe(vec![sub("a/#", QoS::AtMostOnce)])).await.unwrap();
    let Some(Packet::Subscribe(s)) = peer.read_packet(V311).await else { panic!("no SUBSCRIBE") };
    peer.send_packet(
        &Packet::SubAck(SubAck { packet_id: s.packet_id, properties: Properties::default(), reason_codes: vec![0] }),
        V311,
    )
    .await;
    c.subscribed().await;
    c.disconnect().await;
}

#[tokio::test]
async fn garbage_in_a_v5_stream_is_reported_and_answered_with_a_disconnect() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(options(&server, V5));
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    // Reserved packet type 0.
    peer.write(&[0x00, 0x00]).await;
    let (reason, reconnect_in, _) = disconnected(&mut c).await;
    assert!(reason.contains("malformed"), "{reason}");
    assert!(reconnect_in.is_some());
    let _ = accept_connected(&server, V5).await;
    c.connected().await;
    c.disconnect().await;
}

/// CONNACK, then not a byte more: with keepalive K the session sends PINGREQ after K and gives up at
/// 1.5 K, then reconnects.
async fn silent_broker_is_detected(version: ProtocolVersion, keep_alive: u16) {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, version);
    opts.session.keep_alive = keep_alive;
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, version).await;
    let since = Instant::now();
    c.connected().await;
    let Some(Packet::PingReq) = peer.read_packet(version).await else { panic!("no PINGREQ") };
    let (reason, reconnect_in, _) = disconnected(&mut c).await;
    let took = since.elapsed();
    let ka = Duration::from_secs(keep_alive.into());
    assert!(reason.contains("went silent") || reason.contains("PINGRESP"), "{reason}");
    assert!(took >= ka, "detected after {took:?}, before the first PINGREQ was due");
    // 1.5 x keepalive, plus a little for a loaded machine's scheduling.
    assert!(took <= ka * 3 / 2 + Duration::from_millis(750), "detected after {took:?} with keepalive {ka:?}");
    assert!(reconnect_in.is_some());
    let _ = accept_connected(&server, version).await;
    c.connected().await;
    drop(peer);
    c.disconnect().await;
}

#[tokio::test]
async fn a_silent_broker_is_detected_within_one_and_a_half_keepalives_1s() {
    silent_broker_is_detected(V311, 1).await;
}

#[tokio::test]
async fn a_silent_broker_is_detected_within_one_and_a_half_keepalives_2s_v5() {
    silent_broker_is_detected(V5, 2).await;
}

#[tokio::test]
async fn a_3_1_1_broker_that_closes_on_a_v5_connect_gets_3_1_1() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V5);
    opts.session.version_forced = false;
    let mut c = Client::spawn(opts);
    let mut peer = server.accept().await;
    let Some(Packet::Connect(first)) = peer.read_packet(V5).await else { panic!("no CONNECT") };
    assert_eq!(first.protocol, V5);
    peer.shutdown().await;
    drop(peer);
    let mut peer = server.accept().await;
    let Some(Packet::Connect(second)) = peer.read_packet(V311).await else { panic!("no second CONNECT") };
    assert_eq!(second.protocol, V311);
    peer.send_packet(&connack(0, false, Properties::default()), V311).await;
    let info = c.connected().await;
    assert_eq!(info.version, V311);
    let notices = c.notices();
    assert!(notices.iter().any(|n| n.contains("3.1.1")), "{notices:?}");
    c.disconnect().await;
}

#[tokio::test]
async fn a_3_1_1_connack_refusing_the_protocol_level_gets_3_1_1() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V5);
    opts.session.version_forced = false;
    let mut c = Client::spawn(opts);
    let mut peer = server.accept().await;
    let _ = peer.read_packet(V5).await;
    // A 3.1.1 CONNACK "unacceptable protocol version" (return code 1).
    peer.write(&[0x20, 0x02, 0x00, 0x01]).await;
    let mut peer = server.accept().await;
    let Some(Packet::Connect(second)) = peer.read_packet(V311).await else { panic!("no second CONNECT") };
    assert_eq!(second.protocol, V311);
    peer.send_packet(&connack(0, false, Properties::default()), V311).await;
    assert_eq!(c.connected().await.version, V311);
    c.disconnect().await;
}

#[tokio::test]
async fn topic_aliases_from_a_v5_broker_are_resolved() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(subscribed_options(&server, V5));
    let mut peer = server.accept().await;
    let Some(Packet::Connect(connect)) = peer.read_packet(V5).await else { panic!("no CONNECT") };
    assert!(connect.properties.iter().any(|p| matches!(p, Property::TopicAliasMaximum(n) if *n > 0)));
    peer.send_packet(&connack(0, false, Properties::default()), V5).await;
    c.connected().await;
    grant_subscribe(&mut peer, V5).await;
    let publish = |topic: &str, alias: u16, payload: &'static [u8]| {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: topic.into(),
            packet_id: None,
            properties: Properties(vec![Property::TopicAlias(alias)]),
            payload: Bytes::from_static(payload),
        })
    };
    peer.send_packet(&publish("sensors/kitchen/temp", 3, b"1"), V5).await;
    peer.send_packet(&publish("", 3, b"2"), V5).await;
    peer.send_packet(&publish("sensors/hall/temp", 3, b"3"), V5).await;
    peer.send_packet(&publish("", 3, b"4"), V5).await;
    let got = c.messages(4, STEP).await;
    let topics: Vec<&str> = got.iter().map(|m| &*m.topic).collect();
    assert_eq!(topics, ["sensors/kitchen/temp", "sensors/kitchen/temp", "sensors/hall/temp", "sensors/hall/temp"]);
    // An alias never set is a protocol error: DISCONNECT 0x94 to the broker, reconnect.
    peer.send_packet(&publish("", 9, b"5"), V5).await;
    let Some(Packet::Disconnect(d)) = peer.read_packet(V5).await else { panic!("no DISCONNECT") };
    assert_eq!(d.reason_code, 0x94);
    let (reason, reconnect_in, _) = disconnected(&mut c).await;
    assert!(reason.contains("topic alias 9"), "{reason}");
    assert!(reconnect_in.is_some());
    c.disconnect().await;
}

/// A refused CONNACK for bad credentials stops the session for good with `FatalKind::Auth`, even with a
/// policy that retries first connections, and the broker sees no second connection.
async fn bad_credentials(version: ProtocolVersion, code: u8) {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, version);
    opts.reconnect.retry_first_connect = true;
    opts.session.username = Some("alice".into());
    opts.session.password = Some(Bytes::from_static(b"wrong"));
    let mut c = Client::spawn(opts);
    // First a good connection that the broker drops, so the session is in its reconnecting life.
    let mut peer = accept_connected(&server, version).await;
    c.connected().await;
    peer.shutdown().await;
    drop(peer);
    let mut peer = server.accept().await;
    let _ = peer.read_packet(version).await;
    peer.send_packet(&connack(code, false, Properties::default()), version).await;
    let (reason, reconnect_in, fatal) = disconnected(&mut c).await;
    let (reason, reconnect_in, fatal) =
        if reconnect_in.is_some() { disconnected(&mut c).await } else { (reason, reconnect_in, fatal) };
    assert_eq!(fatal, Some(FatalKind::Auth), "{reason}");
    assert_eq!(reconnect_in, None, "{reason}");
    assert!(reason.contains("--username"), "{reason}");
    // Well past the longest backoff of these options (500 ms): nobody comes back.
    let again = tokio::time::timeout(Duration::from_millis(1500), server.accept()).await;
    assert!(again.is_err(), "{version}: a second connection after the refusal");
    let _ = tokio::time::timeout(STEP, c.handle.task).await;
}

#[tokio::test]
async fn bad_credentials_v5_stop_for_good_without_a_second_attempt() {
    bad_credentials(V5, 0x86).await;
}

#[tokio::test]
async fn bad_credentials_3_1_1_stop_for_good_without_a_second_attempt() {
    bad_credentials(V311, 4).await;
}

#[tokio::test]
async fn a_server_disconnect_with_a_reason_string_is_surfaced() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(options(&server, V5));
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    let props = Properties(vec![Property::ReasonString("going down for maintenance".into())]);
    peer.send_packet(&Packet::Disconnect(ReasonPacket { reason_code: 0x8B, properties: props }), V5).await;
    peer.shutdown().await;
    let (reason, reconnect_in, _) = disconnected(&mut c).await;
    assert!(reason.contains("going down for maintenance"), "{reason}");
    assert!(reason.to_lowercase().contains("server shutting down"), "{reason}");
    assert!(reconnect_in.is_some(), "{reason}");
    c.disconnect().await;
}

#[tokio::test]
async fn an_incoming_qos2_duplicate_is_delivered_once() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(subscribed_options(&server, V5));
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    grant_subscribe(&mut peer, V5).await;
    let mut publish = Publish {
        dup: false,
        qos: QoS::ExactlyOnce,
        retain: false,
        topic: "q2/topic".into(),
        packet_id: Some(7),
        properties: Properties::default(),
        payload: Bytes::from_static(b"once"),
    };
    peer.send_packet(&Packet::Publish(publish.clone()), V5).await;
    let Some(Packet::PubRec(rec)) = peer.read_packet(V5).await else { panic!("no PUBREC") };
    assert_eq!(rec.packet_id, 7);
    // The broker did not see the PUBREC (as far as it knows) and sends it again with DUP.
    publish.dup = true;
    peer.send_packet(&Packet::Publish(publish), V5).await;
    let Some(Packet::PubRec(rec)) = peer.read_packet(V5).await else { panic!("no second PUBREC") };
    assert_eq!(rec.packet_id, 7);
    peer.send_packet(&Packet::PubRel(Ack::new(7)), V5).await;
    let Some(Packet::PubComp(comp)) = peer.read_packet(V5).await else { panic!("no PUBCOMP") };
    assert_eq!((comp.packet_id, comp.reason_code), (7, 0));
    let mut got = c.messages(1, STEP).await;
    got.extend(c.messages_within(Duration::from_millis(300)).await);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(&got[0].payload[..], b"once");
    // After PUBREL the id is free: a new message with id 7 is a new message.
    let fresh = Publish {
        dup: false,
        qos: QoS::ExactlyOnce,
        retain: false,
        topic: "q2/topic".into(),
        packet_id: Some(7),
        properties: Properties::default(),
        payload: Bytes::from_static(b"again"),
    };
    peer.send_packet(&Packet::Publish(fresh), V5).await;
    assert_eq!(&c.messages(1, STEP).await[0].payload[..], b"again");
    c.disconnect().await;
}

#[tokio::test]
async fn an_unacked_qos1_publish_is_resent_with_dup_when_the_session_is_resumed() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V5);
    opts.session.clean_start = false;
    opts.session.session_expiry = Some(300);
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    let publish = OutgoingPublish {
        topic: "r/1".into(),
        payload: Bytes::from_static(b"important"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Properties::default(),
    };
    c.handle.commands.send(mqscope::session::Command::Publish { token: 42, publish }).await.unwrap();
    let Some(Packet::Publish(first)) = peer.read_packet(V5).await else { panic!("no PUBLISH") };
    assert!(!first.dup);
    let id = first.packet_id.expect("QoS 1 has an id");
    // The connection breaks before the PUBACK.
    drop(peer);
    let mut peer = server.accept().await;
    let Some(Packet::Connect(connect)) = peer.read_packet(V5).await else { panic!("no CONNECT") };
    assert!(!connect.clean_start);
    peer.send_packet(&connack(0, true, Properties::default()), V5).await;
    let Some(Packet::Publish(again)) = peer.read_packet(V5).await else { panic!("no retransmission") };
    assert!(again.dup, "DUP set on the retransmission");
    assert_eq!(again.packet_id, Some(id), "same packet id");
    assert_eq!((&*again.topic, &again.payload[..]), ("r/1", &b"important"[..]));
    peer.send_packet(&Packet::PubAck(Ack::new(id)), V5).await;
    let result = c
        .until(STEP, |ev| match ev {
            SessionEvent::Published { token: 42, result, .. } => Some(result.clone()),
            _ => None,
        })
        .await;
    assert_eq!(result, Ok(0));
    let info = c.seen.iter().filter(|e| matches!(e, SessionEvent::Connected(i) if i.session_present)).count();
    assert_eq!(info, 1);
    c.disconnect().await;
}

fn publish_packet(topic: &str, payload: &'static [u8], qos: QoS, retain: bool, packet_id: Option<u16>) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain,
        topic: topic.into(),
        packet_id,
        properties: Properties::default(),
        payload: Bytes::from_static(payload),
    })
}

/// Reads the SUBSCRIBE and grants every filter at QoS 1.
async fn grant_subscribe(peer: &mut FakePeer, version: ProtocolVersion) {
    let Some(Packet::Subscribe(s)) = peer.read_packet(version).await else { panic!("no SUBSCRIBE") };
    let reason_codes = vec![1; s.subscriptions.len()];
    peer.send_packet(
        &Packet::SubAck(SubAck { packet_id: s.packet_id, properties: Properties::default(), reason_codes }),
        version,
    )
    .await;
}

#[tokio::test]
async fn a_broker_that_keeps_breaking_the_protocol_gets_a_growing_backoff() {
    let server = FakeTcpServer::bind().await;
    let mut c = Client::spawn(options(&server, V311));
    let mut delays = Vec::new();
    for _ in 0..5 {
        let mut peer = accept_connected(&server, V311).await;
        c.connected().await;
        // Reserved packet type 0, right after a successful CONNACK: never a healthy connection.
        peer.write(&[0x00, 0x00]).await;
        let (reason, reconnect_in, fatal) = disconnected(&mut c).await;
        assert!(fatal.is_none(), "{reason}");
        delays.push(reconnect_in.expect("the dashboard's policy reconnects"));
    }
    // 50 ms doubling up to 500 ms, each scaled by a jitter in [50%, 100%]: the fifth is at least 200 ms.
    assert!(delays[4] >= Duration::from_millis(200), "the backoff was reset by short connections: {delays:?}");
    c.disconnect().await;
}

#[tokio::test]
async fn a_protocol_error_is_fatal_when_the_policy_says_so() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V5);
    opts.reconnect.protocol_errors_fatal = true;
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    peer.write(&[0x00, 0x00]).await;
    let (reason, reconnect_in, fatal) = disconnected(&mut c).await;
    assert_eq!((reconnect_in, fatal), (None, Some(FatalKind::Protocol)), "{reason}");
    // A broker that closes the connection is no protocol error: that one is retried.
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V5);
    opts.reconnect.protocol_errors_fatal = true;
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    peer.shutdown().await;
    let (reason, reconnect_in, _) = disconnected(&mut c).await;
    assert!(reconnect_in.is_some(), "{reason}");
    let _peer = accept_connected(&server, V5).await;
    c.connected().await;
    c.disconnect().await;
}

#[tokio::test]
async fn retained_messages_sent_again_after_a_reconnect_are_delivered_once() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V311);
    opts.session.subscriptions = vec![sub("#", QoS::AtLeastOnce)];
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    grant_subscribe(&mut peer, V311).await;
    peer.send_packet(&publish_packet("cfg/a", b"1", QoS::AtMostOnce, true, None), V311).await;
    peer.send_packet(&publish_packet("cfg/b", b"1", QoS::AtMostOnce, true, None), V311).await;
    peer.send_packet(&publish_packet("live", b"x", QoS::AtMostOnce, false, None), V311).await;
    let first = c.messages(3, STEP).await;
    assert_eq!(first.len(), 3);
    peer.shutdown().await;
    drop(peer);
    // A clean session: the broker sends the retained messages again on the new subscription; cfg/b changed.
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    grant_subscribe(&mut peer, V311).await;
    peer.send_packet(&publish_packet("cfg/a", b"1", QoS::AtMostOnce, true, None), V311).await;
    peer.send_packet(&publish_packet("cfg/b", b"2", QoS::AtMostOnce, true, None), V311).await;
    peer.send_packet(&publish_packet("live", b"x", QoS::AtMostOnce, false, None), V311).await;
    // A live message that happens to equal the retained one is a new message.
    peer.send_packet(&publish_packet("cfg/a", b"1", QoS::AtMostOnce, false, None), V311).await;
    let mut second = c.messages(3, STEP).await;
    second.extend(c.messages_within(Duration::from_millis(300)).await);
    let got: Vec<(&str, &[u8], bool)> = second.iter().map(|m| (&*m.topic, &m.payload[..], m.retain)).collect();
    assert_eq!(got, [("cfg/b", &b"2"[..], true), ("live", b"x", false), ("cfg/a", b"1", false)]);
    c.disconnect().await;
}

#[tokio::test]
async fn a_qos1_message_redelivered_with_dup_after_a_reconnect_is_delivered_once() {
    let server = FakeTcpServer::bind().await;
    let mut opts = subscribed_options(&server, V5);
    opts.session.clean_start = false;
    opts.session.session_expiry = Some(300);
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V5).await;
    c.connected().await;
    grant_subscribe(&mut peer, V5).await;
    peer.send_packet(&publish_packet("q1", b"once", QoS::AtLeastOnce, false, Some(5)), V5).await;
    assert_eq!(c.messages(1, STEP).await.len(), 1);
    // The broker never saw the PUBACK: the connection breaks, and the resumed session gets the message
    // again with DUP.
    drop(peer);
    let mut peer = server.accept().await;
    let _ = peer.read_packet(V5).await;
    peer.send_packet(&connack(0, true, Properties::default()), V5).await;
    c.connected().await;
    let Packet::Publish(mut again) = publish_packet("q1", b"once", QoS::AtLeastOnce, false, Some(5)) else {
        unreachable!()
    };
    again.dup = true;
    peer.send_packet(&Packet::Publish(again), V5).await;
    let Some(Packet::PubAck(ack)) = peer.read_packet(V5).await else { panic!("the duplicate is acknowledged") };
    assert_eq!(ack.packet_id, 5);
    // A new message that reuses the id is delivered.
    peer.send_packet(&publish_packet("q1", b"next", QoS::AtLeastOnce, false, Some(5)), V5).await;
    let got = c.messages(1, STEP).await;
    assert_eq!(&got[0].payload[..], b"next", "{got:?}");
    assert!(c.messages_within(Duration::from_millis(300)).await.is_empty());
    c.disconnect().await;
}

/// A broker that answers every connection the same way: CONNACK, SUBACK, three messages, then a packet
/// of the reserved type 0. Serves up to `limit` connections.
async fn serve_messages_then_garbage(server: FakeTcpServer, limit: usize) {
    for _ in 0..limit {
        let mut peer = accept_connected(&server, V311).await;
        grant_subscribe(&mut peer, V311).await;
        for payload in [&b"one"[..], b"two", b"three"] {
            let Packet::Publish(mut p) = publish_packet("t", b"", QoS::AtMostOnce, false, None) else { unreachable!() };
            p.payload = Bytes::from_static(payload);
            peer.send_packet(&Packet::Publish(p), V311).await;
        }
        peer.write(&[0x00, 0x00]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_ends_with_exit_5_on_a_protocol_error_and_prints_each_message_once() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    tokio::spawn(serve_messages_then_garbage(server, 50));
    let mut cmd = mqscope();
    cmd.args(["sub", "-u", &url, "-t", "#", "--mqtt", "3.1.1"]);
    let out = tokio::task::spawn_blocking(move || Proc::start(cmd, None).wait(Duration::from_secs(20))).await.unwrap();
    assert_eq!(out.code(), 5, "stderr: {}", out.stderr);
    assert_eq!(out.lines(), ["one", "two", "three"], "stderr: {}", out.stderr);
    assert!(out.stderr.contains("malformed"), "{}", out.stderr);
}

#[tokio::test]
async fn a_message_outside_every_subscription_is_acknowledged_and_not_delivered() {
    let server = FakeTcpServer::bind().await;
    let mut opts = options(&server, V311);
    opts.session.subscriptions = vec![sub("devices/old/#", QoS::AtLeastOnce)];
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    grant_subscribe(&mut peer, V311).await;
    peer.send_packet(&publish_packet("prod/critical/config", b"keep", QoS::AtLeastOnce, true, Some(1)), V311).await;
    let Some(Packet::PubAck(ack)) = peer.read_packet(V311).await else { panic!("the stray message is acknowledged") };
    assert_eq!(ack.packet_id, 1);
    peer.send_packet(&publish_packet("devices/old/a", b"1", QoS::AtMostOnce, true, None), V311).await;
    let got = c.messages(1, STEP).await;
    assert_eq!(&*got[0].topic, "devices/old/a");
    let stray: Vec<_> = c.seen.iter().filter(|e| matches!(e, SessionEvent::Stray { .. })).collect();
    assert!(
        matches!(stray.as_slice(), [SessionEvent::Stray { topic, total: 1 }] if topic == "prod/critical/config"),
        "{:#?}",
        c.seen
    );
    c.disconnect().await;
}

/// `mqscope sub` against `url` with `args`, run to its end: (exit code, stderr).
async fn sub_exit(url: &str, args: &[&str]) -> (i32, String) {
    let mut cmd = mqscope();
    cmd.args(["sub", "-u", url, "-t", "#"]).args(args);
    let out = tokio::task::spawn_blocking(move || Proc::start(cmd, None).wait(Duration::from_secs(30))).await.unwrap();
    (out.code(), out.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connack_timeout_is_reported_as_such() {
    let addr = common::silent_server().await;
    let (code, stderr) = sub_exit(&format!("mqtt://{addr}"), &["--connect-timeout", "1"]).await;
    assert_eq!(code, 6, "{stderr}");
    assert!(stderr.contains("no CONNACK within 1s on MQTT 5.0; using MQTT 3.1.1"), "{stderr}");
    assert!(stderr.contains("no CONNACK within 1s"), "{stderr}");
    assert!(!stderr.contains("closed"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_present_on_a_clean_start_is_a_protocol_error_not_a_fallback() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let broker = tokio::spawn(async move {
        let mut peer = server.accept().await;
        let _ = peer.read_packet(V5).await;
        peer.send_packet(&connack(0, true, Properties::default()), V5).await;
        // Whatever comes next (a DISCONNECT), then the end.
        let next = peer.read_packet(V5).await;
        (next, tokio::time::timeout(Duration::from_secs(2), server.accept_raw()).await.is_ok())
    });
    let (code, stderr) = sub_exit(&url, &[]).await;
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("session is present") && stderr.contains("clean start"), "{stderr}");
    assert!(!stderr.contains("using MQTT 3.1.1"), "{stderr}");
    let (next, reconnected) = broker.await.unwrap();
    assert!(matches!(next, Some(Packet::Disconnect(ReasonPacket { reason_code: 0x82, .. }))), "{next:?}");
    assert!(!reconnected, "no second connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_packet_size_zero_is_refused_and_a_small_one_is_named() {
    let (code, stderr) = sub_exit("mqtt://127.0.0.1:1", &["--max-packet-size", "0"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--max-packet-size"), "{stderr}");
    // A CONNACK of 5 bytes over a limit of 4: the limit is named, and no fallback to 3.1.1.
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    tokio::spawn(async move {
        let mut peer = server.accept().await;
        let _ = peer.read_packet(V5).await;
        peer.send_packet(&connack(0, false, Properties::default()), V5).await;
        let _ = peer.read_packet(V5).await;
    });
    let (code, stderr) = sub_exit(&url, &["--max-packet-size", "4"]).await;
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("exceeds the maximum packet size of 4 bytes"), "{stderr}");
    assert!(stderr.contains("--max-packet-size"), "says what to change: {stderr}");
    assert!(!stderr.contains("3.1.1"), "{stderr}");
}

/// The dashboard's read pacing: after a read that emptied the socket the session leaves it for the
/// pause (what arrives meanwhile comes in one read after it), while commands still go out at once; a
/// backlog is read back to back, never a pause per read.
#[tokio::test]
async fn a_paced_session_reads_a_trickle_once_per_pause_and_a_backlog_at_once() {
    const PACE: Duration = Duration::from_millis(500);
    let server = FakeTcpServer::bind().await;
    let mut opts = subscribed_options(&server, V311);
    opts.read_pace = Some(PACE);
    let mut c = Client::spawn(opts);
    let mut peer = accept_connected(&server, V311).await;
    c.connected().await;
    grant_subscribe(&mut peer, V311).await;
    peer.send_packet(&publish_packet("t", b"first", QoS::AtMostOnce, false, None), V311).await;
    c.messages(1, STEP).await;
    let first = Instant::now();
    peer.send_packet(&publish_packet("t", b"second", QoS::AtMostOnce, false, None), V311).await;
    // A command in the pause goes out at once.
    c.handle
        .commands
        .send(mqscope::session::Command::Publish {
            token: 1,
            publish: OutgoingPublish {
                topic: "out".into(),
                payload: Bytes::from_static(b"now"),
                qos: QoS::AtMostOnce,
                retain: false,
                properties: Properties::default(),
            },
        })
        .await
        .unwrap();
    let Some(Packet::Publish(p)) = peer.read_packet(V311).await else { panic!("no PUBLISH") };
    assert_eq!(&p.payload[..], b"now");
    assert!(first.elapsed() < PACE * 4 / 5, "the command waited for the pause: {:?}", first.elapsed());
    let got = c.messages(1, STEP).await;
    assert_eq!(&got[0].payload[..], b"second");
    assert!(first.elapsed() >= PACE * 4 / 5, "read before the pause ended: {:?}", first.elapsed());

    // A backlog (far more than one read) is taken back to back: well within one pause, not one per read.
    tokio::time::sleep(PACE + Duration::from_millis(50)).await;
    static SIXTY: [u8; 60] = [b'x'; 60];
    let one = common::encode_packet(&publish_packet("b", &SIXTY, QoS::AtMostOnce, false, None), V311);
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * 4_000).collect();
    let start = Instant::now();
    peer.write(&many).await;
    c.messages(4_000, STEP).await;
    assert!(start.elapsed() < PACE * 4 / 5, "{} KiB took {:?}", many.len() / 1024, start.elapsed());
    c.disconnect().await;
}
