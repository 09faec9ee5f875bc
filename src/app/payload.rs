//! Payload views: turns a message payload into what the detail pane, the charts, the topic tree preview
//! and the history list show. JSON is pretty-printed, MessagePack and CBOR are decoded to the same JSON
//! shape, UTF-8 text is shown as lines and anything else as a hex dump.
//!
//! Pure and bounded: no IO and no ratatui types (the ui maps [`TokenKind`] to styles). Every function takes
//! any bytes without panicking, decodes at most [`MAX_DECODE_BYTES`], nests at most [`MAX_DEPTH`] levels
//! (JSON: serde_json's own limit of 128) and emits at most [`MAX_RENDER_BYTES`] of text. Every string
//! handed out, field paths included, is terminal-safe (see [`crate::sanitize`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

use serde::de::IgnoredAny;
use serde_json::{Map, Number, Value};

use crate::{sanitize, timefmt};

/// Larger payloads are not decoded as JSON, MessagePack or CBOR (shown as text or hex instead).
pub const MAX_DECODE_BYTES: usize = 1 << 20;
/// Most text one [`render`] emits, summed over all tokens; the rest is cut and `truncated` set.
pub const MAX_RENDER_BYTES: usize = 64 * 1024;
/// Deepest nesting the MessagePack and CBOR readers accept (tags count as a level).
pub const MAX_DEPTH: usize = 64;
/// Most fields [`numeric_fields`] returns.
pub const MAX_NUMERIC_FIELDS: usize = 64;
/// Field name [`numeric_fields`] gives a payload that is a single number.
pub const VALUE_FIELD: &str = "value";

/// Most values one MessagePack or CBOR payload may decode to, so a small hostile payload cannot make a
/// huge tree.
const MAX_ELEMENTS: usize = 1 << 18;
/// How much of a payload detection and previews look at.
const SNIFF_BYTES: usize = 64 * 1024;
/// Binary strings longer than this show their first bytes as hex and their length.
const MAX_BINARY_HEX: usize = 1024;
/// Leaves compared per side by [`diff`], and changes it lists.
const MAX_DIFF_LEAVES: usize = 256;
const MAX_DIFF_ITEMS: usize = 3;

/// How a payload is shown. `Auto` picks JSON, text or hex by looking at the bytes; MessagePack and CBOR
/// are never guessed (most byte strings are valid MessagePack) and must be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayloadFormat {
    #[default]
    Auto,
    Json,
    Text,
    Hex,
    MsgPack,
    Cbor,
}

impl PayloadFormat {
    /// The next view in the order the view key cycles through, back to `Auto` after `Cbor`.
    pub fn next(self) -> Self {
        match self {
            Self::Auto => Self::Json,
            Self::Json => Self::Text,
            Self::Text => Self::Hex,
            Self::Hex => Self::MsgPack,
            Self::MsgPack => Self::Cbor,
            Self::Cbor => Self::Auto,
        }
    }

    /// The name used on the command line, in profiles and in the ui; [`FromStr`] reads it back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Json => "json",
            Self::Text => "text",
            Self::Hex => "hex",
            Self::MsgPack => "msgpack",
            Self::Cbor => "cbor",
        }
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A payload view name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a payload view: use auto, json, text, hex, msgpack or cbor")]
pub struct UnknownFormat(pub String);

impl FromStr for PayloadFormat {
    type Err = UnknownFormat;

    /// Case-insensitive; `messagepack` is accepted for `msgpack`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            "hex" => Ok(Self::Hex),
            "msgpack" | "messagepack" => Ok(Self::MsgPack),
            "cbor" => Ok(Self::Cbor),
            _ => Err(UnknownFormat(sanitize::line(s).into_owned())),
        }
    }
}

/// What a piece of rendered text is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Plain,
    /// An object key, quotes included.
    Key,
    /// A string value, quotes included.
    String,
    Number,
    Bool,
    Null,
    /// Brackets, braces, commas and colons; the `|` around a hex dump's text column.
    Punct,
    HexOffset,
    HexByte,
    /// The text column of a hex dump.
    Ascii,
    /// Not emitted by [`render`], which reports failures in [`Rendered::error`]; for the ui to style that message.
    Error,
}

/// One rendered line: terminal-safe pieces of text in order.
pub type Line = Vec<(TokenKind, String)>;

/// A payload as the detail pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The view actually shown: what `Auto` resolved to, or text/hex when the chosen format failed.
    pub format_used: PayloadFormat,
    pub lines: Vec<Line>,
    /// Lines or bytes were left out to stay within `max_lines` or [`MAX_RENDER_BYTES`].
    pub truncated: bool,
    /// Why the chosen format could not be shown (what failed and where); the payload is then shown as text or hex.
    pub error: Option<String>,
}

/// What `Auto` shows: JSON when the payload is one JSON value (objects and arrays, and also strings,
/// numbers, `true`, `false` and `null`, which then get their colours), text when it is UTF-8 with few
/// control characters, and a hex dump otherwise. Never `MsgPack`, `Cbor` or `Auto`.
pub fn detect(payload: &[u8]) -> PayloadFormat {
    if json_plausible(payload) && serde_json::from_slice::<IgnoredAny>(payload).is_ok() {
        PayloadFormat::Json
    } else if looks_like_text(payload) {
        PayloadFormat::Text
    } else {
        PayloadFormat::Hex
    }
}

/// Renders `payload` in `format` as at most `max_lines` lines: JSON (and decoded MessagePack and CBOR)
/// pretty-printed with 2-space indents and keys in payload order, text line by line with tabs expanded,
/// hex as `hexdump -C` does. When the chosen format cannot decode the payload, `error` says why and the
/// payload is shown as text or hex.
pub fn render(payload: &[u8], format: PayloadFormat, max_lines: usize) -> Rendered {
    let mut out = Out::new(max_lines);
    let (format_used, error) = match structured(payload, format) {
        Ok(Some(value)) => {
            write_value(&mut out, &value, 0);
            out.end_line();
            (if format == PayloadFormat::Auto { PayloadFormat::Json } else { format }, None)
        }
        Ok(None) => (write_plain(&mut out, payload, format), None),
        Err(e) => (write_plain(&mut out, payload, PayloadFormat::Auto), Some(e)),
    };
    let (lines, truncated) = out.finish();
    Rendered { format_used, lines, truncated, error }
}

/// Numbers to chart from one payload, at most [`MAX_NUMERIC_FIELDS`]: a payload that is a number, or a
/// text that starts with one (`21.5 °C`), gives one field named [`VALUE_FIELD`]; an object or array
/// (JSON, MessagePack, CBOR) gives its numeric leaves in order, named by JSON pointer (`/px`,
/// `/bid/size`, `/levels/0`). Strings that hold just a number (`"101.5"`) count as numbers.
pub fn numeric_fields(payload: &[u8], format: PayloadFormat) -> Vec<(String, f64)> {
    match structured(payload, format) {
        Ok(Some(value @ (Value::Object(_) | Value::Array(_)))) => {
            let mut out = Vec::new();
            flatten_numbers(&value, &mut String::new(), &mut out);
            out
        }
        Ok(Some(value)) => scalar_number(&value).map(|x| vec![(VALUE_FIELD.to_owned(), x)]).unwrap_or_default(),
        Ok(None) | Err(_) => text_number(payload).map(|(x, _)| vec![(VALUE_FIELD.to_owned(), x)]).unwrap_or_default(),
    }
}

