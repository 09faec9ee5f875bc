//! Whole-screen and per-pane snapshots through ratatui's TestBackend, with a fixed clock.

use crate::app::tests::{T0, app, feed, key, msg, typed};
use crate::app::{App, AppEvent};
use crate::codec::{Properties, Property, QoS};
use crate::session::{ConnectionInfo, SessionEvent};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

pub(super) fn connected(a: &mut App) {
    let info = ConnectionInfo {
        topic_alias_maximum: 10,
        ..ConnectionInfo::defaults(crate::codec::ProtocolVersion::V5, false, "mqscope-test".into(), 30)
    };
    a.apply(AppEvent::Session(SessionEvent::Connected(Box::new(info))));
    a.apply(AppEvent::Session(SessionEvent::Pong { rtt: Duration::from_micros(1_500) }));
}

/// A broker with sensors, tickers, a binary topic and a hostile payload, over ten seconds.
fn busy() -> App {
    let mut a = app();
    connected(&mut a);
    let mut msgs = Vec::new();
    for i in 0..10u64 {
        let t = T0 + i * 1_000;
        msgs.push(msg("sensors/kitchen/temp", format!("{}.{} °C", 20 + i % 3, i).as_bytes(), t));
        msgs.push(msg(
            "ticker/AAPL",
            format!(r#"{{"px":{:.2},"vol":{}}}"#, 189.0 + i as f64 * 0.25, 100 + i).as_bytes(),
            t + 5,
        ));
        msgs.push(msg(
            "ticker/MSFT",
            format!(r#"{{"px":{:.2},"vol":{}}}"#, 410.0 - i as f64 * 0.5, 50 + i).as_bytes(),
            t + 7,
        ));
    }
    let mut retained = msg("sensors/garage/door", b"open", T0 + 9_100);
    retained.retain = true;
    retained.qos = QoS::AtLeastOnce;
    msgs.push(retained);
    msgs.push(msg("devices/cam1/frame", &[0x89, b'P', b'N', b'G', 0, 1, 2, 3, 0xff], T0 + 9_200));
    let mut evil =
        msg("evil/\u{1b}]0;owned\u{7}title", b"\x1b[2J\x1b[31mred\x1b[0m and \xe2\x80\xae reversed", T0 + 9_300);
    evil.properties = Properties(vec![
        Property::ContentType("text/plain".into()),
        Property::UserProperty("trace-id".into(), "abc\u{1b}[1m".into()),
    ]);
    msgs.push(evil);
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 10_000 });
    a.prepare();
    a
}

/// A drawn screen as text, a line a row, trailing spaces cut.
pub(super) fn text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub(super) fn screen(a: &mut App, w: u16, h: u16) -> String {
    a.apply(AppEvent::Resize { width: w, height: h });
    a.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(f, a)).expect("draw");
    text(term.backend().buffer())
}

pub(super) fn select(a: &mut App, topic: &str) {
    a.tree_view.selected = a.tree.find(topic);
    a.prepare();
}

#[test]
fn whole_screen_wide() {
    let mut a = busy();
    select(&mut a, "ticker/AAPL");
    insta::assert_snapshot!(screen(&mut a, 160, 48));
}

