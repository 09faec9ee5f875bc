//! `mqscope replay FILE`: a recording played back into the dashboard as if a broker sent it (no
//! broker needed), or republished to a broker with `--to URL`, with the recorded timing, faster
//! (`--speed N`) or as fast as possible (`--max`).

use crate::codec::ProtocolVersion;
use crate::codec::QoS;
use crate::headless::publisher::{Next, Source, publish_all};
use crate::record::Record;
use crate::session::{self, Command, ConnectionInfo, OutgoingPublish, SessionEvent, SessionHandle, TaskOptions};
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

/// A session-like handle whose events are the recording, for the dashboard. Commands are accepted
/// and dropped (there is no broker); the "connection" ends when the app disconnects.
pub fn spawn_into_app(records: Vec<Record>, pace: Pace, label: String) -> SessionHandle {
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(64);
    let (ev_tx, ev_rx) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let info = ConnectionInfo::defaults(ProtocolVersion::V5, false, "replay".into(), 0);
        let _ = ev_tx.send(SessionEvent::Connecting { url: label, attempt: 1, version: ProtocolVersion::V5 }).await;
        let _ = ev_tx.send(SessionEvent::Connected(Box::new(info))).await;
        let start = Instant::now();
        let t0 = records.first().map_or(0, |r| r.ts_ms);
        let mut i = 0;
        while i < records.len() {
            let due = pace.due(start, t0, records[i].ts_ms);
            tokio::select! {
                _ = sleep_until(due) => {}
                cmd = cmd_rx.recv() => match cmd {
                    None | Some(Command::Disconnect) => return,
                    Some(_) => continue,
                },
            }
            // Everything due by now goes in one batch.
            let now = Instant::now();
            let mut batch = Vec::new();
            while i < records.len() && batch.len() < BATCH && pace.due(start, t0, records[i].ts_ms) <= now {
                match records[i].to_message(SystemTime::now()) {
                    Ok(m) => batch.push(m),
                    Err(e) => {
                        let _ = ev_tx.send(SessionEvent::Warning(format!("record {}: {e}", i + 1))).await;
                    }
                }
                i += 1;
            }
            if ev_tx.send(SessionEvent::Messages(batch)).await.is_err() {
                return;
            }
        }
        let _ = ev_tx.send(SessionEvent::Warning(format!("replay finished: {} messages", records.len()))).await;
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

/// Publishes the recording to a broker; returns the exit code (0 when every message was delivered:
/// written at QoS 0, acknowledged at QoS 1/2).
pub async fn republish(records: Vec<Record>, pace: Pace, opts: TaskOptions, ack_timeout: Duration) -> u8 {
    let debug = opts.debug;
    let mut handle = session::spawn(opts);
    let start = Instant::now();
    let total = records.len() as u64;
    let t0 = records.first().map_or(0, |r| r.ts_ms);
    let mut source = Records { records: records.into_iter().enumerate().peekable(), pace, start, t0 };
    let (code, tally) = publish_all(&mut handle, &mut source, ack_timeout, debug).await;
    crate::report!(
        "mqscope: republished {} of {total} messages ({} failed) in {:.1} s",
        tally.delivered(),
        tally.failed,
        start.elapsed().as_secs_f64()
    );
    crate::headless::sub::finish(handle, debug).await;
    code
}

/// The records of a recording, each released when it is due.
struct Records {
    records: std::iter::Peekable<std::iter::Enumerate<std::vec::IntoIter<Record>>>,
    pace: Pace,
    start: Instant,
    t0: u64,
}

impl Source for Records {
    async fn next(&mut self) -> Next {
        let Some((_, r)) = self.records.peek() else { return Next::End };
        // Cancel-safe: the record is taken only once it is due.
        sleep_until(self.pace.due(self.start, self.t0, r.ts_ms)).await;
        let Some((i, r)) = self.records.next() else { return Next::End };
        match (r.payload_bytes(), r.properties(), QoS::from_u8(r.qos)) {
            (Ok(payload), Ok(properties), Some(qos)) => {
                Next::Message(OutgoingPublish { topic: r.topic, payload, qos, retain: r.retain, properties })
            }
            _ => Next::Skip(format!("record {} is not publishable; skipped", i + 1)),
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
        let records = crate::record::parse(&text).unwrap();
        let mut h = spawn_into_app(records, Pace::Max, "replay:test".into());
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
