//! The fixed header (MQTT 5 §2.1.1):
//!
//! ```text
//! bit    7  6  5  4 | 3  2  1  0
//! byte 1 packet type| flags
//! byte 2..          remaining length (variable byte integer, 1-4 bytes)
//! ```

use super::error::{DecodeError, ErrorKind};
use super::{PacketType, ProtocolVersion};

/// The largest remaining length a variable byte integer can carry (MQTT 5 §1.5.5).
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    pub packet_type: PacketType,
    pub flags: u8,
    pub remaining_len: usize,
    /// Bytes of the fixed header itself (2 to 5).
    pub header_len: usize,
}

impl FixedHeader {
    /// Bytes of the whole packet.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.remaining_len
    }
}

/// Reads the fixed header at the start of `buf`. `Ok(None)` while it is incomplete. The type and
/// flags are checked as soon as the first byte is there, so garbage fails fast.
pub fn peek(buf: &[u8], version: ProtocolVersion) -> Result<Option<FixedHeader>, DecodeError> {
    let Some(&byte1) = buf.first() else { return Ok(None) };
    let raw_type = byte1 >> 4;
    let flags = byte1 & 0x0f;
    let packet_type = match PacketType::from_u8(raw_type) {
        Some(PacketType::Auth) if !version.is_v5() => None,
        t => t,
    };
    let Some(packet_type) = packet_type else {
        return Err(DecodeError::new("packet", "packet type", 0, ErrorKind::ReservedPacketType(raw_type)));
    };
    if let Some(expected) = packet_type.required_flags()
        && flags != expected
    {
        let kind = ErrorKind::ReservedFlags { expected, found: flags };
        return Err(DecodeError::new(packet_type.name(), "fixed header flags", 0, kind));
    }
    let mut remaining_len = 0usize;
    for n in 0..4 {
        let Some(&byte) = buf.get(1 + n) else { return Ok(None) };
        remaining_len |= usize::from(byte & 0x7f) << (7 * n);
        if byte & 0x80 == 0 {
            if n > 0 && byte == 0 {
                let kind = ErrorKind::NonMinimalVarInt;
                return Err(DecodeError::new(packet_type.name(), "remaining length", 1, kind));
            }
            return Ok(Some(FixedHeader { packet_type, flags, remaining_len, header_len: 2 + n }));
        }
    }
    let kind = ErrorKind::RemainingLengthTooLong;
    Err(DecodeError::new(packet_type.name(), "remaining length", 1, kind))
}

/// The header of a PUBLISH with a one- or two-byte remaining length (up to 16 KiB), the common
/// case, read without the general checks. `None` for anything else, including an incomplete or
/// malformed header: `peek` then decides.
#[inline]
pub fn peek_small_publish(buf: &[u8]) -> Option<FixedHeader> {
    let (byte1, len1) = (*buf.first()?, *buf.get(1)?);
    if byte1 >> 4 != PacketType::Publish as u8 {
        return None;
    }
    let (remaining_len, header_len) = if len1 & 0x80 == 0 {
        (usize::from(len1), 2)
    } else {
        let len2 = *buf.get(2)?;
        if len2 & 0x80 != 0 || len2 == 0 {
            return None;
        }
        (usize::from(len1 & 0x7f) | usize::from(len2) << 7, 3)
    };
    Some(FixedHeader { packet_type: PacketType::Publish, flags: byte1 & 0x0f, remaining_len, header_len })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: ProtocolVersion = ProtocolVersion::V3_1_1;

    #[test]
    fn incomplete_header_is_none_not_error() {
        assert_eq!(peek(&[], V4), Ok(None));
        assert_eq!(peek(&[0x30], V4), Ok(None));
        assert_eq!(peek(&[0x30, 0x80], V4), Ok(None));
    }

    #[test]
    fn reads_multi_byte_remaining_length() {
        let h = peek(&[0x30, 0xc1, 0x02], V4).unwrap().unwrap();
        assert_eq!((h.remaining_len, h.header_len, h.frame_len()), (321, 3, 324));
    }

    #[test]
    fn rejects_reserved_type_and_flags_from_the_first_byte() {
        assert_eq!(peek(&[0x00], V4).unwrap_err().kind, ErrorKind::ReservedPacketType(0));
        assert_eq!(peek(&[0xf0], V4).unwrap_err().kind, ErrorKind::ReservedPacketType(15));
        assert!(peek(&[0xf0, 0], ProtocolVersion::V5).unwrap().is_some());
        let e = peek(&[0x62], V4).map(|_| ()).err(); // PUBREL flags OK
        assert_eq!(e, None);
        let e = peek(&[0x60], V4).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ReservedFlags { expected: 2, found: 0 });
        assert_eq!(e.packet, "PUBREL");
        assert_eq!(peek(&[0x81], V4).unwrap_err().kind, ErrorKind::ReservedFlags { expected: 2, found: 1 });
        assert_eq!(peek(&[0xc1], V4).unwrap_err().kind, ErrorKind::ReservedFlags { expected: 0, found: 1 });
    }

    #[test]
    fn small_publish_header_agrees_with_peek() {
        let cases: &[&[u8]] = &[
            &[0x30, 0x00],
            &[0x3d, 0x7f],
            &[0x32, 0x80, 0x01],
            &[0x30, 0xff, 0x7f],
            &[0x30, 0x80, 0x00],       // non-minimal: not taken
            &[0x30, 0x80, 0x80, 0x01], // three bytes: not taken
            &[0x30, 0x80],             // incomplete: not taken
            &[0x40, 0x02],             // PUBACK: not taken
            &[0x36, 0x05],             // QoS 3: header only, the body parser rejects it
        ];
        for case in cases {
            if let Some(fast) = peek_small_publish(case) {
                assert_eq!(Ok(Some(fast)), peek(case, V4), "{case:02x?}");
            }
        }
        assert!(peek_small_publish(&[0x30, 0x80, 0x00]).is_none());
        assert!(peek_small_publish(&[0x30, 0x80, 0x80, 0x01]).is_none());
        assert_eq!(peek_small_publish(&[0x30, 0xff, 0x7f]).map(|h| h.frame_len()), Some(16_386));
    }

    #[test]
    fn rejects_five_byte_remaining_length() {
        let e = peek(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], V4).unwrap_err();
        assert_eq!((e.kind, e.field), (ErrorKind::RemainingLengthTooLong, "remaining length"));
    }
}