#[test]
fn whole_screen_80x24() {
    let mut a = busy();
    select(&mut a, "sensors/kitchen/temp");
    insta::assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn log_replaces_the_tree_on_small_screens() {
    let mut a = busy();
    key(&mut a, KeyCode::Tab);
    insta::assert_snapshot!(screen(&mut a, 80, 24));
}

#[test]
fn help_overlay_80x24_and_160x48() {
    let mut a = busy();
    key(&mut a, KeyCode::Char('?'));
    let small = screen(&mut a, 80, 24);
    assert!(small.contains("PgDn scroll"), "a help taller than the screen says it scrolls:\n{small}");
    insta::assert_snapshot!("help_small", small);
    // A wrapped description continues under its own column: inside the box, a row starts with a group
    // title or with the indent, never with the rest of a description.
    let groups: Vec<&str> = crate::app::keys_help().iter().map(|(g, _)| *g).collect();
    for row in small.lines().skip(1).filter(|r| r.starts_with('│')) {
        let inner = row.trim_start_matches('│');
        assert!(
            inner.starts_with("  ") || inner.trim().is_empty() || groups.iter().any(|g| inner.starts_with(g)),
            "a description wrapped to the left edge: '{row}'"
        );
    }
    let wide = screen(&mut a, 160, 48);
    // Two columns at 160x48: most groups at once, the rest a page further down.
    let groups = crate::app::keys_help_for(false);
    let shown = groups.iter().filter(|(g, _)| wide.contains(*g)).count();
    assert!(shown + 3 >= groups.len(), "{shown} groups shown at 160x48:\n{wide}");
    assert!(!wide.contains("Replay ("), "the player's keys are a replay's");
    insta::assert_snapshot!("help_wide", wide);
    key(&mut a, KeyCode::PageDown);
    let below = screen(&mut a, 160, 48);
    for (group, _) in crate::app::keys_help_for(false) {
        assert!(wide.contains(group) || below.contains(group), "'{group}' is not reachable at 160x48:\n{below}");
    }
    key(&mut a, KeyCode::PageUp);
    // Scrolled to the end, the small screen shows the last group.
    for _ in 0..10 {
        key(&mut a, KeyCode::PageDown);
    }
    let last = crate::app::keys_help_for(false).last().map(|(g, _)| *g).unwrap_or_default();
    assert!(screen(&mut a, 80, 24).contains(last), "the last group after scrolling");
}

#[test]
fn hostile_payload_and_topic_are_shown_escaped() {
    let mut a = busy();
    let evil = a.tree.topic_count();
    assert!(evil > 0);
    let topic = a
        .tree
        .node(
            a.tree
                .cached_rows()
                .iter()
                .copied()
                .find(|&id| a.tree.node(id).name().starts_with("\u{1b}"))
                .expect("evil row"),
        )
        .path()
        .to_string();
    select(&mut a, &topic);
    let s = screen(&mut a, 160, 48);
    assert!(
        !s.contains('\u{1b}') && !s.contains('\u{7}') && !s.contains('\u{202e}'),
        "raw control characters reached the screen"
    );
    assert!(s.contains("\\e[2J\\e[31mred"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn invisible_characters_in_topics_and_payloads_are_shown_escaped() {
    let mut a = app();
    connected(&mut a);
    feed(
        &mut a,
        vec![
            msg("sensors/temp", b"21.5", T0),
            msg("sensors/te\u{200b}mp", "21\u{2060}.5\u{feff}".as_bytes(), T0 + 10),
            msg("sensors/\u{61c}hum\u{200d}", b"40", T0 + 20),
        ],
    );
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    let topic = a
        .tree
        .node(
            a.tree.cached_rows().iter().copied().find(|&id| a.tree.node(id).name().contains('\u{200b}')).expect("row"),
        )
        .path()
        .to_string();
    select(&mut a, &topic);
    let s = screen(&mut a, 120, 30);
    for c in ['\u{200b}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{61c}'] {
        assert!(!s.contains(c), "U+{:04X} reached the screen:\n{s}", c as u32);
    }
    assert!(s.contains("te\\u{200b}mp") && s.contains("\\u{061c}hum\\u{200d}"), "{s}");
    assert!(s.contains("21\\u{2060}.5\\u{feff}"), "{s}");
    insta::assert_snapshot!(s);
}

/// The status line (the last row) with colours: `text[style]` runs.
fn status_line(a: &mut App, w: u16, h: u16) -> (String, Vec<(String, ratatui::style::Style)>) {
    a.apply(AppEvent::Resize { width: w, height: h });
    a.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(f, a)).expect("draw");
    let buf = term.backend().buffer().clone();
    let y = h - 1;
    let text: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
    let mut runs: Vec<(String, ratatui::style::Style)> = Vec::new();
    for x in 0..w {
        let cell = &buf[(x, y)];
        let style = cell.style();
        match runs.last_mut() {
            Some((t, s)) if *s == style => t.push_str(cell.symbol()),
            _ => runs.push((cell.symbol().to_string(), style)),
        }
    }
    (text.trim_end().to_string(), runs)
}

#[test]
fn insecure_tls_is_shown_in_the_status_line_in_white_on_red() {
    let config =
        crate::app::Config { url: "mqtts://broker.example:8883".into(), insecure_tls: true, ..Default::default() };
    let mut a = App::new(config, T0);
    connected(&mut a);
    let (text, runs) = status_line(&mut a, 80, 24);
    let marker = runs.iter().find(|(t, _)| t.contains("INSECURE TLS")).expect("INSECURE TLS in the status line");
    assert_eq!(marker.1.bg, Some(ratatui::style::Color::Red), "{runs:?}");
    insta::assert_snapshot!(text);
    // Even a narrow screen keeps it.
    let (narrow, _) = status_line(&mut a, 40, 12);
    assert!(narrow.contains("INSECURE TLS"), "{narrow}");
    // A verified connection says nothing of the kind.
    let mut a = app();
    connected(&mut a);
    assert!(!status_line(&mut a, 80, 24).0.contains("INSECURE"));
}

#[test]
fn binary_payload_as_hex_dump() {
    let mut a = busy();
    select(&mut a, "devices/cam1/frame");
    insta::assert_snapshot!(screen(&mut a, 160, 48));
}

#[test]
fn filter_prompt_and_filtered_tree() {
    let mut a = busy();
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "ticker/+");
    insta::assert_snapshot!("prompt", screen(&mut a, 80, 24));
    key(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("filtered", screen(&mut a, 80, 24));
}

#[test]
fn chart_field_picker() {
    let mut a = busy();
    select(&mut a, "ticker/MSFT");
    a.focus = crate::app::layout::Pane::Detail;
    key(&mut a, KeyCode::Char('c'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    insta::assert_snapshot!(screen(&mut a, 160, 48));
}

#[test]
fn paused_log_with_evictions_and_reconnecting_status() {
    let mut a = App::new(
        crate::app::Config { history_per_topic: 2, url: "ws://127.0.0.1:1883/mqtt".into(), ..Default::default() },
        T0,
    );
    feed(&mut a, (0..5).map(|i| msg("t/x", format!("{i}").as_bytes(), T0 + i * 100)).collect());
    key(&mut a, KeyCode::Char(' '));
    feed(&mut a, vec![msg("t/y", b"late", T0 + 900)]);
    a.apply(AppEvent::Session(SessionEvent::Disconnected {
        reason: "connection refused by 127.0.0.1:1883".into(),
        reconnect_in: Some(Duration::from_secs(4)),
        fatal: None,
    }));
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("PAUSED") && s.contains("1 new"), "{s}");
    assert!(s.contains("history 2/topic: 3 older dropped") && !s.contains("evicted"), "{s}");
    assert!(s.contains("reconnecting in 4s"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn empty_screens_say_what_they_wait_for() {
    let mut a = app();
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("waiting for messages") && s.contains("connecting"), "{s}");
    insta::assert_snapshot!(s);
    // Tiny terminals get the status line only, without panicking.
    let tiny = screen(&mut a, 30, 6);
    assert_eq!(tiny.lines().filter(|l| !l.trim().is_empty()).count(), 1);
}

#[test]
fn watch_view_table() {
    let mut a = App::new(
        crate::app::Config {
            watch_lists: crate::demo::watch_lists(),
            start_view: crate::app::View::Watch,
            ..Default::default()
        },
        T0,
    );
    connected(&mut a);
    let mut msgs = vec![msg("ref/AAPL", br#"{"open":180.0}"#, T0), msg("ref/MSFT", br#"{"open":420.0}"#, T0)];
    for i in 0..8u64 {
        let t = T0 + i * 500;
        let aapl = 185.0 + (i as f64 * 0.7).sin() * 2.0;
        let msft = 410.0 - i as f64 * 0.5;
        msgs.push(msg(
            "ticker/AAPL",
            format!(r#"{{"px":{aapl:.2},"bid":{:.2},"ask":{:.2},"vol":{}}}"#, aapl - 0.01, aapl + 0.01, 100 * i)
                .as_bytes(),
            t,
        ));
        msgs.push(msg(
            "ticker/MSFT",
            format!(r#"{{"px":{msft:.2},"bid":{:.2},"ask":{:.2},"vol":{}}}"#, msft - 0.02, msft + 0.02, 50 * i)
                .as_bytes(),
            t + 1,
        ));
    }
    msgs.push(msg("ticker/IDLE", br#"{"px":10,"bid":9,"ask":11,"vol":1}"#, T0 - 60_000));
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 4_000 });
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("AAPL") && s.contains("REF%") && s.contains("TREND"), "{s}");
    insta::assert_snapshot!("watch_wide", s);
    insta::assert_snapshot!("watch_small", screen(&mut a, 80, 24));
}

// ---- acting on the broker: publish pane, subscriptions, retained view, traffic view ----

fn publish_pane(a: &mut App) {
    select(a, "ticker/AAPL");
    key(a, KeyCode::Char('p'));
}

#[test]
fn publish_pane_empty() {
    let mut a = busy();
    key(&mut a, KeyCode::Char('p'));
    let s = screen(&mut a, 120, 36);
    assert!(s.contains("Publish") && s.contains("nothing sent yet"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn publish_pane_filled_with_history() {
    let mut a = busy();
    publish_pane(&mut a);
    typed(&mut a, r#"{"px":190.25}"#);
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "second line");
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char('1'));
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "application/json");
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "source=mqscope");
    key(&mut a, KeyCode::F(5));
    a.apply(AppEvent::Session(SessionEvent::Published { token: 1, packet_id: Some(1), result: Ok(0) }));
    key(&mut a, KeyCode::F(5));
    let s = screen(&mut a, 120, 36);
    assert!(s.contains("acked (success)") && s.contains("sending"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn publish_pane_error_80x24() {
    let mut a = busy();
    key(&mut a, KeyCode::Char('p'));
    typed(&mut a, "bad/#/topic");
    key(&mut a, KeyCode::F(5));
    let s = screen(&mut a, 80, 24);
    assert!(s.contains("✕ topic:"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn publish_pane_shows_a_hostile_prefilled_topic_escaped() {
    let mut a = busy();
    let evil = a.tree.cached_rows().iter().copied().find(|&id| a.tree.node(id).name().starts_with('\u{1b}'));
    a.tree_view.selected = Some(evil.expect("evil topic"));
    key(&mut a, KeyCode::Char('p'));
    let s = screen(&mut a, 120, 36);
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}') && s.contains("\\e]0;owned"), "{s}");
}

#[test]
fn subscription_list() {
    let mut a = busy();
    a.apply(AppEvent::Session(SessionEvent::Subscribed {
        results: vec![("#".into(), crate::session::SubscribeOutcome::Granted(QoS::AtMostOnce))],
        reason_string: None,
    }));
    for f in ["$SYS/#", "secret/#", "slow/+/x"] {
        key(&mut a, KeyCode::Char('s'));
        typed(&mut a, f);
        key(&mut a, KeyCode::Enter);
    }
    a.apply(AppEvent::Session(SessionEvent::Subscribed {
        results: vec![
            ("$SYS/#".into(), crate::session::SubscribeOutcome::Granted(QoS::AtMostOnce)),
            (
                "secret/#".into(),
                crate::session::SubscribeOutcome::Refused { code: 0x87, reason: "Not authorized".into() },
            ),
        ],
        reason_string: None,
    }));
    key(&mut a, KeyCode::Char('u'));
    key(&mut a, KeyCode::Up);
    let s = screen(&mut a, 100, 24);
    assert!(
        s.contains("granted QoS 0") && s.contains("refused: Not authorized (0x87)") && s.contains("pending"),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

fn retained_screen() -> App {
    let mut a = busy();
    let mut msgs = Vec::new();
    for (i, t) in ["plant/line1/temp", "plant/line1/speed", "plant/line2/temp", "old/device/7/state"].iter().enumerate()
    {
        let mut m = msg(t, format!("{{\"v\":{i}}}").as_bytes(), T0 + 5_000 + i as u64 * 1000);
        m.retain = true;
        msgs.push(m);
    }
    feed(&mut a, msgs);
    key(&mut a, KeyCode::Char('R'));
    a
}

#[test]
fn retained_view_with_marks() {
    let mut a = retained_screen();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    let s = screen(&mut a, 100, 24);
    assert!(s.contains("Retained 5 topics · 2 marked"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn retained_view_on_3_1_1_says_that_live_retained_flags_need_a_snapshot() {
    let mut a = retained_screen();
    let s = screen(&mut a, 160, 24);
    assert!(!s.contains("MQTT 3.1.1"), "{s}");
    a.apply(AppEvent::Session(SessionEvent::Connecting {
        url: "mqtt://h".into(),
        attempt: 1,
        version: crate::codec::ProtocolVersion::V3_1_1,
    }));
    let s = screen(&mut a, 160, 24);
    assert!(s.contains("MQTT 3.1.1: messages retained since connecting show after f (fresh snapshot)"), "{s}");
    key(&mut a, KeyCode::Char('f'));
    let s = screen(&mut a, 160, 24);
    assert!(s.contains("taking a retained snapshot"), "{s}");
}

#[test]
fn retained_view_confirmation_lists_what_will_be_cleared() {
    let mut a = retained_screen();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Char('d'));
    let s = screen(&mut a, 100, 24);
    assert!(s.contains("Clear 3 retained topics?") && s.contains("plant/line2/temp"), "{s}");
    insta::assert_snapshot!("retained_confirm", s);
    key(&mut a, KeyCode::Enter);
    a.apply(AppEvent::Session(SessionEvent::Published { token: 1, packet_id: Some(1), result: Ok(0) }));
    let s = screen(&mut a, 100, 24);
    assert!(s.contains("clearing: 1 of 3 acknowledged, 0 failed"), "{s}");
    insta::assert_snapshot!("retained_clearing", s);
}

#[test]
fn traffic_view() {
    let mut a = busy();
    // One second of traffic, then the clock moves into the next second so it is the last complete one.
    let base = T0 + 20_000;
    let mut msgs = Vec::new();
    for i in 0..60u64 {
        msgs.push(msg(&format!("fleet/truck{}/gps", i % 4), &[b'x'; 40], base + i));
    }
    for i in 0..12u64 {
        let mut m = msg("plant/line1/temp", &[b'7'; 3000], base + 100 + i);
        m.qos = QoS::AtLeastOnce;
        msgs.push(m);
    }
    for (t, v) in [
        ("$SYS/broker/version", "mosquitto version 2.0.11"),
        ("$SYS/broker/clients/connected", "12"),
        ("$SYS/broker/messages/received", "48211"),
        ("$SYS/broker/load/messages/received/1min", "803.51"),
        ("$SYS/brokers/emqx@10.0.0.1/version", "5.8.0"),
        ("$SYS/brokers/emqx@10.0.0.1/stats/connections/count", "431"),
        ("$SYS/brokers/emqx@10.0.0.1/metrics/bytes/sent", "90210\u{1b}[2J"),
    ] {
        let mut m = msg(t, v.as_bytes(), base + 500);
        m.retain = true;
        msgs.push(m);
    }
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: base + 1_000 });
    key(&mut a, KeyCode::Char('t'));
    let s = screen(&mut a, 160, 48);
    assert!(
        s.contains("fleet/truck") && s.contains("mosquitto $SYS/broker") && s.contains("EMQX node emqx@10.0.0.1"),
        "{s}"
    );
    assert!(!s.contains('\u{1b}'), "{s}");
    insta::assert_snapshot!(s);
    key(&mut a, KeyCode::Char('b'));
    let s = screen(&mut a, 100, 30);
    assert!(s.contains("ranked by bytes/s"), "{s}");
    insta::assert_snapshot!("traffic_view_by_bytes_100x30", s);
}

#[test]
fn times_on_screen_are_in_the_configured_zone() {
    // T0 is 17:43:36 UTC; the last kitchen reading came at T0 + 9 s.
    let mut a = busy();
    select(&mut a, "sensors/kitchen/temp");
    let utc = screen(&mut a, 160, 48);
    assert!(utc.contains("17:43:45.000"), "{utc}");
    a.config.zone = crate::timefmt::Zone::fixed(-5 * 3600);
    let local = screen(&mut a, 160, 48);
    assert!(local.contains("12:43:45.000"), "the log and detail in UTC-5:\n{local}");
    assert!(!local.contains("17:43:45.000"), "no UTC time left on screen:\n{local}");
}

#[test]
fn a_paused_log_keeps_its_rows_past_the_log_capacity() {
    let mut a = App::new(
        crate::app::Config { log_capacity: 5, url: "ws://127.0.0.1:1883/mqtt".into(), ..Default::default() },
        T0,
    );
    feed(&mut a, (0..5).map(|i| msg("t/x", format!("shown {i}").as_bytes(), T0 + i * 100)).collect());
    key(&mut a, KeyCode::Char(' '));
    feed(&mut a, (0..12).map(|i| msg("t/y", format!("later {i}").as_bytes(), T0 + 1_000 + i * 100)).collect());
    let s = screen(&mut a, 160, 30);
    assert!(s.contains("Messages 5 · PAUSED · 12 new") && s.contains("shown 0") && s.contains("shown 4"), "{s}");
    insta::assert_snapshot!(s);
    key(&mut a, KeyCode::Char(' '));
    let s = screen(&mut a, 160, 30);
    assert!(s.contains("t/y later 7") && s.contains("t/y later 11") && !s.contains("t/x shown"), "{s}");
}

#[test]
fn f12_shows_the_frame_timer_above_the_status_line_and_hides_it_again() {
    let mut a = busy();
    let plain = screen(&mut a, 120, 30);
    assert!(!plain.contains("frame p50"), "hidden by default");
    let ms = |n: u64| Duration::from_micros(n);
    a.apply(AppEvent::FrameStats(crate::app::frames::Shown {
        frames: 300,
        p50: ms(1_020),
        p99: ms(3_400),
        max: ms(9_100),
        keys: 4,
        key_p99: ms(12_000),
        key_max: ms(12_500),
    }));
    key(&mut a, KeyCode::F(12));
    let shown = screen(&mut a, 120, 30);
    let rows: Vec<&str> = shown.lines().collect();
    let line = rows[rows.len() - 2];
    assert!(
        line.trim_end().ends_with("frame p50 1.0 p99 3.4 max 9.1 ms (300 frames) · keys 4 p99 12.0 max 12.5 ms"),
        "{line}"
    );
    key(&mut a, KeyCode::F(12));
    assert_eq!(screen(&mut a, 120, 30), plain);
}

/// `busy` plus a long one-line payload on `doc/long`, selected, the detail pane focused.
fn reading_long() -> App {
    let mut a = busy();
    let words: Vec<String> =
        (0..400).map(|i| if i % 97 == 0 { format!("needle{i}") } else { format!("w{i}") }).collect();
    feed(&mut a, vec![msg("doc/long", format!("{} THE-END", words.join(" ")).as_bytes(), T0 + 9_500)]);
    select(&mut a, "doc/long");
    a.focus = crate::app::layout::Pane::Detail;
    a
}

#[test]
fn detail_wraps_long_lines_and_searches_the_payload() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = reading_long();
        screen(&mut a, w, h);
        key(&mut a, KeyCode::Char('/'));
        typed(&mut a, "needle");
        key(&mut a, KeyCode::Enter);
        key(&mut a, KeyCode::Char('n'));
        let s = screen(&mut a, w, h);
        assert!(s.contains("'needle' 2/5 (n N)"), "{s}");
        insta::assert_snapshot!(format!("detail_search_{w}x{h}"), s);
        key(&mut a, KeyCode::End);
        let s = screen(&mut a, w, h);
        assert!(s.contains("THE-END"), "End shows the end of the payload:\n{s}");
        insta::assert_snapshot!(format!("detail_end_{w}x{h}"), s);
    }
}

#[test]
fn detail_unwrapped_scrolls_sideways() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = reading_long();
        screen(&mut a, w, h);
        key(&mut a, KeyCode::Char('W'));
        for _ in 0..5 {
            key(&mut a, KeyCode::Right);
        }
        let s = screen(&mut a, w, h);
        assert!(s.contains("unwrapped, col 41"), "{s}");
        insta::assert_snapshot!(format!("detail_unwrapped_{w}x{h}"), s);
    }
}

#[test]
fn history_entry_shown_and_two_entries_compared() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = busy();
        select(&mut a, "ticker/AAPL");
        a.focus = crate::app::layout::Pane::Detail;
        screen(&mut a, w, h);
        for _ in 0..3 {
            key(&mut a, KeyCode::Char('['));
        }
        key(&mut a, KeyCode::Char('m'));
        key(&mut a, KeyCode::Char(']'));
        let s = screen(&mut a, w, h);
        assert!(s.contains("entry 8/10"), "{s}");
        insta::assert_snapshot!(format!("history_entry_{w}x{h}"), s);
        key(&mut a, KeyCode::Char('='));
        let s = screen(&mut a, w, h);
        assert!(s.contains("~ /px: 190.5 → 190.75"), "{s}");
        insta::assert_snapshot!(format!("history_compare_{w}x{h}"), s);
    }
}

/// A dashboard whose `factory/+/telemetry` topics are `acme.Telemetry` from the test `.proto` files.
fn protobuf_screen() -> App {
    use crate::payload::protobuf::{Protos, encode_json};
    let spec = crate::payload::protobuf::tests::telemetry_spec();
    let protos = Protos::load(&[spec]).expect("proto");
    let message = protos.message_for("factory/press/telemetry").expect("type").clone();
    let config = crate::app::Config {
        url: "ws://127.0.0.1:1883/mqtt".into(),
        payload_views: vec![
            ("factory/+/telemetry".into(), crate::payload::PayloadFormat::Protobuf),
            ("factory/+/raw".into(), crate::payload::PayloadFormat::RawProtobuf),
        ],
        protos: std::sync::Arc::new(protos),
        ..Default::default()
    };
    let mut a = App::new(config, T0);
    connected(&mut a);
    let json = r#"{"device":"press-7","seq":"42","temperature":21.5,"status":"RUNNING","samples":[1.5,2.25],
        "counters":{"starts":3},"location":{"lat":52.5,"site":"B"},"alarm":{"code":7,"severity":"CRIT"},
        "tags":[{"key":"line","value":"4"}],"ok":true,"batteryPct":88}"#;
    let bytes = encode_json(json, &message).expect("encode");
    feed(
        &mut a,
        vec![
            msg("factory/press/telemetry", &bytes, T0 + 100),
            msg("factory/press/raw", &bytes, T0 + 200),
            msg("factory/bad/telemetry", b"\x0a\xff\xff", T0 + 300),
        ],
    );
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    a
}

#[test]
fn protobuf_payload_decoded_by_its_message_type() {
    let mut a = protobuf_screen();
    select(&mut a, "factory/press/telemetry");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("\"seq\": \"42\"") && s.contains("\"severity\": \"CRIT\""), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn raw_protobuf_view_and_a_payload_that_does_not_decode() {
    let mut a = protobuf_screen();
    select(&mut a, "factory/press/raw");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("\"1\": \"press-7\""), "{s}");
    insta::assert_snapshot!("raw_protobuf", s);
    select(&mut a, "factory/bad/telemetry");
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("not valid acme.Telemetry"), "{s}");
    insta::assert_snapshot!("protobuf_error", s);
}

#[test]
fn publish_pane_says_a_protobuf_topic_takes_json() {
    let mut a = protobuf_screen();
    select(&mut a, "factory/press/telemetry");
    key(&mut a, KeyCode::Char('p'));
    let s = screen(&mut a, 100, 30);
    assert!(s.contains("Payload: JSON, sent as acme.Telemetry"), "{s}");
    insta::assert_snapshot!(s);
}

/// The row above the status line: the message bar while a message shows.
fn message_bar(screen: &str) -> String {
    let rows: Vec<&str> = screen.lines().collect();
    rows.get(rows.len().saturating_sub(2)).map(|r| r.trim_end().to_string()).unwrap_or_default()
}

#[test]
fn messages_are_readable_at_80x24_in_a_bar_above_the_status_line() {
    use crate::app::RecordingEvent;
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = busy();
        select(&mut a, "sensors/kitchen/temp");
        a.apply(AppEvent::Recording(RecordingEvent::Started { file: "mqscope-20261202163000.jsonl".into() }));
        let s = screen(&mut a, w, h);
        assert!(
            message_bar(&s).contains("recording to mqscope-20261202163000.jsonl (r stops)"),
            "the whole message with its file name:\n{s}"
        );
        let status = s.lines().last().unwrap_or_default().to_string();
        assert!(status.contains("● REC"), "the recording shows on the status line at {w} columns: '{status}'");
        insta::assert_snapshot!(format!("message_bar_recording_{w}x{h}"), s);
        // A copy replaces it; an error too, and a long one is still readable to its end.
        key(&mut a, KeyCode::Char('Y'));
        assert!(
            message_bar(&screen(&mut a, w, h)).contains("copied the topic 'sensors/kitchen/temp' to the clipboard")
        );
        a.apply(AppEvent::Recording(RecordingEvent::Failed {
            why: "No space left on device (os error 28) after 1234 messages".into(),
        }));
        let s = screen(&mut a, w, h);
        let bar = message_bar(&s);
        assert!(bar.contains("recording failed: No space left on device"), "{s}");
        assert!(s.contains("after 1234 messages"), "the end of a long error is on screen:\n{s}");
        // Wider than the screen: two rows, so the end is still there.
        let long = format!("subscription 'plant/{}/#' refused: Not authorized", "line".repeat(w as usize / 5));
        a.apply(AppEvent::Session(SessionEvent::Warning(long)));
        let s = screen(&mut a, w, h);
        let rows: Vec<&str> = s.lines().collect();
        let bar = format!("{}{}", rows[rows.len() - 3], rows[rows.len() - 2]);
        assert!(bar.contains("subscription 'plant/line") && bar.contains("refused: Not authorized"), "{s}");
        // The bar goes after eight seconds, the panes' borders are back; the status line keeps the failure.
        a.apply(AppEvent::Tick { now_ms: a.now_ms + 9_000 });
        let s = screen(&mut a, w, h);
        assert!(!s.contains("recording failed"), "{s}");
        assert!(message_bar(&s).ends_with('┘'), "{s}");
        assert!(s.lines().last().unwrap_or_default().contains("● REC failed: No space left"), "{s}");
    }
}

#[test]
fn ring_rollover_is_not_called_an_eviction_and_the_budget_is() {
    let mut a = App::new(
        crate::app::Config { history_per_topic: 2, url: "ws://127.0.0.1:1883/mqtt".into(), ..Default::default() },
        T0,
    );
    feed(&mut a, (0..5).map(|i| msg("t/x", format!("{i}").as_bytes(), T0 + i * 100)).collect());
    let (status, runs) = status_line(&mut a, 160, 48);
    assert!(!status.contains("evicted"), "a full ring is not data lost to the budget: '{status}'");
    assert!(status.contains("history 2/topic: 3 older dropped"), "what was dropped and why: '{status}'");
    let run = runs.iter().find(|(t, _)| t.contains("older dropped")).map(|(_, s)| *s);
    assert_ne!(run, Some(super::theme::Theme::new(Default::default(), false).warn), "not a warning");
    // The budget evicts: that is the word for it.
    let mut a = App::new(
        crate::app::Config { byte_budget: 64 * 1024, url: "ws://127.0.0.1:1883/mqtt".into(), ..Default::default() },
        T0,
    );
    feed(&mut a, (0..40).map(|i| msg("t/big", &[b'x'; 4000], T0 + i)).collect());
    let (status, _) = status_line(&mut a, 160, 48);
    assert!(status.contains("evicted") && status.contains("for the memory budget"), "'{status}'");
    assert!(!status.contains("older dropped"), "'{status}'");
}

/// Many machines with numbered names (t1, t2, ... t120), one of them cleared.
fn many_topics() -> App {
    let mut a = app();
    connected(&mut a);
    let mut msgs: Vec<_> = (1..=120u64).map(|i| msg(&format!("fleet/t{i}/state"), b"ok", T0 + i)).collect();
    msgs.push(msg("line/m10/speed", b"5", T0 + 200));
    msgs.push(msg("line/m9/speed", b"4", T0 + 201));
    msgs.push(msg("line/m1/speed", b"", T0 + 202));
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 1_000 });
    a.prepare();
    a
}

#[test]
fn a_big_tree_opens_folded_sorts_naturally_and_filters_unfolded() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = many_topics();
        let s = screen(&mut a, w, h);
        assert!(s.contains("▸ fleet") && s.contains("▸ line"), "the first level only:\n{s}");
        insta::assert_snapshot!(format!("tree_folded_{w}x{h}"), s);
        key(&mut a, KeyCode::Char('E'));
        key(&mut a, KeyCode::Char('/'));
        typed(&mut a, "line/+/speed");
        key(&mut a, KeyCode::Enter);
        let s = screen(&mut a, w, h);
        let (m1, m9, m10) = (s.find("m1 ").unwrap_or(0), s.find("m9 ").unwrap_or(0), s.find("m10 ").unwrap_or(0));
        assert!(m1 < m9 && m9 < m10, "natural order m1, m9, m10:\n{s}");
        assert!(s.contains("line/m1/speed"), "the first match is selected and shown:\n{s}");
        insta::assert_snapshot!(format!("tree_filtered_{w}x{h}"), s);
        key(&mut a, KeyCode::Char('H'));
        let s = screen(&mut a, w, h);
        assert!(!s.contains("m1 ") && s.contains("hiding 1 topic"), "{s}");
        insta::assert_snapshot!(format!("tree_cleared_hidden_{w}x{h}"), s);
    }
}

#[test]
fn clearing_a_retained_subtree_from_the_tree_lists_every_topic_and_scrolls() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = busy();
        let msgs = (1..=60u64)
            .map(|i| {
                let mut m = msg(&format!("plant/cell{i}/state"), b"on", T0 + 9_400 + i);
                m.retain = true;
                m
            })
            .collect();
        feed(&mut a, msgs);
        a.tree_view.selected = a.tree.find_node("plant");
        a.prepare();
        key(&mut a, KeyCode::Delete);
        let s = screen(&mut a, w, h);
        assert!(s.contains("Clear 60 retained topics?") && s.contains("plant/cell1/state"), "{s}");
        assert!(s.contains("more below"), "a long list says it scrolls:\n{s}");
        insta::assert_snapshot!(format!("tree_clear_confirm_{w}x{h}"), s);
        for _ in 0..10 {
            key(&mut a, KeyCode::PageDown);
        }
        let s = screen(&mut a, w, h);
        assert!(s.contains("plant/cell60/state"), "the last topic after scrolling:\n{s}");
    }
}

#[test]
fn a_steady_rate_stays_visible_after_a_burst() {
    let mut a = app();
    connected(&mut a);
    // 50,000 messages in one second, then 10 a second for 20 seconds.
    let mut msgs: Vec<_> = (0..50_000u64).map(|i| msg("burst/x", b"1", T0 + i / 100)).collect();
    for s in 1..=20u64 {
        msgs.extend((0..10u64).map(|k| msg("steady/y", b"1", T0 + s * 1_000 + k * 100)));
    }
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 21_000 });
    select(&mut a, "steady/y");
    for (w, h) in [(80, 24), (160, 48)] {
        let s = screen(&mut a, w, h);
        if w >= 100 {
            let spark_row = s.lines().rev().nth(2).unwrap_or_default().to_string();
            // The msgs/s sparkline's last 20 seconds: every one drawn, none empty.
            let first: String = spark_row.chars().skip(1).take_while(|c| *c != '│').collect();
            let last20: Vec<char> = first.chars().rev().take(20).collect();
            assert!(last20.iter().all(|c| *c != ' '), "10 msg/s after a burst of 50,000 is visible: '{first}'\n{s}");
        }
        insta::assert_snapshot!(format!("sparks_after_a_burst_{w}x{h}"), s);
    }
}

