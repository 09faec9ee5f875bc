//! nom building blocks shared by the packet parsers: the error type, MQTT's data representations
//! (MQTT 5 §1.5) and zero-copy slicing back into the frame.
//!
//! Inside a frame the input is complete, so only `complete` number parsers are used: a field cut
//! short is `Truncated`, never `Incomplete`.

use super::error::ErrorKind;
use super::{ByteString, Bytes};
use nom::bytes::complete::take;
use nom::error::ParseError;
use nom::number::complete::{be_u8, be_u16, be_u32};
use nom::{IResult, Parser};

/// A parse failure. The offset is derived later from how much input was left (`rest`).
#[derive(Debug)]
pub(crate) struct Fail {
    pub rest: usize,
    pub field: &'static str,
    pub kind: ErrorKind,
}

impl<'a> ParseError<&'a [u8]> for Fail {
    fn from_error_kind(input: &'a [u8], _: nom::error::ErrorKind) -> Self {
        Fail { rest: input.len(), field: "", kind: ErrorKind::Truncated }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, Fail>;

/// The error for a failure at position `i`.
pub(crate) fn failure(i: &[u8], field: &'static str, kind: ErrorKind) -> nom::Err<Fail> {
    nom::Err::Failure(Fail { rest: i.len(), field, kind })
}

/// Fails at position `i` with `kind`.
pub(crate) fn fail<'a, T>(i: &'a [u8], field: &'static str, kind: ErrorKind) -> PResult<'a, T> {
    Err(failure(i, field, kind))
}

/// Names the field for any error from `parser` that does not name one yet.
pub(crate) fn field<'a, O>(
    name: &'static str,
    mut parser: impl Parser<&'a [u8], Output = O, Error = Fail>,
) -> impl FnMut(&'a [u8]) -> PResult<'a, O> {
    move |i| {
        parser.parse(i).map_err(|e| {
            e.map(|mut f| {
                if f.field.is_empty() {
                    f.field = name;
                }
                f
            })
        })
    }
}

pub(crate) fn u8_<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, u8> {
    field(name, be_u8)
}

pub(crate) fn u16_<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, u16> {
    field(name, be_u16)
}

pub(crate) fn u32_<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, u32> {
    field(name, be_u32)
}

/// A non-zero packet identifier (MQTT 5 §2.2.1).
pub(crate) fn packet_id(i: &[u8]) -> PResult<'_, u16> {
    let (rest, id) = u16_("packet identifier")(i)?;
    if id == 0 {
        return fail(i, "packet identifier", ErrorKind::ZeroPacketId);
    }
    Ok((rest, id))
}

/// Variable byte integer (MQTT 5 §1.5.5): at most four bytes, minimally encoded.
pub(crate) fn var_int<'a>(name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, u32> {
    move |i: &'a [u8]| {
        let mut value: u32 = 0;
        for n in 0..4 {
            let Some(&byte) = i.get(n) else {
                return fail(&i[i.len()..], name, ErrorKind::Truncated);
            };
            value |= u32::from(byte & 0x7f) << (7 * n);
            if byte & 0x80 == 0 {
                if n > 0 && byte == 0 {
                    return fail(i, name, ErrorKind::NonMinimalVarInt);
                }
                return Ok((&i[n + 1..], value));
            }
        }
        fail(i, name, ErrorKind::RemainingLengthTooLong)
    }
}

/// Binary data (MQTT 5 §1.5.6): two-byte length, then that many bytes, sliced from `frame`.
pub(crate) fn binary<'a>(frame: &'a Bytes, name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, Bytes> {
    move |i: &'a [u8]| {
        let (i, len) = u16_(name)(i)?;
        let (rest, data) = field(name, take(len))(i)?;
        Ok((rest, frame.slice_ref(data)))
    }
}

/// UTF-8 encoded string (MQTT 5 §1.5.4): well-formed UTF-8 and no U+0000. Zero-copy.
pub(crate) fn utf8<'a>(frame: &'a Bytes, name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, ByteString> {
    move |i: &'a [u8]| {
        let (i, len) = u16_(name)(i)?;
        let (rest, data) = field(name, take(len))(i)?;
        let s = validated_str(frame, i, data, name)?;
        Ok((rest, s))
    }
}

/// Checks UTF-8 rules on `data`, a slice of `frame` that starts at `at`, and wraps it. An error
/// points at the offending byte, not at the start of the string.
fn validated_str(frame: &Bytes, at: &[u8], data: &[u8], name: &'static str) -> Result<ByteString, nom::Err<Fail>> {
    if let Some(pos) = find_forbidden(data, false) {
        return Err(failure(&at[pos..], name, ErrorKind::NullCharacter));
    }
    wrap_utf8(frame, at, data, name)
}

/// Wraps `data`, a slice of `frame` that starts at `at`, once it is known to hold no U+0000.
fn wrap_utf8(frame: &Bytes, at: &[u8], data: &[u8], name: &'static str) -> Result<ByteString, nom::Err<Fail>> {
    ByteString::try_from(frame.slice_ref(data)).map_err(|_| {
        // Only on the error path: find where the bad sequence starts.
        let pos = std::str::from_utf8(data).err().map_or(0, |e| e.valid_up_to());
        failure(&at[pos..], name, ErrorKind::InvalidUtf8)
    })
}

