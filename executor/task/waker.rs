//! Wakers: the data pointer is the task's header, the vtable four plain functions.
//! A `Waker` owns one reference to the task (see `state.rs`); the waker handed to a poll
//! borrows the poller's reference instead (`borrowed`).

use super::header::Header;
use super::raw::RawTask;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// # Safety
/// `data` is a task header pointer whose task some owner keeps alive during the call.
unsafe fn raw_task(data: *const ()) -> RawTask {
    // SAFETY: wakers are only built from header pointers (`borrowed`, `clone`), never null.
    unsafe { RawTask::from_raw(NonNull::new_unchecked(data as *mut Header)) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds (or borrows) a reference.
    unsafe { raw_task(data) }.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: this waker's reference is consumed by the wake.
    unsafe { raw_task(data) }.wake_by_val();
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the duration of the call.
    unsafe { raw_task(data) }.wake_by_ref();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: this waker's reference is dropped.
    unsafe { raw_task(data) }.drop_reference();
}

/// True if `waker` is a goro task's: its data pointer is then a task header.
pub(crate) fn is_task_waker(waker: &Waker) -> bool {
    std::ptr::eq(waker.vtable(), &VTABLE)
}

/// A waker that borrows a reference the caller holds; wrap it in `ManuallyDrop`.
///
/// # Safety
/// `ptr` is a live task that the caller keeps alive while the waker (not its clones) is used,
/// and the waker is never dropped.
pub(crate) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for header pointers.
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}