#[test]
fn publish_pane_filled_from_the_shown_message() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut a = busy();
        select(&mut a, "ticker/AAPL");
        key(&mut a, KeyCode::Char('P'));
        let s = screen(&mut a, w, h);
        assert!(s.contains("ticker/AAPL") && s.contains(r#"{"px":191.25,"vol":109}"#), "{s}");
        insta::assert_snapshot!(format!("publish_from_message_{w}x{h}"), s);
    }
}

/// The tab shell's screen: the bar, the active app below it, the close question when asked.
fn tab_screen(a: &mut App, tabs: &[crate::app::tabs::TabSummary], closing: Option<usize>, w: u16, h: u16) -> String {
    a.apply(AppEvent::Area(ratatui::layout::Rect::new(0, 1, w, h - 1)));
    a.prepare();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut list = crate::app::tabs::TabList::new();
    let ids: Vec<_> = tabs.iter().map(|_| list.open()).collect();
    list.closing = closing.and_then(|i| ids.get(i).copied());
    term.draw(|f| super::tabs::draw(f, tabs, &list, None, a)).expect("draw");
    text(term.backend().buffer())
}

fn tab_summaries(names: &[(&str, crate::app::tabs::TabState, &str)]) -> Vec<crate::app::tabs::TabSummary> {
    names
        .iter()
        .map(|(n, s, r)| crate::app::tabs::TabSummary { name: (*n).into(), state: *s, rate: (*r).into() })
        .collect()
}

