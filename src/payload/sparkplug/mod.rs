//! Sparkplug B (namespace `spBv1.0`, Sparkplug 3.0): which topics are Sparkplug, and a payload decoded to
//! JSON named after the payload's own fields (`timestamp`, `seq`, `uuid`, `body`, `metrics` with `name`,
//! `alias`, `timestamp`, `datatype`, `value`, `is_historical`, `is_transient`, `is_null`, `metadata`,
//! `properties`).
//!
//! Exact, never a guess: only topics in the namespace are decoded as Sparkplug (see
//! [`super::format_for`]), since almost any byte string is some valid Protobuf. Metric names that a DATA
//! message leaves out are taken from the BIRTH through [`Aliases`]; [`state`] keeps those per edge node and
//! device along with sequence and session checks.

pub mod proto;
pub mod state;
pub mod walk;

use std::collections::HashMap;
use std::mem::size_of;

use prost::Message as _;
use serde_json::{Map, Value};

use super::binary::float_value;
use super::hex::hex_value;
use proto::{DataSetValueKind, ParameterValue, PropertyValueKind};
use walk::{Metric, Payload};

/// The Sparkplug B topic namespace.
pub const NAMESPACE: &str = "spBv1.0";

/// Most metrics (and template members, rows and properties, summed) one payload may turn into; a larger
/// payload is refused rather than rendered into a huge tree.
pub(crate) const MAX_VALUES: usize = 1 << 18;

/// Most bytes a payload's decoded form may take (prost's messages, as [`walk::scan`] reckons them):
/// the tracker's share of the default memory budget. A BIRTH of 100,000 named metrics takes about 17 MiB.
pub const MAX_DECODED: usize = 32 << 20;

/// Whether a payload of `len` bytes could hold more than [`MAX_VALUES`] metrics or take more than
/// [`MAX_DECODED`] bytes decoded, however its bytes are spent. Nearly every payload is shorter than
/// that (about 512 KiB) and is not scanned first: the scan costs about as much as the walk.
fn may_exceed_bounds(len: usize) -> bool {
    // A metric takes two bytes at least (its key and length); the payload's own struct comes on top of
    // what its bytes may take (as the scan counts it).
    let most = len.saturating_mul(walk::MOST_DECODED_PER_BYTE).saturating_add(std::mem::size_of::<proto::Payload>());
    len / 2 > MAX_VALUES || most > MAX_DECODED
}

/// The message types of the Sparkplug topic `spBv1.0/GROUP/TYPE/EDGE_NODE[/DEVICE]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    NBirth,
    NDeath,
    NData,
    NCmd,
    DBirth,
    DDeath,
    DData,
    DCmd,
}

impl MessageType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "NBIRTH" => Self::NBirth,
            "NDEATH" => Self::NDeath,
            "NDATA" => Self::NData,
            "NCMD" => Self::NCmd,
            "DBIRTH" => Self::DBirth,
            "DDEATH" => Self::DDeath,
            "DDATA" => Self::DData,
            "DCMD" => Self::DCmd,
            _ => return None,
        })
    }

    /// Whether the topic names a device (the `D…` types).
    pub fn is_device(self) -> bool {
        matches!(self, Self::DBirth | Self::DDeath | Self::DData | Self::DCmd)
    }
}

