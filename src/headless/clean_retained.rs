//! `mqscope clean-retained FILTER [--dry-run]`: find every retained message under a filter and clear
//! it by publishing a zero-length retained message to its topic (MQTT 5 §3.3.1.3).
//!
//! 1. Subscribe to FILTER and collect the topics of the retained messages the broker sends at once;
//!    collecting ends at the first live (not retained) message or after `--idle-ms` of quiet.
//! 2. `--dry-run` prints the topics and stops there.
//! 3. Otherwise unsubscribe, then publish an empty retained QoS 1 message to each topic, many in
//!    flight at once (the session keeps to the broker's receive maximum), and wait for every ack.
//!
//! Everything goes through the session task; nothing here blocks on the network.

use super::conn::{disconnected, task_options};
use super::sub::{far, finish, report, setup_failed};
use crate::cli::CleanRetainedArgs;
use crate::codec::{Bytes, Properties, QoS, Subscription, SubscriptionOptions, topic};
use crate::exit;
use crate::sanitize;
use crate::session::{self, Command, OutgoingPublish, SessionEvent, SubscribeOutcome};
use std::io::Write;
use tokio::time::{Instant, sleep_until};

/// Publishes handed to the session and not yet answered, at most.
const WINDOW: u64 = 10_000;

/// What collecting found: the retained topics under the filter, and how many messages the broker sent
/// outside it (never cleared; they make the run fail).
enum Collected {
    Topics { topics: Vec<String>, strays: u64 },
    Exit(u8),
}

/// Runs the command; returns the exit code. The topic list goes to `out`, counts to stderr.
pub async fn run(args: &CleanRetainedArgs, mut out: impl Write, terminal: bool) -> u8 {
    if let Err(k) = topic::check_topic_filter(&args.filter) {
        crate::report!("mqscope: topic filter '{}': {k}", args.filter);
        return exit::USAGE;
    }
    let sub = Subscription { filter: args.filter.as_str().into(), options: SubscriptionOptions::qos(args.qos) };
    let opts = match task_options(&args.conn, vec![sub]) {
        Ok(o) => o,
        Err(e) => return setup_failed(&e),
    };
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let started = std::time::Instant::now();
    let (topics, strays) = match collect(args, &mut handle, debug).await {
        Collected::Topics { topics, strays } => (topics, strays),
        Collected::Exit(code) => {
            finish(handle, debug).await;
            return code;
        }
    };
    let found_in = started.elapsed();
    let filter = sanitize::line(&args.filter);
    if args.dry_run {
        let mut written = Ok(());
        for t in &topics {
            written = if terminal {
                writeln!(out, "{}", sanitize::line(t))
            } else {
                out.write_all(t.as_bytes()).and_then(|()| out.write_all(b"\n"))
            };
            if written.is_err() {
                break;
            }
        }
        if let Err(e) = written.and_then(|()| out.flush()) {
            finish(handle, debug).await;
            return exit::write_failed(&e);
        }
        crate::report!(
            "mqscope: {} retained message(s) under '{filter}' (found in {:.2} s); dry run, nothing cleared",
            topics.len(),
            found_in.as_secs_f64()
        );
        finish(handle, debug).await;
        return if strays > 0 { stray_failure(strays, &filter) } else { exit::OK };
    }
    crate::report!(
        "mqscope: {} retained message(s) under '{filter}' (found in {:.2} s)",
        topics.len(),
        found_in.as_secs_f64()
    );
    // Our own clears would come back to us as messages: stop listening first.
    if handle.commands.send(Command::Unsubscribe(vec![args.filter.clone()])).await.is_err() {
        return exit::FAILURE;
    }
    let clear_started = std::time::Instant::now();
    let (code, acked, failed) = clear(args, &mut handle, &topics, debug).await;
    let secs = clear_started.elapsed().as_secs_f64();
    crate::report!(
        "mqscope: cleared {acked} of {} retained message(s) under '{filter}' in {secs:.2} s ({failed} failed){}",
        topics.len(),
        if secs > 0.0 { format!(", {:.0}/s", acked as f64 / secs) } else { String::new() }
    );
    finish(handle, debug).await;
    if strays > 0 && code == exit::OK { stray_failure(strays, &filter) } else { code }
}

fn stray_failure(strays: u64, filter: &str) -> u8 {
    crate::report!("mqscope: the broker sent {strays} message(s) outside '{filter}'; those topics were not cleared");
    exit::PROTOCOL
}

