//! The worker loop: find a task, run it, and park when there is none.
//!
//! Steps of one turn of the loop (see the scheduler's module doc for the why):
//! 1. Maintenance, every `FAIRNESS_INTERVAL`th tick and whenever a time slice (`TIME_SLICE_MS`,
//!    on the coarse clock) has passed since this worker last turned the reactor: refresh the
//!    coarse clock, poll the reactor without blocking, and take from the injector first. The
//!    tick count keeps the injector fair when polls are short; the time slice keeps timers and
//!    sockets on time when polls are long. Issue 15: beside tasks that burn 20 ms of CPU
//!    between two yields, a busy worker reached its 61st tick only every 1.2 s, and a 1 ms
//!    sleep returned up to that late; with the time slice, a due timer waits at most for the
//!    later of the end of the poll then running and the end of the worker's slice (the task it
//!    wakes goes to this worker's `next` slot). The check costs a load of the coarse clock,
//!    which each poll reads anyway (`task::Header::note_poll`); the monitor keeps that clock
//!    fresh while workers run (`monitor.rs`, "Keeping time").
//!
//!    Issue 15 named three more levers; measured on its workload (2 workers, runs of 100
//!    sleeps, in turns, p99 lateness as the median of the runs), none made timers sooner,
//!    so none is here. The time slice alone: 19 ms (ten runs; one burner's poll, which no
//!    lever can shorten). With a yield that waits for the worker's next turn of the reactor
//!    (tokio's `defer`), with a monitor that turns the reactor itself when no worker has
//!    for a time slice, or with both: 19 ms. Alone, the deferred yield: 43 ms; the
//!    monitor's turns: 1.4 s, the tasks they wake waiting in the injector for a worker's
//!    61st tick (five runs each). A 10 ms blocking threshold, so that the monitor hands
//!    each burner's worker to a fresh thread and the OS time-slices them: 1.7 s alone and
//!    63 ms with the time slice, after about a thousand hand-offs per run.
//! 2. `next` slot (at most `MAX_NEXT_STREAK` in a row), local queue, a batch from the injector.
//! 3. If this worker's last non-blocking turn of the reactor woke tasks, and no queue holds a
//!    task to steal: turn it again, without blocking, before searching (Go's order: its
//!    scheduler polls the network before it steals while goroutines wait on it), at most
//!    `TURNS_INSTEAD_OF_SEARCH` times in a row. TCP echo, 50 connections, against the loop
//!    without this step in one process, in turns: up to 12 % less time, median 3 % (six
//!    processes). The likely reason: on loopback a send runs the receiving socket's side of the
//!    stack on the sender's core, so the task that send wakes finds its socket hot in this
//!    worker's cache, while stolen tasks would bring sockets that are hot on the other core. A
//!    worker whose last turn found nothing (every workload without I/O) skips the step: an
//!    empty `epoll_wait` before each steal only costs. Without the bound, a worker busy with
//!    I/O never stole the tasks queued behind a worker stuck in one poll (the test
//!    `a_worker_busy_with_io_still_steals_from_a_stuck_one`). Tasks that wait in another
//!    worker's queue go first: that worker may be off its CPU (the OS runs another thread
//!    there), and its tasks wait for as long as nobody steals them. wrk against the hyper hello
//!    server (issue 18, six 3 s runs in turns with tokio): p99 latency 1.2 x tokio's with the
//!    turns taken whatever the queues held, 0.6 x with this condition, at the same requests per
//!    second.
//! 4. Search, if fewer than half the workers do: steal half of a random victim's queue, then a
//!    victim's `next` slot if its owner seems stuck.
//! 5. Poll the reactor without blocking; a searcher then watches the queues for some
//!    microseconds, offering its CPU to other threads between looks (`spin_for_work`; not on a
//!    current-thread runtime, where no other worker makes work).
//! 6. Park (`park.rs`); with the clock paused and every participant idle (the last worker to
//!    park may be the last of them), jump the clock to the next timer instead
//!    (`paused_clock.rs`).
//!
//! Every turn of the reactor (steps 1, 3, 5, a park) starts a new time slice, and so does
//! a failed attempt: the reactor's lock is then held by another worker, which turns it.
//!
//! A worker thread runs the loop until shutdown (`run`); a current-thread runtime's
//! `block_on` caller runs it one turn at a time (`step`) between polls of its own future
//! (`current_thread.rs`), parking and waking the slot as a park does (`go_idle`, `wake_up`)
//! when it takes the slot and gives it back.

