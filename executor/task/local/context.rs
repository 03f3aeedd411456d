//! Which `LocalSet` the current thread runs, for `spawn_local`.
//!
//! Set while the set runs on this thread (a poll of `run_until`'s future, or of the set as a
//! future) and while it drops, and put back after, so that sets nest (a set run inside a task
//! of another set). Only the set's own thread can set it to that set: the set is neither
//! `Send` nor `Sync`. While it is set, `block_in_place` panics on this thread: no other
//! thread could run the set's tasks meanwhile.
//!
//! Read and written with `try_with`: a set kept in a thread-local may be dropped at thread
//! exit, after this slot is gone; it then runs without (`spawn_local` in a destructor there
//! panics, as outside any set).

use super::super::JoinHandle;
use super::shared::Shared;
use crate::loom::Arc;
use crate::runtime::{NoBlockInPlace, forbid_block_in_place};
use std::cell::RefCell;
use std::future::Future;
use std::panic::Location;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// Makes `shared`'s set the one this thread runs until the guard drops.
pub(super) fn enter(shared: &Arc<Shared>) -> Running {
    let previous = CURRENT
        .try_with(|current| current.replace(Some(shared.clone())))
        .ok()
        .flatten();
    Running {
        previous,
        _no_block_in_place: forbid_block_in_place("inside a LocalSet"),
    }
}

/// Puts back the set that ran before `enter`.
pub(super) struct Running {
    previous: Option<Arc<Shared>>,
    _no_block_in_place: NoBlockInPlace,
}

impl Drop for Running {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| current.replace(previous));
    }
}

/// Spawns a `!Send` future on the [`LocalSet`](super::LocalSet) that runs on this thread:
/// it runs on this thread only, when the set runs (inside
/// [`LocalSet::run_until`](super::LocalSet::run_until), [`LocalSet::block_on`](super::LocalSet::block_on),
/// or while the set is awaited), as do every task the set runs. Its [`JoinHandle`] may be
/// awaited anywhere (and sent to another thread if the output is `Send`); waking the task
/// from another thread is fine.
///
/// # Panics
/// Outside a `LocalSet`'s run: in a task spawned with `goro::spawn`, in `block_on`'s own
/// future. Use [`LocalSet::spawn_local`](super::LocalSet::spawn_local) to spawn onto a set
/// from outside it.
///
/// ```
/// use std::rc::Rc;
///
/// let runtime = goro::Runtime::new().unwrap();
/// let local = goro::task::LocalSet::new();
/// let answer = local.block_on(&runtime, async {
///     let shared = Rc::new(41); // not Send: goro::spawn would refuse it
///     let task = goro::task::spawn_local(async move { *shared + 1 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    let current = CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten();
    match current {
        Some(shared) => super::spawn(&shared, future, location),
        None => panic!(
            "goro::task::spawn_local was called outside a LocalSet: call it inside \
             `LocalSet::run_until`, `LocalSet::block_on` or a task that a LocalSet runs, or \
             use `LocalSet::spawn_local`"
        ),
    }
}
