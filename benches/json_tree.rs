//! A frame of the dashboard at 200x60 with a 1 MiB JSON payload open in the detail pane's tree
//! (`T`), folded (`C`) and unfolded (`E`): each frame moves the selection one row (a key) and draws
//! (`App::prepare`, `ui::draw`, the terminal backend's diff and write into a sink). The tree is
//! built once per message, so the frame reads only the rows in view. After criterion, a summary
//! prints the time to build the tree for a new 1 MiB message and the memory the tree holds.
//!
//! `cargo bench --bench json_tree`. Goal (issue 14): a frame under 8 ms at 200x60.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use criterion::{Criterion, criterion_group};
use crossterm::event::{KeyCode, KeyModifiers};
use mqscope::app::{App, AppEvent, Config, Key};
use mqscope::session::{Message, SessionEvent};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::time::{Duration, Instant, UNIX_EPOCH};

const T0: u64 = 1_795_628_616_000;
const TOPIC: &str = "plant/line1/batch";

/// A JSON document of just under 1 MiB: sensors with nested readings, as a big telemetry batch.
fn payload(variant: u32) -> Vec<u8> {
    let mut out = String::from("{\"site\":\"plant/1\",\"sensors\":[");
    let mut i = 0u32;
    loop {
        let item = format!(
            "{{\"id\":{i},\"name\":\"sensor-{i:05}\",\"temp\":{}.{},\"ok\":true,\"tags\":[\"a\",\"b\"],\"pos\":{{\"x\":{i},\"y\":{variant}}}}}",
            20 + i % 7,
            (i + variant) % 10
        );
        if out.len() + item.len() + 16 >= 1 << 20 {
            break;
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
        i += 1;
    }
    out.push_str("]}");
    out.into_bytes()
}

fn message(variant: u32) -> Message {
    Message {
        topic: TOPIC.into(),
        payload: payload(variant).into(),
        qos: mqscope::codec::QoS::AtMostOnce,
        retain: false,
        dup: false,
        packet_id: None,
        properties: mqscope::codec::Properties::default(),
        received_at: UNIX_EPOCH + Duration::from_millis(T0 + u64::from(variant)),
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.apply(AppEvent::Key(Key::new(code, KeyModifiers::NONE)));
}

struct Open {
    app: App,
    term: Terminal<CrosstermBackend<std::io::Sink>>,
    down: bool,
}

impl Open {
    /// The payload's topic selected and its tree shown, folded (`C`) or unfolded (`E`).
    fn new(fold: char) -> Self {
        let mut app = App::new(Config { url: "mqtt://127.0.0.1:1883".into(), ..Config::default() }, T0);
        app.apply(AppEvent::Resize { width: 200, height: 60 });
        app.apply(AppEvent::Session(SessionEvent::Messages(vec![message(0)])));
        app.tree_view.selected = app.tree.find(TOPIC);
        app.prepare();
        press(&mut app, KeyCode::Char('T'));
        press(&mut app, KeyCode::Char(fold));
        app.prepare();
        let viewport = Viewport::Fixed(Rect::new(0, 0, 200, 60));
        let term = Terminal::with_options(CrosstermBackend::new(std::io::sink()), TerminalOptions { viewport })
            .expect("a sink never fails");
        Self { app, term, down: true }
    }

    /// One frame answering a key: Down, or Up at the ends, so the selection keeps moving.
    fn frame(&mut self) -> Duration {
        let t = Instant::now();
        let row = self.app.detail_cache.json.as_ref().map_or(0, |t| t.selected_row());
        let rows = self.app.detail_cache.json.as_ref().map_or(0, |t| t.row_count());
        if row + 1 >= rows {
            self.down = false;
        } else if row == 0 {
            self.down = true;
        }
        press(&mut self.app, if self.down { KeyCode::Down } else { KeyCode::Up });
        self.app.prepare();
        let app = &self.app;
        self.term.draw(|f| mqscope::ui::draw(f, app)).expect("a sink never fails");
        t.elapsed()
    }
}

fn tree_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("json_tree_frame_200x60_1mib");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for (name, fold) in [("folded", 'C'), ("unfolded", 'E')] {
        let mut open = Open::new(fold);
        g.bench_function(name, |b| b.iter_custom(|iters| (0..iters).map(|_| open.frame()).sum()));
    }
    g.finish();
}

criterion_group!(benches, tree_benches);

/// Build time for a new message on the topic (the tree rebuilt, folds kept) and the tree's memory.
fn summary() {
    for (name, fold) in [("folded", 'C'), ("unfolded", 'E')] {
        let mut open = Open::new(fold);
        let mut builds = Vec::new();
        for v in 1..=5 {
            let t = Instant::now();
            open.app.apply(AppEvent::Session(SessionEvent::Messages(vec![message(v)])));
            open.app.prepare();
            builds.push(t.elapsed());
        }
        builds.sort();
        let (nodes, rows, bytes) =
            open.app.detail_cache.json.as_ref().map_or((0, 0, 0), |t| (t.node_count(), t.row_count(), t.bytes()));
        println!(
            "json tree, 1 MiB payload, {name}: {nodes} values, {rows} rows; new message (decode, render, tree): median {:.2?}; tree memory {:.1} MiB",
            builds[builds.len() / 2],
            bytes as f64 / f64::from(1 << 20)
        );
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let quick = std::env::args().any(|a| matches!(a.as_str(), "--test" | "--list" | "--profile-time"));
    if !quick {
        summary();
    }
}
