//! Property tests: every packet type, on MQTT 3.1/3.1.1 and 5.0, survives encode then decode
//! unchanged; a stream of many packets decodes the same under any split into reads; and no input
//! makes the decoder panic. Case counts are kept moderate so `cargo test` stays fast.

use bytes::{Bytes, BytesMut};
use mqscope::codec::reason;
use mqscope::codec::{
    Ack, ByteString, ConnAck, Connect, Decoder, LastWill, Packet, PacketType, Properties, Property, ProtocolVersion,
    Publish, QoS, ReasonPacket, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck,
    Unsubscribe, decode_frame, encode, encoded_len,
};
use proptest::prelude::*;
use proptest::sample::select;

const V4: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

// ---------------------------------------------------------------------------------------------
// Values

/// UTF-8 text without U+0000, with some multi-byte characters.
fn text(max: usize) -> impl Strategy<Value = ByteString> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9 /_.:ü€😀-]{{0,{max}}}"))
        .expect("valid regex")
        .prop_map(ByteString::from)
}

fn binary(max: usize) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

/// One topic level: no wildcards, no separator.
fn level() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z0-9 _$ü€-]{0,6}").expect("valid regex")
}

/// A valid, non-empty topic name (MQTT 5 §4.7): levels without wildcards, possibly empty ones.
fn topic_name() -> impl Strategy<Value = ByteString> {
    prop::collection::vec(level(), 1..5).prop_map(|levels| {
        let t = levels.join("/");
        if t.is_empty() { "t".into() } else { t.into() }
    })
}

/// A valid topic filter: `+` as whole levels, `#` only last, optionally shared (MQTT 5 §4.7.1, §4.8.2).
fn topic_filter() -> impl Strategy<Value = ByteString> {
    let one_level = prop_oneof![3 => level(), 1 => Just("+".to_string())];
    let share = proptest::option::weighted(0.2, proptest::string::string_regex("[a-z0-9]{1,4}").expect("valid regex"));
    (prop::collection::vec(one_level, 1..5), any::<bool>(), share).prop_map(|(mut levels, hash, share)| {
        if hash {
            levels.push("#".into());
        }
        let mut f = levels.join("/");
        if f.is_empty() {
            f = "#".into();
        }
        match share {
            Some(name) => format!("$share/{name}/{f}").into(),
            None => f.into(),
        }
    })
}

fn packet_id() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

