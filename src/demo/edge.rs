//! The demo's Sparkplug B edge node: group `Plant1`, edge node `Edge1` with devices `Press` and `Oven`.
//! NBIRTH (with `bdSeq` and `Node Control/Rebirth`) and DBIRTHs declare every metric with a name and an
//! alias; NDATA and DDATA then carry aliases only, a few times a second; seq counts 0..=255 over all of
//! the node's messages. Now and then a device dies (DDEATH) and is born again, and the node itself dies
//! (NDEATH, then a new MQTT session and an NBIRTH with the next bdSeq). A `Node Control/Rebirth` NCMD
//! gets a fresh NBIRTH and DBIRTHs.
//!
//! Pure: stepped with the time, it says what to publish and when to drop or open its connection;
//! `mod.rs` runs it over an MQTT session whose will is [`EdgeNode::will`].

use super::feed::Rng;
use crate::app::sparkplug::REBIRTH_METRIC;
use crate::codec::{Bytes, QoS};
use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
use crate::payload::sparkplug::{self, NAMESPACE};
use prost::Message as _;

pub const GROUP: &str = "Plant1";
pub const NODE: &str = "Edge1";

/// Every device reports this often.
const DATA_MS: u64 = 1000;
/// The node's own metrics report this often.
const NODE_DATA_MS: u64 = 5000;
/// A device dies every 40 to 70 s, and comes back 5 to 8 s later.
const DEVICE_LIFE_MS: (u64, u64) = (40_000, 70_000);
const DEVICE_DOWN_MS: (u64, u64) = (5_000, 8_000);
/// The node dies every 2 to 3 minutes and reconnects 4 s later.
const NODE_LIFE_MS: (u64, u64) = (120_000, 180_000);
const NODE_DOWN_MS: u64 = 4_000;

/// One message to publish (never retained: Sparkplug 3.0 §6.4.1, §6.4.6).
#[derive(Debug, Clone, PartialEq)]
pub struct Out {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Publish(Out),
    /// Leave the broker cleanly (after the NDEATH that says so).
    Disconnect,
    /// Connect again, with the will [`EdgeNode::will`] gives now; call [`EdgeNode::births`] once connected.
    Connect,
}

/// A metric's value, typed as its Sparkplug datatype.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Float(f32),
    Double(f64),
    Int32(i32),
    UInt16(u16),
    UInt32(u32),
    Int64(i64),
    Bool(bool),
    Text(String),
}

impl Value {
    /// The datatype code and the wire value (signed integers as two's complement, §6.4.16).
    fn wire(&self) -> (u32, MetricValue) {
        match self {
            Self::Float(v) => (9, MetricValue::FloatValue(*v)),
            Self::Double(v) => (10, MetricValue::DoubleValue(*v)),
            Self::Int32(v) => (3, MetricValue::IntValue(u32::from_le_bytes(v.to_le_bytes()))),
            Self::UInt16(v) => (6, MetricValue::IntValue(u32::from(*v))),
            Self::UInt32(v) => (7, MetricValue::IntValue(*v)),
            Self::Int64(v) => (4, MetricValue::LongValue(u64::from_le_bytes(v.to_le_bytes()))),
            Self::Bool(v) => (11, MetricValue::BooleanValue(*v)),
            Self::Text(v) => (12, MetricValue::StringValue(v.clone())),
        }
    }
}

#[derive(Debug, Clone)]
struct Tag {
    name: &'static str,
    /// Unique over the node and its devices (§6.4.4).
    alias: u64,
    value: Value,
    /// Changed since the last report.
    dirty: bool,
}

impl Tag {
    fn new(name: &'static str, alias: u64, value: Value) -> Self {
        Self { name, alias, value, dirty: false }
    }

    fn set(&mut self, value: Value) {
        if self.value != value {
            self.value = value;
            self.dirty = true;
        }
    }

    /// In a BIRTH: name, alias, datatype and value.
    fn birth(&self, now_ms: u64) -> Metric {
        let (datatype, value) = self.value.wire();
        Metric {
            name: Some(self.name.to_owned()),
            alias: Some(self.alias),
            timestamp: Some(now_ms),
            datatype: Some(datatype),
            value: Some(value),
            ..Default::default()
        }
    }

