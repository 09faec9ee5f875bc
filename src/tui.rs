//! The interactive dashboard's IO edge: the terminal (raw mode, alternate screen, mouse), the event
//! loop that feeds `App::apply` from keys, the session and the clock, and drawing at most once per
//! frame. The terminal is restored on every way out: quit, error, panic, and every signal that ends
//! the program (SIGTERM, SIGINT, SIGHUP, SIGQUIT).

use crate::app::frames::{FrameStats, FrameTiming};
use crate::app::{App, AppEvent, Config, Effect, RecordingEvent, epoch_ms};
use crate::record::{RecordError, Recorder};
use crate::sanitize;
use crate::session::{self, Command, SessionEvent, TaskOptions};
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
pub async fn run(config: Config, task: TaskOptions, fps: u32) -> anyhow::Result<()> {
    run_inner(config, session::spawn(task.clone()), Some(task), fps).await
}

/// Runs the dashboard on any source of session events (a live session, or a replay).
pub async fn run_with(config: Config, handle: session::SessionHandle, fps: u32) -> anyhow::Result<()> {
    run_inner(config, handle, None, fps).await
}

/// `broker`: how to reach the broker again, for retained snapshots (`None` for a replay).
async fn run_inner(
    config: Config,
    mut handle: session::SessionHandle,
    broker: Option<TaskOptions>,
    fps: u32,
) -> anyhow::Result<()> {
    let mut app = App::new(config, now_ms());
    let mut recording = DashboardRecording::default();
    let (_guard, mut terminal) = setup_terminal()?;
    let size = terminal.size()?;
    app.apply(AppEvent::Resize { width: size.width, height: size.height });

    // Polled on every turn of the loop: gated, so a turn costs no system call when no key came.
    let mut keys = crate::input::Gated::new(EventStream::new());
    // The next tick: at most `fps` a second, and only when the app needs one (`App::next_tick_ms`).
    let frame_gap = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240)));
    let mut last_tick = Instant::now();
    let frame = tokio::time::sleep_until(last_tick.into());
    tokio::pin!(frame);
    let mut signals = ExitSignals::new()?;
    let mut session_open = true;
    let mut first_data_frame = false;
    // Commands wait here while the session's queue is full (a clear of thousands of retained topics),
    // so none is dropped and the loop never blocks on the session.
    let mut outbox: VecDeque<Command> = VecDeque::new();
    let (snapshot_tx, mut snapshot_rx) = tokio::sync::mpsc::channel(1);
    let mut watch = Stopwatch::new();

    'run: loop {
        // In this order when several are ready: input first, so a key is read at once and never
        // waits behind a turn of session events; session events last, so a flood cannot starve
        // frames or signals (they are applied whenever nothing else is ready).
        tokio::select! {
            biased;
            permit = handle.commands.reserve(), if !outbox.is_empty() => match permit {
                Ok(permit) => {
                    if let Some(cmd) = outbox.pop_front() {
                        permit.send(cmd);
                    }
                }
                Err(_) => {
                    tracing::warn!("session gone; {} command(s) dropped", outbox.len());
                    outbox.clear();
                }
            },
            ev = keys.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(ev) = map_event(ev) {
                        let read = Instant::now();
                        let shown = app.show_frame_stats;
                        app.apply(ev);
                        watch.keys.push(read);
                        if app.show_frame_stats != shown {
                            watch.shown_at = None;
                            watch.tick(&mut app);
                        }
                        // Input is drawn at once, not at the next frame tick.
                        frame.as_mut().reset(Instant::now().into());
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => break 'run,
            },
            () = &mut frame => {
                last_tick = Instant::now();
                // Parked far ahead until the turn's end sets the next one.
                frame.as_mut().reset((last_tick + IDLE_TICK).into());
                let now = now_ms();
                // The process before it keeps anything: measured until the first message.
                if app.received == 0
                    && let Some(rss) = crate::process::resident_bytes()
                {
                    app.apply(AppEvent::ProcessBaseline { rss });
                }
                recording.flush_if_due(&mut app);
                app.apply(AppEvent::Tick { now_ms: now });
                watch.tick(&mut app);
                if app.take_dirty() {
                    let start = Instant::now();
                    app.prepare();
                    let prepared = Instant::now();
                    // `Terminal::draw` in its parts, so the draw and the write are timed apart.
                    terminal.autoresize()?;
                    ui::draw(&mut terminal.get_frame(), &app);
                    let drawn = Instant::now();
                    terminal.apply_buffer()?;
                    let done = Instant::now();
                    watch.frame(prepared - start, drawn - prepared, done - drawn, done);
                    if !first_data_frame && app.received > 0 {
                        first_data_frame = true;
                        if let Some(t) = crate::STARTED.get() {
                            tracing::info!("first frame with data {} ms after start", t.elapsed().as_millis());
                        }
                    }
                }
            }
            _ = signals.recv() => break 'run,
            Some(result) = snapshot_rx.recv() => app.apply(AppEvent::RetainedSnapshot(result)),
            ev = handle.events.recv(), if session_open => match ev {
                Some(ev) => {
                    let start = Instant::now();
                    let mut messages = messages_in(&ev);
                    log_event(&ev);
                    recording.write(&mut app, &ev);
                    app.apply(AppEvent::Session(ev));
                    // Drain what else is queued, within a budget, so a flood costs one redraw per frame.
                    drain(start, APPLY_BUDGET, || handle.events.try_recv().ok(), |ev| {
                        messages += messages_in(&ev);
                        log_event(&ev);
                        recording.write(&mut app, &ev);
                        app.apply(AppEvent::Session(ev));
                    });
                    app.apply(AppEvent::Backlog(handle.events.len()));
                    watch.applied(start.elapsed(), messages);
                    app.apply(AppEvent::HandOffPeak(handle.events.peak_bytes()));
                }
                None => session_open = false,
            },
        }
        // Sleep until the app needs a tick, never sooner than a frame after the last one; input
        // above sets it to now.
        let due = Instant::now() + Duration::from_millis(app.next_tick_ms().saturating_sub(now_ms()));
        let at = due.max(last_tick + frame_gap).min(frame.deadline().into_std());
        if at != frame.deadline().into_std() {
            frame.as_mut().reset(at.into());
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Quit => break 'run,
                Effect::Record(None) => recording.stop(&mut app),
                Effect::Record(Some(stem)) => recording.start(&mut app, &stem),
                Effect::RetainedSnapshot(filters) => match &broker {
                    Some(opts) => {
                        let (opts, tx) = (opts.clone(), snapshot_tx.clone());
                        tokio::spawn(async move {
                            let _ = tx.send(session::snapshot::retained_topics(opts, filters).await).await;
                        });
                    }
                    None => app.apply(AppEvent::RetainedSnapshot(Err("a replay has no broker to ask".into()))),
                },
                Effect::Bell => {
                    let _ = io::stdout().write_all(b"\x07");
                    let _ = io::stdout().flush();
                }
                Effect::Copy(text) => {
                    let _ = io::stdout().write_all(osc52(&text).as_bytes());
                    let _ = io::stdout().flush();
                }
                Effect::Send(cmd) => {
                    if !outbox.is_empty() {
                        outbox.push_back(cmd);
                    } else if let Err(e) = handle.commands.try_send(cmd) {
                        match e {
                            tokio::sync::mpsc::error::TrySendError::Full(cmd) => outbox.push_back(cmd),
                            tokio::sync::mpsc::error::TrySendError::Closed(_) => {
                                tracing::warn!("session gone; command dropped");
                            }
                        }
                    }
                }
            }
        }
    }
    let _ = handle.commands.try_send(Command::Disconnect);
    let _ =
        tokio::time::timeout(Duration::from_millis(500), async { while handle.events.recv().await.is_some() {} }).await;
    handle.task.abort();
    watch.finish();
    recording.stop(&mut app);
    match recording.failure {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
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

    /// Appends the messages of `ev`; a write error stops the recording.
    fn write(&mut self, app: &mut App, ev: &SessionEvent) {
        let (Some(r), SessionEvent::Messages(batch)) = (self.recorder.as_mut(), ev) else { return };
        for m in batch {
            if let Err(e) = r.write(m) {
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
        let batch = SessionEvent::Messages((0..5).map(|_| message()).collect());
        rec.write(&mut app, &batch);
        app.apply(AppEvent::Session(batch));
        assert_eq!(app.recording, crate::app::Recording::On { file: "/dev/full".into(), count: 5 });
        rec.stop(&mut app);
        let crate::app::Recording::Failed { why } = &app.recording else { panic!("{:?}", app.recording) };
        assert!(why.contains("No space left on device") && why.contains("0 messages made it"), "{why}");
        assert!(rec.failure.is_some(), "repeated on stderr at exit");
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
        let batch = SessionEvent::Messages(vec![message(), message()]);
        rec.write(&mut app, &batch);
        rec.stop(&mut app);
        assert_eq!(app.recording, crate::app::Recording::Off);
        assert!(app.notice.as_ref().is_some_and(|(n, _)| n.contains("2 messages")), "{:?}", app.notice);
        assert_eq!(std::fs::read_to_string(dir.path().join("mqscope-20261202.jsonl")).unwrap(), "mine");
        assert!(rec.failure.is_none());
    }

    #[test]
    fn osc52_wraps_the_base64_text() {
        assert_eq!(osc52("foobar"), "\x1b]52;c;Zm9vYmFy\x07");
    }
}
