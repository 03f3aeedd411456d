//! `AbortHandle`: stops a task without owning its output.

use super::Id;
use super::raw::RawTask;
use std::fmt;

/// Aborts a task; unlike a [`JoinHandle`](crate::JoinHandle) it cannot await the output,
/// and dropping it does nothing to the task. Returned by `JoinHandle::abort_handle` and
/// `JoinSet::spawn`.
///
/// ```
/// goro::run(async {
///     let mut set = goro::JoinSet::new();
///     let abort = set.spawn(std::future::pending::<()>());
///     abort.abort();
///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Takes over one reference of `raw`.
    pub(crate) fn new(raw: RawTask) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Asks the task to stop, as [`JoinHandle::abort`](crate::JoinHandle::abort) does.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     handle.abort_handle().abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// True once the task finished.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(async {});
    ///     let abort = handle.abort_handle();
    ///     handle.await.unwrap();
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(async {});
    ///     assert_eq!(handle.abort_handle().id(), handle.id());
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
