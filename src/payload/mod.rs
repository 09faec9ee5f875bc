//! Payload views: turns a message payload into what the detail pane, the charts, the topic tree preview
//! and the history list show. JSON is pretty-printed, MessagePack and CBOR are decoded to the same JSON
//! shape, UTF-8 text is shown as lines and anything else as a hex dump.
//!
//! Pure and bounded: no IO and no ratatui types (the ui maps [`TokenKind`] to styles). Every function takes
//! any bytes without panicking, decodes at most [`MAX_DECODE_BYTES`], nests at most [`MAX_DEPTH`] levels
//! (JSON: serde_json's own limit of 128) and emits at most [`MAX_RENDER_BYTES`] of text. Every string
//! handed out, field paths included, is terminal-safe (see [`crate::sanitize`]).

mod binary;
mod cbor;
mod diff;
mod fields;
mod hex;
mod json;
mod msgpack;
mod preview;
pub mod protobuf;
mod render;
pub mod schema;
pub mod sparkplug;
#[cfg(test)]
mod tests;
mod text;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::de::IgnoredAny;
use serde_json::Value;

use crate::sanitize;
use json::{json_plausible, write_value};
use render::{Out, write_plain};
use text::looks_like_text;

pub use diff::{diff, diff_decoded};
pub use fields::{
    SCALAR_TEXT_CHARS, Scalar, field_scalar, field_value, field_value_decoded, has_fields, is_numeric, match_text,
    numeric_fields, push_segment as pointer_segment,
};
pub use preview::{HEAD_BYTES, PREVIEW_DECODE_BYTES, fit, head, preview, preview_in, preview_of};

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
    /// Sparkplug B (Protobuf): chosen by itself for topics in the `spBv1.0` namespace, never guessed from bytes.
    Sparkplug,
    /// Protobuf by the message type that the profile or `--proto` gives the topic (its `.proto` files).
    Protobuf,
    /// Protobuf without a schema: field numbers and wire types, as `protoc --decode_raw` shows them.
    RawProtobuf,
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
            Self::Cbor => Self::Sparkplug,
            Self::Sparkplug => Self::Protobuf,
            Self::Protobuf => Self::RawProtobuf,
            Self::RawProtobuf => Self::Auto,
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
            Self::Sparkplug => "sparkplug",
            Self::Protobuf => "protobuf",
            Self::RawProtobuf => "raw-protobuf",
        }
    }
}

impl PayloadFormat {
    /// Sparkplug B and Protobuf: binary formats, shown as hex when they do not decode.
    pub fn is_protobuf(self) -> bool {
        matches!(self, Self::Sparkplug | Self::Protobuf | Self::RawProtobuf)
    }
}

impl fmt::Display for PayloadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A payload view name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a payload view: use auto, json, text, hex, msgpack, cbor, sparkplug, protobuf or raw-protobuf")]
pub struct UnknownFormat(pub String);

impl FromStr for PayloadFormat {
    type Err = UnknownFormat;

    /// Case-insensitive; `messagepack` is accepted for `msgpack`, `spb` for `sparkplug`, `proto` for
    /// `protobuf`, `raw protobuf` and `protobuf-raw` for `raw-protobuf`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            "hex" => Ok(Self::Hex),
            "msgpack" | "messagepack" => Ok(Self::MsgPack),
            "cbor" => Ok(Self::Cbor),
            "sparkplug" | "sparkplugb" | "spb" => Ok(Self::Sparkplug),
            "protobuf" | "proto" => Ok(Self::Protobuf),
            "raw-protobuf" | "raw protobuf" | "raw_protobuf" | "protobuf-raw" | "rawprotobuf" => Ok(Self::RawProtobuf),
            _ => Err(UnknownFormat(sanitize::line(s).into_owned())),
        }
    }
}

/// How to decode a payload: its view, and what that view needs beyond the bytes (for Sparkplug, the metric
/// names behind the aliases, from the BIRTH; for Protobuf, the topic's message type). A [`PayloadFormat`]
/// alone converts into one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Decoder<'a> {
    pub format: PayloadFormat,
    pub sparkplug: sparkplug::AliasScope<'a>,
    pub protobuf: Option<&'a prost_reflect::MessageDescriptor>,
}