/// The one field `path` of [`numeric_fields`] (a pointer such as `/bid/size`, or [`VALUE_FIELD`]) without
/// building the whole list; `None` when the payload has no number there.
pub fn field_value(payload: &[u8], format: PayloadFormat, path: &str) -> Option<f64> {
    let whole = path.is_empty() || path == VALUE_FIELD;
    let value = match structured(payload, format) {
        Ok(Some(value)) => value,
        Ok(None) | Err(_) => return if whole { text_number(payload).map(|(x, _)| x) } else { None },
    };
    if whole {
        return scalar_number(&value);
    }
    let mut node = &value;
    for segment in path.strip_prefix('/')?.split('/') {
        let segment = unescape_segment(segment);
        node = match node {
            // Paths carry sanitised keys, so a key with control characters is found by its escaped form.
            Value::Object(map) => map
                .get(segment.as_ref())
                .or_else(|| map.iter().find(|(k, _)| sanitize::line(k) == segment).map(|(_, v)| v))?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    scalar_number(node)
}

/// A one-line, terminal-safe preview of at most `max_chars` characters (`…` marks a cut): objects and
/// arrays as compact JSON, text trimmed with line breaks shown as `⏎`, binary as `<N bytes binary>` and
/// its first bytes in hex, an empty payload as `<empty>`. Looks at no more than the first 64 KiB.
pub fn preview(payload: &[u8], max_chars: usize) -> String {
    preview_of(payload, payload.len(), max_chars)
}

/// The first bytes of a payload kept for a preview (cut on a character boundary), enough for a
/// row of any width: see [`preview_of`].
pub const HEAD_BYTES: usize = 256;

/// The first [`HEAD_BYTES`] of `payload`, cut on a character boundary when it is text.
pub fn head(payload: &[u8]) -> &[u8] {
    clip_bytes(payload, HEAD_BYTES).0
}

/// [`preview`] of a payload of `total` bytes of which only `payload`, its first bytes, is at hand.
pub fn preview_of(payload: &[u8], total: usize, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    let more = total > payload.len();
    let (head, cut) = clip_bytes(payload, SNIFF_BYTES);
    let cut = cut || more;
    if payload.is_empty() && !more {
        clip.push_str("<empty>");
    } else if let Some(json) = json_container_prefix(payload, more) {
        let (mut in_string, mut escaped) = (false, false);
        for c in json.chars() {
            if in_string {
                (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
            } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
                continue;
            } else {
                in_string = c == '"';
            }
            if !clip.push_safe(c) {
                break;
            }
        }
        clip.cut |= cut;
    } else if looks_like_text(payload) {
        let text = String::from_utf8_lossy(head);
        let text = if cut { text.trim_start() } else { text.trim() };
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let fits = match c {
                '\r' if chars.peek() == Some(&'\n') => true,
                '\n' => clip.push_str("⏎"),
                '\t' => clip.push_str(" "),
                c => clip.push_safe(c),
            };
            if !fits {
                break;
            }
        }
        clip.cut |= cut;
    } else {
        let unit = if total == 1 { "byte" } else { "bytes" };
        if clip.push_str(&format!("<{total} {unit} binary>")) {
            for b in payload.iter().take(max_chars) {
                if !clip.push_str(&format!(" {b:02x}")) {
                    break;
                }
            }
        }
    }
    clip.finish()
}

/// How `cur` differs from `prev`, for the history list: `None` when they are the same value; a signed
/// delta and percentage for numbers (`+0.3 (+0.3%)`); the changed, added (`+`) and removed (`-`) leaves of
/// objects and arrays (`px 101.2→101.5, vol 10→12`, at most three, then `+N more`); `old→new` for short
/// scalars and one-line texts; `changed` otherwise.
pub fn diff(prev: &[u8], cur: &[u8], format: PayloadFormat) -> Option<String> {
    if prev == cur {
        return None;
    }
    if let (Ok(Some(a)), Ok(Some(b))) = (structured(prev, format), structured(cur, format)) {
        return diff_values(&a, &b);
    }
    if let (Some((a, a_text)), Some((b, b_text))) = (text_number(prev), text_number(cur))
        && a != b
    {
        return Some(numeric_delta(a, a_text, b, b_text));
    }
    match (short_text(prev), short_text(cur)) {
        (Some(a), Some(b)) if a != b => Some(format!("{}→{}", clipped(a, 24), clipped(b, 24))),
        _ => Some("changed".to_owned()),
    }
}

/// A text payload of one line and at most 24 characters, trimmed.
fn short_text(payload: &[u8]) -> Option<&str> {
    if payload.len() > 128 {
        return None;
    }
    let text = std::str::from_utf8(payload).ok().filter(|_| looks_like_text(payload))?.trim();
    Some(text).filter(|s| s.chars().count() <= 24 && !s.contains('\n'))
}

// ---------------------------------------------------------------------------------------------------------
// Detection

/// Cheap test before running a JSON parser: small enough, and starts like a JSON value.
fn json_plausible(payload: &[u8]) -> bool {
    payload.len() <= MAX_DECODE_BYTES
        && payload
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .is_some_and(|b| matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'))
}

/// The first 64 KiB of an object or array payload as text, when they are valid JSON so far.
/// `more`: the payload goes on beyond `payload` (a kept head), so JSON may end early.
fn json_container_prefix(payload: &[u8], more: bool) -> Option<&str> {
    let first = payload.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    let (head, cut) = clip_bytes(payload, SNIFF_BYTES);
    match serde_json::from_slice::<IgnoredAny>(head) {
        Ok(_) => {}
        Err(e) if (cut || more) && e.is_eof() => {}
        Err(_) => return None,
    }
    std::str::from_utf8(head).ok()
}

/// UTF-8 (judged on the first 64 KiB) with no NUL and at most one control character in ten.
fn looks_like_text(payload: &[u8]) -> bool {
    let (head, _) = clip_bytes(payload, SNIFF_BYTES);
    let Ok(text) = std::str::from_utf8(head) else { return false };
    let (mut chars, mut controls) = (0usize, 0usize);
    for c in text.chars() {
        chars += 1;
        match c {
            '\0' => return false,
            '\t' | '\n' | '\r' | '\u{c}' | '\u{1b}' => {}
            c if c.is_control() => controls += 1,
            _ => {}
        }
    }
    controls * 10 <= chars
}

/// At most `max` bytes of `b`, cut back so no UTF-8 character is split; and whether anything was cut.
fn clip_bytes(b: &[u8], max: usize) -> (&[u8], bool) {
    let Some(head) = b.get(..max).filter(|_| b.len() > max) else { return (b, false) };
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_none() => (head.get(..e.valid_up_to()).unwrap_or(head), true),
        _ => (head, true),
    }
}

/// The largest char boundary of `s` at or below `max`.
fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/// The payload as a JSON value when `format` is structured: `Ok(None)` for text and hex (and for `Auto`
/// when the payload is not JSON), `Err` with the reason when the chosen format does not decode.
fn structured(payload: &[u8], format: PayloadFormat) -> Result<Option<Value>, String> {
    let (name, decoded) = match format {
        PayloadFormat::Auto if json_plausible(payload) => return Ok(serde_json::from_slice(payload).ok()),
        PayloadFormat::Auto | PayloadFormat::Text | PayloadFormat::Hex => return Ok(None),
        _ if payload.len() > MAX_DECODE_BYTES => {
            return Err(format!(
                "{} bytes is too large to decode as {} (limit {MAX_DECODE_BYTES} bytes)",
                payload.len(),
                format.name()
            ));
        }
        PayloadFormat::Json => ("JSON", serde_json::from_slice(payload).map_err(|e| e.to_string())),
        PayloadFormat::MsgPack => ("MessagePack", msgpack::decode(payload).map_err(|e| e.to_string())),
        PayloadFormat::Cbor => ("CBOR", cbor::decode(payload).map_err(|e| e.to_string())),
    };
    decoded.map(Some).map_err(|e| format!("not valid {name}: {}", sanitize::line(&e)))
}

/// Where and why a MessagePack or CBOR payload did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DecodeError {
    offset: usize,
    reason: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

/// A cursor over a complete binary payload. Every read checks the remaining length first.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    elements: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0, elements: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn fail<T>(&self, offset: usize, reason: impl Into<String>) -> Result<T, DecodeError> {
        Err(DecodeError { offset, reason: reason.into() })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => self.fail(self.pos, format!("truncated: {n} bytes needed, {} left", self.remaining())),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let at = self.pos;
        let bytes = self.take(N)?;
        bytes.try_into().or_else(|_| self.fail(at, "truncated"))
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Counts one more value and checks the depth and element limits before it is read.
    fn enter(&mut self, depth: usize) -> Result<(), DecodeError> {
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
    fn check_count(&self, at: usize, count: usize, min_bytes: usize, what: &str) -> Result<(), DecodeError> {
        if count.saturating_mul(min_bytes) > self.remaining() {
            return self.fail(at, format!("{what} of {count} items cannot fit in the {} bytes left", self.remaining()));
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => self.fail(self.pos, format!("{n} bytes left over after the value")),
        }
    }
}

/// One format's parser for a value at a nesting depth (MessagePack's or CBOR's).
type ValueFn = fn(&mut Reader<'_>, usize) -> Result<Value, DecodeError>;

/// The whole payload as one value, with nothing left over.
fn decode_whole(payload: &[u8], value: ValueFn) -> Result<Value, DecodeError> {
    let mut r = Reader::new(payload);
    let v = value(&mut r, 0)?;
    r.finish()?;
    Ok(v)
}

impl Reader<'_> {
    /// An array of `n` values one level down; a count that cannot fit is refused before allocating.
    fn array_of(&mut self, at: usize, n: usize, depth: usize, value: ValueFn) -> Result<Value, DecodeError> {
        self.check_count(at, n, 1, "array")?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(value(self, depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    /// A map of `n` key/value pairs one level down; keys become JSON keys (`key_string`).
    fn map_of(&mut self, at: usize, n: usize, depth: usize, value: ValueFn) -> Result<Value, DecodeError> {
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
fn wire_len(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A float as JSON; NaN and infinities, which JSON cannot hold, as the strings `NaN`, `Infinity`, `-Infinity`.
fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".to_owned()),
        None if f > 0.0 => Value::String("Infinity".to_owned()),
        None => Value::String("-Infinity".to_owned()),
    }
}

/// Binary data as a lowercase hex string; long data as its first bytes, `…` and its length.
fn hex_value(data: &[u8]) -> Value {
    let mut s = crate::inspect::hex(&data[..data.len().min(MAX_BINARY_HEX)]);
    if data.len() > MAX_BINARY_HEX {
        let _ = write!(s, "…({} bytes)", data.len());
    }
    Value::String(s)
}

/// A map key as JSON wants it: strings as they are, anything else as its JSON text.
fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

mod msgpack {
    //! MessagePack to a JSON value, per the MessagePack specification
    //! (<https://github.com/msgpack/msgpack/blob/master/spec.md>). Binary data becomes a hex string,
    //! timestamps (extension -1) an RFC 3339 string, other extensions `ext(TYPE):HEX`.

    use super::{DecodeError, Duration, Reader, UNIX_EPOCH, Value, decode_whole, float_value, hex_value};
    use super::{timefmt, wire_len};

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
                (
                    u64::try_from(i64::from_be_bytes(secs.try_into().ok()?)).ok()?,
                    u32::from_be_bytes(nanos.try_into().ok()?),
                )
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
}

mod cbor {
    //! CBOR to a JSON value, per RFC 8949. Tags are dropped and the tagged value kept (§3.4); byte
    //! strings become hex strings; `undefined` becomes null and other simple values `simple(N)` (§3.3);
    //! indefinite-length items are joined (§3.2).

    use super::{DecodeError, Map, Reader, Value, decode_whole, float_value, hex_value, key_string, wire_len};

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
            None => {
                r.fail(r.pos, format!("truncated: no break (0xff) ends the indefinite-length item from byte {start}"))
            }
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
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

/// Collects tokens into lines within the line and byte limits.
struct Out {
    lines: Vec<Line>,
    cur: Line,
    max_lines: usize,
    budget: usize,
    truncated: bool,
}

impl Out {
    fn new(max_lines: usize) -> Self {
        Self { lines: Vec::new(), cur: Vec::new(), max_lines, budget: MAX_RENDER_BYTES, truncated: false }
    }

    /// Appends `s`, which must already be terminal-safe; cuts it with `…` when the byte budget runs out.
    fn push(&mut self, kind: TokenKind, s: &str) {
        if self.truncated || s.is_empty() {
            return;
        }
        if self.lines.len() >= self.max_lines {
            self.truncated = true;
            return;
        }
        if s.len() <= self.budget {
            self.budget -= s.len();
            self.cur.push((kind, s.to_owned()));
            return;
        }
        let mut cut = s.get(..floor_char_boundary(s, self.budget)).unwrap_or_default().to_owned();
        cut.push('…');
        self.cur.push((kind, cut));
        self.budget = 0;
        self.truncated = true;
    }

    fn end_line(&mut self) {
        if self.truncated {
            return;
        }
        if self.lines.len() >= self.max_lines {
            self.truncated = true;
            return;
        }
        self.lines.push(std::mem::take(&mut self.cur));
    }

    fn finish(mut self) -> (Vec<Line>, bool) {
        if !self.cur.is_empty() && self.lines.len() < self.max_lines {
            self.lines.push(self.cur);
        }
        (self.lines, self.truncated)
    }
}

/// Text or hex for `format` Text or Hex; otherwise whichever fits the bytes. Returns the one used.
fn write_plain(out: &mut Out, payload: &[u8], format: PayloadFormat) -> PayloadFormat {
    let format = match format {
        PayloadFormat::Text | PayloadFormat::Hex => format,
        _ if looks_like_text(payload) => PayloadFormat::Text,
        _ => PayloadFormat::Hex,
    };
    if format == PayloadFormat::Text {
        write_text(out, payload);
    } else {
        write_hex(out, payload);
    }
    format
}

fn write_value(out: &mut Out, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push(TokenKind::Null, "null"),
        Value::Bool(b) => out.push(TokenKind::Bool, if *b { "true" } else { "false" }),
        Value::Number(n) => out.push(TokenKind::Number, &n.to_string()),
        Value::String(s) => push_json_string(out, TokenKind::String, s),
        Value::Array(items) if items.is_empty() => out.push(TokenKind::Punct, "[]"),
        Value::Object(entries) if entries.is_empty() => out.push(TokenKind::Punct, "{}"),
        Value::Array(items) => {
            out.push(TokenKind::Punct, "[");
            for (i, item) in items.iter().enumerate() {
                out.end_line();
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
                if i + 1 < items.len() {
                    out.push(TokenKind::Punct, ",");
                }
                if out.truncated {
                    return;
                }
            }
            out.end_line();
            indent(out, depth);
            out.push(TokenKind::Punct, "]");
        }
        Value::Object(entries) => {
            out.push(TokenKind::Punct, "{");
            for (i, (key, item)) in entries.iter().enumerate() {
                out.end_line();
                indent(out, depth + 1);
                push_json_string(out, TokenKind::Key, key);
                out.push(TokenKind::Punct, ":");
                out.push(TokenKind::Plain, " ");
                write_value(out, item, depth + 1);
                if i + 1 < entries.len() {
                    out.push(TokenKind::Punct, ",");
                }
                if out.truncated {
                    return;
                }
            }
            out.end_line();
            indent(out, depth);
            out.push(TokenKind::Punct, "}");
        }
    }
}

fn indent(out: &mut Out, depth: usize) {
    out.push(TokenKind::Plain, &"  ".repeat(depth));
}

/// `s` quoted and escaped as JSON (controls as `\u001b`), then with whatever JSON leaves raw (DEL, C1,
/// bidi overrides) escaped for the terminal. Only as much of `s` as the budget can show is escaped.
fn push_json_string(out: &mut Out, kind: TokenKind, s: &str) {
    let limit = out.budget.saturating_add(1);
    let cut = s.len() > limit;
    let s = if cut { s.get(..floor_char_boundary(s, limit)).unwrap_or_default() } else { s };
    let mut quoted = serde_json::to_string(s).unwrap_or_default();
    if cut {
        quoted.pop();
        quoted.push('…');
    }
    out.push(kind, &sanitize::line(&quoted));
    out.truncated |= cut;
}

fn write_text(out: &mut Out, payload: &[u8]) {
    let (body, cut) = clip_bytes(payload, MAX_RENDER_BYTES);
    let body = if cut { body } else { body.strip_suffix(b"\n").unwrap_or(body) };
    if !body.is_empty() {
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            out.push(TokenKind::Plain, &sanitize::bytes(&expand_tabs(line), false));
            out.end_line();
            if out.truncated {
                break;
            }
        }
    }
    out.truncated |= cut;
}

/// Tabs to spaces up to the next multiple of 4 columns (one column per character).
fn expand_tabs(line: &[u8]) -> Cow<'_, [u8]> {
    if !line.contains(&b'\t') {
        return Cow::Borrowed(line);
    }
    let mut out = Vec::with_capacity(line.len() + 16);
    let mut column = 0usize;
    for &b in line {
        if b == b'\t' {
            let spaces = 4 - column % 4;
            out.extend(std::iter::repeat_n(b' ', spaces));
            column += spaces;
        } else {
            out.push(b);
            // UTF-8 continuation bytes do not start a new column.
            column += usize::from(b & 0xc0 != 0x80);
        }
    }
    Cow::Owned(out)
}

/// `hexdump -C`: offset, 16 bytes in two groups of 8, and the printable ASCII between bars.
fn write_hex(out: &mut Out, payload: &[u8]) {
    for (i, chunk) in payload.chunks(16).enumerate() {
        if out.truncated {
            break;
        }
        let mut hex = String::with_capacity(48);
        for (j, b) in chunk.iter().enumerate() {
            let sep = match j {
                0 => "",
                8 => "  ",
                _ => " ",
            };
            let _ = write!(hex, "{sep}{b:02x}");
        }
        let ascii: String =
            chunk.iter().map(|&b| if b == b' ' || b.is_ascii_graphic() { char::from(b) } else { '.' }).collect();
        out.push(TokenKind::HexOffset, &format!("{:08x}", i * 16));
        out.push(TokenKind::Plain, "  ");
        out.push(TokenKind::HexByte, &hex);
        out.push(TokenKind::Plain, &" ".repeat(50 - hex.len()));
        out.push(TokenKind::Punct, "|");
        out.push(TokenKind::Ascii, &ascii);
        out.push(TokenKind::Punct, "|");
        out.end_line();
    }
}

// ---------------------------------------------------------------------------------------------------------
// Numbers

/// The number at the start of `s` and its length: optional sign, digits with an optional fraction, an
/// optional exponent. Finite values only; `inf` and `NaN` are not numbers here.
fn leading_number(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let digits_end = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut end = digits_end(sign);
    let mut digits = end - sign;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits_end(end + 1);
        digits += frac_end - (end + 1);
        if digits > 0 {
            end = frac_end;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let exp_start = end + 1 + usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits_end(exp_start);
        if exp_end > exp_start {
            end = exp_end;
        }
    }
    let x: f64 = s.get(..end)?.parse().ok()?;
    x.is_finite().then_some((x, end))
}

/// A string that is a number and nothing else (surrounding spaces allowed).
fn exact_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    leading_number(s).filter(|&(_, n)| n == s.len()).map(|(x, _)| x)
}

/// A text payload that starts with a number (`21.5 °C`, `-3e2`, `100%`), and that number's text. Dates,
/// times, versions and lists (`2024-05-01`, `12:30`, `1.2.3`, `1,5`) do not count.
fn text_number(payload: &[u8]) -> Option<(f64, &str)> {
    let (head, _) = clip_bytes(payload, 256);
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(head.get(..e.valid_up_to())?).ok()?,
    };
    let text = text.trim_start();
    let (x, n) = leading_number(text)?;
    let rest = text.get(n..)?;
    if rest.starts_with(['-', '+', ':', '/', '.', ',', '_']) {
        return None;
    }
    Some((x, text.get(..n)?))
}

/// A topic's payload view: the one chosen with `v` (`chosen`), else the first of `views` whose
/// filter matches, else `Auto`.
pub fn format_for(
    chosen: &HashMap<u32, PayloadFormat>,
    views: &[(String, PayloadFormat)],
    node: u32,
    path: &str,
) -> PayloadFormat {
    if let Some(f) = chosen.get(&node) {
        return *f;
    }
    views.iter().find(|(filter, _)| crate::codec::topic::matches(filter, path)).map_or(PayloadFormat::Auto, |(_, f)| *f)
}

/// A watch column's value: a number, or else a short text.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

/// Most characters a text value of a watch column keeps.
pub const SCALAR_TEXT_CHARS: usize = 40;

impl Scalar {
    fn text(s: &str) -> Option<Self> {
        let line = s.trim().lines().next().unwrap_or("").trim();
        (!line.is_empty()).then(|| Self::Text(line.chars().take(SCALAR_TEXT_CHARS).collect()))
    }

    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => exact_number(s).map(Self::Number).or_else(|| Self::text(s)),
            Value::Bool(b) => Some(Self::Text(b.to_string())),
            v => scalar_number(v).map(Self::Number),
        }
    }
}

