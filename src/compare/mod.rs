//! Comparing what two brokers carry under one filter: the bridge check behind `mqscope diff`. Pure: it
//! is fed messages with the time each arrived and answers with a [`Report`]; no sockets, no clock.
//!
//! - Topics are compared in A's names ([`map::PrefixMap`] maps B's back), and counted as seen on A
//!   only, on B only, or on both.
//! - Retained messages (those sent at subscription) are the snapshot: the value of each topic on
//!   both sides is compared byte for byte.
//! - Every live message waits for its twin (same topic, same payload) from the other side; the
//!   pair's delay is recorded in the direction it went. One that finds no twin within `max_delay`
//!   is unmatched: lost on the way from A to B, or seen on B and never on A. If the twin turns up
//!   after all (within `late_window`), the message was late, not lost: it moves from the unmatched
//!   count to the late count, and its delay is recorded like any other.
//! - Memory is bounded: at most `window` messages wait per side (the oldest beyond it is dropped
//!   and counted as not checked), and at most `max_topics` topics are tracked (messages on more are
//!   counted as not checked).

pub mod delay;
pub mod map;

use crate::codec::Bytes;
use delay::{DelaySummary, Delays};
use map::PrefixMap;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash as _, Hasher as _};
use std::time::Duration;

/// Which broker a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }

    fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }
}

/// How long a message may wait for its twin, and how much is kept.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_delay: Duration,
    /// Messages waiting for a twin, per side.
    pub window: usize,
    pub max_topics: usize,
    /// How long a message given up as lost is remembered, so that a twin arriving later still makes
    /// it late rather than lost (and is not itself counted as a message the other side lacks).
    pub late_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_delay: Duration::from_secs(5),
            window: 1_000_000,
            max_topics: 1_000_000,
            late_window: Duration::from_secs(60),
        }
    }
}

type TopicId = u32;

/// A message's identity for matching: its topic and a hash of its payload (with the length, so a
/// collision would also need the same size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Fingerprint {
    topic: TopicId,
    hash: u64,
    len: usize,
}

fn payload_hash(payload: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    payload.hash(&mut h);
    h.finish()
}

/// The messages of one side that wait for their twin. `order` lists every message in arrival order
/// (matched ones stay in it until they reach the front), `by_print` the ones still waiting; `seq`
/// tells the two apart, as matching always takes the oldest of a fingerprint. A message that came
/// before the start is not counted: it may only complete a pair.
#[derive(Debug, Default)]
struct Waiting {
    order: VecDeque<(Fingerprint, u64, Duration)>,
    by_print: HashMap<Fingerprint, VecDeque<Entry>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    seq: u64,
    at: Duration,
    counted: bool,
}

impl Waiting {
    fn push(&mut self, print: Fingerprint, entry: Entry) {
        self.order.push_back((print, entry.seq, entry.at));
        self.by_print.entry(print).or_default().push_back(entry);
    }

    /// Takes the oldest message waiting with this fingerprint.
    fn take(&mut self, print: Fingerprint) -> Option<Entry> {
        let queue = self.by_print.get_mut(&print)?;
        let entry = queue.pop_front()?;
        if queue.is_empty() {
            self.by_print.remove(&print);
        }
        Some(entry)
    }

    /// Drops the oldest entry of `order`; its fingerprint, and the message if it was still waiting
    /// (now given up).
    fn pop_oldest(&mut self) -> Option<(Fingerprint, Option<Entry>)> {
        let (print, seq, _) = self.order.pop_front()?;
        let Some(queue) = self.by_print.get_mut(&print) else { return Some((print, None)) };
        if queue.front().is_none_or(|e| e.seq != seq) {
            return Some((print, None));
        }
        let entry = queue.pop_front();
        if queue.is_empty() {
            self.by_print.remove(&print);
        }
        Some((print, entry))
    }

    fn oldest_at(&self) -> Option<Duration> {
        self.order.front().map(|&(_, _, at)| at)
    }

    fn waiting(&self) -> usize {
        self.by_print.values().map(VecDeque::len).sum()
    }
}

/// Messages of one side given up as lost, remembered for a while (at most `window` of them) in case
/// their twin arrives late. Like [`Waiting`]: `order` in the order they were given up (taken ones
/// stay until they reach the front), `by_print` the ones still remembered, oldest first.
#[derive(Debug, Default)]
struct GivenUp {
    order: VecDeque<(Fingerprint, u64, Duration)>,
    by_print: HashMap<Fingerprint, VecDeque<(u64, Duration)>>,
    next: u64,
}

