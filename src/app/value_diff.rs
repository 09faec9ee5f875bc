//! The full structural difference between two decoded payloads (JSON, MessagePack, CBOR), for
//! comparing two history entries in the detail pane: every added, removed and changed leaf with its
//! path and its old and new values; and a line difference for payloads that are text.

use crate::payload::{Line, TokenKind};
use crate::sanitize;
use serde_json::Value;

/// Most changes listed; the rest are counted.
pub const MAX_CHANGES: usize = 10_000;
/// Most characters of one value shown in a change line (the rest is cut with `…`).
pub const MAX_VALUE_CHARS: usize = 4_096;
/// Largest line-diff table (lines of one times lines of the other); past it lines are compared by position.
const MAX_LCS_CELLS: usize = 4_000_000;

/// One difference, at a JSON pointer path (`/sensors/3/temp`; the root is ``).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added(String, Value),
    Removed(String, Value),
    Changed(String, Value, Value),
}

/// The changes from `old` to `new`, objects compared key by key (in `old`'s order, then keys only
/// `new` has), arrays index by index; a value whose type changed is one change. At most
/// [`MAX_CHANGES`]; the second value counts them all.
pub fn diff(old: &Value, new: &Value) -> (Vec<Change>, usize) {
    let mut out = Vec::new();
    let mut total = 0;
    walk(old, new, &mut String::new(), &mut out, &mut total);
    (out, total)
}

fn push(out: &mut Vec<Change>, total: &mut usize, change: impl FnOnce() -> Change) {
    *total += 1;
    if out.len() < MAX_CHANGES {
        out.push(change());
    }
}

fn walk(old: &Value, new: &Value, path: &mut String, out: &mut Vec<Change>, total: &mut usize) {
    let len = path.len();
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                push_segment(path, k);
                match b.get(k) {
                    Some(vb) => walk(va, vb, path, out, total),
                    None => push(out, total, || Change::Removed(path.clone(), va.clone())),
                }
                path.truncate(len);
            }
            for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                push_segment(path, k);
                push(out, total, || Change::Added(path.clone(), vb.clone()));
                path.truncate(len);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                push_segment(path, &i.to_string());
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => walk(va, vb, path, out, total),
                    (Some(va), None) => push(out, total, || Change::Removed(path.clone(), va.clone())),
                    (None, Some(vb)) => push(out, total, || Change::Added(path.clone(), vb.clone())),
                    (None, None) => {}
                }
                path.truncate(len);
            }
        }
        _ if old != new => push(out, total, || Change::Changed(path.clone(), old.clone(), new.clone())),
        _ => {}
    }
}

/// Appends `/segment`, escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`).
fn push_segment(path: &mut String, segment: &str) {
    path.push('/');
    for c in segment.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// A value as compact JSON, terminal-safe, at most [`MAX_VALUE_CHARS`] characters.
fn show(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    let safe = sanitize::line(&text);
    if safe.chars().count() <= MAX_VALUE_CHARS {
        return safe.into_owned();
    }
    let mut cut: String = safe.chars().take(MAX_VALUE_CHARS).collect();
    cut.push('…');
    cut
}

/// The changes as lines for the detail pane: `~ path: old → new`, `+ path: new`, `- path: old`.
pub fn change_lines(changes: &[Change], total: usize) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::with_capacity(changes.len() + 2);
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for c in changes {
        match c {
            Change::Added(..) => added += 1,
            Change::Removed(..) => removed += 1,
            Change::Changed(..) => changed += 1,
        }
    }
    let summary = if total == 0 {
        "the same value".to_string()
    } else {
        format!("{total} differences: {changed} changed, {added} added, {removed} removed")
    };
    lines.push(vec![(TokenKind::Punct, summary)]);
    for c in changes {
        let path = |p: &str| if p.is_empty() { "(whole value)".to_string() } else { sanitize::line(p).into_owned() };
        lines.push(match c {
            Change::Changed(p, a, b) => vec![
                (TokenKind::Number, "~ ".into()),
                (TokenKind::Key, path(p)),
                (TokenKind::Punct, ": ".into()),
                (TokenKind::Plain, show(a)),
                (TokenKind::Punct, " → ".into()),
                (TokenKind::String, show(b)),
            ],
            Change::Added(p, v) => vec![
                (TokenKind::String, "+ ".into()),
                (TokenKind::Key, path(p)),
                (TokenKind::Punct, ": ".into()),
                (TokenKind::String, show(v)),
            ],
            Change::Removed(p, v) => vec![
                (TokenKind::Error, "- ".into()),
                (TokenKind::Key, path(p)),
                (TokenKind::Punct, ": ".into()),
                (TokenKind::Plain, show(v)),
            ],
        });
    }
    if total > changes.len() {
        lines.push(vec![(TokenKind::Punct, format!("… {} more not listed", total - changes.len()))]);
    }
    lines
}

