//! What the monitor tells about a worker stuck in one poll: the public `BlockedWorker` and
//! `ThreadActivity`, their wording, and where a report goes (the callback, or stderr).
//!
//! The advice follows what the thread was doing, as the OS accounts for it
//! (`os_thread.rs`), not a guess: a thread asleep in the kernel made a blocking call, which
//! belongs in `spawn_blocking` (tokio and Go alike hand such calls to other threads); a
//! thread that ran on a CPU is computing or looping without ever returning `Pending` (a
//! loop over a channel that always has a message, say), and the first cure is to yield now
//! and then, as tokio's docs advise for long loops; `spawn_blocking` is for a computation
//! too long to cut up.

use super::Monitor;
use crate::task::Id;
use std::collections::HashSet;
use std::fmt;
use std::io;
use std::panic::Location;
use std::time::Duration;

/// What the monitor reports about a worker that was stuck in one poll.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let runtime = goro::Builder::new()
///     .worker_threads(1)
///     .blocking_threshold(Some(Duration::from_millis(50)))
///     .on_blocked_worker(move |event: &goro::BlockedWorker| {
///         sink.lock().unwrap().push(event.clone());
///     })
///     .build()
///     .unwrap();
/// runtime.block_on(async {
///     goro::spawn(async { std::thread::sleep(Duration::from_millis(300)) }).await.unwrap();
/// });
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen.len(), 1);
/// assert!(seen[0].blocked_for >= Duration::from_millis(50));
/// // A new thread took the worker's place (unless the OS refused one).
/// assert!(seen[0].replaced);
/// // On Linux the monitor saw the thread asleep in the kernel: a blocking call.
/// if cfg!(target_os = "linux") {
///     assert!(matches!(seen[0].activity, goro::ThreadActivity::Blocking { .. }));
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BlockedWorker {
    /// The worker's index.
    pub worker: usize,
    /// The task that blocked it, if known.
    pub task: Option<Id>,
    /// Where that task was spawned, if known.
    pub location: Option<&'static Location<'static>>,
    /// How long it had been inside the one poll when the monitor acted.
    pub blocked_for: Duration,
    /// What the worker's thread was doing meanwhile, as the OS accounts for it.
    pub activity: ThreadActivity,
    /// True if a new thread took the worker's place. False if the OS refused to start one
    /// (thread or memory limits): the stuck thread then keeps its place and goes on as the
    /// worker once its poll returns, the runtime runs one worker short until then, and the
    /// monitor tries again now and then (with growing pauses), without another report.
    /// Always false on a current-thread runtime (see `on_current_thread`).
    pub replaced: bool,
    /// True if the runtime is a current-thread one ([`Builder::new_current_thread`]): the
    /// stuck thread is the one that calls `block_on`, which drives every task, and no other
    /// thread can take its place. Nothing was moved; every task, timer and socket of the
    /// runtime waits until the poll returns. `task` is `None` if the stuck poll was of the
    /// `block_on`'s own future, and `location` then says where `block_on` was called.
    ///
    /// [`Builder::new_current_thread`]: crate::Builder::new_current_thread
    pub on_current_thread: bool,
}

/// What a blocked worker's thread was doing during the part of the poll the monitor
/// measured (the last part: the monitor starts measuring once the poll has lasted a
/// quarter of the threshold), as the OS accounts for it.
///
/// A worker whose thread was neither on a CPU nor asleep, but waiting for a CPU (more
/// runnable threads than CPUs), is not reported at all: the task is not at fault, and a
/// new thread would wait for a CPU as well.
///
/// ```
/// use goro::ThreadActivity;
/// fn advice(activity: &ThreadActivity) -> &'static str {
///     match activity {
///         ThreadActivity::Computing { .. } => "yield now and then",
///         ThreadActivity::Blocking { .. } => "use spawn_blocking",
///         _ => "look at the task",
///     }
/// }
/// assert_eq!(advice(&ThreadActivity::Unknown), "look at the task");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadActivity {
    /// The thread ran on a CPU for `on_cpu` of the `measured` time: a long computation, or
    /// a loop that never returns `Pending` (over a channel that always has a message, say).
    Computing {
        /// CPU time the thread used while measured.
        on_cpu: Duration,
        /// How long the monitor measured.
        measured: Duration,
    },
    /// The thread was asleep in the kernel when the monitor acted, and ran on a CPU only
    /// `on_cpu` of the `measured` time: a blocking call (file or socket I/O, a lock,
    /// `std::thread::sleep`).
    Blocking {
        /// CPU time the thread used while measured.
        on_cpu: Duration,
        /// How long the monitor measured.
        measured: Duration,
    },
    /// The OS does not tell (outside Linux, or without `/proc`).
    Unknown,
}

