//! Reducer and screen tests for smaller dashboard faults: the repeat counter, the subscriptions'
//! asked QoS, the watch view's payload views and text columns, and a level's rate.

use super::tests::{T0, feed, key, msg};
use super::watch::{Column, FieldSpec, WatchList};
use super::*;
use crate::codec::QoS;
use crate::payload::PayloadFormat;
use crossterm::event::KeyCode;

fn screen(a: &App, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::ui::draw(f, a)).unwrap();
    let buf = terminal.backend().buffer();
    (0..height).map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>() + "\n").collect()
}

#[test]
fn starting_a_repeat_does_not_use_up_a_counter_value() {
    let t = template::Template {
        name: "ping".into(),
        topic: "dev/{{counter}}".into(),
        payload: "n={{counter}}".into(),
        qos: QoS::AtMostOnce,
        retain: false,
        content_type: None,
        user_properties: vec![],
        rate: 1.0,
    };
    let mut a = App::new(Config { templates: vec![t], ..Config::default() }, T0);
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::F(2));
    key(&mut a, KeyCode::F(6));
    a.apply(AppEvent::Tick { now_ms: T0 });
    let topics: Vec<String> = a
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(Command::Publish { publish, .. }) => Some(publish.topic),
            _ => None,
        })
        .collect();
    assert_eq!(topics, ["dev/1"]);
}

#[test]
fn the_subscription_made_at_start_shows_the_qos_it_asked_for() {
    let a = App::new(Config::default(), T0);
    assert_eq!(a.subs.entries[0].qos, Some(QoS::AtMostOnce));
}

fn plant(columns: Vec<Column>, views: Vec<(String, PayloadFormat)>) -> App {
    let list = WatchList {
        name: "plant".into(),
        patterns: vec!["plant/#".into()],
        columns,
        reference: None,
        stale_after_ms: 60_000,
        alert_invalid: false,
    };
    let config = Config { watch_lists: vec![list], payload_views: views, ..Config::default() };
    let mut a = App::new(config, T0);
    a.apply(AppEvent::Resize { width: 120, height: 20 });
    a
}

fn column(title: &str, field: &str) -> Column {
    Column { title: title.into(), field: FieldSpec::parse(field).unwrap(), decimals: None, alert: None }
}

#[test]
fn watch_columns_read_messagepack_and_cbor_through_the_topics_payload_view() {
    let views = vec![
        ("plant/probe/msgpack".to_string(), PayloadFormat::MsgPack),
        ("plant/probe/cbor".to_string(), PayloadFormat::Cbor),
    ];
    let mut a = plant(vec![column("value", "auto"), column("v", "/v")], views);
    // {"v": 21.5} as MessagePack (fixmap, fixstr, float 64) and as CBOR (map, text, float 64).
    let mut mp = vec![0x81, 0xa1, b'v', 0xcb];
    mp.extend(21.5f64.to_be_bytes());
    let mut cbor = vec![0xa1, 0x61, b'v', 0xfb];
    cbor.extend(22.5f64.to_be_bytes());
    feed(&mut a, vec![msg("plant/probe/msgpack", &mp, T0), msg("plant/probe/cbor", &cbor, T0 + 1)]);
    let rows = &a.watch.current().rows;
    let values: Vec<(Option<f64>, Option<f64>)> = rows.iter().map(|r| (r.cells[0].last, r.cells[1].last)).collect();
    assert_eq!(values, [(Some(21.5), Some(21.5)), (Some(22.5), Some(22.5))]);
}

#[test]
fn watch_columns_show_text_values() {
    let mut a = plant(vec![column("state", "/state"), column("mode", "re:mode=(\\w+)")], vec![]);
    feed(&mut a, vec![msg("plant/pump", br#"{"state":"running","note":"mode=auto"}"#, T0)]);
    key(&mut a, KeyCode::Char('w'));
    assert_eq!(a.view, View::Watch);
    let text = screen(&a, 120, 20);
    assert!(text.contains("running") && text.contains("auto"), "{text}");
}

#[test]
fn a_watch_column_that_can_never_match_is_said_at_load() {
    let a = plant(vec![column("temp", "/temp")], vec![("plant/#".into(), PayloadFormat::Text)]);
    let notice = a.notice.as_ref().map(|(n, _)| n.as_str()).unwrap_or_default();
    assert!(notice.contains("'temp'") && notice.contains("can never match"), "{notice:?}");
}

#[test]
fn a_selected_level_shows_its_subtree_rate_in_the_sparkline() {
    let mut a = App::new(Config::default(), T0);
    a.apply(AppEvent::Resize { width: 160, height: 40 });
    for i in 0..10 {
        let t = if i % 2 == 0 { "plant/a" } else { "plant/b" };
        feed(&mut a, vec![msg(t, b"1", T0 + 1_000 + i * 50)]);
    }
    a.apply(AppEvent::Tick { now_ms: T0 + 2_100 });
    a.prepare();
    assert_eq!(a.tree_view.selected, a.tree.find_node("plant"), "the level is selected");
    let text = screen(&a, 160, 40);
    assert!(text.contains("subtree 10/s"), "{text}");
}