/// A topic in the Sparkplug namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic<'a> {
    /// `spBv1.0/GROUP/TYPE/EDGE_NODE[/DEVICE]`: a device for the `D…` types, none for the `N…` types.
    Message { group: &'a str, kind: MessageType, node: &'a str, device: Option<&'a str> },
    /// `spBv1.0/STATE/HOST_ID`: a host application's state, JSON in Sparkplug 3.0.
    State { host: &'a str },
}

impl<'a> Topic<'a> {
    /// The topic's parts when it is a Sparkplug topic with the right number of levels, else `None`.
    pub fn parse(topic: &'a str) -> Option<Self> {
        let mut levels = topic.split('/');
        if levels.next()? != NAMESPACE {
            return None;
        }
        let parts: Vec<&str> = levels.collect();
        match parts.as_slice() {
            ["STATE", host] if !host.is_empty() => Some(Self::State { host }),
            [group, kind, node] => {
                let kind = MessageType::parse(kind).filter(|k| !k.is_device())?;
                Some(Self::Message { group, kind, node, device: None })
            }
            [group, kind, node, device] => {
                let kind = MessageType::parse(kind).filter(|k| k.is_device())?;
                Some(Self::Message { group, kind, node, device: Some(device) })
            }
            _ => None,
        }
    }
}

/// Whether the payload of `topic` is a Sparkplug B Protobuf payload (any message type but STATE).
pub fn is_payload_topic(topic: &str) -> bool {
    matches!(Topic::parse(topic), Some(Topic::Message { .. }))
}

/// Metric names and datatypes by alias, from a BIRTH.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aliases {
    // foldhash (already in the build through hashbrown), seeded at random for each table: resolving
    // names looks up every metric of every DATA message, and SipHash is slow for a u64 key.
    by_alias: HashMap<u64, (Box<str>, u32), foldhash::fast::RandomState>,
    /// Heap bytes the names take.
    names: usize,
}

/// What a heap allocation of `len` bytes takes from the allocator: glibc adds an 8-byte header, rounds
/// up to 16 and never gives less than 32.
pub(crate) fn heap(len: usize) -> usize {
    if len == 0 { 0 } else { ((len + 8 + 15) & !15).max(32) }
}

/// The hash table's allocation for `n` aliases: buckets of an entry and a control byte each, a power
/// of two holding `n` at a load of at most 7/8 (all but one below 8 buckets), at least 4.
fn alias_table(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let mut buckets = 4usize;
    while (if buckets < 8 { buckets - 1 } else { buckets / 8 * 7 }) < n {
        buckets = buckets.saturating_mul(2);
    }
    heap(buckets.saturating_mul(size_of::<(u64, (Box<str>, u32))>() + 1) + 16)
}

impl Aliases {
    /// The aliases a BIRTH payload declares (metrics with both a name and an alias).
    pub fn from_birth(payload: &Payload<'_>) -> Self {
        let mut out = Self::default();
        for m in &payload.metrics {
            if let (Some(alias), Some(name)) = (m.alias, m.name) {
                out.insert(alias, name, m.datatype.unwrap_or(0));
            }
        }
        out
    }

    /// How many bytes declaring `alias` as `name` would add (0 if it would not grow).
    pub fn growth(&self, alias: u64, name: &str) -> usize {
        match self.by_alias.get(&alias) {
            Some((old, _)) => heap(name.len()).saturating_sub(heap(old.len())),
            None => alias_table(self.by_alias.len() + 1) - alias_table(self.by_alias.len()) + heap(name.len()),
        }
    }

    /// Declares an alias (a repeated one keeps its last name).
    pub fn insert(&mut self, alias: u64, name: &str, datatype: u32) {
        if let Some((old, _)) = self.by_alias.insert(alias, (name.into(), datatype)) {
            self.names -= heap(old.len());
        }
        self.names += heap(name.len());
    }

    /// Memory the table holds (estimated as the allocator hands it out), for the tracker's limit.
    pub fn bytes(&self) -> usize {
        alias_table(self.by_alias.len()) + self.names
    }

    /// The name and datatype behind `alias`.
    pub fn get(&self, alias: u64) -> Option<(&str, u32)> {
        self.by_alias.get(&alias).map(|(n, t)| (&**n, *t))
    }

    pub fn len(&self) -> usize {
        self.by_alias.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_alias.is_empty()
    }
}

/// Where to look up aliases for one message: the device's BIRTH first, then its edge node's.
#[derive(Debug, Clone, Copy, Default)]
pub struct AliasScope<'a> {
    pub device: Option<&'a Aliases>,
    pub node: Option<&'a Aliases>,
}

impl<'a> AliasScope<'a> {
    fn get(&self, alias: u64) -> Option<(&'a str, u32)> {
        self.device.and_then(|a| a.get(alias)).or_else(|| self.node.and_then(|a| a.get(alias)))
    }
}

