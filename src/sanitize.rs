//! Text from the wire or a file made safe for a terminal: control characters, escape sequences (ANSI
//! CSI, OSC), bidirectional overrides and invisible characters are shown escaped, never interpreted.
//!
//! Every message for stderr goes through [`report!`](crate::report): it escapes the whole formatted
//! message, so a broker's reason string or a topic from a file cannot reach the terminal raw whatever
//! the call site forgot. `eprintln!` and `println!` are refused by clippy (`clippy.toml`) outside
//! this module.

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;

/// Whether `c` must not reach a terminal as is: C0 controls (but tab and newline when `keep_newlines`),
/// DEL, C1 controls, the bidi controls that reorder text, and every invisible character (Unicode's
/// default-ignorable code points and other format characters), which would make two different topics
/// look the same and shift the columns after them.
fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        ' '..='~' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        _ => is_invisible(c),
    }
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 16), plus the format
/// characters (category Cf) outside it and the line and paragraph separators. Bidi controls are in it.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}'                       // soft hyphen
        | '\u{34f}'                    // combining grapheme joiner
        | '\u{600}'..='\u{605}'        // Arabic number signs (Cf)
        | '\u{61c}'                    // Arabic letter mark
        | '\u{6dd}' | '\u{70f}'         // Arabic end of ayah, Syriac abbreviation mark (Cf)
        | '\u{890}'..='\u{891}' | '\u{8e2}' // Arabic pound/piastre marks, disputed end of ayah (Cf)
        | '\u{115f}'..='\u{1160}'      // Hangul fillers
        | '\u{17b4}'..='\u{17b5}'      // Khmer inherent vowels
        | '\u{180b}'..='\u{180f}'      // Mongolian variation selectors and vowel separator
        | '\u{200b}'..='\u{200f}'      // zero width space, non-joiner, joiner, LRM, RLM
        | '\u{2028}'..='\u{202e}'      // line/paragraph separators, bidi embeddings and overrides
        | '\u{2060}'..='\u{206f}'      // word joiner, invisible operators, bidi isolates, deprecated
        | '\u{3164}'                   // Hangul filler
        | '\u{fe00}'..='\u{fe0f}'      // variation selectors
        | '\u{feff}'                   // zero width no-break space (BOM)
        | '\u{ffa0}'                   // halfwidth Hangul filler
        | '\u{fff0}'..='\u{fffb}'      // unassigned, interlinear annotation
        | '\u{110bd}' | '\u{110cd}'     // Kaithi number signs (Cf)
        | '\u{13430}'..='\u{1345f}'    // Egyptian hieroglyph format controls
        | '\u{1bca0}'..='\u{1bca3}'    // shorthand format controls
        | '\u{1d173}'..='\u{1d17a}'    // musical symbol formatting
        | '\u{e0000}'..='\u{e0fff}'    // tags and variation selectors supplement
    )
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

/// JSON as serde_json writes it, but with every unsafe character (C1 controls, bidi and invisible
/// characters, which JSON allows raw) written as a `\uXXXX` escape: the same value to a parser, and
/// harmless on a terminal.
pub fn json_to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, SafeJson);
    value.serialize(&mut ser)
}

/// [`json_to_writer`] into a string.
pub fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing into a Vec fails only for a value serde_json cannot express (a map with non-string keys).
    let _ = json_to_writer(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c, false) {
                w.write_all(fragment.get(start..i).unwrap_or_default().as_bytes())?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(w, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        w.write_all(fragment.get(start..).unwrap_or_default().as_bytes())
    }
}