#[test]
fn tab_bar_over_the_dashboard_80x24_and_160x48() {
    use crate::app::tabs::TabState::{Retrying, Stopped, Up};
    let tabs = tab_summaries(&[("edge", Up, "1.2k"), ("cloud", Retrying, "0"), ("staging", Stopped, "0")]);
    let mut a = busy();
    a.apply(AppEvent::Budget { share: 256 << 20, total: 768 << 20 });
    select(&mut a, "ticker/AAPL");
    insta::assert_snapshot!("tab_bar_80x24", tab_screen(&mut a, &tabs, None, 80, 24));
    insta::assert_snapshot!("tab_bar_160x48", tab_screen(&mut a, &tabs, None, 160, 48));
}

#[test]
fn ten_tabs_fit_on_80_columns_and_the_close_question_names_the_tab() {
    let names: Vec<String> = (0..10).map(|i| format!("broker-{i}.example.com:1883")).collect();
    let rows: Vec<(&str, crate::app::tabs::TabState, &str)> =
        names.iter().map(|n| (n.as_str(), crate::app::tabs::TabState::Up, "12k")).collect();
    let tabs = tab_summaries(&rows);
    let mut a = busy();
    let s = tab_screen(&mut a, &tabs, Some(0), 80, 24);
    let bar = s.lines().next().unwrap_or_default();
    assert!(bar.contains("│10 "), "the tenth tab is on the bar: {bar}");
    assert!(s.contains("Close tab 1 (broker-0.example.com:1883)?"), "{s}");
    insta::assert_snapshot!("ten_tabs_close_80x24", s);
}

