//! The retained view: every retained topic with its size and age, marks, a clear in progress, and
//! the confirmation screen that lists exactly what a clear will touch.

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let view = &app.retained;
    let rows = view.rows();
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(format!(
            " Retained {} topics · {} marked {}",
            fmt::count(rows.len() as u64),
            view.marked.len(),
            live_note(app)
        ))
        .title_style(theme.title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let head = match &view.job {
        Some(job) => {
            let style = if job.failed > 0 {
                theme.error
            } else if job.done() {
                theme.ok
            } else {
                theme.warn
            };
            let mut text = format!(
                " clearing: {} of {} acknowledged, {} failed",
                fmt::count(job.acked),
                fmt::count(job.total),
                fmt::count(job.failed)
            );
            if let Some(done) = job.finished_ms {
                text.push_str(&format!(" · done in {:.1} s", done.saturating_sub(job.started_ms) as f64 / 1e3));
            }
            if let Some(e) = &job.last_error {
                text.push_str(&format!(" · last error: {}", sanitize::line(e)));
            }
            Line::styled(text, style)
        }
        None if view.snapshot_running => {
            Line::styled(" taking a retained snapshot (a second, short subscription)…", theme.warn)
        }
        None => Line::styled(
            " space mark · a subtree (again: wider) · d clear · f fresh snapshot · y/Y copy · Esc unmark/back",
            theme.dim,
        ),
    };
    let size_w = 9;
    let age_w = 5;
    let topic_w = width.saturating_sub(5 + size_w + age_w + 3);
    let mut lines = vec![
        head,
        Line::styled(format!("     {:<topic_w$} {:>size_w$} {:>age_w$}", "TOPIC", "SIZE", "AGE"), theme.title),
    ];
    if rows.is_empty() {
        lines.push(Line::styled(
            " no retained message seen (they arrive when a subscription starts; f asks the broker again)",
            theme.dim,
        ));
    }
    let height = crate::app::retained::list_height(app.size);
    for (i, &id) in rows.iter().enumerate().skip(view.offset).take(height) {
        let n = app.tree.node(id);
        let size = app.store.latest(id).map_or("?".to_string(), |m| fmt::bytes(m.payload().len() as u64));
        let mark = if view.marked.contains(&id) { "[x]" } else { "[ ]" };
        let topic = fmt::fit(&sanitize::line(n.path()), topic_w);
        let line = Line::from(vec![
            Span::styled(format!(" {mark} "), if view.marked.contains(&id) { theme.warn } else { theme.dim }),
            Span::raw(format!("{topic:<topic_w$} ")),
            Span::styled(format!("{size:>size_w$} {:>age_w$}", fmt::age(app.now_ms, n.own.last_ms)), theme.count),
        ]);
        lines.push(if i == view.selected { line.style(theme.selected) } else { line });
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// On MQTT 3.1.1 a message published retained while we are subscribed arrives with the retain flag off
/// (there is no Retain As Published): say so, and that `f` asks the broker.
fn live_note(app: &App) -> &'static str {
    match app.conn.version {
        Some(v) if !v.is_v5() => "· MQTT 3.1.1: messages retained since connecting show after f (fresh snapshot) ",
        _ => "",
    }
}

/// The confirmation over the view: the count, what will be sent, and every topic (scrollable).
pub fn render_confirm(f: &mut Frame<'_>, app: &App, screen: Rect, theme: &Theme) {
    let Some(c) = &app.retained.confirm else { return };
    let area = Rect { height: screen.height.saturating_sub(1), ..screen };
    let r = super::centered(area, 90, area.height.saturating_sub(2));
    if r.height < 6 {
        return;
    }
    f.render_widget(Clear, r);
    let n = c.topics.len();
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.error)
        .title(format!(" Clear {n} retained topic{}? ", if n == 1 { "" } else { "s" }))
        .title_style(theme.error);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines =
        vec![Line::raw(format!(" An empty retained message (QoS 1) goes to each of these {n} topics:")), Line::raw("")];
    let room = usize::from(inner.height).saturating_sub(4);
    let shown = c.topics.iter().skip(c.scroll).take(room);
    for t in shown {
        lines.push(Line::raw(format!(
            "   {}",
            fmt::fit(&sanitize::line(t), usize::from(inner.width).saturating_sub(4))
        )));
    }
    let below = n.saturating_sub(c.scroll + room);
    lines.push(Line::styled(
        if below > 0 || c.scroll > 0 {
            format!(" ({} above, {below} more below: ↑ ↓ PgUp PgDn scroll)", c.scroll)
        } else {
            String::new()
        },
        theme.dim,
    ));
    lines.push(Line::from(vec![
        Span::styled(" Enter / y clear", theme.error),
        Span::styled(" · Esc / n cancel", theme.dim),
    ]));
    f.render_widget(Paragraph::new(lines), inner);
}
