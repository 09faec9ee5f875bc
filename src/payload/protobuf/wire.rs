//! The Protobuf wire format (protobuf.dev/programming-guides/encoding): tags, varints, fixed-width
//! values and length-delimited records, read from a complete buffer. Every read checks what is left
//! first, so a length that lies is an error and never an allocation.

use std::fmt;

/// The largest field number (encoding guide, "Field Numbers": 2^29 - 1).
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

/// Where and why the wire bytes did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// One field's value as the wire carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: a string, bytes, a nested message or a packed repeated field.
    Len(&'a [u8]),
    /// Wire type 3 (deprecated groups): the start tag; the caller reads fields up to the matching end.
    StartGroup,
    /// Wire type 4: ends the group with the same field number.
    EndGroup,
    /// Wire type 5.
    Fixed32(u32),
}

/// A cursor over a complete message.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    fn fail<T>(&self, offset: usize, reason: impl Into<String>) -> Result<T, WireError> {
        Err(WireError { offset, reason: reason.into() })
    }

    /// A base-128 varint of at most 10 bytes.
    pub fn varint(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return self.fail(start, "truncated varint");
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.fail(start, "varint longer than 10 bytes")
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], WireError> {
        let left = self.buf.len() - self.pos.min(self.buf.len());
        let Some(bytes) = usize::try_from(n).ok().and_then(|n| self.buf.get(self.pos..)?.get(..n)) else {
            return self.fail(self.pos, format!("length {n} is more than the {left} bytes left"));
        };
        self.pos += bytes.len();
        Ok(bytes)
    }

    /// The next field's number and value.
    pub fn field(&mut self) -> Result<(u32, WireValue<'a>), WireError> {
        let at = self.pos;
        let tag = self.varint()?;
        let number = tag >> 3;
        if number == 0 || number > MAX_FIELD_NUMBER {
            return self.fail(at, format!("field number {number} is outside 1 to {MAX_FIELD_NUMBER}"));
        }
        let value = match tag & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.array()?)),
            2 => {
                let len = self.varint()?;
                WireValue::Len(self.take(len)?)
            }
            3 => WireValue::StartGroup,
            4 => WireValue::EndGroup,
            5 => WireValue::Fixed32(u32::from_le_bytes(self.array()?)),
            t => return self.fail(at, format!("wire type {t} does not exist")),
        };
        // The check above keeps the number within 29 bits.
        Ok((u32::try_from(number).unwrap_or(u32::MAX), value))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let at = self.pos;
        let bytes = self.take(N as u64)?;
        bytes.try_into().or_else(|_| self.fail(at, "truncated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_wire_type() {
        let bytes = [
            0x08, 0x96, 0x01, // field 1, varint 150
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // field 2, fixed64 1
            0x1a, 0x02, b'h', b'i', // field 3, "hi"
            0x23, 0x24, // field 4, start and end group
            0x2d, 2, 0, 0, 0, // field 5, fixed32 2
        ];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.field(), Ok((1, WireValue::Varint(150))));
        assert_eq!(r.field(), Ok((2, WireValue::Fixed64(1))));
        assert_eq!(r.field(), Ok((3, WireValue::Len(b"hi"))));
        assert_eq!(r.field(), Ok((4, WireValue::StartGroup)));
        assert_eq!(r.field(), Ok((4, WireValue::EndGroup)));
        assert_eq!(r.field(), Ok((5, WireValue::Fixed32(2))));
        assert!(r.at_end());
    }

    #[test]
    fn lies_are_errors_with_offsets() {
        let huge_len = [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, b'x'];
        let e = Reader::new(&huge_len).field().unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.reason.contains("4294967295"), "{e}");
        assert!(Reader::new(&[0x08]).field().unwrap_err().reason.contains("truncated varint"));
        assert!(Reader::new(&[0x08; 12]).field().is_ok());
        assert!(
            Reader::new(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).field().is_err()
        );
        assert!(Reader::new(&[0x00]).field().unwrap_err().reason.contains("field number 0"));
        assert!(Reader::new(&[0x0e]).field().unwrap_err().reason.contains("wire type 6"));
        assert!(Reader::new(&[0x0d, 1, 2]).field().is_err());
    }
}
