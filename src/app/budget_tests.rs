//! Reducer tests for the memory budget, the log filter's cost and the paused log.

use super::layout::Pane;
use super::tests::{T0, feed, key, msg, typed};
use super::*;
use crossterm::event::KeyCode;

fn app_with(budget: usize, log_capacity: usize) -> App {
    let config =
        Config { url: "ws://127.0.0.1:1883/mqtt".into(), byte_budget: budget, log_capacity, ..Config::default() };
    let mut a = App::new(config, T0);
    a.apply(AppEvent::Resize { width: 160, height: 48 });
    a
}

fn seqs(a: &App, height: usize) -> Vec<u64> {
    a.log_rows(height).iter().map(|e| e.seq).collect()
}

#[test]
fn topic_names_count_against_the_budget_and_new_topics_stop_at_its_share() {
    let budget = 1 << 20;
    let mut a = app_with(budget, 100);
    for i in 0..100 {
        let topic = format!("{i:03}/{}", "n".repeat(20_000));
        feed(&mut a, vec![msg(&topic, b"1", T0 + i)]);
    }
    let (used, _) = a.store.usage();
    assert!(used > budget / 2, "20 KB names are counted: {used} of {budget}");
    assert!(used <= budget, "and stay within the budget: {used} of {budget}");
    assert_eq!(a.received, 100, "every message is counted");
}

#[test]
fn a_message_evicted_from_history_is_not_kept_alive_by_the_log() {
    let mut a = app_with(1 << 20, 100);
    let big = vec![b'x'; 200_000];
    feed(&mut a, (0..20).map(|i| msg("cam/frame", &big, T0 + i)).collect());
    a.focus = Pane::Log;
    key(&mut a, KeyCode::Home);
    for _ in 0..30 {
        key(&mut a, KeyCode::Up);
    }
    let oldest = a.log_rows(100).first().map(|e| e.seq);
    assert_eq!(a.log_view.selected, oldest);
    assert!(a.detail_message().is_none(), "the oldest 200 KB payload went with the budget");
    assert!(a.store.usage().0 <= 1 << 20);
}

#[test]
fn a_filtered_log_of_large_payloads_costs_little_per_frame() {
    let mut a = app_with(16 << 20, 10_000);
    let big = vec![b'y'; 1 << 20];
    for i in 0..100 {
        feed(&mut a, vec![msg(&format!("blob/{i}"), &big, T0 + i)]);
    }
    a.focus = Pane::Log;
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "needle");
    key(&mut a, KeyCode::Enter);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    let start = std::time::Instant::now();
    for _ in 0..10 {
        a.apply(AppEvent::Key(crossterm::event::KeyEvent::from(KeyCode::Down)));
        a.prepare();
        terminal.draw(|f| crate::ui::draw(f, &a)).unwrap();
    }
    let per_frame = start.elapsed() / 10;
    // Scanning 100 MiB per frame took seconds; stored results take well under a millisecond
    // (the bound is loose for a loaded debug build).
    assert!(per_frame < std::time::Duration::from_millis(100), "{per_frame:?} per key and frame");
    assert_eq!(a.log_counts().0, 0);
}

#[test]
fn a_paused_log_keeps_what_it_shows_while_messages_go_on() {
    let mut a = app_with(1 << 30, 10);
    feed(&mut a, (0..10).map(|i| msg("a/b", b"1", T0 + i)).collect());
    key(&mut a, KeyCode::Char(' '));
    let frozen = seqs(&a, 20);
    assert_eq!(frozen.len(), 10);
    feed(&mut a, (0..25).map(|i| msg("a/c", b"2", T0 + 100 + i)).collect());
    assert_eq!(seqs(&a, 20), frozen, "nothing shown is evicted while paused");
    assert_eq!(a.log_counts(), (10, 25));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(seqs(&a, 20), (26..=35).collect::<Vec<u64>>(), "resumed: the newest");
}

#[test]
fn scoping_a_scrolled_log_shows_the_nearest_messages() {
    let mut a = app_with(1 << 30, 100);
    feed(&mut a, (0..5).map(|i| msg("x/old", b"1", T0 + i)).collect());
    feed(&mut a, (0..5).map(|i| msg("y/new", b"2", T0 + 10 + i)).collect());
    a.focus = Pane::Log;
    key(&mut a, KeyCode::Home);
    for _ in 0..20 {
        key(&mut a, KeyCode::Up);
    }
    assert_eq!(a.log_view.selected, Some(1), "scrolled to the oldest, on x/old");
    // Select y in the tree, then scope the log to it: nothing of y is older than the selection.
    a.tree_view.selected = a.tree.find_node("y");
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(seqs(&a, 3), [6, 7, 8], "the nearest entries of the scope, not an empty log");
}

#[test]
fn the_memory_figure_counts_the_process_and_the_hand_off_beside_what_is_kept() {
    let mut a = app_with(64 << 20, 100);
    feed(&mut a, (0..3).map(|i| msg("cam/1", &[b'x'; 100_000], T0 + i)).collect());
    let kept = a.store.usage().0 as u64;
    assert_eq!(a.memory_figure(), kept, "nothing measured yet: only what is kept");
    a.apply(AppEvent::ProcessBaseline { rss: 20 << 20 });
    a.apply(AppEvent::HandOffPeak(3 << 20));
    assert_eq!(a.memory_figure(), kept + (23 << 20));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 48)).unwrap();
    a.prepare();
    terminal.draw(|f| crate::ui::draw(f, &a)).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    let shown =
        format!("mem {} (kept {}/64.0 MiB)", crate::ui::fmt::bytes(kept + (23 << 20)), crate::ui::fmt::bytes(kept));
    assert!(screen.contains(&shown), "{shown} in\n{screen}");
}

#[test]
fn sparkplug_births_of_50000_nodes_stay_within_the_budget_and_are_counted() {
    use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
    use prost::Message as _;
    let budget = 16 << 20;
    let mut a = app_with(budget, 100);
    let birth = Payload {
        seq: Some(0),
        metrics: vec![Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(0)),
            ..Default::default()
        }],
        ..Default::default()
    }
    .encode_to_vec();
    for chunk in 0..50 {
        let msgs = (0..1000).map(|i| msg(&format!("spBv1.0/g/NBIRTH/edge{}", chunk * 1000 + i), &birth, T0)).collect();
        feed(&mut a, msgs);
    }
    let tracked = a.sparkplug.groups.get("g").map_or(0, |g| g.nodes.len());
    // A node costs the tracker well over 500 bytes: no more than its share of the budget may be kept.
    assert!(tracked > 0 && tracked <= budget / 8 / 500, "{tracked} nodes tracked");
    let (held, limit) = a.sparkplug.usage();
    assert!(held <= limit && limit == budget / 8, "{held} of {limit}");
    let not_kept_by_the_tree = a.refused;
    assert_eq!(a.sparkplug.untracked.messages + tracked as u64 + not_kept_by_the_tree, 50_000);
    // The tracker's bytes are in the budget's figure, and the figure stays within the budget.
    let (used, _) = a.store.usage();
    assert!(used >= held + a.tree.bytes() && used <= budget, "{used} of {budget}");
    // The status line says what the tracker left out.
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    term.draw(|f| crate::ui::draw(f, &a)).unwrap();
    let screen = format!("{:?}", term.backend().buffer());
    assert!(screen.contains("Sparkplug:") && screen.contains("not tracked (memory budget)"), "{screen}");
}