/// A DATA metric as the tracker keeps it: its name resolved through the aliases of the BIRTH, its
/// datatype and value, without building the metric's whole JSON object (the tracker takes every
/// message of a flood; the JSON form is made only for what is shown or printed).
pub struct Resolved<'a> {
    pub name: std::borrow::Cow<'a, str>,
    pub alias: Option<u64>,
    pub datatype: u32,
    pub timestamp: Option<u64>,
    pub value: Value,
    pub properties: Option<Value>,
}

/// `m`'s name (through `aliases` when it has only an alias), datatype, value and properties: what
/// [`to_json`] shows of it. The caller spends one value of `budget` for the metric itself.
pub fn resolve<'a>(m: &Metric<'a>, aliases: AliasScope<'a>, budget: &mut usize) -> Result<Resolved<'a>, String> {
    let from_birth = m.alias.and_then(|a| aliases.get(a));
    let name = name_of(m, from_birth);
    let datatype = m.datatype.or(from_birth.map(|(_, t)| t)).unwrap_or(0);
    let value = match (&m.value, m.is_null) {
        (_, Some(true)) | (None, _) => Value::Null,
        (Some(v), _) => metric_value(datatype, v, budget)?,
    };
    let properties = m.properties.as_ref().map(|ps| property_set_json(ps, budget)).transpose()?;
    Ok(Resolved { name, alias: m.alias, datatype, timestamp: m.timestamp, value, properties })
}

/// `m`'s name as [`resolve`] gives it, without its value: its own, else its BIRTH's through
/// `aliases`, else the alias said to be unknown.
pub fn metric_name<'a>(m: &Metric<'a>, aliases: AliasScope<'a>) -> std::borrow::Cow<'a, str> {
    name_of(m, m.alias.filter(|_| m.name.is_none()).and_then(|a| aliases.get(a)))
}

