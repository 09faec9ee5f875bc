//! The traffic view with 100,000 topics, all with traffic in the last second: one frame is
//! `App::prepare` + `ui::draw` into a 200x60 `TestBackend`, which ranks the topics and subtrees
//! (a partial selection) and reads the `$SYS` rows. `cargo bench --bench traffic`.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use criterion::{Criterion, criterion_group};
use mqscope::app::{App, AppEvent, Config};
use mqscope::codec::Bytes;
use mqscope::session::SessionEvent;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

// Only the message builder and the clock are used here.
#[allow(dead_code)]
#[path = "support/plant.rs"]
mod plant;
use plant::T0;

const TOPICS: usize = 100_000;

/// 100,000 topics in four levels, each with 1-3 messages in one second, then the clock one second on.
fn app() -> App {
    let mut app = App::new(Config { history_per_topic: 1, ..Config::default() }, T0);
    app.apply(AppEvent::Resize { width: 200, height: 60 });
    let mut batch = Vec::with_capacity(1_000);
    for i in 0..TOPICS {
        let topic = format!("plant/area-{}/dev-{:05}/m{}", i % 16, i / 4, i % 4);
        for k in 0..=(i % 3) {
            let payload = Bytes::from(vec![b'x'; 16 + (i * 7 + k) % 200]);
            batch.push(plant::message(topic.as_str().into(), payload, T0 + (i % 900) as u64));
        }
        if batch.len() >= 1_000 {
            app.apply(AppEvent::Session(SessionEvent::Messages(std::mem::take(&mut batch))));
        }
    }
    app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
    app.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    app.apply(AppEvent::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('t'))));
    app
}

fn frame(app: &mut App, term: &mut Terminal<TestBackend>) {
    app.prepare();
    let _ = term.draw(|f| mqscope::ui::draw(f, app));
}

fn bench(c: &mut Criterion) {
    let mut app = app();
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("traffic_view_frame_100k_topics_200x60", |b| b.iter(|| frame(&mut app, &mut term)));
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // A plain min / median over repeated frames: steadier than a mean on a shared machine.
    let mut app = app();
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut times: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            frame(&mut app, &mut term);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "traffic view frame, {TOPICS} topics with traffic, 200x60: min {:.2} ms, median {:.2} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
    // The frame that re-ranks (once a second, or after `b` / `<` `>`): `b` before each frame forces it.
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            app.apply(AppEvent::Key(crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('b'))));
            let t = Instant::now();
            frame(&mut app, &mut term);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "traffic view frame that re-ranks {TOPICS} topics, 200x60: min {:.2} ms, median {:.2} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}
