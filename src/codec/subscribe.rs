//! SUBSCRIBE (MQTT 5 §3.8), SUBACK (§3.9), UNSUBSCRIBE (§3.10) and UNSUBACK (§3.11).
//!
//! ```text
//! SUBSCRIBE:   packet id | [properties] | (topic filter, options byte)+
//! options:     7-6 reserved | 5-4 retain handling | 3 retain as published | 2 no local | 1-0 QoS
//! SUBACK:      packet id | [properties] | reason code+
//! UNSUBSCRIBE: packet id | [properties] | topic filter+
//! UNSUBACK:    packet id | [properties | reason code+]       (MQTT 3: packet id only)
//! ```

use super::encode::{EncodeError, field_len, put_str};
use super::error::ErrorKind;
use super::parse::{PResult, fail, packet_id, u8_, utf8};
use super::properties::{Place, check_places, parse_properties};
use super::topic::{check_topic_filter, shared_parts};
use super::{
    ByteString, Bytes, Packet, PacketType, Properties, ProtocolVersion, QoS, RetainHandling, SubAck, Subscribe,
    Subscription, SubscriptionOptions, UnsubAck, Unsubscribe, reason,
};
use bytes::{BufMut, BytesMut};

fn props<'a>(frame: &'a Bytes, v: ProtocolVersion, place: Place, i: &'a [u8]) -> PResult<'a, Properties> {
    if v.is_v5() { parse_properties(frame, place, i) } else { Ok((i, Properties::default())) }
}

fn filter<'a>(frame: &'a Bytes, i: &'a [u8]) -> PResult<'a, ByteString> {
    let at = i;
    let (i, f) = utf8(frame, "topic filter")(i)?;
    if let Err(kind) = check_topic_filter(&f) {
        return fail(at, "topic filter", kind);
    }
    Ok((i, f))
}

fn options(v: ProtocolVersion, i: &[u8]) -> PResult<'_, SubscriptionOptions> {
    let at = i;
    let (i, b) = u8_("subscription options")(i)?;
    let reserved = if v.is_v5() { 0xc0 } else { 0xfc };
    if b & reserved != 0 {
        return fail(at, "subscription options", ErrorKind::ReservedBits);
    }
    let Some(qos) = QoS::from_u8(b & 0x03) else {
        return fail(at, "subscription options", ErrorKind::InvalidQoS(b & 0x03));
    };
    let retain_handling = match (b >> 4) & 0x03 {
        0 => RetainHandling::SendAtSubscribe,
        1 => RetainHandling::SendIfNew,
        2 => RetainHandling::DoNotSend,
        _ => return fail(at, "subscription options", ErrorKind::Invalid("retain handling 3 is reserved")),
    };
    let opts =
        SubscriptionOptions { qos, no_local: b & 0x04 != 0, retain_as_published: b & 0x08 != 0, retain_handling };
    Ok((i, opts))
}

fn options_byte(o: &SubscriptionOptions) -> u8 {
    o.qos.as_u8()
        | (u8::from(o.no_local) << 2)
        | (u8::from(o.retain_as_published) << 3)
        | ((o.retain_handling as u8) << 4)
}

pub(super) fn parse_subscribe<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, packet_id) = packet_id(i)?;
    let (mut i, properties) = props(frame, v, Place::Subscribe, i)?;
    if i.is_empty() {
        return fail(i, "topic filters", ErrorKind::EmptyList);
    }
    let mut subscriptions = Vec::new();
    while !i.is_empty() {
        let at = i;
        let (rest, filter) = filter(frame, i)?;
        let (rest, options) = options(v, rest)?;
        // MQTT 5 §3.8.3.1: No Local on a shared subscription is a protocol error.
        if options.no_local && shared_parts(&filter).is_some() {
            return fail(at, "subscription options", ErrorKind::Invalid("no local set on a shared subscription"));
        }
        subscriptions.push(Subscription { filter, options });
        i = rest;
    }
    Ok((i, Packet::Subscribe(Subscribe { packet_id, properties, subscriptions })))
}

pub(super) fn parse_suback<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, packet_id) = packet_id(i)?;
    let (i, properties) = props(frame, v, Place::SubAck, i)?;
    let (i, reason_codes) = reason_codes(PacketType::SubAck, v, i)?;
    Ok((i, Packet::SubAck(SubAck { packet_id, properties, reason_codes })))
}

fn reason_codes(t: PacketType, v: ProtocolVersion, i: &[u8]) -> PResult<'_, Vec<u8>> {
    if i.is_empty() {
        return fail(i, "reason codes", ErrorKind::EmptyList);
    }
    if let Some(pos) = i.iter().position(|&c| reason::name(t, v, c).is_none()) {
        return fail(&i[pos..], "reason code", ErrorKind::InvalidReasonCode(i[pos]));
    }
    Ok((&i[i.len()..], i.to_vec()))
}

pub(super) fn parse_unsubscribe<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, packet_id) = packet_id(i)?;
    let (mut i, properties) = props(frame, v, Place::Unsubscribe, i)?;
    if i.is_empty() {
        return fail(i, "topic filters", ErrorKind::EmptyList);
    }
    let mut filters = Vec::new();
    while !i.is_empty() {
        let (rest, f) = filter(frame, i)?;
        filters.push(f);
        i = rest;
    }
    Ok((i, Packet::Unsubscribe(Unsubscribe { packet_id, properties, filters })))
}

