//! The detail pane's JSON tree in a real terminal: tmux runs `mqscope` against mosquitto, the test
//! types keys and reads the screen (each test has its own tmux server, every wait is a bounded poll).
//!
//! A JSON payload's tree is opened (`T`), folded and unfolded, a number picked, charted (`a`) and
//! added to the watch list (`+`); a new message keeps the folds.
//!
//! Missing tmux or mosquitto: "skipping: ..." and pass, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Mosquitto;
use common::tmux::Dashboard;

fn tools_present() -> bool {
    common::tmux::tools_present(&["tmux", "mosquitto", "mosquitto_pub"])
}

fn doc(temp: f64) -> String {
    format!(r#"{{"site":"plant/1","sensors":[{{"name":"a","temp":20.5}},{{"name":"b","temp":{temp}}}],"ok":true}}"#)
}

#[test]
fn a_field_picked_from_the_json_tree_is_charted_and_watched() {
    if !tools_present() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let tmux = Dashboard::start("jsontree14-tree", 160, 48, &broker.tcp_url(), &[]);
    tmux.wait_text("connected");
    broker.publish("plant/line1", doc(21.0).as_bytes(), false);
    tmux.wait_text("Topics 1");
    // Select the topic (its level is first, the topic below it), then show its tree.
    tmux.keys(&["Down"]);
    tmux.wait_text("┌ plant/line1 ─");
    tmux.keys(&["T"]);
    let s =
        tmux.wait_for("the tree", |s| s.contains("/ (the root) · object") && s.contains("▾ \"sensors\": [] 2 items"));
    assert!(s.contains("\"temp\": 20.5"), "a small payload opens unfolded:\n{s}");
    // Fold all, then unfold the sensors and the second one.
    tmux.keys(&["C"]);
    tmux.wait_for("folded", |s| s.contains("▸ \"sensors\": [] 2 items") && !s.contains("\"temp\": 20.5"));
    tmux.keys(&["Down", "Down", "Right"]);
    tmux.wait_for("the sensors unfolded", |s| s.contains("▾ \"sensors\"") && s.contains("▸ 1: {} 2 keys"));
    tmux.keys(&["Right", "Down"]);
    tmux.wait_for("the second sensor selected", |s| s.contains("/sensors/1 · object") && s.contains("▸ 1: {} 2 keys"));
    tmux.keys(&["l"]);
    tmux.wait_for("the second sensor unfolded", |s| s.contains("▾ 1: {} 2 keys") && s.contains("\"temp\": 21"));
    tmux.keys(&["End"]);
    tmux.wait_text("/ok · bool");
    tmux.keys(&["Up"]);
    tmux.wait_text("/sensors/1/temp · number");
    // A new message keeps the folds and the selection.
    broker.publish("plant/line1", doc(23.5).as_bytes(), false);
    tmux.wait_for("the new value", |s| s.contains("\"temp\": 23.5") && s.contains("/sensors/1/temp · number"));
    let s = tmux.capture();
    assert!(s.contains("▸ 0: {} 2 keys"), "the first sensor stays folded:\n{s}");
    // Chart it beside the default field, then watch it.
    tmux.keys(&["a"]);
    tmux.wait_text("charting /sensors/1/temp");
    // The field list (c) says both are charted.
    tmux.keys(&["c"]);
    tmux.wait_for("both fields charted", |s| s.contains("[x] /sensors/0/temp") && s.contains("[x] /sensors/1/temp"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the field list closed", |s| !s.contains("chart fields"));
    tmux.type_text("+");
    tmux.wait_text("watching /sensors/1/temp");
    tmux.keys(&["w"]);
    let s = tmux.wait_for("the watch view", |s| s.contains("plant/line1") && s.contains("TEMP"));
    assert!(s.contains("23.5"), "the column shows the value:\n{s}");
    broker.publish("plant/line1", doc(24.25).as_bytes(), false);
    tmux.wait_text("24.25");
    tmux.keys(&["w"]);
    tmux.wait_text("┏ plant/line1 ━");
    tmux.quit();
}
