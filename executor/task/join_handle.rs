//! `JoinHandle`: the owner's side of a task, a future of its output.

use super::raw::RawTask;
use super::{AbortHandle, Id, JoinError};
use crate::coop;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a task's output, returned by [`spawn`](crate::spawn).
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was aborted.
/// Dropping it detaches the task: it keeps running and its output is dropped when ready.
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn(async { 40 + 2 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; `.await` it to get the output, or `let _ =` to detach on purpose"]
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output `T` (which must be `Send`) between threads.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reaches the state word and abort, never `T`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Takes over the `JoinHandle` reference of `raw`.
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Asks the task to stop: it is dropped at its next scheduling point (at once if idle),
    /// and the handle answers a cancelled [`JoinError`]. A task that already finished keeps
    /// its output.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task finished (output ready, panicked, or cancelled).
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(async {});
    ///     while !handle.is_finished() {
    ///         goro::yield_now().await;
    ///     }
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// A handle that can abort the task without owning its output.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     let abort = handle.abort_handle();
    ///     abort.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle::new(self.raw)
    }

    /// The task's id.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(async { panic!("boom") });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap_err().id(), id);
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let budget = std::task::ready!(coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: this is the task's JoinHandle and `out` has the task's output type.
        unsafe {
            self.raw
                .try_read_output(&mut out as *mut _ as *mut (), cx.waker())
        };
        if out.is_ready() {
            budget.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}
