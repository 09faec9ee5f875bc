//! What every client of a run adds to: counts, latency histograms, sequence trackers, errors. Plain
//! data behind one lock; the clients take it once per batch, the runner once a second.

use super::stamp::{self, Stamp};
use super::track::Tracker;
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

/// Latencies are recorded in nanoseconds, up to an hour, to three significant digits.
const HIGHEST_NS: u64 = 3_600 * 1_000_000_000;

pub fn histogram() -> Histogram<u64> {
    // Provably infallible: low >= 1, high >= 2 * low, sigfig <= 5.
    #[allow(clippy::expect_used)]
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("constant histogram bounds are valid")
}

/// Counters that only grow; a per-second line is the difference of two of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Handed to the session (publishers).
    pub sent: u64,
    pub sent_bytes: u64,
    /// Acknowledged (QoS 1/2) or written (QoS 0).
    pub acked: u64,
    /// Refused by the broker or not sendable.
    pub publish_failed: u64,
    pub received: u64,
    pub received_bytes: u64,
    /// Received messages without a bench header (other traffic on the filter): counted, not timed.
    pub unstamped: u64,
    /// Received while warming up: counted and tracked, not timed.
    pub warmup: u64,
}

#[derive(Debug)]
pub struct Stats {
    pub counts: Counts,
    /// Every timed message of the run.
    pub total: Histogram<u64>,
    /// Since the last per-second line.
    pub interval: Histogram<u64>,
    /// Messages scheduled before this (ns since the epoch) are warm-up and not timed.
    pub timed_from_ns: u64,
    /// Keyed by (subscriber slot, publisher): each subscriber sees every publisher, except in a shared
    /// subscription, where the group as a whole is one slot.
    pub trackers: HashMap<(u32, u64), Tracker>,
    /// Connected clients right now.
    pub connected: u64,
    /// Failures by reason (sanitised text), e.g. "connection refused" or "disconnected: ...".
    pub errors: BTreeMap<String, u64>,
    /// The same figures per node, indexed as the run's nodes; they add up to the totals above.
    pub nodes: Vec<NodeStats>,
    /// Timed messages by (publisher's node, subscriber's node), for this run's own publishers.
    pub pairs: BTreeMap<(usize, usize), Histogram<u64>>,
    /// This run's publishers: their run id and the node of each (by client number).
    pub run: u32,
    pub publisher_nodes: Vec<usize>,
}

/// What happened on one node: its clients' counts, connections, errors and latency (of the messages
/// its subscribers received).
#[derive(Debug)]
pub struct NodeStats {
    pub counts: Counts,
    pub connected: u64,
    /// Clients that said they were ready, and that failed to (by the ready deadline).
    pub ready: u64,
    pub failed: u64,
    pub errors: BTreeMap<String, u64>,
    pub total: Histogram<u64>,
    pub interval: Histogram<u64>,
}

impl Default for NodeStats {
    fn default() -> Self {
        Self {
            counts: Counts::default(),
            connected: 0,
            ready: 0,
            failed: 0,
            errors: BTreeMap::new(),
            total: histogram(),
            interval: histogram(),
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            counts: Counts::default(),
            total: histogram(),
            interval: histogram(),
            timed_from_ns: 0,
            trackers: HashMap::new(),
            connected: 0,
            errors: BTreeMap::new(),
            nodes: Vec::new(),
            pairs: BTreeMap::new(),
            run: 0,
            publisher_nodes: Vec::new(),
        }
    }
}

impl Stats {
    /// Stats for a run over `nodes` nodes whose publishers (run id `run`) sit on `publisher_nodes`.
    pub fn for_nodes(nodes: usize, run: u32, publisher_nodes: Vec<usize>) -> Self {
        Self {
            nodes: (0..nodes.max(1)).map(|_| NodeStats::default()).collect(),
            run,
            publisher_nodes,
            ..Self::default()
        }
    }

    /// The stats of node `n`; grows the list for a node it has not seen (never panics).
    pub fn node(&mut self, n: usize) -> &mut NodeStats {
        if self.nodes.len() <= n {
            self.nodes.resize_with(n + 1, NodeStats::default);
        }
        &mut self.nodes[n]
    }

