//! The MQTT session: a pure state machine (`state`) driven over a transport by a thin tokio task
//! (`task`). The app and the headless commands talk to it through two bounded channels: `Command` in,
//! `SessionEvent` out.

pub mod backoff;
pub mod handoff;
pub mod snapshot;
pub mod state;
pub mod task;

pub use backoff::Backoff;
pub use handoff::{EventSender, Events};
pub use state::{Action, Session, SessionConfig, SessionError};
pub use task::{ReconnectPolicy, SessionHandle, TaskOptions, spawn};

use crate::codec::{ByteString, Bytes, Properties, ProtocolVersion, QoS, Subscription};
use std::time::{Duration, SystemTime};

/// A message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPublish {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 only; dropped on 3.1.1.
    pub properties: Properties,
}

/// What the app asks of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `token` comes back in `SessionEvent::Published`.
    Publish {
        token: u64,
        publish: OutgoingPublish,
    },
    Subscribe(Vec<Subscription>),
    Unsubscribe(Vec<String>),
    /// Leave cleanly: DISCONNECT, close, end the task.
    Disconnect,
}

/// A message received from the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// With topic aliases already resolved.
    pub topic: ByteString,
    /// A slice of the read buffer: copy it (`Bytes::copy_from_slice`) before keeping it for long, or
    /// the whole read chunk stays alive.
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub dup: bool,
    pub packet_id: Option<u16>,
    /// All PUBLISH properties (MQTT 5), in wire order.
    pub properties: Properties,
    /// When the task took it off the wire.
    pub received_at: SystemTime,
}

/// The broker's side of a successful CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub version: ProtocolVersion,
    pub session_present: bool,
    /// Ours, or the one the broker assigned.
    pub client_id: String,
    /// Ours, or the broker's Server Keep Alive.
    pub keep_alive: u16,
    pub receive_maximum: u16,
    pub maximum_qos: QoS,
    pub retain_available: bool,
    pub max_packet_size: Option<u32>,
    pub topic_alias_maximum: u16,
    pub wildcard_available: bool,
    pub subscription_ids_available: bool,
    pub shared_available: bool,
    pub reason_string: Option<String>,
    pub response_information: Option<String>,
    pub server_reference: Option<String>,
    pub user_properties: Vec<(String, String)>,
}

impl ConnectionInfo {
    /// What a CONNACK without properties means (MQTT 5 §3.2.2.3 defaults): the broker takes our
    /// client id and keepalive and sets no limits.
    pub fn defaults(version: ProtocolVersion, session_present: bool, client_id: String, keep_alive: u16) -> Self {
        Self {
            version,
            session_present,
            client_id,
            keep_alive,
            receive_maximum: 65_535,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            max_packet_size: None,
            topic_alias_maximum: 0,
            wildcard_available: true,
            subscription_ids_available: true,
            shared_available: true,
            reason_string: None,
            response_information: None,
            server_reference: None,
            user_properties: Vec::new(),
        }
    }
}

/// The broker's answer for one filter of a SUBSCRIBE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeOutcome {
    Granted(QoS),
    Refused {
        code: u8,
        reason: String,
    },
    /// Not sent: the filter breaks the rules.
    Invalid(String),
}

/// What the session reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    Connecting {
        url: String,
        attempt: u32,
        version: ProtocolVersion,
    },
    Connected(Box<ConnectionInfo>),
    /// One received message. The task batches these into `Messages`.
    Message(Message),
    /// Messages in arrival order, from one read of the transport.
    Messages(Vec<Message>),
    /// A publish command finished: for QoS 0 once written, for QoS 1/2 once acknowledged. `Ok` carries
    /// the reason code (0, or MQTT 5 0x10 "no matching subscribers").
    Published {
        token: u64,
        packet_id: Option<u16>,
        result: Result<u8, String>,
    },
    Subscribed {
        results: Vec<(String, SubscribeOutcome)>,
        reason_string: Option<String>,
    },
    Unsubscribed {
        results: Vec<(String, Result<(), String>)>,
    },
    /// A PINGRESP came back after this round trip.
    Pong {
        rtt: Duration,
    },
    /// Something odd that did not end the connection.
    Warning(String),
    /// The broker sent a message on a topic that matches none of this session's subscriptions (a broker
    /// bug, or a subscription an earlier session of this client id left behind). It is acknowledged and
    /// not delivered. Reported for the first few and then every thousandth; `total` counts them all.
    Stray {
        topic: String,
        total: u64,
    },
    /// Worth knowing and not a problem: the broker took another protocol version than the one asked.
    Notice(String),
    /// The connection ended. `reconnect_in` is `None` when the session stops for good.
    Disconnected {
        reason: String,
        reconnect_in: Option<Duration>,
        fatal: Option<FatalKind>,
    },
    /// A `-d/--debug` line: connection steps and every packet, as `mqscope decode` prints it.
    Trace(String),
    /// Not from a broker: a replay's player moved on, or starts the file over (`mqscope replay`).
    Replay(crate::record::player::ReplayEvent),
}

/// The notice for `SessionEvent::Stray`, with the topic sanitised.
pub fn stray_notice(topic: &str, total: u64) -> String {
    let more = if total > 1 { format!(" ({total} so far)") } else { String::new() };
    format!("ignored a message on '{}': it matches none of the subscriptions{more}", crate::sanitize::line(topic))
}

/// Why a session stopped for good, so commands can pick an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    Connect,
    Auth,
    Protocol,
    Timeout,
    /// The user asked to disconnect.
    Requested,
}

#[cfg(test)]
mod tests;
