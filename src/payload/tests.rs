use super::*;
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::json;

const FORMATS: [PayloadFormat; 9] = [
    PayloadFormat::Auto,
    PayloadFormat::Json,
    PayloadFormat::Text,
    PayloadFormat::Hex,
    PayloadFormat::MsgPack,
    PayloadFormat::Cbor,
    PayloadFormat::Sparkplug,
    PayloadFormat::Protobuf,
    PayloadFormat::RawProtobuf,
];

/// First bytes that make the readers loop, nest or read lengths: CBOR indefinite items and tags,
/// MessagePack arrays, maps and extensions.
const OPENERS: [u8; 11] = [0x9f, 0xbf, 0x5f, 0x7f, 0xc6, 0xd8, 0x91, 0xdc, 0xdf, 0xc7, 0xff];

fn texts(r: &Rendered) -> Vec<String> {
    r.lines.iter().map(|line| line.iter().map(|(_, s)| s.as_str()).collect()).collect()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn mp(s: &str) -> Value {
    msgpack::decode(&hex(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn cb(s: &str) -> Value {
    cbor::decode(&hex(s)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn is_terminal_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn format_names_parse_back_and_next_cycles_through_all() {
    let mut f = PayloadFormat::Auto;
    let mut seen = Vec::new();
    loop {
        assert_eq!(f.name().parse::<PayloadFormat>(), Ok(f));
        seen.push(f);
        f = f.next();
        if f == PayloadFormat::Auto {
            break;
        }
    }
    assert_eq!(seen.len(), 9);
    assert_eq!("raw protobuf".parse::<PayloadFormat>(), Ok(PayloadFormat::RawProtobuf));
    assert_eq!("SpB".parse::<PayloadFormat>(), Ok(PayloadFormat::Sparkplug));
    assert_eq!(" MessagePack ".parse::<PayloadFormat>(), Ok(PayloadFormat::MsgPack));
    assert_eq!(
        "yaml\u{1b}".parse::<PayloadFormat>().unwrap_err().to_string(),
        "'yaml\\e' is not a payload view: use auto, json, text, hex, msgpack, cbor, sparkplug, protobuf or raw-protobuf"
    );
}

#[test]
fn detect_picks_json_text_or_hex() {
    use PayloadFormat::*;
    for (payload, want) in [
        (&b"{\"a\":1}"[..], Json),
        (b" [1, 2]\n", Json),
        (b"21.5", Json),
        (b"-3e2", Json),
        (b"\"on\"", Json),
        (b"true", Json),
        (b"null", Json),
        (b"", Text),
        (b"21.5 \xc2\xb0C", Text),
        (b"{\"a\":", Text),
        (b"[INFO] started", Text),
        (b"nothing", Text),
        (b"line one\r\n\tline two\n\x1b[31mred\x1b[0m", Text),
        (b"\x00\x01\x02", Hex),
        (b"ab\x01", Hex),
        (b"\xff\xfe", Hex),
        (b"\x82\xa7compact\xc3\xa6schema\x00", Hex),
    ] {
        assert_eq!(detect(payload), want, "{payload:?}");
    }
}

#[test]
fn json_is_pretty_printed_with_two_space_indents_in_payload_order() {
    let r = render(
        br#"{"px":101.5,"side":"buy","tags":["a",1],"ok":true,"none":null,"e":{},"l":[]}"#,
        PayloadFormat::Auto,
        100,
    );
    assert_eq!(r.format_used, PayloadFormat::Json);
    assert_eq!(r.error, None);
    assert!(!r.truncated);
    assert_eq!(
        texts(&r),
        [
            "{",
            "  \"px\": 101.5,",
            "  \"side\": \"buy\",",
            "  \"tags\": [",
            "    \"a\",",
            "    1",
            "  ],",
            "  \"ok\": true,",
            "  \"none\": null,",
            "  \"e\": {},",
            "  \"l\": []",
            "}"
        ]
    );
    assert_eq!(
        r.lines[1],
        vec![
            (TokenKind::Plain, "  ".to_owned()),
            (TokenKind::Key, "\"px\"".to_owned()),
            (TokenKind::Punct, ":".to_owned()),
            (TokenKind::Plain, " ".to_owned()),
            (TokenKind::Number, "101.5".to_owned()),
            (TokenKind::Punct, ",".to_owned()),
        ]
    );
    assert_eq!(render(b"42", PayloadFormat::Auto, 10).lines, vec![vec![(TokenKind::Number, "42".to_owned())]]);
}

#[test]
fn json_output_stops_at_max_lines() {
    let r = render(b"[1,2,3,4,5]", PayloadFormat::Json, 3);
    assert_eq!(texts(&r), ["[", "  1,", "  2,"]);
    assert!(r.truncated);
    let exact = render(b"[1]", PayloadFormat::Json, 3);
    assert_eq!(texts(&exact), ["[", "  1", "]"]);
    assert!(!exact.truncated);
}

#[test]
fn hex_dump_matches_hexdump_c() {
    let r = render(b"Hello world\n\x00\x01\x02\x03\xff", PayloadFormat::Hex, 10);
    assert_eq!(r.format_used, PayloadFormat::Hex);
    assert_eq!(
        texts(&r),
        [
            "00000000  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a 00 01 02 03  |Hello world.....|",
            "00000010  ff                                                |.|",
        ]
    );
    assert_eq!(r.lines[1][0], (TokenKind::HexOffset, "00000010".to_owned()));
    assert_eq!(r.lines[1][2], (TokenKind::HexByte, "ff".to_owned()));
    assert_eq!(r.lines[1][5], (TokenKind::Ascii, ".".to_owned()));
    let cut = render(&[0u8; 100], PayloadFormat::Hex, 2);
    assert_eq!(cut.lines.len(), 2);
    assert!(cut.truncated);
    assert_eq!(detect(&[0u8; 100]), PayloadFormat::Hex);
    assert_eq!(render(&[0u8; 100], PayloadFormat::Auto, 2).format_used, PayloadFormat::Hex);
}

#[test]
fn text_is_split_into_lines_with_tabs_expanded() {
    let r = render(b"first\r\n\tsecond\n\nlast\n", PayloadFormat::Auto, 10);
    assert_eq!(r.format_used, PayloadFormat::Text);
    assert_eq!(texts(&r), ["first", "    second", "", "last"]);
    assert!(!r.truncated);
    let cut = render(b"a\nb\nc", PayloadFormat::Text, 2);
    assert_eq!(texts(&cut), ["a", "b"]);
    assert!(cut.truncated);
}

#[test]
fn huge_payloads_are_cut_and_say_so() {
    let big = vec![b'x'; 3 * MAX_RENDER_BYTES];
    let r = render(&big, PayloadFormat::Text, 1000);
    assert!(r.truncated);
    assert!(r.lines.iter().flatten().map(|(_, s)| s.len()).sum::<usize>() <= MAX_RENDER_BYTES + 3);
    let long_string = format!("{{\"s\":\"{}\"}}", "y".repeat(200_000));
    let r = render(long_string.as_bytes(), PayloadFormat::Json, 1000);
    assert!(r.truncated);
    assert_eq!(r.error, None);
    let too_big = format!("[{}1]", "1,".repeat(MAX_DECODE_BYTES));
    let r = render(too_big.as_bytes(), PayloadFormat::Json, 5);
    assert_eq!(r.format_used, PayloadFormat::Text);
    assert!(r.error.unwrap().contains("too large to decode as json"));
    assert_eq!(detect(too_big.as_bytes()), PayloadFormat::Text);
}

#[test]
fn escape_sequences_in_json_and_text_come_out_escaped() {
    let json = render("{\"k\\u001b\":\"\\u001b[2J\u{202e}x\u{9b}\"}".as_bytes(), PayloadFormat::Auto, 10);
    assert_eq!(json.format_used, PayloadFormat::Json);
    assert_eq!(texts(&json), ["{", "  \"k\\u001b\": \"\\u001b[2J\\u{202e}x\\x9b\"", "}"]);
    let text = render("clear\u{1b}[2J\u{7}title\u{1b}]0;pwn\u{7}\u{202e}".as_bytes(), PayloadFormat::Text, 10);
    assert_eq!(texts(&text), ["clear\\e[2J\\x07title\\e]0;pwn\\x07\\u{202e}"]);
    let invalid = render(b"ok\xff\x1b", PayloadFormat::Text, 10);
    assert_eq!(texts(&invalid), ["ok\\xff\\e"]);
    for r in [json, text, invalid] {
        assert!(r.lines.iter().flatten().all(|(_, s)| is_terminal_safe(s)));
    }
    let mp = render(&hex("81 a2 1b 5b c4 02 1b 07"), PayloadFormat::MsgPack, 10);
    assert_eq!(texts(&mp), ["{", "  \"\\u001b[\": \"1b07\"", "}"]);
}

#[test]
fn invalid_json_falls_back_to_text_with_where_it_failed() {
    let r = render(b"{\"a\": 1,\n \"b\" 2}", PayloadFormat::Json, 10);
    assert_eq!(r.format_used, PayloadFormat::Text);
    assert_eq!(r.error.as_deref(), Some("not valid JSON: expected `:` at line 2 column 6"));
    assert_eq!(texts(&r), ["{\"a\": 1,", " \"b\" 2}"]);
    let binary = render(b"\x00\x01", PayloadFormat::Json, 10);
    assert_eq!(binary.format_used, PayloadFormat::Hex);
    assert!(binary.error.is_some());
}

#[test]
fn msgpack_spec_examples_decode_to_json() {
    assert_eq!(mp("82 a7 636f6d70616374 c3 a6 736368656d61 00"), json!({"compact": true, "schema": 0}));
    for (bytes, want) in [
        ("00", json!(0)),
        ("7f", json!(127)),
        ("ff", json!(-1)),
        ("e0", json!(-32)),
        ("c0", json!(null)),
        ("c2", json!(false)),
        ("c3", json!(true)),
        ("cc ff", json!(255)),
        ("cd 0100", json!(256)),
        ("ce 00010000", json!(65536)),
        ("cf ffffffffffffffff", json!(u64::MAX)),
        ("d0 80", json!(-128)),
        ("d1 8000", json!(-32768)),
        ("d2 80000000", json!(i32::MIN)),
        ("d3 8000000000000000", json!(i64::MIN)),
        ("ca 3fc00000", json!(1.5)),
        ("cb 3ff8000000000000", json!(1.5)),
        ("cb 7ff8000000000000", json!("NaN")),
        ("cb fff0000000000000", json!("-Infinity")),
        ("a5 68656c6c6f", json!("hello")),
        ("d9 02 6869", json!("hi")),
        ("da 0002 6869", json!("hi")),
        ("db 00000002 6869", json!("hi")),
        ("c4 03 010203", json!("010203")),
        ("c5 0001 ff", json!("ff")),
        ("92 01 a1 61", json!([1, "a"])),
        ("dc 0002 01 02", json!([1, 2])),
        ("dd 00000001 c0", json!([null])),
        ("de 0001 a1 61 01", json!({"a": 1})),
        ("df 00000001 01 02", json!({"1": 2})),
        ("81 92 01 02 c3", json!({"[1,2]": true})),
        ("d4 01 05", json!("ext(1):05")),
        ("c7 02 7f abcd", json!("ext(127):abcd")),
        ("d6 ff 00000000", json!("1970-01-01T00:00:00.000Z")),
        ("d7 ff 00000000 65920080", json!("2024-01-01T00:00:00.000Z")),
        ("c7 0c ff 00000000 0000000065920080", json!("2024-01-01T00:00:00.000Z")),
        ("c7 0c ff 00000000 7fffffffffffffff", json!("ext(-1):000000007fffffffffffffff")),
    ] {
        assert_eq!(mp(bytes), want, "{bytes}");
    }
}

#[test]
fn truncated_or_garbage_msgpack_is_an_error_with_its_offset() {
    for (bytes, want) in [
        ("", "truncated: 1 bytes needed, 0 left at byte 0"),
        ("92 01", "array of 2 items cannot fit in the 1 bytes left at byte 0"),
        ("92 01 a5 68", "truncated: 5 bytes needed, 1 left at byte 3"),
        ("a5 6865", "truncated: 5 bytes needed, 2 left at byte 1"),
        ("c1", "byte 0xc1 is never used at byte 0"),
        ("dd ffffffff", "array of 4294967295 items cannot fit in the 0 bytes left at byte 0"),
        ("df ffffffff 01", "map of 4294967295 items cannot fit in the 1 bytes left at byte 0"),
        ("db ffffffff", "truncated: 4294967295 bytes needed, 0 left at byte 5"),
        ("cb 3ff0", "truncated: 8 bytes needed, 2 left at byte 1"),
        ("01 02", "1 bytes left over after the value at byte 1"),
    ] {
        assert_eq!(msgpack::decode(&hex(bytes)).unwrap_err().to_string(), want, "{bytes}");
    }
    let deep = vec![0x91; 100_000];
    assert_eq!(msgpack::decode(&deep).unwrap_err().to_string(), "nested deeper than 64 levels at byte 65");
    let r = render(b"\x92\x01", PayloadFormat::MsgPack, 10);
    assert_eq!(r.format_used, PayloadFormat::Hex);
    assert_eq!(
        r.error.as_deref(),
        Some("not valid MessagePack: array of 2 items cannot fit in the 1 bytes left at byte 0")
    );
}

#[test]
fn cbor_rfc8949_appendix_a_examples_decode_to_json() {
    for (bytes, want) in [
        ("00", json!(0)),
        ("01", json!(1)),
        ("0a", json!(10)),
        ("17", json!(23)),
        ("1818", json!(24)),
        ("1903e8", json!(1000)),
        ("1a000f4240", json!(1_000_000)),
        ("1b000000e8d4a51000", json!(1_000_000_000_000u64)),
        ("1bffffffffffffffff", json!(u64::MAX)),
        ("c249010000000000000000", json!("010000000000000000")),
        ("3bffffffffffffffff", json!(-18_446_744_073_709_551_616.0)),
        ("20", json!(-1)),
        ("29", json!(-10)),
        ("3863", json!(-100)),
        ("3903e7", json!(-1000)),
        ("f90000", json!(0.0)),
        ("f98000", json!(-0.0)),
        ("f93c00", json!(1.0)),
        ("fb3ff199999999999a", json!(1.1)),
        ("f93e00", json!(1.5)),
        ("f97bff", json!(65504.0)),
        ("fa47c35000", json!(100_000.0)),
        ("fa7f7fffff", json!(3.4028234663852886e38)),
        ("fb7e37e43c8800759c", json!(1.0e300)),
        ("f90001", json!(5.960464477539063e-8)),
        ("f90400", json!(0.00006103515625)),
        ("f9c400", json!(-4.0)),
        ("fbc010666666666666", json!(-4.1)),
        ("f97c00", json!("Infinity")),
        ("f97e00", json!("NaN")),
        ("f9fc00", json!("-Infinity")),
        ("fa7f800000", json!("Infinity")),
        ("fb7ff8000000000000", json!("NaN")),
        ("f4", json!(false)),
        ("f5", json!(true)),
        ("f6", json!(null)),
        ("f7", json!(null)),
        ("f0", json!("simple(16)")),
        ("f8ff", json!("simple(255)")),
        ("c074323031332d30332d32315432303a30343a30305a", json!("2013-03-21T20:04:00Z")),
        ("c11a514b67b0", json!(1_363_896_240)),
        ("c1fb41d452d9ec200000", json!(1_363_896_240.5)),
        ("d74401020304", json!("01020304")),
        ("d818456449455446", json!("6449455446")),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", json!("http://www.example.com")),
        ("40", json!("")),
        ("4401020304", json!("01020304")),
        ("60", json!("")),
        ("6161", json!("a")),
        ("6449455446", json!("IETF")),
        ("62225c", json!("\"\\")),
        ("62c3bc", json!("ü")),
        ("63e6b0b4", json!("水")),
        ("64f0908591", json!("\u{10151}")),
        ("80", json!([])),
        ("83010203", json!([1, 2, 3])),
        ("8301820203820405", json!([1, [2, 3], [4, 5]])),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", json!((1..=25).collect::<Vec<_>>())),
        ("a0", json!({})),
        ("a201020304", json!({"1": 2, "3": 4})),
        ("a26161016162820203", json!({"a": 1, "b": [2, 3]})),
        ("826161a161626163", json!(["a", {"b": "c"}])),
        ("a56161614161626142616361436164614461656145", json!({"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"})),
        ("5f42010243030405ff", json!("0102030405")),
        ("7f657374726561646d696e67ff", json!("streaming")),
        ("9fff", json!([])),
        ("9f018202039f0405ffff", json!([1, [2, 3], [4, 5]])),
        ("9f01820203820405ff", json!([1, [2, 3], [4, 5]])),
        ("83018202039f0405ff", json!([1, [2, 3], [4, 5]])),
        ("83019f0203ff820405", json!([1, [2, 3], [4, 5]])),
        ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", json!((1..=25).collect::<Vec<_>>())),
        ("bf61610161629f0203ffff", json!({"a": 1, "b": [2, 3]})),
        ("826161bf61626163ff", json!(["a", {"b": "c"}])),
        ("bf6346756ef563416d7421ff", json!({"Fun": true, "Amt": -2})),
    ] {
        assert_eq!(cb(bytes), want, "{bytes}");
    }
    let r = render(&hex("a26161016162820203"), PayloadFormat::Cbor, 10);
    assert_eq!(r.format_used, PayloadFormat::Cbor);
    assert_eq!(texts(&r), ["{", "  \"a\": 1,", "  \"b\": [", "    2,", "    3", "  ]", "}"]);
}

#[test]
fn truncated_or_garbage_cbor_is_an_error_with_its_offset() {
    for (bytes, want) in [
        ("", "truncated: 1 bytes needed, 0 left at byte 0"),
        ("1b0000", "truncated: 8 bytes needed, 2 left at byte 1"),
        ("9f01", "truncated: no break (0xff) ends the indefinite-length item from byte 0 at byte 2"),
        ("5f6161ff", "chunk of an indefinite-length string is not a definite string of the same type at byte 1"),
        ("5f5f4101ffff", "chunk of an indefinite-length string is not a definite string of the same type at byte 1"),
        ("1c", "reserved additional information 28 at byte 0"),
        ("ff", "break (0xff) outside an indefinite-length item at byte 0"),
        ("f810", "simple value 16 must not use the two-byte form at byte 0"),
        ("3f", "major type 1 cannot have an indefinite length at byte 0"),
        ("9bffffffffffffffff", "array of 18446744073709551615 items cannot fit in the 0 bytes left at byte 0"),
        ("bb00000000ffffffff00", "map of 4294967295 items cannot fit in the 1 bytes left at byte 0"),
        ("7bffffffffffffffff", "truncated: 18446744073709551615 bytes needed, 0 left at byte 9"),
        ("bf0102 03ff", "break (0xff) outside an indefinite-length item at byte 4"),
        ("0001", "1 bytes left over after the value at byte 1"),
    ] {
        assert_eq!(cbor::decode(&hex(bytes)).unwrap_err().to_string(), want, "{bytes}");
    }
    let tags = vec![0xc6; 10_000];
    assert_eq!(cbor::decode(&tags).unwrap_err().to_string(), "nested deeper than 64 levels at byte 65");
    let arrays = vec![0x9f; 10_000];
    assert!(cbor::decode(&arrays).unwrap_err().to_string().starts_with("nested deeper than 64 levels"));
    let r = render(b"\x9f\x01", PayloadFormat::Cbor, 10);
    assert_eq!(r.format_used, PayloadFormat::Hex);
    assert!(r.error.unwrap().starts_with("not valid CBOR: truncated"));
}

#[test]
fn element_count_is_bounded() {
    // An array of 2^16-1 empty arrays, 300 times over, is far more values than the limit.
    let mut bytes = vec![0x99, 0x01, 0x2c];
    for _ in 0..300 {
        bytes.extend([0x99, 0xff, 0xff]);
        bytes.extend(std::iter::repeat_n(0x80, 0xffff));
    }
    assert_eq!(
        cbor::decode(&bytes).unwrap_err().to_string(),
        format!("more than {MAX_ELEMENTS} values at byte 262154")
    );
}

#[test]
fn numeric_fields_cover_numbers_texts_and_objects() {
    use PayloadFormat::*;
    let v = |x: f64| vec![(VALUE_FIELD.to_owned(), x)];
    assert_eq!(numeric_fields(b"21.5", Auto), v(21.5));
    assert_eq!(numeric_fields(b" -3e2\n", Auto), v(-300.0));
    assert_eq!(numeric_fields("21.5 °C".as_bytes(), Auto), v(21.5));
    assert_eq!(numeric_fields(b"100%", Text), v(100.0));
    assert_eq!(numeric_fields(b"\"101.5\"", Auto), v(101.5));
    assert_eq!(numeric_fields(b"7", Hex), v(7.0));
    assert_eq!(numeric_fields("21.5 °C".as_bytes(), Json), v(21.5));
    for not_a_number in
        [&b"2024-05-01"[..], b"12:30", b"1.2.3", b"1,5", b"on", b"inf", b"NaN", b"-", b".", b"\x00\x01", b""]
    {
        assert_eq!(numeric_fields(not_a_number, Auto), vec![], "{not_a_number:?}");
    }
    let fields =
        numeric_fields(br#"{"px":"101.5","bid":{"size":3,"venue":"x"},"levels":[1.5,2],"ok":true,"a/b~c":4}"#, Auto);
    let want = [("/px", 101.5), ("/bid/size", 3.0), ("/levels/0", 1.5), ("/levels/1", 2.0), ("/a~1b~0c", 4.0)];
    assert_eq!(fields, want.map(|(k, x)| (k.to_owned(), x)));
    assert_eq!(
        numeric_fields(&hex("82 a2 7078 cb 4059600000000000 a3 766f6c 0a"), MsgPack),
        [("/px".to_owned(), 101.5), ("/vol".to_owned(), 10.0)]
    );
    assert_eq!(numeric_fields(&hex("a1 6174 f93e00"), Cbor), [("/t".to_owned(), 1.5)]);
    let many = format!("[{}0]", "1,".repeat(200));
    assert_eq!(numeric_fields(many.as_bytes(), Auto).len(), MAX_NUMERIC_FIELDS);
    let hostile = numeric_fields(b"{\"\\u001b[2J\":1}", Auto);
    assert_eq!(hostile, [("/\\e[2J".to_owned(), 1.0)]);
}

#[test]
fn field_value_finds_one_path() {
    use PayloadFormat::*;
    let doc = br#"{"px":"101.5","bid":{"size":3},"levels":[1.5,2],"a/b~c":4,"\u001b":5}"#;
    assert_eq!(field_value(doc, Auto, "/px"), Some(101.5));
    assert_eq!(field_value(doc, Auto, "/bid/size"), Some(3.0));
    assert_eq!(field_value(doc, Auto, "/levels/1"), Some(2.0));
    assert_eq!(field_value(doc, Auto, "/a~1b~0c"), Some(4.0));
    assert_eq!(field_value(doc, Auto, "/\\e"), Some(5.0));
    assert_eq!(field_value(doc, Auto, "/bid"), None);
    assert_eq!(field_value(doc, Auto, "/levels/9"), None);
    assert_eq!(field_value(doc, Auto, "/nope/x"), None);
    assert_eq!(field_value(doc, Auto, VALUE_FIELD), None);
    assert_eq!(field_value("21.5 °C".as_bytes(), Auto, VALUE_FIELD), Some(21.5));
    assert_eq!(field_value(b"-3e2", Auto, VALUE_FIELD), Some(-300.0));
    assert_eq!(field_value(b"-3e2", Auto, "/x"), None);
    assert_eq!(field_value(&hex("81 a2 7078 cd 0100"), MsgPack, "/px"), Some(256.0));
    for (path, x) in numeric_fields(doc, Auto) {
        assert_eq!(field_value(doc, Auto, &path), Some(x), "{path}");
    }
}

#[test]
fn preview_is_one_safe_line() {
    assert_eq!(preview(b"{ \"px\" : 101.5,\n  \"s\": \"a b\" }", 80), r#"{"px":101.5,"s":"a b"}"#);
    assert_eq!(preview(br#"{"s":"a \" } b"}"#, 80), r#"{"s":"a \" } b"}"#);
    assert_eq!(preview(br#"{"px":101.5,"vol":10}"#, 10), r#"{"px":101…"#);
    assert_eq!(preview(b"  two\r\nlines\tand tab\n", 80), "two⏎lines and tab");
    assert_eq!(preview(b"[INFO] a  b", 80), "[INFO] a  b");
    assert_eq!(preview(b"evil\x1b]0;title\x07", 80), "evil\\e]0;title\\x07");
    assert_eq!(preview(b"\x00\x01\x02\xff", 80), "<4 bytes binary> 00 01 02 ff");
    assert_eq!(preview(b"\x00", 80), "<1 byte binary> 00");
    assert_eq!(preview(&[0u8; 1000], 24), "<1000 bytes binary> 00 …");
    assert_eq!(preview(b"", 80), "<empty>");
    assert_eq!(preview(b"abc", 0), "");
    let big = format!("[{}1]", "1, ".repeat(100_000));
    assert_eq!(preview(big.as_bytes(), 8), "[1,1,1,…");
    assert_eq!(preview(b"\"\xe2\x80\xae\"", 80), "\"\\u{202e}\"");
}

#[test]
fn diff_describes_the_change() {
    use PayloadFormat::*;
    assert_eq!(diff(b"21.2", b"21.2", Auto), None);
    assert_eq!(diff(b"21.2", b"21.5", Auto).as_deref(), Some("+0.3 (+1.4%)"));
    assert_eq!(diff(b"10", b"8", Auto).as_deref(), Some("-2 (-20.0%)"));
    assert_eq!(diff(b"0", b"0.25", Auto).as_deref(), Some("+0.25"));
    assert_eq!(diff("21.5 °C".as_bytes(), "20.75 °C".as_bytes(), Auto).as_deref(), Some("-0.75 (-3.5%)"));
    assert_eq!(diff(b"1e-9", b"2e-9", Auto).as_deref(), Some("+1.00e-9 (+100.0%)"));
    assert_eq!(diff(b"{\"a\": 1}", b"{\"a\":1}", Auto), None);
    assert_eq!(diff(br#"{"a":1,"b":2}"#, br#"{"b":2,"a":1}"#, Auto), None);
    assert_eq!(
        diff(br#"{"px":101.2,"vol":10,"side":"buy"}"#, br#"{"px":101.5,"vol":12,"side":"buy"}"#, Auto).as_deref(),
        Some("px 101.2→101.5, vol 10→12")
    );
    assert_eq!(
        diff(br#"{"bid":{"size":1},"old":true,"l":[1]}"#, br#"{"bid":{"size":2},"l":[1,2],"new":"x"}"#, Auto)
            .as_deref(),
        Some("bid/size 1→2, +l/1 2, +new \"x\", +1 more")
    );
    assert_eq!(diff(b"\"on\"", b"\"off\"", Auto).as_deref(), Some("\"on\"→\"off\""));
    assert_eq!(diff(b"open", b"closed", Auto).as_deref(), Some("open→closed"));
    assert_eq!(diff(b"\x1b[2J", b"x", Auto).as_deref(), Some("\\e[2J→x"));
    assert_eq!(diff(b"\x00\x01", b"\x00\x02", Auto).as_deref(), Some("changed"));
    assert_eq!(diff(b"21.5 C", b"21.5 F", Auto).as_deref(), Some("21.5 C→21.5 F"));
    assert_eq!(diff(&hex("81 a1 61 01"), &hex("81 a1 61 02"), MsgPack).as_deref(), Some("a 1→2"));
    assert_eq!(diff(&hex("a1 6161 01"), &hex("a1 6161 02"), Cbor).as_deref(), Some("a 1→2"));
    let long_a = format!("{{\"s\":\"{}\"}}", "a".repeat(100));
    let long_b = format!("{{\"s\":\"{}\"}}", "b".repeat(100));
    assert_eq!(
        diff(long_a.as_bytes(), long_b.as_bytes(), Auto).as_deref(),
        Some("s \"aaaaaaaaaaaaa…\"→\"bbbbbbbbbbbbb…\"")
    );
}

proptest! {
    #[test]
    fn no_panic_and_terminal_safe_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        max_lines in 0usize..40,
    ) {
        for format in FORMATS {
            let r = render(&bytes, format, max_lines);
            prop_assert!(r.lines.len() <= max_lines);
            prop_assert!(r.format_used != PayloadFormat::Auto);
            for (_, s) in r.lines.iter().flatten() {
                prop_assert!(is_terminal_safe(s), "{:?}", s);
            }
            for (path, x) in numeric_fields(&bytes, format) {
                prop_assert!(is_terminal_safe(&path) && x.is_finite());
                prop_assert_eq!(field_value(&bytes, format, &path), Some(x));
            }
            let d = diff(&bytes, b"{\"a\":1}", format).unwrap_or_default();
            prop_assert!(is_terminal_safe(&d));
        }
        let p = preview(&bytes, 40);
        prop_assert!(p.chars().count() <= 40 && is_terminal_safe(&p), "{:?}", p);
        for format in FORMATS {
            let p = preview_in(&bytes, bytes.len(), format, 40);
            prop_assert!(p.chars().count() <= 40 && is_terminal_safe(&p), "{format}: {:?}", p);
        }
    }

    #[test]
    fn structured_looking_bytes_do_not_panic(
        prefix in proptest::sample::select(OPENERS.to_vec()),
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut payload = vec![prefix];
        payload.extend(bytes);
        for format in [PayloadFormat::MsgPack, PayloadFormat::Cbor] {
            let _ = render(&payload, format, 50);
            let _ = numeric_fields(&payload, format);
            let _ = diff(&payload, &payload[1..], format);
        }
    }
}

#[test]
fn previews_in_a_binary_view_show_the_decoded_value_as_compact_json() {
    let value = r#"{"t":21.5,"ok":true}"#;
    let msgpack = hex("82 a174 cb4035800000000000 a26f6b c3");
    let cbor = hex("a2 6174 fb4035800000000000 626f6b f5");
    assert_eq!(preview_in(&msgpack, msgpack.len(), PayloadFormat::MsgPack, 80), value);
    assert_eq!(preview_in(&cbor, cbor.len(), PayloadFormat::Cbor, 80), value);
    assert_eq!(preview_in(&msgpack, msgpack.len(), PayloadFormat::MsgPack, 10), r#"{"t":21.5…"#);
    // Field 1, varint 150 (the Protobuf docs' example).
    assert_eq!(preview_in(&hex("089601"), 3, PayloadFormat::RawProtobuf, 80), preview_raw_protobuf());
    assert_eq!(preview_in(b"hi", 2, PayloadFormat::Hex, 80), "<2 bytes> 68 69");
    assert_eq!(preview_in(&hex("c1"), 1, PayloadFormat::MsgPack, 80), "<not valid msgpack> <1 byte binary> c1");
    // Only the first bytes at hand: shown as bytes, not guessed at.
    assert_eq!(preview_in(&msgpack[..4], msgpack.len(), PayloadFormat::MsgPack, 30), "<16 bytes binary> 82 a1 74 cb");
    // A hostile string stays escaped.
    let evil = hex("a5 1b5b324a41");
    assert_eq!(preview_in(&evil, evil.len(), PayloadFormat::MsgPack, 80), r#""\u001b[2JA""#);
}

fn preview_raw_protobuf() -> String {
    let value = decode(&hex("089601"), PayloadFormat::RawProtobuf).unwrap().unwrap();
    serde_json::to_string(&value).unwrap()
}

/// The change from values decoded once by the caller is the change [`diff`] works out itself.
#[test]
fn diff_of_decoded_values_is_the_diff() {
    use PayloadFormat::*;
    let pairs: [(&[u8], &[u8], PayloadFormat); 5] = [
        (br#"{"px":101.2,"vol":10}"#, br#"{"px":101.5,"vol":12}"#, Auto),
        (b"21.2", b"21.5", Auto),
        (b"open", b"closed", Auto),
        (br#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#, br#"{"a":2,"b":3,"c":4,"d":5,"e":6}"#, Json),
        (b"\x00\x01", b"\x00\x02", Hex),
    ];
    for (a, b, format) in pairs {
        let (va, vb) = (decode(a, format).ok().flatten(), decode(b, format).ok().flatten());
        assert_eq!(diff_decoded((a, va.as_ref()), (b, vb.as_ref()), format), diff(a, b, format), "{format}");
        for path in ["/px", "/a", VALUE_FIELD] {
            assert_eq!(field_value_decoded(b, vb.as_ref(), format, path), field_value(b, format, path));
        }
    }
    assert_eq!(
        diff(br#"{"a":1,"b":2,"c":3,"d":4,"e":5}"#, br#"{"a":2,"b":3,"c":4,"d":5,"e":6}"#, Json).as_deref(),
        Some("a 1→2, b 2→3, c 3→4, +2 more")
    );
}