    /// One received message by a subscriber on `node`: counted, tracked by publisher and, after
    /// warm-up, timed (for the node, and for the pair of nodes when the publisher is this run's).
    pub fn received(&mut self, slot: u32, node: usize, payload: &[u8], at: SystemTime) {
        self.counts.received += 1;
        self.counts.received_bytes += payload.len() as u64;
        let n = self.node(node);
        n.counts.received += 1;
        n.counts.received_bytes += payload.len() as u64;
        let Some(s) = Stamp::read(payload) else {
            self.counts.unstamped += 1;
            self.node(node).counts.unstamped += 1;
            return;
        };
        self.trackers.entry((slot, s.publisher())).or_default().see(s.seq);
        if s.scheduled_ns < self.timed_from_ns {
            self.counts.warmup += 1;
            self.node(node).counts.warmup += 1;
            return;
        }
        let ns = stamp::latency_ns(s.scheduled_ns, at).max(1);
        self.total.saturating_record(ns);
        self.interval.saturating_record(ns);
        let n = self.node(node);
        n.total.saturating_record(ns);
        n.interval.saturating_record(ns);
        let from = (s.run == self.run).then(|| self.publisher_nodes.get(s.client as usize).copied()).flatten();
        if let Some(from) = from {
            self.pairs.entry((from, node)).or_insert_with(histogram).saturating_record(ns);
        }
    }

    /// A publish handed to the session by a publisher on `node`.
    pub fn sent(&mut self, node: usize, bytes: u64) {
        self.counts.sent += 1;
        self.counts.sent_bytes += bytes;
        let n = self.node(node);
        n.counts.sent += 1;
        n.counts.sent_bytes += bytes;
    }

    /// A publish acknowledged (`Ok`) or refused, on `node`.
    pub fn published(&mut self, node: usize, refused: Option<String>) {
        match refused {
            None => {
                self.counts.acked += 1;
                self.node(node).counts.acked += 1;
            }
            Some(reason) => {
                self.counts.publish_failed += 1;
                self.node(node).counts.publish_failed += 1;
                self.error_at(node, reason);
            }
        }
    }

    /// A client on `node` connected (`true`) or went away.
    pub fn connection(&mut self, node: usize, up: bool) {
        if up {
            self.connected += 1;
            self.node(node).connected += 1;
        } else {
            self.connected = self.connected.saturating_sub(1);
            let n = self.node(node);
            n.connected = n.connected.saturating_sub(1);
        }
    }

    /// A failure on `node`, counted there and in the totals.
    pub fn error_at(&mut self, node: usize, reason: impl Into<String>) {
        self.error_n(node, reason, 1);
    }

