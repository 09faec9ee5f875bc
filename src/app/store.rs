//! Bounded message history: a ring per topic (default 100 messages), plus the log of the newest
//! messages across all topics, within one memory budget (default 256 MiB) that also covers what the
//! app keeps per topic (`reserved`: the topic tree, watch rows, the detail pane's views). The log
//! refers to history by sequence number, so a message evicted from its ring is freed.
//! What is evicted is counted, never silently lost from the counts.

use super::log::{Log, LogEntry};
use super::topics::NodeId;
use crate::codec::{ByteString, Bytes, Properties, Property, QoS};
use crate::payload;
use crate::payload::schema::Verdict;
use crate::session::Message;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use triomphe::ThinArc;

/// Memory a kept message costs beyond its payload: its count, head and length (40 bytes), the
/// allocator's header and rounding (8 to 23), its slot in the ring and the ring's spare room (8 to 12).
pub const OVERHEAD: usize = 72;

/// One received message as kept by the app, in one allocation with its payload: a thin shared
/// pointer (cloning it is a count) to the head below and the payload's bytes, copied out of the read
/// buffer so a kept message does not pin the socket's whole read chunk. Properties and a schema
/// verdict, which most messages lack, are kept by the store beside it (`Store::properties`,
/// `Store::verdict`). Kept by the hundred thousand: see `a_kept_message_is_small`.
#[derive(Clone)]
pub struct StoredMessage(ThinArc<Head, u8>);

/// The fixed part of a kept message: 24 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Arrival order across all topics, from 1.
    pub seq: u64,
    pub at_ms: u64,
    pub topic: NodeId,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// `INVALID`, `EXTRAS`, and in the low bits the index plus one of its valid verdict in
    /// `Store::valid` (0: none there).
    tag: u8,
}

/// The schema check failed.
const INVALID: u8 = 0x80;
/// The store keeps properties or a verdict for it in `Store::extras`.
const EXTRAS: u8 = 0x40;
/// The low bits: a valid verdict's index plus one.
const VALID: u8 = 0x3f;

impl std::ops::Deref for StoredMessage {
    type Target = Head;

    fn deref(&self) -> &Head {
        &self.0.header.header
    }
}

impl std::fmt::Debug for StoredMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredMessage").field("head", &**self).field("payload_len", &self.payload().len()).finish()
    }
}

impl PartialEq for StoredMessage {
    fn eq(&self, other: &Self) -> bool {
        **self == **other && self.payload() == other.payload()
    }
}

impl Eq for StoredMessage {}

impl StoredMessage {
    /// The message as kept, its payload copied out of the read buffer; `tag` says where its
    /// verdict and properties are.
    fn new(seq: u64, topic: NodeId, at_ms: u64, m: &Message, tag: u8) -> Self {
        let head = Head { seq, at_ms, topic, qos: m.qos, retain: m.retain, dup: m.dup, tag };
        Self(ThinArc::from_header_and_slice(head, &m.payload))
    }

    pub fn payload(&self) -> &[u8] {
        &self.0.slice
    }

    /// The schema check failed.
    pub fn invalid(&self) -> bool {
        self.tag & INVALID != 0
    }

    /// Handles to this message alive now, the store's own included.
    #[cfg(test)]
    fn holders(&self) -> usize {
        ThinArc::strong_count(&self.0)
    }
}

/// What the store keeps beside a message that has properties, or a verdict it does not share.
#[derive(Debug)]
struct Extras {
    props: Properties,
    verdict: Option<Arc<Verdict>>,
}

impl Extras {
    /// Memory it holds: its slot in the table (key, value, control byte, spare room) and what it
    /// points to.
    fn cost(&self) -> usize {
        EXTRAS_SLOT + props_cost(&self.props) + self.verdict.as_deref().map_or(0, Verdict::cost)
    }
}

/// A slot of `Store::extras` with the spare room a hash table keeps: 48 bytes, about a third more.
pub const EXTRAS_SLOT: usize = 64;

static NO_PROPERTIES: Properties = Properties(Vec::new());

/// What a kept message costs the budget: its payload, the overhead, what is kept beside it.
fn message_cost(payload_len: usize, extras: Option<&Extras>) -> usize {
    payload_len + OVERHEAD + extras.map_or(0, Extras::cost)
}

