//! Scripted packets in, actions out: every session flow without a socket.

use super::state::{Action, Session, SessionConfig, SessionError};
use super::{OutgoingPublish, SessionEvent, SubscribeOutcome};
use crate::codec::{
    Ack, ByteString, Bytes, ConnAck, Packet, Properties, Property, ProtocolVersion, Publish, QoS, ReasonPacket, SubAck,
    Subscription, SubscriptionOptions,
};
use pretty_assertions::assert_eq;
use std::time::{Duration, Instant};

fn cfg(version: ProtocolVersion) -> SessionConfig {
    SessionConfig { client_id: "test".into(), version, keep_alive: 10, ..SessionConfig::default() }
}

fn sub(filter: &str, qos: QoS) -> Subscription {
    Subscription { filter: filter.into(), options: SubscriptionOptions::qos(qos) }
}

fn connack(session_present: bool, properties: Properties) -> Packet {
    Packet::ConnAck(ConnAck { session_present, reason_code: 0, properties })
}

fn publish(topic: &str, qos: QoS, id: Option<u16>, payload: &'static [u8]) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: ByteString::from(topic),
        packet_id: id,
        properties: Properties::default(),
        payload: Bytes::from_static(payload),
    }
}

fn outgoing(topic: &str, qos: QoS) -> OutgoingPublish {
    OutgoingPublish {
        topic: topic.into(),
        payload: Bytes::from_static(b"x"),
        qos,
        retain: false,
        properties: Properties::default(),
    }
}

/// A session that has sent CONNECT and received a successful CONNACK.
fn connected(version: ProtocolVersion, props: Properties) -> (Session, Instant) {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(version), t0);
    s.connect(t0);
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, props), &mut out).unwrap();
    (s, t0)
}

/// `connected`, with a granted subscription to `#`: the session delivers only subscribed topics.
fn connected_subscribed(version: ProtocolVersion, props: Properties) -> (Session, Instant) {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig { subscriptions: vec![sub("#", QoS::ExactlyOnce)], ..cfg(version) }, t0);
    s.connect(t0);
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, props), &mut out).unwrap();
    let Some(Packet::Subscribe(subscribe)) = sent(&out).first().copied() else { panic!("no SUBSCRIBE") };
    let ack = SubAck { packet_id: subscribe.packet_id, properties: Properties::default(), reason_codes: vec![2] };
    s.handle_packet(t0, Packet::SubAck(ack), &mut out).unwrap();
    (s, t0)
}

#[test]
fn a_message_outside_every_subscription_is_acknowledged_and_reported_not_delivered() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("devices/old/#", QoS::AtLeastOnce)], &mut out);
    out.clear();
    s.handle_packet(t0, Packet::Publish(publish("prod/critical", QoS::AtLeastOnce, Some(4), b"x")), &mut out).unwrap();
    assert_eq!(
        out,
        vec![
            Action::Emit(SessionEvent::Stray { topic: "prod/critical".into(), total: 1 }),
            Action::Send(Packet::PubAck(Ack::new(4)))
        ]
    );
    // While an UNSUBSCRIBE is unanswered, its filter still counts.
    out.clear();
    s.unsubscribe(t0, vec!["devices/old/#".into()], &mut out);
    out.clear();
    s.handle_packet(t0, Packet::Publish(publish("devices/old/a", QoS::AtMostOnce, None, b"x")), &mut out).unwrap();
    assert!(matches!(&out[..], [Action::Emit(SessionEvent::Message(_))]), "{out:?}");
}

fn sent(out: &[Action]) -> Vec<&Packet> {
    out.iter()
        .filter_map(|a| match a {
            Action::Send(p) => Some(p),
            Action::Emit(_) => None,
        })
        .collect()
}

fn events(out: &[Action]) -> Vec<&SessionEvent> {
    out.iter()
        .filter_map(|a| match a {
            Action::Emit(e) => Some(e),
            Action::Send(_) => None,
        })
        .collect()
}

#[test]
fn v5_connect_announces_packet_size_alias_maximum_and_session_expiry() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V5);
    c.session_expiry = Some(300);
    c.clean_start = false;
    c.username = Some("u".into());
    c.password = Some(Bytes::from_static(b"p"));
    let mut s = Session::new(c, t0);
    let Packet::Connect(connect) = s.connect(t0) else { panic!("not a CONNECT") };
    assert_eq!(connect.protocol, ProtocolVersion::V5);
    assert!(!connect.clean_start);
    assert_eq!(connect.keep_alive, 10);
    assert_eq!(&*connect.client_id, "test");
    assert_eq!(connect.password.as_deref(), Some(&b"p"[..]));
    let props: Vec<_> = connect.properties.iter().cloned().collect();
    assert!(props.contains(&Property::SessionExpiryInterval(300)));
    assert!(props.contains(&Property::TopicAliasMaximum(super::state::TOPIC_ALIAS_MAXIMUM)));
    assert!(props.iter().any(|p| matches!(p, Property::MaximumPacketSize(_))));
}

