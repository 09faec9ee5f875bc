//! The topic tree: topics split on `/` into an arena of nodes, each with its own counters and the
//! totals of its subtree, kept up to date per message by walking up the parents. The list of visible
//! rows is rebuilt only when the shape, the folding, the filter or the order changes.
//!
//! ```text
//! 0 (root)
//! 1   sensors/          subtree: count, bytes, rate, last activity, topic count
//! 2     kitchen/temp    own: count, bytes, rate, last activity, retained
//! ```

use super::rates::RateTrack;
use crate::codec::topic;
use std::collections::HashMap;
use std::rc::Rc;

pub type NodeId = u32;

/// Levels kept as tree levels; deeper ones stay together in the last level's name. Bounds the
/// per-message walk up the parents and the row indentation, whatever a peer sends (a topic may be
/// 65,535 slashes).
pub const MAX_DEPTH: usize = 32;
pub const ROOT: NodeId = 0;

/// Counters of a node's own messages, or of its whole subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub bytes: u64,
    /// Milliseconds since the epoch of the last message, 0 when none.
    pub last_ms: u64,
    pub rate: RateTrack,
    /// Bytes per second, the same way.
    pub byte_rate: RateTrack,
}

impl Stats {
    fn add(&mut self, bytes: usize, ms: u64) {
        self.count += 1;
        self.bytes += bytes as u64;
        self.last_ms = self.last_ms.max(ms);
        let sec = (ms / 1000) as u32;
        self.rate.add(sec);
        self.byte_rate.add_n(sec, u32::try_from(bytes).unwrap_or(u32::MAX));
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    /// The topic that created this node; its path is the first `path_len` bytes and its name the
    /// bytes from `name_start`. Every node an insert creates, and the topic index, share that one
    /// string, so a topic name is kept once, whatever its depth.
    path_src: Rc<str>,
    name_start: u32,
    path_len: u32,
    pub parent: NodeId,
    pub depth: u16,
    /// Sorted by name.
    pub children: Vec<NodeId>,
    pub expanded: bool,
    /// Whether a message was published to exactly this topic.
    pub is_topic: bool,
    /// Hidden by an exclude pattern (still counted).
    pub excluded: bool,
    /// The broker holds a retained message here: one came flagged retained and no empty message
    /// has cleared it since.
    pub retained: bool,
    pub own: Stats,
    pub sub: Stats,
    /// Topics (with messages) in this subtree, this node included, excluded ones not counted.
    pub topics: u32,
    /// The last message here was empty: a retained message cleared (or an empty publish).
    pub cleared: bool,
    /// Of `topics`, how many are `cleared`, so hiding them (`H`) knows which levels empty out.
    pub cleared_topics: u32,
}

impl Node {
    /// A level with no messages yet.
    fn new(path_src: Rc<str>, name_start: u32, path_len: u32, parent: NodeId, depth: u16, expanded: bool) -> Self {
        Self {
            path_src,
            name_start,
            path_len,
            parent,
            depth,
            children: Vec::new(),
            expanded,
            is_topic: false,
            excluded: false,
            retained: false,
            own: Stats::default(),
            sub: Stats::default(),
            topics: 0,
            cleared: false,
            cleared_topics: 0,
        }
    }

    /// The full topic up to this level.
    pub fn path(&self) -> &str {
        self.path_src.get(..self.path_len as usize).unwrap_or("")
    }

    /// This level's name (may be empty: `a//b` has an empty middle level).
    pub fn name(&self) -> &str {
        self.path_src.get(self.name_start as usize..self.path_len as usize).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Name,
    /// Most recent message first.
    Activity,
    /// Highest messages/s first.
    Rate,
}

impl SortBy {
    pub fn next(self) -> Self {
        match self {
            Self::Name => Self::Activity,
            Self::Activity => Self::Rate,
            Self::Rate => Self::Name,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Activity => "activity",
            Self::Rate => "rate",
        }
    }
}

/// A filter typed by the user: an MQTT wildcard pattern when it contains `+` or `#`, else a
/// case-insensitive substring of the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicFilter {
    Wildcard(String),
    Substring(String),
}

impl TopicFilter {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            None
        } else if s.contains(['+', '#']) && topic::check_topic_filter(s).is_ok() {
            Some(Self::Wildcard(s.to_string()))
        } else {
            Some(Self::Substring(s.to_lowercase()))
        }
    }

    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::Wildcard(f) => topic::matches(f, path),
            Self::Substring(s) => contains_ignore_case(path, s),
        }
    }
}

