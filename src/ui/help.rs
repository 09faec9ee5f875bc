//! The help overlay: every key, from the same table the key handler is tested against. The groups
//! flow into as many columns as the screen is wide enough for, and scroll when they still do not fit.
//! A long description wraps under its own column, so the keys stay readable down the left edge.

use super::theme::Theme;
use crate::app::keys_help;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Width of one column: the key, then what it does (longer descriptions wrap).
const COLUMN: u16 = 78;
const KEY: usize = 26;
/// The indent before a key and the space after its column.
const INDENT: usize = 2;
/// The narrowest a description gets on a tiny screen (it is cut by the border below that).
const MIN_DESC: usize = 12;

pub fn render(f: &mut Frame<'_>, area: Rect, scroll: u16, theme: &Theme) {
    let columns = usize::from((area.width.saturating_sub(2) / COLUMN).clamp(1, 3));
    let width = (COLUMN * columns as u16 + 2).min(area.width);
    let col_w = usize::from(width.saturating_sub(2)) / columns;
    let desc_w = col_w.saturating_sub(INDENT + KEY + 1).max(MIN_DESC);
    let groups: Vec<Vec<Line>> = keys_help()
        .iter()
        .map(|(group, keys)| {
            let mut lines = vec![Line::styled(*group, theme.title)];
            for (k, what) in keys.iter() {
                for (i, part) in wrap_words(what, desc_w).into_iter().enumerate() {
                    let key = if i == 0 { *k } else { "" };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:INDENT$}{key:<KEY$} ", ""), theme.key),
                        Span::raw(part),
                    ]));
                }
            }
            lines.push(Line::raw(""));
            lines
        })
        .collect();
    let total: usize = groups.iter().map(Vec::len).sum();
    // Fill columns in order, each up to an even share of the lines (a group is never split).
    let share = total.div_ceil(columns);
    let mut cols: Vec<Vec<Line>> = vec![Vec::new()];
    for g in groups {
        if cols.len() < columns && !cols[cols.len() - 1].is_empty() && cols[cols.len() - 1].len() + g.len() > share {
            cols.push(Vec::new());
        }
        if let Some(last) = cols.last_mut() {
            last.extend(g);
        }
    }
    let tallest = cols.iter().map(Vec::len).max().unwrap_or(0).min(usize::from(u16::MAX)) as u16;
    let r = super::centered(area, width, tallest.saturating_add(2).min(area.height));
    let inner_h = r.height.saturating_sub(2);
    let scroll = scroll.min(tallest.saturating_sub(inner_h));
    let hint =
        if tallest > inner_h { " ↑ ↓ PgUp PgDn scroll · any other key closes " } else { " any key closes " };
    f.render_widget(Clear, r);
    f.render_widget(
        Block::bordered()
            .title(" mqscope keys ")
            .title_bottom(Line::styled(hint, theme.dim))
            .border_style(theme.border_focus),
        r,
    );
    let col_w = r.width.saturating_sub(2) / cols.len().max(1) as u16;
    for (i, lines) in cols.into_iter().enumerate() {
        let c = Rect { x: r.x + 1 + col_w * i as u16, y: r.y + 1, width: col_w, height: inner_h };
        f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), c);
    }
}

/// Splits `text` into rows of at most `width` columns at spaces; a word longer than a row is cut.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if row.is_empty() { word.width() } else { row.width() + 1 + word.width() };
        if needed > width && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        // A word wider than the whole row goes on rows of its own, cut at the width.
        let mut rest = word;
        while row.width() + rest.width() > width {
            let room = width - row.width();
            let mut cut = 0;
            let mut used = 0;
            for (i, ch) in rest.char_indices() {
                let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if used + w > room {
                    break;
                }
                used += w;
                cut = i + ch.len_utf8();
            }
            if cut == 0 {
                // Not even one character fits beside what is there: start a new row.
                if row.is_empty() {
                    break;
                }
                rows.push(std::mem::take(&mut row));
                continue;
            }
            row.push_str(&rest[..cut]);
            rows.push(std::mem::take(&mut row));
            rest = &rest[cut..];
        }
        row.push_str(rest);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap_words;

    #[test]
    fn words_wrap_at_spaces_within_the_width() {
        assert_eq!(wrap_words("fold or go to parent", 10), vec!["fold or go", "to parent"]);
        assert_eq!(wrap_words("short", 10), vec!["short"]);
        assert_eq!(wrap_words("", 10), vec![""]);
    }

    #[test]
    fn a_word_longer_than_the_row_is_cut() {
        assert_eq!(wrap_words("mqscope-<time>.jsonl x", 8), vec!["mqscope-", "<time>.j", "sonl x"]);
        assert_eq!(wrap_words("ab ↑↓↑↓↑↓", 4), vec!["ab", "↑↓↑↓", "↑↓"], "a long word starts its own row");
    }

    #[test]
    fn every_row_fits_the_width() {
        for width in 1..40 {
            for row in wrap_words("filter the focused pane (tree: text or MQTT filter; log: text or /regex/)", width) {
                assert!(unicode_width::UnicodeWidthStr::width(row.as_str()) <= width, "'{row}' at {width}");
            }
        }
    }
}
