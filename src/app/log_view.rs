//! What the log pane shows: entries narrowed by scope (the selected subtree) and filter, the
//! selection, pause, and search.
//!
//! Matching is incremental. A new entry is matched once, on arrival; when the filter or the search
//! changes, entries are matched again newest first, at most [`MATCH_BYTES_PER_FRAME`] of payload
//! per frame, so the rows on screen are right at the next frame and a key never waits for the
//! whole log. A frame then only reads the stored results.

use super::log::LogEntry;
use super::topics::{self, NodeId};
use super::{App, MATCH_BYTES, TextFilter};

/// Payload bytes matched per frame while a new filter or search catches up with the log.
pub const MATCH_BYTES_PER_FRAME: usize = 4 << 20;

impl App {
    /// Sets the log filter; entries are matched again from the newest.
    pub(super) fn set_log_filter(&mut self, filter: Option<TextFilter>) {
        self.log_view.filter = filter;
        self.store.log_mut().reset_hits(true, false);
        self.log_view.matching = true;
        self.match_pending(MATCH_BYTES_PER_FRAME);
    }

    /// Sets the log search; entries are matched again from the newest.
    pub(super) fn set_log_search(&mut self, search: Option<TextFilter>) {
        self.log_view.search = search;
        self.store.log_mut().reset_hits(false, true);
        self.log_view.matching = true;
        self.match_pending(MATCH_BYTES_PER_FRAME);
    }

    /// Matches the entry just logged (its payload at hand) against the filter and the search.
    pub(super) fn match_newest(&mut self, topic: &str, payload: &[u8]) {
        let hit = |f: &Option<TextFilter>| f.as_ref().map(|f| f.matches(topic, payload));
        let (filter, search) = (hit(&self.log_view.filter), hit(&self.log_view.search));
        if let Some(e) = self.store.log_mut().newest_mut() {
            e.filter_hit = filter;
            e.search_hit = search;
        }
    }

    /// Matches entries not matched yet, newest first, up to `budget` payload bytes. Payloads still
    /// in history are matched on their first [`MATCH_BYTES`]; evicted ones on the head the entry
    /// keeps. Returns whether every entry is matched.
    pub(super) fn match_pending(&mut self, budget: usize) -> bool {
        if !self.log_view.matching {
            return true;
        }
        let (filter, search) = (self.log_view.filter.as_ref(), self.log_view.search.as_ref());
        let tree = &self.tree;
        let mut spent = 0;
        let mut done = true;
        self.store.visit_log(|e, kept| {
            let todo_filter = filter.filter(|_| e.filter_hit.is_none());
            let todo_search = search.filter(|_| e.search_hit.is_none());
            if todo_filter.is_none() && todo_search.is_none() {
                return true;
            }
            if spent >= budget {
                done = false;
                return false;
            }
            let payload = kept.unwrap_or(&e.head);
            let path = tree.node(e.topic).path();
            spent += payload.len().min(MATCH_BYTES) + 64;
            if let Some(f) = todo_filter {
                e.filter_hit = Some(f.matches(path, payload));
            }
            if let Some(s) = todo_search {
                e.search_hit = Some(s.matches(path, payload));
            }
            true
        });
        self.log_view.matching = !done;
        done
    }

    /// The subtree the log is scoped to, if any.
    fn log_scope(&self) -> Option<NodeId> {
        self.log_view.scoped.then_some(self.tree_view.selected).flatten()
    }

    /// Whether an entry passes scope and filter. An entry a new filter has not reached yet is not
    /// shown until it has been matched.
    pub(super) fn log_entry_visible(&self, e: &LogEntry) -> bool {
        if let Some(root) = self.log_scope()
            && !self.is_in_subtree(e.topic, root)
        {
            return false;
        }
        if self.log_view.invalid_only && !e.invalid {
            return false;
        }
        self.log_view.filter.is_none() || e.filter_hit == Some(true)
    }

    /// `i` in the log: only the messages that broke their schema, or all again.
    pub(super) fn toggle_invalid_only(&mut self) {
        self.log_view.invalid_only = !self.log_view.invalid_only;
        if self.log_view.invalid_only && self.config.schemas.is_empty() {
            self.notify("no schema is loaded (--schema FILTER=FILE): no message can be invalid".into());
        }
    }

    pub(super) fn is_in_subtree(&self, mut node: NodeId, root: NodeId) -> bool {
        let depth = self.tree.node(root).depth;
        if root == topics::ROOT {
            return true;
        }
        while self.tree.node(node).depth > depth {
            node = self.tree.node(node).parent;
        }
        node == root
    }

