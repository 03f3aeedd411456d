//! goro's `block_on`: runs a future to completion on the calling thread, which parks between
//! polls.
//!
//! goro has its own rather than `futures::executor::block_on` for two reasons. A paused
//! clock may jump only while every `block_on` thread is parked (see the scheduler's
//! `paused_clock.rs`), so the runtime must know when the thread polls and when it waits. And
//! a nested call must fail with a message that names goro and says what to do.
//!
//! ## The parker's state
//! - `POLLING`: the thread polls, or is about to. It holds the paused clock (one of the
//!   runtime's `reactor::Holds`).
//! - `PARKED`: the thread waits for a wake. No hold.
//! - `WAKING`: a waker found the thread parked and is taking a hold for it.
//! - `NOTIFIED`: woken, not polling yet. Holds the clock: its own hold if the wake came
//!   while it polled, the waker's if it was parked.
//!
//! ## Protocol
//! 1. Enter: refuse a nested call (a thread-local flag), take a hold on the clock, `POLLING`.
//! 2. Poll, after panicking if an unhandled panic shut the runtime down (below). `Ready`:
//!    step 5.
//! 3. `Pending`: `POLLING` → `PARKED`. If that fails, a wake came during the poll
//!    (`NOTIFIED`): back to `POLLING` and step 2, still holding. Else release the hold; the
//!    thread may be the last participant to become idle, and then jumps the clock itself
//!    (`Shared::release_clock`): nobody else would.
//! 4. Sleep until `NOTIFIED` (`park_thread` may return early, and code inside the future
//!    may take the thread's park token), then `POLLING` and step 2.
//! 5. Exit, also when unwinding (from `POLLING` or `NOTIFIED`): release the hold. A waker
//!    that outlives the call finds one of those states and takes no hold. If none is left,
//!    the parker waits in a thread-local for the thread's next call on the same runtime
//!    (it keeps the runtime's count of holds alive, nothing else of it).
//!
//! A waker moves `POLLING` to `NOTIFIED` (the thread holds the clock and will poll again),
//! or `PARKED` to `WAKING`; then it takes a hold for the thread, stores `NOTIFIED` and
//! unparks it. So the thread never leaves step 4 without a hold. Between the waker's first
//! step and its hold the clock could jump without seeing the wake, but the waker's caller is
//! then itself a participant that is not idle (a worker running a task, a blocking task, a
//! thread waking a jump's timers) unless it is a thread outside the runtime.
//!
//! ## A runtime shut down by a panic
//! Under `UnhandledPanic::ShutdownRuntime` the workers stop when a task panics, and the
//! future may wait for one of their tasks forever. The first time the thread parks, it
//! registers its waker to be woken at that shutdown (`Shared::wake_on_shutdown`), and
//! removes it when it returns, so that the list holds the threads blocked now, not every
//! call ever made. Step 2 then panics.

use crate::loom::{AtomicUsize, Thread, current_thread, park_thread};
use crate::reactor::Holds;
use crate::scheduler::Shared;
use futures::task::{ArcWake, waker_ref};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
// std's `Arc`, not `crate::loom`'s, in loom builds too: wakers are made from it.
use std::sync::Arc;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::task::{Context, Poll};

/// The thread polls, or is about to; it holds the clock.
const POLLING: usize = 0;
/// The thread waits for a wake; no hold.
const PARKED: usize = 1;
/// A waker found the thread parked and takes a hold for it.
const WAKING: usize = 2;
/// Woken, not polling yet; holds the clock.
const NOTIFIED: usize = 3;

thread_local! {
    /// True while the thread is inside `block_on`.
    static BLOCKING_ON: Cell<bool> = const { Cell::new(false) };
    /// The parker of the thread's last `block_on` call, if no waker of it was left behind:
    /// the next call on the same runtime reuses it rather than allocate one.
    static SPARE_PARKER: Cell<Option<Arc<Parker>>> = const { Cell::new(None) };
}

/// Runs `future` on the current thread until it completes (steps in the module doc).
pub(super) fn block_on<F: Future>(scheduler: &Shared, future: F) -> F::Output {
    let _not_nested = NotNested::enter();
    let parker = Parker::for_this_thread(scheduler.reactor().timers().holds());
    let output = Call::enter(scheduler, &parker).run(future);
    parker.set_aside();
    output
}

/// Runs `f` as if the thread were not inside `block_on`, so that `f` may call it: blocking
/// code that `block_in_place` runs inside the future of a `block_on` (as on a worker, the
/// caller has nothing else to run meanwhile).
pub(super) fn outside_block_on<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BLOCKING_ON.with(|blocking_on| blocking_on.set(self.0));
        }
    }
    let _restore = Restore(BLOCKING_ON.with(|blocking_on| blocking_on.replace(false)));
    f()
}

/// Step 1's refusal of a nested call; the flag is cleared on drop.
struct NotNested;

impl NotNested {
    fn enter() -> NotNested {
        if BLOCKING_ON.with(|blocking_on| blocking_on.replace(true)) {
            panic!(
                "goro: block_on was called inside another block_on on this thread (a \
                 `#[goro::main]` or `#[goro::test]` body runs in one); the outer future could \
                 not run until the inner one returned. Use `.await` instead, or call block_on \
                 from `spawn_blocking` or another thread"
            );
        }
        NotNested
    }
}

impl Drop for NotNested {
    fn drop(&mut self) {
        BLOCKING_ON.with(|blocking_on| blocking_on.set(false));
    }
}

/// One `block_on` call's hold on the clock and shutdown watch, given back on drop (step 5).
struct Call<'a> {
    scheduler: &'a Shared,
    parker: &'a Arc<Parker>,
    /// Whether the waker was offered to `wake_on_shutdown` (`Some`) and taken (`true`).
    watching_shutdown: Option<bool>,
}

