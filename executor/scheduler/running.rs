//! `RunningCell`: which task a worker is polling, readable by the monitor thread.
//!
//! The worker records the task's id and spawn location before each poll. The monitor reads
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

    /// The task recorded last, if any.
    pub(crate) fn get(&self) -> Option<(Id, &'static Location<'static>)> {
        let id = Id::from_u64(self.id.load(Relaxed))?;
        let location = self.location.load(Relaxed);
        // SAFETY: only `&'static Location` references are ever stored (in `record`), so a
        // non-null pointer read here points at a location that lives forever.
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
