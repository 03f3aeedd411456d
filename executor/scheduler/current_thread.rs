//! The current-thread flavour (`Builder::new_current_thread`): one worker slot and no worker
//! thread. The thread that calls `block_on` runs the slot's worker loop itself, between
//! polls of its own future, so that every task, timer and socket is driven on that thread
//! and a wake costs no hand-off to another thread.
//!
//! The slot is an ordinary worker slot of `Shared` (its `next` slot, ring, parker, counters,
//! timer wheel, registry shard), and the loop is the ordinary worker loop (`worker.rs`, one
//! `Worker::step` at a time), so `JoinSet`, `spawn_blocking`, timers, sockets, metrics, the
//! dump, the paused clock and the monitor work as on a multi-thread runtime. What differs is
//! who runs the loop: the holder of the slot's *core*, the right to drive it, which a
//! `block_on` caller takes and gives back (tokio's current-thread scheduler has the same
//! shape; async-executor's `LocalExecutor` is run the same way, by whoever awaits it).
//!
//! ## The core's states (`CoreCell::state`)
//! - `FREE`: nobody drives the runtime. Nothing runs: tasks spawned or woken meanwhile wait
//!   in the injector (or the slot's queues) for the next `block_on`. The slot counts as
//!   parked (`Idle`), so nothing waits for it, and the core holds the paused clock
//!   (`Shared::hold_clock`): a jump would wake tasks that nobody runs.
//! - `HELD`: one `block_on` caller drives it.
//! - `CLOSED`: shutdown took it for good; nobody drives the runtime again.
//!
//! ## Taking and giving back the core (`Shared::try_take_core`, `Core`'s drop)
//! 1. A `block_on` caller moves `FREE` to `HELD` (acquiring step 4's `Release`: the slot's
//!    queues, owned by one thread at a time, come with it), unless shutdown began (it then
//!    gives the core back at once).
//! 2. It enters the slot as worker 0 (`context::enter`: its spawns and wakes go to the slot's
//!    `next` slot), wakes the slot as a parked worker wakes (`Worker::wake_up`: a notifier
//!    may have counted it as searching meanwhile), and releases the core's hold on the clock.
//! 3. It drives (below) until its future is ready, shutdown begins, or it unwinds.
//! 4. Giving the core back: it takes the core's hold on the clock again, parks the slot
//!    (`Worker::go_idle`), counts a poll cut short by a panic as finished (for the monitor),
//!    stores `FREE` (`Release`), then wakes every caller that waits for the core.
//!
//! Other `block_on` callers on the same runtime poll their own future on their own thread,
//! and park between polls as on a multi-thread runtime. Before each park they register their
//! waker as a core waiter (`Shared::wait_for_core`), then try to take the core again: step
//! 4 stores `FREE` before it takes the waiters' lock to wake them, and the registration
//! takes that lock before the retry, so either the retry sees `FREE` or step 4 wakes the
//! waiter. A waiter whose future completes first returns without ever driving.
//!
//! ## Driving (`Core::run_until`)
//! The holder alternates: a poll of its future (counted by the slot's poll counters, under
//! the `block_on`'s location, so the monitor sees a future stuck in one poll as it sees a
//! task), then worker steps until the future is woken. Each step runs one task, turns the
//! reactor without blocking, or parks the thread in the reactor as an idle worker does. A
//! wake of the future while the thread sleeps there unparks the slot's parker
//! (`Shared::unpark_core`, called by the `block_on` waker); a wake during the future's own
//! poll makes the next park return at once (`Core::unpark`), so the thread runs at least
//! one step (a yielding future cannot starve the tasks) and then polls the future again.
//! After every step the holder checks its future's waker and shutdown. The worker does not
//! spin before it parks: no other thread makes work for it.
//!
//! ## The monitor
//! It watches the slot's poll counters, so it sees a task, or the future of `block_on`,
//! stuck inside one poll. It reports that, but it cannot hand the slot to another thread:
//! the holder's thread is the caller's, which the runtime cannot replace, and its future may
//! not be `Send`. The report says so (`BlockedWorker::on_current_thread`); every task waits
//! until the poll returns.
//!
//! ## Shutdown
//! `begin_shutdown` unparks the slot; the holder sees the flag after its current step, gives
//! the core back and waits for its future as any other caller does. The shutting-down
//! thread waits for the core to be `FREE` and closes it (`close_core`), as it joins the
//! worker threads of a multi-thread runtime; then the tasks are cancelled.

