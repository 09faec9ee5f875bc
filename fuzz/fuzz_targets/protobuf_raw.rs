//! Protobuf decoders: arbitrary bytes through the raw wire view (`protoc --decode_raw`), and through the
//! schema view as the test `.proto`'s acme.Telemetry, into the JSON form, the detail view and the chart
//! fields. None of it may panic, and each must finish after bounded work.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mqscope::payload::protobuf::{ProtoSpec, Protos, raw};
use mqscope::payload::sparkplug::state::Network;
use mqscope::payload::{self, Decoder, PayloadFormat};

const TOPIC: &str = "factory/a/telemetry";

fn protos() -> &'static Protos {
    static PROTOS: OnceLock<Protos> = OnceLock::new();
    PROTOS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/protobuf_support/proto");
        let spec = ProtoSpec {
            filter: "factory/+/telemetry".into(),
            message: "acme.Telemetry".into(),
            files: vec![dir.join("acme/telemetry.proto")],
            include: vec![dir],
        };
        Protos::load(&[spec]).unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = raw::decode(data);
    let _ = payload::render(data, PayloadFormat::RawProtobuf, 200);
    let _ = payload::numeric_fields(data, PayloadFormat::RawProtobuf);
    let net = Network::default();
    let decoder = Decoder::for_topic(PayloadFormat::Protobuf, &net, protos(), TOPIC);
    let _ = payload::render(data, decoder, 200);
    let _ = payload::numeric_fields(data, decoder);
});
