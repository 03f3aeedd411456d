//! Task ids: unique for the life of the process.

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
