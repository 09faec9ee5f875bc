//! The real binary against brokers (fake peers) and files that try to take over the terminal: every
//! string from the wire or a file (reason strings, server references, WebSocket close reasons, topics,
//! field names in a recording) must reach stdout and stderr escaped. A control byte, an escape
//! sequence or an invisible character in the output fails the test. A broker that ignores a request
//! must end a command with a clear error, never leave it waiting.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{FakePeer, FakeTcpServer, FakeWsServer, SubprotocolAnswer, WAIT};
use futures_util::{SinkExt, StreamExt};
use mqscope::codec::{
    Ack, ConnAck, Packet, Properties, Property, ProtocolVersion, Publish, QoS, ReasonPacket, SubAck, UnsubAck,
};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const V5: ProtocolVersion = ProtocolVersion::V5;

/// Sets the title, clears the screen, prints a red "login ok", reorders text, hides a character.
const EVIL: &str = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31mlogin ok\u{1b}[0m\u{9b}\u{202e}x\u{200b}y\rfake";

/// What the binary wrote and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Fails on any control character but newline, and on any bidi or invisible character.
fn assert_clean(what: &str, text: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n') || matches!(c, '\u{200b}' | '\u{202e}' | '\u{feff}');
        assert!(!bad, "{what} carries U+{:04X} raw:\n{text:?}", c as u32);
    }
}

/// Runs mqscope with `args` while `broker` plays its part; the run is bounded.
async fn run<F: Future<Output = ()>>(args: &[&str], broker: F) -> Run {
    run_with_env(args, &[], broker).await
}

async fn run_with_env<F: Future<Output = ()>>(args: &[&str], env: &[(&str, &str)], broker: F) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read_out = tokio::spawn(async move {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v).await;
        v
    });
    let read_err = tokio::spawn(async move {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v).await;
        v
    });
    broker.await;
    let status = match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
        Ok(s) => s.unwrap(),
        Err(_) => {
            child.kill().await.unwrap();
            child.wait().await.unwrap()
        }
    };
    let stdout = String::from_utf8(read_out.await.unwrap()).expect("stdout is UTF-8");
    let stderr = String::from_utf8(read_err.await.unwrap()).expect("stderr is UTF-8");
    Run { code: status.code(), stdout, stderr }
}

fn reason_string() -> Properties {
    Properties(vec![Property::ReasonString(EVIL.into())])
}

fn hostile_props() -> Properties {
    Properties(vec![Property::ReasonString(EVIL.into()), Property::ServerReference(EVIL.into())])
}

async fn accept_connect(server: &FakeTcpServer) -> FakePeer {
    let mut peer = server.accept().await;
    let packet = peer.read_packet(V5).await.expect("CONNECT");
    assert!(matches!(packet, Packet::Connect(_)), "{packet:?}");
    peer
}

async fn accept_connected(server: &FakeTcpServer) -> FakePeer {
    let mut peer = accept_connect(server).await;
    let ok = ConnAck { session_present: false, reason_code: 0, properties: Properties::default() };
    peer.send_packet(&Packet::ConnAck(ok), V5).await;
    peer
}

/// Answers the next SUBSCRIBE with `codes` (or granted QoS 0 for each filter) and `properties`.
async fn answer_subscribe(peer: &mut FakePeer, codes: Option<Vec<u8>>, properties: Properties) {
    let Some(Packet::Subscribe(s)) = peer.read_packet(V5).await else { panic!("expected SUBSCRIBE") };
    let reason_codes = codes.unwrap_or_else(|| vec![0; s.subscriptions.len()]);
    peer.send_packet(&Packet::SubAck(SubAck { packet_id: s.packet_id, properties, reason_codes }), V5).await;
}

fn evil_publish() -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtMostOnce,
        retain: true,
        topic: format!("t/{EVIL}").into(),
        packet_id: None,
        properties: Properties(vec![Property::UserProperty(EVIL.into(), EVIL.into())]),
        payload: EVIL.as_bytes().to_vec().into(),
    })
}

