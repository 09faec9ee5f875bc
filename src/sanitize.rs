//! Text from the wire made safe for a terminal: control characters, escape sequences (ANSI CSI, OSC)
//! and bidirectional overrides are shown escaped, never interpreted.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as is: C0 controls (but tab and newline when `keep_newlines`),
/// DEL, C1 controls, and the bidi embedding/override/isolate characters that reorder text.
fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escape_into(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{1b}' => out.push_str("\\e"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
}

/// One line of text: every unsafe character escaped (newlines too). Borrows when nothing changes.
pub fn line(s: &str) -> Cow<'_, str> {
    text(s, false)
}

/// Text that may span lines: newlines and tabs kept, every other unsafe character escaped.
pub fn text(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c, keep_newlines) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes that may not be UTF-8: valid runs as `text`, invalid bytes as `\xNN`.
pub fn bytes(b: &[u8], keep_newlines: bool) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(b) {
        return text(s, keep_newlines);
    }
    let mut out = String::with_capacity(b.len() + 16);
    for chunk in b.utf8_chunks() {
        out.push_str(&text(chunk.valid(), keep_newlines));
        for byte in chunk.invalid() {
            use std::fmt::Write as _;
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_shown_not_interpreted() {
        assert_eq!(line("\u{1b}[31mred\u{1b}[0m"), "\\e[31mred\\e[0m");
        assert_eq!(line("\u{1b}]0;title\u{7}"), "\\e]0;title\\x07");
        assert_eq!(line("a\u{9b}b"), "a\\x9bb");
        assert_eq!(line("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(line("two\nlines\r"), "two\\nlines\\r");
        assert_eq!(text("two\nlines\r", true), "two\nlines\\r");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(line("sensors/kitchen/temp 21.5 °C"), Cow::Borrowed(_)));
    }

    #[test]
    fn invalid_utf8_bytes_are_hex_escaped() {
        assert_eq!(bytes(b"ok\xff\xfe\x1b", false), "ok\\xff\\xfe\\e");
    }
}
