//! Malformed input: one test per rule the decoder enforces. Each asserts the error kind, the field
//! and the byte offset (from the packet's first byte), through `decode_frame` and through the
//! streaming `Decoder` (where the offset in the stream is added).

use bytes::{Bytes, BytesMut};
use mqscope::codec::{DecodeError, Decoder, ErrorKind, Packet, ProtocolVersion, decode_frame};
use pretty_assertions::assert_eq;

const V3: ProtocolVersion = ProtocolVersion::V3_1;
const V4: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

/// Asserts `bytes` (one whole packet) fails with exactly this packet, field, offset and kind.
#[track_caller]
fn assert_malformed(v: ProtocolVersion, bytes: &[u8], packet: &str, field: &str, offset: usize, kind: ErrorKind) {
    let e = decode_frame(v, Bytes::copy_from_slice(bytes)).expect_err("must be rejected");
    assert_eq!((e.packet, e.field, e.offset, &e.kind), (packet, field, offset, &kind), "decode_frame {bytes:02x?}");
    // The streaming decoder, after a PINGREQ, reports the same error two bytes into the stream.
    let mut buf = BytesMut::from(&[0xc0, 0x00][..]);
    buf.extend_from_slice(bytes);
    let mut decoder = Decoder::new(v);
    assert_eq!(decoder.decode(&mut buf), Ok(Some(Packet::PingReq)));
    let streamed = decoder.decode(&mut buf).expect_err("streaming must reject too");
    assert_eq!(streamed, DecodeError { stream_offset: 2, ..e });
    assert_eq!(streamed.absolute_offset(), 2 + offset as u64);
}

fn invalid_filter(why: &'static str) -> ErrorKind {
    ErrorKind::InvalidTopicFilter(why)
}

// ---------------------------------------------------------------------------------------------
// Fixed header

#[test]
fn reserved_fixed_header_flags_are_rejected_for_every_type_but_publish() {
    // MQTT 5 §2.1.3: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0010, all others 0000.
    let cases = [
        (0x11, "CONNECT", 0, 1),
        (0x28, "CONNACK", 0, 8),
        (0x41, "PUBACK", 0, 1),
        (0x52, "PUBREC", 0, 2),
        (0x60, "PUBREL", 2, 0),
        (0x63, "PUBREL", 2, 3),
        (0x74, "PUBCOMP", 0, 4),
        (0x80, "SUBSCRIBE", 2, 0),
        (0x8a, "SUBSCRIBE", 2, 10),
        (0x92, "SUBACK", 0, 2),
        (0xa0, "UNSUBSCRIBE", 2, 0),
        (0xb1, "UNSUBACK", 0, 1),
        (0xcf, "PINGREQ", 0, 15),
        (0xd1, "PINGRESP", 0, 1),
        (0xe2, "DISCONNECT", 0, 2),
    ];
    for (byte, packet, expected, found) in cases {
        let kind = ErrorKind::ReservedFlags { expected, found };
        assert_malformed(V4, &[byte, 0x02, 0x00, 0x01], packet, "fixed header flags", 0, kind);
    }
    let kind = ErrorKind::ReservedFlags { expected: 0, found: 1 };
    assert_malformed(V5, &[0xf1, 0x00], "AUTH", "fixed header flags", 0, kind);
}

#[test]
fn reserved_flags_fail_from_the_first_byte_before_the_rest_arrives() {
    let mut buf = BytesMut::from(&[0x60][..]); // PUBREL with flags 0000
    let e = Decoder::default().decode(&mut buf).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ReservedFlags { expected: 2, found: 0 });
}

#[test]
fn packet_type_0_is_reserved() {
    assert_malformed(V4, &[0x00, 0x00], "packet", "packet type", 0, ErrorKind::ReservedPacketType(0));
    assert_malformed(V5, &[0x00, 0x00], "packet", "packet type", 0, ErrorKind::ReservedPacketType(0));
}

#[test]
fn auth_does_not_exist_before_mqtt_5() {
    assert_malformed(V4, &[0xf0, 0x00], "packet", "packet type", 0, ErrorKind::ReservedPacketType(15));
    assert_malformed(V3, &[0xf0, 0x00], "packet", "packet type", 0, ErrorKind::ReservedPacketType(15));
}

#[test]
fn remaining_length_of_five_bytes_is_rejected() {
    let bytes = [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]; // PUBLISH, continuation bit on the fourth byte
    assert_malformed(V4, &bytes, "PUBLISH", "remaining length", 1, ErrorKind::RemainingLengthTooLong);
    // Four 0x80 bytes are already enough to know, before a fifth arrives.
    let mut buf = BytesMut::from(&[0x30, 0x80, 0x80, 0x80, 0x80][..]);
    assert_eq!(Decoder::default().decode(&mut buf).unwrap_err().kind, ErrorKind::RemainingLengthTooLong);
}

#[test]
fn remaining_length_must_be_minimally_encoded() {
    let bytes = [0xc0, 0x80, 0x00]; // PINGREQ, remaining length 0 written in two bytes
    assert_malformed(V4, &bytes, "PINGREQ", "remaining length", 1, ErrorKind::NonMinimalVarInt);
}

