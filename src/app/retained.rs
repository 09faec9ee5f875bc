//! The retained view: every topic whose last message came retained, to audit and clear. Clearing
//! publishes a zero-length retained message (QoS 1, so each is acknowledged) to every topic listed
//! on a confirmation screen first; the acks and failures are counted as they come back.

use super::topics::{NodeId, TopicTree, natural_cmp};
use crate::codec::{Bytes, Properties, QoS};
use crate::session::{Command, OutgoingPublish};
use std::collections::BTreeSet;

/// What the confirmation screen lists: exactly the topics that will be cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub topics: Vec<String>,
    pub scroll: usize,
}

/// A clear in progress (or done): tokens `first_token..first_token + total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearJob {
    pub first_token: u64,
    pub total: u64,
    pub acked: u64,
    pub failed: u64,
    pub last_error: Option<String>,
    pub started_ms: u64,
    pub finished_ms: Option<u64>,
}

impl ClearJob {
    pub fn owns(&self, token: u64) -> bool {
        token >= self.first_token && token < self.first_token + self.total
    }

    pub fn done(&self) -> bool {
        self.acked + self.failed >= self.total
    }
}

#[derive(Debug, Default)]
pub struct RetainedView {
    /// Retained topics sorted by path, rebuilt when a retained flag changes.
    rows: Vec<NodeId>,
    built_gen: Option<(u64, usize)>,
    pub selected: usize,
    pub offset: usize,
    pub marked: BTreeSet<NodeId>,
    /// The subtree the last `a` marked ("" is everything), so a second `a` goes one level up.
    last_scope: Option<String>,
    pub confirm: Option<Confirm>,
    pub job: Option<ClearJob>,
    /// A snapshot (`f`) is being taken.
    pub snapshot_running: bool,
}

/// Whether `path` is `prefix` or below it; the empty prefix holds everything.
pub fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty() || path == prefix || (path.starts_with(prefix) && path[prefix.len()..].starts_with('/'))
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

impl RetainedView {
    /// Memory the rows and marks hold, for the budget.
    pub fn bytes(&self) -> usize {
        self.rows.capacity() * 4 + self.marked.len() * 32
    }

    /// Rebuilds the rows when the tree's retained flags changed (one pass, then a sort by path).
    pub fn refresh(&mut self, tree: &TopicTree) {
        let key = (tree.retained_gen(), tree.len());
        if self.built_gen == Some(key) {
            return;
        }
        let selected = self.rows.get(self.selected).copied();
        let mut rows: Vec<NodeId> = tree.nodes().filter(|(_, n)| n.is_topic && n.retained).map(|(id, _)| id).collect();
        rows.sort_unstable_by(|a, b| natural_cmp(tree.node(*a).path(), tree.node(*b).path()));
        self.marked.retain(|id| tree.node(*id).retained);
        self.selected = selected.and_then(|s| rows.iter().position(|&r| r == s)).unwrap_or(self.selected);
        self.rows = rows;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.built_gen = Some(key);
    }

    pub fn rows(&self) -> &[NodeId] {
        &self.rows
    }

    pub fn selected_node(&self) -> Option<NodeId> {
        self.rows.get(self.selected).copied()
    }

