//! The interactive dashboard's IO edge: the terminal (raw mode, alternate screen, mouse), the event
//! loop that feeds `App::apply` from keys, the session and the clock, and drawing at most once per
//! frame. The terminal is restored on every way out: quit, error, panic, and every signal that ends
//! the program (SIGTERM, SIGINT, SIGHUP, SIGQUIT).

use crate::app::compare_view::{CompareView, Spec};
use crate::app::frames::{FrameStats, FrameTiming};
use crate::app::tabs::{Ask, Outcome, TabId, TabList, TabState, TabSummary};
use crate::app::{App, AppEvent, Config, Effect, RecordingEvent, epoch_ms};
use crate::compare::Side;
use crate::manager::Choice;
use crate::record::{RecordError, Recorder};
use crate::sanitize;
use crate::session::{self, Command, SessionEvent, TaskOptions};
use crate::tui_add::{AddError, Adder};
use crate::ui;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event, EventStream,
    KeyEventKind, MouseButton, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::collections::VecDeque;
use std::io::{self, BufWriter, Stdout, Write as _};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// At most this many session events are applied per loop turn before the screen gets a chance to
/// draw; each event is a batch of messages, so this is thousands of messages.
const EVENTS_PER_TURN: usize = 256;
/// And for at most this long: a key or a frame never waits behind more (a flood of new topics
/// once took 221 ms in one turn). What is left stays queued for the next turn; the session waits
/// while the queue is full, so nothing is dropped.
const APPLY_BUDGET: Duration = Duration::from_millis(8);

/// The longest sleep between two ticks (`App::next_tick_ms` asks for one at least this often).
const IDLE_TICK: Duration = Duration::from_secs(1);

/// How long a dashboard session leaves its socket after a read that emptied it (see
/// `TaskOptions::read_pace`): a steady stream then costs one wake-up per pause instead of one per few
/// packets, and a message shows at most this much later, far below a frame. A backlog is read at once.
pub const READ_PACE: Duration = Duration::from_millis(5);
/// How often the frame timer's figures go to the log file (and once more for the whole run at exit).
const STATS_LOG_PERIOD: Duration = Duration::from_secs(10);

/// The frame timer's IO side: it measures, `app::frames` keeps the figures.
struct Stopwatch {
    stats: FrameStats,
    /// When each key not yet on screen was read.
    keys: Vec<Instant>,
    /// Time spent applying session events since the last frame, and their messages.
    apply: Duration,
    messages: u64,
    period_start: Instant,
    /// The second the on-screen figures were last refreshed in.
    shown_at: Option<Instant>,
}

impl Stopwatch {
    fn new() -> Self {
        Self {
            stats: FrameStats::default(),
            keys: Vec::new(),
            apply: Duration::ZERO,
            messages: 0,
            period_start: Instant::now(),
            shown_at: None,
        }
    }

    fn applied(&mut self, took: Duration, messages: u64) {
        self.apply += took;
        self.messages += messages;
    }

    /// A frame was flushed at `done`: its parts, and every key read before it is now on screen.
    fn frame(&mut self, prepare: Duration, draw: Duration, flush: Duration, done: Instant) {
        let t = FrameTiming { apply: std::mem::take(&mut self.apply), prepare, draw, flush };
        self.stats.record_frame(&t, std::mem::take(&mut self.messages));
        for read in self.keys.drain(..) {
            self.stats.record_key(done.saturating_duration_since(read));
        }
    }

    /// Once a second: the figures for the screen (when shown); every period: a line in the log.
    fn tick(&mut self, app: &mut App) {
        let now = Instant::now();
        if app.show_frame_stats && self.shown_at.is_none_or(|t| now >= t + Duration::from_secs(1)) {
            self.shown_at = Some(now);
            self.stats.refresh_shown();
            app.apply(AppEvent::FrameStats(self.stats.shown));
        }
        if now >= self.period_start + STATS_LOG_PERIOD {
            let secs = now.duration_since(self.period_start).as_secs();
            self.period_start = now;
            if let Some(line) = self.stats.end_period(&format!("last {secs} s")) {
                tracing::info!("{line}");
            }
        }
    }

    fn finish(&self) {
        if let Some(line) = self.stats.total.log_line("whole run") {
            tracing::info!("{line}");
        }
    }
}

/// Applies queued events until none is left, `EVENTS_PER_TURN` were applied or `budget` has
/// passed since `start`. Returns how many were applied; the rest stay queued.
fn drain<T>(start: Instant, budget: Duration, mut next: impl FnMut() -> Option<T>, mut apply: impl FnMut(T)) -> usize {
    let mut applied = 0;
    while applied < EVENTS_PER_TURN && start.elapsed() < budget {
        let Some(ev) = next() else { break };
        apply(ev);
        applied += 1;
    }
    applied
}

/// The frame timer, or at once when its deadline has passed by the clock. The runtime fires a
/// sleep only when it looks at its timers, which a loop that never waits (session events always
/// queued, each slow to apply, as a flood on topics with schema checks) can put off for a second:
/// the frame would wait behind the flood.
fn frame_due<'a>(frame: &'a mut std::pin::Pin<&mut tokio::time::Sleep>) -> impl std::future::Future<Output = ()> + 'a {
    std::future::poll_fn(move |cx| {
        if Instant::now() >= frame.deadline().into_std() {
            return std::task::Poll::Ready(());
        }
        frame.as_mut().poll(cx)
    })
}

