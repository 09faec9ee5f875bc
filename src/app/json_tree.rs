//! The detail pane's foldable tree of a decoded payload (JSON, and MessagePack, CBOR and Sparkplug
//! through the same JSON value form). Pure: built once per payload into a flat pre-order index, so a
//! frame only reads the rows in view, and a fold or unfold walks the visible rows once.
//!
//! ```text
//! ▾ {} 2 keys                   the root, a container: ▾ unfolded, ▸ folded
//!   ▾ "sensors": [] 4 items
//!     ▸ 0: {} 2 keys            folded: its children are skipped with one jump (`end`)
//!       "temp": 21.5            a leaf: its value as JSON, sanitised, clipped
//! ```
//!
//! Fold state is kept by path (JSON pointer) in [`Folds`], so it survives new messages on the
//! topic wherever the paths still exist.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::payload::{self, TokenKind};
use crate::sanitize;

/// Most values one tree indexes; the rest of a larger payload is left out and the tree says so.
pub const MAX_NODES: usize = 1 << 21;
/// Deepest level indexed (the decoders stop at 128).
const MAX_TREE_DEPTH: u32 = 512;
/// Most bytes of a leaf's text the tree keeps for display (copying the value gives all of it).
pub const MAX_LEAF_BYTES: usize = 4096;
/// Payloads with at most this many values open fully unfolded; larger ones show the root's
/// children folded.
pub const OPEN_ALL_NODES: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    pub fn is_container(self) -> bool {
        matches!(self, Self::Object | Self::Array)
    }

    /// How the ui colours a leaf of this kind.
    pub fn token(self) -> TokenKind {
        match self {
            Self::Object | Self::Array => TokenKind::Punct,
            Self::String => TokenKind::String,
            Self::Number => TokenKind::Number,
            Self::Bool => TokenKind::Bool,
            Self::Null => TokenKind::Null,
        }
    }
}

/// A text in the index's arena: `start..start + len`.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug, Clone)]
struct Node {
    parent: u32,
    /// One past the node's last descendant: its subtree is `self..end` in pre-order.
    end: u32,
    depth: u32,
    /// Position in the parent (array index, or the key's place in the object).
    slot: u32,
    /// Children (keys or items) of a container.
    len: u32,
    kind: Kind,
    /// A number, or a string holding just one: it can be charted.
    numeric: bool,
    /// Object members: the key as shown (JSON-quoted, sanitised) and as a pointer segment.
    key: Option<(Span, Span)>,
    /// Leaves: the value as shown (JSON, sanitised, at most [`MAX_LEAF_BYTES`]).
    text: Span,
}

/// Which containers are unfolded, by path: those shallower than `depth` unless `closed`, deeper
/// ones when `opened`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folds {
    depth: u32,
    opened: HashSet<String>,
    closed: HashSet<String>,
}

impl Folds {
    /// Everything unfolded for a small payload, else only the root.
    fn for_size(nodes: usize) -> Self {
        let depth = if nodes <= OPEN_ALL_NODES { u32::MAX } else { 1 };
        Self { depth, opened: HashSet::new(), closed: HashSet::new() }
    }

    fn is_open(&self, depth: u32, path: &str) -> bool {
        if depth < self.depth { !self.closed.contains(path) } else { self.opened.contains(path) }
    }

    fn set(&mut self, depth: u32, path: String, open: bool) {
        let (default_open, set) = if depth < self.depth { (true, &mut self.closed) } else { (false, &mut self.opened) };
        if open == default_open {
            set.remove(&path);
        } else {
            set.insert(path);
        }
    }

    fn bytes(&self) -> usize {
        self.opened.iter().chain(&self.closed).map(|p| 48 + p.len()).sum()
    }
}

/// What one visible row shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView<'a> {
    pub depth: usize,
    pub kind: Kind,
    /// Unfolded (containers only).
    pub open: bool,
    /// The object key as shown, or `None` for an array item (then `index`) or the root.
    pub key: Option<&'a str>,
    pub index: Option<u32>,
    /// A leaf's value as shown; empty for containers.
    pub text: &'a str,
    /// Keys or items of a container.
    pub len: u32,
    pub selected: bool,
}

