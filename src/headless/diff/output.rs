//! The diff report as text for people and as one JSON object for scripts. Every topic and payload is
//! escaped: a payload that differs only in a trailing newline shows the `\n`.

use crate::compare::Report;
use crate::compare::delay::DelaySummary;
use crate::sanitize;
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::time::Duration;

/// Payload bytes shown per value in the text output.
const SHOWN_BYTES: usize = 200;

/// What the report needs besides the comparison itself.
pub struct Summary {
    /// Both URLs, password masked and sanitised.
    pub labels: [String; 2],
    pub filters: [Vec<String>; 2],
    pub maps: Vec<String>,
    pub retained_mode: bool,
    /// Live traffic watched (both subscribed) before the last messages were waited for.
    pub watched: Duration,
    pub elapsed: Duration,
    pub max_delay: Duration,
    pub reconnects: [u64; 2],
    /// Topics listed per section (text only).
    pub list: usize,
}

fn quoted_filters(filters: &[String]) -> String {
    filters.iter().map(|f| format!("'{}'", sanitize::line(f))).collect::<Vec<_>>().join(", ")
}

/// A payload as text in quotes, every control and invisible character escaped, cut after
/// [`SHOWN_BYTES`].
fn shown(payload: &[u8]) -> String {
    let cut = payload.get(..SHOWN_BYTES).unwrap_or(payload);
    let more = if cut.len() < payload.len() { format!("… ({} bytes)", payload.len()) } else { String::new() };
    format!("\"{}\"{more}", sanitize::bytes(cut, false).replace('"', "\\\""))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn delay_line(d: Option<DelaySummary>) -> String {
    match d {
        Some(d) => format!("p50 {}, p99 {}, max {} ({} pairs)", ms(d.p50), ms(d.p99), ms(d.max), d.count),
        None => "none".into(),
    }
}

/// The verdict in words.
fn verdict(s: &Summary, r: &Report) -> &'static str {
    if s.reconnects != [0, 0] {
        "INCOMPLETE: a connection was lost during the run"
    } else if r.nothing_seen() {
        "NOTHING TO COMPARE: no message under the filter on either broker"
    } else if r.differs() {
        "DIFFERENT"
    } else if r.late() {
        "LATE: every message arrived, some after --max-delay"
    } else if r.incomplete() {
        "INCOMPLETE: some messages were not checked"
    } else {
        "EQUAL"
    }
}

/// Writes a section: a heading with the count, then at most `limit` lines.
fn section<T>(
    out: &mut impl Write,
    heading: &str,
    items: &[T],
    limit: usize,
    line: impl Fn(&T) -> String,
) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "{heading} ({}):", items.len())?;
    for item in items.iter().take(limit) {
        writeln!(out, "  {}", line(item))?;
    }
    if items.len() > limit {
        writeln!(out, "  … and {} more (--list N, or -F json for all)", items.len() - limit)?;
    }
    Ok(())
}

