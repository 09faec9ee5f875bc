//! The traffic view's numbers. Per message only O(1) counters are kept here (QoS, retained, payload
//! size bucket); the per-topic rates live in the topic tree. Rankings are computed when the view is
//! drawn, by a partial selection (`select_nth_unstable_by`) over the topics with traffic, so a flood
//! costs nothing extra and a frame over 100,000 topics stays one linear pass.

use super::store::Store;
use super::topics::{NodeId, ROOT, TopicTree};
use crate::codec::QoS;
use crate::sanitize;
use std::cmp::Reverse;

/// Payload size buckets (powers of four) and their labels.
pub const SIZE_LABELS: [&str; 10] =
    ["0", "1-15", "16-63", "64-255", "256-1K", "1-4K", "4-16K", "16-64K", "64-256K", "256K+"];

/// Which bucket of `SIZE_LABELS` a payload of `len` bytes falls in.
pub fn size_bucket(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let bits = (usize::BITS - len.leading_zeros()) as usize;
    ((bits - 1) / 2).clamp(1, SIZE_LABELS.len() - 1)
}

/// Counters over every message received: QoS, retained flag and payload size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub messages: u64,
    pub qos: [u64; 3],
    pub retained: u64,
    pub sizes: [u64; SIZE_LABELS.len()],
}

impl Totals {
    /// O(1): called once per message.
    pub fn record(&mut self, qos: QoS, retain: bool, len: usize) {
        self.messages += 1;
        self.qos[usize::from(qos.as_u8().min(2))] += 1;
        self.retained += u64::from(retain);
        self.sizes[size_bucket(len)] += 1;
    }

    /// Percentage of `n` in all messages (0 when there are none).
    pub fn percent(&self, n: u64) -> f64 {
        if self.messages == 0 { 0.0 } else { n as f64 * 100.0 / self.messages as f64 }
    }
}

/// What the bars rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    #[default]
    Messages,
    Bytes,
}

impl RankBy {
    pub fn next(self) -> Self {
        match self {
            Self::Messages => Self::Bytes,
            Self::Bytes => Self::Messages,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Messages => "msgs/s",
            Self::Bytes => "bytes/s",
        }
    }
}

/// One bar: a topic or subtree with its rates over the last complete second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranked {
    pub id: NodeId,
    pub msgs: u32,
    pub bytes: u32,
}

impl Ranked {
    pub fn value(&self, by: RankBy) -> u32 {
        match by {
            RankBy::Messages => self.msgs,
            RankBy::Bytes => self.bytes,
        }
    }
}

/// The `n` busiest of `candidates`, highest first (ties by node id, so the order is stable).
fn top(mut candidates: Vec<Ranked>, n: usize, by: RankBy) -> Vec<Ranked> {
    let key = |r: &Ranked| (Reverse(r.value(by)), Reverse(r.value(by.next())), r.id);
    if n == 0 {
        return Vec::new();
    }
    if candidates.len() > n {
        candidates.select_nth_unstable_by_key(n - 1, key);
        candidates.truncate(n);
    }
    candidates.sort_unstable_by_key(key);
    candidates
}

/// The busiest topics (own rates), excluded ones left out.
pub fn busiest_topics(tree: &TopicTree, now_sec: u32, n: usize, by: RankBy) -> Vec<Ranked> {
    let candidates = tree
        .nodes()
        .filter(|(_, node)| node.is_topic && !node.excluded)
        .filter_map(|(id, node)| {
            let msgs = node.own.rate.per_second(now_sec);
            (msgs > 0).then(|| Ranked { id, msgs, bytes: node.own.byte_rate.per_second(now_sec) })
        })
        .collect();
    top(candidates, n, by)
}

/// The busiest subtrees `level` levels down (1: `sensors/`, 2: `sensors/kitchen/`), by subtree rates.
pub fn busiest_subtrees(tree: &TopicTree, now_sec: u32, level: u16, n: usize, by: RankBy) -> Vec<Ranked> {
    let depth = level.saturating_sub(1);
    let candidates = tree
        .nodes()
        .filter(|(id, node)| *id != ROOT && node.depth == depth && !node.children.is_empty() && node.topics > 0)
        .filter_map(|(id, node)| {
            let msgs = node.sub.rate.per_second(now_sec);
            (msgs > 0).then(|| Ranked { id, msgs, bytes: node.sub.byte_rate.per_second(now_sec) })
        })
        .collect();
    top(candidates, n, by)
}

