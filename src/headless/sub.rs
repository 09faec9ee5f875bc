//! `mqscope sub`: subscribe and print, as fast as the broker sends.

use super::conn::{SetupError, disconnected, task_options};
use crate::cli::{OutputFormat, SubArgs};
use crate::codec::{RetainHandling, Subscription, SubscriptionOptions};
use crate::exit;
use crate::inspect::{payload, properties_json};
use crate::payload::protobuf::{self, Protos};
use crate::payload::schema::{Schemas, Verdict};
use crate::payload::sparkplug::{self, Topic, state::Network};
use crate::record::{Mode, Recorder};
use crate::sanitize;
use crate::session::{self, Command, Message, SessionEvent, SubscribeOutcome};
use crate::timefmt::rfc3339_millis;
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// Batches the session task may queue ahead of the printer.
const SUB_QUEUE_BATCHES: usize = 8;

/// How messages are written: raw for pipes, sanitised for a terminal, or JSON lines.
struct Printer {
    format: OutputFormat,
    verbose: bool,
    terminal: bool,
    /// Sparkplug B aliases and session state, for the decoded form in JSON lines.
    sparkplug: Network,
}

impl Printer {
    fn print(
        &mut self,
        out: &mut impl Write,
        m: &Message,
        verdict: Option<&Verdict>,
        decoded: Option<&Decoded>,
    ) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => {
                let mut json = message_json(m);
                if let (Some(d), Value::Object(o)) = (decoded, &mut json) {
                    match &d.value {
                        Ok(v) => o.insert("protobuf".into(), v.clone()),
                        Err(e) => o.insert("protobuf_error".into(), json!(format!("not valid {}: {e}", d.message))),
                    };
                }
                if self.sparkplug.observe(&m.topic, &m.payload, m.received_at)
                    && let Value::Object(o) = &mut json
                {
                    sparkplug_fields(o, &self.sparkplug, m);
                }
                if let (Some(v), Value::Object(o)) = (verdict, &mut json) {
                    o.insert("schema".into(), serde_json::to_value(v).map_err(io::Error::from)?);
                }
                crate::sanitize::json_to_writer(&mut *out, &json).map_err(io::Error::from)?;
                out.write_all(b"\n")
            }
            OutputFormat::Text if self.terminal => {
                if self.verbose {
                    write!(out, "{} ", sanitize::line(&m.topic))?;
                }
                writeln!(out, "{}", sanitize::bytes(&m.payload, true))
            }
            OutputFormat::Text => {
                if self.verbose {
                    out.write_all(m.topic.as_bytes())?;
                    out.write_all(b" ")?;
                }
                out.write_all(&m.payload)?;
                out.write_all(b"\n")
            }
        }
    }
}

/// A message decoded by its topic's Protobuf message type.
struct Decoded {
    /// The type's full name.
    message: String,
    value: Result<Value, String>,
}

/// One received message as JSON: topic, flags, MQTT 5 properties, payload text (when UTF-8) and hex,
/// and when it was received.
pub fn message_json(m: &Message) -> Value {
    let mut o = Map::new();
    o.insert("topic".into(), json!(&*m.topic));
    o.insert("qos".into(), json!(m.qos.as_u8()));
    o.insert("retain".into(), json!(m.retain));
    o.insert("dup".into(), json!(m.dup));
    if let Some(id) = m.packet_id {
        o.insert("packet_id".into(), json!(id));
    }
    if !m.properties.is_empty() {
        o.insert("properties".into(), properties_json(&m.properties));
    }
    payload(&mut o, "payload", &m.payload);
    o.insert("received_at".into(), json!(rfc3339_millis(m.received_at)));
    Value::Object(o)
}

