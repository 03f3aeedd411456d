//! Timers: the wheel (`wheel.rs`) behind a mutex, the clock it runs on, and the handle a
//! `Sleep` keeps.
//!
//! ## Time
//! Ticks are whole milliseconds since the reactor was created. A deadline is rounded up to
//! its tick and due timers are found by rounding the clock down, so a timer never fires
//! before its deadline and fires at most about a millisecond after it (plus scheduling).
//!
//! The clock is `Instant::now()`, unless the runtime's time was paused (for tests): then it
//! stands still, on a whole tick so that `advance(d)` fires a timer due exactly `d` later,
//! moves only by `advance`, and jumps to the next deadline when every worker is idle
//! (`advance_paused_to_next`). After `resume` it runs again at real speed from where it
//! stood (`Clock::Shifted`), so it never goes back and no timer fires early.
//!
//! ## Waking the parked driver
//! The driver sleeps in `mio::Poll::poll` until the earliest deadline it saw. A timer
//! inserted with an earlier deadline must wake it. `until_next` records the tick the driver
//! will sleep until (`parked_until`) under the wheel lock, and `insert` compares against it
//! under the same lock, so the insert either comes first (the driver sees the timer) or sees
//! the driver's deadline (and wakes it; a wake before the poll makes the poll return at once).

use super::wheel::{TimerKey, Wheel};
use crate::loom::{AtomicBool, Mutex, lock};
use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// `parked_until` when no driver is sleeping on the timers.
const NOT_PARKED: u64 = 0;

/// The reactor's timers.
pub(crate) struct Timers {
    origin: Instant,
    state: Mutex<State>,
    /// True unless the clock is `Clock::Real`, so that reading a real clock costs no lock.
    /// `Acquire`/`Release` pair the flag with the clock written under the lock.
    virtual_clock: AtomicBool,
    /// Set by `shutdown`: no timer may be inserted any more.
    closed: AtomicBool,
}

struct State {
    wheel: Wheel,
    clock: Clock,
    parked_until: u64,
    fired: Vec<Waker>,
}

/// Where the runtime's time comes from.
#[derive(Clone, Copy)]
enum Clock {
    /// `Instant::now()`.
    Real,
    /// Stopped at this instant.
    Paused(Instant),
    /// Running at real speed from `at`, which it showed at the real instant `since`.
    Shifted { at: Instant, since: Instant },
}

impl Clock {
    fn now(self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            Clock::Paused(at) => at,
            Clock::Shifted { at, since } => at + since.elapsed(),
        }
    }
}

