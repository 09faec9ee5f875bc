//! The dashboard's bridge check: two tabs compared over a topic filter, with an optional prefix
//! map, by the same `compare::Comparer` that `mqscope diff` uses. Pure: the runtime feeds it each
//! tab's messages and the clock; the ui draws its last report.
//!
//! It is asked for with one line, `A B FILTER [A_PREFIX=B_PREFIX ...]` (tab numbers), e.g.
//! `1 2 factory/# factory/=site1/factory/`.

use super::tabs::TabId;
use super::topics::TopicTree;
use crate::compare::map::{Mapping, PrefixMap};
use crate::compare::{Comparer, Limits, Report, Side};
use std::time::Duration;

/// What the line asked for: tab indexes (from 0), the filter in A's names, the mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub a: usize,
    pub b: usize,
    pub filter: String,
    pub maps: Vec<(String, String)>,
}

impl Spec {
    /// `tabs`: how many there are.
    pub fn parse(line: &str, tabs: usize) -> Result<Self, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [a, b, filter, maps @ ..] = words.as_slice() else {
            return Err("give two tab numbers and a filter: A B FILTER [A_PREFIX=B_PREFIX ...]".into());
        };
        let tab = |w: &str| -> Result<usize, String> {
            match w.parse::<usize>() {
                Ok(n) if (1..=tabs).contains(&n) => Ok(n - 1),
                _ => Err(format!("'{w}' is not a tab number (1 to {tabs})")),
            }
        };
        let (a, b) = (tab(a)?, tab(b)?);
        if a == b {
            return Err("compare two different tabs".into());
        }
        crate::codec::topic::check_topic_filter(filter).map_err(|k| format!("topic filter '{filter}': {k}"))?;
        let maps = maps.iter().map(|m| Mapping::parse(m).map(|m| (m.a, m.b))).collect::<Result<Vec<_>, String>>()?;
        Ok(Self { a, b, filter: (*filter).to_string(), maps })
    }

    /// The line that asks for this spec again.
    pub fn line(&self) -> String {
        let mut s = format!("{} {} {}", self.a + 1, self.b + 1, self.filter);
        for (a, b) in &self.maps {
            s.push_str(&format!(" {a}={b}"));
        }
        s
    }
}

/// How often the report on screen is recomputed (it sorts every topic).
pub const REFRESH_MS: u64 = 1_000;

#[derive(Debug)]
pub struct CompareView {
    pub spec: Spec,
    /// The tabs compared, by id, so the view follows them while other tabs open and close.
    pub ids: [TabId; 2],
    /// Their names when it opened.
    pub names: [String; 2],
    comparer: Comparer,
    pub report: Report,
    pub since_ms: u64,
    pub now_ms: u64,
    refreshed_ms: u64,
}

impl CompareView {
    pub fn new(spec: Spec, ids: [TabId; 2], names: [String; 2], now_ms: u64) -> Self {
        let maps = spec.maps.iter().map(|(a, b)| Mapping { a: a.clone(), b: b.clone() }).collect();
        let mut comparer = Comparer::new(vec![spec.filter.clone()], PrefixMap::new(maps), Limits::default());
        comparer.start();
        Self { spec, ids, names, report: comparer.report(), comparer, since_ms: now_ms, now_ms, refreshed_ms: now_ms }
    }

    /// The retained values a tab already holds (its tree's retained topics and their newest kept
    /// payload), so retained state is compared at once, not only what arrives from now on.
    pub fn seed(&mut self, side: Side, tree: &TopicTree, latest: impl Fn(super::topics::NodeId) -> Option<Vec<u8>>) {
        for (id, node) in tree.nodes() {
            if node.is_topic
                && node.retained
                && let Some(payload) = latest(id)
            {
                self.comparer.observe(side, node.path(), &payload, true, Duration::ZERO);
            }
        }
        self.report = self.comparer.report();
    }

    /// A message from one of the two tabs.
    pub fn observe(&mut self, side: Side, m: &crate::session::Message) {
        let at = m.received_at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        self.comparer.observe(side, &m.topic, &m.payload, m.retain, at);
    }

