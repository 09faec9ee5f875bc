use crate::app::layout::Pane;
use crate::app::tests::{T0, app, feed, key, msg};
use crate::app::{App, Effect, View};
use crate::payload::PayloadFormat;
use crossterm::event::KeyCode;

const DOC: &str = r#"{"site":"plant/1","sensors":[{"name":"a","temp":20.5},{"name":"b","temp":21.5}],"ok":true}"#;

fn with_tree(payload: &[u8]) -> App {
    let mut a = app();
    feed(&mut a, vec![msg("plant/sensors", payload, T0)]);
    a.tree_view.selected = a.tree.find("plant/sensors");
    a.prepare();
    key(&mut a, KeyCode::Char('T'));
    a
}

fn path(a: &App) -> String {
    a.detail_cache.json.as_ref().map(|t| t.selected_path()).unwrap_or_default()
}

fn go(a: &mut App, to: &str) {
    key(a, KeyCode::Home);
    for _ in 0..50 {
        if path(a) == to {
            return;
        }
        key(a, KeyCode::Down);
    }
    panic!("{to} not found");
}

#[test]
fn t_shows_the_tree_focused_and_again_the_text() {
    let mut a = with_tree(DOC.as_bytes());
    assert!(a.tree_shown());
    assert_eq!(a.focus, Pane::Detail);
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(10));
    key(&mut a, KeyCode::Char('T'));
    assert!(!a.tree_shown());
    assert!(a.detail_cache.json.is_none(), "the tree's memory goes back");
}

#[test]
fn arrows_and_vi_keys_move_and_fold_through_the_app() {
    let mut a = with_tree(DOC.as_bytes());
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(path(&a), "/site");
    key(&mut a, KeyCode::Down);
    assert_eq!(path(&a), "/sensors");
    key(&mut a, KeyCode::Char('h'));
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(4));
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Right);
    assert_eq!(path(&a), "/sensors/0");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(8));
    key(&mut a, KeyCode::Left);
    assert_eq!(path(&a), "/sensors");
    key(&mut a, KeyCode::Char('C'));
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(4));
    key(&mut a, KeyCode::Char('E'));
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(10));
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(path(&a), "/ok");
    key(&mut a, KeyCode::Char('g'));
    assert_eq!(path(&a), "");
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Char('k'));
    assert_eq!(path(&a), "/sensors/1/name");
    key(&mut a, KeyCode::PageUp);
    key(&mut a, KeyCode::PageDown);
    assert_eq!(path(&a), "/ok", "a page holds all ten rows at 160x48");
}

#[test]
fn y_copies_the_selected_value_and_shift_y_its_path() {
    let mut a = with_tree(DOC.as_bytes());
    go(&mut a, "/sensors/1/name");
    a.take_effects();
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('Y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy("b".into()), Effect::Copy("/sensors/1/name".into())]);
    go(&mut a, "/sensors/0");
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy("{\n  \"name\": \"a\",\n  \"temp\": 20.5\n}".into())]);
    // Outside the detail pane, y copies the payload as before.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy(DOC.into())]);
}

#[test]
fn a_charts_the_selected_number_beside_the_default_field() {
    let mut a = with_tree(DOC.as_bytes());
    let node = a.tree.find("plant/sensors").expect("topic");
    assert_eq!(a.chart_fields(node), ["/sensors/0/temp"]);
    go(&mut a, "/sensors/1/temp");
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.chart_fields(node), ["/sensors/0/temp", "/sensors/1/temp"]);
    assert_eq!(a.detail_cache.chart_fields, ["/sensors/0/temp", "/sensors/1/temp"]);
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.chart_fields(node), ["/sensors/0/temp"], "a again removes it");
    go(&mut a, "/site");
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.chart_fields(node), ["/sensors/0/temp"]);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("not a number")), "{:?}", a.notice);
}

