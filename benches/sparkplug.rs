//! Sparkplug B: decode plus alias resolution of a DDATA with 50 metrics sent by alias only (the names
//! come from the DBIRTH), in payloads/s: into the JSON form (what the detail pane and `sub -F json`
//! show), into resolved metrics (names, datatypes, values), and through the tracker the dashboard feeds
//! on every message. Goal: 200,000 payloads/s on one core.
//!
//! `cargo bench --bench sparkplug`

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mqscope::payload::sparkplug::proto::{Metric, MetricValue, Payload as Message};
use mqscope::payload::sparkplug::walk::Payload;
use mqscope::payload::sparkplug::{self, state::Network};
use prost::Message as _;

const METRICS: u64 = 50;

fn payload(seq: u64, named: bool) -> Vec<u8> {
    let metrics = (0..METRICS)
        .map(|i| Metric {
            name: named.then(|| format!("Line 1/Motor {i}/Temperature")),
            alias: Some(i),
            timestamp: Some(1_700_000_000_000 + i),
            datatype: Some(10),
            value: Some(MetricValue::DoubleValue(20.0 + i as f64 / 10.0)),
            ..Default::default()
        })
        .collect();
    Message { timestamp: Some(1_700_000_000_000), seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
}

fn bench(c: &mut Criterion) {
    let mut net = Network::default();
    let now = SystemTime::UNIX_EPOCH;
    net.observe("spBv1.0/plant/NBIRTH/edge", &Message { seq: Some(0), ..Default::default() }.encode_to_vec(), now);
    net.observe("spBv1.0/plant/DBIRTH/edge/dev", &payload(1, true), now);
    let ddata = payload(2, false);
    let topic = "spBv1.0/plant/DDATA/edge/dev";
    let json = sparkplug::decode_json(&ddata, net.aliases(topic)).expect("valid payload");
    assert_eq!(json["metrics"][49]["name"], "Line 1/Motor 49/Temperature");

    let mut g = c.benchmark_group("sparkplug");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("ddata_50_metrics_decode_and_resolve", |b| {
        b.iter(|| black_box(sparkplug::decode_json(black_box(&ddata), net.aliases(topic))))
    });
    g.bench_function("ddata_50_metrics_decode_and_resolve_names", |b| {
        let scope = net.aliases(topic);
        b.iter(|| {
            let mut spare = None;
            let p = sparkplug::read(black_box(&ddata), &mut spare).expect("valid payload");
            let mut budget = usize::MAX;
            let n = p.metrics.iter().filter_map(|m| sparkplug::resolve(m, scope, &mut budget).ok()).count();
            black_box(n)
        })
    });
    // The same through prost's owned messages, the path a payload the walk leaves takes: the ratio of
    // the two is what reading in place gains.
    g.bench_function("ddata_50_metrics_decode_and_resolve_names_prost", |b| {
        let scope = net.aliases(topic);
        b.iter(|| {
            let owned = sparkplug::decode(black_box(&ddata)).expect("valid payload");
            let p = Payload::from_proto(&owned);
            let mut budget = usize::MAX;
            let n = p.metrics.iter().filter_map(|m| sparkplug::resolve(m, scope, &mut budget).ok()).count();
            black_box(n)
        })
    });
    g.bench_function("ddata_50_metrics_tracker", |b| {
        let mut net = Network::default();
        net.observe("spBv1.0/plant/DBIRTH/edge/dev", &payload(1, true), now);
        b.iter(|| black_box(net.observe(topic, black_box(&ddata), now)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
