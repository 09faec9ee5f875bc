//! One-line previews for the topic tree, the log and the history list.

use super::json::json_container_prefix;
use super::text::looks_like_text;
use super::{Decoder, PayloadFormat, SNIFF_BYTES, clip_bytes, structured};
use crate::sanitize;

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

/// Largest payload a preview decodes in a binary view (MessagePack, CBOR, Sparkplug, Protobuf):
/// larger ones preview as their first bytes, as in `Auto`.
pub const PREVIEW_DECODE_BYTES: usize = 16 * 1024;

/// A one-line preview in the view `decoder` gives the topic: MessagePack, CBOR, Sparkplug B and
/// Protobuf (by schema or raw) as their decoded value in compact JSON, hex as the bytes in hex, and
/// otherwise as [`preview_of`]. `payload` is the whole payload or, when `total` is larger, its first
/// bytes, which a binary view cannot decode: those preview as [`preview_of`] does. A payload that
/// does not decode in its view says so before its first bytes.
pub fn preview_in<'a>(payload: &[u8], total: usize, decoder: impl Into<Decoder<'a>>, max_chars: usize) -> String {
    let decoder = decoder.into();
    let format = decoder.format;
    match format {
        PayloadFormat::Auto | PayloadFormat::Json | PayloadFormat::Text => preview_of(payload, total, max_chars),
        PayloadFormat::Hex => hex_preview(payload, total, max_chars),
        _ if total > payload.len() || total > PREVIEW_DECODE_BYTES => preview_of(payload, total, max_chars),
        // A Sparkplug payload's metrics past what the line shows are not made into JSON: each takes
        // over 40 characters in compact JSON (`{"name":"","datatype":"Unknown","value":null}`), so
        // the line ends within the first `max_chars / 32 + 1` of them. Under a flood this is the
        // difference between decoding 50 metrics and 3 for every row on screen.
        PayloadFormat::Sparkplug => {
            let mut spare = None;
            let value = crate::payload::sparkplug::read(payload, &mut spare).and_then(|mut p| {
                p.metrics.truncate(max_chars / 32 + 1);
                crate::payload::sparkplug::to_json(&p, decoder.sparkplug)
            });
            match value {
                Ok(value) => compact_json(&value, max_chars),
                Err(_) => not_valid(payload, total, format, max_chars),
            }
        }
        _ => match structured(payload, decoder) {
            Ok(Some(value)) => compact_json(&value, max_chars),
            Ok(None) => preview_of(payload, total, max_chars),
            Err(_) => not_valid(payload, total, format, max_chars),
        },
    }
}

/// `<not valid FORMAT>` and the payload's first bytes.
fn not_valid(payload: &[u8], total: usize, format: PayloadFormat, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    clip.push_str(&format!("<not valid {}> ", format.name()));
    let rest = max_chars.saturating_sub(clip.chars);
    clip.push_str(&preview_of(payload, total, rest));
    clip.finish()
}

/// `value` as one line of compact JSON, at most `max_chars` characters; serialises no more than
/// it shows.
fn compact_json(value: &serde_json::Value, max_chars: usize) -> String {
    // Four bytes per character at most, and a few more to know whether it was cut.
    let mut out = Limited { buf: Vec::new(), cap: max_chars.saturating_mul(4).saturating_add(8) };
    // An error means the cap was reached: what was written so far is the preview.
    let _ = serde_json::to_writer(&mut out, value);
    clipped(&String::from_utf8_lossy(&out.buf), max_chars)
}

/// A writer that takes at most `cap` bytes, then fails.
struct Limited {
    buf: Vec<u8>,
    cap: usize,
}

impl std::io::Write for Limited {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let room = self.cap.saturating_sub(self.buf.len());
        if room == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        let n = b.len().min(room);
        self.buf.extend_from_slice(&b[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The payload's length and its first bytes in hex, for a topic shown as hex.
fn hex_preview(payload: &[u8], total: usize, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    if clip.push_str(&format!("<{total} {}>", if total == 1 { "byte" } else { "bytes" })) {
        for b in payload.iter().take(max_chars) {
            if !clip.push_str(&format!(" {b:02x}")) {
                break;
            }
        }
    }
    clip.finish()
}

/// Already terminal-safe text (a preview) cut to `max_chars`, `…` marking the cut.
pub fn fit(s: &str, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    clip.push_str(s);
    clip.finish()
}

pub(super) fn clipped(s: &str, max_chars: usize) -> String {
    let mut clip = Clip::new(max_chars);
    for c in s.chars() {
        if !clip.push_safe(c) {
            break;
        }
    }
    clip.finish()
}

/// A string of at most `max` characters; when more is pushed the last one becomes `…`.
pub(super) struct Clip {
    out: String,
    chars: usize,
    max: usize,
    cut: bool,
}

impl Clip {
    pub(super) fn new(max: usize) -> Self {
        Self { out: String::new(), chars: 0, max, cut: false }
    }

    /// Appends already-safe text; false once full.
    pub(super) fn push_str(&mut self, s: &str) -> bool {
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
    pub(super) fn push_safe(&mut self, c: char) -> bool {
        let mut buf = [0u8; 4];
        // Borrowed for a safe character: no allocation per character of a preview.
        let s = sanitize::line(c.encode_utf8(&mut buf));
        self.push_str(&s)
    }

    pub(super) fn finish(mut self) -> String {
        if self.cut && self.max > 0 {
            self.out.pop();
            self.out.push('…');
        }
        self.out
    }
}
