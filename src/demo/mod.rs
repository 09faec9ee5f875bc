//! `mqscope demo`: a real MQTT broker in-process (rumqttd, behind the default `demo` feature) with a
//! WebSocket and a TCP listener on loopback, a simulated market feed published into it by our own
//! session over TCP, and a Sparkplug B edge node on a session of its own (`edge.rs`). Works on a fresh
//! machine with no broker and no network.

pub mod edge;
pub mod feed;

use crate::codec::{Bytes, Properties, ProtocolVersion, QoS};
use crate::session::{self, Command, OutgoingPublish, ReconnectPolicy, SessionConfig, TaskOptions};
use crate::transport::TransportOptions;
use feed::{Quote, Rng};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant, SystemTime};

/// Where the embedded broker listens.
#[derive(Debug, Clone, Copy)]
pub struct DemoBroker {
    /// MQTT 3.1.1 over WebSocket (rumqttd's WebSocket listener speaks 3.1.1 only).
    pub ws: SocketAddr,
    /// MQTT 3.1.1 over TCP.
    pub tcp: SocketAddr,
}

impl DemoBroker {
    pub fn ws_url(&self) -> String {
        format!("ws://{}/mqtt", self.ws)
    }

    pub fn tcp_url(&self) -> String {
        format!("mqtt://{}", self.tcp)
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_listening(addrs: &[SocketAddr], within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if addrs.iter().all(|a| TcpStream::connect_timeout(a, Duration::from_millis(200)).is_ok()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts the embedded broker on a thread of its own: the WebSocket listener on `port` (a free one
/// when `None`) and TCP on `port + 1` (or another free one).
#[cfg(feature = "demo")]
pub fn start_broker(port: Option<u16>) -> Result<DemoBroker, String> {
    let (ws_port, tcp_port) = match port {
        Some(p) => (p, p.checked_add(1).ok_or("--port must leave room for the TCP port after it")?),
        None => (free_port()?, free_port()?),
    };
    let broker = DemoBroker {
        ws: SocketAddr::from(([127, 0, 0, 1], ws_port)),
        tcp: SocketAddr::from(([127, 0, 0, 1], tcp_port)),
    };
    for addr in [broker.ws, broker.tcp] {
        TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e} (pick another --port)"))?;
    }
    let config = broker_config(&broker);
    std::thread::Builder::new()
        .name("demo-broker".into())
        .spawn(move || {
            if let Err(e) = rumqttd::Broker::new(config).start() {
                tracing::error!("embedded broker stopped: {e}");
            }
        })
        .map_err(|e| format!("cannot start the broker thread: {e}"))?;
    if !wait_listening(&[broker.ws, broker.tcp], Duration::from_secs(10)) {
        return Err(format!("the embedded broker did not start listening on {} and {}", broker.ws, broker.tcp));
    }
    Ok(broker)
}

#[cfg(not(feature = "demo"))]
pub fn start_broker(_port: Option<u16>) -> Result<DemoBroker, String> {
    let _ = (free_port, wait_listening);
    Err("this build has no embedded broker: rebuild with the default 'demo' feature".into())
}

#[cfg(feature = "demo")]
fn broker_config(b: &DemoBroker) -> rumqttd::Config {
    use std::collections::HashMap;
    let server = |name: &str, listen: SocketAddr| {
        let settings = rumqttd::ServerSettings {
            name: name.to_owned(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: 1024 * 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        };
        Some(HashMap::from([("1".to_owned(), settings)]))
    };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 1000,
            max_outgoing_packet_count: 1000,
            max_segment_size: 64 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: server("tcp", b.tcp),
        ws: server("ws", b.ws),
        ..Default::default()
    }
}

fn publish(topic: String, payload: Bytes, qos: QoS, retain: bool) -> Command {
    Command::Publish {
        token: 0,
        publish: OutgoingPublish { topic, payload, qos, retain, properties: Properties::default() },
    }
}

fn now_ms() -> u64 {
    crate::app::epoch_ms(SystemTime::now())
}

/// The token of the retained reference publishes, to tell their acknowledgements apart.
const REFERENCE: u64 = 1;

/// The edge node's session: its own client id, 3.1.1 as the demo broker speaks, the NDEATH of the
/// session about to connect as its will (Sparkplug 3.0 §6.4.5), and its NCMD topic subscribed.
pub fn edge_task_options(tcp_url: &str, node: &edge::EdgeNode) -> TaskOptions {
    let will = node.will();
    let session = SessionConfig {
        client_id: format!("mqscope-demo-{}", edge::NODE),
        version: ProtocolVersion::V3_1_1,
        version_forced: true,
        keep_alive: 30,
        will: Some(crate::codec::LastWill {
            topic: will.topic.as_str().into(),
            payload: will.payload,
            qos: will.qos,
            retain: false,
            properties: Properties::default(),
        }),
        subscriptions: vec![crate::codec::Subscription {
            filter: edge::ncmd_topic().into(),
            options: crate::codec::SubscriptionOptions::qos(QoS::AtLeastOnce),
        }],
        ..SessionConfig::default()
    };
    let mut opts = TaskOptions::new(TransportOptions::new(tcp_url.to_owned()), session);
    opts.reconnect = ReconnectPolicy { retry_first_connect: true, ..ReconnectPolicy::default() };
    opts
}

/// Sends the edge node's publishes; returns `Some(true)` when it asked to disconnect, `None` when the
/// session is gone.
async fn act(tx: &tokio::sync::mpsc::Sender<Command>, actions: Vec<edge::Action>) -> Option<bool> {
    let mut disconnect = false;
    for a in actions {
        match a {
            edge::Action::Publish(out) => tx.send(publish(out.topic, out.payload, out.qos, false)).await.ok()?,
            edge::Action::Disconnect => {
                tx.send(Command::Disconnect).await.ok()?;
                disconnect = true;
            }
            edge::Action::Connect => {}
        }
    }
    Some(disconnect)
}

/// Runs the Sparkplug edge node against the broker at `tcp_url` until the task is dropped, starting
/// after `delay` (so the dashboard, subscribing at the same time, sees the first births). One MQTT
/// session per bdSeq: births whenever it connects, commands from its NCMD topic, a clean disconnect
/// after each NDEATH and a new session when the node comes back.
pub async fn run_edge_node(tcp_url: String, delay: Duration) -> Result<(), String> {
    tokio::time::sleep(delay).await;
    let mut node = edge::EdgeNode::new(now_ms() ^ 0x5eed_5eed, now_ms());
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        let mut handle = session::spawn(edge_task_options(&tcp_url, &node));
        let ended = "the Sparkplug edge node's session ended";
        loop {
            let actions = tokio::select! {
                ev = handle.events.recv() => match ev {
                    None => return Err(ended.into()),
                    Some(session::SessionEvent::Connected(_)) => node.births(now_ms()),
                    Some(session::SessionEvent::Message(m)) => node.on_message(&m.topic, &m.payload, now_ms()),
                    Some(session::SessionEvent::Messages(ms)) => {
                        ms.iter().flat_map(|m| node.on_message(&m.topic, &m.payload, now_ms())).collect()
                    }
                    Some(_) => continue,
                },
                _ = tick.tick() => node.step(now_ms()),
            };
            match act(&handle.commands, actions).await {
                None => return Err(ended.into()),
                Some(true) => break,
                Some(false) => {}
            }
        }
        // The DISCONNECT goes out and the task ends; then the node stays away until it asks to connect.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut handle.task).await;
        handle.task.abort();
        loop {
            tick.tick().await;
            if node.step(now_ms()).contains(&edge::Action::Connect) {
                break;
            }
        }
    }
}

/// Aborts a spawned task when dropped (the feed's edge node ends with the feed).
struct AbortOnDrop(tokio::task::JoinHandle<Result<(), String>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Publishes the feed into the broker at `tcp_url` until the task is dropped, with the Sparkplug edge
/// node starting after `edge_delay`. `ready` fires once the broker has acknowledged every retained
/// reference message, so a subscriber from then on gets them all.
pub async fn run_feed(
    tcp_url: String,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
    edge_delay: Duration,
) -> Result<(), String> {
    let _edge = AbortOnDrop(tokio::spawn(run_edge_node(tcp_url.clone(), edge_delay)));
    let universe = feed::universe()?;
    let session = SessionConfig {
        client_id: "mqscope-demo-feed".into(),
        version: ProtocolVersion::V3_1_1,
        version_forced: true,
        keep_alive: 30,
        ..SessionConfig::default()
    };
    let mut opts = TaskOptions::new(TransportOptions::new(tcp_url), session);
    opts.reconnect = ReconnectPolicy { retry_first_connect: true, ..ReconnectPolicy::default() };
    opts.channel_capacity = 4096;
    let mut handle = session::spawn(opts);
    // Nobody reads the feed's events but this drain, so the session never blocks on them.
    let references = universe.symbols.len();
    let drain = tokio::spawn(async move {
        let (mut ready, mut acked) = (ready, 0);
        while let Some(event) = handle.events.recv().await {
            if let session::SessionEvent::Published { token: REFERENCE, .. } = event {
                acked += 1;
                if acked == references
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(());
                }
            }
        }
    });
    let tx = handle.commands;
    let mut rng = Rng::new(now_ms() ^ 0x9e37_79b9_7f4a_7c15);
    let start = now_ms();
    for sym in &universe.symbols {
        let topic = format!("ref/{}", sym.symbol);
        let mut reference = publish(topic, feed::reference(sym, &universe.exchange), QoS::AtLeastOnce, true);
        if let Command::Publish { token, .. } = &mut reference {
            *token = REFERENCE;
        }
        let _ = tx.send(reference).await;
    }
    let mut quotes: Vec<Quote> = universe.symbols.iter().map(|s| Quote::new(s.clone(), start, &mut rng)).collect();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut next_slow = start;
    let mut boiler = 70.0;
    let mut frame = 0u64;
    loop {
        tick.tick().await;
        let now = now_ms();
        for q in &mut quotes {
            if q.next_at_ms <= now {
                let payload = q.step(now, &mut rng);
                let topic = format!("ticker/{}", q.sym.symbol);
                if tx.send(publish(topic, payload, QoS::AtMostOnce, false)).await.is_err() {
                    drain.abort();
                    return Err("the feed's session ended".into());
                }
            }
        }
        if now >= next_slow {
            next_slow = now + 1000;
            frame += 1;
            boiler += rng.normal() * 0.3;
            let slow = [
                publish("plant/boiler/temp".into(), Bytes::from(format!("{boiler:.1} °C")), QoS::AtMostOnce, false),
                publish("plant/probe/msgpack".into(), feed::msgpack_reading(boiler / 10.0), QoS::AtMostOnce, false),
                publish(
                    "plant/motor/cbor".into(),
                    feed::cbor_reading(1200 + (rng.unit() * 300.0) as u16, boiler + 10.0),
                    QoS::AtMostOnce,
                    false,
                ),
                publish("plant/camera/frame".into(), feed::binary_frame(&mut rng), QoS::AtMostOnce, false),
                publish(
                    "plant/status".into(),
                    Bytes::from(if frame % 30 < 25 { "running" } else { "maintenance" }),
                    QoS::AtLeastOnce,
                    true,
                ),
            ];
            for cmd in slow {
                let _ = tx.send(cmd).await;
            }
        }
    }
}

/// `mqscope demo`: broker, feed, and the dashboard (or just the URLs with `--headless`).
pub fn run(args: &crate::cli::DemoArgs) -> u8 {
    use crate::exit;
    let rt = match crate::tui::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let broker = match start_broker(args.port) {
        Ok(b) => b,
        Err(e) => {
            crate::report!("mqscope demo: {e}");
            return exit::FAILURE;
        }
    };
    if args.headless {
        return rt.block_on(async {
            // The URLs go out once the reference data is in the broker: a script that subscribes as
            // soon as it reads them must find every retained message.
            let (ready_tx, ready) = tokio::sync::oneshot::channel();
            let mut feed = tokio::spawn(run_feed(broker.tcp_url(), Some(ready_tx), Duration::ZERO));
            tokio::select! {
                _ = ready => {}
                r = &mut feed => {
                    if let Ok(Err(e)) = r {
                        crate::report!("mqscope demo: {e}");
                    }
                    return exit::FAILURE;
                }
                _ = shutdown_signal() => return exit::OK,
            }
            // Both listeners speak 3.1.1 only: the examples ask for it, so no 5.0 attempt comes first.
            let (ws, tcp) = (broker.ws_url(), broker.tcp_url());
            let ready = format!(
                "{ws}\n{tcp}\ndemo broker and feed running, MQTT 3.1.1 on both; Ctrl-C stops. Try:\n  \
                 mqscope sub --mqtt 3.1.1 -u {ws} -t 'ticker/#' -v\n  mqscope --mqtt 3.1.1 -u {tcp}\n"
            );
            if let Err(e) = crate::sanitize::print_text(&ready) {
                return exit::write_failed(&e);
            }
            tokio::select! {
                r = feed => match r {
                    Ok(Err(e)) => { crate::report!("mqscope demo: {e}"); exit::FAILURE }
                    _ => exit::FAILURE,
                },
                _ = shutdown_signal() => exit::OK,
            }
        });
    }
    let _log = crate::tui_setup::init_logging_to(args.log_file.clone(), "info");
    let url = broker.ws_url();
    let session = SessionConfig {
        client_id: crate::headless::conn::generated_client_id(),
        // rumqttd's WebSocket listener speaks 3.1.1 only; asking for it directly saves a fallback.
        version: ProtocolVersion::V3_1_1,
        version_forced: true,
        subscriptions: vec![crate::codec::Subscription {
            filter: "#".into(),
            options: crate::codec::SubscriptionOptions::qos(QoS::AtMostOnce),
        }],
        ..SessionConfig::default()
    };
    let mut task = TaskOptions::new(TransportOptions::new(url.clone()), session);
    task.reconnect.retry_first_connect = true;
    task.read_pace = Some(crate::tui::READ_PACE);
    let config = crate::app::Config {
        url,
        watch_lists: watch_lists(),
        start_view: crate::app::View::Watch,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        zone: crate::timefmt::Zone::local(),
        payload_views: vec![
            ("plant/probe/msgpack".into(), crate::payload::PayloadFormat::MsgPack),
            ("plant/motor/cbor".into(), crate::payload::PayloadFormat::Cbor),
        ],
        ..crate::app::Config::default()
    };
    let result = rt.block_on(async {
        // The dashboard connects and subscribes within milliseconds on loopback; the edge node's
        // first births wait a moment for it (a missed one is a `b` away in the Sparkplug view).
        let feed = tokio::spawn(run_feed(broker.tcp_url(), None, Duration::from_millis(1500)));
        // The user's own brokers can be added beside the demo's (`A`), from the usual config file.
        let adder = <crate::cli::Cli as clap::Parser>::try_parse_from(["mqscope"])
            .ok()
            .map(|cli| crate::tui_add::Adder::new(None, &cli.tui));
        let r = crate::tui::run("demo".into(), config, task, args.fps, adder).await;
        feed.abort();
        r
    });
    // A broker still being added (a password command that never ends) must not hold up the exit.
    rt.shutdown_background();
    crate::tui::exit_code(result)
}

/// The demo's watch lists: the tickers against their opening prices, and the plant's readings.
pub fn watch_lists() -> Vec<crate::app::watch::WatchList> {
    use crate::app::watch::{Alert, Column, FieldSpec, Reference, WatchList};
    let col = |title: &str, field: &str, decimals: Option<usize>| Column {
        title: title.into(),
        field: FieldSpec::parse(field).unwrap_or(FieldSpec::Auto),
        decimals,
        alert: None,
    };
    let mut px = col("px", "/px", Some(2));
    px.alert = Some(Alert { change_pct: Some(2.0), ..Alert::default() });
    vec![
        WatchList {
            name: "tickers".into(),
            patterns: vec!["ticker/+".into()],
            columns: vec![px, col("bid", "/bid", Some(2)), col("ask", "/ask", Some(2)), col("vol", "/vol", None)],
            reference: Some(Reference { topic: Some("ref/{last}".into()), field: FieldSpec::Pointer("/open".into()) }),
            stale_after_ms: 5_000,
            alert_invalid: false,
        },
        WatchList {
            name: "plant".into(),
            patterns: vec!["plant/#".into()],
            columns: vec![col("value", "auto", Some(2))],
            reference: None,
            stale_after_ms: 5_000,
            alert_invalid: false,
        },
    ]
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

#[cfg(all(test, feature = "demo"))]
mod tests {
    use super::*;

    #[test]
    fn broker_starts_on_free_ports_and_a_taken_port_is_a_clear_error() {
        let b = start_broker(None).unwrap();
        assert!(TcpStream::connect(b.ws).is_ok() && TcpStream::connect(b.tcp).is_ok());
        assert!(b.ws_url().starts_with("ws://127.0.0.1:") && b.ws_url().ends_with("/mqtt"));
        let err = start_broker(Some(b.ws.port())).unwrap_err();
        assert!(err.contains("cannot listen") && err.contains("--port"), "{err}");
    }
}
