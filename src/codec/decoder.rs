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
    #[inline]
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        // The hot path, kept small so that it inlines: a complete small PUBLISH, most of what a
        // dashboard reads. Anything else, and any doubt, goes through the general path.
        if let Some(header) = fixed_header::peek_small_publish(buf)
            && header.frame_len() <= self.max_packet_size
            && header.frame_len() <= buf.len()
        {
            let frame = buf.split_to(header.frame_len()).freeze();
            let at = self.consumed;
            self.consumed += header.frame_len() as u64;
            return match publish::parse_fast(frame, self.version, header.flags, header.header_len) {
                Ok(p) => Ok(Some(Packet::Publish(p))),
                Err(frame) => parse_frame_nom(self.version, &header, frame).map(Some).map_err(|mut e| {
                    e.stream_offset = at;
                    e
                }),
            };
        }
        self.decode_general(buf)
    }

    #[inline(never)]
    fn decode_general(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
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
    match header.packet_type {
        PacketType::Publish => match publish::parse_fast(frame, version, header.flags, header.header_len) {
            Ok(p) => Ok(Packet::Publish(p)),
            Err(frame) => parse_frame_nom(version, header, frame),
        },
        _ => parse_frame_nom(version, header, frame),
    }
}

/// `parse_frame` through the nom parsers: every packet, every rule, precise errors.
#[inline(never)]
fn parse_frame_nom(
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// A PUBLISH frame built from loose parts: any flags, topic bytes drawn from valid and invalid
    /// ones, any packet id, a property block that may be empty, present or broken, and a topic
    /// length that may lie.
    fn frame() -> impl Strategy<Value = (ProtocolVersion, Bytes)> {
        let topic_byte = select(vec![b'a', b'/', b'$', 0u8, b'+', b'#', 0xc3, 0xa9, 0xc0, 0x80, 0xff, 0xed]);
        let valid_topic =
            proptest::string::string_regex("[a-z/$é€ ]{1,30}").expect("regex").prop_map(String::into_bytes);
        (
            select(vec![ProtocolVersion::V3_1, ProtocolVersion::V3_1_1, ProtocolVersion::V5]),
            0u8..16,
            prop_oneof![valid_topic, prop::collection::vec(topic_byte, 0..40)],
            prop_oneof![3 => Just(0i32), 1 => -2i32..3],
            prop_oneof![Just(0u16), Just(0x0100), any::<u16>()],
            select(vec![vec![], vec![0u8], vec![2, 0x23, 0x00], vec![2, 0x01, 0x01], vec![5, 0x01]]),
            prop::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(v, flags, topic, len_lie, id, props, payload)| {
                let mut body = Vec::new();
                let len = (topic.len() as i32 + len_lie).max(0) as u16;
                body.extend_from_slice(&len.to_be_bytes());
                body.extend_from_slice(&topic);
                if (flags >> 1) & 3 != 0 {
                    body.extend_from_slice(&id.to_be_bytes());
                }
                body.extend_from_slice(&props);
                body.extend_from_slice(&payload);
                let mut frame = vec![0x30 | flags, body.len() as u8];
                frame.extend_from_slice(&body);
                (v, Bytes::from(frame))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Whatever the fast path accepts, the nom parser accepts as the same packet; whatever the
        /// nom parser rejects, the fast path rejects too.
        #[test]
        fn publish_fast_path_agrees_with_nom((v, frame) in frame()) {
            let header = fixed_header::peek(&frame, v).expect("header").expect("complete");
            let nom = parse_frame_nom(v, &header, frame.clone());
            if let Ok(fast) = publish::parse_fast(frame, v, header.flags, header.header_len) {
                prop_assert_eq!(nom, Ok(Packet::Publish(fast)));
            }
        }
    }

    #[test]
    fn fast_path_errors_keep_field_offset_and_stream_offset() {
        // A valid packet, then one with `#` at byte 7 of the second frame's topic.
        let mut buf =
            BytesMut::from(&[0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i', 0x30, 0x05, 0x00, 0x03, b'a', b'/', b'#'][..]);
        let mut d = Decoder::default();
        assert!(matches!(d.decode(&mut buf), Ok(Some(Packet::Publish(_)))));
        let e = d.decode(&mut buf).expect_err("wildcard");
        assert_eq!((e.kind, e.field, e.offset, e.stream_offset), (ErrorKind::WildcardInTopicName, "topic name", 6, 7));
    }
}