/// Subscribes and gathers the retained topics until the first live message or a quiet spell.
async fn collect(args: &CleanRetainedArgs, handle: &mut session::SessionHandle, debug: bool) -> Collected {
    let idle = args.idle_ms;
    let mut idle_deadline: Option<Instant> = None;
    let suback_wait = args.conn.connect_timeout * 3;
    let connect_deadline = Instant::now() + suback_wait;
    let mut topics = Vec::new();
    let mut strays = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            ev = handle.events.recv() => {
                let Some(ev) = ev else { return Collected::Exit(exit::FAILURE) };
                match ev {
                    SessionEvent::Messages(batch) => {
                        for m in &batch {
                            if !m.retain {
                                // A live message: the broker is done with the retained ones.
                                topics.sort_unstable();
                                topics.dedup();
                                return Collected::Topics { topics, strays };
                            }
                            // The session hands on only subscribed topics; checked again here because
                            // clearing the wrong topic cannot be undone.
                            if !topic::matches(&args.filter, &m.topic) {
                                strays += 1;
                                report(&SessionEvent::Stray { topic: m.topic.to_string(), total: strays }, debug);
                                continue;
                            }
                            if !m.payload.is_empty() {
                                topics.push(m.topic.to_string());
                            }
                        }
                        if idle_deadline.is_some() {
                            idle_deadline = Some(Instant::now() + idle);
                        }
                    }
                    SessionEvent::Subscribed { results, reason_string } => {
                        for (filter, outcome) in &results {
                            let why = match outcome {
                                SubscribeOutcome::Granted(_) => continue,
                                SubscribeOutcome::Refused { code, reason } => format!("{reason} ({code:#04x})"),
                                SubscribeOutcome::Invalid(why) => why.clone(),
                            };
                            crate::report!("mqscope: broker refused '{}': {why}", sanitize::line(filter));
                            if let Some(r) = &reason_string {
                                crate::report!("mqscope: broker says: {}", sanitize::line(r));
                            }
                            return Collected::Exit(exit::AUTH);
                        }
                        idle_deadline = Some(Instant::now() + idle);
                    }
                    SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                        if let Err(code) = disconnected(&reason, reconnect_in, fatal) {
                            return Collected::Exit(code.max(exit::FAILURE));
                        }
                    }
                    SessionEvent::Stray { total, .. } => {
                        report(&ev, debug);
                        strays = strays.max(total);
                    }
                    other => report(&other, debug),
                }
            }
            _ = sleep_until(idle_deadline.unwrap_or_else(far)), if idle_deadline.is_some() => {
                topics.sort_unstable();
                topics.dedup();
                return Collected::Topics { topics, strays };
            }
            _ = sleep_until(connect_deadline), if idle_deadline.is_none() => {
                crate::report!("mqscope: no subscription acknowledgement within {} s", suback_wait.as_secs_f64());
                return Collected::Exit(exit::TIMEOUT);
            }
            _ = &mut ctrl_c => return Collected::Exit(exit::FAILURE),
        }
    }
}

/// Publishes the empty retained messages, `WINDOW` at most in flight; returns (exit code, acked, failed).
async fn clear(
    args: &CleanRetainedArgs,
    handle: &mut session::SessionHandle,
    topics: &[String],
    debug: bool,
) -> (u8, u64, u64) {
    let total = topics.len() as u64;
    let ack_timeout = args.ack_timeout;
    let mut progress = Instant::now() + ack_timeout;
    let (mut sent, mut acked, mut failed) = (0u64, 0u64, 0u64);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let commands = handle.commands.clone();
    let code = loop {
        if acked + failed == total {
            break if failed > 0 { exit::PROTOCOL } else { exit::OK };
        }
        tokio::select! {
            permit = commands.reserve(), if sent < total && sent - acked - failed < WINDOW => {
                let Ok(permit) = permit else { break exit::FAILURE };
                let topic = topics[sent as usize].clone();
                sent += 1;
                let publish = OutgoingPublish {
                    topic,
                    payload: Bytes::new(),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: Properties::default(),
                };
                permit.send(Command::Publish { token: sent, publish });
            }
            ev = handle.events.recv() => {
                let Some(ev) = ev else { break exit::FAILURE };
                match ev {
                    SessionEvent::Published { token, result, .. } => {
                        progress = Instant::now() + ack_timeout;
                        match result {
                            Ok(_) => acked += 1,
                            Err(why) => {
                                failed += 1;
                                let topic = topics.get(token.saturating_sub(1) as usize).map_or("?", String::as_str);
                                crate::report!("mqscope: could not clear '{}': {}", sanitize::line(topic), sanitize::line(&why));
                            }
                        }
                    }
                    SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                        match disconnected(&reason, reconnect_in, fatal) {
                            Ok(wait) => progress = Instant::now() + ack_timeout + wait,
                            Err(code) => break code.max(exit::FAILURE),
                        }
                    }
                    // Our own clears echoed before the UNSUBACK: nothing to do.
                    SessionEvent::Messages(_) | SessionEvent::Message(_) | SessionEvent::Unsubscribed { .. } => {}
                    other => report(&other, debug),
                }
            }
            _ = sleep_until(progress) => {
                crate::report!(
                    "mqscope: {} clear(s) not acknowledged within {} s",
                    sent - acked - failed,
                    ack_timeout.as_secs_f64()
                );
                break exit::TIMEOUT;
            }
            _ = &mut ctrl_c => break exit::FAILURE,
        }
    };
    (code, acked, failed)
}
