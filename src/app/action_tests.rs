//! Reducer tests for acting on the broker: publish pane, subscriptions, retained view and clearing,
//! traffic view, clipboard. Events and keys in, state and effects out; no terminal.

use super::tests::{T0, app, feed, key, msg, typed};
use super::*;
use crate::codec::{QoS, Subscription, SubscriptionOptions};
use crate::session::OutgoingPublish;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn ctrl(a: &mut App, c: char) {
    a.apply(AppEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)));
    a.prepare();
}

fn sends(a: &mut App) -> Vec<Command> {
    a.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn retained(topic: &str, payload: &[u8], at: u64) -> crate::session::Message {
    let mut m = msg(topic, payload, at);
    m.retain = true;
    m
}

#[test]
fn p_opens_the_publish_pane_prefilled_and_ctrl_s_sends_with_a_token() {
    let mut a = app();
    feed(&mut a, vec![msg("sensors/kitchen/temp", b"21", T0)]);
    a.tree_view.selected = a.tree.find("sensors/kitchen/temp");
    key(&mut a, KeyCode::Char('p'));
    assert!(a.publisher.open);
    assert_eq!(a.publisher.topic_text(), "sensors/kitchen/temp");
    // Keys go to the pane: q is text, not quit.
    typed(&mut a, "q=1");
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "x");
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Char('1'));
    ctrl(&mut a, 's');
    let cmds = sends(&mut a);
    let expected = OutgoingPublish {
        topic: "sensors/kitchen/temp".into(),
        payload: crate::codec::Bytes::from_static(b"q=1\nx"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: crate::codec::Properties::default(),
    };
    assert_eq!(cmds, vec![Command::Publish { token: 1, publish: expected }]);
    assert_eq!(a.publisher.last().map(|s| s.state.clone()), Some(publish::SendState::Sending));
    // The ack comes back for that token.
    a.apply(AppEvent::Session(SessionEvent::Published { token: 1, packet_id: Some(1), result: Ok(0x10) }));
    assert_eq!(a.publisher.last().map(|s| s.state.describe()), Some("acked (No matching subscribers, 0x10)".into()));
    // F5 sends again with the next token; an error answer is shown in the pane.
    key(&mut a, KeyCode::F(5));
    assert!(matches!(sends(&mut a).as_slice(), [Command::Publish { token: 2, .. }]));
    a.apply(AppEvent::Session(SessionEvent::Published {
        token: 2,
        packet_id: Some(2),
        result: Err("the broker accepts QoS 0 at most".into()),
    }));
    assert!(matches!(&a.publisher.last().map(|s| s.state.clone()), Some(publish::SendState::Failed(_))));
    key(&mut a, KeyCode::Esc);
    assert!(!a.publisher.open);
    key(&mut a, KeyCode::Char('q'));
    assert_eq!(a.take_effects(), vec![Effect::Quit], "q quits again once the pane is closed");
}

#[test]
fn publish_pane_refuses_a_wildcard_topic_without_sending() {
    let mut a = app();
    key(&mut a, KeyCode::Char('p'));
    typed(&mut a, "a/+");
    key(&mut a, KeyCode::F(5));
    assert!(sends(&mut a).is_empty());
    assert!(a.publisher.error.as_deref().is_some_and(|e| e.contains("topic")), "{:?}", a.publisher.error);
}

#[test]
fn s_prompts_for_a_filter_with_qos_and_subscribes() {
    let mut a = app();
    assert_eq!(a.subs.entries.len(), 1, "the start filter '#' is listed");
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(a.prompt.as_ref().map(|p| p.kind), Some(PromptKind::Subscribe(QoS::AtMostOnce)));
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.prompt.as_ref().map(|p| p.kind), Some(PromptKind::Subscribe(QoS::AtLeastOnce)));
    // An invalid filter keeps the prompt open with the reason.
    typed(&mut a, "a/#/b");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.as_ref().is_some_and(|p| p.error.is_some()));
    for _ in 0..5 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "new/#");
    key(&mut a, KeyCode::Enter);
    assert!(a.prompt.is_none());
    let sub =
        Subscription { filter: "new/#".into(), options: SubscriptionOptions::retain_as_published(QoS::AtLeastOnce) };
    assert_eq!(sends(&mut a), vec![Command::Subscribe(vec![sub])]);
    assert_eq!(a.subs.entries[1].state, subs::SubState::Pending);
    a.apply(AppEvent::Session(SessionEvent::Subscribed {
        results: vec![("new/#".into(), SubscribeOutcome::Granted(QoS::AtLeastOnce))],
        reason_string: None,
    }));
    assert_eq!(a.subs.entries[1].state, subs::SubState::Granted(QoS::AtLeastOnce));
}

