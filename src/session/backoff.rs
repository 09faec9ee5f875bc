//! Reconnect delays: exponential, bounded, with jitter so many clients do not reconnect in step.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    pub min: Duration,
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self { min, max: max.max(min), attempt: 0 }
    }

    /// The next delay: `min * 2^attempt`, capped at `max`, then scaled into `[50%, 100%]` by `jitter`
    /// (a number in `[0, 1)`, random in the task, fixed in tests).
    pub fn next_delay(&mut self, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        let base = self.min.saturating_mul(factor).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// After a successful connection the next failure starts from `min` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// A connection ended after being up for `connected_for` (`None`: it never got a CONNACK). Only a
    /// healthy one, up for at least `healthy_after`, resets the backoff: a broker that accepts and then
    /// breaks the connection at once must not be hammered at the minimum delay.
    pub fn connection_ended(&mut self, connected_for: Option<Duration>, healthy_after: Duration) {
        if connected_for.is_some_and(|up| up >= healthy_after) {
            self.reset();
        }
    }
}

/// A number in `[0, 1)` from the process's random hasher keys; good enough for jitter.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let full: Vec<u64> = (0..6).map(|_| b.next_delay(1.0).as_millis() as u64).collect();
        assert_eq!(full, [500, 1000, 2000, 4000, 4000, 4000]);
        b.reset();
        assert_eq!(b.next_delay(0.0), Duration::from_millis(250), "jitter 0 halves the delay");
    }

    #[test]
    fn only_a_healthy_connection_resets_the_backoff() {
        let healthy = Duration::from_secs(30);
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let mut delays = Vec::new();
        for _ in 0..4 {
            b.connection_ended(Some(Duration::from_millis(10)), healthy);
            delays.push(b.next_delay(1.0).as_millis() as u64);
        }
        assert_eq!(delays, [500, 1000, 2000, 4000], "short connections keep the backoff growing");
        b.connection_ended(None, healthy);
        assert_eq!(b.next_delay(1.0), Duration::from_secs(8), "a failed attempt keeps it growing");
        b.connection_ended(Some(Duration::from_secs(31)), healthy);
        assert_eq!(b.next_delay(1.0), Duration::from_millis(500), "a healthy connection resets it");
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let samples: Vec<f64> = (0..50).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        assert!(samples.windows(2).any(|w| w[0] != w[1]));
    }
}
