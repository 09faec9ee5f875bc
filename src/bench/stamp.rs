//! The header every bench payload starts with: who sent it, its sequence number and when it was
//! scheduled to go out. A subscriber (in this process or another) measures latency and loss from it.
//!
//! ```text
//! 0      4          8                16                 24
//! "MQSB" | run id u32 | client u32 | sequence u64 | scheduled send time u64 (ns since the Unix epoch)
//! ```
//! All integers big-endian. The scheduled time, not the time the bytes left, is what latency counts
//! from: a publisher that falls behind its schedule shows up as latency (coordinated omission).

use std::time::{SystemTime, UNIX_EPOCH};

pub const MAGIC: [u8; 4] = *b"MQSB";
/// Bytes taken by the header; a payload is at least this long.
pub const LEN: usize = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Random per `mqscope bench` process, so two runs on one topic are told apart.
    pub run: u32,
    pub client: u32,
    pub seq: u64,
    /// Nanoseconds since the Unix epoch.
    pub scheduled_ns: u64,
}

impl Stamp {
    pub fn write(&self, out: &mut [u8]) {
        if out.len() < LEN {
            return;
        }
        out[..4].copy_from_slice(&MAGIC);
        out[4..8].copy_from_slice(&self.run.to_be_bytes());
        out[8..12].copy_from_slice(&self.client.to_be_bytes());
        out[12..20].copy_from_slice(&self.seq.to_be_bytes());
        out[20..28].copy_from_slice(&self.scheduled_ns.to_be_bytes());
    }

    /// `None` for payloads that do not start with a stamp (other traffic on the filter).
    pub fn read(payload: &[u8]) -> Option<Self> {
        let head = payload.get(..LEN)?;
        if head[..4] != MAGIC {
            return None;
        }
        let u32_at = |i: usize| head.get(i..i + 4).and_then(|b| b.try_into().ok()).map(u32::from_be_bytes);
        let u64_at = |i: usize| head.get(i..i + 8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
        Some(Self { run: u32_at(4)?, client: u32_at(8)?, seq: u64_at(12)?, scheduled_ns: u64_at(20)? })
    }

    /// Publisher identity across processes.
    pub fn publisher(&self) -> u64 {
        (u64::from(self.run) << 32) | u64::from(self.client)
    }
}

/// Nanoseconds since the Unix epoch (0 before it, saturating far after it).
pub fn epoch_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Latency from the scheduled send time to `received`; zero when clocks say it arrived early.
pub fn latency_ns(scheduled_ns: u64, received: SystemTime) -> u64 {
    epoch_ns(received).saturating_sub(scheduled_ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_written_stamp_reads_back_and_leaves_the_rest_alone() {
        let s = Stamp { run: 0xdead_beef, client: 7, seq: 1 << 40, scheduled_ns: 1_700_000_000_123_456_789 };
        let mut buf = vec![b'x'; 40];
        s.write(&mut buf);
        assert_eq!(Stamp::read(&buf), Some(s));
        assert_eq!(&buf[LEN..], &[b'x'; 12]);
        assert_eq!(s.publisher(), (0xdead_beef_u64 << 32) | 7);
    }

    #[test]
    fn payloads_without_the_magic_or_too_short_are_not_stamps() {
        assert_eq!(Stamp::read(b"hello world, this is not a stamp"), None);
        assert_eq!(Stamp::read(&MAGIC), None);
        assert_eq!(Stamp::read(&[]), None);
    }

    #[test]
    fn latency_counts_from_the_scheduled_time_and_never_goes_negative() {
        let t = UNIX_EPOCH + Duration::from_millis(1500);
        assert_eq!(latency_ns(1_000_000_000, t), 500_000_000);
        assert_eq!(latency_ns(2_000_000_000, t), 0);
    }
}