#[test]
fn packet_over_the_maximum_size_fails_as_soon_as_the_header_is_read() {
    let mut decoder = Decoder::new(V4).with_max_packet_size(10);
    // PUBLISH of 11 bytes: only the fixed header has arrived.
    let mut buf = BytesMut::from(&[0x30, 0x09][..]);
    let e = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        (e.packet, e.field, e.offset, e.kind),
        ("PUBLISH", "remaining length", 1, ErrorKind::PacketTooLarge { len: 11, max: 10 })
    );
    // A packet of exactly the maximum is fine.
    let mut decoder = Decoder::new(V4).with_max_packet_size(10);
    let mut buf = BytesMut::from(&[0x30, 0x08, 0x00, 0x01, b't', 1, 2, 3, 4, 5][..]);
    assert!(matches!(decoder.decode(&mut buf), Ok(Some(Packet::Publish(_)))));
    // The default maximum (16 MiB) is announced without allocating anything for it.
    let mut buf = BytesMut::from(&[0x30, 0xff, 0xff, 0xff, 0x7f][..]);
    let e = Decoder::default().decode(&mut buf).unwrap_err();
    assert_eq!(e.kind, ErrorKind::PacketTooLarge { len: 268_435_460, max: 16 * 1024 * 1024 });
}

#[test]
fn an_announced_length_does_not_grow_the_buffer() {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(&[0x30, 0xfa, 0xff, 0xff, 0x07][..]); // a 16 MiB - 1 byte packet announced
    let before = buf.capacity();
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(buf.capacity(), before);
}

#[test]
fn decode_frame_rejects_short_and_long_frames() {
    let e = decode_frame(V4, Bytes::from_static(&[0x30])).unwrap_err();
    assert_eq!((e.field, e.offset, e.kind), ("fixed header", 1, ErrorKind::Truncated));
    let e = decode_frame(V4, Bytes::from_static(&[0x30, 0x05, 0x00, 0x01, b't'])).unwrap_err();
    assert_eq!((e.packet, e.field, e.offset, e.kind), ("PUBLISH", "remaining length", 1, ErrorKind::Truncated));
    let e = decode_frame(V4, Bytes::from_static(&[0xc0, 0x00, 0xc0, 0x00])).unwrap_err();
    assert_eq!((e.packet, e.field, e.offset, e.kind), ("PINGREQ", "end of packet", 2, ErrorKind::TrailingBytes(2)));
}

// ---------------------------------------------------------------------------------------------
// UTF-8 strings (MQTT 5 §1.5.4)

/// PUBLISH QoS 0 whose topic is `topic` and payload "p".
fn publish_with_topic(topic: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x30, (2 + topic.len() + 1) as u8, 0x00, topic.len() as u8];
    bytes.extend_from_slice(topic);
    bytes.push(b'p');
    bytes
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    // topic "a" 0xff "b": the string starts at byte 4, the bad byte is byte 5.
    let bytes = publish_with_topic(&[b'a', 0xff, b'b']);
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 5, ErrorKind::InvalidUtf8);
    // A sequence cut short by the end of the string.
    let bytes = publish_with_topic(&[b'a', b'b', 0xe2, 0x82]);
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 6, ErrorKind::InvalidUtf8);
}

#[test]
fn overlong_utf8_is_rejected() {
    let bytes = publish_with_topic(&[0xc0, 0x80]); // U+0000 as two bytes
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 4, ErrorKind::InvalidUtf8);
    let bytes = publish_with_topic(&[b'a', 0xe0, 0x80, 0xaf]); // '/' as three bytes
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 5, ErrorKind::InvalidUtf8);
    let bytes = publish_with_topic(&[0xf0, 0x80, 0x80, 0xaf]); // '/' as four bytes
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 4, ErrorKind::InvalidUtf8);
}

#[test]
fn surrogates_and_code_points_past_u10ffff_are_rejected() {
    let bytes = publish_with_topic(&[0xed, 0xa0, 0x80]); // U+D800
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 4, ErrorKind::InvalidUtf8);
    let bytes = publish_with_topic(&[b'x', 0xed, 0xbf, 0xbf]); // U+DFFF
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 5, ErrorKind::InvalidUtf8);
    let bytes = publish_with_topic(&[0xf4, 0x90, 0x80, 0x80]); // U+110000
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 4, ErrorKind::InvalidUtf8);
}

#[test]
fn u0000_is_rejected_in_strings() {
    let bytes = publish_with_topic(&[b'a', b'/', 0x00]);
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 6, ErrorKind::NullCharacter);
    // In a CONNECT client identifier.
    #[rustfmt::skip]
    let bytes = [
        0x10, 14, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x00, // MQTT 3.1.1, clean session
        0x00, 0x02, b'c', 0x00, // client id "c\0"
    ];
    assert_malformed(V4, &bytes, "CONNECT", "client identifier", 15, ErrorKind::NullCharacter);
}

#[test]
fn strings_in_properties_are_checked_too() {
    #[rustfmt::skip]
    let bytes = [
        0x30, 12, // PUBLISH, QoS 0
        0x00, 0x01, b't', // topic "t"
        8, // properties length
        0x26, 0x00, 0x02, b'k', 0xff, 0x00, 0x01, b'v', // user property with a bad name, 0xff at byte 10
    ];
    assert_malformed(V5, &bytes, "PUBLISH", "user_property name", 10, ErrorKind::InvalidUtf8);
}

// ---------------------------------------------------------------------------------------------
// Topics (MQTT 5 §4.7)

