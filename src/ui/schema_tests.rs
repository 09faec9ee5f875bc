//! Snapshots of JSON Schema checks on screen: the tree's marker, the detail pane's list, the log's
//! invalid-only view, the watch view's alert.

use super::tests::{connected, screen, select};
use crate::app::layout::Pane;
use crate::app::tests::{T0, app, feed, key, msg};
use crate::app::{App, AppEvent};
use crate::payload::schema::Schemas;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

const SCHEMA: &str = r#"{"type":"object","required":["t","unit"],
    "properties":{"t":{"type":"number","maximum":100},"unit":{"enum":["C","F"]}}}"#;

/// A plant whose `plant/+/t` topics have a schema: one valid topic, one with invalid messages (one
/// of them with an escape code in a value the message quotes), one not JSON at all.
fn plant() -> App {
    let mut a = app();
    a.config.schemas = Arc::new(Schemas::from_text("plant/+/t", "schemas/t.json", SCHEMA).unwrap());
    connected(&mut a);
    feed(
        &mut a,
        vec![
            msg("plant/boiler/t", br#"{"t": 71.5, "unit": "C"}"#, T0),
            msg("plant/press/t", br#"{"t": 20, "unit": "C"}"#, T0 + 100),
            msg("plant/press/t", br#"{"t": 180, "unit": "\u001b[31mK"}"#, T0 + 200),
            msg("plant/oven/t", b"\x1b[2Jhot", T0 + 300),
            msg("plant/press/t", br#"{"t": "hot"}"#, T0 + 400),
            msg("office/lamp", b"on", T0 + 500),
        ],
    );
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    a
}

#[test]
fn tree_marks_invalid_topics_and_the_detail_pane_lists_the_violations() {
    let mut a = plant();
    select(&mut a, "plant/press/t");
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("press ✗2"), "{wide}");
    assert!(wide.contains("plant ✗3"), "a level shows its subtree's count:\n{wide}");
    assert!(wide.contains("oven ✗1") && !wide.contains("boiler ✗"), "{wide}");
    assert!(wide.contains("✗ 2 violations of schemas/t.json"), "{wide}");
    assert!(wide.contains("/t  type") && wide.contains("(root)  required"), "{wide}");
    assert!(wide.contains("✗3 invalid"), "the status line's total:\n{wide}");
    assert!(!wide.contains('\x1b'));
    insta::assert_snapshot!("schema_invalid_wide", wide);
    insta::assert_snapshot!("schema_invalid_small", screen(&mut a, 80, 24));
}

#[test]
fn an_older_history_entry_shows_its_own_violations_and_the_history_marks_invalid_ones() {
    let mut a = plant();
    select(&mut a, "plant/press/t");
    a.focus = Pane::Detail;
    key(&mut a, KeyCode::Char('['));
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("/t  maximum") && wide.contains("/unit  enum"), "{wide}");
    assert!(!wide.contains('\x1b'), "the quoted wire value is escaped");
    insta::assert_snapshot!("schema_history_wide", wide);
    insta::assert_snapshot!("schema_history_small", screen(&mut a, 80, 24));
}

#[test]
fn a_valid_message_says_which_schema_it_passed_and_a_payload_not_json_says_why() {
    let mut a = plant();
    select(&mut a, "plant/boiler/t");
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("✓ valid against schemas/t.json"), "{wide}");
    insta::assert_snapshot!("schema_valid_wide", wide);
    insta::assert_snapshot!("schema_valid_small", screen(&mut a, 80, 24));
    select(&mut a, "plant/oven/t");
    let small = screen(&mut a, 80, 24);
    assert!(small.contains("(root)  json  not JSON"), "{small}");
    select(&mut a, "office/lamp");
    assert!(!screen(&mut a, 80, 24).contains("── schema"), "no schema, no section");
}

#[test]
fn the_log_shows_only_invalid_messages_with_i() {
    let mut a = plant();
    a.focus = Pane::Log;
    key(&mut a, KeyCode::Char('i'));
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("invalid only (i)"), "{wide}");
    insta::assert_snapshot!("schema_log_invalid_only_wide", wide);
    insta::assert_snapshot!("schema_log_invalid_only_small", screen(&mut a, 80, 24));
}

