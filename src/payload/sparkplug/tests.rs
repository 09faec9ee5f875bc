use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pretty_assertions::assert_eq;
use proptest::prelude::*;
use prost::Message as _;
use serde_json::json;

use super::proto::{
    self, DataSet, DataSetValue, Metric, MetricValue, Payload, PropertySet, PropertyValue, Row, Template,
};
use super::state::Network;
use super::*;
use crate::payload::{self, PayloadFormat};

fn metric(name: Option<&str>, alias: Option<u64>, datatype: u32, value: Option<MetricValue>) -> Metric {
    Metric { name: name.map(str::to_owned), alias, datatype: Some(datatype), value, ..Default::default() }
}

fn payload_bytes(seq: u64, metrics: Vec<Metric>) -> Vec<u8> {
    Payload { timestamp: Some(1_700_000_000_000), seq: Some(seq), metrics, ..Default::default() }.encode_to_vec()
}

fn values(json: &Value) -> Vec<(String, Value)> {
    metric_values(json).map(|(n, v)| (n.to_owned(), v.clone())).collect()
}

fn t(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

#[test]
fn topics_in_the_namespace_are_parsed_and_others_are_not() {
    assert_eq!(
        Topic::parse("spBv1.0/plant/DDATA/edge1/pump"),
        Some(Topic::Message { group: "plant", kind: MessageType::DData, node: "edge1", device: Some("pump") })
    );
    assert_eq!(
        Topic::parse("spBv1.0/plant/NBIRTH/edge1"),
        Some(Topic::Message { group: "plant", kind: MessageType::NBirth, node: "edge1", device: None })
    );
    assert_eq!(Topic::parse("spBv1.0/STATE/scada"), Some(Topic::State { host: "scada" }));
    for not in [
        "spBv1.0/plant/DDATA/edge1",
        "spBv1.0/plant/NDATA/edge1/dev",
        "spBv1.0/plant/XDATA/edge1",
        "spBv1.1/plant/NDATA/edge1",
        "plant/NDATA/edge1",
        "sensors/temp",
    ] {
        assert_eq!(Topic::parse(not), None, "{not}");
    }
}

#[test]
fn plain_payloads_on_other_topics_are_never_sparkplug() {
    // MQTT Explorer showed `{}` for these by guessing Sparkplug from the bytes.
    let chosen = HashMap::new();
    for (topic, body) in
        [("status", &b"empty"[..]), ("count", b"5000"), ("temp", b"55.49"), ("raw", &[0x08, 0x01, 0x12, 0x00, 0xff])]
    {
        let format = payload::format_for(&chosen, &[], 1, topic);
        assert_eq!(format, PayloadFormat::Auto, "{topic}");
        let r = payload::render(body, format, 10);
        assert!(matches!(r.format_used, PayloadFormat::Json | PayloadFormat::Text | PayloadFormat::Hex), "{topic}");
    }
    assert_eq!(payload::format_for(&chosen, &[], 1, "spBv1.0/g/NDATA/n"), PayloadFormat::Sparkplug);
    assert_eq!(payload::format_for(&chosen, &[], 1, "spBv1.0/STATE/host"), PayloadFormat::Auto);
    // A payload view in the profile decides for any topic.
    let views = [("factory/#".to_owned(), PayloadFormat::Sparkplug)];
    assert_eq!(payload::format_for(&chosen, &views, 1, "factory/a"), PayloadFormat::Sparkplug);
}

#[test]
fn scalars_of_every_datatype_decode_with_their_names() {
    let m = |n: &str, t: u32, v: MetricValue| metric(Some(n), None, t, Some(v));
    let bytes = payload_bytes(
        3,
        vec![
            m("i8", 1, MetricValue::IntValue(0xffff_fffb)),
            m("i16", 2, MetricValue::IntValue(0xffff_8000)),
            m("i32", 3, MetricValue::IntValue(u32::MAX)),
            m("i64", 4, MetricValue::LongValue(u64::MAX - 1)),
            m("u8", 5, MetricValue::IntValue(255)),
            m("u16", 6, MetricValue::IntValue(65535)),
            m("u32", 7, MetricValue::LongValue(4_294_967_295)),
            m("u64", 8, MetricValue::LongValue(u64::MAX)),
            m("f", 9, MetricValue::FloatValue(1.5)),
            m("d", 10, MetricValue::DoubleValue(f64::NAN)),
            m("b", 11, MetricValue::BooleanValue(true)),
            m("s", 12, MetricValue::StringValue("hi".into())),
            m("dt", 13, MetricValue::LongValue(1_700_000_000_123)),
            m("txt", 14, MetricValue::StringValue("long text".into())),
            m("uuid", 15, MetricValue::StringValue("123e4567-e89b-12d3-a456-426614174000".into())),
            m("bytes", 17, MetricValue::BytesValue(vec![0xde, 0xad])),
            m("file", 18, MetricValue::BytesValue(vec![0x01])),
            Metric { is_null: Some(true), ..m("null", 3, MetricValue::IntValue(7)) },
        ],
    );
    let json = decode_json(&bytes, AliasScope::default()).unwrap();
    assert_eq!(json["seq"], json!(3));
    assert_eq!(json["timestamp"], json!(1_700_000_000_000u64));
    assert_eq!(
        values(&json),
        vec![
            ("i8".into(), json!(-5)),
            ("i16".into(), json!(-32768)),
            ("i32".into(), json!(-1)),
            ("i64".into(), json!(-2)),
            ("u8".into(), json!(255)),
            ("u16".into(), json!(65535)),
            ("u32".into(), json!(4_294_967_295u64)),
            ("u64".into(), json!(u64::MAX)),
            ("f".into(), json!(1.5)),
            ("d".into(), json!("NaN")),
            ("b".into(), json!(true)),
            ("s".into(), json!("hi")),
            ("dt".into(), json!(1_700_000_000_123u64)),
            ("txt".into(), json!("long text")),
            ("uuid".into(), json!("123e4567-e89b-12d3-a456-426614174000")),
            ("bytes".into(), json!("dead")),
            ("file".into(), json!("01")),
            ("null".into(), Value::Null),
        ]
    );
    let types: Vec<&str> =
        json["metrics"].as_array().unwrap().iter().map(|m| m["datatype"].as_str().unwrap()).collect();
    assert_eq!(types[..4], ["Int8", "Int16", "Int32", "Int64"]);
    assert_eq!(types[12..17], ["DateTime", "Text", "UUID", "Bytes", "File"]);
    assert_eq!(json["metrics"][17]["is_null"], json!(true));
}

#[test]
fn arrays_are_read_little_endian_from_bytes_value() {
    let m = |n: &str, t: u32, b: &[u8]| metric(Some(n), None, t, Some(MetricValue::BytesValue(b.to_vec())));
    // Examples from Sparkplug 3.0 §6.4.17.
    let bytes = payload_bytes(
        0,
        vec![
            m("i8", 22, &[0xef, 0x7b]),
            m("i16", 23, &[0x5c, 0xef, 0x74, 0x01]),
            m("i32", 24, &[0xff, 0xff, 0xff, 0xff, 0x10, 0x00, 0x00, 0x00]),
            m("u8", 26, &[0x17, 0xfa]),
            m("u64", 29, &[0x34, 0x12, 0, 0, 0, 0, 0, 0]),
            m("f", 30, &1.5f32.to_le_bytes()),
            m("d", 31, &(-2.25f64).to_le_bytes()),
            m("b", 32, &[0x04, 0x00, 0x00, 0x00, 0b1011_0000]),
            m("s", 33, b"ABC\0hello\0"),
            m("dt", 34, &1_700_000_000_000i64.to_le_bytes()),
        ],
    );
    let json = decode_json(&bytes, AliasScope::default()).unwrap();
    assert_eq!(
        values(&json),
        vec![
            ("i8".into(), json!([-17, 123])),
            ("i16".into(), json!([-4260, 372])),
            ("i32".into(), json!([-1, 16])),
            ("u8".into(), json!([23, 250])),
            ("u64".into(), json!([0x1234])),
            ("f".into(), json!([1.5])),
            ("d".into(), json!([-2.25])),
            ("b".into(), json!([true, false, true, true])),
            ("s".into(), json!(["ABC", "hello"])),
            ("dt".into(), json!([1_700_000_000_000i64])),
        ]
    );
    for (t, b, why) in [
        (24, &[1u8, 2, 3][..], "is not a whole number of 4-byte elements"),
        (32, &[0xff, 0xff, 0xff, 0xff, 0x01][..], "declares 4294967295 values"),
        (33, &b"no nul"[..], "does not end with a NUL"),
    ] {
        let e = decode_json(&payload_bytes(0, vec![m("x", t, b)]), AliasScope::default()).unwrap_err();
        assert!(e.contains(why), "{e}");
    }
}

#[test]
fn datasets_templates_and_property_sets_decode() {
    let v = |k: proto::DataSetValueKind| DataSetValue { value: Some(k) };
    let ds = DataSet {
        num_of_columns: Some(2),
        columns: vec!["a".into(), "b".into()],
        types: vec![3, 12],
        rows: vec![Row {
            elements: vec![
                v(proto::DataSetValueKind::IntValue(u32::MAX)),
                v(proto::DataSetValueKind::StringValue("x".into())),
            ],
        }],
    };
    let inner = Template {
        template_ref: Some("Motor".into()),
        metrics: vec![metric(Some("rpm"), None, 10, Some(MetricValue::DoubleValue(1450.0)))],
        ..Default::default()
    };
    let outer = Template {
        version: Some("1.0".into()),
        is_definition: Some(false),
        template_ref: Some("Line".into()),
        parameters: vec![proto::Parameter {
            name: Some("limit".into()),
            r#type: Some(7),
            value: Some(proto::ParameterValue::IntValue(9)),
        }],
        metrics: vec![metric(Some("motor"), None, 19, Some(MetricValue::TemplateValue(Box::new(inner))))],
    };
    let quality = PropertySet {
        keys: vec!["Quality".into(), "nested".into()],
        values: vec![
            PropertyValue { r#type: Some(3), is_null: None, value: Some(proto::PropertyValueKind::IntValue(192)) },
            PropertyValue {
                r#type: Some(21),
                is_null: None,
                value: Some(proto::PropertyValueKind::PropertysetsValue(proto::PropertySetList {
                    propertyset: vec![PropertySet {
                        keys: vec!["unit".into()],
                        values: vec![PropertyValue {
                            r#type: Some(12),
                            is_null: None,
                            value: Some(proto::PropertyValueKind::StringValue("C".into())),
                        }],
                    }],
                })),
            },
        ],
    };
    let bytes = payload_bytes(
        0,
        vec![
            metric(Some("table"), None, 16, Some(MetricValue::DatasetValue(Box::new(ds)))),
            metric(Some("line"), None, 19, Some(MetricValue::TemplateValue(Box::new(outer)))),
            Metric {
                properties: Some(Box::new(quality)),
                ..metric(Some("t"), None, 10, Some(MetricValue::DoubleValue(1.0)))
            },
        ],
    );
    let json = decode_json(&bytes, AliasScope::default()).unwrap();
    assert_eq!(
        json["metrics"][0]["value"],
        json!({"num_of_columns": 2, "columns": ["a", "b"], "types": ["Int32", "String"], "rows": [[-1, "x"]]})
    );
    assert_eq!(
        json["metrics"][1]["value"],
        json!({
            "version": "1.0", "template_ref": "Line", "is_definition": false,
            "parameters": [{"name": "limit", "type": "UInt32", "value": 9}],
            "metrics": [{"name": "motor", "datatype": "Template", "value": {
                "template_ref": "Motor", "parameters": [],
                "metrics": [{"name": "rpm", "datatype": "Double", "value": 1450.0}]}}]
        })
    );
    assert_eq!(
        json["metrics"][2]["properties"],
        json!({"Quality": {"type": "Int32", "value": 192},
               "nested": {"type": "PropertySetList", "value": [{"unit": {"type": "String", "value": "C"}}]}})
    );
}

#[test]
fn hostile_payloads_fail_after_bounded_work() {
    // A 4 GB DataSet declared in a few bytes.
    let ds = DataSet { num_of_columns: Some(4_000_000_000), ..Default::default() };
    let bytes = payload_bytes(0, vec![metric(Some("d"), None, 16, Some(MetricValue::DatasetValue(Box::new(ds))))]);
    let e = decode_json(&bytes, AliasScope::default()).unwrap_err();
    assert!(e.contains("declares 4000000000 columns"), "{e}");
    // A metric whose length says 2 GB in a 10-byte payload.
    let lying = [0x12, 0xff, 0xff, 0xff, 0xff, 0x07, 0x0a, 0x01, b'a', 0x00];
    assert!(decode(&lying).is_err());
    // 10,000 nested templates: prost stops at its recursion limit.
    let mut nested = Vec::new();
    for _ in 0..10_000 {
        // Template.metrics (2) holding Metric.template_value (18) holding the previous level.
        let mut metric_bytes = vec![0x92, 0x01];
        push_varint(&mut metric_bytes, nested.len());
        metric_bytes.extend_from_slice(&nested);
        let mut template = vec![0x12];
        push_varint(&mut template, metric_bytes.len());
        template.extend_from_slice(&metric_bytes);
        nested = template;
    }
    let started = std::time::Instant::now();
    let e = decode(&nested).unwrap_err();
    assert!(e.contains("recursion limit"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Rendering such payloads shows hex and the reason.
    let r = payload::render(&lying, PayloadFormat::Sparkplug, 50);
    assert_eq!(r.format_used, PayloadFormat::Hex);
    assert!(r.error.as_deref().is_some_and(|e| e.starts_with("not valid Sparkplug B:")), "{:?}", r.error);
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[test]
fn aliases_resolve_from_the_latest_birth_per_node_and_device() {
    let mut net = Network::default();
    let data = payload_bytes(1, vec![metric(None, Some(7), 10, Some(MetricValue::DoubleValue(20.5)))]);
    // Before any BIRTH the alias is shown as such, not dropped.
    let json = decode_json(&data, net.aliases("spBv1.0/g/DDATA/e/pump")).unwrap();
    assert_eq!(values(&json), vec![("alias 7 (no birth seen)".into(), json!(20.5))]);

    let nbirth = payload_bytes(
        0,
        vec![
            metric(Some("bdSeq"), None, 8, Some(MetricValue::LongValue(4))),
            metric(Some("Node Control/Rebirth"), Some(1), 11, Some(MetricValue::BooleanValue(false))),
        ],
    );
    let dbirth = payload_bytes(1, vec![metric(Some("Temperature"), Some(7), 10, Some(MetricValue::DoubleValue(20.0)))]);
    assert!(net.observe("spBv1.0/g/NBIRTH/e", &nbirth, t(1)));
    assert!(net.observe("spBv1.0/g/DBIRTH/e/pump", &dbirth, t(2)));
    let data = payload_bytes(2, vec![metric(None, Some(7), 10, Some(MetricValue::DoubleValue(20.5)))]);
    assert!(net.observe("spBv1.0/g/DDATA/e/pump", &data, t(3)));
    let json = decode_json(&data, net.aliases("spBv1.0/g/DDATA/e/pump")).unwrap();
    assert_eq!(values(&json), vec![("Temperature".into(), json!(20.5))]);
    // The metrics table knows the name, and the value changed.
    let pump = &net.groups["g"].nodes["e"].devices["pump"];
    assert_eq!(pump.metrics["Temperature"].value, json!(20.5));
    assert_eq!(pump.metrics["Temperature"].changed_at, t(3));
    // Field lookups by metric name, the way a watch column or a chart asks.
    let protos = payload::protobuf::Protos::default();
    let decoder = payload::Decoder::for_topic(PayloadFormat::Sparkplug, &net, &protos, "spBv1.0/g/DDATA/e/pump");
    assert_eq!(payload::field_value(&data, decoder, "metrics/Temperature"), Some(20.5));
    assert_eq!(payload::field_value(&data, decoder, "/metrics/Temperature"), Some(20.5));
    assert_eq!(payload::field_value(&data, decoder, "Temperature"), Some(20.5));
    assert_eq!(payload::numeric_fields(&data, decoder), vec![("/metrics/Temperature".into(), 20.5)]);
    let before = payload_bytes(2, vec![metric(None, Some(7), 10, Some(MetricValue::DoubleValue(20.0)))]);
    assert_eq!(payload::diff(&before, &data, decoder).as_deref(), Some("Temperature 20.0→20.5"));
    // A node metric's alias resolves from the NBIRTH on a device topic too.
    let cmd = payload_bytes(0, vec![metric(None, Some(1), 11, Some(MetricValue::BooleanValue(true)))]);
    let json = decode_json(&cmd, net.aliases("spBv1.0/g/NCMD/e")).unwrap();
    assert_eq!(values(&json), vec![("Node Control/Rebirth".into(), json!(true))]);
}

#[test]
fn seq_gaps_out_of_order_bdseq_and_states_are_tracked() {
    let mut net = Network::default();
    let birth =
        |bd: u64, seq: u64| payload_bytes(seq, vec![metric(Some("bdSeq"), None, 8, Some(MetricValue::LongValue(bd)))]);
    let death = |bd: u64| {
        Payload {
            metrics: vec![metric(Some("bdSeq"), None, 8, Some(MetricValue::LongValue(bd)))],
            ..Default::default()
        }
        .encode_to_vec()
    };
    let data = |seq: u64| payload_bytes(seq, vec![]);
    net.observe("spBv1.0/g/NBIRTH/e", &birth(0, 254), t(1));
    net.observe("spBv1.0/g/DBIRTH/e/d", &data(255), t(1));
    net.observe("spBv1.0/g/DDATA/e/d", &data(0), t(1)); // wraps: in order
    net.observe("spBv1.0/g/NDATA/e", &data(3), t(1)); // skipped 1 and 2
    net.observe("spBv1.0/g/NDATA/e", &data(2), t(1)); // late
    net.observe("spBv1.0/g/NDATA/e", &data(4), t(1));
    {
        let n = &net.groups["g"].nodes["e"];
        assert_eq!((n.seq_gaps, n.seq_out_of_order), (1, 1));
        assert!(n.endpoint.online && n.devices["d"].online);
    }
    net.observe("spBv1.0/g/DDEATH/e/d", &data(5), t(2));
    assert!(!net.groups["g"].nodes["e"].devices["d"].online);
    // A stale NDEATH (an older session's bdSeq) is counted and does not end this session.
    net.observe("spBv1.0/g/NDEATH/e", &death(9), t(3));
    assert_eq!(net.groups["g"].nodes["e"].bd_seq_mismatches, 1);
    assert!(net.groups["g"].nodes["e"].endpoint.online);
    net.observe("spBv1.0/g/NDEATH/e", &death(0), t(4));
    assert!(!net.groups["g"].nodes["e"].endpoint.online);
    net.observe("spBv1.0/g/NBIRTH/e", &birth(1, 0), t(5));
    let n = &net.groups["g"].nodes["e"];
    assert!(n.endpoint.online);
    assert_eq!((n.seq_gaps, n.seq_out_of_order, n.bd_seq_mismatches, n.endpoint.last_birth), (1, 1, 1, Some(t(5))));
    assert_eq!(net.seq_problems(), 3);
    // Host application STATE (JSON), and failures counted with their reason.
    net.observe("spBv1.0/STATE/scada", br#"{"online":true,"timestamp":5}"#, t(6));
    assert_eq!(net.hosts["scada"], state::Host { online: true, timestamp: Some(5), at: t(6) });
    net.observe("spBv1.0/g/NDATA/e", &[0xff, 0xff], t(7));
    assert_eq!(net.decode_failures, 1);
    assert!(
        net.last_failure
            .as_ref()
            .is_some_and(|(topic, why)| topic == "spBv1.0/g/NDATA/e" && why.starts_with("not valid Sparkplug B:"))
    );
    assert!(!net.observe("plant/temp", b"21.5", t(8)));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_json(&bytes, AliasScope::default());
        let mut net = Network::default();
        net.observe("spBv1.0/g/DBIRTH/e/d", &bytes, t(0));
        net.observe("spBv1.0/g/DDATA/e/d", &bytes, t(0));
        let _ = payload::render(&bytes, PayloadFormat::Sparkplug, 100);
    }
}

fn nbirth(bd: u64, extra: Vec<Metric>) -> Vec<u8> {
    let mut metrics = vec![metric(Some("bdSeq"), None, 8, Some(MetricValue::LongValue(bd)))];
    metrics.extend(extra);
    payload_bytes(0, metrics)
}

#[test]
fn two_hundred_thousand_node_births_stay_within_the_limit_and_are_counted() {
    let limit = 4 << 20;
    let mut net = Network::with_limit(limit);
    let body = nbirth(0, vec![metric(Some("Temperature"), Some(1), 10, Some(MetricValue::DoubleValue(20.0)))]);
    for i in 0..200_000 {
        net.observe(&format!("spBv1.0/g{}/NBIRTH/edge{i}", i % 7), &body, t(1));
    }
    let tracked: usize = net.groups.values().map(|g| g.nodes.len()).sum();
    assert!(tracked > 500 && tracked < 10_000, "{tracked} nodes tracked in 4 MiB");
    assert!(net.usage().0 <= limit, "{:?}", net.usage());
    assert_eq!(net.untracked.messages + tracked as u64, 200_000, "every node left out is counted");
    // What is tracked goes on being tracked.
    let data = payload_bytes(1, vec![metric(None, Some(1), 10, Some(MetricValue::DoubleValue(21.0)))]);
    net.observe("spBv1.0/g0/NDATA/edge0", &data, t(2));
    assert_eq!(net.groups["g0"].nodes["edge0"].endpoint.metrics["Temperature"].value, json!(21.0));
    assert_eq!(net.seq_problems(), 0);
}

#[test]
fn a_birth_of_100000_metrics_keeps_what_fits_and_a_smaller_rebirth_frees_the_rest() {
    let limit = 2 << 20;
    let mut net = Network::with_limit(limit);
    let many = (0..100_000u64)
        .map(|i| metric(Some(&format!("Tag {i}")), Some(i), 3, Some(MetricValue::IntValue(i as u32))))
        .collect();
    net.observe("spBv1.0/g/NBIRTH/e", &nbirth(0, many), t(1));
    let e = &net.groups["g"].nodes["e"].endpoint;
    let (aliases, rows) = (e.aliases.len(), e.metrics.len());
    assert!(aliases > 0 && rows > 0 && rows < 100_000, "{aliases} aliases, {rows} rows");
    assert!(net.usage().0 <= limit);
    // A metric is kept with its alias or not at all, and every one left out is counted (bdSeq has no alias).
    assert_eq!(aliases + 1, rows);
    assert_eq!(net.untracked.metrics, 100_001 - rows as u64);
    // The node's rebirth with a few metrics frees the rest.
    net.observe("spBv1.0/g/NBIRTH/e", &nbirth(0, vec![]), t(2));
    assert!(net.usage().0 < 8192, "{:?}", net.usage());
    assert_eq!(net.groups["g"].nodes["e"].endpoint.metrics.len(), 1);
}

#[test]
fn hostile_aliases_values_and_deaths_stay_bounded_and_never_panic() {
    let limit = 256 << 10;
    let mut net = Network::with_limit(limit);
    net.observe("spBv1.0/g/NBIRTH/e", &nbirth(3, vec![]), t(1));
    // DATA naming aliases no BIRTH declared, up to u64::MAX: a row each, until the limit.
    for i in 0..20_000u64 {
        let alias = u64::MAX - i * 1_000_003;
        let data = payload_bytes(1 + i % 255, vec![metric(None, Some(alias), 4, Some(MetricValue::LongValue(i)))]);
        net.observe("spBv1.0/g/NDATA/e", &data, t(2));
    }
    let rows = net.groups["g"].nodes["e"].endpoint.metrics.len();
    assert!(rows < 20_000 && net.untracked.metrics == 20_001 - rows as u64, "{rows} {:?}", net.untracked);
    assert!(net.usage().0 <= limit);
    assert!(net.groups["g"].nodes["e"].endpoint.metrics.contains_key(&unknown_alias(u64::MAX)));
    // A value too large for a cell is kept as its start.
    let mut net = Network::with_limit(limit);
    let long = "x".repeat(1 << 20);
    let data = payload_bytes(1, vec![metric(Some("Blob"), None, 12, Some(MetricValue::StringValue(long)))]);
    net.observe("spBv1.0/g/NBIRTH/big", &data, t(3));
    let kept = &net.groups["g"].nodes["big"].endpoint.metrics["Blob"].value;
    let text = kept.as_str().unwrap_or_default();
    assert!(text.len() < 1024 && text.ends_with("… (1048576 bytes)"), "{text:.80}");
    // NDEATHs with another session's bdSeq, or none, change nothing they must not.
    net.observe("spBv1.0/g/NBIRTH/e", &nbirth(3, vec![]), t(1));
    for bd in [0, 2, 4, u64::MAX] {
        net.observe(
            "spBv1.0/g/NDEATH/e",
            &payload_bytes(0, vec![metric(Some("bdSeq"), None, 8, Some(MetricValue::LongValue(bd)))]),
            t(4),
        );
    }
    assert!(net.groups["g"].nodes["e"].endpoint.online);
    assert_eq!(net.groups["g"].nodes["e"].bd_seq_mismatches, 4);
    net.observe("spBv1.0/g/NDEATH/e", &payload_bytes(0, vec![]), t(5));
    assert!(!net.groups["g"].nodes["e"].endpoint.online, "an NDEATH without bdSeq ends the session");
    // Host STATE ids are bounded the same way.
    for i in 0..50_000 {
        net.observe(&format!("spBv1.0/STATE/host{i}"), br#"{"online":true}"#, t(6));
    }
    assert!(net.usage().0 <= limit && net.hosts.len() < 50_000);
}

#[test]
fn a_float_reads_as_the_decimal_it_was_written_as() {
    let m = |v: f32| metric(Some("f"), None, 9, Some(MetricValue::FloatValue(v)));
    let bytes = payload_bytes(0, vec![m(121.3), m(0.1), m(f32::NAN), m(f32::INFINITY)]);
    let json = decode_json(&bytes, AliasScope::default()).unwrap();
    let got: Vec<Value> = values(&json).into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, vec![json!(121.3), json!(0.1), json!("NaN"), json!("Infinity")]);
}

#[test]
fn a_sparkplug_payload_previews_as_its_decoded_metrics_not_hex() {
    let bytes = payload_bytes(4, vec![metric(Some("Temp"), None, 10, Some(MetricValue::DoubleValue(21.5)))]);
    let p = payload::preview_in(&bytes, bytes.len(), PayloadFormat::Sparkplug, 200);
    assert!(p.starts_with('{') && p.contains(r#""Temp""#) && p.contains("21.5") && !p.contains("binary"), "{p}");
}

#[test]
fn the_tracker_keeps_what_the_json_form_shows_for_every_data_metric() {
    // The tracker resolves DATA metrics without the JSON form: both must agree, names, datatypes and values.
    let mut net = Network::default();
    let born = vec![
        metric(Some("Temp"), Some(1), 10, Some(MetricValue::DoubleValue(20.0))),
        metric(Some("Count"), Some(2), 3, Some(MetricValue::IntValue(1))),
        metric(Some("On"), Some(3), 11, Some(MetricValue::BooleanValue(false))),
        metric(Some("Label"), Some(4), 12, Some(MetricValue::StringValue("a".into()))),
        metric(Some("Neg"), Some(5), 1, Some(MetricValue::IntValue(0))),
    ];
    net.observe("spBv1.0/g/NBIRTH/e", &payload_bytes(0, vec![]), t(1));
    net.observe("spBv1.0/g/DBIRTH/e/d", &payload_bytes(1, born), t(1));
    let data = payload_bytes(
        2,
        vec![
            metric(None, Some(1), 0, Some(MetricValue::DoubleValue(21.5))),
            metric(None, Some(2), 0, Some(MetricValue::IntValue(7))),
            metric(None, Some(3), 0, Some(MetricValue::BooleanValue(true))),
            metric(None, Some(4), 0, Some(MetricValue::StringValue("b\u{1b}[2J".into()))),
            metric(None, Some(5), 0, Some(MetricValue::IntValue(0xff))),
            metric(None, Some(99), 0, Some(MetricValue::IntValue(5))),
        ],
    );
    let topic = "spBv1.0/g/DDATA/e/d";
    let json = decode_json(&data, net.aliases(topic)).unwrap();
    net.observe(topic, &data, t(2));
    let rows = &net.groups["g"].nodes["e"].devices["d"].metrics;
    for m in json["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let row = &rows[name];
        assert_eq!(row.value, m["value"], "{name}");
        assert_eq!(row.datatype, m["datatype"].as_str().unwrap(), "{name}");
        assert_eq!(row.alias, m["alias"].as_u64(), "{name}");
    }
    assert!(rows.contains_key("alias 99 (no birth seen)"));
}

#[test]
fn a_preview_of_many_metrics_reads_as_the_whole_payloads_json_cut_to_the_width() {
    // The preview makes JSON of the first metrics only: what it shows must be what the whole would.
    let metrics = (0..50u64)
        .map(|i| {
            metric(
                Some(&format!("Line 1/Motor {i}/Temperature")),
                Some(i),
                10,
                Some(MetricValue::DoubleValue(i as f64)),
            )
        })
        .collect();
    let bytes = payload_bytes(4, metrics);
    let whole = serde_json::to_string(&decode_json(&bytes, AliasScope::default()).unwrap()).unwrap();
    for width in [1, 10, 33, 64, 80, 200, 500, 5_000] {
        let p = payload::preview_in(&bytes, bytes.len(), PayloadFormat::Sparkplug, width);
        let shown = p.trim_end_matches('…');
        assert!(whole.starts_with(shown), "{width}: {p}");
        assert!(p.chars().count() <= width, "{width}: {p}");
        if whole.chars().count() <= width {
            assert_eq!(p, whole, "{width}");
        }
    }
}

#[test]
fn a_payload_of_too_many_metrics_or_too_large_decoded_is_refused_before_it_is_decoded() {
    // Empty metrics take 2 bytes each on the wire and 120 decoded, empty DataSet values 2 and 32: a
    // broker may send 256 MiB in one message, which must not be decoded into gigabytes and then refused.
    let len = |n: usize| {
        let mut v = Vec::new();
        prost::encoding::encode_varint(n as u64, &mut v);
        v
    };
    let field = |key: &[u8], body: &[u8]| [key, &len(body.len()), body].concat();
    // One metric holding a DataSet of one row of 2,200,000 empty values: 4.4 MB, about 70 MB decoded.
    let row = field(&[0x22], &[0x0a, 0x00].repeat(2_200_000));
    let dataset = field(&[0x12], &field(&[0x8a, 0x01], &row));
    assert_eq!(&dataset[..1], &[0x12]);
    let cases = [
        ([0x12u8, 0x00].repeat(300_000), "300000 metrics, more than 262144".to_owned()),
        // Behind a group of an unknown field, which the walk leaves to prost: counted all the same.
        ([&[0x3b, 0x3c][..], &[0x12, 0x00].repeat(300_000)].concat(), "300000 metrics, more than 262144".to_owned()),
        // A framing prost refuses, at the end of many metrics.
        ([&[0x12, 0x00].repeat(100_000)[..], &[0x12, 0x05]].concat(), "failed to decode Protobuf message".to_owned()),
        (dataset, format!("MiB decoded, more than {} MiB", MAX_DECODED >> 20)),
    ];
    for (payload, why) in cases {
        let mut net = Network::default();
        assert!(net.observe("spBv1.0/g/NDATA/e", &payload, UNIX_EPOCH));
        assert_eq!(net.decode_failures, 1);
        let (topic, reason) = net.last_failure.clone().expect("a failure");
        assert_eq!(topic, "spBv1.0/g/NDATA/e");
        assert!(reason.starts_with("not valid Sparkplug B: ") && reason.contains(&why), "{reason}");
        let json = super::decode_json(&payload, AliasScope::default());
        assert!(json.as_ref().is_err_and(|e| e.contains(&why)), "{json:?}");
    }
    // At the limit, it reads; so does a BIRTH of 100,000 named metrics (2 MB).
    let most = [0x12u8, 0x00].repeat(MAX_VALUES);
    let json = super::decode_json(&most, AliasScope::default()).unwrap();
    assert_eq!(json["metrics"].as_array().map(Vec::len), Some(MAX_VALUES));
    let many = (0..100_000u64)
        .map(|i| metric(Some(&format!("Line {i}/Motor/Temperature")), Some(i), 10, Some(MetricValue::DoubleValue(1.5))))
        .collect();
    let birth = nbirth(0, many);
    let scan = walk::scan(&birth).unwrap();
    assert!(scan.decoded < MAX_DECODED && scan.metrics == 100_001, "{scan:?}");
    assert!(super::decode_json(&birth, AliasScope::default()).is_ok());
}

#[test]
fn the_longest_payload_left_unscanned_cannot_exceed_the_bounds() {
    // The longest length the scan is skipped for, filled with the densest shape (empty metrics): its
    // scan stays within both bounds, and one byte more is scanned.
    let (mut longest, mut scanned) = (0, MAX_DECODED);
    while scanned - longest > 1 {
        let mid = (longest + scanned) / 2;
        *(if may_exceed_bounds(mid) { &mut scanned } else { &mut longest }) = mid;
    }
    assert!(may_exceed_bounds(longest + 1));
    assert!(longest > 256 << 10, "{longest}");
    let densest = [0x12u8, 0x00].repeat(longest / 2);
    let scan = walk::scan(&densest).unwrap();
    assert!(scan.metrics <= MAX_VALUES && scan.decoded <= MAX_DECODED, "{scan:?}");
}
