//! The thread-local "current runtime": set on worker and blocking threads for their whole
//! life, and on any thread for the duration of `block_on`.
//!
//! ## At thread exit
//! A thread-local's destructor may run after this one is gone (thread-locals are destroyed
//! in the reverse order of their first use), and may still drop a `Runtime` or ask for the
//! current one. So every access goes through `try_with`: once the slot is gone, there is no
//! current runtime (`with_current` answers `None`), and `enter` makes none current (the
//! guard it returns then restores nothing). A `std` `with` would panic there, and a panic
//! in a thread-local destructor aborts the process.

use super::Handle;
use std::cell::RefCell;
use std::io;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// The message every "no runtime" panic and error carries.
pub(crate) const NO_RUNTIME: &str = "there is no goro runtime on this thread: call this inside \
     `goro::run(...)`, `Runtime::block_on(...)`, a task spawned on a runtime, or a \
     `#[goro::main]`/`#[goro::test]` function";

/// Makes `handle` current until the guard drops (at thread exit, once the slot is gone,
/// nothing: see the module doc).
pub(crate) fn enter(handle: Handle) -> EnterGuard {
    let prev = CURRENT.try_with(|c| c.replace(Some(handle))).ok();
    EnterGuard { prev }
}

/// Restores the previous current runtime.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    /// The runtime that was current before (`Some(None)`: none); `None` if `enter` could not
    /// reach the slot, so there is nothing to restore.
    prev: Option<Option<Handle>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            // An error here: the slot is gone, and the value it held with it.
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
        }
    }
}

/// Runs `f` with the current runtime, if any, without cloning it.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    let mut f = Some(f);
    let answer = CURRENT.try_with(|c| {
        let f = f.take().expect("`try_with` calls its closure at most once");
        f(c.borrow().as_ref())
    });
    // `try_with` fails without calling its closure, so `f` is still here then.
    answer.unwrap_or_else(|_| f.take().expect("`f` was not called")(None))
}

/// The current runtime's reactor, for sockets and timers; an error outside a runtime.
pub(crate) fn current_reactor() -> io::Result<crate::reactor::Handle> {
    with_current(|handle| match handle {
        Some(handle) => Ok(handle.scheduler.reactor().clone()),
        None => Err(io::Error::other(NO_RUNTIME)),
    })
}