#[tokio::test]
async fn sub_escapes_a_refused_connack_reason_string_and_server_reference() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let r = run(&["sub", "-u", &url, "--mqtt", "5", "-t", "#"], async {
        let mut peer = accept_connect(&server).await;
        let refused = ConnAck { session_present: false, reason_code: 0x87, properties: hostile_props() };
        peer.send_packet(&Packet::ConnAck(refused), V5).await;
        peer.shutdown().await;
    })
    .await;
    assert_clean("stderr", &r.stderr);
    assert_eq!(r.code, Some(4), "refused credentials: {}", r.stderr);
    assert!(r.stderr.contains("\\e]0;PWNED\\x07"), "the reason is shown escaped: {}", r.stderr);
    assert!(r.stderr.contains("server reference: \\e]0;"), "{}", r.stderr);
}

#[tokio::test]
async fn sub_escapes_suback_and_disconnect_reasons_and_json_output() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let r = run(&["sub", "-u", &url, "--mqtt", "5", "-t", "a", "-t", "t/#", "-F", "json", "-d", "-W", "4"], async {
        let mut peer = accept_connected(&server).await;
        answer_subscribe(&mut peer, Some(vec![0x87, 0]), reason_string()).await;
        peer.send_packet(&evil_publish(), V5).await;
        let bye = ReasonPacket { reason_code: 0x9C, properties: hostile_props() };
        peer.send_packet(&Packet::Disconnect(bye), V5).await;
        peer.shutdown().await;
        drop(server);
    })
    .await;
    assert_clean("stdout", &r.stdout);
    assert_clean("stderr", &r.stderr);
    assert!(r.stdout.contains("\\u001b]0;PWNED"), "JSON escapes the topic: {}", r.stdout);
    assert!(r.stderr.contains("broker says: \\e]0;PWNED"), "{}", r.stderr);
    assert!(r.stderr.contains("Use another server: \\e]0;PWNED"), "{}", r.stderr);
}

#[tokio::test]
async fn pub_escapes_a_puback_reason_string() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let r = run(&["pub", "-u", &url, "--mqtt", "5", "-t", "t", "-m", "x", "-q", "1", "-d"], async {
        let mut peer = accept_connected(&server).await;
        let Some(Packet::Publish(p)) = peer.read_packet(V5).await else { panic!("expected PUBLISH") };
        let ack = Ack {
            packet_id: p.packet_id.unwrap(),
            reason_code: 0x87,
            properties: Properties(vec![Property::ReasonString(EVIL.into())]),
        };
        peer.send_packet(&Packet::PubAck(ack), V5).await;
        let _ = peer.read_packet(V5).await;
    })
    .await;
    assert_clean("stderr", &r.stderr);
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("not delivered") && r.stderr.contains("\\e]0;PWNED"), "{}", r.stderr);
}

#[tokio::test]
async fn sub_escapes_a_websocket_close_reason() {
    let server = FakeWsServer::bind().await;
    let url = server.url("/mqtt");
    let r = run(&["sub", "-u", &url, "--mqtt", "3.1.1", "-t", "#"], async {
        let mut peer = server.accept(SubprotocolAnswer::FirstOffered).await;
        let _ = peer.next_message().await;
        // A close reason is at most 123 bytes.
        let reason = "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31mlogin ok\u{1b}[0m";
        let frame = CloseFrame { code: CloseCode::Policy, reason: reason.into() };
        let _ = peer.ws.send(Message::Close(Some(frame))).await;
        let _ = tokio::time::timeout(WAIT, peer.ws.next()).await;
    })
    .await;
    assert_clean("stderr", &r.stderr);
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("\\e]0;PWNED"), "{}", r.stderr);
}

#[tokio::test]
async fn clean_retained_escapes_topics_and_reasons() {
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let r = run(&["clean-retained", "-u", &url, "--mqtt", "5", "-q", "1", "t/#", "--idle-ms", "300"], async {
        let mut peer = accept_connected(&server).await;
        answer_subscribe(&mut peer, None, reason_string()).await;
        peer.send_packet(&evil_publish(), V5).await;
        // The clear: unsubscribe, an empty retained PUBLISH per topic (refused here), disconnect.
        while let Some(p) = peer.read_packet(V5).await {
            match p {
                Packet::Unsubscribe(u) => {
                    let ack = UnsubAck { packet_id: u.packet_id, properties: reason_string(), reason_codes: vec![0] };
                    peer.send_packet(&Packet::UnsubAck(ack), V5).await;
                }
                Packet::Publish(p) => {
                    let ack = Ack { packet_id: p.packet_id.unwrap(), reason_code: 0x87, properties: reason_string() };
                    peer.send_packet(&Packet::PubAck(ack), V5).await;
                }
                Packet::Disconnect(_) => break,
                _ => {}
            }
        }
    })
    .await;
    assert_clean("stdout", &r.stdout);
    assert_clean("stderr", &r.stderr);
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("could not clear 't/\\e]0;PWNED"), "{}", r.stderr);
}

