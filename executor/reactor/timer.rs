//! Timers: one timing wheel (`wheel.rs`) per worker and one for the other threads, each
//! behind its own lock (`timer/shard.rs`); the clock they run on (`timer/base.rs`,
//! `clock.rs`); and the handle a `Sleep` keeps (`timer/handle.rs`).
//!
//! ## Shards
//! A timer made on a worker thread goes into that worker's shard, one made anywhere else
//! (a `block_on` thread, the blocking pool) into the shared one ([`Timers::shard`]; the
//! caller says which worker it runs, if any). So the request-timeout pattern, a timer armed
//! and cancelled around each request, touches only its worker's lock, wheel and reference
//! count: no cache line moves between cores (issue 15; tokio shards its wheel the same way).
//! A timer stays in the shard it was made for: a task that moved (stolen, handed off) and
//! then polls, resets or drops its timer takes that shard's lock, which is then contended
//! only with that shard's worker for as long as one operation lasts.
//!
//! ## Time
//! Ticks are whole milliseconds since the timers were created. A deadline is rounded up to
//! its tick and due timers are found by rounding the clock down, so a timer never fires
//! before its deadline and fires at most about a millisecond after it (plus scheduling).
//! Arithmetic on instants and ticks saturates: a deadline or a clock past what the types
//! hold stands at the end of time rather than panicking.
//!
//! The clock is `Instant::now()`, unless the runtime's time was paused (for tests): then it
//! stands still, on a whole tick so that `advance(d)` fires a timer due exactly `d` later,
//! moves only by `advance`, and jumps to the next deadline when nothing else can happen
//! (`advance_paused_to_next_if`, below). After `resume` it runs again at real speed from
//! where it stood (`Clock::Shifted`), so it never goes back and no timer fires early.
//!
//! ## Firing
//! Whoever turns the reactor fires every shard whose `next_due` (the shard's earliest tick,
//! read without its lock) has come: the parked worker when its sleep ends, a busy worker on
//! its periodic non-blocking turn. `advance`, the jumps and shutdown fire every shard.
//!
//! A firing takes the due timers out of the wheel under the shard's lock and wakes them
//! after dropping it, so for a moment a timer is neither in the wheel nor woken. Two rules
//! cover that moment; from taking the timers out until the last wake the firing counts as
//! a *wake in flight* (`Base::start_waking`, counted under the lock):
//! - `advance` returns only once no other thread has a wake in flight. Another firing may
//!   have taken the timers `advance` made due (a worker turning the reactor at that
//!   moment), and a test that advances the clock expects their tasks woken when it returns.
//! - The paused clock does not jump while a wake is in flight: the woken task is about to
//!   become runnable, and must run before the clock passes the next deadline. The firing
//!   thread checks for a jump when it is idle again (a worker's next park).
//!
//! ## Holds on the paused clock
//! A paused clock may jump only when every worker is idle (the scheduler's part, see its
//! `paused_clock.rs`) and nothing the scheduler cannot see is under way. The latter take
//! *holds* here (tokio calls them inhibitions of auto-advance): a `block_on` thread that is
//! not parked, a blocking task that has not finished, and a thread waking the timers of a
//! jump. `advance_paused_to_next_if` checks under the clock's lock that no hold is taken and
//! no wake is in flight ("Firing"), and asks the scheduler whether its workers are idle;
//! the jumping thread then holds the clock itself until it has woken what fired, so that a
//! second thread that also found everything idle jumps after it only if the first jump
//! woke nobody.
//!
//! ## Waking the parked driver
//! The driver sleeps in `mio::Poll::poll` until the earliest deadline of all shards. A timer
//! inserted (or moved) with an earlier deadline into any shard must wake it:
//! 1. The driver, before it sleeps, stores `u64::MAX` in `parked_until`, then reads every
//!    shard's `next_due`, then lowers `parked_until` to the least of them and sleeps until
//!    that tick (`until_next`). After its sleep it stores `NOT_PARKED` (`fire_due`).
//! 2. An insert that lowers its shard's `next_due` stores it, then reads `parked_until`; if
//!    the driver sleeps past the new tick, it lowers `parked_until` and wakes the driver
//!    (`Base::note_earlier_deadline`). An insert that does not lower `next_due` needs
//!    nothing: the driver wakes by then anyway.
//!
//! Each side stores, runs a `SeqCst` fence, then loads (a fence, not `SeqCst` accesses
//! alone, which loom models as acquire/release only): of the two fences one comes first in
//! their single order, and the loads after it see the store before the other. So either the
//! driver's scan sees the new `next_due`, or the insert sees the driver's deadline and wakes
//! it (a wake before the poll makes the poll return at once). Only the driver's own firing raises
//! a `next_due` while the clock runs, so a bound the driver read stays a bound. A turn that
//! does not block skips step 1: it sleeps on nothing. While the clock is paused the driver
//! sleeps without a deadline and no insert wakes it: only `advance` and the jumps move a
//! paused clock, and they fire the timers themselves.
//!
//! ## Wakers that panic
//! Fired timers are woken outside the shard's lock, each under `catch_unwind`
//! (`reactor::wake_contained`): a waker that panics must not unwind through the driver's
//! turn (it would kill the worker turning it and leave the shard's lock poisoned), and the
//! wakers after it are still woken.
//!
//! ## Shutdown
//! `shutdown` closes every shard and fires every pending timer (the wheel advances to the
//! end of time) under the shard's lock, then wakes them outside it: a thread blocked on a
//! goro timer, in or out of the runtime, returns. Once closed, nothing is inserted or moved
//! (the check is under the same lock, so no timer slips into a wheel after its last firing
//! and keeps its waker forever): a timer polled after its deadline completes, one polled
//! before it panics with a message saying that its runtime shut down, since nothing could
//! ever fire it.

