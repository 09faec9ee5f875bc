//! Helpers for the session integration tests: a library client with bounded waits for its events, and
//! the `mqscope` binary run as a child process with its output collected on threads (so a big payload
//! never blocks a pipe) and every wait bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mqscope::codec::{Bytes, Properties, ProtocolVersion, QoS, Subscription, SubscriptionOptions};
use mqscope::session::{
    self, Command as SessionCommand, ConnectionInfo, Message, OutgoingPublish, SessionConfig, SessionEvent,
    SessionHandle, SubscribeOutcome, TaskOptions,
};
use mqscope::transport::TransportOptions;

/// Bound for one step of a test (a connection, a round trip, a process exit).
pub const STEP: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------------------------
// Library client

pub fn sub(filter: &str, qos: QoS) -> Subscription {
    Subscription { filter: filter.into(), options: SubscriptionOptions::qos(qos) }
}

/// Session options for `transport`: a client id, the version (forced when `Some`), fast reconnects.
pub fn task_options(transport: TransportOptions, client_id: &str, version: Option<ProtocolVersion>) -> TaskOptions {
    let session = SessionConfig {
        client_id: client_id.into(),
        version: version.unwrap_or(ProtocolVersion::V5),
        version_forced: version.is_some(),
        keep_alive: 30,
        ..SessionConfig::default()
    };
    let mut opts = TaskOptions::new(transport, session);
    opts.reconnect.min_delay = Duration::from_millis(50);
    opts.reconnect.max_delay = Duration::from_millis(500);
    opts
}

/// A session and every event it reported so far.
pub struct Client {
    pub handle: SessionHandle,
    pub seen: Vec<SessionEvent>,
    token: u64,
}

impl Client {
    pub fn spawn(opts: TaskOptions) -> Self {
        Self { handle: session::spawn(opts), seen: Vec::new(), token: 0 }
    }

    /// The next event, within `limit`; `None` when the session ended (channel closed).
    pub async fn next(&mut self, limit: Duration) -> Option<SessionEvent> {
        let ev = tokio::time::timeout(limit, self.handle.events.recv())
            .await
            .unwrap_or_else(|_| panic!("no session event within {limit:?}; seen so far: {:#?}", self.seen))?;
        self.seen.push(ev.clone());
        Some(ev)
    }

    /// Waits for the first event `pick` accepts, within `limit`.
    pub async fn until<T>(&mut self, limit: Duration, mut pick: impl FnMut(&SessionEvent) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(ev) => {
                    if let Some(t) = pick(&ev) {
                        return t;
                    }
                }
                None => panic!("the session ended while waiting; seen: {:#?}", self.seen),
            }
        }
    }

    pub async fn connected(&mut self) -> ConnectionInfo {
        self.until(STEP, |ev| match ev {
            SessionEvent::Connected(info) => Some((**info).clone()),
            SessionEvent::Disconnected { fatal: Some(_), .. } => panic!("session failed: {ev:?}"),
            _ => None,
        })
        .await
    }

    /// Subscribes and waits for the SUBACK; panics unless every filter was granted.
    pub async fn subscribe(&mut self, subs: Vec<Subscription>) {
        self.handle.commands.send(SessionCommand::Subscribe(subs)).await.unwrap();
        self.subscribed().await;
    }

    /// Waits for a `Subscribed` event with every filter granted.
    pub async fn subscribed(&mut self) -> Vec<(String, SubscribeOutcome)> {
        let results = self
            .until(STEP, |ev| match ev {
                SessionEvent::Subscribed { results, .. } => Some(results.clone()),
                _ => None,
            })
            .await;
        for (filter, outcome) in &results {
            assert!(matches!(outcome, SubscribeOutcome::Granted(_)), "'{filter}' not granted: {outcome:?}");
        }
        results
    }

    /// Publishes and waits until the session reports it done (QoS 0 written, QoS 1/2 acknowledged).
    pub async fn publish(&mut self, topic: &str, payload: impl Into<Bytes>, qos: QoS, retain: bool) {
        self.publish_with(OutgoingPublish {
            topic: topic.into(),
            payload: payload.into(),
            qos,
            retain,
            properties: Properties::default(),
        })
        .await;
    }

    pub async fn publish_with(&mut self, publish: OutgoingPublish) {
        self.token += 1;
        let token = self.token;
        self.handle.commands.send(SessionCommand::Publish { token, publish }).await.unwrap();
        let result = self
            .until(STEP, |ev| match ev {
                SessionEvent::Published { token: t, result, .. } if *t == token => Some(result.clone()),
                _ => None,
            })
            .await;
        assert!(result.is_ok(), "publish {token} failed: {result:?}");
    }

    /// The next `n` messages, within `limit`.
    pub async fn messages(&mut self, n: usize, limit: Duration) -> Vec<Message> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + limit;
        while got.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.handle.events.recv()).await {
                Ok(Some(SessionEvent::Messages(batch))) => got.extend(batch),
                Ok(Some(SessionEvent::Message(m))) => got.push(m),
                Ok(Some(other)) => self.seen.push(other),
                Ok(None) => panic!("the session ended after {} of {n} messages; seen: {:#?}", got.len(), self.seen),
                Err(_) => panic!("{} of {n} messages within {limit:?}: {got:#?}; seen: {:#?}", got.len(), self.seen),
            }
        }
        got
    }

    /// Messages that arrive within `window` (for asserting that nothing more comes).
    pub async fn messages_within(&mut self, window: Duration) -> Vec<Message> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, self.handle.events.recv()).await {
            match ev {
                SessionEvent::Messages(batch) => got.extend(batch),
                SessionEvent::Message(m) => got.push(m),
                other => self.seen.push(other),
            }
        }
        got
    }

    pub fn warnings(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Warning(w) => Some(w.clone()),
                _ => None,
            })
            .collect()
    }

    /// The informational events seen so far (a version fallback).
    pub fn notices(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter_map(|e| match e {
                SessionEvent::Notice(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// Asks the session to leave and waits for the task to end.
    pub async fn disconnect(self) {
        let Self { mut handle, .. } = self;
        let _ = handle.commands.send(SessionCommand::Disconnect).await;
        let drain = async { while handle.events.recv().await.is_some() {} };
        tokio::time::timeout(STEP, drain).await.expect("the session did not end after Disconnect");
        let _ = tokio::time::timeout(STEP, handle.task).await;
    }
}

/// A topic prefix unique to this test process and call, so tests sharing a broker do not see each other.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

// ---------------------------------------------------------------------------------------------------------
// The binary

pub fn mqscope() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mqscope"));
    cmd.env_remove("MQSCOPE_URL").env_remove("MQSCOPE_USERNAME");
    cmd
}

/// What a finished process left behind.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl Output {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn lines(&self) -> Vec<String> {
        self.stdout_text().lines().map(str::to_owned).collect()
    }
    /// Each stdout line parsed as JSON.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.lines().iter().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
    }
}

