//! Byte-exact vectors for every packet family, in MQTT 3.1, 3.1.1 and 5.0. Each vector decodes to
//! the whole expected struct and the struct encodes back to the same bytes. Where the specification
//! gives an example (MQTT 3.1.1 §3.1.2.10, §3.3.2.3, §3.8.3.1, §3.9.3, §3.10.3; MQTT 5 §3.1.2.11),
//! the vector is built from it.

use bytes::{Bytes, BytesMut};
use mqscope::codec::{
    Ack, ByteString, ConnAck, Connect, Decoder, LastWill, Packet, Properties, Property, ProtocolVersion, Publish, QoS,
    ReasonPacket, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, Unsubscribe,
    decode_frame, encode, encoded_len,
};
use pretty_assertions::assert_eq;

const V3: ProtocolVersion = ProtocolVersion::V3_1;
const V4: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

/// Decodes `bytes` (one frame and through the streaming decoder, one byte at a time), compares the
/// whole packet, then encodes `expected` and compares the bytes.
#[track_caller]
fn assert_vector(version: ProtocolVersion, bytes: &[u8], expected: Packet) {
    assert_decodes(version, bytes, &expected);
    let mut out = BytesMut::new();
    encode(&expected, version, &mut out).expect("encodes");
    assert_eq!(format!("{:02x?}", &out[..]), format!("{bytes:02x?}"), "encoded bytes");
    assert_eq!(encoded_len(&expected, version), Ok(bytes.len()), "encoded_len");
}

/// Decode only: for vectors that are valid but not in the shortest form the encoder writes.
#[track_caller]
fn assert_decodes(version: ProtocolVersion, bytes: &[u8], expected: &Packet) {
    let got = decode_frame(version, Bytes::copy_from_slice(bytes)).expect("decodes");
    assert_eq!(&got, expected);
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    for &b in bytes {
        buf.extend_from_slice(&[b]);
        if let Some(p) = decoder.decode(&mut buf).expect("streams") {
            packets.push(p);
        }
    }
    assert_eq!(packets, vec![expected.clone()], "streamed byte by byte");
    assert!(buf.is_empty());
    assert_eq!(decoder.consumed(), bytes.len() as u64);
}

fn s(v: &'static str) -> ByteString {
    ByteString::from_static(v)
}

fn b(v: &'static [u8]) -> Bytes {
    Bytes::from_static(v)
}

fn props(list: Vec<Property>) -> Properties {
    Properties(list)
}

fn user(k: &'static str, v: &'static str) -> Property {
    Property::UserProperty(s(k), s(v))
}

// ---------------------------------------------------------------------------------------------
// CONNECT