mod base;
mod handle;
mod shard;

pub(crate) use base::Holds;
pub(crate) use handle::TimerHandle;

use super::clock::{Clock, saturating_add};
use crate::loom::{Arc, fence};
use base::{Base, NOT_PARKED};
use crossbeam_utils::CachePadded;
use shard::Shard;
use std::fmt;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

/// The reactor's timers.
pub(crate) struct Timers {
    base: Arc<Base>,
    /// One shard per worker, by worker index, then the shared one (module doc).
    shards: Box<[Arc<CachePadded<Shard>>]>,
}

impl Timers {
    /// Timers with a shard for each of `workers` workers and one for other threads; `driver`
    /// interrupts the driver's sleep.
    pub(crate) fn new(workers: usize, driver: Arc<mio::Waker>) -> Timers {
        let base = Arc::new(Base::new(driver));
        let shards = (0..=workers)
            .map(|_| Arc::new(CachePadded::new(Shard::new(base.clone()))))
            .collect();
        Timers { base, shards }
    }

    /// The shard for a timer made on worker `worker` (`None`: a thread that is no worker
    /// of this runtime). A worker index with no shard of its own (a reactor built for fewer
    /// workers, in tests) takes the shared one.
    pub(crate) fn shard(&self, worker: Option<usize>) -> &Arc<CachePadded<Shard>> {
        let shared = self.shards.len() - 1;
        &self.shards[worker.filter(|&index| index < shared).unwrap_or(shared)]
    }

    /// The runtime's clock (see the module doc).
    pub(crate) fn now(&self) -> Instant {
        self.base.now()
    }

    /// How long the driver may sleep before the next timer is due; `None` if no timer is
    /// pending, or if time is paused (the clock then moves only when told to). Step 1 of
    /// "Waking the parked driver": call it only for a turn that may block.
    pub(crate) fn until_next(&self) -> Option<Duration> {
        let parked_until = &self.base.parked_until;
        if self.base.is_paused() {
            parked_until.store(NOT_PARKED, SeqCst);
            return None;
        }
        // The fence between the store and the scan pairs with the inserters' (module doc).
        parked_until.store(u64::MAX, SeqCst);
        fence(SeqCst);
        let next = self.shards.iter().map(|shard| shard.next_due()).min()?;
        if next == u64::MAX {
            return None;
        }
        parked_until.fetch_min(next, SeqCst);
        let now = self.base.now();
        Some(self.base.instant_of(next).saturating_duration_since(now))
    }

