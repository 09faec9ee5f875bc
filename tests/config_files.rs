//! The binary and its files: config values printed escaped, files read with a size limit and only
//! when regular, and files written with private modes (config saves, the log).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary with a bound on its run time (a blocked read must fail the test, not hang it).
fn mqscope(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mqscope"));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.env_remove("MQSCOPE_CONFIG").env_remove("MQSCOPE_URL").env_remove("MQSCOPE_PROFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("mqscope {args:?} did not finish; stderr: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n') || matches!(c, '\u{200b}' | '\u{202e}');
        assert!(!bad, "{what} carries U+{:04X} raw:\n{text:?}", c as u32);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

const HOSTILE_CONFIG: &str = r#"
[profiles."evil\u001b]0;PWNED\u0007"]
url = "ws://h/\u001b[2J\u001b[31mlogin ok\u001b[0m\nfake: line"
username = "me\u202eevil\u200b"
subscriptions = [{ filter = "a/\u001b[1m/#" }]
"#;

#[test]
fn profiles_and_unknown_profile_errors_print_config_values_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, HOSTILE_CONFIG).unwrap();
    let out = mqscope(&["profiles"], &[("MQSCOPE_CONFIG", path_str(&file))]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_clean("stdout", &out.stdout);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("evil\\e]0;PWNED\\x07") && listing.contains("\\nfake: line"), "{listing}");
    assert!(!listing.lines().any(|l| l.starts_with("fake")), "a value cannot add a line: {listing}");

    let out = mqscope(&["sub", "-P", "nope\u{1b}[31m", "-t", "x"], &[("MQSCOPE_CONFIG", path_str(&file))]);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("stderr", &out.stderr);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no profile named 'nope\\e[31m'") && err.contains("evil\\e]0;PWNED"), "{err}");
}

#[test]
fn a_config_that_is_not_a_regular_file_or_too_large_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let big = dir.path().join("big.toml");
    std::fs::write(&big, format!("# {}\n", "x".repeat(2 << 20))).unwrap();
    for (file, says) in [
        ("/dev/zero", "is a character device, not a regular file"),
        (path_str(&fifo), "is a FIFO, not a regular file"),
        (path_str(dir.path()), "is a folder, not a regular file"),
        (path_str(&big), "is larger than 1 MiB"),
    ] {
        let out = mqscope(&["profiles"], &[("MQSCOPE_CONFIG", file)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
    }
}

#[test]
fn the_log_file_and_its_folder_are_created_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/mqscope.log");
    // No terminal here: the dashboard stops after opening its log.
    let out = mqscope(&["-u", "ws://127.0.0.1:9/mqtt", "--log-file", path_str(&log)], &[]);
    assert!(log.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(&dir.path().join("logs")), 0o700);
}

#[test]
fn header_files_and_variables_are_checked_and_their_values_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("headers");
    std::fs::write(&bad, "X-Token: fine\nX-Secret s3cr3t-no-colon\n").unwrap();
    let base = ["sub", "-u", "ws://127.0.0.1:9/mqtt", "-t", "x"];
    for (extra, says) in [
        (vec!["--header-file", "/dev/zero"], "is a character device, not a regular file".to_string()),
        (vec!["--header-file", path_str(&bad)], format!("--header-file '{}' line 2 must look like", bad.display())),
        (
            vec!["--header-env", "MQSCOPE_TEST_NO_SUCH_VAR"],
            "'MQSCOPE_TEST_NO_SUCH_VAR' (from --header-env) is not set".into(),
        ),
        (vec!["--header", "X-Secret s3cr3t-no-colon"], "--header number 1".into()),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = mqscope(&args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(&says), "{extra:?}: {err}");
        assert!(!err.contains("s3cr3t"), "a header value was echoed: {err}");
    }
}

/// A pipe is a stream of records like a file (`replay <(zcat rec.jsonl.gz)`): played, not refused.
/// Only `--strict`, which reads the file twice, needs a regular file.
#[test]
fn replay_reads_a_recording_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("rec.jsonl");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let strict = mqscope(&["replay", path_str(&fifo), "--strict", "--to", "mqtt://127.0.0.1:9"], &[]);
    let err = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(2), "{err}");
    assert!(err.contains("must be a regular file, not a pipe"), "{err}");

    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let line = r#"{"ts":"x","ts_ms":1,"topic":"a/b","qos":0,"retain":false,"payload":"hi"}"#;
            std::fs::write(fifo, format!("{line}\n")).unwrap();
        })
    };
    // Nothing listens on port 9: the file was read (one record), then connecting failed (exit 3).
    let out = mqscope(&["replay", path_str(&fifo), "--max", "--to", "mqtt://127.0.0.1:9"], &[]);
    writer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("not a regular file"), "{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
}

#[test]
fn replay_refuses_a_recording_that_is_not_a_regular_file() {
    for file in ["/dev/zero", "/"] {
        let out = mqscope(&["replay", file, "--to", "mqtt://127.0.0.1:9"], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains("not a regular file"), "{file}: {err}");
    }
}
