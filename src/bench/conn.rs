//! `mqscope bench conn`: open many connections at a rate and keep them. Each one goes through the
//! shared transport (TCP, TLS, WebSocket) and codec, but not through a session task: a held
//! connection is one small task that pings at the keepalive interval and owns no read buffer between
//! pings, so ten thousand of them fit in a few tens of megabytes.

use super::report::{self, ms};
use super::stats::{Percentiles, histogram};
use crate::cli::bench::BenchConnArgs;
use crate::codec::{Connect, Decoder, Packet, ProtocolVersion, encode};
use crate::exit;
use crate::transport::{DebugEvent, Transport, TransportOptions};
use bytes::BytesMut;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval, timeout};

/// File descriptors kept free beyond one per connection (stdio, the runtime, the log).
const SPARE_FDS: u64 = 64;

/// The WebSocket read buffer of a held connection (tungstenite allocates it up front).
const IDLE_WS_READ_BUFFER: usize = 1024;

/// How long each stage of one connection took.
#[derive(Debug, Clone, Copy, Default)]
struct Stages {
    tcp: Duration,
    tls: Option<Duration>,
    websocket: Option<Duration>,
    connack: Duration,
}

/// What a connection attempt needs to know.
struct Target {
    transport: TransportOptions,
    version: ProtocolVersion,
    keep_alive: u16,
    username: Option<String>,
    password: Option<bytes::Bytes>,
    connack_timeout: Duration,
}

/// Connects, sends CONNECT and waits for a successful CONNACK; the times of each stage.
async fn open(target: &Target, client_id: String) -> Result<(Transport, Stages), String> {
    let t0 = Instant::now();
    let (mut tcp_at, mut tls_at) = (None, None);
    let mut transport = Transport::connect(&target.transport, |e| match e {
        DebugEvent::Connected { .. } => tcp_at = Some(Instant::now()),
        DebugEvent::TlsEstablished { .. } => tls_at = Some(Instant::now()),
        _ => {}
    })
    .await
    .map_err(|e| crate::sanitize::line(&e.to_string()).into_owned())?;
    let upgraded_at = Instant::now();
    let tcp_done = tcp_at.unwrap_or(upgraded_at);
    let secure_done = tls_at.unwrap_or(tcp_done);
    let websocket = transport.scheme().is_websocket().then(|| upgraded_at - secure_done);
    let connect = Packet::Connect(Box::new(Connect {
        protocol: target.version,
        bridge: false,
        clean_start: true,
        keep_alive: target.keep_alive,
        properties: crate::codec::Properties::default(),
        client_id: client_id.as_str().into(),
        will: None,
        username: target.username.as_deref().map(Into::into),
        password: target.password.clone(),
    }));
    let mut buf = BytesMut::new();
    encode(&connect, target.version, &mut buf).map_err(|e| e.to_string())?;
    transport.send(buf.freeze()).await.map_err(|e| crate::sanitize::line(&e.to_string()).into_owned())?;
    match timeout(target.connack_timeout, next_packet(&mut transport, target.version)).await {
        Err(_) => Err("no CONNACK in time".to_owned()),
        Ok(Err(e)) => Err(e),
        Ok(Ok(Packet::ConnAck(ack))) if ack.reason_code == 0 => Ok((
            transport,
            Stages { tcp: tcp_done - t0, tls: tls_at.map(|t| t - tcp_done), websocket, connack: upgraded_at.elapsed() },
        )),
        Ok(Ok(Packet::ConnAck(ack))) => Err(format!("CONNACK refused with code {}", ack.reason_code)),
        Ok(Ok(other)) => Err(format!("{} instead of CONNACK", other.packet_type().name())),
    }
}

/// Reads until one packet decodes, with a buffer that lives only for this call.
async fn next_packet(transport: &mut Transport, version: ProtocolVersion) -> Result<Packet, String> {
    let mut decoder = Decoder::new(version);
    let mut buf = BytesMut::new();
    loop {
        if let Some(p) = decoder.decode(&mut buf).map_err(|e| crate::sanitize::line(&e.to_string()).into_owned())? {
            return Ok(p);
        }
        match transport.read(&mut buf).await {
            Ok(0) => return Err("closed by the broker".to_owned()),
            Ok(_) => {}
            Err(e) => return Err(crate::sanitize::line(&e.to_string()).into_owned()),
        }
    }
}

