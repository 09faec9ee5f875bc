//! The clients of a run: each one a full session (codec, QoS flows, in-flight window) driven by a
//! small loop that publishes on the schedule or counts what arrives. They report into the shared
//! [`Stats`] and follow the run's [`Phase`].

use super::payload::{Body, Pattern};
use super::schedule::{Lag, Schedule};
use super::stamp::{self, Stamp};
use super::stats::Stats;
use crate::codec::QoS;
use crate::headless::conn::exit_code;
use crate::session::{self, Command, OutgoingPublish, SessionEvent, SessionHandle, SubscribeOutcome, TaskOptions};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep_until};

/// Publishes handed to the session and not yet reported, per client: enough to keep the connection
/// busy, few enough that stopping is quick.
const WINDOW: u64 = 1_000;
/// How long a client waits for its session to end after asking it to disconnect.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Where the run is; clients watch it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// Connect and subscribe, then wait.
    Prepare,
    /// Publish: message `i` is due at `start + i / rate`; `wall` is `start` on the system clock.
    Go { start: Instant, wall: SystemTime },
    /// Stop publishing, wait for what is outstanding until `drain_until`.
    Stop { drain_until: Instant },
    /// Leave now.
    Quit,
}

/// A client's word to the runner once it is connected (and subscribed), or could not be.
#[derive(Debug)]
pub enum Ready {
    Ok { node: usize },
    Failed { node: usize, reason: String, code: u8 },
}

pub fn lock(stats: &Mutex<Stats>) -> MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one publisher does.
#[derive(Debug, Clone)]
pub struct PublisherSpec {
    pub run: u32,
    pub client: u32,
    pub topic: Pattern,
    pub body: Arc<Body>,
    pub qos: QoS,
    pub retain: bool,
    pub schedule: Schedule,
    pub count: Option<u64>,
    /// The node it connects to (index into the run's nodes).
    pub node: usize,
}

/// How a publisher ended: what it sent and how late.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublisherEnd {
    pub client: u32,
    pub sent: u64,
    pub lag: Lag,
}

/// Waits for the session's CONNACK; `Err` says why it never came, with an exit code.
async fn connected(handle: &mut SessionHandle, stats: &Mutex<Stats>, node: usize) -> Result<(), (String, u8)> {
    while let Some(ev) = handle.events.recv().await {
        match ev {
            SessionEvent::Connected(_) => {
                lock(stats).connection(node, true);
                return Ok(());
            }
            SessionEvent::Disconnected { reason, fatal, .. } => {
                let code = fatal.map_or(crate::exit::FAILURE, exit_code);
                return Err((crate::sanitize::line(&reason).into_owned(), code));
            }
            _ => {}
        }
    }
    Err(("the session ended before connecting".to_owned(), crate::exit::FAILURE))
}

/// A failure after connecting, counted by reason.
fn lost_connection(stats: &Mutex<Stats>, node: usize, reason: &str) {
    let mut s = lock(stats);
    s.connection(node, false);
    s.error_at(node, format!("disconnected: {}", crate::sanitize::line(reason)));
}

async fn close(mut handle: SessionHandle, stats: &Mutex<Stats>, node: usize, was_connected: bool) {
    let _ = handle.commands.try_send(Command::Disconnect);
    let _ = tokio::time::timeout(CLOSE_WAIT, async { while handle.events.recv().await.is_some() {} }).await;
    handle.task.abort();
    if was_connected {
        lock(stats).connection(node, false);
    }
}

async fn wait_for_go(phase: &mut watch::Receiver<Phase>) -> Option<(Instant, SystemTime)> {
    loop {
        match *phase.borrow_and_update() {
            Phase::Go { start, wall } => return Some((start, wall)),
            Phase::Stop { .. } | Phase::Quit => return None,
            Phase::Prepare => {}
        }
        phase.changed().await.ok()?;
    }
}

pub async fn publisher(
    spec: PublisherSpec,
    opts: TaskOptions,
    stats: Arc<Mutex<Stats>>,
    mut phase: watch::Receiver<Phase>,
    ready: mpsc::Sender<Ready>,
) -> PublisherEnd {
    let mut end = PublisherEnd { client: spec.client, ..PublisherEnd::default() };
    let node = spec.node;
    let mut handle = session::spawn(opts);
    if let Err((reason, code)) = connected(&mut handle, &stats, node).await {
        let _ = ready.send(Ready::Failed { node, reason, code }).await;
        handle.task.abort();
        return end;
    }
    let _ = ready.send(Ready::Ok { node }).await;
    let mut still_connected = true;
    if let Some((start, wall)) = wait_for_go(&mut phase).await {
        still_connected = publish_loop(&spec, &mut handle, &stats, &mut phase, start, wall, &mut end).await;
    }
    close(handle, &stats, node, still_connected).await;
    end
}