#[test]
fn connect_mqtt_3_1_uses_mqisdp_and_level_3() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 16, // CONNECT, remaining length 16
        0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', // protocol name "MQIsdp"
        0x03, // protocol level 3
        0b0000_0010, // flags: clean session
        0x00, 0x3c, // keep alive 60
        0x00, 0x02, b'c', b'1', // client id "c1"
    ];
    let connect = Connect {
        protocol: V3,
        bridge: false,
        clean_start: true,
        keep_alive: 60,
        properties: Properties::default(),
        client_id: s("c1"),
        will: None,
        username: None,
        password: None,
    };
    assert_vector(V3, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_from_a_mosquitto_bridge_has_the_bridge_bit_in_the_level() {
    // Sent by mosquitto 2.0.11 for `connection site1` (`cleansession true`, `clientid bridge-site1`).
    #[rustfmt::skip]
    let bytes = [
        0x10, 70, // CONNECT, remaining length 70
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name "MQTT"
        0x84, // protocol level 4 with the bridge bit
        0b0010_1110, // will retain, will QoS 1, will, clean session
        0x00, 0x3c, // keep alive 60
        0x00, 0x0c, b'b', b'r', b'i', b'd', b'g', b'e', b'-', b's', b'i', b't', b'e', b'1', // client id
        0x00, 0x29, // will topic, 41 bytes: "$SYS/broker/connection/bridge-site1/state"
        b'$', b'S', b'Y', b'S', b'/', b'b', b'r', b'o', b'k', b'e', b'r', b'/', b'c', b'o', b'n', b'n', b'e',
        b'c', b't', b'i', b'o', b'n', b'/', b'b', b'r', b'i', b'd', b'g', b'e', b'-', b's', b'i', b't', b'e',
        b'1', b'/', b's', b't', b'a', b't', b'e',
        0x00, 0x01, b'0', // will payload "0"
    ];
    let connect = Connect {
        protocol: V4,
        bridge: true,
        clean_start: true,
        keep_alive: 60,
        properties: Properties::default(),
        client_id: s("bridge-site1"),
        will: Some(LastWill {
            topic: s("$SYS/broker/connection/bridge-site1/state"),
            payload: Bytes::from_static(b"0"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::default(),
        }),
        username: None,
        password: None,
    };
    assert_vector(V4, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_levels_with_the_bridge_bit_other_than_3_and_4_are_refused() {
    for level in [0x85u8, 0x82, 0x80] {
        let bytes = [0x10, 10, 0x00, 0x04, b'M', b'Q', b'T', b'T', level, 0x02, 0x00, 0x3c, 0x00, 0x00];
        let mut buf = BytesMut::from(&bytes[..]);
        let err = mqscope::codec::Decoder::new(V5).decode(&mut buf).unwrap_err().to_string();
        assert!(err.contains(&format!("protocol level {level}")), "{level:#04x}: {err}");
    }
}

#[test]
fn connect_3_1_1_spec_example_with_will_user_and_password() {
    // MQTT 3.1.1 §3.1.2.10: flags 0xCE, keep alive 10.
    #[rustfmt::skip]
    let bytes = [
        0x10, 32, // CONNECT, remaining length 32
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name "MQTT"
        0x04, // protocol level 4
        0b1100_1110, // user name, password, will QoS 1, will, clean session
        0x00, 0x0a, // keep alive 10
        0x00, 0x03, b'a', b'b', b'c', // client id "abc"
        0x00, 0x03, b'w', b'/', b't', // will topic "w/t"
        0x00, 0x03, b'b', b'y', b'e', // will payload "bye"
        0x00, 0x01, b'u', // user name "u"
        0x00, 0x02, b'p', b'w', // password "pw"
    ];
    let connect = Connect {
        protocol: V4,
        bridge: false,
        clean_start: true,
        keep_alive: 10,
        properties: Properties::default(),
        client_id: s("abc"),
        will: Some(LastWill {
            topic: s("w/t"),
            payload: b(b"bye"),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::default(),
        }),
        username: Some(s("u")),
        password: Some(b(b"pw")),
    };
    assert_vector(V4, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_3_1_1_minimal_with_empty_client_id() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 12, // CONNECT, remaining length 12
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x04, // level 4
        0b0000_0010, // clean session
        0x00, 0x00, // keep alive 0 (off)
        0x00, 0x00, // client id ""
    ];
    let connect = Connect {
        protocol: V4,
        bridge: false,
        clean_start: true,
        keep_alive: 0,
        properties: Properties::default(),
        client_id: s(""),
        will: None,
        username: None,
        password: None,
    };
    assert_vector(V4, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_5_with_properties() {
    // MQTT 5 §3.1.2.11 example (session expiry 10), plus receive maximum and a user property.
    #[rustfmt::skip]
    let bytes = [
        0x10, 28, // CONNECT, remaining length 28
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x05, // level 5
        0b0000_0010, // clean start
        0x00, 0x0a, // keep alive 10
        15, // properties length
        0x11, 0x00, 0x00, 0x00, 0x0a, // session expiry interval 10
        0x21, 0x00, 0x14, // receive maximum 20
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property k=v
        0x00, 0x00, // client id ""
    ];
    let connect = Connect {
        protocol: V5,
        bridge: false,
        clean_start: true,
        keep_alive: 10,
        properties: props(vec![Property::SessionExpiryInterval(10), Property::ReceiveMaximum(20), user("k", "v")]),
        client_id: s(""),
        will: None,
        username: None,
        password: None,
    };
    assert_vector(V5, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_5_with_will_properties_user_and_password() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 58, // CONNECT, remaining length 58
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x05, // level 5
        0b1111_0110, // user name, password, will retain, will QoS 2, will, clean start
        0x00, 0x3c, // keep alive 60
        0x00, // no properties
        0x00, 0x02, b'i', b'd', // client id "id"
        21, // will properties length
        0x18, 0x00, 0x00, 0x00, 0x05, // will delay interval 5
        0x01, 0x01, // payload format indicator: UTF-8
        0x03, 0x00, 0x04, b't', b'e', b'x', b't', // content type "text"
        0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', // user property a=b
        0x00, 0x03, b'l', b'w', b't', // will topic "lwt"
        0x00, 0x04, b'g', b'o', b'n', b'e', // will payload "gone"
        0x00, 0x04, b'u', b's', b'e', b'r', // user name "user"
        0x00, 0x02, 0x01, 0x02, // password 01 02
    ];
    let connect = Connect {
        protocol: V5,
        bridge: false,
        clean_start: true,
        keep_alive: 60,
        properties: Properties::default(),
        client_id: s("id"),
        will: Some(LastWill {
            topic: s("lwt"),
            payload: b(b"gone"),
            qos: QoS::ExactlyOnce,
            retain: true,
            properties: props(vec![
                Property::WillDelayInterval(5),
                Property::PayloadFormatIndicator(1),
                Property::ContentType(s("text")),
                user("a", "b"),
            ]),
        }),
        username: Some(s("user")),
        password: Some(b(&[1, 2])),
    };
    assert_vector(V5, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_5_allows_a_password_without_a_user_name() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 16, // CONNECT, remaining length 16
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x05, // level 5
        0b0100_0000, // password only, no clean start
        0x00, 0x00, // keep alive 0
        0x00, // no properties
        0x00, 0x00, // client id ""
        0x00, 0x01, b'p', // password "p"
    ];
    let connect = Connect {
        protocol: V5,
        bridge: false,
        clean_start: false,
        keep_alive: 0,
        properties: Properties::default(),
        client_id: s(""),
        will: None,
        username: None,
        password: Some(b(b"p")),
    };
    assert_vector(V5, &bytes, Packet::Connect(Box::new(connect)));
}

#[test]
fn connect_switches_the_streaming_decoder_to_its_version() {
    let mut decoder = Decoder::new(V4);
    #[rustfmt::skip]
    let mut buf = BytesMut::from(
        &[
            0x10, 13, // CONNECT, remaining length 13
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x00, // MQTT 5, clean start
            0x00, // no properties
            0x00, 0x00, // client id ""
            0xe0, 0x01, 0x04, // DISCONNECT with will message: only valid on MQTT 5
        ][..],
    );
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(Packet::Connect(_)))));
    assert_eq!(decoder.version(), V5);
    let disconnect = ReasonPacket { reason_code: 0x04, properties: Properties::default() };
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Packet::Disconnect(disconnect))));
}

