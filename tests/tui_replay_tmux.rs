//! The replay's player in a real terminal: tmux runs `mqscope replay FILE` on a generated recording,
//! the test types the player's keys and reads the player row (the approach of `tui_tmux.rs`; each
//! test has its own tmux server, every wait is a bounded poll). No broker: a replay needs none.
//!
//! - a replay paused, seeked (to a clock time, back ten seconds, to the end) and resumed; a step
//!   plays one message; the status line names the file, not a broker.
//! - a recording's schema verdicts shown as recorded; `--schema` checks the messages again instead.
//!
//! Missing tmux: "skipping: ..." and pass, except under `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::tmux::{Tmux, quote};
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

/// 2026-12-02T10:00:00Z.
const T0: u64 = 1_764_669_600_000;
const LINES: u64 = 300;

/// One message a second for five minutes from 10:00:00 UTC, on three topics.
fn write_recording(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..LINES {
        writeln!(
            out,
            r#"{{"ts":"x","ts_ms":{},"topic":"plant/line{}","qos":0,"retain":false,"payload":"{{\"n\":{i}}}"}}"#,
            T0 + i * 1000,
            i % 3
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// The player row: the line with the progress bar.
fn player_row(screen: &str) -> String {
    screen.lines().find(|l| l.contains(" msgs") && !l.contains("msgs/s")).unwrap_or_default().to_string()
}

#[test]
fn a_replay_paused_seeked_and_resumed() {
    if !common::tmux::tools_present(&["tmux"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plant.jsonl");
    write_recording(&file);
    let script = format!(
        "TZ=UTC {bin} replay {file}\necho \"EXITED:$?\"\nexec sleep 120\n",
        bin = quote(Path::new(env!("CARGO_BIN_EXE_mqscope"))),
        file = quote(&file),
    );
    std::fs::write(dir.path().join("run.sh"), script).unwrap();
    let cmd = format!("sh {}", quote(&dir.path().join("run.sh")));
    let tmux = Tmux::start(dir.path().join("tmux.sock"), "replay", 160, 48, &cmd);

    // Playing at the recorded speed; the status line names the file, not a broker.
    let s = tmux.wait_for("playing with the length known", |s| {
        player_row(s).contains("▶ playing") && player_row(s).contains("/300 msgs")
    });
    let status = s.lines().last().unwrap_or_default();
    assert!(status.contains("replay") && status.contains("plant.jsonl"), "{s}");
    assert!(!s.contains("connected") && !s.contains("MQTT 5"), "a replay is no broker connection:\n{s}");

    // Paused: nothing more plays.
    tmux.keys(&["Space"]);
    let s = tmux.wait_for("paused", |s| player_row(s).contains("‖ paused"));
    let row = player_row(&s);
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(player_row(&tmux.capture()), row, "a paused replay stands still");

    // Jump to a clock time: everything before it plays at once, and it stays paused there.
    tmux.keys(&["J"]);
    tmux.wait_text("jump to");
    tmux.type_text("10:04:00");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("at 10:04:00", |s| player_row(s).contains(" 10:04:00 ") && player_row(s).contains("240/300"));
    assert!(player_row(&s).contains("‖ paused"), "{s}");

    // Back ten seconds: the file is read again from its start into a clean dashboard.
    tmux.keys(&[","]);
    let s = tmux.wait_for("at 10:03:50", |s| player_row(s).contains(" 10:03:50 ") && player_row(s).contains("230/300"));
    assert!(player_row(&s).contains("‖ paused"), "{s}");
    assert!(s.contains("Topics 3"), "the tree is built again from the start:\n{s}");

    // One step: the message at 10:03:50 (n 230, on line 2), nothing more.
    tmux.keys(&["."]);
    tmux.wait_for("one message stepped", |s| player_row(s).contains("231/300"));
    tmux.wait_for("the newest message in the log", |s| s.contains(r#"plant/line2 {"n":230}"#));

    // Faster, then resumed: it plays on from there.
    tmux.keys(&[">", ">"]);
    tmux.wait_for("x4", |s| player_row(s).contains("x4"));
    tmux.keys(&["Space"]);
    tmux.wait_for("playing on", |s| {
        let row = player_row(s);
        row.contains("▶ playing") && !row.contains("231/300")
    });

    // To the end: the player says so and stays.
    tmux.keys(&["J"]);
    tmux.wait_text("jump to");
    tmux.type_text("end");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("ended", |s| player_row(s).contains("■ ended") && player_row(s).contains("300/300"));
    assert!(player_row(&s).contains("10:04:59"), "{s}");

    // Quit: exit code 0.
    tmux.keys(&["q"]);
    tmux.wait_for("exited", |s| s.contains("EXITED:"));
    assert!(tmux.capture().contains("EXITED:0"));
}

/// What `sub --schema ... --record` writes for a message that broke its schema.
const CHECKED: &str = r#"{"ts":"2026-12-02T10:00:00.000Z","ts_ms":1764669600000,"topic":"v/plant/hot","qos":0,"retain":false,"payload":"{\"t\": 500}","schema":{"schema":"t.schema.json","violations":[{"instance_path":"/t","keyword":"maximum","message":"500 is greater than the maximum of 100"}]}}"#;

#[test]
fn recorded_verdicts_are_shown_as_recorded_and_a_schema_checks_again() {
    if !common::tmux::tools_present(&["tmux"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checked.jsonl");
    std::fs::write(&file, format!("{CHECKED}\n")).unwrap();
    let open = dir.path().join("open.json");
    std::fs::write(&open, r#"{"type":"object"}"#).unwrap();
    let script = format!(
        "TZ=UTC {bin} replay {file}\necho \"EXITED:$?\"\nread go\nTZ=UTC {bin} replay {file} --schema {schema}\necho \"AGAIN:$?\"\nexec sleep 120\n",
        bin = quote(Path::new(env!("CARGO_BIN_EXE_mqscope"))),
        file = quote(&file),
        schema = quote(Path::new(&format!("v/#={}", open.display()))),
    );
    std::fs::write(dir.path().join("run.sh"), script).unwrap();
    let cmd = format!("sh {}", quote(&dir.path().join("run.sh")));
    let tmux = Tmux::start(dir.path().join("tmux.sock"), "verdicts", 160, 48, &cmd);

    // The verdict the recording kept: marked in the tree, counted, listed and said to be recorded.
    tmux.wait_for("played", |s| s.contains("hot ✗1") && s.contains("1/1 msgs"));
    tmux.keys(&["End"]);
    let s = tmux.wait_for("the recorded verdict", |s| {
        s.contains("── schema (recorded) ✗ 1 violation of t.schema.json")
            && s.contains("/t  maximum  500 is greater than the maximum of 100")
            && s.contains("✗1 invalid")
    });
    assert!(s.contains("hot ✗1"), "{s}");
    tmux.keys(&["q"]);
    // The script waits for a line after the exit code, so the second replay cannot cover it first.
    let s = tmux.wait_for("exited", |s| s.contains("EXITED:"));
    assert!(s.contains("EXITED:0"), "{s}");
    tmux.keys(&["Enter"]);

    // A schema given to the replay checks again: this one passes what the recorded one did not.
    tmux.wait_for("played again", |s| s.contains("hot {") && s.contains("1/1 msgs"));
    tmux.keys(&["End"]);
    let s = tmux.wait_for("checked again", |s| s.contains("── schema ✓ valid against") && s.contains("open.json"));
    assert!(!s.contains("(recorded)") && !s.contains("✗1 invalid"), "{s}");
    tmux.keys(&["q"]);
    tmux.wait_for("exited again", |s| s.contains("AGAIN:"));
    assert!(tmux.capture().contains("AGAIN:0"));
}
