//! A Sparkplug B flood for `benches/sparkplug_tui.sh`: one edge node with DEVICES devices, each born
//! with 50 named metrics that have aliases, then DDATA messages carrying the 50 metrics by alias only,
//! round the devices, at RATE a second for SECS seconds. Raw MQTT 3.1.1 over TCP, QoS 0, packets
//! written in batches every 5 ms (like benches/feed/feed.rs); seq counts 0..255 per edge node.
//!
//!   cargo run --release --example sparkplug_flood -- PORT RATE SECS [DEVICES]
//!
//! Says (on stderr) what it sent and the rate reached; exits 1 when the broker refuses or the socket fails.

use mqscope::payload::sparkplug::proto::{Metric, MetricValue, Payload};
use prost::Message as _;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const METRICS: u64 = 50;
const STEP: Duration = Duration::from_millis(5);

fn remaining_length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            return;
        }
    }
}

fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![kind];
    remaining_length(body.len(), &mut p);
    p.extend_from_slice(body);
    p
}

fn publish(topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic.as_bytes());
    body.extend_from_slice(payload);
    packet(0x30, &body)
}

fn metrics(device: u64, step: u64, named: bool) -> Vec<Metric> {
    (0..METRICS)
        .map(|i| Metric {
            name: named.then(|| format!("Line {device}/Motor {i}/Temperature")),
            alias: Some(device * 1_000 + i),
            timestamp: Some(1_700_000_000_000 + step),
            datatype: Some(10),
            value: Some(MetricValue::DoubleValue(20.0 + ((step + i) % 100) as f64 / 10.0)),
            ..Default::default()
        })
        .collect()
}

fn run(port: u16, rate: u64, secs: u64, devices: u64) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let id = format!("spflood-{}", std::process::id());
    let mut connect = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    connect.extend_from_slice(&(id.len() as u16).to_be_bytes());
    connect.extend_from_slice(id.as_bytes());
    s.write_all(&packet(0x10, &connect)).map_err(|e| e.to_string())?;
    let mut ack = [0u8; 4];
    s.read_exact(&mut ack).map_err(|e| format!("CONNACK: {e}"))?;
    if ack[0] != 0x20 || ack[3] != 0 {
        return Err(format!("refused: {ack:?}"));
    }
    let mut seq = 0u64;
    let mut next_seq = || {
        let v = seq;
        seq = (seq + 1) % 256;
        v
    };
    let birth = Payload {
        timestamp: Some(1_700_000_000_000),
        seq: Some(next_seq()),
        metrics: vec![Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(0)),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut out = publish("spBv1.0/Bench/NBIRTH/Edge", &birth.encode_to_vec());
    for d in 0..devices {
        let p = Payload {
            timestamp: Some(1_700_000_000_000),
            seq: Some(next_seq()),
            metrics: metrics(d, 0, true),
            ..Default::default()
        };
        out.extend(publish(&format!("spBv1.0/Bench/DBIRTH/Edge/D{d}"), &p.encode_to_vec()));
    }
    s.write_all(&out).map_err(|e| e.to_string())?;
    let total = rate * secs;
    let start = Instant::now();
    let mut sent = 0u64;
    let mut bytes = 0usize;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() + STEP.as_secs_f64()) * rate as f64) as u64;
        let mut batch = Vec::new();
        while sent < due.min(total) {
            let d = sent % devices;
            let p = Payload {
                timestamp: Some(1_700_000_000_000 + sent),
                seq: Some(next_seq()),
                metrics: metrics(d, sent, false),
                ..Default::default()
            };
            batch.extend(publish(&format!("spBv1.0/Bench/DDATA/Edge/D{d}"), &p.encode_to_vec()));
            sent += 1;
        }
        bytes += batch.len();
        s.write_all(&batch).map_err(|e| e.to_string())?;
        std::thread::sleep(STEP);
    }
    s.write_all(&[0xe0, 0]).map_err(|e| e.to_string())?;
    let took = start.elapsed().as_secs_f64();
    Ok(format!(
        "{sent} DDATA of {METRICS} metrics over {devices} devices in {took:.2} s ({:.0}/s, {:.1} MB)",
        sent as f64 / took,
        bytes as f64 / 1e6
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: Option<u64>| -> Option<u64> { args.get(i).map_or(default, |a| a.parse().ok()) };
    let (Some(port), Some(rate), Some(secs), Some(devices)) =
        (num(0, None), num(1, None), num(2, None), num(3, Some(10)))
    else {
        mqscope::report!("usage: sparkplug_flood PORT RATE SECS [DEVICES]");
        return ExitCode::from(2);
    };
    let (Ok(port), true) = (u16::try_from(port), devices > 0 && rate > 0) else {
        mqscope::report!("sparkplug_flood: PORT is 1-65535, RATE and DEVICES at least 1");
        return ExitCode::from(2);
    };
    match run(port, rate, secs, devices) {
        Ok(line) => {
            mqscope::report!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            mqscope::report!("sparkplug_flood: {e}");
            ExitCode::FAILURE
        }
    }
}
