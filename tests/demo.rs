//! `mqscope demo` end to end: the headless broker and feed checked with `mqscope sub` over ws, the
//! Sparkplug edge node read by the project's tracker, and the full demo in tmux showing a live watch
//! table and the Sparkplug view.

mod common;

use common::tmux::{Tmux, quote, tools_present};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_mqscope");

/// Bound for any one thing to show up on the demo's screen.
const DEMO_WAIT: Duration = Duration::from_secs(30);

/// Kills the demo (by PID) when the test ends, however it ends.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mqscope demo --headless` and returns it with its ws:// and mqtt:// URLs.
fn headless_demo() -> (Demo, String, String) {
    let mut child = Command::new(BIN)
        .args(["demo", "--headless"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mqscope demo");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo(child);
    let mut lines = BufReader::new(stdout).lines();
    let ws = lines.next().expect("a first line").expect("utf-8");
    let tcp = lines.next().expect("a second line").expect("utf-8");
    std::thread::spawn(move || for _ in lines {});
    (demo, ws, tcp)
}

fn sub(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["sub", "-u", url, "--mqtt", "3.1.1", "-W", "20"])
        .args(args)
        .output()
        .expect("run mqscope sub")
}

#[test]
fn headless_demo_prints_ws_first_and_quotes_flow_over_websockets() {
    let (_demo, ws, tcp) = headless_demo();
    assert!(ws.starts_with("ws://127.0.0.1:") && ws.ends_with("/mqtt"), "{ws}");
    assert!(tcp.starts_with("mqtt://127.0.0.1:"), "{tcp}");
    let out = sub(&ws, &["-t", "ticker/#", "-C", "30", "-F", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let quotes: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(quotes.len(), 30);
    let mut symbols = std::collections::BTreeSet::new();
    for q in &quotes {
        let topic = q["topic"].as_str().unwrap();
        let payload: serde_json::Value = serde_json::from_str(q["payload_text"].as_str().unwrap()).unwrap();
        assert!(payload["px"].as_f64().unwrap() > 0.0, "{payload}");
        assert_eq!(format!("ticker/{}", payload["sym"].as_str().unwrap()), topic);
        symbols.insert(topic.to_string());
    }
    assert!(symbols.len() > 3, "many symbols move: {symbols:?}");
}

#[test]
fn commands_against_the_demo_say_the_version_once_and_never_warn() {
    let mut child = Command::new(BIN)
        .args(["demo", "--headless"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start mqscope demo");
    let stdout = child.stdout.take().expect("stdout");
    let _demo = Demo(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    while printed.len() < 5 {
        match rx.recv_timeout(DEMO_WAIT) {
            Ok(line) => printed.push(line),
            Err(_) => panic!("the demo printed only {printed:?}"),
        }
    }
    let (ws, tcp) = (&printed[0], &printed[1]);
    // The examples it prints ask for the version the broker speaks.
    assert!(printed[3].contains(&format!("--mqtt 3.1.1 -u {ws}")), "{printed:?}");
    assert!(printed[4].contains(&format!("--mqtt 3.1.1 -u {tcp}")), "{printed:?}");
    for url in [ws, tcp] {
        let run = |extra: &[&str]| {
            Command::new(BIN)
                .args(["sub", "-u", url, "-t", "ref/#", "-C", "1", "-W", "20"])
                .args(extra)
                .output()
                .expect("run mqscope sub")
        };
        let asked = run(&["--mqtt", "3.1.1"]);
        assert!(asked.status.success(), "{}", String::from_utf8_lossy(&asked.stderr));
        assert_eq!(String::from_utf8_lossy(&asked.stderr), "", "{url} with --mqtt 3.1.1");
        // Without it: one line of information, no warning and no second "connecting" line.
        let default = run(&[]);
        let err = String::from_utf8_lossy(&default.stderr);
        assert!(default.status.success(), "{err}");
        assert_eq!(err.lines().count(), 1, "{url}: {err}");
        assert!(err.contains("using MQTT 3.1.1") && err.contains("--mqtt 3.1.1"), "{url}: {err}");
        assert!(!err.to_lowercase().contains("warning") && !err.contains("connecting to"), "{url}: {err}");
    }
}

#[test]
fn headless_demo_keeps_retained_reference_data_and_binary_topics() {
    let (_demo, ws, _tcp) = headless_demo();
    // Reference data is retained: a late subscriber gets all of it at once, then nothing live.
    let refs = sub(&ws, &["-t", "ref/#", "--retained-only", "-F", "json"]);
    assert!(refs.status.success(), "{}", String::from_utf8_lossy(&refs.stderr));
    let n = String::from_utf8_lossy(&refs.stdout).lines().count();
    assert_eq!(n, mqscope::demo::feed::universe().unwrap().symbols.len());
    let plant = sub(&ws, &["-t", "plant/camera/frame", "-C", "1", "-F", "json"]);
    let line = String::from_utf8_lossy(&plant.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("json");
    assert!(v["payload_hex"].as_str().unwrap().starts_with("89504e47"), "{v}");
    assert!(v.get("payload_text").is_none(), "binary is not text");
}

/// Decodes `mqscope sub -F json` lines of Sparkplug messages into (topic, payload bytes).
fn sparkplug_line(line: &str) -> Option<(String, Vec<u8>)> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let hex = v["payload_hex"].as_str()?;
    let bytes = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16)).collect::<Result<_, _>>();
    Some((v["topic"].as_str()?.to_owned(), bytes.ok()?))
}

#[test]
fn headless_demo_runs_a_sparkplug_edge_node_that_answers_a_rebirth() {
    use mqscope::payload::sparkplug::state::Network;
    let (_demo, _ws, tcp) = headless_demo();
    let mut child = Command::new(BIN)
        .args(["sub", "-u", &tcp, "--mqtt", "3.1.1", "-t", "spBv1.0/#", "-F", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mqscope sub");
    let stdout = child.stdout.take().expect("stdout");
    let _sub = Demo(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The node was born before this subscriber came: ask it for a rebirth, as the Sparkplug view's
    // `b` does, until its NBIRTH arrives (the subscription may not be in place for the first ask).
    let dir = tempfile::tempdir().expect("tempdir");
    let ncmd = dir.path().join("rebirth.bin");
    let mqscope::session::Command::Publish { publish, .. } =
        mqscope::app::sparkplug::rebirth_command("Plant1", "Edge1", 1, 1_795_628_616_000)
    else {
        panic!("a publish")
    };
    std::fs::write(&ncmd, &publish.payload).expect("write the NCMD");
    let mut seen = Vec::new();
    let start = std::time::Instant::now();
    'asking: while start.elapsed() < DEMO_WAIT {
        let out = Command::new(BIN)
            .args(["pub", "-u", &tcp, "--mqtt", "3.1.1", "-t", &publish.topic, "-f"])
            .arg(&ncmd)
            .output()
            .expect("run mqscope pub");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let asked = std::time::Instant::now();
        while asked.elapsed() < Duration::from_secs(1) {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100))
                && let Some(m) = sparkplug_line(&line)
            {
                let birth = m.0 == "spBv1.0/Plant1/NBIRTH/Edge1";
                seen.push(m);
                if birth {
                    break 'asking;
                }
            }
        }
    }
    // Then a few seconds of DATA.
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while std::time::Instant::now() < until {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100))
            && let Some(m) = sparkplug_line(&line)
        {
            seen.push(m);
        }
    }
    let mut net = Network::default();
    let t = std::time::SystemTime::now();
    // What came before the rebirth was sent before this host knew the node: the tracker starts at it.
    let born = seen.iter().position(|(topic, _)| topic.contains("/NBIRTH/")).expect("an NBIRTH after the NCMD");
    for (topic, payload) in &seen[born..] {
        net.observe(topic, payload, t);
    }
    let node = &net.groups["Plant1"].nodes["Edge1"];
    assert!(node.endpoint.online, "the node is online");
    assert!(node.bd_seq.is_some(), "its NBIRTH carried bdSeq");
    assert!(node.endpoint.metrics.contains_key("Node Control/Rebirth"));
    for (device, metrics) in [
        ("Press", ["Pressure", "Strokes", "Running", "Mode"]),
        ("Oven", ["Temperature", "Setpoint", "Heater On", "Recipe"]),
    ] {
        let d = node.devices.get(device).unwrap_or_else(|| panic!("{device} in {:?}", node.devices.keys()));
        assert!(d.online, "{device} online");
        for m in metrics {
            assert!(d.metrics.contains_key(m), "{device}/{m}: {:?}", d.metrics.keys());
        }
        assert!(d.metrics.keys().all(|k| !k.starts_with("alias ")), "{device}: aliases resolved");
        assert!(d.messages >= 3, "{device}: DDATA flows ({} messages)", d.messages);
    }
    assert_eq!(node.seq_gaps + node.seq_out_of_order + node.bd_seq_mismatches, 0, "no seq problems");
    assert_eq!(net.decode_failures, 0);
}

/// The price column of the AAPL row.
fn aapl_price(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.contains("┃AAPL"))?;
    line.split_whitespace()
        .find(|w| w.contains('.') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(String::from)
}

#[test]
fn demo_opens_the_watch_table_with_moving_prices() {
    if !tools_present(&["tmux"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("demo.log");
    let cmd = format!("{} demo --log-file {}; echo EXITED:$?; sleep 30", quote(Path::new(BIN)), quote(&log));
    let s = Tmux::start(dir.path().join("tmux.sock"), "demo", 160, 48, &cmd);
    let first = s.wait_for_within(DEMO_WAIT, "the watch table with AAPL", |sc| {
        sc.contains("Watch: tickers") && aapl_price(sc).is_some()
    });
    assert!(first.contains("REF%") && first.contains("TREND"), "{first}");
    assert!(first.contains("● connected"), "{first}");
    // AAPL updates about once a second: within a few seconds its price or the row's age changes.
    let p1 = aapl_price(&first);
    s.wait_for_within(DEMO_WAIT, "AAPL to move", |sc| aapl_price(sc) != p1);
    // The dashboard works on the demo too.
    s.keys(&["w"]);
    s.wait_for_within(DEMO_WAIT, "the dashboard", |sc| {
        sc.contains("Topics") && sc.contains("ticker") && sc.contains("Messages")
    });
    // The Sparkplug view: the edge node and its devices, a device's metrics by name.
    s.keys(&["S"]);
    s.wait_for_within(DEMO_WAIT, "the Sparkplug view with the edge node", |sc| {
        sc.contains("Sparkplug B") && sc.contains("Plant1") && sc.contains("Edge1") && sc.contains("Oven")
    });
    s.keys(&["j", "j"]);
    let oven = s.wait_for_within(DEMO_WAIT, "the Oven's metrics", |sc| {
        sc.contains("Metrics of Plant1/Edge1/Oven") && sc.contains("Temperature") && sc.contains("Setpoint")
    });
    assert!(!oven.contains("no birth seen"), "{oven}");
    // A rebirth request goes out and is answered.
    s.keys(&["b", "y"]);
    s.wait_for_within(DEMO_WAIT, "the rebirth request", |sc| sc.contains("rebirth requested from Plant1/Edge1"));
    s.keys(&["q"]);
    s.wait_for_within(DEMO_WAIT, "a clean exit", |sc| sc.contains("EXITED:0"));
}