    pub fn move_selection(&mut self, delta: i64) {
        let last = self.rows.len().saturating_sub(1) as i64;
        self.selected = (self.selected as i64).saturating_add(delta).clamp(0, last) as usize;
    }

    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_node()
            && !self.marked.remove(&id)
        {
            self.marked.insert(id);
        }
    }

    /// Marks every retained topic in the selected row's subtree: its parent level first, one level
    /// further up on each repeat. Returns the subtree ("" for all) and how many are marked in it.
    pub fn mark_subtree(&mut self, tree: &TopicTree) -> Option<(String, usize)> {
        let id = self.selected_node()?;
        let path = tree.node(id).path().to_string();
        let all_marked = |scope: &str, marked: &BTreeSet<NodeId>| {
            self.rows.iter().filter(|&&r| under(tree.node(r).path(), scope)).all(|r| marked.contains(r))
        };
        let scope = match &self.last_scope {
            Some(s) if under(&path, s) && !s.is_empty() && all_marked(s, &self.marked) => parent(s).to_string(),
            Some(s) if under(&path, s) && s.is_empty() => String::new(),
            _ => parent(&path).to_string(),
        };
        let mut count = 0;
        for &r in &self.rows {
            if under(tree.node(r).path(), &scope) {
                self.marked.insert(r);
                count += 1;
            }
        }
        self.last_scope = Some(scope.clone());
        Some((scope, count))
    }

    pub fn unmark_all(&mut self) {
        self.marked.clear();
        self.last_scope = None;
    }

    /// Opens the confirmation for the marked topics, or the selected one when none is marked.
    pub fn ask_clear(&mut self, tree: &TopicTree) -> bool {
        let ids: Vec<NodeId> = if self.marked.is_empty() {
            self.selected_node().into_iter().collect()
        } else {
            self.marked.iter().copied().collect()
        };
        if ids.is_empty() {
            return false;
        }
        let mut topics: Vec<String> = ids.iter().map(|&id| tree.node(id).path().to_string()).collect();
        topics.sort_unstable_by(|a, b| natural_cmp(a, b));
        self.confirm = Some(Confirm { topics, scroll: 0 });
        true
    }

    /// Opens the confirmation for every retained topic at or under `id` in the tree (a tree row:
    /// a topic, or a level and its subtree). False when there is none.
    pub fn ask_clear_subtree(&mut self, tree: &TopicTree, id: NodeId) -> bool {
        let mut topics = Vec::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            let node = tree.node(n);
            if node.is_topic && node.retained && !node.excluded {
                topics.push(node.path().to_string());
            }
            stack.extend(node.children.iter().copied());
        }
        if topics.is_empty() {
            return false;
        }
        topics.sort_unstable_by(|a, b| natural_cmp(a, b));
        self.confirm = Some(Confirm { topics, scroll: 0 });
        true
    }

    /// The confirmation was accepted: one empty retained QoS 1 publish per listed topic, with tokens
    /// from `first_token` on.
    pub fn start_clear(&mut self, first_token: u64, now_ms: u64) -> Vec<Command> {
        let Some(confirm) = self.confirm.take() else { return Vec::new() };
        let total = confirm.topics.len() as u64;
        self.job = Some(ClearJob {
            first_token,
            total,
            acked: 0,
            failed: 0,
            last_error: None,
            started_ms: now_ms,
            finished_ms: None,
        });
        self.unmark_all();
        confirm
            .topics
            .into_iter()
            .zip(first_token..)
            .map(|(topic, token)| Command::Publish {
                token,
                publish: OutgoingPublish {
                    topic,
                    payload: Bytes::new(),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: Properties::default(),
                },
            })
            .collect()
    }

    /// Counts an answer for a clearing publish; false when the token is not the job's. Returns
    /// `Some(true)` when this answer finished the job.
    pub fn on_published(&mut self, token: u64, result: &Result<u8, String>, now_ms: u64) -> Option<bool> {
        let job = self.job.as_mut().filter(|j| j.owns(token))?;
        match result {
            Ok(_) => job.acked += 1,
            Err(why) => {
                job.failed += 1;
                job.last_error = Some(why.clone());
            }
        }
        if job.done() && job.finished_ms.is_none() {
            job.finished_ms = Some(now_ms);
            return Some(true);
        }
        Some(false)
    }
}

/// Rows of the retained list on a screen of `size`: the status line, the border and two header lines
/// are not rows.
pub fn list_height(size: ratatui::layout::Rect) -> usize {
    usize::from(size.height.saturating_sub(5))
}

impl super::App {
    /// Keeps the retained rows current and the selection in view (only while the view is shown).
    pub(super) fn prepare_retained(&mut self) {
        if self.view != super::View::Retained {
            return;
        }
        self.retained.refresh(&self.tree);
        let height = list_height(self.size);
        self.retained.offset = super::layout::scroll_to(self.retained.offset, self.retained.selected, height);
    }

    pub(super) fn retained_key(&mut self, key: super::Key) {
        use crossterm::event::KeyCode;
        let page = list_height(self.size).max(1) as i64;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.retained.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.retained.move_selection(1),
            KeyCode::PageUp => self.retained.move_selection(-page),
            KeyCode::PageDown => self.retained.move_selection(page),
            KeyCode::Home | KeyCode::Char('g') => self.retained.move_selection(i64::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.retained.move_selection(i64::MAX / 2),
            KeyCode::Char(' ') => self.retained.toggle_mark(),
            KeyCode::Char('f') if self.retained.snapshot_running => {
                self.notify("a retained snapshot is already being taken".into());
            }
            KeyCode::Char('f') => {
                let filters = self.subs.active_filters();
                if filters.is_empty() {
                    self.notify("no subscription to take a retained snapshot of".into());
                } else {
                    self.retained.snapshot_running = true;
                    self.notify("asking the broker for its retained messages…".into());
                    self.effects.push(super::Effect::RetainedSnapshot(filters));
                }
            }
            KeyCode::Char('a') => {
                if let Some((scope, n)) = self.retained.mark_subtree(&self.tree) {
                    let scope = if scope.is_empty() { "everything".to_string() } else { format!("'{scope}/'") };
                    self.notify(format!(
                        "marked {n} retained topics under {} (a again: one level up)",
                        crate::sanitize::line(&scope)
                    ));
                }
            }
            KeyCode::Char('d') | KeyCode::Delete if !self.retained.ask_clear(&self.tree) => {
                self.notify("no retained topic to clear".into());
            }
            KeyCode::Esc if !self.retained.marked.is_empty() => self.retained.unmark_all(),
            KeyCode::Esc => self.view = super::View::Dashboard,
            _ => {}
        }
    }

