//! What happens to a task: poll, complete, cancel, join, shut down. Generic over the future
//! `F` and the scheduler `S`; `VTABLE` erases both.
//!
//! ## Poll (`poll`)
//! 1. A worker pops a `Notified` and calls `poll`; `transition_to_running` turns the queue
//!    entry's reference into the poller's and sets `RUNNING`, or fails (the task already
//!    finished or was claimed by shutdown) and the reference is dropped.
//! 2. The future is polled under `catch_unwind` with a waker that borrows the poller's
//!    reference.
//! 3. `Ready` or a panic: the future is dropped in place and the result stored, then
//!    `complete`. After a panic, the future is dropped while the panic unwinds, before
//!    `catch_unwind` returns (`DropOnUnwind`), as tokio does: its `Drop` sees
//!    `thread::panicking()`, as the locals of an `async fn` do when a panic unwinds out of
//!    it. A panic in that destructor is caught there (a nested panic that is caught does
//!    not abort) and replaces the poll's, as after `Ready` (`finish`).
//! 4. `Pending`: `transition_to_idle`. A wake that came during the poll set `SCHEDULED`;
//!    then the poller's reference goes back to the scheduler as a new queue entry
//!    (`Schedule::yield_now`), so the wake is not lost. An abort during the poll is seen
//!    here and the task is cancelled at once.
//!
//! ## Complete (`complete`)
//! 1. `transition_to_complete` clears `RUNNING` and sets `COMPLETE`, returning the word.
//! 2. No join interest: the completer drops the output (and reports an unhandled panic).
//!    Join waker set: the completer wakes it, then gives the slot back
//!    (`unset_join_waker_after_complete`), dropping the waker if the handle left meanwhile.
//! 3. The scheduler releases the task from its registry, which returns the registry's
//!    reference; the poller's and the registry's references are dropped in one step.
//!
//! ## Join (`try_read_output`, `drop_join_handle_slow`)
//! The `JoinHandle` reads `COMPLETE`; until then it leaves its waker in the slot. Once it
//! sees `COMPLETE` it clears `JOIN_INTEREST` and takes the output in one go, so the stage
//! (which has no tag, see `cell.rs`) is never read twice: a second poll finds the interest
//! gone and panics. A handle dropped with its interest still set drops the output if the
//! task completed, else leaves that to the completer; either way a panic nobody read is
//! reported as unhandled (`Schedule::unhandled_panic`), once.
//!
//! ## The current task (`id.rs`)
//! Each of these steps that may run the task's own code (its future's poll and destructor,
//! its output's destructor) makes the task's id current on the thread: `poll` stores it (one
//! store, left in place: step 1 of "The current task" in `id.rs`); `shutdown`, the handle's
//! drop of an output, and a deallocation that drops a future store it and put the previous
//! one back (step 2).

use super::cell::Cell;
use super::error::{Failure, Payload};
use super::header::{Header, Vtable};
use super::join_waker::JoinWaker;
use super::raw::{Notified, Task};
use super::state::{ToIdle, ToRunning};
use super::{JoinError, Schedule, id, waker};
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// A typed view of one task allocation.
pub(crate) struct Harness<F: Future, S: 'static> {
    cell: NonNull<Cell<F, S>>,
}

/// The vtable of tasks with future `F` and scheduler `S`.
pub(crate) fn vtable<F, S>() -> &'static Vtable
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// # Safety
/// `ptr` points at a live `Cell<F, S>` and the caller passes its queue entry's reference.
unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable of a `Cell<F, S>` is only called with pointers to one.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

/// # Safety
/// `ptr` points at a live `Cell<F, S>`; the caller passes a reference taken for a queue entry.
unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    harness.header().note_transition();
    // SAFETY: the caller's reference moves into the queue entry.
    let notified = Notified::from_task(unsafe { Task::from_raw(ptr) });
    harness.scheduler().schedule(notified);
}

/// # Safety
/// `ptr` points at a `Cell<F, S>` whose last reference the caller dropped.
unsafe fn dealloc<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.dealloc();
}

/// # Safety
/// `ptr` points at a live `Cell<F, S>` whose `JoinHandle` the caller is; `dst` points at a
/// `Poll<Result<F::Output, JoinError>>`.
unsafe fn try_read_output<F: Future, S: Schedule>(ptr: NonNull<Header>, dst: *mut (), cx: &Waker) {
    // SAFETY: as in `poll`.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.can_read_output(cx) {
        let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
        // SAFETY: the caller guarantees the type and validity of `dst`.
        unsafe { *dst = Poll::Ready(harness.take_output()) };
    }
}

