//! What a Sparkplug host learns from the messages it sees: groups, edge nodes and devices with their
//! online state, metric aliases from the latest BIRTH, sequence numbers and bdSeq checks. Pure: fed one
//! message at a time with its arrival time, no IO.
//!
//! Nothing is hidden for being wrong: a message with an unexpected `seq`, or one that does not decode, is
//! counted and the caller still shows it.
//!
//! Bounded: the tables (groups, edge nodes, devices, hosts, metric rows and aliases) hold at most
//! `limit` bytes, estimated the way the app's memory budget counts. A new group, node, device, host,
//! metric row or alias that would go beyond it is not kept and is counted in [`Untracked`]; what is
//! already kept goes on being updated. A metric value too large for a table cell is kept as the start
//! of its text. A BIRTH frees what the previous one held.

use std::collections::BTreeMap;
use std::mem::size_of;
use std::time::SystemTime;

use serde_json::Value;

use super::walk::{self, Payload};
use super::{AliasScope, Aliases, MessageType, Topic, heap, read, to_json};

/// The tables' limit when nobody sets one (`mqscope sub`): the dashboard's default budget's share.
pub const DEFAULT_LIMIT: usize = 32 << 20;

/// The part of the dashboard's memory budget the tracker may hold.
pub fn limit_for_budget(budget: usize) -> usize {
    budget / 8
}

/// A metric value whose JSON takes more than this many bytes is kept as the start of its text.
pub const MAX_VALUE_BYTES: usize = 512;

/// What did not fit within the limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Untracked {
    /// Messages from a group, edge node, device or host there was no room for (the message itself is
    /// still shown and decoded by the caller).
    pub messages: u64,
    /// Metrics (rows or aliases of a BIRTH, new rows or grown values from DATA) there was no room for.
    pub metrics: u64,
}

impl Untracked {
    pub fn total(&self) -> u64 {
        self.messages + self.metrics
    }
}

/// Everything known about the Sparkplug namespace.
#[derive(Debug)]
pub struct Network {
    pub groups: BTreeMap<String, Group>,
    /// Host applications by id, from `spBv1.0/STATE/HOST_ID`.
    pub hosts: BTreeMap<String, Host>,
    /// Payloads on Sparkplug topics that did not decode.
    pub decode_failures: u64,
    /// The last decode failure: topic and reason.
    pub last_failure: Option<(String, String)>,
    /// What the limit kept out.
    pub untracked: Untracked,
    /// Bytes the tables hold now (estimated), and the most they may hold.
    meter: Meter,
}