#[test]
fn the_watch_view_marks_invalid_rows_and_alerts_when_asked() {
    let mut a = plant();
    let mut list = crate::app::watch::WatchList::ad_hoc();
    list.name = "plant".into();
    list.patterns = vec!["plant/+/t".into()];
    list.columns[0].field = crate::app::watch::FieldSpec::parse("/t").unwrap();
    list.alert_invalid = true;
    a.watch = crate::app::watch::Watch::new(vec![list]);
    feed(
        &mut a,
        vec![
            msg("plant/boiler/t", br#"{"t": 72, "unit": "C"}"#, T0 + 600),
            msg("plant/press/t", br#"{"t": 101, "unit": "C"}"#, T0 + 700),
        ],
    );
    key(&mut a, KeyCode::Char('w'));
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("✗ plant/press/t") && wide.contains("alert on schema-invalid (i)"), "{wide}");
    insta::assert_snapshot!("schema_watch_wide", wide);
    insta::assert_snapshot!("schema_watch_small", screen(&mut a, 80, 24));
}

#[test]
fn the_tree_marker_is_in_the_theme_s_error_colour() {
    let mut a = plant();
    a.apply(AppEvent::Resize { width: 160, height: 48 });
    a.prepare();
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    term.draw(|f| super::draw(f, &a)).expect("draw");
    let buf = term.backend().buffer();
    let tree = a.areas().tree.expect("a tree");
    let error = super::theme::Theme::new(a.config.theme, a.config.no_color).error;
    let marks: Vec<_> = (tree.y..tree.y + tree.height)
        .flat_map(|y| (tree.x..tree.x + tree.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].symbol() == "✗")
        .collect();
    assert_eq!(marks.len(), 5, "plant, oven and its t, press and its t");
    for (x, y) in marks {
        assert_eq!(buf[(x, y)].fg, error.fg.expect("a colour"), "at {x},{y}");
    }
}

/// A replay shows the verdicts the recording kept, marked as such, for topics no schema given to the
/// replay covers.
#[test]
fn a_replay_shows_the_recorded_verdict_marked_as_recorded() {
    use crate::payload::schema::{Verdict, Violation};
    use crate::record::player::ReplayEvent;
    use crate::session::SessionEvent;
    let mut a = App::new(crate::app::Config { replay: Some("plant.jsonl".into()), ..Default::default() }, T0);
    connected(&mut a);
    let bad = Verdict {
        schema: "schemas/t.json".into(),
        violations: vec![Violation {
            instance_path: "/t".into(),
            keyword: "maximum".into(),
            message: "180 is greater than the maximum of 100".into(),
        }],
        ..Default::default()
    };
    let good = Verdict { schema: "schemas/t.json".into(), ..Default::default() };
    let kept = vec![Some(good.from_recording()), Some(bad.from_recording())];
    a.apply(AppEvent::Session(SessionEvent::Replay(ReplayEvent::Verdicts(kept))));
    feed(&mut a, vec![msg("plant/boiler/t", br#"{"t": 71.5}"#, T0), msg("plant/press/t", br#"{"t": 180}"#, T0 + 100)]);
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    select(&mut a, "plant/press/t");
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains("press ✗1") && wide.contains("✗1 invalid"), "{wide}");
    assert!(wide.contains("── schema (recorded) ✗ 1 violation of schemas/t.json"), "{wide}");
    assert!(wide.contains("/t  maximum"), "{wide}");
    insta::assert_snapshot!("schema_recorded_wide", wide);
    select(&mut a, "plant/boiler/t");
    let small = screen(&mut a, 80, 24);
    assert!(small.contains("── schema (recorded) ✓ valid against"), "{small}");
    insta::assert_snapshot!("schema_recorded_small", small);
}
