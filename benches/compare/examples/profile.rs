//! Decodes the small-PUBLISH stream many times with one implementation, for
//! `valgrind --tool=callgrind` (instruction counts do not depend on machine load):
//!   cargo build --release --example profile
//!   valgrind --tool=callgrind target/release/examples/profile mqscope 200
//!   valgrind --tool=callgrind target/release/examples/profile rumqttc 200

use bytes::BytesMut;
use mqscope::codec::{Decoder, ProtocolVersion, QoS};
use std::hint::black_box;

#[path = "../../support/workloads.rs"]
mod workloads;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "mqscope".into());
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let w = workloads::small_publish(QoS::AtMostOnce, ProtocolVersion::V3_1_1);
    let mut total = 0usize;
    for _ in 0..rounds {
        let mut buf = BytesMut::from(&w.wire[..]);
        if which == "mqscope" {
            let mut decoder = Decoder::new(w.version);
            while let Some(p) = decoder.decode(&mut buf).expect("valid") {
                black_box(p);
                total += 1;
            }
        } else {
            while !buf.is_empty() {
                black_box(rumqttc::mqttbytes::v4::Packet::read(&mut buf, 1 << 24).expect("valid"));
                total += 1;
            }
        }
    }
    println!("{which}: {total} packets");
}