use super::monitor::OsThread;
use super::queue::CAPACITY;
use super::{Remote, Shared, context, counters};
use crate::coop;
use crate::loom::Arc;
use crate::task::{self, Notified};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Ticks between fairness checks of the injector and non-blocking reactor polls. Go's
/// figure: a prime, so it does not fall into step with periodic workloads.
const FAIRNESS_INTERVAL: u32 = 61;
/// Milliseconds (on the coarse clock) after which a busy worker turns the reactor and looks
/// at the injector, however few its ticks (step 1). Go's figure, its preemption interval.
pub(super) const TIME_SLICE_MS: u32 = 10;
/// Step 3's turns of the reactor a worker may take in a row before it searches anyway: a
/// worker whose every turn wakes tasks must still steal from one stuck in a long poll.
const TURNS_INSTEAD_OF_SEARCH: u32 = 3;
/// Tasks in a row a worker may take from its `next` slot before its queue gets a turn.
const MAX_NEXT_STREAK: u32 = 32;
/// How long a searcher that found nothing keeps watching for work before it parks.
const SPIN_TIME: Duration = Duration::from_micros(20);
/// Looks at the queues between two non-blocking polls of the reactor while spinning.
const SPIN_ROUNDS_PER_REACTOR_POLL: u32 = 8;

type Task = Notified<Arc<Shared>>;

/// The thread-owned half of a worker.
pub(super) struct Worker {
    shared: Arc<Shared>,
    epoch: u64,
    index: usize,
    tick: u32,
    is_searching: bool,
    next_streak: u32,
    rng: u64,
    /// Whether this worker's last non-blocking turn of the reactor woke any task (step 3).
    reactor_woke_tasks: bool,
    /// Step 3's turns since this worker last searched.
    turns_instead_of_search: u32,
    /// The coarse clock when this worker last turned the reactor, or found another worker
    /// holding it: the start of its time slice (step 1).
    turned_ms: u32,
}

/// Runs worker `index` of `shared` on the current thread until shutdown, or until the
/// monitor hands the slot to another thread (`epoch` is the slot's owner generation).
pub(crate) fn run_worker(shared: Arc<Shared>, index: usize, epoch: u64) {
    let remote = &shared.workers[index];
    if let (true, Some(monitor)) = (epoch > 0, &shared.monitor) {
        // A replacement: the slot is not ours until the hand-off is done (`monitor.rs`).
        monitor.wait_for_slot(&remote.epoch, epoch);
    }
    let _context = context::enter(&shared, index, epoch);
    Worker::new(shared, index, epoch).run();
}

