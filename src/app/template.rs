//! Publish templates: saved messages whose topic and payload hold placeholders filled at send time,
//! `{{now}}` (RFC 3339 UTC), `{{counter}}` (1, 2, 3 … per template), `{{uuid}}` (random v4) and
//! `{{random A B}}` (an integer from A to B). Pure: the clock and the randomness come in.

use crate::codec::QoS;

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    pub topic: String,
    pub payload: String,
    pub qos: QoS,
    pub retain: bool,
    pub content_type: Option<String>,
    pub user_properties: Vec<(String, String)>,
    /// Messages per second in repeat mode.
    pub rate: f64,
}

/// What the placeholders need: the time, this template's send count, random numbers.
pub struct Fill<'a> {
    pub now_ms: u64,
    pub counter: u64,
    pub random: &'a mut dyn FnMut() -> u64,
}

/// Fills every placeholder in `text`. An unknown or malformed placeholder is an error naming it.
pub fn fill(text: &str, f: &mut Fill<'_>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("'{{{{' at byte {} is never closed", text.len() - rest.len() + start));
        };
        let inner = after[..end].trim();
        let mut words = inner.split_whitespace();
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("now"), None, ..) => {
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(f.now_ms);
                out.push_str(&crate::timefmt::rfc3339_millis(t));
            }
            (Some("counter"), None, ..) => out.push_str(&f.counter.to_string()),
            (Some("uuid"), None, ..) => out.push_str(&uuid4((f.random)(), (f.random)())),
            (Some("random"), Some(a), Some(b), None) => {
                let (a, b): (i64, i64) = match (a.parse(), b.parse()) {
                    (Ok(a), Ok(b)) if a <= b => (a, b),
                    _ => {
                        return Err(format!(
                            "{{{{{inner}}}}}: use {{{{random LOW HIGH}}}} with whole numbers, LOW <= HIGH"
                        ));
                    }
                };
                let span = (b - a) as u64 + 1;
                let v = a + ((f.random)() % span.max(1)) as i64;
                out.push_str(&v.to_string());
            }
            _ => return Err(format!("unknown placeholder {{{{{inner}}}}} (use now, counter, uuid or random A B)")),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A version 4 UUID from 128 random bits.
fn uuid4(hi: u64, lo: u64) -> String {
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// Repeat mode: a template sent at a fixed rate until stopped. Pure bookkeeping: `due` says how
/// many sends are owed by `now_ms`, and the achieved rate is measured over the last second.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    pub template: usize,
    pub rate: f64,
    started_ms: u64,
    pub sent: u64,
    window: std::collections::VecDeque<u64>,
}

/// At most this many sends are caught up in one call (after a stall), so a long pause does not burst.
const MAX_CATCH_UP: u64 = 1_000;

impl Repeat {
    pub fn new(template: usize, rate: f64, now_ms: u64) -> Self {
        Self { template, rate: rate.clamp(0.01, 100_000.0), started_ms: now_ms, sent: 0, window: Default::default() }
    }

    /// How many messages to send now to keep the rate.
    pub fn due(&mut self, now_ms: u64) -> u64 {
        let elapsed = now_ms.saturating_sub(self.started_ms) as f64 / 1000.0;
        let owed = (elapsed * self.rate).floor() as u64 + 1;
        let n = owed.saturating_sub(self.sent);
        if n > MAX_CATCH_UP {
            // Fell far behind (the UI stalled): start counting afresh instead of bursting.
            self.started_ms = now_ms;
            self.sent = 0;
            return 1;
        }
        n
    }

    pub fn record_sent(&mut self, n: u64, now_ms: u64) {
        self.sent += n;
        for _ in 0..n.min(MAX_CATCH_UP) {
            self.window.push_back(now_ms);
        }
        while self.window.front().is_some_and(|&t| t + 1000 < now_ms) {
            self.window.pop_front();
        }
    }

    /// Messages sent in the last second.
    pub fn achieved(&self, now_ms: u64) -> usize {
        self.window.iter().filter(|&&t| t + 1000 >= now_ms).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(text: &str, counter: u64) -> Result<String, String> {
        let mut seq = 0u64;
        let mut random = || {
            seq += 7;
            seq
        };
        fill(text, &mut Fill { now_ms: 1_795_628_616_123, counter, random: &mut random })
    }

    #[test]
    fn placeholders_are_filled() {
        let out = filled(r#"{"at":"{{now}}","n":{{counter}},"r":{{random 10 12}},"id":"{{ uuid }}"}"#, 3).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["at"], "2026-11-25T17:43:36.123Z");
        assert_eq!(v["n"], 3);
        let r = v["r"].as_i64().unwrap();
        assert!((10..=12).contains(&r));
        let id = v["id"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4", "version 4: {id}");
        assert!("89ab".contains(&id[19..20]), "variant: {id}");
        assert_eq!(filled("plain text", 1).unwrap(), "plain text");
        assert_eq!(filled("{{random -5 -5}}", 1).unwrap(), "-5");
    }

    #[test]
    fn bad_placeholders_are_named() {
        assert!(filled("{{nope}}", 1).unwrap_err().contains("unknown placeholder {{nope}}"));
        assert!(filled("{{random 5 1}}", 1).unwrap_err().contains("LOW <= HIGH"));
        assert!(filled("x {{now", 1).unwrap_err().contains("never closed"));
    }

    #[test]
    fn repeat_keeps_its_rate_and_does_not_burst_after_a_stall() {
        let mut r = Repeat::new(0, 10.0, 0);
        assert_eq!(r.due(0), 1);
        r.record_sent(1, 0);
        assert_eq!(r.due(50), 0);
        assert_eq!(r.due(1_000), 10);
        r.record_sent(10, 1_000);
        assert_eq!(r.achieved(1_000), 11);
        assert_eq!(r.achieved(2_500), 0);
        assert_eq!(r.due(1_000_000), 1, "after a long stall it restarts instead of sending 10,000 at once");
    }
}
