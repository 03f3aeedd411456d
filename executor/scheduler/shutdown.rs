//! Shutting the scheduler down.
//!
//! 1. `begin_shutdown` sets the flag and unparks every worker; each worker's loop sees the
//!    flag and returns. `block_on` callers waiting on a runtime that an unhandled panic shut
//!    down are woken (`wake_on_shutdown`).
//! 2. The runtime joins the worker threads (`join_threads`; on a current-thread runtime it
//!    waits for the `block_on` caller that drives it to stop), then `close` shuts every
//!    registered task down (their futures drop on the closing thread) and drops the queues'
//!    entries. A shutdown with a deadline (`Runtime::shutdown_timeout`) leaves a thread
//!    still inside a poll at the deadline behind (detached) and closes anyway: `close` then
//!    marks the task it runs cancelled, and when its poll returns the thread drops the
//!    future, sees the flag and ends. Until then it only touches what the queue, slot,
//!    registry and task state protocols let any thread touch, and it holds the scheduler.
//! 3. The reactor shuts down: every registration and every timer is woken, so that a thread
//!    blocked on one (a blocking task in `block_on`, say) gets out; then the runtime waits
//!    for the blocking pool.

use super::{Shared, UnhandledPanic};
use crate::loom::{fence, lock};
use std::sync::atomic::Ordering::{Release, SeqCst};
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

impl Shared {
    /// Step 1 of shutdown (module doc).
    pub(crate) fn begin_shutdown(&self) {
        if self.shutdown.swap(true, Release) {
            return;
        }
        for remote in self.workers.iter() {
            remote.parker.unpark(&self.reactor);
        }
        for waker in lock(&self.shutdown_waiters).drain(..) {
            waker.wake();
        }
        if let Some(monitor) = &self.monitor {
            monitor.wake_for_shutdown();
        }
    }

    /// Keeps a worker thread's handle for `join_threads`.
    pub(crate) fn add_thread(&self, thread: std::thread::JoinHandle<()>) {
        lock(&self.threads).push(thread);
    }

    /// Joins every worker thread, including replacements the monitor started meanwhile
    /// (stop the monitor first); past `deadline`, leaves those still running behind. On a
    /// current-thread runtime, waits the same way for the `block_on` caller that drives it
    /// to let it go (`current_thread.rs`, "Shutdown").
    pub(crate) fn join_threads(&self, deadline: Option<Instant>) {
        self.close_core(deadline);
        loop {
            let threads = std::mem::take(&mut *lock(&self.threads));
            if threads.is_empty() {
                return;
            }
            for thread in threads {
                self.join_thread(thread, deadline);
            }
        }
    }

    /// Joins `thread` (a worker, or the monitor) once it ends; past `deadline`, leaves it
    /// running, detached (step 2 in the module doc).
    pub(crate) fn join_thread(&self, thread: JoinHandle<()>, deadline: Option<Instant>) {
        // Keep waking every slot's parker until the thread is gone. One unpark per slot is
        // enough as long as only the slot's owner parks on it (`park.rs`), but a thread that
        // lost its slot can still take that one notification in the instant before it sees
        // the epoch; a hang at shutdown is worse than a few spare wake-ups.
        while !thread.is_finished() {
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return;
            }
            for remote in self.workers.iter() {
                remote.parker.unpark_all(&self.reactor);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // Neither a worker's loop nor the monitor's panics (task panics are caught around
        // each poll, the monitor's callback is called under `catch_unwind`).
        let _ = thread.join();
    }

    /// Registers `waker` to be woken when the runtime shuts down because of an unhandled
    /// panic (only then can a `block_on` wait forever: a shutdown by drop cancels what it
    /// waits for). False, registering nothing, if that cannot happen (`Ignore`) or if
    /// shutdown began already. The waker stays until `forget_shutdown_waiter`: one per
    /// `block_on` call that parks, so the list holds the threads blocked now.
    pub(crate) fn wake_on_shutdown(&self, waker: &Waker) -> bool {
        if self.on_unhandled_panic != UnhandledPanic::ShutdownRuntime {
            return false;
        }
        let mut waiters = lock(&self.shutdown_waiters);
        if self.is_shutdown() {
            return false;
        }
        waiters.push(waker.clone());
        true
    }

    /// Step 2 of shutdown (module doc); the workers must have stopped, or been left behind
    /// inside a poll.
    /// Removes a waker that `wake_on_shutdown` took (if shutdown has not woken it already).
    pub(crate) fn forget_shutdown_waiter(&self, waker: &Waker) {
        lock(&self.shutdown_waiters).retain(|waiter| !waiter.will_wake(waker));
    }

    /// Step 2 of shutdown (module doc); the workers must have stopped.
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
        fence(SeqCst);
        self.registry.close_and_shutdown_all();
        for remote in self.workers.iter() {
            // Emptied with the registry: these entries are gone already.
            lock(&remote.retired).clear();
            drop(remote.next.take());
            while remote.queue.pop().is_some() {}
        }
        while self.injector.pop().is_some() {}
        self.forget_core_waiters();
    }
}

#[cfg(all(test, not(loom)))]
impl Shared {
    /// How many wakers wait for a shutdown.
    pub(crate) fn shutdown_waiter_count(&self) -> usize {
        lock(&self.shutdown_waiters).len()
    }
}
