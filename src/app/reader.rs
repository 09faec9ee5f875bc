//! Reading a payload in the detail pane: the screen rows a body of lines takes at a width (wrapped,
//! or one row per line seen through a horizontal offset), a scroll offset that never passes the end,
//! and search inside the body with next and previous matches. Pure: the ui draws the rows computed
//! here, and the reducer moves through them.
//!
//! ```text
//! ┌ topic ─────────────────────────┐
//! │JSON · 2 KB · QoS 0 · …          │ head: what is shown
//! │rows 1-20 of 512 · find 'x' 1/3  │ head: where we are (when there is more than fits, or a search)
//! │{                                │ body: the payload, its error and properties, scrolled
//! │  "a": 1,                        │
//! │── chart ──────────────────────  │ chart (numeric fields over the history)
//! │── history 10 (newest first)     │ history
//! └─────────────────────────────────┘
//! ```

use super::TextFilter;
use crate::payload::Line;
use ratatui::layout::Rect;
use unicode_width::UnicodeWidthChar;

/// Most matches a search inside a payload keeps; the count then says "10000+".
pub const MAX_MATCHES: usize = 10_000;

/// Columns ← and → move the body by when lines are not wrapped.
pub const HSCROLL_STEP: usize = 8;

/// One screen row of the body: characters `start..end` of line `line` (character, not byte, offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub line: u32,
    pub start: u32,
    pub end: u32,
}

/// The rows `lines` take at `width` columns. Wrapped, a line takes as many rows as its characters
/// need (a wide character never splits across rows, an empty line takes one row); unwrapped, each
/// line is one row holding all of it. Also returns the widest line's width in columns.
pub fn layout(lines: &[Line], width: usize, wrap: bool) -> (Vec<Row>, usize) {
    let width = width.max(1);
    let mut rows = Vec::with_capacity(lines.len());
    let mut widest = 0;
    for (i, line) in lines.iter().enumerate() {
        let line_no = i as u32;
        let (mut start, mut chars, mut col, mut total) = (0u32, 0u32, 0usize, 0usize);
        for c in line.iter().flat_map(|(_, t)| t.chars()) {
            let w = c.width().unwrap_or(0);
            if wrap && col + w > width && col > 0 {
                rows.push(Row { line: line_no, start, end: chars });
                start = chars;
                col = 0;
            }
            col += w;
            total += w;
            chars += 1;
        }
        rows.push(Row { line: line_no, start, end: chars });
        widest = widest.max(total);
    }
    (rows, widest)
}

/// The largest scroll offset: the last row at the bottom of `height` rows, or 0 when all fit.
pub fn max_scroll(rows: usize, height: usize) -> usize {
    rows.saturating_sub(height.max(1))
}

/// A match of a search: characters `start..end` of line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// Every match of `filter` in `lines`, line by line (a match does not span lines), in order, at most
/// [`MAX_MATCHES`]; the flag says the cap was reached. Empty matches are skipped.
pub fn find(lines: &[Line], filter: &TextFilter) -> (Vec<Match>, bool) {
    let mut out = Vec::new();
    let mut text = String::new();
    for (i, line) in lines.iter().enumerate() {
        text.clear();
        line.iter().for_each(|(_, t)| text.push_str(t));
        // Byte offsets to character offsets, walking forward once per line.
        let (mut byte, mut chars) = (0usize, 0usize);
        for (s, e) in filter.find_ranges(&text) {
            if s == e {
                continue;
            }
            chars += text.get(byte..s).map_or(0, |t| t.chars().count());
            let len = text.get(s..e).map_or(0, |t| t.chars().count());
            out.push(Match { line: i, start: chars, end: chars + len });
            chars += len;
            byte = e;
            if out.len() >= MAX_MATCHES {
                return (out, true);
            }
        }
    }
    (out, false)
}

/// The row that holds the start of `m` in `rows` (as laid out by [`layout`]).
pub fn row_of(rows: &[Row], m: Match) -> usize {
    let key = (m.line as u64, m.start as u64);
    let after = rows.partition_point(|r| (u64::from(r.line), u64::from(r.start)) <= key);
    after.saturating_sub(1)
}

