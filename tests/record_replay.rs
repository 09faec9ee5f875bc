//! Record then replay gives the same messages in the same order: `mqscope sub --record` against the
//! embedded broker, then `mqscope replay --to` into it while another subscriber checks what arrives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_macros)]

mod common;
mod session_support;

use session_support::{STEP, publish_ok, sub_ready, unique};

#[test]
fn record_then_replay_gives_the_same_messages_in_the_same_order() {
    let url = common::rumqttd().tcp_v4_url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.jsonl");
    let topic = unique("rec");
    let filter = format!("{topic}/#");

    // Record 30 messages: text, JSON and one that is not UTF-8 (stored as base64).
    let recorder = sub_ready(&url, &["--mqtt", "3.1.1", "-t", &filter, "-C", "30", "--record", file.to_str().unwrap()]);
    let lines: String = (0..29).map(|i| format!("{{\"n\":{i}}}\n")).collect();
    publish_ok(&url, &["--mqtt", "3.1.1", "-t", &format!("{topic}/json"), "-l", "-q", "1"], Some(lines.into_bytes()));
    let binary = dir.path().join("bin");
    std::fs::write(&binary, [0xffu8, 0x00, 0x1b, 0x80]).unwrap();
    publish_ok(
        &url,
        &["--mqtt", "3.1.1", "-t", &format!("{topic}/bin"), "-f", binary.to_str().unwrap(), "-q", "1"],
        None,
    );
    let rec = recorder.wait(STEP);
    assert_eq!(rec.code(), 0, "{}", rec.stderr);
    let recorded = mqscope::record::read(&file).unwrap();
    assert_eq!(recorded.len(), 30);
    assert_eq!(recorded[29].payload_base64.as_deref(), Some("/wAbgA=="));

    // Replay it into the broker as fast as possible, under another prefix's eyes: the same 30.
    let watcher = sub_ready(&url, &["--mqtt", "3.1.1", "-t", &filter, "-C", "30", "-F", "json"]);
    let mut replay = session_support::mqscope();
    replay.args(["replay", file.to_str().unwrap(), "--max", "--to", &url, "--mqtt", "3.1.1"]);
    let out = session_support::run(replay, None, STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let seen = watcher.wait(STEP);
    assert_eq!(seen.code(), 0, "{}", seen.stderr);
    let got: Vec<(String, String)> = seen
        .json()
        .iter()
        .map(|v| (v["topic"].as_str().unwrap().to_string(), v["payload_hex"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(String, String)> =
        recorded.iter().map(|r| (r.topic.clone(), mqscope::inspect::hex(&r.payload_bytes().unwrap()))).collect();
    assert_eq!(got, want);
}

/// /dev/full, where every write fails with "No space left on device"; `None` (with the reason
/// printed) when this system has none, which CI does not accept.
fn dev_full() -> Option<std::fs::File> {
    match std::fs::OpenOptions::new().write(true).open("/dev/full") {
        Ok(f) => Some(f),
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: cannot open /dev/full ({e})");
            None
        }
        Err(e) => panic!("/dev/full is needed in CI: {e}"),
    }
}

/// One recording line, as `sub --record` writes it.
fn line(ts_ms: u64, topic: &str, payload: &str) -> String {
    format!(r#"{{"ts":"x","ts_ms":{ts_ms},"topic":"{topic}","qos":0,"retain":false,"payload":"{payload}"}}"#)
}

#[test]
fn recording_to_a_full_disk_fails_and_says_why() {
    if dev_full().is_none() {
        return;
    }
    let url = common::rumqttd().tcp_v4_url();
    let topic = unique("full");
    let recorder = sub_ready(&url, &["--mqtt", "3.1.1", "-t", &topic, "-C", "3", "--record", "/dev/full"]);
    publish_ok(&url, &["--mqtt", "3.1.1", "-t", &topic, "-l"], Some(b"a\nb\nc\n".to_vec()));
    let out = recorder.wait(STEP);
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("No space left on device"), "{}", out.stderr);
    assert!(out.stderr.contains("0 messages"), "says how many made it to disk: {}", out.stderr);
}

#[test]
fn printing_to_a_full_disk_fails_and_says_why() {
    let Some(full) = dev_full() else { return };
    let url = common::rumqttd().tcp_v4_url();
    let topic = unique("stdout-full");
    let sub = session_support::sub_ready_to(&url, &["--mqtt", "3.1.1", "-t", &topic, "-C", "2"], full.into());
    publish_ok(&url, &["--mqtt", "3.1.1", "-t", &topic, "-l"], Some(b"a\nb\n".to_vec()));
    let out = sub.wait(STEP);
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("No space left on device"), "{}", out.stderr);
}

#[test]
fn printing_to_a_closed_pipe_ends_quietly() {
    let url = common::rumqttd().tcp_v4_url();
    let topic = unique("stdout-closed");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // as `| head` does once it has its lines
    let sub = session_support::sub_ready_to(&url, &["--mqtt", "3.1.1", "-t", &topic, "-C", "2"], writer.into());
    publish_ok(&url, &["--mqtt", "3.1.1", "-t", &topic, "-l"], Some(b"a\nb\n".to_vec()));
    let out = sub.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert!(!out.stderr.contains("error") && !out.stderr.contains("failed"), "{}", out.stderr);
}

#[test]
fn an_existing_file_is_refused_without_append_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "precious notes\n").unwrap();
    let recording = dir.path().join("rec.jsonl");
    std::fs::write(&recording, line(1, "t", "x") + "\n").unwrap();
    for file in [&notes, &recording] {
        let mut cmd = session_support::mqscope();
        // No broker needed: the file is checked before connecting.
        cmd.args(["sub", "-u", "mqtt://127.0.0.1:9", "-t", "t", "--record", file.to_str().unwrap()]);
        let out = session_support::run(cmd, None, STEP);
        assert_eq!(out.code(), 2, "{}", out.stderr);
        assert!(out.stderr.contains("exists") && out.stderr.contains("--append"), "{}", out.stderr);
    }
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "precious notes\n");
    assert_eq!(std::fs::read_to_string(&recording).unwrap(), line(1, "t", "x") + "\n");
}