fn name_of<'a>(m: &Metric<'a>, from_birth: Option<(&'a str, u32)>) -> std::borrow::Cow<'a, str> {
    match (m.name, m.alias) {
        (Some(n), _) => std::borrow::Cow::Borrowed(n),
        (None, Some(a)) => from_birth.map_or_else(|| unknown_alias(a).into(), |(n, _)| n.into()),
        (None, None) => std::borrow::Cow::Borrowed(""),
    }
}

/// The payload's Protobuf message as prost decodes it; `Err` says why it is not one.
pub fn decode(payload: &[u8]) -> Result<proto::Payload, String> {
    proto::Payload::decode(payload).map_err(|e| e.to_string())
}

/// The payload read in place by the [`walk`], or when it is not of the walk's common shape, decoded by
/// prost into `spare` and seen through it. Either way the same payload, and the same refusals.
///
/// Before anything is decoded, a payload whose decoded form would take more than [`MAX_DECODED`] bytes
/// or hold more than [`MAX_VALUES`] metrics is refused, as is one whose framing prost would refuse: a
/// metric takes 120 bytes decoded and may take 2 on the wire, and a hostile payload of empty metrics
/// must not turn into gigabytes (a broker may send 256 MiB in one message).
pub fn read<'a>(payload: &'a [u8], spare: &'a mut Option<proto::Payload>) -> Result<Payload<'a>, String> {
    let count = if may_exceed_bounds(payload.len()) {
        let scan = walk::scan(payload).map_err(|e| format!("failed to decode Protobuf message: {e}"))?;
        if scan.metrics > MAX_VALUES {
            return Err(format!("{} metrics, more than {MAX_VALUES}", scan.metrics));
        }
        if scan.decoded > MAX_DECODED {
            return Err(format!(
                "{} bytes would take about {} MiB decoded, more than {} MiB",
                payload.len(),
                scan.decoded >> 20,
                MAX_DECODED >> 20
            ));
        }
        scan.metrics
    } else {
        walk::top_level_count(payload)
    };
    if let Some(p) = walk::payload_of(payload, count) {
        return Ok(p);
    }
    Ok(Payload::from_proto(spare.insert(decode(payload)?)))
}

/// The payload decoded and turned into JSON, metric names resolved through `aliases`.
pub fn decode_json(payload: &[u8], aliases: AliasScope<'_>) -> Result<Value, String> {
    let mut spare = None;
    to_json(&read(payload, &mut spare)?, aliases)
}

/// The JSON form of a decoded payload. `Err` for a payload that decodes but contradicts itself (a DataSet
/// whose rows do not match its columns, an array whose bytes do not divide into its elements) or that
/// holds more than [`MAX_VALUES`] values.
pub fn to_json(p: &Payload<'_>, aliases: AliasScope<'_>) -> Result<Value, String> {
    let mut budget = MAX_VALUES;
    let mut o = Map::new();
    if let Some(t) = p.timestamp {
        o.insert("timestamp".into(), t.into());
    }
    if let Some(s) = p.seq {
        o.insert("seq".into(), s.into());
    }
    if let Some(u) = p.uuid {
        o.insert("uuid".into(), u.into());
    }
    if let Some(b) = p.body {
        o.insert("body".into(), hex_value(b));
    }
    o.insert("metrics".into(), metrics_json(&p.metrics, aliases, &mut budget)?);
    Ok(Value::Object(o))
}

fn metrics_json(metrics: &[Metric<'_>], aliases: AliasScope<'_>, budget: &mut usize) -> Result<Value, String> {
    spend(budget, metrics.len())?;
    metrics.iter().map(|m| metric_json(m, aliases, budget)).collect::<Result<Vec<_>, _>>().map(Value::Array)
}

fn spend(budget: &mut usize, n: usize) -> Result<(), String> {
    *budget = budget.checked_sub(n).ok_or_else(|| format!("more than {MAX_VALUES} values"))?;
    Ok(())
}

/// The text shown for an alias whose BIRTH has not been seen.
pub fn unknown_alias(alias: u64) -> String {
    format!("alias {alias} (no birth seen)")
}

fn metric_json(m: &Metric<'_>, aliases: AliasScope<'_>, budget: &mut usize) -> Result<Value, String> {
    let r = resolve(m, aliases, budget)?;
    let mut o = Map::new();
    o.insert("name".into(), r.name.into_owned().into());
    if let Some(a) = r.alias {
        o.insert("alias".into(), a.into());
    }
    if let Some(t) = r.timestamp {
        o.insert("timestamp".into(), t.into());
    }
    o.insert("datatype".into(), datatype_str(r.datatype).into());
    o.insert("value".into(), r.value);
    for (key, flag) in [("is_historical", m.is_historical), ("is_transient", m.is_transient), ("is_null", m.is_null)] {
        if flag == Some(true) {
            o.insert(key.into(), true.into());
        }
    }
    if let Some(md) = &m.metadata {
        o.insert("metadata".into(), metadata_json(md));
    }
    if let Some(ps) = r.properties {
        o.insert("properties".into(), ps);
    }
    Ok(Value::Object(o))
}

fn metadata_json(md: &proto::MetaData) -> Value {
    let mut o = Map::new();
    let strings = [
        ("content_type", &md.content_type),
        ("file_name", &md.file_name),
        ("file_type", &md.file_type),
        ("md5", &md.md5),
        ("description", &md.description),
    ];
    if let Some(b) = md.is_multi_part {
        o.insert("is_multi_part".into(), b.into());
    }
    for (k, v) in strings {
        if let Some(v) = v {
            o.insert(k.into(), v.as_str().into());
        }
    }
    for (k, v) in [("size", md.size), ("seq", md.seq)] {
        if let Some(v) = v {
            o.insert(k.into(), v.into());
        }
    }
    Value::Object(o)
}

/// The Sparkplug 3.0 datatype name of a code (`Unknown(N)` for codes the spec does not define).
pub fn datatype_name(code: u32) -> String {
    datatype_str(code).into_owned()
}

/// [`datatype_name`] without a new string for the known datatypes.
pub fn datatype_str(code: u32) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 35] = [
        "Unknown",
        "Int8",
        "Int16",
        "Int32",
        "Int64",
        "UInt8",
        "UInt16",
        "UInt32",
        "UInt64",
        "Float",
        "Double",
        "Boolean",
        "String",
        "DateTime",
        "Text",
        "UUID",
        "DataSet",
        "Bytes",
        "File",
        "Template",
        "PropertySet",
        "PropertySetList",
        "Int8Array",
        "Int16Array",
        "Int32Array",
        "Int64Array",
        "UInt8Array",
        "UInt16Array",
        "UInt32Array",
        "UInt64Array",
        "FloatArray",
        "DoubleArray",
        "BooleanArray",
        "StringArray",
        "DateTimeArray",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("Unknown({code})").into(), |n| std::borrow::Cow::Borrowed(*n))
}

