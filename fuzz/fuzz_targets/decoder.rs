//! Streaming decoder: arbitrary bytes in, for both protocol generations and a small maximum packet
//! size. The first byte picks the setup and how the rest is split into reads. Every packet decoded is
//! encoded again and must decode to the same packet.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqscope::codec::{Decoder, ProtocolVersion, decode_frame, encode};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, data)) = data.split_first() else { return };
    let version = match setup & 0x03 {
        0 => ProtocolVersion::V3_1,
        1 | 3 => ProtocolVersion::V3_1_1,
        _ => ProtocolVersion::V5,
    };
    let mut decoder = Decoder::new(version);
    if setup & 0x04 != 0 {
        decoder = decoder.with_max_packet_size(64);
    }
    // Feed in chunks of 1..=16 bytes (0 = everything at once), as a socket would.
    let chunk = usize::from(setup >> 4).max(1);
    let chunk = if setup >> 4 == 0 { data.len().max(1) } else { chunk };
    let mut buf = BytesMut::new();
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            // The version in force for this packet: a CONNECT switches the decoder afterwards.
            let before = decoder.version();
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => {
                    let mut out = BytesMut::new();
                    let v = match &packet {
                        mqscope::codec::Packet::Connect(c) => c.protocol,
                        _ => before,
                    };
                    encode(&packet, v, &mut out).expect("a decoded packet encodes");
                    let again = decode_frame(v, out.freeze()).expect("an encoded packet decodes");
                    assert_eq!(again, packet, "re-encoding changed the packet");
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
