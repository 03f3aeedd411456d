//! The `block_on` thread's parker: its state, which says whether the thread polls, sleeps or
//! drives a current-thread runtime, and whether it holds the paused clock; and its waker.
//! The protocol that moves it is in `block_on.rs`'s module doc.

use crate::loom::{AtomicUsize, Thread, current_thread, park_thread};
use crate::reactor::Holds;
use crate::scheduler::Shared;
use futures::task::ArcWake;
use std::cell::Cell;
// std's `Arc` for the parker, not `crate::loom`'s, in loom builds too: wakers are made from
// it. The scheduler's is `crate::loom`'s.
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// The thread polls, or is about to; it holds the clock.
pub(super) const POLLING: usize = 0;
/// The thread waits for a wake, asleep in `park_thread`; no hold.
const PARKED: usize = 1;
/// A waker found the thread parked (or driving) and takes a hold for it.
const WAKING: usize = 2;
/// Woken, not polling yet; holds the clock.
const NOTIFIED: usize = 3;
/// The future waits for a wake while the thread drives a current-thread runtime, asleep in
/// the runtime's reactor whenever it has nothing to run; no hold.
const DRIVING: usize = 4;

thread_local! {
    /// The parker of the thread's last `block_on` call on a multi-thread runtime, if no
    /// waker of it was left behind: the next call on the same runtime reuses it rather than
    /// allocate one.
    static SPARE_PARKER: Cell<Option<Arc<Parker>>> = const { Cell::new(None) };
}

/// The `block_on` thread's parking spot and its waker.
pub(super) struct Parker {
    pub(super) thread: Thread,
    pub(super) state: AtomicUsize,
    /// The runtime's holds on its paused clock, for the waker's hold.
    pub(super) holds: Holds,
    /// A current-thread runtime's scheduler, whose core the thread may drive: a wake from
    /// `DRIVING` unparks the core's holder there. `None` on a multi-thread runtime.
    pub(super) core: Option<crate::loom::Arc<Shared>>,
}

impl Parker {
    /// The thread's spare parker if it serves the clock of `scheduler` and nothing else refers
    /// to it (`SPARE_PARKER`), else a new one; `POLLING` either way.
    pub(super) fn for_this_thread(scheduler: &crate::loom::Arc<Shared>) -> Arc<Parker> {
        let holds = scheduler.reactor().timers().holds();
        match SPARE_PARKER.take() {
            Some(spare) if spare.holds.is_same(holds) && Arc::strong_count(&spare) == 1 => {
                // `Relaxed`: no other thread refers to the parker.
                spare.state.store(POLLING, Relaxed);
                spare
            }
            _ => Arc::new(Parker {
                thread: current_thread(),
                state: AtomicUsize::new(POLLING),
                holds: holds.clone(),
                core: scheduler.is_current_thread().then(|| scheduler.clone()),
            }),
        }
    }

    /// Keeps the parker for the thread's next call if no waker of it was left behind, and if
    /// it does not hold a scheduler (which would keep that runtime's memory after its drop).
    pub(super) fn set_aside(self: Arc<Self>) {
        if Arc::strong_count(&self) == 1 && self.core.is_none() {
            SPARE_PARKER.set(Some(self));
        }
    }

    /// Steps 3 and 4 on the thread that polls; `release` gives up its hold once it counts
    /// as parked.
    pub(super) fn park(&self, release: impl FnOnce()) {
        // `Acquire` on failure: the wake that came during the poll published what it woke
        // for with its `Release` (in `wake_by_ref`); the next poll must see it.
        if self
            .state
            .compare_exchange(POLLING, PARKED, Relaxed, Acquire)
            .is_err()
        {
            // `NOTIFIED`, and only this thread moves it on: nothing to race with.
            self.state.store(POLLING, Relaxed);
            return;
        }
        release();
        self.wait_for_notified();
    }

