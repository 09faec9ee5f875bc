//! The publishing loop shared by `pub` and `replay --to`: take messages from a source, hand them to the
//! session, count acknowledgements and failures, and give up when nothing moves.
//!
//! Reading the source, handing a message over and taking session events are separate arms of one
//! `select!`: a full command channel never stops us from draining events (the session may itself be
//! waiting for us to take one), and the no-progress timer always runs.

use super::conn::disconnected;
use super::sub::report;
use crate::exit;
use crate::session::{Command, OutgoingPublish, SessionEvent, SessionHandle};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// Messages handed to the session and not yet reported before we stop taking more from the source.
const MAX_OUTSTANDING: u64 = 10_000;

/// What a source gives next.
pub(crate) enum Next {
    Message(OutgoingPublish),
    /// This item cannot be published (said why); it counts as failed and the source goes on.
    Skip(String),
    /// The source broke (said why); nothing more is read and the command fails.
    Fail(String),
    End,
}

/// Where messages come from. `next` must be cancel-safe: it runs as one arm of a `select!`.
pub(crate) trait Source {
    async fn next(&mut self) -> Next;
    /// How to name the message with this token in an error ("line 7", "record 12").
    fn name(&self, token: u64) -> String;
}

/// What happened to the messages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Handed to the session.
    pub sent: u64,
    /// Reported done: acknowledged (QoS 1/2) or written (QoS 0), or failed.
    pub done: u64,
    /// Not delivered: refused, too large, or skipped by the source.
    pub failed: u64,
}

impl Tally {
    pub fn delivered(&self) -> u64 {
        self.done.saturating_sub(self.failed).min(self.sent)
    }
}

/// Publishes everything `source` gives; returns the exit code and the counts. Gives up with exit 6
/// when no message was acknowledged for `ack_timeout` while some wait (reconnects do not count as
/// progress: a broker that drops us every time would otherwise keep us forever).
pub(crate) async fn publish_all(
    handle: &mut SessionHandle,
    source: &mut impl Source,
    ack_timeout: Duration,
    debug: bool,
) -> (u8, Tally) {
    let mut t = Tally::default();
    let mut pending: Option<OutgoingPublish> = None;
    let (mut input_done, mut input_failed, mut connected_once) = (false, false, false);
    let mut progress = Instant::now() + ack_timeout;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut session_gone = false;
    let code = loop {
        if input_done && pending.is_none() && t.done == t.sent {
            break if t.failed > 0 {
                exit::PROTOCOL
            } else if input_failed {
                exit::FAILURE
            } else {
                exit::OK
            };
        }
        let waiting = pending.is_some() || t.sent > t.done;
        tokio::select! {
            next = source.next(), if pending.is_none() && !input_done && t.sent - t.done < MAX_OUTSTANDING => {
                match next {
                    Next::Message(p) => pending = Some(p),
                    Next::Skip(why) => {
                        crate::report!("mqscope: {why}");
                        t.failed += 1;
                    }
                    Next::Fail(why) => {
                        crate::report!("mqscope: {why}");
                        input_done = true;
                        input_failed = true;
                    }
                    Next::End => input_done = true,
                }
            }
            permit = handle.commands.reserve(), if pending.is_some() => {
                let Ok(permit) = permit else {
                    session_gone = true;
                    break exit::FAILURE;
                };
                let Some(publish) = pending.take() else { continue };
                if t.sent == t.done {
                    progress = Instant::now() + ack_timeout;
                }
                t.sent += 1;
                permit.send(Command::Publish { token: t.sent, publish });
            }
            ev = handle.events.recv() => {
                let Some(ev) = ev else {
                    crate::report!("mqscope: the connection ended before every message was sent");
                    break exit::FAILURE;
                };
                match ev {
                    SessionEvent::Published { token, result, .. } => {
                        t.done += 1;
                        progress = Instant::now() + ack_timeout;
                        if let Err(why) = result {
                            t.failed += 1;
                            crate::report!("mqscope: {} was not delivered: {why}", source.name(token));
                        }
                    }
                    SessionEvent::Connected(_) if !connected_once => {
                        // Connecting has its own timeouts; the wait for acks starts here.
                        connected_once = true;
                        progress = Instant::now() + ack_timeout;
                        report(&ev, debug);
                    }
                    SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                        if let Err(code) = disconnected(&reason, reconnect_in, fatal) {
                            // Stopping with messages unacknowledged is a failure, whatever the reason.
                            break code.max(exit::FAILURE);
                        }
                    }
                    other => report(&other, debug),
                }
            }
            _ = sleep_until(progress), if waiting => {
                crate::report!(
                    "mqscope: no progress for {} s: {} of {} message(s) not acknowledged{}",
                    ack_timeout.as_secs(),
                    t.sent - t.done,
                    t.sent,
                    if pending.is_some() { ", and the session takes no more" } else { "" },
                );
                break exit::TIMEOUT;
            }
            _ = &mut ctrl_c => {
                let all = input_done && pending.is_none() && t.done == t.sent;
                break if all { exit::OK } else { exit::TIMEOUT };
            }
        }
    };
    let code = if session_gone { session_ended(handle, debug).await } else { code };
    (code, t)
}

/// The session stopped taking commands: the events it sent before stopping say why (a refused
/// connection, a broker that went away), so the exit code is theirs and not a bare failure.
async fn session_ended(handle: &mut SessionHandle, debug: bool) -> u8 {
    while let Some(ev) = handle.events.recv().await {
        match ev {
            SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                if let Err(code) = disconnected(&reason, reconnect_in, fatal) {
                    return code.max(exit::FAILURE);
                }
            }
            other => report(&other, debug),
        }
    }
    crate::report!("mqscope: the connection ended before every message was sent");
    exit::FAILURE
}