#[test]
fn append_refuses_a_file_that_is_not_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let cut = line(2, "t", "y");
    let cases = [
        ("notes.txt", "precious notes\n".to_string(), "line 1"),
        ("mixed.jsonl", format!("{}\nnot json\n{}\n", line(1, "t", "x"), line(2, "t", "y")), "line 2"),
        ("cut.jsonl", format!("{}\n{}", line(1, "t", "x"), &cut[..cut.len() - 5]), "line 2"),
    ];
    for (name, text, bad) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, &text).unwrap();
        let mut cmd = session_support::mqscope();
        cmd.args(["sub", "-u", "mqtt://127.0.0.1:9", "-t", "t", "--append", "--record", file.to_str().unwrap()]);
        let out = session_support::run(cmd, None, STEP);
        assert_eq!(out.code(), 1, "{name}: {}", out.stderr);
        assert!(out.stderr.contains("not a recording") && out.stderr.contains(bad), "{name}: {}", out.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "{name} untouched");
    }
}

#[test]
fn append_adds_to_a_recording_or_an_empty_file() {
    let url = common::rumqttd().tcp_v4_url();
    let dir = tempfile::tempdir().unwrap();
    for (name, before) in [("rec.jsonl", line(1, "old", "x") + "\n"), ("empty.jsonl", String::new())] {
        let file = dir.path().join(name);
        std::fs::write(&file, &before).unwrap();
        let topic = unique("append");
        let args = ["--mqtt", "3.1.1", "-t", &topic, "-C", "2", "--append", "--record", file.to_str().unwrap()];
        let recorder = sub_ready(&url, &args);
        publish_ok(&url, &["--mqtt", "3.1.1", "-t", &topic, "-l"], Some(b"a\nb\n".to_vec()));
        let out = recorder.wait(STEP);
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with(&before), "{text}");
        let records = mqscope::record::read(&file).unwrap();
        assert_eq!(records.len(), before.lines().count() + 2, "{text}");
        assert_eq!(records.last().unwrap().topic, topic);
    }
}

