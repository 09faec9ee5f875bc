//! The topic tree pane: only the visible rows are built.

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
    let rows = app.tree.cached_rows();
    let mut title = format!(" Topics {} ", fmt::count(app.tree.root().topics.into()));
    if let Some(filt) = app.tree.filter() {
        let text = match filt {
            crate::app::topics::TopicFilter::Wildcard(s) | crate::app::topics::TopicFilter::Substring(s) => s,
        };
        title.push_str(&format!("· filter '{}' ({} rows) ", sanitize::line(text), rows.len()));
    }
    if app.tree.sort() != crate::app::topics::SortBy::Name {
        title.push_str(&format!("· by {} ", app.tree.sort().name()));
    }
    if app.tree.excluded_topics > 0 {
        title.push_str(&format!("· {} hidden ", fmt::count(app.tree.excluded_topics.into())));
    }
    if app.tree.hide_cleared() && app.tree.cleared_count() > 0 {
        title.push_str(&format!("· {} cleared hidden (H) ", fmt::count(app.tree.cleared_count().into())));
    }
    let block = super::pane_block(app, Pane::Tree, title, theme);
    let inner = layout::inner(area);
    f.render_widget(block, area);
    if rows.is_empty() {
        let text = match app.tree.filter() {
            Some(_) => "no topic matches the filter (Esc clears it)",
            None => "waiting for messages…",
        };
        f.render_widget(Paragraph::new(Span::styled(text, theme.dim)), inner);
        return;
    }
    let width = usize::from(inner.width);
    let now_sec = (app.now_ms / 1000) as u32;
    let mut lines = Vec::with_capacity(usize::from(inner.height));
    for &id in rows.iter().skip(app.tree_view.offset).take(usize::from(inner.height)) {
        let n = app.tree.node(id);
        let folded = !n.children.is_empty() && !n.expanded;
        let marker = match (n.children.is_empty(), n.expanded) {
            (true, _) => "  ",
            (false, true) => "▾ ",
            (false, false) => "▸ ",
        };
        let stats = if folded || !n.is_topic { &n.sub } else { &n.own };
        let rate = stats.rate.per_second(now_sec);
        let right = format!(
            " {:>6} {:>6} {} {:>4}",
            fmt::count(stats.count),
            if rate > 0 { format!("{}/s", fmt::count(rate.into())) } else { String::new() },
            if n.retained && n.is_topic { "R" } else { " " },
            fmt::age(app.now_ms, stats.last_ms),
        );
        let indent = "  ".repeat(usize::from(n.depth));
        let name = sanitize::line(n.name());
        let name = if name.is_empty() { "∅".into() } else { name };
        let left_w = width.saturating_sub(right.chars().count());
        let mut head = format!("{indent}{marker}{name}");
        if folded {
            head.push_str(&format!(" ({})", fmt::count(n.topics.into())));
        }
        // Messages that broke their schema, right after the name, in the error colour.
        let invalid = app.tree.shown_invalid(id);
        let mark = if invalid > 0 { format!(" ✗{}", fmt::count(invalid)) } else { String::new() };
        let mark_w = mark.chars().count();
        let head = fmt::fit(&head, left_w.saturating_sub(mark_w));
        let mut spans = vec![Span::raw(head.clone())];
        if mark_w > 0 {
            spans.push(Span::styled(mark, theme.error));
        }
        let used = head.chars().count() + mark_w;
        let room = left_w.saturating_sub(used + 1);
        if n.is_topic && room > 3 {
            if let Some(m) = app.store.latest(id) {
                spans.push(Span::raw(" "));
                let p = app.preview(id, m.seq, m.payload(), m.payload().len(), room);
                let pad = room.saturating_sub(p.chars().count());
                spans.push(Span::styled(p, theme.dim));
                spans.push(Span::raw(" ".repeat(pad)));
            } else {
                spans.push(Span::raw(" ".repeat(room + 1)));
            }
        } else {
            spans.push(Span::raw(" ".repeat(left_w.saturating_sub(used))));
        }
        spans.push(Span::styled(right, theme.count));
        let mut line = Line::from(spans);
        if app.tree_view.selected == Some(id) {
            line = line.style(if app.focus == Pane::Tree { theme.selected } else { theme.dim.patch(theme.selected) });
        } else if n.retained && n.is_topic {
            line = line.patch_style(ratatui::style::Style::new());
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
