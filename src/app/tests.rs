//! Reducer tests: events in, state out. No terminal.

use super::layout::Pane;
use super::topics::SortBy;
use super::*;
use crate::codec::{ByteString, Bytes, Properties, QoS};
use crate::payload::PayloadFormat;
use crate::session::{ConnectionInfo, Message};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, UNIX_EPOCH};

pub(crate) const T0: u64 = 1_795_628_616_000;

pub(crate) fn msg(topic: &str, payload: &[u8], at_ms: u64) -> Message {
    Message {
        topic: ByteString::from(topic),
        payload: Bytes::copy_from_slice(payload),
        qos: QoS::AtMostOnce,
        retain: false,
        dup: false,
        packet_id: None,
        properties: Properties::default(),
        received_at: UNIX_EPOCH + Duration::from_millis(at_ms),
    }
}

pub(crate) fn feed(app: &mut App, msgs: Vec<Message>) {
    app.apply(AppEvent::Session(SessionEvent::Messages(msgs)));
    app.prepare();
}

pub(crate) fn key(app: &mut App, code: KeyCode) {
    app.apply(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    app.prepare();
}

pub(crate) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub(crate) fn app() -> App {
    let mut a = App::new(Config { url: "ws://127.0.0.1:1883/mqtt".into(), ..Config::default() }, T0);
    a.apply(AppEvent::Resize { width: 160, height: 48 });
    a
}

fn selected_path(a: &App) -> String {
    a.tree_view.selected.map(|id| a.tree.node(id).path().to_string()).unwrap_or_default()
}

fn sample(a: &mut App) {
    feed(
        a,
        vec![
            msg("sensors/kitchen/temp", b"21.5", T0),
            msg("sensors/kitchen/hum", b"40", T0 + 10),
            msg("sensors/garage/door", b"open", T0 + 20),
            msg("ticker/AAPL", br#"{"px":189.5,"vol":10}"#, T0 + 30),
        ],
    );
}

#[test]
fn messages_build_the_tree_and_counts() {
    let mut a = app();
    sample(&mut a);
    assert_eq!(a.received, 4);
    assert_eq!(a.tree.topic_count(), 4);
    assert_eq!(a.tree.root().sub.count, 4);
    assert_eq!(selected_path(&a), "sensors", "the first row is selected once messages arrive");
    let kitchen = a.tree.node(a.tree.find("sensors/kitchen/temp").unwrap()).parent;
    assert_eq!(a.tree.node(kitchen).sub.count, 2);
    assert_eq!(a.store.log().entries().len(), 4);
    assert!(a.take_dirty());
    assert!(!a.take_dirty());
}

#[test]
fn arrow_and_vim_keys_move_fold_and_unfold() {
    let mut a = app();
    sample(&mut a);
    // 0 sensors / 1 garage / 2 door / 3 kitchen / 4 hum / 5 temp / 6 ticker / 7 AAPL
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(selected_path(&a), "sensors/garage/door");
    key(&mut a, KeyCode::Left);
    assert_eq!(selected_path(&a), "sensors/garage", "a leaf goes to its parent");
    key(&mut a, KeyCode::Left);
    assert!(!a.tree.node(a.tree_view.selected.unwrap()).expanded, "then folds it");
    key(&mut a, KeyCode::Char('l'));
    assert!(a.tree.node(a.tree_view.selected.unwrap()).expanded);
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(selected_path(&a), "ticker/AAPL");
    key(&mut a, KeyCode::Char('g'));
    assert_eq!(selected_path(&a), "sensors");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.tree.cached_rows().len(), 3, "sensors folded: sensors, ticker, AAPL");
    key(&mut a, KeyCode::Char('C'));
    assert_eq!(a.tree.cached_rows().len(), 2);
    key(&mut a, KeyCode::Char('E'));
    assert_eq!(a.tree.cached_rows().len(), 8);
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Home);
    key(&mut a, KeyCode::PageDown);
    assert_eq!(selected_path(&a), "ticker/AAPL");
    key(&mut a, KeyCode::PageUp);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Up);
    assert_eq!(selected_path(&a), "sensors");
}

#[test]
fn folding_away_the_selection_falls_back_to_its_parent() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char('G'));
    key(&mut a, KeyCode::Char('C'));
    assert_eq!(selected_path(&a), "ticker");
}

