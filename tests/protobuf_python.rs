//! Protobuf by schema against an independent implementation: payloads built by Python's `protobuf`
//! package (tests/protobuf_support/encode.py) go through mosquitto and come out of `mqscope sub -F json`
//! as the same canonical JSON that Python prints for them; `mqscope pub --encode protobuf` writes bytes
//! that Python decodes back to the JSON given; the raw view reads Python's bytes by field number; .proto
//! errors name the file, line and column. Python's `protobuf` is installed by .ci/run; without it these
//! tests say so and skip, except under CI=true, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;

use common::Mosquitto;
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const FILTER: &str = "factory/+/telemetry";

fn support(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf_support").join(p)
}

fn proto_flags() -> Vec<String> {
    vec![
        "--proto".into(),
        format!("{FILTER}=acme.Telemetry:{}", support("proto/acme/telemetry.proto").display()),
        "--proto-path".into(),
        support("proto").display().to_string(),
    ]
}

/// Whether python3 can import google.protobuf; under CI=true it must.
fn python_protobuf() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import google.protobuf"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("python3 -c 'import google.protobuf' failed, and CI must run these tests: pip install protobuf");
        }
        eprintln!("skipping: python3 -c 'import google.protobuf' failed (pip install protobuf)");
    }
    ok
}

fn run(args: &[String], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .env_remove("MQSCOPE_CONFIG")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    common::output_within(child, Duration::from_secs(60), &format!("mqscope {args:?}"))
}

fn strings(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Python's cases: name, wire bytes, Python's JSON.
fn python_cases(dir: &Path) -> Vec<(String, Vec<u8>, Value)> {
    let out = Command::new("python3").arg(support("encode.py")).arg("cases").arg(dir).output().unwrap();
    assert!(out.status.success(), "encode.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|name| {
            let bin = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
            let json =
                serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap()).unwrap();
            (name.to_string(), bin, json)
        })
        .collect()
}

/// `sub --retained-only -F json` on the filter: one JSON object per topic.
fn sub_json(url: &str, extra: &[String]) -> (Output, Vec<Value>) {
    let mut args =
        strings(&["sub", "-u", url, "-t", "factory/#", "--retained-only", "--idle-ms", "1500", "-F", "json"]);
    args.extend_from_slice(extra);
    let out = run(&args, None);
    let lines = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (out, lines)
}

fn by_topic<'a>(lines: &'a [Value], topic: &str) -> &'a Value {
    lines.iter().find(|l| l["topic"] == topic).unwrap_or_else(|| panic!("no message on {topic} in {lines:?}"))
}

#[test]
fn python_payloads_decode_in_sub_json_as_python_prints_them() {
    if !python_protobuf() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    let dir = tempfile::tempdir().unwrap();
    let cases = python_cases(dir.path());
    assert_eq!(cases.len(), 3);
    for (name, _, _) in &cases {
        let file = dir.path().join(format!("{name}.bin")).display().to_string();
        let out = run(
            &strings(&["pub", "-u", &url, "-t", &format!("factory/{name}/telemetry"), "-f", &file, "-r", "-q", "1"]),
            None,
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = run(
        &strings(&["pub", "-u", &url, "-t", "factory/bad/telemetry", "-m", "\u{ff}not protobuf", "-r", "-q", "1"]),
        None,
    );
    assert!(out.status.success());

    let (out, lines) = sub_json(&url, &proto_flags());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (name, _, python) in &cases {
        let line = by_topic(&lines, &format!("factory/{name}/telemetry"));
        assert_eq!(line["protobuf"], *python, "{name}");
    }
    assert_eq!(by_topic(&lines, "factory/full/telemetry")["protobuf"]["seq"], json!("42"));
    let bad = by_topic(&lines, "factory/bad/telemetry");
    assert!(bad["protobuf_error"].as_str().unwrap().starts_with("not valid acme.Telemetry"), "{bad}");
    // The hostile strings are escaped on the way out.
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(!raw.contains('\x1b') && !raw.contains('\u{202e}') && !raw.contains('\x07'), "{raw}");

    // The same through a profile's payload_views, paths relative to the config file.
    let proto_dir = dir.path().join("p");
    std::fs::create_dir_all(proto_dir.join("acme")).unwrap();
    for f in ["telemetry.proto", "common.proto"] {
        std::fs::copy(support(&format!("proto/acme/{f}")), proto_dir.join("acme").join(f)).unwrap();
    }
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.plant]\nurl = \"{url}\"\n[profiles.plant.payload_views]\n\"{FILTER}\" = {{ protobuf = \"acme.Telemetry\", files = [\"p/acme/telemetry.proto\"], include = [\"p\"] }}\n"
        ),
    )
    .unwrap();
    let (out, lines) = sub_json(&url, &strings(&["--config", &config.display().to_string(), "-P", "plant"]));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(by_topic(&lines, "factory/full/telemetry")["protobuf"], cases[0].2);

    // A JSON Schema checks the decoded JSON form.
    let schema = dir.path().join("t.schema.json");
    std::fs::write(&schema, r#"{"type":"object","required":["temperature"]}"#).unwrap();
    let mut args = proto_flags();
    args.extend(strings(&["--schema", &format!("{FILTER}={}", schema.display()), "--validate"]));
    let (out, lines) = sub_json(&url, &args);
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(by_topic(&lines, "factory/full/telemetry")["schema"]["violations"].as_array().unwrap().is_empty());
    let note = &by_topic(&lines, "factory/note/telemetry")["schema"]["violations"][0];
    assert_eq!(note["keyword"], "required", "{note}");
    let bad = &by_topic(&lines, "factory/bad/telemetry")["schema"]["violations"][0];
    assert_eq!(bad["keyword"], "protobuf", "{bad}");
}

