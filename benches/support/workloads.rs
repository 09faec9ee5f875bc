//! The byte streams the codec benches run on, shared by `benches/codec.rs` and the rumqttc
//! comparison in `benches/compare/`, so both decode exactly the same bytes.

use bytes::{Bytes, BytesMut};
use mqscope::codec::{
    ByteString, Connect, LastWill, Packet, Properties, ProtocolVersion, Publish, QoS, SubAck, Subscribe, Subscription,
    SubscriptionOptions, encode,
};

/// A named stream of packets and their encoding.
pub struct Workload {
    pub name: &'static str,
    pub version: ProtocolVersion,
    pub packets: Vec<Packet>,
    pub wire: Bytes,
}

impl Workload {
    fn new(name: &'static str, version: ProtocolVersion, packets: Vec<Packet>) -> Self {
        let mut wire = BytesMut::new();
        for p in &packets {
            encode(p, version, &mut wire).expect("bench packets are valid");
        }
        Self { name, version, packets, wire: wire.freeze() }
    }
}

/// Small deterministic generator, so every run and both crates see the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A topic of 20 to 40 bytes, like `site-3/building-12/floor-04/temp`.
fn topic(rng: &mut Lcg) -> ByteString {
    const KINDS: [&str; 6] = ["temp", "humidity", "co2", "power", "door", "state"];
    let mut t = format!(
        "site-{}/building-{}/floor-{:02}/{}",
        rng.below(10),
        rng.below(100),
        rng.below(40),
        KINDS[rng.below(KINDS.len() as u64) as usize]
    );
    while t.len() < 20 + rng.below(21) as usize {
        t.push_str("/x");
    }
    t.truncate(40);
    t.into()
}

pub const SMALL_COUNT: usize = 1000;
pub const LARGE_COUNT: usize = 16;
pub const MIX_COUNT: usize = 300;

/// PUBLISH packets with 64-byte payloads and 20-40 byte topics.
pub fn small_publish(qos: QoS, version: ProtocolVersion) -> Workload {
    let mut rng = Lcg(7);
    let packets = (0..SMALL_COUNT)
        .map(|n| {
            let payload: Vec<u8> = (0..64).map(|i| b'a' + ((n + i) % 26) as u8).collect();
            Packet::Publish(Publish {
                dup: false,
                qos,
                retain: false,
                topic: topic(&mut rng),
                packet_id: (qos != QoS::AtMostOnce).then_some((n % 65_535 + 1) as u16),
                properties: Properties::default(),
                payload: Bytes::from(payload),
            })
        })
        .collect();
    let name = match (qos, version.is_v5()) {
        (QoS::AtMostOnce, false) => "small_publish_qos0",
        (_, false) => "small_publish_qos1",
        (QoS::AtMostOnce, true) => "small_publish_qos0_v5",
        (_, true) => "small_publish_qos1_v5",
    };
    Workload::new(name, version, packets)
}

/// PUBLISH packets with 64 KiB payloads.
pub fn large_publish() -> Workload {
    let mut rng = Lcg(11);
    let packets = (0..LARGE_COUNT)
        .map(|n| {
            let payload: Vec<u8> = (0..64 * 1024).map(|i| (i * 31 + n) as u8).collect();
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtLeastOnce,
                retain: false,
                topic: topic(&mut rng),
                packet_id: Some(n as u16 + 1),
                properties: Properties::default(),
                payload: Bytes::from(payload),
            })
        })
        .collect();
    Workload::new("large_publish_64k", ProtocolVersion::V3_1_1, packets)
}

/// CONNECT, SUBSCRIBE (three filters) and SUBACK in turn: the session set-up path.
pub fn connect_subscribe_mix() -> Workload {
    let mut rng = Lcg(13);
    let packets = (0..MIX_COUNT)
        .map(|n| match n % 3 {
            0 => Packet::Connect(Box::new(Connect {
                protocol: ProtocolVersion::V3_1_1,
                bridge: false,
                clean_start: true,
                keep_alive: 30,
                properties: Properties::default(),
                client_id: format!("mqscope-{n:08}").into(),
                will: Some(LastWill {
                    topic: topic(&mut rng),
                    payload: Bytes::from_static(b"offline"),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: Properties::default(),
                }),
                username: Some("dashboard".into()),
                password: Some(Bytes::from_static(b"secret-password")),
            })),
            1 => Packet::Subscribe(Subscribe {
                packet_id: n as u16 + 1,
                properties: Properties::default(),
                subscriptions: vec![
                    Subscription {
                        filter: "site-1/+/floor-02/#".into(),
                        options: SubscriptionOptions::qos(QoS::AtLeastOnce),
                    },
                    Subscription { filter: topic(&mut rng), options: SubscriptionOptions::qos(QoS::AtMostOnce) },
                    Subscription {
                        filter: "$SYS/broker/#".into(),
                        options: SubscriptionOptions::qos(QoS::ExactlyOnce),
                    },
                ],
            }),
            _ => Packet::SubAck(SubAck {
                packet_id: n as u16,
                properties: Properties::default(),
                reason_codes: vec![1, 0, 2],
            }),
        })
        .collect();
    Workload::new("connect_subscribe_suback_mix", ProtocolVersion::V3_1_1, packets)
}
