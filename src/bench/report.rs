//! The results of a run: the per-second line, the final report as text and as JSON, and the
//! HdrHistogram interval log. Pure formatting; the runner does the writing.

use super::schedule::Lag;
use super::stats::{Counts, Percentiles, Stats};
use super::track::Tracker;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// One second of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// Seconds since publishing started (or since the subscribers were ready).
    pub second: u64,
    pub sent: u64,
    pub received: u64,
    pub latency_ns: Option<Percentiles>,
    pub connected: u64,
    pub errors: u64,
    /// The same second per node (received and latency: of the node's subscribers).
    pub nodes: Vec<NodeTick>,
}

/// One second on one node.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NodeTick {
    /// 1, 2, … in the order the nodes were named (see the report's `nodes`).
    pub node: usize,
    pub sent: u64,
    pub received: u64,
    pub latency_ns: Option<Percentiles>,
    pub connected: u64,
    pub errors: u64,
}

impl Tick {
    /// The line of the second; with more than one node, an indented line per node follows.
    pub fn line(&self) -> String {
        let mut out = format!(
            "{:>5}s  sent {:>8}/s  recv {:>8}/s  conns {:>6}  errors {}",
            self.second, self.sent, self.received, self.connected, self.errors
        );
        if let Some(p) = &self.latency_ns {
            let _ = write!(out, "  latency p50 {}  p99 {}  max {}", ms(p.p50), ms(p.p99), ms(p.max));
        }
        if self.nodes.len() > 1 {
            for n in &self.nodes {
                let _ = write!(
                    out,
                    "\n        node {:<2} sent {:>8}/s  recv {:>8}/s  conns {:>6}  errors {}",
                    n.node, n.sent, n.received, n.connected, n.errors
                );
                if let Some(p) = &n.latency_ns {
                    let _ = write!(out, "  latency p50 {}  p99 {}  max {}", ms(p.p50), ms(p.p99), ms(p.max));
                }
            }
        }
        out
    }
}

/// Nanoseconds as milliseconds with three decimals.
pub fn ms(ns: u64) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

/// What the run was asked to do, as the report repeats it.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub mode: &'static str,
    /// Password masked.
    pub urls: Vec<String>,
    pub mqtt: String,
    pub publishers: u64,
    pub subscribers: u64,
    pub qos: Option<u8>,
    pub sub_qos: Option<u8>,
    /// Per client; `None` as fast as possible.
    pub rate: Option<f64>,
    pub count: Option<u64>,
    pub payload_bytes: Option<usize>,
    pub topic: Option<String>,
    pub filter: Option<String>,
    pub shared: Option<String>,
    pub retain: bool,
    pub warmup_s: f64,
    pub duration_s: Option<f64>,
}

/// Loss accounting of one publisher, summed over the subscribers that should have seen it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublisherLoss {
    pub publisher: String,
    /// `None` when the publisher ran in another process.
    pub sent: Option<u64>,
    pub received: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Loss {
    /// The QoS messages were delivered with: the lower of publish and subscription QoS.
    pub qos: Option<u8>,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    pub per_publisher: Vec<PublisherLoss>,
}

