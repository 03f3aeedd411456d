//! `Builder`: the runtime's settings, and building the runtime: the reactor, the scheduler
//! (of the builder's flavour), the blocking pool, then the threads (the workers of a
//! multi-thread runtime, and the monitor).

use super::threads::{Hook, ThreadStarter, start_worker};
use super::{Handle, Runtime, RuntimeFlavor};
use crate::blocking::BlockingPool;
use crate::reactor;
use crate::scheduler::{self, BlockedWorker, Monitor, OnBlocked, Shared, UnhandledPanic};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// Most worker threads a runtime may have.
const MAX_WORKERS: usize = 4096;

/// Builds a [`Runtime`] with settings other than the defaults: a multi-thread runtime
/// ([`Builder::new`], [`Builder::new_multi_thread`]) or a current-thread one
/// ([`Builder::new_current_thread`]).
///
/// ```
/// let runtime = goro::Builder::new()
///     .worker_threads(2)
///     .thread_name("my-service")
///     .build()
///     .unwrap();
/// assert_eq!(runtime.block_on(async { 1 }), 1);
/// ```
#[derive(Clone)]
pub struct Builder {
    flavor: RuntimeFlavor,
    worker_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    on_unhandled_panic: UnhandledPanic,
    blocking_threshold: Option<Duration>,
    on_blocked_worker: Option<OnBlocked>,
    on_thread_start: Option<Hook>,
    on_thread_stop: Option<Hook>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// The defaults: one worker per CPU (or `GORO_WORKERS`), threads named `goro-worker-N`,
    /// the OS's stack size, at most 512 blocking threads, panics in detached tasks ignored.
    ///
    /// ```
    /// let runtime = goro::Builder::new().build().unwrap();
    /// runtime.block_on(async {});
    /// ```
    pub fn new() -> Builder {
        Builder {
            flavor: RuntimeFlavor::MultiThread,
            worker_threads: None,
            thread_name: "goro-worker".to_string(),
            thread_stack_size: None,
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            on_unhandled_panic: UnhandledPanic::Ignore,
            blocking_threshold: Some(Duration::from_millis(100)),
            on_blocked_worker: None,
            on_thread_start: None,
            on_thread_stop: None,
        }
    }