#[test]
fn u_lists_subscriptions_and_unsubscribes_the_selected() {
    let mut a = app();
    a.apply(AppEvent::Session(SessionEvent::Subscribed {
        results: vec![("#".into(), SubscribeOutcome::Granted(QoS::AtMostOnce))],
        reason_string: None,
    }));
    key(&mut a, KeyCode::Char('u'));
    assert_eq!(a.view, View::Subscriptions);
    key(&mut a, KeyCode::Char('u'));
    assert_eq!(sends(&mut a), vec![Command::Unsubscribe(vec!["#".into()])]);
    assert_eq!(a.subs.entries[0].state, subs::SubState::Unsubscribing);
    a.apply(AppEvent::Session(SessionEvent::Unsubscribed { results: vec![("#".into(), Ok(()))] }));
    assert!(a.subs.entries.is_empty());
    // A failed unsubscribe is kept with its reason and noticed.
    key(&mut a, KeyCode::Char('s'));
    typed(&mut a, "x/#");
    key(&mut a, KeyCode::Enter);
    sends(&mut a);
    key(&mut a, KeyCode::Char('d'));
    a.apply(AppEvent::Session(SessionEvent::Unsubscribed {
        results: vec![("x/#".into(), Err("No subscription existed".into()))],
    }));
    assert!(matches!(&a.subs.entries[0].state, subs::SubState::UnsubscribeFailed(w) if w.contains("No subscription")));
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("unsubscribe 'x/#' failed")));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.view, View::Dashboard);
}

fn retained_app() -> App {
    let mut a = app();
    feed(
        &mut a,
        vec![
            retained("clear/a/x", b"1", T0),
            retained("clear/a/y", b"22", T0),
            retained("clear/b", b"333", T0),
            retained("keep/z", b"4444", T0),
            msg("live/only", b"5", T0),
        ],
    );
    a
}

#[test]
fn retained_view_marks_a_subtree_confirms_and_clears_with_qos1_empty_publishes() {
    let mut a = retained_app();
    key(&mut a, KeyCode::Char('R'));
    assert_eq!(a.view, View::Retained);
    assert_eq!(a.retained.rows().len(), 4, "live/only is not retained");
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Char('a'));
    assert_eq!(a.retained.marked.len(), 3);
    key(&mut a, KeyCode::Char('d'));
    let topics = a.retained.confirm.as_ref().map(|c| c.topics.clone()).expect("confirmation");
    assert_eq!(topics, ["clear/a/x", "clear/a/y", "clear/b"]);
    // Esc cancels without sending; d and Enter send.
    key(&mut a, KeyCode::Esc);
    assert!(a.retained.confirm.is_none() && sends(&mut a).is_empty());
    assert_eq!(a.retained.marked.len(), 3, "the marks stay");
    key(&mut a, KeyCode::Char('d'));
    key(&mut a, KeyCode::Enter);
    let cmds = sends(&mut a);
    assert_eq!(cmds.len(), 3);
    for (c, topic) in cmds.iter().zip(&topics) {
        let Command::Publish { publish, .. } = c else { panic!("not a publish: {c:?}") };
        assert_eq!(
            (&publish.topic, publish.payload.len(), publish.qos, publish.retain),
            (topic, 0, QoS::AtLeastOnce, true)
        );
    }
    let tokens: Vec<u64> =
        cmds.iter().filter_map(|c| if let Command::Publish { token, .. } = c { Some(*token) } else { None }).collect();
    for (i, t) in tokens.iter().enumerate() {
        let result = if i == 1 { Err("not authorized".to_string()) } else { Ok(0) };
        a.apply(AppEvent::Session(SessionEvent::Published { token: *t, packet_id: None, result }));
    }
    let job = a.retained.job.clone().expect("job");
    assert_eq!((job.acked, job.failed, job.done()), (2, 1, true));
    assert!(
        a.notice.as_ref().is_some_and(|(n, _)| n.contains("cleared 2 of 3") && n.contains("1 failed")),
        "{:?}",
        a.notice
    );
    // The broker forwards the clears as empty, non-retained messages: the rows go.
    feed(&mut a, vec![msg("clear/a/x", b"", T0 + 100), msg("clear/b", b"", T0 + 100)]);
    let rows: Vec<String> = a.retained.rows().iter().map(|&r| a.tree.node(r).path().to_string()).collect();
    assert_eq!(rows, ["clear/a/y", "keep/z"]);
}