#[test]
fn tree_filter_prompt_filters_and_escape_clears() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(a.prompt.as_ref().map(|p| p.kind), Some(PromptKind::TreeFilter));
    typed(&mut a, "sensors/+/door");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.is_none());
    let rows: Vec<String> = a.tree.cached_rows().iter().map(|&id| a.tree.node(id).path().to_string()).collect();
    assert_eq!(rows, ["sensors", "sensors/garage", "sensors/garage/door"]);
    // Backspace edits, Esc abandons the prompt without changing the filter.
    key(&mut a, KeyCode::Char('/'));
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.tree.cached_rows().len(), 3);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.tree.cached_rows().len(), 8);
}

#[test]
fn sort_key_cycles_orders() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char('o'));
    assert_eq!(a.tree.sort(), SortBy::Activity);
    assert_eq!(a.tree.node(a.tree.cached_rows()[0]).name(), "ticker", "most recent first");
    key(&mut a, KeyCode::Char('o'));
    assert_eq!(a.tree.sort(), SortBy::Rate);
    key(&mut a, KeyCode::Char('o'));
    assert_eq!(a.tree.sort(), SortBy::Name);
}

#[test]
fn a_key_in_a_big_tree_is_not_behind_a_re_sort_it_did_not_ask_for() {
    // Rebuilding 100,000 sorted rows took up to 59 ms: a key answers with the rows as they are,
    // and the periodic re-sort waits for the next frame drawn for data.
    let mut a = app();
    let mut batch: Vec<Message> = (0..20_000).map(|i| msg(&format!("a/{i:05}"), b"1", T0)).collect();
    batch.push(msg("z", b"1", T0 + 1));
    feed(&mut a, batch);
    // A tree this big opens folded: unfolded, it has 20,000 rows to sort.
    key(&mut a, KeyCode::Char('E'));
    key(&mut a, KeyCode::Char('o'));
    assert_eq!(a.tree.sort(), SortBy::Activity);
    let name_of = |a: &App, row: usize| a.tree.node(a.tree.cached_rows()[row]).path().to_string();
    assert_eq!(name_of(&a, 0), "z", "most recent first");
    assert_eq!(selected_path(&a), "a");
    // Two seconds on, `a` is the most recent: its order is stale, and a key arrives.
    a.apply(AppEvent::Session(SessionEvent::Messages(vec![msg("a/00005", b"2", T0 + 2_000)])));
    key(&mut a, KeyCode::Down);
    assert_eq!(name_of(&a, 0), "z", "the key frame kept the order");
    assert_eq!(a.tree_view.selected, Some(a.tree.cached_rows()[2]), "and moved the selection");
    a.apply(AppEvent::Tick { now_ms: T0 + 2_001 });
    a.prepare();
    assert_eq!(name_of(&a, 0), "a", "the next data frame re-sorts");
    assert_eq!(name_of(&a, 1), "a/00005");
}

#[test]
fn messages_alone_redraw_a_few_times_a_second_and_keys_at_once() {
    let mut a = app();
    sample(&mut a);
    assert!(a.take_dirty());
    // A flood over the next 150 ms: counts and the log move, but no frame is due yet.
    for k in 1..=15 {
        a.apply(AppEvent::Session(SessionEvent::Messages(vec![msg("sensors/kitchen/temp", b"22", T0 + k * 10)])));
        a.apply(AppEvent::Backlog(k as usize));
        a.apply(AppEvent::Tick { now_ms: T0 + k * 10 });
        assert!(!a.take_dirty(), "no data frame {} ms after the last one", k * 10);
    }
    a.apply(AppEvent::Tick { now_ms: T0 + DATA_FRAME_MS + 30 });
    assert!(a.take_dirty(), "the messages are drawn once the data frame is due");
    a.apply(AppEvent::Session(SessionEvent::Messages(vec![msg("ticker/AAPL", b"{}", T0 + DATA_FRAME_MS + 40)])));
    assert!(!a.take_dirty());
    key(&mut a, KeyCode::Down);
    assert!(a.take_dirty(), "a key is drawn at once, with the messages before it");
    a.apply(AppEvent::Tick { now_ms: T0 + 3 * DATA_FRAME_MS });
    assert!(!a.take_dirty(), "nothing new since");
}