impl Worker {
    /// The thread-owned half of worker `index`, owner `epoch` of its slot, on the current
    /// thread (which the caller has entered as that worker: `context::enter`).
    pub(super) fn new(shared: Arc<Shared>, index: usize, epoch: u64) -> Worker {
        // `Relaxed`: the monitor only asks the OS about the thread it names; the hand-off
        // cleared it before the gate opened, so a late read finds 0 (unknown), not the old one.
        let os_thread = OsThread::current().map_or(0, OsThread::into_raw);
        shared.workers[index]
            .os_thread
            .store(os_thread, Ordering::Relaxed);
        task::refresh_clock();
        Worker {
            epoch,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F),
            shared,
            index,
            tick: 0,
            is_searching: false,
            next_streak: 0,
            reactor_woke_tasks: false,
            turns_instead_of_search: 0,
            turned_ms: task::now_ms(),
        }
    }

    fn remote(&self) -> &Remote {
        &self.shared.workers[self.index]
    }

    /// The scheduler this worker belongs to.
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    fn run(&mut self) {
        while !self.shared.is_shutdown() && !self.lost_slot() {
            self.step();
        }
        let lost_slot = self.lost_slot();
        if !lost_slot {
            self.shared.flush_retired(self.index);
        }
        // Counted as searching (a notifier woke this thread): pass the wake-up on, as a
        // searcher that stops always does, so that it is not lost with this thread (one that
        // lost its slot shares the slot's parker with the new owner).
        let was_last_searcher =
            self.is_searching && self.shared.idle.transition_worker_from_searching();
        self.is_searching = false;
        // A thread that lost its slot may have been the last to hold the reactor (parked in
        // it when the hand-off woke it, or turning it on its way out): a woken worker parks
        // in it again (`park.rs`, "The reactor's holder").
        if lost_slot || was_last_searcher {
            self.shared.notify_parked();
        }
    }

    /// One turn of the loop (steps in the module doc): runs one task, or turns the reactor
    /// without blocking, or parks.
    #[inline(always)]
    pub(super) fn step(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        let maintenance = self.tick % FAIRNESS_INTERVAL == 0 || self.slice_ended();
        if maintenance {
            self.maintenance();
        }
        if let Some(task) = self.find_local(maintenance) {
            self.run_task(task);
            return;
        }
        if self.reactor_woke_tasks
            && self.turns_instead_of_search < TURNS_INSTEAD_OF_SEARCH
            && !self.shared.has_pending_work()
            && self.poll_reactor(Some(Duration::ZERO)) > 0
        {
            self.turns_instead_of_search += 1;
            return;
        }
        self.turns_instead_of_search = 0;
        if let Some(task) = self.search() {
            self.run_task(task);
            return;
        }
        if self.poll_reactor(Some(Duration::ZERO)) > 0 || self.spin_for_work() {
            return;
        }
        self.park();
    }

    /// True once a time slice has passed since this worker last turned the reactor.
    fn slice_ended(&self) -> bool {
        task::now_ms().wrapping_sub(self.turned_ms) >= TIME_SLICE_MS
    }

    /// Step 1, but for the injector, which `find_local` takes from.
    fn maintenance(&mut self) {
        task::refresh_clock();
        self.poll_reactor(Some(Duration::ZERO));
    }

    /// Step 2 (and 1's injector check).
    #[inline(always)]
    fn find_local(&mut self, injector_first: bool) -> Option<Task> {
        if injector_first {
            if let Some(task) = self.take_from_injector() {
                return Some(task);
            }
        }
        let remote = &self.shared.workers[self.index];
        if self.next_streak < MAX_NEXT_STREAK {
            if let Some(task) = remote.next.take() {
                self.next_streak += 1;
                return Some(task);
            }
        }
        self.next_streak = 0;
        if let Some(task) = remote.queue.pop() {
            return Some(task);
        }
        if let Some(task) = remote.next.take() {
            self.next_streak = 1;
            return Some(task);
        }
        self.take_from_injector()
    }

    /// Takes the injector's oldest batch: one task to run, the rest into the local queue
    /// (what does not fit goes back to the injector).
    fn take_from_injector(&self) -> Option<Task> {
        let injector = &self.shared.injector;
        let mut tasks = injector.pop()?.into_iter();
        let first = tasks.next()?;
        self.remote().queue.push_from(CAPACITY, || tasks.next());
        injector.push_back(tasks);
        Some(first)
    }

    fn next_random(&mut self) -> usize {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng as usize
    }

    /// Step 4.
    fn search(&mut self) -> Option<Task> {
        let workers = self.shared.num_workers();
        // Even a lone worker counts itself as searching: as the last searcher to park it then
        // re-checks the queues, which closes the race with a push that saw it unparked.
        if !self.is_searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let start = self.next_random() % workers;
        let me = self.index;
        let victims = (0..workers)
            .map(|i| (start + i) % workers)
            .filter(move |&v| v != me);
        for victim in victims.clone() {
            if let Some(task) = self.steal_half(victim) {
                return Some(task);
            }
        }
        if let Some(task) = self.take_from_injector() {
            return Some(task);
        }
        victims
            .into_iter()
            .find_map(|victim| self.steal_next(victim))
    }

    /// Moves half of `victim`'s queue into ours (which is empty) and returns one task.
    fn steal_half(&self, victim: usize) -> Option<Task> {
        let from = &self.shared.workers[victim].queue;
        let (task, stolen) = from.steal_half_into(&self.remote().queue)?;
        counters::bump(&self.remote().counters.steals, stolen);
        Some(task)
    }

    /// Takes `victim`'s `next` task if the victim polled nothing while we waited briefly: a
    /// worker that makes progress will get to its own `next` task soon, and taking it would
    /// only move a hot task to a cold core.
    fn steal_next(&self, victim: usize) -> Option<Task> {
        let remote = &self.shared.workers[victim];
        if !remote.next.is_occupied() {
            return None;
        }
        let polls = counters::read(&remote.counters.polls);
        for _ in 0..256 {
            std::hint::spin_loop();
        }
        if counters::read(&remote.counters.polls) != polls {
            return None;
        }
        let task = remote.next.take()?;
        counters::bump(&self.remote().counters.steals, 1);
        Some(task)
    }

    /// Step 5b (Go's spinning M): a searcher watches for work for `SPIN_TIME` before it
    /// parks: the queues every half microsecond or so, the reactor (without blocking) every
    /// few microseconds. Work that arrives in bursts a few microseconds apart (a task
    /// spawning in a loop, a ping-pong, request and reply on a loopback socket) then costs
    /// no park and no wake-up; and a worker that parks and is woken by another thread's
    /// unpark tends to be moved by the OS onto that thread's CPU, where the two then share
    /// one core. Only searchers spin (at most half the workers). True if work appeared.
    ///
    /// Between two looks the spinner yields its CPU (`sched_yield`) rather than running
    /// pause instructions: on a machine with more runnable threads than CPUs (a server and
    /// its load generator on the same two cores: issue 18), a pausing spinner holds a CPU
    /// that a thread with real work waits for, while a yielding one hands it over and still
    /// looks again within a microsecond when nobody else wants the CPU. wrk against the
    /// hyper hello server, 2 workers, `wrk -t1 -c64`, goro with pauses and with yields in
    /// turns beside tokio (six 3 s runs each): 1.04 and 1.17 x tokio's requests per second.
    /// Echo and issue 6's workloads, without such a neighbour, did not change.
    fn spin_for_work(&mut self) -> bool {
        // A current-thread runtime has no other worker to make work while it spins.
        if !self.is_searching || self.shared.is_current_thread() {
            return false;
        }
        let start = std::time::Instant::now();
        let mut round = 0u32;
        while start.elapsed() < SPIN_TIME {
            if self.shared.has_pending_work() {
                return true;
            }
            round += 1;
            if round % SPIN_ROUNDS_PER_REACTOR_POLL == 0
                && self.poll_reactor(Some(Duration::ZERO)) > 0
            {
                return true;
            }
            // Between two looks, offer the CPU to any other thread that waits for it (see
            // the doc above); alone on its CPU, the call returns at once (about 1 µs).
            std::thread::yield_now();
        }
        false
    }

    #[inline(always)]
    fn run_task(&mut self, task: Task) {
        if self.is_searching {
            self.is_searching = false;
            if self.shared.idle.transition_worker_from_searching() {
                self.shared.notify_parked();
            }
        }
        let remote = &self.shared.workers[self.index];
        remote.running.record(&task);
        counters::bump(&remote.counters.polls, 1);
        coop::with_budget(|| task.run());
        // A thread that lost its slot leaves the counts to the new owner; the monitor counted
        // this poll as finished when it handed the slot off. Should the hand-off land between
        // the check and the store, both write the same number: `polls`, which only this
        // thread moves until the new one starts.
        if !self.lost_slot() {
            counters::set(
                &remote.counters.polls_done,
                counters::read(&remote.counters.polls),
            );
        }
    }

    /// True once the monitor gave this worker's slot to another thread (this one was stuck
    /// in a poll): the thread must retire without touching the slot again. `Relaxed`: a
    /// late answer only delays the retirement by one task.
    fn lost_slot(&self) -> bool {
        self.lost_slot_with(Ordering::Relaxed)
    }

    /// `lost_slot` with the ordering the caller needs: the parker's abandon check reads it
    /// `SeqCst`, against the monitor's `SeqCst` bump (see `park.rs`).
    fn lost_slot_with(&self, order: Ordering) -> bool {
        self.remote().epoch.load(order) != self.epoch
    }

    /// Turns the reactor if no other worker is parked in it; returns how many resources
    /// became ready. Either way a new time slice starts.
    fn poll_reactor(&mut self, max_wait: Option<Duration>) -> usize {
        self.turned_ms = task::now_ms();
        let Some(mut driver) = crate::loom::try_lock(&self.shared.driver) else {
            return 0;
        };
        let ready = driver.turn(&self.shared.reactor, max_wait);
        self.reactor_woke_tasks = ready > 0;
        counters::bump(&self.remote().counters.reactor_wakeups, ready as u64);
        ready
    }

    /// Step 6.
    fn park(&mut self) {
        if self.go_idle() && self.shared.has_pending_work() {
            self.shared.notify_parked();
        }
        // With the clock paused and every participant idle, jump it to the next timer (see
        // `paused_clock.rs`); the woken tasks are in this worker's queue.
        if self.shared.advance_paused_clock() {
            // Waking the timers' tasks may have notified this very worker (counting it as
            // searching) rather than leaving it on the sleepers' list.
            self.wake_up();
            return;
        }
        let shared = &self.shared;
        counters::bump(&self.remote().counters.parks, 1);
        let ready = self
            .remote()
            .parker
            .park(&shared.driver, &shared.reactor, || {
                self.lost_slot_with(Ordering::SeqCst)
            });
        counters::bump(&self.remote().counters.reactor_wakeups, ready as u64);
        self.wake_up();
    }

    /// The first half of a park (step 6): the worker counts as parked, and the tasks that
    /// finished on it leave the registry. True if it was the last searcher (it must
    /// re-check the queues). Also how a current-thread runtime's slot parks when its
    /// `block_on` caller lets it go (`current_thread.rs`).
    pub(super) fn go_idle(&mut self) -> bool {
        self.shared.flush_retired(self.index);
        let was_last_searcher = self
            .shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching);
        self.is_searching = false;
        was_last_searcher
    }

    /// The second half of a park: the worker is awake again, and a new time slice starts.
    /// Also how a current-thread runtime's slot wakes when a `block_on` caller takes it.
    pub(super) fn wake_up(&mut self) {
        task::refresh_clock();
        // A parked worker sleeps in the reactor, or beside the one that does (`park.rs`).
        self.turned_ms = task::now_ms();
        // Woken by a notifier, the worker was counted as searching; on its own, it was not.
        self.is_searching = !self.shared.idle.unpark_worker_by_id(self.index);
        // After the count says this worker is awake: the monitor checks the count after
        // saying it sleeps, so one of the two sees the other (see `monitor.rs`).
        if let Some(monitor) = &self.shared.monitor {
            monitor.wake();
        }
    }
}
