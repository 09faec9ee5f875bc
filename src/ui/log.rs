//! The message log pane: newest messages across all topics (or the selected subtree).

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::app::layout::{self, Pane};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let inner = layout::inner(area);
    let (shown, since_pause) = app.log_counts();
    let mut title = format!(" Messages {} ", fmt::count(shown as u64));
    if app.log_view.scoped
        && let Some(sel) = app.tree_view.selected
    {
        title.push_str(&format!("· under '{}' ", sanitize::line(app.tree.node(sel).path())));
    }
    if app.log_view.invalid_only {
        title.push_str("· invalid only (i) ");
    }
    if let Some(filter) = &app.log_view.filter {
        title.push_str(&format!("· filter '{}' ", sanitize::line(&filter.source())));
    }
    if let Some(search) = &app.log_view.search {
        title.push_str(&format!("· search '{}' ", sanitize::line(&search.source())));
    }
    title.push_str(match (app.log_view.paused_at.is_some(), app.log_view.selected.is_some()) {
        (true, _) => "· PAUSED ",
        (false, true) => "· scrolled (End follows) ",
        (false, false) => "· following ",
    });
    if since_pause > 0 {
        title.push_str(&format!("· {} new ", fmt::count(since_pause)));
    }
    if app.log_view.matching {
        title.push_str("· matching… ");
    }
    let dropped = app.store.log().by_budget;
    if dropped > 0 {
        title.push_str(&format!("· {} dropped for the memory budget ", fmt::count(dropped)));
    }
    f.render_widget(super::pane_block(app, Pane::Log, title, theme), area);
    let rows = app.log_rows(usize::from(inner.height));
    if rows.is_empty() {
        let text = if app.store.log().entries().is_empty() {
            "no messages yet"
        } else if app.log_view.matching {
            "matching the filter…"
        } else if app.log_view.invalid_only {
            "no message here broke its schema (i shows all)"
        } else {
            "no message here matches the filter or the scope"
        };
        f.render_widget(Paragraph::new(Span::styled(text, theme.dim)), inner);
        return;
    }
    let width = usize::from(inner.width);
    let lines: Vec<Line> = rows
        .iter()
        .map(|m| {
            let topic = sanitize::line(app.tree.node(m.topic).path());
            let flags =
                format!("Q{}{}{}", m.qos.as_u8(), if m.retain { "R" } else { " " }, if m.dup { "D" } else { " " });
            let head = format!("{} {flags} ", fmt::clock(app.config.zone.wall_ms(m.at_ms)));
            let topic = fmt::fit(&topic, (width / 3).max(10));
            // A message that broke its schema is marked before its topic.
            let mark = if m.invalid { "✗ " } else { "" };
            let room = width.saturating_sub(head.chars().count() + mark.chars().count() + topic.chars().count() + 1);
            let is_match = app.log_view.search.is_some() && m.search_hit == Some(true);
            let mut line = Line::from(vec![
                Span::styled(head, theme.dim),
                Span::styled(mark, theme.error),
                Span::styled(topic, theme.key),
                Span::raw(" "),
                Span::raw(app.preview(m.topic, m.seq, app.store.head(m), m.len, room)),
            ]);
            if is_match {
                line = line.patch_style(theme.warn);
            }
            if app.log_view.selected == Some(m.seq) {
                line = line.patch_style(theme.selected);
            }
            line
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