impl GivenUp {
    fn push(&mut self, print: Fingerprint, at: Duration, limit: usize) {
        if limit == 0 {
            return;
        }
        while self.order.len() >= limit {
            self.pop_oldest();
        }
        self.next += 1;
        self.order.push_back((print, self.next, at));
        self.by_print.entry(print).or_default().push_back((self.next, at));
    }

    fn pop_oldest(&mut self) {
        let Some((print, id, _)) = self.order.pop_front() else { return };
        if let Some(queue) = self.by_print.get_mut(&print)
            && queue.front().is_some_and(|&(front, _)| front == id)
        {
            queue.pop_front();
            if queue.is_empty() {
                self.by_print.remove(&print);
            }
        }
    }

    /// Takes the oldest given-up message with this fingerprint: when it arrived.
    fn take(&mut self, print: Fingerprint) -> Option<Duration> {
        let queue = self.by_print.get_mut(&print)?;
        let (_, at) = queue.pop_front()?;
        if queue.is_empty() {
            self.by_print.remove(&print);
        }
        Some(at)
    }

    /// Forgets what arrived longer than `keep` before `now`.
    fn expire(&mut self, now: Duration, keep: Duration) {
        while self.order.front().is_some_and(|&(_, _, at)| now.saturating_sub(at) > keep) {
            self.pop_oldest();
        }
    }
}

#[derive(Debug)]
struct Topic {
    key: Box<str>,
    messages: [u64; 2],
    unmatched: [u64; 2],
    late: [u64; 2],
    retained: [Option<Bytes>; 2],
    /// A message from before the start completed a pair: the topic is there.
    paired_early: [bool; 2],
}

impl Topic {
    fn seen(&self, side: usize) -> bool {
        self.messages[side] > 0 || self.retained[side].is_some() || self.paired_early[side]
    }
}

/// Counts per side (index 0 is A, 1 is B).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Live messages under the filter.
    pub messages: [u64; 2],
    /// Retained messages (the snapshot at subscription).
    pub retained: [u64; 2],
    /// Messages of this side that found their twin on the other.
    pub matched: [u64; 2],
    /// Messages of this side with no twin within the delay: A's lost on the way to B; B's never seen on A.
    pub unmatched: [u64; 2],
    /// Messages of this side whose twin came after the delay allowed (also counted in `matched`).
    pub late: [u64; 2],
    /// Messages given up unchecked because the window was full.
    pub overflow: [u64; 2],
    /// Messages on topics beyond the topic limit, not checked.
    pub untracked: [u64; 2],
    /// Messages outside the filter (B's topics that stand for nothing under it on A), ignored.
    pub outside: [u64; 2],
}

/// Feeds of two brokers, compared.
#[derive(Debug)]
pub struct Comparer {
    filters: Vec<String>,
    map: PrefixMap,
    limits: Limits,
    ids: HashMap<Box<str>, TopicId>,
    topics: Vec<Topic>,
    waiting: [Waiting; 2],
    given_up: [GivenUp; 2],
    delays: [Delays; 2],
    counts: Counts,
    seq: u64,
    /// The newest arrival time observed from each side.
    clock: [Duration; 2],
    started: bool,
    closed: bool,
}

impl Comparer {
    /// `filters` in A's names.
    pub fn new(filters: Vec<String>, map: PrefixMap, limits: Limits) -> Self {
        Self {
            filters,
            map,
            limits,
            ids: HashMap::new(),
            topics: Vec::new(),
            waiting: Default::default(),
            given_up: Default::default(),
            delays: Default::default(),
            counts: Counts::default(),
            seq: 0,
            clock: [Duration::ZERO; 2],
            started: false,
            closed: false,
        }
    }

    pub fn map(&self) -> &PrefixMap {
        &self.map
    }

