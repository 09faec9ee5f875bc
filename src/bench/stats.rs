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
        }
    }
}

impl Stats {
    /// One received message: counted, tracked by publisher and, after warm-up, timed.
    pub fn received(&mut self, slot: u32, payload: &[u8], at: SystemTime) {
        self.counts.received += 1;
        self.counts.received_bytes += payload.len() as u64;
        let Some(s) = Stamp::read(payload) else {
            self.counts.unstamped += 1;
            return;
        };
        self.trackers.entry((slot, s.publisher())).or_default().see(s.seq);
        if s.scheduled_ns < self.timed_from_ns {
            self.counts.warmup += 1;
            return;
        }
        let ns = stamp::latency_ns(s.scheduled_ns, at).max(1);
        self.total.saturating_record(ns);
        self.interval.saturating_record(ns);
    }

    pub fn error(&mut self, reason: impl Into<String>) {
        *self.errors.entry(reason.into()).or_default() += 1;
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
        s.received(0, &payload(0, 0, 500_000_000), at); // warm-up
        s.received(0, &payload(0, 1, 1_500_000_000), at); // 500 ms
        s.received(0, b"not ours", at);
        assert_eq!((s.counts.received, s.counts.warmup, s.counts.unstamped), (3, 1, 1));
        let p = Percentiles::of(&s.total).expect("one timed message");
        assert_eq!(p.count, 1);
        assert!(p.p50.abs_diff(500_000_000) < 1_000_000, "{p:?}");
        assert_eq!(s.trackers[&(0, (1 << 32))].unique, 2);
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
