//! A Sparkplug payload read in place: the metrics of a DATA message borrow their names, strings and bytes
//! from the payload instead of being copied into prost's owned messages. The tracker reads every message
//! of a flood, and this walk is what lets it keep up (see `benches/sparkplug.rs`).
//!
//! Exact, never a second opinion: the walk reads the common shape alone (the fields of `Payload` and
//! `Metric` with the wire types prost expects, unknown fields of the plain wire types) and gives up on
//! anything else, a field it would have to merge, a group, a bad varint or UTF-8, a length past the end.
//! [`super::read`] then decodes with prost, which accepts or refuses the payload as it always did, so
//! a payload reads the same either way; a test and the fuzz target hold the two to each other. The
//! rare large parts of a metric (DataSet, Template, PropertySet, MetaData) are decoded by prost from
//! their bytes.

use std::ops::Deref;

use super::proto;

/// A part that is either borrowed from prost's message or decoded from the part's own bytes.
#[derive(Clone)]
pub enum Part<'a, T> {
    Ref(&'a T),
    Own(Box<T>),
}

/// What it holds, borrowed or not.
impl<T: std::fmt::Debug> std::fmt::Debug for Part<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// Equal when what they hold is, borrowed or not.
impl<T: PartialEq> PartialEq for Part<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> Deref for Part<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Part::Ref(t) => t,
            Part::Own(t) => t,
        }
    }
}

/// A payload: `proto::Payload` with borrowed strings and bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload<'a> {
    pub timestamp: Option<u64>,
    pub metrics: Vec<Metric<'a>>,
    pub seq: Option<u64>,
    pub uuid: Option<&'a str>,
    pub body: Option<&'a [u8]>,
}

/// A metric: `proto::Metric` with borrowed strings and bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metric<'a> {
    pub name: Option<&'a str>,
    pub alias: Option<u64>,
    pub timestamp: Option<u64>,
    pub datatype: Option<u32>,
    pub is_historical: Option<bool>,
    pub is_transient: Option<bool>,
    pub is_null: Option<bool>,
    pub metadata: Option<Part<'a, proto::MetaData>>,
    pub properties: Option<Part<'a, proto::PropertySet>>,
    pub value: Option<Value<'a>>,
}

