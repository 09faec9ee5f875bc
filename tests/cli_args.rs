//! The command line run as a process: bad values, bad URLs and misplaced options end with a clear
//! message and exit code 2 before anything connects or draws, never a panic (101) and never 0.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test. `MQSCOPE_BIN` points these tests at another build (to show that an old one
/// fails them).
fn bin() -> PathBuf {
    std::env::var_os("MQSCOPE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mqscope")), PathBuf::from)
}

/// Nothing listens on port 1: a command that got past its arguments fails to connect (exit 3).
const NOWHERE: &str = "mqtt://127.0.0.1:1";

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("MQSCOPE_URL")
        .env_remove("MQSCOPE_PROFILE")
        .env_remove("MQSCOPE_USERNAME")
        .env_remove("MQSCOPE_CONFIG")
        // No config of the user's own: the default place is empty.
        .env("XDG_CONFIG_HOME", "/nonexistent/mqscope-test")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawn mqscope");
    output_within(child, Duration::from_secs(60))
}

/// The child's output; killed (by its PID) when it runs past `limit`, so a regression cannot hang the suite.
fn output_within(mut child: Child, limit: Duration) -> Output {
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let until = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None if Instant::now() > until => {
                let _ = child.kill();
                break child.wait().expect("wait");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2, and stderr names the option and says `why`.
fn assert_usage(args: &[&str], option: &str, why: &str) {
    let out = run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: exit {:?}\n{err}", out.status.code());
    assert!(err.contains(option) && err.contains(why), "{args:?}: stderr should name {option} and say {why:?}:\n{err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn durations_that_overflow_or_are_not_numbers_exit_2_with_the_limit() {
    let limit = "at most 31536000 s";
    for w in ["1e30", "inf", "1e19", "18446744073709551615"] {
        assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-W", w], "--timeout", limit);
    }
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-W", "nan"], "--timeout", "not a number");
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "--timeout=-1"], "--timeout", "more than 0");
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-W", "0"], "--timeout", "more than 0");
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-W", "soon"], "--timeout", "not a duration");
    assert_usage(
        &["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--ack-timeout", "18446744073709551615"],
        "--ack-timeout",
        limit,
    );
    assert_usage(&["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--ack-timeout", "0"], "--ack-timeout", "more than 0");
    assert_usage(
        &["sub", "-u", NOWHERE, "-t", "a", "--retained-only", "--idle-ms", "18446744073709551615"],
        "--idle-ms",
        "at most",
    );
    assert_usage(&["clean-retained", "-u", NOWHERE, "a/#", "--idle-ms", "nan"], "--idle-ms", "not a number");
    assert_usage(&["clean-retained", "-u", NOWHERE, "a/#", "--ack-timeout", "inf"], "--ack-timeout", limit);
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "--connect-timeout", "1e30"], "--connect-timeout", limit);
    assert_usage(&["-u", NOWHERE, "--connect-timeout", "0"], "--connect-timeout", "more than 0");
}

