//! Sparkplug B payloads built by an independent encoder (Eclipse Tahu's JavaScript library, npm
//! `sparkplug-payload`, installed by .ci/run under target/npm or `$MQSCOPE_NODE_MODULES`), published through
//! mosquitto and read back with `mqscope sub -F json`: metric names (also from aliases), values, datatypes,
//! seq gap and out-of-order counts, node and device states; and plain payloads on other topics stay plain.
//! Without node, the package or mosquitto the test skips with a reason, unless CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_macros)] // the skip reason goes to stderr as the other tests do

mod common;

use common::Mosquitto;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn node_modules() -> PathBuf {
    std::env::var_os("MQSCOPE_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules"))
}

/// Encodes each `(name, payload)` with Tahu into `dir/name`; `None` (after saying why) when node or the
/// package is missing outside CI.
fn tahu_encode(dir: &Path, jobs: &[(&str, Value)]) -> Option<()> {
    let modules = node_modules();
    if Command::new("node").arg("--version").output().is_err() || !modules.join("sparkplug-payload").is_dir() {
        let why = format!(
            "node or sparkplug-payload not found in {} (npm install --prefix target/npm sparkplug-payload, as .ci/run does)",
            modules.display()
        );
        assert!(!ci(), "{why}, and CI must run the Sparkplug tests");
        eprintln!("skipping: {why}");
        return None;
    }
    let list: Vec<Value> = jobs.iter().map(|(name, p)| json!({"file": dir.join(name), "payload": p})).collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sparkplug_support/tahu_encode.js");
    let mut child = Command::new("node").arg(script).arg(&modules).stdin(Stdio::piped()).spawn().expect("node starts");
    child.stdin.take().expect("stdin").write_all(Value::Array(list).to_string().as_bytes()).expect("write jobs");
    assert!(child.wait().expect("node runs").success(), "the Tahu encoder failed");
    Some(())
}

fn publish_file(port: u16, topic: &str, file: &Path) {
    let status = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1", "-t", topic, "-f"])
        .arg(file)
        .status()
        .expect("mosquitto_pub runs");
    assert!(status.success(), "mosquitto_pub {topic}");
}