#[test]
fn a_tab_shows_its_share_of_the_memory_budget() {
    let mut a = busy();
    a.apply(AppEvent::Budget { share: 128 << 20, total: 256 << 20 });
    let (line, _) = status_line(&mut a, 200, 24);
    assert!(line.contains("/128.0 MiB share of 256.0 MiB)"), "{line}");
    assert_eq!(a.store.usage().1, 128 << 20);
}

#[test]
fn compare_view_80x24_and_160x48() {
    use crate::app::compare_view::{CompareView, Spec};
    use crate::app::tabs::TabState::Up;
    use crate::compare::Side;
    let tabs = tab_summaries(&[("edge", Up, "3"), ("cloud", Up, "3")]);
    let spec = Spec::parse("1 2 factory/# factory/=site1/factory/", 2).unwrap();
    let mut v = CompareView::new(spec, [1, 2], ["edge".into(), "cloud\u{1b}[2J".into()], T0);
    let m = |topic: &str, payload: &str, retain: bool, at: u64| {
        let mut m = msg(topic, payload.as_bytes(), at);
        m.retain = retain;
        m
    };
    v.observe(Side::A, &m("factory/line1/temp", "21.5", true, T0));
    v.observe(Side::B, &m("site1/factory/line1/temp", "21.4", true, T0));
    for i in 0..20u64 {
        v.observe(Side::A, &m("factory/line1/rate", &i.to_string(), false, T0 + 100 * i));
        v.observe(Side::B, &m("site1/factory/line1/rate", &i.to_string(), false, T0 + 100 * i + 3 + i % 5));
    }
    v.observe(Side::A, &m("factory/line2/state", "on", false, T0 + 2_000));
    v.observe(Side::A, &m("factory/line1/rate", "lost", false, T0 + 2_100));
    v.observe(Side::B, &m("site1/factory/cloud-only", "x", false, T0 + 2_200));
    for i in 0..30 {
        v.observe(Side::A, &m(&format!("factory/edge-only/{i:02}"), "x", false, T0 + 2_300));
    }
    v.tick(T0 + 9_000, [true, true]);
    let mut list = crate::app::tabs::TabList::new();
    list.open();
    list.open();
    list.comparing = true;
    let mut a = busy();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        a.apply(AppEvent::Area(ratatui::layout::Rect::new(0, 1, w, h - 1)));
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| super::tabs::draw(f, &tabs, &list, Some(&v), &a)).expect("draw");
        let out = text(term.backend().buffer());
        assert!(!out.contains('\u{1b}'), "names are sanitised");
        insta::assert_snapshot!(format!("compare_view_{w}x{h}"), out);
    }
}

