//! The runner: start the clients, give the go, print a line a second, stop, drain, report.

use super::clients::{self, Phase, PublisherEnd, PublisherSpec, Ready, lock};
use super::hdr_log::HdrLog;
use super::report::{self, Connections, Inputs, NodeTick, Settings, Tick};
use super::schedule::Lag;
use super::screen::{self, View};
use super::stamp;
use super::stats::{Counts, Percentiles, Stats};
use crate::exit;
use crate::session::TaskOptions;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

/// Everything a run needs, built from the command line by `bench::run`.
pub struct Plan {
    pub settings: Settings,
    pub publishers: Vec<(PublisherSpec, TaskOptions)>,
    /// Slot, node and options of each subscriber.
    pub subscribers: Vec<(u32, usize, TaskOptions)>,
    /// How many nodes the run names (`settings.urls`), and the node of each publisher.
    pub nodes: usize,
    pub publisher_nodes: Vec<usize>,
    /// How many subscriber slots should see each published message (0 without local subscribers).
    pub copies: u64,
    /// The QoS messages reach the subscribers with, for the loss accounting.
    pub delivered_qos: Option<u8>,
    pub duration: Option<Duration>,
    pub warmup: Duration,
    pub drain: Duration,
    /// `bench sub --count`: stop after this many received.
    pub receive_count: Option<u64>,
    pub json: Option<PathBuf>,
    pub hdr_log: Option<PathBuf>,
    pub command: Vec<String>,
}

/// Bound on connecting and subscribing, beyond the connect timeout the sessions enforce themselves.
const READY_SLACK: Duration = Duration::from_secs(5);

