//! The session and `mqscope pub`/`sub` against Debian's mosquitto (skipped when it is not installed,
//! required under CI=true): QoS 0/1/2 both ways over ws, wss, tcp and tls; retained messages; wildcards;
//! byte-exact binary payloads; 1 MiB; MQTT 5 properties; a broker restart in the middle of a QoS 1 stream;
//! wrong passwords; `-d`; `--insecure`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod session_support;

use common::{Mosquitto, MosquittoOptions};
use mqscope::codec::{ProtocolVersion, QoS};
use mqscope::session::TaskOptions;
use session_support::{Client, Proc, STEP, mqscope, publish_ok, run, sub, sub_ready, task_options, unique};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn options(broker: &Mosquitto, url: String, id: &str, version: Option<ProtocolVersion>) -> TaskOptions {
    task_options(broker.options(url), &unique(id), version)
}

async fn client(broker: &Mosquitto, url: String, id: &str, version: Option<ProtocolVersion>) -> Client {
    let mut c = Client::spawn(options(broker, url, id, version));
    c.connected().await;
    c
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every QoS pair (publish QoS x subscription QoS) arrives once with QoS = min of both, for a subscriber
/// and a publisher on the same transport and protocol version.
async fn qos_matrix(broker: &Mosquitto, url: String, version: Option<ProtocolVersion>) {
    let label = format!("{url} {version:?}");
    let prefix = unique("mq/qos");
    let mut subscribers = Vec::new();
    for sub_qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let mut s = client(broker, url.clone(), "qos-sub", version).await;
        s.subscribe(vec![sub(&format!("{prefix}/#"), sub_qos)]).await;
        subscribers.push((sub_qos, s));
    }
    let mut p = client(broker, url.clone(), "qos-pub", version).await;
    let pub_qoss = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];
    for (i, qos) in pub_qoss.into_iter().enumerate() {
        p.publish(&format!("{prefix}/p{i}"), format!("m{i}"), qos, false).await;
    }
    for (sub_qos, s) in &mut subscribers {
        let got = s.messages(3, STEP).await;
        for (i, m) in got.iter().enumerate() {
            assert_eq!(&*m.topic, format!("{prefix}/p{i}"), "{label}");
            assert_eq!(&m.payload[..], format!("m{i}").as_bytes(), "{label}");
            assert_eq!(m.qos, pub_qoss[i].min(*sub_qos), "{label}: publish QoS {i}, subscription {sub_qos:?}");
        }
        let extra = s.messages_within(Duration::from_millis(200)).await;
        assert!(extra.is_empty(), "{label}: delivered more than once: {extra:?}");
    }
    p.disconnect().await;
    for (_, s) in subscribers {
        s.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_qos_both_ways_over_tcp_and_websocket() {
    let Some(broker) = Mosquitto::start() else { return };
    qos_matrix(&broker, broker.tcp_url(), None).await;
    qos_matrix(&broker, broker.ws_url(), None).await;
    qos_matrix(&broker, broker.ws_url(), Some(ProtocolVersion::V3_1_1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_qos_both_ways_over_tls_and_websocket_over_tls() {
    let Some(broker) = Mosquitto::start() else { return };
    qos_matrix(&broker, broker.tls_url(), None).await;
    qos_matrix(&broker, broker.wss_url(), None).await;
    qos_matrix(&broker, broker.tls_url(), Some(ProtocolVersion::V3_1_1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_cross_transports_and_wildcards_match() {
    let Some(broker) = Mosquitto::start() else { return };
    let prefix = unique("mq/wild");
    let mut plus = client(&broker, broker.wss_url(), "plus", None).await;
    plus.subscribe(vec![sub(&format!("{prefix}/+/temp"), QoS::AtLeastOnce)]).await;
    let mut hash = client(&broker, broker.tls_url(), "hash", Some(ProtocolVersion::V3_1_1)).await;
    hash.subscribe(vec![sub(&format!("{prefix}/a/#"), QoS::ExactlyOnce)]).await;
    let mut p = client(&broker, broker.ws_url(), "wild-pub", None).await;
    let topics = ["a/temp", "b/temp", "a/humidity", "a/b/temp", "temp", "a"];
    for t in topics {
        p.publish(&format!("{prefix}/{t}"), t, QoS::ExactlyOnce, false).await;
    }
    let names = |ms: Vec<mqscope::session::Message>| ms.iter().map(|m| m.topic.to_string()).collect::<Vec<_>>();
    let want = |ts: &[&str]| ts.iter().map(|t| format!("{prefix}/{t}")).collect::<Vec<_>>();
    let mut got = names(plus.messages(2, STEP).await);
    got.extend(names(plus.messages_within(Duration::from_millis(300)).await));
    assert_eq!(got, want(&["a/temp", "b/temp"]), "'+' matches exactly one level");
    let mut got = names(hash.messages(4, STEP).await);
    got.extend(names(hash.messages_within(Duration::from_millis(300)).await));
    assert_eq!(got, want(&["a/temp", "a/humidity", "a/b/temp", "a"]), "'a/#' matches a and everything below");
    for c in [plus, hash, p] {
        c.disconnect().await;
    }
}

#[test]
fn retained_messages_and_retained_only_exits_by_itself() {
    let Some(broker) = Mosquitto::start() else { return };
    let prefix = unique("mq/ret");
    publish_ok(&broker.ws_url(), &["-t", &format!("{prefix}/one"), "-m", "first", "-r", "-q", "1"], None);
    publish_ok(&broker.tcp_url(), &["-t", &format!("{prefix}/two"), "-m", "second", "-r", "-q", "2"], None);
    for url in [broker.ws_url(), broker.tcp_url()] {
        let mut cmd = mqscope();
        cmd.args(["sub", "-u", &url, "-t", &format!("{prefix}/#"), "--retained-only", "-v", "--idle-ms", "500"]);
        let out = run(cmd, None, STEP);
        assert_eq!(out.code(), 0, "{url}: {}", out.stderr);
        let mut lines = out.lines();
        lines.sort();
        assert_eq!(lines, [format!("{prefix}/one first"), format!("{prefix}/two second")], "{url}");
        assert!(out.elapsed < Duration::from_secs(10), "{url}: took {:?}", out.elapsed);
    }
    // A live message ends --retained-only at once and is not printed.
    let mut cmd = mqscope();
    cmd.args(["sub", "-d", "-u", &broker.tcp_url(), "-t", &format!("{prefix}/#"), "--retained-only"]);
    cmd.args(["-F", "json", "--idle-ms", "60000"]);
    let mut p = Proc::start(cmd, None);
    p.wait_stderr("mqscope: subscribed to", STEP);
    publish_ok(&broker.tcp_url(), &["-t", &format!("{prefix}/live"), "-m", "live"], None);
    let out = p.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let objects = out.json();
    assert_eq!(objects.len(), 2, "{objects:?}");
    assert!(objects.iter().all(|o| o["retain"] == true), "{objects:?}");
    // `-n -r` clears a retained message.
    publish_ok(&broker.ws_url(), &["-t", &format!("{prefix}/one"), "-n", "-r"], None);
    let mut cmd = mqscope();
    cmd.args([
        "sub",
        "-u",
        &broker.ws_url(),
        "-t",
        &format!("{prefix}/#"),
        "--retained-only",
        "-v",
        "--idle-ms",
        "300",
    ]);
    let out = run(cmd, None, STEP);
    assert_eq!(out.lines(), [format!("{prefix}/two second")]);
}

#[test]
fn binary_and_invalid_utf8_payloads_arrive_byte_exact() {
    let Some(broker) = Mosquitto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let payloads: Vec<(&str, Vec<u8>)> = vec![
        ("all-bytes", all_bytes),
        ("invalid-utf8", vec![b'o', b'k', 0xc3, 0x28, 0xff, 0xfe, b'\n', 0x00, 0xed, 0xa0, 0x80]),
        ("nul-and-newlines", b"a\0b\r\nc\n".to_vec()),
    ];
    for (url, label) in [(broker.ws_url(), "ws"), (broker.tls_url(), "tls")] {
        let prefix = unique(&format!("mq/bin-{label}"));
        let args = ["-t", &format!("{prefix}/#"), "-C", "3", "-q", "2", "-F", "json"];
        let mut cmd = mqscope();
        cmd.args(["sub", "-d", "-u", &url, "--cafile"]).arg(&broker.ca_file).args(args);
        let mut s = Proc::start(cmd, None);
        s.wait_stderr("mqscope: subscribed to", STEP);
        for (name, data) in &payloads {
            let file = dir.path().join(name);
            std::fs::write(&file, data).unwrap();
            let mut cmd = mqscope();
            cmd.args(["pub", "-u", &url, "--cafile"]).arg(&broker.ca_file);
            cmd.args(["-t", &format!("{prefix}/{name}"), "-q", "1", "-f"]).arg(&file);
            let out = run(cmd, None, STEP);
            assert_eq!(out.code(), 0, "{}", out.stderr);
        }
        let out = s.wait(STEP);
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let objects = out.json();
        assert_eq!(objects.len(), 3);
        for (o, (name, data)) in objects.iter().zip(&payloads) {
            assert_eq!(o["topic"], format!("{prefix}/{name}"), "{label}");
            assert_eq!(o["payload_hex"], hex(data), "{label} {name}");
            assert_eq!(o["payload_len"], data.len(), "{label} {name}");
            match std::str::from_utf8(data) {
                Ok(text) => assert_eq!(o["payload_text"], text, "{label} {name}"),
                Err(_) => assert!(o.get("payload_text").is_none(), "{label} {name}: text for invalid UTF-8: {o}"),
            }
        }
    }
}

/// Published over WebSocket and TCP, received over TCP and TLS. (mosquitto 2.0's libwebsockets sends a big
/// message to a WebSocket subscriber 4 KiB per service loop, about 25 s for 1 MiB; the embedded broker's
/// tests cover receiving 1 MiB over WebSocket.)
#[test]
fn a_one_mebibyte_payload_arrives_intact() {
    let Some(broker) = Mosquitto::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Not a repeating pattern, no newline: a shifted or truncated frame shows.
    let mut state = 0x2545_f491_u32;
    let data: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 255) as u8 + u8::from(state % 255 >= b'\n' as u32)
        })
        .collect();
    assert!(!data.contains(&b'\n'));
    let file = dir.path().join("big");
    std::fs::write(&file, &data).unwrap();
    for (sub_url, pub_url) in [(broker.tcp_url(), broker.ws_url()), (broker.tls_url(), broker.tcp_url())] {
        let topic = unique("mq/big");
        let ca = broker.ca_file.to_str().unwrap();
        let s = sub_ready(&sub_url, &["-t", &topic, "-C", "1", "-q", "1", "--cafile", ca]);
        let mut cmd = mqscope();
        cmd.args(["pub", "-u", &pub_url, "-t", &topic, "-q", "1", "-f"]).arg(&file);
        let out = run(cmd, None, STEP);
        assert_eq!(out.code(), 0, "{}", out.stderr);
        let out = s.wait(STEP);
        assert_eq!(out.code(), 0, "{sub_url}: {}", &out.stderr[..out.stderr.len().min(2000)]);
        assert_eq!(out.stdout.len(), data.len() + 1, "{pub_url} -> {sub_url}");
        assert!(out.stdout[..data.len()] == data[..], "{pub_url} -> {sub_url}: payload differs");
    }
}

#[test]
fn mqtt5_user_properties_content_type_and_expiry_are_delivered_in_order() {
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.wss_url();
    let topic = unique("mq/props");
    let mut cmd = mqscope();
    cmd.args(["sub", "-d", "-u", &url, "--cafile"]).arg(&broker.ca_file);
    cmd.args(["-t", &topic, "-C", "1", "-q", "1", "-F", "json"]);
    let mut s = Proc::start(cmd, None);
    s.wait_stderr("mqscope: subscribed to", STEP);
    let mut cmd = mqscope();
    cmd.args(["pub", "-u", &broker.tcp_url(), "-t", &topic, "-m", "{\"t\":21.5}", "-q", "1"]);
    cmd.args(["--user-property", "zeta=1", "--user-property", "alpha=2", "--user-property", "zeta=3"]);
    cmd.args(["--user-property", "empty=", "--content-type", "application/json", "--expiry", "3600"]);
    let out = run(cmd, None, STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let out = s.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let o = &out.json()[0];
    let props = &o["properties"];
    assert_eq!(
        props["user_property"],
        serde_json::json!([["zeta", "1"], ["alpha", "2"], ["zeta", "3"], ["empty", ""]]),
        "order and repeats kept: {o}"
    );
    assert_eq!(props["content_type"], "application/json", "{o}");
    let expiry = props["message_expiry_interval"].as_u64().expect("expiry");
    assert!((3000..=3600).contains(&expiry), "remaining expiry {expiry}");
    assert_eq!(o["payload_text"], "{\"t\":21.5}");
}

/// A QoS 1 stream from `mqscope pub -l` to a persistent `mqscope sub` session, with the broker stopped and
/// started again on the same ports in the middle: every line arrives at least once.
#[test]
fn broker_restart_in_the_middle_of_a_qos1_stream_loses_nothing() {
    let store = tempfile::tempdir().unwrap();
    let extra = format!("persistence true\npersistence_location {}/\nautosave_interval 0\n", store.path().display());
    let Some(mut broker) = Mosquitto::start_with(MosquittoOptions { extra_config: extra, ..Default::default() }) else {
        return;
    };
    const N: usize = 600;
    let topic = unique("mq/restart");
    let client_id = unique("restart-sub");
    let sub_args = ["-t", &topic, "-q", "1", "--no-clean", "--session-expiry", "600", "--client-id", &client_id];
    let s = sub_ready(&broker.ws_url(), &sub_args);

    let mut cmd = mqscope();
    cmd.args(["pub", "-u", &broker.tcp_url(), "-t", &topic, "-l", "-q", "1", "--ack-timeout", "60"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut publisher = cmd.spawn().unwrap();
    let mut stdin = publisher.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for i in 0..N {
            if writeln!(stdin, "line {i:04}").is_err() {
                return false;
            }
            let _ = stdin.flush();
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    });
    // Stop the broker once part of the stream has arrived.
    let deadline = Instant::now() + STEP;
    while s.stdout_now().iter().filter(|&&b| b == b'\n').count() < N / 4 {
        assert!(Instant::now() < deadline, "the stream did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    broker.stop();
    std::thread::sleep(Duration::from_millis(700));
    broker.start_again();
    assert!(feeder.join().unwrap(), "the publisher stopped reading stdin");
    let status = wait_child(&mut publisher, Duration::from_secs(60));
    let mut pub_err = String::new();
    let _ = std::io::Read::read_to_string(&mut publisher.stderr.take().unwrap(), &mut pub_err);
    assert_eq!(status.code(), Some(0), "mqscope pub: {pub_err}");

    let want: BTreeSet<String> = (0..N).map(|i| format!("line {i:04}")).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        let text = String::from_utf8_lossy(&s.stdout_now()).into_owned();
        let got: BTreeSet<String> = text.lines().map(str::to_owned).collect();
        if want.is_subset(&got) || Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = s.kill();
    let missing: Vec<&String> = want.difference(&got).collect();
    assert!(
        missing.is_empty(),
        "{} of {N} lines lost: {:?}...\nsub stderr:\n{}\npub stderr:\n{pub_err}\nbroker:\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        out.stderr,
        broker.log()
    );
    assert!(out.stderr.contains("reconnecting"), "the subscriber never lost its connection:\n{}", out.stderr);
    assert!(pub_err.contains("reconnecting"), "the publisher never lost its connection:\n{pub_err}");
}

fn wait_child(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process {} did not exit within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn wrong_password_exits_4_promptly_without_reconnecting() {
    let opts = MosquittoOptions { users: vec![("alice".into(), "wonderland".into())], ..Default::default() };
    let Some(broker) = Mosquitto::start_with(opts) else { return };
    for (url, version) in [(broker.tcp_url(), None), (broker.ws_url(), None), (broker.tcp_url(), Some("3.1.1"))] {
        let client_id = unique("badpw");
        let connections = || broker.log().matches("New connection from").count();
        let before = connections();
        let mut cmd = mqscope();
        cmd.args(["sub", "-d", "-u", &url, "-t", "x/#", "--username", "alice", "--password-env", "MQSCOPE_TEST_PW"]);
        cmd.args(["--client-id", &client_id]).env("MQSCOPE_TEST_PW", "not-the-password");
        if let Some(v) = version {
            cmd.args(["--mqtt", v]);
        }
        let out = run(cmd, None, STEP);
        let label = format!("{url} {version:?}");
        assert_eq!(out.code(), 4, "{label}: {}", out.stderr);
        assert!(out.elapsed < Duration::from_secs(5), "{label}: took {:?}", out.elapsed);
        let err = out.stderr.to_lowercase();
        assert!(err.contains("refused"), "{label}: {}", out.stderr);
        assert!(
            err.contains("not authorized") || err.contains("bad user name or password"),
            "{label}: names the problem: {}",
            out.stderr
        );
        assert!(err.contains("--username"), "{label}: hints at the fix: {}", out.stderr);
        assert!(!err.contains("reconnecting"), "{label}: {}", out.stderr);
        assert!(!out.stderr.contains("not-the-password"), "{label}: the password was printed");
        // One connection: no reconnect after the refusal. mosquitto logs TCP connections (not WebSocket
        // ones, and not the client id of a refused client); this broker has no other clients now.
        assert_eq!(out.stderr.matches("TCP connected to").count(), 1, "{label}: {}", out.stderr);
        assert!(!out.stderr.contains("attempt 2"), "{label}: {}", out.stderr);
        if url.starts_with("mqtt:") {
            std::thread::sleep(Duration::from_millis(500));
            assert_eq!(connections() - before, 1, "{label}: connections:\n{}", broker.log());
        }
    }
    // The right password works.
    let mut cmd = mqscope();
    cmd.args(["pub", "-u", &broker.ws_url(), "-t", "x/y", "-m", "hi", "-q", "1", "--username", "alice"]);
    cmd.args(["--password-env", "MQSCOPE_TEST_PW"]).env("MQSCOPE_TEST_PW", "wonderland");
    let out = run(cmd, None, STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
}

#[test]
fn debug_prints_the_websocket_upgrade_and_every_packet() {
    let Some(broker) = Mosquitto::start() else { return };
    let topic = unique("mq/debug");
    let mut s = sub_ready(&broker.ws_url(), &["-t", &topic, "-C", "1", "--header", "X-Token: secret-value"]);
    s.wait_stderr(r#"< {"type":"SUBACK""#, STEP);
    publish_ok(&broker.ws_url(), &["-t", &topic, "-m", "traced"], None);
    let out = s.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let err = &out.stderr;
    let lower = err.to_lowercase();
    assert!(err.contains("> GET /mqtt HTTP/1.1"), "{err}");
    assert!(lower.contains("> sec-websocket-protocol: mqtt"), "{err}");
    assert!(lower.contains("> x-token:"), "{err}");
    assert!(err.contains("< HTTP/1.1 101"), "{err}");
    assert!(lower.contains("< sec-websocket-protocol: mqtt"), "{err}");
    for packet in ["> {\"type\":\"CONNECT\"", "< {\"type\":\"CONNACK\"", "> {\"type\":\"SUBSCRIBE\""] {
        assert!(err.contains(packet), "{packet} missing:\n{err}");
    }
    assert!(err.contains(r#"< {"type":"PUBLISH""#) && err.contains(r#""payload_text":"traced""#), "{err}");
    assert!(err.contains("> {\"type\":\"DISCONNECT\""), "{err}");
    assert_eq!(out.lines(), ["traced"]);
}

#[test]
fn insecure_skips_verification_and_warns_loudly() {
    let Some(broker) = Mosquitto::start() else { return };
    let topic = unique("mq/insecure");
    // Without the CA the test certificate is not trusted...
    let mut cmd = mqscope();
    cmd.args(["pub", "-u", &broker.wss_url(), "-t", &topic, "-m", "x"]);
    let out = run(cmd, None, STEP);
    assert_eq!(out.code(), 3, "{}", out.stderr);
    assert!(out.stderr.contains("unknown authority") && out.stderr.contains("--insecure"), "{}", out.stderr);
    // ...with --insecure it connects, and says what that means.
    for url in [broker.wss_url(), broker.tls_url()] {
        let mut cmd = mqscope();
        cmd.args(["pub", "-u", &url, "-t", &topic, "-m", "x", "-q", "1", "--insecure"]);
        let out = run(cmd, None, STEP);
        assert_eq!(out.code(), 0, "{url}: {}", out.stderr);
        assert!(out.stderr.contains("mqscope: warning: TLS certificate verification is disabled"), "{}", out.stderr);
        assert!(out.stderr.contains("impersonate"), "{}", out.stderr);
    }
}

#[test]
fn credentials_in_the_url_are_used_and_the_password_is_never_printed() {
    const SECRET: &str = "s3cret:pw";
    let opts = MosquittoOptions { users: vec![("alice".into(), SECRET.into())], ..Default::default() };
    let Some(mut broker) = Mosquitto::start_with(opts) else { return };
    let topic = unique("mq/urlcreds");
    // The ':' in the password is percent-encoded, as a URL needs it.
    let url = format!("mqtt://alice:s3cret%3Apw@127.0.0.1:{}", broker.tcp_port);
    let mut cmd = mqscope();
    cmd.args(["sub", "-d", "-u", &url, "-t", &topic, "-q", "1", "-C", "2", "--no-clean", "--session-expiry", "60"]);
    cmd.args(["--client-id", &unique("urlcreds")]);
    let mut s = Proc::start(cmd, None);
    s.wait_stderr("mqscope: subscribed to", STEP);
    let pub_url = format!("ws://alice:s3cret%3Apw@127.0.0.1:{}/mqtt", broker.ws_port);
    let out = publish_ok(&pub_url, &["-t", &topic, "-m", "one", "-q", "1"], None);
    assert!(!out.stderr.contains(SECRET) && !out.stderr.contains("s3cret"), "pub printed the password: {}", out.stderr);
    assert!(out.stderr.contains("password"), "the same warning as --password: {}", out.stderr);
    // A reconnect prints the URL again.
    broker.restart();
    s.wait_stderr("attempt 2", STEP);
    s.wait_stderr("mqscope: subscribed to", STEP);
    publish_ok(&pub_url, &["-t", &topic, "-m", "two", "-q", "1"], None);
    let out = s.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.lines(), ["one", "two"]);
    assert!(!out.stderr.contains("s3cret"), "sub printed the password:\n{}", out.stderr);
    assert!(out.stderr.contains("alice:***@127.0.0.1"), "the URL is shown redacted:\n{}", out.stderr);
}