/// The display column of character `at` in `line`.
pub fn column_of(line: &Line, at: usize) -> usize {
    line.iter().flat_map(|(_, t)| t.chars()).take(at).map(|c| c.width().unwrap_or(0)).sum()
}

/// How a piece of a row is marked: not at all, as a search match, or as the current match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    None,
    Match,
    Current,
}

/// One row's text to draw, as (token index, mark, text) pieces: characters `row.start..row.end` of
/// `line`, after skipping `skip` columns (the horizontal offset, 0 when wrapped), at most `width`
/// columns, split where a match begins or ends. `matches` are this line's matches with whether each
/// is the current one.
pub fn pieces(
    line: &Line,
    row: Row,
    skip: usize,
    width: usize,
    matches: &[(Match, bool)],
) -> Vec<(usize, Mark, String)> {
    let mut out: Vec<(usize, Mark, String)> = Vec::new();
    let (start, end) = (row.start as usize, row.end as usize);
    let (mut at, mut col, mut used) = (0usize, 0usize, 0usize);
    for (k, (_, text)) in line.iter().enumerate() {
        for c in text.chars() {
            let i = at;
            at += 1;
            if i < start {
                continue;
            }
            if i >= end {
                return out;
            }
            let w = c.width().unwrap_or(0);
            if col < skip {
                col += w;
                continue;
            }
            if used + w > width {
                return out;
            }
            used += w;
            let mark = matches
                .iter()
                .find(|(m, _)| i >= m.start && i < m.end)
                .map_or(Mark::None, |(_, current)| if *current { Mark::Current } else { Mark::Match });
            match out.last_mut() {
                Some((tk, tm, s)) if *tk == k && *tm == mark => s.push(c),
                _ => out.push((k, mark, c.to_string())),
            }
        }
    }
    out
}

/// Where the detail pane's parts go inside its border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parts {
    pub head: Rect,
    pub body: Rect,
    /// The shown message's schema check: a verdict line and its violations.
    pub schema: Rect,
    pub chart: Rect,
    pub history: Rect,
}

/// Splits the pane's inner area: a chart (a third, when there is something to chart and room) and the
/// history (a quarter, at most one row per kept message and its title) below the head and body.
/// `head_rows` is 1, or 2 when the position line is shown. `schema_rows` (0 without a schema check)
/// go below the body, at most half of what the head leaves, and at least one.
pub fn split(inner: Rect, chartable: bool, history_len: usize, head_rows: u16, schema_rows: usize) -> Parts {
    let chart_h = if chartable && inner.height >= 16 { inner.height / 3 } else { 0 };
    let hist_h = if inner.height >= 12 { (inner.height / 4).min(history_len.min(999) as u16 + 1) } else { 0 };
    let top_h = inner.height - chart_h - hist_h;
    let head_h = head_rows.min(top_h);
    let rest = top_h - head_h;
    let schema_h = if schema_rows == 0 { 0 } else { (schema_rows.min(999) as u16).min((rest / 2).max(1)).min(rest) };
    let body_h = rest - schema_h;
    Parts {
        head: Rect { height: head_h, ..inner },
        body: Rect { y: inner.y + head_h, height: body_h, ..inner },
        schema: Rect { y: inner.y + head_h + body_h, height: schema_h, ..inner },
        chart: Rect { y: inner.y + top_h, height: chart_h, ..inner },
        history: Rect { y: inner.y + top_h + chart_h, height: hist_h, ..inner },
    }
}

