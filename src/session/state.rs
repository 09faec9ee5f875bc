//! The MQTT client session as a pure state machine: packets from the broker, commands from the app and
//! the passing of time go in; packets to send and events to report come out. No IO, no tokio: the task in
//! `task.rs` performs the actions in order. Tests drive it with scripted packets.
//!
//! It owns packet identifiers, QoS 1/2 flows both ways (with DUP retransmission when a session is
//! resumed), an in-flight window (ours, lowered by the server's receive maximum), keepalive with RTT, incoming topic aliases, the subscription
//! set (re-sent when a session is not resumed), and the choice of protocol version (5.0 falls back to
//! 3.1.1 by itself unless the user forced a version).

use super::{ConnectionInfo, Message, OutgoingPublish, SessionEvent, SubscribeOutcome};
use crate::codec::{
    Ack, ByteString, Bytes, ConnAck, Connect, EncodeError, LastWill, MAX_REMAINING_LENGTH, Packet, PacketType,
    Properties, Property, PropertyId, ProtocolVersion, Publish, QoS, ReasonPacket, SubAck, Subscribe, Subscription,
    UnsubAck, Unsubscribe, encoded_len, reason, topic,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::num::NonZeroU64;
use std::time::{Duration, Instant, SystemTime};

/// How long we wait for CONNACK after sending CONNECT.
pub const CONNACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages outside every subscription reported one by one before only every thousandth is.
const STRAYS_REPORTED: u64 = 10;
/// Incoming topic aliases we accept by default (MQTT 5 §3.1.2.11.5); announced in CONNECT.
pub const TOPIC_ALIAS_MAXIMUM: u16 = 1024;
/// Outgoing QoS 1/2 messages we keep in flight by default, like mosquitto_pub and paho: MQTT 3.1.1
/// brokers announce no limit of their own, and some drop or disconnect a client that sends too many.
pub const DEFAULT_MAX_INFLIGHT: u16 = 20;

/// Everything CONNECT needs, and what the session asks for.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Empty asks the broker to assign one (MQTT 5) — callers normally generate one.
    pub client_id: String,
    /// The version to try first.
    pub version: ProtocolVersion,
    /// True when the user chose the version: no automatic fallback.
    pub version_forced: bool,
    /// Seconds; 0 turns keepalive off.
    pub keep_alive: u16,
    pub clean_start: bool,
    /// MQTT 5 Session Expiry Interval in seconds (None: 0, the session ends with the connection).
    pub session_expiry: Option<u32>,
    pub username: Option<String>,
    /// Never printed: `Debug` masks it.
    pub password: Option<Bytes>,
    pub will: Option<LastWill>,
    /// Largest packet we accept; announced to MQTT 5 brokers.
    pub max_packet_size: u32,
    /// How many QoS 1/2 messages the broker may have in flight to us (MQTT 5 Receive Maximum).
    pub receive_maximum: u16,
    /// Incoming topic aliases we accept (MQTT 5 Topic Alias Maximum); 0 asks the broker to send none,
    /// for brokers that get aliases wrong.
    pub topic_alias_maximum: u16,
    /// Outgoing QoS 1/2 messages in flight at most (our window; on MQTT 5 the broker's Receive Maximum
    /// lowers it further). At least 1.
    pub max_inflight: u16,
    /// Subscriptions made as soon as the session is connected.
    pub subscriptions: Vec<Subscription>,
    /// How long to wait for CONNACK after CONNECT.
    pub connack_timeout: Duration,
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("client_id", &self.client_id)
            .field("version", &self.version)
            .field("keep_alive", &self.keep_alive)
            .field("clean_start", &self.clean_start)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            version: ProtocolVersion::V5,
            version_forced: false,
            keep_alive: 30,
            clean_start: true,
            session_expiry: None,
            username: None,
            password: None,
            will: None,
            max_packet_size: crate::codec::DEFAULT_MAX_PACKET_SIZE as u32,
            receive_maximum: 65_535,
            topic_alias_maximum: TOPIC_ALIAS_MAXIMUM,
            max_inflight: DEFAULT_MAX_INFLIGHT,
            subscriptions: Vec::new(),
            connack_timeout: CONNACK_TIMEOUT,
        }
    }
}

/// What the caller must do, in order.
#[derive(Debug, PartialEq)]
pub enum Action {
    Send(Packet),
    Emit(SessionEvent),
}

/// Why the connection has to end. The task decides whether and when to reconnect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The broker broke the protocol; for MQTT 5 we tell it why with this DISCONNECT reason code.
    #[error("protocol error: {why}")]
    Protocol { why: String, reason_code: u8 },
    /// CONNACK refused the connection.
    #[error("broker refused the connection: {reason}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Refused { code: u8, reason: String, hint: Option<&'static str>, retry: bool, auth: bool },
    /// The broker does not speak the version we asked for; reconnect now with `to`.
    #[error("broker does not accept MQTT {from}; falling back to MQTT {to}")]
    Fallback { from: ProtocolVersion, to: ProtocolVersion },
    /// A server DISCONNECT (MQTT 5).
    #[error("broker disconnected: {reason}")]
    ServerDisconnect { code: u8, reason: String },
    #[error("broker went silent: no PINGRESP within {0:?} of a PINGREQ (keepalive)")]
    KeepAliveTimeout(Duration),
    #[error("no CONNACK within {0:?}")]
    ConnAckTimeout(Duration),
    /// The broker keeps the connection alive but never answered a SUBSCRIBE or UNSUBSCRIBE: whatever
    /// waits for it (a subscriber, a clear of retained messages) would wait forever.
    #[error("no answer ({}) to {request} {subject} within {} s: the broker ignores the request", ack_name(request), after.as_secs())]
    RequestTimeout { request: &'static str, subject: String, after: Duration },
}

fn ack_name(request: &str) -> &'static str {
    if request == "SUBSCRIBE" { "SUBACK" } else { "UNSUBACK" }
}

impl SessionError {
    /// Whether reconnecting can help: not after refused credentials, a banned client or an
    /// unsupported protocol the user forced.
    pub fn may_retry(&self) -> bool {
        match self {
            Self::Refused { retry, .. } => *retry,
            _ => true,
        }
    }

