//! The cooperative budget: how many ready operations one poll of a task may make.
//!
//! A future that loops over an always-ready resource (a socket with data, a full channel, a
//! finished `JoinHandle`) would otherwise never return to the worker, and its neighbours in
//! the queue would starve. The worker gives each poll a budget of `BUDGET` operations;
//! goro's own resources call `poll_proceed` before doing their work, and once the budget is
//! spent they answer `Pending` once (after waking the task), so the task yields.
//!
//! Outside a task (in `block_on`, on a foreign thread) there is no budget: `poll_proceed`
//! always proceeds. An operation that ends up `Pending` gives its unit back.
//!
//! The budget is read with `try_with`: in a thread-local destructor at thread exit the slot
//! may be gone (where the platform destroys slots without destructors too), and there is
//! then no budget.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations per poll: tokio's figure, which keeps a busy task's turn short (tens of
/// microseconds) without making every task yield often.
const BUDGET: u8 = 128;

thread_local! {
    /// `None`: unconstrained. `Some(n)`: n operations left in this poll.
    static REMAINING: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (one poll of a task) with a fresh budget, restoring the previous one after.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    with_remaining(Some(BUDGET), f)
}

/// Runs `f` without a budget, restoring the previous one after: blocking code inside a
/// task (`block_in_place`), which may drive goro's resources with another executor's
/// `block_on` and would spin on a spent budget.
pub(crate) fn without_budget<R>(f: impl FnOnce() -> R) -> R {
    with_remaining(None, f)
}

/// Runs `f` with `remaining` as the budget, restoring the previous one after.
fn with_remaining<R>(remaining: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = REMAINING.try_with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.try_with(|r| r.replace(remaining)).unwrap_or(None));
    f()
}

/// One unit of budget, taken by `poll_proceed`; given back on drop unless the operation
/// `made_progress`.
#[must_use = "call made_progress() when the operation completes, or the unit is given back"]
pub(crate) struct Unit {
    taken: bool,
}

impl Unit {
    /// The operation completed: keep the unit spent.
    pub(crate) fn made_progress(mut self) {
        self.taken = false;
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if self.taken {
            let _ = REMAINING.try_with(|r| r.set(r.get().map(|n| n + 1)));
        }
    }
}

/// Takes one unit of budget, or answers `Pending` (after asking to be polled again) when the
/// task has spent its budget.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Unit> {
    REMAINING
        .try_with(|r| match r.get() {
            None => Poll::Ready(Unit { taken: false }),
            Some(0) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(n) => {
                r.set(Some(n - 1));
                Poll::Ready(Unit { taken: true })
            }
        })
        .unwrap_or_else(|_| Poll::Ready(Unit { taken: false }))
}
