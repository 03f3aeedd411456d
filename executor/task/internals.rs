//! How a task works inside: one heap allocation per spawned future, driven by a state word.
//!
//! A task is a `Cell<F, S>` (`cell.rs`): a header (`header.rs`) with the state word, a pointer
//! to its interned site (`site.rs`: vtable and spawn location) and bookkeeping; the scheduler
//! `S` it belongs to; the future, whose storage the output reuses; and the `JoinHandle`'s
//! waker. Every owner (registry, run-queue entry, waker, `JoinHandle`, `AbortHandle`) holds
//! the same pointer and one reference in the state word (`state.rs`, which documents every
//! bit). `harness.rs` tells what happens to a task, step by step; `raw.rs` holds the owning
//! pointer types.
//!
//! Besides the task module, only the scheduler's structures that hold task pointers (the run
//! queue, the `next` slot, the running cell in `scheduler/`) have `unsafe` code. Each block
//! names the invariant it relies on; the invariants all come down to the state word's rules:
//! `RUNNING` gives one thread the future, `COMPLETE` gives the output to the `JoinHandle` (or
//! to the completer when there is none), `JOIN_WAKER` decides who owns the join waker, and
//! the last reference frees.
//!
//! The scheduler is abstract here (`Schedule`): the worker pool, the blocking pool and the
//! `LocalSet` each implement it, and the tests use a plain queue.
//!
//! ## Local tasks
//! A task made by `new_local` may hold a future (and an output) that is not `Send`. Its
//! scheduler runs every queue entry, and shuts the task down, on the one thread that made it
//! (`local/`), and keeps the registry's reference until the task completes; so the future is
//! polled and dropped there alone (the last reference of an incomplete task is never dropped
//! elsewhere), and the completer drops an unread output there too. Wakers, `AbortHandle`s and
//! the `JoinHandle` (when the output is `Send`) may still go to other threads: they touch
//! the state word, the scheduler (which is `Send + Sync`) and, for the handle, an output it
//! may move.

use super::{Id, JoinHandle, Notified, Task, cell, harness, raw};
use std::future::Future;
use std::panic::Location;

/// What a task needs from the pool that runs it.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Puts a woken task in a run queue.
    fn schedule(&self, task: Notified<Self>);

    /// Puts back a task that woke itself during its own poll (`yield_now` does this): it has
    /// had its turn, so it goes behind the others.
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// The task completed: take it out of the registry and return the registry's reference,
    /// or `None` if it is not registered (any more).
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// A task panicked and nobody holds its `JoinHandle`.
    fn unhandled_panic(&self) {}
}

/// Allocates a task for `future`: its registry reference, its first queue entry and its
/// `JoinHandle`. The caller binds the first two to a registry, then schedules the entry.
pub(crate) fn new<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    location: &'static Location<'static>,
) -> (Task<S>, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the future and its output are `Send`: any thread may poll, drop or read them.
    unsafe { new_local(future, scheduler, id, location) }
}

/// `new` for a future or output that may not be `Send` ("Local tasks" in the module doc).
///
/// # Safety
/// Every queue entry of the task is run (`Notified::run`), and the task shut down, on the
/// calling thread only, unless `F` and `F::Output` are `Send`; and the registry's reference
/// (the returned `Task`) is kept until the task completes or is shut down.
pub(crate) unsafe fn new_local<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    location: &'static Location<'static>,
) -> (Task<S>, Notified<S>, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let ptr = cell::Cell::allocate(future, scheduler, id, location, harness::vtable::<F, S>());
    // SAFETY: `allocate` returns a task with three references (see `state.rs`: registry,
    // queue entry, join handle), which these three owners take over.
    unsafe {
        let task = Task::from_raw(ptr);
        let notified = Notified::from_task(Task::from_raw(ptr));
        let join = JoinHandle::new(raw::RawTask::from_raw(ptr));
        (task, notified, join)
    }
}

/// A task that is not registered anywhere (the blocking pool's): the registry reference is
/// dropped at once.
pub(crate) fn new_unregistered<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    location: &'static Location<'static>,
) -> (Notified<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let (task, notified, join) = new(future, scheduler, id, location);
    drop(task);
    (notified, join)
}