/// A block of broker statistics from its `$SYS` topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerStats {
    /// "mosquitto" or "EMQX node emqx@host".
    pub source: String,
    /// (label, value as published, sanitised and cut short).
    pub rows: Vec<(&'static str, String)>,
}

/// mosquitto's `$SYS/broker/...` topics worth a row.
const MOSQUITTO: &[(&str, &str)] = &[
    ("version", "version"),
    ("uptime", "uptime"),
    ("clients connected", "clients/connected"),
    ("clients total", "clients/total"),
    ("subscriptions", "subscriptions/count"),
    ("retained messages", "retained messages/count"),
    ("messages received", "messages/received"),
    ("messages sent", "messages/sent"),
    ("bytes received", "bytes/received"),
    ("bytes sent", "bytes/sent"),
    ("load msgs in/1min", "load/messages/received/1min"),
    ("load msgs out/1min", "load/messages/sent/1min"),
    ("load bytes in/1min", "load/bytes/received/1min"),
    ("load bytes out/1min", "load/bytes/sent/1min"),
];

/// EMQX's `$SYS/brokers/<node>/...` topics worth a row.
const EMQX: &[(&str, &str)] = &[
    ("version", "version"),
    ("uptime", "uptime"),
    ("clients connected", "stats/connections/count"),
    ("subscriptions", "stats/subscriptions/count"),
    ("retained messages", "stats/retained/count"),
    ("messages received", "metrics/messages/received"),
    ("messages sent", "metrics/messages/sent"),
    ("bytes received", "metrics/bytes/received"),
    ("bytes sent", "metrics/bytes/sent"),
];

fn latest_text(tree: &TopicTree, store: &Store, path: &str) -> Option<String> {
    let id = tree.find(path)?;
    let m = store.latest(id)?;
    let text = String::from_utf8_lossy(m.payload());
    let text = sanitize::line(text.trim());
    Some(text.chars().take(40).collect())
}