#[test]
fn the_next_tick_is_asked_for_only_when_something_is_due() {
    let mut a = app();
    a.apply(AppEvent::Tick { now_ms: T0 + 100 });
    a.take_dirty();
    assert_eq!(a.next_tick_ms(), T0 + 1_000, "idle: the next whole second, for ages and rates");
    a.apply(AppEvent::Session(SessionEvent::Messages(vec![msg("a/b", b"1", T0 + 160)])));
    assert!(!a.take_dirty(), "the last frame was 60 ms ago");
    assert_eq!(a.next_tick_ms(), T0 + 100 + DATA_FRAME_MS, "messages: when their frame is due");
    key(&mut a, KeyCode::Down);
    assert_eq!(a.next_tick_ms(), a.now_ms, "a change on screen: at once");
    a.take_dirty();
    a.notify("hello".into());
    a.apply(AppEvent::Tick { now_ms: T0 + NOTICE_MS + 60 });
    a.take_dirty();
    assert_eq!(a.next_tick_ms(), T0 + 160 + NOTICE_MS + 1, "a notice: when it expires, before the next second");
    a.apply(AppEvent::Tick { now_ms: T0 + 160 + NOTICE_MS + 1 });
    assert!(a.notice.is_none() && a.take_dirty());
    key(&mut a, KeyCode::Char('w'));
    a.take_dirty();
    assert_eq!(a.view, View::Watch);
    assert_eq!(a.next_tick_ms() % 250, 0, "the watch view flashes changed rows: quarter seconds");
    assert!(a.next_tick_ms() - a.now_ms <= 250);
}

#[test]
fn tab_moves_focus_and_help_opens_and_closes() {
    let mut a = app();
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Log);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Detail);
    key(&mut a, KeyCode::BackTab);
    assert_eq!(a.focus, Pane::Log);
    key(&mut a, KeyCode::Char('?'));
    assert!(a.show_help);
    key(&mut a, KeyCode::Char('x'));
    assert!(!a.show_help);
    assert!(a.take_effects().is_empty(), "a key that closes help does nothing else");
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut a = app();
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.take_effects(), vec![Effect::Quit]);
    a.apply(AppEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert_eq!(a.take_effects(), vec![Effect::Quit]);
    // In a prompt, q is text.
    key(&mut a, KeyCode::Char('/'));
    key(&mut a, KeyCode::Char('q'));
    assert!(a.take_effects().is_empty());
    assert_eq!(a.prompt.as_ref().map(|p| p.text.as_str()), Some("q"));
}

#[test]
fn pause_freezes_the_log_while_counting_goes_on() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char(' '));
    feed(&mut a, vec![msg("late/one", b"1", T0 + 100), msg("late/two", b"2", T0 + 101)]);
    assert_eq!(a.received, 6, "still counted");
    let (shown, new) = a.log_counts();
    assert_eq!((shown, new), (4, 2));
    assert!(a.log_rows(10).iter().all(|m| m.seq <= 4));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.log_counts(), (6, 0));
}

#[test]
fn log_filter_regex_scope_and_search() {
    let mut a = app();
    sample(&mut a);
    a.focus = Pane::Log;
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "/^(open|40)$/");
    key(&mut a, KeyCode::Enter);
    let payloads: Vec<&[u8]> = a.log_rows(10).iter().map(|m| a.store.head(m)).collect();
    assert_eq!(payloads, [&b"40"[..], b"open"]);
    // A bad regex keeps the prompt open with the error.
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..20 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "/(/");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.as_ref().is_some_and(|p| p.error.is_some()));
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    assert!(a.log_view.filter.is_none());
    // Search selects the newest match first, then older ones.
    key(&mut a, KeyCode::Char('f'));
    typed(&mut a, "kitchen");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.detail_message().map(|m| m.payload()), Some(&b"40"[..]));
    key(&mut a, KeyCode::Char('n'));
    assert_eq!(a.detail_message().map(|m| m.payload()), Some(&b"21.5"[..]));
    key(&mut a, KeyCode::Char('n'));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("no older match")));
    key(&mut a, KeyCode::Char('N'));
    assert_eq!(a.detail_message().map(|m| m.payload()), Some(&b"40"[..]));
    // The detail pane follows the log selection while the log has focus.
    assert_eq!(a.detail_topic().map(|id| a.tree.node(id).path().to_string()).as_deref(), Some("sensors/kitchen/hum"));
    // Scope to the selected subtree (the tree selects 'sensors').
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.log_counts().0, 3);
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('j'));
    assert!(a.log_view.selected.is_some());
    key(&mut a, KeyCode::Char('F'));
    assert!(a.log_view.selected.is_none(), "F follows again");
}