impl State {
    /// A timer now fires at `tick`: true if the driver sleeps past it and must be woken
    /// (see the module doc).
    fn note_deadline(&mut self, tick: u64) -> bool {
        let wake = self.parked_until != NOT_PARKED && tick < self.parked_until;
        if wake {
            self.parked_until = tick;
        }
        wake
    }
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            origin: Instant::now(),
            state: Mutex::new(State {
                wheel: Wheel::new(),
                clock: Clock::Real,
                parked_until: NOT_PARKED,
                fired: Vec::new(),
            }),
            virtual_clock: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// The runtime's clock (see the module doc).
    pub(crate) fn now(&self) -> Instant {
        if self.virtual_clock.load(Acquire) {
            return lock(&self.state).clock.now();
        }
        Instant::now()
    }

    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        let ms = since.as_millis() as u64;
        if since > Duration::from_millis(ms) {
            ms + 1
        } else {
            ms
        }
    }

    /// `at` as a [`TimerHandle`] stores it: nanoseconds since `origin`, negative before it,
    /// saturating at `i64::MIN`/`i64::MAX` (about 292 years either side).
    fn offset_of(&self, at: Instant) -> i64 {
        match at.checked_duration_since(self.origin) {
            Some(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            None => {
                let before = self.origin.duration_since(at).as_nanos();
                i64::try_from(before).map_or(i64::MIN, |nanos| -nanos)
            }
        }
    }

    /// The instant `offset_of` gave `offset` for (the same instant unless it saturated).
    fn instant_at(&self, offset: i64) -> Instant {
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
    fn tick_ceil_offset(offset: i64) -> u64 {
        u64::try_from(offset).map_or(0, |nanos| nanos.div_ceil(1_000_000))
    }

    fn tick_floor(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_millis() as u64
    }

    fn instant_of(&self, tick: u64) -> Instant {
        self.origin + Duration::from_millis(tick)
    }

    /// How long the driver may sleep before the next timer is due; `None` if no timer is
    /// pending, or if time is paused (the clock then moves only when told to). Records the
    /// deadline for `insert` (see the module doc).
    pub(crate) fn until_next(&self) -> Option<Duration> {
        let mut state = lock(&self.state);
        let next = match state.clock {
            Clock::Paused(_) => None,
            _ => state.wheel.next_expiration(),
        };
        state.parked_until = next.unwrap_or(u64::MAX);
        let now = state.clock.now();
        next.map(|tick| self.instant_of(tick).saturating_duration_since(now))
    }

    /// Fires every timer due by the clock; returns how many. Called by the driver after each
    /// turn, which also ends its sleep on the timers.
    pub(crate) fn fire_due(&self) -> usize {
        let mut state = lock(&self.state);
        state.parked_until = NOT_PARKED;
        let now = self.tick_floor(state.clock.now());
        self.fire_locked(state, now)
    }

    /// Advances the wheel to `tick` and wakes what fired, outside the lock (a woken task may
    /// be polled on this thread and insert a timer).
    fn fire_locked(&self, mut state: crate::loom::MutexGuard<'_, State>, tick: u64) -> usize {
        let mut fired = std::mem::take(&mut state.fired);
        state.wheel.advance_to(tick, &mut fired);
        drop(state);
        let count = fired.len();
        for waker in fired.drain(..) {
            waker.wake();
        }
        let mut state = lock(&self.state);
        if state.fired.capacity() < fired.capacity() {
            state.fired = fired;
        }
        count
    }

    /// Stops the clock at its current reading, rounded up to a whole tick.
    pub(crate) fn pause(&self) {
        let mut state = lock(&self.state);
        if let Clock::Paused(_) = state.clock {
            return;
        }
        let at = self.instant_of(self.tick_ceil(state.clock.now()));
        state.clock = Clock::Paused(at);
        self.virtual_clock.store(true, Release);
    }

    /// Lets a paused clock run again at real speed from where it stands.
    pub(crate) fn resume(&self) {
        let mut state = lock(&self.state);
        if let Clock::Paused(at) = state.clock {
            state.clock = Clock::Shifted {
                at,
                since: Instant::now(),
            };
        }
    }

    /// True while the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.virtual_clock.load(Acquire) && matches!(lock(&self.state).clock, Clock::Paused(_))
    }

    /// Moves a paused clock forward by `by` and fires what came due. False if not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        let mut state = lock(&self.state);
        let Clock::Paused(at) = state.clock else {
            return false;
        };
        let to = at + by;
        state.clock = Clock::Paused(to);
        let tick = self.tick_floor(to);
        self.fire_locked(state, tick);
        true
    }

    /// With the clock paused and nothing else to do, jumps to the next deadline and fires
    /// it. False if the clock runs or no timer is pending.
    pub(crate) fn advance_paused_to_next(&self) -> bool {
        let mut state = lock(&self.state);
        let (Clock::Paused(at), Some(next)) = (state.clock, state.wheel.next_expiration()) else {
            return false;
        };
        state.clock = Clock::Paused(self.instant_of(next).max(at));
        self.fire_locked(state, next);
        true
    }

    /// Registers a timer for `tick`. Returns the key and whether the driver must be woken to
    /// sleep less. `None` once the reactor shut down.
    fn insert(&self, tick: u64, waker: &Waker) -> Option<(TimerKey, bool)> {
        if self.closed.load(Acquire) {
            return None;
        }
        let mut state = lock(&self.state);
        let key = state.wheel.insert(tick, waker.clone());
        Some((key, state.note_deadline(tick)))
    }

    /// Drops every timer's waker (see the reactor's shutdown).
    pub(crate) fn shutdown(&self) {
        self.closed.store(true, Release);
        let mut state = lock(&self.state);
        let wheel = std::mem::take(&mut state.wheel);
        drop(state);
        drop(wheel);
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers").finish_non_exhaustive()
    }
}

