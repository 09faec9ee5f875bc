//! A URL of the wrong kind for its port (mqtt, ws, mqtts, wss to each other listener kind), against real mosquitto listeners and run through `mqscope sub`
//! as a user would: each failure says what the port speaks and which scheme to use, promptly, with exit
//! code 3 and no fallback to another MQTT version.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod session_support;

use common::Mosquitto;
use session_support::{STEP, mqscope, run};
use std::time::Duration;

/// `mqscope sub URL`: (exit code, stderr), checked to have ended within a few seconds.
fn sub_error(b: &Mosquitto, url: &str) -> (i32, String) {
    let mut cmd = mqscope();
    cmd.args(["sub", "-u", url, "-t", "x", "--connect-timeout", "5"]);
    if url.starts_with("mqtts:") || url.starts_with("wss:") {
        cmd.args(["--cafile", b.ca_file.to_str().unwrap()]);
    }
    let out = run(cmd, None, STEP);
    assert!(out.elapsed < Duration::from_secs(12), "{url}: took {:?}\n{}", out.elapsed, out.stderr);
    (out.code(), out.stderr)
}

#[test]
fn each_wrong_scheme_names_the_right_one() {
    let Some(b) = Mosquitto::start() else { return };
    let h = "127.0.0.1";
    let cases = [
        // (URL, what the message must say)
        (format!("mqtt://{h}:{}", b.ws_port), vec!["HTTP", "ws://"]),
        (format!("mqtt://{h}:{}", b.tls_port), vec!["mqtts://"]),
        (format!("ws://{h}:{}/mqtt", b.tcp_port), vec!["WebSocket upgrade", "mqtt://"]),
        (format!("ws://{h}:{}/mqtt", b.tls_port), vec!["WebSocket upgrade", "wss://"]),
        (format!("mqtts://{h}:{}", b.tcp_port), vec!["TLS handshake", "mqtt://"]),
        (format!("mqtts://{h}:{}", b.ws_port), vec!["does not speak TLS", "ws://"]),
        (format!("wss://{h}:{}/mqtt", b.tcp_port), vec!["TLS handshake", "mqtt://"]),
        (format!("mqtts://{h}:{}", b.wss_port), vec!["HTTP", "wss://"]),
        (format!("wss://{h}:{}/mqtt", b.tls_port), vec!["WebSocket upgrade", "mqtts://"]),
    ];
    for (url, wants) in cases {
        let (code, stderr) = sub_error(&b, &url);
        assert_eq!(code, 3, "{url}: {stderr}");
        for want in wants {
            assert!(stderr.contains(want), "{url}: no '{want}' in: {stderr}");
        }
        assert!(!stderr.contains("malformed"), "{url}: {stderr}");
        assert!(!stderr.contains("os error"), "{url}: {stderr}");
        // A TLS port drops a plain CONNECT without a word, as a 3.1.1-only broker may drop a 5.0 one: that
        // case tries 3.1.1 first, and only then says what the port may be.
        if url != format!("mqtt://{h}:{}", b.tls_port) {
            assert!(!stderr.contains("using MQTT 3.1.1"), "{url}: {stderr}");
        }
    }
}