#[test]
fn payload_view_cycles_per_topic_and_respects_configured_patterns() {
    let mut a = App::new(Config { payload_views: vec![("bin/#".into(), PayloadFormat::Hex)], ..Config::default() }, T0);
    feed(&mut a, vec![msg("bin/x", b"\x00\x01", T0), msg("j", b"{}", T0)]);
    let bin = a.tree.find("bin/x").unwrap();
    let j = a.tree.find("j").unwrap();
    assert_eq!(a.payload_format(bin), PayloadFormat::Hex);
    assert_eq!(a.payload_format(j), PayloadFormat::Auto);
    a.tree_view.selected = Some(j);
    key(&mut a, KeyCode::Char('v'));
    assert_eq!(a.payload_format(j), PayloadFormat::Auto.next());
    assert_eq!(a.payload_format(bin), PayloadFormat::Hex, "other topics keep theirs");
}

#[test]
fn clearing_history_resets_the_chart_and_keeps_counts() {
    let mut a = app();
    feed(&mut a, (0..5).map(|i| msg("t", format!("{i}").as_bytes(), T0 + i * 1000)).collect());
    let t = a.tree.find("t").unwrap();
    a.tree_view.selected = Some(t);
    assert_eq!(a.chart_fields(t), ["value"]);
    key(&mut a, KeyCode::Char('D'));
    assert_eq!(a.store.history(t).len(), 0);
    assert!(a.chart_fields(t).is_empty(), "no message, nothing to chart");
    assert_eq!(a.tree.node(t).own.count, 5, "counts stay");
}

#[test]
fn chart_field_picker_toggles_fields() {
    let mut a = app();
    feed(&mut a, vec![msg("q", br#"{"bid":1.5,"ask":1.6,"sym":"X"}"#, T0)]);
    a.tree_view.selected = a.tree.find("q");
    a.focus = Pane::Detail;
    key(&mut a, KeyCode::Char('c'));
    let (fields, _) = a.detail.picker.clone().expect("picker open");
    assert_eq!(fields, ["/bid", "/ask"]);
    // /bid is charted by default: choosing /ask adds it beside.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Enter);
    assert!(a.detail.picker.is_none());
    assert_eq!(a.chart_fields(a.tree.find("q").unwrap()), ["/bid", "/ask"]);
    // Detail scrolling keys: the payload fits, so nothing scrolls past its end.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::PageDown);
    assert_eq!(a.detail.scroll, 0);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Home);
    assert_eq!(a.detail.scroll, 0);
}

#[test]
fn connection_events_drive_the_status() {
    let mut a = app();
    a.apply(AppEvent::Session(SessionEvent::Connecting {
        url: "ws://h/mqtt".into(),
        attempt: 2,
        version: crate::codec::ProtocolVersion::V5,
    }));
    assert_eq!(a.conn.status, ConnStatus::Connecting { attempt: 2 });
    let info = ConnectionInfo {
        receive_maximum: 10,
        ..ConnectionInfo::defaults(crate::codec::ProtocolVersion::V3_1_1, false, "cid".into(), 30)
    };
    a.apply(AppEvent::Session(SessionEvent::Connected(Box::new(info))));
    assert_eq!((a.conn.status.clone(), a.conn.client_id.as_str()), (ConnStatus::Connected, "cid"));
    a.apply(AppEvent::Session(SessionEvent::Pong { rtt: Duration::from_millis(3) }));
    assert_eq!(a.conn.rtt, Some(Duration::from_millis(3)));
    a.apply(AppEvent::Session(SessionEvent::Disconnected {
        reason: "broker closed the connection".into(),
        reconnect_in: Some(Duration::from_secs(2)),
        fatal: None,
    }));
    assert!(matches!(&a.conn.status, ConnStatus::Reconnecting { error, .. } if error.contains("closed")));
    a.apply(AppEvent::Session(SessionEvent::Subscribed {
        results: vec![("secret/#".into(), SubscribeOutcome::Refused { code: 0x87, reason: "Not authorized".into() })],
        reason_string: None,
    }));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("secret/#") && n.contains("Not authorized")));
    a.apply(AppEvent::Tick { now_ms: T0 + 60_000 });
    assert!(a.notice.is_none(), "notices fade");
}