#[test]
fn v3_connect_has_no_properties_and_a_user_name_for_a_password() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V3_1_1);
    c.password = Some(Bytes::from_static(b"p"));
    let mut s = Session::new(c, t0);
    let Packet::Connect(connect) = s.connect(t0) else { panic!("not a CONNECT") };
    assert!(connect.properties.is_empty());
    assert_eq!(connect.username.as_deref(), Some(""));
    // The encoder accepts it, so it goes out.
    let mut buf = bytes::BytesMut::new();
    crate::codec::encode(&Packet::Connect(connect), ProtocolVersion::V3_1_1, &mut buf).unwrap();
}

#[test]
fn connack_emits_connected_with_broker_limits_and_subscribes() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V5);
    c.subscriptions = vec![sub("a/#", QoS::AtLeastOnce), sub("b", QoS::AtMostOnce)];
    let mut s = Session::new(c, t0);
    s.connect(t0);
    let props = Properties(vec![
        Property::AssignedClientIdentifier("assigned".into()),
        Property::ServerKeepAlive(5),
        Property::ReceiveMaximum(2),
        Property::MaximumQoS(1),
    ]);
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, props), &mut out).unwrap();
    let SessionEvent::Connected(info) = events(&out)[0] else { panic!("no Connected") };
    assert_eq!((info.client_id.as_str(), info.keep_alive, info.receive_maximum), ("assigned", 5, 2));
    assert_eq!(info.maximum_qos, QoS::AtLeastOnce);
    let Packet::Subscribe(subscribe) = sent(&out)[0] else { panic!("no SUBSCRIBE") };
    assert_eq!(subscribe.subscriptions, vec![sub("a/#", QoS::AtLeastOnce), sub("b", QoS::AtMostOnce)]);
    // Server keepalive replaces ours: a PINGREQ is due 5 s after the last packet.
    assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(5)));
}

#[test]
fn incoming_qos1_publish_is_delivered_then_acked() {
    let (mut s, t0) = connected_subscribed(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    s.handle_packet(t0, Packet::Publish(publish("a/b", QoS::AtLeastOnce, Some(9), b"hi")), &mut out).unwrap();
    assert!(matches!(&out[0], Action::Emit(SessionEvent::Message(m)) if &*m.topic == "a/b" && &m.payload[..] == b"hi"));
    assert_eq!(out[1], Action::Send(Packet::PubAck(Ack::new(9))), "ack comes after the hand-off");
}

#[test]
fn a_qos1_dup_is_skipped_only_when_it_repeats_the_last_message_under_its_id() {
    let (mut s, t0) = connected_subscribed(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    let dup = |mut p: Publish| {
        p.dup = true;
        p
    };
    for id in [1, 2, 65_535] {
        s.handle_packet(t0, Packet::Publish(publish("q1", QoS::AtLeastOnce, Some(id), b"once")), &mut out).unwrap();
    }
    // Repeats of what was delivered under ids 1 and 65535: acknowledged, not delivered again.
    s.handle_packet(t0, Packet::Publish(dup(publish("q1", QoS::AtLeastOnce, Some(1), b"once"))), &mut out).unwrap();
    s.handle_packet(t0, Packet::Publish(dup(publish("q1", QoS::AtLeastOnce, Some(65_535), b"once"))), &mut out)
        .unwrap();
    // A DUP under an id never used, or with other content, or without DUP: delivered.
    s.handle_packet(t0, Packet::Publish(dup(publish("q1", QoS::AtLeastOnce, Some(3), b"once"))), &mut out).unwrap();
    s.handle_packet(t0, Packet::Publish(dup(publish("q1", QoS::AtLeastOnce, Some(2), b"other"))), &mut out).unwrap();
    s.handle_packet(t0, Packet::Publish(publish("q1", QoS::AtLeastOnce, Some(1), b"once")), &mut out).unwrap();
    let delivered: Vec<_> = events(&out)
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Message(m) => Some((m.packet_id, m.payload.to_vec())),
            _ => None,
        })
        .collect();
    let want: Vec<(Option<u16>, Vec<u8>)> =
        [(1, &b"once"[..]), (2, b"once"), (65_535, b"once"), (3, b"once"), (2, b"other"), (1, b"once")]
            .iter()
            .map(|(id, p)| (Some(*id), p.to_vec()))
            .collect();
    assert_eq!(delivered, want);
    assert_eq!(sent(&out).len(), 8, "every one acknowledged");
}

