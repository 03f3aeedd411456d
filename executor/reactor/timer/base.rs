//! What every shard of the timers shares: the origin that ticks count from, the clock (real,
//! paused or shifted), the tick the parked driver sleeps until and how to wake it, and the
//! holds on a paused clock, and the firings still waking what they fired. See `timer.rs` for
//! the protocols that use them.

use super::super::clock::{Clock, saturating_add};
use crate::loom::{Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, fence, lock, yield_thread};
use std::cell::Cell;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::time::{Duration, Instant};

/// `parked_until` when no driver is sleeping on the timers.
pub(super) const NOT_PARKED: u64 = 0;

thread_local! {
    /// The latest reading of a clock on this thread: the clock (`Base::key`) and the
    /// reading (see `Base::recent_now`).
    static LATEST_READING: Cell<Option<((usize, Instant), Instant)>> = const { Cell::new(None) };

    /// How many firings this thread is waking the wakers of (more than one if a waker
    /// fires timers itself): the wakes in flight that `wait_for_wakes_elsewhere` must not
    /// wait for, since they wait for it.
    static WAKING_HERE: Cell<usize> = const { Cell::new(0) };
}

/// The timers' shared half; every shard holds an `Arc` of it.
pub(super) struct Base {
    /// Tick 0.
    origin: Instant,
    /// The clock; read without the lock while `virtual_clock` is false.
    clock: Mutex<Clock>,
    /// True unless the clock is `Clock::Real`, so that reading a real clock costs no lock.
    /// `Acquire`/`Release` pair the flag with the clock written under the lock.
    virtual_clock: AtomicBool,
    /// The tick the driver sleeps until, `u64::MAX` with no deadline, [`NOT_PARKED`] while
    /// it does not sleep on the timers (see "Waking the parked driver" in `timer.rs`).
    pub(super) parked_until: AtomicU64,
    /// Interrupts the driver's sleep (the reactor's `mio::Waker`).
    driver: Arc<mio::Waker>,
    pub(super) holds: Holds,
    /// Firings that took timers out of a wheel and have not woken them all yet
    /// (`Shard::fire`; `timer.rs`, "Firing"). `SeqCst`, as the holds, beside which the
    /// jumps read it.
    wakes_in_flight: AtomicUsize,
}

/// A firing that is waking what it fired (`Base::start_waking`); ends when dropped.
pub(super) struct Waking<'a>(&'a Base);

impl Drop for Waking<'_> {
    fn drop(&mut self) {
        WAKING_HERE.set(WAKING_HERE.get() - 1);
        self.0.wakes_in_flight.fetch_sub(1, SeqCst);
    }
}

/// The holds on a paused clock (`timer.rs`, "Holds on the paused clock"), counted apart so
/// that a `block_on` waker can take one for the thread it wakes without keeping the whole
/// reactor alive.
///
/// `SeqCst`, every access: a participant that becomes idle releases its hold (or marks
/// itself parked), then reads the others' state; of two doing that at once, at least one
/// must see the other idle (see the scheduler's `paused_clock.rs`), which only a single
/// order of all these operations guarantees.
#[derive(Clone, Debug)]
pub(crate) struct Holds(pub(super) Arc<AtomicUsize>);

impl Holds {
    /// Takes a hold.
    pub(crate) fn take(&self) {
        self.0.fetch_add(1, SeqCst);
    }

    /// How many holds are taken.
    #[cfg(all(test, loom))]
    pub(crate) fn count(&self) -> usize {
        self.0.load(SeqCst)
    }

    /// True if `other` counts the holds of the same clock.
    pub(crate) fn is_same(&self, other: &Holds) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Base {
    pub(super) fn new(driver: Arc<mio::Waker>) -> Base {
        Base {
            origin: Instant::now(),
            clock: Mutex::new(Clock::Real),
            virtual_clock: AtomicBool::new(false),
            parked_until: AtomicU64::new(NOT_PARKED),
            driver,
            holds: Holds(Arc::new(AtomicUsize::new(0))),
            wakes_in_flight: AtomicUsize::new(0),
        }
    }

    /// A firing took timers out of a wheel and will wake them: called under the shard's
    /// lock, so that whoever takes the lock next (a jump reading the wheel) sees the wakes
    /// in flight until the returned guard is dropped.
    pub(super) fn start_waking(&self) -> Waking<'_> {
        self.wakes_in_flight.fetch_add(1, SeqCst);
        WAKING_HERE.set(WAKING_HERE.get() + 1);
        Waking(self)
    }

    /// True while a firing is waking what it fired.
    pub(super) fn is_waking(&self) -> bool {
        self.wakes_in_flight.load(SeqCst) != 0
    }

    /// Waits until every firing on other threads has woken what it fired. A firing that
    /// took a timer out of its wheel before a thread's own firing looked owns its wake:
    /// the thread waits for it before saying the timer fired (`Timers::advance`). Wakers
    /// are short (they queue a task or unpark a thread), so the wait yields rather than
    /// sleeps.
    pub(super) fn wait_for_wakes_elsewhere(&self) {
        while self.wakes_in_flight.load(SeqCst) > WAKING_HERE.get() {
            yield_thread();
        }
    }

