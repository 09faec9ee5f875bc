//! Fields of a payload for charts and watch columns: numbers by JSON pointer, scalars, regex text.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use super::sparkplug;
use super::text::{exact_number, looks_like_text, text_number};
use super::{Decoder, MAX_NUMERIC_FIELDS, PayloadFormat, SNIFF_BYTES, VALUE_FIELD, clip_bytes, structured};
use crate::sanitize;

/// Numbers to chart from one payload, at most [`MAX_NUMERIC_FIELDS`]: a payload that is a number, or a
/// text that starts with one (`21.5 °C`), gives one field named [`VALUE_FIELD`]; an object or array
/// (JSON, MessagePack, CBOR) gives its numeric leaves in order, named by JSON pointer (`/px`,
/// `/bid/size`, `/levels/0`). Strings that hold just a number (`"101.5"`) count as numbers.
pub fn numeric_fields<'a>(payload: &[u8], decoder: impl Into<Decoder<'a>>) -> Vec<(String, f64)> {
    let decoder = decoder.into();
    match structured(payload, decoder) {
        Ok(Some(value)) if decoder.format == PayloadFormat::Sparkplug => sparkplug::metric_values(&value)
            .filter_map(|(name, v)| Some((metric_field(name), scalar_number(v)?)))
            .take(MAX_NUMERIC_FIELDS)
            .collect(),
        Ok(Some(value @ (Value::Object(_) | Value::Array(_)))) => {
            let mut out = Vec::new();
            flatten_numbers(&value, &mut String::new(), &mut out);
            out
        }
        Ok(Some(value)) => scalar_number(&value).map(|x| vec![(VALUE_FIELD.to_owned(), x)]).unwrap_or_default(),
        Ok(None) | Err(_) => text_number(payload).map(|(x, _)| vec![(VALUE_FIELD.to_owned(), x)]).unwrap_or_default(),
    }
}

/// The one field `path` of [`numeric_fields`] (a pointer such as `/bid/size`, or [`VALUE_FIELD`]) without
/// building the whole list; `None` when the payload has no number there.
pub fn field_value<'a>(payload: &[u8], decoder: impl Into<Decoder<'a>>, path: &str) -> Option<f64> {
    let decoder = decoder.into();
    if decoder.format == PayloadFormat::Sparkplug
        && let Some(value) = sparkplug_field(payload, decoder.sparkplug, path)
    {
        return value;
    }
    field_value_decoded(payload, structured(payload, decoder).ok().flatten().as_ref(), decoder.format, path)
}

/// [`field_value`] of a payload given with its value as [`decode`](super::decode) made it (`None`
/// when it gave none), for a caller that decodes each payload once for several uses.
pub fn field_value_decoded(payload: &[u8], value: Option<&Value>, format: PayloadFormat, path: &str) -> Option<f64> {
    let whole = path.is_empty() || path == VALUE_FIELD;
    let Some(value) = value else {
        return if whole { text_number(payload).map(|(x, _)| x) } else { None };
    };
    if format == PayloadFormat::Sparkplug {
        return metric_by_path(value, path).and_then(scalar_number);
    }
    if whole {
        return scalar_number(value);
    }
    scalar_number(at_pointer(value, path)?)
}

/// [`field_value`] of a Sparkplug payload without making JSON of all its metrics (a chart reads one
/// metric of every message, and a DDATA can carry hundreds). `None` when the payload does not decode
/// or holds anything but scalar metrics without properties, whose JSON form could fail: the caller
/// then reads the JSON form. Held to it by a property test.
fn sparkplug_field(payload: &[u8], aliases: sparkplug::AliasScope<'_>, path: &str) -> Option<Option<f64>> {
    use sparkplug::walk::Value as V;
    if payload.len() > super::MAX_DECODE_BYTES {
        return None;
    }
    let mut spare = None;
    let p = sparkplug::read(payload, &mut spare).ok()?;
    let scalar = |m: &sparkplug::walk::Metric<'_>| {
        m.properties.is_none()
            && matches!(
                m.value,
                None | Some(V::Int(_) | V::Long(_) | V::Float(_) | V::Double(_) | V::Bool(_) | V::Str(_))
            )
    };
    if p.metrics.len() > sparkplug::MAX_VALUES || !p.metrics.iter().all(scalar) {
        return None;
    }
    let names: Vec<_> = p.metrics.iter().map(|m| sparkplug::metric_name(m, aliases)).collect();
    // As `metric_by_path`: the last metric of that name, else of the whole path.
    let path = path.strip_prefix('/').unwrap_or(path);
    let name = unescape_segment(path.strip_prefix("metrics/").unwrap_or(path));
    let find = |want: &str| names.iter().rposition(|n| n == want || sanitize::line(n) == want);
    let Some(i) = find(&name).or_else(|| (name != path).then(|| find(path)).flatten()) else {
        return Some(None);
    };
    // Only the metric found is turned into a value.
    let mut budget = usize::MAX;
    let resolved = sparkplug::resolve(p.metrics.get(i)?, aliases, &mut budget).ok()?;
    Some(scalar_number(&resolved.value))
}

