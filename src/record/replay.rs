//! `mqscope replay FILE`: a recording played back into the dashboard as if a broker sent it (no
//! broker needed), or republished to a broker with `--to URL`, with the recorded timing, faster
//! (`--speed N`) or as fast as possible (`--max`).

use super::player::{self, Decision, Outcome, Player, ReplayEvent, State, Status};
use super::{BadLines, Entry, Reader, Record};
use crate::codec::ProtocolVersion;
use crate::codec::QoS;
use crate::headless::publisher::{Next, Source as Feed, publish_all};
use crate::session::{self, Command, ConnectionInfo, OutgoingPublish, SessionEvent, SessionHandle, TaskOptions};
use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// How fast to play.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// Recorded gaps divided by this factor.
    Speed(f64),
    /// No waiting at all.
    Max,
}

impl Pace {
    /// When the record at `ts_ms` is due, for a recording that starts at `t0_ms` played from `start`.
    pub fn due(self, start: Instant, t0_ms: u64, ts_ms: u64) -> Instant {
        match self {
            Pace::Max => start,
            Pace::Speed(s) => {
                let gap = ts_ms.saturating_sub(t0_ms) as f64 / 1000.0 / s.max(1e-6);
                start + Duration::from_secs_f64(gap.min(86_400.0 * 365.0))
            }
        }
    }
}

/// Most messages handed over in one batch when playing at full speed.
const BATCH: usize = 1_000;

/// What a replay met in the file, for the report at the end (shared with the task that reads).
#[derive(Debug, Default)]
pub struct Report {
    pub played: u64,
    pub bad: BadLines,
    /// Reading the file failed part way.
    pub error: Option<String>,
}

impl Report {
    /// Exit code for a replay that ran to the end: bad lines other than a cut last line (what a
    /// crash leaves) and read errors fail it.
    pub fn exit_code(&self) -> u8 {
        if self.error.is_some() || self.bad.corrupt > 0 { crate::exit::FAILURE } else { crate::exit::OK }
    }

    /// The end-of-run lines for stderr.
    pub fn lines(&self, path: &Path) -> Vec<String> {
        let mut out = self.bad.report(path);
        out.extend(self.error.clone());
        out
    }
}

/// Opens the recording again from its first line (for a seek back).
pub type Reopen<R> = Box<dyn FnMut() -> std::io::Result<Reader<R>> + Send>;
/// Reads the whole recording once, apart from playing it (for its length and its bad lines).
pub type ScanFn = Box<dyn FnOnce() -> std::io::Result<super::Scan> + Send>;

/// A recording read one record at a time; bad lines are counted into the report and handed to
/// `on_bad` as they are met.
pub struct Source<R> {
    reader: Reader<R>,
    report: Arc<Mutex<Report>>,
    file: String,
    reopen: Option<Reopen<R>>,
    scan: Option<ScanFn>,
    /// Records read since the file was (re)opened.
    pass: u64,
    /// The furthest bad line reported: after a seek back the same lines are met again and are not
    /// counted twice.
    bad_high: u64,
}

impl<R: BufRead> Source<R> {
    pub fn new(reader: Reader<R>, path: &Path, report: Arc<Mutex<Report>>) -> Self {
        Self {
            reader,
            report,
            file: crate::sanitize::line(&path.display().to_string()).into_owned(),
            reopen: None,
            scan: None,
            pass: 0,
            bad_high: 0,
        }
    }

    /// Lets the player seek back (`reopen` starts the file over) and know the recording's length
    /// (`scan` reads it once on a thread of its own). A pipe has neither.
    pub fn seekable(mut self, reopen: Reopen<R>, scan: ScanFn) -> Self {
        self.reopen = Some(reopen);
        self.scan = Some(scan);
        self
    }

    /// Back to the first line.
    fn restart(&mut self) -> std::io::Result<()> {
        let Some(reopen) = self.reopen.as_mut() else { return Err(std::io::Error::other("not seekable")) };
        self.reader = reopen()?;
        self.pass = 0;
        Ok(())
    }