// ---------------------------------------------------------------------------------------------
// CONNACK

#[test]
fn connack_3_1_1_accepted_refused_and_session_present() {
    #[rustfmt::skip]
    let accepted = [
        0x20, 0x02, // CONNACK, remaining length 2
        0x00, // no session present
        0x00, // return code 0: accepted
    ];
    let ack = ConnAck { session_present: false, reason_code: 0, properties: Properties::default() };
    assert_vector(V4, &accepted, Packet::ConnAck(ack));

    let resumed = [0x20, 0x02, 0x01, 0x00]; // session present, accepted
    let ack = ConnAck { session_present: true, reason_code: 0, properties: Properties::default() };
    assert_vector(V4, &resumed, Packet::ConnAck(ack));

    let refused = [0x20, 0x02, 0x00, 0x05]; // return code 5: not authorized
    let ack = ConnAck { session_present: false, reason_code: 5, properties: Properties::default() };
    assert_vector(V4, &refused, Packet::ConnAck(ack.clone()));
    assert_vector(V3, &refused, Packet::ConnAck(ack));
}

#[test]
fn connack_5_with_properties() {
    #[rustfmt::skip]
    let bytes = [
        0x20, 14, // CONNACK, remaining length 14
        0x01, // session present
        0x00, // reason code: success
        11, // properties length
        0x22, 0x00, 0x0a, // topic alias maximum 10
        0x12, 0x00, 0x03, b'a', b'b', b'c', // assigned client identifier "abc"
        0x24, 0x01, // maximum QoS 1
    ];
    let ack = ConnAck {
        session_present: true,
        reason_code: 0,
        properties: props(vec![
            Property::TopicAliasMaximum(10),
            Property::AssignedClientIdentifier(s("abc")),
            Property::MaximumQoS(1),
        ]),
    };
    assert_vector(V5, &bytes, Packet::ConnAck(ack));
}

#[test]
fn connack_5_refused_without_properties() {
    #[rustfmt::skip]
    let bytes = [
        0x20, 0x03, // CONNACK, remaining length 3
        0x00, // no session present
        0x87, // reason code: not authorized
        0x00, // no properties
    ];
    let ack = ConnAck { session_present: false, reason_code: 0x87, properties: Properties::default() };
    assert_vector(V5, &bytes, Packet::ConnAck(ack));
}

