//! PUBLISH (MQTT 5 §3.3, 3.1.1 §3.3).
//!
//! ```text
//! fixed header flags: 3 DUP | 2-1 QoS | 0 RETAIN
//! variable header:    topic name | packet id (QoS > 0) | [properties]
//! payload:            the rest of the packet, zero-copy
//! ```

use super::encode::{EncodeError, field_len, put_str};
use super::error::ErrorKind;
use super::parse::{PResult, fail, packet_id, topic_name};
use super::properties::{Place, check_places, parse_properties};
use super::topic::check_topic_name;
use super::{Bytes, Properties, ProtocolVersion, Publish, QoS};
use bytes::{BufMut, BytesMut};

/// Everything but the payload, which is the rest of the input (MQTT 5 §3.3.3).
pub(super) fn parse<'a>(frame: &'a Bytes, v: ProtocolVersion, flags: u8, i: &'a [u8]) -> PResult<'a, Publish> {
    let dup = flags & 0x08 != 0;
    let retain = flags & 0x01 != 0;
    let qos_bits = (flags >> 1) & 0x03;
    let Some(qos) = QoS::from_u8(qos_bits) else {
        return fail(&frame[..], "fixed header flags", ErrorKind::InvalidQoS(qos_bits));
    };
    if dup && qos == QoS::AtMostOnce {
        return fail(&frame[..], "fixed header flags", ErrorKind::DupOnQoS0);
    }
    let at_topic = i;
    let (i, topic) = topic_name(frame, "topic name")(i)?;
    let (i, packet_id) = if qos == QoS::AtMostOnce {
        (i, None)
    } else {
        let (i, id) = packet_id(i)?;
        (i, Some(id))
    };
    let (i, properties) =
        if v.is_v5() { parse_properties(frame, Place::Publish, i)? } else { (i, Properties::default()) };
    // MQTT 5 §3.3.2.1: an empty topic name is allowed only with a Topic Alias.
    if topic.is_empty() && properties.topic_alias().is_none() {
        return fail(at_topic, "topic name", ErrorKind::EmptyTopic);
    }
    // The payload is the rest of the frame: the caller slices it off the frame it owns.
    Ok((i, Publish { dup, qos, retain, topic, packet_id, properties, payload: Bytes::new() }))
}

pub(super) fn flags(p: &Publish) -> u8 {
    (u8::from(p.dup) << 3) | (p.qos.as_u8() << 1) | u8::from(p.retain)
}

pub(super) fn len(p: &Publish, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_topic_name(&p.topic).map_err(|k| EncodeError::invalid("topic name", k))?;
    if p.topic.is_empty() && (!v.is_v5() || p.properties.topic_alias().is_none()) {
        return Err(EncodeError::invalid("topic name", "empty without a topic alias"));
    }
    if p.dup && p.qos == QoS::AtMostOnce {
        return Err(EncodeError::invalid("dup", ErrorKind::DupOnQoS0));
    }
    match (p.qos, p.packet_id) {
        (QoS::AtMostOnce, None) => {}
        (QoS::AtMostOnce, Some(_)) => return Err(EncodeError::invalid("packet identifier", "QoS 0 has none")),
        (_, None | Some(0)) => {
            return Err(EncodeError::invalid("packet identifier", "QoS 1 and 2 need a non-zero one"));
        }
        (_, Some(_)) => {}
    }
    let mut len = field_len(p.topic.len(), "topic name")? + p.payload.len();
    if p.packet_id.is_some() {
        len += 2;
    }
    if v.is_v5() {
        check_places(&p.properties, Place::Publish)?;
        len += p.properties.wire_len();
    } else if !p.properties.is_empty() {
        return Err(EncodeError::NotInVersion("properties"));
    }
    Ok(len)
}

pub(super) fn write(p: &Publish, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    put_str(buf, &p.topic, "topic name")?;
    if let Some(id) = p.packet_id {
        buf.put_u16(id);
    }
    if v.is_v5() {
        p.properties.write(buf)?;
    }
    buf.put_slice(&p.payload);
    Ok(())
}
