//! MessagePack to a JSON value, per the MessagePack specification
//! (<https://github.com/msgpack/msgpack/blob/master/spec.md>). Binary data becomes a hex string,
//! timestamps (extension -1) an RFC 3339 string, other extensions `ext(TYPE):HEX`.
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

use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use super::binary::{DecodeError, Reader, decode_whole, float_value, wire_len};
use super::hex::hex_value;
use crate::timefmt;

pub(super) fn decode(payload: &[u8]) -> Result<Value, DecodeError> {
    decode_whole(payload, value)
}

fn value(r: &mut Reader<'_>, depth: usize) -> Result<Value, DecodeError> {
    let at = r.pos;
    r.enter(depth)?;
    let b = r.u8()?;
    match b {
        0x00..=0x7f => Ok(Value::from(b)),
        0x80..=0x8f => r.map_of(at, usize::from(b & 0x0f), depth, value),
        0x90..=0x9f => r.array_of(at, usize::from(b & 0x0f), depth, value),
        0xa0..=0xbf => string(r, usize::from(b & 0x1f)),
        0xc0 => Ok(Value::Null),
        0xc1 => r.fail(at, "byte 0xc1 is never used"),
        0xc2 => Ok(Value::Bool(false)),
        0xc3 => Ok(Value::Bool(true)),
        0xc4 => {
            let n = usize::from(r.u8()?);
            Ok(hex_value(r.take(n)?))
        }
        0xc5 => {
            let n = usize::from(r.u16()?);
            Ok(hex_value(r.take(n)?))
        }
        0xc6 => {
            let n = wire_len(r.u32()?.into());
            Ok(hex_value(r.take(n)?))
        }
        0xc7 => {
            let n = usize::from(r.u8()?);
            ext(r, n)
        }
        0xc8 => {
            let n = usize::from(r.u16()?);
            ext(r, n)
        }
        0xc9 => {
            let n = wire_len(r.u32()?.into());
            ext(r, n)
        }
        0xca => Ok(float_value(f64::from(f32::from_bits(r.u32()?)))),
        0xcb => Ok(float_value(f64::from_bits(r.u64()?))),
        0xcc => Ok(Value::from(r.u8()?)),
        0xcd => Ok(Value::from(r.u16()?)),
        0xce => Ok(Value::from(r.u32()?)),
        0xcf => Ok(Value::from(r.u64()?)),
        0xd0 => Ok(Value::from(i8::from_be_bytes(r.array()?))),
        0xd1 => Ok(Value::from(i16::from_be_bytes(r.array()?))),
        0xd2 => Ok(Value::from(i32::from_be_bytes(r.array()?))),
        0xd3 => Ok(Value::from(i64::from_be_bytes(r.array()?))),
        0xd4 => ext(r, 1),
        0xd5 => ext(r, 2),
        0xd6 => ext(r, 4),
        0xd7 => ext(r, 8),
        0xd8 => ext(r, 16),
        0xd9 => {
            let n = usize::from(r.u8()?);
            string(r, n)
        }
        0xda => {
            let n = usize::from(r.u16()?);
            string(r, n)
        }
        0xdb => {
            let n = wire_len(r.u32()?.into());
            string(r, n)
        }
        0xdc => {
            let n = usize::from(r.u16()?);
            r.array_of(at, n, depth, value)
        }
        0xdd => {
            let n = wire_len(r.u32()?.into());
            r.array_of(at, n, depth, value)
        }
        0xde => {
            let n = usize::from(r.u16()?);
            r.map_of(at, n, depth, value)
        }
        0xdf => {
            let n = wire_len(r.u32()?.into());
            r.map_of(at, n, depth, value)
        }
        0xe0..=0xff => Ok(Value::from(i8::from_be_bytes([b]))),
    }
}

/// Strings that are not UTF-8 (old encoders put binary in raw strings) are kept with U+FFFD.
fn string(r: &mut Reader<'_>, n: usize) -> Result<Value, DecodeError> {
    Ok(Value::String(String::from_utf8_lossy(r.take(n)?).into_owned()))
}

fn ext(r: &mut Reader<'_>, n: usize) -> Result<Value, DecodeError> {
    let kind = i8::from_be_bytes(r.array()?);
    let data = r.take(n)?;
    if kind == -1
        && let Some(time) = timestamp(data)
    {
        return Ok(Value::String(time));
    }
    let hex = hex_value(data);
    Ok(Value::String(format!("ext({kind}):{}", hex.as_str().unwrap_or_default())))
}

/// Timestamp extension (type -1): 32-bit seconds; 30-bit nanoseconds and 34-bit seconds; or 32-bit
/// nanoseconds and signed 64-bit seconds. Times before 1970 stay hex.
fn timestamp(data: &[u8]) -> Option<String> {
    let (secs, nanos) = match data.len() {
        4 => (u64::from(u32::from_be_bytes(data.try_into().ok()?)), 0),
        8 => {
            let v = u64::from_be_bytes(data.try_into().ok()?);
            (v & 0x3_ffff_ffff, u32::try_from(v >> 34).ok()?)
        }
        12 => {
            let (nanos, secs) = data.split_at(4);
            (u64::try_from(i64::from_be_bytes(secs.try_into().ok()?)).ok()?, u32::from_be_bytes(nanos.try_into().ok()?))
        }
        _ => return None,
    };
    // Past 9999-12-31 an RFC 3339 year no longer has four digits.
    if nanos >= 1_000_000_000 || secs > 253_402_300_799 {
        return None;
    }
    let time = UNIX_EPOCH.checked_add(Duration::new(secs, nanos))?;
    Some(timefmt::rfc3339_millis(time))
}
