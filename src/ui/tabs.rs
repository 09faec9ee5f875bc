//! The tab bar (one row above the active tab's screen, only with two tabs or more) and the
//! question asked before a tab closes. Where each tab sits is `app::tabs::bar_cells`, which the
//! shell's click handling uses too.

use super::theme::Theme;
use crate::app::App;
use crate::app::compare_view::CompareView;
use crate::app::tabs::{TabList, TabState, TabSummary, bar_cells};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

/// The screen with two tabs or more: the bar on the top row, below it the active tab's app (which
/// was given that area, `AppEvent::Area`) or the compare view, and the close question or the
/// compare line when one is open.
pub fn draw(f: &mut Frame<'_>, tabs: &[TabSummary], list: &TabList, compare: Option<&CompareView>, app: &App) {
    let theme = Theme::new(app.config.theme, app.config.no_color);
    let screen = f.area();
    render_bar(f, tabs, list.active(), Rect { height: 1.min(screen.height), ..screen }, &theme);
    let below = app.size.intersection(screen);
    match compare.filter(|_| list.comparing) {
        Some(v) => super::compare::render(f, v, below, &theme),
        None => super::draw_in(f, app, below),
    }
    if let Some(i) = list.closing.and_then(|id| list.index_of(id))
        && let Some(t) = tabs.get(i)
    {
        render_close(f, i, t, screen, &theme);
    }
    if let Some(ask) = &list.asking {
        let row = Rect { y: screen.y + screen.height.saturating_sub(1), height: 1.min(screen.height), ..screen };
        super::compare::render_ask(f, ask, row, &theme);
    }
}

/// `area`: the bar's row. `active`: the shown tab's index.
pub fn render_bar(f: &mut Frame<'_>, tabs: &[TabSummary], active: usize, area: Rect, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let cells = bar_cells(tabs, area.width);
    let mut spans = Vec::with_capacity(tabs.len() * 2);
    let mut x = 0u16;
    for (i, (t, (start, w, text))) in tabs.iter().zip(cells).enumerate() {
        if start > x {
            spans.push(Span::styled("│", theme.dim));
        }
        let style = match (i == active, t.state) {
            (true, _) => theme.selected,
            (false, TabState::Up) => theme.title,
            (false, TabState::Stopped) => theme.error,
            (false, _) => theme.warn,
        };
        spans.push(Span::styled(text, style));
        x = start + w;
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// "Close tab 2 (edge)?" over the shown tab.
pub fn render_close(f: &mut Frame<'_>, index: usize, tab: &TabSummary, screen: Rect, theme: &Theme) {
    let r = super::centered(screen, 60, 5);
    if r.height < 3 {
        return;
    }
    f.render_widget(Clear, r);
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.error)
        .title(format!(" Close tab {} ({})? ", index + 1, tab.name))
        .title_style(theme.error);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let lines = vec![
        Line::raw(" Its connection ends and what it kept is freed."),
        Line::from(vec![
            Span::styled(" Enter / y close", theme.error),
            Span::styled(" · any other key keeps it", theme.dim),
        ]),
    ];
    f.render_widget(Paragraph::new(lines), inner);
}