#[tokio::test]
async fn replay_to_escapes_text_from_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    // A field name serde quotes back in its error.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{{\"{}\": 1}}\n",
            EVIL.replace('\u{1b}', "\\u001b")
                .replace('\u{7}', "\\u0007")
                .replace('\r', "\\r")
                .replace('\u{9b}', "\\u009b")
        ),
    )
    .unwrap();
    let r = run(&["replay", bad.to_str().unwrap(), "--to", "mqtt://127.0.0.1:9"], async {}).await;
    assert_clean("stderr", &r.stderr);
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("\\e]0;PWNED"), "{}", r.stderr);

    // A topic the broker refuses, with its reason string.
    let server = FakeTcpServer::bind().await;
    let url = server.url();
    let rec = dir.path().join("rec.jsonl");
    let topic = serde_json::to_string(&format!("t/{EVIL}")).unwrap();
    std::fs::write(
        &rec,
        format!("{{\"ts\":\"\",\"ts_ms\":0,\"topic\":{topic},\"qos\":1,\"retain\":false,\"payload\":\"x\"}}\n"),
    )
    .unwrap();
    let r = run(&["replay", rec.to_str().unwrap(), "--max", "--to", &url, "--mqtt", "5"], async {
        let mut peer = accept_connected(&server).await;
        let Some(Packet::Publish(p)) = peer.read_packet(V5).await else { panic!("expected PUBLISH") };
        let why = format!("topic {} refused", p.topic);
        let ack = Ack {
            packet_id: p.packet_id.unwrap(),
            reason_code: 0x90,
            properties: Properties(vec![Property::ReasonString(why.into())]),
        };
        peer.send_packet(&Packet::PubAck(ack), V5).await;
        let _ = peer.read_packet(V5).await;
    })
    .await;
    assert_clean("stderr", &r.stderr);
    assert!(r.stderr.contains("\\e]0;PWNED"), "{}", r.stderr);
}

#[tokio::test]
async fn decode_escapes_topics_in_its_output_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("packets.bin");
    let mut bytes = common::encode_packet(&evil_publish(), V5).to_vec();
    bytes.extend_from_slice(&[0x30, 0x05, 0x00, 0x02, 0x1b, b'[', b'x']);
    std::fs::write(&file, &bytes).unwrap();
    for format in [&["--mqtt", "5"][..], &["--mqtt", "5", "--hex"][..]] {
        let input = if format.contains(&"--hex") {
            let hex = dir.path().join("packets.hex");
            std::fs::write(&hex, bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()).unwrap();
            hex
        } else {
            file.clone()
        };
        let mut args = vec!["decode", input.to_str().unwrap()];
        args.extend_from_slice(format);
        let r = run(&args, async {}).await;
        assert_clean("stdout", &r.stdout);
        assert_clean("stderr", &r.stderr);
        assert!(r.stdout.contains("PWNED"), "{}", r.stdout);
    }
}

