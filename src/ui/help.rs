//! The help overlay: every key, from the same table the key handler is tested against. The groups
//! flow into as many columns as the screen is wide enough for, and scroll when they still do not fit.
//! A long description wraps under its own column, so the keys stay readable down the left edge.

use super::theme::Theme;
use crate::app::keys_help_for;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

/// Width of one column: the key, then what it does (longer descriptions wrap).
const COLUMN: u16 = 78;
/// The widest a group's key column gets.
const KEY: usize = 26;
/// The indent before a key and the space after its column.
const INDENT: usize = 2;
/// The narrowest a description gets on a tiny screen (it is cut by the border below that).
const MIN_DESC: usize = 12;

/// `replay`: the keys of a replay (its player's first, no publish pane or subscriptions).
pub fn render(f: &mut Frame<'_>, area: Rect, scroll: u16, theme: &Theme, replay: bool) {
    let columns = usize::from((area.width.saturating_sub(2) / COLUMN).clamp(1, 3));
    let width = (COLUMN * columns as u16 + 2).min(area.width);
    let col_w = usize::from(width.saturating_sub(2)) / columns;
    let groups: Vec<Vec<Line>> = keys_help_for(replay)
        .into_iter()
        .map(|(group, keys)| {
            // Each group's key column is as wide as its longest key, so descriptions get the rest.
            let key_w = keys.iter().map(|(k, _)| k.width()).max().unwrap_or(0).min(KEY);
            let desc_w = col_w.saturating_sub(INDENT + key_w + 1).max(MIN_DESC);
            let mut lines = vec![Line::styled(*group, theme.title)];
            for (k, what) in keys.iter() {
                for (i, part) in super::fmt::wrap_words(what, desc_w).into_iter().enumerate() {
                    let key = if i == 0 { *k } else { "" };
                    let pad = key_w.saturating_sub(key.width());
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:INDENT$}{key}{:pad$} ", "", ""), theme.key),
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