/// Runs the plan, writing lines (or, with `tui`, drawing the live screen) and the report to `out`;
/// returns the exit code.
pub async fn run(plan: Plan, out: &mut impl Write, connect_timeout: Duration, tui: bool) -> u8 {
    let started_at = crate::timefmt::rfc3339_millis(SystemTime::now());
    let run_id = plan.publishers.first().map_or(0, |(s, _)| s.run);
    let mut hdr = match plan.hdr_log.as_deref().map(HdrLog::create).transpose() {
        Ok(h) => h,
        Err(e) => {
            crate::report!("mqscope: {e}");
            return exit::FAILURE;
        }
    };
    let stats = Arc::new(Mutex::new(Stats::for_nodes(plan.nodes, run_id, plan.publisher_nodes.clone())));
    let mut node_clients = vec![(0u64, 0u64); plan.nodes];
    let mut sub_nodes = vec![0u64; plan.nodes];
    let mut pub_nodes = vec![0u64; plan.nodes];
    for &n in &plan.publisher_nodes {
        if let Some(c) = node_clients.get_mut(n) {
            c.0 += 1;
            pub_nodes[n] += 1;
        }
    }
    for (_, n, _) in &plan.subscribers {
        if let Some(c) = node_clients.get_mut(*n) {
            c.1 += 1;
            sub_nodes[*n] += 1;
        }
    }
    let (phase_tx, phase_rx) = watch::channel(Phase::Prepare);
    let planned = (plan.publishers.len() + plan.subscribers.len()) as u64;
    // SIGINT, SIGTERM, SIGHUP and SIGQUIT all stop the run cleanly with the results so far.
    let mut signals = match crate::tui::ExitSignals::new() {
        Ok(s) => s,
        Err(e) => {
            crate::report!("mqscope: cannot watch for signals: {e}");
            return exit::FAILURE;
        }
    };
    let mut interrupted = false;
    let mut failure_code: Option<u8> = None;
    let mut failed = 0u64;

    // Subscribers first, so the publishers' first messages have somewhere to go.
    let mut subs = JoinSet::new();
    let (ready_tx, mut ready_rx) = mpsc::channel(64);
    for (slot, node, opts) in plan.subscribers {
        subs.spawn(clients::subscriber(slot, node, opts, stats.clone(), phase_rx.clone(), ready_tx.clone()));
    }
    let n = plan.settings.subscribers;
    let deadline = Instant::now() + connect_timeout * 2 + READY_SLACK;
    let (ok, bad) =
        await_ready(&mut ready_rx, &sub_nodes, deadline, &stats, &mut failure_code, &mut signals, &mut interrupted)
            .await;
    failed += bad;
    let mut pubs = JoinSet::new();
    if !(interrupted || n > 0 && ok == 0) {
        for (spec, opts) in plan.publishers {
            pubs.spawn(clients::publisher(spec, opts, stats.clone(), phase_rx.clone(), ready_tx.clone()));
        }
        let n = plan.settings.publishers;
        let deadline = Instant::now() + connect_timeout * 2 + READY_SLACK;
        let (ok_p, bad_p) =
            await_ready(&mut ready_rx, &pub_nodes, deadline, &stats, &mut failure_code, &mut signals, &mut interrupted)
                .await;
        failed += bad_p;
        if n > 0 && ok_p == 0 {
            interrupted = true;
        }
    } else {
        interrupted = true;
    }
    drop(ready_tx);

    let start = Instant::now();
    let wall = SystemTime::now();
    lock(&stats).timed_from_ns = stamp::epoch_ns(wall + plan.warmup);
    let _ = phase_tx.send(Phase::Go { start, wall });
    let stop_at = plan.duration.map(|d| start + plan.warmup + d);
    let mut ticks = interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut per_second = Vec::new();
    let mut last = Last::default();
    let mut ends: Vec<PublisherEnd> = Vec::new();
    let mut publishing_done_at: Option<Instant> = None;
    let mut drain_until: Option<Instant> = None;
    let far = start + Duration::from_secs(86_400 * 365);
    let mut write_error: Option<std::io::Error> = None;
    let have_pubs = plan.settings.publishers > 0;
    let mut screen = if tui && !interrupted { Screen::start(&plan.settings, planned, &node_clients) } else { None };

    // The first Ctrl-C (or q) stops publishing and drains as the end of the run would; the second
    // one leaves at once.
    let mut stop_requested = false;
    while !interrupted {
        if stop_requested {
            stop_requested = false;
            if have_pubs && drain_until.is_none() {
                let d = Instant::now() + plan.drain;
                drain_until = Some(d);
                publishing_done_at.get_or_insert_with(Instant::now);
                let _ = phase_tx.send(Phase::Stop { drain_until: d });
            } else {
                break;
            }
        }
        // Done publishing and everything that should arrive has arrived: no need to wait out the drain.
        if let Some(d) = drain_until {
            let s = lock(&stats);
            let expected: u64 = ends.iter().map(|e| e.sent).sum::<u64>() * plan.copies;
            let arrived = s.counts.received - s.counts.unstamped;
            let pubs_done = pubs.is_empty();
            drop(s);
            if pubs_done && (arrived >= expected || Instant::now() >= d) {
                break;
            }
        }
        tokio::select! {
            _ = ticks.tick() => {
                let tick = take_tick(&stats, &mut last, start, &mut hdr);
                if let Some(sc) = screen.as_mut() {
                    sc.update(&stats, tick.clone(), &ends);
                    if let Err(e) = sc.draw() {
                        write_error = Some(e);
                        interrupted = true;
                    }
                } else if write_error.is_none()
                    && let Err(e) = writeln!(out, "{}", tick.line()).and_then(|()| out.flush())
                {
                    write_error = Some(e);
                }
                per_second.push(tick);
                let received = lock(&stats).counts.received;
                let count_reached = plan.receive_count.is_some_and(|c| received >= c);
                let time_up = stop_at.is_some_and(|t| Instant::now() >= t);
                if drain_until.is_none() && (count_reached || time_up) {
                    if !have_pubs {
                        break;
                    }
                    let d = Instant::now() + plan.drain;
                    drain_until = Some(d);
                    publishing_done_at.get_or_insert_with(Instant::now);
                    let _ = phase_tx.send(Phase::Stop { drain_until: d });
                }
            }
            Some(end) = pubs.join_next(), if !pubs.is_empty() => {
                if let Ok(end) = end {
                    ends.push(end);
                }
                if pubs.is_empty() && drain_until.is_none() {
                    // Every publisher finished its --count (or lost its connection).
                    publishing_done_at.get_or_insert_with(Instant::now);
                    drain_until = Some(Instant::now() + plan.drain);
                }
            }
            () = sleep_until(drain_until.unwrap_or(far)), if drain_until.is_some() && pubs.is_empty() => {}
            () = signals.recv() => stop_requested = true,
            stop = next_key(screen.as_mut()) => {
                if stop {
                    stop_requested = true;
                } else if let Some(sc) = screen.as_mut()
                    && let Err(e) = sc.draw()
                {
                    write_error = Some(e);
                    interrupted = true;
                }
            }
        }
    }
    // The terminal is back before anything else is written.
    drop(screen);
    let publishing_done_at = *publishing_done_at.get_or_insert_with(Instant::now);
    let _ = phase_tx.send(Phase::Quit);
    while let Some(end) = pubs.join_next().await {
        if let Ok(end) = end {
            ends.push(end);
        }
    }
    while subs.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    let tick = take_tick(&stats, &mut last, start, &mut hdr);
    if tick.sent + tick.received > 0 {
        per_second.push(tick);
    }

    let s = lock(&stats);
    let mut lag = Lag::default();
    let mut sent_by: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &ends {
        lag.merge(e.lag);
        sent_by.insert((u64::from(run_id) << 32) | u64::from(e.client), e.sent);
    }
    let loss = (plan.copies > 0 || (plan.settings.subscribers > 0 && !s.trackers.is_empty()))
        .then(|| report::loss(&s.trackers, &sent_by, plan.copies, plan.delivered_qos));
    let mut code = failure_code.map_or(exit::OK, |c| if failed == planned { c } else { exit::FAILURE });
    if failed > 0 {
        code = code.max(exit::FAILURE);
    }
    let lost_reliable = loss.as_ref().is_some_and(|l| l.qos.is_some_and(|q| q > 0) && l.lost > 0);
    if s.counts.publish_failed > 0 || lost_reliable || s.error_count() > failed {
        code = code.max(exit::FAILURE);
    }
    let report = report::build(Inputs {
        stats: &s,
        settings: plan.settings,
        command: plan.command,
        started_at,
        elapsed,
        publish_time: publishing_done_at.saturating_duration_since(start),
        lag,
        loss,
        connections: Connections { planned, connected: planned - failed, failed },
        node_clients,
        per_second,
        exit_code: code,
    });
    drop(s);
    if let Some(e) = write_error {
        return exit::write_failed(&e);
    }
    if let Some(h) = hdr.as_mut()
        && let Err(e) = h.finish()
    {
        crate::report!("mqscope: {e}");
        code = code.max(exit::FAILURE);
    }
    if let Some(path) = &plan.json
        && let Err(e) = write_json(path, &report)
    {
        crate::report!("mqscope: --json '{}': {e}", path.display());
        code = code.max(exit::FAILURE);
    }
    if let Err(e) = out.write_all(report.text().as_bytes()).and_then(|()| out.flush()) {
        return exit::write_failed(&e);
    }
    code
}