pub fn text(out: &mut impl Write, s: &Summary, r: &Report) -> io::Result<()> {
    let c = &r.counts;
    writeln!(out, "A  {}  {}", s.labels[0], quoted_filters(&s.filters[0]))?;
    let maps = if s.maps.is_empty() {
        String::new()
    } else {
        format!("  (--map {})", s.maps.iter().map(|m| sanitize::line(m).into_owned()).collect::<Vec<_>>().join(" "))
    };
    writeln!(out, "B  {}  {}{maps}", s.labels[1], quoted_filters(&s.filters[1]))?;
    if s.retained_mode {
        writeln!(out, "retained messages only, snapshots taken in {:.1} s", s.elapsed.as_secs_f64())?;
    } else {
        writeln!(
            out,
            "live traffic watched for {:.1} s, then up to {:.1} s for the last messages",
            s.watched.as_secs_f64(),
            s.max_delay.as_secs_f64()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "topics: {} on both, {} only on A, {} only on B", r.both, r.only_a.len(), r.only_b.len())?;
    let count = |t: &crate::compare::TopicCount| {
        let retained = if t.retained { ", retained" } else { "" };
        format!("{}  ({} messages{retained})", sanitize::line(&t.topic), t.messages)
    };
    section(out, "only on A", &r.only_a, s.list, count)?;
    section(out, "only on B (in A's names)", &r.only_b, s.list, count)?;
    section(out, "retained values that differ", &r.retained_differ, s.list, |d| {
        format!("{}\n    A: {}\n    B: {}", sanitize::line(&d.topic), shown(&d.a), shown(&d.b))
    })?;
    section(out, "retained on A, not on B", &r.retained_only_a, s.list, |t| sanitize::line(t).into_owned())?;
    section(out, "retained on B, not on A", &r.retained_only_b, s.list, |t| sanitize::line(t).into_owned())?;
    if !s.retained_mode {
        writeln!(out, "messages: {} on A, {} on B (live, under the filter)", c.messages[0], c.messages[1])?;
        let late = |n: u64| match n {
            0 => String::new(),
            n => format!(" ({n} of them late: after {:.1} s)", s.max_delay.as_secs_f64()),
        };
        writeln!(
            out,
            "  of A's, {} seen on B{}, {} lost (not on B within {:.1} s, nor later)",
            c.matched[0],
            late(c.late[0]),
            c.unmatched[0],
            s.max_delay.as_secs_f64()
        )?;
        writeln!(out, "  of B's, {} seen on A{}, {} never seen on A", c.matched[1], late(c.late[1]), c.unmatched[1])?;
        section(out, "topics on both with messages missing or late", &r.unmatched, s.list, |u| {
            let mut parts = Vec::new();
            for (n, what) in [
                (u.a_to_b, "of A's lost"),
                (u.late_a_to_b, "of A's late on B"),
                (u.b_not_on_a, "of B's never on A"),
                (u.late_b_to_a, "of B's late on A"),
            ] {
                if n > 0 {
                    parts.push(format!("{n} {what}"));
                }
            }
            format!("{}  ({})", sanitize::line(&u.topic), parts.join(", "))
        })?;
        writeln!(out, "delay A → B (A's copy first): {}", delay_line(r.delays[0]))?;
        writeln!(out, "delay B → A (B's copy first): {}", delay_line(r.delays[1]))?;
    }
    if r.incomplete() {
        writeln!(
            out,
            "not checked: {} messages on A and {} on B (the window was full: --window), {} and {} on topics over --max-topics",
            c.overflow[0], c.overflow[1], c.untracked[0], c.untracked[1]
        )?;
    }
    for (name, n) in ["A", "B"].iter().zip(s.reconnects) {
        if n > 0 {
            writeln!(out, "{name} lost its connection {n} time(s): messages in between were not compared")?;
        }
    }
    writeln!(out, "result: {}", verdict(s, r))
}

fn delay_json(d: Option<DelaySummary>) -> Value {
    match d {
        Some(d) => json!({
            "count": d.count,
            "p50_ms": d.p50.as_secs_f64() * 1e3,
            "p99_ms": d.p99.as_secs_f64() * 1e3,
            "max_ms": d.max.as_secs_f64() * 1e3,
        }),
        None => Value::Null,
    }
}

fn payload_json(p: &crate::codec::Bytes) -> Value {
    let mut o = Map::new();
    crate::inspect::payload(&mut o, "payload", p);
    Value::Object(o)
}

/// One JSON object (sanitised: unsafe characters as `\u` escapes), then a newline.
pub fn json(out: &mut impl Write, s: &Summary, r: &Report) -> io::Result<()> {
    let c = &r.counts;
    let topic_count =
        |t: &crate::compare::TopicCount| json!({"topic": t.topic, "messages": t.messages, "retained": t.retained});
    let value = json!({
        "a": {"url": s.labels[0], "filters": s.filters[0], "reconnects": s.reconnects[0]},
        "b": {"url": s.labels[1], "filters": s.filters[1], "reconnects": s.reconnects[1]},
        "maps": s.maps,
        "mode": if s.retained_mode { "retained" } else { "live" },
        "watched_s": s.watched.as_secs_f64(),
        "max_delay_s": s.max_delay.as_secs_f64(),
        "topics": {
            "both": r.both,
            "only_a": r.only_a.iter().map(topic_count).collect::<Vec<_>>(),
            "only_b": r.only_b.iter().map(topic_count).collect::<Vec<_>>(),
        },
        "retained": {
            "differ": r.retained_differ.iter().map(|d| json!({"topic": d.topic, "a": payload_json(&d.a), "b": payload_json(&d.b)})).collect::<Vec<_>>(),
            "only_a": r.retained_only_a,
            "only_b": r.retained_only_b,
        },
        "messages": {
            "a": c.messages[0], "b": c.messages[1],
            "retained_a": c.retained[0], "retained_b": c.retained[1],
            "a_seen_on_b": c.matched[0], "a_lost": c.unmatched[0], "a_late": c.late[0],
            "b_seen_on_a": c.matched[1], "b_not_on_a": c.unmatched[1], "b_late": c.late[1],
            "topics_missing_messages": r.unmatched.iter().map(|u| json!({
                "topic": u.topic, "a_lost": u.a_to_b, "b_not_on_a": u.b_not_on_a,
                "a_late": u.late_a_to_b, "b_late": u.late_b_to_a,
            })).collect::<Vec<_>>(),
        },
        "delay": {"a_to_b": delay_json(r.delays[0]), "b_to_a": delay_json(r.delays[1])},
        "not_checked": {
            "window_full_a": c.overflow[0], "window_full_b": c.overflow[1],
            "over_max_topics_a": c.untracked[0], "over_max_topics_b": c.untracked[1],
        },
        "outside_filter": {"a": c.outside[0], "b": c.outside[1]},
        "result": verdict(s, r),
        "equal": r.equal() && s.reconnects == [0, 0],
    });
    sanitize::json_to_writer(&mut *out, &value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::map::PrefixMap;
    use crate::compare::{Comparer, Limits, Side};

    fn summary() -> Summary {
        Summary {
            labels: ["mqtt://a".into(), "mqtt://b".into()],
            filters: [vec!["#".into()], vec!["#".into()]],
            maps: vec![],
            retained_mode: false,
            watched: Duration::from_secs(1),
            elapsed: Duration::from_secs(2),
            max_delay: Duration::from_secs(5),
            reconnects: [0, 0],
            list: 50,
        }
    }

    /// Topics and payloads from the wire reach neither the text nor the JSON raw.
    #[test]
    fn hostile_topics_and_payloads_are_escaped() {
        let mut c = Comparer::new(vec!["#".into()], PrefixMap::default(), Limits::default());
        c.start();
        c.observe(Side::A, "evil/\u{1b}]0;pwned\u{7}", b"x", false, Duration::ZERO);
        c.observe(Side::A, "t", b"\x1b[2J\xe2\x80\xae\"q", true, Duration::ZERO);
        c.observe(Side::B, "t", b"plain", true, Duration::ZERO);
        let r = c.finish();
        let mut buf = Vec::new();
        text(&mut buf, &summary(), &r).unwrap();
        let printed = String::from_utf8(buf).unwrap();
        assert!(!printed.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{printed}");
        assert!(printed.contains("evil/\\e]0;pwned\\x07"), "{printed}");
        assert!(printed.contains("A: \"\\e[2J\\u{202e}\\\"q\""), "{printed}");
        let mut out = Vec::new();
        json(&mut out, &summary(), &r).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains(['\u{1b}', '\u{7}', '\u{202e}']), "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["topics"]["only_a"][0]["topic"], "evil/\u{1b}]0;pwned\u{7}", "the same value to a parser");
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let mut c = Comparer::new(vec!["#".into()], PrefixMap::default(), Limits::default());
        c.start();
        for i in 0..60 {
            c.observe(Side::A, &format!("t/{i:02}"), b"x", false, Duration::ZERO);
        }
        let mut out = Vec::new();
        text(&mut out, &Summary { list: 3, ..summary() }, &c.finish()).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains(
                "only on A (60):\n  t/00  (1 messages)\n  t/01  (1 messages)\n  t/02  (1 messages)\n  … and 57 more"
            ),
            "{out}"
        );
        assert!(out.ends_with("result: DIFFERENT\n"), "{out}");
    }
}