/// Two texts compared line by line (longest common subsequence): `- ` for lines only in `old`, `+ `
/// for lines only in `new`, unchanged lines left out; past a size bound, lines are compared by
/// position. `old` and `new` must already be terminal-safe lines.
pub fn text_lines(old: &[String], new: &[String]) -> Vec<Line> {
    let mut ops: Vec<(bool, &str)> = Vec::new();
    if old.len().saturating_mul(new.len()) <= MAX_LCS_CELLS {
        // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
        let w = new.len() + 1;
        let mut lcs = vec![0u32; (old.len() + 1) * w];
        for i in (0..old.len()).rev() {
            for j in (0..new.len()).rev() {
                lcs[i * w + j] = if old[i] == new[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            if i < old.len() && j < new.len() && old[i] == new[j] {
                i += 1;
                j += 1;
            } else if j < new.len() && (i == old.len() || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]) {
                ops.push((true, &new[j]));
                j += 1;
            } else {
                ops.push((false, &old[i]));
                i += 1;
            }
        }
    } else {
        for k in 0..old.len().max(new.len()) {
            match (old.get(k), new.get(k)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => {
                    ops.extend(a.map(|a| (false, a.as_str())));
                    ops.extend(b.map(|b| (true, b.as_str())));
                }
            }
        }
    }
    let (added, removed) = (ops.iter().filter(|(a, _)| *a).count(), ops.iter().filter(|(a, _)| !*a).count());
    let summary = if ops.is_empty() {
        "the same text".to_string()
    } else {
        format!("{removed} lines removed, {added} added (text compared line by line)")
    };
    let mut lines: Vec<Line> = vec![vec![(TokenKind::Punct, summary)]];
    for (add, text) in ops {
        lines.push(if add {
            vec![(TokenKind::String, "+ ".into()), (TokenKind::String, text.to_string())]
        } else {
            vec![(TokenKind::Error, "- ".into()), (TokenKind::Plain, text.to_string())]
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.iter().map(|(_, t)| t.as_str()).collect()).collect()
    }

    #[test]
    fn every_added_removed_and_changed_leaf_is_listed_with_its_values() {
        let old = json!({"sensors": [{"temp": 20.5}, {"temp": 21}], "name": "a", "gone": true});
        let new =
            json!({"sensors": [{"temp": 20.5}, {"temp": 22, "hum": 40}, {"temp": 1}], "name": "b", "new/key": null});
        let (changes, total) = diff(&old, &new);
        assert_eq!(total, 6);
        assert_eq!(
            changes,
            [
                Change::Changed("/sensors/1/temp".into(), json!(21), json!(22)),
                Change::Added("/sensors/1/hum".into(), json!(40)),
                Change::Added("/sensors/2".into(), json!({"temp": 1})),
                Change::Changed("/name".into(), json!("a"), json!("b")),
                Change::Removed("/gone".into(), json!(true)),
                Change::Added("/new~1key".into(), json!(null)),
            ]
        );
        assert_eq!(
            text(&change_lines(&changes, total)),
            [
                "6 differences: 2 changed, 3 added, 1 removed",
                "~ /sensors/1/temp: 21 → 22",
                "+ /sensors/1/hum: 40",
                "+ /sensors/2: {\"temp\":1}",
                "~ /name: \"a\" → \"b\"",
                "- /gone: true",
                "+ /new~1key: null",
            ]
        );
    }

    #[test]
    fn a_changed_type_is_one_change_and_equal_values_none() {
        let (changes, total) = diff(&json!({"a": [1, 2]}), &json!({"a": "x"}));
        assert_eq!((changes, total), (vec![Change::Changed("/a".into(), json!([1, 2]), json!("x"))], 1));
        let (changes, total) = diff(&json!(5), &json!(5));
        assert!(changes.is_empty() && total == 0);
        assert_eq!(text(&change_lines(&[], 0)), ["the same value"]);
        assert_eq!(text(&change_lines(&diff(&json!(1), &json!(2)).0, 1))[1], "~ (whole value): 1 → 2");
    }

    #[test]
    fn hostile_keys_and_values_are_escaped_and_long_values_cut() {
        let old = json!({"k\u{1b}]0;x\u{7}": "\u{202e}a"});
        let new = json!({"k\u{1b}]0;x\u{7}": "y".repeat(MAX_VALUE_CHARS + 10)});
        let lines = text(&change_lines(&diff(&old, &new).0, 1));
        assert!(!lines[1].contains('\u{1b}') && !lines[1].contains('\u{202e}'), "{}", lines[1]);
        assert!(lines[1].ends_with('…'));
    }

    #[test]
    fn the_list_stops_at_the_cap_and_counts_the_rest() {
        let old = Value::Array((0..MAX_CHANGES + 7).map(|i| json!(i)).collect());
        let new = Value::Array((0..MAX_CHANGES + 7).map(|i| json!(i + 1)).collect());
        let (changes, total) = diff(&old, &new);
        assert_eq!((changes.len(), total), (MAX_CHANGES, MAX_CHANGES + 7));
        assert_eq!(text(&change_lines(&changes, total)).last().unwrap(), "… 7 more not listed");
    }

    #[test]
    fn texts_are_compared_line_by_line() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let lines = text(&text_lines(&s(&["a", "b", "c", "d"]), &s(&["a", "c", "x", "d", "e"])));
        assert_eq!(lines, ["1 lines removed, 2 added (text compared line by line)", "- b", "+ x", "+ e"]);
        assert_eq!(text(&text_lines(&s(&["a"]), &s(&["a"]))), ["the same text"]);
    }
}
