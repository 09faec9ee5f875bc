//! Where each pane goes, as pure math on the terminal size, so mouse clicks map to the same areas
//! the ui draws into.
//!
//! ```text
//! wide (>= 100 x 30)                         narrow (80 x 24 and up)
//! ┌ topics ──────────┐┌ detail ───────────┐   ┌ topics/log ───┐┌ detail ─────┐
//! │                  ││                   │   │ (log replaces ││             │
//! └──────────────────┘│                   │   │  the tree when││             │
//! ┌ log ─────────────────────────────────┐│   │  it has focus)││             │
//! └──────────────────────────────────────┘│   └───────────────┘└─────────────┘
//! [msgs/s] [bytes/s] [topic rate]           status
//! status
//! ```

use ratatui::layout::Rect;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Tree,
    Log,
    Detail,
}

impl Pane {
    pub fn next(self) -> Self {
        match self {
            Self::Tree => Self::Log,
            Self::Log => Self::Detail,
            Self::Detail => Self::Tree,
        }
    }

    pub fn prev(self) -> Self {
        self.next().next()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub tree: Option<Rect>,
    pub log: Option<Rect>,
    pub detail: Option<Rect>,
    /// The row of three sparklines.
    pub sparks: Option<Rect>,
    /// A replay's player row, just above the status line.
    pub player: Option<Rect>,
    pub status: Rect,
}

/// The smallest size we draw panes into; below it only the status line is drawn.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 8;

pub fn is_wide(area: Rect) -> bool {
    area.width >= 100 && area.height >= 30
}

pub fn compute(area: Rect, focus: Pane) -> Areas {
    let status =
        Rect { x: area.x, y: area.y + area.height.saturating_sub(1), width: area.width, height: 1.min(area.height) };
    let mut out = Areas { status, ..Areas::default() };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return out;
    }
    let main_h = area.height - 1;
    if is_wide(area) {
        let sparks_h = 3;
        let body_h = main_h - sparks_h;
        out.sparks = Some(Rect { x: area.x, y: area.y + body_h, width: area.width, height: sparks_h });
        let top_h = body_h * 62 / 100;
        let left_w = (area.width * 45 / 100).max(40);
        out.tree = Some(Rect { x: area.x, y: area.y, width: left_w, height: top_h });
        out.detail = Some(Rect { x: area.x + left_w, y: area.y, width: area.width - left_w, height: top_h });
        out.log = Some(Rect { x: area.x, y: area.y + top_h, width: area.width, height: body_h - top_h });
    } else {
        let left_w = area.width / 2;
        let left = Rect { x: area.x, y: area.y, width: left_w, height: main_h };
        if focus == Pane::Log {
            out.log = Some(left);
        } else {
            out.tree = Some(left);
        }
        out.detail = Some(Rect { x: area.x + left_w, y: area.y, width: area.width - left_w, height: main_h });
    }
    out
}

/// `compute`, with a replay's player row above the status line when `player` and the screen has
/// room for it beside the panes.
pub fn compute_with(area: Rect, focus: Pane, player: bool) -> Areas {
    if !player || area.width < MIN_WIDTH || area.height < MIN_HEIGHT + 1 {
        return compute(area, focus);
    }
    let mut out = compute(Rect { height: area.height - 1, ..area }, focus);
    out.player = Some(out.status);
    out.status = Rect { y: area.y + area.height - 1, ..out.status };
    out
}

/// Rows inside a bordered block.
pub fn inner(r: Rect) -> Rect {
    Rect { x: r.x + 1, y: r.y + 1, width: r.width.saturating_sub(2), height: r.height.saturating_sub(2) }
}

pub fn contains(r: Rect, x: u16, y: u16) -> bool {
    x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
}

/// The first row index to show so that `selected` stays visible in `height` rows, moving the view
/// as little as possible from `offset`.
pub fn scroll_to(offset: usize, selected: usize, height: usize) -> usize {
    if height == 0 {
        return selected;
    }
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_layout_tiles_the_screen_without_overlap() {
        let a = compute(Rect::new(0, 0, 160, 48), Pane::Tree);
        let (tree, detail, log, sparks) = (a.tree.unwrap(), a.detail.unwrap(), a.log.unwrap(), a.sparks.unwrap());
        assert_eq!(tree.width + detail.width, 160);
        assert_eq!(tree.height + log.height + sparks.height + 1, 48);
        assert_eq!(a.status, Rect::new(0, 47, 160, 1));
        assert_eq!(log.y, tree.y + tree.height);
    }

    #[test]
    fn narrow_layout_swaps_tree_for_log_when_the_log_has_focus() {
        let a = compute(Rect::new(0, 0, 80, 24), Pane::Tree);
        assert!(a.tree.is_some() && a.log.is_none() && a.sparks.is_none());
        let b = compute(Rect::new(0, 0, 80, 24), Pane::Log);
        assert_eq!(b.log, a.tree);
    }

    #[test]
    fn a_replay_takes_the_row_above_the_status_line_from_the_panes() {
        let plain = compute(Rect::new(0, 0, 80, 24), Pane::Tree);
        let a = compute_with(Rect::new(0, 0, 80, 24), Pane::Tree, true);
        assert_eq!((a.player, a.status), (Some(Rect::new(0, 22, 80, 1)), Rect::new(0, 23, 80, 1)));
        assert_eq!(a.tree.unwrap().height + 1, plain.tree.unwrap().height);
        let w = compute_with(Rect::new(0, 0, 160, 48), Pane::Tree, true);
        assert_eq!(w.player, Some(Rect::new(0, 46, 160, 1)));
        assert_eq!(w.sparks.unwrap().y + w.sparks.unwrap().height, 46);
        assert_eq!(compute_with(Rect::new(0, 0, 30, 5), Pane::Tree, true).player, None, "a tiny screen: none");
    }

    #[test]
    fn tiny_terminals_get_only_a_status_line() {
        let a = compute(Rect::new(0, 0, 20, 5), Pane::Tree);
        assert_eq!((a.tree, a.detail, a.log), (None, None, None));
        let z = compute(Rect::new(0, 0, 0, 0), Pane::Tree);
        assert_eq!(z.status.height, 0);
    }

    #[test]
    fn scrolling_keeps_the_selection_in_view() {
        assert_eq!(scroll_to(0, 5, 10), 0);
        assert_eq!(scroll_to(0, 12, 10), 3);
        assert_eq!(scroll_to(8, 2, 10), 2);
    }
}
