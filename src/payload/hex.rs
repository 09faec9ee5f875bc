//! Hex: the `hexdump -C` view, and binary data inside a decoded value as a hex string.

use std::fmt::Write as _;

use serde_json::Value;

use super::render::Out;
use super::{MAX_BINARY_HEX, TokenKind};

/// Binary data as a lowercase hex string; long data as its first bytes, `…` and its length.
pub(super) fn hex_value(data: &[u8]) -> Value {
    let mut s = crate::inspect::hex(&data[..data.len().min(MAX_BINARY_HEX)]);
    if data.len() > MAX_BINARY_HEX {
        let _ = write!(s, "…({} bytes)", data.len());
    }
    Value::String(s)
}

/// `hexdump -C`: offset, 16 bytes in two groups of 8, and the printable ASCII between bars.
pub(super) fn write_hex(out: &mut Out, payload: &[u8]) {
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
