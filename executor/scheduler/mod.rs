//! The scheduler: worker threads with local queues, a global injector, work stealing, and
//! idle workers parked in the reactor. Its shape is Go's (`runtime/proc.go`): a worker here
//! is Go's P with its M, a task is a G.
//!
//! ## Where a runnable task waits
//! - Each worker's `next` slot (Go's `runnext`): the task the worker just spawned or woke.
//!   It runs next, so a message and its answer stay hot on one core. A worker runs at most
//!   `MAX_NEXT_STREAK` tasks in a row from it before giving its queue a turn, so two tasks
//!   that wake each other cannot starve the queue. Any thread may take the task out of it
//!   (stealers, as a last resort; the monitor).
//! - Each worker's local queue (`queue.rs`: a ring of 256 slots, FIFO, that its worker
//!   pushes to and other workers steal half of in one go). When it is full, its older half
//!   moves to the injector in one go.
//! - The injector (`injector.rs`: a `SegQueue` of batches): tasks from outside the runtime,
//!   one at a time, and queue overflow, in batches of 64.
//!
//! ## Finding work (`worker.rs`)
//! Every `FAIRNESS_INTERVAL`th tick, and once a time slice (10 ms on the coarse clock) has
//! passed since the worker last turned the reactor, the reactor without blocking and a batch
//! from the injector first (so that timers, sockets and the injector cannot starve behind
//! local work, however long its polls); then `next`, the local queue, a batch from the
//! injector, the reactor without blocking if its last turn on this worker woke tasks (at
//! most three times in a row), half of a random victim's queue, the victims' `next` slots,
//! then the reactor without blocking; then park. The monitor keeps the coarse clock fresh
//! while workers run (`monitor.rs`).
//!
//! ## Waking (`idle.rs`, `park.rs`)
//! New work wakes one parked worker only if nobody is searching; at most half the workers
//! search at once. Work the pushing worker runs next itself (its `next` slot, a task that
//! yielded with nothing else queued) wakes nobody. One parked worker blocks in the reactor,
//! the rest on condition variables.
//!
//! ## Shutdown (`shutdown.rs`) and retiring finished tasks (`retire.rs`)
//! Each in a file of its own; `registry.rs` is the table of live tasks, `slot.rs` the `next`
//! slot, `running.rs` what the monitor reads of the task being polled.
//!
//! ## The current-thread flavour (`current_thread.rs`)
//! One worker slot and no worker thread: the thread inside `block_on` takes the slot's core
//! and runs the same worker loop, one step at a time between polls of its own future.

mod context;
mod counters;
mod current_thread;
mod idle;
mod injector;
#[cfg(all(test, loom))]
mod loom_model;
mod monitor;
mod park;
mod paused_clock;
mod queue;
pub(crate) mod registry;
mod retire;
mod running;
mod shutdown;
mod slot;
mod worker;

pub(crate) use context::{is_worker_thread, worker_index};
pub(crate) use current_thread::Core;
pub use monitor::{BlockedWorker, ThreadActivity};
pub(crate) use monitor::{Monitor, OnBlocked, run_monitor};
pub(crate) use worker::run_worker;

use crate::RuntimeMetrics;
use crate::loom::{Arc, AtomicBool, AtomicU64, Mutex, lock};
use crate::reactor;
use crate::task::{self, Id, JoinHandle, Notified, Schedule, Task, TaskInfo};
use context::Place;
use counters::Counters;
use crossbeam_utils::CachePadded;
use current_thread::CoreCell;
use idle::Idle;
use injector::Injector;
use park::Parker;
use queue::LocalQueue;
use registry::{Registry, Retired};
use retire::RETIRE_BATCH;
use running::RunningCell;
use slot::Slot;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::task::Waker;

/// What the runtime does when a task whose `JoinHandle` was dropped panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Nothing: the panic is caught, the payload dropped, and the runtime goes on (default).
    #[default]
    Ignore,
    /// Shut the runtime down: workers stop, `block_on` panics, spawns are cancelled at once,
    /// and the runtime's drop cancels what is left. For tests and services that must not run
    /// on after a bug.
    ShutdownRuntime,
}

/// The scheduler's shared state; every task holds an `Arc` of it.
pub(crate) struct Shared {
    workers: Box<[CachePadded<Remote>]>,
    injector: Injector<Notified<Arc<Shared>>>,
    idle: Idle,
    registry: Registry<Arc<Shared>>,
    driver: Mutex<reactor::Driver>,
    reactor: reactor::Handle,
    shutdown: AtomicBool,
    /// Set by `close`: the queues are being (or were) dropped; see `push_remote`.
    closed: AtomicBool,
    on_unhandled_panic: UnhandledPanic,
    panicked: AtomicBool,
    shutdown_waiters: Mutex<Vec<Waker>>,
    monitor: Option<Monitor>,
    /// Every worker thread started, replacements included; joined at shutdown.
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
    blocked_events: AtomicU64,
    /// A current-thread runtime's core (`current_thread.rs`); `None` on a multi-thread one.
    core: Option<Box<CoreCell>>,
}