/// `needle` must already be lower case.
pub fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

/// Which nodes are rows on screen, in order, with what shapes them.
#[derive(Debug, Default)]
struct Visible {
    rows: Vec<NodeId>,
    dirty: bool,
    /// Topics were added since the last build. In a big tree they are merged in at most every
    /// `RESHAPE_MS`, so a flood of new topics does not rebuild 100,000 rows every frame.
    new_topics: bool,
    /// For time-based orders: when the rows were last built, so they are not reshuffled every frame.
    built_ms: u64,
}

#[derive(Debug)]
pub struct TopicTree {
    nodes: Vec<Node>,
    /// Keys share the string of the topic's node (`path_src`).
    by_topic: HashMap<Rc<str>, NodeId>,
    /// Memory the tree holds (nodes, names, index), kept up to date as topics are added.
    bytes: usize,
    exclude: Vec<String>,
    /// Messages on excluded topics: counted, not shown.
    pub excluded_messages: u64,
    pub excluded_topics: u32,
    sort: SortBy,
    filter: Option<TopicFilter>,
    visible: Visible,
    /// Bumped whenever a topic's retained flag changes, so lists of retained topics know to rebuild.
    retained_gen: u64,
    /// Topics whose last message was empty are not rows (`H`, `--hide-cleared`).
    hide_cleared: bool,
    /// Nobody folded or unfolded anything yet: the tree may fold itself once it grows big.
    auto_fold: bool,
    /// Schema violations per node, by id; empty until a message breaks its schema.
    invalid: Vec<Invalid>,
}

/// From this many topics on, the tree shows only its first level: everything below starts folded
/// (once, when the count is reached, unless the user folded or unfolded something already; and
/// for every level created after). A hundred topics are four screens of an 80x24 tree unfolded;
/// folded, the first level fits on one, and `E` unfolds everything.
pub const FOLD_FROM_TOPICS: u32 = 100;

/// Natural order: digits compare as numbers (`t2` before `t10`), the rest as text; names that only
/// differ in leading zeros (`a01`, `a1`) fall back to byte order, so the order stays total.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    alphanumeric_sort::compare_str(a, b).then_with(|| a.cmp(b))
}

/// Memory a tree node costs: the node, its slot in its parent's children (with the vector's
/// spare room), its slot in the rows, and allocator rounding.
const NODE_COST: usize = std::mem::size_of::<Node>() + 16;

/// Messages that broke their schema, on a node and in its subtree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Invalid {
    pub own: u64,
    pub sub: u64,
}

/// Memory a node's invalid counters cost.
const INVALID_COST: usize = std::mem::size_of::<Invalid>();

/// Memory a topic name costs once: the shared string (with its counts) and its index entry.
fn topic_cost(topic: &str) -> usize {
    topic.len().next_multiple_of(8) + 16 + 40
}

/// How long a non-name order stays put before it is rebuilt.
const RESORT_MS: u64 = 1000;
/// From this many rows on, new topics join the rows at most every `RESHAPE_MS` (a rebuild costs
/// about 0.1 µs a row); folding, filtering and sorting still rebuild at once.
const BIG_TREE_ROWS: usize = 20_000;
const RESHAPE_MS: u64 = 500;
/// How much longer a big tree's re-sort and reshape wait when the frame answers a key.
const INPUT_DEFER_MS: u64 = 3000;

impl TopicTree {
    pub fn new(exclude: Vec<String>) -> Self {
        let root = Node::new("".into(), 0, 0, ROOT, 0, true);
        Self {
            nodes: vec![root],
            by_topic: HashMap::new(),
            bytes: NODE_COST,
            exclude,
            excluded_messages: 0,
            excluded_topics: 0,
            sort: SortBy::Name,
            filter: None,
            visible: Visible { dirty: true, ..Visible::default() },
            retained_gen: 0,
            hide_cleared: false,
            auto_fold: true,
            invalid: Vec::new(),
        }
    }

