//! Which worker, of which runtime, the current thread is.
//!
//! Set once when a worker thread starts. Wakes and spawns read it to choose between the
//! worker's own `next` slot (same runtime, on a worker) and the global injector (anything
//! else). It holds the scheduler's address, compared and never dereferenced, the worker's
//! index and the slot's epoch when the thread took it: a thread whose slot the monitor gave
//! away (it was stuck in a poll) no longer counts as that worker, so what it wakes on its
//! way out goes to the injector rather than to a slot whose new owner may be asleep.
//!
//! Read with `try_with`: in a thread-local destructor at thread exit (one that drops a
//! `Runtime`, say) the slot may be gone, and the thread is then no worker. (The slot needs
//! no destructor, so on most platforms it is never gone; `with` would panic where it is.)
//! Only a worker's own start sets it, long before its thread exits.

use super::Shared;
use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;

thread_local! {
    static WORKER: Cell<Option<(usize, usize, u64)>> = const { Cell::new(None) };
}

fn address(shared: &Shared) -> usize {
    shared as *const Shared as usize
}

/// The index of the current thread's worker if it belongs to `shared`.
pub(crate) fn worker_index(shared: &Shared) -> Option<usize> {
    match current() {
        // `Relaxed`: the epoch only changes while this very thread is stuck in a poll, and
        // the monitor's later moves of the slot's queue go through the queue's own atomics.
        Some((addr, index, epoch))
            if addr == address(shared) && shared.workers[index].epoch.load(Relaxed) == epoch =>
        {
            Some(index)
        }
        _ => None,
    }
}

/// True if the current thread runs a worker of `shared`, whether or not it still owns its
/// slot.
pub(crate) fn runs_worker_of(shared: &Shared) -> bool {
    matches!(WORKER.with(Cell::get), Some((addr, _, _)) if addr == address(shared))
}

/// True if the current thread is a worker of any goro runtime.
pub(crate) fn is_worker_thread() -> bool {
    current().is_some()
}

/// The current thread's (scheduler address, worker index, epoch), if it is a worker.
fn current() -> Option<(usize, usize, u64)> {
    WORKER.try_with(Cell::get).ok().flatten()
}

/// Marks the current thread as worker `index` of `shared`, owner `epoch` of the slot, until
/// the guard drops.
pub(crate) fn enter(shared: &Shared, index: usize, epoch: u64) -> ExitGuard {
    let prev = WORKER.with(|w| w.replace(Some((address(shared), index, epoch))));
    ExitGuard { prev }
}

/// Restores the previous worker context on drop.
#[derive(Debug)]
pub(crate) struct ExitGuard {
    prev: Option<(usize, usize, u64)>,
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        WORKER.with(|w| w.set(self.prev));
    }
}
