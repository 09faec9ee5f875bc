//! The tokio task that drives a `Session` over a `Transport`: read, decode, hand packets to the state
//! machine, perform its actions; take commands; keep time; reconnect with backoff. All protocol
//! decisions live in `state.rs`; this file only moves bytes and events.

use super::backoff::{Backoff, jitter};
use super::handoff::{self, EventSender, Events, HAND_OFF_BYTES};
use super::state::{Action, Session, SessionConfig, SessionError};
use super::{Command, FatalKind, Message, SessionEvent};
use crate::codec::{Decoder, ErrorKind, Packet, ProtocolVersion, encode};
use crate::inspect::packet_json;
use crate::transport::{BrokerUrl, DebugEvent, Transport, TransportError, TransportOptions, sniff};
use bytes::{Bytes, BytesMut};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// At most this many queued commands go out in one write.
const COMMANDS_PER_WRITE: usize = 256;
use tokio::task::JoinHandle;
use tokio::time::sleep_until;

/// How long a connection must last before the reconnect backoff starts again from its minimum.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(30);

/// When and how to reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectPolicy {
    pub enabled: bool,
    /// Retry even when the very first connection attempt fails (the TUI does; scripts want an exit).
    pub retry_first_connect: bool,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// A broken protocol after CONNACK (a malformed packet, a protocol violation) ends the session for
    /// good (headless commands: exit 5) instead of reconnecting to a broker that will do it again.
    pub protocol_errors_fatal: bool,
    /// A connection that lasted this long was healthy: the next failure starts the backoff from
    /// `min_delay` again. Shorter ones keep it growing.
    pub healthy_after: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            retry_first_connect: false,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            protocol_errors_fatal: false,
            healthy_after: HEALTHY_AFTER,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TaskOptions {
    pub transport: TransportOptions,
    pub session: SessionConfig,
    pub reconnect: ReconnectPolicy,
    /// Emit `SessionEvent::Trace` for connection steps and every packet.
    pub debug: bool,
    /// Capacity of each channel (events are batched, so this counts reads, not messages).
    pub channel_capacity: usize,
    /// Bytes of received messages that may wait for the consumer (see `handoff`).
    pub hand_off_bytes: usize,
    /// After a read that found less than [`PACED_BELOW`] bytes waiting, leave the socket for this long
    /// before reading again, so a steady stream is taken in one read per pause instead of one per few
    /// packets (each read is a wake-up, a poll and a `recv`; the kernel's buffer holds the rest). A
    /// backlog is still read back to back. For the dashboard, whose frames are tens of milliseconds
    /// apart anyway; `None` (headless commands) reads as soon as anything arrives.
    pub read_pace: Option<Duration>,
}

/// A read of at least this many bytes means a backlog: read again at once, whatever `read_pace` says.
pub const PACED_BELOW: usize = 16 * 1024;

impl TaskOptions {
    pub fn new(transport: TransportOptions, session: SessionConfig) -> Self {
        Self {
            transport,
            session,
            reconnect: ReconnectPolicy::default(),
            debug: false,
            channel_capacity: 256,
            hand_off_bytes: HAND_OFF_BYTES,
            read_pace: None,
        }
    }
}

/// The app's ends of the two channels, and the task.
#[derive(Debug)]
pub struct SessionHandle {
    pub commands: mpsc::Sender<Command>,
    pub events: Events,
    pub task: JoinHandle<()>,
}

/// Starts the session task on the current tokio runtime.
pub fn spawn(opts: TaskOptions) -> SessionHandle {
    let (cmd_tx, cmd_rx) = mpsc::channel(opts.channel_capacity.max(1));
    let (ev_tx, ev_rx) = handoff::channel(opts.channel_capacity, opts.hand_off_bytes);
    let task = tokio::spawn(run(opts, cmd_rx, ev_tx));
    SessionHandle { commands: cmd_tx, events: ev_rx, task }
}

/// Why one connection ended.
enum End {
    Requested,
    Session(SessionError),
    Transport(TransportError),
    /// The broker broke the protocol (a packet that does not decode).
    Protocol(String),
    /// The broker closed the connection.
    Closed(String),
    /// The receiving side of the events channel is gone: nobody is listening.
    AppGone,
}

struct Ctx {
    session: Session,
    cmd_rx: mpsc::Receiver<Command>,
    ev_tx: EventSender,
    debug: bool,
    read_pace: Option<Duration>,
    out: Vec<Action>,
    wbuf: BytesMut,
    ever_connected: bool,
    /// When the current connection got its CONNACK.
    connected_at: Option<Instant>,
}