    /// A snapshot came back: every topic of the tree holds a retained message exactly when the broker
    /// sent one for it now. Topics the snapshot names that the tree has not seen (excluded, or not
    /// received yet) are counted in the notice, not invented.
    pub(super) fn on_retained_snapshot(&mut self, result: Result<Vec<String>, String>) {
        self.retained.snapshot_running = false;
        let topics = match result {
            Ok(t) => t,
            Err(why) => {
                self.notify(format!("retained snapshot failed: {why}"));
                return;
            }
        };
        let held: std::collections::HashSet<&str> = topics.iter().map(String::as_str).collect();
        let ids: Vec<NodeId> = self.tree.nodes().filter(|(_, n)| n.is_topic).map(|(id, _)| id).collect();
        let (mut found, mut gone) = (0u64, 0u64);
        for id in ids {
            let holds = held.contains(self.tree.node(id).path());
            if self.tree.set_retained(id, holds) {
                if holds { found += 1 } else { gone += 1 }
            }
        }
        let unseen = topics.iter().filter(|t| self.tree.find(t).is_none()).count();
        let mut text = format!(
            "retained snapshot: {} topics hold a retained message ({found} newly found, {gone} no longer retained)",
            topics.len()
        );
        if unseen > 0 {
            text.push_str(&format!("; {unseen} not in the tree (excluded or not received)"));
        }
        self.notify(text);
        self.retained.refresh(&self.tree);
    }

    /// The confirmation screen: Enter or y clears, Esc or n cancels, arrows scroll the list.
    pub(super) fn confirm_key(&mut self, key: super::Key) {
        use crossterm::event::KeyCode;
        let Some(c) = self.retained.confirm.as_mut() else { return };
        let last = c.topics.len().saturating_sub(1);
        match key.code {
            KeyCode::Enter | KeyCode::Char('y') => {
                let first = self.next_token + 1;
                let cmds = self.retained.start_clear(first, self.now_ms);
                self.next_token += cmds.len() as u64;
                self.notify(format!("clearing {} retained topics…", cmds.len()));
                self.effects.extend(cmds.into_iter().map(super::Effect::Send));
            }
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => self.retained.confirm = None,
            KeyCode::Up | KeyCode::Char('k') => c.scroll = c.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => c.scroll = (c.scroll + 1).min(last),
            KeyCode::PageUp => c.scroll = c.scroll.saturating_sub(10),
            KeyCode::PageDown => c.scroll = (c.scroll + 10).min(last),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> TopicTree {
        let mut t = TopicTree::new(vec![]);
        for topic in ["clear/a/x", "clear/a/y", "clear/b", "keep/z"] {
            t.record(topic, 3, 1_000, true);
        }
        t.record("live/only", 3, 1_000, false);
        t
    }

    fn select(v: &mut RetainedView, t: &TopicTree, path: &str) {
        v.selected = v.rows().iter().position(|&r| t.node(r).path() == path).expect("row");
    }

    #[test]
    fn lists_retained_topics_and_marks_widening_subtrees() {
        let t = tree();
        let mut v = RetainedView::default();
        v.refresh(&t);
        let paths: Vec<&str> = v.rows().iter().map(|&r| t.node(r).path()).collect();
        assert_eq!(paths, ["clear/a/x", "clear/a/y", "clear/b", "keep/z"]);
        select(&mut v, &t, "clear/a/y");
        assert_eq!(v.mark_subtree(&t), Some(("clear/a".into(), 2)));
        assert_eq!(v.mark_subtree(&t), Some(("clear".into(), 3)));
        assert_eq!(v.mark_subtree(&t), Some(("".into(), 4)));
        v.unmark_all();
        v.toggle_mark();
        assert_eq!(v.marked.len(), 1);
        assert!(under("a/b", "a") && !under("ab/c", "a") && under("x", ""));
    }

    #[test]
    fn clearing_lists_then_publishes_empty_retained_qos1_and_counts_acks() {
        let t = tree();
        let mut v = RetainedView::default();
        v.refresh(&t);
        select(&mut v, &t, "clear/b");
        assert_eq!(v.mark_subtree(&t), Some(("clear".into(), 3)));
        assert!(v.ask_clear(&t));
        assert_eq!(
            v.confirm.as_ref().map(|c| c.topics.clone()),
            Some(vec!["clear/a/x".to_string(), "clear/a/y".into(), "clear/b".into()])
        );
        let cmds = v.start_clear(100, 5_000);
        assert_eq!(cmds.len(), 3);
        let Command::Publish { token, publish } = &cmds[2] else { panic!("publish") };
        assert_eq!((*token, publish.topic.as_str(), publish.payload.len()), (102, "clear/b", 0));
        assert!(publish.retain && publish.qos == QoS::AtLeastOnce);
        assert!(v.marked.is_empty() && v.confirm.is_none());
        assert_eq!(v.on_published(100, &Ok(0), 5_010), Some(false));
        assert_eq!(v.on_published(101, &Err("nope".into()), 5_020), Some(false));
        assert_eq!(v.on_published(7, &Ok(0), 5_020), None, "not ours");
        assert_eq!(v.on_published(102, &Ok(0), 5_030), Some(true));
        let job = v.job.clone().expect("job");
        assert_eq!((job.acked, job.failed, job.finished_ms), (2, 1, Some(5_030)));
    }
}
