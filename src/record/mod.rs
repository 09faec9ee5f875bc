//! Recordings: received messages as JSON Lines (one object a line: time, topic, QoS, retain, the
//! properties that can be published again, payload as text or base64), streamed to a file and
//! flushed regularly, so a quit or a crash loses at most the last second. Replay reads them back a
//! line at a time.

pub mod command;
pub mod player;
mod reader;
pub mod replay;
mod writer;

pub use reader::{BadLine, BadLines, Entry, Reader, Scan, first_bad_line, scan, scan_reader};
pub use writer::{FLUSH_EVERY, Mode, RecordError, Recorder};

use crate::codec::{ByteString, Bytes, Properties, Property, QoS};
use crate::session::Message;
use crate::timefmt::rfc3339_millis;
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Base64 as recordings hold it: the standard alphabet, padded when written, read with or without
/// padding (older recordings wrote none).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One recorded message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Receive time, RFC 3339 (for people).
    pub ts: String,
    /// Receive time, ms since the epoch (for replay timing).
    pub ts_ms: u64,
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_properties: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_data_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_expiry: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<u8>,
    /// The JSON Schema check made when the message arrived (`sub --schema` or the profile's
    /// `schemas`); absent when no schema covered the topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<crate::payload::schema::Verdict>,
}

impl Record {
    pub fn from_message(m: &Message) -> Self {
        let ts_ms = m.received_at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let (payload, payload_base64) = match std::str::from_utf8(&m.payload) {
            Ok(s) => (Some(s.to_string()), None),
            Err(_) => (None, Some(B64.encode(&m.payload))),
        };
        let mut r = Record {
            ts: rfc3339_millis(m.received_at),
            ts_ms,
            topic: m.topic.to_string(),
            qos: m.qos.as_u8(),
            retain: m.retain,
            payload,
            payload_base64,
            user_properties: Vec::new(),
            content_type: None,
            response_topic: None,
            correlation_data_base64: None,
            message_expiry: None,
            payload_format_indicator: None,
            schema: None,
        };
        for p in m.properties.iter() {
            match p {
                Property::UserProperty(k, v) => r.user_properties.push((k.to_string(), v.to_string())),
                Property::ContentType(s) => r.content_type = Some(s.to_string()),
                Property::ResponseTopic(s) => r.response_topic = Some(s.to_string()),
                Property::CorrelationData(b) => r.correlation_data_base64 = Some(B64.encode(b)),
                Property::MessageExpiryInterval(v) => r.message_expiry = Some(*v),
                Property::PayloadFormatIndicator(v) => r.payload_format_indicator = Some(*v),
                _ => {}
            }
        }
        r
    }

    pub fn payload_bytes(&self) -> Result<Bytes, String> {
        match (&self.payload, &self.payload_base64) {
            (Some(t), None) => Ok(Bytes::from(t.clone())),
            (None, Some(b)) => decode_base64(b).map(Bytes::from),
            (None, None) => Ok(Bytes::new()),
            (Some(_), Some(_)) => Err("both payload and payload_base64".into()),
        }
    }

    /// The properties to publish it with again (MQTT 5).
    pub fn properties(&self) -> Result<Properties, String> {
        let mut p = Properties::default();
        if let Some(v) = self.payload_format_indicator {
            p.push(Property::PayloadFormatIndicator(v));
        }
        if let Some(v) = self.message_expiry {
            p.push(Property::MessageExpiryInterval(v));
        }
        if let Some(s) = &self.content_type {
            p.push(Property::ContentType(ByteString::from(s.as_str())));
        }
        if let Some(s) = &self.response_topic {
            p.push(Property::ResponseTopic(ByteString::from(s.as_str())));
        }
        if let Some(b) = &self.correlation_data_base64 {
            p.push(Property::CorrelationData(Bytes::from(decode_base64(b)?)));
        }
        for (k, v) in &self.user_properties {
            p.push(Property::UserProperty(k.as_str().into(), v.as_str().into()));
        }
        Ok(p)
    }