#[test]
fn retained_view_space_marks_esc_unmarks_then_leaves_and_d_without_marks_takes_the_row() {
    let mut a = retained_app();
    key(&mut a, KeyCode::Char('R'));
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.retained.marked.len(), 1);
    key(&mut a, KeyCode::Esc);
    assert!(a.retained.marked.is_empty());
    assert_eq!(a.view, View::Retained);
    key(&mut a, KeyCode::Char('G'));
    key(&mut a, KeyCode::Char('d'));
    assert_eq!(a.retained.confirm.as_ref().map(|c| c.topics.clone()), Some(vec!["keep/z".to_string()]));
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.view, View::Dashboard);
}

#[test]
fn traffic_view_keys_and_the_sys_subscription() {
    let mut a = app();
    feed(&mut a, (0..30).map(|i| msg(&format!("t/{}", i % 3), &[0; 100], T0 + i)).collect());
    assert_eq!((a.totals.messages, a.totals.qos[0], a.totals.sizes[traffic::size_bucket(100)]), (30, 30, 30));
    key(&mut a, KeyCode::Char('t'));
    assert_eq!(a.view, View::Traffic);
    key(&mut a, KeyCode::Char('b'));
    assert_eq!(a.traffic.by, traffic::RankBy::Bytes);
    key(&mut a, KeyCode::Char('>'));
    assert_eq!(a.traffic.level, 2);
    key(&mut a, KeyCode::Char('<'));
    key(&mut a, KeyCode::Char('<'));
    assert_eq!(a.traffic.level, 1, "never below the top level");
    key(&mut a, KeyCode::Char('$'));
    let sub =
        Subscription { filter: "$SYS/#".into(), options: SubscriptionOptions::retain_as_published(QoS::AtMostOnce) };
    assert_eq!(sends(&mut a), vec![Command::Subscribe(vec![sub])]);
    key(&mut a, KeyCode::Char('$'));
    assert!(sends(&mut a).is_empty(), "not twice");
    key(&mut a, KeyCode::Char('t'));
    assert_eq!(a.view, View::Dashboard);
}

#[test]
fn y_copies_the_payload_and_shift_y_the_topic() {
    let mut a = app();
    feed(&mut a, vec![msg("bin/x", &[0xff, 0x00], T0), msg("text/y", "héllo \u{1b}[31m".as_bytes(), T0)]);
    a.tree_view.selected = a.tree.find("text/y");
    a.prepare();
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(
        a.take_effects(),
        vec![Effect::Copy("héllo \u{1b}[31m".into())],
        "the clipboard gets the bytes as they are"
    );
    key(&mut a, KeyCode::Char('Y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy("text/y".into())]);
    a.tree_view.selected = a.tree.find("bin/x");
    a.prepare();
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy("ff 00".into())]);
    assert!(a.notice.as_ref().is_some_and(|(n, _)| n.contains("as hex")));
    // In the retained view, the row is what gets copied.
    feed(&mut a, vec![retained("r/1", b"kept", T0)]);
    key(&mut a, KeyCode::Char('R'));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.take_effects(), vec![Effect::Copy("kept".into())]);
}

