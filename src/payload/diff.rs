//! What changed between two payloads of a topic, in a few words for the history list.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::Value;

use super::fields::{push_segment, scalar_number};
use super::preview::clipped;
use super::text::{short_text, text_number};
use super::{Decoder, MAX_DIFF_ITEMS, MAX_DIFF_LEAVES, PayloadFormat, floor_char_boundary, sparkplug, structured};

/// How `cur` differs from `prev`, for the history list: `None` when they are the same value; a signed
/// delta and percentage for numbers (`+0.3 (+0.3%)`); the changed, added (`+`) and removed (`-`) leaves of
/// objects and arrays (`px 101.2→101.5, vol 10→12`, at most three, then `+N more`); `old→new` for short
/// scalars and one-line texts; `changed` otherwise.
pub fn diff<'a>(prev: &[u8], cur: &[u8], decoder: impl Into<Decoder<'a>>) -> Option<String> {
    let decoder = decoder.into();
    if prev == cur {
        return None;
    }
    let decode = |p| structured(p, decoder).ok().flatten();
    diff_decoded((prev, decode(prev).as_ref()), (cur, decode(cur).as_ref()), decoder.format)
}

/// [`diff`] of two payloads each given with its value as [`decode`](super::decode) made it (`None`
/// when it gave none), for a caller that decodes each payload once for several uses.
pub fn diff_decoded(
    prev: (&[u8], Option<&Value>),
    cur: (&[u8], Option<&Value>),
    format: PayloadFormat,
) -> Option<String> {
    let ((prev, a), (cur, b)) = (prev, cur);
    if prev == cur {
        return None;
    }
    if let (Some(a), Some(b)) = (a, b) {
        if format == PayloadFormat::Sparkplug {
            return diff_values(&by_metric_name(a), &by_metric_name(b));
        }
        return diff_values(a, b);
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

// ---------------------------------------------------------------------------------------------------------
// Diff

pub(super) fn diff_values(a: &Value, b: &Value) -> Option<String> {
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
    // Only the changes shown are written out; the others are counted.
    let mut changes = Vec::new();
    let mut more = 0usize;
    let mut change = |text: &dyn Fn() -> String| {
        if changes.len() < MAX_DIFF_ITEMS {
            changes.push(text());
        } else {
            more += 1;
        }
    };
    for (path, value) in &after {
        match old.get(path.as_str()) {
            Some(prev) if prev == value => {}
            Some(prev) => change(&|| format!("{} {}→{}", label(path), short_value(prev), short_value(value))),
            None => change(&|| format!("+{} {}", label(path), short_value(value))),
        }
    }
    for (path, _) in &before {
        if !new.contains(path.as_str()) {
            change(&|| format!("-{}", label(path)));
        }
    }
    if changes.is_empty() {
        // The difference lies beyond the leaves compared.
        return Some("changed".to_owned());
    }
    let mut s = changes.join(", ");
    if more > 0 {
        let _ = write!(s, ", +{more} more");
    }
    Some(s)
}

/// A Sparkplug payload's metrics as one object from name to value, so a change reads `Temperature 21.5→21.7`.
fn by_metric_name(json: &Value) -> Value {
    Value::Object(sparkplug::metric_values(json).map(|(n, v)| (n.to_owned(), v.clone())).collect())
}

/// Scalar leaves and empty containers with their pointer paths, at most [`MAX_DIFF_LEAVES`].
pub(super) fn leaves<'v>(value: &'v Value, path: &mut String, out: &mut Vec<(String, &'v Value)>) {
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

pub(super) fn number_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// `+0.3 (+0.3%)`: the delta with as many decimals as the more precise of the two inputs (at most 6), and
/// the change relative to the old value when it is not zero.
pub(super) fn numeric_delta(a: f64, a_text: &str, b: f64, b_text: &str) -> String {
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

pub(super) fn fraction_digits(number: &str) -> usize {
    number.split_once('.').map_or(0, |(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count())
}

/// A value as compact JSON for the history list, terminal-safe, at most 16 characters.
pub(super) fn short_value(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let shown = clipped(s.get(..floor_char_boundary(s, 64)).unwrap_or_default(), 14);
            format!("\"{shown}\"")
        }
        other => clipped(&other.to_string(), 16),
    }
}