    /// Fires every timer due by the clock; returns how many. Called by the driver after each
    /// turn, which also ends its sleep on the timers.
    pub(crate) fn fire_due(&self) -> usize {
        let parked_until = &self.base.parked_until;
        // `SeqCst`, as every access to it (module doc); skipped when already so, which is
        // every turn that did not block: no store to a line the inserters read.
        if parked_until.load(SeqCst) != NOT_PARKED {
            parked_until.store(NOT_PARKED, SeqCst);
        }
        let now = self.base.tick_floor(self.base.now());
        self.shards
            .iter()
            .filter(|shard| shard.next_due() <= now)
            .map(|shard| shard.fire(now, false))
            .sum()
    }

    /// Fires every shard up to `tick`; returns how many timers fired.
    fn fire_all(&self, tick: u64) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.fire(tick, false))
            .sum()
    }

    /// Stops the clock at its current reading, rounded up to a whole tick.
    pub(crate) fn pause(&self) {
        let mut clock = self.base.clock();
        if let Clock::Paused(_) = *clock {
            return;
        }
        let at = self.base.instant_of(self.base.tick_ceil(clock.now()));
        *clock = Clock::Paused(at);
        self.base.mark_virtual();
    }

    /// Lets a paused clock run again at real speed from where it stands.
    pub(crate) fn resume(&self) {
        let mut clock = self.base.clock();
        if let Clock::Paused(at) = *clock {
            *clock = Clock::Shifted {
                at,
                since: Instant::now(),
            };
        }
    }

    /// Moves a paused clock forward by `by` (at most to the end of time) and fires what came
    /// due; returns once all of it is woken, also what another thread's firing took out of
    /// the wheel first ("Firing" in the module doc). False if not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        let tick = {
            let mut clock = self.base.clock();
            let Clock::Paused(at) = *clock else {
                return false;
            };
            let to = saturating_add(at, by);
            *clock = Clock::Paused(to);
            self.base.tick_floor(to)
        };
        self.fire_all(tick);
        self.base.wait_for_wakes_elsewhere();
        true
    }

    /// With the clock paused, no hold taken and `idle()` (the scheduler's answer: every
    /// worker idle, no task queued), jumps to the next deadline and fires it, holding the
    /// clock while it wakes what fired (see the module doc). False if it did not jump.
    pub(crate) fn advance_paused_to_next_if(&self, idle: impl FnOnce() -> bool) -> bool {
        if !self.base.may_be_virtual() {
            return false;
        }
        let mut clock = self.base.clock();
        let Clock::Paused(at) = *clock else {
            return false;
        };
        // Each wheel's own answer, not `next_due`: a cancelled timer's bound must not move
        // the clock to its deadline.
        let next = self
            .shards
            .iter()
            .filter_map(|shard| shard.lock().next_expiration())
            .min();
        let Some(next) = next else {
            return false;
        };
        if self.base.holds.0.load(SeqCst) != 0 || self.base.is_waking() || !idle() {
            return false;
        }
        *clock = Clock::Paused(self.base.instant_of(next).max(at));
        self.base.holds.take();
        drop(clock);
        self.fire_all(next);
        self.base.holds.0.fetch_sub(1, SeqCst);
        true
    }

    /// The holds on the paused clock (see the module doc).
    pub(crate) fn holds(&self) -> &Holds {
        &self.base.holds
    }

    /// Releases a hold taken with `holds().take()`. True if it was the last one and the
    /// clock may be paused: the caller must then see whether the clock can jump.
    pub(crate) fn release(&self) -> bool {
        let last = self.base.holds.0.fetch_sub(1, SeqCst) == 1;
        last && self.base.may_be_virtual()
    }

    /// Closes every shard and wakes every pending timer (see the module doc).
    pub(crate) fn shutdown(&self) {
        for shard in self.shards.iter() {
            shard.fire(u64::MAX, true);
        }
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(test)]
mod test_support;
#[cfg(all(test, not(loom)))]
mod tests;
