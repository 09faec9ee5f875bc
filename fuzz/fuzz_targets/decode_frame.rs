//! One complete frame: arbitrary bytes straight into `decode_frame`, the entry point `mqscope decode`
//! and the session's tests use. A packet that decodes must survive encode and decode unchanged.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use mqscope::codec::{ProtocolVersion, decode_frame, encode, encoded_len};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, data)) = data.split_first() else { return };
    let version = match setup % 3 {
        0 => ProtocolVersion::V3_1,
        1 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    };
    let Ok(packet) = decode_frame(version, Bytes::copy_from_slice(data)) else { return };
    let v = match &packet {
        mqscope::codec::Packet::Connect(c) => c.protocol,
        _ => version,
    };
    let mut out = BytesMut::new();
    encode(&packet, v, &mut out).expect("a decoded packet encodes");
    assert_eq!(encoded_len(&packet, v), Ok(out.len()), "encoded_len disagrees with encode");
    let again = decode_frame(v, out.freeze()).expect("an encoded packet decodes");
    assert_eq!(again, packet, "re-encoding changed the packet");
});
