//! `mqscope pub` and `replay --to` as a user runs them: lines are bytes, a flood with `-d` ends, a
//! message too large for the protocol or the broker fails at once with the limit named, and a broker
//! that stops taking data ends the command with exit 6 instead of a hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;
mod publish_support;

use common::{FakeTcpServer, Mosquitto, MosquittoOptions};
use mqscope::codec::{ConnAck, Packet, Properties, ProtocolVersion, QoS};
use publish_support::{Collector, check_sequence, mqscope, seq};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn pub_l_sends_every_line_as_its_bytes_even_when_not_utf8() {
    let broker = common::rumqttd();
    let url = broker.tcp_v4_url();
    let sub = Collector::start(&url, "lines/bytes", QoS::AtLeastOnce, 5, Duration::from_secs(20));
    let input = b"one\n\xff\xfe\x00bin\nthree\r\n\nlast".to_vec();
    let run = mqscope(&["pub", "-u", &url, "--mqtt", "3.1.1", "-t", "lines/bytes", "-q", "1", "-l"], input, LIMIT);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let got = sub.finish();
    let want: Vec<Vec<u8>> =
        vec![b"one".to_vec(), b"\xff\xfe\x00bin".to_vec(), b"three".to_vec(), Vec::new(), b"last".to_vec()];
    assert_eq!(got, want);
}

#[test]
fn pub_l_with_debug_floods_a_v311_broker_at_qos_1_and_2_and_exits() {
    // Each packet is a debug line: the session's events outrun the printer, which used to deadlock
    // with the command channel right after CONNECT.
    let Some(broker) = Mosquitto::start() else { return };
    for qos in ["1", "2"] {
        let topic = format!("flood/debug/{qos}");
        let sub = Collector::start(&broker.tcp_url(), &topic, QoS::AtLeastOnce, 3_000, Duration::from_secs(30));
        let args = ["pub", "-u", &broker.tcp_url(), "--mqtt", "3.1.1", "-t", &topic, "-q", qos, "-l", "-d"];
        let run = mqscope(&args, seq(3_000), LIMIT);
        assert_eq!(run.code, Some(0), "QoS {qos}: {}", run.describe());
        assert!(run.stderr.contains("PUBLISH"), "-d prints packets");
        check_sequence(&sub.finish(), 3_000, false).unwrap_or_else(|e| panic!("QoS {qos}: {e}"));
    }
}

#[test]
fn a_message_over_the_protocols_maximum_fails_at_once_with_the_limit_named() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::rumqttd().tcp_v4_url();
    // Sparse files: they take no disk space. 270 MB is refused while reading -f (exit 2); a payload of
    // exactly the limit passes that check but no packet can carry it with a topic (exit 5).
    for (len, want_code) in [(270_000_000u64, 2), (268_435_455, 5)] {
        let path = dir.path().join(format!("huge-{len}.bin"));
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        for qos in ["0", "1"] {
            let args = ["pub", "-u", &url, "--mqtt", "3.1.1", "-t", "huge", "-q", qos, "-f", path.to_str().unwrap()];
            let run = mqscope(&args, Vec::new(), LIMIT);
            let case = format!("{len} bytes, QoS {qos}");
            assert_eq!(run.code, Some(want_code), "{case}: {}", run.describe());
            assert!(run.stderr.contains("268435455"), "{case}: the limit is named: {}", run.describe());
            assert!(!run.stderr.contains("not acknowledged"), "{case}: {}", run.describe());
            assert!(run.elapsed < Duration::from_secs(20), "{case}: at once, not after the ack timeout");
        }
    }
}

#[test]
fn a_message_over_the_brokers_maximum_packet_size_fails_pub_and_replay() {
    let opts = MosquittoOptions { extra_config: "max_packet_size 1000\n".into(), ..MosquittoOptions::default() };
    let Some(broker) = Mosquitto::start_with(opts) else { return };
    let url = broker.tcp_url();
    let big = "x".repeat(2_000);
    for qos in ["0", "1"] {
        let run = mqscope(&["pub", "-u", &url, "--mqtt", "5", "-t", "big", "-q", qos, "-m", &big], Vec::new(), LIMIT);
        assert_eq!(run.code, Some(5), "QoS {qos}: {}", run.describe());
        assert!(run.stderr.contains("maximum packet size of 1000"), "QoS {qos}: {}", run.describe());
    }
    // replay --to counts what was delivered, not what was tried.
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("rec.jsonl");
    let line = |ts: u64, payload: &str| {
        format!(
            r#"{{"ts":"2026-01-01T00:00:00Z","ts_ms":{ts},"topic":"big","qos":0,"retain":false,"payload":"{payload}"}}"#
        )
    };
    std::fs::write(&recording, format!("{}\n{}\n", line(1, "small"), line(2, &big))).unwrap();
    let args = ["replay", recording.to_str().unwrap(), "--max", "--to", &url, "--mqtt", "5"];
    let run = mqscope(&args, Vec::new(), LIMIT);
    assert_eq!(run.code, Some(5), "{}", run.describe());
    assert!(run.stderr.contains("republished 1 of 2"), "{}", run.describe());
    assert!(run.stderr.contains("maximum packet size of 1000"), "{}", run.describe());
}

#[test]
fn a_broker_that_stops_reading_ends_pub_with_exit_6_instead_of_a_hang() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(FakeTcpServer::bind());
    let url = server.url();
    // Accept, answer CONNECT, then never read again: the socket buffers fill and writes block.
    let broker = rt.spawn(async move {
        let mut peer = server.accept().await;
        let _connect = peer.read_packet(ProtocolVersion::V3_1_1).await;
        let ack = ConnAck { session_present: false, reason_code: 0, properties: Properties::default() };
        peer.send_packet(&Packet::ConnAck(ack), ProtocolVersion::V3_1_1).await;
        tokio::time::sleep(Duration::from_secs(120)).await;
        drop(peer);
    });
    // More lines than the command channel holds, and more bytes than the socket buffers take.
    let line = vec![b'x'; 64 << 10];
    let input: Vec<u8> = (0..600).flat_map(|_| line.iter().copied().chain([b'\n'])).collect();
    let args = ["pub", "-u", &url, "--mqtt", "3.1.1", "-t", "t", "-q", "1", "-l", "--ack-timeout", "3"];
    let run = mqscope(&args, input, LIMIT);
    broker.abort();
    assert_eq!(run.code, Some(6), "{}", run.describe());
    assert!(run.stderr.contains("no progress for 3 s"), "{}", run.describe());
}

#[test]
fn max_inflight_is_validated() {
    for bad in ["0", "65536", "-1", "x"] {
        let flag = format!("--max-inflight={bad}");
        let run = mqscope(&["pub", "-u", "mqtt://127.0.0.1:1", "-t", "t", "-m", "x", &flag], vec![], LIMIT);
        assert_eq!(run.code, Some(2), "--max-inflight {bad}: {}", run.describe());
        assert!(run.stderr.contains("--max-inflight"), "{}", run.describe());
    }
}
