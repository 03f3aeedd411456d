//! Time: sleeping, timeouts and intervals on the runtime's timer wheels.
//!
//! Timers live in hierarchical timing wheels, one per worker and one for other threads
//! (1 ms resolution; insert and cancel cost the same whatever the number of timers, and a
//! timer armed and cancelled on a worker touches nothing another worker uses), and the
//! worker parked in the reactor sleeps exactly until the next deadline. A timer never fires
//! early; it fires within about a millisecond of its deadline when a worker is free.
//!
//! The clock is [`Instant`], a `std::time::Instant` whose [`Instant::now`] follows the
//! runtime's clock. For tests it can be paused ([`pause`]): it then stands still, moves by
//! [`advance`], and jumps to the next deadline whenever every worker is idle, no blocking
//! task runs and every `block_on` thread is parked, so a test of a 30 s timeout runs in
//! microseconds. Every function that takes a deadline takes `impl Into<Instant>`, so
//! `std::time::Instant` works there too.

mod clock;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};

pub(crate) use clock::{deadline_after, now};
