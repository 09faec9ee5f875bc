//! Decodes the small-PUBLISH stream many times with one implementation, for
//! `valgrind --tool=callgrind` (instruction counts do not depend on machine load):
//!   cargo build --release --example profile
//!   valgrind --tool=callgrind target/release/examples/profile mqscope 200
//!   valgrind --tool=callgrind target/release/examples/profile rumqttc 200
//! or times both, interleaved, and prints min and median nanoseconds per packet (a quick check
//! between criterion runs; criterion's `run.sh` gives the numbers that count):
//!   target/release/examples/profile time 200 [qos0|qos1|v5]

// A bench prints its own numbers: our text only, no wire text.
#![allow(clippy::disallowed_macros)]

use bytes::BytesMut;
use mqscope::codec::{Decoder, ProtocolVersion, QoS};
use std::hint::black_box;
use std::time::Instant;

// Only the small-PUBLISH streams are used here.
#[allow(dead_code)]
#[path = "../../support/workloads.rs"]
mod workloads;

fn decode(which: &str, w: &workloads::Workload, buf: &mut BytesMut) -> usize {
    let mut n = 0;
    if which == "mqscope" {
        let mut decoder = Decoder::new(w.version);
        while let Some(p) = decoder.decode(buf).expect("valid") {
            black_box(p);
            n += 1;
        }
    } else if w.version.is_v5() {
        while !buf.is_empty() {
            black_box(rumqttc::v5::mqttbytes::v5::Packet::read(buf, Some(1 << 24)).expect("valid"));
            n += 1;
        }
    } else {
        while !buf.is_empty() {
            black_box(rumqttc::mqttbytes::v4::Packet::read(buf, 1 << 24).expect("valid"));
            n += 1;
        }
    }
    n
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "mqscope".into());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let w = match args.next().as_deref() {
        Some("qos1") => workloads::small_publish(QoS::AtLeastOnce, ProtocolVersion::V3_1_1),
        Some("v5") => workloads::small_publish(QoS::AtMostOnce, ProtocolVersion::V5),
        _ => workloads::small_publish(QoS::AtMostOnce, ProtocolVersion::V3_1_1),
    };
    if which == "encode" {
        // mqscope's encoder on the same packets, for callgrind.
        let mut out = BytesMut::with_capacity(w.wire.len());
        for _ in 0..rounds {
            out.clear();
            for p in &w.packets {
                mqscope::codec::encode(p, w.version, &mut out).expect("valid packet");
            }
            black_box(&out);
        }
        println!("encode: {} packets", rounds * w.packets.len());
        return;
    }
    if which != "time" {
        let mut total = 0;
        for _ in 0..rounds {
            total += decode(&which, &w, &mut BytesMut::from(&w.wire[..]));
        }
        println!("{which}: {total} packets");
        return;
    }
    let mut samples: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (k, name) in ["mqscope", "rumqttc"].into_iter().enumerate() {
            let mut bufs: Vec<BytesMut> = (0..20).map(|_| BytesMut::from(&w.wire[..])).collect();
            let start = Instant::now();
            let n: usize = bufs.iter_mut().map(|b| decode(name, &w, b)).sum();
            samples[k].push(start.elapsed().as_nanos() as f64 / n as f64);
        }
    }
    for s in &mut samples {
        s.sort_by(f64::total_cmp);
    }
    for (k, name) in ["mqscope", "rumqttc"].into_iter().enumerate() {
        println!("{name}: min {:.1} ns/packet, median {:.1}", samples[k][0], samples[k][samples[k].len() / 2]);
    }
    println!(
        "rumqttc/mqscope time ratio: min {:.2}x, median {:.2}x",
        samples[1][0] / samples[0][0],
        samples[1][samples[1].len() / 2] / samples[0][samples[0].len() / 2]
    );
}