/// A scalar as the wire holds it, whichever message it came from.
enum Raw<'a> {
    Int(u32),
    Long(u64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'a str),
}

/// A Float as the number it was written as: the shortest decimal that reads back as the same `f32`
/// (121.3, not the 121.30000305175781 its exact value as an `f64` would print).
fn f32_value(f: f32) -> Value {
    f.to_string().parse::<f64>().map_or_else(|_| float_value(f64::from(f)), float_value)
}

/// A scalar as JSON: the signed types read as two's complement at their width (Sparkplug 3.0 §6.4.16),
/// whichever of `int_value` and `long_value` carries them.
fn scalar(datatype: u32, raw: Raw<'_>) -> Value {
    let bits = match raw {
        Raw::Int(v) => u64::from(v),
        Raw::Long(v) => v,
        Raw::Float(f) => return f32_value(f),
        Raw::Double(f) => return float_value(f),
        Raw::Bool(b) => return Value::Bool(b),
        Raw::Str(s) => return Value::String(s.to_owned()),
    };
    let [b0, b1, b2, b3, b4, b5, b6, b7] = bits.to_le_bytes();
    match datatype {
        1 => i8::from_le_bytes([b0]).into(),
        2 => i16::from_le_bytes([b0, b1]).into(),
        3 => i32::from_le_bytes([b0, b1, b2, b3]).into(),
        4 => i64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]).into(),
        _ => bits.into(),
    }
}

fn metric_value(datatype: u32, v: &walk::Value<'_>, budget: &mut usize) -> Result<Value, String> {
    use walk::Value as V;
    Ok(match v {
        V::Int(x) => scalar(datatype, Raw::Int(*x)),
        V::Long(x) => scalar(datatype, Raw::Long(*x)),
        V::Float(x) => scalar(datatype, Raw::Float(*x)),
        V::Double(x) => scalar(datatype, Raw::Double(*x)),
        V::Bool(x) => scalar(datatype, Raw::Bool(*x)),
        V::Str(x) => scalar(datatype, Raw::Str(x)),
        V::Bytes(b) if (22..=34).contains(&datatype) => array_value(datatype, b, budget)?,
        V::Bytes(b) => hex_value(b),
        V::DataSet(d) => dataset_json(d, budget)?,
        V::Template(t) => template_json(t, budget)?,
    })
}

