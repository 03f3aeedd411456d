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
//! ## Asking the OS what the thread did (`os_thread.rs`)
//! Before it acts, the monitor reads the stuck thread's CPU time twice: once the poll has
//! lasted a tick, and at the threshold; and the thread's state at the second reading.
//! - Asleep in the kernel: a blocking call. Hand off, report it as `Blocking`.
//! - Runnable (or stopped) and on a CPU for at least a sixteenth of the measured time: a
//!   computation, or a loop that never returns `Pending`. Hand off, report it as
//!   `Computing`.
//! - Runnable (or stopped) with less: the OS hardly ran the thread (more runnable threads
//!   than CPUs: a thousand workers on two cores, say). The task is not at fault, and a new
//!   thread would not run sooner: no hand-off, no report; the monitor measures the poll
//!   again for another threshold. A sixteenth, because a thread that computes gets at
//!   least that share of a CPU unless more than sixteen threads compete for each CPU,
//!   while a short poll whose thread the OS put aside uses microseconds.
//! - The OS does not tell: hand off, report it as `Unknown`.
//!
//! Reading `/proc` costs some microseconds, paid only for a poll that lasted a tick.
//!
//! ## Handing off (Go's handoff of a P)
//! 1. Start a fresh thread for the slot, as its owner `epoch + 1`. It waits at the
//!    monitor's gate, touching nothing of the slot, until step 4. If the OS refuses the
//!    thread, skip to step 3: the stuck thread keeps its place (step 7).
//! 2. Take the gate's lock, and bump the slot's `epoch`: the slot now belongs to the new
//!    thread, which looks at the epoch under that lock.
//! 3. Move the slot's `next` task and queue to the injector, and wake a parked worker, so
//!    the tasks queued behind the blocker run elsewhere at once (see "The next slot during
//!    a hand-off" below).
//! 4. Count the stuck poll as finished (`polls_done = polls`), so that the slot no longer
//!    looks inside a poll, however late the new thread starts, and forget the stuck
//!    thread's OS id (the new thread writes its own); then let go of the gate's lock and
//!    wake the new thread, which runs the slot's worker loop.
//! 5. Wake every thread parked on the slot's parker: the stuck thread's poll may have ended
//!    just now, and it may be on its way to park there (it checked the epoch before the
//!    bump); woken, it checks the epoch before anything else.
//! 6. The stuck thread, when its poll returns, sees the epoch moved and retires: it stops
//!    counting polls, wakes a parked worker on its way out (it may have held the reactor
//!    last: see `park.rs`), and its thread ends. At each tick the monitor joins the retired
//!    threads that have ended (an ended thread's stack stays mapped until it is joined), and
//!    it does not sleep while some have yet to end.
//! 7. If the OS refused the thread, the report says so, and the monitor tries again while
//!    the same poll lasts, after the threshold, then after pauses that double up to a
//!    second: quietly, since the poll was reported. A later success completes steps 2 to 5.
//! 8. Report once per spawn location: `Builder::on_blocked_worker`'s callback, or one line on
//!    stderr (`report.rs`).
//!
//! ## The next slot during a hand-off
//! The stuck thread may schedule a task just as its slot changes hands: it checked the
//! epoch (`context.rs`) before the bump, and puts the task in the slot's `next` after it.
//! Nobody wakes a worker for a task put in `next` (its worker runs it next), and the slot's
//! new owner may be asleep. So after the swap that puts a task in, the scheduling thread
//! reads the epoch again, and if it moved, takes the slot's task back out for the injector
//! (`Shared::schedule_next`). Every write to `next` is a swap, and step 3's take is one too
//! (`Slot::take_by_swap`, even if the slot looks empty): of the two swaps, the later one
//! reads what the earlier one left. If the monitor's is later, it moves the task; if the
//! scheduler's is later, it acquires the monitor's swap, which follows the bump, so its
//! read of the epoch sees the bump.
//!
//! ## Keeping time
//! The monitor also keeps the coarse clock (`task::refresh_clock`) fresh while a worker is
//! awake: it wakes every half time slice (`CLOCK_TICK`) to refresh it, and watches the
//! workers at every tick as above, when one has passed. A busy worker compares that clock
//! with the start of its time slice after each poll, and turns the reactor once the slice
//! has passed (`worker.rs`, step 1); its own refreshes come only every few dozen polls,
//! which for long polls is seconds. Without the monitor (`blocking_threshold(None)`) a busy
//! worker's time slices are counted in those refreshes.
//!
//! ## Handing off on purpose (`on_purpose.rs`)
//! `block_in_place` hands the calling worker's slot to a fresh thread through the same steps
//! 1 to 6, at once rather than after the threshold. The hand-offs take turns on
//! `Monitor::hand_offs`, so that the monitor and a task never hand one slot on at once (both
//! would start an owner for the same epoch); threads retired either way are counted in
//! `Monitor::retiring` until joined. The builder makes a `Monitor` (gate, turns, count) for
//! every runtime, and starts the monitor's thread only if it has a threshold.
//!
//! ## Sleeping
//! While every worker is parked, nothing can be stuck: the monitor sleeps on its condition
//! variable until a worker wakes (`Monitor::wake`, one load on the unpark path) or shutdown,
//! unless a retired thread has yet to be joined. The monitor says it sleeps (`asleep`), then
//! reads the idle counts; a waking worker updates the counts, then reads `asleep`. Both
//! `SeqCst`, in that order, so either the monitor sees the worker awake or the worker sees
//! the monitor asleep and notifies it. A current-thread runtime's slot sleeps the same way
//! while nobody drives it (a spawn from another thread may have counted it awake meanwhile):
//! the monitor reads the core's state after the counts, and a caller that takes the core
//! stores its state (`SeqCst`) before it reads `asleep` (`current_thread.rs`).
//!
//! ## A current-thread runtime
//! Its one slot runs on a `block_on` caller's thread, which no other thread can replace:
//! the monitor reports a poll stuck there (a task's, or the future of `block_on` itself),
//! says that it cannot hand the thread off (`BlockedWorker::on_current_thread`), and waits
//! for that poll to end (`Watch::Reported`).