impl<'a> Call<'a> {
    /// Step 1's hold.
    fn enter(scheduler: &'a Shared, parker: &'a Arc<Parker>) -> Call<'a> {
        scheduler.hold_clock();
        Call {
            scheduler,
            parker,
            watching_shutdown: None,
        }
    }

    /// Steps 2 to 4.
    fn run<F: Future>(mut self, future: F) -> F::Output {
        let mut future = pin!(future);
        loop {
            if self.scheduler.shut_down_by_panic() {
                panic!(
                    "goro: a task panicked and the runtime is configured with \
                     UnhandledPanic::ShutdownRuntime, so it shut down"
                );
            }
            let waker = waker_ref(self.parker);
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            self.park();
        }
    }

    /// Steps 3 and 4, after the shutdown watch is set up (a panic there leaves the thread
    /// holding the clock, which step 5 then releases).
    fn park(&mut self) {
        if self.watching_shutdown.is_none() {
            let registered = self.scheduler.wake_on_shutdown(&waker_ref(self.parker));
            self.watching_shutdown = Some(registered);
            if !registered && self.scheduler.shut_down_by_panic() {
                // Too late to be woken for it: poll again, and step 2 panics.
                return;
            }
        }
        self.parker.park(|| self.scheduler.release_clock());
    }
}

impl Drop for Call<'_> {
    /// Step 5.
    fn drop(&mut self) {
        if self.watching_shutdown == Some(true) {
            self.scheduler
                .forget_shutdown_waiter(&waker_ref(self.parker));
        }
        if self.parker.exit() {
            self.scheduler.release_clock();
        }
    }
}

/// The `block_on` thread's parking spot and its waker.
struct Parker {
    thread: Thread,
    state: AtomicUsize,
    /// The runtime's holds on its paused clock, for the waker's hold.
    holds: Holds,
}

impl Parker {
    /// The thread's spare parker if it serves the clock of `holds` and nothing else refers
    /// to it (`SPARE_PARKER`), else a new one; `POLLING` either way.
    fn for_this_thread(holds: &Holds) -> Arc<Parker> {
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
            }),
        }
    }

    /// Keeps the parker for the thread's next call if no waker of it was left behind.
    fn set_aside(self: Arc<Self>) {
        if Arc::strong_count(&self) == 1 {
            SPARE_PARKER.set(Some(self));
        }
    }

    /// Steps 3 and 4 on the thread that polls; `release` gives up its hold once it counts
    /// as parked.
    fn park(&self, release: impl FnOnce()) {
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
        // `Acquire`: pairs with the waker's `Release` store of `NOTIFIED`, after its hold.
        while self.state.load(Acquire) != NOTIFIED {
            park_thread();
        }
        self.state.store(POLLING, Relaxed);
    }

    /// Step 5: true if the thread still holds the clock, which it does: it leaves from
    /// `POLLING` or `NOTIFIED`, the states in which it polls (step 3's release, the one
    /// step between, does not unwind: its wakes are contained). The state stays: a waker
    /// left behind can only move it to `NOTIFIED`, which takes no hold.
    fn exit(&self) -> bool {
        // `Relaxed`: the thread reads back its own last store, or a waker's `NOTIFIED`;
        // either holds the clock.
        let state = self.state.load(Relaxed);
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
                PARKED => WAKING,
                _ => return,
            };
            // `Release`: publishes what the waker's caller did before the wake to the
            // thread's `Acquire` in `park` (from `POLLING`; from `PARKED` the store of
            // `NOTIFIED` below does it).
            match parker
                .state
                .compare_exchange_weak(state, next, Release, Relaxed)
            {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        if state == PARKED {
            parker.holds.take();
            parker.state.store(NOTIFIED, Release);
            parker.thread.unpark();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn block_on_calls_that_returned_leave_no_shutdown_waiter_behind() {
        let runtime = crate::Builder::new()
            .worker_threads(1)
            .on_unhandled_panic(crate::UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        for _ in 0..50 {
            let handle = runtime.handle().clone();
            std::thread::spawn(move || {
                // Parks at least once: the task runs on the worker.
                handle.block_on(async { crate::spawn(crate::yield_now()).await.unwrap() });
            })
            .join()
            .unwrap();
        }
        assert_eq!(runtime.handle().scheduler.shutdown_waiter_count(), 0);
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    //! Loom model of the parker: two wakes racing with the thread's park. The thread never
    //! sleeps through a wake (loom reports a deadlock), and it holds the clock exactly once
    //! whenever it polls.

    use super::{POLLING, Parker};
    use crate::loom::{AtomicUsize, current_thread};
    use crate::reactor::Handle;
    use futures::task::waker_ref;
    use loom::thread;
    use std::sync::Arc;

    #[test]
    fn wakes_racing_with_the_park_take_one_hold() {
        loom::model(|| {
            let (_driver, reactor) = Handle::new().unwrap();
            let holds = reactor.timers().holds().clone();
            holds.take();
            let parker = Arc::new(Parker {
                thread: current_thread(),
                state: AtomicUsize::new(POLLING),
                holds: holds.clone(),
            });
            let wakers: Vec<_> = (0..2)
                .map(|_| {
                    let waker = waker_ref(&parker).clone();
                    thread::spawn(move || waker.wake())
                })
                .collect();
            parker.park(|| {
                reactor.timers().release();
            });
            assert_eq!(holds.count(), 1, "woken without exactly one hold");
            for waker in wakers {
                waker.join().unwrap();
            }
            assert_eq!(holds.count(), 1);
            assert!(parker.exit());
        });
    }
}
