//! `mqscope replay FILE`: a recording played back into the dashboard as if a broker sent it (no
//! broker needed), or republished to a broker with `--to URL`, with the recorded timing, faster
//! (`--speed N`) or as fast as possible (`--max`).

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

/// A recording read one record at a time; bad lines are counted into the report and handed to
/// `on_bad` as they are met.
pub struct Source<R> {
    reader: Reader<R>,
    report: Arc<Mutex<Report>>,
    file: String,
}

impl<R: BufRead> Source<R> {
    pub fn new(reader: Reader<R>, path: &Path, report: Arc<Mutex<Report>>) -> Self {
        Self { reader, report, file: crate::sanitize::line(&path.display().to_string()).into_owned() }
    }

    /// The next good record; `on_bad` gets the text of each bad line on the way. `None` at the end
    /// of the file or on a read error (which the report keeps).
    fn next(&mut self, on_bad: &mut impl FnMut(String)) -> Option<Record> {
        loop {
            let entry = self.reader.next_entry();
            let mut report = self.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match entry {
                Ok(Some(Entry::Record(r))) => {
                    report.played += 1;
                    return Some(*r);
                }
                Ok(Some(Entry::Bad(b))) => {
                    let text = format!("{}: {b}", self.file);
                    if report.bad.add(b) {
                        on_bad(text);
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    let why = format!("reading {} failed: {e}", self.file);
                    on_bad(why.clone());
                    report.error = Some(why);
                    return None;
                }
            }
        }
    }
}

/// A session-like handle whose events are the recording, for the dashboard. Commands are accepted
/// and dropped (there is no broker); the "connection" ends when the app disconnects. The file is
/// read as it plays (a batch at a time), so memory does not grow with its length.
pub fn spawn_into_app<R: BufRead + Send + 'static>(mut source: Source<R>, pace: Pace, label: String) -> SessionHandle {
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(64);
    let (ev_tx, ev_rx) = session::handoff::channel(64, session::handoff::HAND_OFF_BYTES);
    let task = tokio::spawn(async move {
        let info = ConnectionInfo::defaults(ProtocolVersion::V5, false, "replay".into(), 0);
        let _ = ev_tx.send(SessionEvent::Connecting { url: label, attempt: 1, version: ProtocolVersion::V5 }).await;
        let _ = ev_tx.send(SessionEvent::Connected(Box::new(info))).await;
        let start = Instant::now();
        let mut notes = Vec::new();
        let mut next = source.next(&mut |w| notes.push(w));
        let t0 = next.as_ref().map_or(0, |r| r.ts_ms);
        while let Some(record) = next.take() {
            for w in notes.drain(..) {
                let _ = ev_tx.send(SessionEvent::Warning(w)).await;
            }
            let due = pace.due(start, t0, record.ts_ms);
            tokio::select! {
                _ = sleep_until(due) => {}
                cmd = cmd_rx.recv() => match cmd {
                    None | Some(Command::Disconnect) => return,
                    Some(_) => {
                        next = Some(record);
                        continue;
                    }
                },
            }
            // Everything due by now goes in one batch.
            let now = Instant::now();
            let mut batch = Vec::new();
            let mut record = Some(record);
            while let Some(r) = record.take() {
                if batch.len() >= BATCH || pace.due(start, t0, r.ts_ms) > now {
                    next = Some(r);
                    break;
                }
                match r.to_message(SystemTime::now()) {
                    Ok(m) => batch.push(m),
                    Err(e) => notes.push(format!("{}: {e}", r.topic)),
                }
                record = source.next(&mut |w| notes.push(w));
            }
            if ev_tx.send(SessionEvent::Messages(batch)).await.is_err() {
                return;
            }
        }
        for w in notes.drain(..) {
            let _ = ev_tx.send(SessionEvent::Warning(w)).await;
        }
        let summary = {
            let report = source.report.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut s = format!("replay finished: {} messages", report.played);
            if let Some(bad) = report.bad.summary() {
                s.push_str(&format!("; {bad}"));
            }
            if let Some(e) = &report.error {
                s.push_str(&format!("; {e}"));
            }
            s
        };
        let _ = ev_tx.send(SessionEvent::Warning(summary)).await;
        while let Some(cmd) = cmd_rx.recv().await {
            if cmd == Command::Disconnect {
                break;
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
    SessionHandle { commands: cmd_tx, events: ev_rx, task }
}

/// Publishes the recording to a broker as it reads it, through the loop `pub` uses (in-flight window,
/// no-progress timeout); returns the exit code: 0 when every message was delivered and every line was
/// read, a cut last line aside.
pub async fn republish<R: BufRead>(mut source: Source<R>, pace: Pace, opts: TaskOptions, ack_timeout: Duration) -> u8 {
    use crate::exit;
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let start = Instant::now();
    let first = source.next(&mut |w| crate::report!("mqscope: {w}"));
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
        self.next = self.source.next(&mut |w| crate::report!("mqscope: {w}"));
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
        let mut h = spawn_into_app(source, Pace::Max, "replay:test".into());
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
}
