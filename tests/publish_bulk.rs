//! Bulk publishing with the real binary: `mqscope pub -l` of 50,000 lines at QoS 1 and 2, on MQTT
//! 3.1.1 and 5.0, over TCP and WebSocket, against mosquitto and against aedes (a second broker
//! implementation, from npm, 3.1.1 only: there "5.0" is the default, which falls back). A subscriber
//! checks that every sequence number arrives, and the command must exit 0.
//!
//! The configurations of one broker run two at a time, each on its own topic; the two brokers' tests
//! run in parallel too. mosquitto needs the binary (apt), aedes needs node and `npm install --prefix
//! target/npm aedes ws` (both done by .ci/run); missing, they skip with a reason unless CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_macros)]

mod common;
mod publish_support;

use common::Mosquitto;
use mqscope::codec::QoS;
use publish_support::{Aedes, Collector, check_sequence, mqscope, seq};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MESSAGES: u64 = 50_000;
/// Bound on one run of `mqscope pub`; a stall shows as a failure, never as a hung test.
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// The subscriber stops after this long without a message.
const IDLE: Duration = Duration::from_secs(60);
const PARALLEL: usize = 2;

#[derive(Debug, Clone)]
struct Case {
    broker: &'static str,
    url: String,
    transport: &'static str,
    /// `None`: the default (5.0, falling back to 3.1.1 if the broker refuses it).
    mqtt: Option<&'static str>,
    qos: u8,
}

impl Case {
    fn name(&self) -> String {
        format!("{} {} MQTT {} QoS {}", self.broker, self.transport, self.mqtt.unwrap_or("5 (default)"), self.qos)
    }

    fn topic(&self) -> String {
        format!("bulk/{}/{}/{}/q{}", self.broker, self.transport, self.mqtt.unwrap_or("default"), self.qos)
    }
}

fn cases(broker: &'static str, tcp: &str, ws: &str, versions: &[Option<&'static str>]) -> Vec<Case> {
    let mut out = Vec::new();
    for (transport, url) in [("tcp", tcp), ("ws", ws)] {
        for &mqtt in versions {
            for qos in [1, 2] {
                out.push(Case { broker, url: url.to_string(), transport, mqtt, qos });
            }
        }
    }
    out
}

/// Publishes `MESSAGES` lines for one case while a subscriber (TCP, 3.1.1, QoS 1) collects them;
/// `Err` says what went wrong.
fn run_case(case: &Case, sub_url: &str) -> Result<Duration, String> {
    let topic = case.topic();
    let sub = Collector::start(sub_url, &topic, QoS::AtLeastOnce, MESSAGES as usize, IDLE);
    let qos = case.qos.to_string();
    let mut args = vec!["pub", "-u", &case.url, "-t", &topic, "-q", &qos, "-l"];
    if let Some(v) = case.mqtt {
        args.extend(["--mqtt", v]);
    }
    let run = mqscope(&args, seq(MESSAGES), RUN_LIMIT);
    let got = sub.finish();
    if run.code != Some(0) {
        return Err(format!("pub: {}", run.describe()));
    }
    check_sequence(&got, MESSAGES, case.qos == 2)?;
    Ok(run.elapsed)
}

/// Runs the cases `PARALLEL` at a time; panics with every failure listed.
fn run_all(cases: Vec<Case>, sub_url: &str) {
    let start = Instant::now();
    let queue = Mutex::new(cases.clone());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let Some(case) = queue.lock().unwrap().pop() else { return };
                    match run_case(&case, sub_url) {
                        Ok(t) => eprintln!(
                            "{}: {MESSAGES} messages in {:.1} s ({:.0}/s, debug build)",
                            case.name(),
                            t.as_secs_f64(),
                            MESSAGES as f64 / t.as_secs_f64()
                        ),
                        Err(why) => failures.lock().unwrap().push(format!("{}: {why}", case.name())),
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!("{} cases in {:.1} s", cases.len(), start.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

#[test]
fn bulk_publish_to_mosquitto_delivers_every_message() {
    // The harness config has max_queued_messages 0 and max_inflight_messages 0, so the broker drops
    // nothing for a subscriber that falls behind; on 5.0 it then announces no receive maximum.
    let Some(broker) = Mosquitto::start() else { return };
    run_all(cases("mosquitto", &broker.tcp_url(), &broker.ws_url(), &[Some("3.1.1"), Some("5")]), &broker.tcp_url());
}

#[test]
fn bulk_publish_to_aedes_delivers_every_message() {
    let Some(broker) = Aedes::start() else { return };
    run_all(cases("aedes", &broker.tcp_url(), &broker.ws_url(), &[Some("3.1.1"), None]), &broker.tcp_url());
}
