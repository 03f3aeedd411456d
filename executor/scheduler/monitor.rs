//! The monitor (Go's sysmon): one thread per runtime that notices a worker stuck inside one
//! poll, and keeps the runtime moving without it.
//!
//! ## Detecting
//! Each worker counts polls started (`polls`) and finished (`polls_done`). Every tick
//! (a quarter of the threshold, between 1 and 25 ms) the monitor samples both: a worker whose
//! counts differ is inside a poll; if `polls` has not moved since the monitor first saw it
//! there, and that was `threshold` ago, the worker is stuck (a blocking call, a long
//! computation). The hot path pays two stores per poll, to counters of its own.
//!
//! A poll that keeps scheduling tasks (a loop that spawns a million tasks, say) is not
//! stuck: it feeds the other workers, which steal what it queues. Each worker also counts
//! the tasks it schedules (`scheduled`, one more store per spawn or wake), and a change of
//! that count restarts the clock as a new poll would.
//!
//! ## Handing off (Go's handoff of a P)
//! 1. Bump the slot's `epoch`: the worker's place now belongs to a new owner.
//! 2. Move the slot's `next` task and queue to the injector, and wake a parked worker, so
//!    the tasks queued behind the blocker run elsewhere at once.
//! 3. Start a fresh thread on the slot with the new epoch: the runtime keeps its full
//!    parallelism, and the slot's parker and queue serve the new thread.
//! 4. The stuck thread, when its poll returns, sees the epoch moved and retires (its thread
//!    ends; shutdown joins it like any worker). If its poll ended just before the bump, it
//!    may already be on its way to park on the slot's parker: the hand-off wakes every
//!    thread parked there, and a woken thread checks the epoch before anything else.
//! 5. Report once per spawn location: `Builder::on_blocked_worker`'s callback, or one line on
//!    stderr.
//!
//! ## Sleeping
//! While every worker is parked, nothing can be stuck: the monitor sleeps on its condition
//! variable until a worker wakes (`Monitor::wake`, one load on the unpark path) or shutdown.
//! The monitor says it sleeps (`asleep`), then reads the idle counts; a waking worker
//! updates the counts, then reads `asleep`. Both `SeqCst`, in that order, so either the
//! monitor sees the worker awake or the worker sees the monitor asleep and notifies it.

use super::{Shared, counters};
use crate::loom::{Arc, Condvar, Mutex, lock};
use crate::task::{self, Id};
use std::collections::HashSet;
use std::fmt;
use std::io;
use std::panic::Location;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
}

impl fmt::Display for BlockedWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.task, self.location) {
            (Some(id), Some(location)) => write!(f, "task {id} spawned at {location}")?,
            _ => f.write_str("a task")?,
        }
        write!(
            f,
            " blocked worker {} for {:?} inside one poll; its queued tasks moved to other \
             workers and a new thread took its place. Move blocking calls into \
             goro::spawn_blocking",
            self.worker, self.blocked_for
        )
    }
}

/// The callback of `Builder::on_blocked_worker`.
pub(crate) type OnBlocked = std::sync::Arc<dyn Fn(&BlockedWorker) + Send + Sync>;

/// The monitor's settings and its sleeping place.
pub(crate) struct Monitor {
    threshold: Duration,
    on_blocked: Option<OnBlocked>,
    asleep: AtomicBool,
    sleep: Mutex<()>,
    wake: Condvar,
}