#[test]
fn connack_5_carries_every_connack_property() {
    #[rustfmt::skip]
    let bytes = [
        0x20, 80, // CONNACK, remaining length 80
        0x00, 0x00, // flags, success
        77, // properties length
        0x11, 0x00, 0x00, 0x0e, 0x10, // session expiry interval 3600
        0x21, 0x01, 0x00, // receive maximum 256
        0x24, 0x00, // maximum QoS 0
        0x25, 0x01, // retain available
        0x27, 0x00, 0x01, 0x00, 0x00, // maximum packet size 65536
        0x12, 0x00, 0x01, b'c', // assigned client identifier "c"
        0x22, 0x00, 0x05, // topic alias maximum 5
        0x1f, 0x00, 0x02, b'o', b'k', // reason string "ok"
        0x26, 0x00, 0x01, b'x', 0x00, 0x00, // user property x=""
        0x28, 0x00, // wildcard subscription available: no
        0x29, 0x01, // subscription identifiers available
        0x2a, 0x00, // shared subscription available: no
        0x13, 0x00, 0x1e, // server keep alive 30
        0x1a, 0x00, 0x03, b'r', b'/', b'i', // response information "r/i"
        0x1c, 0x00, 0x04, b'h', b'o', b's', b't', // server reference "host"
        0x15, 0x00, 0x05, b'S', b'C', b'R', b'A', b'M', // authentication method "SCRAM"
        0x16, 0x00, 0x02, 0xde, 0xad, // authentication data de ad
        0x26, 0x00, 0x01, b'x', 0x00, 0x01, b'y', // user property x=y, repeated key kept in order
    ];
    let ack = ConnAck {
        session_present: false,
        reason_code: 0,
        properties: props(vec![
            Property::SessionExpiryInterval(3600),
            Property::ReceiveMaximum(256),
            Property::MaximumQoS(0),
            Property::RetainAvailable(1),
            Property::MaximumPacketSize(65536),
            Property::AssignedClientIdentifier(s("c")),
            Property::TopicAliasMaximum(5),
            Property::ReasonString(s("ok")),
            user("x", ""),
            Property::WildcardSubscriptionAvailable(0),
            Property::SubscriptionIdentifierAvailable(1),
            Property::SharedSubscriptionAvailable(0),
            Property::ServerKeepAlive(30),
            Property::ResponseInformation(s("r/i")),
            Property::ServerReference(s("host")),
            Property::AuthenticationMethod(s("SCRAM")),
            Property::AuthenticationData(b(&[0xde, 0xad])),
            user("x", "y"),
        ]),
    };
    assert_vector(V5, &bytes, Packet::ConnAck(ack));
}

// ---------------------------------------------------------------------------------------------
// PUBLISH

