//! The dashboard under a flood, without a terminal: how many messages/s `App::apply` absorbs, and how
//! long one frame (`App::prepare` + `ui::draw` into a 200x60 `TestBackend`) takes with 100,000 topics.
//!
//! `cargo bench --bench app`. Goals (issue 5): apply >= 2 million messages/s, a frame < 8 ms.
//! After criterion, a plain summary prints the min and median of repeated runs, which says more on a
//! shared, noisy machine than a mean does.

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use mqscope::app::{App, AppEvent, Config, Key};
use mqscope::codec::Bytes;
use mqscope::session::{Message, SessionEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "support/plant.rs"]
mod plant;
use plant::T0;

const FLOOD: usize = 100_000;
const FLOOD_TOPICS: usize = 10_000;
const TREE_TOPICS: usize = 100_000;
const BATCH: usize = 1_000;

/// `count` messages spread over `topics` topics, 100 per millisecond (100,000 msgs/s), in batches as
/// the session task delivers them.
fn flood(count: usize, topics: usize, start_ms: u64) -> Vec<Vec<Message>> {
    let names = plant::topics(topics);
    (0..count).step_by(BATCH).map(|first| plant::batch(&names, first..(first + BATCH).min(count), start_ms)).collect()
}

fn new_app() -> App {
    let mut app = App::new(Config { url: "ws://127.0.0.1:1883/mqtt".into(), ..Config::default() }, T0);
    app.apply(AppEvent::Resize { width: 200, height: 60 });
    app
}

fn apply_all(app: &mut App, batches: Vec<Vec<Message>>) {
    for b in batches {
        app.apply(AppEvent::Session(SessionEvent::Messages(b)));
    }
}

fn key(app: &mut App, c: char) {
    app.apply(AppEvent::Key(Key::new(crossterm::event::KeyCode::Char(c), crossterm::event::KeyModifiers::NONE)));
}

/// An app with `TREE_TOPICS` topics, one message each, at 200x60.
fn big_tree() -> App {
    let mut app = new_app();
    apply_all(&mut app, flood(TREE_TOPICS, TREE_TOPICS, T0));
    app.apply(AppEvent::Tick { now_ms: T0 + 2_000 });
    app
}

/// Selects the middle row of the fully expanded tree.
fn expand_and_select_middle(app: &mut App) {
    key(app, 'E');
    app.prepare();
    let rows = app.tree.cached_rows();
    app.tree_view.selected = Some(rows[rows.len() / 2]);
    app.prepare();
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(200, 60)).expect("a test backend never fails")
}

fn frame(app: &mut App, term: &mut Terminal<TestBackend>) {
    app.prepare();
    term.draw(|f| mqscope::ui::draw(f, app)).expect("a test backend never fails");
}

fn apply_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("apply");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(FLOOD as u64));
    // A fresh app: the first 10,000 messages create the topics.
    g.bench_function("100k_msgs_10k_topics_fresh", |b| {
        let batches = flood(FLOOD, FLOOD_TOPICS, T0);
        b.iter_batched(
            || (new_app(), batches.clone()),
            |(mut app, batches)| apply_all(&mut app, batches),
            BatchSize::PerIteration,
        )
    });
    // The same app again and again: topics known, rings and the log full, evicting as it goes.
    g.bench_function("100k_msgs_10k_topics_steady", |b| {
        let batches = flood(FLOOD, FLOOD_TOPICS, T0);
        let mut app = new_app();
        apply_all(&mut app, batches.clone());
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let input = batches.clone();
                let t = Instant::now();
                apply_all(&mut app, input);
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn frame_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_200x60_100k_topics");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    let mut term = terminal();

    g.bench_function("top", |b| {
        let mut app = big_tree();
        b.iter(|| frame(&mut app, &mut term))
    });
    g.bench_function("expanded_selection_in_the_middle", |b| {
        let mut app = big_tree();
        expand_and_select_middle(&mut app);
        b.iter(|| frame(&mut app, &mut term))
    });
    // Folding everything and unfolding again: the rows are rebuilt in this frame.
    g.bench_function("expanded_rows_rebuilt", |b| {
        let mut app = big_tree();
        expand_and_select_middle(&mut app);
        b.iter(|| {
            key(&mut app, 'E');
            frame(&mut app, &mut term);
        })
    });
    g.finish();
}

criterion_group!(benches, apply_benches, frame_benches);

/// Time this thread spent on a CPU (Linux: `/proc/thread-self/schedstat`, updated at scheduler ticks,
/// so only good for runs of tens of milliseconds), `None` elsewhere. On a loaded machine it leaves out
/// the time other processes had the core, unlike the wall clock.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

/// Wall and on-CPU time of one call.
fn timed(f: impl FnOnce()) -> (Duration, Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    f();
    let wall = wall.elapsed();
    (wall, cpu.zip(cpu_time()).map_or(wall, |(a, b)| b.saturating_sub(a)))
}

/// Min and median of wall and of on-CPU times over `runs` runs.
struct Stats {
    wall: (Duration, Duration),
    cpu: (Duration, Duration),
}

fn min_median(runs: usize, mut f: impl FnMut() -> (Duration, Duration)) -> Stats {
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..runs).map(|_| f()).unzip();
    wall.sort();
    cpu.sort();
    Stats { wall: (wall[0], wall[runs / 2]), cpu: (cpu[0], cpu[runs / 2]) }
}

