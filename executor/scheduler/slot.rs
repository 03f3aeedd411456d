//! A one-task slot that its owner fills and empties and any thread may steal from: the
//! worker's `next` slot (Go's `runnext`).
//!
//! Unlike tokio's LIFO slot, which only its worker can reach, this slot is one `AtomicPtr`,
//! so stealing workers and the monitor can take the task when the owner is busy or stuck.
//! The slot owns the queue entry's reference of the task it holds.

use crate::loom::AtomicPtr;
use crate::task::{Header, Notified, Schedule};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering::{AcqRel, Acquire};

/// Holds at most one `Notified` task.
pub(crate) struct Slot<S: 'static> {
    task: AtomicPtr<Header>,
    _scheduler: PhantomData<S>,
}

impl<S: Schedule> Slot<S> {
    pub(crate) fn new() -> Slot<S> {
        Slot {
            task: AtomicPtr::new(ptr::null_mut()),
            _scheduler: PhantomData,
        }
    }

    /// Puts `task` in and returns what was there. `AcqRel`: `Release` publishes the task
    /// (scheduled before it was put here) to the thread that takes it; `Acquire` does the same
    /// for the task taken out.
    pub(crate) fn replace(&self, task: Notified<S>) -> Option<Notified<S>> {
        let old = self.task.swap(task.into_raw().as_ptr(), AcqRel);
        // SAFETY: every non-null pointer in the slot came from `Notified::into_raw` and is
        // taken out exactly once, by this swap.
        NonNull::new(old).map(|ptr| unsafe { Notified::from_raw(ptr) })
    }

    /// Takes the task out, if any. Reads first so an empty slot costs no write.
    pub(crate) fn take(&self) -> Option<Notified<S>> {
        if self.task.load(Acquire).is_null() {
            return None;
        }
        self.take_by_swap()
    }

    /// Takes the task out, if any, with a swap even if the slot looks empty: a read can miss
    /// a task that a racing `replace` just put in, a swap cannot (one of the two swaps reads
    /// what the other left). For the monitor's hand-off (its module doc, "The next slot
    /// during a hand-off").
    pub(crate) fn take_by_swap(&self) -> Option<Notified<S>> {
        let old = self.task.swap(ptr::null_mut(), AcqRel);
        // SAFETY: as in `replace`.
        NonNull::new(old).map(|ptr| unsafe { Notified::from_raw(ptr) })
    }

    /// True if the slot holds a task (a snapshot).
    pub(crate) fn is_occupied(&self) -> bool {
        !self.task.load(Acquire).is_null()
    }
}

impl<S: 'static> Drop for Slot<S> {
    fn drop(&mut self) {
        let old = self.task.swap(ptr::null_mut(), AcqRel);
        if let Some(ptr) = NonNull::new(old) {
            // SAFETY: as in `replace`: the slot owned this reference.
            unsafe { crate::task::RawTask::from_raw(ptr) }.drop_reference();
        }
    }
}

impl<S: 'static> fmt::Debug for Slot<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Slot;
    use crate::loom::lock;
    use crate::task::test_scheduler::*;

    #[test]
    fn the_next_slot_hands_out_what_it_holds() {
        let q = queue();
        let slot = Slot::new();
        let a = spawn(&q, async { 1 });
        let b = spawn(&q, async { 2 });
        let first = lock(&q.tasks).pop_front().unwrap();
        let second = lock(&q.tasks).pop_front().unwrap();
        assert!(slot.replace(first).is_none());
        assert!(slot.is_occupied());
        let displaced = slot.replace(second).unwrap();
        assert_eq!(displaced.header().id, a.id());
        displaced.run();
        slot.take().unwrap().run();
        assert!(slot.take().is_none());
        assert!(a.is_finished() && b.is_finished());
        let c = spawn(&q, async {});
        let third = lock(&q.tasks).pop_front().unwrap();
        slot.replace(third);
        drop(slot);
        drop(c);
        q.registry.as_ref().unwrap().close_and_shutdown_all();
    }
}
