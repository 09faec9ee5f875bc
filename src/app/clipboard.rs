//! `y` / `Y`: the selected payload or topic to the clipboard. The app only decides what to copy; the
//! terminal side (`tui.rs`) writes it as an OSC 52 sequence. With the detail pane's tree shown, `y`
//! and `Y` copy the selected value and its path (`payload_tree.rs`).

use super::{App, Effect, View};

/// Larger texts are refused: terminals drop (or choke on) very long OSC 52 sequences.
pub const MAX_COPY: usize = 1 << 20;

/// A payload as clipboard text: UTF-8 as is, anything else as hex pairs.
pub fn payload_text(payload: &[u8]) -> (String, bool) {
    match std::str::from_utf8(payload) {
        Ok(s) => (s.to_string(), false),
        Err(_) => {
            let hex: Vec<String> = payload.iter().map(|b| format!("{b:02x}")).collect();
            (hex.join(" "), true)
        }
    }
}

impl App {
    /// Copies the topic (`topic`) or the latest payload of what is selected: the retained view's row
    /// there, else the topic the detail pane shows.
    pub(super) fn copy(&mut self, topic: bool) {
        if self.view == View::Dashboard && self.focus == super::layout::Pane::Detail && self.tree_shown() {
            self.copy_tree_selection(topic);
            return;
        }
        let node = match self.view {
            View::Retained => self.retained.selected_node(),
            _ => self.detail_topic(),
        };
        let Some(node) = node else {
            self.notify("nothing selected to copy".into());
            return;
        };
        let path = self.tree.node(node).path().to_string();
        let shown = crate::sanitize::line(&path).into_owned();
        let (text, what) = if topic {
            (path, format!("topic '{shown}'"))
        } else {
            let m = match self.view {
                View::Retained => self.store.latest(node),
                _ => self.detail_message(),
            };
            let Some(m) = m else {
                self.notify(format!("'{shown}' has no kept message to copy"));
                return;
            };
            let (text, hex) = payload_text(m.payload());
            let how = if hex { " as hex" } else { "" };
            (text, format!("payload of '{shown}' ({} B){how}", m.payload().len()))
        };
        if text.len() > MAX_COPY {
            self.notify(format!("{what} is too large to copy (over {} KiB)", MAX_COPY / 1024));
            return;
        }
        self.effects.push(Effect::Copy(text));
        self.notify(format!("copied the {what} to the clipboard"));
    }
}
