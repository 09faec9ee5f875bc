//! Record then replay gives the same messages in the same order: `mqscope sub --record` against the
//! embedded broker, then `mqscope replay --to` into it while another subscriber checks what arrives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