pub(super) fn parse_unsuback<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, packet_id) = packet_id(i)?;
    if !v.is_v5() {
        let ack = UnsubAck { packet_id, properties: Properties::default(), reason_codes: Vec::new() };
        return Ok((i, Packet::UnsubAck(ack)));
    }
    let (i, properties) = props(frame, v, Place::UnsubAck, i)?;
    let (i, reason_codes) = reason_codes(PacketType::UnsubAck, v, i)?;
    Ok((i, Packet::UnsubAck(UnsubAck { packet_id, properties, reason_codes })))
}

fn check_id(id: u16) -> Result<(), EncodeError> {
    if id == 0 { Err(EncodeError::invalid("packet identifier", ErrorKind::ZeroPacketId)) } else { Ok(()) }
}

fn props_len(v: ProtocolVersion, p: &Properties, place: Place) -> Result<usize, EncodeError> {
    if v.is_v5() {
        check_places(p, place)?;
        Ok(p.wire_len())
    } else if p.is_empty() {
        Ok(0)
    } else {
        Err(EncodeError::NotInVersion("properties"))
    }
}

fn write_props(v: ProtocolVersion, p: &Properties, buf: &mut BytesMut) -> Result<(), EncodeError> {
    if v.is_v5() { p.write(buf) } else { Ok(()) }
}

fn filter_len(f: &str) -> Result<usize, EncodeError> {
    check_topic_filter(f).map_err(|k| EncodeError::invalid("topic filter", format!("'{f}': {k}")))?;
    field_len(f.len(), "topic filter")
}

fn codes_len(t: PacketType, v: ProtocolVersion, codes: &[u8]) -> Result<usize, EncodeError> {
    if codes.is_empty() {
        return Err(EncodeError::invalid("reason codes", ErrorKind::EmptyList));
    }
    if let Some(c) = codes.iter().find(|&&c| reason::name(t, v, c).is_none()) {
        return Err(EncodeError::invalid("reason code", format!("{c:#04x} is not valid in {t}")));
    }
    Ok(codes.len())
}

pub(super) fn subscribe_len(s: &Subscribe, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_id(s.packet_id)?;
    if s.subscriptions.is_empty() {
        return Err(EncodeError::invalid("topic filters", ErrorKind::EmptyList));
    }
    let mut len = 2 + props_len(v, &s.properties, Place::Subscribe)?;
    for sub in &s.subscriptions {
        let o = &sub.options;
        if !v.is_v5() && (o.no_local || o.retain_as_published || o.retain_handling != RetainHandling::SendAtSubscribe) {
            return Err(EncodeError::NotInVersion("subscription options other than QoS"));
        }
        if o.no_local && shared_parts(&sub.filter).is_some() {
            return Err(EncodeError::invalid("subscription options", "no local set on a shared subscription"));
        }
        len += filter_len(&sub.filter)? + 1;
    }
    Ok(len)
}

pub(super) fn write_subscribe(s: &Subscribe, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(s.packet_id);
    write_props(v, &s.properties, buf)?;
    for sub in &s.subscriptions {
        put_str(buf, &sub.filter, "topic filter")?;
        buf.put_u8(options_byte(&sub.options));
    }
    Ok(())
}

pub(super) fn suback_len(s: &SubAck, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_id(s.packet_id)?;
    Ok(2 + props_len(v, &s.properties, Place::SubAck)? + codes_len(PacketType::SubAck, v, &s.reason_codes)?)
}

pub(super) fn write_suback(s: &SubAck, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(s.packet_id);
    write_props(v, &s.properties, buf)?;
    buf.put_slice(&s.reason_codes);
    Ok(())
}

pub(super) fn unsubscribe_len(u: &Unsubscribe, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_id(u.packet_id)?;
    if u.filters.is_empty() {
        return Err(EncodeError::invalid("topic filters", ErrorKind::EmptyList));
    }
    let mut len = 2 + props_len(v, &u.properties, Place::Unsubscribe)?;
    for f in &u.filters {
        len += filter_len(f)?;
    }
    Ok(len)
}

pub(super) fn write_unsubscribe(u: &Unsubscribe, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(u.packet_id);
    write_props(v, &u.properties, buf)?;
    for f in &u.filters {
        put_str(buf, f, "topic filter")?;
    }
    Ok(())
}

pub(super) fn unsuback_len(u: &UnsubAck, v: ProtocolVersion) -> Result<usize, EncodeError> {
    check_id(u.packet_id)?;
    if !v.is_v5() {
        if !u.reason_codes.is_empty() || !u.properties.is_empty() {
            return Err(EncodeError::NotInVersion("UNSUBACK reason codes and properties"));
        }
        return Ok(2);
    }
    Ok(2 + props_len(v, &u.properties, Place::UnsubAck)? + codes_len(PacketType::UnsubAck, v, &u.reason_codes)?)
}

pub(super) fn write_unsuback(u: &UnsubAck, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(u.packet_id);
    if v.is_v5() {
        u.properties.write(buf)?;
        buf.put_slice(&u.reason_codes);
    }
    Ok(())
}
