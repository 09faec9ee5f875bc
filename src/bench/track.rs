//! Per-publisher sequence accounting on the receiving side: what arrived once, twice, late or never.
//! Pure: sequence numbers in, counts out.

use std::collections::BTreeMap;

/// What one subscriber (or one shared-subscription group) saw of one publisher.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracker {
    /// The sequence number after the highest one seen.
    next: u64,
    /// Sequence numbers below `next` not seen yet, as `start -> end` (exclusive) ranges: a burst of
    /// loss costs one entry, not one per message.
    missing: BTreeMap<u64, u64>,
    pub unique: u64,
    pub duplicated: u64,
    /// Arrived after a higher sequence number had arrived.
    pub out_of_order: u64,
}

impl Tracker {
    pub fn see(&mut self, seq: u64) {
        if seq >= self.next {
            if seq > self.next {
                self.missing.insert(self.next, seq);
            }
            self.next = seq + 1;
            self.unique += 1;
            return;
        }
        // Below the highest seen: either filling a gap (out of order) or a repeat.
        let Some((&start, &end)) = self.missing.range(..=seq).next_back() else {
            self.duplicated += 1;
            return;
        };
        if seq >= end {
            self.duplicated += 1;
            return;
        }
        self.missing.remove(&start);
        if start < seq {
            self.missing.insert(start, seq);
        }
        if seq + 1 < end {
            self.missing.insert(seq + 1, end);
        }
        self.unique += 1;
        self.out_of_order += 1;
    }

    /// Messages never seen, given that the publisher sent `sent` (sequence numbers `0..sent`); when
    /// that is not known (another process publishes), only the gaps below the highest seen count.
    pub fn lost(&self, sent: Option<u64>) -> u64 {
        match sent {
            Some(sent) => sent.saturating_sub(self.unique),
            None => self.missing.values().zip(self.missing.keys()).map(|(end, start)| end - start).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(seqs: &[u64]) -> Tracker {
        let mut t = Tracker::default();
        for &s in seqs {
            t.see(s);
        }
        t
    }

    #[test]
    fn an_unbroken_sequence_has_nothing_to_report() {
        let t = seen(&[0, 1, 2, 3]);
        assert_eq!((t.unique, t.duplicated, t.out_of_order, t.lost(Some(4))), (4, 0, 0, 0));
    }

    #[test]
    fn a_gap_is_lost_until_it_is_filled_out_of_order() {
        let t = seen(&[0, 1, 5, 6]);
        assert_eq!(t.lost(None), 3);
        assert_eq!(t.lost(Some(8)), 4); // 8 sent, 4 seen
        let t = seen(&[0, 1, 5, 3, 6]);
        assert_eq!((t.unique, t.out_of_order, t.lost(None)), (5, 1, 2));
    }

    #[test]
    fn repeats_count_as_duplicates_wherever_they_fall() {
        let t = seen(&[0, 0, 3, 3, 1, 1, 2]);
        assert_eq!((t.unique, t.duplicated, t.out_of_order), (4, 3, 2));
        assert_eq!(t.lost(Some(4)), 0);
    }

    #[test]
    fn messages_after_the_last_seen_are_lost_only_when_the_sent_count_is_known() {
        let t = seen(&[0, 1]);
        assert_eq!(t.lost(None), 0);
        assert_eq!(t.lost(Some(10)), 8);
    }
}