    fn protocol(why: impl Into<String>, reason_code: u8) -> Self {
        Self::Protocol { why: why.into(), reason_code }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Disconnected,
    AwaitConnAck { since: Instant },
    Connected,
    Closing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// What an outgoing QoS 1/2 message waits for.
enum Stage {
    Ack,
    Rec,
    Comp,
}

#[derive(Debug)]
struct Inflight {
    token: u64,
    publish: Publish,
    stage: Stage,
}

#[derive(Debug, Clone)]
struct SubEntry {
    sub: Subscription,
    confirmed: bool,
}

/// Limits the broker announced in CONNACK (MQTT 5 §3.2.2.3), with the spec's defaults.
#[derive(Debug, Clone, Copy)]
struct ServerLimits {
    receive_maximum: u16,
    max_packet_size: Option<u32>,
    maximum_qos: QoS,
    retain_available: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self { receive_maximum: 65_535, max_packet_size: None, maximum_qos: QoS::ExactlyOnce, retain_available: true }
    }
}

/// The session. One per broker connection, kept across reconnects.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    version: ProtocolVersion,
    phase: Phase,
    client_id: String,
    keep_alive: Duration,
    limits: ServerLimits,
    next_id: u16,
    seq: u64,
    /// Outgoing QoS 1/2 by packet id, in the order they were first sent (`order`).
    inflight: HashMap<u16, Inflight>,
    order: VecDeque<u16>,
    /// Publishes waiting for a connection or for a receive-maximum slot.
    queued: VecDeque<(u64, OutgoingPublish)>,
    /// Incoming QoS 2 ids delivered but not yet released (PUBREL), so a DUP is not delivered twice.
    incoming_qos2: HashSet<u16>,
    subscriptions: Vec<SubEntry>,
    pending_subs: HashMap<u16, Vec<Subscription>>,
    pending_unsubs: HashMap<u16, Vec<ByteString>>,
    /// When each SUBSCRIBE / UNSUBSCRIBE still waiting for its answer was sent, by packet id.
    requests_sent: HashMap<u16, Instant>,
    aliases: HashMap<u16, ByteString>,
    last_sent: Instant,
    last_received: Instant,
    ping_sent: Option<Instant>,
    /// True once a CONNACK was seen: the broker may hold session state for us.
    ever_connected: bool,
    /// Content hash of the last QoS 1 message delivered under each packet id, so a DUP redelivery of a
    /// message whose PUBACK was lost in a reconnect is acknowledged but not delivered again.
    delivered_qos1: DeliveredQos1,
    /// Topic hash to payload hash of every retained message delivered (retain flag set).
    retained_seen: HashMap<u64, u64>,
    /// Topics whose first retained message after a reconnect is the broker replaying its store for the
    /// new subscription: skipped when it equals what was delivered before.
    retained_replay: HashSet<u64>,
    /// Messages on topics outside every subscription, so far.
    strays: u64,
}

impl Session {
    pub fn new(cfg: SessionConfig, now: Instant) -> Self {
        let mut subscriptions = Vec::new();
        for sub in &cfg.subscriptions {
            upsert(&mut subscriptions, sub.clone());
        }
        Self {
            version: cfg.version,
            client_id: cfg.client_id.clone(),
            keep_alive: Duration::from_secs(u64::from(cfg.keep_alive)),
            cfg,
            phase: Phase::Disconnected,
            limits: ServerLimits::default(),
            next_id: 0,
            seq: 0,
            inflight: HashMap::new(),
            order: VecDeque::new(),
            queued: VecDeque::new(),
            incoming_qos2: HashSet::new(),
            subscriptions,
            pending_subs: HashMap::new(),
            pending_unsubs: HashMap::new(),
            requests_sent: HashMap::new(),
            aliases: HashMap::new(),
            last_sent: now,
            last_received: now,
            ping_sent: None,
            ever_connected: false,
            delivered_qos1: DeliveredQos1::default(),
            retained_seen: HashMap::new(),
            retained_replay: HashSet::new(),
            strays: 0,
        }
    }

    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// CONNECT is out and no answer came yet.
    pub fn is_awaiting_connack(&self) -> bool {
        matches!(self.phase, Phase::AwaitConnAck { .. })
    }

    pub fn is_closing(&self) -> bool {
        self.phase == Phase::Closing
    }

    /// Outgoing QoS 1/2 messages not yet completed, plus those still queued.
    pub fn unacked(&self) -> usize {
        self.inflight.len() + self.queued.iter().filter(|(_, p)| p.qos != QoS::AtMostOnce).count()
    }

    /// Messages not yet handed to the transport (queued while disconnected or over receive maximum).
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Active (requested and not refused) subscription filters.
    pub fn subscriptions(&self) -> impl Iterator<Item = &Subscription> {
        self.subscriptions.iter().map(|e| &e.sub)
    }

    /// The transport is up: returns the CONNECT to send first.
    pub fn connect(&mut self, now: Instant) -> Packet {
        self.phase = Phase::AwaitConnAck { since: now };
        self.last_sent = now;
        self.last_received = now;
        self.ping_sent = None;
        self.aliases.clear();
        let v5 = self.version.is_v5();
        let mut properties = Properties::default();
        if v5 {
            if let Some(expiry) = self.cfg.session_expiry.filter(|&e| e > 0) {
                properties.push(Property::SessionExpiryInterval(expiry));
            }
            if self.cfg.receive_maximum != 65_535 {
                properties.push(Property::ReceiveMaximum(self.cfg.receive_maximum.max(1)));
            }
            properties.push(Property::MaximumPacketSize(self.cfg.max_packet_size.max(1)));
            // Absent means 0: the broker must not send aliases (MQTT 5 §3.1.2.11.5).
            if self.cfg.topic_alias_maximum > 0 {
                properties.push(Property::TopicAliasMaximum(self.cfg.topic_alias_maximum));
            }
        }
        let will = self.cfg.will.clone().map(|mut w| {
            if !v5 {
                w.properties = Properties::default();
            }
            w
        });
        // MQTT 3 cannot send a password without a user name; send an empty one.
        let username = match (&self.cfg.username, &self.cfg.password, v5) {
            (None, Some(_), false) => Some(ByteString::new()),
            (u, _, _) => u.as_deref().map(ByteString::from),
        };
        Packet::Connect(Box::new(Connect {
            protocol: self.version,
            bridge: false,
            // After a first CONNACK, resume what the broker holds unless the user wants a clean session.
            clean_start: self.cfg.clean_start,
            keep_alive: self.cfg.keep_alive,
            properties,
            client_id: ByteString::from(self.client_id.as_str()),
            will,
            username,
            password: self.cfg.password.clone(),
        }))
    }

