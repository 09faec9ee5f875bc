//! Sparkplug B decoder: arbitrary bytes as a BIRTH and then as a DATA of the same device (so aliases
//! resolve against whatever the bytes declared), through the JSON form, the tracker and the detail
//! view. None of it may panic, and each must finish after bounded work; the in-place walk must agree
//! with prost.
#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use mqscope::payload::sparkplug::{self, state::Network};
use mqscope::payload::{self, Decoder, PayloadFormat};

fuzz_target!(|data: &[u8]| {
    // The count taken before decoding refuses only framings prost refuses, and counts what prost
    // decodes; the walk that reads payloads in place reads what prost reads, whenever it reads anything.
    // A payload too short to need the scan before decoding cannot take more than the bound.
    if let Ok(scan) = sparkplug::walk::scan(data) {
        let bound = data.len() * sparkplug::walk::MOST_DECODED_PER_BYTE + std::mem::size_of::<sparkplug::proto::Payload>();
        assert!(scan.decoded <= bound, "{} decoded from {} bytes", scan.decoded, data.len());
    }
    match (sparkplug::walk::metric_count(data), sparkplug::decode(data)) {
        (Ok(n), Ok(p)) => assert_eq!(n, p.metrics.len()),
        (Err(e), Ok(_)) => panic!("the count refused ({e}) what prost decoded"),
        (_, Err(_)) => {}
    }
    if let Some(walked) = sparkplug::walk::payload(data) {
        let decoded = sparkplug::decode(data).expect("prost refused a payload the walk read");
        // As printed, so a NaN equals itself.
        assert_eq!(format!("{walked:?}"), format!("{:?}", sparkplug::walk::Payload::from_proto(&decoded)));
    }
    let _ = sparkplug::decode_json(data, Default::default());
    let mut net = Network::default();
    let now = SystemTime::UNIX_EPOCH;
    net.observe("spBv1.0/g/NBIRTH/e", data, now);
    net.observe("spBv1.0/g/DBIRTH/e/d", data, now);
    net.observe("spBv1.0/g/DDATA/e/d", data, now);
    net.observe("spBv1.0/g/NDEATH/e", data, now);
    let protos = Default::default();
    let decoder = Decoder::for_topic(PayloadFormat::Sparkplug, &net, &protos, "spBv1.0/g/DDATA/e/d");
    let _ = payload::render(data, decoder, 200);
    let _ = payload::numeric_fields(data, decoder);
});