/// The value at JSON pointer `path` (which starts with `/`) in `value`.
fn at_pointer<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let mut node = value;
    for segment in path.strip_prefix('/')?.split('/') {
        let segment = unescape_segment(segment);
        node = match node {
            // Paths carry sanitised keys, so a key with control characters is found by its escaped form.
            Value::Object(map) => map
                .get(segment.as_ref())
                .or_else(|| map.iter().find(|(k, _)| sanitize::line(k) == segment).map(|(_, v)| v))?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// A watch column's value: a number, or else a short text.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Number(f64),
    Text(String),
}

/// Most characters a text value of a watch column keeps.
pub const SCALAR_TEXT_CHARS: usize = 40;

impl Scalar {
    fn text(s: &str) -> Option<Self> {
        let line = s.trim().lines().next().unwrap_or("").trim();
        (!line.is_empty()).then(|| Self::Text(line.chars().take(SCALAR_TEXT_CHARS).collect()))
    }

    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => exact_number(s).map(Self::Number).or_else(|| Self::text(s)),
            Value::Bool(b) => Some(Self::Text(b.to_string())),
            v => scalar_number(v).map(Self::Number),
        }
    }
}

/// The value at `path` (a JSON pointer; empty or [`VALUE_FIELD`] for the whole payload) decoded with
/// `format` (so MessagePack and CBOR work as JSON does): a number when it is one, else its text
/// (strings, booleans, a text payload's first line).
pub fn field_scalar<'a>(payload: &[u8], decoder: impl Into<Decoder<'a>>, path: &str) -> Option<Scalar> {
    let decoder = decoder.into();
    let whole = path.is_empty() || path == VALUE_FIELD;
    match structured(payload, decoder) {
        Ok(Some(value)) if decoder.format == PayloadFormat::Sparkplug => {
            metric_by_path(&value, path).and_then(Scalar::of)
        }
        Ok(Some(value)) => {
            if whole {
                return Scalar::of(&value);
            }
            Scalar::of(at_pointer(&value, path)?)
        }
        Ok(None) | Err(_) if whole => match text_number(payload) {
            Some((x, _)) => Some(Scalar::Number(x)),
            None => {
                looks_like_text(payload).then(|| Scalar::text(&String::from_utf8_lossy(clip_bytes(payload, 256).0)))?
            }
        },
        Ok(None) | Err(_) => None,
    }
}

/// The payload as text for a regex column: decoded with `format` (MessagePack and CBOR as compact
/// JSON), or its text; `None` for binary. At most the first 64 KiB of a text payload.
pub fn match_text<'p, 'a>(payload: &'p [u8], decoder: impl Into<Decoder<'a>>) -> Option<Cow<'p, str>> {
    let decoder = decoder.into();
    if matches!(decoder.format, PayloadFormat::MsgPack | PayloadFormat::Cbor) || decoder.format.is_protobuf() {
        return structured(payload, decoder).ok().flatten().map(|v| Cow::Owned(v.to_string()));
    }
    let (head, _) = clip_bytes(payload, SNIFF_BYTES);
    std::str::from_utf8(head).ok().map(Cow::Borrowed)
}

/// Whether a payload view can hold fields (JSON pointers can match).
pub fn has_fields(format: PayloadFormat) -> bool {
    !matches!(format, PayloadFormat::Text | PayloadFormat::Hex)
}

/// A Sparkplug metric's field name: `/metrics/NAME`, the name as one pointer segment.
fn metric_field(name: &str) -> String {
    let mut path = "/metrics".to_owned();
    push_segment(&mut path, name);
    path
}

/// The value of the last metric named by `path` in a decoded Sparkplug payload: `/metrics/NAME` or
/// `metrics/NAME` (the rest of the path is the name, slashes and all, `~1` and `~0` unescaped as in a
/// pointer), or just the name.
fn metric_by_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let name = path.strip_prefix("metrics/").unwrap_or(path);
    let name = unescape_segment(name);
    let found = |want: &str| {
        sparkplug::metric_values(value).filter(|(n, _)| *n == want || sanitize::line(n) == want).last().map(|(_, v)| v)
    };
    found(&name).or_else(|| (name != path).then(|| found(path)).flatten())
}

/// A JSON number, or a string holding just a number.
pub(super) fn scalar_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|x| x.is_finite()),
        Value::String(s) => exact_number(s),
        _ => None,
    }
}

