//! CBOR to a JSON value, per RFC 8949. Tags are dropped and the tagged value kept (§3.4); byte
//! strings become hex strings; `undefined` becomes null and other simple values `simple(N)` (§3.3);
//! indefinite-length items are joined (§3.2).
//!
//! Why hand-written and not rmpv/ciborium: tests/binary_readers.rs feeds both hostile payloads
//! (measured on a debug build). A declared 4 GiB array, string or binary: rmpv and ciborium refuse
//! it without reserving it, as this reader does. 100,000 levels of nesting: rmpv's default depth
//! (1,024) overflows a 2 MiB thread stack and needs 8 MiB, ciborium's (256) overflows 256 KiB;
//! told to stop at 64 (`read_value_with_max_depth`, `from_reader_with_recursion_limit`) both stop
//! in time, as this reader does (which, in a debug build, needs more than 256 KiB of stack for
//! its 64 levels of definite arrays; 2 MiB is enough). What neither holds is a limit on values: a payload of 1 MB that
//! is one array of a million empty arrays decodes whole (about 41 MB resident for rmpv, 33 MB for
//! ciborium, before any conversion to JSON), where this reader stops at `MAX_ELEMENTS` (262,144
//! values, about 20 MB). The conversion to our JSON shapes (offsets in errors, binary as hex,
//! timestamps, tags) would be ours either way.

use serde_json::{Map, Value};

use super::binary::{DecodeError, Reader, decode_whole, float_value, key_string, wire_len};
use super::hex::hex_value;

pub(super) fn decode(payload: &[u8]) -> Result<Value, DecodeError> {
    decode_whole(payload, value)
}

fn value(r: &mut Reader<'_>, depth: usize) -> Result<Value, DecodeError> {
    let at = r.pos;
    r.enter(depth)?;
    let initial = r.u8()?;
    let (major, info) = (initial >> 5, initial & 0x1f);
    if major == 7 {
        return simple(r, at, info);
    }
    if info == 31 {
        return match major {
            2 | 3 => indefinite_string(r, at, major),
            4 => {
                let mut items = Vec::new();
                while !take_break(r, at)? {
                    items.push(value(r, depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                let mut entries = Map::new();
                while !take_break(r, at)? {
                    let key = value(r, depth + 1)?;
                    let item = value(r, depth + 1)?;
                    entries.insert(key_string(key), item);
                }
                Ok(Value::Object(entries))
            }
            _ => r.fail(at, format!("major type {major} cannot have an indefinite length")),
        };
    }
    let arg = argument(r, at, info)?;
    match major {
        0 => Ok(Value::from(arg)),
        // -1 - arg; below i64::MIN only a float can hold it.
        1 => Ok(match i64::try_from(arg) {
            Ok(n) => Value::from(-1 - n),
            Err(_) => float_value(-1.0 - arg as f64),
        }),
        2 => Ok(hex_value(r.take(wire_len(arg))?)),
        3 => Ok(Value::String(String::from_utf8_lossy(r.take(wire_len(arg))?).into_owned())),
        4 => r.array_of(at, wire_len(arg), depth, value),
        5 => r.map_of(at, wire_len(arg), depth, value),
        // Major type 6, a tag: keep the tagged value.
        _ => value(r, depth + 1),
    }
}

/// The argument that follows the initial byte (§3): in the byte itself below 24, else 1, 2, 4 or 8 bytes.
fn argument(r: &mut Reader<'_>, at: usize, info: u8) -> Result<u64, DecodeError> {
    match info {
        0..=23 => Ok(u64::from(info)),
        24 => Ok(u64::from(r.u8()?)),
        25 => Ok(u64::from(r.u16()?)),
        26 => Ok(u64::from(r.u32()?)),
        27 => r.u64(),
        _ => r.fail(at, format!("reserved additional information {info}")),
    }
}

/// Major type 7 (§3.3): false, true, null, undefined, simple values and floats.
fn simple(r: &mut Reader<'_>, at: usize, info: u8) -> Result<Value, DecodeError> {
    match info {
        20 => Ok(Value::Bool(false)),
        21 => Ok(Value::Bool(true)),
        22 | 23 => Ok(Value::Null),
        0..=19 => Ok(Value::String(format!("simple({info})"))),
        24 => match r.u8()? {
            v @ 0..=31 => r.fail(at, format!("simple value {v} must not use the two-byte form")),
            v => Ok(Value::String(format!("simple({v})"))),
        },
        25 => Ok(float_value(half_to_f64(r.u16()?))),
        26 => Ok(float_value(f64::from(f32::from_bits(r.u32()?)))),
        27 => Ok(float_value(f64::from_bits(r.u64()?))),
        31 => r.fail(at, "break (0xff) outside an indefinite-length item"),
        _ => r.fail(at, format!("reserved additional information {info}")),
    }
}

/// IEEE 754 half precision (RFC 8949 Appendix D).
fn half_to_f64(half: u16) -> f64 {
    let exp = i32::from((half >> 10) & 0x1f);
    let mant = f64::from(half & 0x3ff);
    let value = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (mant + 1024.0) * 2f64.powi(exp - 25),
    };
    if half & 0x8000 != 0 { -value } else { value }
}

/// Consumes the break that ends an indefinite-length item, if it is next.
fn take_break(r: &mut Reader<'_>, start: usize) -> Result<bool, DecodeError> {
    match r.buf.get(r.pos) {
        Some(0xff) => {
            r.pos += 1;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => r.fail(r.pos, format!("truncated: no break (0xff) ends the indefinite-length item from byte {start}")),
    }
}

/// Definite-length chunks of the same major type up to a break (§3.2.3).
fn indefinite_string(r: &mut Reader<'_>, start: usize, major: u8) -> Result<Value, DecodeError> {
    let mut data = Vec::new();
    while !take_break(r, start)? {
        let at = r.pos;
        let initial = r.u8()?;
        if initial >> 5 != major || initial & 0x1f == 31 {
            return r.fail(at, "chunk of an indefinite-length string is not a definite string of the same type");
        }
        let n = wire_len(argument(r, at, initial & 0x1f)?);
        data.extend_from_slice(r.take(n)?);
    }
    Ok(if major == 2 { hex_value(&data) } else { Value::String(String::from_utf8_lossy(&data).into_owned()) })
}
