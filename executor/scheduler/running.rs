//! `RunningCell`: which task a worker is polling, readable by the monitor thread.
//!
//! The worker records the task's id and spawn location before each poll (on a current-thread
//! runtime, also the location of the `block_on` whose future it polls). The monitor reads
//! them when a poll takes too long. It never touches the task itself (which may be freed by
//! then): only these copies, and the location is `&'static`.

use crate::loom::{AtomicPtr, AtomicU64};
use crate::task::{Id, Notified, Schedule};
use std::fmt;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::Ordering::Relaxed;

/// The id and spawn location of the task a worker polls.
pub(crate) struct RunningCell {
    id: AtomicU64,
    location: AtomicPtr<Location<'static>>,
}

impl RunningCell {
    pub(crate) fn new() -> RunningCell {
        RunningCell {
            id: AtomicU64::new(0),
            location: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Records `task` as the one being polled. `Relaxed`: the monitor reads a report, not
    /// data to act on; the two fields may briefly disagree by one task, which only misnames
    /// a blocked task whose poll just ended (and was therefore not blocked).
    pub(crate) fn record<S: Schedule>(&self, task: &Notified<S>) {
        let header = task.header();
        self.id.store(header.id.as_u64(), Relaxed);
        self.location.store(
            header.location() as *const Location<'static> as *mut _,
            Relaxed,
        );
    }

    /// Records the future of a `block_on` called at `location` as the one being polled (a
    /// current-thread runtime's holder polls it on the slot, `current_thread.rs`): no task.
    /// `Relaxed`, as in `record`.
    pub(crate) fn record_block_on(&self, location: &'static Location<'static>) {
        self.id.store(0, Relaxed);
        self.location
            .store(location as *const Location<'static> as *mut _, Relaxed);
    }

    /// The task recorded last (its id, `None` for a `block_on`'s future) and its location.
    pub(crate) fn get(&self) -> Option<(Option<Id>, &'static Location<'static>)> {
        let id = Id::from_u64(self.id.load(Relaxed));
        let location = self.location.load(Relaxed);
        // SAFETY: only `&'static Location` references are ever stored (in `record` and
        // `record_block_on`), so a non-null pointer read here points at a location that
        // lives forever.
        let location = unsafe { location.as_ref() }?;
        Some((id, location))
    }
}

impl fmt::Debug for RunningCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningCell")
            .field("task", &self.get())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::RunningCell;
    use crate::loom::lock;
    use crate::task::test_scheduler::*;
    use std::panic::Location;

    #[test]
    fn the_cell_names_a_task_or_a_block_on_future() {
        let cell = RunningCell::new();
        assert!(cell.get().is_none(), "nothing polled yet");
        let q = queue();
        let join = spawn(&q, async {});
        let task = lock(&q.tasks).pop_front().unwrap();
        cell.record(&task);
        let (id, location) = cell.get().unwrap();
        assert_eq!(id, Some(join.id()));
        assert!(location.file().ends_with("running.rs"));
        let here = Location::caller();
        cell.record_block_on(here);
        assert_eq!(cell.get(), Some((None, here)));
        task.run();
        drop(join);
        q.registry.as_ref().unwrap().close_and_shutdown_all();
    }
}