#[test]
fn adding_a_broker_shows_the_manager_over_the_dashboard_80x24_and_160x48() {
    use crate::manager::{Choice, Manager};
    let mut a = busy();
    let profiles = vec![
        ("cloud".to_string(), "mqtts://cloud.example:8883".to_string()),
        ("evil\u{1b}[2J".to_string(), "ws://lab:9001/mqtt".to_string()),
    ];
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        a.apply(AppEvent::Resize { width: w, height: h });
        a.prepare();
        let theme = crate::ui::theme::Theme::new(a.config.theme, a.config.no_color);
        let mut m = Manager::new(profiles.clone(), "/home/me/.config/mqscope/config.toml".into(), false);
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let mut shot = |m: &Manager| {
            term.draw(|f| {
                super::draw(f, &a);
                m.render(f, &theme);
            })
            .expect("draw");
            text(term.backend().buffer())
        };
        let s = shot(&m);
        assert!(s.contains("add a broker") && s.contains("cloud") && s.contains("evil\\e[2J"), "{s}");
        assert!(!s.contains("Start the demo"), "no demo from the dashboard:\n{s}");
        insta::assert_snapshot!(format!("add_broker_list_{w}x{h}"), s);
        m.ask_password(Choice::Profile("cloud".into()), "Password for ops at mqtts://cloud.example:8883".into());
        for c in "hunter2".chars() {
            m.key(crossterm::event::KeyEvent::new(KeyCode::Char(c), crossterm::event::KeyModifiers::NONE));
        }
        let s = shot(&m);
        assert!(s.contains("Password for ops") && s.contains("•••••••") && !s.contains("hunter2"), "{s}");
        insta::assert_snapshot!(format!("add_broker_password_{w}x{h}"), s);
    }
}