/// A key of the tree, as the reducer takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// ← h: fold the selected container, or go to its parent.
    Fold,
    /// → l: unfold the selected container, or go to its first child.
    Unfold,
    /// Enter: fold or unfold.
    Toggle,
    FoldAll,
    UnfoldAll,
}

/// A payload's tree, its fold state, the visible rows and the selection.
#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    arena: String,
    /// The payload had more values than [`MAX_NODES`]: the rest is not in the tree.
    pub cut: bool,
    open: Vec<bool>,
    /// Visible nodes, in pre-order (so sorted: a node's row is found by binary search).
    rows: Vec<u32>,
    folds: Folds,
    selected: u32,
    /// The first row in view.
    pub offset: usize,
}

impl Tree {
    /// The tree of `value`, unfolded as [`Folds::for_size`] says, the root selected.
    pub fn new(value: &Value) -> Self {
        let mut t = Self {
            nodes: Vec::new(),
            arena: String::new(),
            cut: false,
            open: Vec::new(),
            rows: Vec::new(),
            folds: Folds::for_size(0),
            selected: 0,
            offset: 0,
        };
        t.index(value);
        t.folds = Folds::for_size(t.nodes.len());
        t.apply_folds();
        t
    }

    /// Takes the next payload of the same topic: folds stay where their paths still exist, the
    /// selection stays on its path (or its nearest ancestor that exists).
    pub fn reload(&mut self, value: &Value, height: usize) {
        let path = self.selected_path();
        self.index(value);
        self.apply_folds();
        self.selected = self.find(&path);
        self.reveal(height);
    }

    fn index(&mut self, value: &Value) {
        self.nodes.clear();
        self.arena.clear();
        self.cut = false;
        self.walk(value, 0, 0, 0, None);
        self.nodes.shrink_to_fit();
        self.arena.shrink_to_fit();
    }

    fn push_text(&mut self, s: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(s);
        Span { start: start as u32, len: (self.arena.len() - start) as u32 }
    }