/// Waits for the clients (`planned` per node) to say they are ready; counts and reports failures by
/// reason, on their node.
#[allow(clippy::too_many_arguments)]
async fn await_ready(
    rx: &mut mpsc::Receiver<Ready>,
    planned: &[u64],
    deadline: Instant,
    stats: &Mutex<Stats>,
    failure_code: &mut Option<u8>,
    signals: &mut crate::tui::ExitSignals,
    interrupted: &mut bool,
) -> (u64, u64) {
    let n: u64 = planned.iter().sum();
    let mut answered = vec![0u64; planned.len()];
    let (mut ok, mut bad) = (0, 0);
    while ok + bad < n {
        tokio::select! {
            r = rx.recv() => match r {
                Some(Ready::Ok { node }) => {
                    ok += 1;
                    if let Some(a) = answered.get_mut(node) { *a += 1; }
                    lock(stats).node(node).ready += 1;
                }
                Some(Ready::Failed { node, reason, code }) => {
                    bad += 1;
                    if let Some(a) = answered.get_mut(node) { *a += 1; }
                    failure_code.get_or_insert(code);
                    if bad <= 3 {
                        crate::report!("mqscope: {reason}");
                    }
                    let mut s = lock(stats);
                    s.node(node).failed += 1;
                    s.error_at(node, reason);
                }
                None => break,
            },
            () = sleep_until(deadline) => {
                let missing = n - ok - bad;
                crate::report!("mqscope: {missing} client(s) not ready after {} s", (deadline - Instant::now()).as_secs());
                let mut s = lock(stats);
                for (node, (&p, &a)) in planned.iter().zip(&answered).enumerate() {
                    let m = p.saturating_sub(a);
                    if m > 0 {
                        s.node(node).failed += m;
                        s.error_n(node, "not ready in time", m);
                    }
                }
                bad += missing;
                failure_code.get_or_insert(exit::TIMEOUT);
                break;
            }
            () = signals.recv() => {
                *interrupted = true;
                break;
            }
        }
    }
    (ok, bad)
}