/// Two charted fields of different scales (a price near 190, a volume near 100,000 that one
/// message lacks), ten minutes of history.
fn two_scales() -> App {
    let mut a = app();
    connected(&mut a);
    let msgs = (0..20u64)
        .map(|i| {
            let px = 190.0 + (i as f64 * 0.7).sin() * 2.0;
            let body = if i == 12 {
                format!(r#"{{"px":{px:.2}}}"#)
            } else {
                format!(r#"{{"px":{px:.2},"vol":{}}}"#, 100_000 + i * 1_500)
            };
            msg("ticker/AAPL", body.as_bytes(), T0 + i * 30_000)
        })
        .collect();
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 19 * 30_000 + 2_000 });
    select(&mut a, "ticker/AAPL");
    a.focus = crate::app::layout::Pane::Detail;
    key(&mut a, KeyCode::Char('c'));
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    key(&mut a, KeyCode::Enter);
    a
}

#[test]
fn chart_of_two_fields_of_different_scales() {
    let mut a = two_scales();
    let s = screen(&mut a, 160, 48);
    assert!(s.contains("━━ /px") && s.contains("━━ /vol") && s.contains("max 128500"), "{s}");
    assert!(s.contains("now") && s.contains("-9m32s"), "{s}");
    insta::assert_snapshot!("chart_two_scales_160x48", s);
    insta::assert_snapshot!("chart_two_scales_80x24", screen(&mut a, 80, 24));
}