/// What other threads may touch of one worker.
struct Remote {
    queue: LocalQueue<Notified<Arc<Shared>>>,
    next: Slot<Arc<Shared>>,
    parker: Parker,
    counters: Counters,
    /// The task being polled, for the monitor's report.
    running: RunningCell,
    /// Which thread owns the slot: bumped by the monitor when it hands the slot to a new
    /// thread; the old thread retires when it sees the change.
    epoch: AtomicU64,
    /// The OS id of the thread that owns the slot (`monitor::OsThread`, 0 if unknown), for
    /// the monitor's look at its CPU time. Written by the owner when it starts.
    os_thread: AtomicU64,
    /// Tasks that finished on this worker, whose registry entries wait to be removed in one
    /// batch (see the registry's module doc). Only the worker's thread uses it, and
    /// `metrics`; the lock is never contended on the hot path.
    retired: Mutex<Vec<Retired>>,
}

impl Shared {
    /// A scheduler for `workers` worker threads, parking in `driver`.
    pub(crate) fn new(
        workers: usize,
        driver: reactor::Driver,
        reactor: reactor::Handle,
        on_unhandled_panic: UnhandledPanic,
        monitor: Option<Monitor>,
    ) -> Arc<Shared> {
        Shared::with_core(workers, None, driver, reactor, on_unhandled_panic, monitor)
    }

    /// A current-thread runtime's scheduler: one slot, driven by `block_on` callers
    /// (`current_thread.rs`).
    pub(crate) fn new_current_thread(
        driver: reactor::Driver,
        reactor: reactor::Handle,
        on_unhandled_panic: UnhandledPanic,
        monitor: Option<Monitor>,
    ) -> Arc<Shared> {
        let core = Some(Box::new(CoreCell::new()));
        let shared = Shared::with_core(1, core, driver, reactor, on_unhandled_panic, monitor);
        shared.start_current_thread();
        shared
    }

    fn with_core(
        workers: usize,
        core: Option<Box<CoreCell>>,
        driver: reactor::Driver,
        reactor: reactor::Handle,
        on_unhandled_panic: UnhandledPanic,
        monitor: Option<Monitor>,
    ) -> Arc<Shared> {
        let remotes = (0..workers)
            .map(|_| {
                CachePadded::new(Remote {
                    queue: LocalQueue::new(),
                    next: Slot::new(),
                    parker: Parker::new(),
                    counters: Counters::default(),
                    running: RunningCell::new(),
                    epoch: AtomicU64::new(0),
                    os_thread: AtomicU64::new(0),
                    retired: Mutex::new(Vec::with_capacity(RETIRE_BATCH)),
                })
            })
            .collect();
        Arc::new(Shared {
            workers: remotes,
            injector: Injector::new(),
            idle: Idle::new(workers),
            // One shard per worker and as many again for spawns from other threads.
            registry: Registry::new(workers * 2, workers),
            driver: Mutex::new(driver),
            reactor,
            shutdown: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            on_unhandled_panic,
            panicked: AtomicBool::new(false),
            shutdown_waiters: Mutex::new(Vec::new()),
            monitor,
            threads: Mutex::new(Vec::new()),
            blocked_events: AtomicU64::new(0),
            core,
        })
    }

    /// Spawns `future` as a new task. Once shutdown began, the task is cancelled at once (its
    /// future dropped here): no worker would run it, and its `JoinHandle` must not wait for
    /// the runtime's drop (a runtime that `UnhandledPanic::ShutdownRuntime` stopped may live
    /// on for long). A spawn that races with the start of shutdown binds the task, which the
    /// shutdown then cancels with the others.
    pub(crate) fn spawn<F>(
        this: &Arc<Shared>,
        future: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = Id::next();
        let (task, notified, join) = task::new(future, this.clone(), id, location);
        if this.is_shutdown() {
            drop(notified);
            task.shutdown();
            return join;
        }
        let place = context::worker_place(this);
        let shard = this.registry_shard(place.map(|place| place.index), id);
        if let Some(notified) = this.registry.bind(task, notified, shard) {
            this.schedule_from(place, notified);
        }
        join
    }