    /// One message from `side`, arrived at `at` (any fixed origin, the same for both sides).
    pub fn observe(&mut self, side: Side, topic: &str, payload: &[u8], retain: bool, at: Duration) {
        self.advance(side, at);
        let s = side.index();
        let key = match side {
            Side::A => Some(Cow::Borrowed(topic)),
            Side::B => self.map.to_a(topic),
        };
        let Some(key) = key.filter(|k| self.filters.iter().any(|f| crate::codec::topic::matches(f, k))) else {
            self.counts.outside[s] += 1;
            return;
        };
        let id = match self.ids.get(&*key) {
            Some(&id) => id,
            // After `close`, messages only complete pairs that were waiting.
            None if self.closed => return,
            None if self.topics.len() >= self.limits.max_topics => {
                self.counts.untracked[s] += 1;
                return;
            }
            None => {
                let id = TopicId::try_from(self.topics.len()).unwrap_or(TopicId::MAX);
                let key: Box<str> = key.into();
                self.ids.insert(key.clone(), id);
                self.topics.push(Topic {
                    key,
                    messages: [0; 2],
                    unmatched: [0; 2],
                    late: [0; 2],
                    retained: [None, None],
                    paired_early: [false; 2],
                });
                id
            }
        };
        let Some(t) = self.topics.get_mut(id as usize) else { return };
        if retain {
            if !self.closed {
                t.retained[s] = Some(Bytes::copy_from_slice(payload));
                self.counts.retained[s] += 1;
            }
            return;
        }
        let print = Fingerprint { topic: id, hash: payload_hash(payload), len: payload.len() };
        // After `close` a message is counted only when it completes a pair (below).
        let counted = self.started;
        let o = side.other().index();
        if let Some(twin) = self.waiting.get_mut(o).and_then(|w| w.take(print)) {
            if twin.counted {
                if let Some(d) = self.delays.get_mut(o) {
                    d.record(at.saturating_sub(twin.at));
                }
                self.counts.matched[o] += 1;
            }
            if counted {
                self.counts.matched[s] += 1;
                self.counts.messages[s] += 1;
                t.messages[s] += 1;
                if !twin.counted {
                    t.paired_early[o] = true;
                }
            }
            return;
        }
        // Its twin was given up as lost: it was late. Both count as seen, neither as missing.
        if let Some(then) = self.given_up.get_mut(o).and_then(|g| g.take(print)) {
            if let Some(d) = self.delays.get_mut(o) {
                d.record(at.saturating_sub(then));
            }
            self.counts.unmatched[o] = self.counts.unmatched[o].saturating_sub(1);
            t.unmatched[o] = t.unmatched[o].saturating_sub(1);
            self.counts.late[o] += 1;
            t.late[o] += 1;
            self.counts.matched[o] += 1;
            if counted {
                self.counts.matched[s] += 1;
                self.counts.messages[s] += 1;
                t.messages[s] += 1;
            }
            return;
        }
        if self.closed {
            return;
        }
        if counted {
            self.counts.messages[s] += 1;
            t.messages[s] += 1;
        }
        self.seq += 1;
        let Some(w) = self.waiting.get_mut(s) else { return };
        if w.order.len() >= self.limits.window
            && let Some((_, Some(e))) = w.pop_oldest()
            && e.counted
        {
            self.counts.overflow[s] += 1;
        }
        w.push(print, Entry { seq: self.seq, at, counted });
    }

    /// Live messages count from now on. Those before only complete a pair: a message that left A
    /// just before the start may arrive on B just after it.
    pub fn start(&mut self) {
        self.started = true;
    }

    /// `side`'s messages up to `now` have all been observed (its queue is empty): messages of the
    /// other side that waited longer than the delay allows for a twin from it are given up.
    pub fn advance(&mut self, side: Side, now: Duration) {
        let s = side.index();
        if let Some(c) = self.clock.get_mut(s) {
            *c = (*c).max(now);
        }
        self.expire(side.other().index());
    }

    /// Gives up on `s`'s messages whose twin would have come from the other side by now: judged by
    /// the other side's clock (the newest time seen from it), never by the wall clock, so a backlog
    /// of unread messages is not mistaken for a loss.
    fn expire(&mut self, s: usize) {
        let other = self.clock.get(1 - s).copied().unwrap_or_default();
        {
            while let Some(w) = self.waiting.get_mut(s)
                && w.oldest_at().is_some_and(|at| other.saturating_sub(at) > self.limits.max_delay)
            {
                if let Some((print, Some(e))) = w.pop_oldest()
                    && e.counted
                {
                    self.give_up(s, print, e.at);
                }
            }
        }
        if let Some(g) = self.given_up.get_mut(s) {
            g.expire(other, self.limits.late_window);
        }
    }

    fn give_up(&mut self, s: usize, print: Fingerprint, at: Duration) {
        self.counts.unmatched[s] += 1;
        if let Some(t) = self.topics.get_mut(print.topic as usize) {
            t.unmatched[s] += 1;
        }
        if let Some(g) = self.given_up.get_mut(s) {
            g.push(print, at, self.limits.window);
        }
    }

