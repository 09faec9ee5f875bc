//! `mqscope bench` against mosquitto, with the real binary: short runs with bounded message counts
//! that check the accounting (QoS 0: sent = received + counted losses; QoS 1 and 2: nothing lost),
//! that the percentiles are present and ordered, that the JSON report and the interval log are
//! written, over TCP and WebSocket; and that a known delay added by a proxy shows in the latency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;

use common::Mosquitto;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Bound on one bench run; a stall fails the test instead of hanging it.
const RUN_LIMIT: Duration = Duration::from_secs(120);

struct Bench {
    code: i32,
    stdout: String,
    stderr: String,
    report: Value,
}

fn bench(args: &[&str]) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let hdr = dir.path().join("latency.hlog");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .arg("--hdr-log")
        .arg(&hdr)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + RUN_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mqscope bench {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("no JSON report ({e}); stderr:\n{stderr}"));
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("the JSON report does not parse: {e}"));
    let log = std::fs::read_to_string(&hdr).unwrap();
    assert!(log.contains("#[StartTime:") && log.contains("HISTF"), "interval log:\n{log}");
    Bench { code: out.status.code().unwrap_or(-1), stdout, stderr, report }
}

fn u(v: &Value, path: &[&str]) -> u64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_u64().unwrap_or_else(|| panic!("{path:?} is not a number in the report"))
}

fn check_percentiles(report: &Value) {
    let l = &report["latency_ns"];
    let keys = ["min", "p50", "p90", "p99", "p99_9", "p99_99", "max"];
    let values: Vec<u64> = keys.iter().map(|k| u(l, &[k])).collect();
    assert!(values.windows(2).all(|w| w[0] <= w[1]), "percentiles out of order: {l}");
    assert!(u(l, &["count"]) > 0);
}

/// Publishers × count messages to `subs` subscribers each.
fn latency_run(url: &str, qos: &str, count: &str) -> Bench {
    let b = bench(&[
        "latency", "-u", url, "-c", "2", "--subs", "2", "-q", qos, "--count", count, "--rate", "2000", "--no-tui",
        "--drain", "20",
    ]);
    assert!(b.stdout.contains("latency     p50"), "stdout:\n{}\nstderr:\n{}", b.stdout, b.stderr);
    b
}

fn check_accounting(b: &Bench, qos: u64, count: u64) {
    let r = &b.report;
    let sent = u(r, &["counts", "sent"]);
    assert_eq!(sent, 2 * count, "{}", b.stdout);
    let received = u(r, &["counts", "received"]);
    let lost = u(r, &["loss", "lost"]);
    let duplicated = u(r, &["loss", "duplicated"]);
    assert_eq!(u(r, &["loss", "qos"]), qos);
    // Every copy (two subscribers) is either received once or counted as lost.
    assert_eq!(received - duplicated + lost, 2 * sent, "{}", b.stdout);
    if qos > 0 {
        assert_eq!((lost, duplicated), (0, 0), "{}", b.stdout);
        assert_eq!(b.code, 0, "stderr:\n{}", b.stderr);
    }
    check_percentiles(r);
    assert_eq!(r["settings"]["mode"], "latency");
    assert!(r["command"].as_array().unwrap().iter().any(|a| a == "latency"));
    assert!(!r["mqscope"].as_str().unwrap().is_empty());
}

#[test]
fn latency_over_tcp_accounts_for_every_message_at_each_qos() {
    let Some(broker) = Mosquitto::start() else { return };
    for qos in [0, 1, 2] {
        let b = latency_run(&broker.tcp_url(), &qos.to_string(), "500");
        check_accounting(&b, qos, 500);
    }
}

#[test]
fn latency_over_websocket_accounts_for_every_message_at_each_qos() {
    let Some(broker) = Mosquitto::start() else { return };
    for qos in [0, 1, 2] {
        let b = latency_run(&broker.ws_url(), &qos.to_string(), "300");
        check_accounting(&b, qos, 300);
    }
}

#[test]
fn pub_and_sub_in_separate_processes_meet_through_the_broker() {
    let Some(broker) = Mosquitto::start() else { return };
    let url = broker.tcp_url();
    let sub_url = url.clone();
    let sub = std::thread::spawn(move || {
        bench(&["sub", "-u", &sub_url, "-t", "sep/#", "-q", "1", "--count", "400", "--duration", "60", "--no-tui"])
    });
    // The subscriber needs a moment to subscribe; QoS 1 to a topic nobody holds would be dropped.
    std::thread::sleep(Duration::from_secs(2));
    let p = bench(&["pub", "-u", &url, "-t", "sep/%c/%i", "-c", "2", "-q", "1", "--count", "200", "--no-tui"]);
    assert_eq!(p.code, 0, "stderr:\n{}", p.stderr);
    assert_eq!(u(&p.report, &["counts", "acked"]), 400);
    let s = sub.join().unwrap();
    assert_eq!(s.code, 0, "stderr:\n{}", s.stderr);
    assert_eq!(u(&s.report, &["counts", "received"]), 400);
    assert_eq!(u(&s.report, &["loss", "lost"]), 0);
    assert_eq!(s.report["loss"]["per_publisher"].as_array().unwrap().len(), 2);
    check_percentiles(&s.report);
}

