//! The detail pane's tree (`T`): the rows in view of `app::json_tree`, one value a row, and the line
//! that says where the selection is.
//!
//! ```text
//! /sensors/1/temp · number · 9/10 · ← → fold · a chart · + watch · y Y copy · T text
//! ▾ {} 3 keys
//!     "site": "plant/1"
//!   ▾ "sensors": [] 2 items
//!     ▸ 0: {} 2 keys
//! ```

use super::theme::Theme;
use crate::app::App;
use crate::app::json_tree::{Kind, RowView, Tree};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

/// The head's second line: the selected value's path, its kind, its row, and the keys.
pub fn position_line<'a>(tree: &Tree, width: usize, theme: &Theme) -> Line<'a> {
    let path = tree.selected_path();
    let path = if path.is_empty() { "/ (the root)".to_owned() } else { path };
    let kind = match tree.selected_kind() {
        Some(Kind::Object) => "object",
        Some(Kind::Array) => "array",
        Some(Kind::String) if tree.selected_numeric() => "number in a string",
        Some(Kind::String) => "string",
        Some(Kind::Number) => "number",
        Some(Kind::Bool) => "bool",
        Some(Kind::Null) | None => "null",
    };
    let rest = format!(
        " · {kind} · {}/{}{} · ← → fold · a chart · + watch · y Y copy · T text",
        tree.selected_row() + 1,
        tree.row_count(),
        if tree.cut { " (cut: too many values)" } else { "" }
    );
    // The path first: it is what this line is for; the keys give way.
    let mut spans = Vec::new();
    let mut room = width;
    push_clipped(&mut spans, &mut room, path, theme.title);
    push_clipped(&mut spans, &mut room, rest, theme.dim);
    Line::from(spans)
}

/// The visible rows of the tree, the selected one highlighted across the pane.
pub fn rows(f: &mut Frame<'_>, app: &App, area: Rect, theme: &Theme) {
    let Some(tree) = app.detail_cache.json.as_ref() else { return };
    let width = usize::from(area.width);
    let lines: Vec<Line> = tree.visible(usize::from(area.height)).map(|r| row(&r, width, theme)).collect();
    f.render_widget(Paragraph::new(lines), area);
}

fn row<'a>(r: &RowView<'_>, width: usize, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let mut room = width;
    // Deep values keep half the pane for themselves.
    let indent = (r.depth * 2).min(width / 2);
    push_clipped(&mut spans, &mut room, " ".repeat(indent), Style::new());
    let marker = match (r.kind.is_container(), r.open) {
        (true, true) => "▾ ",
        (true, false) => "▸ ",
        (false, _) => "  ",
    };
    push_clipped(&mut spans, &mut room, marker.to_owned(), theme.dim);
    if let Some(key) = r.key {
        push_clipped(&mut spans, &mut room, key.to_owned(), theme.key);
        push_clipped(&mut spans, &mut room, ": ".to_owned(), theme.dim);
    } else if let Some(i) = r.index {
        push_clipped(&mut spans, &mut room, format!("{i}: "), theme.dim);
    }
    match r.kind {
        Kind::Object | Kind::Array => {
            let (brackets, unit) = if r.kind == Kind::Object { ("{}", "key") } else { ("[]", "item") };
            let plural = if r.len == 1 { "" } else { "s" };
            push_clipped(&mut spans, &mut room, brackets.to_owned(), theme.dim);
            push_clipped(&mut spans, &mut room, format!(" {} {unit}{plural}", r.len), theme.dim);
        }
        kind => push_clipped(&mut spans, &mut room, r.text.to_owned(), super::detail::token_style(kind.token(), theme)),
    }
    if r.selected {
        let fill = " ".repeat(room);
        push_clipped(&mut spans, &mut room, fill, Style::new());
        return Line::from(spans.into_iter().map(|s| s.patch_style(theme.selected)).collect::<Vec<_>>());
    }
    Line::from(spans)
}

/// Appends `text` in `style`, cut with `…` to the `room` columns left (terminal-safe text only).
fn push_clipped<'a>(spans: &mut Vec<Span<'a>>, room: &mut usize, text: String, style: Style) {
    if *room == 0 || text.is_empty() {
        return;
    }
    let mut used = 0;
    let mut cut = None;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > *room {
            cut = Some(i);
            break;
        }
        used += w;
    }
    match cut {
        None => {
            *room -= used;
            spans.push(Span::styled(text, style));
        }
        Some(at) => {
            // Room for the `…`: drop characters from the end until it fits.
            let mut head: String = text.get(..at).unwrap_or_default().to_owned();
            let mut w: usize = head.chars().map(|c| c.width().unwrap_or(0)).sum();
            while w + 1 > *room {
                match head.pop() {
                    Some(c) => w -= c.width().unwrap_or(0),
                    None => break,
                }
            }
            head.push('…');
            *room = 0;
            spans.push(Span::styled(head, style));
        }
    }
}

#[cfg(test)]
#[path = "json_tree_tests.rs"]
mod tests;
