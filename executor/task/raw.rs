//! Owning pointers to a task: `Task` (one reference) and `Notified` (a queue entry's
//! reference, which gives the right to run the task once), plus the type-erased calls
//! through the vtable that handles and wakers use.

use super::Schedule;
use super::header::Header;
use super::state::{WakeByRef, WakeByVal};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A type-erased pointer to a live task; holds no reference by itself.
#[derive(Clone, Copy)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: all shared access to a task goes through its atomic state word, which hands out
// exclusive access to the future and output one thread at a time; `spawn` requires the
// future and its output to be `Send`, and a local task's (`internals::new_local`) are
// touched on its set's thread only (see `local/mod.rs`), whoever holds the pointer.
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    /// # Safety
    /// `ptr` points at a task allocation that stays live while this `RawTask` is used.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the holder of this `RawTask` keeps the task alive (see `from_raw`).
        unsafe { self.ptr.as_ref() }
    }

    /// Adds a reference for a new owner.
    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Drops one reference the caller owns, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: the last reference is gone; the vtable knows the concrete types.
            unsafe { (self.header().vtable().dealloc)(self.ptr) }
        }
    }

    /// Wake through a borrowed waker.
    pub(crate) fn wake_by_ref(self) {
        if let WakeByRef::Submit = self.header().state.transition_to_notified_by_ref() {
            // SAFETY: the transition took a reference for the queue entry.
            unsafe { (self.header().vtable().schedule)(self.ptr) }
        }
    }

    /// Wake that consumes the caller's reference.
    pub(crate) fn wake_by_val(self) {
        match self.header().state.transition_to_notified_by_val() {
            // SAFETY: the caller's reference moves into the queue entry.
            WakeByVal::Submit => unsafe { (self.header().vtable().schedule)(self.ptr) },
            // SAFETY: that was the last reference.
            WakeByVal::Dealloc => unsafe { (self.header().vtable().dealloc)(self.ptr) },
            WakeByVal::DoNothing => {}
        }
    }

    /// Asks for the task to be cancelled by whichever thread runs it next.
    pub(crate) fn remote_abort(self) {
        if self.header().state.transition_to_notified_and_cancel() {
            // SAFETY: the transition took a reference for the queue entry.
            unsafe { (self.header().vtable().schedule)(self.ptr) }
        }
    }

    /// # Safety
    /// The caller is the task's `JoinHandle` and `dst` points at a
    /// `Poll<Result<T, JoinError>>` with the task's output type `T`.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &std::task::Waker) {
        // SAFETY: forwarded contract.
        unsafe { (self.header().vtable().try_read_output)(self.ptr, dst, waker) }
    }

    /// Gives up the `JoinHandle`'s reference; the caller is the task's `JoinHandle`.
    pub(crate) fn drop_join_handle(self) {
        if !self.header().state.drop_join_handle_fast() {
            // SAFETY: the caller is the handle and gives its reference.
            unsafe { (self.header().vtable().drop_join_handle_slow)(self.ptr) }
        }
    }
}

/// One reference to a task, owned.
pub(crate) struct Task<S: 'static> {
    raw: RawTask,
    _scheduler: PhantomData<S>,
}

impl<S: 'static> Task<S> {
    /// # Safety
    /// The caller gives one reference to `ptr`'s task, whose scheduler type is `S`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task<S> {
        Task {
            // SAFETY: the reference keeps the task alive.
            raw: unsafe { RawTask::from_raw(ptr) },
            _scheduler: PhantomData,
        }
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// Cancels the task at shutdown; this reference is consumed.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: this reference moves into `shutdown`.
        unsafe { (raw.header().vtable().shutdown)(raw.ptr) }
    }

    /// Gives up ownership of the reference without dropping it.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.raw.ptr;
        std::mem::forget(self);
        ptr
    }
}

impl<S: 'static> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: 'static> fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Task({})", self.header().id)
    }
}

impl<S: 'static> PartialEq for Task<S> {
    fn eq(&self, other: &Task<S>) -> bool {
        self.raw.ptr == other.raw.ptr
    }
}

/// A task in a run queue: the reference of the queue entry, and the right to run it once.
pub(crate) struct Notified<S: 'static>(Task<S>);

impl<S: Schedule> Notified<S> {
    pub(crate) fn from_task(task: Task<S>) -> Notified<S> {
        Notified(task)
    }

    /// Polls the task once (or cancels it, if aborted); the queue entry is consumed.
    pub(crate) fn run(self) {
        let raw = self.0.raw;
        std::mem::forget(self);
        // SAFETY: the queue entry's reference moves into `poll`.
        unsafe { (raw.header().vtable().poll)(raw.ptr) }
    }

    pub(crate) fn header(&self) -> &Header {
        self.0.header()
    }

    /// Cancels the task without running it (a queue dropped at shutdown); the queue entry's
    /// reference is consumed.
    pub(crate) fn shutdown(self) {
        self.0.shutdown();
    }

    pub(crate) fn into_raw(self) -> NonNull<Header> {
        self.0.into_raw()
    }

    /// # Safety
    /// `ptr` came from `Notified::<S>::into_raw` and is given back once.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified<S> {
        // SAFETY: forwarded contract.
        Notified(unsafe { Task::from_raw(ptr) })
    }
}

impl<S: 'static> fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Notified({})", self.0.header().id)
    }
}