#[test]
fn wildcards_in_topic_names_are_rejected() {
    // The offset is the wildcard's: the topic's bytes start at byte 4.
    for (topic, at) in [(&b"a/+"[..], 6), (b"#", 4), (b"a/b#", 7), (b"+", 4), (b"a/b/c/d/e/f/g/h/+", 20)] {
        let bytes = publish_with_topic(topic);
        assert_malformed(V4, &bytes, "PUBLISH", "topic name", at, ErrorKind::WildcardInTopicName);
    }
    #[rustfmt::skip]
    let bytes = [
        0x10, 20, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0b0000_0110, 0x00, 0x00, // MQTT 3.1.1, will, clean session
        0x00, 0x00, // client id ""
        0x00, 0x03, b'w', b'/', b'#', // will topic "w/#"
        0x00, 0x01, b'x', // will payload "x"
    ];
    assert_malformed(V4, &bytes, "CONNECT", "will topic", 18, ErrorKind::WildcardInTopicName);
}

#[test]
fn empty_topic_name_needs_a_topic_alias() {
    let bytes = [0x30, 0x03, 0x00, 0x00, b'x']; // PUBLISH, topic "", payload "x"
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 2, ErrorKind::EmptyTopic);
    let bytes = [0x30, 0x04, 0x00, 0x00, 0x00, b'x']; // MQTT 5, no properties
    assert_malformed(V5, &bytes, "PUBLISH", "topic name", 2, ErrorKind::EmptyTopic);
    #[rustfmt::skip]
    let bytes = [
        0x10, 17, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0b0000_0110, 0x00, 0x00, // MQTT 3.1.1, will, clean session
        0x00, 0x00, // client id ""
        0x00, 0x00, // will topic ""
        0x00, 0x01, b'x', // will payload "x"
    ];
    assert_malformed(V4, &bytes, "CONNECT", "will topic", 14, ErrorKind::EmptyTopic);
}

/// SUBSCRIBE (3.1.1) with one filter and QoS 0.
fn subscribe_with_filter(filter: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x82, (2 + 2 + filter.len() + 1) as u8, 0x00, 0x01, 0x00, filter.len() as u8];
    bytes.extend_from_slice(filter);
    bytes.push(0x00);
    bytes
}

#[test]
fn invalid_topic_filters_are_rejected() {
    let hash = invalid_filter("'#' must be the whole last level");
    let plus = invalid_filter("'+' must be a whole level");
    let cases: [(&[u8], ErrorKind); 7] = [
        (b"a/#/b", hash.clone()),
        (b"a/b#", hash.clone()),
        (b"#/", hash),
        (b"a+/b", plus.clone()),
        (b"a/+b", plus),
        (b"", ErrorKind::EmptyTopic),
        (b"$share/g", invalid_filter("shared subscription needs '$share/NAME/FILTER'")),
    ];
    for (filter, kind) in cases {
        let bytes = subscribe_with_filter(filter);
        assert_malformed(V4, &bytes, "SUBSCRIBE", "topic filter", 4, kind);
    }
    #[rustfmt::skip]
    let bytes = [
        0xa2, 12, // UNSUBSCRIBE
        0x00, 0x01, // packet id 1
        0x00, 0x01, b'a', // filter "a"
        0x00, 0x03, b'a', b'+', b'/', // filter "a+/": the second one is bad
        0x00, 0x00,
    ];
    assert_malformed(V4, &bytes[..14], "UNSUBSCRIBE", "topic filter", 7, invalid_filter("'+' must be a whole level"));
}

#[test]
fn shared_subscription_rules() {
    // MQTT 5 §4.8.2: the share name is non-empty and has no wildcards; no local is forbidden (§3.8.3.1).
    let bad_name = invalid_filter("share name must be non-empty and without wildcards");
    assert_malformed(V4, &subscribe_with_filter(b"$share/+/a"), "SUBSCRIBE", "topic filter", 4, bad_name.clone());
    assert_malformed(V4, &subscribe_with_filter(b"$share//a"), "SUBSCRIBE", "topic filter", 4, bad_name);
    #[rustfmt::skip]
    let bytes = [
        0x82, 16, // SUBSCRIBE
        0x00, 0x01, // packet id 1
        0x00, // no properties
        0x00, 0x0a, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'c', // "$share/g/c"
        0b0000_0100, // no local
    ];
    let kind = ErrorKind::Invalid("no local set on a shared subscription");
    assert_malformed(V5, &bytes, "SUBSCRIBE", "subscription options", 5, kind);
}

// ---------------------------------------------------------------------------------------------
// PUBLISH flags and packet identifiers

#[test]
fn qos_3_is_rejected() {
    let bytes = [0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01]; // PUBLISH, QoS bits 11
    assert_malformed(V4, &bytes, "PUBLISH", "fixed header flags", 0, ErrorKind::InvalidQoS(3));
    let bytes = subscribe_with_filter(b"a");
    let mut bytes = bytes.clone();
    *bytes.last_mut().unwrap() = 0x03; // subscription options: QoS 3
    assert_malformed(V4, &bytes, "SUBSCRIBE", "subscription options", 7, ErrorKind::InvalidQoS(3));
    #[rustfmt::skip]
    let bytes = [
        0x10, 12, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0b0001_1110, 0x00, 0x00, // will QoS 3
        0x00, 0x00,
    ];
    assert_malformed(V4, &bytes, "CONNECT", "will QoS", 9, ErrorKind::InvalidQoS(3));
}

