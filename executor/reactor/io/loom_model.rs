//! Loom models of the waiter lists: an event racing waiters that enter their list, leave it,
//! meet `WouldBlock` and wait again. A lost wake-up shows as a deadlock of `block_on`. Run
//! with `scripts/loom.sh`.
//!
//! The "socket" is a count of queued datagrams: the sender queues one, then `set`s the
//! readiness, as the kernel and the reactor do; a receive takes one or meets `WouldBlock`.

use super::*;
use loom::future::block_on;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// A `ScheduledIo` and the datagrams queued on its socket.
struct Socket {
    io: ScheduledIo,
    queued: AtomicUsize,
}

impl Socket {
    fn new() -> Arc<Socket> {
        Arc::new(Socket {
            io: ScheduledIo::new(),
            queued: AtomicUsize::new(0),
        })
    }

    /// A datagram arrives: the kernel queues it, then the reactor reports the edge.
    fn deliver(&self) {
        self.queued.fetch_add(1, SeqCst);
        self.io.set(READABLE);
    }

    /// `shared_io`'s loop around a receive: waits in the list until a datagram is taken.
    fn receive(&self) {
        let mut waiter = Waiter::new(&self.io, Direction::Read);
        block_on(poll_fn(|cx| {
            loop {
                let event = ready!(waiter.poll_ready(cx)).expect("no shutdown here");
                let taken = self
                    .queued
                    .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if taken {
                    return Poll::Ready(());
                }
                self.io.clear_readiness(event); // `WouldBlock`
            }
        }));
    }

    /// The lists are empty and the word says so.
    fn assert_no_waiters(&self) {
        let waiters = lock(&self.io.waiters);
        assert!(waiters.is_empty(Direction::Read));
        assert_eq!(self.io.readiness.load(SeqCst) & READ_WAITERS, 0);
    }
}

#[test]
fn a_receive_racing_a_datagram_gets_it() {
    loom::model(|| {
        let socket = Socket::new();
        let sender = {
            let socket = socket.clone();
            thread::spawn(move || socket.deliver())
        };
        socket.receive();
        sender.join().unwrap();
        socket.assert_no_waiters();
    });
}

#[test]
fn two_receivers_and_two_datagrams() {
    loom::model(|| {
        let socket = Socket::new();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let socket = socket.clone();
                thread::spawn(move || socket.receive())
            })
            .collect();
        socket.deliver();
        socket.deliver();
        for receiver in receivers {
            receiver.join().unwrap();
        }
        socket.assert_no_waiters();
    });
}

/// A wait polled once, then cancelled (its future dropped).
fn cancelled_wait(io: &ScheduledIo) {
    let mut waiter = Waiter::new(io, Direction::Read);
    let waker = futures::task::noop_waker();
    let _ = waiter.poll_ready(&mut Context::from_waker(&waker));
}

#[test]
fn a_waiter_dropped_while_an_event_comes() {
    loom::model(|| {
        let socket = Socket::new();
        let canceller = {
            let socket = socket.clone();
            thread::spawn(move || cancelled_wait(&socket.io))
        };
        socket.deliver();
        canceller.join().unwrap();
        socket.assert_no_waiters();
    });
}

/// Two waits cancelled at once, beside an event of the other direction (whose update of
/// the word must keep the waiter bits): nothing drains the read list, so an entry left
/// behind would stay.
#[test]
fn two_waiters_dropped_beside_a_write_event() {
    loom::model(|| {
        let socket = Socket::new();
        let canceller = {
            let socket = socket.clone();
            thread::spawn(move || cancelled_wait(&socket.io))
        };
        socket.io.set(WRITABLE);
        cancelled_wait(&socket.io);
        canceller.join().unwrap();
        socket.assert_no_waiters();
    });
}