#[test]
fn tahu_payloads_decode_with_names_seq_checks_and_states() {
    let Some(broker) = Mosquitto::start() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let metric = |name: Option<&str>, alias: u64, ty: &str, value: Value| {
        let mut m = json!({"alias": alias, "type": ty, "value": value});
        if let Some(n) = name {
            m["name"] = json!(n);
        }
        m
    };
    let payload = |seq: Option<u64>, metrics: Vec<Value>| {
        let mut p = json!({"timestamp": 1_700_000_000_000u64, "metrics": metrics});
        if let Some(s) = seq {
            p["seq"] = json!(s);
        }
        p
    };
    // (file, topic, payload): a session with a gap, a late message, a device death, the node's death and rebirth.
    let steps: Vec<(&str, &str, Value)> = vec![
        (
            "nbirth",
            "spBv1.0/plant/NBIRTH/edge1",
            payload(
                Some(0),
                vec![
                    json!({"name": "bdSeq", "type": "UInt64", "value": 0}),
                    metric(Some("Node Control/Rebirth"), 1, "Boolean", json!(false)),
                ],
            ),
        ),
        (
            "dbirth_pump",
            "spBv1.0/plant/DBIRTH/edge1/pump",
            payload(
                Some(1),
                vec![
                    metric(Some("Temperature"), 10, "Double", json!(20.0)),
                    metric(Some("Count"), 12, "Int32", json!(-3)),
                    metric(Some("Label"), 13, "String", json!("pump A")),
                    metric(Some("Running"), 11, "Boolean", json!(true)),
                ],
            ),
        ),
        (
            "dbirth_fan",
            "spBv1.0/plant/DBIRTH/edge1/fan",
            payload(Some(2), vec![metric(Some("Speed"), 20, "Int16", json!(-100))]),
        ),
        (
            "ddata_pump",
            "spBv1.0/plant/DDATA/edge1/pump",
            payload(Some(3), vec![metric(None, 10, "Double", json!(21.5)), metric(None, 12, "Int32", json!(-7))]),
        ),
        (
            "ddata_fan_gap",
            "spBv1.0/plant/DDATA/edge1/fan",
            payload(Some(5), vec![metric(None, 20, "Int16", json!(300))]),
        ),
        (
            "ddata_pump_late",
            "spBv1.0/plant/DDATA/edge1/pump",
            payload(Some(4), vec![metric(None, 11, "Boolean", json!(false))]),
        ),
        (
            "ddata_unknown",
            "spBv1.0/plant/DDATA/edge1/pump",
            payload(Some(6), vec![metric(None, 99, "Float", json!(1.5))]),
        ),
        ("ddeath_fan", "spBv1.0/plant/DDEATH/edge1/fan", payload(Some(7), vec![])),
        (
            "ndeath",
            "spBv1.0/plant/NDEATH/edge1",
            payload(None, vec![json!({"name": "bdSeq", "type": "UInt64", "value": 0})]),
        ),
        (
            "nbirth2",
            "spBv1.0/plant/NBIRTH/edge1",
            payload(Some(0), vec![json!({"name": "bdSeq", "type": "UInt64", "value": 1})]),
        ),
    ];
    let jobs: Vec<(&str, Value)> = steps.iter().map(|(f, _, p)| (*f, p.clone())).collect();
    if tahu_encode(dir.path(), &jobs).is_none() {
        return;
    }
    // The MQTT Explorer failure: plain payloads on other topics.
    let plain: [(&str, &[u8]); 4] = [
        ("plain/status", b"empty"),
        ("plain/count", b"5000"),
        ("plain/temp", b"55.49"),
        ("plain/raw", &[0x08, 0x96, 0x01, 0x12, 0x00, 0xff]),
    ];
    for (topic, body) in plain {
        std::fs::write(dir.path().join(topic.replace('/', "_")), body).expect("write");
    }

    let exe = env!("CARGO_BIN_EXE_mqscope");
    let mut sub = Command::new(exe)
        .args(["sub", "-u", &broker.tcp_url(), "-t", "spBv1.0/#", "-t", "plain/#", "-q", "1", "-F", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mqscope sub starts");
    let stdout = sub.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<Value>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(serde_json::from_str(&line).expect("each line is JSON")).is_err() {
                break;
            }
        }
    });
    // Publish a probe until it comes back: then the subscription is in place.
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"probe").expect("write");
    let until = Instant::now() + Duration::from_secs(30);
    'ready: loop {
        assert!(Instant::now() < until, "mqscope sub never received the probe");
        publish_file(broker.tcp_port, "plain/probe", &probe);
        while let Ok(v) = rx.recv_timeout(Duration::from_millis(300)) {
            if v["topic"] == "plain/probe" {
                break 'ready;
            }
        }
    }
    for (file, topic, _) in &steps {
        publish_file(broker.tcp_port, topic, &dir.path().join(file));
    }
    for (topic, _) in plain {
        publish_file(broker.tcp_port, topic, &dir.path().join(topic.replace('/', "_")));
    }
    let mut lines = Vec::new();
    while lines.len() < steps.len() + plain.len() {
        let v = rx.recv_timeout(Duration::from_secs(30)).expect("every message printed");
        if v["topic"] != "plain/probe" {
            lines.push(v);
        }
    }
    sub.kill().expect("stop mqscope sub");
    let _ = sub.wait();
    let _ = reader.join();

    let names_values = |v: &Value| -> Vec<(String, Value, String)> {
        v["sparkplug"]["metrics"]
            .as_array()
            .expect("decoded metrics")
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap_or("").to_owned(),
                    m["value"].clone(),
                    m["datatype"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let node = |i: usize, key: &str| lines[i]["sparkplug_node"][key].clone();
    for (i, (_, topic, _)) in steps.iter().enumerate() {
        assert_eq!(lines[i]["topic"], json!(topic), "messages arrive in order");
        assert!(lines[i].get("sparkplug_error").is_none(), "{}", lines[i]);
    }
    assert_eq!(lines[0]["sparkplug"]["seq"], json!(0));
    assert_eq!(
        names_values(&lines[1]),
        vec![
            ("Temperature".into(), json!(20.0), "Double".into()),
            ("Count".into(), json!(-3), "Int32".into()),
            ("Label".into(), json!("pump A"), "String".into()),
            ("Running".into(), json!(true), "Boolean".into()),
        ]
    );
    assert_eq!(names_values(&lines[2]), vec![("Speed".into(), json!(-100), "Int16".into())]);
    // DDATA by alias only: names from the DBIRTH.
    assert_eq!(
        names_values(&lines[3]),
        vec![("Temperature".into(), json!(21.5), "Double".into()), ("Count".into(), json!(-7), "Int32".into())]
    );
    assert_eq!((node(3, "seq_gaps"), node(3, "seq_out_of_order")), (json!(0), json!(0)));
    assert_eq!(names_values(&lines[4]), vec![("Speed".into(), json!(300), "Int16".into())]);
    assert_eq!(node(4, "seq_gaps"), json!(1), "seq 5 after 3 is a gap");
    assert_eq!(names_values(&lines[5]), vec![("Running".into(), json!(false), "Boolean".into())]);
    assert_eq!(node(5, "seq_out_of_order"), json!(1), "seq 4 after 5 is out of order");
    assert_eq!(names_values(&lines[6]), vec![("alias 99 (no birth seen)".into(), json!(1.5), "Float".into())]);
    assert_eq!((node(6, "online"), node(6, "device_online")), (json!(true), json!(true)));
    assert_eq!(node(7, "device_online"), json!(false), "DDEATH");
    assert_eq!(node(8, "online"), json!(false), "NDEATH with the NBIRTH's bdSeq");
    assert_eq!(node(8, "bd_seq_mismatches"), json!(0));
    assert_eq!(node(9, "online"), json!(true), "rebirth");

    for (i, (topic, body)) in plain.iter().enumerate() {
        let v = &lines[steps.len() + i];
        assert_eq!(v["topic"], json!(topic));
        assert!(v.get("sparkplug").is_none() && v.get("sparkplug_error").is_none(), "{v}");
        assert_eq!(v["payload_len"], json!(body.len()));
    }
}