    /// The connection ended (transport closed, error, or a `SessionError`). Returns the error to report
    /// instead, when the session decides a version fallback explains it.
    pub fn connection_lost(&mut self) -> Option<SessionError> {
        let was = self.phase;
        if self.phase != Phase::Closing {
            self.phase = Phase::Disconnected;
        }
        self.ping_sent = None;
        self.aliases.clear();
        // A 3.1.1-only broker may close a 5.0 CONNECT without a CONNACK (MQTT 5 §3.1.4).
        if matches!(was, Phase::AwaitConnAck { .. }) {
            return self.fallback();
        }
        None
    }

    /// Switches from 5.0 to 3.1.1 when the user did not force a version.
    fn fallback(&mut self) -> Option<SessionError> {
        if self.version.is_v5() && !self.cfg.version_forced && !self.ever_connected {
            self.version = ProtocolVersion::V3_1_1;
            return Some(SessionError::Fallback { from: ProtocolVersion::V5, to: ProtocolVersion::V3_1_1 });
        }
        None
    }

    /// A bad packet before CONNACK on 5.0 (e.g. a 3.1.1 CONNACK "unacceptable protocol version", which is
    /// not a valid 5.0 CONNACK) also means: fall back. Not when the broker clearly speaks this version
    /// or is no MQTT broker at all (`version_unrelated`: a packet over our maximum size, an HTTP or TLS
    /// answer): another version would fail the same way and hide the real cause.
    pub fn decode_failed(&mut self, version_unrelated: bool) -> Option<SessionError> {
        if !matches!(self.phase, Phase::AwaitConnAck { .. }) {
            return None;
        }
        if version_unrelated {
            self.phase = Phase::Disconnected;
            return None;
        }
        self.fallback()
    }

    /// Handles one packet from the broker, appending what to do to `out`.
    pub fn handle_packet(&mut self, now: Instant, packet: Packet, out: &mut Vec<Action>) -> Result<(), SessionError> {
        self.last_received = now;
        if let Phase::AwaitConnAck { .. } = self.phase {
            let result = match packet {
                Packet::ConnAck(ack) => self.handle_connack(now, ack, out),
                Packet::Disconnect(d) => Err(self.server_disconnect(d)),
                Packet::Auth(_) => Err(SessionError::protocol("enhanced authentication (AUTH) is not supported", 0x8C)),
                other => Err(SessionError::protocol(format!("expected CONNACK, got {}", other.packet_type()), 0x82)),
            };
            // The broker answered in this version: whatever went wrong, another version is no cure.
            if matches!(&result, Err(e) if !matches!(e, SessionError::Fallback { .. })) {
                self.phase = Phase::Disconnected;
            }
            return result;
        }
        match packet {
            Packet::Publish(p) => self.handle_publish(p, out),
            Packet::PubAck(a) => self.handle_puback(now, PacketType::PubAck, a, out),
            Packet::PubRec(a) => self.handle_pubrec(now, a, out),
            Packet::PubRel(a) => {
                let known = self.incoming_qos2.remove(&a.packet_id);
                let mut comp = Ack::new(a.packet_id);
                if !known && self.version.is_v5() {
                    comp.reason_code = 0x92; // Packet Identifier not found
                }
                self.send(now, Packet::PubComp(comp), out);
                Ok(())
            }
            Packet::PubComp(a) => self.handle_puback(now, PacketType::PubComp, a, out),
            Packet::SubAck(s) => self.handle_suback(s, out),
            Packet::UnsubAck(u) => self.handle_unsuback(u, out),
            Packet::PingResp => {
                if let Some(sent) = self.ping_sent.take() {
                    out.push(Action::Emit(SessionEvent::Pong { rtt: now.saturating_duration_since(sent) }));
                }
                Ok(())
            }
            Packet::Disconnect(d) => Err(self.server_disconnect(d)),
            other => Err(SessionError::protocol(format!("a broker must not send {}", other.packet_type()), 0x82)),
        }
    }

    fn server_disconnect(&mut self, d: ReasonPacket) -> SessionError {
        let mut reason =
            reason::name(PacketType::Disconnect, self.version, d.reason_code).unwrap_or("unknown reason").to_string();
        if let Some(s) = d.properties.reason_string() {
            reason.push_str(&format!(": {s}"));
        }
        if let Some(Property::ServerReference(s)) = d.properties.get(PropertyId::ServerReference) {
            reason.push_str(&format!(" (server reference: {s})"));
        }
        SessionError::ServerDisconnect { code: d.reason_code, reason }
    }