/// Messages in a session event.
fn messages_in(ev: &SessionEvent) -> u64 {
    match ev {
        SessionEvent::Messages(b) => b.len() as u64,
        SessionEvent::Message(_) => 1,
        _ => 0,
    }
}

/// Puts the terminal back as it was. Safe to call twice.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// The signals that end the program. Caught, they leave through the normal exit path, which
/// restores the terminal and flushes the log and a recording; left to their default action, SIGHUP
/// (the terminal closed) and SIGQUIT (Ctrl-\\) would leave the alternate screen and mouse tracking on.
pub(crate) struct ExitSignals([tokio::signal::unix::Signal; 4]);

impl ExitSignals {
    /// Must be called inside a tokio runtime.
    pub(crate) fn new() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self([
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
            signal(SignalKind::hangup())?,
            signal(SignalKind::quit())?,
        ]))
    }

    /// Resolves when one of them arrives.
    pub(crate) async fn recv(&mut self) {
        let [term, int, hup, quit] = &mut self.0;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
            _ = quit.recv() => {}
        }
    }
}

/// Restores the terminal when dropped, whatever the exit path.
pub(crate) struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// The terminal a screen draws on. Output is buffered for a whole frame (stdout alone writes in
/// 1 KiB pieces: some 40 writes for a frame at 200x60), so a frame reaches the terminal in one or
/// two writes and is never shown half drawn.
pub(crate) type Screen = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Room for a full frame of a large terminal, colours included.
const FRAME_BUFFER: usize = 256 * 1024;

pub(crate) fn setup_terminal() -> io::Result<(TerminalGuard, Screen)> {
    use std::io::IsTerminal as _;
    if !io::stdout().is_terminal() {
        // Said in words: crossterm's own error here is "No such device or address (os error 6)".
        return Err(io::Error::other(
            "the dashboard needs a terminal and stdout is not one; for scripts use `mqscope sub` \
             (or `mqscope demo --headless`)",
        ));
    }
    // The panic hook restores first, so the panic message lands on a sane screen.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(FRAME_BUFFER, io::stdout())))?;
    terminal.hide_cursor()?;
    terminal.clear()?;
    Ok((guard, terminal))
}

/// The runtime the dashboard runs on: one thread for the screen and its sessions. Handing each batch
/// of messages from a worker thread to the screen's thread cost a wake-up of the other thread (a
/// futex call on each side) per read: a third of the dashboard's CPU under a steady flood. The loop
/// applies messages for at most `APPLY_BUDGET` at a time and reads input first, so a flood still
/// cannot hold a key or a frame back. On error it says so and gives the exit code.
pub fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        crate::report!("mqscope: cannot start the async runtime: {e}");
        crate::exit::FAILURE
    })
}

/// The exit code of a dashboard run; on an error the terminal is restored before the error is printed.
pub fn exit_code(result: anyhow::Result<()>) -> u8 {
    match result {
        Ok(()) => crate::exit::OK,
        Err(e) => {
            restore_terminal();
            crate::report!("mqscope: {e:#}");
            crate::exit::FAILURE
        }
    }
}

fn now_ms() -> u64 {
    epoch_ms(SystemTime::now())
}

/// Runs the dashboard until the user quits or a signal arrives.
/// `adder`: brokers can be added in new tabs (`A`) with these options.
/// `name`: what the tab bar calls it once a second broker is added.
pub async fn run(
    name: String,
    config: Config,
    task: TaskOptions,
    fps: u32,
    adder: Option<Adder>,
) -> anyhow::Result<()> {
    let tab = Tab::new(1, name, config, session::spawn(task.clone()), Some(task));
    run_tabs(vec![tab], None, fps, adder).await
}

/// Runs the dashboard on any source of session events (a live session, or a replay).
pub async fn run_with(config: Config, handle: session::SessionHandle, fps: u32) -> anyhow::Result<()> {
    run_tabs(vec![Tab::new(1, String::new(), config, handle, None)], None, fps, None).await
}

/// Runs the dashboard on a recording, with the player's controls.
pub async fn run_replay(config: Config, replay: crate::record::replay::Replay, fps: u32) -> anyhow::Result<()> {
    let mut tab = Tab::new(1, String::new(), config, replay.handle, None);
    tab.player = Some(replay.control);
    run_tabs(vec![tab], None, fps, None).await
}

/// One broker of the dashboard, in a tab of its own.
pub struct Broker {
    /// What the tab bar calls it (the profile's name or the host; see `app::tabs::tab_name`).
    pub name: String,
    pub config: Config,
    pub task: TaskOptions,
}

/// Runs the dashboard with one tab per broker (`-u URL -u URL`, `-P a -P b`). The memory budget
/// (`--memory`) is the whole process's: each tab gets an even share, re-divided as tabs close, and
/// each session's hand-off queue is split the same way.
pub async fn run_brokers(brokers: Vec<Broker>, fps: u32, adder: Option<Adder>) -> anyhow::Result<()> {
    let total = brokers.first().map_or(0, |b| b.config.byte_budget);
    let n = brokers.len().max(1);
    let tabs = brokers
        .into_iter()
        .zip(1..)
        .map(|(mut b, id)| {
            b.task.hand_off_bytes = (b.task.hand_off_bytes / n).max(MIN_HAND_OFF_BYTES);
            let handle = session::spawn(b.task.clone());
            Tab::new(id, b.name, b.config, handle, Some(b.task))
        })
        .collect();
    run_tabs(tabs, Some(total), fps, adder).await
}