impl Default for Network {
    fn default() -> Self {
        Self::with_limit(DEFAULT_LIMIT)
    }
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
    pub datatype: std::borrow::Cow<'static, str>,
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
    /// An empty tracker whose tables hold at most `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            groups: BTreeMap::new(),
            hosts: BTreeMap::new(),
            decode_failures: 0,
            last_failure: None,
            untracked: Untracked::default(),
            meter: Meter { bytes: 0, limit },
        }
    }

    /// A new limit (the dashboard's budget changed). What is kept stays; new entries wait for room.
    pub fn set_limit(&mut self, limit: usize) {
        self.meter.limit = limit;
    }

    /// Bytes the tables hold now (estimated as the memory budget counts), and the limit.
    pub fn usage(&self) -> (usize, usize) {
        (self.meter.bytes, self.meter.limit)
    }

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
        let mut spare = None;
        let decoded = match read(payload, &mut spare) {
            Ok(p) => p,
            Err(e) => {
                self.fail(topic, e);
                return true;
            }
        };
        let Self { groups, meter, untracked, .. } = self;
        // The group, node and device this message needs, all or none, so no empty shell is left behind.
        let known = groups.get(group).map(|g| g.nodes.get(node).map(|n| device.map(|d| n.devices.contains_key(d))));
        let new_device = |devices: usize| device.map_or(0, |d| insert_cost::<Endpoint>(devices, d));
        let cost = match known {
            None => insert_cost::<Group>(groups.len(), group) + insert_cost::<Node>(0, node) + new_device(0),
            Some(None) => {
                let nodes = groups.get(group).map_or(0, |g| g.nodes.len());
                insert_cost::<Node>(nodes, node) + new_device(0)
            }
            Some(Some(Some(false))) => {
                new_device(groups.get(group).and_then(|g| g.nodes.get(node)).map_or(0, |n| n.devices.len()))
            }
            Some(Some(_)) => 0,
        };
        if !meter.take(cost) {
            untracked.messages += 1;
            return true;
        }
        let n = groups.entry(group.to_owned()).or_default().nodes.entry(node.to_owned()).or_default();
        // Commands come from hosts and carry no edge node seq.
        if !matches!(kind, MessageType::NCmd | MessageType::DCmd | MessageType::NDeath) {
            check_seq(n, kind, decoded.seq);
        }
        let bd_seq = || {
            decoded.metrics.iter().find(|m| m.name == Some("bdSeq")).and_then(|m| match m.value {
                Some(walk::Value::Long(v)) => Some(v),
                Some(walk::Value::Int(v)) => Some(u64::from(v)),
                _ => None,
            })
        };
        let mut failure = None;
        match kind {
            MessageType::NBirth => {
                n.bd_seq = bd_seq();
                failure = birth(&mut n.endpoint, &decoded, now, meter, untracked);
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
                    MessageType::DBirth => failure = birth(d, &decoded, now, meter, untracked),
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
        if matches!(kind, MessageType::NData | MessageType::DData) {
            let scope = match node_aliases {
                Some(node) => AliasScope { device: Some(&endpoint.aliases), node: Some(node) },
                None => AliasScope { device: None, node: Some(&endpoint.aliases) },
            };
            // Straight from the decoded metrics, names resolved by alias: no JSON object per metric.
            let mut budget = super::MAX_VALUES;
            let resolved: Result<Vec<_>, String> = super::spend(&mut budget, decoded.metrics.len())
                .and_then(|()| decoded.metrics.iter().map(|m| super::resolve(m, scope, &mut budget)).collect());
            match resolved {
                Ok(list) => {
                    for r in list {
                        let row = MetricRow {
                            alias: r.alias,
                            datatype: super::datatype_str(r.datatype),
                            timestamp: r.timestamp,
                            properties: r.properties.map(kept),
                            changed_at: now,
                            value: kept(r.value),
                        };
                        if !update_row(&mut endpoint.metrics, &r.name, row, meter) {
                            untracked.metrics += 1;
                        }
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        if let Some(e) = failure {
            self.fail(topic, e);
        }
        true
    }

    /// Counts a failure and keeps the latest one (always: it is one entry, and the limit counts it).
    fn fail(&mut self, topic: &str, reason: String) {
        self.decode_failures += 1;
        let failure = (topic.to_owned(), format!("not valid Sparkplug B: {reason}"));
        let cost = |f: &(String, String)| heap(f.0.len()) + heap(f.1.len());
        if let Some(old) = &self.last_failure {
            self.meter.give(cost(old));
        }
        self.meter.bytes += cost(&failure);
        self.last_failure = Some(failure);
    }

    fn observe_state(&mut self, host: &str, payload: &[u8], now: SystemTime) {
        let parsed: Option<Value> = serde_json::from_slice(payload).ok();
        let online = parsed.as_ref().and_then(|v| v.get("online")).and_then(Value::as_bool);
        match online {
            Some(online) => {
                let timestamp = parsed.as_ref().and_then(|v| v.get("timestamp")).and_then(Value::as_u64);
                let state = Host { online, timestamp, at: now };
                let cost = insert_cost::<Host>(self.hosts.len(), host);
                match self.hosts.get_mut(host) {
                    Some(known) => *known = state,
                    None if self.meter.take(cost) => {
                        self.hosts.insert(host.to_owned(), state);
                    }
                    None => self.untracked.messages += 1,
                }
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

/// Bytes kept against the limit.
#[derive(Debug, Clone, Copy)]
struct Meter {
    bytes: usize,
    limit: usize,
}

impl Meter {
    /// Counts `cost` if it fits within the limit.
    fn take(&mut self, cost: usize) -> bool {
        match self.bytes.checked_add(cost) {
            Some(b) if b <= self.limit => {
                self.bytes = b;
                true
            }
            _ => false,
        }
    }

    fn give(&mut self, cost: usize) {
        self.bytes = self.bytes.saturating_sub(cost);
    }
}

/// What a `BTreeMap<String, V>` of `n` entries holds in its nodes: one leaf of 11 slots while it is
/// small, then about half again as many slots as entries (nodes are about two thirds full).
fn map_cost<V>(n: usize) -> usize {
    let slot = size_of::<String>() + size_of::<V>();
    match n {
        0 => 0,
        1..=11 => heap(11 * slot + 16),
        _ => n * slot * 3 / 2,
    }
}

/// What adding the key `key` to a `BTreeMap<String, V>` of `len` entries costs.
fn insert_cost<V>(len: usize, key: &str) -> usize {
    map_cost::<V>(len + 1) - map_cost::<V>(len) + heap(key.len())
}

/// What a JSON value holds on the heap (the value itself is counted where it sits). Objects keep their
/// order (`preserve_order`): their entries (hash, key, value) in one vector, and an index table.
fn value_cost(v: &Value) -> usize {
    match v {
        Value::String(s) => heap(s.len()),
        Value::Array(a) => heap(a.len() * size_of::<Value>()) + a.iter().map(value_cost).sum::<usize>(),
        Value::Object(o) => {
            let entry = size_of::<u64>() + size_of::<String>() + size_of::<Value>();
            heap(o.len() * entry)
                + heap(o.len() * (size_of::<usize>() + 1) * 8 / 7 + 16)
                + o.iter().map(|(k, v)| heap(k.len()) + value_cost(v)).sum::<usize>()
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// What a metric row holds on the heap beside its slot in the table.
fn row_heap(row: &MetricRow) -> usize {
    heap(row.datatype.len()) + value_cost(&row.value) + row.properties.as_ref().map_or(0, value_cost)
}

/// What a table of metric rows holds, all told.
fn rows_cost(rows: &BTreeMap<String, MetricRow>) -> usize {
    map_cost::<MetricRow>(rows.len()) + rows.iter().map(|(n, r)| heap(n.len()) + row_heap(r)).sum::<usize>()
}

/// What setting `name` to `row` would add to `rows` (0 if it would not grow).
fn row_growth(rows: &BTreeMap<String, MetricRow>, name: &str, row: &MetricRow) -> usize {
    match rows.get(name) {
        Some(old) => row_heap(row).saturating_sub(row_heap(old)),
        None => insert_cost::<MetricRow>(rows.len(), name) + row_heap(row),
    }
}

/// Sets `name` to `row` in `rows`, once its `row_growth` was taken from `meter`; gives back what a
/// smaller value frees. A value that did not change keeps its `changed_at`.
fn set_row(rows: &mut BTreeMap<String, MetricRow>, name: &str, row: MetricRow, meter: &mut Meter) {
    let size = row_heap(&row);
    match rows.get_mut(name) {
        Some(old) => {
            meter.give(row_heap(old).saturating_sub(size));
            let changed_at = if old.value == row.value { old.changed_at } else { row.changed_at };
            *old = MetricRow { changed_at, ..row };
        }
        None => {
            rows.insert(name.to_owned(), row);
        }
    }
}

/// [`row_growth`] and [`set_row`] with one lookup of `name`, for the rows of every DATA message: false
/// (and nothing changed) when the growth does not fit in `meter`.
fn update_row(rows: &mut BTreeMap<String, MetricRow>, name: &str, row: MetricRow, meter: &mut Meter) -> bool {
    let size = row_heap(&row);
    match rows.get_mut(name) {
        Some(old) => {
            let before = row_heap(old);
            if !meter.take(size.saturating_sub(before)) {
                return false;
            }
            meter.give(before.saturating_sub(size));
            let changed_at = if old.value == row.value { old.changed_at } else { row.changed_at };
            *old = MetricRow { changed_at, ..row };
        }
        None => {
            if !meter.take(insert_cost::<MetricRow>(rows.len(), name) + size) {
                return false;
            }
            rows.insert(name.to_owned(), row);
        }
    }
    true
}

/// A value as kept for the table: itself, or when large (a long string, an array, a DataSet) the start
/// of its text and its size, which is all a table cell shows.
fn kept(v: Value) -> Value {
    if value_cost(&v) <= MAX_VALUE_BYTES {
        return v;
    }
    let text = match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let head: String = text.chars().take(MAX_VALUE_BYTES / 8).collect();
    Value::String(format!("{head}… ({} bytes)", text.len()))
}

/// A BIRTH: online, new aliases, and its metrics replace what was known. What the old ones held is
/// freed first; then each metric's row and alias are kept together, in payload order, while they fit
/// (a row without its alias could not follow the DATA that names it by alias). Returns why the payload
/// could not be read as JSON, if it could not.
fn birth(
    e: &mut Endpoint,
    p: &Payload<'_>,
    now: SystemTime,
    meter: &mut Meter,
    untracked: &mut Untracked,
) -> Option<String> {
    e.online = true;
    e.last_birth = Some(now);
    meter.give(e.aliases.bytes() + rows_cost(&e.metrics));
    e.metrics.clear();
    e.aliases = Aliases::default();
    // A BIRTH names its metrics: no aliases are needed to read it.
    let json = to_json(p, AliasScope::default());
    let rows = json.as_ref().ok().and_then(|j| j.get("metrics")).and_then(Value::as_array);
    for (i, m) in p.metrics.iter().enumerate() {
        let alias = m.alias.zip(m.name);
        let row = rows.and_then(|r| r.get(i)).and_then(|j| metric_row(j, now));
        let cost = alias.map_or(0, |(a, name)| e.aliases.growth(a, name))
            + row.as_ref().map_or(0, |(n, r)| row_growth(&e.metrics, n, r));
        if !meter.take(cost) {
            untracked.metrics += 1;
            continue;
        }
        if let Some((a, name)) = alias {
            let (before, expected) = (e.aliases.bytes(), e.aliases.growth(a, name));
            e.aliases.insert(a, name, m.datatype.unwrap_or(0));
            meter.give((before + expected).saturating_sub(e.aliases.bytes()));
        }
        if let Some((name, row)) = row {
            set_row(&mut e.metrics, name, row, meter);
        }
    }
    json.err()
}

/// A metric's name and row from its JSON (as `to_json` writes it), its value kept within bounds.
fn metric_row(m: &Value, now: SystemTime) -> Option<(&str, MetricRow)> {
    let name = m.get("name").and_then(Value::as_str)?;
    let row = MetricRow {
        alias: m.get("alias").and_then(Value::as_u64),
        datatype: m.get("datatype").and_then(Value::as_str).unwrap_or_default().to_owned().into(),
        timestamp: m.get("timestamp").and_then(Value::as_u64),
        properties: m.get("properties").cloned().map(kept),
        changed_at: now,
        value: kept(m.get("value").cloned().unwrap_or(Value::Null)),
    };
    Some((name, row))
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