/// One timer, as a `Sleep` holds it: its deadline, registered on the first poll, cancelled
/// on drop.
///
/// 24 bytes on 64-bit targets, which matters because a task sleeping in `Sleep` carries one
/// in its future: a million sleeping tasks carry a million of these.
#[derive(Debug)]
pub(crate) struct TimerHandle {
    reactor: super::Handle,
    /// The timer in the wheel, or [`TimerKey::UNREGISTERED`] before the first poll and after
    /// a cancel (a sentinel rather than an `Option`: 8 bytes less per `Sleep`).
    key: TimerKey,
    /// The deadline, as nanoseconds since the timers' origin (`Timers::offset_of`): 8 bytes
    /// where an `Instant` takes 16 on Linux. Exact within about 292 years of the runtime's
    /// start; a deadline further away is clamped there, which changes nothing for a timer
    /// (it has long fired, or will not fire in this program's life) but what `deadline`
    /// answers.
    deadline: i64,
}

impl TimerHandle {
    pub(crate) fn new(reactor: super::Handle, deadline: Instant) -> TimerHandle {
        let deadline = reactor.timers().offset_of(deadline);
        TimerHandle {
            reactor,
            key: TimerKey::UNREGISTERED,
            deadline,
        }
    }

    /// The deadline (see the field's doc for when it differs from the one given).
    pub(crate) fn deadline(&self) -> Instant {
        self.reactor.timers().instant_at(self.deadline)
    }

    /// True once the runtime's clock passed the deadline.
    pub(crate) fn is_elapsed(&self) -> bool {
        let timers = self.reactor.timers();
        timers.offset_of(timers.now()) >= self.deadline
    }

    /// Ready once the clock passed the deadline.
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_elapsed() {
            self.cancel();
            return Poll::Ready(());
        }
        let timers = self.reactor.timers();
        let tick = Timers::tick_ceil_offset(self.deadline);
        let key = self.key;
        if !key.is_registered() {
            match timers.insert(tick, cx.waker()) {
                Some((key, wake)) => {
                    self.key = key;
                    if wake {
                        self.reactor.wake();
                    }
                }
                None => panic!("goro: a timer was polled after its runtime shut down"),
            }
            return Poll::Pending;
        }
        let mut state = lock(&timers.state);
        if state.wheel.is_fired(key) {
            // Fired, yet the clock is short of the deadline: the wheel ran ahead of a clock
            // that was paused and resumed. Wait for the real deadline.
            if !state.wheel.reset(key, tick) {
                drop(state);
                self.key = TimerKey::UNREGISTERED;
                return self.poll_elapsed(cx);
            }
            let wake = state.note_deadline(tick);
            state.wheel.set_waker(key, cx.waker());
            drop(state);
            if wake {
                self.reactor.wake();
            }
            return Poll::Pending;
        }
        state.wheel.set_waker(key, cx.waker());
        Poll::Pending
    }

    /// Sets the deadline and moves a registered timer to it in place (an unregistered one is
    /// inserted at the next poll).
    pub(crate) fn reset(&mut self, deadline: Instant) {
        let timers = self.reactor.timers();
        self.deadline = timers.offset_of(deadline);
        let key = self.key;
        if !key.is_registered() {
            return;
        }
        let tick = Timers::tick_ceil_offset(self.deadline);
        let mut state = lock(&timers.state);
        if !state.wheel.reset(key, tick) {
            self.key = TimerKey::UNREGISTERED;
        } else if state.note_deadline(tick) {
            drop(state);
            self.reactor.wake();
        }
    }

    fn cancel(&mut self) {
        let key = std::mem::replace(&mut self.key, TimerKey::UNREGISTERED);
        if key.is_registered() {
            lock(&self.reactor.timers().state).wheel.cancel(key);
        }
    }
}

impl Drop for TimerHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}