    pub fn hide_cleared(&self) -> bool {
        self.hide_cleared
    }

    /// Hides (or shows again) topics whose last message was empty.
    pub fn set_hide_cleared(&mut self, hide: bool) {
        if self.hide_cleared != hide {
            self.hide_cleared = hide;
            self.visible.dirty = true;
        }
    }

    /// Topics whose last message was empty (shown or not).
    pub fn cleared_count(&self) -> u32 {
        self.nodes[ROOT as usize].cleared_topics
    }

    /// Changes whenever some topic's retained flag changed.
    pub fn retained_gen(&self) -> u64 {
        self.retained_gen
    }

    /// Every node with its id, the root (id 0) first.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.nodes.iter().enumerate().map(|(i, n)| (i as NodeId, n))
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1
    }

    /// Memory the tree holds: nodes, topic names (one copy each) and the topic index.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// What adding `topic` would cost at most (a node per level, its name, an index entry).
    pub fn cost_of_new(topic: &str) -> usize {
        topic_cost(topic) + NODE_COST * (topic.bytes().filter(|&b| b == b'/').count() + 1).min(MAX_DEPTH)
    }

    /// Topics with messages, excluded ones included.
    pub fn topic_count(&self) -> usize {
        self.by_topic.len()
    }

    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    pub fn find(&self, topic: &str) -> Option<NodeId> {
        self.by_topic.get(topic).copied()
    }

    /// Any node by its path, also a level that is not a topic itself (`$SYS/brokers`).
    pub fn find_node(&self, path: &str) -> Option<NodeId> {
        if let Some(id) = self.find(path) {
            return Some(id);
        }
        let mut cur = ROOT;
        for level in path.split('/') {
            let kids = &self.nodes[cur as usize].children;
            let i = kids.binary_search_by(|&c| self.nodes[c as usize].name().cmp(level)).ok()?;
            cur = kids[i];
        }
        Some(cur)
    }

    pub fn sort(&self) -> SortBy {
        self.sort
    }

    pub fn set_sort(&mut self, sort: SortBy) {
        self.sort = sort;
        self.visible.dirty = true;
    }

    pub fn filter(&self) -> Option<&TopicFilter> {
        self.filter.as_ref()
    }

    pub fn set_filter(&mut self, filter: Option<TopicFilter>) {
        self.filter = filter;
        self.visible.dirty = true;
    }

    /// Sets whether the broker holds a retained message for the topic at `id` (from a snapshot, not a
    /// message: nothing is counted). Returns whether it changed.
    pub fn set_retained(&mut self, id: NodeId, retained: bool) -> bool {
        let n = &mut self.nodes[id as usize];
        if !n.is_topic || n.retained == retained {
            return false;
        }
        n.retained = retained;
        self.retained_gen += 1;
        true
    }

    /// Records a message on `topic` and returns its node. New levels are created on the way.
    pub fn record(&mut self, topic: &str, bytes: usize, ms: u64, retained: bool) -> NodeId {
        self.record_within(topic, bytes, ms, retained, usize::MAX).unwrap_or(ROOT)
    }

    /// `record`, unless `topic` is new and would take the tree beyond `max_bytes`: then `None`,
    /// and nothing changes.
    pub fn record_within(
        &mut self,
        topic: &str,
        bytes: usize,
        ms: u64,
        retained: bool,
        max_bytes: usize,
    ) -> Option<NodeId> {
        let id = match self.by_topic.get(topic) {
            Some(&id) => id,
            None if self.bytes.saturating_add(Self::cost_of_new(topic)) > max_bytes => return None,
            None => self.insert(topic),
        };
        let n = &mut self.nodes[id as usize];
        n.own.add(bytes, ms);
        // The broker holds a retained message from the first one flagged retained until an empty
        // message clears it. Live updates reach existing subscribers with the flag off, so they do
        // not say the retained one is gone.
        let holds = if bytes == 0 { false } else { retained || n.retained };
        if n.retained != holds {
            n.retained = holds;
            self.retained_gen += 1;
        }
        let cleared = bytes == 0;
        let flip = n.cleared != cleared;
        n.cleared = cleared;
        if n.excluded {
            self.excluded_messages += 1;
        } else if flip {
            self.count_cleared(id, cleared);
        }
        let mut cur = id;
        loop {
            let node = &mut self.nodes[cur as usize];
            node.sub.add(bytes, ms);
            if cur == ROOT {
                break;
            }
            cur = node.parent;
        }
        Some(id)
    }

    /// Counts a message on `id` that broke its schema, there and in the levels above it.
    pub fn count_invalid(&mut self, id: NodeId) {
        if self.invalid.len() < self.nodes.len() {
            // Grown only once a message is invalid: a tree without schema checks pays nothing.
            self.bytes -= self.invalid.capacity() * INVALID_COST;
            self.invalid.resize(self.nodes.len(), Invalid::default());
            self.bytes += self.invalid.capacity() * INVALID_COST;
        }
        self.invalid[id as usize].own += 1;
        let mut up = id;
        loop {
            self.invalid[up as usize].sub += 1;
            if up == ROOT {
                break;
            }
            up = self.nodes[up as usize].parent;
        }
    }

    /// Messages on `id` that broke their schema, and in its whole subtree (`id` included).
    pub fn invalid(&self, id: NodeId) -> Invalid {
        self.invalid.get(id as usize).copied().unwrap_or_default()
    }

    /// Invalid messages as a row shows them: the subtree's on a level or a folded node, its own on
    /// a topic.
    pub fn shown_invalid(&self, id: NodeId) -> u64 {
        let n = &self.nodes[id as usize];
        let folded = !n.children.is_empty() && !n.expanded;
        let c = self.invalid(id);
        if folded || !n.is_topic { c.sub } else { c.own }
    }

    /// Adds or takes one cleared topic from `id` and the levels above it.
    fn count_cleared(&mut self, id: NodeId, cleared: bool) {
        let mut up = id;
        loop {
            let n = &mut self.nodes[up as usize];
            n.cleared_topics = if cleared { n.cleared_topics + 1 } else { n.cleared_topics.saturating_sub(1) };
            if up == ROOT {
                break;
            }
            up = n.parent;
        }
        if self.hide_cleared {
            self.visible.dirty = true;
        }
    }

    fn insert(&mut self, topic: &str) -> NodeId {
        let excluded = self.exclude.iter().any(|f| topic::matches(f, topic));
        let src: Rc<str> = topic.into();
        self.bytes += topic_cost(topic);
        let mut cur = ROOT;
        let mut start = 0;
        for depth in 0..MAX_DEPTH {
            // The last level allowed takes the rest of the topic, slashes and all.
            let end = if depth + 1 == MAX_DEPTH { None } else { topic[start..].find('/').map(|i| start + i) };
            let level_end = end.unwrap_or(topic.len());
            cur = self.child(cur, &topic[start..level_end], &src, start, level_end, depth as u16);
            match end {
                Some(e) => start = e + 1,
                None => break,
            }
        }
        self.nodes[cur as usize].is_topic = true;
        self.nodes[cur as usize].excluded = excluded;
        // The topic's node shares `src` unless an earlier, longer topic made it (`a/b` after
        // `a/b/c`): then the index takes the node's string and the new one is dropped.
        let key = if self.nodes[cur as usize].path_src.len() == topic.len() {
            self.nodes[cur as usize].path_src.clone()
        } else {
            src
        };
        self.by_topic.insert(key, cur);
        if excluded {
            self.excluded_topics += 1;
        } else {
            let mut up = cur;
            loop {
                self.nodes[up as usize].topics += 1;
                if up == ROOT {
                    break;
                }
                up = self.nodes[up as usize].parent;
            }
            if self.auto_fold && self.nodes[ROOT as usize].topics == FOLD_FROM_TOPICS {
                // Many topics: from now on the tree opens on its first level.
                self.auto_fold = false;
                for n in self.nodes.iter_mut().skip(1) {
                    n.expanded = false;
                }
                self.visible.dirty = true;
            }
        }
        self.visible.new_topics = true;
        cur
    }

    fn child(&mut self, parent: NodeId, name: &str, src: &Rc<str>, start: usize, end: usize, depth: u16) -> NodeId {
        let pos = {
            let nodes = &self.nodes;
            nodes[parent as usize].children.binary_search_by(|&c| natural_cmp(nodes[c as usize].name(), name))
        };
        match pos {
            Ok(i) => self.nodes[parent as usize].children[i],
            Err(i) => {
                let id = self.nodes.len() as NodeId;
                // `$SYS` and friends start folded: they are the broker's chatter, not the user's data.
                // In a tree of many topics, a new level starts folded like the others.
                let many = self.nodes[ROOT as usize].topics >= FOLD_FROM_TOPICS;
                let expanded = !(many || (depth == 0 && name.starts_with('$')));
                self.nodes.push(Node::new(src.clone(), start as u32, end as u32, parent, depth, expanded));
                self.nodes[parent as usize].children.insert(i, id);
                self.bytes += NODE_COST;
                id
            }
        }
    }

    /// Whether a node has anything to show: a non-excluded topic in its subtree.
    fn shown(&self, id: NodeId) -> bool {
        let n = &self.nodes[id as usize];
        let hidden = if self.hide_cleared { n.cleared_topics } else { 0 };
        n.topics > hidden
    }

    pub fn set_expanded(&mut self, id: NodeId, expanded: bool) -> bool {
        let n = &mut self.nodes[id as usize];
        if n.children.is_empty() || n.expanded == expanded {
            return false;
        }
        n.expanded = expanded;
        self.visible.dirty = true;
        self.auto_fold = false;
        true
    }

    /// Expands or folds every node (folding keeps the top level visible).
    pub fn set_all_expanded(&mut self, expanded: bool) {
        self.auto_fold = false;
        for n in self.nodes.iter_mut().skip(1) {
            n.expanded = expanded;
        }
        self.visible.dirty = true;
    }

    /// The visible rows, rebuilt when needed. `now_ms` paces reordering for time-based sorts.
    pub fn rows(&mut self, now_ms: u64) -> &[NodeId] {
        self.rows_for(now_ms, false)
    }

    /// `rows` for a frame or key handler that answers the user's input (`input`): in a big tree
    /// the periodic re-sort and the merge of new topics wait for the next frame drawn for data,
    /// so a key is never behind a rebuild of 100,000 rows it did not ask for (folding, filtering
    /// and sorting, which it did ask for, still rebuild at once). Overdue ones happen anyway, so
    /// keys held down cannot freeze the order.
    pub fn rows_for(&mut self, now_ms: u64, input: bool) -> &[NodeId] {
        let v = &self.visible;
        let big = v.rows.len() >= BIG_TREE_ROWS;
        let wait = if input && big { INPUT_DEFER_MS } else { 0 };
        let stale_order = self.sort != SortBy::Name && now_ms >= v.built_ms + RESORT_MS + wait;
        let stale_shape = v.new_topics && (!big || now_ms >= v.built_ms + RESHAPE_MS + wait);
        if v.dirty || stale_order || stale_shape {
            self.rebuild(now_ms);
        }
        &self.visible.rows
    }

    /// The rows as last built, without rebuilding (for rendering from `&self`).
    pub fn cached_rows(&self) -> &[NodeId] {
        &self.visible.rows
    }

    pub fn rows_dirty(&self) -> bool {
        self.visible.dirty || self.visible.new_topics
    }

    fn rebuild(&mut self, now_ms: u64) {
        let mut rows = std::mem::take(&mut self.visible.rows);
        rows.clear();
        let now_sec = (now_ms / 1000) as u32;
        match &self.filter {
            None => self.push_rows(now_sec, &mut rows, None),
            Some(f) => {
                // Matching topics and the levels above them, all shown unfolded.
                let mut keep = vec![false; self.nodes.len()];
                for (path, &id) in &self.by_topic {
                    if self.nodes[id as usize].excluded || !f.matches(path) {
                        continue;
                    }
                    let mut up = id;
                    while up != ROOT && !keep[up as usize] {
                        keep[up as usize] = true;
                        up = self.nodes[up as usize].parent;
                    }
                }
                self.push_rows(now_sec, &mut rows, Some(&keep));
            }
        }
        self.visible = Visible { rows, dirty: false, new_topics: false, built_ms: now_ms };
    }

    /// Appends the rows depth first, siblings in the chosen order, without recursion (a topic may
    /// have thousands of levels) and without an allocation per node. With `keep` (a filter) only
    /// kept nodes are rows, shown unfolded.
    fn push_rows(&self, now_sec: u32, rows: &mut Vec<NodeId>, keep: Option<&[bool]>) {
        let mut stack: Vec<NodeId> = Vec::new();
        let mut kids: Vec<NodeId> = Vec::new();
        let mut parent = ROOT;
        loop {
            let n = &self.nodes[parent as usize];
            if parent == ROOT || ((n.expanded || keep.is_some()) && !n.children.is_empty()) {
                kids.clear();
                kids.extend(
                    n.children.iter().copied().filter(|&c| self.shown(c) && keep.is_none_or(|k| k[c as usize])),
                );
                self.sort_siblings(&mut kids, now_sec);
                stack.extend(kids.iter().rev());
            }
            let Some(next) = stack.pop() else { break };
            rows.push(next);
            parent = next;
        }
    }

    fn sort_siblings(&self, kids: &mut [NodeId], now_sec: u32) {
        match self.sort {
            SortBy::Name => {}
            SortBy::Activity => kids.sort_by_key(|&c| std::cmp::Reverse(self.nodes[c as usize].sub.last_ms)),
            SortBy::Rate => kids.sort_by_key(|&c| {
                let n = &self.nodes[c as usize];
                (std::cmp::Reverse(n.sub.rate.per_second(now_sec)), std::cmp::Reverse(n.sub.last_ms))
            }),
        }
    }

    /// Resets a topic's own counters (its history was cleared); subtree totals keep their counts.
    pub fn clear_topic(&mut self, id: NodeId) {
        let n = &mut self.nodes[id as usize];
        n.own.rate = RateTrack::default();
        n.own.byte_rate = RateTrack::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tree: &mut TopicTree) -> Vec<String> {
        let rows: Vec<NodeId> = tree.rows(0).to_vec();
        rows.iter()
            .map(|&id| {
                let n = tree.node(id);
                format!("{}{}", "  ".repeat(n.depth as usize), n.name())
            })
            .collect()
    }

    #[test]
    fn topics_become_levels_with_subtree_totals() {
        let mut t = TopicTree::new(vec![]);
        t.record("sensors/kitchen/temp", 4, 1_000, false);
        t.record("sensors/kitchen/temp", 4, 2_000, true);
        t.record("sensors/garage", 10, 3_000, false);
        // 0 sensors
        // 1   garage
        // 2   kitchen
        // 3     temp
        assert_eq!(names(&mut t), ["sensors", "  garage", "  kitchen", "    temp"]);
        let first = t.rows(0)[0];
        let sensors = t.node(first);
        assert_eq!((sensors.sub.count, sensors.sub.bytes, sensors.sub.last_ms, sensors.topics), (3, 18, 3_000, 2));
        let temp = t.node(t.find("sensors/kitchen/temp").unwrap());
        assert_eq!((temp.own.count, temp.retained, temp.path()), (2, true, "sensors/kitchen/temp"));
        assert_eq!(t.root().sub.count, 3);
    }

    #[test]
    fn folding_hides_children_and_sys_starts_folded() {
        let mut t = TopicTree::new(vec![]);
        t.record("$SYS/broker/load", 1, 0, false);
        t.record("a/b", 1, 0, false);
        assert_eq!(names(&mut t), ["$SYS", "a", "  b"]);
        let a = t.find("a/b").map(|id| t.node(id).parent).unwrap();
        assert!(t.set_expanded(a, false));
        assert_eq!(names(&mut t), ["$SYS", "a"]);
        t.set_all_expanded(true);
        assert_eq!(names(&mut t), ["$SYS", "  broker", "    load", "a", "  b"]);
    }

    #[test]
    fn levels_sort_naturally() {
        let mut t = TopicTree::new(vec![]);
        for topic in ["t10", "t2", "t1", "t/b", "T3", "a01", "a1", "x/v10", "x/v9"] {
            t.record(topic, 1, 0, false);
        }
        // Case counts, as in MQTT; numbers by value, then leading zeros.
        assert_eq!(names(&mut t), ["T3", "a1", "a01", "t", "  b", "t1", "t2", "t10", "x", "  v9", "  v10"]);
        assert_eq!(t.topic_count(), 9, "a01 and a1 stay two topics");
        assert_ne!(natural_cmp("a1", "a01"), std::cmp::Ordering::Equal);
    }

    #[test]
    fn a_tree_of_many_topics_opens_on_its_first_level() {
        let mut t = TopicTree::new(vec![]);
        for i in 0..FOLD_FROM_TOPICS - 1 {
            t.record(&format!("dev/{i}/temp"), 1, 0, false);
        }
        assert_eq!(t.rows(0).len(), 1 + 2 * (FOLD_FROM_TOPICS as usize - 1), "few topics: unfolded");
        t.record("dev/last/temp", 1, 0, false);
        t.record("other/x", 1, 0, false);
        assert_eq!(names(&mut t), ["dev", "other"], "many topics: the first level only");
        let dev = t.rows(0)[0];
        t.set_expanded(dev, true);
        assert_eq!(t.rows(0).len(), 2 + FOLD_FROM_TOPICS as usize, "its children, folded");
        t.record("dev/new/temp", 1, 0, false);
        let new = t.find("dev/new/temp").map(|id| t.node(id).parent).unwrap();
        assert!(!t.node(new).expanded, "a level created in a big tree starts folded");
        // A user who unfolded everything before the tree grew keeps it unfolded.
        let mut t = TopicTree::new(vec![]);
        t.record("a/b", 1, 0, false);
        t.set_all_expanded(true);
        for i in 0..FOLD_FROM_TOPICS {
            t.record(&format!("a/{i}"), 1, 0, false);
        }
        let a = t.rows(0)[0];
        assert!(t.node(a).expanded);
    }

    #[test]
    fn topics_whose_retained_message_was_cleared_can_be_hidden() {
        let mut t = TopicTree::new(vec![]);
        t.record("plant/a/state", 2, 0, true);
        t.record("plant/b/state", 2, 0, true);
        t.record("plant/b/state", 0, 0, false);
        t.record("gone/x", 0, 0, false);
        assert_eq!(t.cleared_count(), 2);
        assert_eq!(names(&mut t).len(), 7, "shown until hidden");
        t.set_hide_cleared(true);
        assert_eq!(names(&mut t), ["plant", "  a", "    state"], "empty levels go with them");
        t.record("plant/b/state", 2, 0, true);
        assert_eq!(names(&mut t), ["plant", "  a", "    state", "  b", "    state"], "a new value shows it again");
        assert_eq!(t.cleared_count(), 1);
        t.set_hide_cleared(false);
        assert_eq!(names(&mut t).len(), 7);
    }

    #[test]
    fn excluded_topics_are_hidden_but_counted() {
        let mut t = TopicTree::new(vec!["$SYS/#".into(), "noise/+".into()]);
        t.record("$SYS/broker/uptime", 1, 0, false);
        t.record("noise/x", 1, 0, false);
        t.record("keep/x", 1, 0, false);
        assert_eq!(names(&mut t), ["keep", "  x"]);
        assert_eq!((t.excluded_messages, t.excluded_topics, t.root().sub.count), (2, 2, 3));
    }

    #[test]
    fn filter_by_substring_or_wildcard_keeps_ancestors() {
        let mut t = TopicTree::new(vec![]);
        for topic in ["home/kitchen/temp", "home/garage/door", "office/temp"] {
            t.record(topic, 1, 0, false);
        }
        t.set_filter(TopicFilter::parse("TEMP"));
        assert_eq!(names(&mut t), ["home", "  kitchen", "    temp", "office", "  temp"]);
        t.set_filter(TopicFilter::parse("home/+/door"));
        assert_eq!(names(&mut t), ["home", "  garage", "    door"]);
        t.set_filter(None);
        assert_eq!(names(&mut t).len(), 7);
    }

    #[test]
    fn sort_by_activity_and_rate() {
        let mut t = TopicTree::new(vec![]);
        t.record("old", 1, 1_000, false);
        t.record("new", 1, 5_000, false);
        for _ in 0..3 {
            t.record("busy", 1, 4_000, false);
        }
        t.set_sort(SortBy::Activity);
        assert_eq!(names(&mut t), ["new", "busy", "old"]);
        t.set_sort(SortBy::Rate);
        let first = t.rows(5_000)[0];
        assert_eq!(t.node(first).name(), "busy");
    }

    #[test]
    fn empty_levels_are_kept() {
        let mut t = TopicTree::new(vec![]);
        t.record("/leading", 1, 0, false);
        t.record("a//b", 1, 0, false);
        assert_eq!(names(&mut t), ["", "  leading", "a", "  ", "    b"]);
        assert_eq!(t.node(t.find("a//b").unwrap()).path(), "a//b");
    }

    #[test]
    fn a_big_tree_takes_in_new_topics_at_most_every_reshape_interval() {
        let mut t = TopicTree::new(vec![]);
        // Unfolded by the user before it grew: it stays so.
        t.set_all_expanded(true);
        for i in 0..BIG_TREE_ROWS {
            t.record(&format!("big/{i}"), 1, 0, false);
        }
        assert_eq!(t.rows(0).len(), BIG_TREE_ROWS + 1);
        t.record("big/new", 1, 100, false);
        assert!(t.rows_dirty());
        assert_eq!(t.rows(100).len(), BIG_TREE_ROWS + 1, "not yet: the rows were built 100 ms ago");
        assert_eq!(t.rows(RESHAPE_MS).len(), BIG_TREE_ROWS + 2);
        assert!(!t.rows_dirty());
        // Folding is the user's doing: at once.
        let big = t.rows(RESHAPE_MS)[0];
        t.record("big/newer", 1, RESHAPE_MS + 1, false);
        assert!(t.set_expanded(big, false));
        assert_eq!(t.rows(RESHAPE_MS + 1).len(), 1);
    }
}