    fn handle_connack(&mut self, now: Instant, ack: ConnAck, out: &mut Vec<Action>) -> Result<(), SessionError> {
        let v = self.version;
        if ack.reason_code != 0 {
            let unsupported = if v.is_v5() { ack.reason_code == 0x84 } else { ack.reason_code == 1 };
            if let Some(fallback) = unsupported.then(|| self.fallback()).flatten() {
                return Err(fallback);
            }
            // Refused: not a reason to fall back when the connection then closes.
            self.phase = Phase::Disconnected;
            let credentials = self.cfg.username.is_some() || self.cfg.password.is_some();
            return Err(refused(v, &ack, credentials));
        }
        if ack.session_present && !self.ever_connected && self.cfg.clean_start {
            // MQTT 5 §3.2.2.2: a client without session state must close when the broker claims one.
            return Err(SessionError::protocol(
                "the broker says a session is present although this client asked for a clean start",
                0x82,
            ));
        }
        self.ever_connected = true;
        self.phase = Phase::Connected;
        self.limits = ServerLimits::default();
        let mut info = ConnectionInfo::defaults(v, ack.session_present, self.client_id.clone(), self.cfg.keep_alive);
        for p in ack.properties.iter() {
            match p {
                Property::ReceiveMaximum(n) => info.receive_maximum = *n,
                Property::MaximumPacketSize(n) => info.max_packet_size = Some(*n),
                Property::MaximumQoS(q) => info.maximum_qos = QoS::from_u8(*q).unwrap_or(QoS::AtLeastOnce),
                Property::RetainAvailable(r) => info.retain_available = *r == 1,
                Property::AssignedClientIdentifier(id) => info.client_id = id.to_string(),
                Property::ServerKeepAlive(k) => info.keep_alive = *k,
                Property::TopicAliasMaximum(n) => info.topic_alias_maximum = *n,
                Property::WildcardSubscriptionAvailable(b) => info.wildcard_available = *b == 1,
                Property::SubscriptionIdentifierAvailable(b) => info.subscription_ids_available = *b == 1,
                Property::SharedSubscriptionAvailable(b) => info.shared_available = *b == 1,
                Property::ReasonString(s) => info.reason_string = Some(s.to_string()),
                Property::ResponseInformation(s) => info.response_information = Some(s.to_string()),
                Property::ServerReference(s) => info.server_reference = Some(s.to_string()),
                Property::UserProperty(k, val) => info.user_properties.push((k.to_string(), val.to_string())),
                _ => {}
            }
        }
        self.client_id = info.client_id.clone();
        self.keep_alive = Duration::from_secs(u64::from(info.keep_alive));
        self.limits = ServerLimits {
            receive_maximum: info.receive_maximum,
            max_packet_size: info.max_packet_size,
            maximum_qos: info.maximum_qos,
            retain_available: info.retain_available,
        };
        let resumed = ack.session_present;
        out.push(Action::Emit(SessionEvent::Connected(Box::new(info))));

        if !resumed {
            // The broker has nothing for us: QoS 2 receive state is gone, subscriptions must be made again
            // (and the broker will send its retained messages for them once more).
            self.incoming_qos2.clear();
            self.delivered_qos1.clear();
            self.retained_replay = self.retained_seen.keys().copied().collect();
            for e in &mut self.subscriptions {
                e.confirmed = false;
            }
        }
        // Unanswered SUBSCRIBE/UNSUBSCRIBE are re-sent below from the subscription set.
        self.pending_subs.clear();
        self.pending_unsubs.clear();
        self.requests_sent.clear();
        self.report_invalid_subscriptions(out);
        let subs: Vec<Subscription> =
            self.subscriptions.iter().filter(|e| !e.confirmed).map(|e| e.sub.clone()).collect();
        if !subs.is_empty() {
            self.send_subscribe(now, subs, out);
        }
        // Retransmit what was in flight (MQTT 5 §4.4): with DUP when the session was resumed, as new
        // messages when it was not, so nothing the user sent is lost.
        let ids: Vec<u16> = self.order.iter().copied().collect();
        for id in ids {
            let Some(f) = self.inflight.get_mut(&id) else { continue };
            let packet = match f.stage {
                Stage::Comp if resumed => Packet::PubRel(Ack::new(id)),
                _ => {
                    f.stage = if f.publish.qos == QoS::AtLeastOnce { Stage::Ack } else { Stage::Rec };
                    f.publish.dup = resumed;
                    Packet::Publish(f.publish.clone())
                }
            };
            self.send(now, packet, out);
        }
        self.flush_queue(now, out);
        Ok(())
    }

    fn handle_publish(&mut self, mut p: Publish, out: &mut Vec<Action>) -> Result<(), SessionError> {
        if let Some(alias) = p.properties.topic_alias() {
            if alias == 0 || alias > self.cfg.topic_alias_maximum {
                return Err(SessionError::protocol(format!("topic alias {alias} is out of range"), 0x94));
            }
            if p.topic.is_empty() {
                match self.aliases.get(&alias) {
                    Some(t) => p.topic = t.clone(),
                    None => return Err(SessionError::protocol(format!("unknown topic alias {alias}"), 0x94)),
                }
            } else {
                self.aliases.insert(alias, p.topic.clone());
            }
        }
        let (qos, packet_id, dup) = (p.qos, p.packet_id, p.dup);
        let mut deliver = match (qos, packet_id) {
            (QoS::ExactlyOnce, Some(id)) => self.incoming_qos2.insert(id),
            _ => true,
        };
        if deliver && !self.subscribed_to(&p.topic) {
            // Never hand on what was not asked for: a command acting on its filter (clean-retained
            // clearing topics) must not act on another topic because a broker sent it.
            self.strays += 1;
            if self.strays <= STRAYS_REPORTED || self.strays.is_multiple_of(1000) {
                out.push(Action::Emit(SessionEvent::Stray { topic: p.topic.to_string(), total: self.strays }));
            }
            deliver = false;
        }
        if deliver && (qos == QoS::AtLeastOnce || p.retain) {
            deliver = !self.is_redelivery(&p, out);
        }
        if deliver {
            let message = Message {
                topic: p.topic,
                payload: p.payload,
                qos,
                retain: p.retain,
                dup,
                packet_id,
                properties: p.properties,
                received_at: SystemTime::UNIX_EPOCH,
            };
            out.push(Action::Emit(SessionEvent::Message(message)));
        }
        // Acknowledge after the hand-off: the task performs actions in order.
        match (qos, packet_id) {
            (QoS::AtLeastOnce, Some(id)) => out.push(Action::Send(Packet::PubAck(Ack::new(id)))),
            (QoS::ExactlyOnce, Some(id)) => out.push(Action::Send(Packet::PubRec(Ack::new(id)))),
            _ => {}
        }
        Ok(())
    }

    /// Whether `topic` matches a subscription of this session, or one being unsubscribed (messages may
    /// still come until the UNSUBACK).
    fn subscribed_to(&self, topic: &str) -> bool {
        let pending = self.pending_unsubs.values().flatten();
        self.subscriptions.iter().map(|e| &e.sub.filter).chain(pending).any(|f| topic::matches(f, topic))
    }