    /// Sleeps until a waker has stored `NOTIFIED`, then `POLLING`.
    fn wait_for_notified(&self) {
        // `Acquire`: pairs with the waker's `Release` store of `NOTIFIED`, after its hold.
        while self.state.load(Acquire) != NOTIFIED {
            park_thread();
        }
        self.state.store(POLLING, Relaxed);
    }

    /// Step 3 for a thread that drives a current-thread runtime: `POLLING` → `DRIVING`,
    /// then `release` gives up the hold. False if a wake came during the poll (`NOTIFIED`,
    /// which keeps its hold until `resume`).
    pub(super) fn idle_while_driving(&self, release: impl FnOnce()) -> bool {
        // `Relaxed`: a failure is followed by `is_notified`'s `Acquire` before the poll.
        let idle = self
            .state
            .compare_exchange(POLLING, DRIVING, Relaxed, Relaxed)
            .is_ok();
        if idle {
            release();
        }
        idle
    }

    /// True once a waker stored `NOTIFIED`. `Acquire`: pairs with the waker's `Release`, so
    /// the poll that follows sees what it woke for.
    pub(super) fn is_notified(&self) -> bool {
        self.state.load(Acquire) == NOTIFIED
    }

    /// Step 4's end for a thread that drives: `NOTIFIED` → `POLLING` (the hold stays).
    pub(super) fn resume(&self) {
        self.state.store(POLLING, Relaxed);
    }

    /// The thread stops driving (shutdown, or unwinding out of a drive) while its future may
    /// wait in `DRIVING`: it wakes itself, which takes a hold unless a waker did, and is
    /// `POLLING` again once `NOTIFIED` is stored (by a waker that was `WAKING`, perhaps).
    pub(super) fn stop_driving(self: &Arc<Self>) {
        ArcWake::wake_by_ref(self);
        self.wait_for_notified();
    }

    /// Step 5: true if the thread still holds the clock, which it does: it leaves from
    /// `POLLING` or `NOTIFIED`, the states in which it polls (step 3's release, the one
    /// step between, does not unwind: its wakes are contained), or, unwinding out of a
    /// drive, from `DRIVING`, which it leaves the way a stopped drive does. The state stays:
    /// a waker left behind can only move it to `NOTIFIED`, which takes no hold.
    pub(super) fn exit(self: &Arc<Self>) -> bool {
        // `Relaxed`: the thread reads back its own last store, or a waker's.
        let state = self.state.load(Relaxed);
        if state == DRIVING || state == WAKING {
            self.stop_driving();
            return true;
        }
        debug_assert!(
            state == POLLING || state == NOTIFIED,
            "block_on left from state {state}"
        );
        state != PARKED
    }
}