#[test]
fn incoming_qos2_publish_is_delivered_once_even_when_redelivered_with_dup() {
    let (mut s, t0) = connected_subscribed(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    let p = publish("q2", QoS::ExactlyOnce, Some(3), b"once");
    s.handle_packet(t0, Packet::Publish(p.clone()), &mut out).unwrap();
    let mut dup = p;
    dup.dup = true;
    s.handle_packet(t0, Packet::Publish(dup), &mut out).unwrap();
    let messages = events(&out).iter().filter(|e| matches!(e, SessionEvent::Message(_))).count();
    assert_eq!(messages, 1);
    assert_eq!(sent(&out), vec![&Packet::PubRec(Ack::new(3)), &Packet::PubRec(Ack::new(3))]);
    out.clear();
    s.handle_packet(t0, Packet::PubRel(Ack::new(3)), &mut out).unwrap();
    assert_eq!(sent(&out), vec![&Packet::PubComp(Ack::new(3))]);
    // A second PUBREL for the same id: the id is no longer known (MQTT 5 reason 0x92).
    out.clear();
    s.handle_packet(t0, Packet::PubRel(Ack::new(3)), &mut out).unwrap();
    let Packet::PubComp(comp) = sent(&out)[0] else { panic!("no PUBCOMP") };
    assert_eq!(comp.reason_code, 0x92);
}

#[test]
fn outgoing_qos1_is_reported_when_acked() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    s.publish(t0, 42, outgoing("t", QoS::AtLeastOnce), &mut out);
    let Packet::Publish(p) = sent(&out)[0] else { panic!("no PUBLISH") };
    let id = p.packet_id.unwrap();
    assert_ne!(id, 0);
    assert_eq!(s.unacked(), 1);
    out.clear();
    s.handle_packet(t0, Packet::PubAck(Ack::new(id)), &mut out).unwrap();
    assert_eq!(events(&out), vec![&SessionEvent::Published { token: 42, packet_id: Some(id), result: Ok(0) }]);
    assert_eq!(s.unacked(), 0);
}

#[test]
fn outgoing_qos2_runs_pubrec_pubrel_pubcomp() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.publish(t0, 1, outgoing("t", QoS::ExactlyOnce), &mut out);
    let Packet::Publish(p) = sent(&out)[0] else { panic!("no PUBLISH") };
    let id = p.packet_id.unwrap();
    out.clear();
    s.handle_packet(t0, Packet::PubRec(Ack::new(id)), &mut out).unwrap();
    assert_eq!(sent(&out), vec![&Packet::PubRel(Ack::new(id))]);
    assert!(events(&out).is_empty(), "not done before PUBCOMP");
    out.clear();
    s.handle_packet(t0, Packet::PubComp(Ack::new(id)), &mut out).unwrap();
    assert_eq!(events(&out), vec![&SessionEvent::Published { token: 1, packet_id: Some(id), result: Ok(0) }]);
}

#[test]
fn pubrec_with_a_failure_code_ends_the_flow_with_an_error() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.publish(t0, 1, outgoing("t", QoS::ExactlyOnce), &mut out);
    out.clear();
    let ack = Ack { packet_id: 1, reason_code: 0x87, properties: Properties::default() };
    s.handle_packet(t0, Packet::PubRec(ack), &mut out).unwrap();
    assert!(sent(&out).is_empty());
    let SessionEvent::Published { result: Err(why), .. } = events(&out)[0] else { panic!("no failure") };
    assert!(why.contains("Not authorized"), "{why}");
}

#[test]
fn receive_maximum_holds_back_publishes_until_acks_arrive() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties(vec![Property::ReceiveMaximum(2)]));
    let mut out = Vec::new();
    for token in 0..5 {
        s.publish(t0, token, outgoing("t", QoS::AtLeastOnce), &mut out);
    }
    assert_eq!(sent(&out).len(), 2);
    assert_eq!(s.queued(), 3);
    out.clear();
    s.handle_packet(t0, Packet::PubAck(Ack::new(1)), &mut out).unwrap();
    assert_eq!(sent(&out).len(), 1, "one slot freed, one more sent");
    // QoS 0 is not limited by receive maximum, but keeps its place in the queue.
    out.clear();
    s.publish(t0, 9, outgoing("t", QoS::AtMostOnce), &mut out);
    assert!(sent(&out).is_empty());
}

