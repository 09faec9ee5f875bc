//! `mqscope decode` run as a process, the way users pipe captures into it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn decode(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mqscope");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

#[test]
fn raw_stream_of_v5_connect_and_publish_prints_one_json_object_each() {
    let bytes = [
        0x10, 0x10, // CONNECT, remaining length 16
        0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
        0x05, // level 5
        0x02, // clean start
        0x00, 0x3c, // keep alive 60
        0x03, 0x21, 0x00, 0x0a, // properties: receive maximum 10
        0x00, 0x00, // client id ""
        0x32, 0x0e, // PUBLISH QoS 1, remaining length 14
        0x00, 0x01, b't', // topic "t"
        0x00, 0x07, // packet id 7
        0x07, 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // user property k=v
        0xff, // payload, not UTF-8
    ];
    let out = decode(&[], &bytes);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["type"], "CONNECT");
    assert_eq!(v[0]["protocol_version"], "5.0");
    assert_eq!(v[0]["properties"]["receive_maximum"], 10);
    // The CONNECT switched the decoder to 5.0, so the PUBLISH properties were read.
    assert_eq!(v[1]["type"], "PUBLISH");
    assert_eq!(v[1]["packet_id"], 7);
    assert_eq!(v[1]["properties"]["user_property"], serde_json::json!([["k", "v"]]));
    assert_eq!(v[1]["payload_hex"], "ff");
    assert!(v[1].get("payload_text").is_none());
}

#[test]
fn hex_suback_with_v5_reason_names() {
    let out = decode(&["--hex", "--mqtt", "5"], b"90 05 00 01 00 01 87\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = lines(&out);
    assert_eq!(v[0]["reason_codes"][0]["name"], "Granted QoS 1");
    assert_eq!(v[0]["reason_codes"][1]["name"], "Not authorized");
}

#[test]
fn malformed_input_exits_5_and_names_packet_field_and_offset() {
    // PUBLISH with QoS 3 in the fixed header.
    let out = decode(&["--hex"], b"36 03 00 01 61");
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PUBLISH") && err.contains("fixed header flags") && err.contains("QoS 3"), "{err}");
    assert!(out.stdout.is_empty());
}

/// CONNECTs a mosquitto 2.0.11 bridge sent (`connection site1`, captured on the wire): protocol level 4
/// and 3 with the bridge bit 0x80 set (`try_private`), a will on its state topic.
const BRIDGE_CONNECT_3_1_1: &str = "104600044d515454842e003c000c6272696467652d73697465310029245359532f62726f6b65722f\
636f6e6e656374696f6e2f6272696467652d73697465312f7374617465000130";
const BRIDGE_CONNECT_3_1: &str = "103600064d5149736470832e003c00036233310020245359532f62726f6b65722f636f6e6e656374\
696f6e2f6233312f7374617465000130";

#[test]
fn a_mosquitto_bridge_connect_is_decoded_and_shown_as_a_bridge() {
    for (hex, level, version) in [(BRIDGE_CONNECT_3_1_1, 4, "3.1.1"), (BRIDGE_CONNECT_3_1, 3, "3.1")] {
        let out = decode(&["--hex"], hex.as_bytes());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v = &lines(&out)[0];
        assert_eq!(v["type"], "CONNECT", "{v}");
        assert_eq!(v["bridge"], true, "{v}");
        assert_eq!(v["protocol_level"], level | 0x80, "the byte on the wire: {v}");
        assert_eq!(v["protocol_version"], version, "{v}");
        assert_eq!(v["will"]["topic"].as_str().map(|t| t.ends_with("/state")), Some(true), "{v}");
    }
}
