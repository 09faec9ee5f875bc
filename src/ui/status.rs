//! The status line: connection, broker, rates, totals, memory against the budget, what history let
//! go and why, the recording, and the prompt when one is open. Above it, while a message is fresh,
//! the message bar: a notice (recording started, copied, an error) gets a row of its own, so it is
//! readable at 80 columns instead of being cut off at the end of the status line.
//!
//! At a width where everything does not fit, the least important parts go first (the client id,
//! the round-trip time, the URL...), so the connection state, the recording and anything lost stay.

use super::fmt;
use super::theme::Theme;
use crate::app::{App, ConnStatus, Recording};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// How long a part of the status line stays when the width runs short: higher stays longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Keep {
    /// The client id, the round-trip time, the help hint.
    Least,
    /// The URL, the protocol version.
    Low,
    /// Rates, totals, memory, what the history ring let go (normal operation).
    Medium,
    /// The connection state, insecure TLS, the recording, messages lost or not kept, a backlog.
    Always,
}

struct Part<'a> {
    keep: Keep,
    spans: Vec<Span<'a>>,
}

impl<'a> Part<'a> {
    fn new(keep: Keep, spans: Vec<Span<'a>>) -> Self {
        Self { keep, spans }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// Drops parts, least important and then rightmost first, until the rest fits in `width`.
fn fit(mut parts: Vec<Part<'_>>, width: usize) -> Vec<Span<'_>> {
    while parts.iter().map(Part::width).sum::<usize>() > width {
        let Some(lowest) = parts.iter().map(|p| p.keep).min() else { break };
        if lowest == Keep::Always {
            break;
        }
        if let Some(i) = parts.iter().rposition(|p| p.keep == lowest) {
            parts.remove(i);
        }
    }
    parts.into_iter().flat_map(|p| p.spans).collect()
}

fn parts<'a>(app: &'a App, theme: &Theme) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    if let Some(p) = &app.player {
        // A recording, not a broker: its file and the player's state instead of the connection.
        let s = p.status.as_ref();
        let (icon, word) = super::player::state_word(s);
        let style = if matches!(s.map(|s| s.state), Some(crate::record::player::State::Playing)) {
            theme.ok
        } else {
            theme.warn
        };
        parts.push(Part::new(
            Keep::Always,
            vec![Span::styled(format!("{icon} replay {}", sanitize::line(&p.file)), style)],
        ));
        if app.areas().player.is_none() {
            // No player row on a tiny screen: the state and the clock here.
            let clock = s.and_then(|s| s.clock_ms).map(|ms| format!(" {}", super::player::clock(app, ms)));
            let text = format!(" {word}{}", clock.unwrap_or_default());
            parts.push(Part::new(Keep::Always, vec![Span::styled(text, style)]));
        }
    } else {
        connection_parts(app, theme, &mut parts);
    }
    let (mps, _) = app.rates_now();
    parts.push(Part::new(
        Keep::Medium,
        vec![
            Span::raw(" │ "),
            Span::styled(format!("{}/s", fmt::count(mps)), theme.rate),
            Span::raw(format!(" total {}", fmt::count(app.received))),
        ],
    ));
    if app.schema_invalid > 0 {
        // Messages that broke their schema: what the user asked to be told about.
        let text = format!(" ✗{} invalid", fmt::count(app.schema_invalid));
        parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.error)]));
    }
    let (used, budget) = app.store.usage();
    // With several tabs, each keeps to its share of the one budget.
    let share = match app.budget_total {
        Some(total) => format!(" share of {}", fmt::bytes(total as u64)),
        None => String::new(),
    };
    parts.push(Part::new(
        Keep::Medium,
        vec![Span::raw(format!(
            " │ mem {} (kept {}/{}{share})",
            fmt::bytes(app.memory_figure()),
            fmt::bytes(used as u64),
            fmt::bytes(budget as u64)
        ))],
    ));
    let ev = app.store.evicted;
    if ev.by_budget > 0 {
        // Messages the memory budget took: the one loss of history the user did not ask for.
        let text = format!(" evicted {} for the memory budget", fmt::count(ev.by_budget));
        parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.warn)]));
    }
    if app.refused > 0 {
        let text = format!(" not kept {} (new topics over the memory budget)", fmt::count(app.refused));
        parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.warn)]));
    }
    let sparkplug = app.sparkplug.untracked.total();
    if sparkplug > 0 {
        // The Sparkplug view's header says which: messages of nodes not tracked, or metrics.
        let text = format!(" Sparkplug: {} not tracked (memory budget)", fmt::count(sparkplug));
        parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.warn)]));
    }
    if ev.by_ring > 0 {
        // A full ring letting its oldest go is how `--history` works, not a loss: said plainly, dim.
        let text = format!(
            " history {}/topic: {} older dropped",
            fmt::count(app.store.per_topic() as u64),
            fmt::count(ev.by_ring)
        );
        parts.push(Part::new(Keep::Medium, vec![Span::styled(text, theme.dim)]));
    }
    match &app.recording {
        Recording::Off => {}
        Recording::On { count, .. } => {
            parts.push(Part::new(
                Keep::Always,
                vec![Span::styled(format!(" │ ● REC {}", fmt::count(*count)), theme.error)],
            ));
        }
        Recording::Failed { why } => {
            let text = format!(" │ ● REC failed: {}", sanitize::line(why));
            parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.error)]));
        }
    }
    if app.backlog > 0 {
        let text = format!(" │ catching up: {} batches queued, counts exact", app.backlog);
        parts.push(Part::new(Keep::Always, vec![Span::styled(text, theme.warn)]));
    }
    parts.push(Part::new(Keep::Least, vec![Span::styled("  ? help", theme.dim)]));
    parts
}