/// Each tab's session may queue at least this much for the screen, however many tabs share it.
const MIN_HAND_OFF_BYTES: usize = 1 << 20;

/// A tab: its app, its session and what goes with them.
pub struct Tab {
    id: TabId,
    name: String,
    app: App,
    handle: session::SessionHandle,
    /// How to reach the broker again, for retained snapshots (`None` for a replay).
    broker: Option<TaskOptions>,
    session_open: bool,
    /// Commands wait here while the session's queue is full (a clear of thousands of retained
    /// topics), so none is dropped and the loop never blocks on the session.
    outbox: VecDeque<Command>,
    recording: DashboardRecording,
    /// A replay's controls (pause, step, speed, seek); `None` for a broker.
    player: Option<tokio::sync::mpsc::Sender<crate::record::player::Command>>,
}

impl Tab {
    fn new(
        id: TabId,
        name: String,
        config: Config,
        handle: session::SessionHandle,
        broker: Option<TaskOptions>,
    ) -> Self {
        Self {
            id,
            name,
            app: App::new(config, now_ms()),
            handle,
            broker,
            session_open: true,
            outbox: VecDeque::new(),
            recording: DashboardRecording::default(),
            player: None,
        }
    }

    fn summary(&self) -> TabSummary {
        TabSummary {
            name: self.name.clone(),
            state: TabState::of(&self.app.conn.status),
            rate: ui::fmt::count(self.app.rates_now().0),
        }
    }

    /// Applies `first` and what else its session has queued, within the turn's budget.
    /// `seen`: each message, before the app keeps it (the compare view's feed).
    fn apply_events(&mut self, first: SessionEvent, watch: &mut Stopwatch, seen: &mut dyn FnMut(&session::Message)) {
        let start = Instant::now();
        let mut messages = 0;
        let (app, recording, events) = (&mut self.app, &mut self.recording, &mut self.handle.events);
        let mut apply = |ev: SessionEvent| {
            messages += messages_in(&ev);
            match &ev {
                SessionEvent::Messages(batch) => batch.iter().for_each(&mut *seen),
                SessionEvent::Message(m) => seen(m),
                _ => {}
            }
            log_event(&ev);
            app.apply(AppEvent::Session(ev));
            // Written after the app checked each message against its schema: the lines keep the verdicts.
            if let Some((batch, verdicts)) = app.take_recorded() {
                recording.write(app, &batch, &verdicts);
            }
        };
        apply(first);
        // Drain what else is queued, within a budget, so a flood costs one redraw per frame.
        drain(start, APPLY_BUDGET, || events.try_recv().ok(), &mut apply);
        app.apply(AppEvent::Backlog(events.len()));
        watch.applied(start.elapsed(), messages);
        app.apply(AppEvent::HandOffPeak(events.peak_bytes()));
    }

    /// Hands queued commands to the session while it has room.
    fn flush_outbox(&mut self) {
        while let Some(cmd) = self.outbox.pop_front() {
            match self.handle.commands.try_send(cmd) {
                Ok(()) => {}
                Err(tokio::sync::mpsc::error::TrySendError::Full(cmd)) => {
                    self.outbox.push_front(cmd);
                    return;
                }
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                    tracing::warn!("session gone; {} command(s) dropped", self.outbox.len() + 1);
                    self.outbox.clear();
                    return;
                }
            }
        }
    }

    /// Closes the tab: its recording is finished (a failure is kept for stderr at exit), its app
    /// and what it kept are freed at once, and its session is told to end (see `end_session`).
    fn close(mut self, failures: &mut Vec<String>) -> session::SessionHandle {
        self.recording.stop(&mut self.app);
        failures.extend(self.recording.failure.take());
        self.handle
    }
}

/// Ends a session: a DISCONNECT, what it still sends read for at most half a second, then the task
/// stops.
async fn end_session(mut handle: session::SessionHandle) {
    let _ = handle.commands.try_send(Command::Disconnect);
    let events = &mut handle.events;
    let _ = tokio::time::timeout(Duration::from_millis(500), async { while events.recv().await.is_some() {} }).await;
    handle.task.abort();
}

/// The next session event of any tab, looking at the tabs in turn from `from`, so a tab whose
/// broker floods cannot keep another's events waiting: each turn serves one tab, the next turn
/// starts after it.
fn next_event(tabs: &mut [Tab], from: usize) -> impl std::future::Future<Output = (usize, Option<SessionEvent>)> + '_ {
    std::future::poll_fn(move |cx| {
        let n = tabs.len();
        for k in 0..n {
            let i = (from + k) % n;
            let Some(t) = tabs.get_mut(i) else { continue };
            if !t.session_open {
                continue;
            }
            if let std::task::Poll::Ready(ev) = t.handle.events.poll_recv(cx) {
                return std::task::Poll::Ready((i, ev));
            }
        }
        std::task::Poll::Pending
    })
}

