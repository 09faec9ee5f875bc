//! What a Sparkplug host learns from the messages it sees: groups, edge nodes and devices with their
//! online state, metric aliases from the latest BIRTH, sequence numbers and bdSeq checks. Pure: fed one
//! message at a time with its arrival time, no IO.
//!
//! Nothing is hidden for being wrong: a message with an unexpected `seq`, or one that does not decode, is
//! counted and the caller still shows it.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::Value;

use super::{AliasScope, Aliases, MessageType, Topic, decode, to_json};

/// Everything known about the Sparkplug namespace.
#[derive(Debug, Default)]
pub struct Network {
    pub groups: BTreeMap<String, Group>,
    /// Host applications by id, from `spBv1.0/STATE/HOST_ID`.
    pub hosts: BTreeMap<String, Host>,
    /// Payloads on Sparkplug topics that did not decode.
    pub decode_failures: u64,
    /// The last decode failure: topic and reason.
    pub last_failure: Option<(String, String)>,
}

#[derive(Debug, Default)]
pub struct Group {
    pub nodes: BTreeMap<String, Node>,
}

/// A host application's last STATE message.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub online: bool,
    pub timestamp: Option<u64>,
    pub at: SystemTime,
}

/// What an edge node and a device have in common.
#[derive(Debug, Default)]
pub struct Endpoint {
    pub online: bool,
    pub last_birth: Option<SystemTime>,
    pub aliases: Aliases,
    /// Latest value of each metric by name, from BIRTH and DATA.
    pub metrics: BTreeMap<String, MetricRow>,
    pub messages: u64,
    /// Messages per second: the second being counted, its count, and the count of the second before.
    rate: (u64, u64, u64),
}

impl Endpoint {
    /// Messages in the last complete second before `now_sec` (seconds since the epoch).
    pub fn rate(&self, now_sec: u64) -> u64 {
        let (sec, this, before) = self.rate;
        match now_sec.checked_sub(sec) {
            Some(0) => before,
            Some(1) => this,
            _ => 0,
        }
    }

    fn count(&mut self, now: SystemTime) {
        self.messages += 1;
        let sec = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (s, this, _) = self.rate;
        self.rate = match sec.checked_sub(s) {
            Some(0) => (s, this + 1, self.rate.2),
            Some(1) => (sec, 1, this),
            _ => (sec, 1, 0),
        };
    }
}

/// One metric's latest value, for the metrics table.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub alias: Option<u64>,
    pub datatype: String,
    pub value: Value,
    pub timestamp: Option<u64>,
    pub properties: Option<Value>,
    /// When the value last changed (not merely arrived again).
    pub changed_at: SystemTime,
}

#[derive(Debug, Default)]
pub struct Node {
    pub endpoint: Endpoint,
    pub devices: BTreeMap<String, Endpoint>,
    /// The bdSeq of the latest NBIRTH.
    pub bd_seq: Option<u64>,
    /// The seq of the last message in order, once a BIRTH set it.
    pub last_seq: Option<u8>,
    /// Messages whose seq skipped ahead of the next expected one.
    pub seq_gaps: u64,
    /// Messages whose seq was behind the last one (late or repeated).
    pub seq_out_of_order: u64,
    /// NDEATHs whose bdSeq did not match the NBIRTH's (a stale death, which does not end the session).
    pub bd_seq_mismatches: u64,
}

impl Node {
    /// The seq problems in one number, for the view's column.
    pub fn seq_problems(&self) -> u64 {
        self.seq_gaps + self.seq_out_of_order + self.bd_seq_mismatches
    }
}

impl Network {
    /// Takes one message in. Returns `false` for a topic outside the namespace, which changes nothing.
    pub fn observe(&mut self, topic: &str, payload: &[u8], now: SystemTime) -> bool {
        let Some(parsed) = Topic::parse(topic) else { return false };
        let (group, kind, node, device) = match parsed {
            Topic::State { host } => {
                self.observe_state(host, payload, now);
                return true;
            }
            Topic::Message { group, kind, node, device } => (group, kind, node, device),
        };
        let decoded = match decode(payload) {
            Ok(p) => p,
            Err(e) => {
                self.fail(topic, e);
                return true;
            }
        };
        let n = self.groups.entry(group.to_owned()).or_default().nodes.entry(node.to_owned()).or_default();
        // Commands come from hosts and carry no edge node seq.
        if !matches!(kind, MessageType::NCmd | MessageType::DCmd | MessageType::NDeath) {
            check_seq(n, kind, decoded.seq);
        }
        let bd_seq = || {
            decoded.metrics.iter().find(|m| m.name.as_deref() == Some("bdSeq")).and_then(|m| match m.value {
                Some(super::proto::MetricValue::LongValue(v)) => Some(v),
                Some(super::proto::MetricValue::IntValue(v)) => Some(u64::from(v)),
                _ => None,
            })
        };
        match kind {
            MessageType::NBirth => {
                n.bd_seq = bd_seq();
                birth(&mut n.endpoint, &decoded, now);
            }
            MessageType::NDeath => {
                let death = bd_seq();
                if n.bd_seq.is_some() && death.is_some() && death != n.bd_seq {
                    n.bd_seq_mismatches += 1;
                } else {
                    n.endpoint.online = false;
                    n.last_seq = None;
                    for d in n.devices.values_mut() {
                        d.online = false;
                    }
                }
            }
            MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::DCmd => {
                let d = n.devices.entry(device.unwrap_or_default().to_owned()).or_default();
                match kind {
                    MessageType::DBirth => birth(d, &decoded, now),
                    MessageType::DDeath => d.online = false,
                    _ => {}
                }
            }
            MessageType::NData | MessageType::NCmd => {}
        }
        let (endpoint, node_aliases) = match device {
            Some(d) => (n.devices.entry(d.to_owned()).or_default(), Some(&n.endpoint.aliases)),
            None => (&mut n.endpoint, None),
        };
        endpoint.count(now);
        let mut failure = None;
        if !matches!(kind, MessageType::NCmd | MessageType::DCmd | MessageType::NDeath | MessageType::DDeath) {
            let scope = match node_aliases {
                Some(node) => AliasScope { device: Some(&endpoint.aliases), node: Some(node) },
                None => AliasScope { device: None, node: Some(&endpoint.aliases) },
            };
            match to_json(&decoded, scope) {
                Ok(json) => update_metrics(&mut endpoint.metrics, &json, now),
                Err(e) => failure = Some(e),
            }
        }
        if let Some(e) = failure {
            self.fail(topic, e);
        }
        true
    }