/// Rows the schema section wants for a verdict: its line, each violation listed, and one for those
/// only counted.
pub fn schema_rows(verdict: Option<&crate::payload::schema::Verdict>) -> usize {
    verdict.map_or(0, |v| 1 + v.violations.len() + usize::from(v.more > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::TokenKind;

    fn line(parts: &[&str]) -> Line {
        parts.iter().map(|p| (TokenKind::Plain, (*p).to_string())).collect()
    }

    fn row(line: u32, start: u32, end: u32) -> Row {
        Row { line, start, end }
    }

    #[test]
    fn long_lines_wrap_at_the_width_and_empty_lines_keep_a_row() {
        let lines = vec![line(&["abcd", "efghij"]), line(&[]), line(&["xy"])];
        let (rows, widest) = layout(&lines, 4, true);
        assert_eq!(rows, [row(0, 0, 4), row(0, 4, 8), row(0, 8, 10), row(1, 0, 0), row(2, 0, 2)]);
        assert_eq!(widest, 10);
        let (rows, _) = layout(&lines, 4, false);
        assert_eq!(rows, [row(0, 0, 10), row(1, 0, 0), row(2, 0, 2)]);
    }

    #[test]
    fn a_wide_character_moves_to_the_next_row_whole() {
        let (rows, widest) = layout(&[line(&["ab漢c"])], 3, true);
        assert_eq!(rows, [row(0, 0, 2), row(0, 2, 4)]);
        assert_eq!(widest, 5);
    }

    #[test]
    fn scrolling_stops_with_the_last_row_at_the_bottom() {
        assert_eq!(max_scroll(100, 20), 80);
        assert_eq!(max_scroll(5, 20), 0);
        assert_eq!(max_scroll(5, 0), 4);
    }

    #[test]
    fn search_finds_every_match_by_character_offset() {
        let lines = vec![line(&["é ab", "c AB"]), line(&["none"]), line(&["abab"])];
        let filter = TextFilter::parse("ab").unwrap().unwrap();
        let (found, capped) = find(&lines, &filter);
        assert!(!capped);
        let m = |line, start, end| Match { line, start, end };
        assert_eq!(found, [m(0, 2, 4), m(0, 6, 8), m(2, 0, 2), m(2, 2, 4)]);
        let (rows, _) = layout(&lines, 3, true);
        assert_eq!(row_of(&rows, found[1]), 2);
        assert_eq!(row_of(&rows, found[3]), 5);
        assert_eq!(column_of(&lines[0], found[1].start), 6);
    }

    #[test]
    fn search_stops_at_the_cap_and_skips_empty_matches() {
        let lines = vec![line(&["a".repeat(MAX_MATCHES + 5).as_str()])];
        let (found, capped) = find(&lines, &TextFilter::parse("a").unwrap().unwrap());
        assert_eq!((found.len(), capped), (MAX_MATCHES, true));
        let (found, _) = find(&lines, &TextFilter::parse("/x*/").unwrap().unwrap());
        assert!(found.is_empty());
    }

    #[test]
    fn pieces_cut_the_row_and_mark_matches() {
        let l = line(&["abc", "defgh"]);
        let m = Match { line: 0, start: 2, end: 4 };
        let got = pieces(&l, row(0, 0, 8), 0, 6, &[(m, true)]);
        assert_eq!(
            got,
            [
                (0, Mark::None, "ab".to_string()),
                (0, Mark::Current, "c".to_string()),
                (1, Mark::Current, "d".to_string()),
                (1, Mark::None, "ef".to_string())
            ]
        );
        // Unwrapped and scrolled right by 5 columns.
        assert_eq!(pieces(&l, row(0, 0, 8), 5, 10, &[]), [(1, Mark::None, "fgh".to_string())]);
    }

    #[test]
    fn the_pane_splits_into_head_body_chart_and_history() {
        let p = split(Rect::new(1, 1, 60, 30), true, 50, 2, 0);
        assert_eq!((p.head.height, p.body.height, p.chart.height, p.history.height), (2, 11, 10, 7));
        assert_eq!(p.body.y, 3);
        assert_eq!(p.history.y + p.history.height, 31);
        let small = split(Rect::new(0, 0, 38, 10), true, 3, 1, 0);
        assert_eq!((small.body.height, small.chart.height, small.history.height), (9, 0, 0));
    }

    #[test]
    fn the_schema_section_goes_below_the_body_and_takes_at_most_half_of_it() {
        let p = split(Rect::new(1, 1, 60, 30), true, 50, 2, 3);
        assert_eq!((p.body.height, p.schema.height), (8, 3));
        assert_eq!(p.schema.y, p.body.y + p.body.height);
        assert_eq!(p.schema.y + p.schema.height, p.chart.y);
        let many = split(Rect::new(1, 1, 60, 30), true, 50, 2, 17);
        assert_eq!((many.body.height, many.schema.height), (6, 5));
        let tiny = split(Rect::new(0, 0, 38, 3), false, 0, 2, 4);
        assert_eq!((tiny.body.height, tiny.schema.height), (0, 1), "the verdict line stays");
    }
}