#[test]
fn clicks_select_rows_and_focus_panes_and_the_wheel_scrolls() {
    let mut a = app();
    sample(&mut a);
    let areas = a.areas();
    let tree = areas.tree.unwrap();
    // Row 2 of the tree (inside the border).
    a.apply(AppEvent::Click { x: tree.x + 3, y: tree.y + 1 + 2 });
    a.prepare();
    assert_eq!(selected_path(&a), "sensors/garage/door");
    let log = areas.log.unwrap();
    a.apply(AppEvent::Click { x: log.x + 3, y: log.y + 1 });
    assert_eq!(a.focus, Pane::Log);
    assert_eq!(a.log_view.selected, Some(1));
    a.apply(AppEvent::Click { x: areas.detail.unwrap().x + 2, y: areas.detail.unwrap().y + 2 });
    assert_eq!(a.focus, Pane::Detail);
    a.apply(AppEvent::Scroll { x: tree.x + 2, y: tree.y + 2, delta: 1 });
    a.prepare();
    assert_eq!(selected_path(&a), "sensors/kitchen/temp");
    // A payload that fits does not scroll (see reader_tests for one that does).
    a.apply(AppEvent::Scroll { x: areas.detail.unwrap().x + 2, y: areas.detail.unwrap().y + 2, delta: 1 });
    assert_eq!(a.detail.scroll, 0);
}

#[test]
fn excluded_topics_are_counted_but_not_listed() {
    let mut a = App::new(Config { exclude: vec!["$SYS/#".into()], ..Config::default() }, T0);
    feed(&mut a, vec![msg("$SYS/broker/uptime", b"1", T0), msg("a", b"1", T0)]);
    assert_eq!(a.received, 2);
    assert_eq!(a.tree.cached_rows().len(), 1);
    assert_eq!(a.tree.excluded_messages, 1);
}

#[test]
fn every_handled_key_is_in_the_help() {
    let help: String = keys::HELP.iter().flat_map(|(_, ks)| ks.iter().map(|(k, _)| *k)).collect::<Vec<_>>().join(" ");
    for k in [
        "q", "?", "Tab", "space", "/", "Esc", "k j", "g G", "E, C", "o", "v", "D", "Enter", "f", "n / N", "a", "c", "F",
    ] {
        let k = k.split(' ').next().unwrap_or(k);
        assert!(
            help.contains(k) || keys::HELP.iter().any(|(_, ks)| ks.iter().any(|(_, w)| w.contains(k))),
            "{k} missing"
        );
    }
    assert_eq!(
        keys::formats(),
        ["auto", "json", "text", "hex", "msgpack", "cbor", "sparkplug", "protobuf", "raw-protobuf"]
    );
}

#[test]
fn resize_to_tiny_and_back_never_panics() {
    let mut a = app();
    sample(&mut a);
    for (w, h) in [(80, 24), (20, 5), (0, 0), (200, 60), (40, 8)] {
        a.apply(AppEvent::Resize { width: w, height: h });
        a.prepare();
        key(&mut a, KeyCode::PageDown);
    }
}

#[test]
fn backlog_is_reported_and_only_marks_dirty_on_change() {
    let mut a = app();
    a.take_dirty();
    a.apply(AppEvent::Backlog(0));
    assert!(!a.take_dirty());
    a.apply(AppEvent::Backlog(12));
    assert_eq!(a.backlog, 12);
    assert!(!a.take_dirty(), "drawn with the next data frame, as messages are");
    a.apply(AppEvent::Tick { now_ms: T0 + DATA_FRAME_MS });
    assert!(a.take_dirty());
}