    /// A multi-thread runtime with the defaults: the same as [`Builder::new`], under tokio's
    /// name.
    ///
    /// ```
    /// let runtime = goro::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    /// assert_eq!(runtime.handle().runtime_flavor(), goro::RuntimeFlavor::MultiThread);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder::new()
    }

    /// A current-thread runtime: no worker threads. The thread that calls
    /// [`Runtime::block_on`] (or [`Handle::block_on`]) runs every task, timer and socket of
    /// the runtime, between polls of its own future, so that a wake costs no hand-off to
    /// another thread, and the future may hold what is not `Send` (an `Rc`, say; spawned
    /// tasks stay `Send`: use [`LocalSet`](crate::task::LocalSet) for `!Send` ones).
    ///
    /// What that means, as with tokio's current-thread runtime:
    /// - The runtime makes progress only while some thread is inside its `block_on`. Tasks
    ///   spawned from other threads (or while nobody blocks on it) wait in its queue until
    ///   then.
    /// - If several threads call `block_on` at once, one of them runs the tasks; the others
    ///   wait for their own future, or for the first to return and leave the tasks to them.
    /// - A task that blocks its thread blocks them all: the monitor reports it (see
    ///   [`Builder::blocking_threshold`]) but, unlike on a multi-thread runtime, cannot hand
    ///   the thread's place to another. [`block_in_place`](crate::task::block_in_place)
    ///   panics there; [`spawn_blocking`](crate::spawn_blocking) works, on the blocking pool.
    /// - `JoinSet`, timers, sockets, signals, metrics and the dump work as on any runtime.
    ///
    /// [`Builder::worker_threads`] and the environment variable `GORO_WORKERS` are ignored.
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = goro::Builder::new_current_thread().build().unwrap();
    /// let here = std::thread::current().id();
    /// let answer = runtime.block_on(async {
    ///     let not_send = Rc::new(20); // fine in block_on's own future
    ///     let task = goro::spawn(async move { (std::thread::current().id(), 22) });
    ///     let (ran_on, n) = task.await.unwrap();
    ///     assert_eq!(ran_on, here); // the task ran on this very thread
    ///     *not_send + n
    /// });
    /// assert_eq!(answer, 42);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            flavor: RuntimeFlavor::CurrentThread,
            ..Builder::new()
        }
    }

    /// How many worker threads run tasks (Go's `GOMAXPROCS`). Without it, the environment
    /// variable `GORO_WORKERS` decides, else the number of CPUs. A current-thread runtime
    /// ignores it, as tokio's does: its one worker is the `block_on` caller.
    ///
    /// # Panics
    /// If `n` is 0 or more than 4096.
    ///
    /// ```
    /// let runtime = goro::Builder::new().worker_threads(1).build().unwrap();
    /// assert_eq!(runtime.handle().worker_threads(), 1);
    /// ```
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(
            (1..=MAX_WORKERS).contains(&n),
            "goro: worker_threads must be between 1 and {MAX_WORKERS}, got {n}"
        );
        self.worker_threads = Some(n);
        self
    }

    /// The name of the runtime's threads: workers are `NAME-0`, `NAME-1`, ..., blocking
    /// threads `NAME-blocking`, the monitor `NAME-monitor` (and the thread that shuts down
    /// a runtime dropped inside one of its own tasks `NAME-shutdown`). A current-thread
    /// runtime starts no workers; its other threads are named so too.
    ///
    /// ```
    /// let runtime = goro::Builder::new().thread_name("svc").build().unwrap();
    /// let name = runtime.block_on(runtime.spawn(async {
    ///     std::thread::current().name().unwrap().to_string()
    /// }));
    /// assert!(name.unwrap().starts_with("svc-"));
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// The stack size of the runtime's threads, in bytes.
    ///
    /// ```
    /// let runtime = goro::Builder::new().thread_stack_size(4 << 20).build().unwrap();
    /// runtime.block_on(async {});
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Builder {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// The most threads the blocking pool (`spawn_blocking`) may start. Threads start on
    /// demand and exit after 10 s idle; work beyond the limit waits in a queue.
    ///
    /// # Panics
    /// If `n` is 0.
    ///
    /// ```
    /// let runtime = goro::Builder::new().max_blocking_threads(4).build().unwrap();
    /// let answer = runtime.block_on(runtime.spawn_blocking(|| 42));
    /// assert_eq!(answer.unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "goro: max_blocking_threads must be at least 1");
        self.max_blocking_threads = n;
        self
    }

    /// What to do when a task whose `JoinHandle` was dropped panics; see [`UnhandledPanic`].
    ///
    /// ```
    /// use goro::UnhandledPanic;
    /// let runtime = goro::Builder::new()
    ///     .on_unhandled_panic(UnhandledPanic::ShutdownRuntime)
    ///     .build()
    ///     .unwrap();
    /// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     runtime.block_on(async {
    ///         drop(goro::spawn(async { panic!("a bug") }));
    ///         std::future::pending::<()>().await;
    ///     })
    /// }));
    /// assert!(caught.is_err());
    /// ```
    pub fn on_unhandled_panic(&mut self, behaviour: UnhandledPanic) -> &mut Builder {
        self.on_unhandled_panic = behaviour;
        self
    }

    /// How long a task may run inside one poll before the monitor treats its worker as
    /// blocked (Go's sysmon): it then moves the worker's queued tasks to the other workers,
    /// hands the worker's place to a fresh thread, and reports the task's spawn location once
    /// (see [`Builder::on_blocked_worker`]). Where the OS tells (Linux), the monitor first
    /// looks at the worker thread's CPU time: a thread that mostly waited for a CPU (more
    /// runnable threads than CPUs) is left alone, since a new thread would wait as well.
    /// Default `Some(100 ms)`; `None` turns the monitor off. The monitor also keeps the clock
    /// that a busy worker's time slices are counted on: without it, a worker that runs long
    /// polls back to back turns the reactor only every 61 polls, and timers and sockets wait
    /// that long.
    ///
    /// # Panics
    /// If the threshold is zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = goro::Builder::new()
    ///     .blocking_threshold(Some(Duration::from_millis(250)))
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {});
    /// let quiet = goro::Builder::new().blocking_threshold(None).build().unwrap();
    /// quiet.block_on(async {});
    /// ```
    #[track_caller]
    pub fn blocking_threshold(&mut self, threshold: Option<Duration>) -> &mut Builder {
        assert!(
            threshold != Some(Duration::ZERO),
            "goro: blocking_threshold must be positive (or None to turn the monitor off)"
        );
        self.blocking_threshold = threshold;
        self
    }

    /// Called by the monitor, once per spawn location, when a task blocked a worker; without
    /// it the monitor prints one line on stderr. See [`BlockedWorker`].
    ///
    /// ```
    /// let runtime = goro::Builder::new()
    ///     .on_blocked_worker(|event| eprintln!("blocked: {event}"))
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {});
    /// ```
    pub fn on_blocked_worker(
        &mut self,
        callback: impl Fn(&BlockedWorker) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.on_blocked_worker = Some(std::sync::Arc::new(callback));
        self
    }

    /// Runs `hook` on every thread the runtime starts, before the thread does anything else:
    /// the workers, the threads that take a worker's place (when the monitor hands off a
    /// blocked worker, or a task calls [`block_in_place`](crate::task::block_in_place)), the
    /// blocking pool's threads, the monitor, and the thread that shuts the runtime down in
    /// the background ([`Runtime::shutdown_background`]). The runtime is current on the
    /// thread: [`Handle::current`] works in the hook. A panic in the hook is caught, and the
    /// thread goes on (the panic is reported by the panic hook, on stderr by default). Set
    /// again, the later hook replaces the earlier one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let runtime = goro::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         counter.fetch_add(1, SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(runtime.spawn_blocking(|| {})).unwrap();
    /// drop(runtime);
    /// // Two workers, the monitor and one blocking thread.
    /// assert_eq!(started.load(SeqCst), 4);
    /// ```
    pub fn on_thread_start(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_start = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on every thread the runtime started (see [`Builder::on_thread_start`])
    /// when the thread is done, just before it ends: a worker at shutdown or once another
    /// thread took its place, a blocking thread when it was idle too long or at shutdown.
    /// Dropping the runtime waits for its threads, so by then every stop hook has run, one
    /// per start hook. A panic in the hook is caught.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    ///
    /// let (started, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// let (on_start, on_stop) = (started.clone(), stopped.clone());
    /// let runtime = goro::Builder::new()
    ///     .on_thread_start(move || {
    ///         on_start.fetch_add(1, SeqCst);
    ///     })
    ///     .on_thread_stop(move || {
    ///         on_stop.fetch_add(1, SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {});
    /// drop(runtime);
    /// assert_eq!(started.load(SeqCst), stopped.load(SeqCst));
    /// ```
    pub fn on_thread_stop(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_stop = Some(Arc::new(hook));
        self
    }

    /// Starts the runtime: the reactor, the worker threads (none for a current-thread
    /// runtime) and the monitor.
    ///
    /// # Errors
    /// If `GORO_WORKERS` is set but is not a number from 1 to 4096, if the OS refuses the
    /// reactor's file descriptors, or if it cannot start a thread: the error then names the
    /// thread and keeps the OS error's kind, and the threads started so far are stopped and
    /// joined.
    ///
    /// ```
    /// let runtime = goro::Builder::new().worker_threads(2).build().unwrap();
    /// assert_eq!(runtime.handle().worker_threads(), 2);
    /// ```
    pub fn build(&self) -> io::Result<Runtime> {
        // A current-thread runtime has one worker slot, driven by `block_on` callers.
        let (workers, threads_to_start) = match self.flavor {
            RuntimeFlavor::CurrentThread => (1, 0),
            RuntimeFlavor::MultiThread => {
                let workers = self.resolve_workers()?;
                (workers, workers)
            }
        };
        let (driver, reactor) = reactor::Handle::for_workers(workers)?;
        // Every runtime has the monitor's gate and turns, for `block_in_place`'s hand-offs;
        // without a threshold its thread does not start, and the threshold is never read.
        let threshold = self.blocking_threshold.unwrap_or(Duration::MAX);
        let monitor = Some(Monitor::new(threshold, self.on_blocked_worker.clone()));
        let panics = self.on_unhandled_panic;
        let scheduler = match self.flavor {
            RuntimeFlavor::CurrentThread => {
                Shared::new_current_thread(driver, reactor, panics, monitor)
            }
            RuntimeFlavor::MultiThread => Shared::new(workers, driver, reactor, panics, monitor),
        };
        let blocking = BlockingPool::new(
            scheduler.clone(),
            self.max_blocking_threads,
            self.blocking_keep_alive,
        );
        let threads = ThreadStarter {
            name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            on_start: self.on_thread_start.clone(),
            on_stop: self.on_thread_stop.clone(),
        };
        let handle = Handle {
            scheduler,
            blocking: blocking.spawner(),
            threads: Arc::new(threads),
        };
        let mut runtime = Runtime::new_parts(handle.clone(), blocking);
        for index in 0..threads_to_start {
            // On an error, dropping the runtime stops and joins the workers started so far.
            let thread = start_worker(&handle, index, 0).map_err(|err| {
                let which = format!("worker thread {} of {workers}", index + 1);
                could_not_start(&which, &handle.threads.thread_name(&index.to_string()), err)
            })?;
            handle.scheduler.add_thread(thread);
        }
        if self.blocking_threshold.is_some() {
            let monitor_handle = handle.clone();
            let thread = handle
                .threads
                .spawn(&handle, "monitor", move || {
                    let scheduler = monitor_handle.scheduler.clone();
                    scheduler::run_monitor(scheduler, |index, epoch| {
                        start_worker(&monitor_handle, index, epoch)
                    });
                })
                .map_err(|err| {
                    could_not_start(
                        "monitor thread",
                        &handle.threads.thread_name("monitor"),
                        err,
                    )
                })?;
            runtime.set_monitor(thread);
        }
        Ok(runtime)
    }

    fn resolve_workers(&self) -> io::Result<usize> {
        if let Some(n) = self.worker_threads {
            return Ok(n);
        }
        match std::env::var("GORO_WORKERS") {
            Ok(value) => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(n),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "goro: GORO_WORKERS must be a number of worker threads from 1 to \
                         {MAX_WORKERS}, got {value:?}"
                    ),
                )),
            },
            Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        }
    }
}

/// The error of a thread that `build` could not start: it says which thread, and keeps the
/// OS error's kind.
fn could_not_start(which: &str, name: &str, err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!(
            "goro: could not start the runtime's {which} ({name}): {err}. Too many threads, or \
             too large a `thread_stack_size`?"
        ),
    )
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("on_unhandled_panic", &self.on_unhandled_panic)
            .field("blocking_threshold", &self.blocking_threshold)
            .field("on_thread_start", &self.on_thread_start.is_some())
            .field("on_thread_stop", &self.on_thread_stop.is_some())
            .finish_non_exhaustive()
    }
}
