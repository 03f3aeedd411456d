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
//! Wherever the closure runs, it runs without a cooperative budget (the budget of a task's
//! poll, spent, would make goro's resources answer `Pending` forever to a `block_on` inside).

use super::{block_on, threads, with_current};
use crate::coop;

/// Runs the blocking closure `f` inside a task, after the task's worker thread has handed its
/// other tasks to a fresh thread: they keep running while `f` blocks this one. Only the task
/// that calls it waits for `f` (and whatever else that task's future was doing at the time,
/// such as the other branches of a `join!`: [`spawn_blocking`](crate::spawn_blocking) avoids
/// that, at the price of a `'static` closure). Use it to call blocking code from a task
/// without changing the task's shape.
///
/// Code inside `f` may call [`Handle::block_on`](crate::Handle::block_on) to run async code
/// again. Outside a worker (in `block_on`'s future, on a blocking thread, outside any
/// runtime) there is nothing to hand on, and `f` just runs.
///
/// Each call on a worker starts a thread, which then stays the worker while this thread
/// retires once the task's poll returns: a cost of some microseconds, for code that blocks
/// longer than that.
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
    // Kept until `f` returns: the thread counts as no worker meanwhile.
    let _given_away = with_current(|handle| {
        let handle = handle?;
        handle
            .scheduler
            .give_own_slot_away(|index, epoch| threads::start_worker(handle, index, epoch))
    });
    coop::without_budget(|| block_on::outside_block_on(f))
}