    /// Whether it can be published again: a valid QoS, payload and base64 fields.
    pub fn check(&self) -> Result<(), String> {
        QoS::from_u8(self.qos).ok_or_else(|| format!("QoS {} is not 0, 1 or 2", self.qos))?;
        self.payload_bytes()?;
        self.properties()?;
        Ok(())
    }

    /// The message as the session would have delivered it, stamped `at`.
    pub fn to_message(&self, at: SystemTime) -> Result<Message, String> {
        Ok(Message {
            topic: ByteString::from(self.topic.as_str()),
            payload: self.payload_bytes()?,
            qos: QoS::from_u8(self.qos).ok_or_else(|| format!("QoS {} is not 0, 1 or 2", self.qos))?,
            retain: self.retain,
            dup: false,
            packet_id: None,
            properties: self.properties()?,
            received_at: at,
        })
    }
}

/// Reads a whole recording into memory, refusing at the first bad line. For small files (tests,
/// tools); replay streams with [`Reader`] instead.
pub fn read(path: &Path) -> Result<Vec<Record>, String> {
    let file = crate::sanitize::line(&path.display().to_string()).into_owned();
    let mut reader = Reader::open(path).map_err(|e| format!("cannot read '{file}': {e}"))?;
    let mut out = Vec::new();
    while let Some(entry) = reader.next_entry().map_err(|e| format!("cannot read '{file}': {e}"))? {
        match entry {
            Entry::Record(r) => out.push(*r),
            Entry::Bad(b) => return Err(format!("{file}: {b}")),
        }
    }
    Ok(out)
}

/// Standard base64 (RFC 4648 §4) as recordings hold it: written with padding, read with or without.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    B64.decode(text).map_err(|e| format!("bad base64: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_fields_follow_rfc4648_and_padding_is_optional_when_read() {
        use super::{B64, decode_base64};
        use base64::Engine as _;
        for (plain, enc) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(B64.encode(plain.as_bytes()), enc);
            assert_eq!(decode_base64(enc).unwrap(), plain.as_bytes());
            assert_eq!(decode_base64(enc.trim_end_matches('=')).unwrap(), plain.as_bytes());
        }
        assert!(decode_base64("Zm9v!").unwrap_err().starts_with("bad base64"));
        assert!(decode_base64("Z").is_err());
    }

    use super::*;
    use std::time::Duration;

    fn message(topic: &str, payload: &[u8], props: Properties, ms: u64) -> Message {
        Message {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload),
            qos: QoS::AtLeastOnce,
            retain: true,
            dup: false,
            packet_id: Some(3),
            properties: props,
            received_at: UNIX_EPOCH + Duration::from_millis(ms),
        }
    }

    #[test]
    fn record_then_read_gives_the_same_messages_in_the_same_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let props = Properties(vec![
            Property::PayloadFormatIndicator(1),
            Property::MessageExpiryInterval(60),
            Property::ContentType("application/json".into()),
            Property::ResponseTopic("reply/me".into()),
            Property::CorrelationData(Bytes::from_static(&[0, 255])),
            Property::UserProperty("k".into(), "1".into()),
            Property::UserProperty("k".into(), "2".into()),
        ]);
        let msgs = vec![
            message("a/b", br#"{"x":1}"#, props, 1_795_628_616_000),
            message("bin", &[0xff, 0x00, 0x1b], Properties::default(), 1_795_628_616_500),
            message("empty", b"", Properties::default(), 1_795_628_617_000),
        ];
        {
            let mut r = Recorder::open(&path, Mode::Create).unwrap();
            for m in &msgs {
                r.write(m).unwrap();
            }
            assert_eq!(r.finish().unwrap(), 3);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.lines().next().unwrap().contains(r#""ts":"2026-11-25T17:43:36.000Z""#), "{text}");
        assert!(text.contains(r#""payload_base64":"/wAb""#), "{text}");
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 3);
        for (r, m) in back.iter().zip(&msgs) {
            let again = r.to_message(m.received_at).unwrap();
            assert_eq!(
                (&again.topic, &again.payload, again.qos, again.retain, &again.properties),
                (&m.topic, &m.payload, m.qos, m.retain, &m.properties)
            );
            assert_eq!(UNIX_EPOCH + Duration::from_millis(r.ts_ms), m.received_at);
        }
    }
}
