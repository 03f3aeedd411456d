//! The header: the type-erased first part of every task allocation.
//!
//! A task is one allocation, `Cell<F, S>` (see `cell.rs`), whose first field is this header,
//! so a pointer to the header is a pointer to the task. Wakers, queue entries, the registry
//! and handles all hold that one pointer; the vtable recovers the concrete types.
//!
//! The vtable and the spawn location are the same for every task of one future type and
//! call site, so the header points at an interned `Site` holding both (see `site.rs`)
//! rather than holding two pointers: the header is 40 bytes.
//!
//! Hot fields (state, site) come first. The bookkeeping fields after them serve
//! `Handle::dump` and are written only by the thread that owns the task's run rights
//! (`RUNNING`) or by the registry under its shard lock, and read by anyone with `Relaxed`:
//! they are statistics, and a slightly stale value is fine.

use super::Id;
use super::age;
use super::site::Site;
use super::state::State;
use crate::loom::AtomicU32;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;

/// The functions that know a task's concrete future and scheduler types. `Copy`, so that a
/// `Site` holds its own copy.
#[derive(Clone, Copy)]
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
    /// The task's vtable and spawn location, shared with every task of its kind.
    site: &'static Site,
    /// The task's id.
    pub(crate) id: Id,
    /// The task's registry shard and index in it (encoding in `scheduler/registry.rs`); written
    /// under the shard lock.
    pub(crate) registry_slot: AtomicU32,
    /// How many times the task was polled.
    polls: AtomicU32,
    /// The coarse time (see `age.rs`) of the spawn.
    spawned_ms: u32,
    /// The coarse time of the last change between idle, scheduled and running.
    since_ms: AtomicU32,
}

impl Header {
    /// A header for a new task; finds (or makes) the `Site` of `vtable` and `location`.
    /// `inline`: `Cell::allocate`, its only caller, is generic and so compiled in the crate
    /// that spawns; inlined there, the site lookup adds no call of its own to a spawn.
    #[inline]
    pub(crate) fn new(
        vtable: &'static Vtable,
        id: Id,
        location: &'static Location<'static>,
    ) -> Header {
        let now = age::now_ms();
        Header {
            state: State::new(),
            site: Site::intern(vtable, location),
            id,
            registry_slot: AtomicU32::new(u32::MAX),
            polls: AtomicU32::new(0),
            spawned_ms: now,
            since_ms: AtomicU32::new(now),
        }
    }

    /// The concrete functions of this task.
    pub(crate) fn vtable(&self) -> &'static Vtable {
        &self.site.vtable
    }

    /// Where `spawn` was called.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.site.location
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Header;

    /// The header is part of every task allocation: a field added here costs every task.
    #[test]
    fn header_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Header>(), 40);
    }
}
