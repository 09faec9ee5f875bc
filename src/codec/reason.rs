//! Reason codes (MQTT 5 §2.4) and MQTT 3.1.1 return codes, with the packets each is valid in.

use super::{PacketType, ProtocolVersion};

/// The name of `code` in `packet`, or `None` when the code is not defined for that packet.
pub fn name(packet: PacketType, version: ProtocolVersion, code: u8) -> Option<&'static str> {
    if version.is_v5() { name_v5(packet, code) } else { name_v3(packet, code) }
}

/// Whether `code` signals failure (MQTT 5: 0x80 and above; 3.1.1 CONNACK: non-zero).
pub fn is_failure(packet: PacketType, version: ProtocolVersion, code: u8) -> bool {
    match (version.is_v5(), packet) {
        (true, _) => code >= 0x80,
        (false, PacketType::ConnAck) => code != 0,
        (false, _) => code == 0x80,
    }
}

fn name_v3(packet: PacketType, code: u8) -> Option<&'static str> {
    use PacketType::*;
    match (packet, code) {
        (ConnAck, 0) => Some("Connection Accepted"),
        (ConnAck, 1) => Some("Connection Refused, unacceptable protocol version"),
        (ConnAck, 2) => Some("Connection Refused, identifier rejected"),
        (ConnAck, 3) => Some("Connection Refused, Server unavailable"),
        (ConnAck, 4) => Some("Connection Refused, bad user name or password"),
        (ConnAck, 5) => Some("Connection Refused, not authorized"),
        (SubAck, 0) => Some("Success - Maximum QoS 0"),
        (SubAck, 1) => Some("Success - Maximum QoS 1"),
        (SubAck, 2) => Some("Success - Maximum QoS 2"),
        (SubAck, 0x80) => Some("Failure"),
        (PubAck | PubRec | PubRel | PubComp | UnsubAck | Disconnect, 0) => Some("Success"),
        _ => None,
    }
}

fn name_v5(packet: PacketType, code: u8) -> Option<&'static str> {
    use PacketType::*;
    let p = packet;
    let any = |list: &[PacketType]| list.contains(&p);
    let (name, ok) = match code {
        0x00 => match p {
            Disconnect => ("Normal disconnection", true),
            SubAck => ("Granted QoS 0", true),
            _ => ("Success", any(&[ConnAck, PubAck, PubRec, PubRel, PubComp, UnsubAck, Auth])),
        },
        0x01 => ("Granted QoS 1", p == SubAck),
        0x02 => ("Granted QoS 2", p == SubAck),
        0x04 => ("Disconnect with Will Message", p == Disconnect),
        0x10 => ("No matching subscribers", any(&[PubAck, PubRec])),
        0x11 => ("No subscription existed", p == UnsubAck),
        0x18 => ("Continue authentication", p == Auth),
        0x19 => ("Re-authenticate", p == Auth),
        0x80 => ("Unspecified error", any(&[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect])),
        0x81 => ("Malformed Packet", any(&[ConnAck, Disconnect])),
        0x82 => ("Protocol Error", any(&[ConnAck, Disconnect])),
        0x83 => ("Implementation specific error", any(&[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect])),
        0x84 => ("Unsupported Protocol Version", p == ConnAck),
        0x85 => ("Client Identifier not valid", p == ConnAck),
        0x86 => ("Bad User Name or Password", p == ConnAck),
        0x87 => ("Not authorized", any(&[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect])),
        0x88 => ("Server unavailable", p == ConnAck),
        0x89 => ("Server busy", any(&[ConnAck, Disconnect])),
        0x8A => ("Banned", p == ConnAck),
        0x8B => ("Server shutting down", p == Disconnect),
        0x8C => ("Bad authentication method", any(&[ConnAck, Disconnect])),
        0x8D => ("Keep Alive timeout", p == Disconnect),
        0x8E => ("Session taken over", p == Disconnect),
        0x8F => ("Topic Filter invalid", any(&[SubAck, UnsubAck, Disconnect])),
        0x90 => ("Topic Name invalid", any(&[ConnAck, PubAck, PubRec, Disconnect])),
        0x91 => ("Packet Identifier in use", any(&[PubAck, PubRec, SubAck, UnsubAck])),
        0x92 => ("Packet Identifier not found", any(&[PubRel, PubComp])),
        0x93 => ("Receive Maximum exceeded", p == Disconnect),
        0x94 => ("Topic Alias invalid", p == Disconnect),
        0x95 => ("Packet too large", any(&[ConnAck, Disconnect])),
        0x96 => ("Message rate too high", p == Disconnect),
        0x97 => ("Quota exceeded", any(&[ConnAck, PubAck, PubRec, SubAck, Disconnect])),
        0x98 => ("Administrative action", p == Disconnect),
        0x99 => ("Payload format invalid", any(&[ConnAck, PubAck, PubRec, Disconnect])),
        0x9A => ("Retain not supported", any(&[ConnAck, Disconnect])),
        0x9B => ("QoS not supported", any(&[ConnAck, Disconnect])),
        0x9C => ("Use another server", any(&[ConnAck, Disconnect])),
        0x9D => ("Server moved", any(&[ConnAck, Disconnect])),
        0x9E => ("Shared Subscriptions not supported", any(&[SubAck, Disconnect])),
        0x9F => ("Connection rate exceeded", any(&[ConnAck, Disconnect])),
        0xA0 => ("Maximum connect time", p == Disconnect),
        0xA1 => ("Subscription Identifiers not supported", any(&[SubAck, Disconnect])),
        0xA2 => ("Wildcard Subscriptions not supported", any(&[SubAck, Disconnect])),
        _ => return None,
    };
    ok.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PacketType::*;
    const V5: ProtocolVersion = ProtocolVersion::V5;
    const V4: ProtocolVersion = ProtocolVersion::V3_1_1;

    #[test]
    fn codes_are_named_per_packet() {
        assert_eq!(name(Disconnect, V5, 0), Some("Normal disconnection"));
        assert_eq!(name(SubAck, V5, 1), Some("Granted QoS 1"));
        assert_eq!(name(ConnAck, V5, 0x86), Some("Bad User Name or Password"));
        assert_eq!(name(ConnAck, V4, 4), Some("Connection Refused, bad user name or password"));
        assert_eq!(name(SubAck, V4, 0x80), Some("Failure"));
    }

    #[test]
    fn codes_outside_their_packets_are_rejected() {
        assert_eq!(name(PubAck, V5, 0x84), None);
        assert_eq!(name(ConnAck, V5, 0x04), None);
        assert_eq!(name(SubAck, V5, 0x03), None);
        assert_eq!(name(ConnAck, V4, 6), None);
        assert_eq!(name(SubAck, V4, 3), None);
    }
}