/// The connection's state, the broker and the session's details.
fn connection_parts<'a>(app: &'a App, theme: &Theme, parts: &mut Vec<Part<'a>>) {
    let c = &app.conn;
    let state = match &c.status {
        ConnStatus::Connecting { attempt } => Span::styled(format!("◌ connecting (attempt {attempt})"), theme.warn),
        ConnStatus::Connected => Span::styled("● connected", theme.ok),
        ConnStatus::Reconnecting { at_ms, error } => {
            let secs = at_ms.saturating_sub(app.now_ms).div_ceil(1000);
            Span::styled(format!("◌ reconnecting in {secs}s: {}", sanitize::line(error)), theme.warn)
        }
        ConnStatus::Stopped { reason } => Span::styled(format!("✕ {}", sanitize::line(reason)), theme.error),
    };
    parts.push(Part::new(Keep::Always, vec![state]));
    if app.config.insecure_tls {
        // First after the state, so that no width hides it: nothing vouches for this broker.
        parts.push(Part::new(Keep::Always, vec![Span::styled(" INSECURE TLS", theme.alarm)]));
    }
    parts.push(Part::new(Keep::Low, vec![Span::raw(format!(" {}", sanitize::line(&c.url)))]));
    if let Some(v) = c.version {
        parts.push(Part::new(Keep::Low, vec![Span::styled(format!(" MQTT {v}"), theme.dim)]));
    }
    if !c.client_id.is_empty() {
        parts.push(Part::new(
            Keep::Least,
            vec![Span::styled(format!(" id {}", sanitize::line(&c.client_id)), theme.dim)],
        ));
    }
    if let Some(rtt) = c.rtt {
        let rtt = format!(" rtt {:.1}ms", rtt.as_secs_f64() * 1e3);
        parts.push(Part::new(Keep::Least, vec![Span::styled(rtt, theme.dim)]));
    }
}

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
    let spans = fit(parts(app, theme), usize::from(area.width));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The message bar's rows: the notice wrapped at spaces to the width, at most two rows (a longer
/// one ends in `…`); none without a message or on a screen too small for panes.
fn message_lines(app: &App, status: Rect) -> Vec<String> {
    let Some((notice, _)) = &app.notice else { return Vec::new() };
    if status.y < 2 || status.width < 3 {
        return Vec::new();
    }
    // One column of margin on each side.
    let width = usize::from(status.width) - 2;
    let text = sanitize::line(notice);
    let rows = fmt::wrap_words(&text, width);
    if rows.len() <= 2 {
        return rows;
    }
    // Words would need more rows (a long topic or path): fill both rows to the edge instead.
    let first: String = text.chars().take(width).collect();
    let rest: String = text.chars().skip(width).collect();
    vec![first, fmt::fit(&rest, width)]
}

/// Rows the message bar takes above the status line (0 to 2).
pub fn message_rows(app: &App, status: Rect) -> u16 {
    message_lines(app, status).len() as u16
}

/// The message bar: the latest notice on its own rows just above the status line, over the panes'
/// bottom edge, until it is eight seconds old.
pub fn render_message(f: &mut Frame<'_>, app: &App, status: Rect, theme: &Theme) {
    let rows = message_lines(app, status);
    if rows.is_empty() {
        return;
    }
    let height = rows.len() as u16;
    let area = Rect { x: status.x, y: status.y - height, width: status.width, height };
    let lines: Vec<Line> = rows.into_iter().map(|r| Line::from(format!(" {r}"))).collect();
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(Paragraph::new(lines).style(theme.selected), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(keep: Keep, text: &'static str) -> Part<'static> {
        Part::new(keep, vec![Span::raw(text)])
    }

    fn text(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_least_important_parts_go_first_and_the_rightmost_of_them_first() {
        let parts = || {
            vec![
                part(Keep::Always, "state"),
                part(Keep::Low, " url"),
                part(Keep::Least, " id"),
                part(Keep::Medium, " 5/s"),
                part(Keep::Always, " REC"),
                part(Keep::Least, " ?"),
            ]
        };
        assert_eq!(text(&fit(parts(), 100)), "state url id 5/s REC ?");
        assert_eq!(text(&fit(parts(), 20)), "state url id 5/s REC", "the help hint goes first");
        assert_eq!(text(&fit(parts(), 18)), "state url 5/s REC");
        assert_eq!(text(&fit(parts(), 14)), "state 5/s REC");
        assert_eq!(text(&fit(parts(), 9)), "state REC", "what must stay stays, even cut by the edge");
        assert_eq!(text(&fit(parts(), 2)), "state REC");
    }
}