#[test]
fn new_keys_are_in_the_help() {
    let keys: Vec<&str> = keys::HELP.iter().flat_map(|(_, ks)| ks.iter().map(|(k, _)| *k)).collect();
    for k in ["p", "s", "u", "R", "t", "y, Y", "Ctrl-S, F5", "a", "d, Del", "b", "$"] {
        assert!(keys.contains(&k), "'{k}' missing from the help");
    }
}

#[test]
fn f_in_the_retained_view_takes_a_snapshot_that_sets_the_retained_markers() {
    let mut a = app();
    // Seen live without the retain flag (MQTT 3.1.1), and one retained that the broker no longer holds.
    feed(&mut a, vec![msg("cfg/new", b"1", T0), retained("cfg/old", b"1", T0), msg("live/only", b"x", T0)]);
    key(&mut a, KeyCode::Char('R'));
    assert_eq!(a.retained.rows().len(), 1);
    key(&mut a, KeyCode::Char('f'));
    let asked: Vec<Effect> = a.take_effects();
    assert_eq!(asked, vec![Effect::RetainedSnapshot(a.subs.active_filters())]);
    assert!(a.retained.snapshot_running);
    key(&mut a, KeyCode::Char('f'));
    assert!(a.take_effects().is_empty(), "one snapshot at a time");
    let counted = a.tree.node(a.tree.find("cfg/new").expect("node")).own.count;
    a.apply(AppEvent::RetainedSnapshot(Ok(vec!["cfg/new".into(), "not/seen".into()])));
    a.prepare();
    let rows: Vec<&str> = a.retained.rows().iter().map(|&r| a.tree.node(r).path()).collect();
    assert_eq!(rows, ["cfg/new"]);
    assert!(!a.retained.snapshot_running);
    assert_eq!(a.tree.node(a.tree.find("cfg/new").expect("node")).own.count, counted, "a snapshot is no message");
    let notice = a.notice.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
    assert!(notice.contains("1 newly found") && notice.contains("1 no longer retained"), "{notice}");
    assert!(notice.contains("1 not in the tree"), "{notice}");
    a.apply(AppEvent::RetainedSnapshot(Err("connection refused".into())));
    let notice = a.notice.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
    assert!(notice.contains("retained snapshot failed: connection refused"), "{notice}");
}

#[test]
fn a_message_the_session_cannot_send_shows_as_an_error_in_the_publish_pane() {
    use crate::codec::{ConnAck, Packet, Properties, Property};
    use crate::session::{Action, Session, SessionConfig};
    let now = std::time::Instant::now();
    // A session the pane's commands go through, connected to a broker with a 64-byte packet limit.
    let mut session = Session::new(SessionConfig::default(), now);
    session.connect(now);
    let props = Properties(vec![Property::MaximumPacketSize(64)]);
    let connack = Packet::ConnAck(ConnAck { session_present: false, reason_code: 0, properties: props });
    session.handle_packet(now, connack, &mut Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let mut a = app();
    key(&mut a, KeyCode::Char('p'));
    typed(&mut a, "big/one");
    let cases = [
        ("x".repeat(100), "", "exceeds the broker's maximum packet size of 64 bytes"),
        ("small".to_string(), "k=a\0b", "contains U+0000"),
    ];
    for (payload, property, want) in cases {
        a.publisher.payload = ratatui_textarea::TextArea::new(vec![payload]);
        a.publisher.properties = ratatui_textarea::TextArea::new(vec![property.to_string()]);
        key(&mut a, KeyCode::F(5));
        for cmd in sends(&mut a) {
            let Command::Publish { token, publish } = cmd else { continue };
            let mut out = Vec::new();
            session.publish(now, token, publish, &mut out);
            assert!(!out.iter().any(|x| matches!(x, Action::Send(_))), "{want}: nothing may be sent");
            for action in out {
                if let Action::Emit(ev) = action {
                    a.apply(AppEvent::Session(ev));
                }
            }
        }
        let shown = a.publisher.last().map(|s| s.state.describe()).unwrap_or_default();
        assert!(shown.starts_with("error: ") && shown.contains(want), "{shown}");
    }
}
