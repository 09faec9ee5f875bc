//! Peak memory of the app after 1,000,000 messages over 100,000 topics with the default budget
//! (256 MiB of payloads, 100 messages per topic): prints the process's peak RSS (`VmHWM` in
//! `/proc/self/status`). Run it alone in a fresh process: `benches/rss.sh` (or `cargo bench --bench rss`).
//!
//! Messages are made batch by batch, as the session delivers them (payloads slicing one read
//! buffer per batch), so the input never holds more than one batch.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use mqscope::app::{App, AppEvent, Config};
use mqscope::session::SessionEvent;

#[path = "support/plant.rs"]
mod plant;
use plant::T0;

const MESSAGES: usize = 1_000_000;
const TOPICS: usize = 100_000;
const BATCH: usize = 1_000;

/// `(kB, name)` lines of `/proc/self/status` for the given fields.
fn status(fields: &[&str]) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    fields
        .iter()
        .map(|f| {
            let kb = text
                .lines()
                .find_map(|l| l.strip_prefix(f)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            ((*f).to_string(), kb)
        })
        .collect()
}

fn print_status(when: &str) {
    let s: Vec<String> =
        status(&["VmHWM", "VmRSS"]).iter().map(|(f, kb)| format!("{f} {:.1} MiB", *kb as f64 / 1024.0)).collect();
    println!("{when:<28} {}", s.join(", "));
}

fn main() {
    let names = plant::topics(TOPICS);
    print_status("before the app");
    let mut app = App::new(Config { url: "ws://127.0.0.1:1883/mqtt".into(), ..Config::default() }, T0);
    app.apply(AppEvent::Resize { width: 200, height: 60 });
    for first in (0..MESSAGES).step_by(BATCH) {
        let batch = plant::batch(&names, first..(first + BATCH).min(MESSAGES), T0);
        app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
    }
    app.prepare();
    let (used, budget) = app.store.usage();
    let ev = app.store.evicted;
    println!(
        "{} messages, {} topics, {} tree nodes; history holds {:.1} MiB of {:.0} MiB budget; evicted {} by ring, {} by budget",
        app.received,
        app.tree.topic_count(),
        app.tree.len(),
        used as f64 / (1 << 20) as f64,
        budget as f64 / (1 << 20) as f64,
        ev.by_ring,
        ev.by_budget
    );
    print_status("after 1M messages");
}
