//! `Interval`: ticks at a fixed period.

use super::sleep::{Sleep, sleep_until};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// What an [`Interval`] does when ticks were missed (the task was busy past one or more
/// deadlines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks at once, one after another, to catch up: the average rate
    /// stays the period (default, as in tokio).
    #[default]
    Burst,
    /// Fire once now, then one period after now: the schedule shifts by the delay.
    Delay,
    /// Fire once now, then at the next deadline of the original schedule: missed ticks are
    /// dropped and the phase is kept.
    Skip,
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
    interval_at(super::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// If `period` is zero, or outside a runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// goro::run(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut ticks = goro::time::interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
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

/// A stream of ticks; see [`interval`].
///
/// ```
/// use std::time::Duration;
/// goro::run(async {
///     let mut ticks = goro::time::interval(Duration::from_millis(1));
///     ticks.set_missed_tick_behavior(goro::time::MissedTickBehavior::Skip);
///     ticks.tick().await;
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled time.
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
        let scheduled = self.sleep.deadline();
        let now = super::now();
        let late = now.saturating_duration_since(scheduled);
        let next = match self.missed {
            MissedTickBehavior::Delay if late > self.period => {
                super::deadline_after(now, self.period)
            }
            MissedTickBehavior::Skip if late > self.period => {
                // The next deadline of the original schedule after `now`: `now` plus what is
                // left of the period it falls in (in nanoseconds, as `u128`: no count of
                // missed periods, however large, is truncated).
                let into_period = late.as_nanos() % self.period.as_nanos();
                let left = self.period - duration_from_nanos(into_period);
                super::deadline_after(now, left)
            }
            _ => super::deadline_after(scheduled, self.period),
        };
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(scheduled)
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

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let mut ticks = goro::time::interval(Duration::from_millis(1));
    ///     ticks.reset();
    ///     ticks.tick().await;
    /// });
    /// ```
    pub fn reset(&mut self) {
        let next = super::deadline_after(super::now(), self.period);
        Pin::new(&mut self.sleep).reset(next);
    }
}

/// `nanos` as a `Duration`; it must be below `Duration::MAX` in nanoseconds (a remainder
/// of a division by a `Duration`'s nanoseconds is).
fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).expect("below Duration::MAX");
    Duration::new(secs, (nanos % NANOS_PER_SEC) as u32)
}
