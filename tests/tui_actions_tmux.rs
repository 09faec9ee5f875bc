//! Acting on the broker from the dashboard, in a real terminal: tmux runs `mqscope` against mosquitto,
//! the test types keys and reads the screen (the approach of `tui_tmux.rs`; each test has its own
//! tmux server, every wait is a bounded poll).
//!
//! - publish from the pane with QoS 1 and see the message at a separate `mqscope sub`;
//! - subscribe to a new filter at runtime and see its topics; unsubscribe and see them stop counting;
//! - clear a retained subtree from the retained view and check with `mqscope sub --retained-only` that
//!   it is gone and nothing else was touched; the same from a tree row (Del on a level); copy a payload
//!   with OSC 52 into tmux's buffer.
//!
//! Missing tmux or mosquitto: "skipping: ..." and pass, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Mosquitto;
use common::tmux::{Dashboard, SCREEN_WAIT};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tools_present() -> bool {
    common::tmux::tools_present(&["tmux", "mosquitto", "mosquitto_pub"])
}

/// `mqscope sub` as a separate process, its output read when it exits.
fn spawn_sub(url: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(["sub", "-u", url])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_child(child: Child, limit: Duration) -> Output {
    common::output_within(child, limit, "child")
}

/// The retained messages as `mqscope sub --retained-only -v` prints them, sorted.
fn retained_lines(url: &str) -> Vec<String> {
    let out =
        wait_child(spawn_sub(url, &["-t", "#", "--retained-only", "-v", "--idle-ms", "1500"]), Duration::from_secs(30));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn publish_from_the_pane_with_qos1_reaches_another_subscriber() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    let tmux = Dashboard::start("pub", 170, 40, &broker.ws_url(), &["-t", "pane/#"]);
    tmux.wait_text("● connected");
    // The separate subscriber, ready before we publish (its SUBACK is in before it prints anything; a
    // retained marker tells us it is subscribed).
    broker.publish("pane/ready", "r".as_bytes(), true);
    let sub = spawn_sub(&url, &["-t", "pane/out", "-t", "pane/ready", "-C", "2", "-v", "-q", "1"]);
    tmux.wait_text("ready");
    std::thread::sleep(Duration::from_millis(300));

    tmux.keys(&["p"]);
    // The selection is the level 'pane', not a topic: the topic field starts empty and focused.
    tmux.wait_for("the empty publish pane", |s| s.contains(" Publish ") && s.contains("a/topic"));
    tmux.type_text("pane/out");
    tmux.keys(&["Tab"]);
    tmux.type_text("hello from the pane");
    tmux.keys(&["Tab", "1", "F5"]);
    let s = tmux.wait_text("acked (");
    assert!(s.contains("to 'pane/out'") && s.contains("q1"), "{s}");

    let out = wait_child(sub, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l == "pane/out hello from the pane"), "the subscriber got:\n{text}");
    tmux.quit();
}

#[test]
fn subscribe_at_runtime_then_unsubscribe_stops_counting() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    broker.publish("start/x", "1".as_bytes(), true);
    broker.publish("new/a", "2".as_bytes(), true);
    let tmux = Dashboard::start("subs", 170, 40, &broker.ws_url(), &["-t", "start/#"]);
    tmux.wait_for("the start topic", |s| s.contains("Topics 1") && s.contains("total 1"));

    tmux.keys(&["s"]);
    tmux.wait_text("subscribe at QoS 0");
    tmux.keys(&["Tab"]);
    tmux.wait_text("subscribe at QoS 1");
    tmux.type_text("new/#");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the new filter's retained topic", |s| s.contains("Topics 2") && s.contains("total 2"));
    broker.publish("new/live", "3".as_bytes(), false);
    tmux.wait_for("a live message on the new filter", |s| s.contains("Topics 3") && s.contains("total 3"));

    // The list shows both filters with their SUBACK results; u unsubscribes the selected (new/#).
    tmux.keys(&["u"]);
    let s = tmux.wait_text("Subscriptions 2");
    assert!(s.contains("start/#") && s.contains("new/#"), "{s}");
    assert!(s.contains("granted QoS 0") && s.contains("granted QoS 1"), "{s}");
    tmux.keys(&["u"]);
    tmux.wait_for("new/# gone from the list", |s| s.contains("Subscriptions 1") && !s.contains("new/#"));
    tmux.keys(&["Escape"]);

    for i in 0..3 {
        broker.publish("new/live", format!("after {i}").as_bytes(), false);
    }
    broker.publish("start/marker", "m".as_bytes(), false);
    let s = tmux.wait_for("the marker after the unsubscribed messages", |s| s.contains("Topics 4"));
    assert!(s.contains("total 4"), "messages on new/# were still counted after unsubscribing:\n{s}");
    tmux.quit();
}