/// The compare view the line asks for, seeded with the retained values both tabs hold.
fn open_compare(line: &str, tabs: &[Tab]) -> Result<CompareView, String> {
    let spec = Spec::parse(line, tabs.len())?;
    let (Some(a), Some(b)) = (tabs.get(spec.a), tabs.get(spec.b)) else { return Err("no such tab".into()) };
    let mut v = CompareView::new(spec, [a.id, b.id], [a.name.clone(), b.name.clone()], now_ms());
    for (side, t) in [(Side::A, a), (Side::B, b)] {
        v.seed(side, &t.app.tree, |id| t.app.store.latest(id).map(|m| m.payload().to_vec()));
    }
    Ok(v)
}

/// Which side of the comparison a tab is, if either.
fn side_of(v: &CompareView, id: TabId) -> Option<Side> {
    match v.ids {
        [a, _] if a == id => Some(Side::A),
        [_, b] if b == id => Some(Side::B),
        _ => None,
    }
}

/// The whole screen and, with two tabs or more, the tab bar's row above the active app.
fn app_area(size: ratatui::layout::Size, bar: bool) -> ratatui::layout::Rect {
    let full = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    if bar && full.height > 1 { ratatui::layout::Rect { y: 1, height: full.height - 1, ..full } } else { full }
}