/// Sums the trackers per publisher. `sent` gives each local publisher's count (by publisher key);
/// `copies` is how many subscriber slots should see each message.
pub fn loss(
    trackers: &std::collections::HashMap<(u32, u64), Tracker>,
    sent: &BTreeMap<u64, u64>,
    copies: u64,
    qos: Option<u8>,
) -> Loss {
    let mut per: BTreeMap<u64, PublisherLoss> = BTreeMap::new();
    let name = |key: u64| format!("{:08x}/{}", key >> 32, key & 0xffff_ffff);
    for (&key, &n) in sent {
        per.insert(
            key,
            PublisherLoss {
                publisher: name(key),
                sent: Some(n),
                received: 0,
                lost: n * copies,
                duplicated: 0,
                out_of_order: 0,
            },
        );
    }
    let mut seen: BTreeMap<u64, Vec<&Tracker>> = BTreeMap::new();
    for ((_, key), t) in trackers {
        seen.entry(*key).or_default().push(t);
    }
    for (key, ts) in seen {
        let known = sent.get(&key).copied();
        let e = per.entry(key).or_insert_with(|| PublisherLoss {
            publisher: name(key),
            sent: None,
            received: 0,
            lost: 0,
            duplicated: 0,
            out_of_order: 0,
        });
        e.received = ts.iter().map(|t| t.unique + t.duplicated).sum();
        e.duplicated = ts.iter().map(|t| t.duplicated).sum();
        e.out_of_order = ts.iter().map(|t| t.out_of_order).sum();
        e.lost = match known {
            // Slots that saw nothing of this publisher lost everything it sent.
            Some(n) => {
                let unseen = copies.saturating_sub(ts.len() as u64) * n;
                ts.iter().map(|t| t.lost(Some(n))).sum::<u64>() + unseen
            }
            None => ts.iter().map(|t| t.lost(None)).sum(),
        };
    }
    let per_publisher: Vec<PublisherLoss> = per.into_values().collect();
    Loss {
        qos,
        lost: per_publisher.iter().map(|p| p.lost).sum(),
        duplicated: per_publisher.iter().map(|p| p.duplicated).sum(),
        out_of_order: per_publisher.iter().map(|p| p.out_of_order).sum(),
        per_publisher,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    /// All publishers together.
    pub target_rate: f64,
    pub achieved_rate: f64,
    /// Sends more than 2 ms behind their scheduled time.
    pub late_sends: u64,
    /// More than 1% of the sends were late, or fewer were sent than scheduled: the machine (or the
    /// broker's back-pressure) could not keep the rate.
    pub missed: bool,
    pub max_lag_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mqscope: &'static str,
    pub hdrhistogram: &'static str,
    pub os: &'static str,
    pub arch: &'static str,
    /// The command line, passwords masked.
    pub command: Vec<String>,
    pub started_at: String,
    pub settings: Settings,
    /// From the start of publishing (or of counting) to the end of the drain.
    pub elapsed_s: f64,
    /// Publishing time: from the start to the moment publishers stopped.
    pub publish_s: f64,
    pub counts: Counts,
    pub send_rate: f64,
    pub receive_rate: f64,
    pub schedule: Option<Schedule>,
    /// Timed messages (warm-up excluded), from the scheduled send time to arrival.
    pub latency_ns: Option<Percentiles>,
    pub loss: Option<Loss>,
    pub connections: Connections,
    pub errors: BTreeMap<String, u64>,
    /// The same figures per node; they add up to the totals above.
    pub nodes: Vec<NodeReport>,
    /// Timed messages of this run's publishers by publisher's node and subscriber's node.
    pub node_pairs: Vec<PairReport>,
    pub per_second: Vec<Tick>,
    pub exit_code: u8,
}

/// One node's part of a run.
#[derive(Debug, Clone, Serialize)]
pub struct NodeReport {
    /// 1, 2, … in the order the nodes were named.
    pub node: usize,
    /// Password masked.
    pub url: String,
    pub publishers: u64,
    pub subscribers: u64,
    pub connections: Connections,
    /// Of its publishers (sent, acknowledged, failed) and its subscribers (received …).
    pub counts: Counts,
    pub errors: BTreeMap<String, u64>,
    /// Timed messages received by its subscribers.
    pub latency_ns: Option<Percentiles>,
}

/// Messages from publishers on one node to subscribers on another (or the same).
#[derive(Debug, Clone, Serialize)]
pub struct PairReport {
    pub from: usize,
    pub to: usize,
    pub latency_ns: Option<Percentiles>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Connections {
    pub planned: u64,
    pub connected: u64,
    pub failed: u64,
}

/// Fills the parts that come straight from the stats.
pub struct Inputs<'a> {
    pub stats: &'a Stats,
    pub settings: Settings,
    pub command: Vec<String>,
    pub started_at: String,
    pub elapsed: Duration,
    pub publish_time: Duration,
    pub lag: Lag,
    pub loss: Option<Loss>,
    pub connections: Connections,
    /// Publishers, subscribers and planned connections per node.
    pub node_clients: Vec<(u64, u64)>,
    pub per_second: Vec<Tick>,
    pub exit_code: u8,
}

/// The per-node part of the report from the stats.
pub fn nodes(stats: &Stats, urls: &[String], clients: &[(u64, u64)]) -> Vec<NodeReport> {
    stats
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (publishers, subscribers) = clients.get(i).copied().unwrap_or_default();
            let planned = publishers + subscribers;
            NodeReport {
                node: super::nodes::label(i),
                url: urls.get(i).cloned().unwrap_or_default(),
                publishers,
                subscribers,
                connections: Connections { planned, connected: planned.saturating_sub(n.failed), failed: n.failed },
                counts: n.counts,
                errors: n.errors.clone(),
                latency_ns: Percentiles::of(&n.total),
            }
        })
        .collect()
}