/// Memory a message's properties hold once detached: the list, and each string or binary value in
/// its own allocation (with the allocator's header and rounding), as `detach` makes them.
fn props_cost(p: &Properties) -> usize {
    let own = |n: usize| if n == 0 { 0 } else { (n + 8).next_multiple_of(16).max(32) };
    let values: usize = p
        .iter()
        .map(|p| match p {
            Property::ContentType(s) | Property::ResponseTopic(s) => own(s.len()),
            Property::UserProperty(k, v) => own(k.len()) + own(v.len()),
            Property::CorrelationData(b) => own(b.len()),
            _ => 0,
        })
        .sum();
    own(p.0.len() * std::mem::size_of::<Property>()) + values
}

/// Copies every string and binary property value, so none points into the read buffer.
pub fn detach(p: &Properties) -> Properties {
    let copy = |s: &ByteString| ByteString::from(&**s);
    p.iter()
        .map(|p| match p {
            Property::ContentType(s) => Property::ContentType(copy(s)),
            Property::ResponseTopic(s) => Property::ResponseTopic(copy(s)),
            Property::CorrelationData(b) => Property::CorrelationData(Bytes::copy_from_slice(b)),
            Property::UserProperty(k, v) => Property::UserProperty(copy(k), copy(v)),
            Property::AssignedClientIdentifier(s) => Property::AssignedClientIdentifier(copy(s)),
            Property::AuthenticationMethod(s) => Property::AuthenticationMethod(copy(s)),
            Property::AuthenticationData(b) => Property::AuthenticationData(Bytes::copy_from_slice(b)),
            Property::ResponseInformation(s) => Property::ResponseInformation(copy(s)),
            Property::ServerReference(s) => Property::ServerReference(copy(s)),
            Property::ReasonString(s) => Property::ReasonString(copy(s)),
            other => other.clone(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evicted {
    /// Messages dropped from a topic's ring because it was full.
    pub by_ring: u64,
    /// Messages dropped to stay within the byte budget.
    pub by_budget: u64,
    pub bytes: u64,
}

#[derive(Debug)]
pub struct Store {
    per_topic: usize,
    budget: usize,
    used: usize,
    /// Rings indexed by topic node (node ids are dense), `None` for nodes that never had a message:
    /// a lookup per message without hashing.
    histories: Vec<Option<VecDeque<StoredMessage>>>,
    /// Round-robin order for budget eviction.
    order: Vec<NodeId>,
    cursor: usize,
    pub evicted: Evicted,
    log: Log,
    /// Memory kept per topic outside the store (the tree and friends), set by the app.
    reserved: usize,
    next_seq: u64,
    /// Stands in for a topic without history.
    empty: VecDeque<StoredMessage>,
    /// Properties and unshared verdicts of kept messages, by `seq`: most messages have neither.
    extras: HashMap<u64, Extras, foldhash::fast::RandomState>,
    /// Valid verdicts, each shared by every valid message of its schema: a message keeps its index.
    valid: Vec<Arc<Verdict>>,
}

impl Store {
    pub fn new(per_topic: usize, budget: usize, log_capacity: usize) -> Self {
        Self {
            per_topic: per_topic.max(1),
            budget,
            used: 0,
            histories: Vec::new(),
            order: Vec::new(),
            cursor: 0,
            evicted: Evicted::default(),
            log: Log::new(log_capacity),
            reserved: 0,
            next_seq: 1,
            empty: VecDeque::new(),
            extras: HashMap::default(),
            valid: Vec::new(),
        }
    }

    /// Memory held now (histories, the log, and what the app reserved), and the budget.
    pub fn usage(&self) -> (usize, usize) {
        (self.used + self.log.bytes() + self.reserved, self.budget)
    }

    /// Messages a topic's ring keeps (`--history`).
    pub fn per_topic(&self) -> usize {
        self.per_topic
    }

    /// Why a topic's older message is no longer kept, in words for the screen. Rings drop in arrival
    /// order, so a full ring means it rolled off as `--history` says (the normal case, no loss); a
    /// ring with room lost it to the memory budget, or to the user clearing the history (`D`).
    pub fn why_gone(&self, topic: NodeId) -> String {
        let kept = self.ring(topic).map_or(0, VecDeque::len);
        if kept >= self.per_topic {
            format!("the topic's history keeps its newest {} (--history)", self.per_topic)
        } else if self.evicted.by_budget > 0 {
            "evicted for the memory budget (or history cleared with D)".to_owned()
        } else {
            "the topic's history was cleared (D)".to_owned()
        }
    }

    /// Sets the memory the app keeps outside the store; the next message makes room for it.
    pub fn set_reserved(&mut self, bytes: usize) {
        self.reserved = bytes;
    }

    /// A new budget (the dashboard's share changes as tabs open and close); a smaller one evicts at
    /// once, counted as usual.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
        if self.over_budget() {
            // No message just arrived: every topic may go down to nothing if it must.
            self.enforce_budget(NodeId::MAX);
        }
    }

    fn over_budget(&self) -> bool {
        self.usage().0 > self.budget
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Keeps a message: copies its payload and properties and appends it to its topic's ring and to
    /// the log, then evicts to stay within the ring size and the budget.
    pub fn push(&mut self, topic: NodeId, at_ms: u64, m: &Message) -> StoredMessage {
        self.push_checked(topic, at_ms, m, None)
    }

    /// `push`, with the verdict of the message's schema check kept beside it.
    pub fn push_checked(
        &mut self,
        topic: NodeId,
        at_ms: u64,
        m: &Message,
        verdict: Option<Arc<Verdict>>,
    ) -> StoredMessage {
        let invalid = verdict.as_ref().is_some_and(|v| !v.is_valid());
        let mut entry = LogEntry::new(self.next_seq, topic, at_ms, m);
        entry.invalid = invalid;
        self.log.push(entry);
        let mut tag = if invalid { INVALID } else { 0 };
        let verdict = match verdict {
            Some(v) if !invalid => match self.valid_index(&v) {
                Some(i) => {
                    tag |= i;
                    None
                }
                None => Some(v),
            },
            other => other,
        };
        let extras =
            (verdict.is_some() || !m.properties.is_empty()).then(|| Extras { props: detach(&m.properties), verdict });
        let cost = message_cost(m.payload.len(), extras.as_ref());
        if let Some(extras) = extras {
            tag |= EXTRAS;
            self.extras.insert(self.next_seq, extras);
        }
        let msg = StoredMessage::new(self.next_seq, topic, at_ms, m, tag);
        self.next_seq += 1;
        self.used += cost;
        let slot = topic as usize;
        if slot >= self.histories.len() {
            self.histories.resize_with(slot + 1, || None);
        }
        let ring = self.histories[slot].get_or_insert_with(|| {
            self.order.push(topic);
            VecDeque::new()
        });
        let old = if ring.len() >= self.per_topic { ring.pop_front() } else { None };
        if ring.len() == ring.capacity() {
            // Half again, never past the ring's size: doubling would leave up to half of every
            // ring spare (a ring of 100 in room for 128).
            ring.reserve_exact((ring.len() / 2).max(4).min(self.per_topic - ring.len()));
        }
        ring.push_back(msg.clone());
        if let Some(old) = old {
            let cost = self.forget(&old);
            self.evicted.by_ring += 1;
            self.evicted.bytes += cost as u64;
        }
        if self.over_budget() {
            self.enforce_budget(topic);
        }
        msg
    }

    /// The index plus one of a valid verdict in `valid`, added if new; `None` when the table is
    /// full (then the message keeps it among its extras).
    fn valid_index(&mut self, v: &Arc<Verdict>) -> Option<u8> {
        // The same `Arc` first (a topic's schema hands out one); an equal one only if none is.
        let same = self.valid.iter().position(|k| Arc::ptr_eq(k, v));
        let i = match same.or_else(|| self.valid.iter().position(|k| **k == **v)) {
            Some(i) => i,
            None if self.valid.len() < usize::from(VALID) => {
                self.valid.push(v.clone());
                self.valid.len() - 1
            }
            None => return None,
        };
        u8::try_from(i + 1).ok()
    }

    /// The memory a kept message holds: its payload, the overhead, its extras.
    #[cfg(test)]
    pub fn cost(&self, m: &StoredMessage) -> usize {
        message_cost(m.payload().len(), self.extras_of(m))
    }

    /// What the store keeps beside a message, if anything.
    fn extras_of(&self, m: &StoredMessage) -> Option<&Extras> {
        if m.tag & EXTRAS != 0 { self.extras.get(&m.seq) } else { None }
    }

    /// Lets go of a message leaving history: drops its extras, takes its bytes off the count.
    /// Returns its cost.
    fn forget(&mut self, m: &StoredMessage) -> usize {
        self.log.keep_head(m.seq, m.payload());
        let extras = if m.tag & EXTRAS != 0 { self.extras.remove(&m.seq) } else { None };
        let cost = message_cost(m.payload().len(), extras.as_ref());
        // A hash table keeps its room when emptied, and the budget counts only the slots in use:
        // give the room back once three quarters of it is empty (each shrink follows as many
        // removals as it moves entries).
        if extras.is_some() && self.extras.capacity() > 4 * self.extras.len().max(16) {
            self.extras.shrink_to_fit();
        }
        self.used -= cost;
        cost
    }

    /// A kept message's MQTT 5 properties.
    pub fn properties(&self, m: &StoredMessage) -> &Properties {
        self.extras_of(m).map_or(&NO_PROPERTIES, |e| &e.props)
    }

    /// The verdict of a kept message's schema check, if its topic had a schema.
    pub fn verdict(&self, m: &StoredMessage) -> Option<&Arc<Verdict>> {
        match m.tag & VALID {
            0 => self.extras_of(m)?.verdict.as_ref(),
            i => self.valid.get(usize::from(i) - 1),
        }
    }

    /// Drops the oldest messages, topic by topic in turn, until the budget holds. A topic keeps its
    /// latest message while any topic has more than one; only then do latest messages go too, never
    /// the one just received (`protect`), which may alone exceed the budget.
    /// When history alone cannot make room (the tree or the log is that big), log entries go too,
    /// oldest first.
    fn enforce_budget(&mut self, protect: NodeId) {
        self.evict_history(protect);
        while self.over_budget() && self.log.evict_for_budget() {}
    }

    fn evict_history(&mut self, protect: NodeId) {
        let mut keep_last = true;
        let mut idle = 0;
        while self.over_budget() && !self.order.is_empty() {
            if self.cursor >= self.order.len() {
                self.cursor = 0;
            }
            let topic = self.order[self.cursor];
            self.cursor += 1;
            let min = usize::from(keep_last || topic == protect);
            match self.histories.get_mut(topic as usize).and_then(Option::as_mut) {
                Some(ring) if ring.len() > min => {
                    if let Some(old) = ring.pop_front() {
                        let cost = self.forget(&old);
                        self.evicted.by_budget += 1;
                        self.evicted.bytes += cost as u64;
                    }
                    idle = 0;
                }
                _ => {
                    idle += 1;
                    if idle > self.order.len() {
                        if !keep_last {
                            return;
                        }
                        keep_last = false;
                        idle = 0;
                    }
                }
            }
        }
    }

    fn ring(&self, topic: NodeId) -> Option<&VecDeque<StoredMessage>> {
        self.histories.get(topic as usize).and_then(Option::as_ref)
    }

    /// A topic's kept messages, oldest first.
    pub fn history(&self, topic: NodeId) -> std::collections::vec_deque::Iter<'_, StoredMessage> {
        self.ring(topic).unwrap_or(&self.empty).iter()
    }

    pub fn latest(&self, topic: NodeId) -> Option<&StoredMessage> {
        self.ring(topic).and_then(|r| r.back())
    }

    /// Forgets a topic's history (the user cleared it).
    pub fn clear(&mut self, topic: NodeId) {
        let gone = match self.histories.get_mut(topic as usize) {
            Some(Some(ring)) => std::mem::take(ring),
            _ => return,
        };
        for m in &gone {
            self.forget(m);
        }
    }

    /// A kept message by topic and sequence number (rings are in `seq` order).
    pub fn get(&self, topic: NodeId, seq: u64) -> Option<&StoredMessage> {
        kept(&self.histories, topic, seq)
    }

    /// The head of a log entry's payload: from history while it keeps the message, else the one the
    /// entry kept.
    pub fn head<'a>(&'a self, e: &'a LogEntry) -> &'a [u8] {
        match self.get(e.topic, e.seq) {
            Some(m) => payload::head(m.payload()),
            None => &e.head,
        }
    }

    /// Visits log entries newest first with the payload to match: the kept message's, or the
    /// entry's head when history no longer keeps it. Stops when `visit` returns false.
    pub fn visit_log(&mut self, mut visit: impl FnMut(&mut LogEntry, Option<&[u8]>) -> bool) {
        // The rings are read while the log's entries are lent out: `kept`, not `self.get`.
        let histories = &self.histories;
        for e in self.log.all_mut() {
            if !visit(e, kept(histories, e.topic, e.seq).map(StoredMessage::payload)) {
                break;
            }
        }
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn log_mut(&mut self) -> &mut Log {
        &mut self.log
    }
}

/// A kept message by topic and sequence number, found in the topic's ring (rings are in `seq`
/// order).
fn kept(histories: &[Option<VecDeque<StoredMessage>>], topic: NodeId, seq: u64) -> Option<&StoredMessage> {
    let ring = histories.get(topic as usize)?.as_ref()?;
    ring.get(ring.partition_point(|m| m.seq < seq)).filter(|m| m.seq == seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept message is its head and payload in one allocation, and a thin pointer in its ring:
    /// 8 bytes less here is 1.6 MB at 200,000 messages, and `OVERHEAD` counts on these sizes.
    #[test]
    fn a_kept_message_is_small() {
        assert_eq!(std::mem::size_of::<Head>(), 24);
        assert_eq!(std::mem::size_of::<StoredMessage>(), 8);
        assert_eq!(std::mem::size_of::<Option<StoredMessage>>(), 8);
        let mut s = Store::new(10, 1 << 20, 10);
        let plain = s.push(1, 0, &message(b"21.5", Properties::default()));
        assert!(s.properties(&plain).is_empty() && s.verdict(&plain).is_none());
        assert!(s.extras.is_empty(), "nothing kept beside a message without properties or verdict");
        assert_eq!(s.usage().0, 4 + OVERHEAD + s.log().bytes());
    }

    #[test]
    fn valid_verdicts_are_shared_and_unshared_ones_kept_beside_their_message_until_it_goes() {
        use crate::payload::schema::Violation;
        let valid =
            |schema: &str| Arc::new(Verdict { schema: schema.into(), violations: vec![], more: 0, recorded: false });
        let mut s = Store::new(2, 1 << 20, 10);
        let plain = message(b"{}", Properties::default());
        let (a, b) = (valid("a.json"), valid("b.json"));
        let first = s.push_checked(1, 0, &plain, Some(a.clone()));
        // An equal verdict from elsewhere (a replay's) shares the same entry.
        let second = s.push_checked(1, 0, &plain, Some(valid("a.json")));
        let third = s.push_checked(2, 0, &plain, Some(b.clone()));
        assert!(Arc::ptr_eq(s.verdict(&first).unwrap(), &a) && Arc::ptr_eq(s.verdict(&second).unwrap(), &a));
        assert!(Arc::ptr_eq(s.verdict(&third).unwrap(), &b));
        assert!(s.extras.is_empty() && s.valid.len() == 2 && !first.invalid());
        assert_eq!(s.usage().0, 3 * (2 + OVERHEAD) + s.log().bytes());

        let bad = Arc::new(Verdict {
            schema: "a.json".into(),
            violations: vec![Violation { instance_path: "/x".into(), keyword: "type".into(), message: "wrong".into() }],
            more: 0,
            recorded: false,
        });
        let props = Properties(vec![Property::UserProperty("k".into(), "v".into())]);
        let with_props = s.push_checked(3, 0, &message(b"{}", props.clone()), Some(bad.clone()));
        assert!(with_props.invalid());
        assert!(Arc::ptr_eq(s.verdict(&with_props).unwrap(), &bad));
        assert_eq!(s.properties(&with_props), &props);
        assert_eq!(s.extras.len(), 1);
        // The list of one property and its two strings, each its own allocation: not the 2 bytes
        // of text alone.
        assert!(props_cost(&props) >= std::mem::size_of::<Property>() + 2 * 32, "{}", props_cost(&props));
        let cost = 2 + OVERHEAD + EXTRAS_SLOT + props_cost(&props) + bad.cost();
        assert_eq!(s.usage().0, 3 * (2 + OVERHEAD) + cost + s.log().bytes());

        // More distinct valid verdicts than the table holds: the rest are kept beside their messages.
        for i in 0..100 {
            let m = s.push_checked(4 + i, 0, &plain, Some(valid(&format!("{i}.json"))));
            assert_eq!(s.verdict(&m).unwrap().schema, format!("{i}.json"));
        }
        assert_eq!(s.valid.len(), usize::from(VALID));
        assert_eq!(s.extras.len(), 1 + 100 + 2 - usize::from(VALID));

        // Leaving history, by the ring, the budget or a clear, takes its extras along, and the
        // table gives its room back.
        s.clear(3);
        assert_eq!(s.extras.len(), 100 + 2 - usize::from(VALID));
        s.set_budget(0);
        assert!(s.extras.is_empty(), "{} left", s.extras.len());
        let mut s = Store::new(1, 1 << 30, 10);
        let with_props = message(b"{}", props.clone());
        for topic in 0..10_000 {
            s.push(topic, 0, &with_props);
        }
        assert!(s.extras.capacity() >= 10_000);
        for topic in 0..10_000 {
            s.push(topic, 0, &plain);
        }
        assert!(s.extras.is_empty() && s.extras.capacity() < 100, "{}", s.extras.capacity());
    }

    fn message(payload: &[u8], properties: Properties) -> Message {
        Message {
            topic: "t".into(),
            payload: Bytes::copy_from_slice(payload),
            qos: QoS::AtLeastOnce,
            retain: true,
            dup: false,
            packet_id: None,
            properties,
            received_at: std::time::UNIX_EPOCH,
        }
    }

    fn push(s: &mut Store, topic: NodeId, payload: &[u8]) {
        s.push(topic, 0, &message(payload, Properties::default()));
    }

    #[test]
    fn ring_keeps_the_newest_and_counts_evictions() {
        let mut s = Store::new(3, 1 << 20, 100);
        for i in 0..5u8 {
            push(&mut s, 1, &[i]);
        }
        let kept: Vec<u8> = s.history(1).map(|m| m.payload()[0]).collect();
        assert_eq!(kept, [2, 3, 4]);
        assert_eq!(s.evicted.by_ring, 2);
        assert_eq!(s.usage().0, 3 + 3 * OVERHEAD + s.log().bytes());
        assert_eq!(s.log().entries().len(), 5, "the log has its own capacity");
    }

    #[test]
    fn a_ring_grows_by_half_and_never_past_its_size() {
        for (size, count, room) in [(100, 100, 100), (100, 250, 100), (100, 10, 12), (3, 2, 3), (1, 5, 1)] {
            let mut s = Store::new(size, 1 << 30, 10);
            for i in 0..count {
                push(&mut s, 1, &[i as u8]);
            }
            let ring = s.ring(1).unwrap();
            assert_eq!((ring.len(), ring.capacity()), (count.min(size), room), "{size} {count}");
        }
    }

    #[test]
    fn budget_evicts_round_robin_keeping_latest_first() {
        let each = 2 + OVERHEAD;
        // A log of one entry, so the budget is about history.
        let mut s = Store::new(100, 0, 1);
        push(&mut s, 9, &[0; 2]);
        let entry = s.log().bytes();
        let mut s = Store::new(100, 5 * each + entry, 1);
        for _ in 0..4 {
            push(&mut s, 1, &[0; 2]);
        }
        push(&mut s, 2, &[0; 2]);
        push(&mut s, 2, &[0; 2]);
        // Six messages over a budget of five: one of topic 1's oldest goes.
        assert_eq!(s.usage().0, 5 * each + entry);
        assert_eq!(s.evicted.by_budget, 1);
        // A huge message: everything but latest messages goes, then the latest ones too.
        push(&mut s, 3, &vec![0; 4 * each]);
        assert_eq!((s.history(1).len(), s.history(2).len()), (0, 0), "{:?}", s.usage());
        assert_eq!(s.latest(3).map(|m| m.payload().len()), Some(4 * each));
        assert_eq!(s.evicted.by_budget + s.evicted.by_ring, 6);
    }

    #[test]
    fn a_gone_message_is_explained_by_the_ring_the_budget_or_a_clear() {
        let mut s = Store::new(2, 1 << 20, 100);
        for i in 0..3u8 {
            push(&mut s, 1, &[i]);
        }
        assert_eq!(s.why_gone(1), "the topic's history keeps its newest 2 (--history)");
        s.clear(1);
        assert_eq!(s.why_gone(1), "the topic's history was cleared (D)");
        let mut s = Store::new(100, 3 * (1 + OVERHEAD), 1);
        for i in 0..6u8 {
            push(&mut s, 1, &[i]);
        }
        assert!(s.evicted.by_budget > 0 && s.history(1).len() < 100);
        assert_eq!(s.why_gone(1), "evicted for the memory budget (or history cleared with D)");
    }

    #[test]
    fn an_evicted_message_is_freed_while_the_log_still_lists_it() {
        let mut s = Store::new(1, 1 << 30, 100);
        let first = s.push(1, 0, &message(&[1; 1000], Properties::default()));
        assert_eq!(first.holders(), 2, "this handle and the ring's");
        push(&mut s, 1, &[2]);
        assert_eq!(s.log().entries().len(), 2);
        assert_eq!(first.holders(), 1, "the ring evicted it: nothing else may keep its payload alive");
        let seqs: Vec<u64> = s.log().entries().iter().map(|e| e.seq).collect();
        assert_eq!((s.get(1, seqs[0]).is_none(), s.get(1, seqs[1]).map(|m| m.payload()[0])), (true, Some(2)));
    }

    /// The log reads a kept message's head from history and copies it only when history lets the
    /// message go, by its ring, the budget or a clear; the log's bytes follow.
    #[test]
    fn a_log_entry_copies_its_head_only_when_history_lets_the_message_go() {
        let mut s = Store::new(2, 1 << 20, 100);
        let long = [b'a'; 1000];
        push(&mut s, 1, &long);
        push(&mut s, 2, b"two");
        push(&mut s, 3, b"three");
        let kept_bytes = s.log().bytes();
        assert!(s.log().entries().iter().all(|e| e.head.is_empty()), "nothing copied while history keeps them");
        let heads: Vec<&[u8]> = s.log().entries().iter().map(|e| s.head(e)).collect();
        assert_eq!(heads, [&long[..payload::HEAD_BYTES], b"two", b"three"]);
        // The ring: topic 1 keeps 2 of 3.
        push(&mut s, 1, b"x");
        push(&mut s, 1, b"y");
        let first = &s.log().entries()[0];
        assert_eq!((&first.head[..], s.head(first)), (&long[..payload::HEAD_BYTES], &long[..payload::HEAD_BYTES]));
        assert_eq!(s.log().bytes(), kept_bytes + 2 * first.cost() - payload::HEAD_BYTES);
        // A clear.
        s.clear(2);
        assert_eq!(&s.log().entries()[1].head[..], b"two");
        // The budget: with none, history goes entirely and the log down to its newest entry.
        s.set_budget(0);
        let newest = &s.log().entries()[0];
        assert_eq!((s.log().entries().len(), s.history(1).len()), (1, 0));
        assert_eq!((&newest.head[..], s.head(newest)), (&b"y"[..], &b"y"[..]));
        assert_eq!(s.log().bytes(), newest.cost());
    }

    #[test]
    fn a_smaller_budget_evicts_at_once_and_counts_it() {
        let mut s = Store::new(10, 1 << 20, 100);
        for i in 0..20u32 {
            push(&mut s, i % 4, &[b'x'; 1000]);
        }
        let before = s.usage().0;
        s.set_budget(before / 2);
        assert!(s.usage().0 <= before / 2, "{:?}", s.usage());
        assert!(s.evicted.by_budget > 0);
        assert_eq!(s.usage().1, before / 2);
    }

    #[test]
    fn the_budget_covers_the_log_and_what_the_app_reserves() {
        let mut s = Store::new(100, 10_000, 100);
        s.set_reserved(9_000);
        for _ in 0..20 {
            push(&mut s, 1, &[0; 100]);
        }
        assert!(s.usage().0 <= 10_000, "{:?}", s.usage());
        assert_eq!(s.history(1).len(), 1, "history made room first, keeping the latest");
        assert!(s.log().by_budget > 0 && !s.log().entries().is_empty(), "then the log, never all of it");
    }

    #[test]
    fn payload_and_properties_are_copied_out_of_the_read_buffer() {
        let chunk = Bytes::from(vec![7u8; 4096]);
        let props = Properties(vec![Property::UserProperty("k".into(), "v".into())]);
        let mut incoming = message(&[], props.clone());
        incoming.payload = chunk.slice(0..4);
        drop(chunk);
        let mut s = Store::new(10, 1 << 20, 10);
        let m = s.push(1, 0, &incoming);
        assert!(!std::ptr::eq(m.payload().as_ptr(), incoming.payload.as_ptr()), "copied, not shared");
        drop(incoming);
        assert_eq!(m.payload(), &[7, 7, 7, 7]);
        assert_eq!(s.properties(&m), &props);
    }

    #[test]
    fn clearing_a_topic_frees_its_bytes() {
        let mut s = Store::new(10, 1000, 10);
        push(&mut s, 1, &[0; 5]);
        s.clear(1);
        assert_eq!((s.usage().0, s.history(1).len()), (s.log().bytes(), 0));
    }
}
