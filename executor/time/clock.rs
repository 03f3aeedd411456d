//! The runtime's clock: real time, or paused for tests.

use crate::reactor::TimerHandle;
use crate::runtime::{Handle, with_current};
use std::time::{Duration, Instant};

/// Deadlines this far out stand for "never" (tokio's far future).
const FAR_FUTURE: Duration = Duration::from_secs(86400 * 365 * 30);

/// The deadline `by` after `at`. One that does not fit in an `Instant` (a `Duration::MAX`
/// sleep or period) stands for "never": 30 years on, or the end of time if even that does
/// not fit.
pub(crate) fn deadline_after(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .unwrap_or_else(|| crate::reactor::saturating_add(at, FAR_FUTURE))
}

/// The current runtime's clock: `Instant::now()` unless paused. Borrows the runtime (no
/// reference count moves: every timer made reads it).
pub(crate) fn now() -> Instant {
    with_current(|handle| match handle {
        Some(handle) => handle.scheduler.reactor().timers().now(),
        None => Instant::now(),
    })
}

/// A timer for the deadline that `deadline` gives for the runtime's clock now, in the
/// current runtime's shard for this thread (its worker's, if it runs one:
/// `reactor/timer.rs`, "Shards"). One look at the current runtime, borrowed.
///
/// # Panics
/// Outside a runtime, naming `what` (the function the user called).
#[track_caller]
pub(crate) fn timer(what: &str, deadline: impl FnOnce(Instant) -> Instant) -> TimerHandle {
    let timer = with_current(|handle| {
        let scheduler = &handle?.scheduler;
        let timers = scheduler.reactor().timers();
        let shard = timers.shard(crate::scheduler::worker_index(scheduler));
        Some(TimerHandle::new(shard.clone(), deadline(timers.now())))
    });
    match timer {
        Some(timer) => timer,
        None => panic!("goro::time::{what}: {}", crate::runtime::NO_RUNTIME),
    }
}

#[track_caller]
fn with_timers<R>(what: &str, f: impl FnOnce(&crate::reactor::Handle) -> R) -> R {
    match Handle::try_current() {
        Some(handle) => f(handle.scheduler.reactor()),
        None => panic!("goro::time::{what}: {}", crate::runtime::NO_RUNTIME),
    }
}

/// Stops the current runtime's clock. From now on timers see time move only through
/// [`advance`], or by jumping to the next deadline when nothing else can happen first: every
/// worker idle, no blocking task running, every `block_on` thread parked (waiting for its
/// future). A test of a long timeout runs at once and always the same way.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// goro::run(async {
///     goro::time::pause();
///     let start = Instant::now();
///     goro::spawn(goro::time::sleep(Duration::from_secs(3600))).await.unwrap();
///     assert!(start.elapsed() < Duration::from_secs(5));
/// });
/// ```
#[track_caller]
pub fn pause() {
    with_timers("pause", |reactor| reactor.timers().pause());
}

/// Lets a paused clock run again from real time.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// goro::run(async {
///     goro::time::pause();
///     goro::time::resume();
///     goro::time::sleep(std::time::Duration::from_millis(1)).await;
/// });
/// ```
#[track_caller]
pub fn resume() {
    with_timers("resume", |reactor| {
        reactor.timers().resume();
        reactor.wake();
    });
}

/// Moves a paused clock forward by `by`, firing every timer that comes due. A move past the
/// latest instant the platform can represent stops there (every timer is then due).
///
/// It returns once every timer that came due is woken, whichever thread fired it (a worker
/// turning the reactor at that moment may take some first): a test can check the wake-ups
/// right after the call.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused.
///
/// ```
/// use std::time::Duration;
/// goro::run(async {
///     goro::time::pause();
///     let sleeper = goro::spawn(goro::time::sleep(Duration::from_secs(10)));
///     goro::time::advance(Duration::from_secs(10));
///     sleeper.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn advance(by: Duration) {
    let advanced = with_timers("advance", |reactor| reactor.timers().advance(by));
    assert!(
        advanced,
        "goro::time::advance: the clock is not paused; call goro::time::pause() first"
    );
}
