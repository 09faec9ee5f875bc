//! Bounded message history: a ring per topic (default 100 messages), plus the log of the newest
//! messages across all topics, within one memory budget (default 256 MiB) that also covers what the
//! app keeps per topic (`reserved`: the topic tree, watch rows, the detail pane's views). The log
//! refers to history by sequence number, so a message evicted from its ring is freed.
//! What is evicted is counted, never silently lost from the counts.

use super::log::{Log, LogEntry};
use super::topics::NodeId;
use crate::codec::{ByteString, Bytes, Properties, Property, QoS};
use crate::payload::schema::Verdict;
use crate::session::Message;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

/// One received message as kept by the app: payload and properties copied out of the read buffer,
/// so a kept message does not pin the socket's whole read chunk.
/// Memory a kept message costs beyond its payload and properties: the shared record (72 bytes, 80 as
/// the allocator hands it out), the payload's allocator header and rounding, its slot in the ring.
pub const OVERHEAD: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Arrival order across all topics, from 1.
    pub seq: u64,
    pub topic: NodeId,
    pub at_ms: u64,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// Its own allocation, copied out of the read buffer (a `Box`, half a `Bytes`: kept by the
    /// hundred thousand).
    pub payload: Box<[u8]>,
    /// MQTT 5 properties; most messages have none, and then nothing is allocated.
    props: Option<Box<Properties>>,
    /// The schema check made on arrival, when a schema's filter matches the topic.
    pub verdict: Option<Arc<Verdict>>,
}

static NO_PROPERTIES: Properties = Properties(Vec::new());

impl StoredMessage {
    /// The message as kept: payload and properties copied out of the read buffer.
    pub fn new(seq: u64, topic: NodeId, at_ms: u64, m: &Message, verdict: Option<Arc<Verdict>>) -> Self {
        Self {
            seq,
            topic,
            at_ms,
            qos: m.qos,
            retain: m.retain,
            dup: m.dup,
            payload: Box::from(&m.payload[..]),
            props: (!m.properties.is_empty()).then(|| Box::new(detach(&m.properties))),
            verdict,
        }
    }

    pub fn properties(&self) -> &Properties {
        self.props.as_deref().unwrap_or(&NO_PROPERTIES)
    }

    /// Bytes this message holds, for the budget: payload, properties, and what keeping it costs
    /// besides (the shared record, its two ring slots, allocator rounding), so the budget tracks
    /// real memory for small messages too.
    pub fn cost(&self) -> usize {
        self.payload.len() + props_cost(self.properties()) + OVERHEAD + self.verdict_cost()
    }

    /// A valid verdict is shared by every valid message of its schema (a pointer, in `OVERHEAD`);
    /// an invalid one is the message's own.
    fn verdict_cost(&self) -> usize {
        self.verdict.as_ref().filter(|v| !v.is_valid()).map_or(0, |v| v.cost())
    }

    /// The schema check failed.
    pub fn invalid(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| !v.is_valid())
    }
}

