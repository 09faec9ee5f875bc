//! Packets as JSON, for `mqscope decode` and the `--debug` packet trace. One function, so both print
//! the same thing. Passwords are never printed, only their length.

use crate::codec::{
    Bytes, LastWill, Packet, PacketType, Properties, Property, PropertyId, ProtocolVersion, Publish,
    SubscriptionOptions, reason,
};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// Lower-case hex of `bytes`, two digits a byte, no separators.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The JSON object describing `packet`: type, fixed-header flags, every field, properties by
/// name, reason codes by number and name, payloads as text (when UTF-8) and always as hex.
pub fn packet_json(packet: &Packet, version: ProtocolVersion) -> Value {
    let t = packet.packet_type();
    let mut o = Map::new();
    o.insert("type".into(), json!(t.name()));
    o.insert("header_flags".into(), json!(header_flags(packet)));
    match packet {
        Packet::Connect(c) => {
            o.insert("protocol_name".into(), json!(c.protocol.protocol_name()));
            let level = if c.bridge { c.protocol.level() | 0x80 } else { c.protocol.level() };
            o.insert("protocol_level".into(), json!(level));
            o.insert("protocol_version".into(), json!(c.protocol.to_string()));
            o.insert("bridge".into(), json!(c.bridge));
            o.insert("clean_start".into(), json!(c.clean_start));
            o.insert("keep_alive".into(), json!(c.keep_alive));
            o.insert("client_id".into(), json!(&*c.client_id));
            if let Some(w) = &c.will {
                o.insert("will".into(), will_json(w, c.protocol));
            }
            if let Some(u) = &c.username {
                o.insert("username".into(), json!(&**u));
            }
            if let Some(p) = &c.password {
                o.insert("password_len".into(), json!(p.len()));
            }
            props(&mut o, &c.properties, c.protocol);
        }
        Packet::ConnAck(c) => {
            o.insert("session_present".into(), json!(c.session_present));
            reason_code(&mut o, t, version, c.reason_code);
            props(&mut o, &c.properties, version);
        }
        Packet::Publish(p) => publish_json(&mut o, p, version),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            o.insert("packet_id".into(), json!(a.packet_id));
            reason_code(&mut o, t, version, a.reason_code);
            props(&mut o, &a.properties, version);
        }
        Packet::Subscribe(s) => {
            o.insert("packet_id".into(), json!(s.packet_id));
            let subs: Vec<Value> = s.subscriptions.iter().map(|s| subscription_json(&s.filter, &s.options)).collect();
            o.insert("subscriptions".into(), Value::Array(subs));
            props(&mut o, &s.properties, version);
        }
        Packet::SubAck(s) => {
            o.insert("packet_id".into(), json!(s.packet_id));
            o.insert("reason_codes".into(), codes_json(t, version, &s.reason_codes));
            props(&mut o, &s.properties, version);
        }
        Packet::Unsubscribe(u) => {
            o.insert("packet_id".into(), json!(u.packet_id));
            let filters: Vec<&str> = u.filters.iter().map(|f| &**f).collect();
            o.insert("filters".into(), json!(filters));
            props(&mut o, &u.properties, version);
        }
        Packet::UnsubAck(u) => {
            o.insert("packet_id".into(), json!(u.packet_id));
            if version.is_v5() {
                o.insert("reason_codes".into(), codes_json(t, version, &u.reason_codes));
            }
            props(&mut o, &u.properties, version);
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(d) | Packet::Auth(d) => {
            if version.is_v5() {
                reason_code(&mut o, t, version, d.reason_code);
            }
            props(&mut o, &d.properties, version);
        }
    }
    Value::Object(o)
}

fn header_flags(packet: &Packet) -> u8 {
    match packet {
        Packet::Publish(p) => (u8::from(p.dup) << 3) | (p.qos.as_u8() << 1) | u8::from(p.retain),
        other => other.packet_type().required_flags().unwrap_or(0),
    }
}

fn publish_json(o: &mut Map<String, Value>, p: &Publish, version: ProtocolVersion) {
    o.insert("dup".into(), json!(p.dup));
    o.insert("qos".into(), json!(p.qos.as_u8()));
    o.insert("retain".into(), json!(p.retain));
    o.insert("topic".into(), json!(&*p.topic));
    if let Some(id) = p.packet_id {
        o.insert("packet_id".into(), json!(id));
    }
    props(o, &p.properties, version);
    payload(o, "payload", &p.payload);
}

/// `payload_len`, `payload_text` when the bytes are UTF-8, and always `payload_hex`.
pub(crate) fn payload(o: &mut Map<String, Value>, key: &str, data: &Bytes) {
    o.insert(format!("{key}_len"), json!(data.len()));
    if let Ok(text) = std::str::from_utf8(data) {
        o.insert(format!("{key}_text"), json!(text));
    }
    o.insert(format!("{key}_hex"), json!(hex(data)));
}

fn will_json(w: &LastWill, version: ProtocolVersion) -> Value {
    let mut o = Map::new();
    o.insert("topic".into(), json!(&*w.topic));
    o.insert("qos".into(), json!(w.qos.as_u8()));
    o.insert("retain".into(), json!(w.retain));
    props(&mut o, &w.properties, version);
    payload(&mut o, "payload", &w.payload);
    Value::Object(o)
}