/// A metric's value: `proto::MetricValue` with borrowed strings and bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Int(u32),
    Long(u64),
    Float(f32),
    Double(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    DataSet(Part<'a, proto::DataSet>),
    Template(Part<'a, proto::Template>),
}

impl<'a> Payload<'a> {
    /// prost's message seen through borrowed fields.
    pub fn from_proto(p: &'a proto::Payload) -> Self {
        Payload {
            timestamp: p.timestamp,
            metrics: p.metrics.iter().map(Metric::from_proto).collect(),
            seq: p.seq,
            uuid: p.uuid.as_deref(),
            body: p.body.as_deref(),
        }
    }
}

impl<'a> Metric<'a> {
    /// prost's metric seen through borrowed fields.
    pub fn from_proto(m: &'a proto::Metric) -> Self {
        use proto::MetricValue as V;
        Metric {
            name: m.name.as_deref(),
            alias: m.alias,
            timestamp: m.timestamp,
            datatype: m.datatype,
            is_historical: m.is_historical,
            is_transient: m.is_transient,
            is_null: m.is_null,
            metadata: m.metadata.as_deref().map(Part::Ref),
            properties: m.properties.as_deref().map(Part::Ref),
            value: m.value.as_ref().map(|v| match v {
                V::IntValue(x) => Value::Int(*x),
                V::LongValue(x) => Value::Long(*x),
                V::FloatValue(x) => Value::Float(*x),
                V::DoubleValue(x) => Value::Double(*x),
                V::BooleanValue(x) => Value::Bool(*x),
                V::StringValue(x) => Value::Str(x),
                V::BytesValue(x) => Value::Bytes(x),
                V::DatasetValue(x) => Value::DataSet(Part::Ref(x)),
                V::TemplateValue(x) => Value::Template(Part::Ref(x)),
            }),
        }
    }
}

/// What a payload holds before it is decoded: its metrics, and about what decoding it takes in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Metrics at the payload's top level.
    pub metrics: usize,
    /// Bytes its decoded form takes at most, all told (prost's messages, their vectors and strings),
    /// before vectors round their capacity up.
    pub decoded: usize,
}

/// The Sparkplug messages, for [`scan`]: which fields hold which message, and what each takes decoded.
#[derive(Debug, Clone, Copy)]
enum Msg {
    Payload,
    Metric,
    MetaData,
    PropertySet,
    PropertyValue,
    PropertySetList,
    DataSet,
    Row,
    DataSetValue,
    Template,
    Parameter,
}

impl Msg {
    /// The message in length-delimited field `tag`, if that field holds one.
    fn field(self, tag: u32) -> Option<Msg> {
        use Msg::*;
        Some(match (self, tag) {
            (Payload, 2) | (Template, 2) => Metric,
            (Metric, 8) => MetaData,
            (Metric, 9) | (PropertyValue, 9) | (PropertySetList, 1) => PropertySet,
            (Metric, 17) => DataSet,
            (Metric, 18) => Template,
            (PropertySet, 2) => PropertyValue,
            (PropertyValue, 10) => PropertySetList,
            (DataSet, 4) => Row,
            (Row, 1) => DataSetValue,
            (Template, 3) => Parameter,
            _ => return None,
        })
    }

    const ALL: [Msg; 11] = [
        Msg::Payload,
        Msg::Metric,
        Msg::MetaData,
        Msg::PropertySet,
        Msg::PropertyValue,
        Msg::PropertySetList,
        Msg::DataSet,
        Msg::Row,
        Msg::DataSetValue,
        Msg::Template,
        Msg::Parameter,
    ];

    /// What one decoded message takes: its struct (boxed ones as their own allocation).
    const fn size(self) -> usize {
        use std::mem::size_of;
        match self {
            Msg::Payload => size_of::<proto::Payload>(),
            Msg::Metric => size_of::<proto::Metric>(),
            Msg::MetaData => size_of::<proto::MetaData>(),
            Msg::PropertySet => size_of::<proto::PropertySet>(),
            Msg::PropertyValue => size_of::<proto::PropertyValue>(),
            Msg::PropertySetList => size_of::<proto::PropertySetList>(),
            Msg::DataSet => size_of::<proto::DataSet>(),
            Msg::Row => size_of::<proto::Row>(),
            Msg::DataSetValue => size_of::<proto::DataSetValue>(),
            Msg::Template => size_of::<proto::Template>(),
            Msg::Parameter => size_of::<proto::Parameter>(),
        }
    }
}

/// The payload's metrics and decoded size, found by skipping its fields as prost skips them (groups too)
/// and going into each field that holds a message; nothing is allocated. `Err` names what prost also
/// refuses in the framing. Elements of a repeated field take their struct; strings and bytes their
/// length (prost copies them); a repeated number (DataSet `types`) 4 bytes each.
pub fn scan(bytes: &[u8]) -> Result<Scan, &'static str> {
    let mut out = Scan { metrics: 0, decoded: Msg::Payload.size() };
    let mut r = Reader(bytes);
    while !r.0.is_empty() {
        let key = r.key().ok_or("invalid key or varint")?;
        if key == key_of(2, LEN) {
            out.metrics += 1;
        }
        scan_field(&mut r, Msg::Payload, key, 0, &mut out.decoded)?;
    }
    Ok(out)
}

