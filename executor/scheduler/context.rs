//! Which worker, of which runtime, the current thread is.
//!
//! Set once when a worker thread starts. Wakes and spawns read it to choose between the
//! worker's own `next` slot (same runtime, on a worker) and the global injector (anything
//! else). It holds the scheduler's address, compared and never dereferenced, and the
//! worker's index, so reading it costs one thread-local load.

use super::Shared;
use std::cell::Cell;

thread_local! {
    static WORKER: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

fn address(shared: &Shared) -> usize {
    shared as *const Shared as usize
}

/// The index of the current thread's worker if it belongs to `shared`.
pub(crate) fn worker_index(shared: &Shared) -> Option<usize> {
    match WORKER.with(Cell::get) {
        Some((addr, index)) if addr == address(shared) => Some(index),
        _ => None,
    }
}

/// True if the current thread is a worker of any goro runtime.
pub(crate) fn is_worker_thread() -> bool {
    WORKER.with(Cell::get).is_some()
}

/// Marks the current thread as worker `index` of `shared` until the guard drops.
pub(crate) fn enter(shared: &Shared, index: usize) -> ExitGuard {
    let prev = WORKER.with(|w| w.replace(Some((address(shared), index))));
    ExitGuard { prev }
}

/// Restores the previous worker context on drop.
#[derive(Debug)]
pub(crate) struct ExitGuard {
    prev: Option<(usize, usize)>,
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        WORKER.with(|w| w.set(self.prev));
    }
}
