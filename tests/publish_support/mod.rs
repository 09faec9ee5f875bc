//! Helpers for the publishing tests: run the real `mqscope` binary with bytes on stdin and a bound on
//! its run time, collect what a subscriber receives, check sequence numbers, and start aedes.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

use mqscope::codec::{ProtocolVersion, QoS, Subscription, SubscriptionOptions};
use mqscope::session::{self, SessionConfig, SessionEvent, TaskOptions};
use mqscope::transport::TransportOptions;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Client ids of collectors, unique within the test binary.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
use std::time::{Duration, Instant};

/// What a finished `mqscope` run left behind.
#[derive(Debug)]
pub struct Run {
    /// `None` when it was killed for running over its limit.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn describe(&self) -> String {
        format!("exit {:?} after {:.1} s; stderr:\n{}", self.code, self.elapsed.as_secs_f64(), tail(&self.stderr))
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Runs `mqscope ARGS` with `stdin` as its input; kills it after `limit`. Output is read on threads,
/// so a chatty run (`-d`) cannot block on a full pipe.
pub fn mqscope(args: &[&str], stdin: Vec<u8>, limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = reader(child.stdout.take().unwrap());
    let err = reader(child.stderr.take().unwrap());
    let code = wait_bounded(&mut child, start + limit);
    let _ = feeder.join();
    Run { code, stdout: out.join().unwrap(), stderr: err.join().unwrap(), elapsed: start.elapsed() }
}

fn reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for the child until `deadline`, then kills it (by its own handle) and returns `None`.
fn wait_bounded(child: &mut Child, deadline: Instant) -> Option<i32> {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `1\n2\n...n\n`, like `seq 1 n`.
pub fn seq(n: u64) -> Vec<u8> {
    (1..=n).map(|i| format!("{i}\n")).collect::<String>().into_bytes()
}

/// A subscriber on its own thread and runtime, subscribed (SUBACK seen) when `start` returns. It
/// stops once `expected` messages arrived or nothing came for `idle`.
pub struct Collector {
    thread: std::thread::JoinHandle<Result<Vec<Vec<u8>>, String>>,
}

impl Collector {
    pub fn start(url: &str, topic: &str, qos: QoS, expected: usize, idle: Duration) -> Self {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (url, topic) = (url.to_string(), topic.to_string());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(collect(url, topic, qos, expected, idle, ready_tx))
        });
        match ready_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => Self { thread },
            Ok(Err(why)) => panic!("subscriber: {why}"),
            Err(_) => panic!("subscriber: no SUBACK within 30 s: {:?}", thread.join()),
        }
    }

    /// The payloads received, in order.
    pub fn finish(self) -> Vec<Vec<u8>> {
        match self.thread.join().unwrap() {
            Ok(payloads) => payloads,
            Err(why) => panic!("subscriber: {why}"),
        }
    }
}

async fn collect(
    url: String,
    topic: String,
    qos: QoS,
    expected: usize,
    idle: Duration,
    ready: mpsc::Sender<Result<(), String>>,
) -> Result<Vec<Vec<u8>>, String> {
    let session = SessionConfig {
        client_id: format!("collector-{}-{}", std::process::id(), NEXT_ID.fetch_add(1, Ordering::Relaxed)),
        version: ProtocolVersion::V3_1_1,
        version_forced: true,
        subscriptions: vec![Subscription { filter: topic.as_str().into(), options: SubscriptionOptions::qos(qos) }],
        ..SessionConfig::default()
    };
    let mut opts = TaskOptions::new(TransportOptions::new(url), session);
    opts.channel_capacity = 1024;
    let mut handle = session::spawn(opts);
    let mut got = Vec::with_capacity(expected);
    let mut subscribed = false;
    let mut until = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < expected {
        let ev = tokio::time::timeout_at(until, handle.events.recv()).await;
        match ev {
            Err(_) if !subscribed => {
                let _ = ready.send(Err("no SUBACK".into()));
                return Err("no SUBACK".into());
            }
            Err(_) => break,
            Ok(None) => return Err("the session ended".into()),
            Ok(Some(SessionEvent::Subscribed { .. })) => {
                subscribed = true;
                until = tokio::time::Instant::now() + idle;
                let _ = ready.send(Ok(()));
            }
            Ok(Some(SessionEvent::Messages(batch))) => {
                got.extend(batch.into_iter().map(|m| m.payload.to_vec()));
                until = tokio::time::Instant::now() + idle;
            }
            Ok(Some(SessionEvent::Message(m))) => {
                got.push(m.payload.to_vec());
                until = tokio::time::Instant::now() + idle;
            }
            Ok(Some(SessionEvent::Disconnected { reason, .. })) => {
                let why = format!("subscriber disconnected: {reason}");
                let _ = ready.send(Err(why.clone()));
                return Err(why);
            }
            Ok(Some(_)) => {}
        }
    }
    let _ = handle.commands.send(session::Command::Disconnect).await;
    let _ = tokio::time::timeout(Duration::from_secs(3), async { while handle.events.recv().await.is_some() {} }).await;
    Ok(got)
}

