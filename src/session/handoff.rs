//! The channel that carries session events to their consumer, bounded in bytes as well as in
//! events. An event is a batch of messages, and a batch of large payloads is large: 256 queued
//! reads of 1 MiB payloads were 256 MiB outside any memory budget. Here the sender waits (and so
//! stops reading the socket, which pushes back on the broker) while more than `limit` bytes of
//! messages are queued; nothing is dropped. The receiver gives the bytes back as it takes each
//! batch, so no consumer can forget to.

use super::{Message, SessionEvent};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc::error::{SendError, TryRecvError};
use tokio::sync::{Semaphore, mpsc};

/// Bytes of messages that may wait between the session and its consumer.
pub const HAND_OFF_BYTES: usize = 8 << 20;

/// What a batch holds while it waits: each message, its topic and its payload. The payload is a
/// slice of the read buffer; a batch of small messages pins at most one read chunk besides.
pub fn batch_cost(batch: &[Message]) -> usize {
    batch.iter().map(|m| size_of::<Message>() + m.topic.len() + m.payload.len()).sum()
}

#[derive(Debug)]
struct Credit {
    /// One permit per byte that may still be queued.
    bytes: Semaphore,
    limit: u32,
    /// The most bytes ever queued at once.
    peak: AtomicUsize,
}

impl Credit {
    /// A batch larger than the whole limit waits for an empty channel and then goes alone.
    fn clamp(&self, bytes: usize) -> u32 {
        u32::try_from(bytes).unwrap_or(u32::MAX).min(self.limit)
    }

    fn in_flight(&self) -> usize {
        (self.limit as usize).saturating_sub(self.bytes.available_permits())
    }
}

/// A bounded event channel: at most `events` events and `limit` bytes of messages queued.
pub fn channel(events: usize, limit: usize) -> (EventSender, Events) {
    let (tx, rx) = mpsc::channel(events.max(1));
    let limit = u32::try_from(limit.max(1)).unwrap_or(u32::MAX);
    let credit = Arc::new(Credit { bytes: Semaphore::new(limit as usize), limit, peak: AtomicUsize::new(0) });
    (EventSender { tx, credit: credit.clone() }, Events { rx, credit })
}

/// The session's end.
#[derive(Debug, Clone)]
pub struct EventSender {
    tx: mpsc::Sender<SessionEvent>,
    credit: Arc<Credit>,
}

impl EventSender {
    /// Sends an event, first waiting until the bytes of a batch fit. Fails when the receiver is gone.
    pub async fn send(&self, ev: SessionEvent) -> Result<(), SendError<SessionEvent>> {
        if let SessionEvent::Messages(batch) = &ev {
            let Ok(permit) = self.credit.bytes.acquire_many(self.credit.clamp(batch_cost(batch))).await else {
                return Err(SendError(ev));
            };
            permit.forget();
            self.credit.peak.fetch_max(self.credit.in_flight(), Ordering::Relaxed);
        }
        self.tx.send(ev).await
    }
}

/// The consumer's end: `mpsc::Receiver`'s calls, giving back the bytes of each batch taken.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<SessionEvent>,
    credit: Arc<Credit>,
}

impl Events {
    pub async fn recv(&mut self) -> Option<SessionEvent> {
        let ev = self.rx.recv().await;
        self.taken(ev.as_ref());
        ev
    }

    /// `recv` for a hand-written future: the dashboard polls every tab's channel in one turn.
    pub fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<SessionEvent>> {
        let ev = std::task::ready!(self.rx.poll_recv(cx));
        self.taken(ev.as_ref());
        std::task::Poll::Ready(ev)
    }

    pub fn try_recv(&mut self) -> Result<SessionEvent, TryRecvError> {
        let ev = self.rx.try_recv();
        self.taken(ev.as_ref().ok());
        ev
    }

    /// Events queued.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Bytes of messages queued now.
    pub fn bytes_queued(&self) -> usize {
        self.credit.in_flight()
    }

    /// The most bytes of messages ever queued at once. The allocator keeps that much for reuse
    /// after a flood, so it belongs in the process's memory figure.
    pub fn peak_bytes(&self) -> usize {
        self.credit.peak.load(Ordering::Relaxed)
    }

    fn taken(&self, ev: Option<&SessionEvent>) {
        if let Some(SessionEvent::Messages(batch)) = ev {
            self.credit.bytes.add_permits(self.credit.clamp(batch_cost(batch)) as usize);
        }
    }
}

impl Drop for Events {
    /// A sender waiting for room learns that nobody will make it.
    fn drop(&mut self) {
        self.credit.bytes.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Bytes, Properties, QoS};
    use std::time::Duration;

    fn batch(payload_bytes: usize) -> SessionEvent {
        SessionEvent::Messages(vec![Message {
            topic: "cam/1".into(),
            payload: Bytes::from(vec![0; payload_bytes]),
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: Properties::default(),
            received_at: std::time::UNIX_EPOCH,
        }])
    }

    #[tokio::test]
    async fn the_sender_waits_while_the_queued_bytes_are_over_the_limit_and_nothing_is_lost() {
        let (tx, mut rx) = channel(256, 3 << 20);
        let sender = tokio::spawn(async move {
            for _ in 0..10 {
                tx.send(batch(1 << 20)).await.unwrap();
            }
        });
        // Ten batches of 1 MiB against 3 MiB: the sender stops after two (each costs a bit more
        // than 1 MiB) until the receiver takes some.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while rx.len() < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(rx.len(), 2, "held back by bytes, not by the 256 events");
        assert!(rx.bytes_queued() <= 3 << 20);
        let mut got = 0;
        while let Some(ev) = rx.recv().await {
            assert!(matches!(ev, SessionEvent::Messages(_)));
            got += 1;
            if got == 10 {
                break;
            }
        }
        sender.await.unwrap();
        assert_eq!((got, rx.bytes_queued()), (10, 0));
        assert!(rx.peak_bytes() > 2 << 20 && rx.peak_bytes() <= 3 << 20, "{}", rx.peak_bytes());
    }

    #[tokio::test]
    async fn a_batch_over_the_whole_limit_goes_alone_and_other_events_are_not_held() {
        let (tx, mut rx) = channel(8, 1 << 20);
        tx.send(batch(5 << 20)).await.unwrap();
        tx.send(SessionEvent::Warning("w".into())).await.unwrap();
        assert_eq!(rx.bytes_queued(), 1 << 20);
        assert!(matches!(rx.recv().await, Some(SessionEvent::Messages(_))));
        assert!(matches!(rx.try_recv(), Ok(SessionEvent::Warning(_))));
        assert_eq!(rx.bytes_queued(), 0);
    }

    #[tokio::test]
    async fn a_sender_waiting_for_room_stops_when_the_receiver_goes() {
        let (tx, rx) = channel(8, 1 << 20);
        tx.send(batch(1 << 20)).await.unwrap();
        let waiting = tokio::spawn(async move { tx.send(batch(1 << 20)).await.is_err() });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(rx);
        let failed = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
        assert!(failed, "the send fails instead of waiting forever");
    }
}