fn print_rate(name: &str, s: &Stats) {
    let rate = |d: Duration| FLOOD as f64 / d.as_secs_f64() / 1e6;
    println!(
        "{name}: wall best {:.2} / median {:.2} M msgs/s; on-CPU best {:.2} / median {:.2} M msgs/s",
        rate(s.wall.0),
        rate(s.wall.1),
        rate(s.cpu.0),
        rate(s.cpu.1)
    );
}

/// Frames are too short for the on-CPU clock (it moves at scheduler ticks): wall time only.
fn print_frame(name: &str, s: &Stats) {
    println!("{name}: wall min {:.2?} / median {:.2?}", s.wall.0, s.wall.1);
}

fn summary() {
    let batches = flood(FLOOD, FLOOD_TOPICS, T0);
    let s = min_median(15, || {
        let (mut app, input) = (new_app(), batches.clone());
        let t = timed(|| apply_all(&mut app, input));
        black_box(&app);
        t
    });
    print_rate("apply 100k msgs, 10k topics, fresh ", &s);
    let mut app = new_app();
    apply_all(&mut app, batches.clone());
    let s = min_median(15, || {
        let input = batches.clone();
        timed(|| apply_all(&mut app, input))
    });
    print_rate("apply 100k msgs, 10k topics, steady", &s);

    let mut term = terminal();
    let mut time_frame = |app: &mut App, rebuild: bool| {
        min_median(31, || {
            if rebuild {
                key(app, 'E');
            }
            timed(|| frame(app, &mut term))
        })
    };
    let mut app = big_tree();
    print_frame("frame 200x60, 100k topics, top          ", &time_frame(&mut app, false));
    expand_and_select_middle(&mut app);
    print_frame("frame 200x60, 100k topics, middle       ", &time_frame(&mut app, false));
    let rows = app.tree.cached_rows().len();
    print_frame(&format!("frame 200x60, {rows} rows rebuilt     "), &time_frame(&mut app, true));

    // A new topic before every frame at 30 fps: the rows take them in at most twice a second.
    let (mut now, mut n) = (T0 + 10_000, 0);
    let s = min_median(61, || {
        now += 33;
        n += 1;
        let name = format!("plant/new/dev-{n:05}/temp").into();
        let batch = vec![plant::message(name, Bytes::from_static(b"1"), now)];
        app.apply(AppEvent::Session(SessionEvent::Messages(batch)));
        app.apply(AppEvent::Tick { now_ms: now });
        timed(|| frame(&mut app, &mut term))
    });
    print_frame("frame 200x60, a new topic every frame    ", &s);
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Not when only checking that the benches run (`cargo test --benches`, `--list`) or profiling.
    let quick = std::env::args().any(|a| matches!(a.as_str(), "--test" | "--list" | "--profile-time"));
    if !quick {
        summary();
    }
}
