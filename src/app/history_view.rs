//! Reading a topic's history in the detail pane: show any kept entry (`[` older, `]` newer), mark one
//! (`m`) and compare it with the shown one (`=`): the full structural difference for JSON, MessagePack
//! and CBOR, a line difference for text.

use super::App;
use super::detail::{MAX_LINES, MAX_TEXT_BYTES};
use super::layout::Pane;
use super::store::StoredMessage;
use super::value_diff;
use crate::payload::{self, Decoder, Line};

impl App {
    /// The topic whose history `[` `]` `m` `=` act on: the tree's selection (the log's selected
    /// entry is a message of its own, not a place in one topic's history).
    fn history_topic(&self) -> Option<super::topics::NodeId> {
        if self.focus == Pane::Log && self.selected_log_entry().is_some() {
            return None;
        }
        self.tree_view.selected
    }

    /// `[` (-1) and `]` (+1): shows the older or newer kept entry; past the newest the pane follows
    /// new messages again.
    pub(super) fn step_history(&mut self, delta: i64) {
        let Some(node) = self.history_topic() else { return };
        let seqs: Vec<u64> = self.store.history(node).map(|m| m.seq).collect();
        let Some(&newest) = seqs.last() else { return };
        let shown = self.detail_message().map_or(newest, |m| m.seq);
        let at = seqs.iter().position(|&s| s == shown).unwrap_or(seqs.len() - 1) as i64;
        let to = (at + delta).clamp(0, seqs.len() as i64 - 1) as usize;
        self.detail.history_of = Some(node);
        self.detail.shown = (to + 1 < seqs.len()).then(|| seqs[to]);
        self.detail.scroll = 0;
        self.detail.hscroll = 0;
    }

    /// `m`: marks the shown entry to compare with (again on the marked one: unmarks).
    pub(super) fn mark_history(&mut self) {
        let Some(node) = self.history_topic() else { return };
        let Some(seq) = self.detail_message().map(|m| m.seq) else { return };
        self.detail.history_of = Some(node);
        if self.detail.base == Some(seq) {
            self.detail.base = None;
            self.detail.comparing = false;
            self.notify("unmarked".into());
        } else {
            self.detail.base = Some(seq);
            self.notify("marked this entry: show another with [ ] and press = to compare".into());
        }
    }

    /// `=`: the difference from the marked entry to the shown one, or back to the payload.
    pub(super) fn toggle_compare(&mut self) {
        if self.detail.comparing {
            self.detail.comparing = false;
        } else if self.detail.base.is_none() || self.history_topic().is_none() {
            self.notify("mark an entry with m, show another with [ ], then = compares them".into());
            return;
        } else {
            self.detail.comparing = true;
        }
        self.detail.scroll = 0;
        self.detail.hscroll = 0;
    }

    /// The marked entry when the body compares with it.
    pub(super) fn compared_entry(&self) -> Option<&StoredMessage> {
        let node = self.history_topic()?;
        let base = self.detail.base.filter(|_| self.detail.comparing && self.detail.history_of == Some(node))?;
        self.store.get(node, base)
    }

    /// Drops the shown and marked entries when another topic is shown, or when history evicted them
    /// (saying so: the pane then shows the newest).
    pub(super) fn check_history_choice(&mut self) {
        let node = self.history_topic();
        if self.detail.history_of.is_some() && self.detail.history_of != node {
            if self.focus != Pane::Log {
                self.forget_history_choice();
            }
            return;
        }
        let Some(node) = node else { return };
        let gone = |seq: Option<u64>| seq.is_some_and(|s| self.store.get(node, s).is_none());
        if gone(self.detail.shown) || gone(self.detail.base) {
            self.forget_history_choice();
            let why = self.store.why_gone(node);
            self.notify(format!("the history entry shown or marked is no longer kept: {why}; showing the newest"));
        }
    }

    fn forget_history_choice(&mut self) {
        self.detail.shown = None;
        self.detail.base = None;
        self.detail.comparing = false;
        self.detail.history_of = None;
    }

    /// Where the shown entry is in its topic's history: (1-based position, count), oldest first.
    pub fn history_position(&self) -> Option<(usize, usize)> {
        let node = self.history_topic()?;
        let seq = self.detail_message()?.seq;
        let count = self.store.history(node).len();
        let at = self.store.history(node).position(|m| m.seq == seq)?;
        Some((at + 1, count))
    }
}

/// The body comparing `old` with `new`: their decoded values' changes, or their rendered lines'
/// difference when either is not structured in `format`.
pub(super) fn compare_body(old: &StoredMessage, new: &StoredMessage, decoder: Decoder<'_>) -> Vec<Line> {
    if let (Ok(Some(a)), Ok(Some(b))) =
        (payload::decode(old.payload(), decoder), payload::decode(new.payload(), decoder))
    {
        let (changes, total) = value_diff::diff(&a, &b);
        return value_diff::change_lines(&changes, total);
    }
    let text = |m: &StoredMessage| -> Vec<String> {
        payload::render_within(m.payload(), decoder, MAX_LINES, MAX_TEXT_BYTES)
            .lines
            .iter()
            .map(|l| l.iter().map(|(_, t)| t.as_str()).collect())
            .collect()
    };
    value_diff::text_lines(&text(old), &text(new))
}
