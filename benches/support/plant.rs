//! The simulated plant the app benches feed: topic names, 64-byte JSON payloads, and message
//! batches shaped like the session's (payloads slicing one read buffer), shared by
//! `benches/app.rs`, `benches/rss.rs` and `benches/traffic.rs`.

use mqscope::codec::{ByteString, Bytes, Properties, QoS};
use mqscope::session::Message;
use std::ops::Range;
use std::time::{Duration, UNIX_EPOCH};

/// A fixed clock (2026-11-25), so runs are comparable.
pub const T0: u64 = 1_795_628_616_000;
pub const PAYLOAD: usize = 64;

/// Topic `i` of a plant: 20-40 bytes in four levels, e.g. `plant/north/dev-00042/temperature`.
pub fn topic(i: usize) -> String {
    const AREAS: [&str; 8] = ["north", "south", "east", "west", "hall-a", "hall-b", "yard", "roof"];
    const METRICS: [&str; 4] = ["temp", "humidity", "power", "state"];
    let dev = i / METRICS.len();
    format!("plant/{}/dev-{dev:05}/{}", AREAS[dev % AREAS.len()], METRICS[i % METRICS.len()])
}

/// The names of the first `n` topics.
pub fn topics(n: usize) -> Vec<ByteString> {
    (0..n).map(|i| ByteString::from(topic(i))).collect()
}

/// Appends a 64-byte JSON payload with a number that changes.
fn payload(seq: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(
        format!(r#"{{"v":{}.{},"seq":{seq},"unit":"C","ok":true"#, 15 + seq % 20, seq % 10).as_bytes(),
    );
    out.resize(start + PAYLOAD - 1, b' ');
    out.push(b'}');
}

/// A QoS 0 message received at `at_ms`.
pub fn message(topic: ByteString, payload: Bytes, at_ms: u64) -> Message {
    Message {
        topic,
        payload,
        qos: QoS::AtMostOnce,
        retain: false,
        dup: false,
        packet_id: None,
        properties: Properties::default(),
        received_at: UNIX_EPOCH + Duration::from_millis(at_ms),
    }
}

/// Messages `seqs` as one batch at 100 per millisecond from `start_ms`: their payloads slice one
/// buffer of exactly their size, and a stride through `names` keeps consecutive messages on
/// different topics.
pub fn batch(names: &[ByteString], seqs: Range<usize>, start_ms: u64) -> Vec<Message> {
    let mut buf = Vec::with_capacity(seqs.len() * PAYLOAD);
    for i in seqs.clone() {
        payload(i, &mut buf);
    }
    let buf = Bytes::from(buf);
    seqs.enumerate()
        .map(|(k, i)| {
            let topic = names[(i * 7919) % names.len()].clone();
            message(topic, buf.slice(k * PAYLOAD..(k + 1) * PAYLOAD), start_ms + (i / 100) as u64)
        })
        .collect()
}