    /// Adds `value` and its subtree in pre-order; `key` is the raw object key it is under.
    fn walk(&mut self, value: &Value, parent: u32, depth: u32, slot: u32, key: Option<&str>) {
        // The decoders nest at most 128 levels; the guard keeps this recursion bounded whatever the value.
        if self.nodes.len() >= MAX_NODES || self.arena.len() > u32::MAX as usize / 2 || depth > MAX_TREE_DEPTH {
            self.cut = true;
            return;
        }
        let id = self.nodes.len() as u32;
        let key = key.map(|k| {
            let shown = sanitize::line(&serde_json::to_string(k).unwrap_or_default()).into_owned();
            let mut seg = String::new();
            payload::pointer_segment(&mut seg, k);
            (self.push_text(&shown), self.push_text(seg.get(1..).unwrap_or_default()))
        });
        let (kind, text, len) = match value {
            Value::Object(m) => (Kind::Object, String::new(), m.len()),
            Value::Array(a) => (Kind::Array, String::new(), a.len()),
            Value::String(s) => (Kind::String, leaf_string(s), 0),
            Value::Number(n) => (Kind::Number, n.to_string(), 0),
            Value::Bool(b) => (Kind::Bool, b.to_string(), 0),
            Value::Null => (Kind::Null, "null".to_owned(), 0),
        };
        let numeric = payload::is_numeric(value);
        let text = self.push_text(&text);
        self.nodes.push(Node { parent, end: id + 1, depth, slot, len: len as u32, kind, numeric, key, text });
        match value {
            Value::Object(m) => {
                for (i, (k, v)) in m.iter().enumerate() {
                    self.walk(v, id, depth + 1, i as u32, Some(k));
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    self.walk(v, id, depth + 1, i as u32, None);
                }
            }
            _ => {}
        }
        let end = self.nodes.len() as u32;
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.end = end;
        }
    }

    fn text(&self, s: Span) -> &str {
        self.arena.get(s.start as usize..(s.start + s.len) as usize).unwrap_or_default()
    }

    /// Sets every container's fold from `folds` (one walk, paths built as it goes) and lays the rows out.
    fn apply_folds(&mut self) {
        self.open = vec![false; self.nodes.len()];
        let lookups = !(self.folds.opened.is_empty() && self.folds.closed.is_empty());
        let mut path = String::new();
        // (node, path length before its segment), for the containers on the way down.
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for i in 0..self.nodes.len() {
            let n = &self.nodes[i];
            if !n.kind.is_container() {
                continue;
            }
            if lookups {
                while stack.last().is_some_and(|&(s, _)| self.nodes[s as usize].end <= i as u32) {
                    if let Some((_, len)) = stack.pop() {
                        path.truncate(len);
                    }
                }
                let len = path.len();
                if i > 0 {
                    self.push_segment(&mut path, i);
                }
                stack.push((i as u32, len));
            }
            self.open[i] = self.folds.is_open(n.depth, &path);
        }
        self.lay_out();
    }

    fn push_segment(&self, path: &mut String, i: usize) {
        let n = &self.nodes[i];
        path.push('/');
        match n.key {
            Some((_, seg)) => path.push_str(self.text(seg)),
            None => {
                let _ = write!(path, "{}", n.slot);
            }
        }
    }

    /// The visible rows: every node, skipping the subtrees of folded containers.
    fn lay_out(&mut self) {
        self.rows.clear();
        let mut i = 0usize;
        while i < self.nodes.len() {
            self.rows.push(i as u32);
            let n = &self.nodes[i];
            i = if n.kind.is_container() && !self.open[i] { n.end as usize } else { i + 1 };
        }
        self.rows.shrink_to_fit();
    }

    /// Rows shown when everything visible is listed.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Values in the tree.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The selected row.
    pub fn selected_row(&self) -> usize {
        self.rows.binary_search(&self.selected).unwrap_or_else(|i| i.saturating_sub(1))
    }

    /// The JSON pointer of node `i` (`/sensors/3/temp`; empty for the root), keys sanitised and
    /// escaped as RFC 6901 says (`~0`, `~1`).
    fn path_of(&self, i: usize) -> String {
        let mut chain = Vec::new();
        let mut at = i;
        while at > 0 && at < self.nodes.len() {
            chain.push(at);
            at = self.nodes[at].parent as usize;
        }
        let mut path = String::new();
        for &n in chain.iter().rev() {
            self.push_segment(&mut path, n);
        }
        path
    }

    pub fn selected_path(&self) -> String {
        self.path_of(self.selected as usize)
    }

    /// The selected value's place from the root: its position in each container down the way.
    pub fn selected_slots(&self) -> Vec<u32> {
        let mut slots = Vec::new();
        let mut at = self.selected as usize;
        while at > 0 && at < self.nodes.len() {
            slots.push(self.nodes[at].slot);
            at = self.nodes[at].parent as usize;
        }
        slots.reverse();
        slots
    }

    pub fn selected_kind(&self) -> Option<Kind> {
        self.nodes.get(self.selected as usize).map(|n| n.kind)
    }

    /// The selected value is a number (or a string holding one): it can be charted.
    pub fn selected_numeric(&self) -> bool {
        self.nodes.get(self.selected as usize).is_some_and(|n| n.numeric)
    }

    /// The node at `path`, or its deepest ancestor in this tree.
    fn find(&self, path: &str) -> u32 {
        let mut at = 0usize;
        for seg in path.split('/').skip(1) {
            let Some(n) = self.nodes.get(at) else { return 0 };
            let mut child = at + 1;
            let mut found = None;
            while child < n.end as usize {
                let c = &self.nodes[child];
                let hit = match c.key {
                    Some((_, s)) => self.text(s) == seg,
                    None => seg.parse::<u32>().ok() == Some(c.slot),
                };
                if hit {
                    found = Some(child);
                    break;
                }
                child = c.end as usize;
            }
            match found {
                Some(c) => at = c,
                None => break,
            }
        }
        at as u32
    }

    /// Moves the selection up to the outermost folded container above it, so it is on a row, and
    /// scrolls it into a view `height` rows tall.
    fn reveal(&mut self, height: usize) {
        let mut at = self.selected as usize;
        let mut shown = at;
        while at > 0 && at < self.nodes.len() {
            at = self.nodes[at].parent as usize;
            if !self.open.get(at).copied().unwrap_or(true) {
                shown = at;
            }
        }
        self.selected = shown as u32;
        self.scroll_into_view(height);
    }

    /// Keeps the selection in a view `height` rows tall (after a resize), scrolled no further than
    /// the last row at the bottom.
    pub fn scroll_into_view(&mut self, height: usize) {
        let row = self.selected_row();
        let max = self.rows.len().saturating_sub(height.max(1));
        self.offset = super::layout::scroll_to(self.offset.min(max), row, height).min(max);
    }

    fn set_open(&mut self, i: usize, open: bool) {
        let Some(n) = self.nodes.get(i) else { return };
        if !n.kind.is_container() || self.open[i] == open {
            return;
        }
        let depth = n.depth;
        self.open[i] = open;
        let path = self.path_of(i);
        self.folds.set(depth, path, open);
        self.lay_out();
    }

    fn select_row(&mut self, row: i64) {
        let last = self.rows.len().saturating_sub(1) as i64;
        let row = row.clamp(0, last.max(0)) as usize;
        if let Some(&id) = self.rows.get(row) {
            self.selected = id;
        }
    }

    /// The reducer: one key, in a view `height` rows tall.
    pub fn apply(&mut self, key: Move, height: usize) {
        let row = self.selected_row() as i64;
        let page = height.max(1) as i64;
        let sel = self.selected as usize;
        let node = self.nodes.get(sel).cloned();
        match key {
            Move::Up => self.select_row(row - 1),
            Move::Down => self.select_row(row + 1),
            Move::PageUp => self.select_row(row - page),
            Move::PageDown => self.select_row(row + page),
            Move::Home => self.select_row(0),
            Move::End => self.select_row(i64::MAX / 2),
            Move::Fold => match node {
                Some(n) if n.kind.is_container() && self.open[sel] && n.len > 0 => self.set_open(sel, false),
                Some(n) if sel > 0 => self.selected = n.parent,
                _ => {}
            },
            Move::Unfold => match node {
                Some(n) if n.kind.is_container() && !self.open[sel] => self.set_open(sel, true),
                Some(n) if n.kind.is_container() && n.end as usize > sel + 1 => self.selected = sel as u32 + 1,
                _ => {}
            },
            Move::Toggle => {
                let open = self.open.get(sel).copied().unwrap_or(false);
                self.set_open(sel, !open);
            }
            Move::FoldAll | Move::UnfoldAll => {
                let all = key == Move::UnfoldAll;
                self.folds = Folds { depth: if all { u32::MAX } else { 1 }, ..Folds::for_size(0) };
                self.apply_folds();
                self.reveal(height);
            }
        }
        self.scroll_into_view(height);
    }

    /// The rows from `offset`, at most `height` of them.
    pub fn visible(&self, height: usize) -> impl Iterator<Item = RowView<'_>> + '_ {
        self.rows.iter().skip(self.offset).take(height).filter_map(|&id| {
            let n = self.nodes.get(id as usize)?;
            let parent_is_array = id > 0 && self.nodes.get(n.parent as usize).is_some_and(|p| p.kind == Kind::Array);
            Some(RowView {
                depth: n.depth as usize,
                kind: n.kind,
                open: self.open.get(id as usize).copied().unwrap_or(false),
                key: n.key.map(|(shown, _)| self.text(shown)),
                index: parent_is_array.then_some(n.slot),
                text: self.text(n.text),
                len: n.len,
                selected: id == self.selected,
            })
        })
    }

    /// Memory the tree holds, counted from its vectors' capacities.
    pub fn bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.arena.capacity()
            + self.open.capacity()
            + self.rows.capacity() * 4
            + self.folds.bytes()
    }
}

/// A string leaf as shown: JSON-quoted, clipped to [`MAX_LEAF_BYTES`] with `…`, terminal-safe.
fn leaf_string(s: &str) -> String {
    let mut cut = MAX_LEAF_BYTES.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = s.get(..cut).unwrap_or_default();
    let mut quoted = serde_json::to_string(head).unwrap_or_default();
    if cut < s.len() {
        quoted.pop();
        quoted.push('…');
    }
    sanitize::line(&quoted).into_owned()
}

/// The value at `slots` (positions in each container from the root) in `value`.
pub fn value_at<'v>(value: &'v Value, slots: &[u32]) -> Option<&'v Value> {
    let mut at = value;
    for &s in slots {
        at = match at {
            Value::Object(m) => m.values().nth(s as usize)?,
            Value::Array(a) => a.get(s as usize)?,
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
#[path = "json_tree_tests.rs"]
mod tests;