#[test]
fn publishes_while_disconnected_are_sent_after_connack() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(ProtocolVersion::V5), t0);
    let mut out = Vec::new();
    s.publish(t0, 1, outgoing("early", QoS::AtLeastOnce), &mut out);
    s.publish(t0, 2, outgoing("early0", QoS::AtMostOnce), &mut out);
    assert!(out.is_empty());
    s.connect(t0);
    s.handle_packet(t0, connack(false, Properties::default()), &mut out).unwrap();
    let topics: Vec<&str> = sent(&out)
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(&*p.topic),
            _ => None,
        })
        .collect();
    assert_eq!(topics, ["early", "early0"]);
}

#[test]
fn resumed_session_retransmits_publish_with_dup_and_pubrel() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.publish(t0, 1, outgoing("q1", QoS::AtLeastOnce), &mut out);
    s.publish(t0, 2, outgoing("q2", QoS::ExactlyOnce), &mut out);
    s.handle_packet(t0, Packet::PubRec(Ack::new(2)), &mut out).unwrap();
    assert_eq!(s.connection_lost(), None);
    out.clear();
    s.connect(t0);
    s.handle_packet(t0, connack(true, Properties::default()), &mut out).unwrap();
    let packets = sent(&out);
    let Packet::Publish(p) = packets[0] else { panic!("no PUBLISH retransmission") };
    assert!(p.dup && p.packet_id == Some(1) && &*p.topic == "q1");
    assert_eq!(packets[1], &Packet::PubRel(Ack::new(2)));
}

#[test]
fn new_session_resends_unacked_publishes_fresh_and_resubscribes() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V3_1_1);
    c.subscriptions = vec![sub("s/#", QoS::AtLeastOnce)];
    let mut s = Session::new(c, t0);
    s.connect(t0);
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, Properties::default()), &mut out).unwrap();
    let Packet::Subscribe(first) = sent(&out)[0] else { panic!("no SUBSCRIBE") };
    let sub_id = first.packet_id;
    s.handle_packet(
        t0,
        Packet::SubAck(SubAck { packet_id: sub_id, properties: Properties::default(), reason_codes: vec![1] }),
        &mut out,
    )
    .unwrap();
    s.publish(t0, 7, outgoing("t", QoS::AtLeastOnce), &mut out);
    s.connection_lost();
    out.clear();
    s.connect(t0);
    s.handle_packet(t0, connack(false, Properties::default()), &mut out).unwrap();
    let packets = sent(&out);
    assert!(matches!(packets[0], Packet::Subscribe(x) if x.subscriptions == vec![sub("s/#", QoS::AtLeastOnce)]));
    assert!(matches!(packets[1], Packet::Publish(p) if !p.dup && &*p.topic == "t"));
}

#[test]
fn suback_reports_each_filter_and_drops_refused_ones() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("ok/#", QoS::ExactlyOnce), sub("secret/#", QoS::AtMostOnce)], &mut out);
    let Packet::Subscribe(req) = sent(&out)[0] else { panic!("no SUBSCRIBE") };
    let id = req.packet_id;
    out.clear();
    let ack = SubAck { packet_id: id, properties: Properties::default(), reason_codes: vec![2, 0x87] };
    s.handle_packet(t0, Packet::SubAck(ack), &mut out).unwrap();
    let SessionEvent::Subscribed { results, .. } = events(&out)[0] else { panic!("no Subscribed") };
    assert_eq!(results[0], ("ok/#".to_string(), SubscribeOutcome::Granted(QoS::ExactlyOnce)));
    assert!(matches!(&results[1].1, SubscribeOutcome::Refused { code: 0x87, reason } if reason == "Not authorized"));
    let active: Vec<&str> = s.subscriptions().map(|x| &*x.filter).collect();
    assert_eq!(active, ["ok/#"]);
}

#[test]
fn invalid_filters_are_refused_without_sending() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("a/#/b", QoS::AtMostOnce)], &mut out);
    assert!(sent(&out).is_empty());
    assert!(
        matches!(events(&out)[0], SessionEvent::Subscribed { results, .. } if matches!(results[0].1, SubscribeOutcome::Invalid(_)))
    );
}

#[test]
fn topic_aliases_are_resolved_and_unknown_ones_are_protocol_errors() {
    let (mut s, t0) = connected_subscribed(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    let mut first = publish("long/topic/name", QoS::AtMostOnce, None, b"1");
    first.properties = Properties(vec![Property::TopicAlias(4)]);
    s.handle_packet(t0, Packet::Publish(first), &mut out).unwrap();
    let mut second = publish("", QoS::AtMostOnce, None, b"2");
    second.properties = Properties(vec![Property::TopicAlias(4)]);
    s.handle_packet(t0, Packet::Publish(second), &mut out).unwrap();
    let topics: Vec<&str> = events(&out)
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Message(m) => Some(&*m.topic),
            _ => None,
        })
        .collect();
    assert_eq!(topics, ["long/topic/name", "long/topic/name"]);
    let mut unknown = publish("", QoS::AtMostOnce, None, b"3");
    unknown.properties = Properties(vec![Property::TopicAlias(5)]);
    let err = s.handle_packet(t0, Packet::Publish(unknown), &mut out).unwrap_err();
    assert!(matches!(&err, SessionError::Protocol { reason_code: 0x94, .. }), "{err:?}");
    assert_eq!(
        s.disconnect_for(&err),
        Some(Packet::Disconnect(ReasonPacket { reason_code: 0x94, properties: Properties::default() }))
    );
}

