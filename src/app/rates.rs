//! Message rates: a per-topic "last full second" counter and a global per-second series for
//! sparklines. Pure; time is the caller's (seconds since the epoch).

/// Counts in the current second and the one before, enough for a live "msgs/s" per topic in
/// 12 bytes (100,000 topics cost about a megabyte).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateTrack {
    sec: u32,
    cur: u32,
    prev: u32,
}

impl RateTrack {
    pub fn add(&mut self, sec: u32) {
        self.add_n(sec, 1);
    }

    /// Adds `n` (messages, or bytes for a byte rate) in second `sec`.
    pub fn add_n(&mut self, sec: u32, n: u32) {
        if sec == self.sec {
            self.cur = self.cur.saturating_add(n);
        } else if sec > self.sec {
            self.prev = if sec == self.sec + 1 { self.cur } else { 0 };
            self.sec = sec;
            self.cur = n;
        } else if sec + 1 == self.sec {
            // A message stamped just before the second rolled over.
            self.prev = self.prev.saturating_add(n);
        }
    }

    /// Messages in the last complete second before `now_sec`.
    pub fn per_second(&self, now_sec: u32) -> u32 {
        if now_sec == self.sec {
            self.prev
        } else if now_sec == self.sec + 1 {
            self.cur
        } else {
            0
        }
    }
}

/// A ring of per-second totals (messages and bytes), newest last.
#[derive(Debug, Clone)]
pub struct Series {
    msgs: Vec<u64>,
    bytes: Vec<u64>,
    /// The second held at `head`.
    head_sec: u32,
    head: usize,
}

impl Series {
    pub fn new(seconds: usize) -> Self {
        let n = seconds.max(2);
        Self { msgs: vec![0; n], bytes: vec![0; n], head_sec: 0, head: 0 }
    }

    fn advance(&mut self, sec: u32) {
        if sec <= self.head_sec {
            return;
        }
        let n = self.msgs.len();
        let steps = (sec - self.head_sec) as usize;
        for _ in 0..steps.min(n) {
            self.head = (self.head + 1) % n;
            self.msgs[self.head] = 0;
            self.bytes[self.head] = 0;
        }
        self.head_sec = sec;
    }

    pub fn add(&mut self, sec: u32, bytes: usize) {
        self.advance(sec);
        let n = self.msgs.len();
        let back = self.head_sec.saturating_sub(sec) as usize;
        if back >= n {
            return;
        }
        let i = (self.head + n - back) % n;
        self.msgs[i] += 1;
        self.bytes[i] += bytes as u64;
    }

    /// The last `count` complete seconds before `now_sec`, oldest first: (messages, bytes).
    pub fn last(&mut self, now_sec: u32, count: usize) -> (Vec<u64>, Vec<u64>) {
        self.advance(now_sec);
        let n = self.msgs.len();
        let count = count.min(n - 1);
        let mut m = Vec::with_capacity(count);
        let mut b = Vec::with_capacity(count);
        for k in (1..=count).rev() {
            let i = (self.head + n - k) % n;
            m.push(self.msgs[i]);
            b.push(self.bytes[i]);
        }
        (m, b)
    }

    /// Like `last`, without moving the ring (for drawing from `&self`): seconds after the newest
    /// recorded one count as zero.
    pub fn last_immutable(&self, now_sec: u32, count: usize) -> (Vec<u64>, Vec<u64>) {
        let n = self.msgs.len();
        let count = count.min(n - 1);
        let mut m = Vec::with_capacity(count);
        let mut b = Vec::with_capacity(count);
        for k in (1..=count).rev() {
            // The second now_sec - k, relative to head_sec.
            let sec = i64::from(now_sec) - k as i64;
            let back = i64::from(self.head_sec) - sec;
            if back < 0 || back as usize >= n {
                m.push(0);
                b.push(0);
            } else {
                let i = (self.head + n - back as usize) % n;
                m.push(self.msgs[i]);
                b.push(self.bytes[i]);
            }
        }
        (m, b)
    }

    /// Messages in the last complete second.
    pub fn per_second(&self, now_sec: u32) -> (u64, u64) {
        let n = self.msgs.len();
        let back = now_sec.saturating_sub(self.head_sec) as usize;
        match back {
            0 => {
                let i = (self.head + n - 1) % n;
                (self.msgs[i], self.bytes[i])
            }
            1 => (self.msgs[self.head], self.bytes[self.head]),
            _ => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_the_last_complete_second() {
        let mut r = RateTrack::default();
        for _ in 0..5 {
            r.add(100);
        }
        r.add(101);
        assert_eq!(r.per_second(101), 5);
        assert_eq!(r.per_second(102), 1);
        assert_eq!(r.per_second(103), 0, "idle topics fall to zero");
        r.add(110);
        assert_eq!(r.per_second(110), 0, "a gap resets the previous second");
    }

    #[test]
    fn series_keeps_a_window_and_zero_fills_gaps() {
        let mut s = Series::new(10);
        s.add(1000, 10);
        s.add(1000, 10);
        s.add(1002, 5);
        let (m, b) = s.last(1003, 4);
        assert_eq!(m, [0, 2, 0, 1]);
        assert_eq!(b, [0, 20, 0, 5]);
        assert_eq!(s.per_second(1003), (1, 5));
        let (m, _) = s.last(1100, 3);
        assert_eq!(m, [0, 0, 0]);
    }
}
