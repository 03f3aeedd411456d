//! The thread-local "current runtime": set on worker and blocking threads for their whole
//! life, on any thread for the duration of `block_on`, and while an `EnterGuard` lives.
//!
//! ## Nesting
//! Each `enter` makes a runtime current and counts one level deeper; its guard puts back the
//! runtime that was current before and counts one level back. So guards must drop in the
//! reverse order of their `enter`s, which every guard of goro's own does (they live in one
//! scope). A user's `EnterGuard` can be dropped out of order (two guards, the older one
//! dropped first): the guard sees that the depth is not its own, and panics rather than put
//! back a runtime that is not the one its caller expects (unless the thread is panicking
//! already: then it leaves the slot as it is, since a second panic would abort).
//!
//! ## At thread exit
//! A thread-local's destructor may run after this one is gone (thread-locals are destroyed
//! in the reverse order of their first use), and may still drop a `Runtime` or ask for the
//! current one. So every access goes through `try_with`: once the slot is gone, there is no
//! current runtime (`with_current` answers `None`), and `enter` makes none current (the
//! guard it returns then restores nothing). A `std` `with` would panic there, and a panic
//! in a thread-local destructor aborts the process.

use super::Handle;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::marker::PhantomData;

/// The current runtime and how many `enter`s deep it is.
struct Current {
    handle: RefCell<Option<Handle>>,
    depth: Cell<usize>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            handle: RefCell::new(None),
            depth: Cell::new(0),
        }
    };
}

/// The message every "no runtime" panic and error carries.
pub(crate) const NO_RUNTIME: &str = "there is no goro runtime on this thread: call this inside \
     `goro::run(...)`, `Runtime::block_on(...)`, a task spawned on a runtime, or a \
     `#[goro::main]`/`#[goro::test]` function (or while a `Runtime::enter` guard lives)";

/// Makes `handle` current until the guard drops (at thread exit, once the slot is gone,
/// nothing: see the module doc).
pub(crate) fn enter(handle: Handle) -> ContextGuard {
    let entered = CURRENT.try_with(|current| {
        let previous = current.handle.replace(Some(handle));
        let depth = current.depth.get() + 1;
        current.depth.set(depth);
        (previous, depth)
    });
    ContextGuard {
        entered: entered.ok(),
    }
}

/// Puts back the runtime that was current before its `enter`.
#[derive(Debug)]
pub(crate) struct ContextGuard {
    /// The runtime that was current before (`None` inside: none) and this guard's depth;
    /// `None` if `enter` could not reach the slot, so there is nothing to restore.
    entered: Option<(Option<Handle>, usize)>,
}

impl ContextGuard {
    /// True if `enter` could reach the slot (false only at thread exit).
    pub(crate) fn is_entered(&self) -> bool {
        self.entered.is_some()
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let Some((previous, depth)) = self.entered.take() else {
            return;
        };
        // An error here: the slot is gone, and the value it held with it.
        let in_order = CURRENT.try_with(|current| {
            if current.depth.get() != depth {
                return false;
            }
            current.depth.set(depth - 1);
            *current.handle.borrow_mut() = previous;
            true
        });
        if in_order == Ok(false) && !std::thread::panicking() {
            panic!(
                "goro: EnterGuards dropped out of order: the guards that `Runtime::enter` and \
                 `Handle::enter` return must be dropped in the reverse order of the calls \
                 (the later guard first)"
            );
        }
    }
}

/// Makes a runtime current on this thread while it lives; returned by
/// [`Runtime::enter`](crate::Runtime::enter) and [`Handle::enter`].
///
/// Guards nest: dropping one makes current again whatever runtime (or none) was current
/// before its `enter`. They must be dropped in the reverse order of their creation; one
/// dropped out of order panics. A guard is not `Send`: it belongs to the thread that made it.
///
/// ```
/// let runtime = goro::Runtime::new().unwrap();
/// let guard = runtime.enter();
/// let task = goro::spawn(async { 1 + 1 });
/// drop(guard);
/// assert_eq!(runtime.block_on(task).unwrap(), 2);
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _context: ContextGuard,
    _runtime: PhantomData<&'a Handle>,
    /// `!Send` (the thread-local is this thread's), yet `Sync`, like tokio's guard.
    _thread: PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl EnterGuard<'_> {
    /// Makes `handle` current (the public side of `enter`).
    pub(super) fn new(handle: &Handle) -> EnterGuard<'_> {
        let context = enter(handle.clone());
        if !context.is_entered() {
            panic!(
                "goro: Handle::enter was called while this thread's thread-locals are being \
                 destroyed (the thread is exiting), when no runtime can be made current"
            );
        }
        EnterGuard {
            _context: context,
            _runtime: PhantomData,
            _thread: PhantomData,
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Runs `f` with the current runtime, if any, without cloning it.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    let mut f = Some(f);
    let answer = CURRENT.try_with(|current| {
        let f = f.take().expect("`try_with` calls its closure at most once");
        f(current.handle.borrow().as_ref())
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
