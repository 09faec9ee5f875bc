//! `mqscope bench`: load a broker and measure it. Publishers run open loop on a schedule and stamp
//! each payload with its scheduled send time and a sequence number; subscribers time every message
//! from that schedule (so a stalled publisher shows as latency, not as a pause) and account for loss,
//! duplicates and order per publisher. Every client is a full session over the shared transport,
//! codec and session layers.
//!
//! Pure parts: `stamp` (the payload header), `schedule`, `track` (sequence accounting), `payload`,
//! `stats`, `report`. The IO: `clients` (one loop per client), `run` (the runner), `hdr_log`.

mod clients;
mod conn;
mod hdr_log;
mod nodes;
mod payload;
mod report;
mod run;
mod schedule;
mod screen;
mod stamp;
mod stats;
mod track;

use crate::cli::ConnArgs;
use crate::cli::bench::{BenchLatencyArgs, BenchMode, BenchPubArgs, BenchSubArgs, NodeConnArgs, PublishArgs, RunArgs};
use crate::codec::{ProtocolVersion, QoS, Subscription, SubscriptionOptions};
use crate::headless::conn::{SetupError, task_options};
use crate::session::TaskOptions;
use clients::PublisherSpec;
use payload::{Body, Pattern};
use report::Settings;
use schedule::Schedule;
use std::io::Write;
use std::sync::Arc;

/// Runs a bench mode; returns the exit code. Lines and the report go to `out`; the live screen is
/// drawn when `terminal` (stdout is one) and `--no-tui` was not given.
pub async fn run(mode: &BenchMode, out: &mut impl Write, terminal: bool) -> u8 {
    let command = report::command_line(std::env::args());
    let planned = match mode {
        BenchMode::Conn(a) => return conn::run(a, out).await,
        BenchMode::Pub(a) => plan_pub(a, command),
        BenchMode::Sub(a) => plan_sub(a, command),
        BenchMode::Latency(a) => plan_latency(a, command),
    };
    match planned {
        Ok((plan, timeout)) => {
            let no_tui = match mode {
                BenchMode::Pub(a) => a.run.no_tui,
                BenchMode::Sub(a) => a.run.no_tui,
                BenchMode::Latency(a) => a.run.no_tui,
                BenchMode::Conn(_) => true,
            };
            run::run(plan, out, timeout, terminal && !no_tui).await
        }
        Err(e) => {
            crate::report!("mqscope: {e}");
            e.exit_code()
        }
    }
}

/// A random id for this run's publishers, so two runs on one topic are told apart.
fn run_id() -> u32 {
    (crate::session::backoff::jitter() * f64::from(u32::MAX)) as u32
}

fn base_options(conn: &ConnArgs) -> Result<TaskOptions, SetupError> {
    let mut opts = task_options(conn, Vec::new())?;
    // A client that loses its connection is counted by reason, not brought back: a bench must not
    // hide a broker that drops clients behind reconnects.
    opts.reconnect.enabled = false;
    Ok(opts)
}

/// The session options for each node. A password given as an option is asked for (or its command
/// run) once and used on every node; a password in a node's URL is that node's.
pub(crate) fn node_options(
    conn: &ConnArgs,
    nodes: &[String],
    mut each: impl FnMut(&ConnArgs) -> Result<TaskOptions, SetupError>,
) -> Result<Vec<TaskOptions>, SetupError> {
    let mut out: Vec<TaskOptions> = Vec::with_capacity(nodes.len());
    for url in nodes {
        let mut c = conn.clone();
        c.url = Some(url.clone());
        let given = c.password_env.is_some()
            || c.password_cmd.is_some()
            || c.ask_password
            || c.password.is_some()
            || c.password_from_profile.is_some();
        if let Some(first) = out.first().filter(|_| given) {
            c.password_env = None;
            c.password_cmd = None;
            c.ask_password = false;
            c.password = None;
            c.password_from_profile = None;
            let mut o = each(&c)?;
            o.session.password.clone_from(&first.session.password);
            out.push(o);
        } else {
            out.push(each(&c)?);
        }
    }
    Ok(out)
}

/// Where each client connects, with the session options of every node.
struct Nodes {
    placement: nodes::Placement,
    options: Vec<TaskOptions>,
}