/// `{"t":T,"ok":true}` in MessagePack, and in CBOR.
fn msgpack_reading(t: f64) -> Vec<u8> {
    let mut b = vec![0x82, 0xa1, b't', 0xcb];
    b.extend(t.to_be_bytes());
    b.extend(b"\xa2ok\xc3");
    b
}

fn cbor_reading(t: f64) -> Vec<u8> {
    let mut b = vec![0xa2, 0x61, b't', 0xfb];
    b.extend(t.to_be_bytes());
    b.extend(b"\x62ok\xf5");
    b
}

#[test]
fn msgpack_and_cbor_topics_preview_decoded_in_the_tree_log_and_history() {
    use crate::payload::PayloadFormat;
    let views =
        vec![("plant/mp/#".to_string(), PayloadFormat::MsgPack), ("plant/cb/#".to_string(), PayloadFormat::Cbor)];
    let mut a = App::new(
        crate::app::Config { url: "ws://127.0.0.1:1883/mqtt".into(), payload_views: views, ..Default::default() },
        T0,
    );
    connected(&mut a);
    let msgs = (0..6u64)
        .flat_map(|i| {
            let t = 20.0 + i as f64 * 0.5;
            [
                msg("plant/mp/temp", &msgpack_reading(t), T0 + i * 1_000),
                msg("plant/cb/temp", &cbor_reading(t + 10.0), T0 + i * 1_000 + 5),
            ]
        })
        .collect();
    feed(&mut a, msgs);
    a.apply(AppEvent::Tick { now_ms: T0 + 6_000 });
    select(&mut a, "plant/mp/temp");
    let wide = screen(&mut a, 160, 48);
    assert!(wide.contains(r#"temp {"t":22.5,"ok":true}"#), "tree row:\n{wide}");
    assert!(wide.contains(r#"plant/cb/temp {"t":32.5,"ok":true}"#), "log row:\n{wide}");
    assert!(wide.contains(r#"17:43:41.000 {"t":22.5,"ok":true}"#), "history row:\n{wide}");
    assert!(!wide.contains("bytes binary"), "{wide}");
    insta::assert_snapshot!("msgpack_cbor_previews_160x48", wide);
    insta::assert_snapshot!("msgpack_cbor_previews_80x24", screen(&mut a, 80, 24));
}

/// The busy screen as a replay of a recording, its player in `state`.
fn replayed(state: crate::record::player::State, bad_lines: u64) -> App {
    use crate::record::player::Status;
    let mut a = busy();
    let status = Status {
        state,
        pace: crate::record::replay::Pace::Speed(4.0),
        clock_ms: Some(T0 + 754_000),
        start_ms: Some(T0),
        end_ms: Some(T0 + 1_200_000),
        played: 3_120,
        total: Some(5_000),
        bad_lines,
        rewindable: true,
    };
    a.player = Some(crate::app::PlayerView {
        file: "ticks\u{1b}[2J.jsonl".into(),
        status: Some(status),
        ..Default::default()
    });
    a
}

#[test]
fn replay_player_row_in_each_state_80x24_and_160x48() {
    use crate::record::player::State;
    for (name, state, bad) in [
        ("playing", State::Playing, 0),
        ("paused", State::Paused, 0),
        ("seeking", State::Seeking(T0 + 900_000), 0),
        ("ended", State::Ended, 2),
    ] {
        let mut a = replayed(state, bad);
        select(&mut a, "ticker/AAPL");
        let small = screen(&mut a, 80, 24);
        assert!(!small.contains('\u{1b}'), "the file name is sanitised");
        assert!(small.lines().last().unwrap_or("").contains("replay ticks"), "{small}");
        insta::assert_snapshot!(format!("replay_{name}_80x24"), small);
        insta::assert_snapshot!(format!("replay_{name}_160x48"), screen(&mut a, 160, 48));
    }
}

#[test]
fn replay_help_has_the_players_keys_first_and_no_publish_pane_80x24_and_160x48() {
    let mut a = replayed(crate::record::player::State::Paused, 0);
    key(&mut a, KeyCode::Char('?'));
    let wide = screen(&mut a, 160, 48);
    assert!(wide.lines().nth(1).unwrap_or("").contains("Replay (mqscope replay FILE)"), "first:\n{wide}");
    assert!(!wide.contains("Publish pane") && !wide.contains("Subscriptions (u)"), "{wide}");
    insta::assert_snapshot!("replay_help_160x48", wide);
    let small = screen(&mut a, 80, 24);
    assert!(small.contains("jump to"), "the player's keys are on the first page:\n{small}");
    insta::assert_snapshot!("replay_help_80x24", small);
}

#[test]
fn replay_jump_prompt_80x24_and_160x48() {
    let mut a = replayed(crate::record::player::State::Paused, 0);
    key(&mut a, KeyCode::Char('J'));
    typed(&mut a, "12:1");
    insta::assert_snapshot!("replay_jump_80x24", screen(&mut a, 80, 24));
    typed(&mut a, "x");
    key(&mut a, KeyCode::Enter);
    insta::assert_snapshot!("replay_jump_error_160x48", screen(&mut a, 160, 48));
}

#[test]
fn replay_on_a_tiny_screen_says_its_state_on_the_status_line() {
    let mut a = replayed(crate::record::player::State::Paused, 0);
    let tiny = screen(&mut a, 60, 6);
    assert!(tiny.contains("replay ticks") && tiny.contains("paused"), "{tiny}");
}

#[test]
fn replay_starting_and_an_empty_recording() {
    use crate::record::player::{State, Status};
    let mut a = replayed(State::Playing, 0);
    if let Some(p) = a.player.as_mut() {
        p.status = None;
    }
    insta::assert_snapshot!("replay_starting_80x24", screen(&mut a, 80, 24));
    if let Some(p) = a.player.as_mut() {
        p.status = Some(Status {
            state: State::Ended,
            pace: crate::record::replay::Pace::Max,
            clock_ms: None,
            start_ms: None,
            end_ms: None,
            played: 0,
            total: Some(0),
            bad_lines: 0,
            rewindable: true,
        });
    }
    insta::assert_snapshot!("replay_empty_160x48", screen(&mut a, 160, 48));
}
