//! CONNECT (MQTT 5 §3.1, 3.1.1 §3.1) and CONNACK (MQTT 5 §3.2, 3.1.1 §3.2).
//!
//! ```text
//! CONNECT: protocol name | level | flags | keep alive | [properties] |
//!          client id | [will properties] | [will topic] | [will payload] | [user name] | [password]
//! level:   3, 4 or 5; 0x83 and 0x84 from a mosquitto bridge (bit 7 set)
//! flags:   7 user name | 6 password | 5 will retain | 4-3 will QoS | 2 will | 1 clean start | 0 reserved
//! ```

use super::encode::{EncodeError, field_len, put_binary, put_str};
use super::error::ErrorKind;
use super::parse::{PResult, binary, fail, topic_name, u8_, u16_, utf8};
use super::properties::{Place, check_places, parse_properties};
use super::topic::check_topic_name;
use super::{Bytes, ConnAck, Connect, LastWill, Packet, PacketType, Properties, ProtocolVersion, QoS, reason};
use bytes::{BufMut, BytesMut};

pub(super) fn parse_connect<'a>(frame: &'a Bytes, i: &'a [u8]) -> PResult<'a, Packet> {
    let at = i;
    let (i, name) = utf8(frame, "protocol name")(i)?;
    let at_level = i;
    let (i, wire_level) = u8_("protocol level")(i)?;
    // Bit 7 marks a mosquitto bridge on MQTT 3.1 and 3.1.1; MQTT 5 has no such bit.
    let bridge = wire_level & 0x80 != 0 && matches!(wire_level & 0x7f, 3 | 4);
    let level = if bridge { wire_level & 0x7f } else { wire_level };
    let protocol = match (&*name, level) {
        ("MQIsdp", 3) => ProtocolVersion::V3_1,
        ("MQTT", 4) => ProtocolVersion::V3_1_1,
        ("MQTT", 5) => ProtocolVersion::V5,
        ("MQTT" | "MQIsdp", _) => {
            return fail(at_level, "protocol level", ErrorKind::UnsupportedProtocolLevel(wire_level));
        }
        _ => return fail(at, "protocol name", ErrorKind::InvalidProtocolName),
    };
    let v5 = protocol.is_v5();
    let at_flags = i;
    let (i, flags) = u8_("connect flags")(i)?;
    if flags & 0x01 != 0 {
        return fail(at_flags, "connect flags", ErrorKind::ReservedBits);
    }
    let has_will = flags & 0x04 != 0;
    let will_qos_bits = (flags >> 3) & 0x03;
    let will_retain = flags & 0x20 != 0;
    let has_password = flags & 0x40 != 0;
    let has_username = flags & 0x80 != 0;
    let Some(will_qos) = QoS::from_u8(will_qos_bits) else {
        return fail(at_flags, "will QoS", ErrorKind::InvalidQoS(will_qos_bits));
    };
    if !has_will && (will_qos_bits != 0 || will_retain) {
        return fail(
            at_flags,
            "connect flags",
            ErrorKind::Invalid("will QoS and will retain must be 0 without a will"),
        );
    }
    if !v5 && has_password && !has_username {
        return fail(at_flags, "connect flags", ErrorKind::Invalid("password flag set without the user name flag"));
    }
    let (i, keep_alive) = u16_("keep alive")(i)?;
    let (i, properties) = if v5 { parse_properties(frame, Place::Connect, i)? } else { (i, Properties::default()) };
    let (i, client_id) = utf8(frame, "client identifier")(i)?;
    let (i, will) = if has_will {
        let (i, will_props) = if v5 { parse_properties(frame, Place::Will, i)? } else { (i, Properties::default()) };
        let at_topic = i;
        let (i, topic) = topic_name(frame, "will topic")(i)?;
        if topic.is_empty() {
            return fail(at_topic, "will topic", ErrorKind::EmptyTopic);
        }
        let (i, payload) = binary(frame, "will payload")(i)?;
        let will = LastWill { topic, payload, qos: will_qos, retain: will_retain, properties: will_props };
        (i, Some(will))
    } else {
        (i, None)
    };
    let (i, username) = if has_username {
        let (i, u) = utf8(frame, "user name")(i)?;
        (i, Some(u))
    } else {
        (i, None)
    };
    let (i, password) = if has_password {
        let (i, p) = binary(frame, "password")(i)?;
        (i, Some(p))
    } else {
        (i, None)
    };
    let connect = Connect {
        protocol,
        bridge,
        clean_start: flags & 0x02 != 0,
        keep_alive,
        properties,
        client_id,
        will,
        username,
        password,
    };
    Ok((i, Packet::Connect(Box::new(connect))))
}