fn place(
    conn: &NodeConnArgs,
    pub_urls: &[String],
    sub_urls: &[String],
    publishers: u64,
    subscribers: u64,
) -> Result<Nodes, SetupError> {
    let fallback: Vec<String> = conn.conn.url.iter().cloned().collect();
    let explicit = !conn.urls.is_empty();
    let urls = if explicit { &conn.urls } else { &fallback };
    let placement = nodes::place(&nodes::Request { urls, explicit, pub_urls, sub_urls, publishers, subscribers })
        .map_err(|e| if e.starts_with("no broker URL") { SetupError::NoUrl } else { SetupError::Invalid(e) })?;
    let options = node_options(&conn.conn, &placement.nodes, base_options)?;
    for w in &placement.warnings {
        crate::report!("mqscope: warning: {w}");
    }
    Ok(Nodes { placement, options })
}

fn client_options(base: &TaskOptions, prefix: &str, role: char, n: u64, subs: Vec<Subscription>) -> TaskOptions {
    let mut o = base.clone();
    o.session.client_id = format!("{prefix}-{role}{n}");
    o.session.subscriptions = subs;
    o
}

fn prefix(conn: &ConnArgs) -> String {
    conn.client_id.clone().unwrap_or_else(|| format!("mqscope-bench-{:08x}", run_id()))
}

fn mqtt_name(conn: &ConnArgs) -> String {
    conn.mqtt_version.map_or_else(|| "5 (3.1.1 fallback)".to_owned(), |v: ProtocolVersion| v.to_string())
}

/// Node URLs as shown: password masked, sanitised.
pub(crate) fn shown_urls(urls: &[String]) -> Vec<String> {
    urls.iter().map(|u| crate::sanitize::line(&crate::transport::redact_url(u)).into_owned()).collect()
}

fn body(p: &PublishArgs) -> Result<Body, SetupError> {
    if let Some(path) = &p.payload_file {
        let bytes = std::fs::read(path).map_err(|e| SetupError::Unreadable {
            option: "--payload-file",
            path: path.clone(),
            why: e.to_string(),
        })?;
        return Ok(Body::Fixed(bytes.into()));
    }
    if let Some(t) = &p.template {
        return Ok(Body::Template(Pattern::new(t)));
    }
    Body::sized(p.size).map_err(SetupError::Invalid)
}

fn check_topic(p: &PublishArgs) -> Result<(), SetupError> {
    let sample = Pattern::new(&p.topic).expand(0, 0);
    crate::codec::topic::check_topic_name(&sample)
        .map_err(|k| SetupError::Invalid(format!("topic '{}': {k}", crate::sanitize::line(&p.topic))))
}

fn publishers(
    p: &PublishArgs,
    nodes: &Nodes,
    prefix: &str,
) -> Result<(Vec<(PublisherSpec, TaskOptions)>, u32), SetupError> {
    check_topic(p)?;
    let body = Arc::new(body(p)?);
    let run = run_id();
    let clients = u32::try_from(p.clients).map_err(|_| SetupError::Invalid("-c/--clients is too large".into()))?;
    let list = (0..clients)
        .zip(&nodes.placement.publishers)
        .map(|(c, &node)| {
            let spec = PublisherSpec {
                node,
                run,
                client: c,
                topic: Pattern::new(&p.topic),
                body: body.clone(),
                qos: p.qos,
                retain: p.retain,
                schedule: Schedule::new(p.rate),
                count: p.count,
            };
            (spec, client_options(&nodes.options[node], prefix, 'p', u64::from(c), Vec::new()))
        })
        .collect();
    Ok((list, run))
}

fn check_run(run: &RunArgs, publish_count: Option<u64>, receive_count: Option<u64>) -> Result<(), SetupError> {
    if run.duration.is_none() && publish_count.is_none() && receive_count.is_none() {
        return Err(SetupError::Invalid(
            "say how long to run: --duration SECS or --count N (Ctrl-C also stops)".into(),
        ));
    }
    Ok(())
}