#[test]
fn a_broker_that_refuses_connections_gives_a_reason_and_exit_3_not_a_hang() {
    let port = common::free_ports(1)[0];
    let url = format!("mqtt://127.0.0.1:{port}");
    let b = bench(&["pub", "-u", &url, "-c", "3", "--count", "10", "--no-tui"]);
    assert_eq!(b.code, 3, "stderr:\n{}", b.stderr);
    assert_eq!(u(&b.report, &["connections", "failed"]), 3);
    let errors = b.report["errors"].as_object().unwrap();
    assert!(errors.keys().any(|k| k.contains("refused")), "{errors:?}");
}

/// Forwards TCP both ways, holding every chunk from the client for `delay` before passing it on.
async fn delaying_proxy(upstream: String, delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else { return };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
                tokio::spawn(async move {
                    let mut buf = vec![0; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 || tx.send((tokio::time::Instant::now() + delay, buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                });
                tokio::spawn(async move {
                    while let Some((due, bytes)) = rx.recv().await {
                        tokio::time::sleep_until(due).await;
                        if sw.write_all(&bytes).await.is_err() {
                            break;
                        }
                    }
                });
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            });
        }
    });
    port
}

#[test]
fn a_delay_added_by_a_proxy_shows_in_the_percentiles() {
    let Some(broker) = Mosquitto::start() else { return };
    let delay = Duration::from_millis(200);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = rt.block_on(delaying_proxy(format!("127.0.0.1:{}", broker.tcp_port), delay));
    let url = format!("mqtt://127.0.0.1:{port}");
    let b = bench(&["latency", "-u", &url, "-c", "1", "-q", "0", "--rate", "200", "--count", "400", "--no-tui"]);
    assert_eq!(b.code, 0, "stderr:\n{}", b.stderr);
    let l = &b.report["latency_ns"];
    let (min, p50) = (u(l, &["min"]), u(l, &["p50"]));
    let d = u64::try_from(delay.as_nanos()).unwrap();
    assert!(min >= d, "the added {delay:?} is missing: min {min} ns");
    // Loose on top: the machine is shared, but the added delay must dominate.
    assert!(p50 < d + 300_000_000, "p50 {p50} ns is far above the added {delay:?}");
    check_percentiles(&b.report);
}

fn bench_conn(args: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("conn.json");
    let out = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(["bench", "conn"])
        .args(args)
        .arg("--json")
        .arg(&json)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("no JSON report ({e}); stderr:\n{stderr}"));
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&text).unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn conn_opens_and_holds_connections_with_times_by_stage_over_tcp_and_ws() {
    let Some(broker) = Mosquitto::start() else { return };
    for (url, ws) in [(broker.tcp_url(), false), (broker.ws_url(), true)] {
        let (code, r, stdout) = bench_conn(&["-u", &url, "-c", "200", "--rate", "400", "--duration", "1"]);
        assert_eq!(code, 0, "{stdout}");
        assert_eq!((u(&r, &["opened"]), u(&r, &["failed"])), (200, 0), "{stdout}");
        for stage in ["tcp", "connack", "total"] {
            assert_eq!(u(&r["connect_ns"][stage], &["count"]), 200, "{stage}");
        }
        assert_eq!(r["connect_ns"]["websocket"].is_object(), ws, "{r}");
        assert!(r["connect_ns"]["tls"].is_null());
        assert!(r["bytes_per_connection"].is_u64(), "{r}");
    }
}

#[test]
fn conn_over_tls_times_the_handshake_separately() {
    let Some(broker) = Mosquitto::start() else { return };
    let ca = broker.ca_file.display().to_string();
    let (code, r, stdout) =
        bench_conn(&["-u", &broker.wss_url(), "--cafile", &ca, "-c", "20", "--rate", "100", "--duration", "1"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(u(&r["connect_ns"]["tls"], &["count"]), 20);
    assert_eq!(u(&r["connect_ns"]["websocket"], &["count"]), 20);
}

#[test]
fn conn_counts_refused_connections_by_reason() {
    let port = common::free_ports(1)[0];
    let (code, r, _) = bench_conn(&["-u", &format!("mqtt://127.0.0.1:{port}"), "-c", "5", "--duration", "1"]);
    assert_eq!(code, 3);
    assert_eq!(u(&r, &["failed"]), 5);
    assert!(r["failures"].as_object().unwrap().keys().any(|k| k.contains("refused")), "{r}");
}