    /// Whether `p` repeats, because of a reconnect, a message already delivered (it is then acknowledged
    /// but not delivered again):
    /// - a QoS 1 PUBLISH with DUP set whose packet id, topic and payload equal the last QoS 1 message
    ///   delivered under that id (its PUBACK was lost with the connection);
    /// - the first retained message for a topic after a reconnect that was not resumed, when its payload
    ///   equals the last retained message delivered for that topic (the broker replays its store for the
    ///   new subscription). A later identical retained message is a new publish and is delivered.
    fn is_redelivery(&mut self, p: &Publish, out: &mut Vec<Action>) -> bool {
        let qos1_id = matches!((p.qos, p.packet_id), (QoS::AtLeastOnce, Some(_)));
        if !qos1_id && !p.retain {
            // The common live QoS 0/2 message: nothing to compare, so no hash of its payload.
            return false;
        }
        let content = content_hash(&p.topic, &p.payload);
        if let (QoS::AtLeastOnce, Some(id)) = (p.qos, p.packet_id) {
            if p.dup && self.delivered_qos1.get(id) == Some(DeliveredQos1::stored(content).get()) {
                self.trace_skip(p, "a QoS 1 redelivery (DUP) of a message already delivered", out);
                return true;
            }
            self.delivered_qos1.insert(id, content);
        }
        if p.retain {
            let topic = content_hash(&p.topic, b"");
            let replayed = self.retained_replay.remove(&topic);
            if replayed && self.retained_seen.get(&topic) == Some(&content) {
                self.trace_skip(p, "the broker's retained copy, already delivered before the reconnect", out);
                return true;
            }
            if p.payload.is_empty() {
                self.retained_seen.remove(&topic);
            } else {
                self.retained_seen.insert(topic, content);
            }
        }
        false
    }

    fn trace_skip(&self, p: &Publish, why: &str, out: &mut Vec<Action>) {
        let line = format!("skipped a message on '{}': {why}", crate::sanitize::line(&p.topic));
        out.push(Action::Emit(SessionEvent::Trace(line)));
    }

    fn handle_puback(
        &mut self,
        now: Instant,
        t: PacketType,
        a: Ack,
        out: &mut Vec<Action>,
    ) -> Result<(), SessionError> {
        let expected = if t == PacketType::PubAck { Stage::Ack } else { Stage::Comp };
        match self.inflight.get(&a.packet_id) {
            Some(f) if f.stage == expected => {}
            _ => {
                out.push(Action::Emit(SessionEvent::Warning(format!(
                    "ignored {t} for packet id {} that is not awaiting one",
                    a.packet_id
                ))));
                return Ok(());
            }
        }
        self.complete(a.packet_id, t, &a, out);
        self.flush_queue(now, out);
        Ok(())
    }

    fn handle_pubrec(&mut self, now: Instant, a: Ack, out: &mut Vec<Action>) -> Result<(), SessionError> {
        let awaiting = self.inflight.get(&a.packet_id).map(|f| f.stage);
        match awaiting {
            Some(Stage::Rec) if a.reason_code >= 0x80 => {
                self.complete(a.packet_id, PacketType::PubRec, &a, out);
            }
            Some(Stage::Rec) => {
                if let Some(f) = self.inflight.get_mut(&a.packet_id) {
                    f.stage = Stage::Comp;
                }
                self.send(now, Packet::PubRel(Ack::new(a.packet_id)), out);
            }
            Some(Stage::Comp) => self.send(now, Packet::PubRel(Ack::new(a.packet_id)), out),
            _ => {
                // MQTT 5 §4.3.3: answer with "Packet Identifier not found" so the broker can move on.
                let mut rel = Ack::new(a.packet_id);
                if self.version.is_v5() {
                    rel.reason_code = 0x92;
                }
                self.send(now, Packet::PubRel(rel), out);
            }
        }
        self.flush_queue(now, out);
        Ok(())
    }

    /// Ends an outgoing QoS 1/2 flow and reports it.
    fn complete(&mut self, id: u16, t: PacketType, a: &Ack, out: &mut Vec<Action>) {
        let Some(f) = self.inflight.remove(&id) else { return };
        // Brokers acknowledge in order, so this is nearly always the front.
        if self.order.front() == Some(&id) {
            self.order.pop_front();
        } else {
            self.order.retain(|&x| x != id);
        }
        let result = if a.reason_code >= 0x80 {
            let name = reason::name(t, self.version, a.reason_code).unwrap_or("error");
            let mut why = format!("{t} {name} ({:#04x})", a.reason_code);
            if let Some(s) = a.properties.reason_string() {
                why.push_str(&format!(": {s}"));
            }
            Err(why)
        } else {
            Ok(a.reason_code)
        };
        out.push(Action::Emit(SessionEvent::Published { token: f.token, packet_id: Some(id), result }));
    }

    fn handle_suback(&mut self, s: SubAck, out: &mut Vec<Action>) -> Result<(), SessionError> {
        let Some(subs) = self.pending_subs.remove(&s.packet_id) else {
            out.push(Action::Emit(SessionEvent::Warning(format!("ignored SUBACK for unknown id {}", s.packet_id))));
            return Ok(());
        };
        self.requests_sent.remove(&s.packet_id);
        if subs.len() != s.reason_codes.len() {
            let why = format!("SUBACK has {} codes for {} filters", s.reason_codes.len(), subs.len());
            return Err(SessionError::protocol(why, 0x82));
        }
        let mut results = Vec::with_capacity(subs.len());
        for (sub, &code) in subs.into_iter().zip(&s.reason_codes) {
            let outcome = if reason::is_failure(PacketType::SubAck, self.version, code) {
                let name = reason::name(PacketType::SubAck, self.version, code).unwrap_or("failure");
                // A refused filter is not retried on reconnect.
                self.subscriptions.retain(|e| e.sub.filter != sub.filter);
                SubscribeOutcome::Refused { code, reason: name.to_string() }
            } else {
                if let Some(e) = self.subscriptions.iter_mut().find(|e| e.sub.filter == sub.filter) {
                    e.confirmed = true;
                }
                SubscribeOutcome::Granted(QoS::from_u8(code).unwrap_or(QoS::AtMostOnce))
            };
            results.push((sub.filter.to_string(), outcome));
        }
        let reason_string = s.properties.reason_string().map(str::to_string);
        out.push(Action::Emit(SessionEvent::Subscribed { results, reason_string }));
        Ok(())
    }