impl<'a> Decoder<'a> {
    /// The decoder for a message on `topic` shown in view `format`: for Sparkplug, with the aliases that
    /// `network` knows from the topic's edge node and device BIRTHs; for Protobuf, with the message type
    /// `protos` gives the topic.
    pub fn for_topic(
        format: PayloadFormat,
        network: &'a sparkplug::state::Network,
        protos: &'a protobuf::Protos,
        topic: &str,
    ) -> Self {
        let sparkplug =
            if format == PayloadFormat::Sparkplug { network.aliases(topic) } else { sparkplug::AliasScope::default() };
        let protobuf = if format == PayloadFormat::Protobuf { protos.message_for(topic) } else { None };
        Self { format, sparkplug, protobuf }
    }
}

impl From<PayloadFormat> for Decoder<'_> {
    fn from(format: PayloadFormat) -> Self {
        Self { format, sparkplug: sparkplug::AliasScope::default(), protobuf: None }
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
/// payload is shown as text or hex (always hex for Sparkplug and Protobuf, whose payloads are binary).
pub fn render<'a>(payload: &[u8], decoder: impl Into<Decoder<'a>>, max_lines: usize) -> Rendered {
    render_within(payload, decoder, max_lines, MAX_RENDER_BYTES)
}

/// [`render`] with another byte budget than [`MAX_RENDER_BYTES`]: the detail pane shows whole
/// payloads of megabytes, scrolled, where a preview needs a few kilobytes.
pub fn render_within<'a>(
    payload: &[u8],
    decoder: impl Into<Decoder<'a>>,
    max_lines: usize,
    max_bytes: usize,
) -> Rendered {
    let decoder = decoder.into();
    let format = decoder.format;
    let mut out = Out::new(max_lines, max_bytes);
    let (format_used, error) = match structured(payload, decoder) {
        Ok(Some(value)) => {
            write_value(&mut out, &value, 0);
            out.end_line();
            (if format == PayloadFormat::Auto { PayloadFormat::Json } else { format }, None)
        }
        Ok(None) => (write_plain(&mut out, payload, format), None),
        Err(e) if format.is_protobuf() => (write_plain(&mut out, payload, PayloadFormat::Hex), Some(e)),
        Err(e) => (write_plain(&mut out, payload, PayloadFormat::Auto), Some(e)),
    };
    let (lines, truncated) = out.finish();
    Rendered { format_used, lines, truncated, error }
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

/// The payload decoded to a JSON value when `format` is structured (JSON, MessagePack, CBOR, or `Auto`
/// on JSON): `Ok(None)` for text and hex, `Err` with the reason when the chosen format does not decode.
pub fn decode<'a>(payload: &[u8], decoder: impl Into<Decoder<'a>>) -> Result<Option<Value>, String> {
    structured(payload, decoder.into())
}

/// The payload as a JSON value when `format` is structured: `Ok(None)` for text and hex (and for `Auto`
/// when the payload is not JSON), `Err` with the reason when the chosen format does not decode.
fn structured(payload: &[u8], decoder: Decoder<'_>) -> Result<Option<Value>, String> {
    let format = decoder.format;
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
        PayloadFormat::Sparkplug => ("Sparkplug B", sparkplug::decode_json(payload, decoder.sparkplug)),
        PayloadFormat::RawProtobuf => ("Protobuf", protobuf::raw::decode(payload).map_err(|e| e.to_string())),
        PayloadFormat::Protobuf => match decoder.protobuf {
            Some(m) => (m.full_name(), protobuf::decode_json(payload, m)),
            None => {
                return Err("no Protobuf message type for this topic: give one with --proto or in the \
                            profile's payload_views"
                    .into());
            }
        },
    };
    decoded.map(Some).map_err(|e| format!("not valid {name}: {}", sanitize::line(&e)))
}

/// A topic's payload view: the one chosen with `v` (`chosen`), else the first of `views` whose
/// filter matches, else Sparkplug for a Sparkplug B topic (`spBv1.0/GROUP/TYPE/NODE[/DEVICE]`), else `Auto`.
pub fn format_for(
    chosen: &HashMap<u32, PayloadFormat>,
    views: &[(String, PayloadFormat)],
    node: u32,
    path: &str,
) -> PayloadFormat {
    if let Some(f) = chosen.get(&node) {
        return *f;
    }
    match views.iter().find(|(filter, _)| crate::codec::topic::matches(filter, path)) {
        Some((_, f)) => *f,
        None if sparkplug::is_payload_topic(path) => PayloadFormat::Sparkplug,
        None => PayloadFormat::Auto,
    }
}