#[test]
fn topic_alias_maximum_zero_announces_none_and_refuses_any_alias() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V5);
    c.topic_alias_maximum = 0;
    let mut s = Session::new(c, t0);
    let Packet::Connect(connect) = s.connect(t0) else { panic!("not a CONNECT") };
    assert!(
        !connect.properties.iter().any(|p| matches!(p, Property::TopicAliasMaximum(_))),
        "absent means 0: {:?}",
        connect.properties
    );
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, Properties::default()), &mut out).unwrap();
    let mut aliased = publish("a/b", QoS::AtMostOnce, None, b"1");
    aliased.properties = Properties(vec![Property::TopicAlias(1)]);
    let err = s.handle_packet(t0, Packet::Publish(aliased), &mut out).unwrap_err();
    assert!(matches!(&err, SessionError::Protocol { reason_code: 0x94, .. }), "{err:?}");
}

#[test]
fn keepalive_pings_when_idle_and_a_silent_broker_is_detected_within_one_and_a_half_periods() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let ka = Duration::from_secs(10);
    let mut out = Vec::new();
    s.poll_timeout(t0 + ka - Duration::from_millis(1), &mut out).unwrap();
    assert!(out.is_empty(), "not yet");
    s.poll_timeout(t0 + ka, &mut out).unwrap();
    assert_eq!(sent(&out), vec![&Packet::PingReq]);
    assert_eq!(s.next_deadline(), Some(t0 + ka + ka / 2));
    out.clear();
    let err = s.poll_timeout(t0 + ka + ka / 2, &mut out).unwrap_err();
    assert!(matches!(err, SessionError::KeepAliveTimeout(_)));
}

#[test]
fn pingresp_reports_the_round_trip_time() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    let ping_at = t0 + Duration::from_secs(10);
    s.poll_timeout(ping_at, &mut out).unwrap();
    out.clear();
    s.handle_packet(ping_at + Duration::from_millis(7), Packet::PingResp, &mut out).unwrap();
    assert_eq!(events(&out), vec![&SessionEvent::Pong { rtt: Duration::from_millis(7) }]);
    // A busy inbound stream does not stop pings: we keep sending one per period of our own silence.
    let mut out = Vec::new();
    s.handle_packet(
        ping_at + Duration::from_secs(15),
        Packet::Publish(publish("x", QoS::AtMostOnce, None, b"")),
        &mut out,
    )
    .unwrap();
    s.poll_timeout(ping_at + Duration::from_secs(10), &mut out).unwrap();
    assert!(sent(&out).contains(&&Packet::PingReq));
}

#[test]
fn v5_refused_as_unsupported_falls_back_to_v311_unless_forced() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(ProtocolVersion::V5), t0);
    s.connect(t0);
    let refused =
        Packet::ConnAck(ConnAck { session_present: false, reason_code: 0x84, properties: Properties::default() });
    let err = s.handle_packet(t0, refused.clone(), &mut Vec::new()).unwrap_err();
    assert!(matches!(err, SessionError::Fallback { to: ProtocolVersion::V3_1_1, .. }));
    assert_eq!(s.version(), ProtocolVersion::V3_1_1);

    let mut forced = cfg(ProtocolVersion::V5);
    forced.version_forced = true;
    let mut s = Session::new(forced, t0);
    s.connect(t0);
    let err = s.handle_packet(t0, refused, &mut Vec::new()).unwrap_err();
    assert!(matches!(err, SessionError::Refused { retry: false, .. }), "{err:?}");
    assert_eq!(s.connection_lost(), None);
    assert_eq!(s.version(), ProtocolVersion::V5);
}

#[test]
fn connection_closed_before_connack_on_v5_falls_back() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(ProtocolVersion::V5), t0);
    s.connect(t0);
    assert!(matches!(s.connection_lost(), Some(SessionError::Fallback { .. })));
    assert_eq!(s.version(), ProtocolVersion::V3_1_1);
    // On 3.1.1 there is nothing further to fall back to.
    s.connect(t0);
    assert_eq!(s.connection_lost(), None);
}