impl fmt::Display for BlockedWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.task, self.location) {
            (Some(id), Some(location)) => write!(f, "task {id} spawned at {location}")?,
            (None, Some(location)) if self.on_current_thread => {
                write!(f, "the future of the block_on called at {location}")?
            }
            _ => f.write_str("a task")?,
        }
        let held = Millis(self.blocked_for);
        let worker = if self.on_current_thread {
            "the current-thread runtime's block_on thread".to_string()
        } else {
            format!("worker {}", self.worker)
        };
        match self.activity {
            ThreadActivity::Computing { on_cpu, measured } => write!(
                f,
                " kept worker {worker} busy for {held} inside one poll: its thread ran on a \
                 CPU for {} of the last {} (a long computation, or a loop that never returns \
                 Pending, over a channel that always has a message, say).",
                Millis(on_cpu),
                Millis(measured)
            )?,
            ThreadActivity::Blocking { on_cpu, measured } => write!(
                f,
                " blocked worker {worker} for {held} inside one poll: its thread was asleep \
                 in the kernel, on a CPU for only {} of the last {} (a blocking call: file or \
                 socket I/O, a lock, std::thread::sleep).",
                Millis(on_cpu),
                Millis(measured)
            )?,
            ThreadActivity::Unknown => {
                write!(f, " blocked worker {worker} for {held} inside one poll.")?
            }
        }
        if self.on_current_thread {
            f.write_str(
                " A current-thread runtime cannot hand its thread off to another: every task, \
                 timer and socket of the runtime waits until the poll returns.",
            )?;
        } else if self.replaced {
            f.write_str(
                " Its queued tasks moved to other workers and a new thread took its place.",
            )?;
        } else {
            f.write_str(
                " Its queued tasks moved to other workers, but no thread could be started to \
                 take its place (thread or memory limits): the runtime runs one worker short \
                 until the poll returns.",
            )?;
        }
        f.write_str(match self.activity {
            ThreadActivity::Computing { .. } => {
                " Let such a loop yield now and then (goro::yield_now().await), or move a long \
                 computation to goro::spawn_blocking."
            }
            ThreadActivity::Blocking { .. } => " Move blocking calls into goro::spawn_blocking.",
            ThreadActivity::Unknown => {
                " Move blocking calls into goro::spawn_blocking, and let long loops yield now \
                 and then (goro::yield_now().await)."
            }
        })
    }
}

/// A duration in milliseconds with one decimal: `12.3 ms`.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} ms", self.0.as_secs_f64() * 1e3)
    }
}

/// The callback of `Builder::on_blocked_worker`.
pub(crate) type OnBlocked = std::sync::Arc<dyn Fn(&BlockedWorker) + Send + Sync>;

/// Reports `event` once per spawn location: to the callback, or as one line on stderr
/// (with the OS's refusal, if no thread could take the worker's place).
pub(super) fn report(
    monitor: &Monitor,
    event: &BlockedWorker,
    refused: Option<&io::Error>,
    reported: &mut HashSet<&'static Location<'static>>,
) {
    if let Some(location) = event.location {
        if !reported.insert(location) {
            return;
        }
    }
    match (&monitor.on_blocked, refused) {
        (Some(callback), _) => {
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(event)));
            if called.is_err() {
                eprintln!("goro: the on_blocked_worker callback panicked");
            }
        }
        (None, Some(err)) => eprintln!("goro: {event} (starting a thread: {err})"),
        (None, None) => eprintln!("goro: {event}"),
    }
}
