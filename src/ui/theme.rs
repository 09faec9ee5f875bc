//! Colours and text styles. With `NO_COLOR` set, only bold/dim/reverse are used.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub border: Style,
    pub border_focus: Style,
    pub title: Style,
    pub selected: Style,
    pub dim: Style,
    pub count: Style,
    pub rate: Style,
    pub retained: Style,
    pub key: Style,
    pub string: Style,
    pub number: Style,
    pub literal: Style,
    pub error: Style,
    pub ok: Style,
    pub warn: Style,
    pub spark: Style,
    pub chart: [Style; 4],
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        let fg = |c: Color| if no_color { Style::new() } else { Style::new().fg(c) };
        Self {
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            selected: if no_color {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new().bg(Color::DarkGray).add_modifier(Modifier::BOLD)
            },
            dim: Style::new().add_modifier(Modifier::DIM),
            count: fg(Color::Cyan),
            rate: fg(Color::Green),
            retained: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            key: fg(Color::Blue),
            string: fg(Color::Green),
            number: fg(Color::Yellow),
            literal: fg(Color::Magenta),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            ok: fg(Color::Green).add_modifier(Modifier::BOLD),
            warn: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            spark: fg(Color::Cyan),
            chart: [fg(Color::Yellow), fg(Color::Cyan), fg(Color::Magenta), fg(Color::Green)],
        }
    }
}
