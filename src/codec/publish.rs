//! PUBLISH (MQTT 5 §3.3, 3.1.1 §3.3).
//!
//! ```text
//! fixed header flags: 3 DUP | 2-1 QoS | 0 RETAIN
//! variable header:    topic name | packet id (QoS > 0) | [properties]
//! payload:            the rest of the packet, zero-copy
//! ```

use super::encode::{EncodeError, field_len, put_binary};
use super::error::ErrorKind;
use super::parse::{PResult, fail, has_forbidden_topic_byte, packet_id, topic_name};
use super::properties::{Place, check_places, parse_properties};
use super::topic::check_topic_name;
use super::{ByteString, Bytes, Properties, ProtocolVersion, Publish, QoS};
use bytes::{Buf, BufMut, BytesMut};

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

/// The common case without nom: a valid PUBLISH whose properties (MQTT 5) are empty. `frame` is
/// the whole packet and `at` the start of its variable header. Gives the frame back for anything
/// else, so that the nom parser decides and its errors keep their precise fields and offsets.
///
/// This is the hot path of a dashboard: it checks everything `parse` checks for such a packet,
/// without nom: one block scan of the topic, one UTF-8 validation, and the packet built in place.
#[inline(always)]
pub(super) fn parse_fast(frame: Bytes, v: ProtocolVersion, flags: u8, at: usize) -> Result<Publish, Bytes> {
    let qos = match (flags >> 1) & 0x03 {
        0 if flags & 0x08 == 0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => QoS::ExactlyOnce,
        _ => return Err(frame),
    };
    let Some(&[hi, lo]) = frame.get(at..at + 2) else { return Err(frame) };
    let topic_start = at + 2;
    let topic_end = topic_start + usize::from(u16::from_be_bytes([hi, lo]));
    let Some(raw_topic) = frame.get(topic_start..topic_end) else { return Err(frame) };
    if raw_topic.is_empty() || has_forbidden_topic_byte(raw_topic) {
        return Err(frame);
    }
    let mut end = topic_end;
    let mut packet_id = None;
    if qos != QoS::AtMostOnce {
        match frame.get(end..end + 2) {
            Some(&[hi, lo]) if hi | lo != 0 => packet_id = Some(u16::from_be_bytes([hi, lo])),
            _ => return Err(frame),
        }
        end += 2;
    }
    if v.is_v5() {
        if frame.get(end) != Some(&0) {
            return Err(frame);
        }
        end += 1;
    }
    let Ok(topic) = ByteString::try_from(frame.slice(topic_start..topic_end)) else { return Err(frame) };
    let mut payload = frame;
    payload.advance(end);
    Ok(Publish {
        dup: flags & 0x08 != 0,
        qos,
        retain: flags & 0x01 != 0,
        topic,
        packet_id,
        properties: Properties::default(),
        payload,
    })
}

pub(super) fn flags(p: &Publish) -> u8 {
    (u8::from(p.dup) << 3) | (p.qos.as_u8() << 1) | u8::from(p.retain)
}

pub(super) fn len(p: &Publish, v: ProtocolVersion) -> Result<usize, EncodeError> {
    // One quick pass answers for nearly every topic; the exact checks only run on a hit.
    if has_forbidden_topic_byte(p.topic.as_bytes()) {
        check_topic_name(&p.topic).map_err(|k| EncodeError::invalid("topic name", k))?;
        if p.topic.contains('\0') {
            return Err(EncodeError::invalid("topic name", ErrorKind::NullCharacter));
        }
    }
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
    // `len`, which `encode` calls first, has checked the topic.
    put_binary(buf, p.topic.as_bytes(), "topic name")?;
    if let Some(id) = p.packet_id {
        buf.put_u16(id);
    }
    if v.is_v5() {
        p.properties.write(buf)?;
    }
    buf.put_slice(&p.payload);
    Ok(())
}