#[test]
fn numbers_out_of_range_exit_2_with_the_limit() {
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-C", "0"], "--count", "at least 1");
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "-C", "99999999999999999999999"], "--count", "at most");
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "--keepalive", "70000"], "--keepalive", "at most 65535");
    assert_usage(
        &["sub", "-u", NOWHERE, "-t", "a", "--session-expiry", "4294967296"],
        "--session-expiry",
        "at most 4294967295",
    );
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a", "--max-packet-size", "0"], "--max-packet-size", "at least 1");
    assert_usage(
        &["sub", "-u", NOWHERE, "-t", "a", "--max-packet-size", "999999999999"],
        "--max-packet-size",
        "at most 268435460",
    );
    assert_usage(
        &["sub", "-u", NOWHERE, "-t", "a", "--topic-alias-max", "65536"],
        "--topic-alias-max",
        "at most 65535",
    );
    assert_usage(&["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--expiry=-1"], "--expiry", "must not be negative");
    assert_usage(&["decode", "--max-packet-size", "0"], "--max-packet-size", "at least 1");
    assert_usage(&["-u", NOWHERE, "--fps", "0"], "--fps", "at least 1");
    assert_usage(&["-u", NOWHERE, "--fps", "100000"], "--fps", "at most 240");
    assert_usage(&["-u", NOWHERE, "--history", "0"], "--history", "at least 1");
    assert_usage(&["-u", NOWHERE, "--history", "99999999999999"], "--history", "at most 1000000");
    assert_usage(&["-u", NOWHERE, "--memory", "0"], "--memory", "at least 1");
    assert_usage(&["-u", NOWHERE, "--memory", "18446744073709551615"], "--memory", "at most 1048576");
    assert_usage(&["demo", "--port", "65535"], "--port", "at most 65534");
    assert_usage(&["demo", "--port", "0"], "--port", "at least 1");
    assert_usage(&["demo", "--fps", "0"], "--fps", "at least 1");
    assert_usage(&["replay", "no-such-file.jsonl", "--speed", "0"], "--speed", "must be from");
    assert_usage(&["replay", "no-such-file.jsonl", "--speed", "nan"], "--speed", "not a number");
    assert_usage(&["replay", "no-such-file.jsonl", "--speed", "1e-300"], "--speed", "must be from");
}

fn config(dir: &Path, text: &str) -> String {
    common::write_file(dir, "config.toml", text).display().to_string()
}

#[test]
fn absurd_numbers_in_the_config_file_exit_2_naming_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("history = 0", "history"),
        ("fps = 0", "fps"),
        ("fps = 100000", "fps"),
        ("memory_mib = 0", "memory_mib"),
        ("[[profiles.p.watch]]\nname = \"w\"\npatterns = [\"a/#\"]\nstale_secs = 9223372036854775807", "stale_secs"),
        ("[[profiles.p.watch]]\nname = \"w\"\npatterns = [\"a/#\"]\nstale_secs = 0", "stale_secs"),
        (
            "[[profiles.p.watch]]\nname = \"w\"\npatterns = [\"a/#\"]\ncolumns = [{ title = \"t\", decimals = 1000000000 }]",
            "decimals",
        ),
        (
            "[[profiles.p.watch]]\nname = \"w\"\npatterns = [\"a/#\"]\ncolumns = [{ title = \"t\", above = nan }]",
            "above",
        ),
    ];
    for (body, what) in cases {
        let path = config(dir.path(), &format!("[profiles.p]\nurl = \"{NOWHERE}\"\n{body}\n"));
        let out = run(&["profiles", "--config", &path]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{body}: {err}");
        assert!(err.contains("profile 'p'") && err.contains(what), "{body}: {err}");
    }
}

#[test]
fn a_bad_broker_url_exits_2_before_connecting_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let recording = common::write_file(dir.path(), "r.jsonl", "");
    let recording = recording.to_str().unwrap();
    for url in ["htp://localhost", "mqtt://", "mqtt://h:99999", "mqtt://[::1", "ws://h:12ab/mqtt"] {
        let commands: [Vec<&str>; 5] = [
            vec!["-u", url],
            vec!["sub", "-u", url, "-t", "a"],
            vec!["pub", "-u", url, "-t", "a", "-m", "x"],
            vec!["clean-retained", "-u", url, "a/#"],
            vec!["replay", recording, "--to", url],
        ];
        for args in commands {
            let out = run(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("invalid broker URL"), "{args:?}: {err}");
        }
        // From the environment as well.
        let out = run_env(&["sub", "-t", "a"], &[("MQSCOPE_URL", url)]);
        assert_eq!(out.status.code(), Some(2), "MQSCOPE_URL={url}: {}", stderr(&out));
    }
    // The message keeps the password out and escapes what the terminal would interpret.
    let out = run(&["sub", "-u", "htp://me:s3cret@h\x1b[31m", "-t", "a"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("s3cret") && !err.contains('\x1b'), "{err}");
}

#[test]
fn a_bad_url_in_a_profile_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), "[profiles.p]\nurl = \"htp://localhost\"\n");
    let out = run(&["profiles", "--config", &path]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("profile 'p'") && err.contains("unknown scheme 'htp'"), "{err}");
}

