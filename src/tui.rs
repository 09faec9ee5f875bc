//! The interactive dashboard's IO edge: the terminal (raw mode, alternate screen, mouse), the event
//! loop that feeds `App::apply` from keys, the session and the clock, and drawing at most once per
//! frame. The terminal is restored on every way out: quit, error, panic, SIGINT and SIGTERM.

use crate::app::{App, AppEvent, Config, Effect, epoch_ms};
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
use std::io::{self, Stdout};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::error::TryRecvError;

/// At most this many session events are applied per loop turn before the screen gets a chance to
/// draw; each event is a batch of messages, so this is thousands of messages.
const EVENTS_PER_TURN: usize = 256;

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

/// Restores the terminal when dropped, whatever the exit path.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn setup_terminal() -> io::Result<(TerminalGuard, Terminal<CrosstermBackend<Stdout>>)> {
    // The panic hook restores first, so the panic message lands on a sane screen.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.hide_cursor()?;
    terminal.clear()?;
    Ok((guard, terminal))
}

fn now_ms() -> u64 {
    epoch_ms(SystemTime::now())
}

/// Runs the dashboard until the user quits or a signal arrives.
pub async fn run(config: Config, task: TaskOptions, fps: u32) -> anyhow::Result<()> {
    let mut app = App::new(config, now_ms());
    let mut handle = session::spawn(task);
    let (_guard, mut terminal) = setup_terminal()?;
    let size = terminal.size()?;
    app.apply(AppEvent::Resize { width: size.width, height: size.height });

    let mut keys = EventStream::new();
    let mut frame = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240))));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut session_open = true;

    'run: loop {
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(ev) = map_event(ev) {
                        app.apply(ev);
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => break 'run,
            },
            ev = handle.events.recv(), if session_open => match ev {
                Some(ev) => {
                    log_event(&ev);
                    app.apply(AppEvent::Session(ev));
                    // Drain what else is queued, within a budget, so a flood costs one redraw per frame.
                    for _ in 0..EVENTS_PER_TURN {
                        match handle.events.try_recv() {
                            Ok(ev) => {
                                log_event(&ev);
                                app.apply(AppEvent::Session(ev));
                            }
                            Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                        }
                    }
                    app.apply(AppEvent::Backlog(handle.events.len()));
                }
                None => session_open = false,
            },
            _ = frame.tick() => {
                app.apply(AppEvent::Tick { now_ms: now_ms() });
                if app.take_dirty() {
                    app.prepare();
                    terminal.draw(|f| ui::draw(f, &app))?;
                }
            }
            _ = sigterm.recv() => break 'run,
            _ = sigint.recv() => break 'run,
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Quit => break 'run,
                Effect::Bell => {
                    use std::io::Write as _;
                    let _ = io::stdout().write_all(b"\x07");
                    let _ = io::stdout().flush();
                }
                Effect::Send(cmd) => {
                    if handle.commands.try_send(cmd).is_err() {
                        tracing::warn!("session command queue full or closed; command dropped");
                    }
                }
            }
        }
    }
    let _ = handle.commands.try_send(Command::Disconnect);
    let _ =
        tokio::time::timeout(Duration::from_millis(500), async { while handle.events.recv().await.is_some() {} }).await;
    handle.task.abort();
    Ok(())
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
        _ => None,
    }
}

/// Session happenings go to the log file, never to the screen.
fn log_event(ev: &SessionEvent) {
    match ev {
        SessionEvent::Trace(t) => tracing::debug!(target: "mqscope::trace", "{t}"),
        SessionEvent::Warning(w) => tracing::warn!("{w}"),
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
