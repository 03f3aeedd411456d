//! `JoinSet`: a set of tasks to wait for together, Go's `sync.WaitGroup` that also
//! collects results.
//!
//! Built on `futures`' `FuturesUnordered` of `JoinHandle`s: each handle registers its own
//! waker, so `join_next` polls only the tasks that finished, whatever the size of the set.

use crate::coop;
use crate::runtime::{self, Handle};
use crate::scheduler::Shared;
use crate::task::{AbortHandle, JoinError, JoinHandle};
use futures::stream::{FuturesUnordered, StreamExt};
use std::fmt;
use std::future::Future;
use std::task::{Context, Poll};

/// A collection of tasks, awaited in the order they finish. Dropping it aborts the tasks
/// still in it.
///
/// ```
/// goro::run(async {
///     let mut set = goro::JoinSet::new();
///     for i in 0..3 {
///         set.spawn(async move { i });
///     }
///     let mut seen = Vec::new();
///     while let Some(result) = set.join_next().await {
///         seen.push(result.unwrap());
///     }
///     seen.sort();
///     assert_eq!(seen, [0, 1, 2]);
/// });
/// ```
pub struct JoinSet<T> {
    tasks: FuturesUnordered<JoinHandle<T>>,
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set: goro::JoinSet<()> = goro::JoinSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: FuturesUnordered::new(),
        }
    }

    /// How many tasks are in the set (running, or finished and not yet joined).
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if the set holds no task.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(async {});
    ///     set.join_next().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Asks every task in the set to stop; they stay in the set until joined, with a
    /// cancelled [`JoinError`] (or their output, if they finished first).
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&self) {
        for handle in self.tasks.iter() {
            handle.abort();
        }
    }

    /// Removes every task from the set without aborting it: they run on, detached.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(async {});
    ///     set.detach_all();
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }

    /// Waits for the next task to finish and returns its result, or `None` if the set is
    /// empty.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(async { 5 });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished task: `Ready(None)` if the set is empty. For hand-written
    /// futures; `join_next` is the same as a future.
    ///
    /// ```
    /// use std::task::Poll;
    /// goro::run(async {
    ///     let mut set: goro::JoinSet<()> = goro::JoinSet::new();
    ///     let polled = std::future::poll_fn(|cx| Poll::Ready(set.poll_join_next(cx))).await;
    ///     assert!(matches!(polled, Poll::Ready(None)));
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        let unit = std::task::ready!(coop::poll_proceed(cx));
        let polled = self.tasks.poll_next_unpin(cx);
        if polled.is_ready() {
            unit.made_progress();
        }
        polled
    }

    /// The result of a task that already finished, without waiting; `None` if none has.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     loop {
    ///         if let Some(result) = set.try_join_next() {
    ///             assert_eq!(result.unwrap(), 1);
    ///             break;
    ///         }
    ///         goro::yield_now().await;
    ///     }
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        match self.tasks.poll_next_unpin(&mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending => None,
        }
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// If a task panicked, the panic is resumed here (the other tasks are aborted when the
    /// set drops); a cancelled task (aborted from outside) also panics, since it has no
    /// output.
    ///
    /// ```
    /// goro::run(async {
    ///     let set: goro::JoinSet<u32> = (1..=3).map(|i| async move { i * 10 }).collect();
    ///     let mut all = set.join_all().await;
    ///     all.sort();
    ///     assert_eq!(all, [10, 20, 30]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("goro::JoinSet::join_all: {err}"),
            }
        }
        outputs
    }

    /// Aborts every task and waits until all of them are gone.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns a task on the current runtime into the set.
    ///
    /// # Panics
    /// Outside a runtime, as [`goro::spawn`](crate::spawn); see [`JoinSet::spawn_on`].
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     let abort = set.spawn(async { 1 });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 1);
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let instead = " (or use JoinSet::spawn_on)";
        let spawned = runtime::spawn_with_current("goro::JoinSet::spawn", instead, |handle, at| {
            Shared::spawn(&handle.scheduler, future, at)
        });
        self.insert(spawned)
    }

    /// Spawns a task on `handle`'s runtime into the set.
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let mut set = goro::JoinSet::new();
    /// set.spawn_on(async { 2 }, runtime.handle());
    /// let result = runtime.block_on(set.join_next());
    /// assert_eq!(result.unwrap().unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs a blocking closure on the current runtime's blocking pool, into the set.
    ///
    /// # Panics
    /// Outside a runtime.
    ///
    /// ```
    /// goro::run(async {
    ///     let mut set = goro::JoinSet::new();
    ///     set.spawn_blocking(|| 3);
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let spawned =
            runtime::spawn_with_current("goro::JoinSet::spawn_blocking", "", |handle, at| {
                handle.blocking.spawn(f, handle, at)
            });
        self.insert(spawned)
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.tasks.push(handle);
        abort
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns each future into the set (on the current runtime).
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns each future into a new set (on the current runtime).
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}