/// # Safety
/// `ptr` points at a live `Cell<F, S>`; the caller is its `JoinHandle` and gives up its
/// reference.
unsafe fn drop_join_handle_slow<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle_slow();
}

/// # Safety
/// `ptr` points at a live `Cell<F, S>`; the caller gives up the registry's reference.
unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: as in `poll`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}

/// Drops a value whose destructor is user code, ignoring a panic in it: the runtime's
/// bookkeeping must go on, and the value is gone either way.
fn drop_quietly<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// Drops the future of the task being polled if the poll panics (see step 3 of "Poll" in
/// the module doc); `poll_future` forgets it when the poll returns.
struct DropOnUnwind<'a, F: Future, S: Schedule> {
    harness: &'a Harness<F, S>,
    /// Where the outcome of the drop goes: a panic in the future's destructor.
    dropped: &'a mut Option<std::thread::Result<()>>,
}

impl<F: Future, S: Schedule> Drop for DropOnUnwind<'_, F, S> {
    fn drop(&mut self) {
        // SAFETY: only dropped while the poll's panic unwinds, by the poller, which holds
        // the run rights (`RUNNING`) before `COMPLETE`; the stage holds the future (the poll
        // left it in place), and `poll_future` then stores the output without dropping it
        // again.
        *self.dropped = Some(unsafe { self.harness.drop_future() });
    }
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// # Safety
    /// `ptr` points at a live `Cell<F, S>`.
    unsafe fn from_raw(ptr: NonNull<Header>) -> Harness<F, S> {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: the caller of `from_raw` holds a reference, so the allocation is live; all
        // mutation of the cell goes through atomics and `UnsafeCell`.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn scheduler(&self) -> &S {
        &self.cell().scheduler
    }

    fn header_ptr(&self) -> NonNull<Header> {
        self.cell.cast()
    }

    /// Drops the future in place; a panic in its destructor is returned.
    ///
    /// # Safety
    /// The caller may touch the stage and it holds the future (see `cell.rs`), which nobody
    /// touches again.
    unsafe fn drop_future(&self) -> std::thread::Result<()> {
        catch_unwind(AssertUnwindSafe(|| {
            self.cell().stage.with_mut(|ptr| {
                // SAFETY: by the caller's contract; dropped in place, as it is pinned.
                unsafe { ManuallyDrop::drop(&mut (*ptr).future) }
            })
        }))
    }

    /// Moves the output out of the stage, which then holds nothing.
    ///
    /// # Safety
    /// The stage holds the output and the caller is the side that consumes it (`cell.rs`).
    unsafe fn take_stage_output(&self) -> Result<F::Output, Failure> {
        self.cell().stage.with_mut(|ptr| {
            // SAFETY: by the caller's contract.
            unsafe { ManuallyDrop::take(&mut (*ptr).output) }
        })
    }

    /// Takes the waker out of the join waker slot and drops it.
    ///
    /// # Safety
    /// The caller owns the slot (see `JOIN_WAKER` in `state.rs`).
    unsafe fn drop_join_waker(&self) {
        // SAFETY: by the caller's contract.
        let waker = self
            .cell()
            .join_waker
            .with_mut(|ptr| unsafe { mem::take(&mut *ptr) });
        drop_quietly(waker);
    }

    /// Runs the task once (steps in the module doc).
    fn poll(self) {
        id::set(self.header().id);
        match self.header().state.transition_to_running() {
            ToRunning::Success => {
                self.header().note_poll();
                if self.poll_future().is_ready() {
                    return self.complete();
                }
                match self.header().state.transition_to_idle() {
                    ToIdle::Ok => self.header().note_transition(),
                    ToIdle::OkNotified => {
                        self.header().note_transition();
                        // SAFETY: the poller's reference becomes the new queue entry's.
                        let task = unsafe { Task::from_raw(self.header_ptr()) };
                        self.scheduler().yield_now(Notified::from_task(task));
                    }
                    ToIdle::OkDealloc => self.dealloc(),
                    ToIdle::Cancelled => {
                        self.cancel_future();
                        self.complete();
                    }
                }
            }
            ToRunning::Cancelled => {
                self.cancel_future();
                self.complete();
            }
            ToRunning::Failed => self.drop_reference(),
        }
    }

    /// Polls the future once; on `Ready` or a panic, stores the result.
    fn poll_future(&self) -> Poll<()> {
        // SAFETY: borrows the poller's reference, which outlives the poll; `ManuallyDrop`
        // keeps the borrowed waker from dropping a reference it never took.
        let waker = ManuallyDrop::new(unsafe { waker::borrowed(self.header_ptr()) });
        let mut cx = Context::from_waker(&waker);
        // How the unwinding guard's drop of the future went, if the poll panicked.
        let mut dropped_on_unwind = None;
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let guard = DropOnUnwind {
                harness: self,
                dropped: &mut dropped_on_unwind,
            };
            let poll = self.cell().stage.with_mut(|stage| {
                // SAFETY: `RUNNING` gives this thread exclusive access to the stage, which
                // holds the future until `COMPLETE` (`cell.rs`); the future is never moved
                // (it is dropped in place), so it stays pinned.
                unsafe { Pin::new_unchecked(&mut *(*stage).future) }.poll(&mut cx)
            });
            mem::forget(guard);
            poll
        }));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                self.finish(Ok(output));
                Poll::Ready(())
            }
            Err(payload) => {
                // SAFETY: the guard is made before the poll and forgotten only after it, so
                // a panic dropped it, and it dropped the future; `None` cannot happen, and
                // would mean the guard did not run and the stage still holds the future.
                let dropped = dropped_on_unwind.unwrap_or_else(|| unsafe { self.drop_future() });
                self.store_output(Err(Failure::Panic(Payload::new(payload))), dropped);
                Poll::Ready(())
            }
        }
    }

    /// Drops the future in place and stores `result`.
    fn finish(&self, result: Result<F::Output, Failure>) {
        // SAFETY: only called by the holder of the run rights, before `COMPLETE`, once.
        let dropped = unsafe { self.drop_future() };
        self.store_output(result, dropped);
    }

    /// Stores `result` in the stage once the future is gone (`dropped` says how its
    /// destructor went: a panic in it replaces the result). Only the holder of the run
    /// rights calls it, before `COMPLETE`, once.
    fn store_output(&self, result: Result<F::Output, Failure>, dropped: std::thread::Result<()>) {
        let result = match dropped {
            Ok(()) => result,
            Err(payload) => {
                drop_quietly(result);
                Err(Failure::Panic(Payload::new(payload)))
            }
        };
        self.cell().stage.with_mut(|ptr| {
            // SAFETY: the caller holds the run rights and the future was dropped in place;
            // `ManuallyDrop` drops nothing here.
            unsafe { (*ptr).output = ManuallyDrop::new(result) }
        });
    }

    /// Drops the future of an aborted task.
    fn cancel_future(&self) {
        self.finish(Err(Failure::Cancelled));
    }

    /// Steps in the module doc.
    fn complete(self) {
        let snapshot = self.header().state.transition_to_complete();
        let mut unhandled_panic = false;
        if !snapshot.is_join_interested() {
            // SAFETY: complete without join interest: the completer consumes the output.
            let output = unsafe { self.take_stage_output() };
            unhandled_panic = matches!(output, Err(Failure::Panic(_)));
            drop_quietly(output);
        } else if snapshot.is_join_waker_set() {
            // SAFETY: `JOIN_WAKER` with `COMPLETE`: the completer may read the slot.
            let wake = catch_unwind(AssertUnwindSafe(|| {
                self.cell().join_waker.with(|ptr| {
                    // SAFETY: as above, read access to the slot.
                    unsafe { &*ptr }.wake_by_ref();
                })
            }));
            let prev = self.header().state.unset_join_waker_after_complete();
            if !prev.is_join_interested() {
                // SAFETY: the handle is done and the bit is clear: the completer owns the slot.
                unsafe { self.drop_join_waker() };
            }
            drop(wake);
        }
        if unhandled_panic {
            self.scheduler().unhandled_panic();
        }
        // SAFETY: a borrowed view of the task for the registry lookup; `ManuallyDrop` keeps
        // it from dropping a reference it does not own.
        let me = ManuallyDrop::new(unsafe { Task::<S>::from_raw(self.header_ptr()) });
        let released = self.scheduler().release(&me);
        let count = match released {
            Some(task) => {
                // Its reference is dropped below, together with the poller's.
                mem::forget(task);
                2
            }
            None => 1,
        };
        if self.header().state.transition_to_terminal(count) {
            self.dealloc();
        }
    }

    /// Shutdown: cancels the task unless another thread is running it (it then sees
    /// `CANCELLED` itself). Consumes the registry's reference.
    fn shutdown(self) {
        let _current = id::enter(self.header().id);
        if self.header().state.transition_to_shutdown() {
            self.cancel_future();
            self.complete();
        } else {
            self.drop_reference();
        }
    }

    /// The `JoinHandle`'s half of the join waker protocol. True if the output is ready.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        // Only the handle clears its interest, and it does so when it takes the output.
        assert!(
            snapshot.is_join_interested(),
            "a JoinHandle was polled after it returned the output"
        );
        if snapshot.is_complete() {
            return true;
        }
        let stored = if snapshot.is_join_waker_set() {
            let same = self.cell().join_waker.with(|ptr| {
                // SAFETY: the bit is set and the task is not complete: the handle may read.
                unsafe { &*ptr }.will_wake(waker)
            });
            if same {
                return false;
            }
            state
                .unset_join_waker()
                .and_then(|_| self.store_join_waker(waker))
        } else {
            self.store_join_waker(waker)
        };
        match stored {
            Ok(_) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                true
            }
        }
    }

    /// Writes the handle's waker and passes the slot to the completing side.
    fn store_join_waker(
        &self,
        waker: &Waker,
    ) -> Result<super::state::Snapshot, super::state::Snapshot> {
        // SAFETY: `JOIN_WAKER` is clear and the handle exists: the handle owns the slot.
        self.cell()
            .join_waker
            .with_mut(|ptr| unsafe { *ptr = JoinWaker::new(waker) });
        let result = self.header().state.set_join_waker();
        if result.is_err() {
            // SAFETY: the bit stayed clear, so the slot is still the handle's.
            self.cell()
                .join_waker
                .with_mut(|ptr| unsafe { *ptr = JoinWaker::empty() });
        }
        result
    }

    /// Takes the output; only after `can_read_output` said it is there. The handle gives up
    /// its interest in the same step, so it can never take the output twice.
    fn take_output(&self) -> Result<F::Output, JoinError> {
        self.give_up_join_interest()
            .expect("complete with join interest: can_read_output checked both")
            .map_err(|failure| JoinError::new(self.header().id, failure))
    }

    /// The handle is dropped: it drops the output if the task completed. A panic it never
    /// read is unhandled, as if the handle had gone before the task completed (`complete`),
    /// whichever of the two came first.
    fn drop_join_handle_slow(self) {
        let output = self.give_up_join_interest();
        let unhandled_panic = matches!(output, Some(Err(Failure::Panic(_))));
        if output.is_some() {
            let _current = id::enter(self.header().id);
            drop_quietly(output);
        }
        if unhandled_panic {
            self.scheduler().unhandled_panic();
        }
        self.drop_reference();
    }

    /// The handle's last step with the output, whether it takes it or is dropped: clears
    /// `JOIN_INTEREST`, drops the waker slot's waker if the slot is the handle's now, and
    /// returns the output if the task completed. `None` also if the handle took the output
    /// already (it has nothing left but its reference).
    fn give_up_join_interest(&self) -> Option<Result<F::Output, Failure>> {
        let (complete, owns_waker) = self.header().state.drop_join_interest()?;
        // SAFETY: complete, and the handle gave up its interest just now: it consumes the
        // output.
        let output = complete.then(|| unsafe { self.take_stage_output() });
        if owns_waker {
            // SAFETY: `JOIN_WAKER` is clear: the slot is the handle's.
            unsafe { self.drop_join_waker() };
        }
        output
    }

    fn drop_reference(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }

    fn dealloc(self) {
        // With the last reference gone, the output (if the task completed) was consumed
        // already, since the `JoinHandle` is gone too; a task that never completed still
        // holds its future (`cell.rs`).
        if !self.header().state.load().is_complete() {
            let _current = id::enter(self.header().id);
            // SAFETY: this thread holds the only pointer left, and the stage holds the future.
            let _ = unsafe { self.drop_future() };
        }
        // SAFETY: as above; the allocation came from `Box::new` in `Cell::allocate`.
        let cell = unsafe { Box::from_raw(self.cell.as_ptr()) };
        let Cell { join_waker, .. } = *cell;
        drop_quietly(join_waker);
    }
}
