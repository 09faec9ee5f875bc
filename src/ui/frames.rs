//! The frame timer's line (`--frame-stats`, `F12`), right-aligned over the row above the status line.

use super::theme::Theme;
use crate::app::App;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::time::Duration;

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

pub fn render(f: &mut Frame<'_>, app: &App, status: Rect, theme: &Theme) {
    if status.y == 0 {
        return;
    }
    let s = &app.frame_stats;
    let mut text = format!(
        " frame p50 {} p99 {} max {} ms ({} frames) · keys {}",
        ms(s.p50),
        ms(s.p99),
        ms(s.max),
        s.frames,
        s.keys
    );
    if s.keys > 0 {
        text.push_str(&format!(" p99 {} max {} ms", ms(s.key_p99), ms(s.key_max)));
    }
    text.push(' ');
    let width = (text.chars().count() as u16).min(status.width);
    let area = Rect { x: status.x + status.width - width, y: status.y - 1, width, height: 1 };
    f.render_widget(Paragraph::new(Span::styled(text, theme.title)), area);
}
