//! `TimerHandle`: one timer, as a `Sleep` holds it.

use super::super::wheel::TimerKey;
use super::base::Base;
use super::shard::{Closed, Shard};
use crate::loom::Arc;
use crossbeam_utils::CachePadded;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// The panic of a timer polled, before its deadline, after its runtime shut down.
const SHUT_DOWN: &str = "goro: a timer (a `Sleep`, `Interval` or `Timeout`) was polled after \
     its runtime shut down, so it can never fire; await timers before the runtime is dropped, \
     or drop them with it";

/// Where `TimerHandle::register` found the timer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Registered {
    /// In the wheel, waiting, with the poll's waker.
    Waiting,
    /// Fired by the wheel (its tick came), not yet cancelled.
    Fired,
}

/// One timer: its deadline, registered in its shard on the first poll, cancelled on drop.
///
/// 24 bytes on 64-bit targets, which matters because a task sleeping in `Sleep` carries one
/// in its future: a million sleeping tasks carry a million of these.
#[derive(Debug)]
pub(crate) struct TimerHandle {
    /// The shard of the thread that made the timer (`Timers::shard`): its worker's, so that
    /// the reference count, the lock and the wheel the timer touches are that worker's own.
    shard: Arc<CachePadded<Shard>>,
    /// The timer in the shard's wheel, or [`TimerKey::UNREGISTERED`] before the first poll
    /// and after a cancel (a sentinel rather than an `Option`: 8 bytes less per `Sleep`).
    key: TimerKey,
    /// The deadline, as nanoseconds since the timers' origin (`Base::offset_of`): 8 bytes
    /// where an `Instant` takes 16 on Linux. Exact within about 292 years of the runtime's
    /// start; a deadline further away is clamped there, which changes nothing for a timer
    /// (it has long fired, or will not fire in this program's life) but what `deadline`
    /// answers.
    deadline: i64,
}

impl TimerHandle {
    pub(crate) fn new(shard: Arc<CachePadded<Shard>>, deadline: Instant) -> TimerHandle {
        let deadline = shard.base.offset_of(deadline);
        TimerHandle {
            shard,
            key: TimerKey::UNREGISTERED,
            deadline,
        }
    }

    fn base(&self) -> &Base {
        &self.shard.base
    }

    /// The deadline (see the field's doc for when it differs from the one given).
    pub(crate) fn deadline(&self) -> Instant {
        self.base().instant_at(self.deadline)
    }

    /// True once the runtime's clock passed the deadline.
    pub(crate) fn is_elapsed(&self) -> bool {
        self.passed(self.base().now())
    }

    /// True if the clock reading `now` is past the deadline.
    fn passed(&self, now: Instant) -> bool {
        self.base().offset_of(now) >= self.deadline
    }

    /// Ready once the clock passed the deadline; the timer is then out of the wheel.
    ///
    /// 1. This thread's latest reading of the clock (`Base::recent_now`) is past the
    ///    deadline: ready, without reading the clock. (A `sleep` polled where it was made
    ///    finds its own reading there.)
    /// 2. Else, under the shard's lock: not in the wheel yet, it goes in; in it and not
    ///    fired, it takes `waker`. Pending either way: a deadline that passed since that
    ///    reading is due in the wheel, which fires it at the next turn of the reactor.
    /// 3. Fired by the wheel: ready if the clock, read now, is past the deadline. It always
    ///    is, unless the wheel ran ahead of a clock that was paused and resumed: then the
    ///    timer waits again for its real deadline.
    ///
    /// # Panics
    /// If the deadline has not passed and the runtime shut down (`timer.rs`, "Shutdown").
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.base().recent_now().is_some_and(|now| self.passed(now)) {
            self.cancel();
            return Poll::Ready(());
        }
        let waiting = match self.register(cx.waker()) {
            Ok(Registered::Waiting) => Ok(()),
            // Read outside the shard's lock: a paused clock has a lock of its own, taken
            // before the shards' (`Timers::advance_paused_to_next_if`).
            Ok(Registered::Fired) if self.is_elapsed() => {
                self.cancel();
                return Poll::Ready(());
            }
            Ok(Registered::Fired) => self.rearm(cx.waker()),
            Err(closed) => Err(closed),
        };
        if waiting.is_err() {
            if !self.is_elapsed() {
                panic!("{SHUT_DOWN}");
            }
            self.cancel();
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Step 2 of `poll_elapsed`: puts the timer in its shard's wheel with `waker`, or gives
    /// a registered one `waker` (waking the driver if it sleeps past the deadline); or finds
    /// it fired. `Err` once the timers shut down.
    pub(super) fn register(&mut self, waker: &Waker) -> Result<Registered, Closed> {
        let tick = Base::tick_ceil_offset(self.deadline);
        let key = self.key;
        let mut shard = self.shard.lock();
        shard.check_open()?;
        if !key.is_registered() {
            self.key = shard.insert(tick, waker.clone());
        } else if shard.wheel().is_fired(key) {
            return Ok(Registered::Fired);
        } else {
            shard.wheel().set_waker(key, waker);
        }
        Ok(Registered::Waiting)
    }

    /// Step 3's wait again: the wheel fired the timer, yet the clock is short of the
    /// deadline (the wheel ran ahead of a clock that was paused and resumed).
    fn rearm(&mut self, waker: &Waker) -> Result<(), Closed> {
        let tick = Base::tick_ceil_offset(self.deadline);
        let mut shard = self.shard.lock();
        shard.check_open()?;
        shard.move_registered(self.key, tick);
        shard.wheel().set_waker(self.key, waker);
        Ok(())
    }

    /// Sets the deadline and moves a registered timer to it in place (an unregistered one is
    /// inserted at the next poll; after shutdown nothing moves, the next poll decides).
    pub(crate) fn reset(&mut self, deadline: Instant) {
        self.deadline = self.base().offset_of(deadline);
        let key = self.key;
        if !key.is_registered() {
            return;
        }
        let tick = Base::tick_ceil_offset(self.deadline);
        let mut shard = self.shard.lock();
        if shard.check_open().is_ok() {
            shard.move_registered(key, tick);
        }
    }

    fn cancel(&mut self) {
        let key = std::mem::replace(&mut self.key, TimerKey::UNREGISTERED);
        if key.is_registered() {
            self.shard.lock().wheel().cancel(key);
        }
    }
}

impl Drop for TimerHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}
