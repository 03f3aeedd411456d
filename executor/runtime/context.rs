//! The thread-local "current runtime": set on worker and blocking threads for their whole
//! life, and on any thread for the duration of `block_on`.

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

/// Makes `handle` current until the guard drops.
pub(crate) fn enter(handle: Handle) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(handle)));
    EnterGuard { prev }
}

/// Restores the previous current runtime.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    prev: Option<Handle>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// Runs `f` with the current runtime, if any, without cloning it.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_ref()))
}

/// The current runtime's reactor, for sockets and timers; an error outside a runtime.
pub(crate) fn current_reactor() -> io::Result<crate::reactor::Handle> {
    with_current(|handle| match handle {
        Some(handle) => Ok(handle.scheduler.reactor().clone()),
        None => Err(io::Error::other(NO_RUNTIME)),
    })
}
