//! The streaming decoder: frames packets out of a growing buffer, then parses each complete frame.

use super::error::{DecodeError, ErrorKind};
use super::parse::{Fail, PResult};
use super::{Bytes, Packet, PacketType, ProtocolVersion, ack, connect, control, fixed_header, publish, subscribe};
use bytes::{Buf, BytesMut};

/// Default largest packet accepted: 16 MiB. MQTT allows 256 MiB, but a dashboard holding many
/// messages should not let one peer claim that much; `Decoder::with_max_packet_size` changes it, and
/// MQTT 5 sessions announce it to the broker (Maximum Packet Size) so the broker will not send more.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 16 * 1024 * 1024;

/// Decodes a byte stream into packets, for any split of the stream.
///
/// After an error the stream cannot be resynchronised: the caller closes the connection.
#[derive(Debug, Clone)]
pub struct Decoder {
    version: ProtocolVersion,
    max_packet_size: usize,
    consumed: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(ProtocolVersion::V3_1_1)
    }
}

impl Decoder {
    pub fn new(version: ProtocolVersion) -> Self {
        Self { version, max_packet_size: DEFAULT_MAX_PACKET_SIZE, consumed: 0 }
    }

    pub fn with_max_packet_size(mut self, max: usize) -> Self {
        self.max_packet_size = max;
        self
    }

    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = version;
    }

    pub fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }

    /// Bytes of whole packets decoded so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Returns `Ok(None)` until a whole packet is buffered, then removes it from `buf` and returns it.
    ///
    /// Nothing is reserved from the length field: the buffer only grows with bytes actually read,
    /// so a peer cannot make us allocate by announcing a large packet. A CONNECT switches the
    /// decoder to the protocol version it names (useful when decoding a client's stream).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        let at = self.consumed;
        let with_offset = |mut e: DecodeError| {
            e.stream_offset = at;
            e
        };
        let Some(header) = fixed_header::peek(buf, self.version).map_err(with_offset)? else {
            return Ok(None);
        };
        let frame_len = header.frame_len();
        if frame_len > self.max_packet_size {
            let kind = ErrorKind::PacketTooLarge { len: frame_len, max: self.max_packet_size };
            return Err(with_offset(DecodeError::new(header.packet_type.name(), "remaining length", 1, kind)));
        }
        if buf.len() < frame_len {
            return Ok(None);
        }
        let frame = buf.split_to(frame_len).freeze();
        self.consumed += frame_len as u64;
        let packet = parse_frame(self.version, &header, frame).map_err(with_offset)?;
        if let Packet::Connect(c) = &packet {
            self.version = c.protocol;
        }
        Ok(Some(packet))
    }
}

/// Decodes one complete packet held in `frame` (fixed header included).
pub fn decode_frame(version: ProtocolVersion, frame: Bytes) -> Result<Packet, DecodeError> {
    let Some(header) = fixed_header::peek(&frame, version)? else {
        return Err(DecodeError::new("packet", "fixed header", frame.len(), ErrorKind::Truncated));
    };
    match header.frame_len().cmp(&frame.len()) {
        std::cmp::Ordering::Greater => {
            let name = header.packet_type.name();
            Err(DecodeError::new(name, "remaining length", 1, ErrorKind::Truncated))
        }
        std::cmp::Ordering::Less => {
            let kind = ErrorKind::TrailingBytes(frame.len() - header.frame_len());
            Err(DecodeError::new(header.packet_type.name(), "end of packet", header.frame_len(), kind))
        }
        std::cmp::Ordering::Equal => parse_frame(version, &header, frame),
    }
}

/// Parses a whole frame. Takes the frame by value so that a PUBLISH payload can be the frame itself,
/// advanced past the header: no reference-count traffic for the most common packet's largest field.
fn parse_frame(
    version: ProtocolVersion,
    header: &fixed_header::FixedHeader,
    frame: Bytes,
) -> Result<Packet, DecodeError> {
    let t = header.packet_type;
    let v = version;
    let (end, mut packet) = {
        let f = &frame;
        let body = &f[header.header_len..];
        let result: PResult<'_, Packet> = match t {
            PacketType::Connect => connect::parse_connect(f, body),
            PacketType::ConnAck => connect::parse_connack(f, v, body),
            PacketType::Publish => publish::parse(f, v, header.flags, body).map(|(i, p)| (i, Packet::Publish(p))),
            PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
                ack::parse(t, v, f, body)
            }
            PacketType::Subscribe => subscribe::parse_subscribe(f, v, body),
            PacketType::SubAck => subscribe::parse_suback(f, v, body),
            PacketType::Unsubscribe => subscribe::parse_unsubscribe(f, v, body),
            PacketType::UnsubAck => subscribe::parse_unsuback(f, v, body),
            PacketType::PingReq => Ok((body, Packet::PingReq)),
            PacketType::PingResp => Ok((body, Packet::PingResp)),
            PacketType::Disconnect => control::parse_disconnect(f, v, body),
            PacketType::Auth => control::parse_auth(f, body),
        };
        let (rest, packet) = result.map_err(|e| to_decode_error(t, f, e))?;
        (f.len() - rest.len(), packet)
    };
    match &mut packet {
        // MQTT 5 §3.3.3: the payload is whatever follows the variable header.
        Packet::Publish(p) => {
            let mut payload = frame;
            payload.advance(end);
            p.payload = payload;
        }
        _ if end < frame.len() => {
            let kind = ErrorKind::TrailingBytes(frame.len() - end);
            return Err(DecodeError::new(t.name(), "end of packet", end, kind));
        }
        _ => {}
    }
    Ok(packet)
}

fn to_decode_error(t: PacketType, frame: &[u8], e: nom::Err<Fail>) -> DecodeError {
    match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => {
            let field = if f.field.is_empty() { "packet" } else { f.field };
            DecodeError::new(t.name(), field, frame.len() - f.rest, f.kind)
        }
        // Only complete parsers are used inside a frame; treat it as running off the end.
        nom::Err::Incomplete(_) => DecodeError::new(t.name(), "packet", frame.len(), ErrorKind::Truncated),
    }
}
