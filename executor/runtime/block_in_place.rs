//! `block_in_place`: blocking code inside a task, without stalling the tasks queued behind it.
//!
//! On a worker thread the worker first hands its slot (its queue, its `next` task, its place
//! in the idle counts, its turn at the reactor) to a fresh thread, as the monitor does with a
//! worker stuck in a poll, but at once and on purpose (`scheduler/monitor/on_purpose.rs`).
//! Then the closure runs here, with no cooperative budget, and with the thread marked as no
//! worker, so that it may call `Handle::block_on`. When the closure returns, the task's poll
//! goes on on this thread; after the poll, the thread retires, as one that lost its slot does.
//!
//! Anywhere else (the `block_on` thread, a blocking thread, a plain thread) there is no
//! worker to hand on, and the closure just runs; on the `block_on` thread it may call
//! `block_on` again.
//!
//! Where the thread runs tasks that no other thread could take over, blocking would stall them
//! all, and `block_in_place` panics, as tokio's does: inside a `LocalSet`'s run, and on a
//! current-thread runtime (in its tasks and in the future of the `block_on` that drives it),
//! which each hold a `NoBlockInPlace` guard while they run.
//!
//! Wherever the closure runs, it runs without a cooperative budget (the budget of a task's
//! poll, spent, would make goro's resources answer `Pending` forever to a `block_on` inside).

use super::{block_on, threads, with_current};
use crate::coop;
use std::cell::Cell;

thread_local! {
    /// Where the innermost `NoBlockInPlace` guard of this thread was taken ("inside a
    /// LocalSet"), if the thread holds one.
    static FORBIDDEN: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Runs the blocking closure `f` inside a task, after the task's worker thread has handed its
/// other tasks to a fresh thread: they keep running while `f` blocks this one. Only the task
/// that calls it waits for `f` (and whatever else that task's future was doing at the time,
/// such as the other branches of a `join!`: [`spawn_blocking`](crate::spawn_blocking) avoids
/// that, at the price of a `'static` closure). Use it to call blocking code from a task
/// without changing the task's shape.
///
/// Code inside `f` may call [`Handle::block_on`](crate::Handle::block_on) to run async code
/// again. Outside a worker (in the future of a multi-thread runtime's `block_on`, on a
/// blocking thread, outside any runtime) there is nothing to hand on, and `f` just runs.
///
/// Each call on a worker starts a thread, which then stays the worker while this thread
/// retires once the task's poll returns: a cost of some microseconds, for code that blocks
/// longer than that.
///
/// # Panics
/// Inside a [`LocalSet`](crate::task::LocalSet)'s run (its tasks, or the future of
/// `run_until`), and on a current-thread runtime
/// ([`Builder::new_current_thread`](crate::Builder::new_current_thread): its tasks, and the
/// future of the `block_on` that runs them): no other thread could run those tasks while `f`
/// blocks.
///
/// ```
/// use std::time::Duration;
///
/// goro::run(async {
///     let ticker = goro::spawn(async {
///         for _ in 0..10 {
///             goro::time::sleep(Duration::from_millis(1)).await;
///         }
///     });
///     let blocking = goro::spawn(async {
///         goro::task::block_in_place(|| std::thread::sleep(Duration::from_millis(50)));
///         "done blocking"
///     });
///     ticker.await.unwrap();
///     assert_eq!(blocking.await.unwrap(), "done blocking");
/// });
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if let Some(place) = FORBIDDEN.try_with(Cell::get).ok().flatten() {
        panic!(
            "goro::task::block_in_place was called {place}, where no other thread can run \
             this thread's tasks while it blocks; use `goro::spawn_blocking` (or \
             `block_in_place` in a task spawned with `goro::spawn` on a multi-thread runtime)"
        );
    }
    // Kept until `f` returns: the thread counts as no worker meanwhile.
    let _given_away = with_current(|handle| {
        let handle = handle?;
        handle
            .scheduler
            .give_own_slot_away(|index, epoch| threads::start_worker(handle, index, epoch))
    });
    coop::without_budget(|| block_on::outside_block_on(f))
}

/// While it lives, `block_in_place` on this thread panics (see the module doc); dropped, it
/// puts back the guard before it, if any.
pub(crate) struct NoBlockInPlace {
    previous: Option<&'static str>,
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Forbids `block_in_place` on this thread until the guard drops; `place` completes the
/// panic's message: "was called inside a LocalSet".
pub(crate) fn forbid_block_in_place(place: &'static str) -> NoBlockInPlace {
    let previous = FORBIDDEN
        .try_with(|forbidden| forbidden.replace(Some(place)))
        .ok()
        .flatten();
    NoBlockInPlace {
        previous,
        _not_send: std::marker::PhantomData,
    }
}

impl Drop for NoBlockInPlace {
    fn drop(&mut self) {
        let _ = FORBIDDEN.try_with(|forbidden| forbidden.set(self.previous));
    }
}
