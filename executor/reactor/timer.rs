//! Timers: the wheel (`wheel.rs`) behind a mutex, the clock it runs on (`clock.rs`), and the
//! handle a `Sleep` keeps.
//!
//! ## Time
//! Ticks are whole milliseconds since the reactor was created. A deadline is rounded up to
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
//! ## Holds on the paused clock
//! A paused clock may jump only when every worker is idle (the scheduler's part, see its
//! `paused_clock.rs`) and nothing the scheduler cannot see is under way. The latter take
//! *holds* here (tokio calls them inhibitions of auto-advance): a `block_on` thread that is
//! not parked, a blocking task that has not finished, and a thread waking the timers of a
//! jump. `advance_paused_to_next_if` checks under the wheel lock that no hold is taken and
//! asks the scheduler whether its workers are idle; the jumping thread then holds the clock
//! itself until it has woken what fired, so that a second thread that also found everything
//! idle jumps after it only if the first jump woke nobody.
//!
//! ## Waking the parked driver
//! The driver sleeps in `mio::Poll::poll` until the earliest deadline it saw. A timer
//! inserted with an earlier deadline must wake it. `until_next` records the tick the driver
//! will sleep until (`parked_until`) under the wheel lock, and an insert compares against it
//! under the same lock, so the insert either comes first (the driver sees the timer) or sees
//! the driver's deadline (and wakes it; a wake before the poll makes the poll return at once).
//! While the clock is paused the driver sleeps without a deadline and no insert wakes it:
//! only `advance` and the jumps move a paused clock, and they fire the timers themselves.
//!
//! ## Wakers that panic
//! Fired timers are woken outside the lock, each under `catch_unwind`
//! (`reactor::wake_contained`): a waker that panics must not unwind through the driver's
//! turn (it would kill the worker turning it and leave the driver's lock poisoned), and the
//! wakers after it are still woken.
//!
//! ## Shutdown
//! `shutdown` closes the timers and fires every pending one (the wheel advances to the end of
//! time) under the wheel lock, then wakes them outside it: a thread blocked on a goro timer,
//! in or out of the runtime, returns. Once closed, nothing is inserted or moved (the check is
//! under the same lock, so no timer slips into the wheel after the last firing and keeps its
//! waker forever): a timer polled after its deadline completes, one polled before it panics
//! with a message saying that its runtime shut down, since nothing could ever fire it.

use super::clock::{Clock, saturating_add};
use super::wheel::{TimerKey, Wheel};
use crate::loom::{Arc, AtomicBool, AtomicUsize, Mutex, MutexGuard, lock};
use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// `parked_until` when no driver is sleeping on the timers.
const NOT_PARKED: u64 = 0;

/// The panic of a timer polled, before its deadline, after its runtime shut down.
const SHUT_DOWN: &str = "goro: a timer (a `Sleep`, `Interval` or `Timeout`) was polled after \
     its runtime shut down, so it can never fire; await timers before the runtime is dropped, \
     or drop them with it";

/// The timers shut down: nothing can be registered.
#[derive(Debug)]
struct Closed;

/// The reactor's timers.
pub(crate) struct Timers {
    origin: Instant,
    state: Mutex<State>,
    /// True unless the clock is `Clock::Real`, so that reading a real clock costs no lock.
    /// `Acquire`/`Release` pair the flag with the clock written under the lock.
    virtual_clock: AtomicBool,
    holds: Holds,
}

/// The holds on a paused clock (module doc), counted apart so that a `block_on` waker can
/// take one for the thread it wakes without keeping the whole reactor alive.
///
/// `SeqCst`, every access: a participant that becomes idle releases its hold (or marks
/// itself parked), then reads the others' state; of two doing that at once, at least one
/// must see the other idle (see the scheduler's `paused_clock.rs`), which only a single
/// order of all these operations guarantees.
#[derive(Clone, Debug)]
pub(crate) struct Holds(Arc<AtomicUsize>);

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

struct State {
    wheel: Wheel,
    clock: Clock,
    parked_until: u64,
    fired: Vec<Waker>,
    /// Set by `shutdown`: no timer may be inserted or moved any more.
    closed: bool,
}