impl ArcWake for Parker {
    fn wake_by_ref(parker: &Arc<Self>) {
        let mut state = parker.state.load(Relaxed);
        loop {
            let next = match state {
                POLLING => NOTIFIED,
                PARKED | DRIVING => WAKING,
                _ => return,
            };
            // `Release`: publishes what the waker's caller did before the wake to the
            // thread's `Acquire` in `park` or `is_notified` (from `POLLING`; from `PARKED`
            // and `DRIVING` the store of `NOTIFIED` below does it).
            match parker
                .state
                .compare_exchange_weak(state, next, Release, Relaxed)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state == PARKED || state == DRIVING {
            parker.holds.take();
            parker.state.store(NOTIFIED, Release);
            if let (DRIVING, Some(scheduler)) = (state, &parker.core) {
                // The thread sleeps in the runtime's reactor, if anywhere.
                scheduler.unpark_core();
            }
            // Also from `DRIVING`: a thread that stops driving waits in `park_thread`.
            parker.thread.unpark();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    //! Loom models of the parker: two wakes racing with the thread's park, and with a
    //! current-thread runtime's drive (`DRIVING`), and with the end of a drive. The thread
    //! never sleeps through a wake (loom reports a deadlock), it holds the clock exactly once
    //! whenever it polls, and a wake from `DRIVING` reaches the slot's parker where the
    //! driving thread sleeps.

    use super::{POLLING, Parker};
    use crate::loom::{AtomicUsize, current_thread};
    use crate::reactor::{Handle, Holds};
    use crate::scheduler::{Shared, UnhandledPanic};
    use futures::task::waker_ref;
    use loom::thread;
    use std::sync::Arc;

    /// A parker in `POLLING` holding the clock, for `scheduler` (`None`: multi-thread).
    fn polling(holds: &Holds, core: Option<crate::loom::Arc<Shared>>) -> Arc<Parker> {
        holds.take();
        Arc::new(Parker {
            thread: current_thread(),
            state: AtomicUsize::new(POLLING),
            holds: holds.clone(),
            core,
        })
    }

    /// Two threads that each wake `parker` once.
    fn two_wakes(parker: &Arc<Parker>) -> Vec<thread::JoinHandle<()>> {
        (0..2)
            .map(|_| {
                let waker = waker_ref(parker).clone();
                thread::spawn(move || waker.wake())
            })
            .collect()
    }

    /// Checks that the thread, polling again, holds the clock once, also after the wakes.
    fn holds_once(holds: &Holds, parker: &Arc<Parker>, wakes: Vec<thread::JoinHandle<()>>) {
        assert_eq!(holds.count(), 1, "woken without exactly one hold");
        for wake in wakes {
            wake.join().unwrap();
        }
        assert_eq!(holds.count(), 1);
        assert!(parker.exit());
    }

    /// A scheduler with one slot, for a parker that drives it, and its reactor.
    fn one_slot() -> (crate::loom::Arc<Shared>, Handle) {
        let (driver, reactor) = Handle::new().unwrap();
        let shared = Shared::new(1, driver, reactor.clone(), UnhandledPanic::Ignore, None);
        (shared, reactor)
    }

    #[test]
    fn wakes_racing_with_the_park_take_one_hold() {
        loom::model(|| {
            let (_driver, reactor) = Handle::new().unwrap();
            let holds = reactor.timers().holds().clone();
            let parker = polling(&holds, None);
            let wakes = two_wakes(&parker);
            parker.park(|| {
                reactor.timers().release();
            });
            holds_once(&holds, &parker, wakes);
        });
    }

    /// The drive of `Call::drive`, with the worker's steps reduced to sleeping in the slot's
    /// parker: the thread goes `DRIVING` (or stays `NOTIFIED`) and sleeps until notified.
    #[test]
    fn wakes_racing_with_a_drive_reach_the_driving_thread_and_take_one_hold() {
        loom::model(|| {
            let (shared, reactor) = one_slot();
            let _held = shared.hold_reactor_in_model();
            let holds = reactor.timers().holds().clone();
            let parker = polling(&holds, Some(shared.clone()));
            let wakes = two_wakes(&parker);
            if !parker.idle_while_driving(|| {
                reactor.timers().release();
            }) {
                shared.unpark_core();
            }
            while !parker.is_notified() {
                shared.park_core_in_model();
            }
            parker.resume();
            holds_once(&holds, &parker, wakes);
        });
    }

    /// A drive that stops (shutdown) while wakes race with it: the thread wakes itself, and
    /// is back in `POLLING` with exactly one hold, whoever took it.
    #[test]
    fn a_drive_that_stops_races_with_wakes_and_keeps_one_hold() {
        loom::model(|| {
            let (shared, reactor) = one_slot();
            let holds = reactor.timers().holds().clone();
            let parker = polling(&holds, Some(shared));
            assert!(parker.idle_while_driving(|| {
                reactor.timers().release();
            }));
            let wakes = two_wakes(&parker);
            parker.stop_driving();
            holds_once(&holds, &parker, wakes);
        });
    }
}
