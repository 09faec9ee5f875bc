//! The message log: the newest messages across all topics, as small entries that refer to the
//! history by topic and sequence number. While history keeps a message, its entry reads the payload
//! there; when history lets it go, the entry keeps the payload's head for its row (never the
//! payload itself), so evicting a message from history frees its bytes everywhere.
//!
//! A pause freezes the shown entries: arrivals go to a separate `pending` queue (the newest
//! `capacity` of them), and nothing shown is evicted until the pause ends, except for the memory
//! budget, which is said on screen.

use super::topics::NodeId;
use crate::codec::QoS;
use crate::payload;
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The message's arrival order; with `topic`, finds it in the history while it is kept.
    pub seq: u64,
    pub topic: NodeId,
    pub at_ms: u64,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    /// The payload's length.
    pub len: usize,
    /// The payload's first bytes (`payload::HEAD_BYTES`), for the row, once history no longer
    /// keeps the message (`Log::keep_head`); empty while it does (see `Store::head`).
    pub head: Box<[u8]>,
    /// Whether the log filter matches, `None` until checked.
    pub filter_hit: Option<bool>,
    /// Whether the log search matches, `None` until checked.
    pub search_hit: Option<bool>,
    /// The message broke its topic's schema.
    pub invalid: bool,
}

impl LogEntry {
    pub fn new(seq: u64, topic: NodeId, at_ms: u64, m: &crate::session::Message) -> Self {
        Self {
            seq,
            topic,
            at_ms,
            qos: m.qos,
            retain: m.retain,
            dup: m.dup,
            len: m.payload.len(),
            head: Box::default(),
            filter_hit: None,
            search_hit: None,
            invalid: false,
        }
    }

    /// Memory the entry holds: itself in the queue, its head, allocator rounding.
    pub fn cost(&self) -> usize {
        ENTRY_COST + self.head.len().next_multiple_of(16)
    }
}

/// Memory an entry costs besides its head.
const ENTRY_COST: usize = std::mem::size_of::<LogEntry>() + 16;

#[derive(Debug)]
pub struct Log {
    /// The entries the log shows, oldest first; frozen while paused.
    shown: VecDeque<LogEntry>,
    /// Arrivals during a pause, oldest first; joined to `shown` on resume.
    pending: VecDeque<LogEntry>,
    capacity: usize,
    paused: bool,
    bytes: usize,
    /// Entries dropped to stay within the memory budget.
    pub by_budget: u64,
}

impl Log {
    pub fn new(capacity: usize) -> Self {
        Self {
            shown: VecDeque::new(),
            pending: VecDeque::new(),
            capacity: capacity.max(1),
            paused: false,
            bytes: 0,
            by_budget: 0,
        }
    }

    /// Memory the entries hold.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The shown entries, oldest first, in `seq` order (with a gap after a pause that outlasted
    /// the capacity).
    pub fn entries(&self) -> &VecDeque<LogEntry> {
        &self.shown
    }

    /// Every entry, shown and pending, newest first (for matching).
    pub fn all_mut(&mut self) -> impl Iterator<Item = &mut LogEntry> {
        self.pending.iter_mut().rev().chain(self.shown.iter_mut().rev())
    }

    /// The shown entry for message `seq`, if the log still has it (entries are in `seq` order).
    pub fn get(&self, seq: u64) -> Option<&LogEntry> {
        let i = self.entries().partition_point(|e| e.seq < seq);
        self.entries().get(i).filter(|e| e.seq == seq)
    }

    /// History let message `seq` go: its entry, if the log still has it, keeps the payload's head.
    pub fn keep_head(&mut self, seq: u64, payload: &[u8]) {
        let queue = match self.pending.front() {
            Some(first) if first.seq <= seq => &mut self.pending,
            _ => &mut self.shown,
        };
        let i = queue.partition_point(|e| e.seq < seq);
        if let Some(e) = queue.get_mut(i).filter(|e| e.seq == seq && e.head.is_empty()) {
            let before = e.cost();
            e.head = payload::head(payload).into();
            self.bytes += e.cost() - before;
        }
    }

