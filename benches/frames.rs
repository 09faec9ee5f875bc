//! Frames as the dashboard draws them while messages keep arriving: 20,000 msgs/s spread over
//! 10,000 or 100,000 topics, a frame every 33 ms (30 fps), each frame `App::prepare`, `ui::draw` and
//! the terminal backend's diff and write (crossterm into a sink, so the escape sequences are built
//! and written as on a real terminal). Rows change under the screen, rates and ages move, and the
//! messages of each frame are applied before it (timed apart). Messages alone draw a frame a few
//! times a second (`app::DATA_FRAME_MS`): the criterion figure is the mean cost of a 33 ms interval,
//! the summary's percentiles are of the frames drawn.
//!
//! `cargo bench --bench frames`. Goal (issue 13): p99 frame < 4 ms at 100,000 topics. After criterion
//! a summary prints p50, p99 and max over 10 simulated seconds per case.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use criterion::{Criterion, criterion_group};
use mqscope::app::{App, AppEvent, Config, Key};
use mqscope::codec::ByteString;
use mqscope::session::SessionEvent;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::time::{Duration, Instant, UNIX_EPOCH};

#[path = "support/plant.rs"]
mod plant;
use plant::T0;

const RATE: usize = 20_000;
const FPS: usize = 30;
const PER_FRAME: usize = RATE / FPS;

struct Live {
    app: App,
    term: Terminal<CrosstermBackend<std::io::Sink>>,
    names: Vec<ByteString>,
    seq: usize,
    now_ms: u64,
}

impl Live {
    /// `topics` topics with a message each, then a second of quiet, at 200x60.
    fn new(topics: usize) -> Self {
        let mut app = App::new(Config { url: "mqtt://127.0.0.1:1883".into(), ..Config::default() }, T0);
        app.apply(AppEvent::Resize { width: 200, height: 60 });
        let names = plant::topics(topics);
        for first in (0..topics).step_by(1_000) {
            let batch = plant::batch(&names, first..(first + 1_000).min(topics), T0);
            app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
        }
        let viewport = Viewport::Fixed(Rect::new(0, 0, 200, 60));
        let term = Terminal::with_options(CrosstermBackend::new(std::io::sink()), TerminalOptions { viewport })
            .expect("a sink never fails");
        let mut live = Self { app, term, names, seq: topics, now_ms: T0 + 2_000 };
        for _ in 0..FPS {
            live.frame();
        }
        live
    }

    fn key(&mut self, c: char) {
        let key = Key::new(crossterm::event::KeyCode::Char(c), crossterm::event::KeyModifiers::NONE);
        self.app.apply(AppEvent::Key(key));
    }

    /// One frame interval: its messages (spread over the interval), the tick, then the frame.
    /// Returns the time to apply the messages and the time of the frame, if one was due (messages
    /// alone draw a few times a second).
    fn frame(&mut self) -> (Duration, Option<Duration>) {
        let mut batch = plant::batch(&self.names, self.seq..self.seq + PER_FRAME, self.now_ms);
        for (k, m) in batch.iter_mut().enumerate() {
            m.received_at = UNIX_EPOCH + Duration::from_millis(self.now_ms + (k * 1000 / RATE) as u64);
        }
        self.seq += PER_FRAME;
        self.now_ms += 1000 / FPS as u64;
        let t = Instant::now();
        self.app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
        let apply = t.elapsed();
        self.app.apply(AppEvent::Tick { now_ms: self.now_ms });
        let t = Instant::now();
        if !self.app.take_dirty() {
            return (apply, None);
        }
        self.app.prepare();
        let app = &self.app;
        self.term.draw(|f| mqscope::ui::draw(f, app)).expect("a sink never fails");
        (apply, Some(t.elapsed()))
    }
}

fn live_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("live_frame_200x60_20k_msgs_s");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for topics in [10_000, 100_000] {
        let mut live = Live::new(topics);
        g.bench_function(format!("{}k_topics", topics / 1000), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| live.frame().1.unwrap_or_default()).sum())
        });
    }
    g.finish();
}

criterion_group!(benches, live_benches);

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// p50, p99 and max of the frames of 10 simulated seconds, and the mean time to apply a frame's messages.
fn summary() {
    let cases: [(&str, usize, &str); 4] = [
        ("10k topics", 10_000, ""),
        ("100k topics", 100_000, ""),
        ("100k topics, by rate", 100_000, "oo"),
        ("100k topics, unfolded, selection in the log", 100_000, "E\t"),
    ];
    for (name, topics, keys) in cases {
        if name == "100k topics, by rate" {
            key_frames(topics, keys);
        }
        let mut live = Live::new(topics);
        for c in keys.chars() {
            if c == '\t' {
                live.app.apply(AppEvent::Key(Key::new(
                    crossterm::event::KeyCode::Tab,
                    crossterm::event::KeyModifiers::NONE,
                )));
            } else {
                live.key(c);
            }
        }
        let (mut applies, frames): (Vec<Duration>, Vec<Option<Duration>>) = (0..10 * FPS).map(|_| live.frame()).unzip();
        let mut frames: Vec<Duration> = frames.into_iter().flatten().collect();
        frames.sort();
        applies.sort();
        let mean_apply = applies.iter().sum::<Duration>() / applies.len() as u32;
        println!(
            "live frame 200x60, 20k msgs/s, {name}: {} frames drawn in 10 s, p50 {:.2?} p99 {:.2?} max {:.2?}; apply {PER_FRAME} msgs: mean {:.2?}",
            frames.len(),
            percentile(&frames, 0.5),
            percentile(&frames, 0.99),
            frames[frames.len() - 1],
            mean_apply
        );
    }
}

/// The frames that answer a key (Down, every 100 ms) while the rows' order keeps going stale:
/// p50 and max of such a frame, the key applied and the frame drawn, over 10 simulated seconds.
fn key_frames(topics: usize, keys: &str) {
    let mut live = Live::new(topics);
    for c in keys.chars() {
        live.key(c);
    }
    let mut frames = Vec::new();
    for i in 0..10 * FPS {
        if i % 3 == 0 {
            let down = Key::new(crossterm::event::KeyCode::Down, crossterm::event::KeyModifiers::NONE);
            let t = Instant::now();
            live.app.apply(AppEvent::Key(down));
            live.app.prepare();
            let app = &live.app;
            live.term.draw(|f| mqscope::ui::draw(f, app)).expect("a sink never fails");
            frames.push(t.elapsed());
        }
        live.frame();
    }
    frames.sort();
    println!(
        "key frame 200x60, 20k msgs/s, {topics} topics by rate, Down every 100 ms: p50 {:.2?} p99 {:.2?} max {:.2?}",
        percentile(&frames, 0.5),
        percentile(&frames, 0.99),
        frames[frames.len() - 1]
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let quick = std::env::args().any(|a| matches!(a.as_str(), "--test" | "--list" | "--profile-time"));
    if !quick {
        summary();
    }
}
