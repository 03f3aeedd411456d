//! `Runtime`: owns the worker threads and the blocking pool; dropping it shuts down.

use super::{Builder, Handle, context};
use crate::blocking::BlockingPool;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::thread::JoinHandle as ThreadHandle;
use std::time::Duration;

/// A goro runtime: worker threads, a reactor for timers and sockets, a blocking pool.
///
/// Dropping it shuts it down, like Go's `main` returning: every task still alive is
/// cancelled (its future dropped, destructors run), every worker thread joined, every
/// blocking task waited for.
///
/// ```
/// let runtime = goro::Runtime::new().unwrap();
/// let sum = runtime.block_on(async {
///     let a = goro::spawn(async { 20 });
///     let b = goro::spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 42);
/// ```
pub struct Runtime {
    handle: Handle,
    monitor: Option<ThreadHandle<()>>,
    blocking: BlockingPool,
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default settings; see [`Builder`] for others.
    ///
    /// # Errors
    /// As [`Builder::build`].
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// runtime.block_on(async {});
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn new_parts(handle: Handle, blocking: BlockingPool) -> Runtime {
        Runtime {
            handle,
            monitor: None,
            blocking,
            shut_down: false,
        }
    }

    pub(crate) fn set_monitor(&mut self, thread: ThreadHandle<()>) {
        self.monitor = Some(thread);
    }

    /// Runs `future` on the current thread until it completes; see [`Handle::block_on`].
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// assert_eq!(runtime.block_on(async { 2 + 2 }), 4);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task; see [`goro::spawn`](crate::spawn).
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.spawn(async { "hi" });
    /// assert_eq!(runtime.block_on(handle).unwrap(), "hi");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool; see
    /// [`goro::spawn_blocking`](crate::spawn_blocking).
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.spawn_blocking(|| 7);
    /// assert_eq!(runtime.block_on(handle).unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime, to spawn onto it from elsewhere.
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let handle = runtime.handle().clone();
    /// std::thread::spawn(move || drop(handle.spawn(async {}))).join().unwrap();
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// A snapshot of the runtime's counters and gauges; see [`Handle::metrics`].
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// assert!(runtime.metrics().workers >= 1);
    /// ```
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts down, waiting at most `timeout` for blocking tasks that are running (the rest
    /// of the shutdown does not wait on user code: futures are dropped, not polled). Blocking
    /// threads still busy after `timeout` are left to finish on their own.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let runtime = goro::Runtime::new().unwrap();
    /// drop(runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(5))));
    /// let start = Instant::now();
    /// runtime.shutdown_timeout(Duration::from_millis(100));
    /// assert!(start.elapsed() < Duration::from_secs(4));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// The shutdown steps (see the scheduler's module doc); idempotent.
    fn shutdown(&mut self, timeout: Option<Duration>) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        let scheduler = &self.handle.scheduler;
        if scheduler.is_own_worker_thread() {
            panic!(
                "goro: a Runtime was dropped inside one of its own tasks; a runtime can only \
                 shut down from outside its worker threads"
            );
        }
        scheduler.begin_shutdown();
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
        scheduler.join_threads();
        {
            // Destructors of cancelled futures may spawn or look up the runtime.
            let _enter = context::enter(self.handle.clone());
            scheduler.close();
        }
        self.blocking.shutdown(timeout);
        scheduler.reactor().shutdown();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
