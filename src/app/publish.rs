//! The publish pane: a form of text areas (ratatui-textarea) for topic, payload, content type and
//! user properties, plus QoS and retain; sending yields a `Command::Publish` with a token, and the
//! session's `Published` answer for that token marks the message sent, acknowledged or failed.
//! Sent messages are kept, newest last, to recall and edit.

use super::Key;
use crate::codec::{Bytes, PacketType, Properties, Property, ProtocolVersion, QoS, reason, topic};
use crate::session::{Command, OutgoingPublish};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui_textarea::TextArea;

/// Messages kept for recall.
pub const HISTORY: usize = 50;

/// The form's fields, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Topic,
    Payload,
    Qos,
    Retain,
    ContentType,
    Properties,
}

impl Field {
    const ORDER: [Field; 6] =
        [Field::Topic, Field::Payload, Field::Qos, Field::Retain, Field::ContentType, Field::Properties];

    fn step(self, forward: bool) -> Self {
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = Self::ORDER.len();
        Self::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// Where a sent message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendState {
    /// Handed to the session; no answer yet.
    Sending,
    /// QoS 0: written to the connection.
    Sent,
    /// QoS 1/2: acknowledged, with the reason code (MQTT 5: 0x10 "no matching subscribers").
    Acked(u8),
    Failed(String),
}

impl SendState {
    pub fn describe(&self) -> String {
        match self {
            Self::Sending => "sending…".into(),
            Self::Sent => "sent (QoS 0, no ack)".into(),
            Self::Acked(0) => "acked (success)".into(),
            Self::Acked(code) => {
                let name = reason::name(PacketType::PubAck, ProtocolVersion::V5, *code).unwrap_or("reason");
                format!("acked ({name}, {code:#04x})")
            }
            Self::Failed(why) => format!("error: {why}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub token: u64,
    pub publish: OutgoingPublish,
    /// The form as typed when it held placeholders (`{{counter}}`), so a recall gives the template
    /// back rather than the values it was filled with.
    pub template: Option<OutgoingPublish>,
    pub state: SendState,
    pub at_ms: u64,
}

#[derive(Debug)]
pub struct Publisher {
    pub open: bool,
    pub field: Field,
    pub topic: TextArea<'static>,
    pub payload: TextArea<'static>,
    pub content_type: TextArea<'static>,
    /// `NAME=VALUE`, one a line.
    pub properties: TextArea<'static>,
    pub qos: QoS,
    pub retain: bool,
    /// Why the last send was refused before it left (bad topic, bad property line).
    pub error: Option<String>,
    pub history: Vec<Sent>,
    /// The history entry loaded into the form by Ctrl-Up/Down.
    pub recall: Option<usize>,
    /// The tree node the topic was last filled from.
    pub(super) prefilled_from: Option<u32>,
    /// Saved templates (profile), F2 loads the next one; the loaded one's index.
    pub templates: Vec<super::template::Template>,
    pub template: Option<usize>,
    /// Sends per template name (or the form), for `{{counter}}`.
    counters: std::collections::HashMap<String, u64>,
    /// F6: the form sent again and again at a fixed rate.
    pub repeat: Option<super::template::Repeat>,
    rng: u64,
    /// Topics with a Protobuf message type take the payload as JSON and send it encoded.
    protos: std::sync::Arc<crate::payload::protobuf::Protos>,
}

impl Default for Publisher {
    fn default() -> Self {
        Self {
            open: false,
            field: Field::Topic,
            topic: TextArea::default(),
            payload: TextArea::default(),
            content_type: TextArea::default(),
            properties: TextArea::default(),
            qos: QoS::AtMostOnce,
            retain: false,
            error: None,
            history: Vec::new(),
            recall: None,
            prefilled_from: None,
            templates: Vec::new(),
            template: None,
            counters: std::collections::HashMap::new(),
            repeat: None,
            rng: 0x9e37_79b9_7f4a_7c15,
            protos: std::sync::Arc::default(),
        }
    }
}

fn set_text(area: &mut TextArea<'static>, text: &str) {
    *area = TextArea::new(text.split('\n').map(str::to_string).collect());
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
}

fn cycle_qos(q: QoS, forward: bool) -> QoS {
    let n = q.as_u8();
    let next = if forward { (n + 1) % 3 } else { (n + 2) % 3 };
    QoS::from_u8(next).unwrap_or(QoS::AtMostOnce)
}

impl Publisher {
    pub fn with_templates(templates: Vec<super::template::Template>) -> Self {
        Self { templates, ..Self::default() }
    }

    /// The Protobuf message types (`--proto`, the profile): a message to a topic that has one is sent
    /// as that type, encoded from the payload's JSON.
    pub fn with_protos(self, protos: std::sync::Arc<crate::payload::protobuf::Protos>) -> Self {
        Self { protos, ..self }
    }

    /// The message type the topic's payload is encoded as, by its full name.
    pub fn encoding_for(&self, topic: &str) -> Option<&str> {
        self.protos.message_for(topic).map(|m| m.full_name())
    }

    /// The message as it goes on the wire: a JSON payload encoded when the topic has a Protobuf type.
    fn on_the_wire(&self, mut p: OutgoingPublish) -> Result<OutgoingPublish, String> {
        if let Some(m) = self.protos.message_for(&p.topic) {
            let text = std::str::from_utf8(&p.payload).map_err(|e| format!("payload: not UTF-8 JSON: {e}"))?;
            p.payload = crate::payload::protobuf::encode_json(text, m).map(Bytes::from)?;
        }
        Ok(p)
    }

    /// Pasted text goes into the focused text field (one-line fields get it on one line).
    pub fn paste(&mut self, text: &str) {
        let one_line = || text.replace(['\r', '\n'], " ");
        match self.field {
            Field::Topic => {
                self.topic.insert_str(one_line());
            }
            Field::ContentType => {
                self.content_type.insert_str(one_line());
            }
            Field::Payload => {
                self.payload.insert_str(text.replace("\r\n", "\n"));
            }
            Field::Properties => {
                self.properties.insert_str(text.replace("\r\n", "\n"));
            }
            Field::Qos | Field::Retain => {}
        }
        self.error = None;
    }

    /// Opens the pane; the topic is filled from the tree selection when that changed since last time.
    pub fn open(&mut self, selected: Option<(u32, &str)>) {
        self.open = true;
        if let Some((id, path)) = selected
            && self.prefilled_from != Some(id)
        {
            set_text(&mut self.topic, path);
            self.prefilled_from = Some(id);
            self.field = Field::Payload;
        }
    }

    pub fn topic_text(&self) -> String {
        self.topic.lines().join("")
    }

    /// The message the form describes, or why it cannot be sent.
    pub fn build(&self) -> Result<OutgoingPublish, String> {
        let p = self.build_raw()?;
        topic::check_topic_name(&p.topic).map_err(|k| format!("topic: {k}"))?;
        Ok(p)
    }

    /// `build` without the topic check, which placeholders (`{{counter}}`) would fail before filling.
    fn build_raw(&self) -> Result<OutgoingPublish, String> {
        let topic = self.topic_text();
        if topic.is_empty() {
            return Err("the topic is empty".into());
        }
        let mut properties = Properties::default();
        let ct = self.content_type.lines().join("");
        if !ct.trim().is_empty() {
            properties.push(Property::ContentType(ct.trim().into()));
        }
        for (i, line) in self.properties.lines().iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(format!("user property line {}: '{line}' must look like NAME=VALUE", i + 1));
            };
            properties.push(Property::UserProperty(k.trim().into(), v.trim().into()));
        }
        Ok(OutgoingPublish {
            topic,
            payload: Bytes::from(self.payload.lines().join("\n")),
            qos: self.qos,
            retain: self.retain,
            properties,
        })
    }

    /// Handles a key while the pane is open. `token` makes the token for a send.
    pub fn key(&mut self, key: Key, now_ms: u64, token: &mut dyn FnMut() -> u64) -> Option<Command> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.open = false,
            KeyCode::F(5) => return self.send(now_ms, token()),
            KeyCode::Char('s') if ctrl => return self.send(now_ms, token()),
            KeyCode::Tab => self.field = self.field.step(true),
            KeyCode::BackTab => self.field = self.field.step(false),
            KeyCode::F(2) => self.next_template(),
            KeyCode::F(6) => self.toggle_repeat(now_ms),
            KeyCode::Up if ctrl || key.modifiers.contains(KeyModifiers::ALT) => self.recall_step(true),
            KeyCode::Down if ctrl || key.modifiers.contains(KeyModifiers::ALT) => self.recall_step(false),
            _ => self.field_key(key),
        }
        None
    }