#[test]
fn watch_view_toggles_adds_topics_sorts_and_switches_lists() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char('w'));
    assert_eq!(a.view, View::Watch);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.view, View::Dashboard);
    // Add the kitchen temperature from the tree: it is fed its latest value at once.
    a.tree_view.selected = a.tree.find("sensors/kitchen/temp");
    key(&mut a, KeyCode::Char('+'));
    assert_eq!(a.watch.current().rows.len(), 1);
    assert_eq!(a.watch.current().rows[0].cells[0].last, Some(21.5));
    key(&mut a, KeyCode::Char('+'));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("already")));
    feed(&mut a, vec![msg("sensors/kitchen/temp", b"22.5", T0 + 1_000)]);
    assert_eq!(a.watch.current().rows[0].cells[0].change(), Some(1.0));
    key(&mut a, KeyCode::Char('w'));
    key(&mut a, KeyCode::Char('1'));
    assert_eq!(a.watch.current().sort, watch::Sort { column: 1, descending: true });
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.watch.current, 0, "one list: Tab stays");
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.view, View::Watch, "tree keys do nothing here");
}

#[test]
fn a_watch_alert_rings_the_bell_once() {
    let list = watch::WatchList {
        name: "hot".into(),
        patterns: vec!["t/+".into()],
        columns: vec![watch::Column {
            title: "v".into(),
            field: watch::FieldSpec::Auto,
            decimals: None,
            alert: Some(watch::Alert { above: Some(10.0), ..Default::default() }),
        }],
        reference: None,
        stale_after_ms: 1_000,
        alert_invalid: false,
    };
    let mut a = App::new(Config { watch_lists: vec![list], start_view: View::Watch, ..Config::default() }, T0);
    assert_eq!(a.view, View::Watch);
    feed(&mut a, vec![msg("t/a", b"5", T0), msg("t/a", b"11", T0 + 1), msg("t/a", b"12", T0 + 2)]);
    assert_eq!(a.take_effects(), vec![Effect::Bell]);
}

#[test]
fn templates_fill_placeholders_and_repeat_sends_at_their_rate() {
    let t = template::Template {
        name: "ping".into(),
        topic: "dev/{{counter}}".into(),
        payload: r#"{"n":{{counter}},"r":{{random 1 3}}}"#.into(),
        qos: QoS::AtLeastOnce,
        retain: false,
        content_type: Some("application/json".into()),
        user_properties: vec![("src".into(), "mqscope".into())],
        rate: 5.0,
    };
    let mut a = App::new(Config { templates: vec![t], ..Config::default() }, T0);
    key(&mut a, KeyCode::Char('p'));
    assert!(a.publisher.open);
    key(&mut a, KeyCode::F(2));
    assert_eq!(a.publisher.topic_text(), "dev/{{counter}}", "placeholders stay in the form");
    key(&mut a, KeyCode::F(5));
    key(&mut a, KeyCode::F(5));
    let sent: Vec<(String, String)> = a
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(Command::Publish { publish, .. }) => {
                Some((publish.topic, String::from_utf8(publish.payload.to_vec()).unwrap()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].0.as_str(), sent[1].0.as_str()), ("dev/1", "dev/2"));
    let v: serde_json::Value = serde_json::from_str(&sent[1].1).unwrap();
    assert_eq!(v["n"], 2);
    assert!((1..=3).contains(&v["r"].as_i64().unwrap()));
    // Repeat: 5 per second from the template, driven by ticks.
    key(&mut a, KeyCode::F(6));
    assert!(a.publisher.repeat.is_some());
    a.apply(AppEvent::Tick { now_ms: T0 });
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    let n = a.take_effects().iter().filter(|e| matches!(e, Effect::Send(Command::Publish { .. }))).count();
    assert_eq!(n, 6, "one at the start and five over the second");
    key(&mut a, KeyCode::F(6));
    a.apply(AppEvent::Tick { now_ms: T0 + 5_000 });
    assert!(a.take_effects().is_empty(), "stopped");
}

#[test]
fn pasted_text_goes_into_the_publish_pane_or_the_prompt() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    a.apply(AppEvent::Paste("sensors/\nkitchen\u{1b}".into()));
    assert_eq!(a.prompt.as_ref().map(|p| p.text.as_str()), Some("sensors/ kitchen"));
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('p'));
    a.apply(AppEvent::Paste("a/b".into()));
    assert_eq!(a.publisher.topic_text(), "a/b");
    key(&mut a, KeyCode::Tab);
    a.apply(AppEvent::Paste("line 1\r\nline 2".into()));
    assert_eq!(a.publisher.build().unwrap().payload, &b"line 1\nline 2"[..]);
}