async fn run(opts: TaskOptions, cmd_rx: mpsc::Receiver<Command>, ev_tx: EventSender) {
    let session = Session::new(opts.session.clone(), Instant::now());
    let mut cx = Ctx {
        session,
        cmd_rx,
        ev_tx,
        debug: opts.debug,
        read_pace: opts.read_pace,
        out: Vec::new(),
        wbuf: BytesMut::new(),
        ever_connected: false,
        connected_at: None,
    };
    let policy = opts.reconnect;
    let mut backoff = Backoff::new(policy.min_delay, policy.max_delay);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let version = cx.session.version();
        if !cx
            .emit(SessionEvent::Connecting { url: crate::transport::shown_url(&opts.transport.url), attempt, version })
            .await
        {
            return;
        }
        let mut traces = Vec::new();
        let debug = cx.debug;
        let connected = Transport::connect(&opts.transport, &mut |e: DebugEvent| {
            if debug {
                traces.push(e.to_string());
            }
        })
        .await;
        for t in traces {
            cx.emit(SessionEvent::Trace(t)).await;
        }
        let end = match connected {
            Ok(mut transport) => {
                let end = cx.drive(&mut transport, opts.session.max_packet_size as usize).await;
                transport.close().await;
                end
            }
            Err(e) => End::Transport(e),
        };
        backoff.connection_ended(cx.connected_at.take().map(|t| t.elapsed()), policy.healthy_after);
        let before_connack = cx.session.is_awaiting_connack();
        let lost = cx.session.connection_lost();
        // Closed without a word on every version we may try: most often the wrong scheme for the port.
        let end = match end {
            End::Closed(_) | End::Transport(TransportError::Io(_)) if before_connack && lost.is_none() => {
                match BrokerUrl::parse(&opts.transport.url).ok().as_ref().and_then(sniff::closed_before_connack) {
                    Some(e) => End::Transport(e),
                    None => end,
                }
            }
            other => other,
        };
        let (reason, fatal, retryable) = match end {
            End::Requested => {
                let ev = SessionEvent::Disconnected {
                    reason: "disconnected".into(),
                    reconnect_in: None,
                    fatal: Some(FatalKind::Requested),
                };
                cx.emit(ev).await;
                return;
            }
            End::AppGone => return,
            // A fallback is the same attempt in another version, not a reconnect.
            End::Session(SessionError::Fallback { from, to }) => {
                let text = format!(
                    "the broker does not accept MQTT {from}; using MQTT {to} (--mqtt {to} skips the {from} attempt)"
                );
                cx.emit(SessionEvent::Notice(text)).await;
                attempt -= 1;
                continue;
            }
            _ if lost.is_some() => {
                let to = cx.session.version();
                let skip = format!("using MQTT {to} (--mqtt {to} skips the 5.0 attempt)");
                let text = match &end {
                    End::Session(SessionError::ConnAckTimeout(d)) => {
                        format!("no CONNACK within {d:?} on MQTT 5.0; {skip}")
                    }
                    _ => format!("the broker closed the connection before CONNACK on MQTT 5.0; {skip}"),
                };
                cx.emit(SessionEvent::Notice(text)).await;
                attempt -= 1;
                continue;
            }
            End::Session(e) => {
                let kind = match &e {
                    SessionError::Refused { auth: true, .. } => FatalKind::Auth,
                    SessionError::Refused { .. } => FatalKind::Connect,
                    SessionError::KeepAliveTimeout(_)
                    | SessionError::ConnAckTimeout(_)
                    | SessionError::RequestTimeout { .. } => FatalKind::Timeout,
                    _ => FatalKind::Protocol,
                };
                // A broker that ignored a SUBSCRIBE will ignore it again after a reconnect.
                let broken = matches!(e, SessionError::Protocol { .. } | SessionError::RequestTimeout { .. });
                let retry = e.may_retry() && !(broken && policy.protocol_errors_fatal);
                (e.to_string(), kind, retry)
            }
            End::Transport(e) => {
                let kind = match e {
                    TransportError::ConnectTimeout { .. } | TransportError::HandshakeTimeout { .. } => {
                        FatalKind::Timeout
                    }
                    _ => FatalKind::Connect,
                };
                let retry = e.is_transient() || cx.ever_connected;
                (e.to_string(), kind, retry)
            }
            End::Protocol(why) => (why, FatalKind::Protocol, !policy.protocol_errors_fatal),
            End::Closed(why) => (why, FatalKind::Connect, true),
        };
        let may_reconnect = policy.enabled
            && retryable
            && (cx.ever_connected || policy.retry_first_connect)
            && !cx.session.is_closing();
        if !may_reconnect {
            cx.emit(SessionEvent::Disconnected { reason, reconnect_in: None, fatal: Some(fatal) }).await;
            return;
        }
        let delay = backoff.next_delay(jitter());
        cx.emit(SessionEvent::Disconnected { reason, reconnect_in: Some(delay), fatal: None }).await;
        if !cx.wait(delay).await {
            cx.emit(SessionEvent::Disconnected {
                reason: "disconnected".into(),
                reconnect_in: None,
                fatal: Some(FatalKind::Requested),
            })
            .await;
            return;
        }
    }
}