/// A running `mqscope` (or any) child: stdout and stderr are read by threads as they come.
pub struct Proc {
    child: Child,
    started: Instant,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr_lines: std_mpsc::Receiver<String>,
    stderr: Vec<String>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `cmd` with piped output; `stdin` bytes are written (and the pipe closed) by a thread.
    pub fn start(cmd: Command, stdin: Option<Vec<u8>>) -> Self {
        Self::start_with_stdout(cmd, stdin, Stdio::piped())
    }

    /// As `start`, with stdout going to `stdout` (a file such as /dev/full; then nothing is collected).
    pub fn start_with_stdout(mut cmd: Command, stdin: Option<Vec<u8>>, stdout: Stdio) -> Self {
        cmd.stdout(stdout).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = cmd.spawn().expect("cannot start the process");
        let mut threads = Vec::new();
        if let Some(data) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            threads.push(std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            }));
        }
        let stdout = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut out_pipe) = child.stdout.take() {
            let sink = stdout.clone();
            threads.push(std::thread::spawn(move || {
                let mut chunk = [0u8; 64 * 1024];
                while let Ok(n) = out_pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    sink.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            }));
        }
        let (tx, stderr_lines) = std_mpsc::channel();
        let err_pipe = child.stderr.take().unwrap();
        threads.push(std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        }));
        Self { child, started: Instant::now(), stdout, stderr_lines, stderr: Vec::new(), threads }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most `limit`) for a stderr line containing `needle`; panics with what was seen otherwise.
    pub fn wait_stderr(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        if let Some(l) = self.stderr.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.stderr.push(line.clone());
                    if hit {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no stderr line with '{needle}' within {limit:?}; stderr so far:\n{}",
                    self.stderr.join("\n")
                ),
            }
        }
    }

    /// Bytes written to stdout so far.
    pub fn stdout_now(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// Exit status if it has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// Waits for the exit (at most `limit`; then kills it and panics) and collects its output.
    pub fn wait(mut self, limit: Duration) -> Output {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let out = self.collect_output();
                panic!(
                    "process did not exit within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&out.0),
                    out.1
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.started.elapsed();
        let (stdout, stderr) = self.collect_output();
        Output { status, stdout, stderr, elapsed }
    }

    /// Stops it (SIGKILL to its own PID) and collects the output.
    pub fn kill(mut self) -> Output {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        let elapsed = self.started.elapsed();
        let (stdout, stderr) = self.collect_output();
        Output { status, stdout, stderr, elapsed }
    }

    fn collect_output(&mut self) -> (Vec<u8>, String) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        while let Ok(line) = self.stderr_lines.try_recv() {
            self.stderr.push(line);
        }
        (std::mem::take(&mut *self.stdout.lock().unwrap()), self.stderr.join("\n"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to completion (bounded by `limit`).
pub fn run(cmd: Command, stdin: Option<Vec<u8>>, limit: Duration) -> Output {
    Proc::start(cmd, stdin).wait(limit)
}

/// `mqscope sub -d` plus `args`, started and subscribed (its "subscribed to" debug line seen).
pub fn sub_ready(url: &str, args: &[&str]) -> Proc {
    let mut cmd = mqscope();
    cmd.args(["sub", "-d", "-u", url]).args(args);
    let mut p = Proc::start(cmd, None);
    p.wait_stderr("mqscope: subscribed to", STEP);
    p
}

/// `sub_ready` with stdout going to `stdout` instead of a pipe that is read.
pub fn sub_ready_to(url: &str, args: &[&str], stdout: Stdio) -> Proc {
    let mut cmd = mqscope();
    cmd.args(["sub", "-d", "-u", url]).args(args);
    let mut p = Proc::start_with_stdout(cmd, None, stdout);
    p.wait_stderr("mqscope: subscribed to", STEP);
    p
}

/// `mqscope pub -u URL ARGS`, run to the end; asserts exit code 0.
pub fn publish_ok(url: &str, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut cmd = mqscope();
    cmd.args(["pub", "-u", url]).args(args);
    let out = run(cmd, stdin, STEP);
    assert_eq!(out.code(), 0, "mqscope pub {args:?} failed: {}", out.stderr);
    out
}