impl State {
    /// Moves the timer of `key`, which a live `TimerHandle` holds, to `tick`. Such a key is
    /// never stale: only the handle's own cancel retires it, and the wheel is never replaced.
    fn move_registered(&mut self, key: TimerKey, tick: u64) {
        let moved = self.wheel.reset(key, tick);
        debug_assert!(moved, "a registered timer's key went stale");
    }

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
                closed: false,
            }),
            virtual_clock: AtomicBool::new(false),
            holds: Holds(Arc::new(AtomicUsize::new(0))),
        }
    }

    /// The runtime's clock (see the module doc).
    pub(crate) fn now(&self) -> Instant {
        if self.virtual_clock.load(Acquire) {
            return lock(&self.state).clock.now();
        }
        Instant::now()
    }

    /// Milliseconds since `origin` as a tick, saturating at `u64::MAX`.
    fn tick_of(millis: u128) -> u64 {
        u64::try_from(millis).unwrap_or(u64::MAX)
    }

    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        let ms = since.as_millis();
        let rounded_up = ms + u128::from(since > Duration::from_millis(Self::tick_of(ms)));
        Self::tick_of(rounded_up)
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
        Self::tick_of(now.saturating_duration_since(self.origin).as_millis())
    }

    fn instant_of(&self, tick: u64) -> Instant {
        saturating_add(self.origin, Duration::from_millis(tick))
    }

    /// How long the driver may sleep before the next timer is due; `None` if no timer is
    /// pending, or if time is paused (the clock then moves only when told to). Records the
    /// deadline for inserts (see the module doc).
    pub(crate) fn until_next(&self) -> Option<Duration> {
        let mut state = lock(&self.state);
        if let Clock::Paused(_) = state.clock {
            state.parked_until = NOT_PARKED;
            return None;
        }
        let next = state.wheel.next_expiration();
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
    /// be polled on this thread and insert a timer) and each waker on its own
    /// (`wake_contained`).
    fn fire_locked(&self, mut state: MutexGuard<'_, State>, tick: u64) -> usize {
        let mut fired = std::mem::take(&mut state.fired);
        state.wheel.advance_to(tick, &mut fired);
        drop(state);
        let count = fired.len();
        for waker in fired.drain(..) {
            super::wake_contained(|| waker.wake());
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

    /// Moves a paused clock forward by `by` (at most to the end of time) and fires what came
    /// due. False if not paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        let mut state = lock(&self.state);
        let Clock::Paused(at) = state.clock else {
            return false;
        };
        let to = saturating_add(at, by);
        state.clock = Clock::Paused(to);
        let tick = self.tick_floor(to);
        self.fire_locked(state, tick);
        true
    }

    /// With the clock paused, no hold taken and `idle()` (the scheduler's answer: every
    /// worker idle, no task queued), jumps to the next deadline and fires it, holding the
    /// clock while it wakes what fired (see the module doc). False if it did not jump.
    pub(crate) fn advance_paused_to_next_if(&self, idle: impl FnOnce() -> bool) -> bool {
        if !self.virtual_clock.load(Acquire) {
            return false;
        }
        let mut state = lock(&self.state);
        let (Clock::Paused(at), Some(next)) = (state.clock, state.wheel.next_expiration()) else {
            return false;
        };
        if self.holds.0.load(SeqCst) != 0 || !idle() {
            return false;
        }
        state.clock = Clock::Paused(self.instant_of(next).max(at));
        self.holds.take();
        self.fire_locked(state, next);
        self.holds.0.fetch_sub(1, SeqCst);
        true
    }

    /// The holds on the paused clock (see the module doc).
    pub(crate) fn holds(&self) -> &Holds {
        &self.holds
    }

    /// Releases a hold taken with `holds().take()`. True if it was the last one and the
    /// clock may be paused: the caller must then see whether the clock can jump.
    pub(crate) fn release(&self) -> bool {
        let last = self.holds.0.fetch_sub(1, SeqCst) == 1;
        last && self.virtual_clock.load(Acquire)
    }

    /// Closes the timers and wakes every pending one (see the module doc).
    pub(crate) fn shutdown(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        self.fire_locked(state, u64::MAX);
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
    ///
    /// # Panics
    /// If the deadline has not passed and the runtime shut down (see the module doc).
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_elapsed() {
            self.cancel();
            return Poll::Ready(());
        }
        if self.register(cx.waker()).is_err() {
            panic!("{SHUT_DOWN}");
        }
        Poll::Pending
    }

    /// Puts the timer in the wheel with `waker`, or gives a registered one `waker`; wakes
    /// the driver if it sleeps past the deadline. `Err` once the timers shut down.
    fn register(&mut self, waker: &Waker) -> Result<(), Closed> {
        let timers = self.reactor.timers();
        let tick = Timers::tick_ceil_offset(self.deadline);
        let key = self.key;
        let mut state = lock(&timers.state);
        if state.closed {
            return Err(Closed);
        }
        let wake = if !key.is_registered() {
            self.key = state.wheel.insert(tick, waker.clone());
            state.note_deadline(tick)
        } else if state.wheel.is_fired(key) {
            // Fired, yet the clock is short of the deadline: the wheel ran ahead of a clock
            // that was paused and resumed. Wait for the real deadline.
            state.move_registered(key, tick);
            state.wheel.set_waker(key, waker);
            state.note_deadline(tick)
        } else {
            state.wheel.set_waker(key, waker);
            false
        };
        drop(state);
        if wake {
            self.reactor.wake();
        }
        Ok(())
    }

    /// Sets the deadline and moves a registered timer to it in place (an unregistered one is
    /// inserted at the next poll; after shutdown nothing moves, the next poll decides).
    pub(crate) fn reset(&mut self, deadline: Instant) {
        let timers = self.reactor.timers();
        self.deadline = timers.offset_of(deadline);
        let key = self.key;
        if !key.is_registered() {
            return;
        }
        let tick = Timers::tick_ceil_offset(self.deadline);
        let mut state = lock(&timers.state);
        if state.closed {
            return;
        }
        state.move_registered(key, tick);
        if state.note_deadline(tick) {
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

/// A waker that counts its wakes, for the tests and the loom models below.
#[cfg(test)]
fn counting_waker() -> (std::sync::Arc<CountWakes>, Waker) {
    let wakes = std::sync::Arc::new(CountWakes(AtomicUsize::new(0)));
    (wakes.clone(), Waker::from(wakes))
}

#[cfg(test)]
struct CountWakes(AtomicUsize);

#[cfg(test)]
impl CountWakes {
    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

#[cfg(test)]
impl std::task::Wake for CountWakes {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{TimerHandle, counting_waker};
    use crate::reactor::Handle;
    use std::time::{Duration, Instant};

    #[test]
    fn every_timer_registered_before_the_shutdown_is_woken_by_it() {
        // A registration racing with the shutdown either fails or lands before the shutdown
        // fires the wheel, never after it (where its waker would stay, unwoken, for good).
        for _ in 0..500 {
            let (_driver, reactor) = Handle::new().unwrap();
            let (wakes, waker) = counting_waker();
            let registering = reactor.clone();
            let registrar = std::thread::spawn(move || {
                let far = Instant::now() + Duration::from_secs(3600);
                let mut registered = Vec::new();
                loop {
                    let mut timer = TimerHandle::new(registering.clone(), far);
                    if timer.register(&waker).is_err() {
                        return registered;
                    }
                    registered.push(timer);
                }
            });
            std::thread::yield_now();
            reactor.shutdown();
            let registered = registrar.join().unwrap();
            assert_eq!(wakes.count(), registered.len());
        }
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    //! Loom models of the timers' shutdown (a registration racing with it is either refused
    //! or woken by it) and of the paused clock's jump (of a worker and a `block_on` thread
    //! becoming idle at once, exactly one jumps the clock).

    use super::{TimerHandle, counting_waker};
    use crate::loom::AtomicBool;
    use crate::reactor::Handle;
    use loom::thread;
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::{Duration, Instant};

    #[test]
    fn registrations_racing_with_the_shutdown_are_refused_or_woken() {
        loom::model(|| {
            let (_driver, reactor) = Handle::new().unwrap();
            let (wakes, waker) = counting_waker();
            let far = Instant::now() + Duration::from_secs(3600);
            let registrars: Vec<_> = (0..2)
                .map(|_| {
                    let (reactor, waker) = (reactor.clone(), waker.clone());
                    thread::spawn(move || {
                        let mut timer = TimerHandle::new(reactor, far);
                        let registered = timer.register(&waker).is_ok();
                        (timer, registered)
                    })
                })
                .collect();
            reactor.timers().shutdown();
            let mut registered = 0;
            let mut timers = Vec::new();
            for registrar in registrars {
                let (timer, ok) = registrar.join().unwrap();
                registered += usize::from(ok);
                timers.push(timer);
            }
            assert_eq!(wakes.count(), registered);
        });
    }

    #[test]
    fn the_last_participant_to_become_idle_jumps_the_clock_once() {
        loom::model(|| {
            let (_driver, reactor) = Handle::new().unwrap();
            let timers = reactor.timers();
            timers.pause();
            let (wakes, waker) = counting_waker();
            let mut timer =
                TimerHandle::new(reactor.clone(), timers.now() + Duration::from_secs(1));
            timer.register(&waker).unwrap();
            // The `block_on` thread polls: it holds the clock; the worker is not parked.
            timers.holds().take();
            let worker_parked = std::sync::Arc::new(AtomicBool::new(false));
            let worker = {
                let (reactor, worker_parked) = (reactor.clone(), worker_parked.clone());
                thread::spawn(move || {
                    worker_parked.store(true, SeqCst);
                    // A worker that jumped goes round its loop and parks again (a jump to
                    // a slot of a higher level only cascades: nothing fires yet).
                    while reactor.timers().advance_paused_to_next_if(|| true) {}
                })
            };
            let fired_while_polling = wakes.count();
            if timers.release() {
                while timers.advance_paused_to_next_if(|| worker_parked.load(SeqCst)) {}
            }
            worker.join().unwrap();
            assert_eq!(
                fired_while_polling, 0,
                "the clock jumped while a thread held it"
            );
            assert_eq!(wakes.count(), 1, "the timer fired {} times", wakes.count());
            assert_eq!(timers.holds().count(), 0);
            drop(timer);
        });
    }
}