#[test]
fn not_authorized_after_sending_credentials_points_at_them() {
    for (version, code) in [(ProtocolVersion::V5, 0x87), (ProtocolVersion::V3_1_1, 5)] {
        for (username, expect) in [(Some("alice"), "--username and the password"), (None, "may want --username")] {
            let t0 = Instant::now();
            let mut c = cfg(version);
            c.username = username.map(str::to_owned);
            c.password = username.map(|_| Bytes::from_static(b"pw"));
            let mut s = Session::new(c, t0);
            s.connect(t0);
            let refused = Packet::ConnAck(ConnAck {
                session_present: false,
                reason_code: code,
                properties: Properties::default(),
            });
            let err = s.handle_packet(t0, refused, &mut Vec::new()).unwrap_err();
            assert!(matches!(err, SessionError::Refused { auth: true, retry: false, .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("Not authorized") || text.contains("not authorized"), "{text}");
            assert!(text.contains(expect), "{version}: {text}");
        }
    }
}

#[test]
fn bad_credentials_are_not_retried_and_do_not_fall_back() {
    for (version, code) in [(ProtocolVersion::V5, 0x86), (ProtocolVersion::V3_1_1, 4)] {
        let t0 = Instant::now();
        let mut s = Session::new(cfg(version), t0);
        s.connect(t0);
        let refused =
            Packet::ConnAck(ConnAck { session_present: false, reason_code: code, properties: Properties::default() });
        let err = s.handle_packet(t0, refused, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, SessionError::Refused { auth: true, retry: false, .. }), "{err:?}");
        assert!(!err.may_retry());
        assert!(err.to_string().to_lowercase().contains("password"), "{err}");
        assert_eq!(s.connection_lost(), None, "no fallback after a refusal");
        assert_eq!(s.version(), version);
    }
}

#[test]
fn server_disconnect_is_an_error_with_its_reason() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let d =
        ReasonPacket { reason_code: 0x8B, properties: Properties(vec![Property::ReasonString("maintenance".into())]) };
    let err = s.handle_packet(t0, Packet::Disconnect(d), &mut Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "broker disconnected: Server shutting down: maintenance");
}

#[test]
fn broker_maximum_packet_size_is_honoured_for_outgoing_messages() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties(vec![Property::MaximumPacketSize(64)]));
    let mut out = Vec::new();
    let mut big = outgoing("t", QoS::AtLeastOnce);
    big.payload = Bytes::from(vec![0u8; 100]);
    s.publish(t0, 5, big, &mut out);
    assert!(sent(&out).is_empty());
    let SessionEvent::Published { token: 5, result: Err(why), .. } = events(&out)[0] else { panic!("no error") };
    assert!(why.contains("maximum packet size of 64"), "{why}");
    assert_eq!(s.unacked(), 0);
}

#[test]
fn publish_above_the_brokers_maximum_qos_is_refused() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties(vec![Property::MaximumQoS(0)]));
    let mut out = Vec::new();
    s.publish(t0, 5, outgoing("t", QoS::AtLeastOnce), &mut out);
    assert!(sent(&out).is_empty());
    assert!(matches!(events(&out)[0], SessionEvent::Published { result: Err(_), .. }));
}

#[test]
fn packet_ids_skip_zero_and_ids_in_use() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for token in 0..3 {
        s.publish(t0, token, outgoing("t", QoS::AtLeastOnce), &mut out);
    }
    for p in sent(&out) {
        if let Packet::Publish(p) = p {
            ids.push(p.packet_id.unwrap());
        }
    }
    assert_eq!(ids, [1, 2, 3]);
    // Wrap around: 65535 ids later, 1..3 are still in flight and must be skipped.
    out.clear();
    for token in 0..65_532u64 {
        s.publish(t0, token, outgoing("t", QoS::AtLeastOnce), &mut out);
        if let Some(Action::Send(Packet::Publish(p))) = out.last() {
            let id = p.packet_id.unwrap();
            out.clear();
            s.handle_packet(t0, Packet::PubAck(Ack::new(id)), &mut out).unwrap();
            out.clear();
        }
    }
    s.publish(t0, 0, outgoing("t", QoS::AtLeastOnce), &mut out);
    let Some(Action::Send(Packet::Publish(p))) = out.last() else { panic!("nothing sent") };
    assert_eq!(p.packet_id, Some(4));
}

#[test]
fn user_disconnect_sends_disconnect_and_stops() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.disconnect(t0, &mut out);
    assert_eq!(sent(&out), vec![&Packet::Disconnect(ReasonPacket::default())]);
    assert!(s.is_closing());
}