#[cfg(test)]
mod deep_tests {
    use super::*;

    #[test]
    fn a_topic_of_many_levels_is_capped_and_costs_one_copy() {
        let mut t = TopicTree::new(vec![]);
        let topic = "/".repeat(65_534);
        let id = t.record(&topic, 1, 0, false);
        assert_eq!(t.node(id).depth as usize, MAX_DEPTH - 1);
        assert_eq!(t.node(id).path(), topic, "the last level holds the rest");
        assert_eq!(t.len(), MAX_DEPTH);
        let deep = "a/".repeat(40) + "z";
        let id = t.record(&deep, 1, 0, false);
        assert_eq!(t.node(id).path(), deep);
        assert_eq!(t.find(&deep), Some(id));
        assert_eq!(t.node(t.node(id).parent).path(), "a/".repeat(MAX_DEPTH - 1).trim_end_matches('/'));
    }
}

#[cfg(test)]
mod retained_tests {
    use super::*;

    #[test]
    fn a_retained_message_stays_marked_through_live_updates_until_an_empty_one_clears_it() {
        let mut t = TopicTree::new(vec![]);
        let id = t.record("cfg/a", 3, 0, true);
        assert!(t.node(id).retained);
        t.record("cfg/a", 4, 1, false);
        assert!(t.node(id).retained, "a live update (forwarded with retain off) keeps it");
        t.record("cfg/a", 0, 2, false);
        assert!(!t.node(id).retained, "an empty message clears it");
        let live = t.record("live/x", 5, 3, false);
        assert!(!t.node(live).retained);
    }
}