    /// In DATA: the alias and the value only; the BIRTH told the name and the datatype.
    fn data(&self, now_ms: u64) -> Metric {
        Metric {
            alias: Some(self.alias),
            timestamp: Some(now_ms),
            value: Some(self.value.wire().1),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Press,
    Oven,
}

#[derive(Debug, Clone)]
struct Device {
    name: &'static str,
    kind: Kind,
    tags: Vec<Tag>,
    online: bool,
    next_data_ms: u64,
    /// When it dies (online) or is born again (offline).
    next_change_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Connected and born: publishing.
    Online,
    /// Connect asked for; waiting for `births`.
    Connecting,
    /// Dead; asks to connect at this time.
    Offline { until_ms: u64 },
}

/// The simulated edge node.
#[derive(Debug, Clone)]
pub struct EdgeNode {
    rng: Rng,
    /// The bdSeq of this MQTT session: in the will, the NBIRTH and the NDEATH (§6.4.5).
    bd_seq: u64,
    /// The seq of the next message.
    seq: u8,
    link: Link,
    node_tags: Vec<Tag>,
    devices: Vec<Device>,
    started_ms: u64,
    next_node_data_ms: u64,
    next_death_ms: u64,
}

fn topic(kind: &str, device: Option<&str>) -> String {
    match device {
        Some(d) => format!("{NAMESPACE}/{GROUP}/{kind}/{NODE}/{d}"),
        None => format!("{NAMESPACE}/{GROUP}/{kind}/{NODE}"),
    }
}

/// The topic the node takes commands on.
pub fn ncmd_topic() -> String {
    topic("NCMD", None)
}

impl EdgeNode {
    /// A node about to connect for the first time (with bdSeq 0).
    pub fn new(seed: u64, now_ms: u64) -> Self {
        let mut rng = Rng::new(seed);
        let press = vec![
            Tag::new("Pressure", 10, Value::Float(120.0)),
            Tag::new("Strokes", 11, Value::UInt32(18_250)),
            Tag::new("Running", 12, Value::Bool(true)),
            Tag::new("Mode", 13, Value::Text("auto".into())),
            Tag::new("Die Temperature", 14, Value::Double(61.5)),
            Tag::new("Cycle Time", 15, Value::Int32(1000)),
        ];
        let oven = vec![
            Tag::new("Temperature", 20, Value::Float(214.0)),
            Tag::new("Setpoint", 21, Value::Float(220.0)),
            Tag::new("Heater On", 22, Value::Bool(true)),
            Tag::new("Recipe", 23, Value::Text("Bread".into())),
            Tag::new("Door Openings", 24, Value::Int32(3)),
            Tag::new("Fan Speed", 25, Value::UInt16(1400)),
        ];
        let mut device = |name, kind, tags, offset| Device {
            name,
            kind,
            tags,
            online: true,
            next_data_ms: now_ms + offset,
            next_change_ms: now_ms + between(&mut rng, DEVICE_LIFE_MS),
        };
        let devices = vec![device("Press", Kind::Press, press, 500), device("Oven", Kind::Oven, oven, 1000)];
        let node_tags = vec![
            Tag::new(REBIRTH_METRIC, 1, Value::Bool(false)),
            Tag::new("Properties/Hardware Make", 2, Value::Text("mqscope".into())),
            Tag::new("Properties/OS", 3, Value::Text("demo".into())),
            Tag::new("Uptime", 4, Value::Int64(0)),
            Tag::new("CPU Load", 5, Value::Float(12.5)),
        ];
        let next_death_ms = now_ms + between(&mut rng, NODE_LIFE_MS);
        Self {
            rng,
            bd_seq: 0,
            seq: 0,
            link: Link::Connecting,
            node_tags,
            devices,
            started_ms: now_ms,
            next_node_data_ms: now_ms + NODE_DATA_MS,
            next_death_ms,
        }
    }

    /// The NDEATH the broker publishes if the connection drops: the will of the session about to
    /// connect, with its bdSeq (§6.4.5). QoS 1, not retained.
    pub fn will(&self) -> Out {
        Out { topic: topic("NDEATH", None), payload: self.death_payload(), qos: QoS::AtLeastOnce }
    }

    fn death_payload(&self) -> Bytes {
        let bd = Metric {
            name: Some("bdSeq".into()),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(self.bd_seq)),
            ..Default::default()
        };
        // NDEATH has no seq (§6.4.6).
        Bytes::from(Payload { metrics: vec![bd], ..Default::default() }.encode_to_vec())
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(1);
        u64::from(s)
    }

    fn out(&mut self, kind: &str, device: Option<&str>, now_ms: u64, metrics: Vec<Metric>) -> Action {
        let seq = Some(self.next_seq());
        let payload = Payload { timestamp: Some(now_ms), seq, metrics, ..Default::default() };
        Action::Publish(Out {
            topic: topic(kind, device),
            payload: Bytes::from(payload.encode_to_vec()),
            qos: QoS::AtMostOnce,
        })
    }

    /// Once connected (and on a rebirth request): the NBIRTH with seq 0 and this session's bdSeq, then a
    /// DBIRTH for each device that is up.
    pub fn births(&mut self, now_ms: u64) -> Vec<Action> {
        self.link = Link::Online;
        self.seq = 0;
        self.set_uptime(now_ms);
        let mut metrics = vec![Metric {
            name: Some("bdSeq".into()),
            timestamp: Some(now_ms),
            datatype: Some(8),
            value: Some(MetricValue::LongValue(self.bd_seq)),
            ..Default::default()
        }];
        metrics.extend(self.node_tags.iter_mut().map(|t| {
            t.dirty = false;
            t.birth(now_ms)
        }));
        let mut out = vec![self.out("NBIRTH", None, now_ms, metrics)];
        for i in 0..self.devices.len() {
            if self.devices[i].online {
                out.push(self.device_birth(i, now_ms));
            }
        }
        out
    }

    fn device_birth(&mut self, i: usize, now_ms: u64) -> Action {
        let d = &mut self.devices[i];
        let metrics = d.tags.iter_mut().map(|t| {
            t.dirty = false;
            t.birth(now_ms)
        });
        let (name, metrics) = (d.name, metrics.collect());
        self.out("DBIRTH", Some(name), now_ms, metrics)
    }

    fn set_uptime(&mut self, now_ms: u64) {
        let up = i64::try_from(now_ms.saturating_sub(self.started_ms) / 1000).unwrap_or(i64::MAX);
        if let Some(t) = self.node_tags.iter_mut().find(|t| t.alias == 4) {
            t.set(Value::Int64(up));
        }
    }

    /// A message on the node's subscription: a `Node Control/Rebirth` = true NCMD (by name or by
    /// alias) gets fresh births. Anything else is ignored, as an edge node ignores commands it does not
    /// know.
    pub fn on_message(&mut self, topic: &str, payload: &[u8], now_ms: u64) -> Vec<Action> {
        if topic != ncmd_topic() || self.link != Link::Online {
            return Vec::new();
        }
        // Read as the dashboard reads Sparkplug, within its bounds: anyone on the broker may send this.
        let mut spare = None;
        let Ok(p) = sparkplug::read(payload, &mut spare) else { return Vec::new() };
        let rebirth = p.metrics.iter().any(|m| {
            (m.name == Some(REBIRTH_METRIC) || m.alias == Some(1))
                && m.value == Some(sparkplug::walk::Value::Bool(true))
        });
        if rebirth { self.births(now_ms) } else { Vec::new() }
    }

    /// What is due at `now_ms`: DATA, a device's death or birth, the node's death, or its reconnect.
    pub fn step(&mut self, now_ms: u64) -> Vec<Action> {
        match self.link {
            Link::Connecting => return Vec::new(),
            Link::Offline { until_ms } if now_ms < until_ms => return Vec::new(),
            Link::Offline { .. } => {
                self.link = Link::Connecting;
                return vec![Action::Connect];
            }
            Link::Online => {}
        }
        if now_ms >= self.next_death_ms {
            // An intentional death: NDEATH with this session's bdSeq, then a clean disconnect. The next
            // session's will and NBIRTH carry the next bdSeq.
            let death = Out { topic: topic("NDEATH", None), payload: self.death_payload(), qos: QoS::AtMostOnce };
            self.bd_seq = (self.bd_seq + 1) % 256;
            self.link = Link::Offline { until_ms: now_ms + NODE_DOWN_MS };
            self.next_death_ms = now_ms + NODE_DOWN_MS + between(&mut self.rng, NODE_LIFE_MS);
            return vec![Action::Publish(death), Action::Disconnect];
        }
        let mut out = Vec::new();
        if now_ms >= self.next_node_data_ms {
            self.next_node_data_ms = now_ms + NODE_DATA_MS;
            self.set_uptime(now_ms);
            let load = (12.5 + self.rng.normal() * 3.0).clamp(0.5, 100.0);
            if let Some(t) = self.node_tags.iter_mut().find(|t| t.alias == 5) {
                t.set(Value::Float((load * 10.0).round() as f32 / 10.0));
            }
            if let Some(metrics) = changed(&mut self.node_tags, now_ms) {
                out.push(self.out("NDATA", None, now_ms, metrics));
            }
        }
        for i in 0..self.devices.len() {
            let d = &mut self.devices[i];
            if now_ms >= d.next_change_ms {
                let name = d.name;
                if d.online {
                    d.online = false;
                    d.next_change_ms = now_ms + between(&mut self.rng, DEVICE_DOWN_MS);
                    out.push(self.out("DDEATH", Some(name), now_ms, Vec::new()));
                } else {
                    d.online = true;
                    d.next_change_ms = now_ms + between(&mut self.rng, DEVICE_LIFE_MS);
                    d.next_data_ms = now_ms + DATA_MS;
                    out.push(self.device_birth(i, now_ms));
                }
                continue;
            }
            if d.online && now_ms >= d.next_data_ms {
                d.next_data_ms += DATA_MS;
                if d.next_data_ms <= now_ms {
                    d.next_data_ms = now_ms + DATA_MS;
                }
                simulate(d, &mut self.rng);
                let name = d.name;
                if let Some(metrics) = changed(&mut d.tags, now_ms) {
                    out.push(self.out("DDATA", Some(name), now_ms, metrics));
                }
            }
        }
        out
    }
}

/// A whole number of milliseconds in `[lo, hi)`.
fn between(rng: &mut Rng, (lo, hi): (u64, u64)) -> u64 {
    lo + (rng.unit() * (hi - lo) as f64) as u64
}

/// The tags that changed since the last report, as DATA metrics; `None` when nothing did.
fn changed(tags: &mut [Tag], now_ms: u64) -> Option<Vec<Metric>> {
    let metrics: Vec<Metric> = tags
        .iter_mut()
        .filter(|t| t.dirty)
        .map(|t| {
            t.dirty = false;
            t.data(now_ms)
        })
        .collect();
    (!metrics.is_empty()).then_some(metrics)
}

fn tag(tags: &mut [Tag], alias: u64) -> Option<&mut Tag> {
    tags.iter_mut().find(|t| t.alias == alias)
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// One second of a device's life.
fn simulate(d: &mut Device, rng: &mut Rng) {
    let t = &mut d.tags;
    match d.kind {
        Kind::Press => {
            let running = matches!(tag(t, 12).map(|x| &x.value), Some(Value::Bool(true)));
            let running = if rng.unit() < 0.03 { !running } else { running };
            let pressure = if running { 120.0 + rng.normal() * 2.5 } else { 1.0 + rng.unit() };
            let mode = if rng.unit() < 0.02 { if rng.unit() < 0.5 { "manual" } else { "auto" } } else { "" };
            if let Some(x) = tag(t, 12) {
                x.set(Value::Bool(running));
            }
            if let Some(x) = tag(t, 10) {
                x.set(Value::Float(round(pressure, 1) as f32));
            }
            if running {
                if let Some(x) = tag(t, 11)
                    && let Value::UInt32(n) = x.value
                {
                    x.set(Value::UInt32(n.wrapping_add(1 + (rng.unit() * 2.0) as u32)));
                }
                if let Some(x) = tag(t, 15) {
                    x.set(Value::Int32(950 + (rng.unit() * 150.0) as i32));
                }
            }
            if !mode.is_empty()
                && let Some(x) = tag(t, 13)
            {
                x.set(Value::Text(mode.into()));
            }
            if let Some(x) = tag(t, 14)
                && let Value::Double(v) = x.value
            {
                let target = if running { 62.0 } else { 40.0 };
                x.set(Value::Double(round(v + (target - v) * 0.05 + rng.normal() * 0.2, 2)));
            }
        }
        Kind::Oven => {
            if rng.unit() < 0.02 {
                let (recipe, setpoint) = match (rng.unit() * 3.0) as u32 {
                    0 => ("Bread", 220.0),
                    1 => ("Pizza", 250.0),
                    _ => ("Rolls", 200.0),
                };
                if let Some(x) = tag(t, 23) {
                    x.set(Value::Text(recipe.into()));
                }
                if let Some(x) = tag(t, 21) {
                    x.set(Value::Float(setpoint));
                }
            }
            let setpoint = match tag(t, 21).map(|x| &x.value) {
                Some(Value::Float(s)) => f64::from(*s),
                _ => 220.0,
            };
            let temp = match tag(t, 20).map(|x| &x.value) {
                Some(Value::Float(v)) => f64::from(*v),
                _ => setpoint,
            };
            let heater = temp < setpoint - 1.0;
            let next = temp + if heater { 1.5 } else { -0.8 } + rng.normal() * 0.3;
            if let Some(x) = tag(t, 20) {
                x.set(Value::Float(round(next, 1) as f32));
            }
            if let Some(x) = tag(t, 22) {
                x.set(Value::Bool(heater));
            }
            if rng.unit() < 0.05
                && let Some(x) = tag(t, 24)
                && let Value::Int32(n) = x.value
            {
                x.set(Value::Int32(n + 1));
            }
            if let Some(x) = tag(t, 25) {
                x.set(Value::UInt16(1350 + (rng.unit() * 100.0) as u16));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::sparkplug::state::Network;
    use crate::payload::sparkplug::{self, MessageType, Topic};
    use std::time::{Duration, UNIX_EPOCH};

    const T0: u64 = 1_795_628_616_000;

    fn at(ms: u64) -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn bd_seq(payload: &[u8]) -> Option<u64> {
        let p = Payload::decode(payload).ok()?;
        p.metrics.iter().find(|m| m.name.as_deref() == Some("bdSeq")).and_then(|m| match m.value {
            Some(MetricValue::LongValue(v)) => Some(v),
            _ => None,
        })
    }

    /// Runs the node for `ms` of simulated time, connecting whenever it asks; returns what it
    /// published with the time, and the wills it connected with.
    fn run(node: &mut EdgeNode, from: u64, ms: u64, rebirth_at: &[u64]) -> (Vec<(u64, Out)>, Vec<Out>) {
        let (mut sent, mut wills) = (Vec::new(), vec![node.will()]);
        let mut actions = node.births(from);
        let mut now = from;
        let mut rebirths = rebirth_at.iter().peekable();
        while now < from + ms {
            for a in std::mem::take(&mut actions) {
                match a {
                    Action::Publish(out) => sent.push((now, out)),
                    Action::Disconnect => {}
                    Action::Connect => {
                        wills.push(node.will());
                        actions.extend(node.births(now));
                    }
                }
            }
            if !actions.is_empty() {
                continue;
            }
            now += 100;
            if rebirths.next_if(|&&t| now >= from + t).is_some() {
                let cmd = crate::app::sparkplug::rebirth_command(GROUP, NODE, 1, now);
                if let crate::session::Command::Publish { publish, .. } = cmd {
                    actions.extend(node.on_message(&publish.topic, &publish.payload, now));
                }
            }
            actions.extend(node.step(now));
        }
        (sent, wills)
    }

    #[test]
    fn ten_minutes_of_the_edge_node_read_cleanly_by_the_tracker() {
        let mut node = EdgeNode::new(7, T0);
        let (sent, wills) = run(&mut node, T0, 600_000, &[30_000]);
        let mut net = Network::default();
        let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
        let (mut births, mut deaths) = (Vec::new(), Vec::new());
        let mut seqs = Vec::new();
        for (now, out) in &sent {
            assert!(net.observe(&out.topic, &out.payload, at(*now)), "{}", out.topic);
            let Some(Topic::Message { kind, device, .. }) = Topic::parse(&out.topic) else { panic!("{}", out.topic) };
            let p = Payload::decode(&out.payload[..]).unwrap();
            *kinds.entry(out.topic.split('/').nth(2).unwrap()).or_default() += 1;
            match kind {
                MessageType::NBirth => births.push(bd_seq(&out.payload).unwrap()),
                MessageType::NDeath => {
                    deaths.push(bd_seq(&out.payload).unwrap());
                    assert_eq!(p.seq, None, "NDEATH has no seq");
                }
                _ => seqs.push(p.seq.unwrap()),
            }
            if matches!(kind, MessageType::NData | MessageType::DData) {
                assert!(p.metrics.iter().all(|m| m.name.is_none() && m.alias.is_some()), "aliases only");
            }
            if matches!(kind, MessageType::NBirth | MessageType::DBirth) {
                assert!(p.metrics.iter().all(|m| m.name.is_some() && m.datatype.is_some()));
                let aliased = p.metrics.iter().filter(|m| m.alias.is_some()).count();
                assert!(aliased >= 5, "{device:?}: {aliased} aliases");
            }
        }
        assert_eq!(net.seq_problems(), 0, "seq wraps 0..=255 without a gap; NDEATHs match their NBIRTH");
        assert_eq!((net.decode_failures, net.untracked.total()), (0, 0));
        // Deaths and births: the devices several times, the node at least twice.
        assert!(kinds["DDEATH"] >= 4 && kinds["DBIRTH"] >= kinds["DDEATH"], "{kinds:?}");
        assert!(deaths.len() >= 2, "{kinds:?}");
        assert!(kinds["DDATA"] > 900 && kinds["NDATA"] > 100, "{kinds:?}");
        assert!(seqs.windows(2).any(|w| w == [255, 0]), "seq wraps");
        // The rebirth request at 30 s: a second NBIRTH with the same bdSeq. Each NDEATH carries the
        // bdSeq of the NBIRTH before it, and the next session's NBIRTH the next one, as does its will.
        assert_eq!(&births[..2], &[0, 0]);
        for (i, death) in deaths.iter().enumerate() {
            assert_eq!(*death, i as u64);
            assert_eq!(bd_seq(&wills[i].payload), Some(*death), "the will of session {i}");
        }
        let mut sessions: Vec<u64> = births.clone();
        sessions.dedup();
        assert_eq!(sessions, (0..=deaths.len() as u64).collect::<Vec<_>>());
        // What a host sees at the end: named metrics on the node and both devices.
        let node = &net.groups[GROUP].nodes[NODE];
        assert!(node.endpoint.metrics.contains_key("Node Control/Rebirth"));
        assert!(node.endpoint.metrics.contains_key("Uptime"));
        for (device, metric) in [("Press", "Pressure"), ("Oven", "Temperature")] {
            let d = &node.devices[device];
            assert!(d.metrics.contains_key(metric), "{device}: {:?}", d.metrics.keys());
            assert!(d.metrics.keys().all(|k| !k.starts_with("alias ")), "{device}: aliases resolved");
        }
        let _ = sparkplug::NAMESPACE;
    }

    #[test]
    fn the_will_is_the_ndeath_of_the_session_about_to_connect() {
        let node = EdgeNode::new(1, T0);
        let will = node.will();
        assert_eq!(will.topic, "spBv1.0/Plant1/NDEATH/Edge1");
        assert_eq!((will.qos, bd_seq(&will.payload)), (QoS::AtLeastOnce, Some(0)));
        assert_eq!(ncmd_topic(), "spBv1.0/Plant1/NCMD/Edge1");
        // The session the demo connects with carries it as its will and subscribes to the NCMD topic.
        let opts = super::super::edge_task_options("mqtt://127.0.0.1:1883", &node);
        let w = opts.session.will.expect("a will");
        assert_eq!((&*w.topic, &w.payload, w.qos, w.retain), (&*will.topic, &will.payload, QoS::AtLeastOnce, false));
        let filters: Vec<&str> = opts.session.subscriptions.iter().map(|s| &*s.filter).collect();
        assert_eq!(filters, ["spBv1.0/Plant1/NCMD/Edge1"]);
    }

    #[test]
    fn a_rebirth_request_by_alias_gets_births_and_other_commands_nothing() {
        let mut node = EdgeNode::new(3, T0);
        node.births(T0);
        let cmd = |metric: Metric| Payload { metrics: vec![metric], ..Default::default() }.encode_to_vec();
        let by_alias =
            cmd(Metric { alias: Some(1), value: Some(MetricValue::BooleanValue(true)), ..Default::default() });
        let out = node.on_message(&ncmd_topic(), &by_alias, T0 + 10);
        assert_eq!(out.len(), 3, "NBIRTH and two DBIRTHs");
        let nothing = [
            (
                ncmd_topic(),
                cmd(Metric { alias: Some(1), value: Some(MetricValue::BooleanValue(false)), ..Default::default() }),
            ),
            (ncmd_topic(), vec![0xff, 0xff]),
            // A rebirth request after 300,000 empty metrics: refused before it is decoded.
            (ncmd_topic(), [&[0x12, 0x00].repeat(300_000)[..], &by_alias].concat()),
            ("spBv1.0/Plant1/NCMD/Other".to_owned(), by_alias.clone()),
        ];
        for (topic, payload) in nothing {
            assert!(node.on_message(&topic, &payload, T0 + 20).is_empty(), "{topic}");
        }
    }
}