    pub fn error_n(&mut self, node: usize, reason: impl Into<String>, n: u64) {
        let reason = reason.into();
        *self.node(node).errors.entry(reason.clone()).or_default() += n;
        *self.errors.entry(reason).or_default() += n;
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// p50 … max of a histogram, in nanoseconds; `None` when it is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p99_9: u64,
    pub p99_99: u64,
    pub max: u64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let q = |q: f64| h.value_at_quantile(q);
        Some(Self {
            count: h.len(),
            min: h.min(),
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p99_9: q(0.999),
            p99_99: q(0.9999),
            max: h.max(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn payload(client: u32, seq: u64, scheduled_ns: u64) -> Vec<u8> {
        let mut p = vec![0; stamp::LEN];
        Stamp { run: 1, client, seq, scheduled_ns }.write(&mut p);
        p
    }

    #[test]
    fn stamped_messages_are_timed_after_warm_up_and_tracked_always() {
        let mut s = Stats { timed_from_ns: 1_000_000_000, ..Stats::default() };
        let at = UNIX_EPOCH + Duration::from_millis(2000);
        s.received(0, 0, &payload(0, 0, 500_000_000), at); // warm-up
        s.received(0, 0, &payload(0, 1, 1_500_000_000), at); // 500 ms
        s.received(0, 0, b"not ours", at);
        assert_eq!((s.counts.received, s.counts.warmup, s.counts.unstamped), (3, 1, 1));
        let p = Percentiles::of(&s.total).expect("one timed message");
        assert_eq!(p.count, 1);
        assert!(p.p50.abs_diff(500_000_000) < 1_000_000, "{p:?}");
        assert_eq!(s.trackers[&(0, (1 << 32))].unique, 2);
    }

    #[test]
    fn per_node_figures_add_up_to_the_totals() {
        // Publisher 0 on node 0, publisher 1 on node 1; subscribers on nodes 1 and 2.
        let mut s = Stats::for_nodes(3, 1, vec![0, 1]);
        let at = UNIX_EPOCH + Duration::from_millis(2000);
        for (node, bytes) in [(0, 10), (0, 10), (1, 20)] {
            s.sent(node, bytes);
        }
        s.published(0, None);
        s.published(1, Some("publish refused: quota".into()));
        s.received(0, 1, &payload(0, 0, 1_999_000_000), at); // 1 ms, 0 -> 1
        s.received(1, 2, &payload(0, 0, 1_998_000_000), at); // 2 ms, 0 -> 2
        s.received(1, 2, &payload(1, 0, 1_997_000_000), at); // 3 ms, 1 -> 2
        s.received(1, 2, b"someone else's", at);
        s.connection(0, true);
        s.connection(2, true);
        s.connection(2, false);
        s.error_n(2, "connection refused", 2);
        let sum = |f: &dyn Fn(&NodeStats) -> u64| s.nodes.iter().map(f).sum::<u64>();
        assert_eq!(sum(&|n| n.counts.sent), s.counts.sent);
        assert_eq!(sum(&|n| n.counts.sent_bytes), 40);
        assert_eq!(sum(&|n| n.counts.acked), s.counts.acked);
        assert_eq!(sum(&|n| n.counts.publish_failed), s.counts.publish_failed);
        assert_eq!(sum(&|n| n.counts.received), s.counts.received);
        assert_eq!(sum(&|n| n.counts.unstamped), s.counts.unstamped);
        assert_eq!(sum(&|n| n.total.len()), s.total.len());
        assert_eq!(sum(&|n| n.connected), s.connected);
        assert_eq!(sum(&|n| n.errors.values().sum()), s.error_count());
        assert_eq!((s.nodes[1].counts.received, s.nodes[2].counts.received), (1, 3));
        assert_eq!(s.nodes[2].errors["connection refused"], 2);
        // Pairs: every timed message of this run's publishers once, under its two nodes.
        let pairs: Vec<((usize, usize), u64)> = s.pairs.iter().map(|(k, h)| (*k, h.len())).collect();
        assert_eq!(pairs, [((0, 1), 1), ((0, 2), 1), ((1, 2), 1)]);
        assert_eq!(s.pairs.values().map(Histogram::len).sum::<u64>(), s.total.len());
    }

    #[test]
    fn messages_of_another_run_count_on_the_node_but_in_no_pair() {
        let mut s = Stats::for_nodes(2, 7, vec![0]);
        let at = UNIX_EPOCH + Duration::from_millis(2000);
        s.received(0, 1, &payload(0, 0, 1_999_000_000), at); // run 1, not ours
        s.received(0, 5, &payload(0, 1, 1_999_000_000), at); // a node index never named: grows, no panic
        assert_eq!((s.nodes[1].counts.received, s.nodes[5].counts.received), (1, 1));
        assert!(s.pairs.is_empty());
    }

    #[test]
    fn percentiles_are_ordered() {
        let mut h = histogram();
        for v in 1..=100_000u64 {
            h.saturating_record(v * 1000);
        }
        let p = Percentiles::of(&h).expect("not empty");
        assert!(p.min <= p.p50 && p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p99_9);
        assert!(p.p99_9 <= p.p99_99 && p.p99_99 <= p.max);
        assert!(Percentiles::of(&histogram()).is_none());
    }
}