    /// The clock moved on; `idle[side]`: that tab has nothing queued, so all it got up to now was
    /// seen and what waits for it longer than the allowed delay is lost. Returns whether the
    /// report was recomputed (the screen should be drawn).
    pub fn tick(&mut self, now_ms: u64, idle: [bool; 2]) -> bool {
        self.now_ms = self.now_ms.max(now_ms);
        let now = Duration::from_millis(now_ms);
        for (side, idle) in [(Side::A, idle[0]), (Side::B, idle[1])] {
            if idle {
                self.comparer.advance(side, now);
            }
        }
        if now_ms >= self.refreshed_ms + REFRESH_MS {
            self.refreshed_ms = now_ms;
            self.report = self.comparer.report();
            return true;
        }
        false
    }

    /// Messages waiting for their twin now.
    pub fn waiting(&self) -> usize {
        self.comparer.waiting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Bytes, Properties, QoS};

    fn msg(topic: &str, payload: &str, retain: bool, ms: u64) -> crate::session::Message {
        crate::session::Message {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            qos: QoS::AtMostOnce,
            retain,
            dup: false,
            packet_id: None,
            properties: Properties::default(),
            received_at: std::time::UNIX_EPOCH + Duration::from_millis(ms),
        }
    }

    #[test]
    fn the_line_names_two_tabs_a_filter_and_mappings() {
        assert_eq!(
            Spec::parse("1 2 factory/# factory/=site1/factory/", 2),
            Ok(Spec {
                a: 0,
                b: 1,
                filter: "factory/#".into(),
                maps: vec![("factory/".into(), "site1/factory/".into())],
            })
        );
        assert_eq!(Spec::parse(" 2  1 # ", 3).map(|s| s.line()), Ok("2 1 #".into()));
        for (bad, why) in [
            ("1 2", "two tab numbers and a filter"),
            ("1 3 #", "'3' is not a tab number (1 to 2)"),
            ("0 1 #", "'0' is not a tab number"),
            ("1 1 #", "two different tabs"),
            ("1 2 a/#/b", "topic filter 'a/#/b'"),
            ("1 2 # x", "must look like A_PREFIX=B_PREFIX"),
        ] {
            let e = Spec::parse(bad, 2).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn live_messages_are_matched_through_the_map_and_late_ones_are_lost() {
        let spec = Spec::parse("1 2 factory/# factory/=site1/factory/", 2).unwrap();
        let mut v = CompareView::new(spec, [1, 2], ["edge".into(), "cloud".into()], 0);
        v.observe(Side::A, &msg("factory/t", "1", false, 1_000));
        v.observe(Side::B, &msg("site1/factory/t", "1", false, 1_040));
        v.observe(Side::A, &msg("factory/only-edge", "x", false, 1_100));
        v.observe(Side::A, &msg("factory/t", "2", false, 1_200));
        v.observe(Side::B, &msg("elsewhere", "x", false, 1_200));
        // B has nothing queued and is 6 s on: A's "2" waited longer than the 5 s allowed.
        assert!(v.tick(7_300, [true, true]));
        let r = &v.report;
        assert_eq!(r.both, 1);
        assert_eq!(r.only_a.iter().map(|t| t.topic.as_str()).collect::<Vec<_>>(), ["factory/only-edge"]);
        assert_eq!(r.counts.matched, [1, 1]);
        assert_eq!(r.counts.unmatched[0], 2, "'2' on factory/t and the one on only-edge never reached B");
        assert_eq!(r.delays[0].map(|d| d.max.as_millis()), Some(40));
        assert!(!v.tick(7_400, [true, true]), "the report is recomputed once a second");
    }

    #[test]
    fn a_busy_tab_is_not_judged_by_the_clock() {
        let spec = Spec::parse("1 2 #", 2).unwrap();
        let mut v = CompareView::new(spec, [1, 2], ["a".into(), "b".into()], 0);
        v.observe(Side::A, &msg("t", "1", false, 1_000));
        v.tick(60_000, [true, false]);
        assert_eq!(v.report.counts.unmatched, [0, 0], "B still has messages queued: A's may be among them");
        assert_eq!(v.waiting(), 1);
    }
}
