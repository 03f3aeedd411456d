//! `Handle`: a cheap, clonable reference to a runtime.

use super::RuntimeFlavor;
use super::block_on;
use super::context::{self, EnterGuard, NO_RUNTIME};
use super::threads::ThreadStarter;
use crate::RuntimeMetrics;
use crate::blocking;
use crate::loom::Arc;
use crate::scheduler::Shared;
use crate::task::{JoinHandle, TaskInfo};
use std::fmt;
use std::future::Future;

/// A reference to a runtime: spawn onto it, block on it, look inside it. `Clone`, `Send` and
/// `Sync`; it does not keep the runtime's threads alive (dropping the `Runtime` stops them).
///
/// ```
/// let runtime = goro::Runtime::new().unwrap();
/// let handle = runtime.handle().clone();
/// let answer = std::thread::spawn(move || handle.block_on(async { 6 * 7 }))
///     .join()
///     .unwrap();
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) scheduler: Arc<Shared>,
    pub(crate) blocking: blocking::Spawner,
    /// How the runtime starts threads: for the blocking pool and for workers that take a
    /// worker's place (`block_in_place`, the monitor).
    pub(crate) threads: std::sync::Arc<ThreadStarter>,
}

impl Handle {
    /// The runtime of the current thread.
    ///
    /// # Panics
    /// Outside a runtime, with a message that says where to call it from; see
    /// [`Handle::try_current`].
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::Handle::current();
    ///     handle.spawn(async {}).await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!("goro::Handle::current(): {NO_RUNTIME}"),
        }
    }

    /// The runtime of the current thread, or `None` outside any runtime.
    ///
    /// ```
    /// assert!(goro::Handle::try_current().is_none());
    /// goro::run(async { assert!(goro::Handle::try_current().is_some()) });
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::with_current(|handle| handle.cloned())
    }

    /// Spawns a task on this runtime; see [`goro::spawn`](crate::spawn).
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.handle().spawn(async { 1 + 1 });
    /// assert_eq!(runtime.block_on(handle).unwrap(), 2);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.scheduler, future, std::panic::Location::caller())
    }

    /// Runs a blocking closure on the runtime's blocking pool; see
    /// [`goro::spawn_blocking`](crate::spawn_blocking).
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.handle().spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(runtime.block_on(handle).unwrap());
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.blocking.spawn(f, self, std::panic::Location::caller())
    }

    /// Runs `future` to completion on the current thread, with this runtime current (so
    /// `goro::spawn` works inside it), and returns its output. On a multi-thread runtime the
    /// calling thread only polls `future`; spawned tasks run on the workers. On a
    /// current-thread runtime ([`Builder::new_current_thread`](crate::Builder::new_current_thread))
    /// the calling thread runs the tasks, timers and sockets too, between polls of
    /// `future`; if another thread is doing that already, this one polls `future` and waits
    /// until either it completes or the other thread's `block_on` returns and this one can
    /// take over. (Unlike tokio's, whose `Handle::block_on` never drives a current-thread
    /// runtime, goro's runs it as `Runtime::block_on` does.)
    ///
    /// While the thread waits between polls, it counts as idle for a paused clock
    /// ([`time::pause`](crate::time::pause)), which may then jump to the next timer.
    ///
    /// # Panics
    /// On a worker thread of any goro runtime: blocking a worker would stall every task
    /// queued on it; `.await` the future instead (or call it inside
    /// [`block_in_place`](crate::task::block_in_place), which hands the worker's tasks on
    /// first). Inside another `block_on` on the same thread (outside `block_in_place`), and
    /// so in a task of a current-thread runtime, for the same reason. Also if the runtime
    /// shut down because a task panicked under
    /// [`UnhandledPanic::ShutdownRuntime`](crate::UnhandledPanic).
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// assert_eq!(runtime.handle().block_on(async { "done" }), "done");
    ///
    /// // On a current-thread runtime, a handle's block_on runs the tasks on its thread.
    /// let single = goro::Builder::new_current_thread().build().unwrap();
    /// let handle = single.handle().clone();
    /// let task = handle.spawn(async { std::thread::current().id() });
    /// std::thread::spawn(move || {
    ///     let ran_on = handle.block_on(task).unwrap();
    ///     assert_eq!(ran_on, std::thread::current().id());
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let location = std::panic::Location::caller();
        let _enter = context::enter(self.clone());
        block_on::block_on(&self.scheduler, future, location)
    }

    /// Makes this runtime the current one on this thread until the returned guard drops, so
    /// that code outside the runtime's threads can use what needs a current runtime without
    /// `block_on`: [`goro::spawn`](crate::spawn) (the task runs on the workers),
    /// [`Handle::current`], timers and sockets (they register with this runtime's reactor).
    /// Guards nest; see [`EnterGuard`](crate::EnterGuard) for the order they must drop in.
    ///
    /// # Panics
    /// At thread exit, once the thread-locals are being destroyed.
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.handle().clone();
    /// std::thread::spawn(move || {
    ///     let _guard = handle.enter();
    ///     let sleep = goro::time::sleep(std::time::Duration::from_millis(1));
    ///     let task = goro::spawn(async { "spawned without block_on" });
    ///     handle.block_on(sleep);
    ///     assert_eq!(handle.block_on(task).unwrap(), "spawned without block_on");
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard::new(self)
    }

    /// Every live task: id, spawn location, state, age and poll count (Go's goroutine
    /// profile). Locks one registry shard at a time, so spawns are held up only briefly.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     let dump = goro::Handle::current().dump();
    ///     assert!(dump.iter().any(|task| task.id == handle.id()));
    /// });
    /// ```
    pub fn dump(&self) -> Vec<TaskInfo> {
        self.scheduler.dump()
    }

    /// A snapshot of the runtime's counters and gauges; see [`RuntimeMetrics`].
    ///
    /// ```
    /// let runtime = goro::Builder::new().worker_threads(2).build().unwrap();
    /// runtime.block_on(runtime.spawn(async {})).unwrap();
    /// let metrics = runtime.handle().metrics();
    /// assert_eq!(metrics.workers, 2);
    /// assert_eq!(metrics.spawned_tasks, 1);
    /// assert_eq!(metrics.local_queue_depths.len(), 2);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        let mut metrics = RuntimeMetrics::default();
        self.scheduler.metrics(&mut metrics);
        self.blocking.metrics(&mut metrics);
        metrics
    }

    /// How many worker threads the runtime has: on a current-thread runtime 1, the thread
    /// that drives it from `block_on` (as tokio's metrics count it).
    ///
    /// ```
    /// let runtime = goro::Builder::new().worker_threads(3).build().unwrap();
    /// assert_eq!(runtime.handle().worker_threads(), 3);
    /// let single = goro::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(single.handle().worker_threads(), 1);
    /// ```
    pub fn worker_threads(&self) -> usize {
        self.scheduler.num_workers()
    }

    /// Which kind of runtime this is, as tokio's `Handle::runtime_flavor` tells.
    ///
    /// ```
    /// goro::run(async {
    ///     let flavor = goro::Handle::current().runtime_flavor();
    ///     assert_eq!(flavor, goro::RuntimeFlavor::MultiThread);
    /// });
    /// ```
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        if self.scheduler.is_current_thread() {
            RuntimeFlavor::CurrentThread
        } else {
            RuntimeFlavor::MultiThread
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .field("workers", &self.scheduler.num_workers())
            .finish_non_exhaustive()
    }
}
