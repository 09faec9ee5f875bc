//! `mqscope diff` against two real mosquitto brokers, B bridged to A with `topic` lines that carry only
//! part of the tree: A's `factory/line1/#` arrives on B as `site1/factory/line1/#` (remapped), A's
//! `plant/#` at QoS 0 (downgraded), and B's `cmd/#` goes to A only (one direction). Traffic runs on
//! both sides while `diff` watches; it must name exactly the topics the bridge does not carry, the
//! retained value that differs (by a trailing newline, shown escaped), and a plausible delay.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;

use common::Mosquitto;
use common::bridge::{self, Bridged, pub_one};
use serde_json::Value;
use std::io::Read as _;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A's `factory/line1/#` remapped onto B, `plant/#` downgraded to QoS 0, B's `cmd/#` to A only.
fn bridged() -> Option<Bridged> {
    bridge::bridged(
        "topic line1/# in 1 site1/factory/ factory/\n\
         topic plant/# in 0\n\
         topic cmd/# out 1\n",
    )
}

/// Retained values: A's setpoint is carried to B, then changed there by a trailing newline; A's
/// line2 is not carried; B has one of its own.
fn seed_retained(brokers: &Bridged) {
    pub_one(brokers.a.tcp_port, "factory/line1/setpoint", "21.5", true);
    brokers.wait_retained_on_b("site1/factory/line1/setpoint", "21.5");
    pub_one(brokers.b.tcp_port, "site1/factory/line1/setpoint", "21.5\n", true);
    brokers.wait_retained_on_b("site1/factory/line1/setpoint", "21.5\n");
    pub_one(brokers.a.tcp_port, "factory/line2/setpoint", "7", true);
    pub_one(brokers.b.tcp_port, "other/b-retained", "x", true);
}