fn subscription_json(filter: &str, opts: &SubscriptionOptions) -> Value {
    json!({
        "filter": filter,
        "qos": opts.qos.as_u8(),
        "no_local": opts.no_local,
        "retain_as_published": opts.retain_as_published,
        "retain_handling": opts.retain_handling as u8,
    })
}

fn reason_code(o: &mut Map<String, Value>, t: PacketType, version: ProtocolVersion, code: u8) {
    o.insert("reason_code".into(), json!(code));
    o.insert("reason".into(), json!(reason::name(t, version, code).unwrap_or("unknown")));
}

fn codes_json(t: PacketType, version: ProtocolVersion, codes: &[u8]) -> Value {
    Value::Array(
        codes.iter().map(|&c| json!({ "code": c, "name": reason::name(t, version, c).unwrap_or("unknown") })).collect(),
    )
}

fn binary_json(data: &[u8]) -> Value {
    match std::str::from_utf8(data) {
        Ok(text) => json!({ "text": text, "hex": hex(data) }),
        Err(_) => json!({ "hex": hex(data) }),
    }
}

/// Adds `properties` (MQTT 5 only): single properties by name, user properties as an ordered
/// list of `[name, value]` pairs, subscription identifiers as a list.
fn props(o: &mut Map<String, Value>, properties: &Properties, version: ProtocolVersion) {
    if !version.is_v5() {
        return;
    }
    o.insert("properties".into(), properties_json(properties));
}

/// Properties as a JSON object (see `props`).
pub fn properties_json(properties: &Properties) -> Value {
    let mut m = Map::new();
    let mut users = Vec::new();
    let mut sub_ids = Vec::new();
    for p in properties.iter() {
        let name = p.id().name().to_string();
        let value = match p {
            Property::UserProperty(k, v) => {
                users.push(json!([&**k, &**v]));
                continue;
            }
            Property::SubscriptionIdentifier(id) => {
                sub_ids.push(json!(id));
                continue;
            }
            Property::PayloadFormatIndicator(v)
            | Property::RequestProblemInformation(v)
            | Property::RequestResponseInformation(v)
            | Property::MaximumQoS(v)
            | Property::RetainAvailable(v)
            | Property::WildcardSubscriptionAvailable(v)
            | Property::SubscriptionIdentifierAvailable(v)
            | Property::SharedSubscriptionAvailable(v) => json!(v),
            Property::ServerKeepAlive(v)
            | Property::ReceiveMaximum(v)
            | Property::TopicAliasMaximum(v)
            | Property::TopicAlias(v) => json!(v),
            Property::MessageExpiryInterval(v)
            | Property::SessionExpiryInterval(v)
            | Property::WillDelayInterval(v)
            | Property::MaximumPacketSize(v) => json!(v),
            Property::ContentType(s)
            | Property::ResponseTopic(s)
            | Property::AssignedClientIdentifier(s)
            | Property::AuthenticationMethod(s)
            | Property::ResponseInformation(s)
            | Property::ServerReference(s)
            | Property::ReasonString(s) => json!(&**s),
            Property::CorrelationData(b) | Property::AuthenticationData(b) => binary_json(b),
        };
        m.insert(name, value);
    }
    if !users.is_empty() {
        m.insert(PropertyId::UserProperty.name().into(), Value::Array(users));
    }
    if !sub_ids.is_empty() {
        m.insert(PropertyId::SubscriptionIdentifier.name().into(), Value::Array(sub_ids));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{ByteString, QoS};

    #[test]
    fn publish_json_has_text_hex_and_ordered_user_properties() {
        let p = Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: true,
            topic: ByteString::from("a/b"),
            packet_id: Some(7),
            properties: Properties(vec![
                Property::UserProperty("k".into(), "1".into()),
                Property::ContentType("text/plain".into()),
                Property::UserProperty("k".into(), "2".into()),
            ]),
            payload: Bytes::from_static(b"hi"),
        });
        let v = packet_json(&p, ProtocolVersion::V5);
        assert_eq!(v["type"], "PUBLISH");
        assert_eq!(v["header_flags"], 3);
        assert_eq!(v["payload_text"], "hi");
        assert_eq!(v["payload_hex"], "6869");
        assert_eq!(v["properties"]["user_property"], json!([["k", "1"], ["k", "2"]]));
        assert_eq!(v["properties"]["content_type"], "text/plain");
    }

    #[test]
    fn binary_payload_has_no_text_and_password_is_masked() {
        let p = Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: ByteString::from("t"),
            packet_id: None,
            properties: Properties::default(),
            payload: Bytes::from_static(&[0xff, 0x00]),
        });
        let v = packet_json(&p, ProtocolVersion::V3_1_1);
        assert!(v.get("payload_text").is_none());
        assert_eq!(v["payload_hex"], "ff00");
        assert!(v.get("properties").is_none());

        let c = Packet::Connect(Box::new(crate::codec::Connect {
            protocol: ProtocolVersion::V3_1_1,
            bridge: false,
            clean_start: true,
            keep_alive: 30,
            properties: Properties::default(),
            client_id: "id".into(),
            will: None,
            username: Some("u".into()),
            password: Some(Bytes::from_static(b"secret")),
        }));
        let text = packet_json(&c, ProtocolVersion::V3_1_1).to_string();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("\"password_len\":6"), "{text}");
    }
}