impl Ctx {
    /// Sends an event; false when nobody listens any more.
    async fn emit(&mut self, ev: SessionEvent) -> bool {
        self.ev_tx.send(ev).await.is_ok()
    }

    /// Waits out a reconnect delay while still taking commands. False when told to stop.
    async fn wait(&mut self, delay: Duration) -> bool {
        let until = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                cmd = self.cmd_rx.recv() => {
                    let Some(cmd) = cmd else { return false };
                    if cmd == Command::Disconnect {
                        return false;
                    }
                    self.apply(cmd);
                    // Nothing is connected: only events can come out (errors, queued notices).
                    if self.flush(None).await.is_err() {
                        return false;
                    }
                }
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        let now = Instant::now();
        let out = &mut self.out;
        match cmd {
            Command::Publish { token, publish } => self.session.publish(now, token, publish, out),
            Command::Subscribe(subs) => self.session.subscribe(now, subs, out),
            Command::Unsubscribe(filters) => self.session.unsubscribe(now, filters, out),
            Command::Disconnect => self.session.disconnect(now, out),
        }
    }

    /// One connection, from CONNECT to its end.
    async fn drive(&mut self, t: &mut Transport, max_packet_size: usize) -> End {
        let version = self.session.version();
        let mut decoder = Decoder::new(version).with_max_packet_size(max_packet_size);
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let connect = self.session.connect(Instant::now());
        self.out.push(Action::Send(connect));
        if let Err(end) = self.flush(Some(t)).await {
            return end;
        }
        // While set, the socket is left alone until then (`read_pace`); commands and timers go on.
        let mut paused_until: Option<tokio::time::Instant> = None;
        loop {
            let deadline = self.session.next_deadline().map(tokio::time::Instant::from_std);
            tokio::select! {
                read = t.read(&mut buf), if paused_until.is_none() => {
                    let n = match read {
                        Ok(0) => {
                            let why = match t.close_info() {
                                Some(c) => format!("broker closed the WebSocket ({} {})", c.code, c.reason),
                                None => "broker closed the connection".to_string(),
                            };
                            return End::Closed(why);
                        }
                        Ok(n) => n,
                        Err(e) => return End::Transport(e),
                    };
                    let now = Instant::now();
                    loop {
                        match decoder.decode(&mut buf) {
                            Ok(Some(packet)) => {
                                if self.debug {
                                    self.trace("<", &packet, version);
                                }
                                if let Err(e) = self.session.handle_packet(now, packet, &mut self.out) {
                                    return self.fail(t, e).await;
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                // An HTTP or TLS answer to CONNECT: the URL is of the wrong kind for the port.
                                if self.session.is_awaiting_connack()
                                    && let Some(wrong) = sniff::foreign_reply(t.url(), &buf)
                                {
                                    self.session.decode_failed(true);
                                    return End::Transport(wrong);
                                }
                                let too_large = matches!(e.kind, ErrorKind::PacketTooLarge { .. });
                                if let Some(fallback) = self.session.decode_failed(too_large) {
                                    return End::Session(fallback);
                                }
                                let _ = self.flush(Some(t)).await;
                                let hint = if too_large { " (raise --max-packet-size)" } else { "" };
                                return End::Protocol(format!("{e}{hint}"));
                            }
                        }
                    }
                    if let Err(end) = self.flush(Some(t)).await {
                        return end;
                    }
                    if let Some(pace) = self.read_pace
                        && n < PACED_BELOW
                        && !self.session.is_awaiting_connack()
                    {
                        paused_until = Some(tokio::time::Instant::now() + pace);
                    }
                }
                _ = sleep_until(paused_until.unwrap_or_else(far_future)), if paused_until.is_some() => {
                    paused_until = None;
                }
                cmd = self.cmd_rx.recv() => {
                    let Some(cmd) = cmd else {
                        self.session.disconnect(Instant::now(), &mut self.out);
                        let _ = self.flush(Some(t)).await;
                        return End::AppGone;
                    };
                    // Commands queued behind it leave in the same write (one WebSocket message): a
                    // publisher's flood costs a write per batch, not one per message.
                    let mut stop = false;
                    let mut next = Some(cmd);
                    let mut applied = 0;
                    while let Some(cmd) = next.take() {
                        stop = cmd == Command::Disconnect;
                        self.apply(cmd);
                        applied += 1;
                        if stop || applied == COMMANDS_PER_WRITE {
                            break;
                        }
                        next = self.cmd_rx.try_recv().ok();
                    }
                    if let Err(end) = self.flush(Some(t)).await {
                        return end;
                    }
                    if stop {
                        return End::Requested;
                    }
                }
                _ = sleep_until(deadline.unwrap_or_else(far_future)), if deadline.is_some() => {
                    if let Err(e) = self.session.poll_timeout(Instant::now(), &mut self.out) {
                        return self.fail(t, e).await;
                    }
                    if let Err(end) = self.flush(Some(t)).await {
                        return end;
                    }
                }
            }
        }
    }

    /// Performs what was produced so far, then tells a v5 broker why we are closing.
    async fn fail(&mut self, t: &mut Transport, e: SessionError) -> End {
        let _ = self.flush(Some(t)).await;
        if let Some(packet) = self.session.disconnect_for(&e) {
            self.out.push(Action::Send(packet));
            let _ = self.flush(Some(t)).await;
        }
        End::Session(e)
    }

    fn trace(&mut self, dir: &str, packet: &Packet, version: ProtocolVersion) {
        let line = format!("{dir} {}", packet_json(packet, version));
        // Traces go out with the next flush, in order with everything else.
        self.out.push(Action::Emit(SessionEvent::Trace(line)));
    }

    /// Performs the pending actions: first every event (messages batched, in order), then every packet
    /// in one write. Acks therefore leave only after their messages were handed over.
    async fn flush(&mut self, t: Option<&mut Transport>) -> Result<(), End> {
        if self.out.is_empty() {
            return Ok(());
        }
        let version = self.session.version();
        let mut packets: Vec<Bytes> = Vec::new();
        let mut batch: Vec<Message> = Vec::new();
        let received_at = SystemTime::now();
        let actions = std::mem::take(&mut self.out);
        let mut traces = Vec::new();
        for action in actions {
            match action {
                Action::Emit(SessionEvent::Message(mut m)) => {
                    m.received_at = received_at;
                    batch.push(m);
                }
                Action::Emit(ev) => {
                    if let SessionEvent::Connected(_) = ev {
                        self.ever_connected = true;
                        self.connected_at = Some(Instant::now());
                    }
                    if !batch.is_empty() && !self.emit(SessionEvent::Messages(std::mem::take(&mut batch))).await {
                        return Err(End::AppGone);
                    }
                    if !self.emit(ev).await {
                        return Err(End::AppGone);
                    }
                }
                Action::Send(packet) => {
                    if self.debug {
                        traces.push(format!("> {}", packet_json(&packet, version)));
                    }
                    if let Err(e) = encode(&packet, version, &mut self.wbuf) {
                        // Commands are checked before they get here; this is a bug, not the user's input.
                        let why = format!("cannot encode {}: {e}", packet.packet_type());
                        if !self.emit(SessionEvent::Warning(why)).await {
                            return Err(End::AppGone);
                        }
                        continue;
                    }
                    packets.push(self.wbuf.split().freeze());
                }
            }
        }
        if !batch.is_empty() && !self.emit(SessionEvent::Messages(batch)).await {
            return Err(End::AppGone);
        }
        for line in traces {
            if !self.emit(SessionEvent::Trace(line)).await {
                return Err(End::AppGone);
            }
        }
        match t {
            Some(t) if !packets.is_empty() => t.send_batch(packets).await.map_err(End::Transport),
            _ => Ok(()),
        }
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}
