//! `mqscope pub`: one message, a file, or every line of stdin; waits for every acknowledgement.

use super::conn::{disconnected, task_options};
use super::sub::{finish, report, setup_failed};
use crate::cli::PubArgs;
use crate::codec::{Bytes, Properties, Property, topic};
use crate::exit;
use crate::session::{self, Command, OutgoingPublish, SessionEvent};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::{Instant, sleep_until};

/// Publishes in flight (sent to the session, not yet reported) before we stop reading stdin.
const MAX_OUTSTANDING: u64 = 10_000;

/// The MQTT 5 properties from the flags; `Err` names a malformed `--user-property`.
pub fn properties(args: &PubArgs) -> Result<Properties, String> {
    let mut props = Properties::default();
    if let Some(secs) = args.expiry {
        props.push(Property::MessageExpiryInterval(secs));
    }
    if let Some(ct) = &args.content_type {
        props.push(Property::ContentType(ct.as_str().into()));
    }
    for up in &args.user_properties {
        let Some((k, v)) = up.split_once('=') else {
            return Err(format!("--user-property '{up}' must look like NAME=VALUE"));
        };
        props.push(Property::UserProperty(k.into(), v.into()));
    }
    Ok(props)
}

/// Runs the command; returns the exit code.
pub async fn run(args: &PubArgs) -> u8 {
    let topic_check = if args.topic.is_empty() {
        Err(crate::codec::ErrorKind::EmptyTopic)
    } else {
        topic::check_topic_name(&args.topic)
    };
    if let Err(k) = topic_check {
        crate::report!("mqscope: topic '{}': {k}", args.topic);
        return exit::USAGE;
    }
    let properties = match properties(args) {
        Ok(p) => p,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    let v5_only = [
        ("--user-property", !args.user_properties.is_empty()),
        ("--content-type", args.content_type.is_some()),
        ("--expiry", args.expiry.is_some()),
    ];
    let given: Vec<&str> = v5_only.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
    if let Err(e) = super::conn::need_v5(&args.conn, &given) {
        return setup_failed(&e);
    }
    let single = if args.lines {
        None
    } else if let Some(m) = &args.message {
        Some(Bytes::from(m.clone()))
    } else if let Some(path) = &args.file {
        // Streamed with a limit, so `-f <(command)` works and `-f /dev/zero` stops.
        match crate::files::read_stream(path, crate::files::PAYLOAD_LIMIT) {
            Ok(data) => Some(Bytes::from(data)),
            Err(e) => {
                crate::report!("mqscope: {e}");
                return if e.io_kind().is_some() { exit::FAILURE } else { exit::USAGE };
            }
        }
    } else {
        Some(Bytes::new())
    };
    let opts = match task_options(&args.conn, Vec::new()) {
        Ok(o) => o,
        Err(e) => return setup_failed(&e),
    };
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let make = |payload: Bytes| OutgoingPublish {
        topic: args.topic.clone(),
        payload,
        qos: args.qos,
        retain: args.retain,
        properties: properties.clone(),
    };

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut input_done = false;
    let mut sent = 0u64;
    let mut done = 0u64;
    let mut failed = 0u64;
    if let Some(payload) = single {
        if handle.commands.send(Command::Publish { token: 1, publish: make(payload) }).await.is_err() {
            return exit::FAILURE;
        }
        sent = 1;
        input_done = true;
    }
    let ack_timeout = args.ack_timeout;
    let mut progress = Instant::now() + ack_timeout;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let code = loop {
        if input_done && done == sent {
            break if failed > 0 { exit::PROTOCOL } else { exit::OK };
        }
        tokio::select! {
            line = lines.next_line(), if !input_done && sent - done < MAX_OUTSTANDING => {
                match line {
                    Ok(Some(line)) => {
                        sent += 1;
                        let publish = make(Bytes::from(line));
                        if handle.commands.send(Command::Publish { token: sent, publish }).await.is_err() {
                            break exit::FAILURE;
                        }
                        progress = Instant::now() + ack_timeout;
                    }
                    Ok(None) => input_done = true,
                    Err(e) => {
                        crate::report!("mqscope: reading stdin: {e}");
                        input_done = true;
                    }
                }
            }
            ev = handle.events.recv() => {
                let Some(ev) = ev else { break exit::FAILURE };
                match ev {
                    SessionEvent::Published { token, result, .. } => {
                        done += 1;
                        progress = Instant::now() + ack_timeout;
                        if let Err(why) = result {
                            failed += 1;
                            crate::report!("mqscope: message {token} was not delivered: {why}");
                        }
                    }
                    SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                        match disconnected(&reason, reconnect_in, fatal) {
                            Ok(wait) => progress = Instant::now() + ack_timeout + wait,
                            // Stopping with messages unacknowledged is a failure, whatever the reason.
                            Err(code) => break code.max(exit::FAILURE),
                        }
                    }
                    other => report(&other, debug),
                }
            }
            _ = sleep_until(progress) => {
                crate::report!(
                    "mqscope: {} of {sent} message(s) not acknowledged within {} s",
                    sent - done,
                    ack_timeout.as_secs_f64()
                );
                break exit::TIMEOUT;
            }
            _ = &mut ctrl_c => break if sent == done { exit::OK } else { exit::TIMEOUT },
        }
    };
    finish(handle, debug).await;
    code
}
