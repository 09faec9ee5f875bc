//! `mqscope sub --validate` against mosquitto: retained messages checked against JSON Schema files
//! given by `--schema` or by the profile; each violation printed with its topic, exit code 7 when any
//! was seen, 0 when all were valid, 2 for a schema that does not compile; `--record` keeps the verdict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;

use common::Mosquitto;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
    "required":["t"],"properties":{"t":{"type":"number","maximum":100}}}"#;

fn mqscope(args: &[&str]) -> Output {
    let limit = Duration::from_secs(60);
    let child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .env_remove("MQSCOPE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::output_within(child, limit, &format!("mqscope {args:?}"))
}

fn retain(url: &str, topic: &str, message: &str) {
    let out = mqscope(&["pub", "-u", url, "-t", topic, "-m", message, "-r", "-q", "1"]);
    assert!(out.status.success(), "pub failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn sub(url: &str, filter: &str, extra: &[&str]) -> Output {
    let mut args = vec!["sub", "-u", url, "-t", filter, "--retained-only", "--idle-ms", "1500"];
    args.extend_from_slice(extra);
    mqscope(&args)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn violations_are_printed_with_the_topic_and_exit_7_and_recorded() {
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    retain(&url, "v/plant/ok", r#"{"t": 21}"#);
    retain(&url, "v/plant/hot", r#"{"t": 500}"#);
    retain(&url, "v/plant/bad", "not json");
    retain(&url, "v/other/free", "anything");
    let dir = tempfile::tempdir().unwrap();
    let schema = write(dir.path(), "t.schema.json", SCHEMA);
    let rec = dir.path().join("rec.jsonl");
    let out = sub(
        &url,
        "v/#",
        &["--schema", &format!("v/plant/+={schema}"), "--validate", "--record", rec.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "stderr: {err}");
    assert!(err.contains("invalid: v/plant/hot: ") && err.contains(": /t: maximum: "), "{err}");
    assert!(err.contains("invalid: v/plant/bad: ") && err.contains(": (root): json: not JSON"), "{err}");
    assert!(!err.contains("v/plant/ok") && !err.contains("v/other/free"), "{err}");
    assert!(err.contains("2 message(s) broke their schema"), "{err}");
    // Every message is still printed, valid or not.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&rec).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    let by_topic = |t: &str| lines.iter().find(|l| l["topic"] == t).unwrap().clone();
    assert_eq!(by_topic("v/plant/ok")["schema"]["violations"], serde_json::json!([]));
    assert_eq!(by_topic("v/plant/hot")["schema"]["violations"][0]["keyword"], "maximum");
    assert!(by_topic("v/other/free").get("schema").is_none());
    // The recording still replays: the reader takes the verdict.
    let scan = mqscope(&["replay", rec.to_str().unwrap(), "--to", &url, "--max", "--strict"]);
    assert!(scan.status.success(), "replay: {}", String::from_utf8_lossy(&scan.stderr));
}

#[test]
fn all_valid_exits_0_and_json_output_carries_the_verdict() {
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    retain(&url, "ok/a", r#"{"t": 1}"#);
    retain(&url, "ok/b", r#"{"t": 2.5}"#);
    let dir = tempfile::tempdir().unwrap();
    let schema = write(dir.path(), "t.json", SCHEMA);
    let out = sub(&url, "ok/#", &["--schema", &format!("ok/#={schema}"), "--validate", "-F", "json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["schema"]["violations"], serde_json::json!([]), "{l}");
    }
}

#[test]
fn profile_schemas_are_relative_to_the_config_and_bad_ones_name_the_file() {
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    retain(&url, "p/x", r#"{"t": "warm"}"#);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    write(&dir.path().join("schemas"), "t.json", SCHEMA);
    let config =
        write(dir.path(), "config.toml", "[profiles.lab]\n[profiles.lab.schemas]\n\"p/#\" = \"schemas/t.json\"\n");
    let out = mqscope(&[
        "--config",
        &config,
        "sub",
        "-P",
        "lab",
        "-u",
        &url,
        "-t",
        "p/#",
        "--retained-only",
        "--idle-ms",
        "1500",
        "--validate",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("invalid: p/x: ") && err.contains(": /t: type: "), "{err}");

    write(&dir.path().join("schemas"), "t.json", r#"{"type": 12}"#);
    let out = mqscope(&["--config", &config, "sub", "-P", "lab", "-u", &url, "-t", "p/#", "--validate"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("t.json' does not compile"), "{err}");
}

#[test]
fn validate_without_a_schema_is_a_usage_error() {
    let out = mqscope(&["sub", "-u", "mqtt://127.0.0.1:1", "-t", "a", "--validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--validate needs a schema"));
    let out = mqscope(&["sub", "-u", "mqtt://127.0.0.1:1", "-t", "a", "--schema", "a/#/b=x.json"]);
    assert_eq!(out.status.code(), Some(2));
}
