//! The help overlay: every key, from the same table the key handler is tested against. The groups
//! flow into as many columns as the screen is wide enough for, and scroll when they still do not fit.

use super::theme::Theme;
use crate::app::keys_help;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// Width of one column: the key, then what it does (longer descriptions wrap).
const COLUMN: u16 = 78;
const KEY: usize = 26;

pub fn render(f: &mut Frame<'_>, area: Rect, scroll: u16, theme: &Theme) {
    let groups: Vec<Vec<Line>> =
        keys_help()
            .iter()
            .map(|(group, keys)| {
                let mut lines = vec![Line::styled(*group, theme.title)];
                lines.extend(keys.iter().map(|(k, what)| {
                    Line::from(vec![Span::styled(format!("  {k:<KEY$} "), theme.key), Span::raw(*what)])
                }));
                lines.push(Line::raw(""));
                lines
            })
            .collect();
    let columns = usize::from((area.width.saturating_sub(2) / COLUMN).clamp(1, 3));
    // Rows a line takes once wrapped to the column's width.
    let rows = |l: &Line| l.width().div_ceil(usize::from(COLUMN)).max(1);
    let height = |g: &[Line]| g.iter().map(rows).sum::<usize>();
    let total: usize = groups.iter().map(|g| height(g)).sum();
    // Fill columns in order, each up to an even share of the lines (a group is never split).
    let share = total.div_ceil(columns);
    let mut cols: Vec<Vec<Line>> = vec![Vec::new()];
    for g in groups {
        if cols.len() < columns
            && !cols[cols.len() - 1].is_empty()
            && height(&cols[cols.len() - 1]) + height(&g) > share
        {
            cols.push(Vec::new());
        }
        if let Some(last) = cols.last_mut() {
            last.extend(g);
        }
    }
    let tallest = cols.iter().map(|c| height(c)).max().unwrap_or(0) as u16;
    let width = (COLUMN * cols.len() as u16 + 2).min(area.width);
    let r = super::centered(area, width, (tallest + 2).min(area.height));
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
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), c);
    }
}
