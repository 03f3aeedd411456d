//! `Interval`: ticks at a fixed period, as a `tick` method and as a `Stream`.
//!
//! ## The schedule
//! The first tick is due at the start; each tick returns the instant it was due at. When
//! a tick completes no more than [`LATE`] after it was due, the next is due one period
//! after it. When it completes later than that, ticks were missed (the task was busy, or
//! the clock jumped) and the [`MissedTickBehavior`] says when the next is due. `reset*`
//! sets the next tick's instant, after which the schedule runs on from there.

use super::Instant;
use super::sleep::{Sleep, sleep_until};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// How late a tick may complete and still count as on time (tokio's figure): the wheel's
/// millisecond and a little scheduling must not shift a `Delay` or `Skip` schedule.
const LATE: Duration = Duration::from_millis(5);

/// What an [`Interval`] does when ticks were missed: a tick completed more than 5 ms after
/// it was due (the task was busy past one or more deadlines).
///
/// Take a period of 10 ms, ticks due at 0, 10, 20, 30 ms ..., and a tick due at 10 ms that
/// completes at 35 ms: the ticks of 20 and 30 ms were missed.
///
/// ```
/// use goro::time::{MissedTickBehavior, interval};
/// use std::time::Duration;
/// goro::run(async {
///     let mut ticks = interval(Duration::from_millis(10));
///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     ticks.tick().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Catch up: the missed ticks complete at once, one per call, each returning the
    /// instant it was due at (20, then 30 ms), and the schedule goes on as if none had been
    /// late (the next due at 40 ms). The default, as in tokio.
    #[default]
    Burst,
    /// Start again from now: the next tick is due one period after the late one completed
    /// (at 45 ms, then 55, 65 ...). Every tick is at least a period after the one before.
    Delay,
    /// Drop the missed ticks and keep the phase: the next tick is due at the first instant
    /// of the original schedule after the late one completed (at 40 ms, then 50 ...).
    Skip,
}

impl MissedTickBehavior {
    /// When the next tick is due after the tick due at `due` completed late, at `now`.
    fn next_after_late(self, due: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => after(due, period),
            MissedTickBehavior::Delay => after(now, period),
            MissedTickBehavior::Skip => {
                // What is left of the period that `now` falls in (in nanoseconds, as
                // `u128`: no count of missed periods, however large, is truncated).
                let into_period = (now - due).as_nanos() % period.as_nanos();
                after(now, period - duration_from_nanos(into_period))
            }
        }
    }
}

/// `at + by`, or "never" if that does not fit (see `time::deadline_after`).
fn after(at: Instant, by: Duration) -> Instant {
    Instant::from_std(super::deadline_after(at.into_std(), by))
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
/// If `period` is zero, or outside a runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// goro::run(async {
///     let start = Instant::now();
///     let mut ticks = goro::time::interval(Duration::from_millis(5));
///     for _ in 0..3 {
///         ticks.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start` (a [`goro::time::Instant`](Instant) or a
/// `std::time::Instant`).
///
/// # Panics
/// If `period` is zero, or outside a runtime.
///
/// ```
/// use goro::time::Instant;
/// use std::time::Duration;
/// goro::run(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut ticks = goro::time::interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "goro::time::interval: the period must be non-zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed: MissedTickBehavior::default(),
    }
}

/// Ticks at a fixed period; see [`interval`]. Also a [`futures::Stream`] of the ticks'
/// instants, which never ends.
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
/// goro::run(async {
///     let ticks = goro::time::interval(Duration::from_millis(1));
///     let three: Vec<goro::time::Instant> = ticks.take(3).collect().await;
///     assert_eq!(three[2] - three[0], Duration::from_millis(2));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Sleeps until the next tick is due; its deadline is that instant.
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due at.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let mut ticks = goro::time::interval(Duration::from_millis(2));
    ///     let first = ticks.tick().await;
    ///     let second = ticks.tick().await;
    ///     assert_eq!(second - first, Duration::from_millis(2));
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; `tick` as a poll function.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let mut ticks = goro::time::interval(Duration::from_millis(1));
    ///     std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.sleep).poll(cx));
        let due = self.sleep.deadline();
        let now = Instant::now();
        let late = due.checked_add(LATE).is_some_and(|on_time| now > on_time);
        let next = if late {
            self.missed.next_after_late(due, now, self.period)
        } else {
            after(due, self.period)
        };
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(due)
    }

    /// Sets what happens to missed ticks.
    ///
    /// ```
    /// use goro::time::MissedTickBehavior;
    /// goro::run(async {
    ///     let mut ticks = goro::time::interval(std::time::Duration::from_secs(1));
    ///     ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// What happens to missed ticks.
    ///
    /// ```
    /// goro::run(async {
    ///     let ticks = goro::time::interval(std::time::Duration::from_secs(1));
    ///     assert_eq!(ticks.missed_tick_behavior(), goro::time::MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period between ticks.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let ticks = goro::time::interval(Duration::from_secs(2));
    ///     assert_eq!(ticks.period(), Duration::from_secs(2));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule one period from now: the next tick is due then.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     goro::time::pause();
    ///     let mut ticks = goro::time::interval(Duration::from_millis(100));
    ///     ticks.reset();
    ///     let reset_at = Instant::now();
    ///     assert_eq!(ticks.tick().await, reset_at + Duration::from_millis(100));
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.reset_after(self.period);
    }

    /// Restarts the schedule now: the next tick is due at once.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     goro::time::pause();
    ///     let mut ticks = goro::time::interval(Duration::from_secs(60));
    ///     ticks.tick().await;
    ///     ticks.reset_immediately();
    ///     assert_eq!(ticks.tick().await, Instant::now());
    /// });
    /// ```
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule `after` from now: the next tick is due then, the ones after it
    /// a period apart.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     goro::time::pause();
    ///     let mut ticks = goro::time::interval(Duration::from_secs(60));
    ///     ticks.tick().await;
    ///     let start = Instant::now();
    ///     ticks.reset_after(Duration::from_secs(1));
    ///     assert_eq!(ticks.tick().await, start + Duration::from_secs(1));
    ///     assert_eq!(ticks.tick().await, start + Duration::from_secs(61));
    /// });
    /// ```
    pub fn reset_after(&mut self, after_now: Duration) {
        self.reset_at(after(Instant::now(), after_now));
    }

    /// Restarts the schedule at `deadline` (a [`goro::time::Instant`](Instant) or a
    /// `std::time::Instant`): the next tick is due then, even if that is more than a period
    /// away. A deadline already past makes the next tick a late one, which the
    /// [`MissedTickBehavior`] follows.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     goro::time::pause();
    ///     let mut ticks = goro::time::interval(Duration::from_millis(10));
    ///     let at = Instant::now() + Duration::from_secs(1);
    ///     ticks.reset_at(at);
    ///     assert_eq!(ticks.tick().await, at);
    /// });
    /// ```
    pub fn reset_at(&mut self, deadline: impl Into<Instant>) {
        Pin::new(&mut self.sleep).reset(deadline);
    }
}

/// The ticks as a stream: `poll_next` is `poll_tick`, and the stream never ends.
impl futures::Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

/// `nanos` as a `Duration`; it must be below `Duration::MAX` in nanoseconds (a remainder
/// of a division by a `Duration`'s nanoseconds is).
fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).expect("below Duration::MAX");
    Duration::new(secs, (nanos % NANOS_PER_SEC) as u32)
}
