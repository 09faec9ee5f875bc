//! Replay's memory does not grow with the recording's length. A child process (this test binary,
//! run again) replays a generated recording and reports its peak resident memory (VmHWM); a file
//! ten times longer must not raise the peak by more than a few MiB. Both paths are measured: into
//! the dashboard's event stream, and republished to mosquitto (`replay --to`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_macros)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

const CHILD_FILE: &str = "MQSCOPE_TEST_REPLAY_FILE";
const CHILD_TO: &str = "MQSCOPE_TEST_REPLAY_TO";
const SMALL: u64 = 20_000;
const LARGE: u64 = 200_000;
/// Allowed growth of the peak from the short file to the ten times longer one. Holding the long
/// file's records (as replay once did) would take well over 50 MiB.
const SLACK_KIB: u64 = 12 * 1024;

fn write_recording(path: &Path, lines: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let payload = "x".repeat(80);
    for i in 0..lines {
        writeln!(
            out,
            r#"{{"ts":"2026-12-02T10:00:00.000Z","ts_ms":{},"topic":"plant/line{}/sensor{}","qos":0,"retain":false,"payload":"{i} {payload}"}}"#,
            1_000_000 + i,
            i % 10,
            i % 97
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// In the child: replays the file the parent named and prints the peak memory.
fn child(file: &str) {
    match std::env::var(CHILD_TO) {
        Ok(url) => {
            let cli = <mqscope::cli::Cli as clap::Parser>::try_parse_from([
                "mqscope", "replay", file, "--max", "--to", &url, "--mqtt", "3.1.1",
            ])
            .unwrap();
            let Some(mqscope::cli::Command::Replay(mut args)) = cli.command else { panic!("not a replay") };
            args.conn.url = args.to.take();
            assert_eq!(mqscope::record::command::run(&args, true), 0);
        }
        Err(_) => into_app(file),
    }
    println!("\nVmHWM_KIB={}", vm_hwm_kib());
}

/// Plays the file into a dashboard's event stream and drops the messages, as fast as it goes.
fn into_app(file: &str) {
    use mqscope::record::replay::{Pace, Report, Source, spawn_into_app};
    use mqscope::session::SessionEvent;
    use std::sync::{Arc, Mutex};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let report = Arc::new(Mutex::new(Report::default()));
    let reader = mqscope::record::Reader::open(Path::new(file)).unwrap();
    let played = rt.block_on(async {
        let mut h = spawn_into_app(Source::new(reader, Path::new(file), report.clone()), Pace::Max, "t".into()).handle;
        let mut n = 0u64;
        while let Some(ev) = h.events.recv().await {
            match ev {
                SessionEvent::Messages(batch) => n += batch.len() as u64,
                SessionEvent::Warning(w) if w.starts_with("replay finished") => break,
                _ => {}
            }
        }
        n
    });
    assert_eq!(played, report.lock().unwrap().played);
}

/// Runs the child on `file`; its peak memory in KiB.
fn peak_kib(file: &Path, to: Option<&str>) -> u64 {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "replay_memory_does_not_grow_with_the_file", "--nocapture", "--test-threads=1"]);
    cmd.env(CHILD_FILE, file);
    match to {
        Some(url) => cmd.env(CHILD_TO, url),
        None => cmd.env_remove(CHILD_TO),
    };
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find_map(|l| l.split("VmHWM_KIB=").nth(1)).expect("the child's VmHWM line");
    line.trim().parse().unwrap()
}

#[test]
fn replay_memory_does_not_grow_with_the_file() {
    if let Ok(file) = std::env::var(CHILD_FILE) {
        return child(&file);
    }
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (dir.path().join("small.jsonl"), dir.path().join("large.jsonl"));
    write_recording(&small, SMALL);
    write_recording(&large, LARGE);
    let large_mib = std::fs::metadata(&large).unwrap().len() >> 20;

    let (a, b) = (peak_kib(&small, None), peak_kib(&large, None));
    eprintln!("into the dashboard: peak {a} KiB for {SMALL} lines, {b} KiB for {LARGE} lines ({large_mib} MiB)");
    assert!(b < a + SLACK_KIB, "peak grew from {a} KiB to {b} KiB with the file's length");

    let Some(broker) = common::Mosquitto::start() else { return };
    let url = broker.tcp_url();
    let (a, b) = (peak_kib(&small, Some(&url)), peak_kib(&large, Some(&url)));
    eprintln!("republished: peak {a} KiB for {SMALL} lines, {b} KiB for {LARGE} lines ({large_mib} MiB)");
    assert!(b < a + SLACK_KIB, "peak grew from {a} KiB to {b} KiB with the file's length");
}
