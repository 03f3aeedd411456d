//! Task ids: unique for the life of the process.

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
    /// Takes the next id. `Relaxed`: ids only need to be unique, which the atomic
    /// read-modify-write gives at any ordering.
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Relaxed);
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