#[test]
fn pub_encode_protobuf_writes_what_python_decodes_back() {
    if !python_protobuf() {
        return;
    }
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    let given = json!({"device":"press-9","seq":"-7","temperature":19.25,"status":"STOPPED","samples":[0.5],
        "counters":{"a":1},"location":{"site":"C"},"alarm":{"code":3,"severity":"WARN"},
        "tags":[{"key":"k","value":"v"}],"raw":"AAE=","ok":true,"batteryPct":12});
    let mut args =
        strings(&["pub", "-u", &url, "-t", "factory/rt/telemetry", "-r", "-q", "1", "--encode", "protobuf", "-m"]);
    args.push(given.to_string());
    args.extend(proto_flags());
    let out = run(&args, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Each line of -l too.
    let mut args =
        strings(&["pub", "-u", &url, "-t", "factory/lines/telemetry", "-r", "-q", "1", "--encode", "protobuf", "-l"]);
    args.extend(proto_flags());
    let out = run(&args, Some(b"{\"device\":\"one\"}\n{\"device\":\"two\"}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (_, lines) = sub_json(&url, &[]);
    let hex = by_topic(&lines, "factory/rt/telemetry")["payload_hex"].as_str().unwrap().replace(' ', "");
    let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    let mut python = Command::new("python3")
        .arg(support("encode.py"))
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    python.stdin.take().unwrap().write_all(&bytes).unwrap();
    let decoded = python.wait_with_output().unwrap();
    assert!(decoded.status.success());
    let decoded: Value = serde_json::from_slice(&decoded.stdout).unwrap();
    assert_eq!(decoded, given);
    let (_, lines) = sub_json(&url, &proto_flags());
    assert_eq!(by_topic(&lines, "factory/lines/telemetry")["protobuf"], json!({"device": "two"}));

    // JSON that does not fit the type: exit 2, the reason, nothing sent.
    let mut args = strings(&[
        "pub",
        "-u",
        &url,
        "-t",
        "factory/x/telemetry",
        "-r",
        "--encode",
        "protobuf",
        "-m",
        "{\"temprature\": 1}",
    ]);
    args.extend(proto_flags());
    let out = run(&args, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("does not fit acme.Telemetry") && err.contains("temprature"), "{err}");
    // A topic with no message type.
    let mut args = strings(&["pub", "-u", &url, "-t", "other", "--encode", "protobuf", "-m", "{}"]);
    args.extend(proto_flags());
    let out = run(&args, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no Protobuf message type for topic 'other'"), "{err}");
    let (_, lines) = sub_json(&url, &[]);
    assert!(lines.iter().all(|l| l["topic"] != "factory/x/telemetry"), "{lines:?}");
}

#[test]
fn the_raw_view_reads_python_bytes_by_field_number() {
    if !python_protobuf() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = python_cases(dir.path());
    let raw = mqscope::payload::protobuf::raw::decode(&cases[0].1).unwrap();
    assert_eq!(raw["1"], "press-7");
    assert_eq!(raw["2"], 42);
    assert_eq!(raw["4"], 1);
    assert_eq!(raw["7"], json!({"1": "0x404a400000000000", "2": "0x402a800000000000", "3": "B"}));
    assert_eq!(raw["9"], json!({"1": 7, "2": "over temperature", "3": 2}));
    assert_eq!(raw["10"], json!([{"1": "line", "2": "4"}, {"1": "shift", "2": "night"}]));
    assert_eq!(raw["11"], "0102ff");
    // A negative int64 is a ten-byte varint: its two's complement as an unsigned number.
    let note = mqscope::payload::protobuf::raw::decode(&cases[1].1).unwrap();
    assert_eq!(note["2"], json!(u64::MAX - 4));
}

#[test]
fn proto_errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.proto");
    std::fs::write(&bad, "syntax = \"proto3\";\nmessage M {\n  int32 a = 1;\n  strin b = 2;\n}\n").unwrap();
    let out = run(
        &strings(&["sub", "-u", "mqtt://127.0.0.1:1", "-t", "x", "--proto", &format!("x=M:{}", bad.display())]),
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:4:3: ", bad.display())), "{err}");
    let mut args = strings(&["sub", "-u", "mqtt://127.0.0.1:1", "-t", "x", "--proto"]);
    args.push(format!("{FILTER}=acme.Telemetri:{}", support("proto/acme/telemetry.proto").display()));
    args.extend(strings(&["--proto-path", &support("proto").display().to_string()]));
    let out = run(&args, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no message type 'acme.Telemetri'") && err.contains("acme.Telemetry.Alarm"), "{err}");
    let out = run(&strings(&["sub", "-u", "mqtt://127.0.0.1:1", "-t", "x", "--proto", "x=M"]), None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILTER=TYPE:FILE"));
}
