//! `Driver`: the owner of the `mio::Poll`, turned by the worker parked in the reactor.

use super::{Handle, WAKE_TOKEN};
use std::fmt;
use std::time::Duration;

/// Capacity of the event buffer: how many readiness events one turn takes in.
const EVENTS: usize = 1024;

/// The half of the reactor that blocks. Held by one thread at a time.
pub(crate) struct Driver {
    poll: mio::Poll,
    events: mio::Events,
}

impl Driver {
    pub(crate) fn new(poll: mio::Poll) -> Driver {
        Driver {
            poll,
            events: mio::Events::with_capacity(EVENTS),
        }
    }

    /// Waits for I/O events until the next timer deadline, at most `max_wait` (`None`: no
    /// limit but the timers), then wakes the tasks whose sockets became ready and whose
    /// timers fired. Returns how many tasks' resources became ready.
    pub(crate) fn turn(&mut self, handle: &Handle, max_wait: Option<Duration>) -> usize {
        // A turn that does not block sleeps on no timer: it skips `until_next`, whose
        // stores tell inserters that the driver sleeps (see `timer.rs`).
        let timeout = match max_wait {
            Some(Duration::ZERO) => max_wait,
            _ => match (handle.timers().until_next(), max_wait) {
                (Some(timer), Some(max)) => Some(timer.min(max)),
                (timer, max) => timer.or(max),
            },
        };
        if let Err(err) = self.poll.poll(&mut self.events, timeout) {
            if err.kind() != std::io::ErrorKind::Interrupted {
                panic!("goro: the reactor's poll failed: {err}");
            }
        }
        let mut ready = 0;
        let registrations = handle.io();
        registrations.dispatch(
            self.events
                .iter()
                .filter(|event| event.token() != WAKE_TOKEN),
            &mut ready,
        );
        ready += handle.timers().fire_due();
        ready
    }
}

#[cfg(test)]
impl Driver {
    /// True if the reactor's `mio::Waker` was woken since the last turn (a poll that does
    /// not block, which takes the wake).
    pub(crate) fn take_wake(&mut self) -> bool {
        self.poll
            .poll(&mut self.events, Some(Duration::ZERO))
            .expect("a poll that does not block");
        self.events.iter().any(|event| event.token() == WAKE_TOKEN)
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}