#[test]
fn subscribe_never_answered_ends_the_connection_after_three_connack_timeouts() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("a/#", QoS::AtLeastOnce)], &mut out);
    let wait = SessionConfig::default().connack_timeout * 3;
    // Keepalive answered all along: the broker is alive, it just never answers SUBSCRIBE.
    let deadline = s.next_deadline().unwrap();
    assert!(deadline <= t0 + wait, "{deadline:?}");
    let mut now = t0;
    while now < t0 + wait {
        now += Duration::from_secs(5);
        out.clear();
        match s.poll_timeout(now, &mut out) {
            Ok(()) => {
                if sent(&out).contains(&&Packet::PingReq) {
                    s.handle_packet(now, Packet::PingResp, &mut out).unwrap();
                }
            }
            Err(e) => {
                assert!(now >= t0 + wait, "ended early at {:?}: {e}", now - t0);
                assert_eq!(
                    e,
                    SessionError::RequestTimeout { request: "SUBSCRIBE", subject: "'a/#'".into(), after: wait }
                );
                assert!(e.to_string().contains("no answer (SUBACK) to SUBSCRIBE 'a/#'"), "{e}");
                return;
            }
        }
    }
    panic!("a SUBSCRIBE nobody answers never ended the connection");
}

#[test]
fn suback_for_an_unknown_id_does_not_count_as_the_answer() {
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("a", QoS::AtMostOnce)], &mut out);
    let wrong = SubAck { packet_id: 0x7f7f, properties: Properties::default(), reason_codes: vec![0] };
    s.handle_packet(t0, Packet::SubAck(wrong), &mut out).unwrap();
    let wait = SessionConfig::default().connack_timeout * 3;
    // Keepalive 10 s: answer every ping so only the missing SUBACK can end the connection.
    let mut now = t0;
    let err = loop {
        now += Duration::from_secs(1);
        assert!(now <= t0 + wait + Duration::from_secs(1), "no timeout");
        out.clear();
        match s.poll_timeout(now, &mut out) {
            Ok(()) if sent(&out).contains(&&Packet::PingReq) => {
                s.handle_packet(now, Packet::PingResp, &mut out).unwrap()
            }
            Ok(()) => {}
            Err(e) => break e,
        }
    };
    assert!(matches!(err, SessionError::RequestTimeout { request: "SUBSCRIBE", .. }), "{err:?}");
}

#[test]
fn unsubscribe_never_answered_ends_the_connection_and_an_answer_clears_the_deadline() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("a", QoS::AtMostOnce)], &mut out);
    let Some(Packet::Subscribe(req)) = sent(&out).first().copied().cloned() else { panic!("no SUBSCRIBE") };
    let ok = SubAck { packet_id: req.packet_id, properties: Properties::default(), reason_codes: vec![0] };
    s.handle_packet(t0, Packet::SubAck(ok), &mut out).unwrap();
    // Answered: only keepalive is left to wait for.
    assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(10)));
    out.clear();
    s.unsubscribe(t0, vec!["a".into()], &mut out);
    let wait = SessionConfig::default().connack_timeout * 3;
    let mut out = Vec::new();
    let err = s.poll_timeout(t0 + wait, &mut out).unwrap_err();
    assert_eq!(err, SessionError::RequestTimeout { request: "UNSUBSCRIBE", subject: "'a'".into(), after: wait });
}

#[test]
fn invalid_subscriptions_from_the_config_are_reported_not_sent() {
    let t0 = Instant::now();
    let subs = vec![sub("a/#/b", QoS::AtMostOnce), sub("ok/+", QoS::AtMostOnce)];
    let mut s = Session::new(SessionConfig { subscriptions: subs, ..cfg(ProtocolVersion::V5) }, t0);
    s.connect(t0);
    let mut out = Vec::new();
    s.handle_packet(t0, connack(false, Properties::default()), &mut out).unwrap();
    let invalid = out.iter().any(|a| {
        matches!(a, Action::Emit(SessionEvent::Subscribed { results, .. })
            if results.len() == 1 && results[0].0 == "a/#/b" && matches!(results[0].1, SubscribeOutcome::Invalid(_)))
    });
    assert!(invalid, "{out:?}");
    let Some(Packet::Subscribe(req)) = sent(&out).into_iter().find(|p| matches!(p, Packet::Subscribe(_))).cloned()
    else {
        panic!("no SUBSCRIBE for the valid filter: {out:?}")
    };
    let filters: Vec<&str> = req.subscriptions.iter().map(|x| &*x.filter).collect();
    assert_eq!(filters, ["ok/+"]);
}