#[test]
fn dup_on_qos_0_is_rejected() {
    let bytes = [0x38, 0x03, 0x00, 0x01, b't']; // PUBLISH, DUP, QoS 0
    assert_malformed(V4, &bytes, "PUBLISH", "fixed header flags", 0, ErrorKind::DupOnQoS0);
}

#[test]
fn packet_identifier_0_is_rejected_wherever_one_is_required() {
    let id = "packet identifier";
    let zero = ErrorKind::ZeroPacketId;
    assert_malformed(V4, &[0x32, 0x07, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x00], "PUBLISH", id, 7, zero.clone());
    assert_malformed(V4, &[0x40, 0x02, 0x00, 0x00], "PUBACK", id, 2, zero.clone());
    assert_malformed(V4, &[0x50, 0x02, 0x00, 0x00], "PUBREC", id, 2, zero.clone());
    assert_malformed(V4, &[0x62, 0x02, 0x00, 0x00], "PUBREL", id, 2, zero.clone());
    assert_malformed(V5, &[0x70, 0x03, 0x00, 0x00, 0x00], "PUBCOMP", id, 2, zero.clone());
    assert_malformed(V4, &[0x82, 0x06, 0x00, 0x00, 0x00, 0x01, b'a', 0x00], "SUBSCRIBE", id, 2, zero.clone());
    assert_malformed(V4, &[0x90, 0x03, 0x00, 0x00, 0x00], "SUBACK", id, 2, zero.clone());
    assert_malformed(V4, &[0xa2, 0x05, 0x00, 0x00, 0x00, 0x01, b'a'], "UNSUBSCRIBE", id, 2, zero.clone());
    assert_malformed(V4, &[0xb0, 0x02, 0x00, 0x00], "UNSUBACK", id, 2, zero);
}

// ---------------------------------------------------------------------------------------------
// Properties (MQTT 5 §2.2.2)

/// MQTT 5 PUBLISH QoS 0 on topic "t" with this property block (without its length) and payload "p".
fn publish_with_properties(props: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x30, (3 + 1 + props.len() + 1) as u8, 0x00, 0x01, b't', props.len() as u8];
    bytes.extend_from_slice(props);
    bytes.push(b'p');
    bytes
}

#[test]
fn a_property_that_may_appear_once_appears_twice() {
    let props = [
        0x02, 0x00, 0x00, 0x00, 0x01, // message expiry interval 1 (bytes 6..11)
        0x02, 0x00, 0x00, 0x00, 0x02, // again, at byte 11
    ];
    let kind = ErrorKind::DuplicateProperty("message_expiry_interval");
    assert_malformed(V5, &publish_with_properties(&props), "PUBLISH", "message_expiry_interval", 11, kind);
    // Subscription identifiers repeat in PUBLISH but not in SUBSCRIBE (MQTT 5 §3.8.2.1.2).
    #[rustfmt::skip]
    let bytes = [
        0x82, 11, // SUBSCRIBE
        0x00, 0x01, // packet id 1
        0x04, // properties length
        0x0b, 0x01, // subscription identifier 1
        0x0b, 0x02, // again, at byte 7
        0x00, 0x01, b'a', 0x00, // filter "a", QoS 0
    ];
    let kind = ErrorKind::DuplicateProperty("subscription_identifier");
    assert_malformed(V5, &bytes, "SUBSCRIBE", "subscription_identifier", 7, kind);
}

#[test]
fn a_property_not_allowed_in_the_packet_is_rejected() {
    // Server keep alive is for CONNACK only.
    let bytes = publish_with_properties(&[0x13, 0x00, 0x0a]);
    let kind = ErrorKind::PropertyNotAllowed("server_keep_alive");
    assert_malformed(V5, &bytes, "PUBLISH", "server_keep_alive", 6, kind);
    // Will delay interval belongs in the will properties, not in CONNECT's own.
    #[rustfmt::skip]
    let bytes = [
        0x10, 18, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x00, // MQTT 5, clean start
        0x05, // properties length
        0x18, 0x00, 0x00, 0x00, 0x01, // will delay interval, at byte 13
        0x00, 0x00, // client id ""
    ];
    let kind = ErrorKind::PropertyNotAllowed("will_delay_interval");
    assert_malformed(V5, &bytes, "CONNECT", "will_delay_interval", 13, kind);
    // Topic alias is not allowed in a will (MQTT 5 §3.1.3.2).
    #[rustfmt::skip]
    let bytes = [
        0x10, 22, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0b0000_0110, 0x00, 0x00, // MQTT 5, will, clean start
        0x00, // no properties
        0x00, 0x00, // client id ""
        0x03, // will properties length
        0x23, 0x00, 0x01, // topic alias 1, at byte 16
        0x00, 0x01, b'w', // will topic "w"
        0x00, 0x00, // will payload ""
    ];
    assert_malformed(V5, &bytes, "CONNECT", "topic_alias", 16, ErrorKind::PropertyNotAllowed("topic_alias"));
    // Reason string in DISCONNECT is fine, topic alias is not.
    let bytes = [0xe0, 0x05, 0x00, 0x03, 0x23, 0x00, 0x01];
    assert_malformed(V5, &bytes, "DISCONNECT", "topic_alias", 4, ErrorKind::PropertyNotAllowed("topic_alias"));
}