#[test]
fn q_closes_the_help_and_does_not_quit() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    key(&mut a, KeyCode::Char('q'));
    assert!(!a.show_help, "q closes the help like any other key");
    assert!(a.take_effects().is_empty(), "q on the help does not quit");
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.take_effects(), vec![Effect::Quit], "q without the help still quits");
    // Ctrl-C still quits from the help.
    key(&mut a, KeyCode::Char('?'));
    a.apply(AppEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert_eq!(a.take_effects(), vec![Effect::Quit]);
}

#[test]
fn help_scrolls_with_arrows_and_closes_on_other_keys() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::PageDown);
    assert_eq!((a.show_help, a.help_scroll), (true, 12));
    key(&mut a, KeyCode::Up);
    key(&mut a, KeyCode::PageUp);
    assert_eq!(a.help_scroll, 1);
    key(&mut a, KeyCode::PageUp);
    assert_eq!(a.help_scroll, 0, "not below the top");
    key(&mut a, KeyCode::Char('x'));
    assert!(!a.show_help);
    assert!(a.take_effects().is_empty());
}

#[test]
fn a_tree_filter_selects_the_first_matching_topic_and_shows_the_matches_unfolded() {
    let mut a = app();
    sample(&mut a);
    key(&mut a, KeyCode::Char('C'));
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "door");
    key(&mut a, KeyCode::Enter);
    assert_eq!(selected_path(&a), "sensors/garage/door", "the first match, not its top level");
    let rows: Vec<String> = a.tree.cached_rows().iter().map(|&id| a.tree.node(id).path().to_string()).collect();
    assert_eq!(rows, ["sensors", "sensors/garage", "sensors/garage/door"], "unfolded though folded before");
    // An MQTT filter too.
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..4 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "sensors/kitchen/+");
    key(&mut a, KeyCode::Enter);
    assert_eq!(selected_path(&a), "sensors/kitchen/hum");
}

#[test]
fn h_hides_topics_whose_retained_message_was_cleared() {
    let mut a = app();
    sample(&mut a);
    feed(&mut a, vec![msg("sensors/garage/door", b"", T0 + 100)]);
    let paths = |a: &App| a.tree.cached_rows().iter().map(|&id| a.tree.node(id).path().to_string()).collect::<Vec<_>>();
    assert!(paths(&a).contains(&"sensors/garage/door".to_string()));
    key(&mut a, KeyCode::Char('H'));
    assert!(a.tree.hide_cleared());
    assert!(!paths(&a).iter().any(|p| p.starts_with("sensors/garage")), "{:?}", paths(&a));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("hiding 1 topic")), "{:?}", a.notice);
    key(&mut a, KeyCode::Char('H'));
    assert!(paths(&a).contains(&"sensors/garage/door".to_string()));
    // The option starts with them hidden.
    let mut b = App::new(Config { hide_cleared: true, ..Config::default() }, T0);
    feed(&mut b, vec![msg("x/gone", b"", T0), msg("x/here", b"1", T0)]);
    assert_eq!(paths(&b), ["x", "x/here"]);
}

fn retained_msg(topic: &str, payload: &[u8], at: u64) -> Message {
    let mut m = msg(topic, payload, at);
    m.retain = true;
    m
}

