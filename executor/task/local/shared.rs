//! What a `LocalSet`'s tasks hold (`Arc<Shared>`, their scheduler): the set's registry, its
//! run queue, and the waker of whoever runs the set.
//!
//! ## Waking a local task
//! A local task's waker may be woken on any thread: by a goro timer or socket on a worker, by
//! a channel fed from another thread. A wake only schedules: it puts the task's queue entry
//! in the run queue and wakes the set's waker; the task is polled later by the set's own
//! thread, in its tick (`LocalSet::tick`).
//! 1. `schedule` pushes the entry and takes the registered waker, under the queue's lock,
//!    then wakes it outside the lock.
//! 2. The runner (`run_until`'s future, or the `LocalSet` as a future) registers its waker
//!    under the same lock at the start of each poll, then pops entries until the queue is
//!    empty (or it has run its share of them, and then wakes itself).
//!
//! A wake that finds no waker comes after one that took it; that one woke the runner after
//! the runner's registration, so the runner polls again, and registers before it pops; and
//! since the push and the take are one step under the lock, either that registration comes
//! before the push (the push takes the new waker) or the pops that follow it find the entry.
//! No wake is lost. (The loom model `loom_model.rs` checks this with a wake from another
//! thread racing the runner.) A wake from inside the tick takes the waker too: the runner
//! then polls once more for nothing, which costs less than telling the set's own thread
//! from the others on every wake.
//!
//! ## Closing
//! The set's drop closes the queue (`tasks` becomes `None`): a wake after that drops its
//! entry (outside the lock: the drop may free the task) instead of queueing it. The entry's
//! reference is never the last one of a task that is not complete: the registry keeps its
//! own until the task is complete or shut down, so no future is dropped here, on whatever
//! thread woke it.

use super::super::{Notified, Schedule, Task};
use crate::loom::{Arc, Mutex, lock};
use crate::scheduler::registry::Registry;
use std::collections::VecDeque;
use std::fmt;
use std::task::Waker;

/// A `LocalSet`'s scheduler.
pub(crate) struct Shared {
    /// Every live task of the set; one shard, as only the set's thread binds and removes.
    pub(super) registry: Registry<Arc<Shared>>,
    run_queue: Mutex<RunQueue>,
}

/// Queue entries of woken tasks, oldest first.
pub(super) type Entries = VecDeque<Notified<Arc<Shared>>>;

/// The run queue and the runner's waker, under one lock ("Waking a local task").
struct RunQueue {
    /// `None` once the set is closed.
    tasks: Option<Entries>,
    /// The waker of the future that runs the set, until a wake takes it.
    waker: Option<Waker>,
}

impl Shared {
    pub(super) fn new() -> Arc<Shared> {
        Arc::new(Shared {
            registry: Registry::new(1, 0),
            run_queue: Mutex::new(RunQueue {
                tasks: Some(VecDeque::new()),
                waker: None,
            }),
        })
    }

    /// Step 2 of "Waking a local task": the runner's waker, for the wakes to come.
    pub(super) fn register(&self, waker: &Waker) {
        let mut queue = lock(&self.run_queue);
        if !queue.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            let old = queue.waker.replace(waker.clone());
            drop(queue);
            drop(old);
        }
    }

    /// The oldest queued entry, if any.
    pub(super) fn pop(&self) -> Option<Notified<Arc<Shared>>> {
        lock(&self.run_queue).tasks.as_mut()?.pop_front()
    }

    /// Closes the queue ("Closing") and returns what it held, with the waker, for the caller
    /// to drop.
    pub(super) fn close(&self) -> (Option<Entries>, Option<Waker>) {
        let mut queue = lock(&self.run_queue);
        (queue.tasks.take(), queue.waker.take())
    }

    /// True if no task of the set is alive.
    pub(super) fn is_empty(&self) -> bool {
        self.registry.counts().0 == 0
    }
}

impl Schedule for Arc<Shared> {
    /// Step 1 of "Waking a local task".
    fn schedule(&self, task: Notified<Self>) {
        let mut queue = lock(&self.run_queue);
        let Some(tasks) = queue.tasks.as_mut() else {
            drop(queue);
            drop(task);
            return;
        };
        tasks.push_back(task);
        let waker = queue.waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.registry.remove(task)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}
