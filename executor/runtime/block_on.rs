//! goro's `block_on`: runs a future to completion on the calling thread, which parks between
//! polls, or, on a current-thread runtime, drives the runtime's tasks between them.
//!
//! goro has its own rather than `futures::executor::block_on` for three reasons. A paused
//! clock may jump only while every `block_on` thread is parked (see the scheduler's
//! `paused_clock.rs`), so the runtime must know when the thread polls and when it waits. A
//! current-thread runtime runs its tasks on the `block_on` thread. And a nested call must
//! fail with a message that names goro and says what to do.
//!
//! ## The parker's state (`block_on/parker.rs`)
//! - `POLLING`: the thread polls, or is about to. It holds the paused clock (one of the
//!   runtime's `reactor::Holds`).
//! - `PARKED`: the thread waits for a wake. No hold.
//! - `DRIVING`: the future waits for a wake while the thread drives a current-thread
//!   runtime (below). No hold.
//! - `WAKING`: a waker found the thread parked (or driving) and is taking a hold for it.
//! - `NOTIFIED`: woken, not polling yet. Holds the clock: its own hold if the wake came
//!   while it polled, the waker's if it was parked.
//!
//! ## Protocol
//! 1. Enter: refuse a nested call (a thread-local flag) and a call on a worker thread, take
//!    a hold on the clock, `POLLING`.
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
//!    the parker of a multi-thread runtime waits in a thread-local for the thread's next call
//!    on the same runtime (it keeps the runtime's count of holds alive, nothing else of it).
//!
//! A waker moves `POLLING` to `NOTIFIED` (the thread holds the clock and will poll again),
//! or `PARKED` to `WAKING`; then it takes a hold for the thread, stores `NOTIFIED` and
//! unparks it. So the thread never leaves step 4 without a hold. Between the waker's first
//! step and its hold the clock could jump without seeing the wake, but the waker's caller is
//! then itself a participant that is not idle (a worker running a task, a blocking task, a
//! thread waking a jump's timers) unless it is a thread outside the runtime.
//!
//! ## On a current-thread runtime
//! The call that holds the runtime's core (`scheduler/current_thread.rs`) is its one worker:
//! 2. Before each poll, a call without the core tries to take it; the poll of a call that
//!    holds it counts as a poll of the runtime's slot (for the monitor), and runs with no
//!    task current (the tasks it ran left their ids behind).
//! 3. `Pending`, holding the core: `POLLING` → `DRIVING`, and release the hold; if that
//!    fails (`NOTIFIED`), keep it, and make the worker's next park return at once.
//! 4. Run worker steps until the state is `NOTIFIED` (a waker from `DRIVING` also unparks
//!    the worker, which may sleep in the runtime's reactor), then `POLLING` and step 2. If
//!    shutdown begins meanwhile, give the core back, wake the parker itself (a hold, unless
//!    a waker took one) and go on as a call without the core.
//! 5. Exit: give the core back first; if unwinding out of step 4, leave `DRIVING` as a
//!    stopped drive does.
//!
//! A call that cannot take the core (another call drives the runtime) parks as in steps 3
//! and 4, after registering its waker to be woken when the core is given back and trying
//! once more (`Shared::wait_for_core`). While it holds the core, a call forbids
//! `block_in_place` (nobody else could run the tasks while it blocks), and it puts back the
//! current task it found (inside `block_in_place`, the task that called it) when it lets
//! the core go.
//!
//! ## A runtime shut down by a panic
//! Under `UnhandledPanic::ShutdownRuntime` the workers stop when a task panics, and the
//! future may wait for one of their tasks forever. The first time the thread parks, it
//! registers its waker to be woken at that shutdown (`Shared::wake_on_shutdown`), and
//! removes it when it returns, so that the list holds the threads blocked now, not every
//! call ever made. Step 2 then panics.

mod parker;

use super::block_in_place::{NoBlockInPlace, forbid_block_in_place};
use crate::loom::Arc;
use crate::scheduler::{self, Core, Shared};
use crate::task::{self, CurrentTask};
use futures::task::waker_ref;
use parker::Parker;
use std::cell::Cell;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::task::{Context, Poll};

thread_local! {
    /// True while the thread is inside `block_on`.
    static BLOCKING_ON: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` on the current thread until it completes (steps in the module doc);
/// `location` is the caller's, for the monitor's reports.
pub(super) fn block_on<F: Future>(
    scheduler: &Arc<Shared>,
    future: F,
    location: &'static Location<'static>,
) -> F::Output {
    let _not_nested = NotNested::enter();
    if scheduler::is_worker_thread() {
        panic!(
            "goro: block_on was called on a worker thread; blocking a worker stalls every \
             task queued on it. Use `.await` instead, or `spawn_blocking` for blocking work"
        );
    }
    let parker = Parker::for_this_thread(scheduler);
    let output = Call::enter(scheduler, &parker, location).run(future);
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
                 `#[goro::main]` or `#[goro::test]` body runs in one, and so do the tasks of \
                 a current-thread runtime); the outer future could not run until the inner \
                 one returned. Use `.await` instead, or call block_on from `spawn_blocking` \
                 or another thread"
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

