//! JSON Schema checks in a real terminal: tmux runs `mqscope --schema FILTER=FILE` against mosquitto,
//! the test publishes a valid and an invalid message to a topic with a schema and reads the screen
//! (the approach of `tui_reading_tmux.rs`; every wait is a bounded poll):
//!
//! - the tree marks the topic and its levels with the count of invalid messages, the status line
//!   shows the total;
//! - the detail pane lists the shown message's violations (instance path, keyword, message), and an
//!   older, valid entry says which schema it passed;
//! - `i` in the log shows only the invalid messages.
//!
//! Missing tmux or mosquitto: "skipping: ..." and pass, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Mosquitto;
use common::tmux::Dashboard;

const SCHEMA: &str = r#"{"type":"object","required":["t"],"properties":{"t":{"type":"number","maximum":100}}}"#;

/// The log's rows (they carry the QoS flag; the detail pane's history rows do not).
fn log_rows(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.contains(" Q0 ")).collect()
}

#[test]
fn invalid_messages_are_marked_in_the_tree_listed_in_the_detail_and_filtered_in_the_log() {
    if !common::tmux::tools_present(&["tmux", "mosquitto", "mosquitto_pub"]) {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("t.json");
    std::fs::write(&schema, SCHEMA).unwrap();
    let arg = format!("plant/+/t={}", schema.display());
    let tmux = Dashboard::start("schema", 160, 48, &broker.tcp_url(), &["--schema", &arg]);
    tmux.wait_text("connected");
    broker.publish("plant/press/t", br#"{"t":21,"n":"ok-one"}"#, false);
    broker.publish("plant/press/t", br#"{"t":500,"n":"bad-one"}"#, false);
    broker.publish("office/lamp", b"on, no schema", false);
    let s = tmux.wait_for("the tree's markers", |s| {
        s.contains("plant ✗1") && s.contains("press ✗1") && s.contains("t ✗1") && s.contains("✗1 invalid")
    });
    assert!(!s.contains("lamp ✗"), "{s}");
    // Select the topic; the detail pane shows its newest message, the invalid one.
    tmux.keys(&["/"]);
    tmux.wait_text("filter topics");
    tmux.type_text("plant/press/t");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the violation listed", |s| {
        s.contains("── schema ✗ 1 violation of") && s.contains("/t  maximum  value is greater than the maximum of 100")
    });
    assert!(s.contains("t.json"), "the schema file is named:\n{s}");
    // The older entry passed.
    tmux.keys(&["Escape", "Tab", "Tab"]);
    tmux.wait_for("the detail pane focused", |s| s.contains("┏ plant/press/t ━"));
    tmux.keys(&["["]);
    tmux.wait_for("the valid entry", |s| s.contains("entry 1/2") && s.contains("✓ valid against"));
    // The log, only the invalid message.
    tmux.keys(&["BTab"]);
    tmux.wait_for("the log focused", |s| s.contains("┏ Messages 3"));
    assert_eq!(log_rows(&tmux.capture()).len(), 3, "{}", tmux.capture());
    tmux.keys(&["i"]);
    let s = tmux.wait_for("invalid only", |s| s.contains("Messages 1 · invalid only (i)") && log_rows(s).len() == 1);
    let rows = log_rows(&s);
    assert!(rows[0].contains("✗ plant/press/t") && rows[0].contains("bad-one"), "{s}");
    tmux.keys(&["i"]);
    tmux.wait_for("all messages again", |s| !s.contains("invalid only (i)") && log_rows(s).len() == 3);
    tmux.quit();
}