#[test]
fn subscribe_larger_than_the_brokers_maximum_packet_size_is_refused_without_sending() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties(vec![Property::MaximumPacketSize(12)]));
    let mut out = Vec::new();
    s.subscribe(t0, vec![sub("a/long/filter", QoS::AtMostOnce)], &mut out);
    assert!(sent(&out).is_empty(), "MQTT 5 §3.2.2.3.6: nothing over the broker's maximum goes out: {out:?}");
    let Some(Action::Emit(SessionEvent::Subscribed { results, .. })) = out.first() else { panic!("{out:?}") };
    let SubscribeOutcome::Refused { code: 0x95, reason: why } = &results[0].1 else { panic!("{results:?}") };
    assert!(why.contains("exceeds the broker's maximum packet size of 12 bytes"), "{why}");
    // It is not made again at the next reconnect either.
    assert_eq!(s.subscriptions().count(), 0);
}

#[test]
fn v311_publishes_stay_within_the_clients_inflight_window() {
    // A 3.1.1 broker announces no receive maximum; without a window of our own mosquitto 2.0 drops
    // QoS 2 messages beyond its limit and aedes closes the connection.
    let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
    let mut out = Vec::new();
    for token in 0..50 {
        s.publish(t0, token, outgoing("t", QoS::ExactlyOnce), &mut out);
    }
    assert_eq!(sent(&out).len(), usize::from(super::state::DEFAULT_MAX_INFLIGHT));
    assert_eq!(s.queued(), 50 - usize::from(super::state::DEFAULT_MAX_INFLIGHT));
    out.clear();
    // PUBREC alone does not free the slot: the message is in flight until PUBCOMP.
    s.handle_packet(t0, Packet::PubRec(Ack::new(1)), &mut out).unwrap();
    assert_eq!(sent(&out), vec![&Packet::PubRel(Ack::new(1))]);
    out.clear();
    s.handle_packet(t0, Packet::PubComp(Ack::new(1)), &mut out).unwrap();
    assert!(matches!(sent(&out)[..], [Packet::Publish(_)]), "one slot freed, one more sent");
}

#[test]
fn max_inflight_bounds_v5_below_the_brokers_receive_maximum() {
    let t0 = Instant::now();
    let mut c = cfg(ProtocolVersion::V5);
    c.max_inflight = 3;
    for (receive_maximum, window) in [(100, 3), (2, 2)] {
        let mut s = Session::new(c.clone(), t0);
        s.connect(t0);
        let mut out = Vec::new();
        s.handle_packet(t0, connack(false, Properties(vec![Property::ReceiveMaximum(receive_maximum)])), &mut out)
            .unwrap();
        out.clear();
        for token in 0..10 {
            s.publish(t0, token, outgoing("t", QoS::AtLeastOnce), &mut out);
        }
        assert_eq!(sent(&out).len(), window, "receive maximum {receive_maximum}");
    }
}

#[test]
fn a_message_over_the_protocols_maximum_fails_at_once_and_names_the_limit() {
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce] {
        let (mut s, t0) = connected(ProtocolVersion::V3_1_1, Properties::default());
        let mut out = Vec::new();
        let mut big = outgoing("t", qos);
        // Zeroed pages are not touched: this costs no real memory.
        big.payload = Bytes::from(vec![0u8; crate::codec::MAX_REMAINING_LENGTH]);
        s.publish(t0, 5, big, &mut out);
        assert!(sent(&out).is_empty(), "{qos:?}: nothing may be sent");
        let SessionEvent::Published { token: 5, result: Err(why), .. } = events(&out)[0] else {
            panic!("{qos:?}: no error")
        };
        assert!(why.contains("268435455"), "{why}");
        assert_eq!(s.unacked(), 0);
    }
}

#[test]
fn a_message_over_the_protocols_maximum_fails_even_before_connecting() {
    let t0 = Instant::now();
    let mut s = Session::new(cfg(ProtocolVersion::V5), t0);
    let mut out = Vec::new();
    let mut big = outgoing("t", QoS::AtLeastOnce);
    big.payload = Bytes::from(vec![0u8; crate::codec::MAX_REMAINING_LENGTH]);
    s.publish(t0, 5, big, &mut out);
    assert!(matches!(events(&out)[..], [SessionEvent::Published { token: 5, result: Err(_), .. }]));
    assert_eq!((s.unacked(), s.queued()), (0, 0));
}

#[test]
fn a_property_the_encoder_would_refuse_fails_the_publish_instead_of_vanishing() {
    let (mut s, t0) = connected(ProtocolVersion::V5, Properties::default());
    let mut out = Vec::new();
    let mut p = outgoing("t", QoS::AtLeastOnce);
    p.properties = Properties(vec![Property::UserProperty("k".into(), "a\0b".into())]);
    s.publish(t0, 5, p, &mut out);
    assert!(sent(&out).is_empty());
    let SessionEvent::Published { token: 5, result: Err(why), .. } = events(&out)[0] else { panic!("no error") };
    assert!(why.contains("U+0000"), "{why}");
    assert_eq!(s.unacked(), 0);
}