#[test]
fn unknown_property_identifiers_are_rejected() {
    for id in [0x00, 0x04, 0x0a, 0x14, 0x2b, 0x7f] {
        let bytes = publish_with_properties(&[id, 0x00]);
        assert_malformed(V5, &bytes, "PUBLISH", "property identifier", 6, ErrorKind::UnknownProperty(u32::from(id)));
    }
    // Identifiers are variable byte integers: 0x80 0x01 is 128.
    let bytes = publish_with_properties(&[0x80, 0x01]);
    assert_malformed(V5, &bytes, "PUBLISH", "property identifier", 6, ErrorKind::UnknownProperty(128));
}

#[test]
fn property_values_out_of_range_are_rejected() {
    let cases: [(&[u8], &str); 5] = [
        (&[0x01, 0x02], "payload_format_indicator"), // only 0 or 1
        (&[0x23, 0x00, 0x00], "topic_alias"),        // 0 is not a topic alias
        (&[0x0b, 0x00], "subscription_identifier"),  // 0 is not a subscription identifier
        (&[0x01, 0xff], "payload_format_indicator"),
        (&[0x23, 0x00, 0x00, 0x01, 0x00], "topic_alias"),
    ];
    for (props, name) in cases {
        let bytes = publish_with_properties(props);
        assert_malformed(V5, &bytes, "PUBLISH", name, 6, ErrorKind::InvalidPropertyValue(name));
    }
    let connack = |props: &[u8]| {
        let mut bytes = vec![0x20, (3 + props.len()) as u8, 0x00, 0x00, props.len() as u8];
        bytes.extend_from_slice(props);
        bytes
    };
    let cases: [(&[u8], &str); 7] = [
        (&[0x21, 0x00, 0x00], "receive_maximum"),
        (&[0x27, 0x00, 0x00, 0x00, 0x00], "maximum_packet_size"),
        (&[0x24, 0x02], "maximum_qos"),
        (&[0x25, 0x02], "retain_available"),
        (&[0x28, 0x02], "wildcard_subscription_available"),
        (&[0x29, 0x02], "subscription_identifier_available"),
        (&[0x2a, 0x02], "shared_subscription_available"),
    ];
    for (props, name) in cases {
        assert_malformed(V5, &connack(props), "CONNACK", name, 5, ErrorKind::InvalidPropertyValue(name));
    }
}

#[test]
fn subscription_identifier_must_be_a_minimal_variable_byte_integer() {
    let bytes = publish_with_properties(&[0x0b, 0x81, 0x00]); // 1 written in two bytes
    assert_malformed(V5, &bytes, "PUBLISH", "subscription_identifier", 7, ErrorKind::NonMinimalVarInt);
}

#[test]
fn property_errors_point_into_the_packet_even_with_bytes_after_the_properties() {
    // A long payload after the properties must not shift the reported offset.
    let mut bytes = publish_with_properties(&[0x01, 0x07]);
    bytes.extend_from_slice(&[b'z'; 50]);
    bytes[1] += 50;
    let kind = ErrorKind::InvalidPropertyValue("payload_format_indicator");
    assert_malformed(V5, &bytes, "PUBLISH", "payload_format_indicator", 6, kind);
}

// ---------------------------------------------------------------------------------------------
// Lengths

#[test]
fn lengths_running_past_the_packet_are_truncated_errors() {
    // Topic length 10 in a 5-byte PUBLISH body.
    let bytes = [0x30, 0x05, 0x00, 0x0a, b'a', b'b', b'c'];
    assert_malformed(V4, &bytes, "PUBLISH", "topic name", 4, ErrorKind::Truncated);
    // Packet id missing.
    let bytes = [0x32, 0x03, 0x00, 0x01, b't'];
    assert_malformed(V4, &bytes, "PUBLISH", "packet identifier", 5, ErrorKind::Truncated);
    // Property length 9 with 2 bytes left.
    let bytes = [0x30, 0x06, 0x00, 0x01, b't', 0x09, 0x01, 0x01];
    assert_malformed(V5, &bytes, "PUBLISH", "property length", 6, ErrorKind::Truncated);
    // A property value running past the property list, though the packet goes on.
    #[rustfmt::skip]
    let bytes = [
        0x30, 10, // PUBLISH
        0x00, 0x01, b't', // topic "t"
        0x02, // properties length 2
        0x02, 0x00, // message expiry interval needs four bytes
        0x00, 0x00, 0x00, 0x00, // payload
    ];
    assert_malformed(V5, &bytes, "PUBLISH", "message_expiry_interval", 7, ErrorKind::Truncated);
    // A string in a property running past the property list.
    #[rustfmt::skip]
    let bytes = [
        0x30, 10, // PUBLISH
        0x00, 0x01, b't', // topic "t"
        0x03, // properties length 3
        0x03, 0x00, 0x05, // content type of 5 bytes, none inside the list
        b'h', b'e', b'l', // payload
    ];
    assert_malformed(V5, &bytes, "PUBLISH", "content_type", 9, ErrorKind::Truncated);
    // CONNECT password length past the end.
    #[rustfmt::skip]
    let bytes = [
        0x10, 16, // CONNECT
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0b1100_0010, 0x00, 0x00, // user name, password
        0x00, 0x00, // client id ""
        0x00, 0x00, // user name ""
        0x00, 0x05, // password of 5 bytes: none left
    ];
    assert_malformed(V4, &bytes, "CONNECT", "password", 18, ErrorKind::Truncated);
    // MQTT 5 CONNACK without its property length.
    assert_malformed(V5, &[0x20, 0x02, 0x00, 0x00], "CONNACK", "property length", 4, ErrorKind::Truncated);
    // Property length as a five-byte variable integer.
    let bytes = [0x30, 0x08, 0x00, 0x01, b't', 0x80, 0x80, 0x80, 0x80, 0x01];
    assert_malformed(V5, &bytes, "PUBLISH", "property length", 5, ErrorKind::RemainingLengthTooLong);
}

