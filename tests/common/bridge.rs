//! Two mosquittos, B bridged to A: B's config gets a `connection to_a` with the caller's `topic` lines
//! and a retained probe that says when the bridge is up. For tests of `diff` and of `bench` across a
//! bridge.

use super::{Mosquitto, MosquittoOptions};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Bridged {
    pub a: Mosquitto,
    pub b: Mosquitto,
}

/// Starts A, then B bridged to A with `topics` (lines such as `topic bench/# in 1`), and waits until
/// the bridge carries a message. `None` when mosquitto is missing (outside CI).
pub fn bridged(topics: &str) -> Option<Bridged> {
    let a = Mosquitto::start()?;
    let bridge = format!(
        "connection to_a\n\
         address 127.0.0.1:{}\n\
         cleansession true\n\
         {topics}\
         topic bridge-probe in 0\n",
        a.tcp_port
    );
    let b = Mosquitto::start_with(MosquittoOptions { extra_config: bridge, ..MosquittoOptions::default() })?;
    let brokers = Bridged { a, b };
    brokers.wait_for_bridge();
    Some(brokers)
}

/// Publishes one message at QoS 1 with `mosquitto_pub`.
pub fn pub_one(port: u16, topic: &str, payload: &str, retain: bool) {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-m", payload, "-q", "1"]);
    if retain {
        cmd.arg("-r");
    }
    assert!(cmd.status().unwrap().success(), "mosquitto_pub to {topic} failed");
}

/// The retained value of `topic` on the broker at `port`, if any (waits up to 1 s for it).
pub fn retained_value(port: u16, topic: &str) -> Option<String> {
    let out = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-C", "1", "-W", "1", "--retained-only"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    (!text.is_empty()).then(|| text.strip_suffix('\n').unwrap_or(&text).to_owned())
}

impl Bridged {
    /// A retained probe published on A shows up on B once the bridge is connected.
    pub fn wait_for_bridge(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            pub_one(self.a.tcp_port, "bridge-probe", "up", true);
            if retained_value(self.b.tcp_port, "bridge-probe").as_deref() == Some("up") {
                return;
            }
            assert!(Instant::now() < deadline, "the bridge never came up:\n{}", self.b.log());
        }
    }

    /// Waits until B holds `value` retained on `topic`.
    pub fn wait_retained_on_b(&self, topic: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while retained_value(self.b.tcp_port, topic).as_deref() != Some(value) {
            assert!(Instant::now() < deadline, "'{topic}' never reached B as '{value}'");
        }
    }
}