/// A Sparkplug B message's decoded payload (`sparkplug`, metric names resolved from the BIRTH) or why it
/// did not decode (`sparkplug_error`), and what is known of its edge node after it (`sparkplug_node`:
/// online state, seq gaps, out-of-order messages, bdSeq mismatches, and the device's online state).
fn sparkplug_fields(o: &mut Map<String, Value>, network: &Network, m: &Message) {
    let Some(Topic::Message { group, node, device, .. }) = Topic::parse(&m.topic) else { return };
    match sparkplug::decode_json(&m.payload, network.aliases(&m.topic)) {
        Ok(v) => o.insert("sparkplug".into(), v),
        Err(e) => o.insert("sparkplug_error".into(), json!(format!("not valid Sparkplug B: {e}"))),
    };
    let Some(n) = network.groups.get(group).and_then(|g| g.nodes.get(node)) else { return };
    let mut state = json!({
        "online": n.endpoint.online,
        "seq_gaps": n.seq_gaps,
        "seq_out_of_order": n.seq_out_of_order,
        "bd_seq_mismatches": n.bd_seq_mismatches,
    });
    if let (Some(d), Value::Object(s)) = (device.and_then(|d| n.devices.get(d)), &mut state) {
        s.insert("device_online".into(), json!(d.online));
    }
    o.insert("sparkplug_node".into(), state);
}

