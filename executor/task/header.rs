//! The header: the type-erased first part of every task allocation.
//!
//! A task is one allocation, `Cell<F, S>` (see `cell.rs`), whose first field is this header,
//! so a pointer to the header is a pointer to the task. Wakers, queue entries, the registry
//! and handles all hold that one pointer; the vtable recovers the concrete types.
//!
//! Hot fields (state, vtable) come first. The bookkeeping fields after them serve
//! `Handle::dump` and are written only by the thread that owns the task's run rights
//! (`RUNNING`) or by the registry under its shard lock, and read by anyone with `Relaxed`:
//! they are statistics, and a slightly stale value is fine.

use super::Id;
use super::age;
use super::state::State;
use crate::loom::AtomicU32;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;

/// The functions that know a task's concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Runs the task once; consumes the queue entry's reference.
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Hands the task to its scheduler; consumes one reference taken for the queue entry.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; called by whoever dropped the last reference.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Poll<Result<T, JoinError>>` if the task is complete,
    /// else registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` goes away; consumes its reference.
    pub(crate) drop_join_handle_slow: unsafe fn(NonNull<Header>),
    /// Cancels the task at runtime shutdown; consumes the registry's reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

/// The first field of every task.
#[repr(C)]
pub(crate) struct Header {
    /// Flags and reference count; see `state.rs`.
    pub(crate) state: State,
    /// The concrete functions of this task.
    pub(crate) vtable: &'static Vtable,
    /// The task's id.
    pub(crate) id: Id,
    /// Where `spawn` was called.
    pub(crate) location: &'static Location<'static>,
    /// The task's index in its registry shard; written under the shard lock.
    pub(crate) registry_slot: AtomicU32,
    /// How many times the task was polled.
    polls: AtomicU32,
    /// The coarse time (see `age.rs`) of the spawn.
    spawned_ms: u32,
    /// The coarse time of the last change between idle, scheduled and running.
    since_ms: AtomicU32,
}

impl Header {
    pub(crate) fn new(
        vtable: &'static Vtable,
        id: Id,
        location: &'static Location<'static>,
    ) -> Header {
        let now = age::now_ms();
        Header {
            state: State::new(),
            vtable,
            id,
            location,
            registry_slot: AtomicU32::new(u32::MAX),
            polls: AtomicU32::new(0),
            spawned_ms: now,
            since_ms: AtomicU32::new(now),
        }
    }

    /// A poll starts. Only the thread that set `RUNNING` calls this, so a load and a store
    /// (not a read-modify-write) count correctly.
    pub(crate) fn note_poll(&self) {
        self.polls
            .store(self.polls.load(Relaxed).wrapping_add(1), Relaxed);
        self.note_transition();
    }

    /// The task changed between idle, scheduled and running.
    pub(crate) fn note_transition(&self) {
        self.since_ms.store(age::now_ms(), Relaxed);
    }

    /// How many polls so far.
    pub(crate) fn polls(&self) -> u32 {
        self.polls.load(Relaxed)
    }

    /// Milliseconds since the spawn.
    pub(crate) fn age_ms(&self) -> u32 {
        age::now_ms().wrapping_sub(self.spawned_ms)
    }

    /// Milliseconds in the current state.
    pub(crate) fn state_age_ms(&self) -> u32 {
        age::now_ms().saturating_sub(self.since_ms.load(Relaxed))
    }
}
