//! The token sink every view renders into, within the line and byte limits.

use super::hex::write_hex;
use super::text::{looks_like_text, write_text};
use super::{Line, PayloadFormat, TokenKind, floor_char_boundary};

// ---------------------------------------------------------------------------------------------------------
// Rendering

/// Collects tokens into lines within the line and byte limits.
pub(super) struct Out {
    lines: Vec<Line>,
    cur: Line,
    max_lines: usize,
    pub(super) budget: usize,
    pub(super) truncated: bool,
}

impl Out {
    pub(super) fn new(max_lines: usize, budget: usize) -> Self {
        Self { lines: Vec::new(), cur: Vec::new(), max_lines, budget, truncated: false }
    }

    /// Appends `s`, which must already be terminal-safe; cuts it with `…` when the byte budget runs out.
    pub(super) fn push(&mut self, kind: TokenKind, s: &str) {
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

    pub(super) fn end_line(&mut self) {
        if self.truncated {
            return;
        }
        if self.lines.len() >= self.max_lines {
            self.truncated = true;
            return;
        }
        self.lines.push(std::mem::take(&mut self.cur));
    }

    pub(super) fn finish(mut self) -> (Vec<Line>, bool) {
        if !self.cur.is_empty() && self.lines.len() < self.max_lines {
            self.lines.push(self.cur);
        }
        (self.lines, self.truncated)
    }
}

/// Text or hex for `format` Text or Hex; otherwise whichever fits the bytes. Returns the one used.
pub(super) fn write_plain(out: &mut Out, payload: &[u8], format: PayloadFormat) -> PayloadFormat {
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
