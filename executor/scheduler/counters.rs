//! Per-worker counters, summed when metrics are read.
//!
//! Each worker writes only its own counters, with a plain load and store (no locked
//! read-modify-write), in a cache line of their own; readers sum them with `Relaxed` loads.
//! A reading is a snapshot that may be a few events behind, never torn.

use crate::loom::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

/// What one worker did.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Task polls started.
    pub(crate) polls: AtomicU64,
    /// Task polls finished (one less than `polls` while a poll runs; the monitor's signal).
    pub(crate) polls_done: AtomicU64,
    /// Tasks this worker scheduled (spawns and wakes from its thread; the monitor's sign of
    /// progress inside a long poll).
    pub(crate) scheduled: AtomicU64,
    /// Tasks taken from other workers' queues.
    pub(crate) steals: AtomicU64,
    /// Times the worker parked.
    pub(crate) parks: AtomicU64,
    /// Tasks made ready by the reactor while this worker drove it.
    pub(crate) reactor_wakeups: AtomicU64,
    /// Tasks moved to the injector because the local queue was full.
    pub(crate) overflows: AtomicU64,
}

/// Adds `n` to a counter only its owner writes.
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Sets a counter only its owner writes to `value`.
pub(crate) fn set(counter: &AtomicU64, value: u64) {
    counter.store(value, Relaxed);
}

/// Reads a counter.
pub(crate) fn read(counter: &AtomicU64) -> u64 {
    counter.load(Relaxed)
}