    fn handle_unsuback(&mut self, u: UnsubAck, out: &mut Vec<Action>) -> Result<(), SessionError> {
        let Some(filters) = self.pending_unsubs.remove(&u.packet_id) else {
            out.push(Action::Emit(SessionEvent::Warning(format!("ignored UNSUBACK for unknown id {}", u.packet_id))));
            return Ok(());
        };
        self.requests_sent.remove(&u.packet_id);
        let results = filters
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let code = u.reason_codes.get(i).copied().unwrap_or(0);
                let result = if code >= 0x80 {
                    Err(reason::name(PacketType::UnsubAck, self.version, code).unwrap_or("failure").to_string())
                } else {
                    Ok(())
                };
                (f.to_string(), result)
            })
            .collect();
        out.push(Action::Emit(SessionEvent::Unsubscribed { results }));
        Ok(())
    }

    /// Publishes now, or queues until connected / until the in-flight window has room.
    pub fn publish(&mut self, now: Instant, token: u64, publish: OutgoingPublish, out: &mut Vec<Action>) {
        if let Err(why) = self.check_publish(&publish) {
            out.push(Action::Emit(SessionEvent::Published { token, packet_id: None, result: Err(why) }));
            return;
        }
        self.queued.push_back((token, publish));
        if self.phase == Phase::Connected {
            self.flush_queue(now, out);
        }
    }

    fn check_publish(&self, p: &OutgoingPublish) -> Result<(), String> {
        if p.topic.is_empty() {
            return Err("the topic is empty".into());
        }
        topic::check_topic_name(&p.topic).map_err(|k| format!("topic '{}': {k}", p.topic))?;
        // The exact size is known once the packet is built; this bound (topic, packet id, payload)
        // already fails a message that no MQTT packet can carry, before waiting for a connection.
        let least = 2 + p.topic.len() + if p.qos == QoS::AtMostOnce { 0 } else { 2 } + p.payload.len();
        if least > MAX_REMAINING_LENGTH {
            return Err(too_large(least));
        }
        if self.phase == Phase::Connected {
            if p.qos > self.limits.maximum_qos {
                return Err(format!("the broker accepts QoS {} at most", self.limits.maximum_qos.as_u8()));
            }
            if p.retain && !self.limits.retain_available {
                return Err("the broker does not support retained messages".into());
            }
        }
        Ok(())
    }

    /// Sends queued publishes while the in-flight window has room: ours (`max_inflight`), lowered by
    /// the broker's receive maximum on MQTT 5. QoS 0 messages take no slot but keep their place.
    fn flush_queue(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.phase != Phase::Connected {
            return;
        }
        let window = usize::from(self.cfg.max_inflight.min(self.limits.receive_maximum).max(1));
        while let Some((_, front)) = self.queued.front() {
            if front.qos != QoS::AtMostOnce && self.inflight.len() >= window {
                return;
            }
            let Some((token, p)) = self.queued.pop_front() else { return };
            if let Err(why) = self.check_publish(&p) {
                out.push(Action::Emit(SessionEvent::Published { token, packet_id: None, result: Err(why) }));
                continue;
            }
            let packet_id = if p.qos == QoS::AtMostOnce {
                None
            } else {
                let Some(id) = self.allocate_id() else {
                    // 65535 in flight: wait for acks.
                    self.queued.push_front((token, p));
                    return;
                };
                Some(id)
            };
            let packet = Packet::Publish(Publish {
                dup: false,
                qos: p.qos,
                retain: p.retain,
                topic: ByteString::from(p.topic),
                packet_id,
                properties: if self.version.is_v5() { p.properties } else { Properties::default() },
                payload: p.payload,
            });
            if let Err(why) = self.check_encodable(&packet) {
                out.push(Action::Emit(SessionEvent::Published { token, packet_id: None, result: Err(why) }));
                continue;
            }
            let Packet::Publish(publish) = packet else { continue };
            self.dispatch(now, token, publish, out);
        }
    }

    /// Whether the encoder will take this packet and the broker accept its size: a message that cannot
    /// go out fails here, with the limit named, instead of vanishing in the task or waiting for an ack.
    fn check_encodable(&self, packet: &Packet) -> Result<(), String> {
        let len = encoded_len(packet, self.version).map_err(|e| match e {
            EncodeError::PacketTooLarge(n) => too_large(n),
            other => format!("cannot be sent: {other}"),
        })?;
        match self.limits.max_packet_size {
            Some(max) if len > max as usize => {
                Err(format!("message of {len} bytes exceeds the broker's maximum packet size of {max} bytes"))
            }
            _ => Ok(()),
        }
    }

    fn dispatch(&mut self, now: Instant, token: u64, publish: Publish, out: &mut Vec<Action>) {
        match publish.packet_id {
            None => {
                self.send(now, Packet::Publish(publish), out);
                out.push(Action::Emit(SessionEvent::Published { token, packet_id: None, result: Ok(0) }));
            }
            Some(id) => {
                let stage = if publish.qos == QoS::AtLeastOnce { Stage::Ack } else { Stage::Rec };
                self.inflight.insert(id, Inflight { token, publish: publish.clone(), stage });
                self.order.push_back(id);
                self.send(now, Packet::Publish(publish), out);
            }
        }
    }

    /// Adds (or changes) subscriptions and sends SUBSCRIBE when connected.
    pub fn subscribe(&mut self, now: Instant, subs: Vec<Subscription>, out: &mut Vec<Action>) {
        let mut valid = Vec::new();
        for sub in subs {
            if let Err(k) = topic::check_topic_filter(&sub.filter) {
                let outcome = SubscribeOutcome::Invalid(k.to_string());
                let results = vec![(sub.filter.to_string(), outcome)];
                out.push(Action::Emit(SessionEvent::Subscribed { results, reason_string: None }));
                continue;
            }
            upsert(&mut self.subscriptions, sub.clone());
            valid.push(sub);
        }
        if self.phase == Phase::Connected && !valid.is_empty() {
            self.send_subscribe(now, valid, out);
        }
    }

    fn send_subscribe(&mut self, now: Instant, subs: Vec<Subscription>, out: &mut Vec<Action>) {
        let Some(id) = self.allocate_id() else { return };
        let mut subs = subs;
        if !self.version.is_v5() {
            for s in &mut subs {
                s.options = crate::codec::SubscriptionOptions::qos(s.options.qos);
            }
        }
        let packet = Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: Properties::default(),
            subscriptions: subs.clone(),
        });
        // MQTT 5 §3.2.2.3.6: nothing larger than the broker's maximum may be sent; it would close the
        // connection, or the request would never be answered.
        if let Some(max) = self.limits.max_packet_size
            && let Ok(len) = encoded_len(&packet, self.version)
            && len > max as usize
        {
            let why = format!("SUBSCRIBE of {len} bytes exceeds the broker's maximum packet size of {max} bytes");
            self.subscriptions.retain(|e| !subs.iter().any(|s| s.filter == e.sub.filter));
            // 0x95 Packet too large: the broker's own limit refuses it.
            let refused = |s: &Subscription| {
                (s.filter.to_string(), SubscribeOutcome::Refused { code: 0x95, reason: why.clone() })
            };
            let results = subs.iter().map(refused).collect();
            out.push(Action::Emit(SessionEvent::Subscribed { results, reason_string: None }));
            return;
        }
        self.pending_subs.insert(id, subs);
        self.requests_sent.insert(id, now);
        self.send(now, packet, out);
    }

    /// Removes subscriptions and sends UNSUBSCRIBE when connected.
    pub fn unsubscribe(&mut self, now: Instant, filters: Vec<String>, out: &mut Vec<Action>) {
        let filters: Vec<ByteString> = filters.into_iter().map(ByteString::from).collect();
        self.subscriptions.retain(|e| !filters.contains(&e.sub.filter));
        if self.phase != Phase::Connected || filters.is_empty() {
            let results = filters.iter().map(|f| (f.to_string(), Ok(()))).collect();
            out.push(Action::Emit(SessionEvent::Unsubscribed { results }));
            return;
        }
        let Some(id) = self.allocate_id() else { return };
        self.pending_unsubs.insert(id, filters.clone());
        self.requests_sent.insert(id, now);
        let packet = Packet::Unsubscribe(Unsubscribe { packet_id: id, properties: Properties::default(), filters });
        self.send(now, packet, out);
    }

    /// The user wants to leave: a normal DISCONNECT, and no reconnect afterwards.
    pub fn disconnect(&mut self, now: Instant, out: &mut Vec<Action>) {
        let was_connected = self.phase == Phase::Connected;
        self.phase = Phase::Closing;
        if was_connected {
            self.send(now, Packet::Disconnect(ReasonPacket::default()), out);
        }
    }

    /// The DISCONNECT to send when closing because of `err` (MQTT 5 only; 3.1.1 just closes).
    pub fn disconnect_for(&self, err: &SessionError) -> Option<Packet> {
        match err {
            SessionError::Protocol { reason_code, .. } if self.version.is_v5() => {
                Some(Packet::Disconnect(ReasonPacket { reason_code: *reason_code, properties: Properties::default() }))
            }
            SessionError::KeepAliveTimeout(_) if self.version.is_v5() => {
                Some(Packet::Disconnect(ReasonPacket { reason_code: 0x8D, properties: Properties::default() }))
            }
            _ => None,
        }
    }

    /// When `poll_timeout` wants to be called next.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitConnAck { since } => Some(since + self.cfg.connack_timeout),
            Phase::Connected => {
                let keepalive = (!self.keep_alive.is_zero()).then(|| match self.ping_sent {
                    Some(sent) => sent + self.keep_alive / 2,
                    None => self.last_sent.min(self.last_received) + self.keep_alive,
                });
                let request = self.oldest_request().map(|(_, sent)| sent + self.request_timeout());
                match (keepalive, request) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            _ => None,
        }
    }

    /// How long the broker may take to answer SUBSCRIBE or UNSUBSCRIBE: three times the CONNACK wait, as
    /// a subscription may make a broker send its whole retained store first.
    fn request_timeout(&self) -> Duration {
        self.cfg.connack_timeout.saturating_mul(3)
    }

    /// The SUBSCRIBE / UNSUBSCRIBE waiting longest for its answer: packet id and when it was sent.
    fn oldest_request(&self) -> Option<(u16, Instant)> {
        self.requests_sent.iter().map(|(&id, &sent)| (id, sent)).min_by_key(|&(id, sent)| (sent, id))
    }

    /// The error for a request nobody answered, naming its filters.
    fn request_timed_out(&self, id: u16) -> SessionError {
        let quoted = |f: &str| format!("'{}'", crate::sanitize::line(f));
        let (request, filters): (&'static str, Vec<String>) = match self.pending_subs.get(&id) {
            Some(subs) => ("SUBSCRIBE", subs.iter().map(|s| quoted(&s.filter)).collect()),
            None => ("UNSUBSCRIBE", self.pending_unsubs.get(&id).into_iter().flatten().map(|f| quoted(f)).collect()),
        };
        SessionError::RequestTimeout { request, subject: filters.join(", "), after: self.request_timeout() }
    }

    /// Subscriptions given at start that are not valid filters: reported as invalid and dropped, as
    /// `subscribe` does for later ones, instead of failing to encode the whole SUBSCRIBE.
    fn report_invalid_subscriptions(&mut self, out: &mut Vec<Action>) {
        let mut results = Vec::new();
        self.subscriptions.retain(|e| match topic::check_topic_filter(&e.sub.filter) {
            Ok(()) => true,
            Err(k) => {
                results.push((e.sub.filter.to_string(), SubscribeOutcome::Invalid(k.to_string())));
                false
            }
        });
        if !results.is_empty() {
            out.push(Action::Emit(SessionEvent::Subscribed { results, reason_string: None }));
        }
    }

    /// Keepalive (MQTT 5 §3.1.2.10): a PINGREQ once nothing was sent or nothing was received for a
    /// keepalive period; no PINGRESP within half a period ends the connection. A silent broker is thus
    /// noticed within 1.5 keepalive periods of its last packet.
    pub fn poll_timeout(&mut self, now: Instant, out: &mut Vec<Action>) -> Result<(), SessionError> {
        match self.phase {
            Phase::AwaitConnAck { since } if now >= since + self.cfg.connack_timeout => {
                Err(SessionError::ConnAckTimeout(self.cfg.connack_timeout))
            }
            Phase::Connected => {
                if let Some((id, sent)) = self.oldest_request()
                    && now >= sent + self.request_timeout()
                {
                    return Err(self.request_timed_out(id));
                }
                if self.keep_alive.is_zero() {
                    return Ok(());
                }
                if let Some(sent) = self.ping_sent {
                    if now >= sent + self.keep_alive / 2 {
                        return Err(SessionError::KeepAliveTimeout(self.keep_alive / 2));
                    }
                    return Ok(());
                }
                if now >= self.last_sent.min(self.last_received) + self.keep_alive {
                    self.send(now, Packet::PingReq, out);
                    self.ping_sent = Some(now);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn send(&mut self, now: Instant, packet: Packet, out: &mut Vec<Action>) {
        self.last_sent = now;
        out.push(Action::Send(packet));
    }

    /// The next free packet identifier (MQTT 5 §2.2.1), shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE.
    fn allocate_id(&mut self) -> Option<u16> {
        for _ in 0..u16::MAX {
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            let id = self.next_id;
            if !self.inflight.contains_key(&id)
                && !self.pending_subs.contains_key(&id)
                && !self.pending_unsubs.contains_key(&id)
            {
                return Some(id);
            }
        }
        None
    }

    /// A token for the next publish command that has none of its own.
    pub fn next_token(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// The content hash of the last QoS 1 message delivered under each packet id: a table indexed by the id
/// (512 KiB, made on the first QoS 1 message). Brokers hand out ids in sequence, so a flood walks it in
/// order, where a hash map missed the cache twice per message (a sixth of the time of a QoS 1 drain).
#[derive(Debug, Default)]
struct DeliveredQos1(Vec<Option<NonZeroU64>>);

impl DeliveredQos1 {
    /// Hashes are stored with their lowest bit set, so that none is zero.
    fn stored(hash: u64) -> NonZeroU64 {
        NonZeroU64::new(hash | 1).unwrap_or(NonZeroU64::MIN)
    }

    fn get(&self, id: u16) -> Option<u64> {
        self.0.get(usize::from(id)).copied().flatten().map(NonZeroU64::get)
    }

    fn insert(&mut self, id: u16, hash: u64) {
        if self.0.is_empty() {
            self.0 = vec![None; usize::from(u16::MAX) + 1];
        }
        if let Some(slot) = self.0.get_mut(usize::from(id)) {
            *slot = Some(Self::stored(hash));
        }
    }

    fn clear(&mut self) {
        self.0 = Vec::new();
    }
}

/// A fixed-key hash of a topic and payload: the same bytes give the same number in every run.
fn content_hash(topic: &str, payload: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    topic.hash(&mut h);
    payload.hash(&mut h);
    h.finish()
}

/// The error for a message no MQTT packet can carry (MQTT 5 §1.5.5, 3.1.1 §2.2.3).
fn too_large(remaining: usize) -> String {
    format!(
        "message too large: its packet would be {remaining} bytes after the fixed header; MQTT allows at most \
         {MAX_REMAINING_LENGTH} (the protocol's maximum remaining length)"
    )
}

fn upsert(list: &mut Vec<SubEntry>, sub: Subscription) {
    match list.iter_mut().find(|e| e.sub.filter == sub.filter) {
        Some(e) => *e = SubEntry { sub, confirmed: false },
        None => list.push(SubEntry { sub, confirmed: false }),
    }
}

/// The error for a refused CONNACK, with a hint and whether a retry can help. `credentials`: we sent a
/// user name or password, so "not authorized" most likely means they are wrong (mosquitto answers a wrong
/// password with 0x87 / return code 5, not 0x86 / 4).
fn refused(v: ProtocolVersion, ack: &ConnAck, credentials: bool) -> SessionError {
    let code = ack.reason_code;
    let mut reason = reason::name(PacketType::ConnAck, v, code).unwrap_or("unknown reason").to_string();
    if let Some(s) = ack.properties.reason_string() {
        reason.push_str(&format!(": {s}"));
    }
    if let Some(Property::ServerReference(s)) = ack.properties.get(PropertyId::ServerReference) {
        reason.push_str(&format!(" (server reference: {s})"));
    }
    let not_authorized = if credentials {
        "check --username and the password source; the broker may also not allow this user or client"
    } else {
        "the broker does not allow this client; it may want --username and a password"
    };
    let (auth, retry, hint) = if v.is_v5() {
        match code {
            0x86 => (true, false, Some("check --username and the password source")),
            0x87 => (true, false, Some(not_authorized)),
            0x8A => (true, false, Some("the broker bans this client")),
            0x8C => (true, false, Some("the broker wants another authentication method")),
            0x84 => (false, false, Some("try --mqtt 3.1.1")),
            0x85 => (false, false, Some("try another --client-id")),
            0x88 | 0x89 | 0x9F => (false, true, None),
            0x9C | 0x9D => (false, false, Some("the broker points to another server")),
            _ => (false, false, None),
        }
    } else {
        match code {
            4 => (true, false, Some("check --username and the password source")),
            5 => (true, false, Some(not_authorized)),
            1 => (false, false, Some("try --mqtt 3.1")),
            2 => (false, false, Some("try another --client-id")),
            3 => (false, true, None),
            _ => (false, false, None),
        }
    };
    SessionError::Refused { code, reason, hint, retry, auth }
}