/// The terminal while the live screen is up; restored when dropped.
struct Screen {
    _guard: crate::tui::TerminalGuard,
    terminal: crate::tui::Screen,
    events: crossterm::event::EventStream,
    view: View,
}

impl Screen {
    /// `None` (said why on stderr) when the terminal cannot be set up: the run goes on with lines.
    fn start(settings: &Settings, planned: u64, node_clients: &[(u64, u64)]) -> Option<Self> {
        match crate::tui::setup_terminal() {
            Ok((guard, terminal)) => {
                let title = format!(
                    " mqscope bench {} · {} · q stops, twice: at once ",
                    settings.mode,
                    settings.urls.join(", ")
                );
                Some(Self {
                    _guard: guard,
                    terminal,
                    events: crossterm::event::EventStream::new(),
                    view: View {
                        title,
                        planned,
                        node_urls: settings.urls.clone(),
                        node_planned: node_clients.iter().map(|(p, s)| p + s).collect(),
                        ..View::default()
                    },
                })
            }
            Err(e) => {
                crate::report!("mqscope: no live screen ({e}); printing a line a second");
                None
            }
        }
    }

    fn update(&mut self, stats: &Mutex<Stats>, tick: Tick, ends: &[PublisherEnd]) {
        let s = lock(stats);
        self.view.total_sent = s.counts.sent;
        self.view.total_received = s.counts.received;
        self.view.errors = s.errors.clone();
        self.view.node_totals = s.nodes.iter().map(|n| (n.counts.sent, n.counts.received)).collect();
        drop(s);
        self.view.late = ends.iter().map(|e| e.lag.late).sum();
        self.view.push(tick);
    }

    fn draw(&mut self) -> std::io::Result<()> {
        let view = &self.view;
        self.terminal.draw(|f| screen::render(f, view, f.area())).map(|_| ())
    }
}

/// The next key or resize on the live screen: `true` to stop (q, Esc, Ctrl-C), `false` to redraw.
/// Never resolves without a screen.
async fn next_key(screen: Option<&mut Screen>) -> bool {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
    use futures_util::StreamExt as _;
    let Some(sc) = screen else { return std::future::pending().await };
    loop {
        match sc.events.next().await {
            Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => {
                let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if ctrl_c || matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                    return true;
                }
            }
            Some(Ok(Event::Resize(..))) => return false,
            Some(Ok(_)) => {}
            // The terminal went away: stop with what we have.
            Some(Err(_)) | None => return true,
        }
    }
}

/// The counts at the last tick, in all and per node.
#[derive(Default)]
struct Last {
    all: Counts,
    nodes: Vec<Counts>,
}

fn take_tick(stats: &Mutex<Stats>, last: &mut Last, start: Instant, hdr: &mut Option<HdrLog>) -> Tick {
    let mut s = lock(stats);
    let c = s.counts;
    let second = start.elapsed().as_secs_f64().round() as u64;
    last.nodes.resize(s.nodes.len(), Counts::default());
    let nodes = s
        .nodes
        .iter_mut()
        .zip(last.nodes.iter_mut())
        .enumerate()
        .map(|(i, (n, before))| {
            let t = NodeTick {
                node: super::nodes::label(i),
                sent: n.counts.sent - before.sent,
                received: n.counts.received - before.received,
                latency_ns: Percentiles::of(&n.interval),
                connected: n.connected,
                errors: n.errors.values().sum(),
            };
            n.interval.reset();
            *before = n.counts;
            t
        })
        .collect();
    let tick = Tick {
        second,
        sent: c.sent - last.all.sent,
        received: c.received - last.all.received,
        latency_ns: Percentiles::of(&s.interval),
        connected: s.connected,
        errors: s.error_count(),
        nodes,
    };
    if let Some(h) = hdr.as_mut() {
        h.interval(&s.interval, Duration::from_secs(second.saturating_sub(1)));
    }
    s.interval.reset();
    last.all = c;
    tick
}

fn write_json(path: &std::path::Path, report: &report::Report) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    serde_json::to_writer_pretty(&mut f, report).map_err(std::io::Error::from)?;
    f.write_all(b"\n")?;
    f.into_inner().map_err(|e| e.into_error())?.sync_all()
}
