//! `Runtime`: owns the worker threads and the blocking pool; dropping it shuts down.
//!
//! ## Shutdown (`Runtime::shutdown`)
//! 1. `begin_shutdown`: the workers stop after their current poll, and spawns from now on
//!    are cancelled at once.
//! 2. Join the monitor, then the worker threads (replacements included); on a current-thread
//!    runtime, wait for the `block_on` caller that drives it, if any, to let it go (it then
//!    waits for its future as any `block_on` caller does).
//! 3. With the runtime current (destructors of cancelled futures may spawn or look it up),
//!    `close`: every task left is cancelled, its future dropped on this thread.
//! 4. The blocking pool: queued closures are dropped, running ones waited for.
//! 5. The reactor drops every registration's and timer's waker.
//!
//! `shutdown_timeout` bounds steps 2 and 4 by one deadline: a worker thread stuck inside one
//! poll, like a blocking thread still busy, is left behind once it passes (the scheduler's
//! `shutdown.rs` says why that stays sound). A plain drop waits, as tokio's does.
//!
//! `shutdown_background` waits for nothing: step 1 runs on the spot, steps 2 to 5 on a
//! thread of its own (`NAME-shutdown`) that ends when they are done, once the runtime's
//! threads have ended on their own. That thread holds a `Handle`, so the runtime's memory
//! goes when it ends. (Should the OS refuse that thread, the caller does steps 2 to 5 with
//! a deadline that has passed already: it joins only the threads that have ended, and
//! leaves the others.)
//!
//! Dropped inside one of its own tasks, a runtime cannot wait for its worker threads, that
//! task's among them: it shuts down as `shutdown_background` does, and the drop panics to
//! report the mistake.

use super::{Builder, EnterGuard, Handle, context};
use crate::blocking::BlockingPool;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

/// A goro runtime: worker threads (none on a current-thread runtime, whose `block_on` runs
/// the tasks: [`Builder::new_current_thread`]), a reactor for timers and sockets, a blocking
/// pool.
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
    /// Taken by the shutdown, so that it runs once.
    owned: Option<Owned>,
}

/// What only the `Runtime` holds, and its shutdown consumes.
struct Owned {
    monitor: Option<ThreadHandle<()>>,
    blocking: BlockingPool,
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

    /// A runtime of `handle`'s scheduler and `blocking`.
    pub(crate) fn new_parts(handle: Handle, blocking: BlockingPool) -> Runtime {
        Runtime {
            handle,
            owned: Some(Owned {
                monitor: None,
                blocking,
            }),
        }
    }

    pub(crate) fn set_monitor(&mut self, thread: ThreadHandle<()>) {
        if let Some(owned) = &mut self.owned {
            owned.monitor = Some(thread);
        }
    }

    /// Runs `future` on the current thread until it completes (on a current-thread runtime,
    /// with the runtime's tasks); see [`Handle::block_on`].
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

    /// Makes this runtime the current one on this thread until the guard drops; see
    /// [`Handle::enter`].
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let _guard = runtime.enter();
    /// assert!(goro::Handle::try_current().is_some());
    /// let task = goro::spawn(async { 6 * 7 });
    /// assert_eq!(runtime.block_on(task).unwrap(), 42);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
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