fn scan_field(r: &mut Reader<'_>, msg: Msg, key: u32, depth: usize, decoded: &mut usize) -> Result<(), &'static str> {
    // DataSet `types`: a repeated number, packed or not, 4 bytes decoded each (one a byte at least).
    let types = matches!(msg, Msg::DataSet) && key >> 3 == 3;
    if key & 7 != LEN {
        if types {
            *decoded = decoded.saturating_add(4);
        }
        return r.skip_any(key, 0);
    }
    let field = r.len_delimited().ok_or("buffer underflow or invalid varint")?;
    match msg.field(key >> 3) {
        // Past prost's 100 levels, prost refuses the payload anyway: not gone into.
        Some(inner) if depth < 100 => {
            *decoded = decoded.saturating_add(inner.size());
            let mut inner_reader = Reader(field);
            while !inner_reader.0.is_empty() {
                let key = inner_reader.key().ok_or("invalid key or varint")?;
                scan_field(&mut inner_reader, inner, key, depth + 1, decoded)?;
            }
        }
        Some(_) => {}
        None => {
            let per_byte = if types { 4 } else { 1 };
            let string = if matches!((msg, key >> 3), (Msg::DataSet, 2) | (Msg::PropertySet, 1)) { 24 } else { 0 };
            *decoded = decoded.saturating_add(field.len().saturating_mul(per_byte)).saturating_add(string);
        }
    }
    Ok(())
}

/// The most bytes [`scan`] reckons one byte on the wire may take decoded, and the walk may take:
/// an empty message is two bytes on the wire (its key and a length of 0) and its struct decoded; a
/// string is its key, length and bytes, and its `String` (24 bytes) and bytes decoded; a number of a
/// packed field 4 bytes for each byte. So a payload of `n` bytes takes at most about `n` times this.
pub const MOST_DECODED_PER_BYTE: usize = {
    use std::mem::size_of;
    let mut largest = if size_of::<Metric<'_>>() > size_of::<Payload<'_>>() {
        size_of::<Metric<'_>>()
    } else {
        size_of::<Payload<'_>>()
    };
    let mut i = 0;
    while i < Msg::ALL.len() {
        if Msg::ALL[i].size() > largest {
            largest = Msg::ALL[i].size();
        }
        i += 1;
    }
    let per_message = largest / 2 + 1;
    let per_string = 24 / 2 + 1;
    if per_message > per_string { per_message } else { per_string }
};

/// The metrics at the payload's top level, counted without going into them: the vector's capacity
/// for a payload too short to need [`scan`]. A framing error stops the count; the walk then refuses.
pub(super) fn top_level_count(bytes: &[u8]) -> usize {
    let mut r = Reader(bytes);
    let mut n = 0;
    while let Some(key) = r.key() {
        n += usize::from(key == key_of(2, LEN));
        if r.skip(key).is_none() {
            break;
        }
    }
    n
}

/// How many metrics the payload holds ([`scan`]).
pub fn metric_count(bytes: &[u8]) -> Result<usize, &'static str> {
    scan(bytes).map(|s| s.metrics)
}

/// The payload read in place, or `None` when it is not of the common shape (or not valid): the
/// caller then decodes it with prost.
pub fn payload(bytes: &[u8]) -> Option<Payload<'_>> {
    payload_of(bytes, metric_count(bytes).ok()?)
}

/// [`payload`] of a payload holding `count` metrics, as [`metric_count`] said.
pub(super) fn payload_of(bytes: &[u8], count: usize) -> Option<Payload<'_>> {
    // Counted first, so the vector is allocated once.
    let mut p = Payload { metrics: Vec::with_capacity(count), ..Payload::default() };
    let mut r = Reader(bytes);
    while !r.0.is_empty() {
        // Matched on the whole key (field number and wire type), which compiles to one jump table.
        match r.key()? {
            0x08 => p.timestamp = Some(r.varint()?),
            0x12 => {
                // Read into its place in the vector: a metric is 120 bytes, and copying each one
                // there cost a tenth of the walk.
                let bytes = r.len_delimited()?;
                p.metrics.push(Metric::default());
                metric(bytes, p.metrics.last_mut()?)?;
            }
            0x18 => p.seq = Some(r.varint()?),
            0x22 => p.uuid = Some(r.str()?),
            0x2a => p.body = Some(r.len_delimited()?),
            key if key >> 3 <= 5 => return None,
            key => r.skip(key)?,
        }
    }
    Some(p)
}

/// The key of field `tag` with wire type `wire`.
const fn key_of(tag: u32, wire: u32) -> u32 {
    tag << 3 | wire
}