/// Runs the command; returns the exit code.
pub async fn run(args: &SubArgs, mut out: impl Write, terminal: bool) -> u8 {
    let options = SubscriptionOptions {
        qos: args.qos,
        no_local: args.no_local,
        retain_as_published: false,
        retain_handling: if args.no_retained { RetainHandling::DoNotSend } else { RetainHandling::SendAtSubscribe },
    };
    if let Err(e) = super::conn::need_v5(&args.conn, if args.no_local { &["--no-local"] } else { &[] }) {
        return setup_failed(&e);
    }
    if args.topics.is_empty() {
        crate::report!("mqscope: no topic filter: pass -t FILTER, or -P with a profile that lists subscriptions");
        return exit::USAGE;
    }
    for t in &args.topics {
        if let Err(k) = crate::codec::topic::check_topic_filter(t) {
            crate::report!("mqscope: topic filter '{t}': {k}");
            return exit::USAGE;
        }
    }
    let schemas = match Schemas::load(&args.schemas) {
        Ok(s) => s,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    let protos = match Protos::load(&args.proto.specs(&args.profile_protos)) {
        Ok(p) => p,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::USAGE;
        }
    };
    if args.validate && schemas.is_empty() {
        crate::report!(
            "mqscope: --validate needs a schema: pass --schema FILTER=FILE, or -P with a profile that has schemas"
        );
        return exit::USAGE;
    }
    let mut invalid = 0u64;
    let subs = args
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let qos = args.topic_qos.get(i).copied().unwrap_or(args.qos);
            Subscription { filter: t.as_str().into(), options: SubscriptionOptions { qos, ..options } }
        })
        .collect();
    let mut opts = match task_options(&args.conn, subs) {
        Ok(o) => o,
        Err(e) => return setup_failed(&e),
    };
    // Each event is a batch from one read (up to 64 KiB of messages that keep their read chunk alive). A
    // short queue bounds memory when the output is slower than the broker (256 batches could hold 16 MiB)
    // and holds the broker back through TCP instead.
    opts.channel_capacity = SUB_QUEUE_BATCHES;
    let debug = opts.debug;
    let mut recorder = match &args.record {
        Some(path) => match Recorder::open(path, if args.append { Mode::Append } else { Mode::Create }) {
            Ok(r) => Some(r),
            Err(e) => {
                crate::report!("mqscope: {e}");
                return e.exit_code();
            }
        },
        None => None,
    };
    // Buffered messages reach the file within a second also when the stream goes quiet.
    let mut flush_timer = tokio::time::interval(crate::record::FLUSH_EVERY);
    flush_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stdout_gone = false;
    let mut handle = session::spawn(opts);
    let mut printer = Printer { format: args.format, verbose: args.verbose, terminal, sparkplug: Network::default() };
    let deadline = args.timeout.map(|d| Instant::now() + d);
    let idle = args.idle_ms;
    let mut idle_deadline: Option<Instant> = None;
    let mut received = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let code = 'main: loop {
        tokio::select! {
            ev = handle.events.recv() => {
                let Some(ev) = ev else { break 'main exit::FAILURE };
                match ev {
                    SessionEvent::Messages(batch) => {
                        for m in &batch {
                            // Decoded for the JSON lines and the schema checks only: text output prints the bytes.
                            let wanted = args.format == OutputFormat::Json || !schemas.is_empty();
                            let decoded = protos.message_for(&m.topic).filter(|_| wanted).map(|t| Decoded {
                                message: t.full_name().to_owned(),
                                value: protobuf::decode_json(&m.payload, t),
                            });
                            // A Protobuf payload is checked in its JSON form.
                            let verdict = match &decoded {
                                Some(Decoded { value: Ok(v), .. }) => schemas.check_decoded(&m.topic, Ok(v)),
                                Some(Decoded { value: Err(e), message }) => {
                                    schemas.check_decoded(&m.topic, Err(&format!("not valid {message}: {e}")))
                                }
                                None => schemas.check(&m.topic, &m.payload),
                            };
                            if let Some(v) = verdict.as_ref().filter(|v| !v.is_valid()) {
                                invalid += 1;
                                if args.validate {
                                    report_violations(&m.topic, v);
                                }
                            }
                            if let Some(r) = recorder.as_mut()
                                && let Err(e) = r.write_checked(m, verdict.as_ref())
                            {
                                recorder = None;
                                crate::report!("mqscope: {e}");
                                break 'main exit::FAILURE;
                            }
                            if args.retained_only && !m.retain {
                                break 'main exit::OK;
                            }
                            if args.no_retained && m.retain {
                                continue;
                            }
                            if let Err(e) = printer.print(&mut out, m, verdict.as_ref(), decoded.as_ref()) {
                                stdout_gone = true;
                                break 'main exit::write_failed(&e);
                            }
                            received += 1;
                            if args.count.is_some_and(|c| received >= c) {
                                break 'main exit::OK;
                            }
                        }
                        if idle_deadline.is_some() {
                            idle_deadline = Some(Instant::now() + idle);
                        }
                        if let Err(e) = out.flush() {
                            stdout_gone = true;
                            break 'main exit::write_failed(&e);
                        }
                    }
                    SessionEvent::Subscribed { results, reason_string } => {
                        let mut refused = 0;
                        for (filter, outcome) in &results {
                            match outcome {
                                SubscribeOutcome::Granted(q) if debug => {
                                    crate::report!("mqscope: subscribed to '{}' (QoS {})", sanitize::line(filter), q.as_u8());
                                }
                                SubscribeOutcome::Granted(_) => {}
                                SubscribeOutcome::Refused { code, reason } => {
                                    refused += 1;
                                    crate::report!("mqscope: broker refused '{}': {reason} ({code:#04x})", sanitize::line(filter));
                                }
                                SubscribeOutcome::Invalid(why) => {
                                    refused += 1;
                                    crate::report!("mqscope: invalid topic filter '{}': {why}", sanitize::line(filter));
                                }
                            }
                        }
                        if let Some(r) = reason_string {
                            crate::report!("mqscope: broker says: {}", sanitize::line(&r));
                        }
                        if refused == results.len() {
                            crate::report!("mqscope: every subscription was refused");
                            break 'main exit::AUTH;
                        }
                        if args.retained_only {
                            idle_deadline = Some(Instant::now() + idle);
                        }
                    }
                    SessionEvent::Disconnected { reason, reconnect_in, fatal } => {
                        if let Err(code) = disconnected(&reason, reconnect_in, fatal) {
                            break 'main code;
                        }
                    }
                    other => report(&other, debug),
                }
            }
            _ = sleep_until(deadline.unwrap_or_else(far)), if deadline.is_some() => {
                let Some(count) = args.count else { break 'main exit::OK };
                let waited = args.timeout.unwrap_or_default().as_secs_f64();
                crate::report!("mqscope: timed out after {waited} s (-W) with {received} of {count} messages (-C)");
                break 'main exit::TIMEOUT;
            }
            _ = sleep_until(idle_deadline.unwrap_or_else(far)), if idle_deadline.is_some() => break 'main exit::OK,
            _ = flush_timer.tick(), if recorder.is_some() => {
                if let Some(Err(e)) = recorder.as_mut().filter(|r| r.flush_due()).map(Recorder::flush) {
                    recorder = None;
                    crate::report!("mqscope: {e}");
                    break 'main exit::FAILURE;
                }
            }
            _ = &mut ctrl_c => break 'main exit::OK,
        }
    };
    let mut code = code;
    if !stdout_gone && let Err(e) = out.flush() {
        code = code.max(exit::write_failed(&e));
    }
    if let Some(r) = recorder {
        let path = sanitize::line(&r.path().display().to_string()).into_owned();
        match r.finish() {
            Ok(n) if debug || args.count.is_none() => crate::report!("mqscope: recorded {n} messages to '{path}'"),
            Ok(_) => {}
            Err(e) => {
                crate::report!("mqscope: {e}");
                code = code.max(exit::FAILURE);
            }
        }
    }
    finish(handle, debug).await;
    if args.validate && invalid > 0 {
        crate::report!("mqscope: {invalid} message(s) broke their schema");
        if code == exit::OK {
            code = exit::INVALID;
        }
    }
    code
}