#[test]
fn options_before_the_command_apply_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &format!("[profiles.p]\nurl = \"{NOWHERE}\"\n"));
    let out = run(&["--config", &path, "profiles"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("url: mqtt://127.0.0.1:1"));
    // The profile named before `sub` is the one it connects with: nothing listens there (exit 3).
    for args in [
        vec!["--config", &path, "-P", "p", "sub", "-t", "a"],
        vec!["-P", "p", "--config", &path, "sub", "-t", "a"],
        vec!["--config", &path, "--profile=p", "pub", "-t", "a", "-m", "x"],
        vec!["-dP", "p", "--config", &path, "clean-retained", "a/#"],
    ] {
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(err.contains("127.0.0.1:1"), "{args:?}: {err}");
    }
    // An option the command does not take is refused, wherever it is written.
    let out = run(&["-T", "x/#", "sub", "-u", NOWHERE, "-t", "a"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("'-T'"), "{}", stderr(&out));
    // A value that happens to be a command's name stays a value.
    let path = config(dir.path(), &format!("[profiles.sub]\nurl = \"{NOWHERE}\"\n"));
    let out = run(&["--config", &path, "-P", "sub", "sub", "-t", "a"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn insecure_gives_one_clean_warning() {
    let out = run(&["sub", "-u", "mqtts://127.0.0.1:1", "--insecure", "-t", "a"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("mqscope: warning: TLS certificate verification is disabled"), "{err}");
    assert!(!err.contains("WARNING"), "{err}");
}

#[test]
fn an_invalid_topic_filter_is_bad_input() {
    assert_usage(&["sub", "-u", NOWHERE, "-t", "a/#/b"], "'a/#/b'", "");
    assert_usage(&["sub", "-u", NOWHERE, "-t", ""], "topic filter", "");
    assert_usage(&["sub", "-u", NOWHERE], "-t", "");
}

#[test]
fn sub_takes_its_filters_from_the_profile_and_says_when_w_ran_out() {
    let broker = common::rumqttd();
    let url = broker.tcp_v4_url();
    let topic = format!("cli-args/{}/state", std::process::id());
    let out = run(&["pub", "-u", &url, "--mqtt", "3.1.1", "-t", &topic, "-m", "on", "-r", "-q", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let filter = format!("cli-args/{}/#", std::process::id());
    let path = config(
        dir.path(),
        &format!(
            "[profiles.p]\nurl = \"{url}\"\nmqtt = \"3.1.1\"\nsubscriptions = [{{ filter = \"{filter}\", qos = 1 }}]\n"
        ),
    );
    let out = run(&["--config", &path, "sub", "-P", "p", "-C", "1", "-W", "30", "-v"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{topic} on\n"));

    // -W runs out before -C is reached: exit 6 and a sentence saying so.
    let out = run(&["--config", &path, "sub", "-P", "p", "-C", "5", "-W", "1.5"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("1 of 5 messages") && err.contains("1.5 s"), "{err}");
}

/// Runs with stdout on /dev/full, where every write fails with "No space left on device".
fn run_to_full_disk(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let mut cmd = Command::new(bin());
    cmd.args(args).env("XDG_CONFIG_HOME", "/nonexistent/mqscope-test").stdin(Stdio::null()).stdout(full);
    cmd.stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn mqscope");
    let mut child = child;
    let mut err = Vec::new();
    child.stderr.take().expect("stderr").read_to_end(&mut err).expect("read stderr");
    let status = child.wait().expect("wait");
    Output { status, stdout: Vec::new(), stderr: err }
}

#[test]
fn output_that_cannot_be_written_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &format!("[profiles.p]\nurl = \"{NOWHERE}\"\n"));
    let broker = common::rumqttd();
    let url = broker.tcp_v4_url();
    let topic = format!("cli-args-full/{}", std::process::id());
    let out = run(&["pub", "-u", &url, "--mqtt", "3.1.1", "-t", &topic, "-m", "on", "-r", "-q", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for args in [
        vec!["profiles", "--config", &path],
        vec!["man"],
        vec!["completions", "bash"],
        vec!["sub", "-u", &url, "--mqtt", "3.1.1", "-t", &topic, "-C", "1", "-W", "30"],
        vec!["clean-retained", "-u", &url, "--mqtt", "3.1.1", &topic, "--dry-run"],
    ] {
        let out = run_to_full_disk(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
    }
}

#[test]
fn a_log_level_that_does_not_exist_is_refused() {
    assert_usage(&["-u", NOWHERE, "--log-level", "loud"], "--log-level", "loud");
}

#[test]
fn a_password_variable_that_is_not_set_is_bad_input() {
    assert_usage(
        &["sub", "-u", NOWHERE, "-t", "a", "--password-env", "MQSCOPE_TEST_NO_SUCH_VAR"],
        "MQSCOPE_TEST_NO_SUCH_VAR",
        "not set",
    );
}

#[test]
fn messages_about_bad_input_escape_it() {
    for args in [
        vec!["pub", "-u", NOWHERE, "-t", "a/+\x1b[2J", "-m", "x"],
        vec!["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--user-property", "\x1b[2J"],
        vec!["sub", "-u", NOWHERE, "-t", "a", "--will-topic", "w/#\x1b[2J"],
        vec!["clean-retained", "-u", NOWHERE, "a/#/\x1b[2J"],
        vec!["-u", NOWHERE, "-t", "a/#/\x1b[2J"],
        vec!["-u", NOWHERE, "--payload-view", "\x1b[2J"],
    ] {
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("\\e[2J") && !err.contains('\x1b'), "{args:?}: {err}");
    }
    // A header may hold a token: it is not repeated at all.
    let out = run(&["sub", "-u", "ws://127.0.0.1:1", "-t", "a", "--header", "\x1b[2J"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!stderr(&out).contains('\x1b') && !stderr(&out).contains("[2J"), "{}", stderr(&out));
}

#[test]
fn mqtt_5_options_with_an_older_version_asked_are_refused() {
    let cases: [(&[&str], &str); 4] = [
        (&["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--mqtt", "3.1.1", "--user-property", "k=v"], "--user-property"),
        (
            &["pub", "-u", NOWHERE, "-t", "a", "-m", "x", "--mqtt", "3.1", "--content-type", "t", "--expiry", "5"],
            "--expiry",
        ),
        (&["sub", "-u", NOWHERE, "-t", "a", "--mqtt", "3.1.1", "--no-local"], "--no-local"),
        (&["sub", "-u", NOWHERE, "-t", "a", "--mqtt", "3.1.1", "--session-expiry", "60"], "--session-expiry"),
    ];
    for (args, option) in cases {
        assert_usage(args, option, "MQTT 5");
    }
}

#[test]
fn a_missing_tls_file_is_found_before_connecting() {
    for (flag, extra) in
        [("--cafile", &[][..]), ("--cert", &["--key", "Cargo.toml"][..]), ("--key", &["--cert", "Cargo.toml"][..])]
    {
        let mut args = vec!["sub", "-u", "mqtts://127.0.0.1:1", "-t", "a", flag, "/nonexistent/mqscope.pem"];
        args.extend_from_slice(extra);
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains("/nonexistent/mqscope.pem") && !err.contains("refused"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_retained_says_how_long_it_waited_for_the_suback() {
    use mqscope::codec::{ConnAck, Packet, Properties, ProtocolVersion};
    let server = common::FakeTcpServer::bind().await;
    let url = server.url();
    let run = tokio::task::spawn_blocking(move || {
        run(&["clean-retained", "-u", &url, "--mqtt", "3.1.1", "--connect-timeout", "0.4", "a/#"])
    });
    // A broker that accepts the connection and never answers the SUBSCRIBE.
    let mut peer = server.accept().await;
    assert!(matches!(peer.read_packet(ProtocolVersion::V3_1_1).await, Some(Packet::Connect(_))));
    let ack = ConnAck { session_present: false, reason_code: 0, properties: Properties::default() };
    peer.send_packet(&Packet::ConnAck(ack), ProtocolVersion::V3_1_1).await;
    let out = run.await.unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("no subscription acknowledgement within 1.2 s"), "{err}");
}

#[test]
fn replay_refuses_connection_options_without_to() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"ts":"2026-01-01T00:00:00Z","ts_ms":0,"topic":"a","qos":0,"retain":false,"payload":"x"}"#;
    let recording = common::write_file(dir.path(), "r.jsonl", &format!("{line}\n"));
    let recording = recording.to_str().unwrap();
    assert_usage(&["replay", recording, "-u", NOWHERE], "--url", "--to");
    assert_usage(&["replay", recording, "--username", "me", "--max"], "--username", "--to");
    // From the environment it is only a default, not a request.
    let out = run_env(&["replay", recording, "--to", NOWHERE, "--max"], &[("MQSCOPE_URL", "mqtt://127.0.0.1:2")]);
    assert!(out.status.code() != Some(2) && !stderr(&out).contains("--to URL"), "{}", stderr(&out));
}

/// `replay --to` only publishes: the options that decode or check messages for the dashboard would be
/// ignored, so they are refused; in the dashboard a schema is compiled before anything plays.
#[test]
fn replay_refuses_dashboard_options_with_to_and_checks_its_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"ts":"2026-01-01T00:00:00Z","ts_ms":0,"topic":"a","qos":0,"retain":false,"payload":"x"}"#;
    let recording = common::write_file(dir.path(), "r.jsonl", &format!("{line}\n"));
    let recording = recording.to_str().unwrap();
    let good = common::write_file(dir.path(), "good.json", r#"{"type":"object"}"#);
    let good = format!("a/#={}", good.display());
    assert_usage(&["replay", recording, "--to", NOWHERE, "--schema", &good], "--schema", "only publishes");
    assert_usage(&["replay", recording, "--to", NOWHERE, "--proto", "a=x.Y:t.proto"], "--proto", "only publishes");
    assert_usage(&["replay", recording, "--to", NOWHERE, "--proto-path", "."], "--proto-path", "only publishes");
    std::fs::write(dir.path().join("bad.json"), r#"{"type": 12}"#).unwrap();
    let bad = format!("a/#={}", dir.path().join("bad.json").display());
    let out = run(&["replay", recording, "--schema", &bad]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json") && err.contains("does not compile"), "{err}");
}

/// The dashboard on a pipe (a script, CI) says what it needs and what to use instead, not
/// "No such device or address (os error 6)".
#[test]
fn the_dashboard_without_a_terminal_says_so_and_fails() {
    let out = run(&["-u", "mqtt://127.0.0.1:9"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the dashboard needs a terminal") && err.contains("mqscope sub"), "{err}");
}

#[test]
fn a_dashboard_schema_that_is_missing_not_json_too_big_or_not_a_schema_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    std::fs::write(dir.path().join("bad.json"), r#"{"type": 12}"#).unwrap();
    // Valid JSON, but more than the 4 MiB a schema may be.
    let huge = format!(r#"{{"description":"{}"}}"#, "x".repeat(5 << 20));
    std::fs::write(dir.path().join("huge.json"), huge).unwrap();
    for (file, why) in [
        ("broken.json", "not JSON"),
        ("bad.json", "does not compile"),
        ("huge.json", "more than the"),
        ("missing.json", "No such file"),
    ] {
        let schema = format!("plant/#={}", path(file));
        let out = run(&["-u", NOWHERE, "--schema", &schema]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(file) && err.contains(why), "{file}: {err}");
        assert!(out.stdout.is_empty(), "{file}: the screen was not taken");
    }
    // The profile's schemas too.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[profiles.p]\nurl = \"{NOWHERE}\"\n[profiles.p.schemas]\n\"a/#\" = \"bad.json\"\n"),
    )
    .unwrap();
    let out = run(&["--config", &config.display().to_string(), "-P", "p"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json") && err.contains("does not compile"), "{err}");
    // FILTER=FILE is checked as it is parsed.
    let out = run(&["-u", NOWHERE, "--schema", "no-equals-sign"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("FILTER=FILE"), "{}", stderr(&out));
}