fn metric<'a>(bytes: &'a [u8], m: &mut Metric<'a>) -> Option<()> {
    let mut r = Reader(bytes);
    while !r.0.is_empty() {
        const K1: u32 = key_of(1, LEN);
        const K2: u32 = key_of(2, VARINT);
        const K3: u32 = key_of(3, VARINT);
        const K4: u32 = key_of(4, VARINT);
        const K5: u32 = key_of(5, VARINT);
        const K6: u32 = key_of(6, VARINT);
        const K7: u32 = key_of(7, VARINT);
        const K8: u32 = key_of(8, LEN);
        const K9: u32 = key_of(9, LEN);
        const K10: u32 = key_of(10, VARINT);
        const K11: u32 = key_of(11, VARINT);
        const K12: u32 = key_of(12, FIXED32);
        const K13: u32 = key_of(13, FIXED64);
        const K14: u32 = key_of(14, VARINT);
        const K15: u32 = key_of(15, LEN);
        const K16: u32 = key_of(16, LEN);
        const K17: u32 = key_of(17, LEN);
        match r.key()? {
            K1 => m.name = Some(r.str()?),
            K2 => m.alias = Some(r.varint()?),
            K3 => m.timestamp = Some(r.varint()?),
            // prost reads a uint32 as a varint cut to 32 bits, and a bool as a varint other than 0.
            K4 => m.datatype = Some(r.varint()? as u32),
            K5 => m.is_historical = Some(r.varint()? != 0),
            K6 => m.is_transient = Some(r.varint()? != 0),
            K7 => m.is_null = Some(r.varint()? != 0),
            // A second occurrence of a message field is merged into the first by prost: not read here.
            K8 if m.metadata.is_none() => m.metadata = Some(part(r.len_delimited()?)?),
            K9 if m.properties.is_none() => m.properties = Some(flat(part(r.len_delimited()?)?)?),
            K10 => m.value = Some(Value::Int(r.varint()? as u32)),
            K11 => m.value = Some(Value::Long(r.varint()?)),
            K12 => m.value = Some(Value::Float(f32::from_le_bytes(r.fixed()?))),
            K13 => m.value = Some(Value::Double(f64::from_le_bytes(r.fixed()?))),
            K14 => m.value = Some(Value::Bool(r.varint()? != 0)),
            K15 => m.value = Some(Value::Str(r.str()?)),
            K16 => m.value = Some(Value::Bytes(r.len_delimited()?)),
            K17 if !matches!(m.value, Some(Value::DataSet(_))) => {
                m.value = Some(Value::DataSet(part(r.len_delimited()?)?));
            }
            // Field 18, a Template, nests metrics in metrics, and prost limits nesting over the whole
            // payload (100 levels), which a part decoded on its own would not: left to prost, like a
            // PropertySet holding PropertySets (see `flat`). Both are rare in DATA messages. So is any
            // known field of another wire type, which prost refuses.
            key if key >> 3 <= 18 => return None,
            key => r.skip(key)?,
        }
    }
    Some(())
}

