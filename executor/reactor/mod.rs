//! The reactor: one `mio::Poll` per runtime, turned by whichever worker parks in it.
//!
//! - `Driver` (`driver.rs`) owns the `mio::Poll` and its event buffer. Only the worker
//!   holding the driver lock calls `turn`: it blocks until an I/O event, the next timer
//!   deadline or a `wake`, then dispatches the events and fires due timers.
//! - `Handle` (this file) is shared: the `mio::Registry` to register sockets with, the
//!   `mio::Waker` that interrupts a blocked `turn`, the table of I/O registrations
//!   (`io.rs`) and the timers (`timer.rs`: a timing wheel per worker and one shared).
//!
//! Wakers are called from inside `turn`, on a worker thread, so the woken tasks land in
//! that worker's `next` slot and local queue: a request and its response stay on one core.
//!
//! ## Shutdown
//! When the runtime drops, `Handle::shutdown` marks every registration shut down and wakes
//! it (a socket that outlives its runtime answers an error instead of hanging), then closes
//! the timers and wakes every pending one (a timer that outlives its runtime completes if
//! its deadline passed, else panics with a clear message, instead of hanging; see
//! `timer.rs`). The wheel lets go of every waker, which breaks the reference cycle task →
//! scheduler → reactor → waker → task.

mod clock;
mod driver;
mod io;
mod timer;
mod wheel;

pub(crate) use clock::saturating_add;
pub(crate) use driver::Driver;
pub(crate) use io::{Direction, IoSource};
pub(crate) use timer::{Holds, TimerHandle};

use crate::loom::Arc;
use std::io as stdio;

/// Calls `wake` (a waker's `wake`, or an `AtomicWaker`'s), containing a panic of the waker
/// it calls: the panic hook has reported it, its payload is dropped here, and the thread goes
/// on (it may be the driver's, with more wakers to wake; see `timer.rs` and `io.rs`).
pub(crate) fn wake_contained(wake: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(wake));
}

/// Token of the `mio::Waker`; registrations use the others.
const WAKE_TOKEN: mio::Token = mio::Token(usize::MAX);

/// The shared half of the reactor.
#[derive(Clone, Debug)]
pub(crate) struct Handle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: mio::Registry,
    /// Shared with the timers, which wake the driver for an earlier deadline.
    waker: Arc<mio::Waker>,
    io: io::Registrations,
    timers: timer::Timers,
}

impl Handle {
    /// A reactor whose timers all go to the shared wheel, for tests of other parts.
    #[cfg(test)]
    pub(crate) fn new() -> stdio::Result<(Driver, Handle)> {
        Handle::for_workers(0)
    }

    /// Creates a reactor for a runtime of `workers` workers (each gets a timer wheel of its
    /// own): its driver (to park in) and its handle.
    pub(crate) fn for_workers(workers: usize) -> stdio::Result<(Driver, Handle)> {
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE_TOKEN)?);
        let handle = Handle {
            inner: Arc::new(Inner {
                registry,
                timers: timer::Timers::new(workers, waker.clone()),
                waker,
                io: io::Registrations::new(),
            }),
        };
        Ok((Driver::new(poll), handle))
    }

    /// Interrupts a blocked `Driver::turn`.
    pub(crate) fn wake(&self) {
        // An error here means the eventfd is gone, i.e. the runtime is being torn down;
        // nobody is left to wake.
        let _ = self.inner.waker.wake();
    }

    pub(crate) fn timers(&self) -> &timer::Timers {
        &self.inner.timers
    }

    fn registry(&self) -> &mio::Registry {
        &self.inner.registry
    }

    fn io(&self) -> &io::Registrations {
        &self.inner.io
    }

    /// Shuts every registration and timer down (see the module doc).
    pub(crate) fn shutdown(&self) {
        self.inner.io.shutdown();
        self.inner.timers.shutdown();
    }
}
