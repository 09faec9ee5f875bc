//! `mqscope bench` over several nodes, with the real binary: two mosquittos, B bridged to A
//! (`bench/#` from A to B). Publishers on A and subscribers on B measure the bridge's forwarding with
//! nothing lost at QoS 1; `-u A -u B` spreads connections round-robin; a node that refuses
//! connections shows its failures on that node only, and the run ends by itself. The per-node figures
//! must add up to the totals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;

use common::bridge::{self, Bridged};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on one bench run; a stall fails the test instead of hanging it.
const RUN_LIMIT: Duration = Duration::from_secs(120);

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    report: Option<Value>,
}

fn mqscope(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .arg("--json")
        .arg(&json)
        .env_remove("MQSCOPE_URL")
        .env_remove("MQSCOPE_PROFILE")
        .env_remove("MQSCOPE_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + RUN_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mqscope {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let report = std::fs::read_to_string(&json).ok().map(|t| serde_json::from_str(&t).unwrap());
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
    }
}

impl Run {
    fn report(&self) -> &Value {
        self.report.as_ref().unwrap_or_else(|| panic!("no JSON report; stderr:\n{}", self.stderr))
    }

    fn context(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

fn u(v: &Value, path: &[&str]) -> u64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_u64().unwrap_or_else(|| panic!("{path:?} is not a number in {v}"))
}

fn nodes(r: &Value) -> &Vec<Value> {
    r["nodes"].as_array().unwrap()
}

/// The per-node figures of a pub/sub/latency report add up to its totals.
fn check_nodes_add_up(r: &Value) {
    let n = nodes(r);
    let sum = |path: &[&str]| n.iter().map(|x| u(x, path)).sum::<u64>();
    for field in ["sent", "sent_bytes", "acked", "publish_failed", "received", "received_bytes", "unstamped"] {
        assert_eq!(sum(&["counts", field]), u(r, &["counts", field]), "counts.{field}: {r:#}");
    }
    for field in ["planned", "connected", "failed"] {
        assert_eq!(sum(&["connections", field]), u(r, &["connections", field]), "connections.{field}");
    }
    let errors = |v: &Value| v["errors"].as_object().unwrap().values().map(|x| x.as_u64().unwrap()).sum::<u64>();
    assert_eq!(n.iter().map(errors).sum::<u64>(), errors(r), "errors");
    let timed = n.iter().map(|x| x["latency_ns"]["count"].as_u64().unwrap_or(0)).sum::<u64>();
    assert_eq!(timed, r["latency_ns"]["count"].as_u64().unwrap_or(0), "latency counts");
}

fn bench_bridge() -> Option<Bridged> {
    bridge::bridged("topic bench/# in 1\n")
}

/// Publishers on A (TCP), subscribers on B (`sub_url`): every message crosses the bridge.
fn across_the_bridge(brokers: &Bridged, sub_url: &str, extra: &[&str]) -> Run {
    let pub_url = brokers.a.tcp_url();
    let mut args = vec![
        "bench",
        "latency",
        "--pub-url",
        &pub_url,
        "--sub-url",
        sub_url,
        "-c",
        "2",
        "--subs",
        "2",
        "-q",
        "1",
        "--count",
        "300",
        // 2 x 200/s: 1.5 s, so that per-second lines are printed.
        "--rate",
        "200",
        "--drain",
        "30",
        "--no-tui",
    ];
    args.extend(extra);
    mqscope(&args)
}

fn check_across(run: &Run, pub_url: &str, sub_url: &str) {
    assert_eq!(run.code, 0, "{}", run.context());
    let r = run.report();
    assert_eq!((u(r, &["counts", "sent"]), u(r, &["counts", "received"])), (600, 1200), "{}", run.context());
    assert_eq!((u(r, &["loss", "lost"]), u(r, &["loss", "duplicated"])), (0, 0));
    let n = nodes(r);
    assert_eq!(n.len(), 2);
    assert_eq!((n[0]["url"].as_str(), n[1]["url"].as_str()), (Some(pub_url), Some(sub_url)));
    assert_eq!((u(&n[0], &["publishers"]), u(&n[0], &["subscribers"])), (2, 0));
    assert_eq!((u(&n[1], &["publishers"]), u(&n[1], &["subscribers"])), (0, 2));
    assert_eq!((u(&n[0], &["counts", "sent"]), u(&n[1], &["counts", "received"])), (600, 1200));
    check_nodes_add_up(r);
    // One pair, 1 -> 2, holding every timed message.
    let pairs = r["node_pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!((u(&pairs[0], &["from"]), u(&pairs[0], &["to"])), (1, 2));
    assert_eq!(u(&pairs[0], &["latency_ns", "count"]), u(r, &["latency_ns", "count"]));
    assert!(run.stdout.contains("  node 1      ") && run.stdout.contains("  node 1 -> 2  p50"), "{}", run.context());
    // The per-second lines carry a line per node.
    assert!(run.stdout.contains("        node 2  sent"), "{}", run.context());
}

#[test]
fn latency_from_a_to_b_crosses_the_bridge_without_loss_and_per_node_figures_add_up() {
    let Some(brokers) = bench_bridge() else { return };
    let (a, b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let run = across_the_bridge(&brokers, &b, &[]);
    check_across(&run, &a, &b);
    // MQTT 3.1.1 the same way.
    let run = across_the_bridge(&brokers, &b, &["--mqtt", "3.1.1"]);
    check_across(&run, &a, &b);
}

#[test]
fn tcp_publishers_and_websocket_subscribers_mix_across_the_bridge() {
    let Some(brokers) = bench_bridge() else { return };
    let (a, b_ws) = (brokers.a.tcp_url(), brokers.b.ws_url());
    let run = across_the_bridge(&brokers, &b_ws, &[]);
    check_across(&run, &a, &b_ws);
}

#[test]
fn bench_conn_over_two_nodes_puts_half_the_connections_on_each() {
    let Some(brokers) = bench_bridge() else { return };
    let (a, b) = (brokers.a.tcp_url(), brokers.b.ws_url());
    let run = mqscope(&["bench", "conn", "-u", &a, "-u", &b, "-c", "10", "--rate", "200", "--duration", "1"]);
    assert_eq!(run.code, 0, "{}", run.context());
    let r = run.report();
    let n = nodes(r);
    assert_eq!(n.len(), 2);
    for (node, url) in n.iter().zip([&a, &b]) {
        assert_eq!(node["url"].as_str(), Some(url.as_str()));
        assert_eq!((u(node, &["planned"]), u(node, &["opened"]), u(node, &["failed"])), (5, 5, 0), "{node}");
        assert!(node["connect_ns"]["p50"].as_u64().is_some());
    }
    assert_eq!(u(r, &["opened"]), 10);
    assert!(run.stdout.contains("  node 2      "), "{}", run.context());
}

#[test]
fn a_node_that_refuses_connections_fails_on_that_node_only_and_the_run_ends() {
    let Some(broker) = common::Mosquitto::start() else { return };
    let good = broker.tcp_url();
    let bad = format!("mqtt://127.0.0.1:{}", common::free_ports(1)[0]);

    let run = mqscope(&["bench", "conn", "-u", &good, "-u", &bad, "-c", "6", "--rate", "200", "--duration", "1"]);
    assert_eq!(run.code, 1, "some failed, not all: exit 1; {}", run.context());
    let r = run.report();
    let n = nodes(r);
    assert_eq!((u(&n[0], &["opened"]), u(&n[0], &["failed"])), (3, 0), "{r:#}");
    assert!(n[0]["failures"].as_object().unwrap().is_empty());
    assert_eq!((u(&n[1], &["opened"]), u(&n[1], &["failed"])), (0, 3), "{r:#}");
    let reasons = n[1]["failures"].as_object().unwrap();
    assert!(reasons.keys().any(|k| k.contains("refused")), "{reasons:?}");
    assert_eq!(reasons.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 3);

    // Subscribers on both; the publishers on the good one.
    let run = mqscope(&[
        "bench",
        "latency",
        "--pub-url",
        &good,
        "--sub-url",
        &good,
        "--sub-url",
        &bad,
        "--subs",
        "2",
        "-q",
        "1",
        "--count",
        "100",
        "--rate",
        "500",
        "--no-tui",
    ]);
    assert_eq!(run.code, 1, "{}", run.context());
    let r = run.report();
    let n = nodes(r);
    assert_eq!(u(&n[0], &["connections", "failed"]), 0);
    assert!(n[0]["errors"].as_object().unwrap().is_empty(), "{r:#}");
    assert_eq!(u(&n[1], &["connections", "failed"]), 1, "{r:#}");
    assert!(n[1]["errors"].as_object().unwrap().keys().any(|k| k.contains("refused")), "{r:#}");
    assert_eq!(u(&n[0], &["counts", "received"]), 100);
    check_nodes_add_up(r);
}

#[test]
fn contradictory_or_repeated_nodes_are_refused_before_connecting() {
    let (a, b) = ("mqtt://127.0.0.1:1", "mqtt://127.0.0.1:2");
    let run = mqscope(&["bench", "latency", "-u", a, "--pub-url", a, "--sub-url", b, "--count", "1"]);
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr.contains("-u is not used"), "{}", run.context());
    let run = mqscope(&["bench", "pub", "-u", a, "-u", "mqtt://127.0.0.1:1/", "--count", "1"]);
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr.contains("again"), "{}", run.context());
    let run = mqscope(&["bench", "latency", "--sub-url", b, "--count", "1"]);
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr.contains("--pub-url or -u"), "{}", run.context());
    let run = mqscope(&["bench", "pub", "-u", a, "-u", "nope://x", "--count", "1"]);
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr.contains("nope://x"), "{}", run.context());
    // Commands that take one broker still say so.
    let out = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(["sub", "-u", a, "-u", b, "-t", "x"])
        .env_remove("MQSCOPE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used multiple times"));
}