/// A PropertySet whose values hold no PropertySets, so it nests no deeper than this walk can know.
fn flat(ps: Part<'_, proto::PropertySet>) -> Option<Part<'_, proto::PropertySet>> {
    use proto::PropertyValueKind as K;
    let nested = |v: &proto::PropertyValue| matches!(v.value, Some(K::PropertysetValue(_) | K::PropertysetsValue(_)));
    (!ps.values.iter().any(nested)).then_some(ps)
}

/// One of a metric's large parts (MetaData, a flat PropertySet, a DataSet: none nests more than three
/// levels), decoded by prost from its own bytes.
fn part<'a, T: prost::Message + Default>(bytes: &[u8]) -> Option<Part<'a, T>> {
    T::decode(bytes).ok().map(|t| Part::Own(Box::new(t)))
}

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;
const FIXED32: u32 = 5;

/// The bytes not yet read.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// A varint of at most 10 bytes whose value fits 64 bits, as prost reads one.
    #[inline]
    fn varint(&mut self) -> Option<u64> {
        // Keys, aliases, datatypes and lengths mostly fit one byte.
        if let Some((&b, rest)) = self.0.split_first()
            && b < 0x80
        {
            self.0 = rest;
            return Some(u64::from(b));
        }
        self.long_varint()
    }

    #[inline(never)]
    fn long_varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        let n = self.0.len().min(10);
        let mut i = 0;
        while i < n {
            let b = self.0[i];
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                // The tenth byte holds the 64th bit alone.
                if i == 9 && b > 1 {
                    return None;
                }
                self.0 = &self.0[i + 1..];
                return Some(value);
            }
            i += 1;
        }
        None
    }

    /// A field's key (number << 3 | wire type) with a number of 1 up and a wire type of 0 to 5, as
    /// prost accepts them.
    #[inline]
    fn key(&mut self) -> Option<u32> {
        let key = u32::try_from(self.varint()?).ok()?;
        (key >> 3 >= 1 && key & 7 <= 5).then_some(key)
    }

    fn len_delimited(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (field, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(field)
    }

    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.len_delimited()?).ok()
    }

    fn fixed<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (field, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*field)
    }

    /// Skips a field of any wire type, a group to its end, as prost does (a group nests at most 100
    /// levels, and ends with the number it started with).
    fn skip_any(&mut self, key: u32, depth: usize) -> Result<(), &'static str> {
        const START_GROUP: u32 = 3;
        const END_GROUP: u32 = 4;
        match key & 7 {
            START_GROUP => {
                if depth >= 100 {
                    return Err("recursion limit reached");
                }
                loop {
                    let inner = self.key().ok_or("invalid key or varint")?;
                    if inner & 7 == END_GROUP {
                        return if inner >> 3 == key >> 3 { Ok(()) } else { Err("unexpected end group tag") };
                    }
                    self.skip_any(inner, depth + 1)?;
                }
            }
            END_GROUP => Err("unexpected end group tag"),
            _ => self.skip(key).ok_or("buffer underflow or invalid varint"),
        }
    }

    /// Skips a field of a plain wire type; a group (3, 4) is left to prost.
    fn skip(&mut self, key: u32) -> Option<()> {
        match key & 7 {
            VARINT => self.varint().map(drop),
            FIXED64 => self.fixed::<8>().map(drop),
            LEN => self.len_delimited().map(drop),
            FIXED32 => self.fixed::<4>().map(drop),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;

    /// What prost decodes, seen through borrowed fields, or its refusal.
    fn by_prost(bytes: &[u8]) -> Option<proto::Payload> {
        proto::Payload::decode(bytes).ok()
    }

    /// The walk reads what prost reads whenever it reads anything, and counts the metrics prost
    /// decodes whenever both accept the framing; a framing it refuses, prost refuses.
    fn agrees(bytes: &[u8]) {
        match (metric_count(bytes), by_prost(bytes)) {
            (Ok(n), Some(p)) => assert_eq!(n, p.metrics.len(), "{bytes:02x?}"),
            (Err(e), Some(_)) => panic!("the count refused ({e}) what prost read: {bytes:02x?}"),
            (_, None) => {}
        }
        if let Some(walked) = payload(bytes) {
            let p = by_prost(bytes).expect("prost refused a payload the walk read");
            // As printed, so a NaN equals itself.
            assert_eq!(format!("{walked:?}"), format!("{:?}", Payload::from_proto(&p)), "{bytes:02x?}");
        }
    }

    fn sample() -> proto::Payload {
        use proto::MetricValue as V;
        let metric = |name: Option<&str>, alias, value| proto::Metric {
            name: name.map(str::to_owned),
            alias: Some(alias),
            timestamp: Some(1_700_000_000_000),
            datatype: Some(10),
            value: Some(value),
            ..Default::default()
        };
        proto::Payload {
            timestamp: Some(1),
            seq: Some(7),
            uuid: Some("u".into()),
            body: Some(vec![1, 2]),
            metrics: vec![
                metric(Some("a"), 1, V::DoubleValue(1.5)),
                metric(None, 2, V::FloatValue(2.5)),
                metric(None, 3, V::IntValue(u32::MAX)),
                metric(None, 4, V::LongValue(u64::MAX)),
                metric(None, 5, V::BooleanValue(true)),
                metric(Some("s"), 6, V::StringValue("é".into())),
                metric(None, 7, V::BytesValue(vec![0, 255])),
                proto::Metric {
                    is_null: Some(true),
                    is_historical: Some(false),
                    is_transient: Some(true),
                    metadata: Some(Box::new(proto::MetaData { md5: Some("m".into()), ..Default::default() })),
                    properties: Some(Box::new(proto::PropertySet {
                        keys: vec!["Quality".into()],
                        values: vec![proto::PropertyValue {
                            r#type: Some(3),
                            value: Some(proto::PropertyValueKind::IntValue(192)),
                            ..Default::default()
                        }],
                    })),
                    value: Some(V::DatasetValue(Box::new(proto::DataSet {
                        num_of_columns: Some(1),
                        columns: vec!["c".into()],
                        types: vec![3],
                        rows: vec![],
                    }))),
                    ..Default::default()
                },
                proto::Metric {
                    value: Some(V::TemplateValue(Box::new(proto::Template {
                        version: Some("v".into()),
                        metrics: vec![metric(Some("inner"), 9, V::IntValue(1))],
                        ..Default::default()
                    }))),
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn every_field_reads_as_prost_reads_it() {
        let mut p = sample();
        let template = p.metrics.pop().expect("the template metric");
        let walked_bytes = p.encode_to_vec();
        let walked = payload(&walked_bytes).expect("the common shape");
        assert_eq!(walked, Payload::from_proto(&p));
        assert_eq!(walked.metrics.capacity(), walked.metrics.len());
        // A Template, or a PropertySet in a PropertySet, nests as deep as its bytes say: prost reads it.
        p.metrics.push(template);
        assert_eq!(payload(&p.encode_to_vec()), None);
        let mut nested = sample();
        nested.metrics.pop();
        let props = nested.metrics[7].properties.as_mut().unwrap();
        props.values[0].value = Some(proto::PropertyValueKind::PropertysetValue(proto::PropertySet::default()));
        assert_eq!(payload(&nested.encode_to_vec()), None);
        // Through `read`, each is the payload prost decodes.
        for bytes in [walked_bytes, sample().encode_to_vec(), nested.encode_to_vec()] {
            let mut spare = None;
            let read = super::super::read(&bytes, &mut spare).unwrap();
            assert_eq!(read, Payload::from_proto(&by_prost(&bytes).unwrap()));
        }
    }

    #[test]
    fn what_prost_would_merge_or_refuse_is_left_to_it() {
        let mut p = sample();
        p.metrics.pop();
        let good = p.encode_to_vec();
        // A second metadata in one metric: prost merges the two.
        let twice = [0x12, 0x08, 0x42, 0x02, 0x08, 0x01, 0x42, 0x02, 0x08, 0x01];
        assert_eq!(payload(&twice), None);
        assert!(by_prost(&twice).is_some());
        // A group of an unknown field: prost skips it.
        assert_eq!(payload(&[0x3b, 0x3c]), None);
        assert!(by_prost(&[0x3b, 0x3c]).is_some());
        // A known field as a group, a varint of 11 bytes, a key of wire type 7, tag 0, a length past the end, bad UTF-8,
        // a known field of the wrong wire type.
        for bad in [
            &[0x0b, 0x0c][..],
            &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            &[0x0f],
            &[0x00, 0x00],
            &[0x22, 0x05, b'a'],
            &[0x22, 0x01, 0xff],
            &[0x09, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(payload(bad), None, "{bad:02x?}");
        }
        // Every cut of a valid payload: each is read the same by both, or left to prost.
        for end in 0..good.len() {
            agrees(&good[..end]);
        }
    }

    #[test]
    fn groups_are_counted_through_as_prost_skips_them() {
        // Field 7 as a group holding a varint and a nested group, then one metric.
        let bytes = [0x3b, 0x08, 0x01, 0x43, 0x44, 0x3c, 0x12, 0x02, 0x10, 0x05];
        assert_eq!(metric_count(&bytes), Ok(1));
        assert_eq!(by_prost(&bytes).unwrap().metrics.len(), 1);
        // Ends with another number, never ends, an end with no start; then 101 levels deep, one too many.
        for bad in [&[0x3b, 0x44][..], &[0x3b, 0x08, 0x01], &[0x3c]] {
            assert!(metric_count(bad).is_err(), "{bad:02x?}");
            assert!(by_prost(bad).is_none(), "{bad:02x?}");
        }
        let deep = |levels: usize| [vec![0x3b; levels], vec![0x3c; levels]].concat();
        assert!(metric_count(&deep(101)).is_err());
        assert!(by_prost(&deep(101)).is_none());
        assert_eq!(metric_count(&deep(100)), Ok(0));
        assert!(by_prost(&deep(100)).is_some());
    }

    #[test]
    fn no_payload_takes_more_decoded_per_byte_than_the_bound() {
        // The densest shapes: empty messages of every kind, nested as deep as each goes, strings of
        // nothing, packed numbers.
        let field = |key: &[u8], body: &[u8]| [key, &[body.len() as u8][..], body].concat();
        let metric = |inner: &[u8]| field(&[0x12], inner);
        let cases: Vec<Vec<u8>> = vec![
            [0x12, 0x00].repeat(50),
            metric(&[0x42, 0x00]).repeat(20),
            metric(&[0x4a, 0x00]).repeat(20),
            metric(&field(&[0x4a], &[0x12, 0x00].repeat(20))),
            metric(&field(&[0x4a], &field(&[0x12], &[0x52, 0x00].repeat(10)))),
            metric(&field(&[0x4a], &field(&[0x12], &field(&[0x52], &[0x0a, 0x00].repeat(10))))),
            metric(&field(&[0x8a, 0x01], &[0x22, 0x00].repeat(30))),
            metric(&field(&[0x8a, 0x01], &field(&[0x22], &[0x0a, 0x00].repeat(30)))),
            metric(&field(&[0x8a, 0x01], &[0x12, 0x00].repeat(30))),
            metric(&field(&[0x8a, 0x01], &field(&[0x1a], &[0x01; 40]))),
            metric(&field(&[0x8a, 0x01], &[0x18, 0x01].repeat(30))),
            metric(&field(&[0x92, 0x01], &[0x12, 0x00].repeat(30))),
            metric(&field(&[0x92, 0x01], &[0x1a, 0x00].repeat(30))),
            metric(&[0x92, 0x01, 0x00]).repeat(20),
            [0x22, 0x00].repeat(40),
        ];
        let per_byte = MOST_DECODED_PER_BYTE;
        for bytes in cases {
            let scan = scan(&bytes).unwrap();
            let bound = bytes.len() * per_byte + Msg::Payload.size();
            assert!(scan.decoded <= bound, "{} > {bound}: {bytes:02x?}", scan.decoded);
            assert!(by_prost(&bytes).is_some(), "{bytes:02x?}");
        }
    }

    #[test]
    fn unknown_fields_are_skipped_as_prost_skips_them() {
        let mut p = sample();
        p.metrics.pop();
        let mut bytes = p.encode_to_vec();
        // Field 6 (an extension) of every plain wire type at the payload's level.
        bytes.extend_from_slice(&[0x30, 0x01, 0x31, 0, 0, 0, 0, 0, 0, 0, 0, 0x32, 0x01, 0xaa, 0x35, 0, 0, 0, 0]);
        // A metric with field 19 and a repeated scalar (last wins) and a value switching type.
        bytes.extend_from_slice(&[0x12, 0x0b, 0x98, 0x01, 0x05, 0x10, 0x01, 0x10, 0x02, 0x50, 0x03, 0x58, 0x04]);
        let walked = payload(&bytes).expect("the common shape");
        let p = by_prost(&bytes).unwrap();
        assert_eq!(walked, Payload::from_proto(&p));
        assert_eq!(walked.metrics.last().unwrap().alias, Some(2));
        assert_eq!(walked.metrics.last().unwrap().value, Some(Value::Long(4)));
    }

    #[test]
    fn random_bytes_agree_with_prost() {
        // A small generator of near-valid payloads: the valid sample (without its template, which is
        // left to prost) with bytes flipped.
        let mut p = sample();
        p.metrics.pop();
        let good = p.encode_to_vec();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut bytes = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % bytes.len();
                bytes[i] = next() as u8;
            }
            agrees(&bytes);
        }
    }
}