/// An array datatype's elements, packed little-endian in `bytes_value` (Sparkplug 3.0 §6.4.17): fixed-size
/// numbers, a BooleanArray as a 4-byte count and then bits from the most significant, a StringArray as
/// NUL-terminated strings.
fn array_value(datatype: u32, b: &[u8], budget: &mut usize) -> Result<Value, String> {
    let name = datatype_name(datatype);
    let size = match datatype {
        22 | 26 => 1,
        23 | 27 => 2,
        24 | 28 | 30 => 4,
        25 | 29 | 31 | 34 => 8,
        32 => return bool_array(b, budget),
        _ => {
            let parts: Vec<&[u8]> = match b.strip_suffix(&[0]) {
                Some(body) => body.split(|&c| c == 0).collect(),
                None if b.is_empty() => Vec::new(),
                None => return Err(format!("{name} of {} bytes does not end with a NUL", b.len())),
            };
            spend(budget, parts.len())?;
            return Ok(Value::Array(
                parts.into_iter().map(|s| Value::String(String::from_utf8_lossy(s).into_owned())).collect(),
            ));
        }
    };
    if !b.len().is_multiple_of(size) {
        return Err(format!("{name} of {} bytes is not a whole number of {size}-byte elements", b.len()));
    }
    spend(budget, b.len() / size)?;
    let element = |c: &[u8]| -> Value {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(c) {
            *d = *s;
        }
        match datatype {
            30 => f32_value(f32::from_le_bytes([w[0], w[1], w[2], w[3]])),
            31 => float_value(f64::from_le_bytes(w)),
            // The signed arrays are Int8Array..Int64Array (22..25), each element one of Int8..Int64.
            22..=25 => scalar(datatype - 21, Raw::Long(u64::from_le_bytes(w))),
            34 => i64::from_le_bytes(w).into(),
            _ => u64::from_le_bytes(w).into(),
        }
    };
    Ok(Value::Array(b.chunks_exact(size).map(element).collect()))
}

