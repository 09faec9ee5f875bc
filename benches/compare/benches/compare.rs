//! mqscope against rumqttc 0.25 (`mqttbytes::v4`, and `v5` for the MQTT 5 stream) on the same
//! bytes, in one criterion run. Both decode through their streaming entry point: many packets in
//! one `BytesMut`, read in a loop until it is empty.

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mqscope::codec::{Decoder, Packet, QoS, encode};
use std::hint::black_box;
use std::time::Duration;

#[path = "../../support/workloads.rs"]
mod workloads;
use workloads::Workload;

const MAX: usize = 16 * 1024 * 1024;

fn mqscope_decode(w: &Workload, buf: &mut BytesMut) -> usize {
    let mut decoder = Decoder::new(w.version).with_max_packet_size(MAX);
    let mut n = 0;
    while let Some(packet) = decoder.decode(buf).expect("valid stream") {
        black_box(packet);
        n += 1;
    }
    n
}

fn rumqttc_v4_decode(buf: &mut BytesMut) -> usize {
    let mut n = 0;
    while !buf.is_empty() {
        let packet = rumqttc::mqttbytes::v4::Packet::read(buf, MAX).expect("valid stream");
        black_box(packet);
        n += 1;
    }
    n
}

fn rumqttc_v5_decode(buf: &mut BytesMut) -> usize {
    let mut n = 0;
    while !buf.is_empty() {
        let packet = rumqttc::v5::mqttbytes::v5::Packet::read(buf, Some(MAX as u32)).expect("valid stream");
        black_box(packet);
        n += 1;
    }
    n
}

/// The same PUBLISH packets as rumqttc's v4 type, for the encode comparison.
fn rumqttc_publishes(w: &Workload) -> Vec<rumqttc::mqttbytes::v4::Packet> {
    w.packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(rumqttc::mqttbytes::v4::Packet::Publish(rumqttc::mqttbytes::v4::Publish {
                dup: p.dup,
                qos: match p.qos {
                    QoS::AtMostOnce => rumqttc::mqttbytes::QoS::AtMostOnce,
                    QoS::AtLeastOnce => rumqttc::mqttbytes::QoS::AtLeastOnce,
                    QoS::ExactlyOnce => rumqttc::mqttbytes::QoS::ExactlyOnce,
                },
                retain: p.retain,
                topic: p.topic.to_string(),
                pkid: p.packet_id.unwrap_or(0),
                payload: p.payload.clone(),
            })),
            _ => None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    use mqscope::codec::ProtocolVersion::{V3_1_1, V5};
    let all = [
        workloads::small_publish(QoS::AtMostOnce, V3_1_1),
        workloads::small_publish(QoS::AtLeastOnce, V3_1_1),
        workloads::small_publish(QoS::AtMostOnce, V5),
        workloads::large_publish(),
        workloads::connect_subscribe_mix(),
    ];
    for w in &all {
        let count = w.packets.len();
        let rumqttc_decode: fn(&mut BytesMut) -> usize =
            if w.version.is_v5() { rumqttc_v5_decode } else { rumqttc_v4_decode };
        // Both must read every packet of the stream, or the comparison means nothing.
        assert_eq!(mqscope_decode(w, &mut BytesMut::from(&w.wire[..])), count);
        assert_eq!(rumqttc_decode(&mut BytesMut::from(&w.wire[..])), count);

        for (unit, throughput) in
            [("packets", Throughput::Elements(count as u64)), ("bytes", Throughput::Bytes(w.wire.len() as u64))]
        {
            let mut group = c.benchmark_group(format!("{}/decode/{unit}", w.name));
            group.throughput(throughput);
            group.bench_function("mqscope", |b| {
                b.iter_batched_ref(|| BytesMut::from(&w.wire[..]), |buf| mqscope_decode(w, buf), BatchSize::LargeInput)
            });
            group.bench_function("rumqttc", |b| {
                b.iter_batched_ref(|| BytesMut::from(&w.wire[..]), rumqttc_decode, BatchSize::LargeInput)
            });
            group.finish();
        }

        let theirs = rumqttc_publishes(w);
        if w.version.is_v5() || theirs.len() != count {
            continue;
        }
        let mut group = c.benchmark_group(format!("{}/encode/packets", w.name));
        group.throughput(Throughput::Elements(count as u64));
        let mut out = BytesMut::with_capacity(w.wire.len());
        group.bench_function("mqscope", |b| {
            b.iter(|| {
                out.clear();
                for p in &w.packets {
                    encode(p, w.version, &mut out).expect("valid packet");
                }
            })
        });
        group.bench_function("rumqttc", |b| {
            b.iter(|| {
                out.clear();
                for p in &theirs {
                    p.write(&mut out, MAX).expect("valid packet");
                }
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