    /// Shuts down, waiting at most `timeout` in all for the threads to end: worker threads
    /// finishing their current poll and blocking threads their closure (the rest of the
    /// shutdown does not wait on user code: futures are dropped, not polled). A thread still
    /// busy after `timeout` (a task stuck in a blocking call inside one poll, a long blocking
    /// closure) is left to finish on its own; its task is cancelled once its poll returns.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let runtime = goro::Runtime::new().unwrap();
    /// drop(runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(5))));
    /// drop(runtime.spawn(async { std::thread::sleep(Duration::from_secs(5)) }));
    /// let start = Instant::now();
    /// runtime.shutdown_timeout(Duration::from_millis(100));
    /// assert!(start.elapsed() < Duration::from_secs(4));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(Instant::now() + timeout));
    }

    /// Shuts down without waiting for anything, and returns at once: the tasks are stopped
    /// and cancelled, and the runtime's threads end on their own, in the background, once
    /// their current poll or blocking closure returns. A thread of its own (`NAME-shutdown`)
    /// waits for them, drops the tasks' futures and frees the runtime. Unlike dropping the
    /// runtime, this may be called anywhere, inside one of the runtime's own tasks too.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let runtime = goro::Runtime::new().unwrap();
    /// drop(runtime.spawn_blocking(|| std::thread::sleep(Duration::from_secs(2))));
    /// let start = Instant::now();
    /// runtime.shutdown_background();
    /// assert!(start.elapsed() < Duration::from_secs(1));
    /// ```
    pub fn shutdown_background(mut self) {
        if let Some(owned) = self.owned.take() {
            self.handle.scheduler.begin_shutdown();
            let _ = self.finish_in_background(owned);
        }
    }

    /// The shutdown steps (module doc), bounded by `deadline`; the first call does them.
    fn shutdown(&mut self, deadline: Option<Instant>) {
        let Some(owned) = self.owned.take() else {
            return;
        };
        let scheduler = &self.handle.scheduler;
        scheduler.begin_shutdown();
        if scheduler.is_own_worker_thread() {
            self.shut_down_elsewhere(owned);
        } else {
            owned.finish_shutdown(&self.handle, deadline);
        }
    }

    /// Steps 2 to 5 on a thread of their own (`shutdown_background` in the module doc); if
    /// the OS refuses the thread, here with a deadline that has passed, and the error.
    fn finish_in_background(&self, owned: Owned) -> io::Result<()> {
        let (send, receive) = mpsc::channel::<Owned>();
        let handle = self.handle.clone();
        let started = self
            .handle
            .threads
            .spawn(&self.handle, "shutdown", move || {
                if let Ok(owned) = receive.recv() {
                    owned.finish_shutdown(&handle, None);
                }
            });
        match started {
            Ok(_) => {
                // The thread waits for `owned` on the channel until it comes.
                let _ = send.send(owned);
                Ok(())
            }
            Err(err) => {
                owned.finish_shutdown(&self.handle, Some(Instant::now()));
                Err(err)
            }
        }
    }

    /// Dropped inside one of its own tasks: shut down as `shutdown_background` does; then
    /// the panic that reports the mistake (unless the thread is panicking already: a second
    /// panic in a destructor would abort the process).
    #[cold]
    fn shut_down_elsewhere(&self, owned: Owned) {
        let outcome = match self.finish_in_background(owned) {
            Ok(()) => "it shuts down on a thread of its own".to_string(),
            Err(err) => format!(
                "the thread to shut it down could not start ({err}), so it shut down without \
                 waiting for its threads"
            ),
        };
        if !std::thread::panicking() {
            panic!(
                "goro: a Runtime was dropped inside one of its own tasks, where its shutdown \
                 cannot wait for its worker threads; {outcome}. Drop a runtime outside its \
                 worker threads (in `spawn_blocking`, say), or call `shutdown_background`"
            );
        }
    }
}

impl Owned {
    /// Steps 2 to 5 of the shutdown (module doc), bounded by `deadline`.
    fn finish_shutdown(self, handle: &Handle, deadline: Option<Instant>) {
        let scheduler = &handle.scheduler;
        if let Some(monitor) = self.monitor {
            scheduler.join_thread(monitor, deadline);
        }
        scheduler.join_threads(deadline);
        {
            // Destructors of cancelled futures may spawn or look up the runtime.
            let _enter = context::enter(handle.clone());
            scheduler.close();
        }
        let timeout = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        // Before waiting for the blocking pool: a blocking task may be blocked on a goro timer
        // or socket, which only the reactor's shutdown wakes now that no worker turns it.
        scheduler.reactor().shutdown();
        self.blocking.shutdown(timeout);
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