    /// The runtime's clock. Remembered as this thread's latest reading (`recent_now`).
    pub(super) fn now(&self) -> Instant {
        let now = if self.virtual_clock.load(Acquire) {
            lock(&self.clock).now()
        } else {
            Instant::now()
        };
        LATEST_READING.set(Some((self.key(), now)));
        now
    }

    /// A reading of the clock no later than now, cheap: a virtual clock's reading (a lock,
    /// no system call), or a real clock's latest reading on this thread (`None` if it has
    /// none), without reading it. The clock never goes back, so an earlier reading is a
    /// lower bound of the current one: enough to tell that a deadline has passed, never
    /// that it has not. A timer made with `sleep` reads the clock for its deadline, so its
    /// first poll finds the deadline passed or not without a second read (one clock read
    /// took about a third of the request-timeout pattern's time; issue 15). A paused clock
    /// is read exactly: tests that `advance` it expect a sleep due by then to be ready.
    pub(super) fn recent_now(&self) -> Option<Instant> {
        if self.may_be_virtual() {
            return Some(self.now());
        }
        match LATEST_READING.get() {
            Some((key, reading)) if key == self.key() => Some(reading),
            _ => None,
        }
    }

    /// What tells this clock from every other: its address (compared, never dereferenced)
    /// and its origin. A `Base` allocated where a freed one was has a later origin.
    fn key(&self) -> (usize, Instant) {
        (self as *const Base as usize, self.origin)
    }

    /// The clock, locked (pause, resume, advance and the jumps).
    pub(super) fn clock(&self) -> crate::loom::MutexGuard<'_, Clock> {
        lock(&self.clock)
    }

    /// Sets a virtual clock (paused or shifted); the caller holds the clock's lock.
    pub(super) fn mark_virtual(&self) {
        self.virtual_clock.store(true, Release);
    }

    /// True if the clock may be virtual (a quick look without the lock).
    pub(super) fn may_be_virtual(&self) -> bool {
        self.virtual_clock.load(Acquire)
    }

    /// True if the clock is paused.
    pub(super) fn is_paused(&self) -> bool {
        self.may_be_virtual() && matches!(*self.clock(), Clock::Paused(_))
    }

    /// Milliseconds as a tick, saturating at `u64::MAX`.
    fn tick_of(millis: u128) -> u64 {
        u64::try_from(millis).unwrap_or(u64::MAX)
    }

    /// The tick of `deadline`, rounded up: a timer never fires before its deadline.
    pub(super) fn tick_ceil(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        let ms = since.as_millis();
        let rounded_up = ms + u128::from(since > Duration::from_millis(Self::tick_of(ms)));
        Self::tick_of(rounded_up)
    }

    /// The tick `now` has reached, rounded down.
    pub(super) fn tick_floor(&self, now: Instant) -> u64 {
        Self::tick_of(now.saturating_duration_since(self.origin).as_millis())
    }

    /// The instant at which `tick` starts.
    pub(super) fn instant_of(&self, tick: u64) -> Instant {
        saturating_add(self.origin, Duration::from_millis(tick))
    }

    /// `at` as a `TimerHandle` stores it: nanoseconds since `origin`, negative before it,
    /// saturating at `i64::MIN`/`i64::MAX` (about 292 years either side).
    pub(super) fn offset_of(&self, at: Instant) -> i64 {
        match at.checked_duration_since(self.origin) {
            Some(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            None => {
                let before = self.origin.duration_since(at).as_nanos();
                i64::try_from(before).map_or(i64::MIN, |nanos| -nanos)
            }
        }
    }

    /// The instant `offset_of` gave `offset` for (the same instant unless it saturated).
    pub(super) fn instant_at(&self, offset: i64) -> Instant {
        let distance = Duration::from_nanos(offset.unsigned_abs());
        // `offset` came from `offset_of` of a real instant and saturation only moves it
        // towards `origin`, so the result lies between two instants and exists.
        if offset >= 0 {
            self.origin.checked_add(distance)
        } else {
            self.origin.checked_sub(distance)
        }
        .expect("a timer offset lies between the origin and a real instant")
    }

    /// `tick_ceil` of the instant at `offset`.
    pub(super) fn tick_ceil_offset(offset: i64) -> u64 {
        u64::try_from(offset).map_or(0, |nanos| nanos.div_ceil(1_000_000))
    }

    /// A shard's earliest deadline became `tick` (its `next_due` was just lowered): wakes
    /// the driver if it sleeps past it. Step 2 of "Waking the parked driver" (`timer.rs`).
    pub(super) fn note_earlier_deadline(&self, tick: u64) {
        // The fence pairs with the driver's, between its store of `parked_until` and its
        // scan of the shards' `next_due` (`Timers::until_next`): of the two fences one
        // comes first in their single order, and the loads after it see the stores before
        // the other. So either this load sees the driver's deadline or the driver's scan
        // sees the shard's new `next_due`, stored just before this call.
        fence(SeqCst);
        let parked = self.parked_until.load(SeqCst);
        if parked == NOT_PARKED || tick >= parked {
            return;
        }
        // Lowered by this thread (not by another inserter with an earlier tick): wake.
        if self.parked_until.fetch_min(tick, SeqCst) > tick {
            self.wake_driver();
        }
    }

    /// Interrupts a blocked driver turn.
    pub(super) fn wake_driver(&self) {
        // An error here means the eventfd is gone, i.e. the runtime is being torn down;
        // nobody is left to wake.
        let _ = self.driver.wake();
    }
}
