//! Commands that print to stdout report a write error (a full disk) and exit 1; a reader that went
//! away (`| head`) ends them quietly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// /dev/full, where every write fails with "No space left on device"; `None` (with the reason
/// printed) when this system has none, which CI does not accept.
fn dev_full() -> Option<std::fs::File> {
    match std::fs::OpenOptions::new().write(true).open("/dev/full") {
        Ok(f) => Some(f),
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: cannot open /dev/full ({e})");
            None
        }
        Err(e) => panic!("/dev/full is needed in CI: {e}"),
    }
}

fn run(args: &[&str], stdin: &[u8], stdout: Stdio) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mqscope"))
        .args(args)
        .env_remove("MQSCOPE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mqscope");
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("wait")
}

fn config() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[profiles.home]\nurl = \"mqtt://localhost\"\n").unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

/// Every command that prints, with its input.
fn printers(config: &str) -> Vec<(Vec<String>, &'static [u8])> {
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_string()).collect::<Vec<_>>();
    vec![
        (s(&["completions", "bash"]), b""),
        (s(&["man"]), b""),
        (s(&["decode", "--hex"]), b"30 05 00 01 61 68 69\n"),
        (s(&["profiles", "--config", config]), b""),
    ]
}

#[test]
fn printing_to_a_full_disk_fails_and_says_why() {
    let (_dir, config) = config();
    for (args, stdin) in printers(&config) {
        let Some(full) = dev_full() else { return };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, stdin, full.into());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write the output"), "{args:?} says it was the output: {stderr}");
    }
}

#[test]
fn printing_to_a_closed_pipe_ends_quietly() {
    let (_dir, config) = config();
    for (args, stdin) in printers(&config) {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, stdin, writer.into());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
