//! Codec throughput: decode through the real streaming path (many packets in one `BytesMut`,
//! `Decoder::decode` in a loop) and encode into one buffer, in packets/s and bytes/s.
//!
//! `cargo bench --bench codec`; the side-by-side run against rumqttc is `benches/compare/`.

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mqscope::codec::{Decoder, QoS, encode};
use std::hint::black_box;
use std::time::Duration;

#[path = "support/workloads.rs"]
mod workloads;
use workloads::Workload;

fn workloads() -> Vec<Workload> {
    use mqscope::codec::ProtocolVersion::{V3_1_1, V5};
    vec![
        workloads::small_publish(QoS::AtMostOnce, V3_1_1),
        workloads::small_publish(QoS::AtLeastOnce, V3_1_1),
        workloads::small_publish(QoS::AtMostOnce, V5),
        workloads::large_publish(),
        workloads::connect_subscribe_mix(),
    ]
}

/// Decodes the whole stream; returns the packet count so nothing is optimised away.
fn decode_all(w: &Workload, buf: &mut BytesMut) -> usize {
    let mut decoder = Decoder::new(w.version);
    let mut n = 0;
    while let Some(packet) = decoder.decode(buf).expect("bench stream is valid") {
        black_box(packet);
        n += 1;
    }
    n
}

fn encode_all(w: &Workload, out: &mut BytesMut) {
    out.clear();
    for p in &w.packets {
        encode(p, w.version, out).expect("bench packets are valid");
    }
}

fn bench(c: &mut Criterion) {
    for w in workloads() {
        // Check once that the bench measures what it claims.
        let mut buf = BytesMut::from(&w.wire[..]);
        assert_eq!(decode_all(&w, &mut buf), w.packets.len());

        for (unit, throughput) in [
            ("packets", Throughput::Elements(w.packets.len() as u64)),
            ("bytes", Throughput::Bytes(w.wire.len() as u64)),
        ] {
            let mut group = c.benchmark_group(format!("{}/{unit}", w.name));
            group.throughput(throughput);
            group.bench_function("decode", |b| {
                b.iter_batched_ref(|| BytesMut::from(&w.wire[..]), |buf| decode_all(&w, buf), BatchSize::LargeInput)
            });
            let mut out = BytesMut::with_capacity(w.wire.len());
            group.bench_function("encode", |b| b.iter(|| encode_all(&w, &mut out)));
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(30);
    targets = bench
}
criterion_main!(benches);