use super::Shared;
use super::context::{self, ExitGuard};
use super::counters;
use super::worker::Worker;
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use std::fmt;
use std::panic::Location;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::task::Waker;
use std::time::{Duration, Instant};

/// Nobody drives the runtime.
const FREE: usize = 0;
/// A `block_on` caller drives the runtime.
const HELD: usize = 1;
/// Shut down: nobody drives the runtime again.
const CLOSED: usize = 2;

/// The index of a current-thread runtime's one slot.
const SLOT: usize = 0;

/// The right to drive a current-thread runtime, and the callers that wait for it.
pub(super) struct CoreCell {
    /// `FREE`, `HELD` or `CLOSED` (module doc).
    state: AtomicUsize,
    /// Wakers of `block_on` callers waiting for the core; all woken when it is given back.
    waiters: Mutex<Vec<Waker>>,
}

impl CoreCell {
    /// A free core.
    pub(super) fn new() -> CoreCell {
        CoreCell {
            state: AtomicUsize::new(FREE),
            waiters: Mutex::new(Vec::new()),
        }
    }

    /// Step 1: `FREE` → `HELD`; false if another caller holds it, or shutdown closed it.
    /// `Acquire`: the previous holder's `give_back` published the slot's queues. `SeqCst`:
    /// against the monitor, which says it sleeps and then reads the state (`is_idle`); the
    /// taker then reads whether it sleeps (`Worker::wake_up`). In the single order of the
    /// four, one sees the other.
    fn try_take(&self) -> bool {
        self.state
            .compare_exchange(FREE, HELD, SeqCst, Relaxed)
            .is_ok()
    }

    /// The end of step 4: `FREE` (`Release`, for the next taker), then wakes every waiter.
    fn give_back(&self) {
        self.state.store(FREE, Release);
        let waiters = std::mem::take(&mut *lock(&self.waiters));
        for waiter in waiters {
            waiter.wake();
        }
    }

    /// Gives back a core taken by a caller that may not drive (shutdown began): nobody is
    /// woken, since nobody may drive any more.
    fn give_back_quietly(&self) {
        self.state.store(FREE, Release);
    }

    /// Registers `waker` to be woken at the next `give_back`, once. The caller tries to take
    /// the core again after this (module doc).
    fn wait(&self, waker: &Waker) {
        let mut waiters = lock(&self.waiters);
        if !waiters.iter().any(|waiter| waiter.will_wake(waker)) {
            waiters.push(waker.clone());
        }
    }

    /// Removes `waker` from the waiters, if a give-back has not woken it already.
    fn forget(&self, waker: &Waker) {
        lock(&self.waiters).retain(|waiter| !waiter.will_wake(waker));
    }

    /// True unless a caller holds the core. `SeqCst`: see `try_take`.
    fn is_idle(&self) -> bool {
        self.state.load(SeqCst) != HELD
    }

    /// Shutdown: `FREE` → `CLOSED`; true once closed. `Acquire`: pairs with the last
    /// holder's `give_back`, as the join of a worker thread would.
    fn try_close(&self) -> bool {
        match self.state.compare_exchange(FREE, CLOSED, Acquire, Relaxed) {
            Ok(_) | Err(CLOSED) => true,
            Err(_) => false,
        }
    }
}

/// A `block_on` caller's hold on the core: the slot's worker, run on the caller's thread.
/// Dropping it gives the core back (step 4).
pub(crate) struct Core {
    worker: Worker,
    _context: ExitGuard,
}

impl Shared {
    /// A current-thread runtime's scheduler state: the slot starts parked, and the free
    /// core holds the paused clock (module doc). Called once, before anyone can drive it.
    pub(super) fn start_current_thread(&self) {
        self.hold_clock();
        self.idle.transition_worker_to_parked(SLOT, false);
    }

    /// True if this is a current-thread runtime's scheduler.
    pub(crate) fn is_current_thread(&self) -> bool {
        self.core.is_some()
    }

    /// Steps 1 and 2 of taking the core; `None` on a multi-thread runtime, or if another
    /// caller drives it, or once shutdown began. The caller holds the paused clock (a
    /// `block_on` that polls), so releasing the core's hold here never jumps it.
    pub(crate) fn try_take_core(this: &Arc<Shared>) -> Option<Core> {
        let cell = this.core.as_ref()?;
        if !cell.try_take() {
            return None;
        }
        if this.is_shutdown() {
            cell.give_back_quietly();
            return None;
        }
        let context = context::enter(this, SLOT, 0);
        let mut worker = Worker::new(this.clone(), SLOT, 0);
        worker.wake_up();
        // After the slot counts as awake, so that no jump slips in between.
        this.release_clock();
        Some(Core {
            worker,
            _context: context,
        })
    }