#[test]
fn delete_on_a_tree_row_clears_the_retained_subtree_after_a_confirmation() {
    let mut a = app();
    feed(
        &mut a,
        vec![
            retained_msg("plant/line1/a", b"1", T0),
            retained_msg("plant/line1/b", b"2", T0),
            retained_msg("plant/line2/c", b"3", T0),
            msg("plant/line1/live", b"4", T0),
        ],
    );
    // The level `plant/line1`: its two retained topics, not the live one, not line2.
    a.tree_view.selected = a.tree.find_node("plant/line1");
    a.prepare();
    key(&mut a, KeyCode::Delete);
    let listed = a.retained.confirm.as_ref().map(|c| c.topics.clone());
    assert_eq!(listed, Some(vec!["plant/line1/a".to_string(), "plant/line1/b".into()]));
    assert!(a.take_effects().is_empty(), "nothing is sent before the confirmation");
    key(&mut a, KeyCode::Char('n'));
    assert!(a.retained.confirm.is_none() && a.take_effects().is_empty(), "n cancels");
    // A topic row: just it; x does the same; Enter clears.
    a.tree_view.selected = a.tree.find("plant/line2/c");
    a.prepare();
    key(&mut a, KeyCode::Char('x'));
    assert_eq!(a.retained.confirm.as_ref().map(|c| c.topics.clone()), Some(vec!["plant/line2/c".to_string()]));
    key(&mut a, KeyCode::Enter);
    let sent: Vec<(String, usize, bool)> = a
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(crate::session::Command::Publish { publish, .. }) => {
                Some((publish.topic, publish.payload.len(), publish.retain))
            }
            _ => None,
        })
        .collect();
    assert_eq!(sent, [("plant/line2/c".to_string(), 0, true)]);
    // Nothing retained under the selection: said, nothing asked.
    a.tree_view.selected = a.tree.find("plant/line1/live");
    a.prepare();
    key(&mut a, KeyCode::Delete);
    assert!(a.retained.confirm.is_none());
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("no retained message")), "{:?}", a.notice);
}

#[test]
fn the_rate_series_follows_the_selected_topic_or_level() {
    let mut a = app();
    let mut msgs = Vec::new();
    for s in 0..5u64 {
        for k in 0..3 {
            msgs.push(msg("plant/a/temp", b"1", T0 + s * 1_000 + k));
        }
        msgs.push(msg("plant/b/temp", b"1", T0 + s * 1_000 + 500));
    }
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 5_000 });
    // A leaf: its own messages, from the log (not only the topic's history ring).
    a.tree_view.selected = a.tree.find("plant/a/temp");
    a.prepare();
    let now = ((T0 + 5_000) / 1000) as u32;
    let series = a.level_series.as_ref().filter(|(id, _)| Some(*id) == a.tree.find("plant/a/temp"));
    assert_eq!(series.map(|(_, s)| s.last_immutable(now, 5).0), Some(vec![3, 3, 3, 3, 3]));
    // The level above: both topics, and it keeps counting what arrives.
    a.tree_view.selected = a.tree.find_node("plant");
    a.prepare();
    feed(&mut a, vec![msg("plant/b/temp", b"1", T0 + 5_100)]);
    a.apply(AppEvent::Tick { now_ms: T0 + 6_000 });
    a.prepare();
    let series = a.level_series.as_ref().filter(|(id, _)| Some(*id) == a.tree.find_node("plant"));
    assert_eq!(series.map(|(_, s)| s.last_immutable(now + 1, 6).0), Some(vec![4, 4, 4, 4, 4, 1]));
}

#[test]
fn shift_p_fills_the_publish_pane_from_the_selected_message() {
    use crate::codec::Property;
    let mut a = app();
    let mut m = msg("plant/a/cmd", b"{\"on\":true}", T0);
    m.qos = QoS::AtLeastOnce;
    m.retain = true;
    m.properties = Properties(vec![
        Property::ContentType("application/json".into()),
        Property::UserProperty("site".into(), "north".into()),
        Property::ResponseTopic("plant/a/reply".into()),
    ]);
    feed(&mut a, vec![m, msg("plant/b/raw", &[0xff, 0x00], T0 + 1)]);
    a.tree_view.selected = a.tree.find("plant/a/cmd");
    a.prepare();
    key(&mut a, KeyCode::Char('P'));
    assert!(a.publisher.open);
    let p = a.publisher.build().expect("a complete message");
    assert_eq!(
        (p.topic.as_str(), &p.payload[..], p.qos, p.retain),
        ("plant/a/cmd", &b"{\"on\":true}"[..], QoS::AtLeastOnce, true)
    );
    assert_eq!(
        p.properties.0,
        vec![Property::ContentType("application/json".into()), Property::UserProperty("site".into(), "north".into())]
    );
    assert!(
        a.notice.as_ref().is_some_and(|(n, _)| n.contains("response topic")),
        "what the pane cannot carry is said: {:?}",
        a.notice
    );
    // A payload that is not text is not mangled into the form.
    key(&mut a, KeyCode::Esc);
    a.tree_view.selected = a.tree.find("plant/b/raw");
    a.prepare();
    key(&mut a, KeyCode::Char('P'));
    assert!(!a.publisher.open);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("not UTF-8")), "{:?}", a.notice);
}
