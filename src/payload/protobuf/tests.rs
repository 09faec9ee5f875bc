use super::*;
use serde_json::json;

fn support(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf_support").join(p)
}

/// `factory/+/telemetry` as `acme.Telemetry` from the test `.proto` files (also for the app's and
/// the screens' tests).
pub(crate) fn telemetry_spec() -> ProtoSpec {
    ProtoSpec {
        filter: "factory/+/telemetry".into(),
        message: "acme.Telemetry".into(),
        files: vec![support("proto/acme/telemetry.proto")],
        include: vec![support("proto")],
    }
}

fn telemetry() -> MessageDescriptor {
    compile(&telemetry_spec()).unwrap()
}

#[test]
fn json_round_trips_through_the_wire_in_the_canonical_mapping() {
    let m = telemetry();
    let text = r#"{"device":"press-7","seq":"42","temperature":21.5,"status":"RUNNING","samples":[1.5,2],
        "counters":{"starts":3},"location":{"lat":52.5,"site":"B"},"alarm":{"code":7,"severity":"CRIT"},
        "tags":[{"key":"line","value":"4"}],"raw":"AQI=","ok":true,"batteryPct":88}"#;
    let bytes = encode_json(text, &m).unwrap();
    let value = decode_json(&bytes, &m).unwrap();
    assert_eq!(
        value,
        json!({"device":"press-7","seq":"42","temperature":21.5,"status":"RUNNING","samples":[1.5,2.0],
            "counters":{"starts":3},"location":{"lat":52.5,"site":"B"},"alarm":{"code":7,"severity":"CRIT"},
            "tags":[{"key":"line","value":"4"}],"raw":"AQI=","ok":true,"batteryPct":88})
    );
    // Proto field names are accepted too, as the mapping says.
    assert_eq!(encode_json(r#"{"battery_pct": 88}"#, &m).unwrap(), encode_json(r#"{"batteryPct": 88}"#, &m).unwrap());
}

#[test]
fn json_that_does_not_fit_the_type_says_why() {
    let m = telemetry();
    let e = encode_json(r#"{"temprature": 1}"#, &m).unwrap_err();
    assert!(e.contains("does not fit acme.Telemetry") && e.contains("temprature"), "{e}");
    let e = encode_json(r#"{"status": "BROKEN"}"#, &m).unwrap_err();
    assert!(e.contains("BROKEN"), "{e}");
    let e = encode_json(r#"{"seq": "x"}"#, &m).unwrap_err();
    assert!(e.contains("seq") || e.contains("line 1"), "{e}");
    assert!(encode_json(r#"{} {}"#, &m).is_err());
}

#[test]
fn a_file_named_relative_to_an_include_folder_is_found_there() {
    let spec = ProtoSpec { files: vec![PathBuf::from("acme/telemetry.proto")], ..telemetry_spec() };
    assert_eq!(compile(&spec).unwrap().full_name(), "acme.Telemetry");
}

#[test]
fn an_unknown_message_type_lists_the_ones_there_are() {
    let e = compile(&ProtoSpec { message: "acme.Telemetri".into(), ..telemetry_spec() }).unwrap_err();
    assert!(e.contains("no message type 'acme.Telemetri'"), "{e}");
    for name in ["acme.Telemetry", "acme.Telemetry.Tag", "acme.Telemetry.Alarm", "acme.Location"] {
        assert!(e.contains(name), "{name} missing from {e}");
    }
    assert!(!e.contains("CountersEntry") && !e.contains("google.protobuf"), "{e}");
}

#[test]
fn a_proto_error_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.proto");
    std::fs::write(&file, "syntax = \"proto3\";\npackage x;\nmessage M {\n  int32 a = 1\n  int32 b = 2;\n}\n").unwrap();
    let spec = ProtoSpec { filter: "#".into(), message: "x.M".into(), files: vec![file.clone()], include: vec![] };
    let e = compile(&spec).unwrap_err();
    assert!(e.starts_with(&format!("{}:5:3: ", file.display())), "{e}");
    // An undefined type is a check error, with its place too.
    std::fs::write(&file, "syntax = \"proto3\";\nmessage M {\n  Missing a = 1;\n}\n").unwrap();
    let e = compile(&ProtoSpec { message: "M".into(), ..spec.clone() }).unwrap_err();
    assert!(e.starts_with(&format!("{}:3:3: ", file.display())) && e.contains("Missing"), "{e}");
    // A missing import names the importing file and the import's place.
    std::fs::write(&file, "syntax = \"proto3\";\nimport \"nowhere.proto\";\nmessage M {}\n").unwrap();
    let e = compile(&ProtoSpec { message: "M".into(), ..spec.clone() }).unwrap_err();
    assert!(e.starts_with(&format!("{}:2:1: ", file.display())) && e.contains("nowhere.proto"), "{e}");
    let e = compile(&ProtoSpec { files: vec![dir.path().join("none.proto")], ..spec.clone() }).unwrap_err();
    assert!(e.contains("none.proto"), "{e}");
}

#[test]
fn errors_from_the_files_are_terminal_safe() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("esc.proto");
    std::fs::write(&file, "syntax = \"proto3\";\nmessage M { \"\x1b[2J\" }\n").unwrap();
    let spec =
        ProtoSpec { filter: "#".into(), message: "\x1b]0;x\x07".into(), files: vec![file.clone()], include: vec![] };
    let e = compile(&spec).unwrap_err();
    assert!(!e.contains('\x1b') && !e.contains('\x07'), "{e:?}");
    std::fs::write(&file, "syntax = \"proto3\";\nmessage M {}\n").unwrap();
    let e = compile(&spec).unwrap_err();
    assert!(!e.contains('\x1b') && !e.contains('\x07') && e.contains("M"), "{e:?}");
}

#[test]
fn hostile_payloads_are_errors_after_bounded_work() {
    let m = telemetry();
    // A length far beyond the payload.
    assert!(decode_json(&[0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1], &m).is_err());
    // 10,000 levels of a message inside itself.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("node.proto");
    std::fs::write(&file, "syntax = \"proto3\";\nmessage Node { Node child = 1; }\n").unwrap();
    let node =
        compile(&ProtoSpec { filter: "#".into(), message: "Node".into(), files: vec![file], include: vec![] }).unwrap();
    let mut bytes = Vec::new();
    for _ in 0..10_000 {
        let mut outer = vec![0x0a];
        let mut len = bytes.len();
        while len >= 0x80 {
            outer.push((len as u8) | 0x80);
            len >>= 7;
        }
        outer.push(len as u8);
        outer.extend_from_slice(&bytes);
        bytes = outer;
    }
    let e = decode_json(&bytes, &node).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    // The same bytes under a field the type does not know are kept as unknown, not walked into.
    let mut unknown = vec![0x72, 0x82, 0x01]; // field 14, which Telemetry does not have
    unknown.extend_from_slice(&[0; 130]);
    assert_eq!(decode_json(&unknown, &m).unwrap(), json!({}));
    // A quarter of a million tags: refused before anything is built.
    let many: Vec<u8> = std::iter::repeat_n([0x52, 0x00], MAX_ELEMENTS + 1).flatten().collect();
    assert!(decode_json(&many, &m).unwrap_err().contains("values"));
    let packed: Vec<u8> = [vec![0x2a, 0x80, 0x80, 0x80, 0x01], vec![0; 1 << 21]].concat();
    assert!(decode_json(&packed, &m).unwrap_err().contains("values"));
}

#[test]
fn protos_pick_the_first_matching_filter() {
    let p = Protos::load(&[telemetry_spec()]).unwrap();
    assert_eq!(p.message_for("factory/a/telemetry").map(|m| m.full_name()), Some("acme.Telemetry"));
    assert!(p.message_for("factory/a/other").is_none());
    let e = Protos::load(&[ProtoSpec { filter: "a/#/b".into(), ..telemetry_spec() }]).unwrap_err();
    assert!(e.contains("protobuf filter 'a/#/b'"), "{e}");
}

#[test]
fn big_strings_and_packed_numbers_count_as_the_values_they_hold() {
    let m = telemetry();
    // Repeated messages with long strings: a few values, many bytes.
    let tag = encode_json(&format!(r#"{{"tags":[{{"key":"{}"}}]}}"#, "k".repeat(300_000)), &m).unwrap();
    assert_eq!(decode_json(&tag, &m).unwrap()["tags"][0]["key"].as_str().map(str::len), Some(300_000));
    // 100,000 packed floats are 100,000 values, within the limit.
    let samples = vec![1.5f32; 100_000];
    let json = serde_json::to_string(&json!({ "samples": samples })).unwrap();
    let bytes = encode_json(&json, &m).unwrap();
    assert_eq!(decode_json(&bytes, &m).unwrap()["samples"].as_array().map(Vec::len), Some(100_000));
}

#[test]
fn names_from_the_file_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("evil.proto");
    std::fs::write(
        &file,
        "syntax = \"proto3\";\nmessage M { int32 a = 1 [json_name = \"\\x1b[2J\\u202e\"]; E e = 2; }\nenum E { Z = 0; X = 1; }\n",
    )
    .unwrap();
    let m =
        compile(&ProtoSpec { filter: "#".into(), message: "M".into(), files: vec![file], include: vec![] }).unwrap();
    let bytes = [0x08, 0x05, 0x10, 0x01];
    let decoder = crate::payload::Decoder {
        format: crate::payload::PayloadFormat::Protobuf,
        protobuf: Some(&m),
        ..Default::default()
    };
    let r = crate::payload::render(&bytes, decoder, 20);
    assert_eq!(r.error, None);
    let text: String = r.lines.iter().flatten().map(|(_, s)| s.as_str()).collect();
    assert!(text.contains("\"X\"") && !text.contains('\x1b') && !text.contains('\u{202e}'), "{text:?}");
    let fields = crate::payload::numeric_fields(&bytes, decoder);
    assert!(fields.iter().all(|(path, _)| !path.contains('\x1b') && !path.contains('\u{202e}')), "{fields:?}");
}