/// Keeps the connection: a PINGREQ every keepalive period and the PINGRESP read back; a connection
/// the broker dropped is noticed at the next ping. Ends on `stop` with a DISCONNECT.
async fn hold(mut transport: Transport, target: Arc<Target>, mut stop: watch::Receiver<bool>) -> Option<String> {
    let period = Duration::from_secs(u64::from(target.keep_alive.max(1)));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(period) => {
                let mut buf = BytesMut::new();
                let sent = encode(&Packet::PingReq, target.version, &mut buf).map_err(|e| e.to_string());
                let sent = match sent {
                    Ok(()) => transport.send(buf.freeze()).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let answer = match sent {
                    Ok(()) => timeout(period, next_packet(&mut transport, target.version)).await.unwrap_or_else(|_| Err("no PINGRESP".to_owned())),
                    Err(e) => Err(e),
                };
                if let Err(e) = answer {
                    return Some(format!("dropped: {}", crate::sanitize::line(&e)));
                }
            }
        }
    }
    let mut buf = BytesMut::new();
    if encode(&Packet::Disconnect(Default::default()), target.version, &mut buf).is_ok() {
        let _ = timeout(Duration::from_secs(1), transport.send(buf.freeze())).await;
    }
    transport.close().await;
    None
}

/// Raises the soft limit on open files to what `n` connections need; says what to raise when the
/// hard limit is lower.
fn raise_fd_limit(n: u64) -> u64 {
    let want = n + SPARE_FDS;
    match rlimit::increase_nofile_limit(want) {
        Ok(got) if got >= want => got,
        Ok(got) => {
            crate::report!(
                "mqscope: warning: only {got} open files allowed (hard limit), {want} needed for {n} connections: \
                 raise it with 'ulimit -Hn {want}' as root, or 'nofile' in /etc/security/limits.conf; \
                 connections past the limit fail with 'Too many open files'"
            );
            got
        }
        Err(e) => {
            crate::report!("mqscope: warning: cannot raise the open file limit ({e}); {want} are needed");
            0
        }
    }
}

#[derive(Debug, Serialize)]
struct StageTimes {
    tcp: Option<Percentiles>,
    tls: Option<Percentiles>,
    websocket: Option<Percentiles>,
    connack: Option<Percentiles>,
    total: Option<Percentiles>,
}

/// One node's part of a `bench conn` run.
#[derive(Debug, Serialize)]
struct NodeConnReport {
    node: usize,
    /// Password masked.
    url: String,
    planned: u64,
    opened: u64,
    failed: u64,
    dropped_while_held: u64,
    /// Open when the run ended its hold.
    open: u64,
    /// Connect time from the first byte to CONNACK, all stages together.
    connect_ns: Option<Percentiles>,
    failures: BTreeMap<String, u64>,
}

/// What happened on one node so far.
struct NodeCounts {
    planned: u64,
    opened: u64,
    failed: u64,
    dropped: u64,
    open: u64,
    last_opened: u64,
    total: Histogram<u64>,
    failures: BTreeMap<String, u64>,
}

