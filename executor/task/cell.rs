//! The task allocation: header, scheduler, stage (future, then output), join waker.
//!
//! ```text
//! Cell<F, S> (repr(C), one heap allocation)
//! ┌────────────┬───────────┬──────────────────────────────────┬─────────────────────┐
//! │ Header     │ S         │ Stage<F>: Running(F)             │ join waker          │
//! │ (state,    │ (the      │        | Finished(output/error)  │ (Option<Waker>)     │
//! │  vtable..) │ scheduler)│        | Consumed                │                     │
//! └────────────┴───────────┴──────────────────────────────────┴─────────────────────┘
//! ```
//!
//! The output reuses the future's storage: `Stage` is an enum, so a task costs the larger of
//! its future and its output, not both.
//!
//! ## Who may touch which field
//! - `stage`: the thread that holds the run rights (`RUNNING`: the poller, the canceller);
//!   after `COMPLETE`, the `JoinHandle` (to take the output) or, without join interest, the
//!   completer (to drop it); at deallocation, the last reference.
//! - `join_waker`: see the `JOIN_WAKER` bit in `state.rs`.
//! - `scheduler`, `header`: shared, read-only apart from the header's atomics.

use super::Id;
use super::error::Failure;
use super::header::{Header, Vtable};
use crate::loom::UnsafeCell;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

/// What the task holds: its future, then its result, then nothing.
pub(crate) enum Stage<F: Future> {
    /// Not finished; pinned here until dropped in place.
    Running(F),
    /// Finished; waiting for the `JoinHandle` to take it.
    Finished(Result<F::Output, Failure>),
    /// The future and the result are gone.
    Consumed,
}

/// One task allocation. `repr(C)` keeps the header first, so `NonNull<Header>` and
/// `NonNull<Cell<F, S>>` are the same address.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
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
            stage: UnsafeCell::new(Stage::Running(future)),
            join_waker: UnsafeCell::new(None),
        });
        NonNull::from(Box::leak(cell)).cast()
    }
}