#[test]
fn trailing_bytes_inside_a_packet_are_rejected() {
    let tb = |n| ErrorKind::TrailingBytes(n);
    assert_malformed(V4, &[0xc0, 0x01, 0x00], "PINGREQ", "end of packet", 2, tb(1));
    assert_malformed(V4, &[0xd0, 0x02, 0x00, 0x00], "PINGRESP", "end of packet", 2, tb(2));
    assert_malformed(V4, &[0xe0, 0x01, 0x00], "DISCONNECT", "end of packet", 2, tb(1));
    assert_malformed(V4, &[0x40, 0x03, 0x00, 0x01, 0x00], "PUBACK", "end of packet", 4, tb(1));
    assert_malformed(V4, &[0x20, 0x03, 0x00, 0x00, 0x00], "CONNACK", "end of packet", 4, tb(1));
    assert_malformed(V4, &[0xb0, 0x03, 0x00, 0x01, 0x00], "UNSUBACK", "end of packet", 4, tb(1));
    // CONNECT with a byte after the client id.
    let bytes = [0x10, 13, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa];
    assert_malformed(V4, &bytes, "CONNECT", "end of packet", 14, tb(1));
    // MQTT 5 DISCONNECT with bytes after its properties.
    assert_malformed(V5, &[0xe0, 0x03, 0x00, 0x00, 0x01], "DISCONNECT", "end of packet", 4, tb(1));
    // MQTT 5 PUBACK with a byte after its properties.
    assert_malformed(V5, &[0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x07], "PUBACK", "end of packet", 6, tb(1));
}

#[test]
fn subscribe_filter_without_options_byte_is_truncated() {
    let bytes = [0x82, 0x05, 0x00, 0x01, 0x00, 0x01, b'a'];
    assert_malformed(V4, &bytes, "SUBSCRIBE", "subscription options", 7, ErrorKind::Truncated);
}

// ---------------------------------------------------------------------------------------------
// CONNECT and CONNACK

/// CONNECT with this protocol name and level, flags 0x02, keep alive 0, client id "".
fn connect_with(name: &[u8], level: u8, flags: u8) -> Vec<u8> {
    let mut bytes = vec![0x10, (2 + name.len() + 1 + 1 + 2 + 2) as u8, 0x00, name.len() as u8];
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(&[level, flags, 0x00, 0x00, 0x00, 0x00]);
    bytes
}

#[test]
fn bad_protocol_name_or_level() {
    let bytes = connect_with(b"MQTX", 4, 0x02);
    assert_malformed(V4, &bytes, "CONNECT", "protocol name", 2, ErrorKind::InvalidProtocolName);
    let bytes = connect_with(b"mqtt", 4, 0x02);
    assert_malformed(V4, &bytes, "CONNECT", "protocol name", 2, ErrorKind::InvalidProtocolName);
    let bytes = connect_with(b"MQTT", 6, 0x02);
    assert_malformed(V4, &bytes, "CONNECT", "protocol level", 8, ErrorKind::UnsupportedProtocolLevel(6));
    let bytes = connect_with(b"MQTT", 3, 0x02); // level 3 goes with "MQIsdp"
    assert_malformed(V4, &bytes, "CONNECT", "protocol level", 8, ErrorKind::UnsupportedProtocolLevel(3));
    let bytes = connect_with(b"MQIsdp", 4, 0x02);
    assert_malformed(V4, &bytes, "CONNECT", "protocol level", 10, ErrorKind::UnsupportedProtocolLevel(4));
}

#[test]
fn reserved_connect_flag_bit_is_rejected() {
    let bytes = connect_with(b"MQTT", 4, 0x03);
    assert_malformed(V4, &bytes, "CONNECT", "connect flags", 9, ErrorKind::ReservedBits);
}

#[test]
fn will_flags_without_a_will_and_password_without_user_name() {
    let why = ErrorKind::Invalid("will QoS and will retain must be 0 without a will");
    assert_malformed(V4, &connect_with(b"MQTT", 4, 0b0000_1010), "CONNECT", "connect flags", 9, why.clone());
    assert_malformed(V4, &connect_with(b"MQTT", 4, 0b0010_0010), "CONNECT", "connect flags", 9, why);
    let why = ErrorKind::Invalid("password flag set without the user name flag");
    assert_malformed(V4, &connect_with(b"MQTT", 4, 0b0100_0010), "CONNECT", "connect flags", 9, why);
}

