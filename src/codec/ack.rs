//! PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 5 §3.4-3.7): packet id, then on MQTT 5 an optional reason
//! code and optional properties. Remaining length 2 means success with no properties (§3.4.2.1).

use super::encode::EncodeError;
use super::error::ErrorKind;
use super::parse::{PResult, fail, packet_id, u8_};
use super::properties::{Place, check_places, parse_properties};
use super::{Ack, Bytes, Packet, PacketType, Properties, ProtocolVersion, reason};
use bytes::{BufMut, BytesMut};

fn place(t: PacketType) -> Place {
    match t {
        PacketType::PubRec => Place::PubRec,
        PacketType::PubRel => Place::PubRel,
        PacketType::PubComp => Place::PubComp,
        _ => Place::PubAck,
    }
}

pub(super) fn parse<'a>(t: PacketType, v: ProtocolVersion, frame: &'a Bytes, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, packet_id) = packet_id(i)?;
    let mut ack = Ack::new(packet_id);
    let mut i = i;
    if v.is_v5() && !i.is_empty() {
        let at = i;
        let (rest, code) = u8_("reason code")(i)?;
        if reason::name(t, v, code).is_none() {
            return fail(at, "reason code", ErrorKind::InvalidReasonCode(code));
        }
        ack.reason_code = code;
        i = rest;
        if !i.is_empty() {
            let (rest, props) = parse_properties(frame, place(t), i)?;
            ack.properties = props;
            i = rest;
        }
    }
    let packet = match t {
        PacketType::PubRec => Packet::PubRec(ack),
        PacketType::PubRel => Packet::PubRel(ack),
        PacketType::PubComp => Packet::PubComp(ack),
        _ => Packet::PubAck(ack),
    };
    Ok((i, packet))
}

pub(super) fn len(t: PacketType, a: &Ack, v: ProtocolVersion) -> Result<usize, EncodeError> {
    if a.packet_id == 0 {
        return Err(EncodeError::invalid("packet identifier", ErrorKind::ZeroPacketId));
    }
    if !v.is_v5() {
        if a.reason_code != 0 || !a.properties.is_empty() {
            return Err(EncodeError::NotInVersion("reason codes and properties"));
        }
        return Ok(2);
    }
    if reason::name(t, v, a.reason_code).is_none() {
        return Err(EncodeError::invalid("reason code", format!("{:#04x} is not valid in {t}", a.reason_code)));
    }
    check_places(&a.properties, place(t))?;
    Ok(short_len(a.reason_code, &a.properties))
}

/// MQTT 5 shortest form: drop empty properties, and the reason code too when it is success.
fn short_len(code: u8, props: &Properties) -> usize {
    match (code, props.is_empty()) {
        (0, true) => 2,
        (_, true) => 3,
        _ => 3 + props.wire_len(),
    }
}

pub(super) fn write(a: &Ack, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    buf.put_u16(a.packet_id);
    if v.is_v5() {
        let len = short_len(a.reason_code, &a.properties);
        if len > 2 {
            buf.put_u8(a.reason_code);
        }
        if len > 3 {
            a.properties.write(buf)?;
        }
    }
    Ok(())
}