#[tokio::test]
async fn debug_output_masks_secret_headers_from_flags_files_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("headers");
    std::fs::write(&file, "# for the gateway\nX-Amz-Security-Token: from-file-1\n\nX-Api-Key: from-file-2\n").unwrap();
    let server = FakeWsServer::bind().await;
    let url = server.url("/mqtt");
    let args = [
        "sub",
        "-d",
        "-u",
        &url,
        "--mqtt",
        "3.1.1",
        "-t",
        "#",
        "-W",
        "2",
        "--header",
        "X-Token: from-flag",
        "--header",
        "X-Request-Id: 42",
        "--header-file",
        file.to_str().unwrap(),
        "--header-env",
        "GATEWAY_HEADERS",
    ];
    let seen = std::sync::Mutex::new(Vec::new());
    let r = run_with_env(&args, &[("GATEWAY_HEADERS", "Cookie: from-env-1\nX-Session: from-env-2")], async {
        let mut peer = server.accept(SubprotocolAnswer::FirstOffered).await;
        *seen.lock().unwrap() = peer.request_headers.clone();
        let _ = peer.next_message().await;
    })
    .await;
    let seen = seen.into_inner().unwrap();
    for (name, value) in [
        ("x-token", "from-flag"),
        ("x-amz-security-token", "from-file-1"),
        ("x-api-key", "from-file-2"),
        ("cookie", "from-env-1"),
        ("x-session", "from-env-2"),
        ("x-request-id", "42"),
    ] {
        assert!(seen.iter().any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value), "{name} not sent: {seen:?}");
    }
    assert!(r.stderr.contains("> X-Request-Id: 42") || r.stderr.contains("> x-request-id: 42"), "{}", r.stderr);
    for secret in ["from-flag", "from-file-1", "from-file-2", "from-env-1", "from-env-2"] {
        assert!(!r.stderr.contains(secret), "{secret} shown:\n{}", r.stderr);
    }
    assert_clean("stderr", &r.stderr);
}

#[tokio::test]
async fn a_password_or_a_signed_query_in_the_url_is_never_shown() {
    let server = FakeWsServer::bind().await;
    let url = format!("ws://me:hunter2@{}/mqtt?X-Amz-Signature=sig-secret&X-Amz-Date=20250101", server.addr);
    let target = std::sync::Mutex::new(String::new());
    let r = run(&["sub", "-d", "-u", &url, "--mqtt", "3.1.1", "-t", "#"], async {
        let mut peer = server.accept(SubprotocolAnswer::FirstOffered).await;
        let _ = peer.next_message().await;
        let reason = "policy";
        let _ = peer.ws.send(Message::Close(Some(CloseFrame { code: CloseCode::Policy, reason: reason.into() }))).await;
        *target.lock().unwrap() = "seen".into();
    })
    .await;
    assert_eq!(*target.lock().unwrap(), "seen");
    assert!(r.stderr.contains("X-Amz-Date=20250101"), "{}", r.stderr);
    assert!(r.stderr.contains("X-Amz-Signature=***"), "{}", r.stderr);
    for secret in ["hunter2", "sig-secret"] {
        assert!(!r.stderr.contains(secret), "{secret} shown:\n{}", r.stderr);
    }
}

/// Reads what the client sends (answering keepalive) until it closes the connection; returns the
/// packets, or panics after `WAIT`.
async fn read_until_closed(peer: &mut FakePeer) -> Vec<Packet> {
    let mut seen = Vec::new();
    let read = async {
        while let Some(p) = peer.read_packet(V5).await {
            if p == Packet::PingReq {
                peer.send_packet(&Packet::PingResp, V5).await;
            }
            seen.push(p);
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("the client never closed the connection");
    seen
}

#[tokio::test]
async fn sub_ends_with_a_timeout_when_the_broker_never_answers_subscribe() {
    for wrong_suback in [false, true] {
        let server = FakeTcpServer::bind().await;
        let url = server.url();
        let args = ["sub", "-u", &url, "--mqtt", "5", "-t", "a/#", "--connect-timeout", "1", "--keepalive", "1"];
        let r = run(&args, async {
            let mut peer = accept_connected(&server).await;
            let Some(Packet::Subscribe(s)) = peer.read_packet(V5).await else { panic!("expected SUBSCRIBE") };
            if wrong_suback {
                let other = SubAck {
                    packet_id: s.packet_id ^ 0x7f7f,
                    properties: Properties::default(),
                    reason_codes: vec![0],
                };
                peer.send_packet(&Packet::SubAck(other), V5).await;
            }
            read_until_closed(&mut peer).await;
            // No second connection: a broker that ignored SUBSCRIBE would ignore it again.
            let again = tokio::time::timeout(Duration::from_secs(2), server.accept_raw()).await;
            assert!(again.is_err(), "sub reconnected to a broker that ignores SUBSCRIBE");
        })
        .await;
        assert_eq!(r.code, Some(6), "a timeout (wrong SUBACK: {wrong_suback}): {}", r.stderr);
        assert!(r.stderr.contains("no answer (SUBACK) to SUBSCRIBE 'a/#' within 3 s"), "{}", r.stderr);
    }
}