#[test]
fn the_picker_adds_a_field_beside_the_default_one_instead_of_replacing_it() {
    let mut a = app();
    feed(&mut a, vec![msg("t", br#"{"px":1,"vol":2}"#, T0), msg("t", br#"{"px":2,"vol":3}"#, T0 + 1000)]);
    a.tree_view.selected = a.tree.find("t");
    a.focus = Pane::Detail;
    a.prepare();
    let node = a.tree.find("t").expect("topic");
    assert_eq!(a.chart_fields(node), ["/px"]);
    key(&mut a, KeyCode::Char('c'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.chart_fields(node), ["/px", "/vol"], "choosing one more field keeps the default");
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.chart_fields(node), ["/vol"], "the default can be taken off too");
}

#[test]
fn plus_adds_the_selected_value_as_a_watch_column_with_its_topic() {
    let mut a = with_tree(DOC.as_bytes());
    go(&mut a, "/sensors/1/temp");
    key(&mut a, KeyCode::Char('+'));
    let list = &a.watch.current();
    assert!(list.list.matches("plant/sensors"));
    assert_eq!(list.list.columns.last().map(|c| c.title.as_str()), Some("temp"));
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].cells.last().and_then(|c| c.last), Some(21.5), "filled from the shown message");
    let columns = list.list.columns.len();
    // A second value of the same topic: one more column, the row kept.
    go(&mut a, "/sensors/1/name");
    key(&mut a, KeyCode::Char('+'));
    let list = &a.watch.current();
    assert_eq!(list.list.columns.len(), columns + 1);
    assert_eq!(list.rows[0].cells.last().and_then(|c| c.text.clone()), Some("b".into()));
    // New messages update both.
    feed(&mut a, vec![msg("plant/sensors", DOC.replace("21.5", "30").replace("\"b\"", "\"z\"").as_bytes(), T0 + 1)]);
    let row = &a.watch.current().rows[0];
    assert_eq!(row.cells[columns - 1].last, Some(30.0));
    assert_eq!(row.cells[columns].text.as_deref(), Some("z"));
    // Again: nothing added twice; a container is refused.
    key(&mut a, KeyCode::Char('+'));
    assert_eq!(a.watch.current().list.columns.len(), columns + 1);
    go(&mut a, "/sensors");
    key(&mut a, KeyCode::Char('+'));
    assert_eq!(a.watch.current().list.columns.len(), columns + 1);
    key(&mut a, KeyCode::Char('w'));
    assert_eq!(a.view, View::Watch);
}

#[test]
fn folds_stay_while_new_messages_arrive_on_the_topic() {
    let mut a = with_tree(DOC.as_bytes());
    go(&mut a, "/sensors/0");
    key(&mut a, KeyCode::Enter);
    go(&mut a, "/sensors/1/temp");
    feed(&mut a, vec![msg("plant/sensors", DOC.replace("21.5", "22").as_bytes(), T0 + 1)]);
    assert_eq!(path(&a), "/sensors/1/temp");
    assert_eq!(a.detail_cache.json.as_ref().map(|t| t.row_count()), Some(8), "/sensors/0 stays folded");
    let rows: Vec<String> =
        a.detail_cache.json.as_ref().map_or(Vec::new(), |t| t.visible(20).map(|r| r.text.to_owned()).collect());
    assert!(rows.contains(&"22".to_string()), "{rows:?}");
}

#[test]
fn text_and_hex_have_no_tree_and_say_why() {
    let mut a = with_tree(b"hello world");
    assert!(!a.tree_shown());
    assert!(
        a.detail_cache.json_error.as_deref().is_some_and(|e| e.contains("not valid JSON")),
        "{:?}",
        a.detail_cache.json_error
    );
    let node = a.tree.find("plant/sensors").expect("topic");
    a.detail.formats.insert(node, PayloadFormat::Hex);
    a.prepare();
    assert!(a.detail_cache.json_error.as_deref().is_some_and(|e| e.contains("hex view has no tree")));
    // Keys go to the text view.
    key(&mut a, KeyCode::Char('W'));
    assert!(a.detail.nowrap);
}

#[test]
fn msgpack_and_cbor_payloads_show_the_same_tree() {
    // {"a": [1, 2]} in MessagePack and in CBOR.
    for (format, bytes) in [
        (PayloadFormat::MsgPack, vec![0x81, 0xa1, b'a', 0x92, 0x01, 0x02]),
        (PayloadFormat::Cbor, vec![0xa1, 0x61, b'a', 0x82, 0x01, 0x02]),
    ] {
        let mut a = app();
        a.config.payload_views = vec![("#".into(), format)];
        feed(&mut a, vec![msg("bin", &bytes, T0)]);
        a.tree_view.selected = a.tree.find("bin");
        a.prepare();
        key(&mut a, KeyCode::Char('T'));
        key(&mut a, KeyCode::End);
        assert_eq!(path(&a), "/a/1", "{format}");
        let node = a.tree.find("bin").expect("topic");
        key(&mut a, KeyCode::Char('a'));
        assert!(a.chart_fields(node).contains(&"/a/1".to_string()), "{format}");
    }
}

#[test]
fn a_sparkplug_metric_value_is_charted_and_watched_by_its_metric_name() {
    use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
    use prost::Message as _;
    let p = Payload {
        timestamp: Some(1),
        seq: Some(0),
        metrics: ["Line/Speed", "Line/Temp"]
            .iter()
            .zip([3.0, 21.5])
            .map(|(name, v)| Metric {
                name: Some((*name).into()),
                value: Some(MetricValue::DoubleValue(v)),
                datatype: Some(10),
                ..Metric::default()
            })
            .collect(),
        ..Payload::default()
    };
    let mut a = app();
    feed(&mut a, vec![msg("spBv1.0/g/NDATA/n1", &p.encode_to_vec(), T0)]);
    a.tree_view.selected = a.tree.find("spBv1.0/g/NDATA/n1");
    a.prepare();
    key(&mut a, KeyCode::Char('T'));
    assert!(a.tree_shown(), "{:?}", a.detail_cache.json_error);
    key(&mut a, KeyCode::Char('E'));
    go(&mut a, "/metrics/1/value");
    let node = a.tree.find("spBv1.0/g/NDATA/n1").expect("topic");
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.chart_fields(node), ["/metrics/Line~1Speed", "/metrics/Line~1Temp"]);
    key(&mut a, KeyCode::Char('+'));
    let row = &a.watch.current().rows[0];
    assert_eq!(row.cells.last().and_then(|c| c.last), Some(21.5));
}

