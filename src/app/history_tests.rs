//! Showing any history entry in the detail pane and comparing two of them.

use super::layout::Pane;
use super::tests::{T0, app, feed, key, msg};
use super::{App, Config};
use crossterm::event::KeyCode;

/// Five JSON messages on `s/1`, the tree on it, the detail pane focused.
fn history() -> App {
    let mut a = app();
    let msgs = (0..5u64)
        .map(|i| msg("s/1", format!(r#"{{"n":{i},"tags":["a"],"only{i}":true}}"#).as_bytes(), T0 + i * 1_000))
        .collect();
    feed(&mut a, msgs);
    a.tree_view.selected = a.tree.find("s/1");
    a.focus = Pane::Detail;
    a.prepare();
    a
}

fn shown_n(a: &App) -> String {
    let m = a.detail_message().unwrap();
    String::from_utf8_lossy(m.payload()).chars().skip(5).take(1).collect()
}

fn body(a: &App) -> Vec<String> {
    a.detail_cache.body.iter().map(|l| l.iter().map(|(_, t)| t.as_str()).collect()).collect()
}

#[test]
fn brackets_show_older_and_newer_entries_and_past_the_newest_follow_again() {
    let mut a = history();
    assert_eq!(shown_n(&a), "4");
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('['));
    assert_eq!(shown_n(&a), "2");
    assert_eq!(a.history_position(), Some((3, 5)));
    assert!(body(&a).iter().any(|l| l.contains("\"only2\": true")), "the body is the shown entry's");
    for _ in 0..9 {
        key(&mut a, KeyCode::Char('['));
    }
    assert_eq!(shown_n(&a), "0", "stops at the oldest");
    // A new message does not move the entry shown.
    feed(&mut a, vec![msg("s/1", br#"{"n":5}"#, T0 + 9_000)]);
    assert_eq!(shown_n(&a), "0");
    for _ in 0..4 {
        key(&mut a, KeyCode::Char(']'));
    }
    assert_eq!(shown_n(&a), "4");
    key(&mut a, KeyCode::Char(']'));
    assert_eq!(a.detail.shown, None, "past the newest: following");
    feed(&mut a, vec![msg("s/1", br#"{"n":6}"#, T0 + 10_000)]);
    assert_eq!(shown_n(&a), "6");
}

#[test]
fn two_marked_entries_compare_field_by_field_with_old_and_new_values() {
    let mut a = history();
    key(&mut a, KeyCode::Char('='));
    assert!(!a.detail.comparing);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("mark an entry with m")));
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('m'));
    assert_eq!(a.detail.base, a.detail.shown);
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char('='));
    assert!(a.detail.comparing);
    assert_eq!(
        body(&a),
        ["3 differences: 1 changed, 1 added, 1 removed", "~ /n: 1 → 3", "- /only1: true", "+ /only3: true",]
    );
    // The search and the page keys work on the difference as on a payload.
    key(&mut a, KeyCode::Esc);
    assert!(!a.detail.comparing, "Esc goes back to the payload");
    assert!(body(&a).iter().any(|l| l.contains("\"only3\": true")));
    key(&mut a, KeyCode::Char('='));
    key(&mut a, KeyCode::Char('='));
    assert!(!a.detail.comparing, "= again goes back too");
    // m on the marked entry unmarks it.
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('m'));
    assert_eq!(a.detail.base, None);
}

#[test]
fn text_entries_compare_line_by_line() {
    let mut a = app();
    feed(&mut a, vec![msg("t", b"alpha\nbeta\ngamma", T0), msg("t", b"alpha\ngamma\ndelta", T0 + 1_000)]);
    a.tree_view.selected = a.tree.find("t");
    a.focus = Pane::Detail;
    a.prepare();
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('m'));
    key(&mut a, KeyCode::Char(']'));
    key(&mut a, KeyCode::Char('='));
    assert_eq!(body(&a), ["1 lines removed, 1 added (text compared line by line)", "- beta", "+ delta"]);
}

#[test]
fn another_topic_or_an_evicted_entry_drops_the_choice() {
    let mut a = App::new(Config { history_per_topic: 3, ..Config::default() }, T0);
    a.apply(super::AppEvent::Resize { width: 160, height: 48 });
    feed(&mut a, (0..3u64).map(|i| msg("s/1", format!("{i}").as_bytes(), T0 + i)).collect());
    feed(&mut a, vec![msg("s/2", b"x", T0 + 5)]);
    a.tree_view.selected = a.tree.find("s/1");
    a.focus = Pane::Detail;
    a.prepare();
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('['));
    key(&mut a, KeyCode::Char('m'));
    assert_eq!(a.detail_message().map(|m| m.payload().to_vec()), Some(b"0".to_vec()));
    // The ring of three drops "0" when "3" arrives.
    feed(&mut a, vec![msg("s/1", b"3", T0 + 10)]);
    assert_eq!((a.detail.shown, a.detail.base), (None, None));
    let why = "no longer kept: the topic's history keeps its newest 3 (--history)";
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains(why)), "{:?}", a.notice);
    assert_eq!(a.detail_message().map(|m| m.payload().to_vec()), Some(b"3".to_vec()));
    key(&mut a, KeyCode::Char('['));
    assert!(a.detail.shown.is_some());
    a.focus = Pane::Tree;
    key(&mut a, KeyCode::Down);
    assert_eq!(a.detail.shown, None, "another topic starts from its newest");
}

/// A flood on the shown topic: the changes worked out are those of the history rows on screen (the
/// only place they show), each the same as comparing the two payloads, and no more.
#[test]
fn changes_are_worked_out_for_the_history_rows_on_screen_only() {
    let mut a = App::new(Config { history_per_topic: 100, ..Config::default() }, T0);
    a.apply(super::AppEvent::Resize { width: 160, height: 48 });
    let msgs = (0..100u64).map(|i| msg("s/1", format!(r#"{{"n":{i},"k":{}}}"#, i % 3).as_bytes(), T0 + i)).collect();
    feed(&mut a, msgs);
    a.tree_view.selected = a.tree.find("s/1");
    a.prepare();
    let node = a.tree.find("s/1").unwrap();
    let rows = usize::from(a.detail_parts().unwrap().history.height - 1);
    let listed = a.history_rows(node, rows);
    assert!(rows > 1 && rows < 100, "{rows}");
    let history: Vec<_> = a.store.history(node).cloned().collect();
    for (i, m) in &listed {
        let expected = crate::payload::diff(history[i - 1].payload(), m.payload(), a.decoder(node));
        assert_eq!(a.detail_cache.diffs.get(&m.seq), Some(&expected), "row {i}");
    }
    assert_eq!(a.detail_cache.diffs.len(), listed.len(), "only the rows on screen");
    // New messages bring new rows.
    feed(&mut a, (100..103u64).map(|i| msg("s/1", format!(r#"{{"n":{i},"k":0}}"#).as_bytes(), T0 + i)).collect());
    a.prepare();
    let newest = a.store.latest(node).unwrap().seq;
    assert_eq!(a.detail_cache.diffs.get(&newest).cloned().flatten().as_deref(), Some("n 101→102"));
}