    pub(crate) fn reactor(&self) -> &reactor::Handle {
        &self.reactor
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// True once shutdown began. `Acquire` pairs with `begin_shutdown`'s `Release`.
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// True if the runtime shut down because of an unhandled panic.
    pub(crate) fn shut_down_by_panic(&self) -> bool {
        self.panicked.load(Acquire)
    }

    /// True if the current thread runs one of this runtime's workers, or did until the
    /// monitor gave its slot to another thread: it is inside one of the runtime's tasks
    /// either way (its stuck poll), and must not shut the runtime down and wait for itself.
    pub(crate) fn is_own_worker_thread(&self) -> bool {
        context::runs_worker_of(self)
    }

    /// Every live task.
    pub(crate) fn dump(&self) -> Vec<TaskInfo> {
        self.registry.dump()
    }

    /// Fills in the scheduler's part of `metrics`.
    pub(crate) fn metrics(&self, metrics: &mut RuntimeMetrics) {
        let (live, spawned) = self.registry.counts();
        let finished: usize = self.workers.iter().map(|r| lock(&r.retired).len()).sum();
        metrics.workers = self.workers.len();
        metrics.live_tasks = live.saturating_sub(finished);
        metrics.spawned_tasks = spawned;
        metrics.global_queue_depth = self.injector.len();
        for remote in self.workers.iter() {
            let c = &remote.counters;
            metrics.polls += counters::read(&c.polls);
            metrics.steals += counters::read(&c.steals);
            metrics.parks += counters::read(&c.parks);
            metrics.reactor_wakeups += counters::read(&c.reactor_wakeups);
            metrics.overflows += counters::read(&c.overflows);
            metrics.blocked_worker_events = self.blocked_events.load(Relaxed);
            let depth = remote.queue.len() + usize::from(remote.next.is_occupied());
            metrics.local_queue_depths.push(depth);
        }
    }

    /// Schedules `task` from the current thread, which holds `place` of this runtime or
    /// none: that worker's `next` slot, else the injector.
    fn schedule_from(&self, place: Option<Place>, task: Notified<Arc<Shared>>) {
        match place {
            Some(place) => self.schedule_next(place, task),
            None => self.push_remote(task),
        }
    }

    /// Puts `task` in the `next` slot of the current thread's worker `place`; the task it
    /// displaces goes to the queue. If the monitor has given the slot to another thread
    /// since the caller looked up its place, the slot's tasks go to the injector instead:
    /// the new owner may be asleep (the monitor's module doc, "The next slot during a
    /// hand-off").
    fn schedule_next(&self, place: Place, task: Notified<Arc<Shared>>) {
        let remote = &self.workers[place.index];
        counters::bump(&remote.counters.scheduled, 1);
        let displaced = remote.next.replace(task);
        // `Relaxed`: if the monitor's take from the slot came before `replace`'s swap, that
        // swap acquired it, and the bump before it; a read of the epoch after cannot miss
        // the bump then.
        if remote.epoch.load(Relaxed) != place.epoch {
            self.schedule_after_hand_off(remote, displaced);
        } else if let Some(displaced) = displaced {
            self.push_local(place.index, displaced);
        }
    }

    /// The slot changed hands during `schedule_next`: what it holds, and what the new task
    /// displaced, go to the injector, which wakes a worker for them.
    #[cold]
    fn schedule_after_hand_off(&self, remote: &Remote, displaced: Option<Notified<Arc<Shared>>>) {
        for task in remote.next.take().into_iter().chain(displaced) {
            self.push_remote(task);
        }
    }

    /// Pushes to the back of worker `index`'s queue (the caller is that worker) and wakes a
    /// parked worker to help: `task` was displaced from the `next` slot by another, so this
    /// worker has at least two tasks to run.
    fn push_local(&self, index: usize, task: Notified<Arc<Shared>>) {
        self.enqueue(index, task);
        self.notify_parked();
    }

    /// A task that yielded, or woke itself while it was polled, goes to the back of its
    /// worker's queue (the caller is that worker). If nothing else waits on this worker, the
    /// worker will run the task again itself, next: no other worker is needed, so none is
    /// woken. Waking one anyway (as `push_local` does) only had it steal the task or search
    /// in vain, on every yield: one yielding task kept two workers busy (issue 14, item 12).
    ///
    /// The caller is this worker as of its last look at the slot's epoch, but the monitor
    /// may hand the slot to a new thread at any moment, and this thread then retires
    /// without running the task. So the decision not to wake anyone is taken after a
    /// `SeqCst` fence, and only if the slot's epoch, loaded after it, is still this
    /// thread's. A load after a `SeqCst` fence sees every `SeqCst` write that precedes the
    /// fence in their single order; so the monitor's bump of the epoch (`SeqCst`) comes
    /// after the fence, and so does everything the new thread does, its re-check of the
    /// queues before it parks included (`idle.rs`), which therefore sees the task. The loom
    /// model `a_yield_that_wakes_nobody_is_not_lost_to_a_hand_off` checks this.
    fn push_yielded(&self, index: usize, task: Notified<Arc<Shared>>) {
        let alone = self.enqueue(index, task) && !self.workers[index].next.is_occupied();
        crate::loom::fence(SeqCst);
        if alone && context::worker_index(self) == Some(index) {
            return;
        }
        self.wake_parked();
    }

    /// Pushes to the back of worker `index`'s queue (the caller is that worker); if it is
    /// full, half of it moves to the injector first. True if the queue was empty before.
    #[inline]
    fn enqueue(&self, index: usize, task: Notified<Arc<Shared>>) -> bool {
        // `try_push` first: this is every yield's path, and the overflow's batcher, built on
        // the stack for each push, cost it about a tenth (`perf annotate`).
        match self.workers[index].queue.try_push(task) {
            Ok(ahead) => ahead == 0,
            Err(task) => {
                self.enqueue_slow(index, task);
                false
            }
        }
    }

    /// `enqueue` when the queue is full (or another producer holds its tail).
    #[cold]
    fn enqueue_slow(&self, index: usize, task: Notified<Arc<Shared>>) {
        let remote = &self.workers[index];
        let mut spill = self.injector.batcher();
        let moved = remote.queue.push(task, |task| spill.push(task));
        drop(spill);
        if moved > 0 {
            counters::bump(&remote.counters.overflows, moved);
        }
    }

    /// From outside the runtime (or another runtime's worker): the injector. A push that
    /// races with `close` (a spawn or wake from another thread during shutdown) drops what it
    /// finds: nobody will run it, and a queue entry left behind would keep the task, and
    /// through it this scheduler, alive forever. The fences (`notify_parked`'s and
    /// `close`'s) make sure that either the push lands before `close` drains, or this sees
    /// `closed`.
    fn push_remote(&self, task: Notified<Arc<Shared>>) {
        self.injector.push(task);
        self.notify_parked();
        if self.closed.load(SeqCst) {
            while self.injector.pop().is_some() {}
        }
    }

    /// Wakes a parked worker if new work needs one (see `idle.rs`). The `SeqCst` fence
    /// orders the caller's push before the read of the idle counts; the parking worker's
    /// `SeqCst` update of the counts comes before its re-check of the queues. Without it the
    /// push and the count change could each miss the other (a store-load reordering).
    fn notify_parked(&self) {
        crate::loom::fence(SeqCst);
        self.wake_parked();
    }

    /// `notify_parked` after the fence, for a caller that made the fence itself.
    fn wake_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.workers[index].parker.unpark(&self.reactor);
        }
    }

    /// True if the injector or a local queue holds a task: work that a searching worker can
    /// take (a snapshot, for a searcher's spin and the last searcher's re-check before it
    /// parks). The `next` slots do not count: a task there was put there by the slot's own
    /// worker, which is awake and runs it next, and searchers only take it from a worker
    /// that seems stuck (`steal_next`). Counting it had idle workers search in vain for as
    /// long as any worker kept its `next` slot busy (issue 14, item 12), and no parked
    /// worker is needed for it: schedules into a `next` slot notify nobody.
    ///
    /// The `SeqCst` fence pairs with the one in `notify_parked`: the parking worker's count
    /// update, then this fence, then the queue reads; the pusher's push, then its fence, then
    /// its read of the counts. With a fence on each side, one of them sees the other.
    fn has_pending_work(&self) -> bool {
        crate::loom::fence(SeqCst);
        !self.injector.is_empty() || self.workers.iter().any(|remote| !remote.queue.is_empty())
    }

    /// True if any task waits to run, in a `next` slot too (a snapshot): with the clock
    /// paused, it must not jump while a worker is about to run something.
    fn has_runnable_task(&self) -> bool {
        self.has_pending_work() || self.workers.iter().any(|remote| remote.next.is_occupied())
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified<Self>) {
        self.schedule_from(context::worker_place(self), task);
    }

    fn yield_now(&self, task: Notified<Self>) {
        match context::worker_index(self) {
            Some(index) => self.push_yielded(index, task),
            None => self.push_remote(task),
        }
    }

    /// On a worker, the entry is removed later, in a batch (`retire`); its reference, and
    /// so the task's allocation, stays until then.
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        match context::worker_index(self) {
            Some(index) => {
                if let Some(retired) = self.registry.locate(task) {
                    self.retire(index, retired);
                }
                None
            }
            None => self.registry.remove(task),
        }
    }

    fn unhandled_panic(&self) {
        if self.on_unhandled_panic == UnhandledPanic::ShutdownRuntime {
            self.panicked.store(true, Release);
            self.begin_shutdown();
        }
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("workers", &self.workers.len())
            .field("shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}