    fn fail(&mut self, topic: &str, reason: String) {
        self.decode_failures += 1;
        self.last_failure = Some((topic.to_owned(), format!("not valid Sparkplug B: {reason}")));
    }

    fn observe_state(&mut self, host: &str, payload: &[u8], now: SystemTime) {
        let parsed: Option<Value> = serde_json::from_slice(payload).ok();
        let online = parsed.as_ref().and_then(|v| v.get("online")).and_then(Value::as_bool);
        match online {
            Some(online) => {
                let timestamp = parsed.as_ref().and_then(|v| v.get("timestamp")).and_then(Value::as_u64);
                self.hosts.insert(host.to_owned(), Host { online, timestamp, at: now });
            }
            None => self.fail(
                &format!("{}/STATE/{host}", super::NAMESPACE),
                "STATE is not JSON with a boolean \"online\"".to_owned(),
            ),
        }
    }

    /// Where to look up aliases for a message on `topic`: its device's and its edge node's BIRTH.
    pub fn aliases(&self, topic: &str) -> AliasScope<'_> {
        let Some(Topic::Message { group, node, device, .. }) = Topic::parse(topic) else {
            return AliasScope::default();
        };
        let Some(n) = self.groups.get(group).and_then(|g| g.nodes.get(node)) else { return AliasScope::default() };
        AliasScope {
            device: device.and_then(|d| n.devices.get(d)).map(|d| &d.aliases),
            node: Some(&n.endpoint.aliases),
        }
    }

    /// Total seq gaps, out-of-order messages and bdSeq mismatches over all edge nodes.
    pub fn seq_problems(&self) -> u64 {
        self.groups.values().flat_map(|g| g.nodes.values()).map(Node::seq_problems).sum()
    }
}

/// A BIRTH: online, new aliases, and its metrics replace what was known.
fn birth(e: &mut Endpoint, p: &super::proto::Payload, now: SystemTime) {
    e.online = true;
    e.last_birth = Some(now);
    e.aliases = Aliases::from_birth(p);
    e.metrics.clear();
}

/// Sparkplug 3.0 §7.3: seq counts 0..=255 per edge node over BIRTH and DATA of the node and its devices,
/// and an NBIRTH starts it again.
fn check_seq(n: &mut Node, kind: MessageType, seq: Option<u64>) {
    // A missing or out-of-range seq counts as a gap: the message cannot be placed in the sequence.
    let Some(seq) = seq.and_then(|s| u8::try_from(s).ok()) else {
        n.seq_gaps += 1;
        return;
    };
    if kind == MessageType::NBirth {
        n.last_seq = Some(seq);
        return;
    }
    let Some(last) = n.last_seq else {
        // No NBIRTH seen yet: start counting from here.
        n.last_seq = Some(seq);
        return;
    };
    let ahead = seq.wrapping_sub(last);
    match ahead {
        1 => n.last_seq = Some(seq),
        // 0 is a repeat; 129..=255 is behind the last one.
        0 | 129..=255 => n.seq_out_of_order += 1,
        _ => {
            n.seq_gaps += 1;
            n.last_seq = Some(seq);
        }
    }
}

fn update_metrics(rows: &mut BTreeMap<String, MetricRow>, json: &Value, now: SystemTime) {
    let Some(metrics) = json.get("metrics").and_then(Value::as_array) else { return };
    for m in metrics {
        let Some(name) = m.get("name").and_then(Value::as_str) else { continue };
        let value = m.get("value").cloned().unwrap_or(Value::Null);
        let row = MetricRow {
            alias: m.get("alias").and_then(Value::as_u64),
            datatype: m.get("datatype").and_then(Value::as_str).unwrap_or_default().to_owned(),
            timestamp: m.get("timestamp").and_then(Value::as_u64),
            properties: m.get("properties").cloned(),
            changed_at: now,
            value,
        };
        match rows.get_mut(name) {
            Some(old) if old.value == row.value => {
                let changed_at = old.changed_at;
                *old = MetricRow { changed_at, ..row };
            }
            Some(old) => *old = row,
            None => {
                rows.insert(name.to_owned(), row);
            }
        }
    }
}