impl NodeCounts {
    fn new(planned: u64) -> Self {
        Self {
            planned,
            opened: 0,
            failed: 0,
            dropped: 0,
            open: 0,
            last_opened: 0,
            total: histogram(),
            failures: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Serialize)]
struct ConnReport {
    mqscope: &'static str,
    os: &'static str,
    arch: &'static str,
    command: Vec<String>,
    started_at: String,
    /// Every node, comma-separated (see `nodes`).
    url: String,
    mqtt: String,
    planned: u64,
    rate: f64,
    opened: u64,
    failed: u64,
    /// Open when the last attempt had finished.
    peak_open: u64,
    dropped_while_held: u64,
    open_files_limit: u64,
    connect_ns: StageTimes,
    failures: BTreeMap<String, u64>,
    rss_before_bytes: Option<u64>,
    rss_open_bytes: Option<u64>,
    /// (RSS with all open - RSS before) / connections open.
    bytes_per_connection: Option<u64>,
    elapsed_s: f64,
    /// Per node; the figures add up to the totals above.
    nodes: Vec<NodeConnReport>,
    exit_code: u8,
}

struct Times {
    tcp: Histogram<u64>,
    tls: Histogram<u64>,
    websocket: Histogram<u64>,
    connack: Histogram<u64>,
    total: Histogram<u64>,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

pub async fn run(args: &BenchConnArgs, out: &mut impl Write) -> u8 {
    let started_at = crate::timefmt::rfc3339_millis(SystemTime::now());
    let command = report::command_line(std::env::args());
    let nodes = match super::place(&args.conn, &[], &[], args.clients, 0) {
        Ok(n) => n,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return e.exit_code();
        }
    };
    let version = nodes.options.first().map_or(ProtocolVersion::V5, |o| o.session.version);
    let urls = super::shown_urls(&nodes.placement.nodes);
    let targets: Vec<Arc<Target>> = nodes
        .options
        .iter()
        .map(|opts| {
            let mut transport = opts.transport.clone();
            // A held connection reads a PINGRESP at a time: a small WebSocket buffer is plenty.
            transport.ws_read_buffer = IDLE_WS_READ_BUFFER;
            Arc::new(Target {
                transport,
                version: opts.session.version,
                keep_alive: opts.session.keep_alive,
                username: opts.session.username.clone(),
                password: opts.session.password.clone(),
                connack_timeout: opts.session.connack_timeout,
            })
        })
        .collect();
    let assigned = nodes.placement.publishers;
    let mut per_node: Vec<NodeCounts> =
        (0..targets.len()).map(|n| NodeCounts::new(assigned.iter().filter(|&&a| a == n).count() as u64)).collect();
    let prefix = args.conn.conn.client_id.clone().unwrap_or_else(crate::headless::conn::generated_client_id);
    let limit = raise_fd_limit(args.clients);
    let mut signals = match crate::tui::ExitSignals::new() {
        Ok(s) => s,
        Err(e) => {
            crate::report!("mqscope: cannot watch for signals: {e}");
            return exit::FAILURE;
        }
    };
    let rss_before = crate::process::resident_bytes();
    let start = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (result_tx, mut result_rx) = mpsc::channel::<(usize, Result<Stages, String>)>(1024);
    let mut held = JoinSet::new();
    let mut times =
        Times { tcp: histogram(), tls: histogram(), websocket: histogram(), connack: histogram(), total: histogram() };
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let (mut attempted, mut opened, mut failed, mut dropped) = (0u64, 0u64, 0u64, 0u64);
    let mut open_now = 0u64;
    let mut pace = interval(Duration::from_secs_f64(1.0 / args.rate));
    pace.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut ticks = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let (mut last_opened, mut write_error, mut interrupted) = (0u64, None, false);
    let mut hold_until: Option<Instant> = None;
    let mut rss_open = None;
    let far = start + Duration::from_secs(86_400 * 365);
    loop {
        if hold_until.is_none() && attempted == args.clients && opened + failed == attempted {
            rss_open = crate::process::resident_bytes();
            hold_until = Some(Instant::now() + args.duration);
        }
        tokio::select! {
            _ = pace.tick(), if attempted < args.clients => {
                let node = usize::try_from(attempted).ok().and_then(|k| assigned.get(k)).copied().unwrap_or_default();
                let Some(target) = targets.get(node).cloned() else { break };
                let tx = result_tx.clone();
                let stop = stop_rx.clone();
                let id = format!("{prefix}-k{attempted}");
                attempted += 1;
                held.spawn(async move {
                    match open(&target, id).await {
                        Ok((transport, stages)) => {
                            let _ = tx.send((node, Ok(stages))).await;
                            drop(tx);
                            (node, hold(transport, target, stop).await)
                        }
                        Err(e) => {
                            let _ = tx.send((node, Err(e))).await;
                            (node, None)
                        }
                    }
                });
            }
            Some((node, r)) = result_rx.recv() => {
                let Some(n) = per_node.get_mut(node) else { continue };
                match r {
                    Ok(s) => {
                        opened += 1;
                        open_now += 1;
                        n.opened += 1;
                        n.open += 1;
                        let secure = s.tls.unwrap_or_default() + s.websocket.unwrap_or_default();
                        times.tcp.saturating_record(ns(s.tcp));
                        if let Some(t) = s.tls { times.tls.saturating_record(ns(t)); }
                        if let Some(w) = s.websocket { times.websocket.saturating_record(ns(w)); }
                        times.connack.saturating_record(ns(s.connack));
                        times.total.saturating_record(ns(s.tcp + secure + s.connack));
                        n.total.saturating_record(ns(s.tcp + secure + s.connack));
                    }
                    Err(reason) => {
                        failed += 1;
                        n.failed += 1;
                        *n.failures.entry(reason.clone()).or_default() += 1;
                        *failures.entry(reason).or_default() += 1;
                    }
                }
            }
            Some(done) = held.join_next(), if !held.is_empty() => {
                if let Ok((node, Some(reason))) = done {
                    dropped += 1;
                    open_now = open_now.saturating_sub(1);
                    if let Some(n) = per_node.get_mut(node) {
                        n.dropped += 1;
                        n.open = n.open.saturating_sub(1);
                        *n.failures.entry(reason.clone()).or_default() += 1;
                    }
                    *failures.entry(reason).or_default() += 1;
                }
            }
            _ = ticks.tick() => {
                let mut line = format!(
                    "{:>5}s  opened {:>6}/s  open {:>6}  failed {:>6}  connect p99 {}",
                    start.elapsed().as_secs(),
                    opened - last_opened,
                    open_now,
                    failed,
                    Percentiles::of(&times.total).map_or_else(|| "-".to_owned(), |p| ms(p.p99)),
                );
                last_opened = opened;
                if per_node.len() > 1 {
                    for (i, n) in per_node.iter_mut().enumerate() {
                        line.push_str(&format!(
                            "\n        node {:<2} opened {:>6}/s  open {:>6}  failed {:>6}  connect p99 {}",
                            super::nodes::label(i),
                            n.opened - n.last_opened,
                            n.open,
                            n.failed,
                            Percentiles::of(&n.total).map_or_else(|| "-".to_owned(), |p| ms(p.p99)),
                        ));
                        n.last_opened = n.opened;
                    }
                }
                if write_error.is_none()
                    && let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
                {
                    write_error = Some(e);
                }
            }
            () = tokio::time::sleep_until(hold_until.unwrap_or(far)), if hold_until.is_some() => break,
            () = signals.recv() => {
                interrupted = true;
                break;
            }
        }
    }
    if rss_open.is_none() {
        rss_open = crate::process::resident_bytes();
    }
    let _ = stop_tx.send(true);
    drop(result_tx);
    // Results already sent but not yet taken: a connection that opened or failed is counted.
    while let Ok((node, r)) = result_rx.try_recv() {
        let Some(n) = per_node.get_mut(node) else { continue };
        match r {
            Ok(_) => {
                opened += 1;
                open_now += 1;
                n.opened += 1;
                n.open += 1;
            }
            Err(reason) => {
                failed += 1;
                n.failed += 1;
                *n.failures.entry(reason.clone()).or_default() += 1;
                *failures.entry(reason).or_default() += 1;
            }
        }
    }
    let open_at_end: Vec<u64> = per_node.iter().map(|n| n.open).collect();
    if interrupted {
        held.abort_all();
    } else {
        let _ = timeout(Duration::from_secs(30), async { while held.join_next().await.is_some() {} }).await;
    }
    let per_connection = match (rss_before, rss_open) {
        (Some(b), Some(a)) if open_now > 0 => Some(a.saturating_sub(b) / open_now),
        _ => None,
    };
    let code = if opened == 0 && failed > 0 {
        exit::CONNECT
    } else if failed + dropped > 0 {
        exit::FAILURE
    } else {
        exit::OK
    };
    let node_reports = per_node
        .iter()
        .zip(open_at_end)
        .enumerate()
        .map(|(i, (n, open))| NodeConnReport {
            node: super::nodes::label(i),
            url: urls.get(i).cloned().unwrap_or_default(),
            planned: n.planned,
            opened: n.opened,
            failed: n.failed,
            dropped_while_held: n.dropped,
            open,
            connect_ns: Percentiles::of(&n.total),
            failures: n.failures.clone(),
        })
        .collect();
    let report = ConnReport {
        mqscope: env!("CARGO_PKG_VERSION"),
        os: std::env::consts::OS,
        arch: std::env::consts::ARCH,
        command,
        started_at,
        url: urls.join(", "),
        mqtt: version.to_string(),
        planned: args.clients,
        rate: args.rate,
        opened,
        failed,
        peak_open: open_now.max(opened.saturating_sub(dropped)),
        dropped_while_held: dropped,
        open_files_limit: limit,
        connect_ns: StageTimes {
            tcp: Percentiles::of(&times.tcp),
            tls: Percentiles::of(&times.tls),
            websocket: Percentiles::of(&times.websocket),
            connack: Percentiles::of(&times.connack),
            total: Percentiles::of(&times.total),
        },
        failures,
        rss_before_bytes: rss_before,
        rss_open_bytes: rss_open,
        bytes_per_connection: per_connection,
        elapsed_s: start.elapsed().as_secs_f64(),
        nodes: node_reports,
        exit_code: code,
    };
    if let Some(e) = write_error {
        return exit::write_failed(&e);
    }
    let mut code = code;
    if let Some(path) = &args.json {
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            serde_json::to_writer_pretty(&mut w, &report).map_err(std::io::Error::from)?;
            w.write_all(b"\n")?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        if let Err(e) = written {
            crate::report!("mqscope: --json '{}': {e}", path.display());
            code = code.max(exit::FAILURE);
        }
    }
    if let Err(e) = out.write_all(text(&report).as_bytes()).and_then(|()| out.flush()) {
        return exit::write_failed(&e);
    }
    code
}

fn text(r: &ConnReport) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "mqscope bench conn against {} (MQTT {})", r.url, r.mqtt);
    let _ = writeln!(
        o,
        "  connections {} opened of {} at {:.0}/s, {} failed, {} dropped while held; open file limit {}",
        r.opened, r.planned, r.rate, r.failed, r.dropped_while_held, r.open_files_limit
    );
    let stages = [
        ("tcp", &r.connect_ns.tcp),
        ("tls", &r.connect_ns.tls),
        ("websocket", &r.connect_ns.websocket),
        ("connack", &r.connect_ns.connack),
        ("total", &r.connect_ns.total),
    ];
    for (name, p) in stages {
        if let Some(p) = p {
            let _ = writeln!(
                o,
                "  {name:<11} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
                ms(p.p50),
                ms(p.p90),
                ms(p.p99),
                ms(p.p99_9),
                ms(p.max)
            );
        }
    }
    if let (Some(b), Some(a)) = (r.rss_before_bytes, r.rss_open_bytes) {
        let per = r.bytes_per_connection.map_or_else(|| "-".to_owned(), |n| format!("{:.1} KB", n as f64 / 1024.0));
        let _ = writeln!(
            o,
            "  memory      RSS {:.1} MB before, {:.1} MB with all open: {per} per connection",
            b as f64 / 1048576.0,
            a as f64 / 1048576.0
        );
    }
    for (reason, n) in &r.failures {
        let _ = writeln!(o, "  failure     {n} x {reason}");
    }
    if r.nodes.len() > 1 {
        for n in &r.nodes {
            let p99 = n.connect_ns.map_or_else(|| "-".to_owned(), |p| format!("p50 {}  p99 {}", ms(p.p50), ms(p.p99)));
            let _ = writeln!(
                o,
                "  node {}      {}: {} opened of {}, {} failed, {} dropped while held; connect {p99}",
                n.node, n.url, n.opened, n.planned, n.failed, n.dropped_while_held
            );
            for (reason, count) in &n.failures {
                let _ = writeln!(o, "    failure   {count} x {reason}");
            }
        }
    }
    o
}