/// One `block_on` call's hold on the clock and shutdown watch, and on a current-thread
/// runtime its core or its place among the core's waiters; given back on drop (step 5).
struct Call<'a> {
    scheduler: &'a Arc<Shared>,
    parker: &'a std::sync::Arc<Parker>,
    location: &'static Location<'static>,
    /// Whether the waker was offered to `wake_on_shutdown` (`Some`) and taken (`true`).
    watching_shutdown: Option<bool>,
    /// The core of a current-thread runtime, while this call drives it.
    driving: Option<Driving>,
    /// Whether the waker may be among the core's waiters.
    waiting_for_core: bool,
}

/// A current-thread runtime's core held by a `block_on` call, with what holding it forbids
/// and saves ("On a current-thread runtime" in the module doc). Dropped in this order: the
/// core goes back, then `block_in_place` is allowed again, then the task current before
/// is current again.
struct Driving {
    core: Core,
    _no_block_in_place: NoBlockInPlace,
    _outer_task: CurrentTask,
}

impl<'a> Call<'a> {
    /// Step 1's hold.
    fn enter(
        scheduler: &'a Arc<Shared>,
        parker: &'a std::sync::Arc<Parker>,
        location: &'static Location<'static>,
    ) -> Call<'a> {
        scheduler.hold_clock();
        Call {
            scheduler,
            parker,
            location,
            watching_shutdown: None,
            driving: None,
            waiting_for_core: false,
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
            if self.driving.is_none() {
                self.driving = self.take_core();
            }
            let waker = waker_ref(self.parker);
            let mut cx = Context::from_waker(&waker);
            let polled = match &mut self.driving {
                Some(driving) => {
                    task::forget_current();
                    let poll = || future.as_mut().poll(&mut cx);
                    driving.core.poll_future(self.location, poll)
                }
                None => future.as_mut().poll(&mut cx),
            };
            if let Poll::Ready(output) = polled {
                return output;
            }
            if self.driving.is_some() {
                self.drive();
            } else {
                self.park();
            }
        }
    }

    /// The core of a current-thread runtime, if it is free (step 2 of "On a current-thread
    /// runtime").
    fn take_core(&self) -> Option<Driving> {
        let core = Shared::try_take_core(self.scheduler)?;
        Some(Driving {
            core,
            _no_block_in_place: forbid_block_in_place("on a current-thread runtime"),
            _outer_task: task::save_current(),
        })
    }

    /// Steps 3 and 4 of "On a current-thread runtime", for the call that holds the core.
    fn drive(&mut self) {
        let (scheduler, parker) = (self.scheduler, self.parker);
        let driving = self
            .driving
            .as_mut()
            .expect("drive is called with the core");
        if !parker.idle_while_driving(|| scheduler.release_clock()) {
            driving.core.unpark();
        }
        if driving.core.run_until(|| parker.is_notified()) {
            parker.resume();
        } else {
            self.driving = None;
            parker.stop_driving();
        }
    }

    /// Steps 3 and 4, after the shutdown watch is set up (a panic there leaves the thread
    /// holding the clock, which step 5 then releases); on a current-thread runtime, after
    /// the call is among the core's waiters, and unless the core is free now.
    fn park(&mut self) {
        if self.watching_shutdown.is_none() {
            let registered = self.scheduler.wake_on_shutdown(&waker_ref(self.parker));
            self.watching_shutdown = Some(registered);
            if !registered && self.scheduler.shut_down_by_panic() {
                // Too late to be woken for it: poll again, and step 2 panics.
                return;
            }
        }
        if self.scheduler.wait_for_core(&waker_ref(self.parker)) {
            self.waiting_for_core = true;
            if let Some(driving) = self.take_core() {
                // Poll again, then drive.
                self.driving = Some(driving);
                return;
            }
        }
        self.parker.park(|| self.scheduler.release_clock());
    }
}

impl Drop for Call<'_> {
    /// Step 5.
    fn drop(&mut self) {
        drop(self.driving.take());
        if self.waiting_for_core {
            self.scheduler.forget_core_waiter(&waker_ref(self.parker));
        }
        if self.watching_shutdown == Some(true) {
            self.scheduler
                .forget_shutdown_waiter(&waker_ref(self.parker));
        }
        if self.parker.exit() {
            self.scheduler.release_clock();
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