#[test]
fn connack_reserved_bits_and_session_present_on_refusal() {
    assert_malformed(V4, &[0x20, 0x02, 0x02, 0x00], "CONNACK", "acknowledge flags", 2, ErrorKind::ReservedBits);
    let why = ErrorKind::Invalid("session present set on a refused connection");
    assert_malformed(V4, &[0x20, 0x02, 0x01, 0x05], "CONNACK", "acknowledge flags", 2, why);
}

// ---------------------------------------------------------------------------------------------
// Reason codes

#[test]
fn reason_codes_not_defined_for_the_packet_are_rejected() {
    let bad = ErrorKind::InvalidReasonCode;
    let rc = "reason code";
    assert_malformed(V4, &[0x20, 0x02, 0x00, 0x06], "CONNACK", rc, 3, bad(6));
    assert_malformed(V5, &[0x20, 0x03, 0x00, 0x04, 0x00], "CONNACK", rc, 3, bad(4));
    assert_malformed(V5, &[0x40, 0x03, 0x00, 0x01, 0x84], "PUBACK", rc, 4, bad(0x84));
    assert_malformed(V5, &[0x50, 0x03, 0x00, 0x01, 0x92], "PUBREC", rc, 4, bad(0x92));
    assert_malformed(V5, &[0x62, 0x03, 0x00, 0x01, 0x80], "PUBREL", rc, 4, bad(0x80));
    assert_malformed(V5, &[0x70, 0x03, 0x00, 0x01, 0x10], "PUBCOMP", rc, 4, bad(0x10));
    assert_malformed(V4, &[0x90, 0x04, 0x00, 0x01, 0x00, 0x03], "SUBACK", rc, 5, bad(3));
    assert_malformed(V5, &[0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x11], "SUBACK", rc, 6, bad(0x11));
    assert_malformed(V5, &[0xb0, 0x05, 0x00, 0x01, 0x00, 0x00, 0x92], "UNSUBACK", rc, 6, bad(0x92));
    assert_malformed(V5, &[0xe0, 0x01, 0x01], "DISCONNECT", rc, 2, bad(1));
    assert_malformed(V5, &[0xf0, 0x01, 0x01], "AUTH", rc, 2, bad(1));
}

// ---------------------------------------------------------------------------------------------
// Lists and options

#[test]
fn empty_subscribe_unsubscribe_and_ack_lists_are_rejected() {
    let empty = ErrorKind::EmptyList;
    assert_malformed(V4, &[0x82, 0x02, 0x00, 0x01], "SUBSCRIBE", "topic filters", 4, empty.clone());
    assert_malformed(V5, &[0x82, 0x03, 0x00, 0x01, 0x00], "SUBSCRIBE", "topic filters", 5, empty.clone());
    assert_malformed(V4, &[0xa2, 0x02, 0x00, 0x01], "UNSUBSCRIBE", "topic filters", 4, empty.clone());
    assert_malformed(V4, &[0x90, 0x02, 0x00, 0x01], "SUBACK", "reason codes", 4, empty.clone());
    assert_malformed(V5, &[0x90, 0x03, 0x00, 0x01, 0x00], "SUBACK", "reason codes", 5, empty.clone());
    assert_malformed(V5, &[0xb0, 0x03, 0x00, 0x01, 0x00], "UNSUBACK", "reason codes", 5, empty);
}

#[test]
fn subscription_option_reserved_bits_and_retain_handling_3() {
    let mut bytes = subscribe_with_filter(b"a");
    *bytes.last_mut().unwrap() = 0b0000_0101; // no local does not exist in 3.1.1
    assert_malformed(V4, &bytes, "SUBSCRIBE", "subscription options", 7, ErrorKind::ReservedBits);
    let v5 = |options: u8| vec![0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', options];
    assert_malformed(V5, &v5(0b0100_0000), "SUBSCRIBE", "subscription options", 8, ErrorKind::ReservedBits);
    let why = ErrorKind::Invalid("retain handling 3 is reserved");
    assert_malformed(V5, &v5(0b0011_0000), "SUBSCRIBE", "subscription options", 8, why);
}

// ---------------------------------------------------------------------------------------------
// Display

#[test]
fn display_names_packet_field_and_offset() {
    let bytes = publish_with_topic(b"a/+");
    let mut buf = BytesMut::from(&[0xc0, 0x00][..]);
    buf.extend_from_slice(&bytes);
    let mut decoder = Decoder::default();
    decoder.decode(&mut buf).unwrap();
    let e = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed PUBLISH packet: topic name at byte 6 (stream byte 8): topic name contains a wildcard ('+' or '#')"
    );
    let e = decode_frame(V4, Bytes::from_static(&[0x40, 0x02, 0x00, 0x00])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed PUBACK packet: packet identifier at byte 2 (stream byte 2): packet identifier must not be 0"
    );
}

// ---------------------------------------------------------------------------------------------
// The encoder refuses what the decoder would reject

mod encoder {
    use bytes::{Bytes, BytesMut};
    use mqscope::codec::{
        Ack, ByteString, ConnAck, EncodeError, Packet, Properties, Property, ProtocolVersion, Publish, QoS,
        ReasonPacket, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck, encode,
    };

    const V4: ProtocolVersion = ProtocolVersion::V3_1_1;
    const V5: ProtocolVersion = ProtocolVersion::V5;

