//! Packet -> bytes. Encodes into a `BytesMut`, never into a socket, so it is testable apart from IO.
//! The encoder checks the same rules the decoder enforces, so mqscope never sends what it would reject.

use super::fixed_header::MAX_REMAINING_LENGTH;
use super::{Packet, ProtocolVersion, ack, connect, control, publish, subscribe};
use bytes::{BufMut, BytesMut};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("{field} is {len} bytes long; MQTT strings and binary fields hold at most 65535")]
    TooLong { field: &'static str, len: usize },
    #[error("packet would be {0} bytes; MQTT allows at most 268435455 after the fixed header")]
    PacketTooLarge(usize),
    #[error("property {0} is not allowed in this packet")]
    PropertyNotAllowed(&'static str),
    #[error("property {0} appears more than once")]
    DuplicateProperty(&'static str),
    #[error("property {0} has an invalid value")]
    InvalidPropertyValue(&'static str),
    #[error("{0} does not exist before MQTT 5")]
    NotInVersion(&'static str),
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: String },
}

impl EncodeError {
    pub(crate) fn invalid(field: &'static str, why: impl std::fmt::Display) -> Self {
        Self::Invalid { field, why: why.to_string() }
    }
}

/// Appends the encoded packet to `buf`. On error `buf` is left as it was.
pub fn encode(packet: &Packet, version: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    let remaining = body_len(packet, version)?;
    if remaining > MAX_REMAINING_LENGTH {
        return Err(EncodeError::PacketTooLarge(remaining));
    }
    let before = buf.len();
    buf.reserve(1 + var_int_len(remaining) + remaining);
    buf.put_u8(first_byte(packet));
    let written = put_var_int(buf, remaining).and_then(|()| {
        let start = buf.len();
        write_body(packet, version, buf)?;
        debug_assert_eq!(buf.len() - start, remaining, "{:?}", packet.packet_type());
        Ok(())
    });
    if written.is_err() {
        // Some checks (U+0000 in a string) only happen while writing: drop the half-written packet.
        buf.truncate(before);
    }
    written
}

/// Total bytes `encode` writes for this packet, fixed header included.
pub fn encoded_len(packet: &Packet, version: ProtocolVersion) -> Result<usize, EncodeError> {
    let remaining = body_len(packet, version)?;
    Ok(1 + var_int_len(remaining) + remaining)
}

fn first_byte(packet: &Packet) -> u8 {
    let t = packet.packet_type();
    let flags = match packet {
        Packet::Publish(p) => publish::flags(p),
        _ => t.required_flags().unwrap_or(0),
    };
    ((t as u8) << 4) | flags
}

fn body_len(packet: &Packet, v: ProtocolVersion) -> Result<usize, EncodeError> {
    Ok(match packet {
        Packet::Connect(c) => connect::connect_len(c)?,
        Packet::ConnAck(c) => connect::connack_len(c, v)?,
        Packet::Publish(p) => publish::len(p, v)?,
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            ack::len(packet.packet_type(), a, v)?
        }
        Packet::Subscribe(s) => subscribe::subscribe_len(s, v)?,
        Packet::SubAck(s) => subscribe::suback_len(s, v)?,
        Packet::Unsubscribe(u) => subscribe::unsubscribe_len(u, v)?,
        Packet::UnsubAck(u) => subscribe::unsuback_len(u, v)?,
        Packet::PingReq | Packet::PingResp => 0,
        Packet::Disconnect(d) => control::disconnect_len(d, v)?,
        Packet::Auth(a) => control::auth_len(a, v)?,
    })
}

fn write_body(packet: &Packet, v: ProtocolVersion, buf: &mut BytesMut) -> Result<(), EncodeError> {
    match packet {
        Packet::Connect(c) => connect::write_connect(c, buf),
        Packet::ConnAck(c) => connect::write_connack(c, v, buf),
        Packet::Publish(p) => publish::write(p, v, buf),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => ack::write(a, v, buf),
        Packet::Subscribe(s) => subscribe::write_subscribe(s, v, buf),
        Packet::SubAck(s) => subscribe::write_suback(s, v, buf),
        Packet::Unsubscribe(u) => subscribe::write_unsubscribe(u, v, buf),
        Packet::UnsubAck(u) => subscribe::write_unsuback(u, v, buf),
        Packet::PingReq | Packet::PingResp => Ok(()),
        Packet::Disconnect(d) => control::write_disconnect(d, v, buf),
        Packet::Auth(a) => control::write_auth(a, buf),
    }
}

/// Bytes a variable byte integer takes (MQTT 5 §1.5.5).
pub(crate) fn var_int_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

pub(crate) fn put_var_int(buf: &mut BytesMut, mut n: usize) -> Result<(), EncodeError> {
    if n > MAX_REMAINING_LENGTH {
        return Err(EncodeError::PacketTooLarge(n));
    }
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if n == 0 {
            return Ok(());
        }
    }
}

/// Length of a two-byte-length-prefixed field, or an error when it does not fit.
pub(crate) fn field_len(len: usize, field: &'static str) -> Result<usize, EncodeError> {
    if len > usize::from(u16::MAX) {
        return Err(EncodeError::TooLong { field, len });
    }
    Ok(2 + len)
}

pub(crate) fn put_binary(buf: &mut BytesMut, data: &[u8], field: &'static str) -> Result<(), EncodeError> {
    let len = u16::try_from(data.len()).map_err(|_| EncodeError::TooLong { field, len: data.len() })?;
    buf.put_u16(len);
    buf.put_slice(data);
    Ok(())
}

pub(crate) fn put_str(buf: &mut BytesMut, s: &str, field: &'static str) -> Result<(), EncodeError> {
    if s.contains('\0') {
        return Err(EncodeError::invalid(field, "contains U+0000"));
    }
    put_binary(buf, s.as_bytes(), field)
}
