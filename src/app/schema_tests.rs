//! Reducer tests for JSON Schema checks in the dashboard: verdicts kept with messages, counts per
//! topic and subtree, the log's invalid-only key, the watch alert. No terminal.

use super::tests::{T0, app, feed, key, msg};
use super::*;
use crate::payload::schema::Schemas;
use crossterm::event::KeyCode;

/// `plant/+/t` payloads must be objects with a number `t` of at most 100.
const SCHEMA: &str = r#"{"type":"object","required":["t"],"properties":{"t":{"type":"number","maximum":100}}}"#;

pub(crate) fn schema_app() -> App {
    let mut a = app();
    a.config.schemas = Arc::new(Schemas::from_text("plant/+/t", "t.json", SCHEMA).unwrap());
    a
}

fn node(a: &App, path: &str) -> topics::NodeId {
    a.tree.find_node(path).unwrap_or_else(|| panic!("no node {path}"))
}

#[test]
fn each_message_is_checked_once_on_arrival_and_keeps_its_verdict() {
    let mut a = schema_app();
    feed(
        &mut a,
        vec![
            msg("plant/a/t", br#"{"t": 21.5}"#, T0),
            msg("plant/a/t", br#"{"t": 120}"#, T0 + 1),
            msg("other/x", b"not json, no schema", T0 + 2),
        ],
    );
    let a_t = node(&a, "plant/a/t");
    let kept: Vec<_> = a.store.history(a_t).map(|m| a.store.verdict(m).cloned()).collect();
    assert!(kept[0].as_ref().is_some_and(|v| v.is_valid()), "{kept:?}");
    let bad = kept[1].as_ref().expect("a verdict");
    assert_eq!(bad.violations[0].instance_path, "/t");
    assert_eq!(bad.violations[0].keyword, "maximum");
    assert_eq!(bad.schema, "t.json");
    assert!(a.store.latest(node(&a, "other/x")).is_some_and(|m| a.store.verdict(m).is_none()), "no schema, no check");
    // The log entries know which is which.
    let flags: Vec<bool> = a.store.log().entries().iter().map(|e| e.invalid).collect();
    assert_eq!(flags, [false, true, false]);
}

#[test]
fn invalid_messages_are_counted_per_topic_and_in_subtree_totals() {
    let mut a = schema_app();
    feed(
        &mut a,
        vec![
            msg("plant/a/t", br#"{"t": 120}"#, T0),
            msg("plant/a/t", br#"{}"#, T0 + 1),
            msg("plant/a/t", br#"{"t": 1}"#, T0 + 2),
            msg("plant/b/t", br#"[1]"#, T0 + 3),
            msg("plant/b/t", br#"{"t": 5}"#, T0 + 4),
        ],
    );
    let (a_t, b_t, plant) = (node(&a, "plant/a/t"), node(&a, "plant/b/t"), node(&a, "plant"));
    assert_eq!((a.tree.invalid(a_t).own, a.tree.invalid(b_t).own), (2, 1));
    assert_eq!(a.tree.invalid(plant).sub, 3);
    assert_eq!(a.tree.invalid(topics::ROOT).sub, 3);
    assert_eq!(a.schema_invalid, 3, "the status line's total");
    // A level shows its subtree's count, a topic its own; folded or not.
    assert_eq!((a.tree.shown_invalid(plant), a.tree.shown_invalid(a_t)), (3, 2));
    a.tree.set_expanded(plant, false);
    assert_eq!(a.tree.shown_invalid(plant), 3);
    // The counters are memory the tree keeps.
    let mut plain = app();
    feed(&mut plain, vec![msg("plant/a/t", b"{}", T0)]);
    assert!(a.tree.bytes() > plain.tree.bytes());
}

#[test]
fn a_payload_that_is_not_json_on_a_schema_topic_is_invalid_and_says_why() {
    let mut a = schema_app();
    feed(&mut a, vec![msg("plant/a/t", b"\x1b[31mhot\xff", T0)]);
    let m = a.store.latest(node(&a, "plant/a/t")).unwrap();
    let v = a.store.verdict(m).unwrap();
    assert_eq!(v.violations[0].keyword, "json");
    assert!(v.violations[0].message.starts_with("not JSON"), "{v:?}");
    assert!(!v.violations[0].message.contains('\x1b'));
    assert_eq!(a.schema_invalid, 1);
}

#[test]
fn an_invalid_verdict_counts_against_the_memory_budget_and_a_valid_one_is_shared() {
    let mut a = schema_app();
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 1}"#, T0), msg("plant/a/t", br#"{"t": 1}"#, T0 + 1)]);
    let id = node(&a, "plant/a/t");
    let valid: Vec<_> = a.store.history(id).collect();
    let (v0, v1) = (a.store.verdict(valid[0]).unwrap(), a.store.verdict(valid[1]).unwrap());
    assert!(Arc::ptr_eq(v0, v1), "valid messages share one verdict");
    assert_eq!(a.store.cost(valid[0]), valid[0].payload().len() + store::OVERHEAD);
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 1000}"#, T0 + 2)]);
    let bad = a.store.latest(id).unwrap();
    let verdict_cost = a.store.verdict(bad).unwrap().cost();
    assert!(verdict_cost > 100, "{verdict_cost}");
    assert_eq!(a.store.cost(bad), bad.payload().len() + store::OVERHEAD + store::EXTRAS_SLOT + verdict_cost);
}

#[test]
fn at_most_sixteen_violations_are_kept_per_message_and_the_rest_counted() {
    let mut a = app();
    let s = r#"{"type":"array","items":{"type":"string"}}"#;
    a.config.schemas = Arc::new(Schemas::from_text("#", "s.json", s).unwrap());
    feed(&mut a, vec![msg("x", &serde_json::to_vec(&vec![1; 1000]).unwrap(), T0)]);
    let v = a.store.verdict(a.store.latest(node(&a, "x")).unwrap()).cloned().unwrap();
    assert_eq!((v.violations.len(), v.more, v.total()), (16, 984, 1000));
}

#[test]
fn i_in_the_log_shows_only_invalid_messages_and_again_all() {
    let mut a = schema_app();
    feed(
        &mut a,
        vec![
            msg("plant/a/t", br#"{"t": 1}"#, T0),
            msg("plant/a/t", br#"{"t": 500}"#, T0 + 1),
            msg("other", b"x", T0 + 2),
        ],
    );
    a.focus = layout::Pane::Log;
    key(&mut a, KeyCode::Char('i'));
    assert!(a.log_view.invalid_only);
    let rows: Vec<u64> = a.log_rows(10).iter().map(|e| e.seq).collect();
    assert_eq!(rows, [2]);
    assert_eq!(a.log_counts().0, 1, "the title counts what is shown");
    // New messages are filtered as they come.
    feed(&mut a, vec![msg("plant/b/t", b"{}", T0 + 3), msg("plant/b/t", br#"{"t":2}"#, T0 + 4)]);
    let rows: Vec<u64> = a.log_rows(10).iter().map(|e| e.seq).collect();
    assert_eq!(rows, [2, 4]);
    key(&mut a, KeyCode::Char('i'));
    assert!(!a.log_view.invalid_only);
    assert_eq!(a.log_rows(10).len(), 5);
}

#[test]
fn i_in_the_log_without_a_schema_says_none_is_loaded() {
    let mut a = app();
    a.focus = layout::Pane::Log;
    key(&mut a, KeyCode::Char('i'));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("no schema is loaded")), "{:?}", a.notice);
}

fn watching_plant(alert_invalid: bool) -> App {
    let mut a = schema_app();
    let mut list = watch::WatchList::ad_hoc();
    list.name = "plant".into();
    list.patterns = vec!["plant/+/t".into()];
    list.alert_invalid = alert_invalid;
    a.watch = watch::Watch::new(vec![list]);
    a
}

#[test]
fn a_watch_list_with_alert_invalid_rings_once_when_a_message_breaks_its_schema() {
    let mut a = watching_plant(true);
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 1}"#, T0)]);
    assert!(a.take_effects().is_empty());
    assert!(!a.watch.current().rows[0].alert);
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 101}"#, T0 + 1)]);
    assert_eq!(a.take_effects(), [Effect::Bell]);
    let row = &a.watch.current().rows[0];
    assert!(row.alert && row.invalid);
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 102}"#, T0 + 2)]);
    assert!(a.take_effects().is_empty(), "still invalid: no second bell");
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 3}"#, T0 + 3)]);
    let row = &a.watch.current().rows[0];
    assert!(!row.alert && !row.invalid);
}

#[test]
fn without_alert_invalid_an_invalid_row_is_marked_but_does_not_alert() {
    let mut a = watching_plant(false);
    feed(&mut a, vec![msg("plant/a/t", br#"{"t": 101}"#, T0)]);
    assert!(a.take_effects().is_empty());
    let row = &a.watch.current().rows[0];
    assert!(row.invalid && !row.alert);
}

#[test]
fn i_in_the_watch_view_turns_the_invalid_alert_on_and_off() {
    let mut a = watching_plant(false);
    key(&mut a, KeyCode::Char('w'));
    assert_eq!(a.view, View::Watch);
    key(&mut a, KeyCode::Char('i'));
    assert!(a.watch.current().list.alert_invalid);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("alert on schema-invalid messages on")));
    feed(&mut a, vec![msg("plant/a/t", b"[]", T0)]);
    assert_eq!(a.take_effects(), [Effect::Bell]);
    key(&mut a, KeyCode::Char('i'));
    assert!(!a.watch.current().list.alert_invalid);
    assert_eq!(a.view, View::Watch, "i is the watch view's key, nothing else");
}

#[test]
fn a_protobuf_payload_is_checked_in_its_json_form() {
    use crate::payload::protobuf::{Protos, encode_json};
    let spec = crate::payload::protobuf::tests::telemetry_spec();
    let protos = Protos::load(&[spec]).expect("proto");
    let message = protos.message_for("factory/a/telemetry").expect("type").clone();
    let mut a = app();
    a.config.protos = Arc::new(protos);
    let s = r#"{"type":"object","required":["device"],"properties":{"temperature":{"maximum":50}}}"#;
    a.config.schemas = Arc::new(Schemas::from_text("factory/#", "tele.json", s).unwrap());
    let ok = encode_json(r#"{"device":"press-7","temperature":21.5}"#, &message).unwrap();
    let hot = encode_json(r#"{"device":"press-7","temperature":99.5}"#, &message).unwrap();
    feed(
        &mut a,
        vec![
            msg("factory/a/telemetry", &ok, T0),
            msg("factory/a/telemetry", &hot, T0 + 1),
            msg("factory/a/telemetry", b"\x0a\xff\xff", T0 + 2),
        ],
    );
    let verdicts: Vec<_> =
        a.store.history(node(&a, "factory/a/telemetry")).map(|m| a.store.verdict(m).cloned().unwrap()).collect();
    assert!(verdicts[0].is_valid(), "{:?}", verdicts[0]);
    assert_eq!(
        (verdicts[1].violations[0].instance_path.as_str(), verdicts[1].violations[0].keyword.as_str()),
        ("/temperature", "maximum")
    );
    assert_eq!(verdicts[2].violations[0].keyword, "protobuf");
    assert!(verdicts[2].violations[0].message.contains("not valid acme.Telemetry"), "{:?}", verdicts[2]);
}

#[test]
fn ten_thousand_messages_are_each_checked_once_without_work_per_frame() {
    let mut a = schema_app();
    let batch: Vec<_> = (0..10_000u64)
        .map(|i| {
            let t = if i % 10 == 0 { 500 } else { 20 };
            msg(&format!("plant/{}/t", i % 50), format!(r#"{{"t":{t}}}"#).as_bytes(), T0 + i / 10)
        })
        .collect();
    let start = std::time::Instant::now();
    feed(&mut a, batch);
    let took = start.elapsed();
    assert_eq!(a.schema_invalid, 1_000);
    assert_eq!(a.tree.invalid(topics::ROOT).sub, 1_000);
    // A frame reads the stored verdicts: preparing again checks nothing.
    a.prepare();
    assert_eq!(a.schema_invalid, 1_000);
    crate::report!("10,000 messages with schema checks applied in {took:?}");
}

#[test]
fn wire_text_in_a_violation_is_escaped_before_it_is_kept() {
    let mut a = app();
    let s = r#"{"additionalProperties":{"type":"number"}}"#;
    a.config.schemas = Arc::new(Schemas::from_text("#", "s.json", s).unwrap());
    feed(&mut a, vec![msg("x", br#"{"\u001b]0;owned\u0007": "\u001b[2J"}"#, T0)]);
    let v = a.store.verdict(a.store.latest(node(&a, "x")).unwrap()).cloned().unwrap();
    let x = &v.violations[0];
    assert_eq!(x.keyword, "type");
    assert!(x.instance_path.starts_with("/\\e]0;owned"), "{x:?}");
    for text in [&x.instance_path, &x.keyword, &x.message] {
        assert!(!text.chars().any(char::is_control), "{x:?}");
    }
}