#[test]
fn fewer_clients_than_nodes_leaves_a_named_node_idle() {
    let Some(brokers) = bench_bridge() else { return };
    let (a, b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let run = mqscope(&["bench", "pub", "-u", &a, "-u", &b, "-c", "1", "--count", "10", "--no-tui"]);
    assert_eq!(run.code, 0, "{}", run.context());
    assert!(run.stderr.contains("gets no client") && run.stderr.contains(&b), "{}", run.context());
    let n = nodes(run.report());
    assert_eq!((u(&n[0], &["counts", "sent"]), u(&n[1], &["counts", "sent"])), (10, 0));
    assert_eq!(u(&n[1], &["connections", "planned"]), 0);
}

#[test]
fn split_runs_take_their_role_flag_and_refuse_it_beside_u() {
    use std::io::BufRead as _;
    let Some(brokers) = bench_bridge() else { return };
    let (a, b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sub.json");
    let mut sub = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(["bench", "sub", "--sub-url", &b, "-t", "bench/#", "-q", "1", "--count", "100", "--duration", "60"])
        .args(["--no-tui", "--json"])
        .arg(&json)
        .env_remove("MQSCOPE_URL")
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Its first per-second line comes once it is subscribed: then the publisher may start.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = sub.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    assert!(first.is_ok(), "bench sub printed nothing in 30 s");
    let p = mqscope(&["bench", "pub", "--pub-url", &a, "-q", "1", "--count", "100", "--no-tui"]);
    assert_eq!(p.code, 0, "{}", p.context());
    assert_eq!(nodes(p.report())[0]["url"].as_str(), Some(a.as_str()));
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = sub.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = sub.kill();
            let _ = sub.wait();
            panic!("bench sub did not stop after 100 messages");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().unwrap();
    assert_eq!(status.code(), Some(0));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(nodes(&r)[0]["url"].as_str(), Some(b.as_str()));
    assert_eq!(u(&r, &["counts", "received"]), 100);
    assert_eq!(u(&r, &["loss", "lost"]), 0);

    let run = mqscope(&["bench", "pub", "-u", &a, "--pub-url", &b, "--count", "1"]);
    assert_eq!(run.code, 2, "{}", run.context());
    assert!(run.stderr.contains("-u and --pub-url"), "{}", run.context());
}
