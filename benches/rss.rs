//! Peak memory of the app against its budget, in three floods (pick one by name, default `plant`):
//!
//! - `plant`: 1,000,000 messages over 100,000 topics with the default budget (256 MiB);
//! - `big`: 2,000 payloads of 1 MiB with a 64 MiB budget;
//! - `names`: 8,000 topics with 65 KB names with the default budget.
//!
//! Prints the process's peak and current RSS (`VmHWM`, `VmRSS` in `/proc/self/status`) beside
//! what the status line says (`mem FIGURE (kept USED/BUDGET)`, with the RSS before the app as the
//! figure's baseline, as the dashboard measures it before the first message). Run each in a fresh
//! process: `benches/rss.sh [plant|big|names]`.
//!
//! Messages are made batch by batch, as the session delivers them (payloads slicing one read
//! buffer per batch), so the input never holds more than one batch.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use mqscope::app::{App, AppEvent, Config};
use mqscope::codec::{ByteString, Bytes};
use mqscope::session::{Message, SessionEvent};

#[path = "support/plant.rs"]
mod plant;
use plant::T0;

const BATCH: usize = 1_000;
const MIB: f64 = (1 << 20) as f64;

/// `(name, kB)` of the given fields of `/proc/self/status`.
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

fn rss_mib(field: &str) -> f64 {
    status(&[field]).first().map_or(0.0, |(_, kb)| *kb as f64 / 1024.0)
}

fn app(budget_mib: usize) -> App {
    let config = Config { url: "ws://127.0.0.1:1883/mqtt".into(), byte_budget: budget_mib << 20, ..Config::default() };
    let mut app = App::new(config, T0);
    app.apply(AppEvent::Resize { width: 200, height: 60 });
    app
}

/// Feeds `n` messages made by `make(i)`, in batches, preparing a frame after each batch.
fn flood(app: &mut App, n: usize, batch: usize, make: impl Fn(usize) -> Message) {
    for first in (0..n).step_by(batch) {
        let msgs = (first..(first + batch).min(n)).map(&make).collect();
        app.apply(AppEvent::Session(SessionEvent::Messages(msgs)));
        app.prepare();
    }
}

fn main() {
    let scenario = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "plant".into());
    let base = rss_mib("VmRSS");
    let rss_before = status(&["VmRSS"]).first().map_or(0, |(_, kb)| kb * 1024);
    let mut app = match scenario.as_str() {
        "big" => {
            let mut app = app(64);
            let payload = Bytes::from(vec![b'x'; 1 << 20]);
            flood(&mut app, 2_000, 10, |i| {
                plant::message(ByteString::from(format!("cam/{}", i % 50)), payload.slice(..), T0 + i as u64)
            });
            app
        }
        "names" => {
            let mut app = app(256);
            flood(&mut app, 8_000, 100, |i| {
                let topic = format!("long/{i:05}/{}", "n".repeat(65_000));
                plant::message(ByteString::from(topic), Bytes::from_static(b"21.5"), T0 + i as u64)
            });
            app
        }
        _ => {
            let names = plant::topics(100_000);
            let mut app = app(256);
            for first in (0..1_000_000).step_by(BATCH) {
                let batch = plant::batch(&names, first..first + BATCH, T0);
                app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
            }
            app.prepare();
            app
        }
    };
    app.prepare();
    app.apply(AppEvent::ProcessBaseline { rss: rss_before });
    let (used, budget) = app.store.usage();
    let figure = app.memory_figure() as f64 / MIB;
    let ev = app.store.evicted;
    let (hwm, rss) = (rss_mib("VmHWM"), rss_mib("VmRSS"));
    println!(
        "{scenario}: {} messages, {} topics kept, {} refused; evicted {} by ring, {} by budget",
        app.received,
        app.tree.topic_count(),
        app.refused,
        ev.by_ring,
        ev.by_budget
    );
    println!(
        "status line: mem {figure:.1} MiB (kept {:.1} MiB/{:.0} MiB); VmHWM {hwm:.1} MiB, VmRSS {rss:.1} MiB ({:+.0}% against the figure; {base:.1} MiB before the app)",
        used as f64 / MIB,
        budget as f64 / MIB,
        (rss / figure - 1.0) * 100.0
    );
}