/// `total`: the process's memory budget, shared by the tabs (`None`: one tab keeps its own, as
/// configured).
async fn run_tabs(mut tabs: Vec<Tab>, mut total: Option<usize>, fps: u32, adder: Option<Adder>) -> anyhow::Result<()> {
    let mut list = TabList::new();
    list.can_add = adder.is_some();
    for tab in &mut tabs {
        tab.id = list.open();
    }
    let share = |list: &TabList, tabs: &mut [Tab], total: Option<usize>| {
        if let Some(total) = total {
            let share = list.share(total);
            for t in tabs {
                t.app.apply(AppEvent::Budget { share, total });
            }
        }
    };
    share(&list, &mut tabs, total);
    let (_guard, mut terminal) = setup_terminal()?;
    let mut size = terminal.size()?;
    let place = |tabs: &mut [Tab], list: &TabList, size: ratatui::layout::Size| {
        let area = app_area(size, list.shown());
        for t in tabs {
            if list.shown() {
                t.app.apply(AppEvent::Area(area));
            } else {
                t.app.apply(AppEvent::Resize { width: size.width, height: size.height });
            }
        }
    };
    place(&mut tabs, &list, size);

    // Polled on every turn of the loop: gated, so a turn costs no system call when no key came.
    let mut keys = crate::input::Gated::new(EventStream::new());
    // The next tick: at most `fps` a second, and only when the app needs one (`App::next_tick_ms`).
    let frame_gap = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240)));
    let mut last_tick = Instant::now();
    let frame = tokio::time::sleep_until(last_tick.into());
    tokio::pin!(frame);
    let mut signals = ExitSignals::new()?;
    let mut first_data_frame = false;
    let (snapshot_tx, mut snapshot_rx) = tokio::sync::mpsc::channel::<(TabId, Result<Vec<String>, String>)>(4);
    // A broker being added (`A`): its options, made off the screen's thread.
    let (add_tx, mut add_rx) = tokio::sync::mpsc::channel::<(Choice, Result<Broker, AddError>)>(1);
    let mut watch = Stopwatch::new();
    // The shell's own change to show (a switch, a closed tab, the close question).
    let mut shell_dirty = false;
    // Where the next look for session events starts.
    let mut turn = 0usize;
    let mut failures: Vec<String> = Vec::new();
    // The bridge check between two tabs (`B`), while open.
    let mut compare: Option<CompareView> = None;

    'run: loop {
        let active = list.active().min(tabs.len().saturating_sub(1));
        let any_open = tabs.iter().any(|t| t.session_open);
        // In this order when several are ready: input first, so a key is read at once and never
        // waits behind a turn of session events; session events last, so a flood cannot starve
        // frames or signals (they are applied whenever nothing else is ready).
        tokio::select! {
            biased;
            ev = keys.next() => match ev {
                Some(Ok(ev)) => {
                    let read = Instant::now();
                    if let Event::Resize(width, height) = ev {
                        size = ratatui::layout::Size { width, height };
                        place(&mut tabs, &list, size);
                        shell_dirty = true;
                    } else if let Some(ev) = map_event(ev) {
                        let typing = tabs.get(active).is_some_and(|t| t.app.typing());
                        let outcome = match &ev {
                            AppEvent::Key(k) => list.key(k, typing),
                            // The manager over the screen: the mouse does nothing under it.
                            _ if list.adding.is_some() => Outcome::Done,
                            AppEvent::Click { x, y: 0 } if list.shown() => {
                                let summaries: Vec<TabSummary> = tabs.iter().map(Tab::summary).collect();
                                list.click(&summaries, size.width, *x)
                            }
                            AppEvent::Scroll { y: 0, .. } if list.shown() => Outcome::Done,
                            _ => Outcome::Pass,
                        };
                        match outcome {
                            Outcome::Pass => {
                                let Some(tab) = tabs.get_mut(active) else { break 'run };
                                let shown = tab.app.show_frame_stats;
                                tab.app.apply(ev);
                                if tab.app.show_frame_stats != shown {
                                    watch.shown_at = None;
                                    watch.tick(&mut tab.app);
                                }
                            }
                            Outcome::Done => shell_dirty = true,
                            Outcome::Compare(line) => {
                                match open_compare(&line, &tabs) {
                                    Ok(v) => {
                                        compare = Some(v);
                                        list.comparing = true;
                                    }
                                    Err(error) => list.asking = Some(Ask { text: line, error: Some(error) }),
                                }
                                shell_dirty = true;
                            }
                            Outcome::Close(id) => {
                                if compare.as_ref().is_some_and(|v| v.ids.contains(&id)) {
                                    compare = None;
                                    list.comparing = false;
                                }
                                if let Some(i) = tabs.iter().position(|t| t.id == id) {
                                    // Its session ends on its own while the others go on.
                                    tokio::spawn(end_session(tabs.remove(i).close(&mut failures)));
                                }
                                list.remove(id);
                                share(&list, &mut tabs, total);
                                place(&mut tabs, &list, size);
                                shell_dirty = true;
                            }
                            Outcome::OpenAdd => {
                                list.adding = adder.as_ref().map(Adder::manager);
                                shell_dirty = true;
                            }
                            Outcome::Add(choice) => {
                                // Off the screen's thread: a profile's password command or its
                                // .proto files may take their time, and the screen goes on.
                                if let (Some(adder), Some(m)) = (adder.clone(), list.adding.as_mut()) {
                                    m.busy = Some("connecting…".into());
                                    m.error = None;
                                    let tx = add_tx.clone();
                                    tokio::task::spawn_blocking(move || {
                                        let result = adder.open(choice.clone());
                                        let _ = tx.blocking_send((choice, result));
                                    });
                                }
                                shell_dirty = true;
                            }
                        }
                        watch.keys.push(read);
                        // Input is drawn at once, not at the next frame tick.
                        frame.as_mut().reset(Instant::now().into());
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => break 'run,
            },
            () = frame_due(&mut frame) => {
                last_tick = Instant::now();
                // Parked far ahead until the turn's end sets the next one.
                frame.as_mut().reset((last_tick + IDLE_TICK).into());
                let now = now_ms();
                // The process before it keeps anything: measured until the first message.
                if tabs.iter().all(|t| t.app.received == 0)
                    && let Some(rss) = crate::process::resident_bytes()
                {
                    for t in &mut tabs {
                        t.app.apply(AppEvent::ProcessBaseline { rss });
                    }
                }
                let mut dirty = std::mem::take(&mut shell_dirty);
                if let Some(v) = compare.as_mut() {
                    let idle = v.ids.map(|id| tabs.iter().find(|t| t.id == id).is_none_or(|t| t.handle.events.is_empty()));
                    dirty |= v.tick(now, idle) && list.comparing;
                }
                for (i, t) in tabs.iter_mut().enumerate() {
                    t.recording.flush_if_due(&mut t.app);
                    t.app.apply(AppEvent::Tick { now_ms: now });
                    if i == active {
                        watch.tick(&mut t.app);
                    }
                    // Another tab's change shows on the bar (its state, its rate).
                    dirty |= t.app.take_dirty() && (i == active || list.shown());
                }
                if dirty && let Some(tab) = tabs.get_mut(active) {
                    let start = Instant::now();
                    tab.app.prepare();
                    let prepared = Instant::now();
                    // `Terminal::draw` in its parts, so the draw and the write are timed apart.
                    terminal.autoresize()?;
                    let summaries: Vec<TabSummary> =
                        if list.shown() { tabs.iter().map(Tab::summary).collect() } else { Vec::new() };
                    let Some(tab) = tabs.get(active) else { break 'run };
                    let mut f = terminal.get_frame();
                    if list.shown() {
                        ui::tabs::draw(&mut f, &summaries, &list, compare.as_ref(), &tab.app);
                    } else {
                        ui::draw(&mut f, &tab.app);
                    }
                    if let Some(m) = &list.adding {
                        m.render(&mut f, &ui::theme::Theme::new(tab.app.config.theme, tab.app.config.no_color));
                    }
                    let drawn = Instant::now();
                    terminal.apply_buffer()?;
                    let done = Instant::now();
                    watch.frame(prepared - start, drawn - prepared, done - drawn, done);
                    if !first_data_frame && tab.app.received > 0 {
                        first_data_frame = true;
                        if let Some(t) = crate::STARTED.get() {
                            tracing::info!("first frame with data {} ms after start", t.elapsed().as_millis());
                        }
                    }
                }
            }
            _ = signals.recv() => break 'run,
            Some((choice, result)) = add_rx.recv() => {
                // Given up (Esc) meanwhile: nothing is opened.
                if let Some(m) = list.adding.as_mut().filter(|m| m.busy.is_some()) {
                    m.busy = None;
                    match result {
                        Ok(b) => {
                            list.adding = None;
                            // From now on the budget is shared, as with `-u A -u B`.
                            let budget = *total.get_or_insert_with(|| {
                                tabs.first().map_or(b.config.byte_budget, |t| t.app.config.byte_budget)
                            });
                            let mut task = b.task;
                            task.hand_off_bytes = (task.hand_off_bytes / (list.len() + 1)).max(MIN_HAND_OFF_BYTES);
                            let handle = session::spawn(task.clone());
                            let id = list.open();
                            tracing::info!("tab {id} added: {}", b.name);
                            tabs.push(Tab::new(id, b.name, b.config, handle, Some(task)));
                            list.select(list.len() - 1);
                            share(&list, &mut tabs, Some(budget));
                            place(&mut tabs, &list, size);
                        }
                        Err(AddError::Password(prompt)) => {
                            let choice = match choice {
                                Choice::Password { choice, .. } => *choice,
                                other => other,
                            };
                            m.ask_password(choice, prompt);
                        }
                        Err(AddError::Failed(e)) => m.error = Some(e),
                    }
                }
                shell_dirty = true;
                frame.as_mut().reset(Instant::now().into());
            }
            Some((id, result)) = snapshot_rx.recv() => {
                if let Some(t) = tabs.iter_mut().find(|t| t.id == id) {
                    t.app.apply(AppEvent::RetainedSnapshot(result));
                }
            }
            (i, ev) = next_event(&mut tabs, turn), if any_open => {
                turn = i + 1;
                if let Some(t) = tabs.get_mut(i) {
                    let side = compare.as_ref().and_then(|v| side_of(v, t.id));
                    let mut cmp = compare.as_mut().zip(side);
                    match ev {
                        Some(ev) => t.apply_events(ev, &mut watch, &mut |m| {
                            if let Some((v, side)) = cmp.as_mut() {
                                v.observe(*side, m);
                            }
                        }),
                        None => t.session_open = false,
                    }
                }
            }
        }
        // Sleep until a tab needs a tick, never sooner than a frame after the last one; input above
        // sets it to now.
        let next = tabs.iter().map(|t| t.app.next_tick_ms()).min().unwrap_or(u64::MAX);
        let due =
            Instant::now() + Duration::from_millis(next.saturating_sub(now_ms()).min(IDLE_TICK.as_millis() as u64));
        let at = due.max(last_tick + frame_gap).min(frame.deadline().into_std());
        if at != frame.deadline().into_std() {
            frame.as_mut().reset(at.into());
        }
        for t in &mut tabs {
            for effect in t.app.take_effects() {
                match effect {
                    Effect::Quit => break 'run,
                    Effect::Record(None) => t.recording.stop(&mut t.app),
                    Effect::Record(Some(stem)) => t.recording.start(&mut t.app, &stem),
                    Effect::RetainedSnapshot(filters) => match &t.broker {
                        Some(opts) => {
                            let (opts, tx, id) = (opts.clone(), snapshot_tx.clone(), t.id);
                            tokio::spawn(async move {
                                let result = session::snapshot::retained_topics(opts, filters).await;
                                let _ = tx.send((id, result)).await;
                            });
                        }
                        None => {
                            t.app.apply(AppEvent::RetainedSnapshot(Err("a replay has no broker to ask".into())));
                        }
                    },
                    Effect::Bell => {
                        let _ = io::stdout().write_all(b"\x07");
                        let _ = io::stdout().flush();
                    }
                    Effect::Copy(text) => {
                        let _ = io::stdout().write_all(osc52(&text).as_bytes());
                        let _ = io::stdout().flush();
                    }
                    Effect::Send(cmd) => t.outbox.push_back(cmd),
                    // Keys come one at a time: a full queue means the player is gone or stuck.
                    Effect::Player(cmd) => match &t.player {
                        Some(tx) => {
                            if tx.try_send(cmd).is_err() {
                                tracing::warn!("replay player not answering; {cmd:?} dropped");
                            }
                        }
                        None => tracing::warn!("{cmd:?} asked of a broker tab"),
                    },
                }
            }
            t.flush_outbox();
        }
    }
    let ends: Vec<_> = tabs.into_iter().map(|t| end_session(t.close(&mut failures))).collect();
    futures_util::future::join_all(ends).await;
    watch.finish();
    match failures.is_empty() {
        true => Ok(()),
        false => Err(anyhow::anyhow!(failures.join("; "))),
    }
}

/// The OSC 52 sequence that puts `text` on the system clipboard (`c`), base64 encoded. Terminals
/// that allow it (xterm, kitty, iTerm2, WezTerm, tmux with `set-clipboard on`) set the clipboard of
/// the machine the terminal runs on, also over SSH.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text.as_bytes()))
}

/// The dashboard's recording: the writer, and the last failure, which is repeated on stderr (and
/// fails the exit code) once the screen is gone.
#[derive(Default)]
struct DashboardRecording {
    recorder: Option<Recorder>,
    failure: Option<String>,
}

impl DashboardRecording {
    fn start(&mut self, app: &mut App, stem: &Path) {
        self.stop(app);
        let ev = match Recorder::open_new(stem) {
            Ok(r) => {
                let file = sanitize::line(&r.path().display().to_string()).into_owned();
                self.recorder = Some(r);
                RecordingEvent::Started { file }
            }
            Err(e) => self.failed(&e),
        };
        app.apply(AppEvent::Recording(ev));
    }

    /// Writes and syncs what is buffered; says how many messages are in the file, or why not.
    fn stop(&mut self, app: &mut App) {
        let Some(r) = self.recorder.take() else { return };
        let file = sanitize::line(&r.path().display().to_string()).into_owned();
        let ev = match r.finish() {
            Ok(on_disk) => RecordingEvent::Stopped { file, on_disk },
            Err(e) => self.failed(&e),
        };
        app.apply(AppEvent::Recording(ev));
    }

    /// Appends the messages of a batch with their schema verdicts; a write error stops the recording.
    fn write(&mut self, app: &mut App, batch: &[session::Message], verdicts: &[Option<crate::app::Verdict>]) {
        let Some(r) = self.recorder.as_mut() else { return };
        for (i, m) in batch.iter().enumerate() {
            if let Err(e) = r.write_checked(m, verdicts.get(i).and_then(|v| v.as_deref())) {
                self.recorder = None;
                let ev = self.failed(&e);
                app.apply(AppEvent::Recording(ev));
                return;
            }
        }
    }

    /// Writes messages that waited a second, so a quiet stream still reaches the file.
    fn flush_if_due(&mut self, app: &mut App) {
        let Some(r) = self.recorder.as_mut().filter(|r| r.flush_due()) else { return };
        if let Err(e) = r.flush() {
            self.recorder = None;
            let ev = self.failed(&e);
            app.apply(AppEvent::Recording(ev));
        }
    }

    fn failed(&mut self, e: &RecordError) -> RecordingEvent {
        let why = e.to_string();
        tracing::warn!("{why}");
        self.failure = Some(why.clone());
        RecordingEvent::Failed { why }
    }
}

/// Keys (presses only), left clicks, the wheel and resizes become app events.
fn map_event(ev: Event) -> Option<AppEvent> {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => Some(AppEvent::Key(k)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(AppEvent::Click { x: m.column, y: m.row }),
            MouseEventKind::ScrollUp => Some(AppEvent::Scroll { x: m.column, y: m.row, delta: -1 }),
            MouseEventKind::ScrollDown => Some(AppEvent::Scroll { x: m.column, y: m.row, delta: 1 }),
            _ => None,
        },
        Event::Resize(width, height) => Some(AppEvent::Resize { width, height }),
        Event::Paste(text) => Some(AppEvent::Paste(text)),
        _ => None,
    }
}