    /// Registers `waker` to be woken when the core is given back (not twice); the caller
    /// then tries to take the core again (see the module doc). False on a multi-thread
    /// runtime.
    pub(crate) fn wait_for_core(&self, waker: &Waker) -> bool {
        let Some(cell) = &self.core else {
            return false;
        };
        cell.wait(waker);
        true
    }

    /// Removes `waker` from the core's waiters, if a give-back has not woken it already.
    pub(crate) fn forget_core_waiter(&self, waker: &Waker) {
        if let Some(cell) = &self.core {
            cell.forget(waker);
        }
    }

    /// Wakes the core's holder if it sleeps in the slot's parker (the `block_on` waker's
    /// way of waking it), or makes its next park return at once.
    pub(crate) fn unpark_core(&self) {
        self.workers[SLOT].parker.unpark(&self.reactor);
    }

    /// True if this is a current-thread runtime that nobody drives: nothing can be stuck,
    /// and the monitor may sleep.
    pub(super) fn core_is_idle(&self) -> bool {
        self.core.as_ref().is_some_and(|cell| cell.is_idle())
    }

    /// Shutdown: waits for the core's holder to give it back, then closes it for good; past
    /// `deadline`, leaves a holder stuck in a poll behind (as `join_threads` leaves a worker
    /// thread; see `shutdown.rs`). Nothing to do on a multi-thread runtime.
    pub(super) fn close_core(&self, deadline: Option<Instant>) {
        let Some(cell) = &self.core else {
            return;
        };
        while !cell.try_close() {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return;
            }
            // The holder may be parked: `begin_shutdown`'s unpark is one notification, which
            // a park before the flag's check could have taken.
            self.unpark_core();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Shutdown: lets go of the waiters' wakers (they may hold the scheduler).
    pub(super) fn forget_core_waiters(&self) {
        if let Some(cell) = &self.core {
            drop(std::mem::take(&mut *lock(&cell.waiters)));
        }
    }
}

impl Core {
    /// Polls the future of a `block_on` called at `location` (`poll` does it), counted as a
    /// poll of the slot so that the monitor sees it if it gets stuck.
    pub(crate) fn poll_future<R>(
        &mut self,
        location: &'static Location<'static>,
        poll: impl FnOnce() -> R,
    ) -> R {
        let remote = &self.worker.shared().workers[SLOT];
        remote.running.record_block_on(location);
        counters::bump(&remote.counters.polls, 1);
        let output = poll();
        counters::set(
            &remote.counters.polls_done,
            counters::read(&remote.counters.polls),
        );
        output
    }

    /// Makes the slot's next park return at once: the future was woken during its own poll.
    pub(crate) fn unpark(&self) {
        self.worker.shared().unpark_core();
    }

    /// Runs worker steps until `woken()` says the future was woken (true), or until
    /// shutdown began (false): at least one step, unless shutdown began before.
    pub(crate) fn run_until(&mut self, woken: impl Fn() -> bool) -> bool {
        loop {
            if self.worker.shared().is_shutdown() {
                return false;
            }
            self.worker.step();
            if woken() {
                return true;
            }
        }
    }
}

impl Drop for Core {
    /// Step 4 of the module doc.
    fn drop(&mut self) {
        let shared = self.worker.shared().clone();
        shared.hold_clock();
        self.worker.go_idle();
        let counters = &shared.workers[SLOT].counters;
        counters::set(&counters.polls_done, counters::read(&counters.polls));
        shared
            .core
            .as_ref()
            .expect("a current-thread runtime")
            .give_back();
    }
}

impl fmt::Debug for CoreCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreCell")
            .field("state", &self.state.load(Relaxed))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_model;

#[cfg(all(test, loom))]
impl Shared {
    /// For the loom model of the `block_on` parker: holds the reactor's lock, as the
    /// scheduler's models do (a real `epoll_wait` would block loom's only thread), so that
    /// `park_core_in_model` sleeps on the slot parker's condition variable.
    pub(crate) fn hold_reactor_in_model(&self) -> impl Drop + '_ {
        lock(&self.driver)
    }

    /// For the same model: the core's holder sleeps as it does with nothing to run.
    pub(crate) fn park_core_in_model(&self) {
        self.workers[SLOT]
            .parker
            .park(&self.driver, &self.reactor, || false);
    }
}
