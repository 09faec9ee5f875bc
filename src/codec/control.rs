//! DISCONNECT (MQTT 5 §3.14) and AUTH (MQTT 5 §3.15): an optional reason code and optional
//! properties. Remaining length 0 means reason 0 with no properties. On MQTT 3 DISCONNECT is empty.

use super::encode::EncodeError;
use super::error::ErrorKind;
use super::parse::{PResult, fail, u8_};
use super::properties::{Place, check_places, parse_properties};
use super::{Bytes, Packet, PacketType, ProtocolVersion, ReasonPacket, reason};
use bytes::{BufMut, BytesMut};

fn parse_reason_packet<'a>(t: PacketType, place: Place, frame: &'a Bytes, i: &'a [u8]) -> PResult<'a, ReasonPacket> {
    let mut out = ReasonPacket::default();
    if i.is_empty() {
        return Ok((i, out));
    }
    let at = i;
    let (i, code) = u8_("reason code")(i)?;
    if reason::name(t, ProtocolVersion::V5, code).is_none() {
        return fail(at, "reason code", ErrorKind::InvalidReasonCode(code));
    }
    out.reason_code = code;
    if i.is_empty() {
        return Ok((i, out));
    }
    let (i, props) = parse_properties(frame, place, i)?;
    out.properties = props;
    Ok((i, out))
}

pub(super) fn parse_disconnect<'a>(frame: &'a Bytes, v: ProtocolVersion, i: &'a [u8]) -> PResult<'a, Packet> {
    if !v.is_v5() {
        // The caller reports any bytes left as trailing bytes.
        return Ok((i, Packet::Disconnect(ReasonPacket::default())));
    }
    let (i, d) = parse_reason_packet(PacketType::Disconnect, Place::Disconnect, frame, i)?;
    Ok((i, Packet::Disconnect(d)))
}

pub(super) fn parse_auth<'a>(frame: &'a Bytes, i: &'a [u8]) -> PResult<'a, Packet> {
    let (i, a) = parse_reason_packet(PacketType::Auth, Place::Auth, frame, i)?;
    Ok((i, Packet::Auth(a)))
}

fn reason_len(t: PacketType, place: Place, p: &ReasonPacket) -> Result<usize, EncodeError> {
    if reason::name(t, ProtocolVersion::V5, p.reason_code).is_none() {
        return Err(EncodeError::invalid("reason code", format!("{:#04x} is not valid in {t}", p.reason_code)));
    }
    check_places(&p.properties, place)?;
    Ok(match (p.reason_code, p.properties.is_empty()) {
        (0, true) => 0,
        (_, true) => 1,
        _ => 1 + p.properties.wire_len(),
    })
}

fn write_reason(p: &ReasonPacket, len: usize, buf: &mut BytesMut) -> Result<(), EncodeError> {
    if len > 0 {
        buf.put_u8(p.reason_code);
    }
    if len > 1 {
        p.properties.write(buf)?;
    }
    Ok(())
}

pub(super) fn disconnect_len(d: &ReasonPacket, v: ProtocolVersion) -> Result<usize, EncodeError> {
    if !v.is_v5() {
        if d.reason_code != 0 || !d.properties.is_empty() {
            return Err(EncodeError::NotInVersion("DISCONNECT reason codes and properties"));
        }
        return Ok(0);
    }
    reason_len(PacketType::Disconnect, Place::Disconnect, d)
}

pub(super) fn write_disconnect(d: &ReasonPacket, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let len = disconnect_len(d, v)?;
    write_reason(d, len, buf)
}

pub(super) fn auth_len(a: &ReasonPacket, v: ProtocolVersion) -> Result<usize, EncodeError> {
    if !v.is_v5() {
        return Err(EncodeError::NotInVersion("AUTH"));
    }
    reason_len(PacketType::Auth, Place::Auth, a)
}

pub(super) fn write_auth(a: &ReasonPacket, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let len = reason_len(PacketType::Auth, Place::Auth, a)?;
    write_reason(a, len, buf)
}
