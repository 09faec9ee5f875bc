//! A replay's player row, above the status line: playing, paused, seeking or ended, the recording's
//! clock, a progress bar to its end, the speed, messages played of all and bad lines.
//!
//! ```text
//!  ‖ paused  10:00:12 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━────────────── 10:20:00  x4  1.2k/5.0k msgs
//! ```

use super::fmt;
use super::theme::Theme;
use crate::app::App;
use crate::record::player::{State, Status, speed_label};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The bar is never narrower than this; the parts after it go first on a narrow screen.
const MIN_BAR: usize = 20;

/// `HH:MM:SS` of the recording's clock, in the zone of the screen.
pub fn clock(app: &App, ms: u64) -> String {
    fmt::clock(app.config.zone.wall_ms(ms)).chars().take(8).collect()
}

/// `H:MM:SS` of a length of time.
fn span(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The icon and word for the player's state.
pub fn state_word(status: Option<&Status>) -> (&'static str, &'static str) {
    match status.map(|s| s.state) {
        None => ("◌", "starting"),
        Some(State::Playing) => ("▶", "playing"),
        Some(State::Paused) => ("‖", "paused"),
        Some(State::Ended) => ("■", "ended"),
        Some(State::Seeking(_)) => ("»", "seeking"),
    }
}

/// The share of the recording played, 0 to 1, when its length is known.
fn progress(s: &Status) -> Option<f64> {
    let (start, end, now) = (s.start_ms?, s.end_ms?, s.clock_ms?);
    if s.state == State::Ended {
        return Some(1.0);
    }
    if end <= start {
        return Some(if s.played > 0 { 1.0 } else { 0.0 });
    }
    Some((now.saturating_sub(start) as f64 / (end - start) as f64).clamp(0.0, 1.0))
}

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let Some(p) = &app.player else { return };
    let s = p.status.as_ref();
    let (icon, word) = state_word(s);
    let style = match s.map(|s| s.state) {
        Some(State::Playing) => theme.ok,
        Some(State::Ended) => theme.dim,
        _ => theme.warn,
    };
    let head = format!(" {icon} {word} ");
    let now = s.and_then(|s| s.clock_ms).map_or_else(|| "--:--:--".to_string(), |ms| clock(app, ms));
    let end = s.and_then(|s| s.end_ms).map_or_else(|| "--:--:--".to_string(), |ms| clock(app, ms));
    // The parts after the bar, most wanted first: a narrow screen keeps the first ones.
    let mut tail: Vec<(String, ratatui::style::Style)> = Vec::new();
    if let Some(s) = s {
        if let State::Seeking(t) = s.state {
            let to = if s.end_ms.is_some_and(|e| t >= e) { "the end".into() } else { clock(app, t) };
            tail.push((format!("  to {to}"), theme.warn));
        }
        tail.push((format!("  {}", speed_label(s.pace)), theme.rate));
        let total = s.total.map_or_else(|| "?".to_string(), fmt::count);
        tail.push((format!("  {}/{total} msgs", fmt::count(s.played)), ratatui::style::Style::default()));
        if s.bad_lines > 0 {
            let lines = if s.bad_lines == 1 { "line" } else { "lines" };
            tail.push((format!("  {} bad {lines}", fmt::count(s.bad_lines)), theme.warn));
        }
        if let (Some(start), Some(end), Some(c)) = (s.start_ms, s.end_ms, s.clock_ms) {
            tail.push((
                format!("  {} of {}", span(c.saturating_sub(start)), span(end.saturating_sub(start))),
                theme.dim,
            ));
        }
    }
    let width = usize::from(area.width);
    let fixed = head.chars().count() + now.len() + 2 + end.len();
    let mut room = width.saturating_sub(fixed + MIN_BAR);
    let mut shown = Vec::new();
    for (text, style) in tail {
        let w = text.chars().count();
        if w > room {
            break;
        }
        room -= w;
        shown.push(Span::styled(text, style));
    }
    let bar_w = MIN_BAR + room;
    let filled = progress_cells(s.and_then(progress), bar_w);
    let mut spans = vec![
        Span::styled(head, style),
        Span::styled(format!("{now} "), theme.title),
        Span::styled("━".repeat(filled), theme.ok),
        Span::styled("─".repeat(bar_w - filled), theme.dim),
        Span::styled(format!(" {end}"), theme.dim),
    ];
    spans.extend(shown);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn progress_cells(share: Option<f64>, width: usize) -> usize {
    share.map_or(0, |p| ((p * width as f64).round() as usize).min(width))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_fills_with_the_share_played() {
        assert_eq!(super::progress_cells(None, 20), 0);
        assert_eq!(super::progress_cells(Some(0.5), 20), 10);
        assert_eq!(super::progress_cells(Some(1.0), 20), 20);
        assert_eq!(super::span(3_723_000), "1:02:03");
    }
}
