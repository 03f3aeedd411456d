//! `RuntimeMetrics`: counters and gauges of a runtime, read on demand.
//!
//! Counters are kept per worker, each in a cache line of its own and written only by its
//! worker (see `scheduler/counters.rs`), and summed here when read: the hot path pays no
//! shared-cache-line traffic for them. A reading is a snapshot; counters a few events behind
//! are normal while the runtime is busy.

/// A snapshot of a runtime's counters and gauges, from [`Handle::metrics`](crate::Handle::metrics).
///
/// ```
/// goro::run(async {
///     goro::spawn(async {}).await.unwrap();
///     let metrics = goro::Handle::current().metrics();
///     assert!(metrics.spawned_tasks >= 1);
///     println!("{metrics:#?}");
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Worker threads (1 on a current-thread runtime: the thread that drives it).
    pub workers: usize,
    /// Tasks spawned and not yet finished (blocking tasks excluded).
    pub live_tasks: usize,
    /// Tasks spawned since the runtime started (blocking tasks excluded).
    pub spawned_tasks: u64,
    /// Task polls by all workers (on a current-thread runtime, also the polls of the future
    /// of the `block_on` that drives it, which the monitor watches as it watches tasks).
    pub polls: u64,
    /// Tasks taken from another worker's queue or `next` slot.
    pub steals: u64,
    /// Times a worker parked for lack of work.
    pub parks: u64,
    /// Sockets and timers made ready by the reactor (each wakes its tasks).
    pub reactor_wakeups: u64,
    /// Tasks moved from a full local queue to the global queue.
    pub overflows: u64,
    /// Tasks waiting in the global injection queue.
    pub global_queue_depth: usize,
    /// Tasks waiting in each worker's local queue (its `next` slot included).
    pub local_queue_depths: Vec<usize>,
    /// Threads of the blocking pool, busy or idle.
    pub blocking_threads: usize,
    /// Idle threads of the blocking pool.
    pub blocking_idle_threads: usize,
    /// Tasks waiting in the blocking pool's queue.
    pub blocking_queue_depth: usize,
    /// Times the monitor found a worker stuck in one poll and handed its place to a new
    /// thread (see `Builder::blocking_threshold`); on a current-thread runtime, which no
    /// thread can take over, times it found the `block_on` thread stuck and reported it.
    pub blocked_worker_events: u64,
}