fn subscription(filter: &str, shared: Option<&str>, qos: QoS) -> Result<Subscription, SetupError> {
    let filter = match shared {
        Some(g) => format!("$share/{g}/{filter}"),
        None => filter.to_owned(),
    };
    crate::codec::topic::check_topic_filter(&filter)
        .map_err(|k| SetupError::Invalid(format!("topic filter '{}': {k}", crate::sanitize::line(&filter))))?;
    Ok(Subscription {
        filter: filter.as_str().into(),
        options: SubscriptionOptions { qos, ..SubscriptionOptions::default() },
    })
}

fn settings(mode: &'static str, conn: &ConnArgs, nodes: &Nodes, run: &RunArgs) -> Settings {
    Settings {
        mode,
        urls: shown_urls(&nodes.placement.nodes),
        mqtt: mqtt_name(conn),
        publishers: 0,
        subscribers: 0,
        qos: None,
        sub_qos: None,
        rate: None,
        count: None,
        payload_bytes: None,
        topic: None,
        filter: None,
        shared: None,
        retain: false,
        warmup_s: run.warmup.unwrap_or_default().as_secs_f64(),
        duration_s: run.duration.map(|d| d.as_secs_f64()),
    }
}

fn with_publish(s: &mut Settings, p: &PublishArgs, body: &Body) {
    s.publishers = p.clients;
    s.qos = Some(p.qos.as_u8());
    s.rate = p.rate;
    s.count = p.count;
    s.payload_bytes = match body {
        Body::Filler(n) => Some(stamp::LEN + n),
        Body::Fixed(b) => Some(stamp::LEN + b.len()),
        Body::Template(_) => None,
    };
    s.topic = Some(p.topic.clone());
    s.retain = p.retain;
}

fn plan(settings: Settings, nodes: &Nodes, run: &RunArgs, command: Vec<String>) -> run::Plan {
    run::Plan {
        nodes: nodes.placement.nodes.len(),
        publisher_nodes: nodes.placement.publishers.clone(),
        settings,
        publishers: Vec::new(),
        subscribers: Vec::new(),
        copies: 0,
        delivered_qos: None,
        duration: run.duration,
        warmup: run.warmup.unwrap_or_default(),
        drain: run.drain,
        receive_count: None,
        json: run.json.clone(),
        hdr_log: run.hdr_log.clone(),
        command,
    }
}

fn plan_pub(a: &BenchPubArgs, command: Vec<String>) -> Result<(run::Plan, std::time::Duration), SetupError> {
    check_run(&a.run, a.publish.count, None)?;
    one_list(&a.conn, &a.pub_urls, "--pub-url")?;
    let nodes = place(&a.conn, &a.pub_urls, &[], a.publish.clients, 0)?;
    let (list, _) = publishers(&a.publish, &nodes, &prefix(&a.conn.conn))?;
    let mut s = settings("pub", &a.conn.conn, &nodes, &a.run);
    with_publish(&mut s, &a.publish, &body(&a.publish)?);
    let mut p = plan(s, &nodes, &a.run, command);
    p.publishers = list;
    Ok((p, a.conn.conn.connect_timeout))
}

fn plan_sub(a: &BenchSubArgs, command: Vec<String>) -> Result<(run::Plan, std::time::Duration), SetupError> {
    check_run(&a.run, None, a.count)?;
    one_list(&a.conn, &a.sub_urls, "--sub-url")?;
    let nodes = place(&a.conn, &[], &a.sub_urls, 0, a.clients)?;
    let sub = subscription(&a.filter, a.shared.as_deref(), a.qos)?;
    let prefix = prefix(&a.conn.conn);
    let mut s = settings("sub", &a.conn.conn, &nodes, &a.run);
    s.subscribers = a.clients;
    s.sub_qos = Some(a.qos.as_u8());
    s.filter = Some(a.filter.clone());
    s.shared = a.shared.clone();
    let mut p = plan(s, &nodes, &a.run, command);
    p.subscribers = subscribers(&nodes, &prefix, &sub, a.shared.is_some());
    p.receive_count = a.count;
    p.delivered_qos = Some(a.qos.as_u8());
    Ok((p, a.conn.conn.connect_timeout))
}

