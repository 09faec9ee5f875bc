//! JSON: telling a JSON payload apart cheaply, and pretty-printing a JSON value (also what MessagePack
//! and CBOR decode to) as coloured tokens.

use serde::de::IgnoredAny;
use serde_json::Value;

use super::render::Out;
use super::{MAX_DECODE_BYTES, SNIFF_BYTES, TokenKind, clip_bytes, floor_char_boundary};
use crate::sanitize;

// ---------------------------------------------------------------------------------------------------------
// Detection

/// Cheap test before running a JSON parser: small enough, and starts like a JSON value.
pub(super) fn json_plausible(payload: &[u8]) -> bool {
    payload.len() <= MAX_DECODE_BYTES
        && payload
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .is_some_and(|b| matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'))
}

/// The first 64 KiB of an object or array payload as text, when they are valid JSON so far.
/// `more`: the payload goes on beyond `payload` (a kept head), so JSON may end early.
pub(super) fn json_container_prefix(payload: &[u8], more: bool) -> Option<&str> {
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

pub(super) fn write_value(out: &mut Out, value: &Value, depth: usize) {
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

pub(super) fn indent(out: &mut Out, depth: usize) {
    out.push(TokenKind::Plain, &"  ".repeat(depth));
}

/// `s` quoted and escaped as JSON (controls as `\u001b`), then with whatever JSON leaves raw (DEL, C1,
/// bidi overrides) escaped for the terminal. Only as much of `s` as the budget can show is escaped.
pub(super) fn push_json_string(out: &mut Out, kind: TokenKind, s: &str) {
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