    /// Log rows to show in `height` lines, oldest first, ending at the selection (or the newest).
    /// When the selected entry is not shown (scoped away, filtered out, evicted), the rows are
    /// those nearest to it, older ones first.
    pub fn log_rows(&self, height: usize) -> Vec<&LogEntry> {
        let entries = self.store.log().entries();
        let end = match self.log_view.selected {
            Some(seq) => entries.partition_point(|e| e.seq <= seq),
            None => entries.len(),
        };
        let mut rows: Vec<&LogEntry> =
            entries.range(..end).rev().filter(|e| self.log_entry_visible(e)).take(height).collect();
        rows.reverse();
        if rows.len() < height {
            let more = height - rows.len();
            rows.extend(entries.range(end..).filter(|e| self.log_entry_visible(e)).take(more));
        }
        rows
    }

    /// Log entries shown (after scope and filter), and messages that arrived since a pause.
    pub fn log_counts(&self) -> (usize, u64) {
        let entries = self.store.log().entries();
        let narrowed = self.log_view.filter.is_some() || self.log_scope().is_some() || self.log_view.invalid_only;
        // Only a filter or a scope needs a look at every entry, and then only at stored results.
        let shown = if narrowed { entries.iter().filter(|e| self.log_entry_visible(e)).count() } else { entries.len() };
        let since_pause = self.log_view.paused_at.map_or(0, |p| self.store.next_seq().saturating_sub(p + 1));
        (shown, since_pause)
    }

    /// The selected log entry, if it is still in the log.
    pub fn selected_log_entry(&self) -> Option<&LogEntry> {
        let seq = self.log_view.selected?;
        let entries = self.store.log().entries();
        entries.get(entries.partition_point(|e| e.seq < seq)).filter(|e| e.seq == seq)
    }

    /// Keeps the log selection on a shown entry: the nearest one when it was scoped, filtered or
    /// evicted away.
    pub(super) fn select_visible_log_entry(&mut self) {
        let Some(seq) = self.log_view.selected else { return };
        if self.selected_log_entry().is_some_and(|e| self.log_entry_visible(e)) {
            return;
        }
        let entries = self.store.log().entries();
        let at = entries.partition_point(|e| e.seq <= seq);
        let older = entries.range(..at).rev().find(|e| self.log_entry_visible(e));
        let newer = entries.range(at..).find(|e| self.log_entry_visible(e));
        if let Some(e) = older.or(newer) {
            self.log_view.selected = Some(e.seq);
        }
    }

    /// Moves the log selection by `delta` shown entries (negative is older).
    pub(super) fn move_log(&mut self, delta: i64) {
        let visible: Vec<u64> =
            self.store.log().entries().iter().filter(|e| self.log_entry_visible(e)).map(|e| e.seq).collect();
        if visible.is_empty() {
            return;
        }
        let cur = match self.log_view.selected {
            Some(s) => visible.iter().position(|&x| x >= s).unwrap_or(visible.len() - 1),
            None => visible.len() - 1,
        };
        let next = (cur as i64 + delta).clamp(0, visible.len() as i64 - 1) as usize;
        self.log_view.selected = Some(visible[next]);
    }

    /// Selects the next (older when `older`) shown entry matching the search.
    pub(super) fn search(&mut self, older: bool) {
        let Some(search) = self.log_view.search.as_ref().map(TextFilter::source) else { return };
        // A search just set may still be catching up: give it one more frame's worth now.
        if !self.match_pending(MATCH_BYTES_PER_FRAME) {
            self.notify(format!("still matching '{search}' against the log: n again in a moment"));
            return;
        }
        let from = self.log_view.selected.unwrap_or(u64::MAX);
        let hit = {
            let matches = |e: &&LogEntry| self.log_entry_visible(e) && e.search_hit == Some(true);
            let log = self.store.log().entries();
            if older {
                log.iter().rev().filter(|e| e.seq < from || from == u64::MAX).find(matches).map(|e| e.seq)
            } else {
                log.iter().filter(|e| e.seq > from && from != u64::MAX).find(matches).map(|e| e.seq)
            }
        };
        match hit {
            Some(seq) => self.log_view.selected = Some(seq),
            None => self.notify(format!("no {} match for '{}'", if older { "older" } else { "newer" }, search)),
        }
    }

    /// Pauses or resumes the log. A pause freezes the shown entries; resuming shows the newest.
    pub(super) fn toggle_pause(&mut self) {
        self.log_view.paused_at = match self.log_view.paused_at {
            Some(_) => {
                self.store.log_mut().resume();
                None
            }
            None => {
                self.store.log_mut().pause();
                Some(self.store.next_seq().saturating_sub(1))
            }
        };
    }
}
