//! Time: sleeping, timeouts and intervals on the runtime's timer wheel.
//!
//! Timers live in the reactor's hierarchical timing wheel (1 ms resolution; insert and
//! cancel cost the same whatever the number of timers), and the worker parked in the reactor
//! sleeps exactly until the next deadline. A timer never fires early; it fires within about
//! a millisecond of its deadline when a worker is free.
//!
//! The clock is [`std::time::Instant`]. For tests it can be paused ([`pause`]): it then
//! stands still, moves by [`advance`], and jumps to the next deadline whenever every worker
//! is idle, no blocking task runs and every `block_on` thread is parked, so a test of a
//! 30 s timeout runs in microseconds.

mod clock;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout};

pub(crate) use clock::{deadline_after, now};
