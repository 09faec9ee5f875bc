//! Reading payloads and history in a real terminal: tmux runs `mqscope` against mosquitto, the test
//! types keys and reads the screen (the approach of `tui_tmux.rs`; each test has its own tmux server,
//! every wait is a bounded poll).
//!
//! - a 200 KB one-line JSON payload read to its end (End), and found by searching inside it (`/`);
//! - two entries of a topic's history shown (`[` `]`), one marked (`m`) and compared (`=`) field by field.
//!
//! Missing tmux or mosquitto: "skipping: ..." and pass, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Mosquitto;
use common::tmux::Dashboard;
use std::io::Write as _;
use std::process::{Command, Stdio};

fn tools_present() -> bool {
    common::tmux::tools_present(&["tmux", "mosquitto", "mosquitto_pub"])
}

/// Publishes with mosquitto_pub, the payload on stdin (`-s`), so a large one needs no argument.
fn publish(broker: &Mosquitto, topic: &str, payload: &[u8]) {
    let mut child = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.tcp_port.to_string(), "-t", topic, "-q", "1", "-s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub runs");
    child.stdin.take().unwrap().write_all(payload).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "mosquitto_pub -t {topic}: {}", String::from_utf8_lossy(&out.stderr));
}

/// One line of JSON of about `size` bytes: many small objects, then the marker as the last field.
fn big_json(size: usize) -> Vec<u8> {
    let mut s = String::from(r#"{"items":["#);
    let mut i = 0;
    while s.len() < size {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(r#"{{"id":{i},"name":"item-{i}","ok":true}}"#));
        i += 1;
    }
    s.push_str(r#"],"end":"THE-END-MARKER"}"#);
    s.into_bytes()
}

#[test]
fn a_200kb_one_line_json_payload_is_read_to_its_end() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let payload = big_json(200 * 1024);
    assert!(payload.len() >= 200 * 1024 && !payload.contains(&b'\n'));
    let tmux = Dashboard::start("reading-big", 160, 48, &broker.tcp_url(), &[]);
    tmux.wait_text("connected");
    publish(&broker, "bigjson", &payload);
    tmux.wait_text("Topics 1");
    // Tree, log, detail.
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the detail pane focused", |s| s.contains("┏ bigjson ━"));
    tmux.keys(&["End"]);
    let s = tmux.wait_for("the end", |s| s.contains("\"THE-END-MARKER\"") && s.contains("}"));
    assert!(!s.contains("(cut:"), "nothing is cut off:\n{s}");
    tmux.keys(&["Home"]);
    tmux.wait_text("\"items\": [");
    tmux.keys(&["/"]);
    tmux.wait_text("search the payload");
    tmux.type_text("the-end-marker");
    tmux.keys(&["Enter"]);
    // Both in one capture: a capture may catch a frame half drawn.
    tmux.wait_for("the match in view", |s| s.contains("'the-end-marker' 1/1") && s.contains("\"THE-END-MARKER\""));
    tmux.keys(&["n"]);
    tmux.wait_text("'the-end-marker' 1/1");
    tmux.quit();
}

#[test]
fn two_history_entries_are_compared_field_by_field() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let tmux = Dashboard::start("reading-hist", 160, 48, &broker.tcp_url(), &[]);
    tmux.wait_text("connected");
    publish(&broker, "hist", br#"{"temp":20.5,"unit":"C","gone":1}"#);
    publish(&broker, "hist", br#"{"temp":21,"unit":"C","gone":1}"#);
    publish(&broker, "hist", br#"{"temp":22,"unit":"C","extra":[1,2]}"#);
    tmux.wait_text("history 3");
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the detail pane focused", |s| s.contains("┏ hist ━"));
    tmux.keys(&["[", "["]);
    tmux.wait_text("entry 1/3");
    tmux.keys(&["m"]);
    tmux.wait_text("marked this entry");
    tmux.keys(&["]", "]"]);
    tmux.wait_for("the newest shown", |s| !s.contains("entry 1/3") && s.contains("\"extra\": ["));
    tmux.keys(&["="]);
    let s = tmux.wait_for("the difference", |s| {
        s.contains("3 differences: 1 changed, 1 added, 1 removed")
            && s.contains("~ /temp: 20.5 → 22")
            && s.contains("- /gone: 1")
    });
    assert!(s.contains("+ /extra: [1,2]"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the payload", |s| !s.contains("3 differences") && s.contains("\"extra\": ["));
    tmux.quit();
}