pub(super) fn parse_connack<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    let at = i;
    let (i, ack_flags) = u8_("acknowledge flags")(i)?;
    if ack_flags & 0xfe != 0 {
        return fail(at, "acknowledge flags", ErrorKind::ReservedBits);
    }
    let at_code = i;
    let (i, reason_code) = u8_("reason code")(i)?;
    if reason::name(PacketType::ConnAck, v, reason_code).is_none() {
        return fail(at_code, "reason code", ErrorKind::InvalidReasonCode(reason_code));
    }
    let session_present = ack_flags & 1 != 0;
    if session_present && reason_code != 0 {
        return fail(at, "acknowledge flags", ErrorKind::Invalid("session present set on a refused connection"));
    }
    let (i, properties) =
        if v.is_v5() { parse_properties(frame, Place::ConnAck, i)? } else { (i, Properties::default()) };
    Ok((i, Packet::ConnAck(ConnAck { session_present, reason_code, properties })))
}

fn check_v3_props(v: ProtocolVersion, props: &Properties) -> Result<(), EncodeError> {
    if !v.is_v5() && !props.is_empty() {
        return Err(EncodeError::NotInVersion("properties"));
    }
    Ok(())
}

pub(super) fn connect_len(c: &Connect) -> Result<usize, EncodeError> {
    let v = c.protocol;
    check_v3_props(v, &c.properties)?;
    check_places(&c.properties, Place::Connect)?;
    if c.bridge && v.is_v5() {
        return Err(EncodeError::NotInVersion("the bridge bit of the protocol level"));
    }
    let mut len = 2 + v.protocol_name().len() + 1 + 1 + 2;
    if v.is_v5() {
        len += c.properties.wire_len();
    }
    len += field_len(c.client_id.len(), "client identifier")?;
    if let Some(w) = &c.will {
        check_v3_props(v, &w.properties)?;
        check_places(&w.properties, Place::Will)?;
        check_topic_name(&w.topic).map_err(|k| EncodeError::invalid("will topic", k))?;
        if w.topic.is_empty() {
            return Err(EncodeError::invalid("will topic", ErrorKind::EmptyTopic));
        }
        if v.is_v5() {
            len += w.properties.wire_len();
        }
        len += field_len(w.topic.len(), "will topic")? + field_len(w.payload.len(), "will payload")?;
    }
    if let Some(u) = &c.username {
        len += field_len(u.len(), "user name")?;
    }
    if let Some(p) = &c.password {
        if !v.is_v5() && c.username.is_none() {
            return Err(EncodeError::invalid("password", "MQTT 3 needs a user name with a password"));
        }
        len += field_len(p.len(), "password")?;
    }
    Ok(len)
}

pub(super) fn write_connect(c: &Connect, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let v = c.protocol;
    put_str(buf, v.protocol_name(), "protocol name")?;
    buf.put_u8(if c.bridge { v.level() | 0x80 } else { v.level() });
    let mut flags = 0u8;
    if c.clean_start {
        flags |= 0x02;
    }
    if let Some(w) = &c.will {
        flags |= 0x04 | (w.qos.as_u8() << 3);
        if w.retain {
            flags |= 0x20;
        }
    }
    if c.password.is_some() {
        flags |= 0x40;
    }
    if c.username.is_some() {
        flags |= 0x80;
    }
    buf.put_u8(flags);
    buf.put_u16(c.keep_alive);
    if v.is_v5() {
        c.properties.write(buf)?;
    }
    put_str(buf, &c.client_id, "client identifier")?;
    if let Some(w) = &c.will {
        if v.is_v5() {
            w.properties.write(buf)?;
        }
        put_str(buf, &w.topic, "will topic")?;
        put_binary(buf, &w.payload, "will payload")?;
    }
    if let Some(u) = &c.username {
        put_str(buf, u, "user name")?;
    }
    if let Some(p) = &c.password {
        put_binary(buf, p, "password")?;
    }
    Ok(())
}

pub(super) fn connack_len(c: &ConnAck, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_v3_props(v, &c.properties)?;
    check_places(&c.properties, Place::ConnAck)?;
    if reason::name(PacketType::ConnAck, v, c.reason_code).is_none() {
        return Err(EncodeError::invalid("reason code", format!("{:#04x} is not valid in CONNACK", c.reason_code)));
    }
    if c.session_present && c.reason_code != 0 {
        return Err(EncodeError::invalid("session present", "set on a refused connection"));
    }
    Ok(2 + if v.is_v5() { c.properties.wire_len() } else { 0 })
}

pub(super) fn write_connack(c: &ConnAck, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u8(u8::from(c.session_present));
    buf.put_u8(c.reason_code);
    if v.is_v5() {
        c.properties.write(buf)?;
    }
    Ok(())
}