/// The value at `path` (a JSON pointer; empty or [`VALUE_FIELD`] for the whole payload) decoded with
/// `format` (so MessagePack and CBOR work as JSON does): a number when it is one, else its text
/// (strings, booleans, a text payload's first line).
pub fn field_scalar(payload: &[u8], format: PayloadFormat, path: &str) -> Option<Scalar> {
    let whole = path.is_empty() || path == VALUE_FIELD;
    match structured(payload, format) {
        Ok(Some(value)) => {
            if whole {
                return Scalar::of(&value);
            }
            let mut node = &value;
            for segment in path.strip_prefix('/')?.split('/') {
                let segment = unescape_segment(segment);
                node = match node {
                    Value::Object(map) => map.get(segment.as_ref())?,
                    Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                    _ => return None,
                };
            }
            Scalar::of(node)
        }
        Ok(None) | Err(_) if whole => match text_number(payload) {
            Some((x, _)) => Some(Scalar::Number(x)),
            None => {
                looks_like_text(payload).then(|| Scalar::text(&String::from_utf8_lossy(clip_bytes(payload, 256).0)))?
            }
        },
        Ok(None) | Err(_) => None,
    }
}

/// The payload as text for a regex column: decoded with `format` (MessagePack and CBOR as compact
/// JSON), or its text; `None` for binary. At most the first 64 KiB of a text payload.
pub fn match_text(payload: &[u8], format: PayloadFormat) -> Option<Cow<'_, str>> {
    if matches!(format, PayloadFormat::MsgPack | PayloadFormat::Cbor) {
        return structured(payload, format).ok().flatten().map(|v| Cow::Owned(v.to_string()));
    }
    let (head, _) = clip_bytes(payload, SNIFF_BYTES);
    std::str::from_utf8(head).ok().map(Cow::Borrowed)
}

