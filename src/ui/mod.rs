//! Rendering only: reads `&App`, never changes it. One file per pane; the layout itself is pure
//! math in `app::layout` (see the diagram there), so clicks land where things are drawn.

mod compare;
mod detail;
pub mod fmt;
mod frames;
mod help;
mod json_tree;
mod log;
mod player;
mod publish;
mod retained;
mod sparkplug;
mod sparks;
mod status;
mod subs;
pub mod tabs;
pub mod theme;
mod traffic;
mod tree;
mod watch;

use crate::app::layout::Pane;
use crate::app::{App, View};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType};
use theme::Theme;

/// Draws the whole screen. Call `App::prepare` first so the tree rows are current.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    draw_in(f, app, f.area());
}

/// Draws the app into `full`, a part of the screen (the rows below the tab bar); the app's own
/// layout must have been given the same area (`AppEvent::Area`), so clicks land where it draws.
pub fn draw_in(f: &mut Frame<'_>, app: &App, full: Rect) {
    let theme = Theme::new(app.config.theme, app.config.no_color);
    let areas = app.areas();
    if app.view != View::Dashboard {
        let bottom_y = areas.player.unwrap_or(areas.status).y;
        let body = Rect { height: bottom_y.saturating_sub(full.y), ..full };
        if body.height >= 3 {
            match app.view {
                View::Watch => watch::render(f, app, body, &theme),
                View::Retained => retained::render(f, app, body, &theme),
                View::Traffic => traffic::render(f, app, body, &theme),
                View::Sparkplug => sparkplug::render(f, app, body, &theme),
                View::Subscriptions => subs::render(f, app, body, &theme),
                View::Dashboard => {}
            }
        }
        overlays(f, app, full, &theme);
        bottom(f, app, &areas, &theme);
        if app.show_help {
            help::render(f, full, app.help_scroll, &theme, app.player.is_some());
        }
        return;
    }
    if let Some(r) = areas.tree {
        tree::render(f, app, r, &theme);
    }
    if let Some(r) = areas.log {
        log::render(f, app, r, &theme);
    }
    if let Some(r) = areas.detail {
        detail::render(f, app, r, &theme);
    }
    if let Some(r) = areas.sparks {
        sparks::render(f, app, r, &theme);
    }
    overlays(f, app, full, &theme);
    bottom(f, app, &areas, &theme);
    if app.show_help {
        help::render(f, full, app.help_scroll, &theme, app.player.is_some());
    }
}

/// The status line, a replay's player row above it, the message bar above them while a message is
/// fresh, and the frame timer's line above all when it is on.
fn bottom(f: &mut Frame<'_>, app: &App, areas: &crate::app::layout::Areas, theme: &Theme) {
    status::render(f, app, areas.status, theme);
    if let Some(r) = areas.player {
        player::render(f, app, r, theme);
    }
    let status = areas.player.unwrap_or(areas.status);
    status::render_message(f, app, status, theme);
    if app.show_frame_stats {
        let above = status::message_rows(app, status);
        let row = Rect { y: status.y.saturating_sub(above), ..status };
        frames::render(f, app, row, theme);
    }
}

/// The publish pane and the clear confirmation, over whatever view is shown.
fn overlays(f: &mut Frame<'_>, app: &App, full: Rect, theme: &Theme) {
    if app.retained.confirm.is_some() {
        retained::render_confirm(f, app, full, theme);
    }
    if app.publisher.open {
        publish::render(f, app, full, theme);
    }
    if app.sparkplug_view.confirm.is_some() {
        sparkplug::render_confirm(f, app, full, theme);
    }
}

/// A bordered block whose border shows whether the pane has focus.
pub(crate) fn pane_block<'a>(app: &App, pane: Pane, title: String, theme: &Theme) -> Block<'a> {
    let focused = app.focus == pane;
    Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(if focused { theme.border_focus } else { theme.border })
        .title(title)
        .title_style(theme.title)
}

/// A rectangle of `w` x `h` centred in `area` (clamped to it).
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod schema_tests;