    /// The next good record; `on_bad` gets the text of each bad line on the way (`true`: counted
    /// for the first time). `None` at the end of the file or on a read error (which the report keeps).
    fn next(&mut self, on_bad: &mut impl FnMut(String, bool)) -> Option<Record> {
        loop {
            let entry = self.reader.next_entry();
            let mut report = self.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match entry {
                Ok(Some(Entry::Record(r))) => {
                    self.pass += 1;
                    report.played = report.played.max(self.pass);
                    return Some(*r);
                }
                Ok(Some(Entry::Bad(b))) => {
                    let text = format!("{}: {b}", self.file);
                    let new = b.number > self.bad_high;
                    self.bad_high = self.bad_high.max(b.number);
                    if new && report.bad.add(b) {
                        on_bad(text, true);
                    } else {
                        on_bad(String::new(), new);
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    let why = format!("reading {} failed: {e}", self.file);
                    on_bad(why.clone(), false);
                    report.error = Some(why);
                    return None;
                }
            }
        }
    }

    /// The line for the status bar at the end of the file.
    fn summary(&self) -> String {
        let report = self.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut s = format!("replay finished: {} message{}", self.pass, if self.pass == 1 { "" } else { "s" });
        if let Some(bad) = report.bad.summary() {
            s.push_str(&format!("; {bad}"));
        }
        if let Some(e) = &report.error {
            s.push_str(&format!("; {e}"));
        }
        s
    }
}

/// A replay playing into the dashboard: its events, as a session's, and the player's controls.
pub struct Replay {
    pub handle: SessionHandle,
    pub control: mpsc::Sender<player::Command>,
}

/// How often the status goes to the app while the clock runs between messages.
const STATUS_EVERY: Duration = Duration::from_millis(250);

/// A session-like handle whose events are the recording, for the dashboard, with the player's
/// controls (pause, step, speed, seek) on a channel of their own. Session commands are accepted and
/// dropped (there is no broker); the "connection" ends when the app disconnects. The file is read
/// as it plays (a batch at a time), so memory does not grow with its length; a seek back reads it
/// again from the start.
pub fn spawn_into_app<R: BufRead + Send + 'static>(mut source: Source<R>, pace: Pace, label: String) -> Replay {
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(64);
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<player::Command>(64);
    let (ev_tx, ev_rx) = session::handoff::channel(64, session::handoff::HAND_OFF_BYTES);
    let task = tokio::spawn(async move {
        let info = ConnectionInfo::defaults(ProtocolVersion::V5, false, "replay".into(), 0);
        let _ = ev_tx.send(SessionEvent::Connecting { url: label, attempt: 1, version: ProtocolVersion::V5 }).await;
        let _ = ev_tx.send(SessionEvent::Connected(Box::new(info))).await;
        let origin = Instant::now();
        let now = || origin.elapsed().as_millis() as u64;
        let mut player = Player::new(pace, source.reopen.is_some());
        let mut scan = source.scan.take().map(tokio::task::spawn_blocking);
        let mut notes: Vec<String> = Vec::new();
        let mut next: Option<Record> = None;
        // Whether `next` was read for the current pass (false: read it).
        let mut need = true;
        let mut sent: Option<Status> = None;
        let mut sent_at = Instant::now();
        // The controls are open (a test may drop them; playing goes on).
        let mut controlled = true;
        loop {
            // Play what is due, a batch at a time.
            let mut batch = Vec::new();
            let mut verdicts = Vec::new();
            let mut decision = Decision::Hold;
            while !player.is_ended() && batch.len() < BATCH {
                if need {
                    let mut bad = 0;
                    next = source.next(&mut |w, new| {
                        bad += 1;
                        if new && !w.is_empty() {
                            notes.push(w);
                        }
                    });
                    (0..bad).for_each(|_| player.bad_line());
                    need = false;
                }
                let Some(r) = next.take() else {
                    player.end_of_file(now());
                    notes.push(source.summary());
                    break;
                };
                decision = player.decide(now(), r.ts_ms);
                if decision != Decision::Play {
                    next = Some(r);
                    break;
                }
                player.played(now(), r.ts_ms);
                need = true;
                match r.to_message(SystemTime::now()) {
                    Ok(m) => {
                        batch.push(m);
                        verdicts.push(r.schema);
                    }
                    Err(e) => notes.push(format!("{}: {e}", r.topic)),
                }
            }
            let full = batch.len() >= BATCH;
            if verdicts.iter().any(Option::is_some) {
                let verdicts = verdicts.into_iter().map(|v| v.map(|v| v.from_recording())).collect();
                if ev_tx.send(SessionEvent::Replay(ReplayEvent::Verdicts(verdicts))).await.is_err() {
                    return;
                }
            }
            if !batch.is_empty() && ev_tx.send(SessionEvent::Messages(batch)).await.is_err() {
                return;
            }
            for w in notes.drain(..) {
                let _ = ev_tx.send(SessionEvent::Warning(w)).await;
            }
            let status = player.status(now());
            let running = status.state == State::Playing && matches!(pace_of(&status), Pace::Speed(_));
            if sent.as_ref() != Some(&status)
                && (!running || sent_at.elapsed() >= STATUS_EVERY || changed(sent.as_ref(), &status))
            {
                sent_at = Instant::now();
                sent = Some(status.clone());
                if ev_tx.send(SessionEvent::Replay(ReplayEvent::Status(Box::new(status)))).await.is_err() {
                    return;
                }
            }
            // Wait for what comes first: the next record's time, a command, the scan, a status tick.
            let mut wake = match decision {
                _ if full => Some(Instant::now()),
                Decision::WaitUntil(ms) => Some(origin + Duration::from_millis(ms)),
                _ => None,
            };
            if running {
                wake = Some(wake.map_or(sent_at + STATUS_EVERY, |w| w.min(sent_at + STATUS_EVERY)));
            }
            let far = Instant::now() + Duration::from_secs(3600);
            tokio::select! {
                biased;
                c = ctl_rx.recv(), if controlled => {
                    let Some(c) = c else {
                        controlled = false;
                        continue;
                    };
                    match player.command(now(), c) {
                        Outcome::Status => {}
                        Outcome::Refused(why) => {
                            let _ = ev_tx.send(SessionEvent::Warning(why)).await;
                        }
                        Outcome::Restart => {
                            if let Err(e) = source.restart() {
                                let why = format!("cannot read {} again: {e}", source.file);
                                let _ = ev_tx.send(SessionEvent::Warning(why)).await;
                                player.end_of_file(now());
                            } else {
                                next = None;
                                need = true;
                                if ev_tx.send(SessionEvent::Replay(ReplayEvent::Restart)).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                    // Said at once, whatever the tick.
                    sent = None;
                }
                c = cmd_rx.recv() => {
                    if matches!(c, None | Some(Command::Disconnect)) {
                        break;
                    }
                }
                Some(found) = async { match scan.as_mut() { Some(h) => Some(h.await), None => None } }, if scan.is_some() => {
                    scan = None;
                    match found {
                        Ok(Ok(s)) => player.scanned(s.records, s.first_ts_ms, s.high_ts_ms, s.bad.total),
                        Ok(Err(e)) => tracing::warn!("scanning {} failed: {e}", source.file),
                        Err(e) => tracing::warn!("scanning {} failed: {e}", source.file),
                    }
                    sent = None;
                }
                () = sleep_until(wake.unwrap_or(far)) => {}
            }
        }
        let _ = ev_tx
            .send(SessionEvent::Disconnected {
                reason: "disconnected".into(),
                reconnect_in: None,
                fatal: Some(session::FatalKind::Requested),
            })
            .await;
    });
    Replay { handle: SessionHandle { commands: cmd_tx, events: ev_rx, task }, control: ctl_tx }
}

fn pace_of(s: &Status) -> Pace {
    s.pace
}

/// A bad line met while republishing, on stderr.
fn report_bad(w: String, _new: bool) {
    if !w.is_empty() {
        crate::report!("mqscope: {w}");
    }
}

/// A change the user waits to see (not only the clock running on).
fn changed(before: Option<&Status>, now: &Status) -> bool {
    before.is_none_or(|b| {
        (b.state, b.pace, b.total, b.end_ms, b.bad_lines) != (now.state, now.pace, now.total, now.end_ms, now.bad_lines)
    })
}

/// Publishes the recording to a broker as it reads it, through the loop `pub` uses (in-flight window,
/// no-progress timeout); returns the exit code: 0 when every message was delivered and every line was
/// read, a cut last line aside.
pub async fn republish<R: BufRead>(mut source: Source<R>, pace: Pace, opts: TaskOptions, ack_timeout: Duration) -> u8 {
    use crate::exit;
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let start = Instant::now();
    let first = source.next(&mut report_bad);
    let t0 = first.as_ref().map_or(0, |r| r.ts_ms);
    let mut due = Due { source, next: first, pace, start, t0, read: 0 };
    let (code, tally) = publish_all(&mut handle, &mut due, ack_timeout, debug).await;
    let read_code = {
        let source = &due.source;
        let report = source.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let shown = report.bad.first.len() as u64;
        if report.bad.total > shown {
            crate::report!("mqscope: {}: {} more bad lines", source.file, report.bad.total - shown);
        }
        let skipped = match report.bad.total {
            0 => String::new(),
            n => format!(", {n} bad line{} skipped", if n == 1 { "" } else { "s" }),
        };
        crate::report!(
            "mqscope: republished {} of {} messages ({} failed{skipped}) in {:.1} s",
            tally.delivered(),
            due.read,
            tally.failed,
            start.elapsed().as_secs_f64()
        );
        report.exit_code()
    };
    crate::headless::sub::finish(handle, debug).await;
    if code != exit::OK { code } else { read_code }
}

/// The recording as a source for the publishing loop: each record released when it is due.
struct Due<R> {
    source: Source<R>,
    next: Option<Record>,
    pace: Pace,
    start: Instant,
    t0: u64,
    /// Records taken so far.
    read: u64,
}

impl<R: BufRead> Feed for Due<R> {
    async fn next(&mut self) -> Next {
        let Some(r) = &self.next else { return Next::End };
        // Cancel-safe: the record is taken only once it is due.
        sleep_until(self.pace.due(self.start, self.t0, r.ts_ms)).await;
        let Some(r) = self.next.take() else { return Next::End };
        self.next = self.source.next(&mut report_bad);
        self.read += 1;
        match (r.payload_bytes(), r.properties(), QoS::from_u8(r.qos)) {
            (Ok(payload), Ok(properties), Some(qos)) => {
                Next::Message(OutgoingPublish { topic: r.topic, payload, qos, retain: r.retain, properties })
            }
            _ => Next::Skip(format!("record {} is not publishable; skipped", self.read)),
        }
    }

    fn name(&self, token: u64) -> String {
        format!("message {token}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_scales_recorded_gaps() {
        let start = Instant::now();
        assert_eq!(Pace::Speed(1.0).due(start, 1_000, 3_000), start + Duration::from_secs(2));
        assert_eq!(Pace::Speed(4.0).due(start, 1_000, 3_000), start + Duration::from_millis(500));
        assert_eq!(Pace::Max.due(start, 1_000, 3_000), start);
    }

    #[tokio::test]
    async fn replay_into_the_app_gives_the_recorded_messages_in_order() {
        let text = (0..2_500)
            .map(|i| {
                format!(
                    r#"{{"ts":"x","ts_ms":{},"topic":"t/{}","qos":0,"retain":false,"payload":"{i}"}}"#,
                    1_000 + i,
                    i % 7
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let report = Arc::new(Mutex::new(Report::default()));
        let source = Source::new(Reader::new(std::io::Cursor::new(text)), Path::new("f"), report.clone());
        let mut h = spawn_into_app(source, Pace::Max, "replay:test".into()).handle;
        let mut got = Vec::new();
        while got.len() < 2_500 {
            match h.events.recv().await.expect("events") {
                SessionEvent::Messages(batch) => {
                    got.extend(batch.into_iter().map(|m| String::from_utf8(m.payload.to_vec()).unwrap()))
                }
                SessionEvent::Connecting { url, .. } => assert_eq!(url, "replay:test"),
                _ => {}
            }
        }
        assert_eq!(got, (0..2_500).map(|i| i.to_string()).collect::<Vec<_>>());
        let _ = h.commands.send(Command::Disconnect).await;
    }

    /// Every line that kept a schema verdict hands it on just before its batch, lined up with the
    /// batch's messages; the batches without any send none.
    #[tokio::test]
    async fn the_recorded_verdicts_come_before_their_batch_one_per_message() {
        let text = (0..600)
            .map(|i| {
                let verdict = match i % 300 {
                    7 => r#","schema":{"schema":"t.json","violations":[{"instance_path":"/t","keyword":"maximum","message":"too big"}]}"#,
                    8 => r#","schema":{"schema":"t.json","violations":[]}"#,
                    _ => "",
                };
                format!(r#"{{"ts":"x","ts_ms":{},"topic":"t/{i}","qos":0,"retain":false,"payload":"{i}"{verdict}}}"#, 1_000 + i)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let report = Arc::new(Mutex::new(Report::default()));
        let source = Source::new(Reader::new(std::io::Cursor::new(text)), Path::new("f"), report);
        let mut h = spawn_into_app(source, Pace::Max, "replay:test".into()).handle;
        let (mut seen, mut pending, mut found) = (0, None::<Vec<Option<crate::payload::schema::Verdict>>>, Vec::new());
        while seen < 600 {
            match h.events.recv().await.expect("events") {
                SessionEvent::Replay(ReplayEvent::Verdicts(v)) => pending = Some(v),
                SessionEvent::Messages(batch) => {
                    if let Some(v) = pending.take() {
                        assert_eq!(v.len(), batch.len(), "one verdict per message");
                        for (m, v) in batch.iter().zip(v) {
                            if let Some(v) = v {
                                assert!(v.recorded);
                                found.push((m.topic.to_string(), v.violations.len()));
                            }
                        }
                    }
                    seen += batch.len();
                }
                _ => {}
            }
        }
        let want = [("t/7", 1), ("t/8", 0), ("t/307", 1), ("t/308", 0)].map(|(t, n)| (t.to_string(), n));
        assert_eq!(found, want);
        let _ = h.commands.send(Command::Disconnect).await;
    }

    /// A recording of `n` lines as text: line `i` stamped `stamp(i)` ms after `T0`.
    fn recording(n: u64, stamp: impl Fn(u64) -> u64) -> String {
        (0..n)
            .map(|i| {
                format!(
                    r#"{{"ts":"x","ts_ms":{},"topic":"t/{}","qos":0,"retain":false,"payload":"{i}"}}"#,
                    T0 + stamp(i),
                    i % 7
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    const T0: u64 = 1_764_669_600_000;

    fn seekable(text: String) -> Source<std::io::Cursor<String>> {
        let report = Arc::new(Mutex::new(Report::default()));
        let (again, whole) = (text.clone(), text.clone());
        Source::new(Reader::new(std::io::Cursor::new(text)), Path::new("f"), report).seekable(
            Box::new(move || Ok(Reader::new(std::io::Cursor::new(again.clone())))),
            Box::new(move || super::super::scan_reader(Reader::new(std::io::Cursor::new(whole)))),
        )
    }

    /// Reads events until `done` says so; the payloads of the messages met, and whether a restart came.
    async fn until(h: &mut SessionHandle, mut done: impl FnMut(&Status) -> bool) -> (Vec<String>, bool, Status) {
        let (mut got, mut restart) = (Vec::new(), false);
        loop {
            let ev =
                tokio::time::timeout(Duration::from_secs(10), h.events.recv()).await.expect("in time").expect("events");
            match ev {
                SessionEvent::Messages(batch) => {
                    got.extend(batch.into_iter().map(|m| String::from_utf8(m.payload.to_vec()).unwrap()))
                }
                SessionEvent::Replay(ReplayEvent::Restart) => restart = true,
                SessionEvent::Replay(ReplayEvent::Status(s)) if done(&s) => return (got, restart, *s),
                _ => {}
            }
        }
    }

    fn numbers(r: std::ops::Range<u64>) -> Vec<String> {
        r.map(|i| i.to_string()).collect()
    }

    #[tokio::test]
    async fn a_replay_paused_seeked_back_and_forward_plays_what_the_player_says() {
        // 50 messages in the first 50 ms, then 50 an hour later.
        let text = recording(100, |i| if i < 50 { i } else { 3_600_000 + i });
        let mut r = spawn_into_app(seekable(text), Pace::Speed(1.0), "replay f".into());
        let (got, _, _) = until(&mut r.handle, |s| s.played == 50 && s.total == Some(100)).await;
        assert_eq!(got, numbers(0..50));
        r.control.send(player::Command::TogglePause).await.unwrap();
        until(&mut r.handle, |s| s.state == State::Paused).await;
        // Back: the file starts over, up to the target and no further.
        r.control.send(player::Command::SeekTo(T0 + 25)).await.unwrap();
        let (got, restart, s) = until(&mut r.handle, |s| s.state == State::Paused && s.played == 25).await;
        assert!(restart, "a seek back starts the app over");
        assert_eq!(got, numbers(0..25));
        assert_eq!(s.clock_ms, Some(T0 + 25));
        // One step.
        r.control.send(player::Command::Step).await.unwrap();
        let (got, _, _) = until(&mut r.handle, |s| s.played == 26).await;
        assert_eq!(got, numbers(25..26));
        // Past the end: everything else, at once, and the player stays, ended.
        r.control.send(player::Command::SeekBy(24 * 3_600_000)).await.unwrap();
        let (got, restart, s) = until(&mut r.handle, |s| s.state == State::Ended).await;
        assert!(!restart);
        assert_eq!(got, numbers(26..100));
        assert_eq!((s.played, s.end_ms), (100, Some(T0 + 3_600_099)));
        let _ = r.handle.commands.send(Command::Disconnect).await;
    }

    #[tokio::test]
    async fn an_empty_recording_ends_at_once_and_says_so() {
        let mut r = spawn_into_app(seekable(String::new()), Pace::Speed(1.0), "replay f".into());
        let (got, _, s) = until(&mut r.handle, |s| s.state == State::Ended).await;
        assert!(got.is_empty());
        assert_eq!((s.played, s.total, s.clock_ms), (0, Some(0), None));
        r.control.send(player::Command::SeekBy(-10_000)).await.unwrap();
        loop {
            match r.handle.events.recv().await.unwrap() {
                SessionEvent::Warning(w) if w.contains("empty") => break,
                _ => {}
            }
        }
    }

    #[tokio::test]
    async fn bad_lines_are_counted_once_even_when_read_again() {
        let text = format!("{}\nnot json\n{}", recording(3, |i| i), recording(2, |i| 10 + i));
        let report = Arc::new(Mutex::new(Report::default()));
        let mut source = seekable(text);
        source.report = report.clone();
        let mut r = spawn_into_app(source, Pace::Max, "replay f".into());
        let (_, _, s) = until(&mut r.handle, |s| s.state == State::Ended && s.bad_lines == 1).await;
        assert_eq!(s.played, 5);
        r.control.send(player::Command::SeekTo(T0 + 5)).await.unwrap();
        let (_, restart, s) = until(&mut r.handle, |s| s.state == State::Ended).await;
        assert!(restart);
        assert_eq!((s.played, s.bad_lines), (5, 1));
        assert_eq!(report.lock().unwrap().bad.total, 1, "the report counts the line once");
    }
}