fn props_cost(p: &Properties) -> usize {
    p.iter()
        .map(|p| match p {
            Property::ContentType(s) | Property::ResponseTopic(s) => s.len(),
            Property::UserProperty(k, v) => k.len() + v.len(),
            Property::CorrelationData(b) => b.len(),
            _ => 8,
        })
        .sum()
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
    histories: Vec<Option<VecDeque<Rc<StoredMessage>>>>,
    /// Round-robin order for budget eviction.
    order: Vec<NodeId>,
    cursor: usize,
    pub evicted: Evicted,
    log: Log,
    /// Memory kept per topic outside the store (the tree and friends), set by the app.
    reserved: usize,
    next_seq: u64,
    /// Stands in for a topic without history.
    empty: VecDeque<Rc<StoredMessage>>,
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
    pub fn push(&mut self, topic: NodeId, at_ms: u64, m: &Message) -> Rc<StoredMessage> {
        self.push_checked(topic, at_ms, m, None)
    }

    /// `push`, with the verdict of the message's schema check kept beside it.
    pub fn push_checked(
        &mut self,
        topic: NodeId,
        at_ms: u64,
        m: &Message,
        verdict: Option<Arc<Verdict>>,
    ) -> Rc<StoredMessage> {
        let mut entry = LogEntry::new(self.next_seq, topic, at_ms, m);
        entry.invalid = verdict.as_ref().is_some_and(|v| !v.is_valid());
        self.log.push(entry);
        let msg = Rc::new(StoredMessage::new(self.next_seq, topic, at_ms, m, verdict));
        self.next_seq += 1;
        self.used += msg.cost();
        let slot = topic as usize;
        if slot >= self.histories.len() {
            self.histories.resize_with(slot + 1, || None);
        }
        let ring = self.histories[slot].get_or_insert_with(|| {
            self.order.push(topic);
            VecDeque::new()
        });
        ring.push_back(msg.clone());
        if ring.len() > self.per_topic
            && let Some(old) = ring.pop_front()
        {
            self.used -= old.cost();
            self.evicted.by_ring += 1;
            self.evicted.bytes += old.cost() as u64;
        }
        if self.over_budget() {
            self.enforce_budget(topic);
        }
        msg
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
                        self.used -= old.cost();
                        self.evicted.by_budget += 1;
                        self.evicted.bytes += old.cost() as u64;
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

    fn ring(&self, topic: NodeId) -> Option<&VecDeque<Rc<StoredMessage>>> {
        self.histories.get(topic as usize).and_then(Option::as_ref)
    }

    /// A topic's kept messages, oldest first.
    pub fn history(&self, topic: NodeId) -> std::collections::vec_deque::Iter<'_, Rc<StoredMessage>> {
        self.ring(topic).unwrap_or(&self.empty).iter()
    }

    pub fn latest(&self, topic: NodeId) -> Option<&Rc<StoredMessage>> {
        self.ring(topic).and_then(|r| r.back())
    }

    /// Forgets a topic's history (the user cleared it).
    pub fn clear(&mut self, topic: NodeId) {
        if let Some(Some(ring)) = self.histories.get_mut(topic as usize) {
            for m in ring.drain(..) {
                self.used -= m.cost();
            }
        }
    }

    /// A kept message by topic and sequence number (rings are in `seq` order).
    pub fn get(&self, topic: NodeId, seq: u64) -> Option<&Rc<StoredMessage>> {
        let ring = self.ring(topic)?;
        let i = ring.partition_point(|m| m.seq < seq);
        ring.get(i).filter(|m| m.seq == seq)
    }

    /// Visits log entries newest first with the payload to match: the kept message's, or the
    /// entry's head when history no longer keeps it. Stops when `visit` returns false.
    pub fn visit_log(&mut self, mut visit: impl FnMut(&mut LogEntry, Option<&[u8]>) -> bool) {
        let histories = &self.histories;
        for e in self.log.all_mut() {
            let ring = histories.get(e.topic as usize).and_then(Option::as_ref);
            let kept = ring.and_then(|r| r.get(r.partition_point(|m| m.seq < e.seq)).filter(|m| m.seq == e.seq));
            if !visit(e, kept.map(|m| &m.payload[..])) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept message is mostly this record: 16 bytes less here is 3 MB at 200,000 messages, and
    /// `OVERHEAD` counts on its size.
    #[test]
    fn a_kept_message_is_small() {
        assert!(std::mem::size_of::<StoredMessage>() <= 56, "{}", std::mem::size_of::<StoredMessage>());
        let plain = StoredMessage::new(1, 0, 0, &message(b"21.5", Properties::default()), None);
        assert!(plain.props.is_none() && plain.properties().is_empty(), "no allocation without properties");
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
        let kept: Vec<u8> = s.history(1).map(|m| m.payload[0]).collect();
        assert_eq!(kept, [2, 3, 4]);
        assert_eq!(s.evicted.by_ring, 2);
        assert_eq!(s.usage().0, 3 + 3 * OVERHEAD + s.log().bytes());
        assert_eq!(s.log().entries().len(), 5, "the log has its own capacity");
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
        assert_eq!(s.latest(3).map(|m| m.payload.len()), Some(4 * each));
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
        let first = std::rc::Rc::downgrade(&s.push(1, 0, &message(&[1; 1000], Properties::default())));
        push(&mut s, 1, &[2]);
        assert_eq!(s.log().entries().len(), 2);
        assert!(first.upgrade().is_none(), "the ring evicted it: nothing may keep its payload alive");
        let seqs: Vec<u64> = s.log().entries().iter().map(|e| e.seq).collect();
        assert_eq!((s.get(1, seqs[0]).is_none(), s.get(1, seqs[1]).map(|m| m.payload[0])), (true, Some(2)));
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
        assert!(!std::ptr::eq(m.payload.as_ptr(), incoming.payload.as_ptr()), "copied, not shared");
        drop(incoming);
        assert_eq!(&m.payload[..], &[7, 7, 7, 7]);
        assert_eq!(m.properties(), &props);
    }

    #[test]
    fn clearing_a_topic_frees_its_bytes() {
        let mut s = Store::new(10, 1000, 10);
        push(&mut s, 1, &[0; 5]);
        s.clear(1);
        assert_eq!((s.usage().0, s.history(1).len()), (s.log().bytes(), 0));
    }
}
