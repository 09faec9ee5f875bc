//! The open-loop send schedule of one publisher: message `i` is due at `start + i / rate`, whatever
//! happened to the ones before it. A publisher that cannot keep up sends late, and counts how late,
//! instead of quietly lowering the rate.

use std::time::Duration;

/// A send counts as late once it is this far behind its due time: tokio's timers tick every
/// millisecond, so up to 1 ms behind is the schedule's own resolution.
pub const LATE_AFTER: Duration = Duration::from_millis(2);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// `None`: as fast as possible (closed loop, no schedule to miss).
    pub interval: Option<Duration>,
}

impl Schedule {
    /// `rate` in messages per second; `None` or infinite means no schedule.
    pub fn new(rate: Option<f64>) -> Self {
        let interval = rate.filter(|r| r.is_finite() && *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r));
        Self { interval }
    }

    /// When message `i` is due, as an offset from the start. `None` without a schedule.
    pub fn due(&self, i: u64) -> Option<Duration> {
        let step = self.interval?;
        // In nanoseconds: u128 cannot overflow for any u64 index.
        let ns = step.as_nanos().saturating_mul(u128::from(i));
        Some(Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX)))
    }
}

/// How far the sends fell behind their schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lag {
    /// Sends more than [`LATE_AFTER`] behind.
    pub late: u64,
    pub max: Duration,
}

impl Lag {
    /// Notes one send made `behind` after its due time.
    pub fn note(&mut self, behind: Duration) {
        if behind > LATE_AFTER {
            self.late += 1;
        }
        self.max = self.max.max(behind);
    }

    pub fn merge(&mut self, other: Lag) {
        self.late += other.late;
        self.max = self.max.max(other.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_evenly_spaced_from_the_start() {
        let s = Schedule::new(Some(1000.0));
        assert_eq!(s.due(0), Some(Duration::ZERO));
        assert_eq!(s.due(1), Some(Duration::from_millis(1)));
        assert_eq!(s.due(2500), Some(Duration::from_millis(2500)));
    }

    #[test]
    fn no_rate_means_no_schedule() {
        assert_eq!(Schedule::new(None).due(5), None);
        assert_eq!(Schedule::new(Some(0.0)).due(5), None);
        assert_eq!(Schedule::new(Some(f64::INFINITY)).due(5), None);
    }

    #[test]
    fn sends_behind_by_more_than_two_milliseconds_count_as_late() {
        let mut lag = Lag::default();
        lag.note(Duration::from_micros(1300));
        lag.note(Duration::from_millis(5));
        assert_eq!(lag, Lag { late: 1, max: Duration::from_millis(5) });
    }
}