#[test]
fn a_payload_nested_ten_thousand_deep_gets_a_reason_not_a_tree() {
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let a = with_tree(deep.as_bytes());
    assert!(!a.tree_shown());
    assert!(
        a.detail_cache.json_error.as_deref().is_some_and(|e| e.contains("recursion limit")),
        "{:?}",
        a.detail_cache.json_error
    );
}

#[test]
fn a_one_mib_payload_builds_its_tree_once_and_counts_its_memory() {
    let items: Vec<String> = (0..60_000).map(|i| format!(r#"{{"id":{i},"v":"{:08}"}}"#, i)).collect();
    let doc = format!("[{}]", items.join(","));
    assert!(doc.len() >= 1 << 20);
    let doc = &doc[..];
    let mut a = app();
    // Just under the 1 MiB decode limit.
    let cut = doc.get(..(1 << 20) - 2).map(|s| s.rfind("},").map_or(s, |i| &s[..=i])).unwrap_or(doc);
    let payload = format!("{cut}]");
    feed(&mut a, vec![msg("big", payload.as_bytes(), T0)]);
    a.tree_view.selected = a.tree.find("big");
    a.prepare();
    let before = a.detail_cache.bytes();
    key(&mut a, KeyCode::Char('T'));
    let tree = a.detail_cache.json.as_ref().map_or(0, |t| t.bytes());
    assert!(tree > 1 << 20, "{tree}");
    assert_eq!(a.detail_cache.bytes(), before + tree, "the tree is counted with the detail pane");
    key(&mut a, KeyCode::Char('E'));
    key(&mut a, KeyCode::End);
    assert!(path(&a).ends_with("/v"), "{}", path(&a));
}

#[test]
fn a_hostile_key_is_watched_and_charted_by_its_sanitised_path() {
    let mut a = with_tree(b"{\"\\u001b[31mred\": 7}");
    key(&mut a, KeyCode::End);
    assert_eq!(path(&a), "/\\e[31mred");
    key(&mut a, KeyCode::Char('+'));
    let row = &a.watch.current().rows[0];
    assert_eq!(row.cells.last().and_then(|c| c.last), Some(7.0));
    let title = a.watch.current().list.columns.last().map(|c| c.title.clone()).unwrap_or_default();
    assert!(!title.contains('\u{1b}'), "{title:?}");
}

#[test]
fn a_second_picked_field_of_another_scale_is_charted_beside_the_first_and_normalised() {
    let mut a = app();
    let msgs = (0..4u64)
        .map(|i| {
            let body = if i == 2 {
                format!(r#"{{"px":{}}}"#, 190 + i)
            } else {
                format!(r#"{{"px":{},"vol":{}}}"#, 190 + i, 100_000 + i * 1_000)
            };
            msg("t", body.as_bytes(), T0 + i * 1000)
        })
        .collect();
    feed(&mut a, msgs);
    a.tree_view.selected = a.tree.find("t");
    a.focus = Pane::Detail;
    a.prepare();
    assert!(!a.detail_cache.chart.normalised, "one field: one axis with real values");
    key(&mut a, KeyCode::Char('c'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Enter);
    a.prepare();
    let chart = &a.detail_cache.chart;
    let names: Vec<_> = chart.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["/px", "/vol"], "the default field stays");
    assert!(chart.normalised, "px moves by 3 where vol is near 100,000");
    assert_eq!(chart.series[1].segments.len(), 2, "the message without vol leaves a gap");
    assert_eq!((chart.series[1].min, chart.series[1].max, chart.series[1].last), (100_000.0, 103_000.0, 103_000.0));
}
