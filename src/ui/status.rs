//! The status line: connection, broker, rates, totals, memory against the budget, evictions, and
//! the prompt when one is open.

use super::fmt;
use super::theme::Theme;
use crate::app::{App, ConnStatus, Recording};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    if let Some(p) = &app.prompt {
        let mut spans =
            vec![Span::styled(p.kind.label(), theme.title), Span::raw(sanitize::line(&p.text).into_owned())];
        spans.push(Span::styled("█", theme.dim));
        if let Some(e) = &p.error {
            spans.push(Span::styled(format!("  {e}"), theme.error));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut spans = Vec::new();
    let c = &app.conn;
    match &c.status {
        ConnStatus::Connecting { attempt } => {
            spans.push(Span::styled(format!("◌ connecting (attempt {attempt})"), theme.warn));
        }
        ConnStatus::Connected => spans.push(Span::styled("● connected", theme.ok)),
        ConnStatus::Reconnecting { at_ms, error } => {
            let secs = at_ms.saturating_sub(app.now_ms).div_ceil(1000);
            spans.push(Span::styled(format!("◌ reconnecting in {secs}s: {}", sanitize::line(error)), theme.warn));
        }
        ConnStatus::Stopped { reason } => {
            spans.push(Span::styled(format!("✕ {}", sanitize::line(reason)), theme.error));
        }
    }
    if app.config.insecure_tls {
        // First after the state, so that no width hides it: nothing vouches for this broker.
        spans.push(Span::styled(" INSECURE TLS", theme.alarm));
    }
    spans.push(Span::raw(format!(" {}", sanitize::line(&c.url))));
    if let Some(v) = c.version {
        spans.push(Span::styled(format!(" MQTT {v}"), theme.dim));
    }
    if !c.client_id.is_empty() {
        spans.push(Span::styled(format!(" id {}", sanitize::line(&c.client_id)), theme.dim));
    }
    if let Some(rtt) = c.rtt {
        spans.push(Span::styled(format!(" rtt {:.1}ms", rtt.as_secs_f64() * 1e3), theme.dim));
    }
    let (mps, _) = app.rates_now();
    spans.push(Span::raw(" │ "));
    spans.push(Span::styled(format!("{}/s", fmt::count(mps)), theme.rate));
    spans.push(Span::raw(format!(" total {}", fmt::count(app.received))));
    let (used, budget) = app.store.usage();
    let share = match app.budget_total {
        Some(total) => format!(" share of {}", fmt::bytes(total as u64)),
        None => String::new(),
    };
    spans.push(Span::raw(format!(
        " │ mem {} (kept {}/{}{share})",
        fmt::bytes(app.memory_figure()),
        fmt::bytes(used as u64),
        fmt::bytes(budget as u64)
    )));
    let ev = app.store.evicted;
    if ev.by_ring + ev.by_budget > 0 {
        spans.push(Span::styled(
            format!(
                " evicted {} (ring {}, budget {})",
                fmt::count(ev.by_ring + ev.by_budget),
                fmt::count(ev.by_ring),
                fmt::count(ev.by_budget)
            ),
            theme.warn,
        ));
    }
    if app.refused > 0 {
        spans.push(Span::styled(
            format!(" not kept {} (new topics over the memory budget)", fmt::count(app.refused)),
            theme.warn,
        ));
    }
    match &app.recording {
        Recording::Off => {}
        Recording::On { count, .. } => {
            spans.push(Span::styled(format!(" │ ● REC {}", fmt::count(*count)), theme.error));
        }
        Recording::Failed { why } => {
            spans.push(Span::styled(format!(" │ ● REC failed: {}", sanitize::line(why)), theme.error));
        }
    }
    if app.backlog > 0 {
        spans.push(Span::styled(format!(" │ catching up: {} batches queued, counts exact", app.backlog), theme.warn));
    }
    if let Some((notice, _)) = &app.notice {
        spans.push(Span::raw(" │ "));
        spans.push(Span::styled(sanitize::line(notice).into_owned(), theme.warn));
    }
    spans.push(Span::styled("  ? help", theme.dim));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