/// `bench pub` and `bench sub` have one role: its nodes come from -u or from its own flag, not both.
fn one_list(conn: &NodeConnArgs, role_urls: &[String], flag: &str) -> Result<(), SetupError> {
    if !conn.urls.is_empty() && !role_urls.is_empty() {
        return Err(SetupError::Invalid(format!(
            "-u and {flag} both name the nodes of this run's only role: give them with one of the two"
        )));
    }
    Ok(())
}

/// Subscriber `n` on its node, in its slot (one slot for a shared group).
fn subscribers(nodes: &Nodes, prefix: &str, sub: &Subscription, shared: bool) -> Vec<(u32, usize, TaskOptions)> {
    nodes
        .placement
        .subscribers
        .iter()
        .enumerate()
        .map(|(n, &node)| {
            let slot = if shared { 0 } else { n as u32 };
            (slot, node, client_options(&nodes.options[node], prefix, 's', n as u64, vec![sub.clone()]))
        })
        .collect()
}

fn plan_latency(a: &BenchLatencyArgs, command: Vec<String>) -> Result<(run::Plan, std::time::Duration), SetupError> {
    check_run(&a.run, a.publish.count, None)?;
    let nodes = place(&a.conn, &a.pub_urls, &a.sub_urls, a.publish.clients, a.subscribe.subscribers)?;
    let prefix = prefix(&a.conn.conn);
    let (list, _) = publishers(&a.publish, &nodes, &prefix)?;
    let sub_qos = a.subscribe.sub_qos.unwrap_or(a.publish.qos);
    let filter = a.subscribe.filter.clone().unwrap_or_else(|| Pattern::new(&a.publish.topic).filter());
    let sub = subscription(&filter, a.subscribe.shared.as_deref(), sub_qos)?;
    let mut s = settings("latency", &a.conn.conn, &nodes, &a.run);
    with_publish(&mut s, &a.publish, &body(&a.publish)?);
    s.subscribers = a.subscribe.subscribers;
    s.sub_qos = Some(sub_qos.as_u8());
    s.filter = Some(filter);
    s.shared = a.subscribe.shared.clone();
    let mut p = plan(s, &nodes, &a.run, command);
    p.publishers = list;
    let shared = a.subscribe.shared.is_some();
    p.subscribers = subscribers(&nodes, &prefix, &sub, shared);
    p.copies = if shared { 1 } else { a.subscribe.subscribers };
    p.delivered_qos = Some(a.publish.qos.as_u8().min(sub_qos.as_u8()));
    Ok((p, a.conn.conn.connect_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn conn(args: &[&str]) -> NodeConnArgs {
        let mut argv = vec!["mqscope", "bench", "conn"];
        argv.extend(args);
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            Some(crate::cli::Command::Bench(mode)) => match *mode {
                BenchMode::Conn(a) => a.conn,
                other => panic!("not bench conn: {other:?}"),
            },
            other => panic!("not bench: {other:?}"),
        }
    }

    #[test]
    fn every_u_is_a_node_and_the_first_is_the_connection_url() {
        let c = conn(&["-u", "mqtt://a", "--url", "ws://b/mqtt", "-u=mqtt://c"]);
        assert_eq!(c.urls, ["mqtt://a", "ws://b/mqtt", "mqtt://c"]);
        assert_eq!(c.conn.url.as_deref(), Some("mqtt://a"));
    }

    #[test]
    fn a_password_option_is_read_once_for_all_nodes_and_a_url_password_stays_its_nodes() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let cmd = format!("echo x >> '{}'; echo s3cret", runs.display());
        let mut c = conn(&["-u", "mqtt://a", "-u", "mqtt://b", "--password-cmd", &cmd]).conn;
        let nodes = ["mqtt://a".to_owned(), "mqtt://u:own@b".to_owned()];
        let opts = node_options(&c, &nodes, base_options).unwrap();
        assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 1, "the command ran once");
        for o in &opts {
            assert_eq!(o.session.password.as_deref(), Some(&b"s3cret"[..]));
        }
        // Without a password option, each node's URL speaks for itself.
        c.password_cmd = None;
        let opts = node_options(&c, &nodes, base_options).unwrap();
        assert_eq!(opts[0].session.password, None);
        assert_eq!(opts[1].session.password.as_deref(), Some(&b"own"[..]));
        assert!(!opts[1].transport.url.contains("own"), "{}", opts[1].transport.url);
    }
}