pub fn pairs(stats: &Stats) -> Vec<PairReport> {
    stats
        .pairs
        .iter()
        .map(|(&(from, to), h)| PairReport {
            from: super::nodes::label(from),
            to: super::nodes::label(to),
            latency_ns: Percentiles::of(h),
        })
        .collect()
}

pub fn build(i: Inputs<'_>) -> Report {
    let secs = i.elapsed.as_secs_f64().max(1e-9);
    let pub_secs = i.publish_time.as_secs_f64().max(1e-9);
    let c = i.stats.counts;
    let schedule = i.settings.rate.map(|r| Schedule {
        target_rate: r * i.settings.publishers as f64,
        achieved_rate: c.sent as f64 / pub_secs,
        late_sends: i.lag.late,
        missed: i.lag.late * 100 > c.sent || (c.sent as f64) < 0.99 * r * i.settings.publishers as f64 * pub_secs,
        max_lag_ms: i.lag.max.as_secs_f64() * 1e3,
    });
    Report {
        mqscope: env!("CARGO_PKG_VERSION"),
        hdrhistogram: "7.6",
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        command: i.command,
        started_at: i.started_at,
        elapsed_s: secs,
        publish_s: pub_secs,
        counts: c,
        send_rate: c.sent as f64 / pub_secs,
        receive_rate: c.received as f64 / secs,
        schedule,
        latency_ns: Percentiles::of(&i.stats.total),
        loss: i.loss,
        connections: i.connections,
        errors: i.stats.errors.clone(),
        nodes: nodes(i.stats, &i.settings.urls, &i.node_clients),
        node_pairs: pairs(i.stats),
        per_second: i.per_second,
        exit_code: i.exit_code,
        settings: i.settings,
    }
}

impl Report {
    pub fn text(&self) -> String {
        let s = &self.settings;
        let c = &self.counts;
        let mut o = String::new();
        let _ = writeln!(o, "mqscope bench {} against {}", s.mode, s.urls.join(", "));
        let _ = writeln!(
            o,
            "  clients     {} publisher(s), {} subscriber(s), MQTT {}, elapsed {:.2} s (publishing {:.2} s, warm-up {:.2} s)",
            s.publishers, s.subscribers, s.mqtt, self.elapsed_s, self.publish_s, s.warmup_s
        );
        if s.publishers > 0 {
            let _ = writeln!(
                o,
                "  sent        {} ({:.1}/s, {} bytes), acknowledged {}, failed {}",
                c.sent, self.send_rate, c.sent_bytes, c.acked, c.publish_failed
            );
        }
        if let Some(sc) = &self.schedule {
            let _ = writeln!(
                o,
                "  schedule    target {:.1}/s, achieved {:.1}/s, late sends {} (max {:.3} ms behind){}",
                sc.target_rate,
                sc.achieved_rate,
                sc.late_sends,
                sc.max_lag_ms,
                if sc.missed { "  MISSED SCHEDULE" } else { "" }
            );
        }
        if s.subscribers > 0 {
            let _ = writeln!(
                o,
                "  received    {} ({:.1}/s, {} bytes); warm-up {}, not from a bench publisher {}",
                c.received, self.receive_rate, c.received_bytes, c.warmup, c.unstamped
            );
        }
        if let Some(l) = &self.loss {
            let qos = l.qos.map_or_else(|| "?".to_owned(), |q| q.to_string());
            let _ = writeln!(
                o,
                "  accounting  QoS {qos}: lost {}, duplicated {}, out of order {}",
                l.lost, l.duplicated, l.out_of_order
            );
            for p in l.per_publisher.iter().filter(|p| p.lost + p.duplicated + p.out_of_order > 0).take(20) {
                let _ = writeln!(
                    o,
                    "    {}  sent {}  received {}  lost {}  duplicated {}  out of order {}",
                    p.publisher,
                    p.sent.map_or_else(|| "?".to_owned(), |n| n.to_string()),
                    p.received,
                    p.lost,
                    p.duplicated,
                    p.out_of_order
                );
            }
        }
        match &self.latency_ns {
            Some(p) => {
                let _ = writeln!(
                    o,
                    "  latency     p50 {}  p90 {}  p99 {}  p99.9 {}  p99.99 {}  max {}  (n={})",
                    ms(p.p50),
                    ms(p.p90),
                    ms(p.p99),
                    ms(p.p99_9),
                    ms(p.p99_99),
                    ms(p.max),
                    p.count
                );
            }
            None if s.subscribers > 0 => {
                let _ = writeln!(o, "  latency     no timed messages");
            }
            None => {}
        }
        let k = &self.connections;
        let _ = writeln!(o, "  connections {} of {} connected, {} failed", k.connected, k.planned, k.failed);
        for (reason, n) in &self.errors {
            let _ = writeln!(o, "  error       {n} x {reason}");
        }
        if self.nodes.len() > 1 {
            self.nodes_text(&mut o);
        }
        o
    }