    fn publish(topic: &'static str) -> Publish {
        Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: ByteString::from_static(topic),
            packet_id: None,
            properties: Properties::default(),
            payload: Bytes::from_static(b"p"),
        }
    }

    #[track_caller]
    fn rejects(v: ProtocolVersion, packet: Packet) -> EncodeError {
        let mut buf = BytesMut::from(&b"kept"[..]);
        let e = encode(&packet, v, &mut buf).expect_err("must be refused");
        assert_eq!(&buf[..], b"kept", "a refused packet must leave the buffer as it was");
        e
    }

    #[test]
    fn refuses_invalid_topics_and_flags() {
        rejects(V4, Packet::Publish(publish("a/+")));
        rejects(V4, Packet::Publish(publish("")));
        rejects(V5, Packet::Publish(publish("")));
        rejects(V4, Packet::Publish(Publish { dup: true, ..publish("t") }));
        rejects(V4, Packet::Publish(Publish { qos: QoS::AtLeastOnce, ..publish("t") }));
        rejects(V4, Packet::Publish(Publish { qos: QoS::AtLeastOnce, packet_id: Some(0), ..publish("t") }));
        rejects(V4, Packet::Publish(Publish { packet_id: Some(1), ..publish("t") }));
    }

    #[test]
    fn refuses_u0000_in_strings_without_leaving_half_a_packet() {
        // U+0000 in the topic is found with the length; in a property, only while writing: the
        // buffer must still be as it was.
        let e = rejects(V4, Packet::Publish(publish("a\0b")));
        assert_eq!(e, EncodeError::Invalid { field: "topic name", why: "contains U+0000".into() });
        let props = Properties(vec![Property::UserProperty(ByteString::from_static("k\0"), ByteString::new())]);
        rejects(V5, Packet::Publish(Publish { properties: props, ..publish("t") }));
    }

    #[test]
    fn refuses_properties_before_mqtt_5_and_in_the_wrong_packet() {
        let props = Properties(vec![Property::TopicAlias(1)]);
        rejects(V4, Packet::Publish(Publish { properties: props.clone(), ..publish("t") }));
        let ack = Ack { packet_id: 1, reason_code: 0, properties: props };
        assert_eq!(rejects(V5, Packet::PubAck(ack)), EncodeError::PropertyNotAllowed("topic_alias"));
        let twice = Properties(vec![Property::MessageExpiryInterval(1), Property::MessageExpiryInterval(2)]);
        let e = rejects(V5, Packet::Publish(Publish { properties: twice, ..publish("t") }));
        assert_eq!(e, EncodeError::DuplicateProperty("message_expiry_interval"));
        let zero = Properties(vec![Property::TopicAlias(0)]);
        let e = rejects(V5, Packet::Publish(Publish { properties: zero, ..publish("t") }));
        assert_eq!(e, EncodeError::InvalidPropertyValue("topic_alias"));
    }

    #[test]
    fn refuses_invalid_reason_codes_and_empty_lists() {
        let ack = |c| ConnAck { session_present: false, reason_code: c, properties: Properties::default() };
        rejects(V4, Packet::ConnAck(ack(6)));
        rejects(V5, Packet::ConnAck(ack(0x04)));
        // Session present only goes with an accepted connection (MQTT 5 §3.2.2.1.1).
        rejects(V4, Packet::ConnAck(ConnAck { session_present: true, ..ack(5) }));
        rejects(V5, Packet::ConnAck(ConnAck { session_present: true, ..ack(0x87) }));
        rejects(V4, Packet::PubAck(Ack { packet_id: 1, reason_code: 0x10, properties: Properties::default() }));
        rejects(V5, Packet::PubAck(Ack { packet_id: 1, reason_code: 0x92, properties: Properties::default() }));
        rejects(V5, Packet::Disconnect(ReasonPacket { reason_code: 0x01, properties: Properties::default() }));
        rejects(V4, Packet::Auth(ReasonPacket::default()));
        rejects(V4, Packet::SubAck(SubAck { packet_id: 1, properties: Properties::default(), reason_codes: vec![] }));
        rejects(V4, Packet::SubAck(SubAck { packet_id: 1, properties: Properties::default(), reason_codes: vec![3] }));
        rejects(
            V5,
            Packet::UnsubAck(UnsubAck { packet_id: 1, properties: Properties::default(), reason_codes: vec![] }),
        );
        rejects(
            V4,
            Packet::UnsubAck(UnsubAck { packet_id: 1, properties: Properties::default(), reason_codes: vec![0] }),
        );
        let sub = |filter, options| Subscribe {
            packet_id: 1,
            properties: Properties::default(),
            subscriptions: vec![Subscription { filter: ByteString::from_static(filter), options }],
        };
        rejects(V4, Packet::Subscribe(Subscribe { subscriptions: vec![], ..sub("a", SubscriptionOptions::default()) }));
        rejects(V4, Packet::Subscribe(sub("a/#/b", SubscriptionOptions::default())));
        let no_local = SubscriptionOptions { no_local: true, ..Default::default() };
        rejects(V4, Packet::Subscribe(sub("a", no_local)));
        rejects(V5, Packet::Subscribe(sub("$share/g/a", no_local)));
    }

    #[test]
    fn refuses_strings_longer_than_65535_bytes() {
        let long: ByteString = "x".repeat(65_536).into();
        let e = rejects(V4, Packet::Publish(Publish { topic: long, ..publish("t") }));
        assert_eq!(e, EncodeError::TooLong { field: "topic name", len: 65_536 });
    }
}
