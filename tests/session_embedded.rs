//! The session and the headless commands end to end against the embedded rumqttd, so they run in plain
//! `cargo test` on a fresh machine: QoS 0/1/2 round trips over WebSocket (3.1.1 only there, reached by
//! the automatic fallback from 5.0) and TCP (5.0), retained messages, wildcards, and `mqscope pub`/`sub`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod session_support;

use common::rumqttd;
use mqscope::codec::{ProtocolVersion, QoS};
use mqscope::session::TaskOptions;
use mqscope::transport::TransportOptions;
use session_support::{Client, STEP, mqscope, publish_ok, run, sub, sub_ready, task_options, unique};
use std::time::Duration;

/// Session options for rumqttd. Its 5.0 listener keys the topic aliases it sends by subscription filter,
/// not by topic (rumqttd 0.20, `router/routing.rs`), so two topics under one wildcard share an alias and a
/// correct client resolves the second to the first topic. Announcing Topic Alias Maximum 0 turns them off.
fn options(url: String, id: &str, version: Option<ProtocolVersion>) -> TaskOptions {
    let mut opts = task_options(TransportOptions::new(url), &unique(id), version);
    opts.session.topic_alias_maximum = 0;
    opts
}

async fn client(url: String, id: &str, version: Option<ProtocolVersion>) -> Client {
    let mut c = Client::spawn(options(url, id, version));
    c.connected().await;
    c
}