fn bool_array(b: &[u8], budget: &mut usize) -> Result<Value, String> {
    let (count, bits) = match b {
        [c0, c1, c2, c3, rest @ ..] => (u32::from_le_bytes([*c0, *c1, *c2, *c3]), rest),
        _ => return Err(format!("BooleanArray of {} bytes has no 4-byte count", b.len())),
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count.div_ceil(8) > bits.len() {
        return Err(format!("BooleanArray declares {count} values but holds {} bytes of bits", bits.len()));
    }
    spend(budget, count)?;
    Ok(Value::Array(
        (0..count).map(|i| Value::Bool(bits.get(i / 8).is_some_and(|byte| byte & (0x80 >> (i % 8)) != 0))).collect(),
    ))
}

fn dataset_json(d: &proto::DataSet, budget: &mut usize) -> Result<Value, String> {
    let columns = d.columns.len();
    if let Some(n) = d.num_of_columns
        && u64::try_from(columns).ok() != Some(n)
    {
        return Err(format!("DataSet declares {n} columns but names {columns}"));
    }
    if d.types.len() != columns {
        return Err(format!("DataSet has {columns} columns but {} types", d.types.len()));
    }
    let mut rows = Vec::with_capacity(d.rows.len().min(1024));
    for (i, row) in d.rows.iter().enumerate() {
        if row.elements.len() != columns {
            return Err(format!("DataSet row {i} has {} values for {columns} columns", row.elements.len()));
        }
        spend(budget, columns + 1)?;
        let values = row.elements.iter().zip(&d.types).map(|(e, &t)| match &e.value {
            None => Value::Null,
            Some(DataSetValueKind::IntValue(x)) => scalar(t, Raw::Int(*x)),
            Some(DataSetValueKind::LongValue(x)) => scalar(t, Raw::Long(*x)),
            Some(DataSetValueKind::FloatValue(x)) => scalar(t, Raw::Float(*x)),
            Some(DataSetValueKind::DoubleValue(x)) => scalar(t, Raw::Double(*x)),
            Some(DataSetValueKind::BooleanValue(x)) => scalar(t, Raw::Bool(*x)),
            Some(DataSetValueKind::StringValue(x)) => scalar(t, Raw::Str(x)),
        });
        rows.push(Value::Array(values.collect()));
    }
    let mut o = Map::new();
    o.insert("num_of_columns".into(), columns.into());
    o.insert("columns".into(), d.columns.clone().into());
    o.insert("types".into(), d.types.iter().map(|&t| Value::String(datatype_name(t))).collect());
    o.insert("rows".into(), Value::Array(rows));
    Ok(Value::Object(o))
}

fn template_json(t: &proto::Template, budget: &mut usize) -> Result<Value, String> {
    let mut o = Map::new();
    if let Some(v) = &t.version {
        o.insert("version".into(), v.as_str().into());
    }
    if let Some(r) = &t.template_ref {
        o.insert("template_ref".into(), r.as_str().into());
    }
    if let Some(d) = t.is_definition {
        o.insert("is_definition".into(), d.into());
    }
    spend(budget, t.parameters.len())?;
    let parameters = t.parameters.iter().map(|p| {
        let ty = p.r#type.unwrap_or(0);
        let value = match &p.value {
            None => Value::Null,
            Some(ParameterValue::IntValue(x)) => scalar(ty, Raw::Int(*x)),
            Some(ParameterValue::LongValue(x)) => scalar(ty, Raw::Long(*x)),
            Some(ParameterValue::FloatValue(x)) => scalar(ty, Raw::Float(*x)),
            Some(ParameterValue::DoubleValue(x)) => scalar(ty, Raw::Double(*x)),
            Some(ParameterValue::BooleanValue(x)) => scalar(ty, Raw::Bool(*x)),
            Some(ParameterValue::StringValue(x)) => scalar(ty, Raw::Str(x)),
        };
        let mut po = Map::new();
        po.insert("name".into(), p.name.clone().unwrap_or_default().into());
        po.insert("type".into(), datatype_name(ty).into());
        po.insert("value".into(), value);
        Value::Object(po)
    });
    o.insert("parameters".into(), Value::Array(parameters.collect()));
    // Template members are named in the template itself; aliases belong to top-level metrics only.
    let metrics: Vec<Metric<'_>> = t.metrics.iter().map(Metric::from_proto).collect();
    o.insert("metrics".into(), metrics_json(&metrics, AliasScope::default(), budget)?);
    Ok(Value::Object(o))
}

/// A PropertySet as an object from key to `{type, value}` (Quality is such a property).
fn property_set_json(ps: &proto::PropertySet, budget: &mut usize) -> Result<Value, String> {
    if ps.keys.len() != ps.values.len() {
        return Err(format!("PropertySet has {} keys but {} values", ps.keys.len(), ps.values.len()));
    }
    spend(budget, ps.keys.len())?;
    let mut o = Map::new();
    for (k, v) in ps.keys.iter().zip(&ps.values) {
        let ty = v.r#type.unwrap_or(0);
        let value = if v.is_null == Some(true) {
            Value::Null
        } else {
            match &v.value {
                None => Value::Null,
                Some(PropertyValueKind::IntValue(x)) => scalar(ty, Raw::Int(*x)),
                Some(PropertyValueKind::LongValue(x)) => scalar(ty, Raw::Long(*x)),
                Some(PropertyValueKind::FloatValue(x)) => scalar(ty, Raw::Float(*x)),
                Some(PropertyValueKind::DoubleValue(x)) => scalar(ty, Raw::Double(*x)),
                Some(PropertyValueKind::BooleanValue(x)) => scalar(ty, Raw::Bool(*x)),
                Some(PropertyValueKind::StringValue(x)) => scalar(ty, Raw::Str(x)),
                Some(PropertyValueKind::PropertysetValue(s)) => property_set_json(s, budget)?,
                Some(PropertyValueKind::PropertysetsValue(l)) => {
                    spend(budget, l.propertyset.len())?;
                    Value::Array(l.propertyset.iter().map(|s| property_set_json(s, budget)).collect::<Result<_, _>>()?)
                }
            }
        };
        let mut po = Map::new();
        po.insert("type".into(), datatype_name(ty).into());
        po.insert("value".into(), value);
        o.insert(k.clone(), Value::Object(po));
    }
    Ok(Value::Object(o))
}

/// The metrics of a decoded payload's JSON as `(name, value)`, for charts and watch columns: a field
/// `metrics/NAME` (or just `NAME`) is the value of the last metric of that name.
pub fn metric_values(json: &Value) -> impl Iterator<Item = (&str, &Value)> {
    json.get("metrics").and_then(Value::as_array).into_iter().flatten().filter_map(|m| {
        let name = m.get("name")?.as_str()?;
        Some((name, m.get("value")?))
    })
}

#[cfg(test)]
mod tests;