    /// The per-node part: one block per node, then the node pairs.
    fn nodes_text(&self, o: &mut String) {
        for n in &self.nodes {
            let c = &n.counts;
            let k = &n.connections;
            let _ = writeln!(
                o,
                "  node {}      {}: {} publisher(s), {} subscriber(s), {} of {} connected, {} failed",
                n.node, n.url, n.publishers, n.subscribers, k.connected, k.planned, k.failed
            );
            if n.publishers > 0 {
                let _ = writeln!(
                    o,
                    "    sent      {} ({} bytes), acknowledged {}, failed {}",
                    c.sent, c.sent_bytes, c.acked, c.publish_failed
                );
            }
            if n.subscribers > 0 {
                let _ = writeln!(o, "    received  {} ({} bytes)", c.received, c.received_bytes);
            }
            if let Some(p) = &n.latency_ns {
                let _ = writeln!(o, "    latency   {}", short_percentiles(p));
            }
            for (reason, count) in &n.errors {
                let _ = writeln!(o, "    error     {count} x {reason}");
            }
        }
        for p in &self.node_pairs {
            if let Some(l) = &p.latency_ns {
                let _ = writeln!(o, "  node {} -> {}  {}", p.from, p.to, short_percentiles(l));
            }
        }
    }
}

/// p50, p99, p99.9, max and the count, for the per-node lines.
fn short_percentiles(p: &Percentiles) -> String {
    format!("p50 {}  p99 {}  p99.9 {}  max {}  (n={})", ms(p.p50), ms(p.p99), ms(p.p99_9), ms(p.max), p.count)
}

/// The command line with passwords masked: the value after `--password`, and any URL's password.
pub fn command_line(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut mask_next = false;
    for a in args {
        if mask_next {
            out.push("***".to_owned());
            mask_next = false;
            continue;
        }
        if a == "--password" {
            mask_next = true;
            out.push(a);
        } else if a.starts_with("--password=") {
            out.push("--password=***".to_owned());
        } else {
            out.push(crate::sanitize::line(&crate::transport::redact_url(&a)).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn passwords_never_reach_the_command_line_of_the_report() {
        let args = ["mqscope", "bench", "--password", "hunter2", "-u", "mqtt://me:secret@h", "--password=x"];
        let line = command_line(args.iter().map(|s| (*s).to_owned())).join(" ");
        assert!(!line.contains("hunter2") && !line.contains("secret") && !line.contains("=x"), "{line}");
    }

    #[test]
    fn loss_counts_what_each_subscriber_missed_of_each_local_publisher() {
        let mut trackers = HashMap::new();
        let mut a = Tracker::default();
        for s in [0, 1, 2, 4] {
            a.see(s);
        }
        let mut b = Tracker::default();
        for s in [0, 1, 1, 2, 3, 4] {
            b.see(s);
        }
        trackers.insert((0, 7), a);
        trackers.insert((1, 7), b);
        let sent = BTreeMap::from([(7, 5), (8, 3)]);
        let l = loss(&trackers, &sent, 2, Some(0));
        // Publisher 7: one lost at slot 0, one duplicate at slot 1; publisher 8 never seen by 2 slots.
        assert_eq!((l.lost, l.duplicated), (1 + 6, 1));
        assert_eq!(l.per_publisher[1].lost, 6);
    }
}
