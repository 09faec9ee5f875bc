//! The dashboard's own stopwatch: how long each frame takes (applying the session events that came
//! since the last one, `prepare`, the draw, the terminal write) and how long a key takes to show its
//! effect on screen (read to flushed). Pure: the terminal loop measures and hands the durations in;
//! this keeps the percentiles for the log file and the on-screen line (`--frame-stats`, `F12`).

use std::fmt::Write as _;
use std::time::Duration;

/// Log-linear buckets over microseconds: exact below 16 µs, then 8 buckets per power of two, so a
/// percentile is within 12.5% whatever the scale, in a fixed 2.5 KiB per histogram.
const EXACT: u64 = 16;
const SUB: u64 = 8;
const BUCKETS: usize = 16 + 8 * 40;

#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Box<[u32; BUCKETS]>,
    n: u64,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: Box::new([0; BUCKETS]), n: 0, max_us: 0 }
    }
}

fn bucket(us: u64) -> usize {
    if us < EXACT {
        return us as usize;
    }
    let exp = 63 - u64::from(us.leading_zeros()); // >= 4
    let sub = (us >> (exp - 3)) & (SUB - 1);
    (EXACT + (exp - 4) * SUB + sub).min(BUCKETS as u64 - 1) as usize
}

/// The largest value that lands in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let exp = (i - EXACT) / SUB + 4;
    let sub = (i - EXACT) % SUB;
    ((SUB + sub + 1) << (exp - 3)) - 1
}

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let b = &mut self.counts[bucket(us)];
        *b = b.saturating_add(1);
        self.n += 1;
        self.max_us = self.max_us.max(us);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_us)
    }

    /// The value at quantile `q` (0..=1): the top of its bucket, never above the largest seen.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.n == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.n as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Duration::from_micros(upper(i).min(self.max_us));
            }
        }
        self.max()
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// One frame's parts, as measured by the terminal loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameTiming {
    /// Applying the session events that arrived since the previous frame.
    pub apply: Duration,
    /// `App::prepare`: rows, selection, caches.
    pub prepare: Duration,
    /// `ui::draw` into the buffer.
    pub draw: Duration,
    /// The backend's diff of the buffers, the write to the terminal and its flush.
    pub flush: Duration,
}

impl FrameTiming {
    /// The frame itself: prepare, draw and flush (what a key waits for once applied).
    pub fn frame(&self) -> Duration {
        self.prepare + self.draw + self.flush
    }
}

/// Histograms of every part, over some stretch of time.
#[derive(Debug, Clone, Default)]
pub struct Span {
    pub frame: Histogram,
    pub apply: Histogram,
    pub prepare: Histogram,
    pub draw: Histogram,
    pub flush: Histogram,
    /// Key read to its effect flushed to the terminal.
    pub keys: Histogram,
    /// Messages applied in these frames.
    pub messages: u64,
}

impl Span {
    fn record(&mut self, t: &FrameTiming, messages: u64) {
        self.frame.record(t.frame());
        self.apply.record(t.apply);
        self.prepare.record(t.prepare);
        self.draw.record(t.draw);
        self.flush.record(t.flush);
        self.messages += messages;
    }

    /// One line for the log file, or `None` when nothing was drawn.
    pub fn log_line(&self, label: &str) -> Option<String> {
        if self.frame.count() == 0 {
            return None;
        }
        let mut s = format!("frame stats ({label}): {} frames, {} messages", self.frame.count(), self.messages);
        for (name, h) in [
            ("frame", &self.frame),
            ("apply", &self.apply),
            ("prepare", &self.prepare),
            ("draw", &self.draw),
            ("flush", &self.flush),
        ] {
            let _ = write!(s, "; {name} {}", triple(h));
        }
        let _ = write!(s, "; keys {}", self.keys.count());
        if self.keys.count() > 0 {
            let _ = write!(s, " {}", triple(&self.keys));
        }
        Some(s)
    }
}