/// Publishes until the phase says stop, then waits for outstanding acks. Returns whether the
/// connection is still up.
async fn publish_loop(
    spec: &PublisherSpec,
    handle: &mut SessionHandle,
    stats: &Mutex<Stats>,
    phase: &mut watch::Receiver<Phase>,
    start: Instant,
    wall: SystemTime,
    end: &mut PublisherEnd,
) -> bool {
    let topic_fixed = (!spec.topic.has_sequence()).then(|| spec.topic.expand(u64::from(spec.client), 0));
    let mut pending: Option<(OutgoingPublish, Option<Instant>)> = None;
    let (mut sent, mut done) = (0u64, 0u64);
    let mut generating = true;
    let mut drain_until: Option<Instant> = None;
    let far = start + Duration::from_secs(86_400 * 365);
    loop {
        if spec.count.is_some_and(|c| sent >= c) && pending.is_none() {
            generating = false;
        }
        if !generating && pending.is_none() && done >= sent {
            break;
        }
        let due = spec.schedule.due(sent).map(|d| start + d);
        let may_make = generating && pending.is_none() && sent - done < WINDOW;
        tokio::select! {
            biased;
            ev = handle.events.recv() => match ev {
                Some(SessionEvent::Published { result, .. }) => {
                    done += 1;
                    let refused = result.err().map(|why| format!("publish refused: {}", crate::sanitize::line(&why)));
                    lock(stats).published(spec.node, refused);
                }
                Some(SessionEvent::Disconnected { reason, .. }) => {
                    lost_connection(stats, spec.node, &reason);
                    end.sent = sent;
                    return false;
                }
                Some(_) => {}
                None => {
                    lost_connection(stats, spec.node, "the session ended");
                    end.sent = sent;
                    return false;
                }
            },
            changed = phase.changed() => {
                match changed.map(|()| *phase.borrow_and_update()) {
                    Ok(Phase::Stop { drain_until: d }) => { generating = false; drain_until = Some(d); }
                    Ok(Phase::Quit) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            _ = sleep_until(drain_until.unwrap_or(far)), if drain_until.is_some() => break,
            permit = handle.commands.reserve(), if pending.is_some() => {
                let Ok(permit) = permit else { break };
                let Some((publish, due)) = pending.take() else { continue };
                if let Some(due) = due {
                    end.lag.note(Instant::now().saturating_duration_since(due));
                }
                lock(stats).sent(spec.node, publish.payload.len() as u64);
                sent += 1;
                permit.send(Command::Publish { token: sent, publish });
            }
            () = sleep_until(due.unwrap_or(start)), if may_make => {
                let scheduled = match due {
                    Some(d) => wall + (d - start),
                    None => SystemTime::now(),
                };
                let s = Stamp { run: spec.run, client: spec.client, seq: sent, scheduled_ns: stamp::epoch_ns(scheduled) };
                let topic = match &topic_fixed {
                    Some(t) => t.clone(),
                    None => spec.topic.expand(u64::from(spec.client), sent),
                };
                let publish = OutgoingPublish {
                    topic,
                    payload: spec.body.build(&s),
                    qos: spec.qos,
                    retain: spec.retain,
                    properties: crate::codec::Properties::default(),
                };
                pending = Some((publish, due));
            }
        }
    }
    end.sent = sent;
    if sent > done {
        lock(stats).error_n(spec.node, "publishes not acknowledged when the drain time ran out", sent - done);
    }
    true
}

/// Counts everything that arrives on the client's subscriptions (set in `opts`) into `slot`; the
/// client connects to `node`.
pub async fn subscriber(
    slot: u32,
    node: usize,
    opts: TaskOptions,
    stats: Arc<Mutex<Stats>>,
    mut phase: watch::Receiver<Phase>,
    ready: mpsc::Sender<Ready>,
) {
    let mut handle = session::spawn(opts);
    if let Err((reason, code)) = connected(&mut handle, &stats, node).await {
        let _ = ready.send(Ready::Failed { node, reason, code }).await;
        handle.task.abort();
        return;
    }
    let mut subscribed = false;
    let mut still_connected = true;
    loop {
        tokio::select! {
            ev = handle.events.recv() => match ev {
                Some(SessionEvent::Messages(batch)) => {
                    let mut s = lock(&stats);
                    for m in &batch {
                        s.received(slot, node, &m.payload, m.received_at);
                    }
                }
                Some(SessionEvent::Message(m)) => lock(&stats).received(slot, node, &m.payload, m.received_at),
                Some(SessionEvent::Subscribed { results, .. }) if !subscribed => {
                    subscribed = true;
                    let refused: Vec<String> = results
                        .iter()
                        .filter_map(|(f, o)| match o {
                            SubscribeOutcome::Granted(_) => None,
                            SubscribeOutcome::Refused { reason, .. } | SubscribeOutcome::Invalid(reason) => {
                                Some(format!("subscription to '{}' refused: {}", crate::sanitize::line(f), crate::sanitize::line(reason)))
                            }
                        })
                        .collect();
                    let answer = if refused.is_empty() {
                        Ready::Ok { node }
                    } else {
                        Ready::Failed { node, reason: refused.join("; "), code: crate::exit::FAILURE }
                    };
                    let _ = ready.send(answer).await;
                }
                Some(SessionEvent::Disconnected { reason, fatal, .. }) => {
                    lost_connection(&stats, node, &reason);
                    still_connected = false;
                    if !subscribed {
                        let code = fatal.map_or(crate::exit::FAILURE, exit_code);
                        let _ = ready.send(Ready::Failed { node, reason: crate::sanitize::line(&reason).into_owned(), code }).await;
                    }
                    break;
                }
                Some(_) => {}
                None => break,
            },
            changed = phase.changed() => {
                if changed.is_err() || *phase.borrow_and_update() == Phase::Quit {
                    break;
                }
            }
        }
    }
    close(handle, &stats, node, still_connected).await;
}
