//! The help overlay: every key, from the same table the key handler is tested against.

use super::theme::Theme;
use crate::app::keys_help;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn render(f: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let mut lines = Vec::new();
    for (group, keys) in keys_help() {
        lines.push(Line::styled(*group, theme.title));
        for (k, what) in *keys {
            lines.push(Line::from(vec![Span::styled(format!("  {k:<26}"), theme.key), Span::raw(*what)]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled("any key closes this help", theme.dim));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = super::centered(area, 96, h);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" mqscope keys ").border_style(theme.border_focus)),
        r,
    );
}