#[test]
fn publish_qos0_has_no_packet_id() {
    #[rustfmt::skip]
    let bytes = [
        0x30, 0x07, // PUBLISH, QoS 0, remaining length 7
        0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
        b'h', b'i', // payload
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: s("a/b"),
        packet_id: None,
        properties: Properties::default(),
        payload: b(b"hi"),
    };
    assert_vector(V4, &bytes, Packet::Publish(publish.clone()));
    assert_vector(V3, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_qos1_spec_example() {
    // MQTT 3.1.1 §3.3.2.3: topic "a/b", packet identifier 10.
    #[rustfmt::skip]
    let bytes = [
        0b0011_0010, 9, // PUBLISH, QoS 1, remaining length 9
        0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
        0x00, 0x0a, // packet id 10
        0xf1, 0xf2, // payload
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: s("a/b"),
        packet_id: Some(10),
        properties: Properties::default(),
        payload: b(&[0xf1, 0xf2]),
    };
    assert_vector(V4, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_qos2_dup_retain_with_empty_payload() {
    #[rustfmt::skip]
    let bytes = [
        0b0011_1101, 5, // PUBLISH, DUP, QoS 2, RETAIN, remaining length 5
        0x00, 0x01, b't', // topic "t"
        0x12, 0x34, // packet id 0x1234
    ];
    let publish = Publish {
        dup: true,
        qos: QoS::ExactlyOnce,
        retain: true,
        topic: s("t"),
        packet_id: Some(0x1234),
        properties: Properties::default(),
        payload: Bytes::new(),
    };
    assert_vector(V4, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_retained_qos0_with_utf8_topic() {
    #[rustfmt::skip]
    let bytes = [
        0b0011_0001, 9, // PUBLISH, QoS 0, RETAIN, remaining length 9
        0x00, 0x06, b'a', b'/', 0xc3, 0xbc, b'/', b' ', // topic "a/ü/ "
        0x00, // payload: one zero byte (payloads are opaque)
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: true,
        topic: s("a/ü/ "),
        packet_id: None,
        properties: Properties::default(),
        payload: b(&[0]),
    };
    assert_vector(V4, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_5_keeps_repeated_user_properties_and_subscription_ids_in_order() {
    #[rustfmt::skip]
    let bytes = [
        0b0011_0010, 54, // PUBLISH, QoS 1, remaining length 54
        0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
        0x00, 0x01, // packet id 1
        44, // properties length
        0x01, 0x01, // payload format indicator: UTF-8
        0x02, 0x00, 0x00, 0x00, 0x3c, // message expiry interval 60
        0x03, 0x00, 0x04, b'j', b's', b'o', b'n', // content type "json"
        0x08, 0x00, 0x03, b'r', b'/', b'1', // response topic "r/1"
        0x09, 0x00, 0x02, 0xca, 0xfe, // correlation data ca fe
        0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'1', // user property a=1
        0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'2', // user property a=2 (same name, kept)
        0x0b, 0x01, // subscription identifier 1
        0x0b, 0x80, 0x01, // subscription identifier 128 (two-byte variable integer)
        b'{', b'}', // payload
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: s("a/b"),
        packet_id: Some(1),
        properties: props(vec![
            Property::PayloadFormatIndicator(1),
            Property::MessageExpiryInterval(60),
            Property::ContentType(s("json")),
            Property::ResponseTopic(s("r/1")),
            Property::CorrelationData(b(&[0xca, 0xfe])),
            user("a", "1"),
            user("a", "2"),
            Property::SubscriptionIdentifier(1),
            Property::SubscriptionIdentifier(128),
        ]),
        payload: b(b"{}"),
    };
    assert_vector(V5, &bytes, Packet::Publish(publish.clone()));
    let Packet::Publish(p) = decode_frame(V5, Bytes::copy_from_slice(&bytes)).unwrap() else { unreachable!() };
    assert_eq!(p.properties.user_properties().collect::<Vec<_>>(), vec![("a", "1"), ("a", "2")]);
}

#[test]
fn publish_5_empty_topic_with_topic_alias() {
    #[rustfmt::skip]
    let bytes = [
        0x30, 7, // PUBLISH, QoS 0, remaining length 7
        0x00, 0x00, // topic "" (the alias stands in)
        3, // properties length
        0x23, 0x00, 0x05, // topic alias 5
        b'x', // payload
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: s(""),
        packet_id: None,
        properties: props(vec![Property::TopicAlias(5)]),
        payload: b(b"x"),
    };
    assert_vector(V5, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_5_without_properties_still_has_the_length_byte() {
    #[rustfmt::skip]
    let bytes = [
        0x30, 6, // PUBLISH, QoS 0, remaining length 6
        0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
        0x00, // properties length 0, empty payload
    ];
    let publish = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: s("a/b"),
        packet_id: None,
        properties: Properties::default(),
        payload: Bytes::new(),
    };
    assert_vector(V5, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_with_two_byte_remaining_length() {
    let mut bytes = vec![
        0x30, 0x83, 0x01, // PUBLISH, QoS 0, remaining length 131 (0x83 0x01)
        0x00, 0x01, b't', // topic "t"
    ];
    bytes.extend(std::iter::repeat_n(0xab, 128)); // payload: 128 bytes
    let publish = Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: false,
        topic: s("t"),
        packet_id: None,
        properties: Properties::default(),
        payload: Bytes::from(vec![0xab; 128]),
    };
    assert_vector(V4, &bytes, Packet::Publish(publish));
}

#[test]
fn publish_topic_and_payload_are_slices_of_the_read_buffer() {
    let bytes = Bytes::from_static(&[0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i']);
    let Packet::Publish(p) = decode_frame(V4, bytes.clone()).unwrap() else { unreachable!() };
    let range = bytes.as_ptr_range();
    assert!(range.contains(&p.payload.as_ptr()), "payload was copied");
    assert!(range.contains(&p.topic.as_bytes().as_ptr()), "topic was copied");
}

// ---------------------------------------------------------------------------------------------
// PUBACK, PUBREC, PUBREL, PUBCOMP

#[test]
fn acks_3_1_1_are_packet_id_only() {
    let cases: [(&[u8], Packet); 4] = [
        (&[0x40, 0x02, 0x00, 0x0a], Packet::PubAck(Ack::new(10))), // PUBACK, id 10
        (&[0x50, 0x02, 0x00, 0x0b], Packet::PubRec(Ack::new(11))), // PUBREC, id 11
        (&[0x62, 0x02, 0x00, 0x0c], Packet::PubRel(Ack::new(12))), // PUBREL (flags 0010), id 12
        (&[0x70, 0x02, 0xff, 0xff], Packet::PubComp(Ack::new(65535))), // PUBCOMP, id 65535
    ];
    for (bytes, packet) in cases {
        assert_vector(V4, bytes, packet.clone());
        assert_vector(V3, bytes, packet);
    }
}

#[test]
fn acks_5_short_form_remaining_length_2_means_success() {
    // MQTT 5 §3.4.2.1: no reason code and no properties when the reason is 0x00.
    let bytes = [0x40, 0x02, 0x00, 0x0a]; // PUBACK, id 10
    assert_vector(V5, &bytes, Packet::PubAck(Ack::new(10)));
    let bytes = [0x62, 0x02, 0x00, 0x01]; // PUBREL, id 1
    assert_vector(V5, &bytes, Packet::PubRel(Ack::new(1)));
}

#[test]
fn acks_5_remaining_length_3_is_reason_code_without_properties() {
    let ack = |packet_id, reason_code| Ack { packet_id, reason_code, properties: Properties::default() };
    let cases: [(&[u8], Packet); 4] = [
        (&[0x40, 0x03, 0x00, 0x0a, 0x10], Packet::PubAck(ack(10, 0x10))), // PUBACK: no matching subscribers
        (&[0x50, 0x03, 0x00, 0x01, 0x80], Packet::PubRec(ack(1, 0x80))),  // PUBREC: unspecified error
        (&[0x62, 0x03, 0x00, 0x02, 0x92], Packet::PubRel(ack(2, 0x92))),  // PUBREL: packet id not found
        (&[0x70, 0x03, 0x00, 0x03, 0x92], Packet::PubComp(ack(3, 0x92))), // PUBCOMP: packet id not found
    ];
    for (bytes, packet) in cases {
        assert_vector(V5, bytes, packet);
    }
}

#[test]
fn acks_5_with_reason_string_and_user_property() {
    #[rustfmt::skip]
    let bytes = [
        0x40, 17, // PUBACK, remaining length 17
        0x00, 0x0a, // packet id 10
        0x87, // reason code: not authorized
        13, // properties length
        0x1f, 0x00, 0x03, b'b', b'a', b'd', // reason string "bad"
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property k=v
    ];
    let ack = Ack {
        packet_id: 10,
        reason_code: 0x87,
        properties: props(vec![Property::ReasonString(s("bad")), user("k", "v")]),
    };
    assert_vector(V5, &bytes, Packet::PubAck(ack));

    #[rustfmt::skip]
    let bytes = [
        0x70, 10, // PUBCOMP, remaining length 10
        0x00, 0x07, // packet id 7
        0x00, // reason code: success (needed because properties follow)
        6, // properties length
        0x1f, 0x00, 0x03, b'y', b'e', b's', // reason string "yes"
    ];
    let ack = Ack { packet_id: 7, reason_code: 0, properties: props(vec![Property::ReasonString(s("yes"))]) };
    assert_vector(V5, &bytes, Packet::PubComp(ack));
}

#[test]
fn acks_5_success_with_empty_property_list_decodes_to_the_short_form() {
    #[rustfmt::skip]
    let bytes = [
        0x50, 0x04, // PUBREC, remaining length 4
        0x00, 0x05, // packet id 5
        0x00, // reason code: success
        0x00, // properties length 0
    ];
    assert_decodes(V5, &bytes, &Packet::PubRec(Ack::new(5)));
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE, SUBACK

#[test]
fn subscribe_3_1_1_spec_example() {
    // MQTT 3.1.1 §3.8.3.1: packet id 10, "a/b" QoS 1, "c/d" QoS 2.
    #[rustfmt::skip]
    let bytes = [
        0x82, 14, // SUBSCRIBE (flags 0010), remaining length 14
        0x00, 0x0a, // packet id 10
        0x00, 0x03, b'a', b'/', b'b', // filter "a/b"
        0x01, // QoS 1
        0x00, 0x03, b'c', b'/', b'd', // filter "c/d"
        0x02, // QoS 2
    ];
    let subscribe = Subscribe {
        packet_id: 10,
        properties: Properties::default(),
        subscriptions: vec![
            Subscription { filter: s("a/b"), options: SubscriptionOptions::qos(QoS::AtLeastOnce) },
            Subscription { filter: s("c/d"), options: SubscriptionOptions::qos(QoS::ExactlyOnce) },
        ],
    };
    assert_vector(V4, &bytes, Packet::Subscribe(subscribe));
}

#[test]
fn subscribe_5_options_no_local_retain_as_published_and_retain_handling() {
    #[rustfmt::skip]
    let bytes = [
        0x82, 37, // SUBSCRIBE, remaining length 37
        0x00, 0x01, // packet id 1
        9, // properties length
        0x0b, 0x05, // subscription identifier 5
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property k=v
        0x00, 0x03, b'a', b'/', b'+', // filter "a/+"
        0b0000_0101, // QoS 1, no local
        0x00, 0x03, b'b', b'/', b'#', // filter "b/#"
        0b0001_1010, // QoS 2, retain as published, retain handling 1
        0x00, 0x0a, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'c', // filter "$share/g/c"
        0b0010_0000, // QoS 0, retain handling 2
    ];
    let subscribe = Subscribe {
        packet_id: 1,
        properties: props(vec![Property::SubscriptionIdentifier(5), user("k", "v")]),
        subscriptions: vec![
            Subscription {
                filter: s("a/+"),
                options: SubscriptionOptions { qos: QoS::AtLeastOnce, no_local: true, ..Default::default() },
            },
            Subscription {
                filter: s("b/#"),
                options: SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: false,
                    retain_as_published: true,
                    retain_handling: RetainHandling::SendIfNew,
                },
            },
            Subscription {
                filter: s("$share/g/c"),
                options: SubscriptionOptions { retain_handling: RetainHandling::DoNotSend, ..Default::default() },
            },
        ],
    };
    assert_vector(V5, &bytes, Packet::Subscribe(subscribe));
}

#[test]
fn suback_3_1_1_spec_example() {
    // MQTT 3.1.1 §3.9.3: granted 0, 1, 2 and failure.
    #[rustfmt::skip]
    let bytes = [
        0x90, 6, // SUBACK, remaining length 6
        0x00, 0x0a, // packet id 10
        0x00, 0x01, 0x02, 0x80, // return codes
    ];
    let suback = SubAck { packet_id: 10, properties: Properties::default(), reason_codes: vec![0, 1, 2, 0x80] };
    assert_vector(V4, &bytes, Packet::SubAck(suback));
}

#[test]
fn suback_5_with_reason_string_and_failure_codes() {
    #[rustfmt::skip]
    let bytes = [
        0x90, 12, // SUBACK, remaining length 12
        0x00, 0x0a, // packet id 10
        5, // properties length
        0x1f, 0x00, 0x02, b'o', b'k', // reason string "ok"
        0x01, // granted QoS 1
        0x02, // granted QoS 2
        0x97, // quota exceeded
        0xa2, // wildcard subscriptions not supported
    ];
    let suback = SubAck {
        packet_id: 10,
        properties: props(vec![Property::ReasonString(s("ok"))]),
        reason_codes: vec![1, 2, 0x97, 0xa2],
    };
    assert_vector(V5, &bytes, Packet::SubAck(suback));
}

// ---------------------------------------------------------------------------------------------
// UNSUBSCRIBE, UNSUBACK

#[test]
fn unsubscribe_3_1_1_spec_example() {
    // MQTT 3.1.1 §3.10.3: "a/b" and "c/d".
    #[rustfmt::skip]
    let bytes = [
        0xa2, 12, // UNSUBSCRIBE (flags 0010), remaining length 12
        0x00, 0x0b, // packet id 11
        0x00, 0x03, b'a', b'/', b'b', // filter "a/b"
        0x00, 0x03, b'c', b'/', b'd', // filter "c/d"
    ];
    let unsubscribe =
        Unsubscribe { packet_id: 11, properties: Properties::default(), filters: vec![s("a/b"), s("c/d")] };
    assert_vector(V4, &bytes, Packet::Unsubscribe(unsubscribe));
}

#[test]
fn unsubscribe_5_with_user_property() {
    #[rustfmt::skip]
    let bytes = [
        0xa2, 15, // UNSUBSCRIBE, remaining length 15
        0x00, 0x0b, // packet id 11
        7, // properties length
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property k=v
        0x00, 0x03, b'a', b'/', b'#', // filter "a/#"
    ];
    let unsubscribe = Unsubscribe { packet_id: 11, properties: props(vec![user("k", "v")]), filters: vec![s("a/#")] };
    assert_vector(V5, &bytes, Packet::Unsubscribe(unsubscribe));
}

#[test]
fn unsuback_3_1_1_has_no_reason_codes() {
    let bytes = [
        0xb0, 0x02, // UNSUBACK, remaining length 2
        0x00, 0x0b, // packet id 11
    ];
    let unsuback = UnsubAck { packet_id: 11, properties: Properties::default(), reason_codes: vec![] };
    assert_vector(V4, &bytes, Packet::UnsubAck(unsuback));
}

#[test]
fn unsuback_5_has_one_reason_code_per_filter() {
    #[rustfmt::skip]
    let bytes = [
        0xb0, 0x05, // UNSUBACK, remaining length 5
        0x00, 0x0b, // packet id 11
        0x00, // no properties
        0x00, // success
        0x11, // no subscription existed
    ];
    let unsuback = UnsubAck { packet_id: 11, properties: Properties::default(), reason_codes: vec![0, 0x11] };
    assert_vector(V5, &bytes, Packet::UnsubAck(unsuback));
}

// ---------------------------------------------------------------------------------------------
// PINGREQ, PINGRESP, DISCONNECT, AUTH

#[test]
fn ping_request_and_response() {
    for v in [V3, V4, V5] {
        assert_vector(v, &[0xc0, 0x00], Packet::PingReq); // PINGREQ, remaining length 0
        assert_vector(v, &[0xd0, 0x00], Packet::PingResp); // PINGRESP, remaining length 0
    }
}

#[test]
fn disconnect_3_1_1_is_empty() {
    assert_vector(V4, &[0xe0, 0x00], Packet::Disconnect(ReasonPacket::default())); // DISCONNECT, remaining length 0
}

#[test]
fn disconnect_5_short_forms() {
    // Remaining length 0: normal disconnection (MQTT 5 §3.14.2.1).
    assert_vector(V5, &[0xe0, 0x00], Packet::Disconnect(ReasonPacket::default()));
    let bytes = [
        0xe0, 0x01, // DISCONNECT, remaining length 1
        0x04, // disconnect with will message
    ];
    let d = ReasonPacket { reason_code: 0x04, properties: Properties::default() };
    assert_vector(V5, &bytes, Packet::Disconnect(d));
}

#[test]
fn disconnect_5_with_properties() {
    #[rustfmt::skip]
    let bytes = [
        0xe0, 16, // DISCONNECT, remaining length 16
        0x8e, // session taken over
        14, // properties length
        0x11, 0x00, 0x00, 0x00, 0x00, // session expiry interval 0
        0x1f, 0x00, 0x01, b'x', // reason string "x"
        0x1c, 0x00, 0x02, b's', b'2', // server reference "s2"
    ];
    let d = ReasonPacket {
        reason_code: 0x8e,
        properties: props(vec![
            Property::SessionExpiryInterval(0),
            Property::ReasonString(s("x")),
            Property::ServerReference(s("s2")),
        ]),
    };
    assert_vector(V5, &bytes, Packet::Disconnect(d));
}

#[test]
fn auth_short_and_long_forms() {
    assert_vector(V5, &[0xf0, 0x00], Packet::Auth(ReasonPacket::default())); // AUTH, success
    #[rustfmt::skip]
    let bytes = [
        0xf0, 16, // AUTH, remaining length 16
        0x18, // continue authentication
        14, // properties length
        0x15, 0x00, 0x05, b'S', b'C', b'R', b'A', b'M', // authentication method "SCRAM"
        0x16, 0x00, 0x03, 0x01, 0x02, 0x03, // authentication data 01 02 03
    ];
    let a = ReasonPacket {
        reason_code: 0x18,
        properties: props(vec![
            Property::AuthenticationMethod(s("SCRAM")),
            Property::AuthenticationData(b(&[1, 2, 3])),
        ]),
    };
    assert_vector(V5, &bytes, Packet::Auth(a));
    let bytes = [0xf0, 0x01, 0x19]; // AUTH, re-authenticate, no properties
    assert_vector(V5, &bytes, Packet::Auth(ReasonPacket { reason_code: 0x19, properties: Properties::default() }));
}

// ---------------------------------------------------------------------------------------------
// Streams

#[test]
fn many_packets_in_one_read_come_out_one_at_a_time() {
    #[rustfmt::skip]
    let mut buf = BytesMut::from(
        &[
            0xc0, 0x00, // PINGREQ
            0x30, 0x04, 0x00, 0x01, b't', b'!', // PUBLISH "t" payload "!"
            0x40, 0x02, 0x00, 0x01, // PUBACK 1
            0x30, // first byte of a PUBLISH still to come
        ][..],
    );
    let mut decoder = Decoder::default();
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Packet::PingReq)));
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(Packet::Publish(_)))));
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Packet::PubAck(Ack::new(1)))));
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(&buf[..], &[0x30]);
    assert_eq!(decoder.consumed(), 12);
}

#[test]
fn a_large_packet_over_many_reads() {
    let publish = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: s("big/one"),
        packet_id: Some(7),
        properties: Properties::default(),
        payload: Bytes::from(vec![0x5a; 70_000]),
    };
    let mut wire = BytesMut::new();
    encode(&Packet::Publish(publish.clone()), V4, &mut wire).unwrap();
    assert_eq!(&wire[..4], &[0x32, 0xfb, 0xa2, 0x04]); // remaining length 70011 in three bytes
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    let mut got = None;
    for chunk in wire.chunks(1000) {
        assert!(got.is_none(), "packet came out early");
        buf.extend_from_slice(chunk);
        got = decoder.decode(&mut buf).unwrap();
    }
    assert_eq!(got, Some(Packet::Publish(publish)));
}