impl Monitor {
    pub(crate) fn new(threshold: Duration, on_blocked: Option<OnBlocked>) -> Monitor {
        Monitor {
            threshold,
            on_blocked,
            asleep: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// A worker woke up: wake the monitor if it sleeps. `SeqCst`: pairs with the monitor's
    /// store of `asleep` and its re-read of the idle counts (see the module doc).
    pub(crate) fn wake(&self) {
        if self.asleep.load(SeqCst) {
            drop(lock(&self.sleep));
            self.wake.notify_one();
        }
    }

    /// Shutdown: wake the monitor so it sees the flag.
    pub(crate) fn wake_for_shutdown(&self) {
        drop(lock(&self.sleep));
        self.wake.notify_one();
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

/// Where the monitor last saw a worker inside a poll.
#[derive(Clone, Copy)]
struct Seen {
    polls: u64,
    scheduled: u64,
    since: Instant,
}

/// The monitor thread's loop. `start_worker(index, epoch)` starts a replacement worker.
pub(crate) fn run_monitor(
    shared: Arc<Shared>,
    start_worker: impl Fn(usize, u64) -> io::Result<JoinHandle<()>>,
) {
    let Some(monitor) = shared.monitor.as_ref() else {
        return;
    };
    let tick = (monitor.threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(25));
    let mut seen: Vec<Option<Seen>> = vec![None; shared.workers.len()];
    let mut reported: HashSet<&'static Location<'static>> = HashSet::new();
    while !shared.is_shutdown() {
        sleep(&shared, monitor, tick);
        task::refresh_clock();
        for (index, remote) in shared.workers.iter().enumerate() {
            let polls = counters::read(&remote.counters.polls);
            let scheduled = counters::read(&remote.counters.scheduled);
            let in_poll = polls != counters::read(&remote.counters.polls_done);
            seen[index] = match seen[index] {
                _ if !in_poll => None,
                Some(s) if s.polls == polls && s.scheduled == scheduled => {
                    if s.since.elapsed() < monitor.threshold {
                        Some(s)
                    } else {
                        let event = BlockedWorker {
                            worker: index,
                            task: remote.running.get().map(|(id, _)| id),
                            location: remote.running.get().map(|(_, at)| at),
                            blocked_for: s.since.elapsed(),
                        };
                        hand_off(&shared, index, &start_worker);
                        report(monitor, &event, &mut reported);
                        None
                    }
                }
                _ => Some(Seen {
                    polls,
                    scheduled,
                    since: Instant::now(),
                }),
            };
        }
    }
}

/// Waits one tick, or, while every worker is parked, until a worker wakes.
fn sleep(shared: &Shared, monitor: &Monitor, tick: Duration) {
    let guard = lock(&monitor.sleep);
    monitor.asleep.store(true, SeqCst);
    let idle = shared.idle.counts().0 == 0;
    let guard = if idle && !shared.is_shutdown() {
        monitor.wake.wait(guard).unwrap_or_else(|e| e.into_inner())
    } else {
        guard
    };
    monitor.asleep.store(false, SeqCst);
    drop(guard);
    if !idle {
        let guard = lock(&monitor.sleep);
        let _ = monitor.wake.wait_timeout(guard, tick);
    }
}

/// Steps 1 to 3 of the hand-off (module doc).
fn hand_off(
    shared: &Shared,
    index: usize,
    start_worker: &impl Fn(usize, u64) -> io::Result<JoinHandle<()>>,
) {
    let remote = &shared.workers[index];
    // `SeqCst`: before the `unpark_all` below, against a parking thread (see `park.rs`).
    let epoch = remote.epoch.fetch_add(1, SeqCst) + 1;
    let mut moved = shared.injector.batcher();
    if let Some(task) = remote.next.take() {
        moved.push(task);
    }
    while let Some(task) = remote.queue.pop() {
        moved.push(task);
    }
    drop(moved);
    shared.blocked_events.fetch_add(1, Relaxed);
    match start_worker(index, epoch) {
        Ok(thread) => lock(&shared.threads).push(thread),
        Err(err) => eprintln!("goro: the monitor could not start a replacement worker: {err}"),
    }
    // The stuck thread may have finished its poll just now and be parking on the slot's
    // parker (it checked the epoch before the bump): wake it so that it sees the bump and
    // retires, rather than sleep beside the new owner.
    remote.parker.unpark_all(&shared.reactor);
    shared.notify_parked();
}

/// Step 5 (module doc).
fn report(
    monitor: &Monitor,
    event: &BlockedWorker,
    reported: &mut HashSet<&'static Location<'static>>,
) {
    if let Some(location) = event.location {
        if !reported.insert(location) {
            return;
        }
    }
    match &monitor.on_blocked {
        Some(callback) => {
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(event)));
            if called.is_err() {
                eprintln!("goro: the on_blocked_worker callback panicked");
            }
        }
        None => eprintln!("goro: {event}"),
    }
}
