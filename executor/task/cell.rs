//! The task allocation: header, scheduler, stage (future, then output), join waker.
//!
//! ```text
//! Cell<F, S> (repr(C), one heap allocation)
//! ┌────────────┬───────────┬──────────────────────────────────┬─────────────────────┐
//! │ Header     │ S         │ Stage<F>: union of the future    │ join waker          │
//! │ (state,    │ (the      │        and the output (or error) │ (one word,          │
//! │  site..)   │ scheduler)│                                  │  join_waker.rs)     │
//! └────────────┴───────────┴──────────────────────────────────┴─────────────────────┘
//! ```
//!
//! The output reuses the future's storage: `Stage` is a union, so a task costs the larger of
//! its future and its output, not both, and no tag: the state word tells which is there.
//!
//! ## What the stage holds
//! - Before `COMPLETE`: the future. (Inside `finish`, or as a panic unwinds out of its poll
//!   (`harness.rs`), the holder of the run rights drops it, then writes the output, just
//!   before setting `COMPLETE`; nobody else looks meanwhile.)
//! - From `COMPLETE` on: the output, until exactly one side consumes it: the completer, if
//!   `JOIN_INTEREST` was already clear when it set `COMPLETE`; otherwise the `JoinHandle`,
//!   which takes it (`.await`) or drops it (handle dropped) and clears `JOIN_INTEREST` in the
//!   same step. After that, nothing. So when the last reference goes (the `JoinHandle`, if
//!   any, is gone by then), the stage holds the future if `COMPLETE` is clear and nothing
//!   if it is set.
//!
//! ## Who may touch which field
//! - `stage`: the thread that holds the run rights (`RUNNING`: the poller, the canceller);
//!   after `COMPLETE`, the side that consumes the output (above); at deallocation, the last
//!   reference.
//! - `join_waker`: see the `JOIN_WAKER` bit in `state.rs`.
//! - `scheduler`, `header`: shared, read-only apart from the header's atomics.

use super::Id;
use super::error::Failure;
use super::header::{Header, Vtable};
use super::join_waker::JoinWaker;
use crate::loom::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;

/// What the task holds: its future, then its result, then nothing; which one is told by the
/// state word ("What the stage holds" in the module doc), so the union has no tag.
pub(crate) union Stage<F: Future> {
    /// Before `COMPLETE`; pinned here until dropped in place.
    pub(crate) future: ManuallyDrop<F>,
    /// From `COMPLETE` until consumed.
    pub(crate) output: ManuallyDrop<Result<F::Output, Failure>>,
}

/// One task allocation. `repr(C)` keeps the header first, so `NonNull<Header>` and
/// `NonNull<Cell<F, S>>` are the same address.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
    pub(crate) join_waker: UnsafeCell<JoinWaker>,
}

impl<F: Future, S> Cell<F, S> {
    /// Allocates a task; the returned pointer owns the allocation (three references, as
    /// `State::new` counts them).
    pub(crate) fn allocate(
        future: F,
        scheduler: S,
        id: Id,
        location: &'static Location<'static>,
        vtable: &'static Vtable,
    ) -> NonNull<Header> {
        let cell = Box::new(Cell {
            header: Header::new(vtable, id, location),
            scheduler,
            stage: UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future),
            }),
            join_waker: UnsafeCell::new(JoinWaker::empty()),
        });
        NonNull::from(Box::leak(cell)).cast()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// A future that keeps data across an `.await`, like the parked task of `examples/versus`.
    async fn parked(values: [u64; 5]) -> u64 {
        std::future::pending::<()>().await;
        values.iter().sum()
    }

    #[test]
    fn the_stage_is_no_larger_than_its_future_or_output() {
        fn stage_size<F: Future>(_: &F) -> (usize, usize) {
            (size_of::<Stage<F>>(), size_of::<F>())
        }
        let (stage, future) = stage_size(&parked([0; 5]));
        assert_eq!(stage, future);
        assert_eq!(
            size_of::<Stage<std::future::Ready<[u8; 64]>>>(),
            size_of::<Result<[u8; 64], Failure>>()
        );
    }

    #[test]
    fn the_join_waker_slot_is_one_word() {
        assert_eq!(size_of::<JoinWaker>(), size_of::<usize>());
    }
}
