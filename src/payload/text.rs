//! Text: telling UTF-8 text from binary, showing it line by line, and the numbers a text payload starts with.

use std::borrow::Cow;

use super::render::Out;
use super::{SNIFF_BYTES, TokenKind, clip_bytes};
use crate::sanitize;

/// A text payload of one line and at most 24 characters, trimmed.
pub(super) fn short_text(payload: &[u8]) -> Option<&str> {
    if payload.len() > 128 {
        return None;
    }
    let text = std::str::from_utf8(payload).ok().filter(|_| looks_like_text(payload))?.trim();
    Some(text).filter(|s| s.chars().count() <= 24 && !s.contains('\n'))
}

/// UTF-8 (judged on the first 64 KiB) with no NUL and at most one control character in ten.
pub(super) fn looks_like_text(payload: &[u8]) -> bool {
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

pub(super) fn write_text(out: &mut Out, payload: &[u8]) {
    let (body, cut) = clip_bytes(payload, out.budget);
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
pub(super) fn expand_tabs(line: &[u8]) -> Cow<'_, [u8]> {
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

// ---------------------------------------------------------------------------------------------------------
// Numbers

/// The number at the start of `s` and its length: optional sign, digits with an optional fraction, an
/// optional exponent. Finite values only; `inf` and `NaN` are not numbers here.
pub(super) fn leading_number(s: &str) -> Option<(f64, usize)> {
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
pub(super) fn exact_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    leading_number(s).filter(|&(_, n)| n == s.len()).map(|(x, _)| x)
}

/// A text payload that starts with a number (`21.5 °C`, `-3e2`, `100%`), and that number's text. Dates,
/// times, versions and lists (`2024-05-01`, `12:30`, `1.2.3`, `1,5`) do not count.
pub(super) fn text_number(payload: &[u8]) -> Option<(f64, &str)> {
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