    pub fn newest_mut(&mut self) -> Option<&mut LogEntry> {
        if self.paused { self.pending.back_mut() } else { self.shown.back_mut() }
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    pub fn push(&mut self, entry: LogEntry) {
        self.bytes += entry.cost();
        let queue = if self.paused { &mut self.pending } else { &mut self.shown };
        queue.push_back(entry);
        if queue.len() > self.capacity
            && let Some(old) = queue.pop_front()
        {
            self.bytes -= old.cost();
        }
    }

    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Ends a pause: what arrived meanwhile joins the shown entries, the oldest go beyond the
    /// capacity.
    pub fn resume(&mut self) {
        self.paused = false;
        self.shown.append(&mut self.pending);
        while self.shown.len() > self.capacity {
            if let Some(old) = self.shown.pop_front() {
                self.bytes -= old.cost();
            }
        }
    }

    /// Drops the oldest entry for the memory budget (pending ones first, so the frozen screen
    /// stays while it can), keeping the newest shown one. False when nothing can go.
    pub fn evict_for_budget(&mut self) -> bool {
        let old = if self.pending.is_empty() {
            if self.shown.len() <= 1 {
                return false;
            }
            self.shown.pop_front()
        } else {
            self.pending.pop_front()
        };
        if let Some(old) = old {
            self.bytes -= old.cost();
            self.by_budget += 1;
        }
        true
    }

    /// Forgets every match result (the filter or the search changed).
    pub fn reset_hits(&mut self, filter: bool, search: bool) {
        for e in self.shown.iter_mut().chain(self.pending.iter_mut()) {
            if filter {
                e.filter_hit = None;
            }
            if search {
                e.search_hit = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Bytes;

    fn entry(seq: u64) -> LogEntry {
        let m = crate::session::Message {
            topic: "t".into(),
            payload: Bytes::from(vec![b'x'; 1000]),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: Default::default(),
            received_at: std::time::UNIX_EPOCH,
        };
        LogEntry::new(seq, 1, 0, &m)
    }

    fn seqs(log: &Log) -> Vec<u64> {
        log.entries().iter().map(|e| e.seq).collect()
    }

    #[test]
    fn an_entry_keeps_only_the_head_of_its_payload_and_only_once_history_lets_it_go() {
        let mut log = Log::new(10);
        for s in [1, 2, 4] {
            log.push(entry(s));
        }
        log.pause();
        log.push(entry(5));
        let each = entry(1).cost();
        assert_eq!((log.get(1).map(|e| (e.len, e.head.len())), log.bytes()), (Some((1000, 0)), 4 * each));
        log.keep_head(1, &[b'x'; 1000]);
        log.keep_head(5, &[b'y'; 3]);
        // Not in the log (never, or no longer): nothing changes.
        log.keep_head(0, &[1; 10]);
        log.keep_head(3, &[1; 10]);
        log.keep_head(6, &[1; 10]);
        assert_eq!(log.get(1).map(|e| e.head.len()), Some(payload::HEAD_BYTES));
        assert_eq!(log.pending.back().map(|e| &e.head[..]), Some(&b"yyy"[..]));
        assert_eq!(log.bytes(), 4 * each + payload::HEAD_BYTES + 16);
        assert!(log.all_mut().filter(|e| e.seq != 1 && e.seq != 5).all(|e| e.head.is_empty()));
        assert!(log.get(1).unwrap().cost() < 1000);
    }

    #[test]
    fn a_pause_keeps_the_shown_entries_and_holds_the_newest_arrivals() {
        let mut log = Log::new(3);
        for s in 1..=3 {
            log.push(entry(s));
        }
        log.pause();
        for s in 4..=10 {
            log.push(entry(s));
        }
        assert_eq!(seqs(&log), [1, 2, 3], "frozen while paused");
        assert_eq!(log.bytes(), 6 * entry(1).cost(), "shown and pending both count");
        log.resume();
        assert_eq!(seqs(&log), [8, 9, 10], "then the newest");
        assert_eq!(log.bytes(), 3 * entry(1).cost());
    }

    #[test]
    fn the_budget_takes_pending_entries_first_and_never_the_last_shown() {
        let mut log = Log::new(10);
        log.push(entry(1));
        log.push(entry(2));
        log.pause();
        log.push(entry(3));
        assert!(log.evict_for_budget());
        assert_eq!((seqs(&log), log.pending.len()), (vec![1, 2], 0));
        assert!(log.evict_for_budget());
        assert!(!log.evict_for_budget(), "the last shown entry stays");
        assert_eq!((seqs(&log), log.by_budget), (vec![2], 2));
    }
}