/// Topic name (MQTT 5 §4.7.1): a UTF-8 string without wildcards. Checks U+0000, `+` and `#` in one
/// pass; the error points at the offending byte. Emptiness is the caller's rule.
pub(crate) fn topic_name<'a>(frame: &'a Bytes, name: &'static str) -> impl FnMut(&'a [u8]) -> PResult<'a, ByteString> {
    move |i: &'a [u8]| {
        let (i, len) = u16_(name)(i)?;
        let (rest, data) = field(name, take(len))(i)?;
        if let Some(pos) = find_forbidden(data, true) {
            let kind =
                if data.get(pos) == Some(&0) { ErrorKind::NullCharacter } else { ErrorKind::WildcardInTopicName };
            return fail(&i[pos..], name, kind);
        }
        let s = wrap_utf8(frame, i, data, name)?;
        Ok((rest, s))
    }
}

/// Position of the first U+0000 byte, or with `wildcards` also the first `+` or `#`. This runs on
/// every topic of every PUBLISH, so it uses memchr's vectorised search.
pub(crate) fn find_forbidden(data: &[u8], wildcards: bool) -> Option<usize> {
    if wildcards { memchr::memchr3(0, b'+', b'#', data) } else { memchr::memchr(0, data) }
}

/// Whether a topic name holds U+0000, `+` or `#`: the yes/no half of `find_forbidden(data, true)`,
/// for the hot path. Topics are short, so the search works on 16-byte blocks that the compiler
/// turns into a few vector compares, with no call; the last block overlaps the one before it.
/// The answer is exact; `find_forbidden` finds the position on the error path.
#[inline]
pub(crate) fn has_forbidden_topic_byte(data: &[u8]) -> bool {
    // `+` (0x2b) and `#` (0x23) differ only in bit 3, so one compare after setting it finds both.
    fn block(c: &[u8]) -> bool {
        let mut hit = 0u8;
        for &b in c {
            hit |= u8::from(b == 0) | u8::from(b | 0x08 == b'+');
        }
        hit != 0
    }
    if data.len() < 16 {
        return block(data);
    }
    let mut chunks = data.chunks_exact(16);
    chunks.any(block) || block(&data[data.len() - 16..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_int_decodes_spec_boundaries() {
        // MQTT 5 §1.5.5 table 1-1.
        let cases: &[(&[u8], u32)] = &[
            (&[0x00], 0),
            (&[0x7f], 127),
            (&[0x80, 0x01], 128),
            (&[0xff, 0x7f], 16_383),
            (&[0x80, 0x80, 0x01], 16_384),
            (&[0xff, 0xff, 0x7f], 2_097_151),
            (&[0x80, 0x80, 0x80, 0x01], 2_097_152),
            (&[0xff, 0xff, 0xff, 0x7f], 268_435_455),
        ];
        for (bytes, want) in cases {
            let (rest, got) = var_int("v")(bytes).expect("valid");
            assert_eq!((rest.len(), got), (0, *want), "{bytes:02x?}");
        }
    }

    #[test]
    fn var_int_rejects_five_bytes_and_non_minimal() {
        let Err(nom::Err::Failure(f)) = var_int("v")(&[0x80, 0x80, 0x80, 0x80, 0x01]) else {
            unreachable!("must fail")
        };
        assert_eq!(f.kind, ErrorKind::RemainingLengthTooLong);
        let Err(nom::Err::Failure(f)) = var_int("v")(&[0x80, 0x00]) else { unreachable!("must fail") };
        assert_eq!(f.kind, ErrorKind::NonMinimalVarInt);
        let Err(nom::Err::Failure(f)) = var_int("v")(&[0x80]) else { unreachable!("must fail") };
        assert_eq!(f.kind, ErrorKind::Truncated);
    }

    #[test]
    fn find_forbidden_finds_the_first_bad_byte_at_every_position() {
        for len in 0..40 {
            let clean = vec![b'a'; len];
            assert_eq!(find_forbidden(&clean, true), None);
            assert!(!has_forbidden_topic_byte(&clean));
            for pos in 0..len {
                for bad in [0u8, b'+', b'#'] {
                    let mut data = clean.clone();
                    data[pos] = bad;
                    data.push(0); // a later hit must not win
                    let want = if bad == 0 { Some(pos) } else { Some(len) };
                    assert_eq!(find_forbidden(&data, false), want, "{data:?}");
                    assert_eq!(find_forbidden(&data, true), Some(pos), "{data:?}");
                    assert!(has_forbidden_topic_byte(&data[..len]), "{data:?}");
                }
            }
        }
        // Bytes next to the searched values, and multi-byte UTF-8, are not hits.
        let near = "*,\"\x01\x7fü€😀 $/".repeat(3);
        assert_eq!(find_forbidden(near.as_bytes(), true), None);
        assert!(!has_forbidden_topic_byte(near.as_bytes()));
        // Every byte value, alone in a clean topic, agrees with the exact search.
        for b in 0..=255u8 {
            for len in [1, 7, 8, 9, 17] {
                let mut data = vec![b'x'; len];
                data[len / 2] = b;
                assert_eq!(has_forbidden_topic_byte(&data), find_forbidden(&data, true).is_some(), "{b:#04x} in {len}");
            }
        }
    }

    #[test]
    fn utf8_rejects_null_overlong_and_surrogates() {
        for bad in [&[0, 1, 0][..], &[0, 2, 0xc0, 0x80], &[0, 3, 0xed, 0xa0, 0x80]] {
            let frame = Bytes::copy_from_slice(bad);
            let r = utf8(&frame, "s")(&frame[..]);
            assert!(r.is_err(), "{bad:02x?} accepted");
        }
        let frame = Bytes::from_static(&[0, 3, b'a', b'/', b'b', 9]);
        let (rest, s) = utf8(&frame, "s")(&frame[..]).expect("valid");
        assert_eq!((&*s, rest), ("a/b", &[9u8][..]));
    }
}
