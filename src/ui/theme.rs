//! Colours and text styles: dark (default), light and high-contrast themes. With `NO_COLOR` set,
//! only bold/dim/reverse are used, whatever the theme.

pub use crate::app::ThemeName;
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
    /// A danger that must not be missed (`INSECURE TLS`): white on red, reversed without colour.
    pub alarm: Style,
    pub spark: Style,
    pub chart: [Style; 4],
}

impl Theme {
    pub fn new(name: ThemeName, no_color: bool) -> Self {
        if no_color {
            return Self::monochrome();
        }
        let fg = |c: Color| Style::new().fg(c);
        let bold = |c: Color| Style::new().fg(c).add_modifier(Modifier::BOLD);
        match name {
            ThemeName::Dark => Self {
                border: fg(Color::DarkGray),
                border_focus: bold(Color::Cyan),
                title: Style::new().add_modifier(Modifier::BOLD),
                selected: Style::new().bg(Color::DarkGray).add_modifier(Modifier::BOLD),
                dim: Style::new().add_modifier(Modifier::DIM),
                count: fg(Color::Cyan),
                rate: fg(Color::Green),
                retained: bold(Color::Magenta),
                key: fg(Color::Blue),
                string: fg(Color::Green),
                number: fg(Color::Yellow),
                literal: fg(Color::Magenta),
                error: bold(Color::Red),
                ok: bold(Color::Green),
                warn: bold(Color::Yellow),
                alarm: Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
                spark: fg(Color::Cyan),
                chart: [fg(Color::Yellow), fg(Color::Cyan), fg(Color::Magenta), fg(Color::Green)],
            },
            ThemeName::Light => Self {
                border: fg(Color::Gray),
                border_focus: bold(Color::Blue),
                title: Style::new().fg(Color::Black).add_modifier(Modifier::BOLD),
                selected: Style::new().bg(Color::Rgb(210, 225, 250)).fg(Color::Black).add_modifier(Modifier::BOLD),
                dim: fg(Color::DarkGray),
                count: fg(Color::Blue),
                rate: fg(Color::Rgb(0, 120, 0)),
                retained: bold(Color::Rgb(140, 0, 140)),
                key: fg(Color::Rgb(0, 70, 160)),
                string: fg(Color::Rgb(0, 120, 0)),
                number: fg(Color::Rgb(160, 80, 0)),
                literal: fg(Color::Rgb(140, 0, 140)),
                error: bold(Color::Rgb(190, 0, 0)),
                ok: bold(Color::Rgb(0, 130, 0)),
                warn: bold(Color::Rgb(170, 90, 0)),
                alarm: Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
                spark: fg(Color::Blue),
                chart: [
                    fg(Color::Rgb(160, 80, 0)),
                    fg(Color::Blue),
                    fg(Color::Rgb(140, 0, 140)),
                    fg(Color::Rgb(0, 120, 0)),
                ],
            },
            ThemeName::HighContrast => Self {
                border: fg(Color::White),
                border_focus: bold(Color::LightYellow),
                title: Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
                selected: Style::new().bg(Color::White).fg(Color::Black).add_modifier(Modifier::BOLD),
                dim: fg(Color::Gray),
                count: bold(Color::LightCyan),
                rate: bold(Color::LightGreen),
                retained: bold(Color::LightMagenta),
                key: bold(Color::LightCyan),
                string: bold(Color::LightGreen),
                number: bold(Color::LightYellow),
                literal: bold(Color::LightMagenta),
                error: Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
                ok: bold(Color::LightGreen),
                warn: Style::new().fg(Color::Black).bg(Color::LightYellow).add_modifier(Modifier::BOLD),
                alarm: Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
                spark: bold(Color::LightCyan),
                chart: [
                    bold(Color::LightYellow),
                    bold(Color::LightCyan),
                    bold(Color::LightMagenta),
                    bold(Color::LightGreen),
                ],
            },
        }
    }

    fn monochrome() -> Self {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Self {
            border: plain,
            border_focus: bold,
            title: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().add_modifier(Modifier::DIM),
            count: plain,
            rate: plain,
            retained: bold,
            key: plain,
            string: plain,
            number: plain,
            literal: plain,
            error: bold,
            ok: bold,
            warn: bold,
            alarm: Style::new().add_modifier(Modifier::REVERSED).add_modifier(Modifier::BOLD),
            spark: plain,
            chart: [plain; 4],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_parse_and_no_color_has_no_colours() {
        assert_eq!(ThemeName::parse("High-Contrast"), Ok(ThemeName::HighContrast));
        assert!(ThemeName::parse("neon").is_err());
        for name in [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast] {
            let t = Theme::new(name, true);
            for s in [t.border, t.selected, t.error, t.ok, t.number, t.chart[0]] {
                assert_eq!((s.fg, s.bg), (None, None), "{name:?}");
            }
            assert!(Theme::new(name, false).ok.fg.is_some());
        }
    }
}
