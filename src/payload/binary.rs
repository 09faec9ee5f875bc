//! What the MessagePack and CBOR readers share: a bounds-checked cursor over a complete payload, its
//! errors, and the JSON shapes both produce.

use std::fmt;

use serde_json::{Map, Number, Value};

use super::{MAX_DEPTH, MAX_ELEMENTS};

/// Where and why a MessagePack or CBOR payload did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DecodeError {
    pub(super) offset: usize,
    pub(super) reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// A cursor over a complete binary payload. Every read checks the remaining length first.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    elements: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0, elements: 0 }
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(super) fn fail<T>(&self, offset: usize, reason: impl Into<String>) -> Result<T, DecodeError> {
        Err(DecodeError { offset, reason: reason.into() })
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => self.fail(self.pos, format!("truncated: {n} bytes needed, {} left", self.remaining())),
        }
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let at = self.pos;
        let bytes = self.take(N)?;
        bytes.try_into().or_else(|_| self.fail(at, "truncated"))
    }

    pub(super) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(super) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Counts one more value and checks the depth and element limits before it is read.
    pub(super) fn enter(&mut self, depth: usize) -> Result<(), DecodeError> {
        self.elements += 1;
        if depth > MAX_DEPTH {
            return self.fail(self.pos, format!("nested deeper than {MAX_DEPTH} levels"));
        }
        if self.elements > MAX_ELEMENTS {
            return self.fail(self.pos, format!("more than {MAX_ELEMENTS} values"));
        }
        Ok(())
    }

    /// A container of `count` items of at least `min_bytes` each must fit in what is left, so a hostile
    /// count is refused before anything is allocated for it.
    pub(super) fn check_count(&self, at: usize, count: usize, min_bytes: usize, what: &str) -> Result<(), DecodeError> {
        if count.saturating_mul(min_bytes) > self.remaining() {
            return self.fail(at, format!("{what} of {count} items cannot fit in the {} bytes left", self.remaining()));
        }
        Ok(())
    }

    pub(super) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => self.fail(self.pos, format!("{n} bytes left over after the value")),
        }
    }
}

/// One format's parser for a value at a nesting depth (MessagePack's or CBOR's).
pub(super) type ValueFn = fn(&mut Reader<'_>, usize) -> Result<Value, DecodeError>;

/// The whole payload as one value, with nothing left over.
pub(super) fn decode_whole(payload: &[u8], value: ValueFn) -> Result<Value, DecodeError> {
    let mut r = Reader::new(payload);
    let v = value(&mut r, 0)?;
    r.finish()?;
    Ok(v)
}

impl Reader<'_> {
    /// An array of `n` values one level down; a count that cannot fit is refused before allocating.
    pub(super) fn array_of(&mut self, at: usize, n: usize, depth: usize, value: ValueFn) -> Result<Value, DecodeError> {
        self.check_count(at, n, 1, "array")?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(value(self, depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    /// A map of `n` key/value pairs one level down; keys become JSON keys (`key_string`).
    pub(super) fn map_of(&mut self, at: usize, n: usize, depth: usize, value: ValueFn) -> Result<Value, DecodeError> {
        self.check_count(at, n, 2, "map")?;
        let mut entries = Map::with_capacity(n);
        for _ in 0..n {
            let key = value(self, depth + 1)?;
            let item = value(self, depth + 1)?;
            entries.insert(key_string(key), item);
        }
        Ok(Value::Object(entries))
    }
}

/// A length from the wire; one that does not fit `usize` fails the remaining-length check later.
pub(super) fn wire_len(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A float as JSON; NaN and infinities, which JSON cannot hold, as the strings `NaN`, `Infinity`, `-Infinity`.
pub(super) fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".to_owned()),
        None if f > 0.0 => Value::String("Infinity".to_owned()),
        None => Value::String("-Infinity".to_owned()),
    }
}

/// A map key as JSON wants it: strings as they are, anything else as its JSON text.
pub(super) fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}
