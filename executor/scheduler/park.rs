//! Parking an idle worker: in the reactor if it is free, else on a condition variable.
//!
//! One parked worker at a time owns the reactor (`Driver`, behind a mutex taken with
//! `try_lock`) and blocks in `mio::Poll::poll` until an I/O event, the next timer deadline,
//! or a `mio::Waker` wake-up. The others sleep on their own condition variable. A worker
//! that wakes releases the reactor; the next worker to park takes it.
//!
//! ## The parker's state
//! `EMPTY` (running), `PARKED_CONDVAR`, `PARKED_DRIVER`, or `NOTIFIED` (an unpark came while
//! the worker was not parked; its next `park` returns at once). `unpark` swaps in
//! `NOTIFIED` and wakes the worker the way it sleeps. Because the swap and the parking
//! transition are both read-modify-writes on one word, an unpark is never lost: either the
//! parker sees `NOTIFIED` before sleeping, or the unparker sees how it sleeps.
//!
//! The condition variable's mutex is taken by `unpark` before notifying, so a notify cannot
//! slip between the parker's state change and its `wait`.

use crate::loom::{AtomicUsize, Condvar, Mutex, lock};
use crate::reactor::{Driver, Handle as ReactorHandle};
use std::sync::atomic::Ordering::SeqCst;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// One worker's parking spot.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until `unpark`, or until the reactor (if this worker gets it) has events.
    /// Returns how many resources the reactor made ready meanwhile.
    /// `SeqCst` on the state: see the module doc; the ordering against the idle counts is
    /// what rules out a lost wake-up between `Idle` and here.
    pub(crate) fn park(&self, driver: &Mutex<Driver>, reactor: &ReactorHandle) -> usize {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return 0;
        }
        if let Ok(mut driver) = driver.try_lock() {
            if self
                .state
                .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
                .is_err()
            {
                self.state.swap(EMPTY, SeqCst);
                return 0;
            }
            let ready = driver.turn(reactor, None);
            self.state.swap(EMPTY, SeqCst);
            return ready;
        }
        let mut guard = lock(&self.mutex);
        if self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
            .is_err()
        {
            self.state.swap(EMPTY, SeqCst);
            return 0;
        }
        loop {
            guard = self.condvar.wait(guard).unwrap_or_else(|e| e.into_inner());
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return 0;
            }
        }
    }

    /// Shutdown: wakes every thread parked here, even two (a thread that lost its slot to
    /// the monitor may still be parked on the slot's parker beside the slot's new owner).
    pub(crate) fn unpark_all(&self, reactor: &ReactorHandle) {
        if self.state.swap(NOTIFIED, SeqCst) == PARKED_DRIVER {
            reactor.wake();
        }
        drop(lock(&self.mutex));
        self.condvar.notify_all();
    }

    /// Wakes the worker, or makes its next `park` return at once.
    pub(crate) fn unpark(&self, reactor: &ReactorHandle) {
        match self.state.swap(NOTIFIED, SeqCst) {
            PARKED_CONDVAR => {
                drop(lock(&self.mutex));
                self.condvar.notify_one();
            }
            PARKED_DRIVER => reactor.wake(),
            _ => {}
        }
    }
}
