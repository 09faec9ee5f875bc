//! The subscriptions list: each filter with the QoS asked for and the broker's answer.

use super::theme::Theme;
use crate::app::App;
use crate::app::subs::SubState;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

pub fn render(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let subs = &app.subs;
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border_focus)
        .title(format!(" Subscriptions {} ", subs.entries.len()))
        .title_style(theme.title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = usize::from(inner.width);
    let filter_w = width.saturating_sub(44).clamp(10, 60);
    let mut lines = vec![
        Line::styled(" s subscribe · u / d / Enter unsubscribe the selected · Esc back", theme.dim),
        Line::styled(format!(" {:<filter_w$} {:>5}  RESULT", "FILTER", "ASKED"), theme.title),
    ];
    if subs.entries.is_empty() {
        lines.push(Line::styled(" no subscriptions: nothing will arrive (s adds one)", theme.warn));
    }
    let rows = usize::from(inner.height).saturating_sub(2);
    let offset = subs.selected.saturating_sub(rows.saturating_sub(1));
    for (i, e) in subs.entries.iter().enumerate().skip(offset).take(rows) {
        let asked = e.qos.map_or("-".to_string(), |q| format!("QoS {}", q.as_u8()));
        let (result, style) = match &e.state {
            SubState::Pending => ("pending (no SUBACK yet)".to_string(), theme.warn),
            SubState::Granted(q) => (format!("granted QoS {}", q.as_u8()), theme.ok),
            SubState::Refused(why) => (format!("refused: {why}"), theme.error),
            SubState::Invalid(why) => (format!("invalid: {why}"), theme.error),
            SubState::Unsubscribing => ("unsubscribing…".to_string(), theme.warn),
            SubState::UnsubscribeFailed(why) => (format!("unsubscribe failed: {why}"), theme.error),
        };
        let filter = super::fmt::fit(&sanitize::line(&e.filter), filter_w);
        let line = Line::from(vec![
            Span::raw(format!(" {filter:<filter_w$} {asked:>5}  ")),
            Span::styled(sanitize::line(&result).into_owned(), style),
        ]);
        lines.push(if i == subs.selected { line.style(theme.selected) } else { line });
    }
    f.render_widget(Paragraph::new(lines), inner);
}