fn qos() -> impl Strategy<Value = QoS> {
    select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

/// Every reason code defined for `packet` on `version`.
fn reason_code(packet: PacketType, version: ProtocolVersion) -> impl Strategy<Value = u8> {
    let codes: Vec<u8> = (0..=u8::MAX).filter(|&c| reason::name(packet, version, c).is_some()).collect();
    select(codes)
}

// ---------------------------------------------------------------------------------------------
// Properties: what each packet may carry (MQTT 5 §2.2.2.2 table 2-4)

type PropStrategy = BoxedStrategy<Property>;

fn flag() -> impl Strategy<Value = u8> {
    0..=1u8
}

fn session_expiry() -> PropStrategy {
    any::<u32>().prop_map(Property::SessionExpiryInterval).boxed()
}
fn receive_maximum() -> PropStrategy {
    (1..=u16::MAX).prop_map(Property::ReceiveMaximum).boxed()
}
fn maximum_packet_size() -> PropStrategy {
    (1..=u32::MAX).prop_map(Property::MaximumPacketSize).boxed()
}
fn topic_alias_maximum() -> PropStrategy {
    any::<u16>().prop_map(Property::TopicAliasMaximum).boxed()
}
fn auth_method() -> PropStrategy {
    text(10).prop_map(Property::AuthenticationMethod).boxed()
}
fn auth_data() -> PropStrategy {
    binary(10).prop_map(Property::AuthenticationData).boxed()
}
fn reason_string() -> PropStrategy {
    text(20).prop_map(Property::ReasonString).boxed()
}
fn server_reference() -> PropStrategy {
    text(10).prop_map(Property::ServerReference).boxed()
}
fn subscription_id() -> PropStrategy {
    (1..=268_435_455u32).prop_map(Property::SubscriptionIdentifier).boxed()
}
fn payload_format() -> PropStrategy {
    flag().prop_map(Property::PayloadFormatIndicator).boxed()
}
fn message_expiry() -> PropStrategy {
    any::<u32>().prop_map(Property::MessageExpiryInterval).boxed()
}
fn content_type() -> PropStrategy {
    text(10).prop_map(Property::ContentType).boxed()
}
fn response_topic() -> PropStrategy {
    topic_name().prop_map(Property::ResponseTopic).boxed()
}
fn correlation_data() -> PropStrategy {
    binary(10).prop_map(Property::CorrelationData).boxed()
}
fn user_property() -> PropStrategy {
    (text(6), text(6)).prop_map(|(k, v)| Property::UserProperty(k, v)).boxed()
}

/// Any subset of `once` (each at most once), `repeat` zero or more times each, user properties
/// zero or more times, all shuffled: the decoder keeps wire order, so any order must round-trip.
fn properties_with(once: Vec<PropStrategy>, repeat: Vec<PropStrategy>) -> impl Strategy<Value = Properties> {
    let singles: Vec<_> = once.into_iter().map(|s| proptest::option::weighted(0.3, s)).collect();
    let mut many: Vec<BoxedStrategy<Vec<Property>>> = vec![prop::collection::vec(user_property(), 0..3).boxed()];
    many.extend(repeat.into_iter().map(|s| prop::collection::vec(s, 0..3).boxed()));
    (singles, many)
        .prop_map(|(singles, many)| singles.into_iter().flatten().chain(many.into_iter().flatten()).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(Properties)
}

fn properties(once: Vec<PropStrategy>) -> impl Strategy<Value = Properties> {
    properties_with(once, vec![])
}

fn connect_props() -> impl Strategy<Value = Properties> {
    properties(vec![
        session_expiry(),
        receive_maximum(),
        maximum_packet_size(),
        topic_alias_maximum(),
        flag().prop_map(Property::RequestResponseInformation).boxed(),
        flag().prop_map(Property::RequestProblemInformation).boxed(),
        auth_method(),
        auth_data(),
    ])
}

fn will_props() -> impl Strategy<Value = Properties> {
    properties(vec![
        any::<u32>().prop_map(Property::WillDelayInterval).boxed(),
        payload_format(),
        message_expiry(),
        content_type(),
        response_topic(),
        correlation_data(),
    ])
}

fn connack_props() -> impl Strategy<Value = Properties> {
    properties(vec![
        session_expiry(),
        receive_maximum(),
        flag().prop_map(Property::MaximumQoS).boxed(),
        flag().prop_map(Property::RetainAvailable).boxed(),
        maximum_packet_size(),
        text(10).prop_map(Property::AssignedClientIdentifier).boxed(),
        topic_alias_maximum(),
        reason_string(),
        flag().prop_map(Property::WildcardSubscriptionAvailable).boxed(),
        flag().prop_map(Property::SubscriptionIdentifierAvailable).boxed(),
        flag().prop_map(Property::SharedSubscriptionAvailable).boxed(),
        any::<u16>().prop_map(Property::ServerKeepAlive).boxed(),
        text(10).prop_map(Property::ResponseInformation).boxed(),
        server_reference(),
        auth_method(),
        auth_data(),
    ])
}

fn publish_props() -> impl Strategy<Value = Properties> {
    properties_with(
        vec![
            payload_format(),
            message_expiry(),
            (1..=u16::MAX).prop_map(Property::TopicAlias).boxed(),
            response_topic(),
            correlation_data(),
            content_type(),
        ],
        // MQTT 5 §3.3.2.3.8: one subscription identifier per matching subscription.
        vec![subscription_id()],
    )
}

fn ack_props() -> impl Strategy<Value = Properties> {
    properties(vec![reason_string()])
}

fn disconnect_props() -> impl Strategy<Value = Properties> {
    properties(vec![session_expiry(), reason_string(), server_reference()])
}

fn auth_props() -> impl Strategy<Value = Properties> {
    properties(vec![auth_method(), auth_data(), reason_string()])
}

/// `props` on MQTT 5, nothing before.
fn props_for(v: ProtocolVersion, props: impl Strategy<Value = Properties> + 'static) -> BoxedStrategy<Properties> {
    if v.is_v5() { props.boxed() } else { Just(Properties::default()).boxed() }
}

// ---------------------------------------------------------------------------------------------
// Packets

fn connect(protocol: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let will =
        proptest::option::of((topic_name(), binary(20), qos(), any::<bool>(), props_for(protocol, will_props())))
            .prop_map(|w| {
                w.map(|(topic, payload, qos, retain, properties)| LastWill { topic, payload, qos, retain, properties })
            });
    let login = (proptest::option::of(text(10)), proptest::option::of(binary(10))).prop_map(move |(user, pass)| {
        // Before MQTT 5 a password needs a user name (MQTT 3.1.1 §3.1.2.9).
        if protocol.is_v5() || user.is_some() { (user, pass) } else { (None, None) }
    });
    (any::<bool>(), any::<u16>(), props_for(protocol, connect_props()), text(23), will, login, any::<bool>()).prop_map(
        move |(clean_start, keep_alive, properties, client_id, will, (username, password), bridge)| {
            Packet::Connect(Box::new(Connect {
                protocol,
                // The bridge bit exists before MQTT 5 only.
                bridge: bridge && !protocol.is_v5(),
                clean_start,
                keep_alive,
                properties,
                client_id,
                will,
                username,
                password,
            }))
        },
    )
}

fn connack(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    (any::<bool>(), reason_code(PacketType::ConnAck, v), props_for(v, connack_props())).prop_map(
        |(present, reason_code, properties)| {
            // Session present only on an accepted connection (MQTT 5 §3.2.2.1.1).
            let session_present = present && reason_code == 0;
            Packet::ConnAck(ConnAck { session_present, reason_code, properties })
        },
    )
}

fn publish(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    (qos(), any::<bool>(), any::<bool>(), topic_name(), packet_id(), props_for(v, publish_props()), binary(100))
        .prop_map(move |(qos, dup, retain, topic, id, properties, payload)| {
            let at_least_once = qos != QoS::AtMostOnce;
            // MQTT 5 §3.3.2.1: with a topic alias the topic name may be empty.
            let topic = if properties.topic_alias().is_some() && id % 2 == 0 { ByteString::new() } else { topic };
            Packet::Publish(Publish {
                dup: dup && at_least_once,
                qos,
                retain,
                topic,
                packet_id: at_least_once.then_some(id),
                properties,
                payload,
            })
        })
}

fn ack(v: ProtocolVersion, t: PacketType) -> impl Strategy<Value = Packet> {
    let code = if v.is_v5() { reason_code(t, v).boxed() } else { Just(0).boxed() };
    (packet_id(), code, props_for(v, ack_props())).prop_map(move |(packet_id, reason_code, properties)| {
        let a = Ack { packet_id, reason_code, properties };
        match t {
            PacketType::PubAck => Packet::PubAck(a),
            PacketType::PubRec => Packet::PubRec(a),
            PacketType::PubRel => Packet::PubRel(a),
            _ => Packet::PubComp(a),
        }
    })
}

fn subscription(v: ProtocolVersion) -> impl Strategy<Value = Subscription> {
    let handling = select(vec![RetainHandling::SendAtSubscribe, RetainHandling::SendIfNew, RetainHandling::DoNotSend]);
    (topic_filter(), qos(), any::<bool>(), any::<bool>(), handling).prop_map(move |(filter, qos, nl, rap, rh)| {
        let options = if v.is_v5() {
            // No local on a shared subscription is a protocol error (MQTT 5 §3.8.3.1).
            let no_local = nl && !filter.starts_with("$share/");
            SubscriptionOptions { qos, no_local, retain_as_published: rap, retain_handling: rh }
        } else {
            SubscriptionOptions::qos(qos)
        };
        Subscription { filter, options }
    })
}

fn subscribe(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let props = props_for(v, properties(vec![subscription_id()]));
    (packet_id(), props, prop::collection::vec(subscription(v), 1..5)).prop_map(
        |(packet_id, properties, subscriptions)| Packet::Subscribe(Subscribe { packet_id, properties, subscriptions }),
    )
}

fn suback(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let codes = prop::collection::vec(reason_code(PacketType::SubAck, v), 1..6);
    (packet_id(), props_for(v, ack_props()), codes).prop_map(|(packet_id, properties, reason_codes)| {
        Packet::SubAck(SubAck { packet_id, properties, reason_codes })
    })
}

fn unsubscribe(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let props = props_for(v, properties(vec![]));
    (packet_id(), props, prop::collection::vec(topic_filter(), 1..5)).prop_map(|(packet_id, properties, filters)| {
        Packet::Unsubscribe(Unsubscribe { packet_id, properties, filters })
    })
}

fn unsuback(v: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let codes = if v.is_v5() {
        prop::collection::vec(reason_code(PacketType::UnsubAck, v), 1..6).boxed()
    } else {
        Just(vec![]).boxed()
    };
    (packet_id(), props_for(v, ack_props()), codes).prop_map(|(packet_id, properties, reason_codes)| {
        Packet::UnsubAck(UnsubAck { packet_id, properties, reason_codes })
    })
}

fn disconnect(v: ProtocolVersion) -> BoxedStrategy<Packet> {
    if !v.is_v5() {
        return Just(Packet::Disconnect(ReasonPacket::default())).boxed();
    }
    (reason_code(PacketType::Disconnect, v), disconnect_props())
        .prop_map(|(reason_code, properties)| Packet::Disconnect(ReasonPacket { reason_code, properties }))
        .boxed()
}

fn auth() -> impl Strategy<Value = Packet> {
    (reason_code(PacketType::Auth, V5), auth_props())
        .prop_map(|(reason_code, properties)| Packet::Auth(ReasonPacket { reason_code, properties }))
}

/// Any packet valid on `v`. CONNECT names `v` itself, so it does not switch a decoder's version.
fn packet(v: ProtocolVersion) -> BoxedStrategy<Packet> {
    let mut all = vec![
        connect(v).boxed(),
        connack(v).boxed(),
        publish(v).boxed(),
        publish(v).boxed(), // the packet that matters most, twice as often
        ack(v, PacketType::PubAck).boxed(),
        ack(v, PacketType::PubRec).boxed(),
        ack(v, PacketType::PubRel).boxed(),
        ack(v, PacketType::PubComp).boxed(),
        subscribe(v).boxed(),
        suback(v).boxed(),
        unsubscribe(v).boxed(),
        unsuback(v).boxed(),
        Just(Packet::PingReq).boxed(),
        Just(Packet::PingResp).boxed(),
        disconnect(v),
    ];
    if v.is_v5() {
        all.push(auth().boxed());
    }
    proptest::strategy::Union::new(all).boxed()
}

// ---------------------------------------------------------------------------------------------
// Properties of the codec

fn roundtrip(v: ProtocolVersion, packet: &Packet) -> Result<(), TestCaseError> {
    let mut buf = BytesMut::new();
    encode(packet, v, &mut buf).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
    prop_assert_eq!(encoded_len(packet, v), Ok(buf.len()));
    let decoded = decode_frame(v, buf.freeze()).map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
    prop_assert_eq!(&decoded, packet);
    Ok(())
}

/// Feeds `wire` into a decoder in reads of the given sizes (cycled) and collects every packet.
fn decode_in_reads(v: ProtocolVersion, wire: &[u8], sizes: &[usize]) -> Result<Vec<Packet>, TestCaseError> {
    let mut decoder = Decoder::new(v);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    let mut at = 0;
    for &size in sizes.iter().cycle() {
        if at == wire.len() {
            break;
        }
        let end = (at + size).min(wire.len());
        buf.extend_from_slice(&wire[at..end]);
        at = end;
        while let Some(p) = decoder.decode(&mut buf).map_err(|e| TestCaseError::fail(format!("decode: {e}")))? {
            packets.push(p);
        }
    }
    prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
    prop_assert_eq!(decoder.consumed(), wire.len() as u64);
    Ok(packets)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_packet_round_trips_on_3_1_1(p in packet(V4)) {
        roundtrip(V4, &p)?;
    }

    #[test]
    fn every_packet_round_trips_on_5(p in packet(V5)) {
        roundtrip(V5, &p)?;
    }

    #[test]
    fn mqtt_3_1_connect_round_trips(p in connect(ProtocolVersion::V3_1)) {
        roundtrip(ProtocolVersion::V3_1, &p)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_5_stream_decodes_the_same_under_any_split(
        packets in prop::collection::vec(packet(V5), 1..20),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut wire = BytesMut::new();
        for p in &packets {
            encode(p, V5, &mut wire).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        }
        prop_assert_eq!(&decode_in_reads(V5, &wire, &sizes)?, &packets);
        prop_assert_eq!(&decode_in_reads(V5, &wire, &[1])?, &packets, "one byte at a time");
        prop_assert_eq!(&decode_in_reads(V5, &wire, &[wire.len()])?, &packets, "all at once");
    }

    #[test]
    fn a_3_1_1_stream_decodes_the_same_under_any_split(
        packets in prop::collection::vec(packet(V4), 1..20),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut wire = BytesMut::new();
        for p in &packets {
            encode(p, V4, &mut wire).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        }
        prop_assert_eq!(&decode_in_reads(V4, &wire, &sizes)?, &packets);
        prop_assert_eq!(&decode_in_reads(V4, &wire, &[1])?, &packets, "one byte at a time");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        version in select(vec![ProtocolVersion::V3_1, V4, V5]),
        max in select(vec![8usize, 64, 16 * 1024 * 1024]),
        chunk in 1usize..32,
    ) {
        let mut decoder = Decoder::new(version).with_max_packet_size(max);
        let mut buf = BytesMut::new();
        'feed: for piece in bytes.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(p)) => {
                        // Whatever decodes also encodes.
                        let v = if let Packet::Connect(c) = &p { c.protocol } else { decoder.version() };
                        prop_assert!(encoded_len(&p, v).is_ok());
                    }
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
        let _ = decode_frame(version, Bytes::from(bytes));
    }

    #[test]
    fn mutated_valid_packets_never_panic_and_reencode(
        p in packet(V5),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        // Valid packets with a few bytes changed reach deeper than random bytes do.
        let mut wire = BytesMut::new();
        encode(&p, V5, &mut wire).unwrap();
        for (at, byte) in flips {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        if let Ok(q) = decode_frame(V5, wire.freeze()) {
            let v = if let Packet::Connect(c) = &q { c.protocol } else { V5 };
            roundtrip(v, &q)?;
        }
    }
}

/// The generators are only as good as what they produce: check they reach every packet type and
/// produce non-empty property lists, empty topics with aliases, and shared subscriptions.
#[test]
fn generators_cover_every_packet_type_and_the_interesting_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::HashSet;
    let mut runner = TestRunner::deterministic();
    let strategy = packet(V5);
    let mut types = HashSet::new();
    let (mut with_props, mut aliased, mut shared, mut user_props) = (0, 0, 0, 0);
    for _ in 0..2000 {
        let p = strategy.new_tree(&mut runner).unwrap().current();
        types.insert(p.packet_type() as u8);
        match &p {
            Packet::Publish(p) => {
                with_props += usize::from(!p.properties.is_empty());
                aliased += usize::from(p.topic.is_empty());
                user_props += usize::from(p.properties.user_properties().count() > 1);
            }
            Packet::Subscribe(s) => {
                shared += usize::from(s.subscriptions.iter().any(|s| s.filter.starts_with("$share/")))
            }
            _ => {}
        }
    }
    assert_eq!(types.len(), 15, "{types:?}");
    assert!(
        with_props > 50 && aliased > 5 && shared > 5 && user_props > 5,
        "{with_props} {aliased} {shared} {user_props}"
    );
}
