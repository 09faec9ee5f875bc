//! Delays between two brokers in fixed memory: a histogram with three significant digits from 1 µs
//! to one hour, so a long run costs no more than a short one.

use hdrhistogram::Histogram;
use std::time::Duration;

const HIGHEST_MICROS: u64 = 3_600_000_000;

/// The delays of the messages matched in one direction.
#[derive(Debug, Clone)]
pub struct Delays {
    histogram: Option<Histogram<u64>>,
}

impl Default for Delays {
    fn default() -> Self {
        // The bounds are constants that hdrhistogram accepts; `None` would only lose the figures.
        Self { histogram: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).ok() }
    }
}

/// What a report shows of [`Delays`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelaySummary {
    pub count: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Delays {
    /// Adds one delay; beyond an hour it counts as an hour.
    pub fn record(&mut self, delay: Duration) {
        if let Some(h) = &mut self.histogram {
            let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX).clamp(1, HIGHEST_MICROS);
            h.saturating_record(micros);
        }
    }

    /// Percentiles, or `None` when nothing was recorded.
    pub fn summary(&self) -> Option<DelaySummary> {
        let h = self.histogram.as_ref().filter(|h| !h.is_empty())?;
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        Some(DelaySummary { count: h.len(), p50: at(0.5), p99: at(0.99), max: Duration::from_micros(h.max()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut d = Delays::default();
        assert_eq!(d.summary(), None);
        for ms in 1..=100 {
            d.record(Duration::from_millis(ms));
        }
        let s = d.summary().unwrap();
        assert_eq!(s.count, 100);
        let near = |got: Duration, ms: u64| got.abs_diff(Duration::from_millis(ms)) <= Duration::from_micros(ms * 10);
        assert!(near(s.p50, 50), "{s:?}");
        assert!(near(s.p99, 99), "{s:?}");
        assert!(near(s.max, 100), "{s:?}");
    }

    #[test]
    fn zero_and_huge_delays_are_kept_in_range() {
        let mut d = Delays::default();
        d.record(Duration::ZERO);
        d.record(Duration::from_secs(10 * 3600));
        let s = d.summary().unwrap();
        assert_eq!(s.count, 2);
        assert!(s.max >= Duration::from_secs(3599), "{s:?}");
    }
}
