//! The Sparkplug tracker's byte estimate (what the memory budget counts) against the memory it really
//! takes: a child process (this test binary, run again) builds the tracker and reports how much its
//! resident memory grew. Within 20% either way, for many small nodes and for devices with many metrics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_macros)]

use mqscope::payload::sparkplug::proto::{Metric, MetricValue, Payload};
use mqscope::payload::sparkplug::state::Network;
use prost::Message as _;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

const CHILD: &str = "MQSCOPE_TEST_SPARKPLUG_CASE";

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
}

fn metric(name: &str, alias: u64, i: u64) -> Metric {
    let value = match i % 4 {
        0 => (10, MetricValue::DoubleValue(i as f64 / 3.0)),
        1 => (3, MetricValue::IntValue(i as u32)),
        2 => (11, MetricValue::BooleanValue(i.is_multiple_of(3))),
        _ => (12, MetricValue::StringValue(format!("state {i}"))),
    };
    Metric {
        name: Some(name.to_owned()),
        alias: Some(alias),
        datatype: Some(value.0),
        timestamp: Some(1_700_000_000_000),
        value: Some(value.1),
        ..Default::default()
    }
}

fn birth(metrics: Vec<Metric>) -> Vec<u8> {
    Payload { timestamp: Some(1_700_000_000_000), seq: Some(0), metrics, ..Default::default() }.encode_to_vec()
}

fn messages(case: &str) -> Vec<(String, Vec<u8>)> {
    match case {
        "nodes" => (0..50_000)
            .map(|i| (format!("spBv1.0/Plant{}/NBIRTH/Edge{i}", i % 10), birth(vec![metric("bdSeq", 0, 1)])))
            .collect(),
        _ => (0..50)
            .map(|n| {
                let metrics = (0..2_000).map(|i| metric(&format!("Line {}/Sensor {i}/Value", i % 7), i, i)).collect();
                (format!("spBv1.0/Plant/DBIRTH/Edge/Device{n}"), birth(metrics))
            })
            .collect(),
    }
}

/// In the child: feeds the case's messages into a tracker and prints (estimated, resident growth).
fn child(case: &str) {
    let messages = messages(case);
    let before = rss_bytes();
    let mut net = Network::with_limit(usize::MAX);
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for (topic, payload) in &messages {
        net.observe(topic, payload, now);
    }
    let grown = rss_bytes().saturating_sub(before);
    println!("\nMEASURED={} {grown}", net.usage().0);
}

fn measure(case: &str) -> (usize, usize) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_estimate_is_within_20_percent_of_the_memory_taken", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("MEASURED=")).unwrap_or_else(|| panic!("{text}"));
    let mut n = line.split(' ').map(|v| v.parse::<usize>().unwrap());
    (n.next().unwrap(), n.next().unwrap())
}

fn assert_close((estimated, taken): (usize, usize), what: &str) {
    let ratio = estimated as f64 / taken as f64;
    assert!((0.8..=1.2).contains(&ratio), "{what}: estimated {estimated}, resident growth {taken} ({ratio:.2})");
}

#[test]
fn the_estimate_is_within_20_percent_of_the_memory_taken() {
    if let Ok(case) = std::env::var(CHILD) {
        return child(&case);
    }
    assert_close(measure("nodes"), "50,000 nodes with a metric each");
    assert_close(measure("wide"), "50 devices with 2,000 metrics each");
}
