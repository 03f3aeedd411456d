//! Parking an idle worker: in the reactor if it is free, else on a condition variable.
//!
//! One parked worker at a time owns the reactor (`Driver`, behind a mutex taken with
//! `crate::loom::try_lock`, which takes a poisoned lock as free) and blocks in
//! `mio::Poll::poll` until an I/O event, the next timer deadline, or a `mio::Waker` wake-up.
//! The others sleep on their own condition variable. A worker that wakes releases the
//! reactor; the next worker to park takes it.
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
//!
//! ## Abandon
//! When the monitor hands a stuck worker's slot to a new thread, the old thread, whose poll
//! may end at that very moment, could still reach `park` on the slot's parker, which now
//! belongs to the new owner. The state word can describe one sleeper only, so the old
//! thread must never sleep here. It marks itself parked, then checks the slot's epoch
//! (`SeqCst`); the monitor bumps the epoch, then swaps `NOTIFIED` in and wakes every
//! sleeper (`unpark_all`, `SeqCst`). In the single order of those four operations, either
//! the old thread sees the bump and backs out, or the monitor's swap sees it parked and
//! wakes it. A thread that finds another sleeper's mark leaves it alone and returns, and an
//! abandoned thread that wakes returns without touching the word (the new owner may have
//! taken the monitor's `NOTIFIED` and parked meanwhile).
//!
//! ## The reactor's holder
//! While every worker is parked, one of them must be in the reactor, or timers and sockets
//! stop. A worker that leaves the reactor (woken) goes on as a worker and takes the reactor
//! again when it next parks, unless another parked worker has. Only a thread that stops
//! being a worker leaves it for good: one that lost its slot to the monitor (parked in the
//! reactor when the hand-off woke it, or turning it without blocking on its way out). So:
//! 1. Such a thread, after its last turn of the reactor, wakes a parked worker
//!    (`Shared::notify_parked`: a `SeqCst` fence, then the idle counts). The woken worker
//!    looks for work and parks again, in the reactor if it is free.
//! 2. A worker that parks updates the idle counts, runs a `SeqCst` fence, and only then
//!    tries the reactor's lock.
//!
//! Of the two fences, if the parking worker's comes first, the leaving thread's read of the
//! counts sees it parked and wakes a worker; otherwise the parking worker's `try_lock` sees
//! the lock released. Either way a worker ends up in the reactor. (A notifier skips the wake
//! if somebody searches: that searcher parks later, and its own fence comes after the
//! leaving thread's, so it finds the lock free.)
//!
//! `Reactor` is what a worker blocks in, and `TryLock` the lock on it: the runtime's
//! `reactor::Handle` and its `Driver` behind a `Mutex`, or stand-ins in the loom models,
//! which cannot run a blocking `epoll_wait` (and whose `Mutex::try_lock` counts as waiting
//! while another thread holds the lock, where the real one returns at once).

use crate::loom::{AtomicUsize, Condvar, Mutex, fence, lock, try_lock};
use crate::reactor;
use std::ops::DerefMut;
use std::sync::atomic::Ordering::SeqCst;

/// The lock on the reactor's blocking half, taken without ever waiting.
pub(crate) trait TryLock<T> {
    /// The locked value, if no other thread holds it.
    fn try_hold(&self) -> Option<impl DerefMut<Target = T> + '_>;
}

impl<T> TryLock<T> for Mutex<T> {
    /// A poisoned lock counts as free (`crate::loom::try_lock`): a panic that once escaped
    /// while a thread held the reactor must not leave it "busy" for ever.
    fn try_hold(&self) -> Option<impl DerefMut<Target = T> + '_> {
        try_lock(self)
    }
}

/// What a worker parked in the reactor blocks in.
pub(crate) trait Reactor {
    /// The half that blocks, behind the lock that the parked worker in it holds.
    type Driver;
    /// Blocks in `driver` until an I/O event, the next timer deadline or `wake`, and wakes
    /// the tasks those made ready; returns how many.
    fn turn(&self, driver: &mut Self::Driver) -> usize;
    /// Makes a thread blocked in `turn` return.
    fn wake(&self);
}

impl Reactor for reactor::Handle {
    type Driver = reactor::Driver;

    fn turn(&self, driver: &mut reactor::Driver) -> usize {
        driver.turn(self, None)
    }

    fn wake(&self) {
        reactor::Handle::wake(self);
    }
}

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
    ///
    /// `abandoned` says whether the calling thread lost its slot to the monitor; it is read
    /// after the thread is marked parked, and the monitor bumps the slot's epoch before it
    /// wakes the slot's parker, so a thread that lost its slot never sleeps here unseen (see
    /// `Abandon` in the module doc).
    pub(crate) fn park<R: Reactor>(
        &self,
        driver: &impl TryLock<R::Driver>,
        reactor: &R,
        abandoned: impl Fn() -> bool,
    ) -> usize {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return 0;
        }
        // Pairs with the fence in `Shared::notify_parked` of a thread that leaves the reactor
        // for good: "The reactor's holder" in the module doc, step 2.
        fence(SeqCst);
        if let Some(mut driver) = driver.try_hold() {
            if !self.mark_parked(PARKED_DRIVER, &abandoned) {
                return 0;
            }
            let ready = reactor.turn(&mut driver);
            // An abandoned thread leaves the word to the new owner, who may be parked now.
            if !abandoned() {
                self.state.swap(EMPTY, SeqCst);
            }
            return ready;
        }
        let mut guard = lock(&self.mutex);
        if !self.mark_parked(PARKED_CONDVAR, &abandoned) {
            return 0;
        }
        loop {
            guard = self.condvar.wait(guard).unwrap_or_else(|e| e.into_inner());
            match self.state.compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst) {
                // Still marked parked: a spurious wake-up, unless this thread lost its slot.
                Err(PARKED_CONDVAR) if !abandoned() => continue,
                // Unparked; or the mark is gone (a thread that lost its slot took the
                // notification meant for this one): return as if woken, the caller looks
                // for work and parks again.
                _ => return 0,
            }
        }
    }

    /// Moves the state from `EMPTY` to `parked`; false if the caller must not sleep: an
    /// unpark came first (consumed here), another thread sleeps here (left alone: only a
    /// thread that lost its slot meets that), or the caller lost its slot.
    fn mark_parked(&self, parked: usize, abandoned: &impl Fn() -> bool) -> bool {
        match self.state.compare_exchange(EMPTY, parked, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return false;
            }
            Err(_) => return false,
        }
        if abandoned() {
            // Back to `EMPTY` unless an unpark (meant for the slot's new owner) came since;
            // that one stays for the owner.
            let _ = self.state.compare_exchange(parked, EMPTY, SeqCst, SeqCst);
            return false;
        }
        true
    }

    /// Shutdown: wakes every thread parked here, even two (a thread that lost its slot to
    /// the monitor may still be parked on the slot's parker beside the slot's new owner).
    pub(crate) fn unpark_all(&self, reactor: &impl Reactor) {
        if self.state.swap(NOTIFIED, SeqCst) == PARKED_DRIVER {
            reactor.wake();
        }
        drop(lock(&self.mutex));
        self.condvar.notify_all();
    }

    /// Wakes the worker, or makes its next `park` return at once.
    pub(crate) fn unpark(&self, reactor: &impl Reactor) {
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
