//! Task ids: unique for the life of the process; and which task this thread runs now.
//!
//! ## The current task
//! `CURRENT` holds the id of the task whose code this thread runs: its future's poll and
//! destructor, its output's destructor. `try_with`: in a thread-local destructor at thread
//! exit the slot may be gone (it has no destructor, so on most platforms it never is); there
//! is then no current task.
//!
//! 1. A poll (`harness.rs`) stores the task's id and leaves it there: one thread-local store
//!    per poll, nothing after. Until this thread runs something else, the id still names
//!    the task it polled last.
//! 2. What runs a task's code outside a poll (its shutdown, the handle's drop of its output,
//!    a deallocation that drops its future) stores the id for the duration and puts the
//!    previous one back (`enter`).
//! 3. Code that polls tasks inside other code puts back what was there when it is done
//!    (`save_current`): a `LocalSet`'s tick, run by `block_on` or by another task whose id
//!    must survive its local tasks' polls. A thread that is done running tasks clears it
//!    before its stop hook (`forget_current`).
//!
//! Between two polls a worker thread may run other code with the last task's id still
//! there: the wakers that its reactor turns call, which are no task's code. Clearing the id
//! after every poll would cost a second store per poll, for those alone.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// An opaque id that names one task, unique among all tasks of the process.
///
/// ```
/// goro::run(async {
///     let a = goro::spawn(async {});
///     let b = goro::spawn(async {});
///     assert_ne!(a.id(), b.id());
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

impl Id {
    /// Takes the next id. Each thread takes a block of `ID_BLOCK` ids from the process-wide
    /// counter at a time and hands them out one by one, so threads that spawn at once do not
    /// take turns on one cache line for every spawn. Ids are unique, and increase along each
    /// thread's spawns, not across threads. `Relaxed`: uniqueness is all the counter gives,
    /// and an atomic read-modify-write gives it at any ordering.
    pub(crate) fn next() -> Id {
        /// Ids a thread takes from the shared counter at once.
        const ID_BLOCK: u64 = 256;
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            /// The next id of this thread's block, and the end of the block.
            static BLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        let n = BLOCK.with(|block| {
            let (mut next, mut end) = block.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(ID_BLOCK, Relaxed);
                end = next + ID_BLOCK;
            }
            block.set((next + 1, end));
            next
        });
        Id(NonZeroU64::new(n).expect("task ids exhausted"))
    }

    /// The id of a number from `as_u64`, or `None` for 0 (no task).
    pub(crate) fn from_u64(n: u64) -> Option<Id> {
        NonZeroU64::new(n).map(Id)
    }

    /// The id as a number, e.g. for the registry's shard choice.
    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }
}

thread_local! {
    /// The id (`Id::as_u64`) of the task this thread runs now; 0 for none.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// Step 1 of "The current task": a poll of task `id` starts.
#[inline]
pub(crate) fn set(id: Id) {
    let _ = CURRENT.try_with(|current| current.set(id.as_u64()));
}

/// Step 2: `id` is the current task until the guard drops, which puts the previous one back.
pub(crate) fn enter(id: Id) -> CurrentTask {
    let saved = save_current();
    set(id);
    saved
}

/// Step 3: puts the current task (or none) back when the guard drops.
pub(crate) fn save_current() -> CurrentTask {
    CurrentTask {
        previous: CURRENT.try_with(Cell::get).unwrap_or(0),
    }
}

/// Step 3: no task is current on this thread now.
pub(crate) fn forget_current() {
    let _ = CURRENT.try_with(|current| current.set(0));
}

/// Puts back the current task it saved, on drop.
pub(crate) struct CurrentTask {
    previous: u64,
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|current| current.set(self.previous));
    }
}

/// The id of the task that is running on this thread.
///
/// Inside a task's future (spawned, local or blocking), and in the destructors of its future
/// and of its output when goro drops them, this is the id of that task, the same as its
/// [`JoinHandle::id`](crate::JoinHandle::id).
///
/// # Panics
/// Outside a task: in `block_on`'s future itself, on a plain thread. [`try_id`] answers
/// `None` there instead.
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn(async { goro::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
/// });
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "goro::task::id() was called outside a task: it names the task being run, and \
             `block_on`'s own future and plain threads are none; use `goro::task::try_id()` \
             where there may be no task"
        ),
    }
}

/// The id of the task that is running on this thread, or `None` outside a task (see [`id`]).
///
/// ```
/// assert_eq!(goro::task::try_id(), None);
/// goro::run(async {
///     assert_eq!(goro::task::try_id(), None, "block_on's future is no task");
///     let id = goro::spawn(async { goro::task::try_id() }).await.unwrap();
///     assert!(id.is_some());
/// });
/// ```
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(Cell::get).ok().and_then(Id::from_u64)
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Id;
    use std::collections::HashSet;

    #[test]
    fn ids_taken_on_several_threads_are_unique_and_increase_on_each() {
        // Miri runs the task tests too, a thousand times slower: fewer ids there, still
        // more than one block per thread.
        let per_thread_ids = if cfg!(miri) { 300 } else { 1_000 };
        let per_thread: Vec<Vec<Id>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| (0..per_thread_ids).map(|_| Id::next()).collect::<Vec<_>>())
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for ids in &per_thread {
            assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        }
        let all: HashSet<Id> = per_thread.iter().flatten().copied().collect();
        assert_eq!(all.len(), 4 * per_thread_ids);
    }
}