/// Whether a payload view can hold fields (JSON pointers can match).
pub fn has_fields(format: PayloadFormat) -> bool {
    !matches!(format, PayloadFormat::Text | PayloadFormat::Hex)
}

/// A JSON number, or a string holding just a number.
fn scalar_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => exact_number(s),
        _ => None,
    }
}

/// Appends `key` as one JSON pointer segment (RFC 6901 §3: `~` as `~0`, `/` as `~1`), terminal-safe.
fn push_segment(path: &mut String, key: &str) {
    path.push('/');
    for c in sanitize::line(key).chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

fn unescape_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

fn flatten_numbers(value: &Value, path: &mut String, out: &mut Vec<(String, f64)>) {
    let len = path.len();
    match value {
        Value::Object(entries) => {
            for (key, item) in entries {
                if out.len() >= MAX_NUMERIC_FIELDS {
                    return;
                }
                push_segment(path, key);
                flatten_numbers(item, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if out.len() >= MAX_NUMERIC_FIELDS {
                    return;
                }
                let _ = write!(path, "/{i}");
                flatten_numbers(item, path, out);
                path.truncate(len);
            }
        }
        leaf => {
            if let Some(x) = scalar_number(leaf).filter(|_| out.len() < MAX_NUMERIC_FIELDS) {
                out.push((path.clone(), x));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Diff

fn diff_values(a: &Value, b: &Value) -> Option<String> {
    if a == b {
        return None;
    }
    if let (Some(x), Some(y)) = (scalar_number(a), scalar_number(b))
        && x != y
    {
        return Some(numeric_delta(x, &number_text(a), y, &number_text(b)));
    }
    let containers = |v: &Value| matches!(v, Value::Object(_) | Value::Array(_));
    if !(containers(a) && containers(b)) {
        return Some(format!("{}→{}", short_value(a), short_value(b)));
    }
    let (mut before, mut after) = (Vec::new(), Vec::new());
    leaves(a, &mut String::new(), &mut before);
    leaves(b, &mut String::new(), &mut after);
    let old: HashMap<&str, &Value> = before.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    let new: HashSet<&str> = after.iter().map(|(p, _)| p.as_str()).collect();
    let label = |path: &str| clipped(path.strip_prefix('/').unwrap_or(path), 24);
    let mut changes = Vec::new();
    for (path, value) in &after {
        match old.get(path.as_str()) {
            Some(prev) if prev == value => {}
            Some(prev) => changes.push(format!("{} {}→{}", label(path), short_value(prev), short_value(value))),
            None => changes.push(format!("+{} {}", label(path), short_value(value))),
        }
    }
    for (path, _) in &before {
        if !new.contains(path.as_str()) {
            changes.push(format!("-{}", label(path)));
        }
    }
    if changes.is_empty() {
        // The difference lies beyond the leaves compared.
        return Some("changed".to_owned());
    }
    let more = changes.len().saturating_sub(MAX_DIFF_ITEMS);
    changes.truncate(MAX_DIFF_ITEMS);
    let mut s = changes.join(", ");
    if more > 0 {
        let _ = write!(s, ", +{more} more");
    }
    Some(s)
}

/// Scalar leaves and empty containers with their pointer paths, at most [`MAX_DIFF_LEAVES`].
fn leaves<'v>(value: &'v Value, path: &mut String, out: &mut Vec<(String, &'v Value)>) {
    let len = path.len();
    match value {
        Value::Object(entries) if !entries.is_empty() => {
            for (key, item) in entries {
                push_segment(path, key);
                leaves(item, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(path, "/{i}");
                leaves(item, path, out);
                path.truncate(len);
            }
        }
        leaf => {
            if out.len() < MAX_DIFF_LEAVES {
                out.push((path.clone(), leaf));
            }
        }
    }
}

fn number_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// `+0.3 (+0.3%)`: the delta with as many decimals as the more precise of the two inputs (at most 6), and
/// the change relative to the old value when it is not zero.
fn numeric_delta(a: f64, a_text: &str, b: f64, b_text: &str) -> String {
    let decimals = fraction_digits(a_text).max(fraction_digits(b_text)).min(6);
    let delta = b - a;
    let mut s = format!("{delta:+.decimals$}");
    if delta != 0.0 && s.chars().all(|c| matches!(c, '+' | '-' | '0' | '.')) {
        // Too small for the inputs' decimals (exponent notation such as `1e-9`).
        s = format!("{delta:+.2e}");
    }
    let percent = delta / a.abs() * 100.0;
    if a != 0.0 && percent.is_finite() {
        let _ = write!(s, " ({percent:+.1}%)");
    }
    s
}

fn fraction_digits(number: &str) -> usize {
    number.split_once('.').map_or(0, |(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count())
}

/// A value as compact JSON for the history list, terminal-safe, at most 16 characters.
fn short_value(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let shown = clipped(s.get(..floor_char_boundary(s, 64)).unwrap_or_default(), 14);
            format!("\"{shown}\"")
        }
        other => clipped(&other.to_string(), 16),
    }
}

fn clipped(s: &str, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    for c in s.chars() {
        if !clip.push_safe(c) {
            break;
        }
    }
    clip.finish()
}

/// A string of at most `max` characters; when more is pushed the last one becomes `…`.
struct Clip {
    out: String,
    chars: usize,
    max: usize,
    cut: bool,
}

impl Clip {
    fn new(max: usize) -> Self {
        Self { out: String::new(), chars: 0, max, cut: false }
    }

    /// Appends already-safe text; false once full.
    fn push_str(&mut self, s: &str) -> bool {
        for c in s.chars() {
            if self.chars >= self.max {
                self.cut = true;
                return false;
            }
            self.out.push(c);
            self.chars += 1;
        }
        true
    }

    /// Appends `c`, escaped when the terminal must not see it raw; false once full.
    fn push_safe(&mut self, c: char) -> bool {
        let mut buf = [0u8; 4];
        let s = sanitize::line(c.encode_utf8(&mut buf)).into_owned();
        self.push_str(&s)
    }

    fn finish(mut self) -> String {
        if self.cut && self.max > 0 {
            self.out.pop();
            self.out.push('…');
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use proptest::prelude::*;
    use serde_json::json;

    const FORMATS: [PayloadFormat; 6] = [
        PayloadFormat::Auto,
        PayloadFormat::Json,
        PayloadFormat::Text,
        PayloadFormat::Hex,
        PayloadFormat::MsgPack,
        PayloadFormat::Cbor,
    ];

    /// First bytes that make the readers loop, nest or read lengths: CBOR indefinite items and tags,
    /// MessagePack arrays, maps and extensions.
    const OPENERS: [u8; 11] = [0x9f, 0xbf, 0x5f, 0x7f, 0xc6, 0xd8, 0x91, 0xdc, 0xdf, 0xc7, 0xff];

    fn texts(r: &Rendered) -> Vec<String> {
        r.lines.iter().map(|line| line.iter().map(|(_, s)| s.as_str()).collect()).collect()
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn mp(s: &str) -> Value {
        msgpack::decode(&hex(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn cb(s: &str) -> Value {
        cbor::decode(&hex(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn is_terminal_safe(s: &str) -> bool {
        !s.chars().any(|c| {
            c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
    }

    #[test]
    fn format_names_parse_back_and_next_cycles_through_all() {
        let mut f = PayloadFormat::Auto;
        let mut seen = Vec::new();
        loop {
            assert_eq!(f.name().parse::<PayloadFormat>(), Ok(f));
            seen.push(f);
            f = f.next();
            if f == PayloadFormat::Auto {
                break;
            }
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(" MessagePack ".parse::<PayloadFormat>(), Ok(PayloadFormat::MsgPack));
        assert_eq!(
            "yaml\u{1b}".parse::<PayloadFormat>().unwrap_err().to_string(),
            "'yaml\\e' is not a payload view: use auto, json, text, hex, msgpack or cbor"
        );
    }

    #[test]
    fn detect_picks_json_text_or_hex() {
        use PayloadFormat::*;
        for (payload, want) in [
            (&b"{\"a\":1}"[..], Json),
            (b" [1, 2]\n", Json),
            (b"21.5", Json),
            (b"-3e2", Json),
            (b"\"on\"", Json),
            (b"true", Json),
            (b"null", Json),
            (b"", Text),
            (b"21.5 \xc2\xb0C", Text),
            (b"{\"a\":", Text),
            (b"[INFO] started", Text),
            (b"nothing", Text),
            (b"line one\r\n\tline two\n\x1b[31mred\x1b[0m", Text),
            (b"\x00\x01\x02", Hex),
            (b"ab\x01", Hex),
            (b"\xff\xfe", Hex),
            (b"\x82\xa7compact\xc3\xa6schema\x00", Hex),
        ] {
            assert_eq!(detect(payload), want, "{payload:?}");
        }
    }

    #[test]
    fn json_is_pretty_printed_with_two_space_indents_in_payload_order() {
        let r = render(
            br#"{"px":101.5,"side":"buy","tags":["a",1],"ok":true,"none":null,"e":{},"l":[]}"#,
            PayloadFormat::Auto,
            100,
        );
        assert_eq!(r.format_used, PayloadFormat::Json);
        assert_eq!(r.error, None);
        assert!(!r.truncated);
        assert_eq!(
            texts(&r),
            [
                "{",
                "  \"px\": 101.5,",
                "  \"side\": \"buy\",",
                "  \"tags\": [",
                "    \"a\",",
                "    1",
                "  ],",
                "  \"ok\": true,",
                "  \"none\": null,",
                "  \"e\": {},",
                "  \"l\": []",
                "}"
            ]
        );
        assert_eq!(
            r.lines[1],
            vec![
                (TokenKind::Plain, "  ".to_owned()),
                (TokenKind::Key, "\"px\"".to_owned()),
                (TokenKind::Punct, ":".to_owned()),
                (TokenKind::Plain, " ".to_owned()),
                (TokenKind::Number, "101.5".to_owned()),
                (TokenKind::Punct, ",".to_owned()),
            ]
        );
        assert_eq!(render(b"42", PayloadFormat::Auto, 10).lines, vec![vec![(TokenKind::Number, "42".to_owned())]]);
    }

    #[test]
    fn json_output_stops_at_max_lines() {
        let r = render(b"[1,2,3,4,5]", PayloadFormat::Json, 3);
        assert_eq!(texts(&r), ["[", "  1,", "  2,"]);
        assert!(r.truncated);
        let exact = render(b"[1]", PayloadFormat::Json, 3);
        assert_eq!(texts(&exact), ["[", "  1", "]"]);
        assert!(!exact.truncated);
    }

    #[test]
    fn hex_dump_matches_hexdump_c() {
        let r = render(b"Hello world\n\x00\x01\x02\x03\xff", PayloadFormat::Hex, 10);
        assert_eq!(r.format_used, PayloadFormat::Hex);
        assert_eq!(
            texts(&r),
            [
                "00000000  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a 00 01 02 03  |Hello world.....|",
                "00000010  ff                                                |.|",
            ]
        );
        assert_eq!(r.lines[1][0], (TokenKind::HexOffset, "00000010".to_owned()));
        assert_eq!(r.lines[1][2], (TokenKind::HexByte, "ff".to_owned()));
        assert_eq!(r.lines[1][5], (TokenKind::Ascii, ".".to_owned()));
        let cut = render(&[0u8; 100], PayloadFormat::Hex, 2);
        assert_eq!(cut.lines.len(), 2);
        assert!(cut.truncated);
        assert_eq!(detect(&[0u8; 100]), PayloadFormat::Hex);
        assert_eq!(render(&[0u8; 100], PayloadFormat::Auto, 2).format_used, PayloadFormat::Hex);
    }

    #[test]
    fn text_is_split_into_lines_with_tabs_expanded() {
        let r = render(b"first\r\n\tsecond\n\nlast\n", PayloadFormat::Auto, 10);
        assert_eq!(r.format_used, PayloadFormat::Text);
        assert_eq!(texts(&r), ["first", "    second", "", "last"]);
        assert!(!r.truncated);
        let cut = render(b"a\nb\nc", PayloadFormat::Text, 2);
        assert_eq!(texts(&cut), ["a", "b"]);
        assert!(cut.truncated);
    }

    #[test]
    fn huge_payloads_are_cut_and_say_so() {
        let big = vec![b'x'; 3 * MAX_RENDER_BYTES];
        let r = render(&big, PayloadFormat::Text, 1000);
        assert!(r.truncated);
        assert!(r.lines.iter().flatten().map(|(_, s)| s.len()).sum::<usize>() <= MAX_RENDER_BYTES + 3);
        let long_string = format!("{{\"s\":\"{}\"}}", "y".repeat(200_000));
        let r = render(long_string.as_bytes(), PayloadFormat::Json, 1000);
        assert!(r.truncated);
        assert_eq!(r.error, None);
        let too_big = format!("[{}1]", "1,".repeat(MAX_DECODE_BYTES));
        let r = render(too_big.as_bytes(), PayloadFormat::Json, 5);
        assert_eq!(r.format_used, PayloadFormat::Text);
        assert!(r.error.unwrap().contains("too large to decode as json"));
        assert_eq!(detect(too_big.as_bytes()), PayloadFormat::Text);
    }

    #[test]
    fn escape_sequences_in_json_and_text_come_out_escaped() {
        let json = render("{\"k\\u001b\":\"\\u001b[2J\u{202e}x\u{9b}\"}".as_bytes(), PayloadFormat::Auto, 10);
        assert_eq!(json.format_used, PayloadFormat::Json);
        assert_eq!(texts(&json), ["{", "  \"k\\u001b\": \"\\u001b[2J\\u{202e}x\\x9b\"", "}"]);
        let text = render("clear\u{1b}[2J\u{7}title\u{1b}]0;pwn\u{7}\u{202e}".as_bytes(), PayloadFormat::Text, 10);
        assert_eq!(texts(&text), ["clear\\e[2J\\x07title\\e]0;pwn\\x07\\u{202e}"]);
        let invalid = render(b"ok\xff\x1b", PayloadFormat::Text, 10);
        assert_eq!(texts(&invalid), ["ok\\xff\\e"]);
        for r in [json, text, invalid] {
            assert!(r.lines.iter().flatten().all(|(_, s)| is_terminal_safe(s)));
        }
        let mp = render(&hex("81 a2 1b 5b c4 02 1b 07"), PayloadFormat::MsgPack, 10);
        assert_eq!(texts(&mp), ["{", "  \"\\u001b[\": \"1b07\"", "}"]);
    }

    #[test]
    fn invalid_json_falls_back_to_text_with_where_it_failed() {
        let r = render(b"{\"a\": 1,\n \"b\" 2}", PayloadFormat::Json, 10);
        assert_eq!(r.format_used, PayloadFormat::Text);
        assert_eq!(r.error.as_deref(), Some("not valid JSON: expected `:` at line 2 column 6"));
        assert_eq!(texts(&r), ["{\"a\": 1,", " \"b\" 2}"]);
        let binary = render(b"\x00\x01", PayloadFormat::Json, 10);
        assert_eq!(binary.format_used, PayloadFormat::Hex);
        assert!(binary.error.is_some());
    }

    #[test]
    fn msgpack_spec_examples_decode_to_json() {
        assert_eq!(mp("82 a7 636f6d70616374 c3 a6 736368656d61 00"), json!({"compact": true, "schema": 0}));
        for (bytes, want) in [
            ("00", json!(0)),
            ("7f", json!(127)),
            ("ff", json!(-1)),
            ("e0", json!(-32)),
            ("c0", json!(null)),
            ("c2", json!(false)),
            ("c3", json!(true)),
            ("cc ff", json!(255)),
            ("cd 0100", json!(256)),
            ("ce 00010000", json!(65536)),
            ("cf ffffffffffffffff", json!(u64::MAX)),
            ("d0 80", json!(-128)),
            ("d1 8000", json!(-32768)),
            ("d2 80000000", json!(i32::MIN)),
            ("d3 8000000000000000", json!(i64::MIN)),
            ("ca 3fc00000", json!(1.5)),
            ("cb 3ff8000000000000", json!(1.5)),
            ("cb 7ff8000000000000", json!("NaN")),
            ("cb fff0000000000000", json!("-Infinity")),
            ("a5 68656c6c6f", json!("hello")),
            ("d9 02 6869", json!("hi")),
            ("da 0002 6869", json!("hi")),
            ("db 00000002 6869", json!("hi")),
            ("c4 03 010203", json!("010203")),
            ("c5 0001 ff", json!("ff")),
            ("92 01 a1 61", json!([1, "a"])),
            ("dc 0002 01 02", json!([1, 2])),
            ("dd 00000001 c0", json!([null])),
            ("de 0001 a1 61 01", json!({"a": 1})),
            ("df 00000001 01 02", json!({"1": 2})),
            ("81 92 01 02 c3", json!({"[1,2]": true})),
            ("d4 01 05", json!("ext(1):05")),
            ("c7 02 7f abcd", json!("ext(127):abcd")),
            ("d6 ff 00000000", json!("1970-01-01T00:00:00.000Z")),
            ("d7 ff 00000000 65920080", json!("2024-01-01T00:00:00.000Z")),
            ("c7 0c ff 00000000 0000000065920080", json!("2024-01-01T00:00:00.000Z")),
            ("c7 0c ff 00000000 7fffffffffffffff", json!("ext(-1):000000007fffffffffffffff")),
        ] {
            assert_eq!(mp(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn truncated_or_garbage_msgpack_is_an_error_with_its_offset() {
        for (bytes, want) in [
            ("", "truncated: 1 bytes needed, 0 left at byte 0"),
            ("92 01", "array of 2 items cannot fit in the 1 bytes left at byte 0"),
            ("92 01 a5 68", "truncated: 5 bytes needed, 1 left at byte 3"),
            ("a5 6865", "truncated: 5 bytes needed, 2 left at byte 1"),
            ("c1", "byte 0xc1 is never used at byte 0"),
            ("dd ffffffff", "array of 4294967295 items cannot fit in the 0 bytes left at byte 0"),
            ("df ffffffff 01", "map of 4294967295 items cannot fit in the 1 bytes left at byte 0"),
            ("db ffffffff", "truncated: 4294967295 bytes needed, 0 left at byte 5"),
            ("cb 3ff0", "truncated: 8 bytes needed, 2 left at byte 1"),
            ("01 02", "1 bytes left over after the value at byte 1"),
        ] {
            assert_eq!(msgpack::decode(&hex(bytes)).unwrap_err().to_string(), want, "{bytes}");
        }
        let deep = vec![0x91; 100_000];
        assert_eq!(msgpack::decode(&deep).unwrap_err().to_string(), "nested deeper than 64 levels at byte 65");
        let r = render(b"\x92\x01", PayloadFormat::MsgPack, 10);
        assert_eq!(r.format_used, PayloadFormat::Hex);
        assert_eq!(
            r.error.as_deref(),
            Some("not valid MessagePack: array of 2 items cannot fit in the 1 bytes left at byte 0")
        );
    }

    #[test]
    fn cbor_rfc8949_appendix_a_examples_decode_to_json() {
        for (bytes, want) in [
            ("00", json!(0)),
            ("01", json!(1)),
            ("0a", json!(10)),
            ("17", json!(23)),
            ("1818", json!(24)),
            ("1903e8", json!(1000)),
            ("1a000f4240", json!(1_000_000)),
            ("1b000000e8d4a51000", json!(1_000_000_000_000u64)),
            ("1bffffffffffffffff", json!(u64::MAX)),
            ("c249010000000000000000", json!("010000000000000000")),
            ("3bffffffffffffffff", json!(-18_446_744_073_709_551_616.0)),
            ("20", json!(-1)),
            ("29", json!(-10)),
            ("3863", json!(-100)),
            ("3903e7", json!(-1000)),
            ("f90000", json!(0.0)),
            ("f98000", json!(-0.0)),
            ("f93c00", json!(1.0)),
            ("fb3ff199999999999a", json!(1.1)),
            ("f93e00", json!(1.5)),
            ("f97bff", json!(65504.0)),
            ("fa47c35000", json!(100_000.0)),
            ("fa7f7fffff", json!(3.4028234663852886e38)),
            ("fb7e37e43c8800759c", json!(1.0e300)),
            ("f90001", json!(5.960464477539063e-8)),
            ("f90400", json!(0.00006103515625)),
            ("f9c400", json!(-4.0)),
            ("fbc010666666666666", json!(-4.1)),
            ("f97c00", json!("Infinity")),
            ("f97e00", json!("NaN")),
            ("f9fc00", json!("-Infinity")),
            ("fa7f800000", json!("Infinity")),
            ("fb7ff8000000000000", json!("NaN")),
            ("f4", json!(false)),
            ("f5", json!(true)),
            ("f6", json!(null)),
            ("f7", json!(null)),
            ("f0", json!("simple(16)")),
            ("f8ff", json!("simple(255)")),
            ("c074323031332d30332d32315432303a30343a30305a", json!("2013-03-21T20:04:00Z")),
            ("c11a514b67b0", json!(1_363_896_240)),
            ("c1fb41d452d9ec200000", json!(1_363_896_240.5)),
            ("d74401020304", json!("01020304")),
            ("d818456449455446", json!("6449455446")),
            ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", json!("http://www.example.com")),
            ("40", json!("")),
            ("4401020304", json!("01020304")),
            ("60", json!("")),
            ("6161", json!("a")),
            ("6449455446", json!("IETF")),
            ("62225c", json!("\"\\")),
            ("62c3bc", json!("ü")),
            ("63e6b0b4", json!("水")),
            ("64f0908591", json!("\u{10151}")),
            ("80", json!([])),
            ("83010203", json!([1, 2, 3])),
            ("8301820203820405", json!([1, [2, 3], [4, 5]])),
            ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", json!((1..=25).collect::<Vec<_>>())),
            ("a0", json!({})),
            ("a201020304", json!({"1": 2, "3": 4})),
            ("a26161016162820203", json!({"a": 1, "b": [2, 3]})),
            ("826161a161626163", json!(["a", {"b": "c"}])),
            ("a56161614161626142616361436164614461656145", json!({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"})),
            ("5f42010243030405ff", json!("0102030405")),
            ("7f657374726561646d696e67ff", json!("streaming")),
            ("9fff", json!([])),
            ("9f018202039f0405ffff", json!([1, [2, 3], [4, 5]])),
            ("9f01820203820405ff", json!([1, [2, 3], [4, 5]])),
            ("83018202039f0405ff", json!([1, [2, 3], [4, 5]])),
            ("83019f0203ff820405", json!([1, [2, 3], [4, 5]])),
            ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", json!((1..=25).collect::<Vec<_>>())),
            ("bf61610161629f0203ffff", json!({"a": 1, "b": [2, 3]})),
            ("826161bf61626163ff", json!(["a", {"b": "c"}])),
            ("bf6346756ef563416d7421ff", json!({"Fun": true, "Amt": -2})),
        ] {
            assert_eq!(cb(bytes), want, "{bytes}");
        }
        let r = render(&hex("a26161016162820203"), PayloadFormat::Cbor, 10);
        assert_eq!(r.format_used, PayloadFormat::Cbor);
        assert_eq!(texts(&r), ["{", "  \"a\": 1,", "  \"b\": [", "    2,", "    3", "  ]", "}"]);
    }

    #[test]
    fn truncated_or_garbage_cbor_is_an_error_with_its_offset() {
        for (bytes, want) in [
            ("", "truncated: 1 bytes needed, 0 left at byte 0"),
            ("1b0000", "truncated: 8 bytes needed, 2 left at byte 1"),
            ("9f01", "truncated: no break (0xff) ends the indefinite-length item from byte 0 at byte 2"),
            ("5f6161ff", "chunk of an indefinite-length string is not a definite string of the same type at byte 1"),
            (
                "5f5f4101ffff",
                "chunk of an indefinite-length string is not a definite string of the same type at byte 1",
            ),
            ("1c", "reserved additional information 28 at byte 0"),
            ("ff", "break (0xff) outside an indefinite-length item at byte 0"),
            ("f810", "simple value 16 must not use the two-byte form at byte 0"),
            ("3f", "major type 1 cannot have an indefinite length at byte 0"),
            ("9bffffffffffffffff", "array of 18446744073709551615 items cannot fit in the 0 bytes left at byte 0"),
            ("bb00000000ffffffff00", "map of 4294967295 items cannot fit in the 1 bytes left at byte 0"),
            ("7bffffffffffffffff", "truncated: 18446744073709551615 bytes needed, 0 left at byte 9"),
            ("bf0102 03ff", "break (0xff) outside an indefinite-length item at byte 4"),
            ("0001", "1 bytes left over after the value at byte 1"),
        ] {
            assert_eq!(cbor::decode(&hex(bytes)).unwrap_err().to_string(), want, "{bytes}");
        }
        let tags = vec![0xc6; 10_000];
        assert_eq!(cbor::decode(&tags).unwrap_err().to_string(), "nested deeper than 64 levels at byte 65");
        let arrays = vec![0x9f; 10_000];
        assert!(cbor::decode(&arrays).unwrap_err().to_string().starts_with("nested deeper than 64 levels"));
        let r = render(b"\x9f\x01", PayloadFormat::Cbor, 10);
        assert_eq!(r.format_used, PayloadFormat::Hex);
        assert!(r.error.unwrap().starts_with("not valid CBOR: truncated"));
    }

    #[test]
    fn element_count_is_bounded() {
        // An array of 2^16-1 empty arrays, 300 times over, is far more values than the limit.
        let mut bytes = vec![0x99, 0x01, 0x2c];
        for _ in 0..300 {
            bytes.extend([0x99, 0xff, 0xff]);
            bytes.extend(std::iter::repeat_n(0x80, 0xffff));
        }
        assert_eq!(
            cbor::decode(&bytes).unwrap_err().to_string(),
            format!("more than {MAX_ELEMENTS} values at byte 262154")
        );
    }

    #[test]
    fn numeric_fields_cover_numbers_texts_and_objects() {
        use PayloadFormat::*;
        let v = |x: f64| vec![(VALUE_FIELD.to_owned(), x)];
        assert_eq!(numeric_fields(b"21.5", Auto), v(21.5));
        assert_eq!(numeric_fields(b" -3e2\n", Auto), v(-300.0));
        assert_eq!(numeric_fields("21.5 °C".as_bytes(), Auto), v(21.5));
        assert_eq!(numeric_fields(b"100%", Text), v(100.0));
        assert_eq!(numeric_fields(b"\"101.5\"", Auto), v(101.5));
        assert_eq!(numeric_fields(b"7", Hex), v(7.0));
        assert_eq!(numeric_fields("21.5 °C".as_bytes(), Json), v(21.5));
        for not_a_number in
            [&b"2024-05-01"[..], b"12:30", b"1.2.3", b"1,5", b"on", b"inf", b"NaN", b"-", b".", b"\x00\x01", b""]
        {
            assert_eq!(numeric_fields(not_a_number, Auto), vec![], "{not_a_number:?}");
        }
        let fields = numeric_fields(
            br#"{"px":"101.5","bid":{"size":3,"venue":"x"},"levels":[1.5,2],"ok":true,"a/b~c":4}"#,
            Auto,
        );
        let want = [("/px", 101.5), ("/bid/size", 3.0), ("/levels/0", 1.5), ("/levels/1", 2.0), ("/a~1b~0c", 4.0)];
        assert_eq!(fields, want.map(|(k, x)| (k.to_owned(), x)));
        assert_eq!(
            numeric_fields(&hex("82 a2 7078 cb 4059600000000000 a3 766f6c 0a"), MsgPack),
            [("/px".to_owned(), 101.5), ("/vol".to_owned(), 10.0)]
        );
        assert_eq!(numeric_fields(&hex("a1 6174 f93e00"), Cbor), [("/t".to_owned(), 1.5)]);
        let many = format!("[{}0]", "1,".repeat(200));
        assert_eq!(numeric_fields(many.as_bytes(), Auto).len(), MAX_NUMERIC_FIELDS);
        let hostile = numeric_fields(b"{\"\\u001b[2J\":1}", Auto);
        assert_eq!(hostile, [("/\\e[2J".to_owned(), 1.0)]);
    }

    #[test]
    fn field_value_finds_one_path() {
        use PayloadFormat::*;
        let doc = br#"{"px":"101.5","bid":{"size":3},"levels":[1.5,2],"a/b~c":4,"\u001b":5}"#;
        assert_eq!(field_value(doc, Auto, "/px"), Some(101.5));
        assert_eq!(field_value(doc, Auto, "/bid/size"), Some(3.0));
        assert_eq!(field_value(doc, Auto, "/levels/1"), Some(2.0));
        assert_eq!(field_value(doc, Auto, "/a~1b~0c"), Some(4.0));
        assert_eq!(field_value(doc, Auto, "/\\e"), Some(5.0));
        assert_eq!(field_value(doc, Auto, "/bid"), None);
        assert_eq!(field_value(doc, Auto, "/levels/9"), None);
        assert_eq!(field_value(doc, Auto, "/nope/x"), None);
        assert_eq!(field_value(doc, Auto, VALUE_FIELD), None);
        assert_eq!(field_value("21.5 °C".as_bytes(), Auto, VALUE_FIELD), Some(21.5));
        assert_eq!(field_value(b"-3e2", Auto, VALUE_FIELD), Some(-300.0));
        assert_eq!(field_value(b"-3e2", Auto, "/x"), None);
        assert_eq!(field_value(&hex("81 a2 7078 cd 0100"), MsgPack, "/px"), Some(256.0));
        for (path, x) in numeric_fields(doc, Auto) {
            assert_eq!(field_value(doc, Auto, &path), Some(x), "{path}");
        }
    }

    #[test]
    fn preview_is_one_safe_line() {
        assert_eq!(preview(b"{ \"px\" : 101.5,\n  \"s\": \"a b\" }", 80), r#"{"px":101.5,"s":"a b"}"#);
        assert_eq!(preview(br#"{"s":"a \" } b"}"#, 80), r#"{"s":"a \" } b"}"#);
        assert_eq!(preview(br#"{"px":101.5,"vol":10}"#, 10), r#"{"px":101…"#);
        assert_eq!(preview(b"  two\r\nlines\tand tab\n", 80), "two⏎lines and tab");
        assert_eq!(preview(b"[INFO] a  b", 80), "[INFO] a  b");
        assert_eq!(preview(b"evil\x1b]0;title\x07", 80), "evil\\e]0;title\\x07");
        assert_eq!(preview(b"\x00\x01\x02\xff", 80), "<4 bytes binary> 00 01 02 ff");
        assert_eq!(preview(b"\x00", 80), "<1 byte binary> 00");
        assert_eq!(preview(&[0u8; 1000], 24), "<1000 bytes binary> 00 …");
        assert_eq!(preview(b"", 80), "<empty>");
        assert_eq!(preview(b"abc", 0), "");
        let big = format!("[{}1]", "1, ".repeat(100_000));
        assert_eq!(preview(big.as_bytes(), 8), "[1,1,1,…");
        assert_eq!(preview(b"\"\xe2\x80\xae\"", 80), "\"\\u{202e}\"");
    }

    #[test]
    fn diff_describes_the_change() {
        use PayloadFormat::*;
        assert_eq!(diff(b"21.2", b"21.2", Auto), None);
        assert_eq!(diff(b"21.2", b"21.5", Auto).as_deref(), Some("+0.3 (+1.4%)"));
        assert_eq!(diff(b"10", b"8", Auto).as_deref(), Some("-2 (-20.0%)"));
        assert_eq!(diff(b"0", b"0.25", Auto).as_deref(), Some("+0.25"));
        assert_eq!(diff("21.5 °C".as_bytes(), "20.75 °C".as_bytes(), Auto).as_deref(), Some("-0.75 (-3.5%)"));
        assert_eq!(diff(b"1e-9", b"2e-9", Auto).as_deref(), Some("+1.00e-9 (+100.0%)"));
        assert_eq!(diff(b"{\"a\": 1}", b"{\"a\":1}", Auto), None);
        assert_eq!(diff(br#"{"a":1,"b":2}"#, br#"{"b":2,"a":1}"#, Auto), None);
        assert_eq!(
            diff(br#"{"px":101.2,"vol":10,"side":"buy"}"#, br#"{"px":101.5,"vol":12,"side":"buy"}"#, Auto).as_deref(),
            Some("px 101.2→101.5, vol 10→12")
        );
        assert_eq!(
            diff(br#"{"bid":{"size":1},"old":true,"l":[1]}"#, br#"{"bid":{"size":2},"l":[1,2],"new":"x"}"#, Auto)
                .as_deref(),
            Some("bid/size 1→2, +l/1 2, +new \"x\", +1 more")
        );
        assert_eq!(diff(b"\"on\"", b"\"off\"", Auto).as_deref(), Some("\"on\"→\"off\""));
        assert_eq!(diff(b"open", b"closed", Auto).as_deref(), Some("open→closed"));
        assert_eq!(diff(b"\x1b[2J", b"x", Auto).as_deref(), Some("\\e[2J→x"));
        assert_eq!(diff(b"\x00\x01", b"\x00\x02", Auto).as_deref(), Some("changed"));
        assert_eq!(diff(b"21.5 C", b"21.5 F", Auto).as_deref(), Some("21.5 C→21.5 F"));
        assert_eq!(diff(&hex("81 a1 61 01"), &hex("81 a1 61 02"), MsgPack).as_deref(), Some("a 1→2"));
        assert_eq!(diff(&hex("a1 6161 01"), &hex("a1 6161 02"), Cbor).as_deref(), Some("a 1→2"));
        let long_a = format!("{{\"s\":\"{}\"}}", "a".repeat(100));
        let long_b = format!("{{\"s\":\"{}\"}}", "b".repeat(100));
        assert_eq!(
            diff(long_a.as_bytes(), long_b.as_bytes(), Auto).as_deref(),
            Some("s \"aaaaaaaaaaaaa…\"→\"bbbbbbbbbbbbb…\"")
        );
    }

    proptest! {
        #[test]
        fn no_panic_and_terminal_safe_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            max_lines in 0usize..40,
        ) {
            for format in FORMATS {
                let r = render(&bytes, format, max_lines);
                prop_assert!(r.lines.len() <= max_lines);
                prop_assert!(r.format_used != PayloadFormat::Auto);
                for (_, s) in r.lines.iter().flatten() {
                    prop_assert!(is_terminal_safe(s), "{:?}", s);
                }
                for (path, x) in numeric_fields(&bytes, format) {
                    prop_assert!(is_terminal_safe(&path) && x.is_finite());
                    prop_assert_eq!(field_value(&bytes, format, &path), Some(x));
                }
                let d = diff(&bytes, b"{\"a\":1}", format).unwrap_or_default();
                prop_assert!(is_terminal_safe(&d));
            }
            let p = preview(&bytes, 40);
            prop_assert!(p.chars().count() <= 40 && is_terminal_safe(&p), "{:?}", p);
        }

        #[test]
        fn structured_looking_bytes_do_not_panic(
            prefix in proptest::sample::select(OPENERS.to_vec()),
            bytes in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut payload = vec![prefix];
            payload.extend(bytes);
            for format in [PayloadFormat::MsgPack, PayloadFormat::Cbor] {
                let _ = render(&payload, format, 50);
                let _ = numeric_fields(&payload, format);
                let _ = diff(&payload, &payload[1..], format);
            }
        }
    }
}