/// A writer for the log file, where each write is one record: everything in it is escaped but its
/// final newline, so `tail -f` on the log is as safe as the screen and a record stays one line.
pub struct EscapingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (body, newline) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, true),
            None => (buf, false),
        };
        self.0.write_all(bytes(body, false).as_bytes())?;
        if newline {
            self.0.write_all(b"\n")?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Writes `args` and a newline to stderr as one line: every unsafe character escaped, newlines too,
/// so a string from the wire can neither colour, move, retitle nor add a line. Use [`report!`].
pub fn report_line(args: fmt::Arguments<'_>) {
    // Nowhere is left to report a failing stderr; a closed one must not stop the program either.
    let _ = write_line(&mut std::io::stderr().lock(), args);
}

/// One escaped line and a newline into `w`: what [`report!`](crate::report) writes to stderr.
pub fn write_line(w: &mut impl std::io::Write, args: fmt::Arguments<'_>) -> std::io::Result<()> {
    let message = args.to_string();
    writeln!(w, "{}", line(&message))
}

/// As [`report_line`], but newlines and tabs are kept: for text we lay out on several lines (the
/// packet trace of `-d`). Use [`report_lines!`](crate::report_lines).
pub fn report_text(args: fmt::Arguments<'_>) {
    let message = args.to_string();
    let _ = writeln!(std::io::stderr().lock(), "{}", text(&message, true));
}

/// Writes text for stdout (listings): newlines and tabs kept, every other unsafe character escaped.
pub fn print_text(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text(s, true).as_bytes())?;
    out.flush()
}

/// `eprintln!` for mqscope: the whole message is escaped ([`line`]) before it reaches stderr.
#[macro_export]
macro_rules! report {
    ($($arg:tt)*) => { $crate::sanitize::report_line(format_args!($($arg)*)) };
}

/// [`report!`] for a message that spans lines: newlines and tabs kept, everything else escaped.
#[macro_export]
macro_rules! report_lines {
    ($($arg:tt)*) => { $crate::sanitize::report_text(format_args!($($arg)*)) };
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
    fn invisible_characters_are_escaped() {
        assert_eq!(line("sensors/te\u{200b}mp"), "sensors/te\\u{200b}mp");
        for c in [
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{61c}',
            '\u{34f}',
            '\u{115f}',
            '\u{180e}',
            '\u{2028}',
            '\u{2064}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{ffa0}',
            '\u{fff9}',
            '\u{1bca0}',
            '\u{1d173}',
            '\u{e0001}',
            '\u{e0100}',
            '\u{600}',
            '\u{110bd}',
            '\u{13430}',
        ] {
            let escaped = line(&format!("a{c}b")).into_owned();
            assert_eq!(escaped, format!("a\\u{{{:04x}}}b", c as u32), "U+{:04X}", c as u32);
        }
        assert_eq!(line("soft\u{ad}hyphen"), "soft\\xadhyphen");
        // Visible neighbours stay as they are.
        for s in ["°C", "naïve", "日本語", "🙂", "\u{a0}", "\u{2010}", "\u{fffd}"] {
            assert_eq!(line(s), s);
        }
    }

    #[test]
    fn a_report_escapes_the_whole_message_whatever_the_call_site_forgot() {
        let reason = "\u{1b}]0;owned\u{7}\nmqscope: delivered OK\u{200b}";
        let mut out = Vec::new();
        write_line(&mut out, format_args!("mqscope: broker says: {reason}")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "mqscope: broker says: \\e]0;owned\\x07\\nmqscope: delivered OK\\u{200b}\n"
        );
    }

    #[test]
    fn log_records_are_escaped_and_stay_one_line() {
        let mut w = EscapingWriter(Vec::new());
        w.write_all(b"WARN disconnected: \x1b]0;x\x07\nfake record\n").unwrap();
        assert_eq!(w.0, b"WARN disconnected: \\e]0;x\\x07\\nfake record\n");
    }

    #[test]
    fn json_escapes_what_a_terminal_would_interpret_and_parses_back_the_same() {
        let value = serde_json::json!({ "t\u{200b}": "a\u{9b}b\u{202e}c\u{1b}d\u{e0001}é🙂" });
        let s = json_string(&value);
        assert_eq!(s, r#"{"t\u200b":"a\u009bb\u202ec\u001bd\udb40\udc01é🙂"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&s).unwrap(), value);
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