/// Checks that `payloads` hold every number 1..=n (and, when `exactly_once`, each once). `Err` says
/// what is missing or repeated.
pub fn check_sequence(payloads: &[Vec<u8>], n: u64, exactly_once: bool) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    let mut repeated = 0u64;
    for p in payloads {
        let Some(i) = std::str::from_utf8(p).ok().and_then(|s| s.parse::<u64>().ok()) else {
            return Err(format!("a payload that is not a sequence number: {:?}", String::from_utf8_lossy(p)));
        };
        if !seen.insert(i) {
            repeated += 1;
        }
    }
    let missing: Vec<u64> = (1..=n).filter(|i| !seen.contains(i)).collect();
    if !missing.is_empty() {
        let first: Vec<u64> = missing.iter().take(10).copied().collect();
        return Err(format!("{} of {n} missing (first: {first:?}); {} received", missing.len(), payloads.len()));
    }
    if exactly_once && repeated > 0 {
        return Err(format!("{repeated} duplicate(s) at QoS 2"));
    }
    Ok(())
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where `npm install` put aedes and ws: `$MQSCOPE_NODE_MODULES`, else `target/npm/node_modules`
/// (where .ci/run installs them).
pub fn node_modules() -> PathBuf {
    std::env::var_os("MQSCOPE_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules"))
}

/// aedes (npm) on 127.0.0.1, TCP and WebSocket on ports the OS picks. It exits when its stdin closes,
/// so it cannot outlive the test; `Drop` also kills it by its own handle.
pub struct Aedes {
    child: Child,
    _stdin: ChildStdin,
    pub tcp_port: u16,
    pub ws_port: u16,
}

impl Aedes {
    /// `None` (after printing why) when node or the npm packages are missing and `CI` is not `true`;
    /// under CI that is a failure.
    pub fn start() -> Option<Self> {
        let modules = node_modules();
        let missing = if Command::new("node").arg("--version").output().is_err() {
            Some("node is not installed".to_string())
        } else if !modules.join("aedes").is_dir() || !modules.join("ws").is_dir() {
            Some(format!(
                "aedes/ws not found in {} (npm install --prefix target/npm aedes ws, as .ci/run does)",
                modules.display()
            ))
        } else {
            None
        };
        if let Some(why) = missing {
            assert!(!ci(), "{why}, and CI must run the aedes tests");
            eprintln!("skipping: {why}");
            return None;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/aedes_broker.js");
        let mut child = Command::new("node")
            .arg(script)
            .args(["0", "0"])
            .env("NODE_PATH", &modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("aedes did not start within 30 s");
            }
        };
        let port = |key: &str| -> u16 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(key))
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("aedes said {line:?}, not `ready tcp=PORT ws=PORT`"))
        };
        let (tcp_port, ws_port) = (port("tcp="), port("ws="));
        Some(Self { child, _stdin: stdin, tcp_port, ws_port })
    }

    pub fn tcp_url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.tcp_port)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/mqtt", self.ws_port)
    }
}

impl Drop for Aedes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