    fn field_key(&mut self, key: Key) {
        match self.field {
            Field::Qos => match key.code {
                KeyCode::Char(c @ '0'..='2') => self.qos = QoS::from_u8(c as u8 - b'0').unwrap_or(self.qos),
                KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') => self.qos = cycle_qos(self.qos, true),
                KeyCode::Left | KeyCode::Char('h') => self.qos = cycle_qos(self.qos, false),
                KeyCode::Enter => self.field = self.field.step(true),
                _ => {}
            },
            Field::Retain => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => self.retain = !self.retain,
                KeyCode::Char('y') => self.retain = true,
                KeyCode::Char('n') => self.retain = false,
                KeyCode::Enter => self.field = self.field.step(true),
                _ => {}
            },
            // One-line fields: Enter moves on instead of breaking the line.
            Field::Topic | Field::ContentType if key.code == KeyCode::Enter => self.field = self.field.step(true),
            Field::Topic => {
                self.topic.input(key);
            }
            Field::ContentType => {
                self.content_type.input(key);
            }
            Field::Payload => {
                self.payload.input(key);
            }
            Field::Properties => {
                self.properties.input(key);
            }
        }
        self.error = None;
    }

    /// The form as a message, placeholders filled (`{{now}}`, `{{counter}}`, `{{uuid}}`, `{{random A B}}`).
    fn build_filled(&mut self, now_ms: u64) -> Result<OutgoingPublish, String> {
        self.fill(now_ms, true)
    }

    /// `build_filled`; with `take` false the counter is only looked at, for a check.
    fn fill(&mut self, now_ms: u64, take: bool) -> Result<OutgoingPublish, String> {
        let mut p = self.build_raw()?;
        let payload = String::from_utf8_lossy(&p.payload).into_owned();
        if !p.topic.contains("{{") && !payload.contains("{{") {
            topic::check_topic_name(&p.topic).map_err(|k| format!("topic: {k}"))?;
            return Ok(p);
        }
        let key =
            self.template.and_then(|i| self.templates.get(i)).map_or_else(|| "form".to_string(), |t| t.name.clone());
        let counter = self.counters.entry(key).or_insert(0);
        let n = *counter + 1;
        if take {
            *counter = n;
        }
        let rng = &mut self.rng;
        let mut random = || {
            // xorshift64*
            *rng ^= *rng >> 12;
            *rng ^= *rng << 25;
            *rng ^= *rng >> 27;
            rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let mut fill = super::template::Fill { now_ms, counter: n, random: &mut random };
        p.topic = super::template::fill(&p.topic, &mut fill).map_err(|e| format!("topic: {e}"))?;
        topic::check_topic_name(&p.topic).map_err(|k| format!("topic: {k}"))?;
        p.payload = Bytes::from(super::template::fill(&payload, &mut fill).map_err(|e| format!("payload: {e}"))?);
        Ok(p)
    }

    /// F2: loads the next saved template into the form (placeholders stay until sending).
    fn next_template(&mut self) {
        if self.templates.is_empty() {
            self.error = Some("no templates: add [[profiles.NAME.templates]] to the config".into());
            return;
        }
        let i = self.template.map_or(0, |i| (i + 1) % self.templates.len());
        let t = self.templates[i].clone();
        set_text(&mut self.topic, &t.topic);
        set_text(&mut self.payload, &t.payload);
        set_text(&mut self.content_type, t.content_type.as_deref().unwrap_or(""));
        let props: Vec<String> = t.user_properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
        set_text(&mut self.properties, &props.join("\n"));
        self.qos = t.qos;
        self.retain = t.retain;
        self.template = Some(i);
        self.error = None;
    }

    /// F6: starts or stops sending the form repeatedly, at the loaded template's rate (1/s without one).
    fn toggle_repeat(&mut self, now_ms: u64) {
        if self.repeat.take().is_some() {
            return;
        }
        // A check, not a send: it must not use up a `{{counter}}` value.
        if let Err(e) = self.fill(now_ms, false) {
            self.error = Some(e);
            return;
        }
        let rate = self.template.and_then(|i| self.templates.get(i)).map_or(1.0, |t| t.rate);
        self.repeat = Some(super::template::Repeat::new(self.template.unwrap_or(usize::MAX), rate, now_ms));
    }

    /// What repeat mode owes by `now_ms`, as publish commands (not kept in the history).
    pub fn repeat_due(&mut self, now_ms: u64, token: &mut dyn FnMut() -> u64) -> Vec<Command> {
        let Some(n) = self.repeat.as_mut().map(|r| r.due(now_ms)) else { return Vec::new() };
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            match self.build_filled(now_ms).and_then(|p| self.on_the_wire(p)) {
                Ok(publish) => out.push(Command::Publish { token: token(), publish }),
                Err(e) => {
                    self.error = Some(e);
                    self.repeat = None;
                    break;
                }
            }
        }
        if let Some(r) = self.repeat.as_mut() {
            r.record_sent(out.len() as u64, now_ms);
        }
        out
    }

    fn send(&mut self, now_ms: u64, token: u64) -> Option<Command> {
        // History keeps the form's text (JSON for a Protobuf topic), to recall and edit; a form with
        // placeholders (`{{counter}}`) is kept as typed too, so a recall gives the template back.
        let template = self
            .build_raw()
            .ok()
            .filter(|raw| raw.topic.contains("{{") || String::from_utf8_lossy(&raw.payload).contains("{{"));
        match self.build_filled(now_ms).and_then(|p| Ok((self.on_the_wire(p.clone())?, p))) {
            Ok((publish, typed)) => {
                self.error = None;
                self.history.push(Sent { token, publish: typed, template, state: SendState::Sending, at_ms: now_ms });
                if self.history.len() > HISTORY {
                    self.history.remove(0);
                }
                self.recall = None;
                Some(Command::Publish { token, publish })
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// Takes the session's answer for a token; false when the token is not ours.
    pub fn on_published(&mut self, token: u64, result: &Result<u8, String>) -> bool {
        let Some(sent) = self.history.iter_mut().rev().find(|s| s.token == token) else { return false };
        sent.state = match result {
            Ok(code) if sent.publish.qos == QoS::AtMostOnce && *code == 0 => SendState::Sent,
            Ok(code) => SendState::Acked(*code),
            Err(why) => SendState::Failed(why.clone()),
        };
        true
    }

    /// Ctrl-Up loads the previous sent message into the form, Ctrl-Down the next.
    fn recall_step(&mut self, older: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let next = match (self.recall, older) {
            (None, true) => Some(last),
            (None, false) => None,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        if let Some(i) = next {
            self.load(i);
        }
        self.recall = next;
    }

    fn load(&mut self, i: usize) {
        let Some(sent) = self.history.get(i).cloned() else { return };
        self.load_publish(&sent.template.unwrap_or(sent.publish));
    }

    /// Puts a message into the form: topic, payload (as text), QoS, retain, content type and user
    /// properties (the properties the form has fields for).
    pub fn load_publish(&mut self, p: &OutgoingPublish) {
        set_text(&mut self.topic, &p.topic);
        set_text(&mut self.payload, &String::from_utf8_lossy(&p.payload));
        self.qos = p.qos;
        self.retain = p.retain;
        let mut ct = String::new();
        let mut props = Vec::new();
        for prop in p.properties.iter() {
            match prop {
                Property::ContentType(s) => ct = s.to_string(),
                Property::UserProperty(k, v) => props.push(format!("{k}={v}")),
                _ => {}
            }
        }
        set_text(&mut self.content_type, &ct);
        set_text(&mut self.properties, &props.join("\n"));
        self.error = None;
    }

    /// The state of the newest send, for the pane's status line.
    pub fn last(&self) -> Option<&Sent> {
        self.history.last()
    }
}

impl super::App {
    /// `P`: opens the publish pane filled from the message the detail pane shows (the tree's topic,
    /// the log's entry or a history entry), to send again or edit. A payload that is not text is
    /// refused rather than mangled, and properties the form cannot carry are named.
    pub(super) fn publish_from_message(&mut self) {
        let Some(m) = self.detail_message().cloned() else {
            self.notify("no kept message to publish from (select a topic with messages)".into());
            return;
        };
        let topic = self.tree.node(m.topic).path().to_string();
        let Ok(text) = std::str::from_utf8(m.payload()) else {
            let shown = crate::sanitize::line(&topic).into_owned();
            self.notify(format!("the payload of '{shown}' is not UTF-8 text: the publish pane cannot edit it"));
            return;
        };
        let mut kept = Properties::default();
        let mut dropped = Vec::new();
        for prop in self.store.properties(&m).iter() {
            match prop {
                Property::ContentType(_) | Property::UserProperty(..) => kept.push(prop.clone()),
                Property::ResponseTopic(_) => dropped.push("response topic"),
                Property::CorrelationData(_) => dropped.push("correlation data"),
                Property::MessageExpiryInterval(_) => dropped.push("message expiry"),
                Property::PayloadFormatIndicator(_) => dropped.push("payload format indicator"),
                _ => {}
            }
        }
        let publish = OutgoingPublish {
            topic,
            payload: Bytes::copy_from_slice(text.as_bytes()),
            qos: m.qos,
            retain: m.retain,
            properties: kept,
        };
        self.publisher.load_publish(&publish);
        self.publisher.prefilled_from = Some(m.topic);
        self.publisher.open = true;
        self.publisher.field = Field::Payload;
        let shown = crate::sanitize::line(&publish.topic).into_owned();
        let mut text = format!("the publish pane holds the message of '{shown}': F5 sends it, or edit it first");
        if !dropped.is_empty() {
            text.push_str(&format!(" (the pane has no field for its {})", dropped.join(", ")));
        }
        self.notify(text);
    }

    /// `p`: opens the publish pane, the topic filled from the selected tree topic.
    pub(super) fn open_publisher(&mut self) {
        let selected = self.tree_view.selected.filter(|&id| self.tree.node(id).is_topic);
        let path = selected.map(|id| self.tree.node(id).path().to_string());
        self.publisher.open(selected.zip(path.as_deref()));
    }

    pub(super) fn publish_key(&mut self, key: Key) {
        let mut next = self.next_token;
        let cmd = self.publisher.key(key, self.now_ms, &mut || {
            next += 1;
            next
        });
        self.next_token = next;
        if let Some(cmd) = cmd {
            self.effects.push(super::Effect::Send(cmd));
        }
    }

    /// The session finished a publish: the pane's message, a retained clear, or nobody's.
    pub(super) fn on_published(&mut self, token: u64, result: Result<u8, String>) {
        if self.publisher.on_published(token, &result) {
            if let Err(why) = &result
                && !self.publisher.open
            {
                self.notify(format!("publish failed: {why}"));
            }
            return;
        }
        match self.retained.on_published(token, &result, self.now_ms) {
            Some(true) => {
                if let Some(job) = &self.retained.job {
                    let secs = job.finished_ms.unwrap_or(self.now_ms).saturating_sub(job.started_ms) as f64 / 1e3;
                    let text = format!(
                        "cleared {} of {} retained topics in {secs:.1} s ({} failed)",
                        job.acked, job.total, job.failed
                    );
                    self.notify(text);
                }
            }
            Some(false) => {}
            None => {
                if let Err(why) = result {
                    self.notify(format!("publish failed: {why}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    fn press(p: &mut Publisher, code: KeyCode, mods: KeyModifiers) -> Option<Command> {
        let mut next = 0;
        p.key(KeyEvent::new(code, mods), 1_000, &mut || {
            next += 1;
            next
        })
    }

    fn type_text(p: &mut Publisher, s: &str) {
        for c in s.chars() {
            press(p, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    #[test]
    fn form_builds_a_publish_with_properties_and_newlines() {
        let mut p = Publisher::default();
        p.open(Some((7, "a/b")));
        assert_eq!((p.topic_text().as_str(), p.field), ("a/b", Field::Payload));
        type_text(&mut p, "line1");
        press(&mut p, KeyCode::Enter, KeyModifiers::NONE);
        type_text(&mut p, "line2");
        press(&mut p, KeyCode::Tab, KeyModifiers::NONE);
        press(&mut p, KeyCode::Char('2'), KeyModifiers::NONE);
        press(&mut p, KeyCode::Tab, KeyModifiers::NONE);
        press(&mut p, KeyCode::Char(' '), KeyModifiers::NONE);
        press(&mut p, KeyCode::Tab, KeyModifiers::NONE);
        type_text(&mut p, "text/plain");
        press(&mut p, KeyCode::Tab, KeyModifiers::NONE);
        type_text(&mut p, "k=v");
        let cmd = press(&mut p, KeyCode::F(5), KeyModifiers::NONE).expect("sent");
        let Command::Publish { token, publish } = cmd else { panic!("not a publish") };
        assert_eq!(token, 1);
        assert_eq!(&publish.payload[..], b"line1\nline2");
        assert_eq!((publish.qos, publish.retain), (QoS::ExactlyOnce, true));
        assert_eq!(
            publish.properties,
            Properties(vec![
                Property::ContentType("text/plain".into()),
                Property::UserProperty("k".into(), "v".into())
            ])
        );
        assert!(p.on_published(1, &Ok(0)));
        assert_eq!(p.last().map(|s| &s.state), Some(&SendState::Acked(0)));
        assert!(!p.on_published(99, &Ok(0)));
    }

    #[test]
    fn a_topic_with_a_protobuf_type_sends_the_json_encoded() {
        use crate::payload::protobuf::{Protos, decode_json};
        let spec = crate::payload::protobuf::tests::telemetry_spec();
        let protos = std::sync::Arc::new(Protos::load(&[spec]).expect("proto"));
        let message = protos.message_for("factory/a/telemetry").expect("type").clone();
        let mut p = Publisher::default().with_protos(protos);
        p.open(Some((1, "factory/a/telemetry")));
        assert_eq!(p.encoding_for("factory/a/telemetry"), Some("acme.Telemetry"));
        type_text(&mut p, r#"{"device":"p7","seq":"3"}"#);
        let Some(Command::Publish { publish, .. }) = press(&mut p, KeyCode::F(5), KeyModifiers::NONE) else {
            panic!("not sent: {:?}", p.error)
        };
        assert_eq!(
            decode_json(&publish.payload, &message).expect("decodes"),
            serde_json::json!({"device":"p7","seq":"3"})
        );
        // History keeps the JSON, to recall and edit.
        assert_eq!(p.last().map(|s| &s.publish.payload[..]), Some(&br#"{"device":"p7","seq":"3"}"#[..]));
        // JSON that does not fit the type stays in the form with the reason.
        type_text(&mut p, "x");
        assert!(press(&mut p, KeyCode::F(5), KeyModifiers::NONE).is_none());
        assert!(p.error.as_deref().is_some_and(|e| e.contains("does not fit acme.Telemetry")), "{:?}", p.error);
        // Other topics send the text as it is.
        let mut plain = Publisher::default();
        plain.open(Some((2, "other")));
        type_text(&mut plain, "{}x");
        let Some(Command::Publish { publish, .. }) = press(&mut plain, KeyCode::F(5), KeyModifiers::NONE) else {
            panic!("not sent")
        };
        assert_eq!(&publish.payload[..], b"{}x");
    }

    #[test]
    fn bad_topic_or_property_is_an_error_in_the_form() {
        let mut p = Publisher::default();
        p.open(None);
        assert!(press(&mut p, KeyCode::Char('s'), KeyModifiers::CONTROL).is_none());
        assert_eq!(p.error.as_deref(), Some("the topic is empty"));
        type_text(&mut p, "a/#");
        press(&mut p, KeyCode::F(5), KeyModifiers::NONE);
        assert!(p.error.as_deref().is_some_and(|e| e.starts_with("topic:")), "{:?}", p.error);
    }

    #[test]
    fn history_recalls_older_and_newer_messages() {
        let mut p = Publisher::default();
        p.open(Some((1, "t")));
        for text in ["one", "two"] {
            p.payload = TextArea::default();
            type_text(&mut p, text);
            press(&mut p, KeyCode::F(5), KeyModifiers::NONE);
        }
        p.payload = TextArea::default();
        press(&mut p, KeyCode::Up, KeyModifiers::CONTROL);
        assert_eq!(p.payload.lines(), ["two"]);
        press(&mut p, KeyCode::Up, KeyModifiers::CONTROL);
        assert_eq!(p.payload.lines(), ["one"]);
        press(&mut p, KeyCode::Down, KeyModifiers::CONTROL);
        assert_eq!(p.payload.lines(), ["two"]);
        press(&mut p, KeyCode::Down, KeyModifiers::CONTROL);
        assert_eq!(p.recall, None);
        press(&mut p, KeyCode::Esc, KeyModifiers::NONE);
        assert!(!p.open);
    }

    #[test]
    fn recall_gives_back_the_template_with_its_placeholders() {
        let mut p = Publisher::default();
        p.open(Some((1, "dev/{{counter}}")));
        type_text(&mut p, r#"{"n":{{counter}}}"#);
        let Some(Command::Publish { publish, .. }) = press(&mut p, KeyCode::F(5), KeyModifiers::NONE) else {
            panic!("sent: {:?}", p.error)
        };
        assert_eq!((publish.topic.as_str(), &publish.payload[..]), ("dev/1", &br#"{"n":1}"#[..]), "filled when sent");
        p.payload = TextArea::default();
        press(&mut p, KeyCode::Up, KeyModifiers::CONTROL);
        assert_eq!(p.topic_text(), "dev/{{counter}}");
        assert_eq!(p.payload.lines(), [r#"{"n":{{counter}}}"#], "the template, not what it became");
        let Some(Command::Publish { publish, .. }) = press(&mut p, KeyCode::F(5), KeyModifiers::NONE) else {
            panic!("sent again: {:?}", p.error)
        };
        assert_eq!(publish.topic.as_str(), "dev/2", "sent again, it counts on");
    }
}