mod on_purpose;
mod os_thread;
mod report;

pub(crate) use os_thread::OsThread;
pub(crate) use report::OnBlocked;
pub use report::{BlockedWorker, ThreadActivity};

use super::worker::TIME_SLICE_MS;
use super::{Shared, counters};
use crate::loom::{Arc, AtomicU64, AtomicUsize, Condvar, Mutex, lock};
use crate::task;
use os_thread::{RunState, Sample};
use std::collections::HashSet;
use std::fmt;
use std::io;
use std::panic::Location;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A stuck thread that ran on a CPU for at least this fraction (one in so many) of the
/// measured time was computing; with less, and not asleep, the OS hardly ran it.
const COMPUTING_SHARE: u32 = 16;
/// The longest pause between two attempts to start a thread the OS refused (step 7).
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// How often the monitor refreshes the coarse clock while a worker is awake ("Keeping
/// time"): half a time slice, so that a busy worker sees its slice end at most that late.
const CLOCK_TICK: Duration = Duration::from_millis(TIME_SLICE_MS as u64 / 2);

/// The monitor's settings, its sleeping place, and the gate where a new worker thread waits
/// for its slot.
pub(crate) struct Monitor {
    threshold: Duration,
    on_blocked: Option<OnBlocked>,
    asleep: AtomicBool,
    sleep: Mutex<()>,
    wake: Condvar,
    gate: Mutex<()>,
    gate_opened: Condvar,
    /// Held for the whole of each hand-off ("Handing off on purpose").
    pub(super) hand_offs: Mutex<()>,
    /// Threads retired by hand-offs and not joined yet (step 6). `Relaxed`: a count whose
    /// changes come with the thread list's lock; a stale read only costs the monitor one
    /// tick of sleep, or one look at the list for nothing.
    retiring: AtomicUsize,
}