#[test]
fn clear_a_retained_subtree_and_copy_with_osc52() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    for (t, v) in
        [("zone/a/1", "a1"), ("zone/a/2", "a2"), ("zone/b/1", "b1"), ("other/keep", "kept"), ("zonex/keep", "zx")]
    {
        broker.publish(t, v.as_bytes(), true);
    }
    let tmux = Dashboard::start("retained", 170, 40, &broker.ws_url(), &[]);
    let _ = tmux.run(&["set-option", "-s", "set-clipboard", "on"]);
    tmux.wait_text("Topics 5");

    tmux.keys(&["R"]);
    let s = tmux.wait_text("Retained 5 topics");
    assert!(s.contains("other/keep") && s.contains("zone/b/1"), "{s}");
    // Rows by path: other/keep, zone/a/1, zone/a/2, zone/b/1, zonex/keep.
    tmux.keys(&["y"]);
    tmux.wait_text("copied the payload of 'other/keep'");
    let deadline = Instant::now() + SCREEN_WAIT;
    loop {
        let buffer = String::from_utf8_lossy(&tmux.run(&["show-buffer"]).stdout).into_owned();
        if buffer == "kept" {
            break;
        }
        assert!(Instant::now() < deadline, "tmux's buffer never got the OSC 52 copy: '{buffer}'");
        std::thread::sleep(Duration::from_millis(40));
    }

    tmux.keys(&["j", "a"]);
    tmux.wait_text("2 marked");
    tmux.keys(&["a"]);
    tmux.wait_text("3 marked");
    tmux.keys(&["d"]);
    let s = tmux.wait_text("Clear 3 retained topics?");
    // The confirmation box is the second '┃' column of each line.
    let listed: Vec<&str> = s
        .lines()
        .filter_map(|l| l.split('┃').nth(2)?.split_whitespace().next())
        .filter(|w| w.starts_with("zone") || w.starts_with("other"))
        .collect();
    assert_eq!(listed, ["zone/a/1", "zone/a/2", "zone/b/1"], "{s}");
    tmux.keys(&["Enter"]);
    tmux.wait_text("cleared 3 of 3 retained topics");
    tmux.wait_for("the cleared rows gone", |s| s.contains("Retained 2 topics"));
    tmux.quit();

    assert_eq!(retained_lines(&url), ["other/keep kept", "zonex/keep zx"]);
}

#[test]
fn clear_a_retained_subtree_from_the_tree_row() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    for (t, v) in
        [("zone/a/1", "a1"), ("zone/a/2", "a2"), ("zone/b/1", "b1"), ("other/keep", "kept"), ("zonex/keep", "zx")]
    {
        broker.publish(t, v.as_bytes(), true);
    }
    let tmux = Dashboard::start("tree-clear", 170, 40, &broker.ws_url(), &[]);
    tmux.wait_text("Topics 5");
    // Rows: other, other/keep, zone, ...: two down is the level 'zone' (its detail sums 3 topics).
    tmux.keys(&["j", "j"]);
    tmux.wait_text("3 topics · 3 messages");
    tmux.keys(&["Delete"]);
    let s = tmux.wait_text("Clear 3 retained topics?");
    let listed: Vec<&str> = s
        .lines()
        .filter_map(|l| l.split('┃').nth(2)?.split_whitespace().next())
        .filter(|w| w.starts_with("zone") || w.starts_with("other"))
        .collect();
    assert_eq!(listed, ["zone/a/1", "zone/a/2", "zone/b/1"], "every topic of the subtree, nothing else:\n{s}");
    tmux.keys(&["Enter"]);
    tmux.wait_text("cleared 3 of 3 retained topics");
    tmux.quit();

    assert_eq!(retained_lines(&url), ["other/keep kept", "zonex/keep zx"]);
}