/// Each violation on its own stderr line: topic, schema, instance path, keyword and message.
fn report_violations(topic: &str, v: &Verdict) {
    let topic = sanitize::line(topic);
    for x in &v.violations {
        let at = if x.instance_path.is_empty() { "(root)" } else { x.instance_path.as_str() };
        crate::report!("mqscope: invalid: {topic}: {}: {at}: {}: {}", v.schema, x.keyword, x.message);
    }
    if v.more > 0 {
        crate::report!("mqscope: invalid: {topic}: {}: {} more violation(s)", v.schema, v.more);
    }
}

/// Prints what the session reports besides messages: to stderr, and the chatty parts only with -d.
pub(crate) fn report(ev: &SessionEvent, debug: bool) {
    match ev {
        SessionEvent::Warning(w) | SessionEvent::Notice(w) => crate::report!("mqscope: {}", sanitize::line(w)),
        SessionEvent::Stray { topic, total } => crate::report!("mqscope: {}", session::stray_notice(topic, *total)),
        SessionEvent::Trace(t) if debug => crate::report_lines!("{t}"),
        SessionEvent::Connecting { url, attempt, version } if debug || *attempt > 1 => {
            crate::report!("mqscope: connecting to {url} (MQTT {version}, attempt {attempt})");
        }
        SessionEvent::Connected(info) if debug => {
            crate::report!(
                "mqscope: connected (MQTT {}, client id '{}', session present: {})",
                info.version,
                sanitize::line(&info.client_id),
                info.session_present
            );
        }
        SessionEvent::Pong { rtt } if debug => {
            crate::report!("mqscope: keepalive round trip {:.1} ms", rtt.as_secs_f64() * 1e3)
        }
        _ => {}
    }
}

/// Disconnects cleanly and waits (briefly) for the task to finish; true when it did. Events are drained
/// while the DISCONNECT waits for room in the command channel: the task may itself be waiting for us to
/// take an event, and awaiting the send alone would then never end.
pub(crate) async fn finish(mut handle: session::SessionHandle, debug: bool) -> bool {
    let commands = handle.commands.clone();
    let leave = async {
        let disconnect = commands.send(Command::Disconnect);
        tokio::pin!(disconnect);
        let mut asked = false;
        loop {
            tokio::select! {
                _ = &mut disconnect, if !asked => asked = true,
                ev = handle.events.recv() => match ev {
                    Some(ev) => report(&ev, debug),
                    None => return,
                },
            }
        }
    };
    let closed = tokio::time::timeout(Duration::from_secs(3), leave).await.is_ok();
    handle.task.abort();
    closed
}

pub(crate) fn setup_failed(e: &SetupError) -> u8 {
    crate::report!("mqscope: {e}");
    e.exit_code()
}

pub(crate) fn far() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