/// Session happenings go to the log file, never to the screen.
fn log_event(ev: &SessionEvent) {
    match ev {
        SessionEvent::Trace(t) => tracing::debug!(target: "mqscope::trace", "{t}"),
        SessionEvent::Warning(w) => tracing::warn!("{w}"),
        SessionEvent::Stray { topic, total } => tracing::warn!("{}", crate::session::stray_notice(topic, *total)),
        SessionEvent::Notice(n) => tracing::info!("{n}"),
        SessionEvent::Connecting { url, attempt, version } => {
            tracing::info!("connecting to {url} (MQTT {version}, attempt {attempt})");
        }
        SessionEvent::Connected(info) => {
            tracing::info!(
                "connected: MQTT {}, client id {}, session present {}",
                info.version,
                info.client_id,
                info.session_present
            );
        }
        SessionEvent::Disconnected { reason, reconnect_in, .. } => {
            tracing::warn!("disconnected: {reason}; reconnect in {reconnect_in:?}");
        }
        SessionEvent::Subscribed { results, .. } => tracing::info!("subscribed: {results:?}"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> crate::session::Message {
        crate::session::Message {
            topic: "t".into(),
            payload: crate::codec::Bytes::from_static(b"x"),
            qos: crate::codec::QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: crate::codec::Properties::default(),
            received_at: SystemTime::now(),
        }
    }

    #[test]
    fn a_turn_applies_queued_events_for_at_most_its_budget_and_leaves_the_rest_queued() {
        // Each event takes 1 ms to apply: a budget of 8 ms takes at most 8 of 1,000.
        let mut queue: VecDeque<u32> = (0..1000).collect();
        let mut applied = Vec::new();
        let n = drain(
            Instant::now(),
            Duration::from_millis(8),
            || queue.pop_front(),
            |ev| {
                std::thread::sleep(Duration::from_millis(1));
                applied.push(ev);
            },
        );
        assert!((1..=8).contains(&n), "applied {n}");
        assert_eq!(applied, (0..n as u32).collect::<Vec<_>>(), "in order");
        assert_eq!(queue.front(), Some(&(n as u32)), "the rest is still queued, none taken and dropped");
        // A quick queue is applied up to the event cap.
        let mut queue: VecDeque<u32> = (0..1000).collect();
        let n = drain(Instant::now(), Duration::from_secs(60), || queue.pop_front(), |_| {});
        assert_eq!(n, EVENTS_PER_TURN);
        assert_eq!(queue.len(), 1000 - EVENTS_PER_TURN);
    }

    #[test]
    fn a_recording_on_a_full_disk_says_it_failed_and_that_nothing_made_it() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "/dev/full is needed in CI");
            crate::report!("skipped: no /dev/full");
            return;
        }
        let mut app = App::new(Config::default(), 0);
        let mut rec = DashboardRecording {
            recorder: Some(Recorder::open(full, crate::record::Mode::Create).unwrap()),
            failure: None,
        };
        app.apply(AppEvent::Recording(RecordingEvent::Started { file: "/dev/full".into() }));
        app.apply(AppEvent::Session(SessionEvent::Messages((0..5).map(|_| message()).collect())));
        let (batch, verdicts) = app.take_recorded().expect("a batch to record");
        rec.write(&mut app, &batch, &verdicts);
        assert_eq!(app.recording, crate::app::Recording::On { file: "/dev/full".into(), count: 5 });
        rec.stop(&mut app);
        let crate::app::Recording::Failed { why } = &app.recording else { panic!("{:?}", app.recording) };
        assert!(why.contains("No space left on device") && why.contains("0 messages made it"), "{why}");
        assert!(rec.failure.is_some(), "repeated on stderr at exit");
    }

    #[test]
    fn a_frame_past_its_deadline_is_due_without_the_runtime_looking_at_its_timers() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let frame = tokio::time::sleep_until((Instant::now() + Duration::from_millis(20)).into());
            tokio::pin!(frame);
            let waker = futures_util::task::noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(frame_due(&mut frame).poll_once(&mut cx).is_pending(), "not yet");
            // Busy, never yielding to the runtime, past the deadline.
            std::thread::sleep(Duration::from_millis(30));
            assert!(frame_due(&mut frame).poll_once(&mut cx).is_ready());
        });
    }

    /// Polls a future once, pinned on the stack.
    trait PollOnce: std::future::Future + Sized {
        fn poll_once(self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
            let f = std::pin::pin!(self);
            f.poll(cx)
        }
    }
    impl<F: std::future::Future> PollOnce for F {}

    #[test]
    fn a_dashboard_recording_keeps_each_message_s_schema_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let schemas = crate::payload::schema::Schemas::from_text("#", "t.json", r#"{"required":["t"]}"#).unwrap();
        let mut app = App::new(Config { schemas: std::sync::Arc::new(schemas), ..Config::default() }, 0);
        let mut rec = DashboardRecording::default();
        rec.start(&mut app, &dir.path().join("rec"));
        let mut invalid = message();
        invalid.payload = crate::codec::Bytes::from_static(b"{}");
        let mut valid = message();
        valid.payload = crate::codec::Bytes::from_static(br#"{"t":1}"#);
        app.apply(AppEvent::Session(SessionEvent::Messages(vec![invalid, valid])));
        let (batch, verdicts) = app.take_recorded().expect("a batch to record");
        rec.write(&mut app, &batch, &verdicts);
        rec.stop(&mut app);
        let text = std::fs::read_to_string(dir.path().join("rec.jsonl")).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["schema"]["violations"][0]["keyword"], "required", "{text}");
        assert_eq!(lines[1]["schema"]["schema"], "t.json");
        assert_eq!(lines[1]["schema"]["violations"].as_array().map(Vec::len), Some(0), "{text}");
        assert!(app.take_recorded().is_none(), "taken once");
    }

    #[test]
    fn a_recording_gets_a_new_name_when_the_file_exists_and_says_which() {
        let dir = tempfile::tempdir().unwrap();
        let stem = dir.path().join("mqscope-20261202");
        std::fs::write(dir.path().join("mqscope-20261202.jsonl"), "mine").unwrap();
        let mut app = App::new(Config::default(), 0);
        let mut rec = DashboardRecording::default();
        rec.start(&mut app, &stem);
        let want = dir.path().join("mqscope-20261202-1.jsonl").display().to_string();
        assert_eq!(app.recording, crate::app::Recording::On { file: want.clone(), count: 0 });
        assert!(app.notice.as_ref().is_some_and(|(n, _)| n.contains(&want)), "{:?}", app.notice);
        app.apply(AppEvent::Session(SessionEvent::Messages(vec![message(), message()])));
        let (batch, verdicts) = app.take_recorded().expect("a batch to record");
        rec.write(&mut app, &batch, &verdicts);
        rec.stop(&mut app);
        assert_eq!(app.recording, crate::app::Recording::Off);
        assert!(app.notice.as_ref().is_some_and(|(n, _)| n.contains("2 messages")), "{:?}", app.notice);
        assert_eq!(std::fs::read_to_string(dir.path().join("mqscope-20261202.jsonl")).unwrap(), "mine");
        assert!(rec.failure.is_none());
    }

    /// A tab on a hand-made channel, and the sender that plays its session.
    fn tab(id: TabId) -> (Tab, session::EventSender) {
        let (tx, events) = session::handoff::channel(10_000, 1 << 30);
        let (commands, _rx) = tokio::sync::mpsc::channel(4);
        let handle = session::SessionHandle { commands, events, task: tokio::spawn(async {}) };
        (Tab::new(id, format!("t{id}"), Config::default(), handle, None), tx)
    }

    #[tokio::test]
    async fn a_flooding_tab_cannot_keep_another_tabs_events_waiting() {
        let (a, flood) = tab(1);
        let (b, quiet) = tab(2);
        for _ in 0..1000 {
            flood.send(SessionEvent::Messages(vec![message()])).await.unwrap();
        }
        quiet.send(SessionEvent::Messages(vec![message()])).await.unwrap();
        let mut tabs = vec![a, b];
        let mut watch = Stopwatch::new();
        // Turns go round: after the flooding tab's turn, the quiet one's event is next.
        let mut turn = 0;
        let mut served = Vec::new();
        for _ in 0..4 {
            let (i, ev) = next_event(&mut tabs, turn).await;
            turn = i + 1;
            served.push(i);
            tabs[i].apply_events(ev.unwrap(), &mut watch, &mut |_| {});
        }
        assert_eq!(served[..2], [0, 1], "{served:?}");
        assert_eq!(tabs[1].app.received, 1);
        assert!(tabs[0].app.received > 1, "a turn drains a batch of the flood");
        // A tab whose session ended is not asked again.
        drop(quiet);
        let (i, ev) = next_event(&mut tabs, 1).await;
        assert_eq!((i, ev.is_none()), (1, true));
        tabs[1].session_open = false;
        let (i, _) = next_event(&mut tabs, 1).await;
        assert_eq!(i, 0);
    }

    #[test]
    fn osc52_wraps_the_base64_text() {
        assert_eq!(osc52("foobar"), "\x1b]52;c;Zm9vYmFy\x07");
    }
}
