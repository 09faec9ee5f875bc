//! The `raw-protobuf` view: a Protobuf payload decoded from the wire format alone, as
//! `protoc --decode_raw` does, for when no `.proto` file is at hand. Keys are field numbers; a number
//! seen more than once becomes an array. Varints are numbers, fixed64 and fixed32 values hex strings
//! (`0x…`, their meaning is in the `.proto`), groups objects. A length-delimited value is a string
//! when it is printable UTF-8, else a nested message when its bytes parse as one, else a string when it
//! is UTF-8, else hex.
//!
//! Bounded: at most [`MAX_DEPTH`] levels of nesting and [`MAX_FIELDS`] fields read in all (tries
//! included), then an error; nothing is allocated beyond what the payload's own bytes hold.

use serde_json::{Map, Value};

use super::wire::{Reader, WireError, WireValue};
use crate::payload::MAX_DEPTH;
use crate::payload::hex::hex_value;

/// Most fields read while decoding one payload, counting the ones read by nested tries that failed.
pub const MAX_FIELDS: usize = 1 << 18;

/// The payload as a JSON object keyed by field number.
pub fn decode(payload: &[u8]) -> Result<Value, WireError> {
    let mut work = Work { fields: 0 };
    let mut r = Reader::new(payload);
    let map = fields(&mut r, 0, 0, None, &mut work).map_err(|f| f.error)?;
    Ok(Value::Object(map))
}

struct Work {
    fields: usize,
}

/// A failure, and whether it ends the whole decode (a limit) or only a nested try.
struct Failure {
    error: WireError,
    fatal: bool,
}

impl From<WireError> for Failure {
    fn from(error: WireError) -> Self {
        Self { error, fatal: false }
    }
}

/// Fields up to the end of `r` (or, in a group, up to its end tag); `base` is `r`'s offset in the payload.
fn fields(
    r: &mut Reader<'_>,
    base: usize,
    depth: usize,
    group: Option<u32>,
    work: &mut Work,
) -> Result<Map<String, Value>, Failure> {
    let limit = |offset: usize, reason: String| Failure { error: WireError { offset, reason }, fatal: true };
    if depth > MAX_DEPTH {
        return Err(limit(base + r.pos(), format!("nested deeper than {MAX_DEPTH} levels")));
    }
    let mut map = Map::new();
    loop {
        if r.at_end() {
            return match group {
                None => Ok(map),
                Some(n) => Err(at(base, r.pos(), format!("group {n} has no end"))),
            };
        }
        let at_field = r.pos();
        let (number, wire) = r.field().map_err(|e| at(base, e.offset, e.reason))?;
        work.fields += 1;
        if work.fields > MAX_FIELDS {
            return Err(limit(base + at_field, format!("more than {MAX_FIELDS} fields")));
        }
        let value = match wire {
            WireValue::Varint(v) => Value::from(v),
            WireValue::Fixed64(v) => Value::String(format!("0x{v:016x}")),
            WireValue::Fixed32(v) => Value::String(format!("0x{v:08x}")),
            WireValue::Len(bytes) => {
                let start = base + r.pos() - bytes.len();
                length_delimited(bytes, start, depth, work)?
            }
            WireValue::StartGroup => Value::Object(fields(r, base, depth + 1, Some(number), work)?),
            WireValue::EndGroup if group == Some(number) => return Ok(map),
            WireValue::EndGroup => {
                return Err(at(base, at_field, format!("end of group {number}, which was not started")));
            }
        };
        insert(&mut map, number, value);
    }
}

fn at(base: usize, offset: usize, reason: String) -> Failure {
    Failure { error: WireError { offset: base + offset, reason }, fatal: false }
}

fn length_delimited(bytes: &[u8], start: usize, depth: usize, work: &mut Work) -> Result<Value, Failure> {
    let text = std::str::from_utf8(bytes).ok();
    if let Some(t) = text.filter(|t| printable(t)) {
        return Ok(Value::String(t.to_owned()));
    }
    match fields(&mut Reader::new(bytes), start, depth + 1, None, work) {
        Ok(map) if !map.is_empty() => return Ok(Value::Object(map)),
        Err(f) if f.fatal => return Err(f),
        _ => {}
    }
    Ok(match text {
        Some(t) => Value::String(t.to_owned()),
        None => hex_value(bytes),
    })
}

/// Text a person wrote: no control characters but tabs and line ends.
fn printable(t: &str) -> bool {
    !t.is_empty() && t.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// Adds a field; a number seen again turns into an array of its values in wire order.
fn insert(map: &mut Map<String, Value>, number: u32, value: Value) {
    let key = number.to_string();
    match map.get_mut(&key) {
        // Values are never arrays themselves, so an array under a key is the repeated form.
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            map.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_like_protoc_decode_raw() {
        let bytes = [
            0x08, 0x96, 0x01, // 1: 150
            0x12, 0x05, b'h', b'e', b'l', b'l', b'o', // 2: "hello"
            0x1a, 0x04, 0x08, 0x01, 0x08, 0x02, // 3 { 1: 1  1: 2 }
            0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, // 4: 0x3ff0000000000000
            0x2d, 0, 0, 0x80, 0x3f, // 5: 0x3f800000
            0x32, 0x02, 0xff, 0xfe, // 6: bytes
            0x3b, 0x08, 0x07, 0x3c, // 7 (group) { 1: 7 }
            0x08, 0x03, // 1: 3 again
        ];
        assert_eq!(
            decode(&bytes).unwrap(),
            json!({
                "1": [150, 3],
                "2": "hello",
                "3": {"1": [1, 2]},
                "4": "0x3ff0000000000000",
                "5": "0x3f800000",
                "6": "fffe",
                "7": {"1": 7},
            })
        );
    }

    #[test]
    fn nesting_ten_thousand_levels_is_an_error() {
        // Each level: field 1, length-delimited, holding the next level.
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            let mut outer = vec![0x0a];
            let mut len = bytes.len();
            while len >= 0x80 {
                outer.push((len as u8) | 0x80);
                len >>= 7;
            }
            outer.push(len as u8);
            outer.extend_from_slice(&bytes);
            bytes = outer;
        }
        let e = decode(&bytes).unwrap_err();
        assert!(e.reason.contains("nested deeper"), "{e}");
        let groups: Vec<u8> = std::iter::repeat_n(0x0b, 10_000).collect();
        assert!(decode(&groups).unwrap_err().reason.contains("nested deeper"));
    }

    #[test]
    fn lying_lengths_and_stray_group_ends_are_errors() {
        let e = decode(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
        assert!(e.reason.contains("more than the 0 bytes left"), "{e}");
        assert!(decode(&[0x0c]).unwrap_err().reason.contains("not started"));
        assert!(decode(&[0x0b, 0x08, 0x01]).unwrap_err().reason.contains("no end"));
        // A nested try that fails leaves the bytes as they are.
        assert_eq!(decode(&[0x0a, 0x02, 0x0a, 0xff]).unwrap(), json!({"1": "0aff"}));
    }

    #[test]
    fn too_many_fields_is_an_error() {
        let bytes: Vec<u8> = std::iter::repeat_n([0x08, 0x01], MAX_FIELDS + 1).flatten().collect();
        assert!(decode(&bytes).unwrap_err().reason.contains("fields"));
    }
}