    /// From now on no new message is counted; those that arrive only complete a waiting pair.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Messages still waiting for their twin, both sides.
    pub fn waiting(&self) -> usize {
        self.waiting.iter().map(Waiting::waiting).sum()
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Topics tracked so far.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// Gives up on every message still waiting and sums everything up.
    pub fn finish(mut self) -> Report {
        for s in 0..2 {
            while let Some((print, entry)) = self.waiting.get_mut(s).and_then(Waiting::pop_oldest) {
                if let Some(e) = entry.filter(|e| e.counted) {
                    self.give_up(s, print, e.at);
                }
            }
        }
        self.report()
    }

    /// What is known so far, for a live view: messages still waiting for their twin are not
    /// counted as lost yet.
    pub fn report(&self) -> Report {
        let mut report = Report {
            counts: self.counts,
            delays: [self.delays[0].summary(), self.delays[1].summary()],
            ..Report::default()
        };
        let mut topics: Vec<&Topic> = self.topics.iter().collect();
        topics.sort_unstable_by(|x, y| x.key.cmp(&y.key));
        for t in topics {
            let seen = [t.seen(0), t.seen(1)];
            let line = |side: usize| TopicCount {
                topic: t.key.to_string(),
                messages: t.messages[side],
                retained: t.retained[side].is_some(),
            };
            match seen {
                [true, false] => report.only_a.push(line(0)),
                [false, true] => report.only_b.push(line(1)),
                [false, false] => {}
                [true, true] => {
                    report.both += 1;
                    if t.unmatched != [0, 0] || t.late != [0, 0] {
                        report.unmatched.push(TopicUnmatched {
                            topic: t.key.to_string(),
                            a_to_b: t.unmatched[0],
                            b_not_on_a: t.unmatched[1],
                            late_a_to_b: t.late[0],
                            late_b_to_a: t.late[1],
                        });
                    }
                    let topic = t.key.to_string();
                    match &t.retained {
                        [Some(a), Some(b)] if a != b => {
                            report.retained_differ.push(RetainedDiff { topic, a: a.clone(), b: b.clone() })
                        }
                        [Some(_), None] => report.retained_only_a.push(topic),
                        [None, Some(_)] => report.retained_only_b.push(topic),
                        _ => {}
                    }
                }
            }
        }
        report
    }
}

/// A topic seen on one side only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCount {
    pub topic: String,
    pub messages: u64,
    /// It had a retained value there.
    pub retained: bool,
}

/// A topic seen on both sides whose messages did not all find their twin in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicUnmatched {
    pub topic: String,
    pub a_to_b: u64,
    pub b_not_on_a: u64,
    /// A's messages that reached B later than the delay allows.
    pub late_a_to_b: u64,
    /// B's messages whose twin on A came later than the delay allows.
    pub late_b_to_a: u64,
}

/// A topic retained on both sides with different values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainedDiff {
    pub topic: String,
    pub a: Bytes,
    pub b: Bytes,
}

/// The comparison's outcome; topics in A's names, sorted.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Topics seen on both sides.
    pub both: usize,
    pub only_a: Vec<TopicCount>,
    pub only_b: Vec<TopicCount>,
    pub retained_differ: Vec<RetainedDiff>,
    /// Topics on both sides, retained only on A.
    pub retained_only_a: Vec<String>,
    pub retained_only_b: Vec<String>,
    pub unmatched: Vec<TopicUnmatched>,
    pub counts: Counts,
    /// Delays of A's messages to B, and of B's to A.
    pub delays: [Option<DelaySummary>; 2],
}

impl Report {
    /// Something is missing on one side or differs.
    pub fn differs(&self) -> bool {
        !self.only_a.is_empty()
            || !self.only_b.is_empty()
            || !self.retained_differ.is_empty()
            || !self.retained_only_a.is_empty()
            || !self.retained_only_b.is_empty()
            || self.counts.unmatched != [0, 0]
    }

    /// Every message found its twin, but some later than the delay allows.
    pub fn late(&self) -> bool {
        self.counts.late != [0, 0]
    }

    /// Some messages could not be checked (window or topic limit).
    pub fn incomplete(&self) -> bool {
        self.counts.overflow != [0, 0] || self.counts.untracked != [0, 0]
    }

    /// Neither side had anything under the filter.
    pub fn nothing_seen(&self) -> bool {
        self.both == 0 && self.only_a.is_empty() && self.only_b.is_empty() && self.counts.untracked == [0, 0]
    }

    /// Both sides carry the same, all of it checked, all of it in time.
    pub fn equal(&self) -> bool {
        !self.differs() && !self.late() && !self.incomplete() && !self.nothing_seen()
    }
}

#[cfg(test)]
mod tests;