impl Monitor {
    pub(crate) fn new(threshold: Duration, on_blocked: Option<OnBlocked>) -> Monitor {
        Monitor {
            threshold,
            on_blocked,
            asleep: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
            gate: Mutex::new(()),
            gate_opened: Condvar::new(),
            hand_offs: Mutex::new(()),
            retiring: AtomicUsize::new(0),
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

    /// A new worker thread, owner `epoch` of a slot whose epoch is `slot_epoch`, waits here
    /// until the hand-off gives it the slot (step 1 of the module doc). The hand-off holds
    /// the gate's lock from the bump to the settled counts (steps 2 to 4), and the check
    /// happens under it: a thread that sees the bump sees the rest, and one that does not
    /// yet waits for `gate_opened`, which the hand-off notifies once it lets go.
    pub(crate) fn wait_for_slot(&self, slot_epoch: &AtomicU64, epoch: u64) {
        let mut gate = lock(&self.gate);
        // `Relaxed`: the lock orders it.
        while slot_epoch.load(Relaxed) < epoch {
            gate = self
                .gate_opened
                .wait(gate)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

/// What the monitor knows of one worker.
#[derive(Clone, Copy)]
enum Watch {
    /// Not inside a poll when last sampled.
    Idle,
    /// Inside the poll that made its `polls` count this, with `scheduled` tasks scheduled,
    /// since (at least) `since`. The threshold counts from `window`, when the monitor began
    /// to measure; `baseline` is the thread's CPU time read a tick into the window.
    InPoll {
        polls: u64,
        scheduled: u64,
        since: Instant,
        window: Instant,
        baseline: Baseline,
    },
    /// Reported stuck, but the OS refused the thread to take its place: the monitor tries
    /// again at `retry`, and waits `pause` after that (step 7).
    Unreplaced {
        polls: u64,
        retry: Instant,
        pause: Duration,
    },
    /// Reported stuck in the poll that made its `polls` count this, on a current-thread
    /// runtime, whose slot no other thread can take: nothing more to do until it ends.
    Reported { polls: u64 },
}

/// The first of the two readings of a stuck thread's CPU time.
#[derive(Clone, Copy)]
enum Baseline {
    /// Not read yet: at the next tick.
    Due,
    /// Read (`None`: the OS does not tell).
    Read(Option<Sample>),
}

/// The monitor thread's state.
struct Watcher<'a, F> {
    shared: &'a Shared,
    monitor: &'a Monitor,
    start_worker: F,
    watches: Vec<Watch>,
    reported: HashSet<&'static Location<'static>>,
}

/// The monitor thread's loop. `start_worker(index, epoch)` starts a thread that runs worker
/// `index` as owner `epoch` (it waits at the gate first: `Monitor::wait_for_slot`).
pub(crate) fn run_monitor(
    shared: Arc<Shared>,
    start_worker: impl Fn(usize, u64) -> io::Result<JoinHandle<()>>,
) {
    let Some(monitor) = shared.monitor.as_ref() else {
        return;
    };
    let tick = (monitor.threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(25));
    let mut watcher = Watcher {
        shared: &shared,
        monitor,
        start_worker,
        watches: vec![Watch::Idle; shared.workers.len()],
        reported: HashSet::new(),
    };
    let mut next_look = Instant::now();
    while !shared.is_shutdown() {
        sleep(
            &shared,
            monitor,
            tick.min(CLOCK_TICK),
            monitor.retiring.load(Relaxed) == 0,
        );
        task::refresh_clock();
        let now = Instant::now();
        if now < next_look {
            continue;
        }
        next_look = now + tick;
        join_retired(&shared, monitor);
        for index in 0..shared.workers.len() {
            watcher.watches[index] = watcher.look(index, watcher.watches[index]);
        }
    }
}

impl<F: Fn(usize, u64) -> io::Result<JoinHandle<()>>> Watcher<'_, F> {
    /// Samples worker `index`, acts if it is stuck, and returns what to remember of it.
    fn look(&mut self, index: usize, watch: Watch) -> Watch {
        let remote = &self.shared.workers[index];
        let polls = counters::read(&remote.counters.polls);
        let scheduled = counters::read(&remote.counters.scheduled);
        if polls == counters::read(&remote.counters.polls_done) {
            return Watch::Idle;
        }
        let thread = OsThread::from_raw(remote.os_thread.load(Relaxed));
        let now = Instant::now();
        match watch {
            Watch::Reported { polls: p } if p == polls => watch,
            Watch::Unreplaced {
                polls: p,
                retry,
                pause,
            } if p == polls => {
                if now < retry {
                    return watch;
                }
                match self.hand_off(index) {
                    Ok(()) => Watch::Idle,
                    Err(_) => Watch::Unreplaced {
                        polls,
                        retry: now + pause,
                        pause: (pause * 2).min(MAX_RETRY_PAUSE),
                    },
                }
            }
            Watch::InPoll {
                polls: p,
                scheduled: s,
                since,
                window,
                baseline,
            } if p == polls && s == scheduled => {
                let sample = || thread.and_then(OsThread::sample);
                let Baseline::Read(baseline) = baseline else {
                    // A measurement needs two readings: the first one now.
                    return Watch::InPoll {
                        polls,
                        scheduled,
                        since,
                        window,
                        baseline: Baseline::Read(sample()),
                    };
                };
                if window.elapsed() < self.monitor.threshold {
                    return watch;
                }
                let now_sample = sample();
                let Some(activity) = judge(baseline, now_sample) else {
                    // The OS hardly ran the thread: measure anew.
                    return Watch::InPoll {
                        polls,
                        scheduled,
                        since,
                        window: now,
                        baseline: Baseline::Read(now_sample),
                    };
                };
                self.blocked(index, since.elapsed(), activity, polls, now)
            }
            _ => Watch::InPoll {
                polls,
                scheduled,
                since: now,
                window: now,
                baseline: Baseline::Due,
            },
        }
    }

    /// Worker `index` is stuck in the poll that made its count `polls`: hand it off and
    /// report it (steps 1 to 8).
    fn blocked(
        &mut self,
        index: usize,
        blocked_for: Duration,
        activity: ThreadActivity,
        polls: u64,
        now: Instant,
    ) -> Watch {
        let running = self.shared.workers[index].running.get();
        let on_current_thread = self.shared.is_current_thread();
        let mut event = BlockedWorker {
            worker: index,
            task: running.and_then(|(id, _)| id),
            location: running.map(|(_, at)| at),
            blocked_for,
            activity,
            replaced: false,
            on_current_thread,
        };
        if on_current_thread {
            // The slot's thread is a `block_on` caller's: nobody can take its place
            // (`current_thread.rs`, "The monitor"). Report it, and wait for the poll to end.
            self.count_blocked_event();
            report::report(self.monitor, &event, None, &mut self.reported);
            return Watch::Reported { polls };
        }
        let outcome = self.hand_off(index);
        event.replaced = outcome.is_ok();
        report::report(
            self.monitor,
            &event,
            outcome.as_ref().err(),
            &mut self.reported,
        );
        match outcome {
            Ok(()) => Watch::Idle,
            Err(_) => Watch::Unreplaced {
                polls,
                retry: now + self.monitor.threshold,
                pause: (self.monitor.threshold * 2).min(MAX_RETRY_PAUSE),
            },
        }
    }

    /// Counts a stuck poll the monitor acted on, for `RuntimeMetrics::blocked_worker_events`.
    fn count_blocked_event(&self) {
        // `Relaxed`: a statistic, read by `metrics` alone.
        self.shared.blocked_events.fetch_add(1, Relaxed);
    }

    /// Hands worker `index`'s slot to a new thread, kept for shutdown.
    fn hand_off(&mut self, index: usize) -> io::Result<()> {
        let _turn = lock(&self.monitor.hand_offs);
        let thread = hand_off(self.shared, self.monitor, index, |epoch| {
            (self.start_worker)(index, epoch)
        })?;
        keep_thread(self.shared, self.monitor, thread);
        self.count_blocked_event();
        Ok(())
    }
}

/// What the stuck poll's thread did between the `baseline` reading and `now`; `None` if the
/// OS hardly ran it (see the module doc).
fn judge(baseline: Option<Sample>, now: Option<Sample>) -> Option<ThreadActivity> {
    let (Some(baseline), Some(now)) = (baseline, now) else {
        return Some(ThreadActivity::Unknown);
    };
    let measured = now.at.saturating_duration_since(baseline.at);
    let on_cpu = now.on_cpu.saturating_sub(baseline.on_cpu).min(measured);
    match now.state {
        RunState::Asleep => Some(ThreadActivity::Blocking { on_cpu, measured }),
        _ if on_cpu * COMPUTING_SHARE >= measured => {
            Some(ThreadActivity::Computing { on_cpu, measured })
        }
        _ => None,
    }
}

/// Waits one tick, or, while every worker is parked or nobody drives a current-thread
/// runtime (and `may_wait`), until a worker wakes.
fn sleep(shared: &Shared, monitor: &Monitor, tick: Duration, may_wait: bool) {
    let guard = lock(&monitor.sleep);
    monitor.asleep.store(true, SeqCst);
    // The counts first: a current-thread runtime's core holder updates them before it reads
    // `asleep` (see `Shared::try_take_core`).
    let idle = may_wait && (shared.idle.counts().0 == 0 || shared.core_is_idle());
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

/// Steps 1 to 5 of the hand-off (module doc): `start(epoch)` starts the thread that is to own
/// worker `index`'s slot as owner `epoch`. Returns what `start` returned: on an error the
/// slot stays with its thread, and only its queued tasks move.
pub(super) fn hand_off<T>(
    shared: &Shared,
    monitor: &Monitor,
    index: usize,
    start: impl FnOnce(u64) -> io::Result<T>,
) -> io::Result<T> {
    let remote = &shared.workers[index];
    // `Relaxed`: only the monitor writes the epoch.
    let epoch = remote.epoch.load(Relaxed) + 1;
    let started = start(epoch);
    let gate = started.is_ok().then(|| lock(&monitor.gate));
    if gate.is_some() {
        // `SeqCst`: before the `unpark_all` below, against a parking thread (`park.rs`).
        remote.epoch.store(epoch, SeqCst);
    }
    let mut moved = shared.injector.batcher();
    if let Some(task) = remote.next.take_by_swap() {
        moved.push(task);
    }
    while let Some(task) = remote.queue.pop() {
        moved.push(task);
    }
    drop(moved);
    if let Some(gate) = gate {
        let counters = &remote.counters;
        let unfinished = counters::read(&counters.polls) - counters::read(&counters.polls_done);
        counters::bump(&counters.polls_done, unfinished);
        // The new thread writes its own id; until then the monitor knows none.
        remote.os_thread.store(0, Relaxed);
        drop(gate);
        monitor.gate_opened.notify_all();
        remote.parker.unpark_all(&shared.reactor);
    }
    shared.notify_parked();
    started
}

/// Keeps the new owner of a slot that a hand-off started, for shutdown, and counts the
/// thread it retired (step 6).
fn keep_thread(shared: &Shared, monitor: &Monitor, thread: JoinHandle<()>) {
    let mut threads = lock(&shared.threads);
    threads.push(thread);
    monitor.retiring.fetch_add(1, Relaxed);
}

/// Joins the worker threads that have ended, if a hand-off retired some. Before shutdown
/// only a thread that lost its slot ends.
fn join_retired(shared: &Shared, monitor: &Monitor) {
    if monitor.retiring.load(Relaxed) == 0 {
        return;
    }
    let mut ended = Vec::new();
    {
        let mut threads = lock(&shared.threads);
        let mut i = 0;
        while i < threads.len() {
            if threads[i].is_finished() {
                ended.push(threads.swap_remove(i));
            } else {
                i += 1;
            }
        }
        // Under the lock, as `keep_thread`'s increment: the count never drops below zero.
        let joined = ended.len().min(monitor.retiring.load(Relaxed));
        monitor.retiring.fetch_sub(joined, Relaxed);
    }
    for thread in ended {
        // A worker's loop does not panic (task panics are caught around each poll).
        let _ = thread.join();
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