/// Subscribes with `qos`, publishes one message at each QoS 0/1/2 from a second session, and checks topic,
/// payload and the delivered QoS. The spec says the minimum of both; rumqttd 0.20 forwards every message
/// at the subscription's QoS, so that is accepted too (mosquitto's tests check the minimum exactly).
async fn round_trips(subscriber: &mut Client, publisher: &mut Client, prefix: &str, sub_qos: QoS) {
    subscriber.subscribe(vec![sub(&format!("{prefix}/#"), sub_qos)]).await;
    for (i, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce].into_iter().enumerate() {
        let topic = format!("{prefix}/q{i}");
        publisher.publish(&topic, format!("payload {i}"), qos, false).await;
        let got = subscriber.messages(1, STEP).await;
        assert_eq!(got.len(), 1);
        assert_eq!(&*got[0].topic, topic);
        assert_eq!(&got[0].payload[..], format!("payload {i}").as_bytes());
        assert!(got[0].qos == qos.min(sub_qos) || got[0].qos == sub_qos, "{topic}: {:?}", got[0].qos);
        assert!(!got[0].retain);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_falls_back_to_3_1_1_and_round_trips_every_qos() {
    let broker = rumqttd();
    // No version forced: 5.0 first; rumqttd's ws listener closes it without a CONNACK.
    let mut s = Client::spawn(options(broker.ws_url(), "ws-sub", None));
    let info = s.connected().await;
    assert_eq!(info.version, ProtocolVersion::V3_1_1);
    // Said once, as information: the connection works.
    let notices = s.notices();
    assert!(
        notices.len() == 1 && notices[0].contains("MQTT 5.0") && notices[0].contains("3.1.1"),
        "one fallback notice expected in {notices:?}"
    );
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    let mut p = client(broker.ws_url(), "ws-pub", Some(ProtocolVersion::V3_1_1)).await;
    let prefix = unique("emb/ws");
    round_trips(&mut s, &mut p, &prefix, QoS::ExactlyOnce).await;
    s.disconnect().await;
    p.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_v5_round_trips_every_qos_and_downgrades_to_the_subscription_qos() {
    let broker = rumqttd();
    let mut s = client(broker.tcp_v5_url(), "tcp-sub", None).await;
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    let mut p = client(broker.tcp_v5_url(), "tcp-pub", None).await;
    round_trips(&mut s, &mut p, &unique("emb/tcp2"), QoS::ExactlyOnce).await;
    // A QoS 1 subscription gets QoS 2 messages at QoS 1.
    let mut s1 = client(broker.tcp_v5_url(), "tcp-sub1", None).await;
    round_trips(&mut s1, &mut p, &unique("emb/tcp1"), QoS::AtLeastOnce).await;
    for c in [s, s1, p] {
        c.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_3_1_1_listener_round_trips_every_qos() {
    let broker = rumqttd();
    let mut s = client(broker.tcp_v4_url(), "v4-sub", Some(ProtocolVersion::V3_1_1)).await;
    let mut p = client(broker.ws_url(), "v4-pub", None).await;
    round_trips(&mut s, &mut p, &unique("emb/v4"), QoS::ExactlyOnce).await;
    s.disconnect().await;
    p.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retained_message_reaches_a_later_subscriber() {
    let broker = rumqttd();
    let prefix = unique("emb/retained");
    let topic = format!("{prefix}/state");
    let mut p = client(broker.tcp_v5_url(), "ret-pub", None).await;
    p.publish(&topic, "kept", QoS::AtLeastOnce, true).await;
    p.disconnect().await;
    for url in [broker.ws_url(), broker.tcp_v5_url()] {
        let mut s = client(url.clone(), "ret-sub", None).await;
        s.subscribe(vec![sub(&format!("{prefix}/#"), QoS::AtLeastOnce)]).await;
        let got = s.messages(1, STEP).await;
        assert_eq!(&*got[0].topic, topic, "{url}");
        assert_eq!(&got[0].payload[..], b"kept", "{url}");
        assert!(got[0].retain, "{url}: retain flag on a retained message for a new subscription");
        s.disconnect().await;
    }
    // Clean up: an empty retained message clears it.
    let mut p = client(broker.tcp_v5_url(), "ret-clear", None).await;
    p.publish(&topic, "", QoS::AtLeastOnce, true).await;
    p.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_filters_match_what_they_should() {
    let broker = rumqttd();
    let prefix = unique("emb/wild");
    let mut s = client(broker.tcp_v5_url(), "wild-sub", None).await;
    s.subscribe(vec![sub(&format!("{prefix}/+/temp"), QoS::AtLeastOnce)]).await;
    let mut all = client(broker.ws_url(), "wild-all", None).await;
    all.subscribe(vec![sub(&format!("{prefix}/#"), QoS::AtLeastOnce)]).await;
    let mut p = client(broker.tcp_v5_url(), "wild-pub", None).await;
    let topics = ["a/temp", "b/temp", "a/humidity", "a/b/temp", "temp"];
    for t in topics {
        p.publish(&format!("{prefix}/{t}"), t, QoS::AtLeastOnce, false).await;
    }
    let everything = all.messages(topics.len(), STEP).await;
    let names: Vec<String> = everything.iter().map(|m| m.topic.to_string()).collect();
    let expected: Vec<String> = topics.iter().map(|t| format!("{prefix}/{t}")).collect();
    assert_eq!(names, expected, "'#' sees every topic, in order");
    let mut plus: Vec<String> = s.messages(2, STEP).await.iter().map(|m| m.topic.to_string()).collect();
    plus.extend(s.messages_within(Duration::from_millis(300)).await.iter().map(|m| m.topic.to_string()));
    assert_eq!(plus, vec![format!("{prefix}/a/temp"), format!("{prefix}/b/temp")], "'+' matches one level");
    for c in [s, all, p] {
        c.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_mebibyte_message_arrives_intact_over_websocket() {
    let broker = rumqttd();
    let topic = unique("emb/big");
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let mut s = client(broker.ws_url(), "big-sub", None).await;
    s.subscribe(vec![sub(&topic, QoS::AtLeastOnce)]).await;
    let mut p = client(broker.tcp_v5_url(), "big-pub", None).await;
    p.publish(&topic, data.clone(), QoS::AtLeastOnce, false).await;
    let got = s.messages(1, STEP).await;
    assert_eq!(got[0].payload.len(), data.len());
    assert!(got[0].payload[..] == data[..], "payload differs");
    s.disconnect().await;
    p.disconnect().await;
}

// ---------------------------------------------------------------------------------------------------------
// The binary

#[test]
fn pub_then_sub_count_over_websocket_and_tcp() {
    let broker = rumqttd();
    for (url, label) in [(broker.ws_url(), "ws"), (broker.tcp_v5_url(), "tcp")] {
        let prefix = unique(&format!("emb/bin-{label}"));
        let filter = format!("{prefix}/#");
        let sub = sub_ready(&url, &["-t", &filter, "-C", "3", "-q", "1", "-v", "--topic-alias-max", "0"]);
        for (i, qos) in ["0", "1", "2"].iter().enumerate() {
            publish_ok(&url, &["-t", &format!("{prefix}/n{i}"), "-m", &format!("m{i}"), "-q", qos], None);
        }
        let out = sub.wait(STEP);
        assert_eq!(out.code(), 0, "{label}: {}", out.stderr);
        let expected: Vec<String> = (0..3).map(|i| format!("{prefix}/n{i} m{i}")).collect();
        assert_eq!(out.lines(), expected, "{label}");
    }
}

#[test]
fn pub_lines_reach_sub_and_json_output_has_the_fields() {
    let broker = rumqttd();
    let url = broker.tcp_v5_url();
    let prefix = unique("emb/json");
    let topic = format!("{prefix}/lines");
    let args = ["-t", &format!("{prefix}/#"), "-C", "5", "-q", "1", "-F", "json", "--topic-alias-max", "0"];
    let sub = sub_ready(&url, &args);
    let input: Vec<u8> = (1..=5).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
    publish_ok(&url, &["-t", &topic, "-l", "-q", "1"], Some(input));
    let out = sub.wait(STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let objects = out.json();
    assert_eq!(objects.len(), 5);
    for (i, o) in objects.iter().enumerate() {
        assert_eq!(o["topic"], topic.as_str());
        assert_eq!(o["qos"], 1);
        assert_eq!(o["retain"], false);
        assert_eq!(o["payload_text"], format!("line {}", i + 1));
        assert_eq!(o["payload_hex"], hex(format!("line {}", i + 1).as_bytes()));
        assert!(o["received_at"].is_string(), "{o}");
    }
}

#[test]
fn retained_only_prints_the_retained_message_and_exits_by_itself() {
    let broker = rumqttd();
    let url = broker.ws_url();
    let prefix = unique("emb/ronly");
    publish_ok(&url, &["-t", &format!("{prefix}/r"), "-m", "old", "-r", "-q", "1"], None);
    let mut cmd = mqscope();
    cmd.args(["sub", "-u", &url, "-t", &format!("{prefix}/#"), "--retained-only", "-F", "json", "--idle-ms", "500"]);
    let out = run(cmd, None, STEP);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let objects = out.json();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0]["retain"], true);
    assert_eq!(objects[0]["payload_text"], "old");
    publish_ok(&url, &["-t", &format!("{prefix}/r"), "-n", "-r", "-q", "1"], None);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