/// `replay FILE --max --to URL --mqtt 3.1.1` plus `extra`.
fn replay_to(url: &str, file: &std::path::Path, extra: &[&str]) -> session_support::Output {
    let mut replay = session_support::mqscope();
    replay.args(["replay", file.to_str().unwrap(), "--max", "--to", url, "--mqtt", "3.1.1"]).args(extra);
    session_support::run(replay, None, STEP)
}

#[test]
fn a_cut_last_line_is_reported_and_the_rest_replayed() {
    let url = common::rumqttd().tcp_v4_url();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("cut");
    let file = dir.path().join("cut.jsonl");
    let last = line(4, &topic, "four");
    let text = format!(
        "{}\n{}\n{}\n{}",
        line(1, &topic, "one"),
        line(2, &topic, "two"),
        line(3, &topic, "three"),
        &last[..last.len() - 9]
    );
    std::fs::write(&file, text).unwrap();

    // --strict refuses, and publishes nothing.
    let out = replay_to(&url, &file, &["--strict"]);
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("line 4"), "{}", out.stderr);

    let watcher = sub_ready(&url, &["--mqtt", "3.1.1", "-t", &topic, "-C", "3"]);
    let out = replay_to(&url, &file, &[]);
    assert_eq!(out.code(), 0, "a recording cut by a crash is complete up to the cut: {}", out.stderr);
    assert!(out.stderr.contains("line 4") && out.stderr.contains("cut"), "{}", out.stderr);
    let seen = watcher.wait(STEP);
    assert_eq!(seen.lines(), ["one", "two", "three"]);
}

#[test]
fn a_bad_line_in_the_middle_is_reported_sanitised_skipped_and_fails_the_exit_code() {
    let url = common::rumqttd().tcp_v4_url();
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("bad");
    let file = dir.path().join("bad.jsonl");
    let text = format!("{}\n\x1b[2Jgarbage\n{}\n", line(1, &topic, "one"), line(3, &topic, "three"));
    std::fs::write(&file, text).unwrap();
    let watcher = sub_ready(&url, &["--mqtt", "3.1.1", "-t", &topic, "-C", "2"]);
    let out = replay_to(&url, &file, &[]);
    assert_eq!(out.code(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("line 2") && out.stderr.contains("garbage"), "{}", out.stderr);
    assert!(!out.stderr.contains('\x1b'), "sanitised: {:?}", out.stderr);
    let seen = watcher.wait(STEP);
    assert_eq!(seen.lines(), ["one", "three"]);
}

#[test]
fn the_dashboard_replay_shows_a_bad_line_and_lists_it_on_stderr_when_it_closes() {
    if !common::tmux::tools_present(&["tmux"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, format!("{}\n\x1b[2Jgarbage\n{}\n", line(1, "t/a", "one"), line(3, "t/b", "three"))).unwrap();
    let (err, code) = (dir.path().join("stderr"), dir.path().join("code"));
    let command = format!(
        "{} replay {} --max 2>{}; echo $? >{}",
        common::tmux::quote(std::path::Path::new(env!("CARGO_BIN_EXE_mqscope"))),
        common::tmux::quote(&file),
        common::tmux::quote(&err),
        common::tmux::quote(&code)
    );
    let tmux = common::tmux::Tmux::start(dir.path().join("tmux.sock"), "replay-bad", 220, 30, &command);
    let screen = tmux.wait_text("replay finished: 2 messages");
    assert!(screen.contains("1 bad line skipped (line 2"), "{screen}");
    tmux.keys(&["q"]);
    let deadline = std::time::Instant::now() + STEP;
    while std::fs::read_to_string(&code).unwrap_or_default().trim().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the dashboard did not quit");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&code).unwrap().trim(), "1", "a damaged file fails the exit code");
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(stderr.contains("line 2") && stderr.contains("garbage") && !stderr.contains('\x1b'), "{stderr:?}");
}