/// `p50 1.20 p99 3.40 max 9.10 ms`.
fn triple(h: &Histogram) -> String {
    format!("p50 {} p99 {} max {} ms", ms(h.quantile(0.5)), ms(h.quantile(0.99)), ms(h.max()))
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// What the on-screen line shows: the last complete period (or the current one before the first
/// ends), and the worst key latency of the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shown {
    pub frames: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub keys: u64,
    pub key_p99: Duration,
    pub key_max: Duration,
}

/// Frame and key times for the period being measured and for the whole run.
#[derive(Debug, Clone, Default)]
pub struct FrameStats {
    pub period: Span,
    pub total: Span,
    /// Shown on screen (`--frame-stats`, `F12`).
    pub visible: bool,
    /// What the screen shows, refreshed once a second so that the numbers alone do not redraw
    /// every frame.
    pub shown: Shown,
}

impl FrameStats {
    pub fn record_frame(&mut self, t: &FrameTiming, messages: u64) {
        self.period.record(t, messages);
        self.total.record(t, messages);
    }

    pub fn record_key(&mut self, latency: Duration) {
        self.period.keys.record(latency);
        self.total.keys.record(latency);
    }

    /// Recomputes what the screen shows; true when it changed.
    pub fn refresh_shown(&mut self) -> bool {
        let p = &self.period;
        let shown = Shown {
            frames: p.frame.count(),
            p50: p.frame.quantile(0.5),
            p99: p.frame.quantile(0.99),
            max: p.frame.max(),
            keys: self.total.keys.count(),
            key_p99: self.total.keys.quantile(0.99),
            key_max: self.total.keys.max(),
        };
        std::mem::replace(&mut self.shown, shown) != shown
    }

    /// The period's log line; the period starts again.
    pub fn end_period(&mut self, label: &str) -> Option<String> {
        let line = self.period.log_line(label);
        self.period = Span::default();
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn buckets_cover_every_value_in_order_within_an_eighth() {
        let mut last = 0;
        for v in (0..100_000u64).chain([1 << 30, 1 << 40, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last, "{v}");
            last = b;
            if b < BUCKETS - 1 {
                assert!(upper(b) >= v, "{v} above its bucket's top {}", upper(b));
                assert!(upper(b) - v <= v / 8, "{v}: bucket top {} too far", upper(b));
            }
        }
    }

    #[test]
    fn percentiles_and_max() {
        let mut h = Histogram::default();
        for i in 1..=100 {
            h.record(us(i * 100));
        }
        assert_eq!(h.count(), 100);
        let p50 = h.quantile(0.5).as_micros() as u64;
        assert!((5_000..=5_000 + 5_000 / 8).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99).as_micros() as u64;
        assert!((9_900..=10_000).contains(&p99), "{p99}");
        assert_eq!(h.max(), us(10_000));
        assert_eq!(Histogram::default().quantile(0.99), Duration::ZERO);
    }

    #[test]
    fn one_slow_frame_shows_in_the_max_and_the_log_line() {
        let mut s = FrameStats::default();
        let t = FrameTiming { apply: us(300), prepare: us(200), draw: us(700), flush: us(100) };
        for _ in 0..99 {
            s.record_frame(&t, 10);
        }
        s.record_frame(&FrameTiming { draw: us(40_000), ..t }, 10);
        s.record_key(us(2_000));
        assert!(s.refresh_shown());
        assert!(!s.refresh_shown(), "no change, no redraw");
        assert_eq!((s.shown.frames, s.shown.keys, s.shown.key_max), (100, 1, us(2_000)));
        assert_eq!(s.shown.max, us(40_300));
        assert!(s.shown.p50 >= us(1_000) && s.shown.p50 < us(1_200), "{:?}", s.shown.p50);
        let line = s.end_period("10 s").unwrap();
        assert!(line.starts_with("frame stats (10 s): 100 frames, 1000 messages; frame p50 1.0"), "{line}");
        assert!(line.contains("max 40.30 ms; apply"), "{line}");
        assert!(line.ends_with("keys 1 p50 2.00 p99 2.00 max 2.00 ms"), "{line}");
        assert_eq!(s.end_period("10 s"), None, "a new period");
        assert_eq!(s.total.frame.count(), 100, "the whole run stays");
    }
}
