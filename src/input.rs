//! Terminal input for a loop that polls it on every turn.
//!
//! crossterm's `EventStream` takes a lock on every poll, and its own reader thread holds that lock
//! while it waits for input: each poll spins and yields the CPU several times (`sched_yield`)
//! before it gives up. The dashboard's loop polls input first on every turn, and a message flood
//! turns it hundreds of times a second: thousands of system calls a second for no key at all.
//! `Gated` polls the stream only when the stream's waker has fired (input arrived) or its last poll
//! gave an event (more may be buffered).

use futures_util::Stream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

pub struct Gated<S> {
    inner: S,
    gate: Arc<Gate>,
}

struct Gate {
    /// The inner stream may have something: poll it.
    open: AtomicBool,
    /// The task polling `Gated`, woken with the gate.
    task: Mutex<Option<Waker>>,
}

impl Wake for Gate {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.open.store(true, Ordering::SeqCst);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl<S> Gated<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, gate: Arc::new(Gate { open: AtomicBool::new(true), task: Mutex::new(None) }) }
    }
}

impl<S: Stream + Unpin> Stream for Gated<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        {
            // Registered before the gate is read: a wake in between is not lost.
            let mut task = this.gate.task.lock().unwrap_or_else(PoisonError::into_inner);
            if !task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        if !this.gate.open.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let waker = Waker::from(this.gate.clone());
        let polled = Pin::new(&mut this.inner).poll_next(&mut Context::from_waker(&waker));
        if polled.is_ready() {
            this.gate.open.store(true, Ordering::SeqCst);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pending until `ready` holds items; counts its polls and keeps the last waker.
    #[derive(Default)]
    struct Source {
        polls: usize,
        ready: Vec<u32>,
        waker: Option<Waker>,
    }

    impl Stream for Source {
        type Item = u32;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            self.polls += 1;
            match self.ready.pop() {
                Some(v) => Poll::Ready(Some(v)),
                None => {
                    self.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    fn poll(g: &mut Gated<Source>) -> Poll<Option<u32>> {
        Pin::new(g).poll_next(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn the_stream_is_polled_again_only_after_its_waker_fired_or_it_gave_an_event() {
        let mut g = Gated::new(Source::default());
        assert!(poll(&mut g).is_pending());
        for _ in 0..100 {
            assert!(poll(&mut g).is_pending());
        }
        assert_eq!(g.inner.polls, 1, "no wake, no poll");
        g.inner.ready = vec![2, 1];
        g.inner.waker.take().expect("the stream keeps a waker").wake();
        assert_eq!(poll(&mut g), Poll::Ready(Some(1)));
        assert_eq!(poll(&mut g), Poll::Ready(Some(2)), "after an event, polled again");
        assert!(poll(&mut g).is_pending());
        assert!(poll(&mut g).is_pending());
        assert_eq!(g.inner.polls, 4);
    }

    #[test]
    fn a_wake_wakes_the_polling_task() {
        struct Flag(AtomicBool);
        impl Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let task = Waker::from(flag.clone());
        let mut g = Gated::new(Source::default());
        assert!(Pin::new(&mut g).poll_next(&mut Context::from_waker(&task)).is_pending());
        g.inner.waker.take().expect("the stream keeps a waker").wake();
        assert!(flag.0.load(Ordering::SeqCst));
    }
}