fn block(tree: &TopicTree, store: &Store, source: String, prefix: &str, table: &[(&'static str, &str)]) -> BrokerStats {
    let rows = table
        .iter()
        .filter_map(|(label, suffix)| latest_text(tree, store, &format!("{prefix}/{suffix}")).map(|v| (*label, v)))
        .collect();
    BrokerStats { source, rows }
}

/// The broker's own statistics, for each layout found in the tree (a few lookups, no scan).
pub fn broker_stats(tree: &TopicTree, store: &Store) -> Vec<BrokerStats> {
    let mut out = Vec::new();
    let mosquitto = block(tree, store, "mosquitto $SYS/broker".into(), "$SYS/broker", MOSQUITTO);
    if !mosquitto.rows.is_empty() {
        out.push(mosquitto);
    }
    if let Some(brokers) = tree.find_node("$SYS/brokers") {
        for &node in tree.node(brokers).children.iter().take(8) {
            let name = tree.node(node).name();
            let source = format!("EMQX node {}", sanitize::line(name));
            let b = block(tree, store, source, &format!("$SYS/brokers/{name}"), EMQX);
            if !b.rows.is_empty() {
                out.push(b);
            }
        }
    }
    out
}

/// Rankings as of one second: the rates are per complete second, so they change only when the second
/// rolls over (or the ranking, level or screen changes); frames in between reuse them.
#[derive(Debug, Default)]
pub struct Rankings {
    key: Option<(u32, RankBy, u16, usize, usize)>,
    pub topics: Vec<Ranked>,
    pub subtrees: Vec<Ranked>,
}

impl super::App {
    /// Brings the traffic rankings up to date (only while the view is shown).
    pub(super) fn prepare_traffic(&mut self) {
        if self.view != super::View::Traffic {
            return;
        }
        let now_sec = (self.now_ms / 1000) as u32;
        let n = usize::from(self.size.height);
        let key = Some((now_sec, self.traffic.by, self.traffic.level, n, self.tree.len()));
        if self.rankings.key == key {
            return;
        }
        self.rankings.topics = busiest_topics(&self.tree, now_sec, n, self.traffic.by);
        self.rankings.subtrees = busiest_subtrees(&self.tree, now_sec, self.traffic.level, n, self.traffic.by);
        self.rankings.key = key;
    }

    pub(super) fn traffic_key(&mut self, key: super::Key) {
        use crossterm::event::KeyCode;
        match key.code {
            KeyCode::Char('b') => self.traffic.by = self.traffic.by.next(),
            KeyCode::Char('>') | KeyCode::Char(']') | KeyCode::Right => {
                self.traffic.level = (self.traffic.level + 1).min(8);
            }
            KeyCode::Char('<') | KeyCode::Char('[') | KeyCode::Left => {
                self.traffic.level = self.traffic.level.saturating_sub(1).max(1);
            }
            KeyCode::Char('$') => {
                if self.subs.holds(SYS_FILTER) {
                    self.notify(format!("already subscribed to '{SYS_FILTER}'"));
                } else {
                    let cmd = self.subs.subscribe(SYS_FILTER, QoS::AtMostOnce);
                    self.effects.push(super::Effect::Send(cmd));
                    self.notify(format!("subscribing to '{SYS_FILTER}' for the broker's statistics"));
                }
            }
            KeyCode::Esc => self.view = super::View::Dashboard,
            _ => {}
        }
    }
}

/// `#` does not match `$SYS` topics (MQTT 5 §4.7.2); the broker's statistics need their own filter.
pub const SYS_FILTER: &str = "$SYS/#";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_buckets_are_powers_of_four() {
        let got: Vec<usize> = [0, 1, 15, 16, 63, 64, 255, 256, 1023, 1024, 4096, 65_535, 262_144, 10 << 20]
            .iter()
            .map(|&n| size_bucket(n))
            .collect();
        assert_eq!(got, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 9, 9]);
    }

    #[test]
    fn totals_count_qos_retained_and_sizes() {
        let mut t = Totals::default();
        t.record(QoS::AtMostOnce, false, 0);
        t.record(QoS::AtLeastOnce, true, 20);
        t.record(QoS::ExactlyOnce, true, 20);
        t.record(QoS::AtLeastOnce, false, 2000);
        assert_eq!((t.messages, t.qos, t.retained), (4, [1, 2, 1], 2));
        assert_eq!((t.sizes[0], t.sizes[2], t.sizes[5]), (1, 2, 1));
        assert_eq!(t.percent(t.retained), 50.0);
    }

    #[test]
    fn rankings_pick_the_top_n_by_messages_or_bytes() {
        let mut tree = TopicTree::new(vec![]);
        let sec = 1_000u32;
        let ms = u64::from(sec) * 1000;
        for i in 0..50u64 {
            for _ in 0..=i {
                tree.record(&format!("a/t{i:02}"), 10, ms, false);
            }
        }
        // Few messages, many bytes.
        tree.record("b/big", 100_000, ms, false);
        let now = sec + 1;
        let by_msgs = busiest_topics(&tree, now, 3, RankBy::Messages);
        let names: Vec<&str> = by_msgs.iter().map(|r| tree.node(r.id).path()).collect();
        assert_eq!(names, ["a/t49", "a/t48", "a/t47"]);
        assert_eq!((by_msgs[0].msgs, by_msgs[0].bytes), (50, 500));
        let by_bytes = busiest_topics(&tree, now, 2, RankBy::Bytes);
        assert_eq!(tree.node(by_bytes[0].id).path(), "b/big");
        let subs = busiest_subtrees(&tree, now, 1, 5, RankBy::Messages);
        let names: Vec<&str> = subs.iter().map(|r| tree.node(r.id).path()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(subs[0].msgs, (1..=50).sum::<u32>());
        assert!(busiest_topics(&tree, now + 5, 3, RankBy::Messages).is_empty(), "idle topics drop out");
    }
}
