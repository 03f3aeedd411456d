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
//!
//! While a task runs `block_in_place`'s closure, its thread has given its slot away on
//! purpose (`give_away`): the epoch it holds is then `GIVEN_AWAY`, which no slot reaches, so
//! it counts as that runtime's thread (`runs_worker_of`) but as no worker (`is_worker_thread`:
//! it may `block_on`), until the closure returns.
//!
//! The epoch can change right after the check; `Shared::schedule_next` reads it again after
//! it has put the task in the slot (see the monitor's module doc, "The next slot during a
//! hand-off"), which is why the check hands out the epoch with the index (`Place`).

use super::Shared;
use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;

thread_local! {
    static WORKER: Cell<Option<(usize, Place)>> = const { Cell::new(None) };
}

/// A worker's slot as a thread holds it: its index, and the epoch the thread owns it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) index: usize,
    pub(crate) epoch: u64,
}

fn address(shared: &Shared) -> usize {
    shared as *const Shared as usize
}

/// The current thread's worker slot if it belongs to `shared` and the thread still owns it.
#[inline]
pub(crate) fn worker_place(shared: &Shared) -> Option<Place> {
    match current() {
        // `Relaxed`: the epoch only changes while this very thread is stuck in a poll; what
        // the caller then does to the slot is ordered by the slot's own atomics (module doc).
        Some((addr, place))
            if addr == address(shared)
                && shared.workers[place.index].epoch.load(Relaxed) == place.epoch =>
        {
            Some(place)
        }
        _ => None,
    }
}

/// The index of the current thread's worker if it belongs to `shared` and the thread still
/// owns its slot.
pub(crate) fn worker_index(shared: &Shared) -> Option<usize> {
    worker_place(shared).map(|place| place.index)
}

/// True if the current thread runs a worker of `shared`, whether or not it still owns its
/// slot.
pub(crate) fn runs_worker_of(shared: &Shared) -> bool {
    matches!(current(), Some((addr, _)) if addr == address(shared))
}

/// The epoch of a thread that gave its slot away on purpose (module doc); a slot's epoch
/// counts hand-offs, and never gets this far.
const GIVEN_AWAY: u64 = u64::MAX;

/// True if the current thread is a worker of any goro runtime, and has not given its slot
/// away on purpose.
pub(crate) fn is_worker_thread() -> bool {
    matches!(current(), Some((_, place)) if place.epoch != GIVEN_AWAY)
}

/// Marks the current thread, a worker that just gave its slot away (`block_in_place`), as
/// such until the guard drops (module doc).
pub(crate) fn give_away() -> ExitGuard {
    let prev = WORKER.with(|w| {
        let prev = w.get();
        w.set(prev.map(|(addr, place)| {
            let epoch = GIVEN_AWAY;
            (addr, Place { epoch, ..place })
        }));
        prev
    });
    ExitGuard { prev }
}

/// The current thread's (scheduler address, slot), if it is a worker.
fn current() -> Option<(usize, Place)> {
    WORKER.try_with(Cell::get).ok().flatten()
}

/// Marks the current thread as worker `index` of `shared`, owner `epoch` of the slot, until
/// the guard drops.
pub(crate) fn enter(shared: &Shared, index: usize, epoch: u64) -> ExitGuard {
    let prev = WORKER.with(|w| w.replace(Some((address(shared), Place { index, epoch }))));
    ExitGuard { prev }
}

/// Restores the previous worker context on drop.
#[derive(Debug)]
pub(crate) struct ExitGuard {
    prev: Option<(usize, Place)>,
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        WORKER.with(|w| w.set(self.prev));
    }
}