/// A number, or a string holding just one: what charts can plot.
pub fn is_numeric(value: &Value) -> bool {
    scalar_number(value).is_some()
}

/// Appends `key` as one JSON pointer segment (RFC 6901 §3: `~` as `~0`, `/` as `~1`), terminal-safe.
pub fn push_segment(path: &mut String, key: &str) {
    path.push('/');
    for c in sanitize::line(key).chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

pub(super) fn unescape_segment(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

pub(super) fn flatten_numbers(value: &Value, path: &mut String, out: &mut Vec<(String, f64)>) {
    let len = path.len();
    match value {
        Value::Object(entries) => {
            for (key, item) in entries {
                if out.len() >= MAX_NUMERIC_FIELDS {
                    return;
                }
                push_segment(path, key);
                flatten_numbers(item, path, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if out.len() >= MAX_NUMERIC_FIELDS {
                    return;
                }
                let _ = write!(path, "/{i}");
                flatten_numbers(item, path, out);
                path.truncate(len);
            }
        }
        leaf => {
            if let Some(x) = scalar_number(leaf).filter(|_| out.len() < MAX_NUMERIC_FIELDS) {
                out.push((path.clone(), x));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::sparkplug::proto::{Metric, MetricValue, Payload};
    use crate::payload::sparkplug::state::Network;
    use proptest::prelude::*;
    use prost::Message as _;

    fn value() -> impl Strategy<Value = Option<MetricValue>> {
        prop_oneof![
            Just(None),
            any::<u32>().prop_map(|x| Some(MetricValue::IntValue(x))),
            any::<u64>().prop_map(|x| Some(MetricValue::LongValue(x))),
            any::<f32>().prop_map(|x| Some(MetricValue::FloatValue(x))),
            any::<f64>().prop_map(|x| Some(MetricValue::DoubleValue(x))),
            any::<bool>().prop_map(|x| Some(MetricValue::BooleanValue(x))),
            prop::sample::select(vec!["21.5", "x", " 7 "]).prop_map(|s| Some(MetricValue::StringValue(s.into()))),
            prop::collection::vec(any::<u8>(), 0..9).prop_map(|b| Some(MetricValue::BytesValue(b))),
        ]
    }

    fn metric() -> impl Strategy<Value = Metric> {
        let names = vec!["a", "b", "x/y", "t~p", "\u{1b}e", ""];
        let datatypes = vec![1u32, 3, 4, 9, 10, 11, 12, 17, 22, 25];
        (
            prop::option::of(prop::sample::select(names)),
            prop::option::of(0u64..4),
            prop::option::of(prop::sample::select(datatypes)),
            value(),
            prop::option::of(any::<bool>()),
        )
            .prop_map(|(name, alias, datatype, value, is_null)| Metric {
                name: name.map(str::to_owned),
                alias,
                datatype,
                value,
                is_null,
                ..Default::default()
            })
    }

    proptest! {
        /// The short way to a Sparkplug metric's value agrees with the JSON form whenever it answers.
        #[test]
        fn sparkplug_field_is_the_value_of_the_json_form(metrics in prop::collection::vec(metric(), 0..8)) {
            let mut net = Network::default();
            let birth = Payload {
                seq: Some(0),
                metrics: ["a", "q", "x/y"]
                    .iter()
                    .zip(0u64..)
                    .map(|(n, a)| Metric { name: Some((*n).into()), alias: Some(a), datatype: Some(10), ..Default::default() })
                    .collect(),
                ..Default::default()
            };
            net.observe("spBv1.0/g/NBIRTH/e", &Payload { seq: Some(0), ..Default::default() }.encode_to_vec(), std::time::UNIX_EPOCH);
            net.observe("spBv1.0/g/DBIRTH/e/d", &birth.encode_to_vec(), std::time::UNIX_EPOCH);
            let aliases = net.aliases("spBv1.0/g/DDATA/e/d");
            let bytes = Payload { seq: Some(1), metrics, ..Default::default() }.encode_to_vec();
            let decoder = Decoder { format: PayloadFormat::Sparkplug, sparkplug: aliases, protobuf: None };
            let json = structured(&bytes, decoder).ok().flatten();
            for path in ["/metrics/a", "metrics/b", "/metrics/x~1y", "x/y", "a", "/metrics/t~0p", "/metrics/\\ee",
                         "", VALUE_FIELD, "/metrics/alias 3 (no birth seen)", "/metrics/q"] {
                let slow = field_value_decoded(&bytes, json.as_ref(), PayloadFormat::Sparkplug, path);
                if let Some(fast) = sparkplug_field(&bytes, aliases, path) {
                    prop_assert_eq!(fast, slow, "{}", path);
                }
                prop_assert_eq!(field_value(&bytes, decoder, path), slow, "{}", path);
            }
        }
    }
}