/// Publishes a numbered message to each topic every 50 ms until stopped: QoS 1 from `mosquitto_pub -l`.
struct Traffic {
    children: Vec<Child>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Traffic {
    fn start(feeds: &[(u16, &str)]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut children = Vec::new();
        let mut threads = Vec::new();
        for &(port, topic) in feeds {
            let mut child = Command::new("mosquitto_pub")
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-q", "1", "-l"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let stop = stop.clone();
            let topic = topic.to_owned();
            threads.push(std::thread::spawn(move || {
                use std::io::Write as _;
                let mut n = 0u64;
                // Bounded: at most 10 minutes of traffic even if nobody stops it.
                while !stop.load(Ordering::Relaxed) && n < 12_000 {
                    n += 1;
                    if writeln!(stdin, "{topic} #{n}").and_then(|()| stdin.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }));
            children.push(child);
        }
        Self { children, stop, threads }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        for mut c in self.children.drain(..) {
            let _ = c.wait();
        }
    }
}

/// Runs the binary with a bound on its run time.
fn mqscope(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .env_remove("MQSCOPE_URL")
        .env_remove("MQSCOPE_PROFILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("mqscope {args:?} did not finish within {limit:?}; stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn topics(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|t| t["topic"].as_str().unwrap()).collect()
}

const FILTERS: [&str; 8] = ["-t", "factory/#", "-t", "plant/#", "-t", "cmd/#", "-t", "other/#"];

#[test]
fn diff_reports_what_the_bridge_does_not_carry() {
    let Some(brokers) = bridged() else { return };
    seed_retained(&brokers);
    let (a, b) = (brokers.a.tcp_port, brokers.b.tcp_port);
    let _traffic = Traffic::start(&[
        (a, "factory/line1/temp"), // carried, remapped
        (a, "factory/line2/temp"), // not carried
        (a, "plant/pressure"),     // carried at QoS 0
        (a, "cmd/from-a"),         // cmd/# goes B → A only: stays on A
        (b, "cmd/from-b"),         // carried to A
        (b, "other/b-live"),       // not carried
    ]);
    let (url_a, url_b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let mut args = vec!["diff", "-u", &url_a, "-u", &url_b, "--map", "factory/=site1/factory/"];
    args.extend(FILTERS);
    args.extend(["--duration", "4s", "--max-delay", "2s", "-F", "json"]);
    let out = mqscope(&args, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}; stderr: {stderr}"));
    eprintln!("{}", serde_json::to_string_pretty(&v).unwrap());
    assert_eq!(out.status.code(), Some(1), "differences exit 1; stderr: {stderr}");
    assert_eq!(v["b"]["filters"], serde_json::json!(["site1/factory/#", "plant/#", "cmd/#", "other/#"]));
    assert_eq!(
        topics(&v["topics"]["only_a"]),
        ["cmd/from-a", "factory/line2/setpoint", "factory/line2/temp"],
        "exactly what the bridge does not carry from A"
    );
    assert_eq!(topics(&v["topics"]["only_b"]), ["other/b-live", "other/b-retained"]);
    assert_eq!(v["topics"]["both"], 4, "setpoint, line1/temp, plant/pressure, cmd/from-b");
    let differ = v["retained"]["differ"].as_array().unwrap();
    assert_eq!(differ.len(), 1, "{differ:?}");
    assert_eq!(differ[0]["topic"], "factory/line1/setpoint");
    assert_eq!(differ[0]["a"]["payload_text"], "21.5");
    assert_eq!(differ[0]["b"]["payload_text"], "21.5\n");
    assert_eq!(v["messages"]["topics_missing_messages"], serde_json::json!([]), "the bridge lost nothing it carries");
    let a_to_b = &v["delay"]["a_to_b"];
    assert!(a_to_b["count"].as_u64().unwrap() >= 20, "{a_to_b}");
    let p50 = a_to_b["p50_ms"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 < 1000.0, "a local bridge takes well under a second: {a_to_b}");
    assert!(v["delay"]["b_to_a"]["count"].as_u64().unwrap() >= 10, "cmd/from-b went B → A");
    assert_eq!(v["result"], "DIFFERENT");
}

#[test]
fn diff_text_shows_the_trailing_newline_escaped() {
    let Some(brokers) = bridged() else { return };
    seed_retained(&brokers);
    let (url_a, url_b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let mut args = vec!["diff", "-u", &url_a, "-u", &url_b, "--map", "factory/=site1/factory/", "--retained"];
    args.extend(FILTERS);
    let out = mqscope(&args, Duration::from_secs(60));
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("factory/line1/setpoint\n    A: \"21.5\"\n    B: \"21.5\\n\"\n"), "{text}");
    assert!(text.contains("only on A (1):\n  factory/line2/setpoint  (0 messages, retained)\n"), "{text}");
    assert!(text.contains("only on B (in A's names) (1):\n  other/b-retained"), "{text}");
    assert!(text.contains("topics: 1 on both, 1 only on A, 1 only on B"), "{text}");
    assert!(text.ends_with("result: DIFFERENT\n"), "{text}");
}

#[test]
fn diff_of_what_the_bridge_carries_is_equal() {
    let Some(brokers) = bridged() else { return };
    let _traffic = Traffic::start(&[(brokers.a.tcp_port, "plant/pressure"), (brokers.a.tcp_port, "plant/flow")]);
    let (url_a, url_b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let out =
        mqscope(&["diff", "-u", &url_a, "-u", &url_b, "-t", "plant/#", "--duration", "2s"], Duration::from_secs(60));
    let text = String::from_utf8(out.stdout).unwrap();
    eprintln!("{text}");
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("topics: 2 on both, 0 only on A, 0 only on B"), "{text}");
    assert!(text.contains(" seen on B, 0 lost (not on B within 5.0 s, nor later)"), "{text}");
    assert!(text.contains(" seen on A, 0 never seen on A"), "{text}");
    assert!(text.ends_with("result: EQUAL\n"), "{text}");
}

#[test]
fn diff_with_nothing_under_the_filter_says_so_and_fails() {
    let Some(brokers) = bridged() else { return };
    let (url_a, url_b) = (brokers.a.tcp_url(), brokers.b.tcp_url());
    let out = mqscope(
        &["diff", "-u", &url_a, "-u", &url_b, "-t", "nothing/#", "--duration", "500ms"],
        Duration::from_secs(60),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("result: NOTHING TO COMPARE: no message under the filter on either broker"), "{text}");
}

#[test]
fn diff_names_the_broker_that_never_answers() {
    let Some(a) = Mosquitto::start() else { return };
    // Accepts TCP connections and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url_b = format!("mqtt://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let url_a = a.tcp_url();
    let started = Instant::now();
    let out =
        mqscope(&["diff", "-u", &url_a, "-u", &url_b, "-t", "#", "--connect-timeout", "1s"], Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "a timeout: {stderr}");
    assert!(stderr.contains(&format!("B ({url_b})")), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(silent);
    // A port where nothing listens: could not connect, exit 3.
    let closed = common::free_ports(1)[0];
    let out = mqscope(
        &["diff", "-u", &url_a, "-u", &format!("mqtt://127.0.0.1:{closed}"), "-t", "#"],
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn diff_refuses_bad_input_before_connecting() {
    for (args, needle) in [
        (&["diff", "-u", "mqtt://127.0.0.1:1", "-t", "#"][..], "two -u URL or two -P"),
        (&["diff", "-u", "mqtt://127.0.0.1:1", "-u", "mqtt://127.0.0.1:1", "-t", "a/#/b"], "topic filter 'a/#/b'"),
        (
            &["diff", "-u", "mqtt://127.0.0.1:1", "-u", "mqtt://127.0.0.1:1", "-t", "#", "--map", "a\u{1b}[31m"],
            "A_PREFIX=B_PREFIX",
        ),
    ] {
        let out = mqscope(args, Duration::from_secs(30));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle) && !stderr.contains('\u{1b}'), "{args:?}: {stderr}");
    }
}

#[test]
fn diff_takes_both_brokers_from_profiles() {
    let Some(brokers) = bridged() else { return };
    seed_retained(&brokers);
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_file(
        dir.path(),
        "config.toml",
        &format!(
            "[profiles.edge]\nurl = \"{}\"\n\n[profiles.cloud]\nurl = \"{}\"\n",
            brokers.a.tcp_url(),
            brokers.b.tcp_url()
        ),
    );
    let config = config.to_str().unwrap();
    let args = [
        "diff",
        "--config",
        config,
        "-P",
        "edge",
        "-P",
        "cloud",
        "-t",
        "factory/#",
        "--map",
        "factory/=site1/factory/",
        "--retained",
    ];
    let out = mqscope(&args, Duration::from_secs(60));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.starts_with(&format!(
            "A  {}  'factory/#'\nB  {}  'site1/factory/#'",
            brokers.a.tcp_url(),
            brokers.b.tcp_url()
        )),
        "{text}"
    );
    assert!(text.contains("topics: 1 on both, 1 only on A, 0 only on B"), "{text}");
    // A profile that does not exist: a usage error naming it.
    let out = mqscope(&["diff", "--config", config, "-P", "edge", "-P", "nope", "-t", "#"], Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn diff_says_late_for_messages_that_arrive_after_the_delay_not_lost() {
    // Two brokers with no bridge: the test itself carries A's messages to B, 1.5 s late.
    let (Some(a), Some(b)) = (Mosquitto::start(), Mosquitto::start()) else { return };
    let (url_a, url_b) = (a.tcp_url(), b.tcp_url());
    let carrier = std::thread::spawn(move || {
        // Well after both subscriptions and the warm-up (`--max-delay`).
        std::thread::sleep(Duration::from_secs(3));
        for i in 0..3 {
            a.publish("plant/slow", format!("m{i}").as_bytes(), false);
        }
        std::thread::sleep(Duration::from_millis(1_500));
        for i in 0..3 {
            b.publish("plant/slow", format!("m{i}").as_bytes(), false);
        }
        (a, b)
    });
    let out = mqscope(
        &["diff", "-u", &url_a, "-u", &url_b, "-t", "plant/#", "--max-delay", "0.5", "--duration", "7s", "-F", "json"],
        Duration::from_secs(60),
    );
    let _brokers = carrier.join().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let m = &v["messages"];
    assert_eq!((m["a_lost"].as_u64(), m["a_late"].as_u64()), (Some(0), Some(3)), "{text}");
    assert_eq!(m["b_not_on_a"].as_u64(), Some(0), "B's late copies are not messages A lacks: {text}");
    assert_eq!(v["result"], "LATE: every message arrived, some after --max-delay", "{text}");
    let delay = v["delay"]["a_to_b"]["max_ms"].as_f64().unwrap_or_default();
    assert!(delay >= 1_000.0, "the late delay is in the figures: {text}");
    assert_eq!(out.status.code(), Some(1), "late fails the check: {text}");
}
