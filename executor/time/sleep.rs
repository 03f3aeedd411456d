//! `Sleep`: a future that completes at a deadline.

use super::Instant;
use crate::coop;
use crate::reactor::TimerHandle;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// Waits until `duration` has passed on the runtime's clock.
///
/// # Panics
/// Outside a runtime (the timer needs the runtime's reactor).
///
/// ```
/// use std::time::{Duration, Instant};
/// goro::run(async {
///     let start = Instant::now();
///     goro::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new("sleep", |now| super::deadline_after(now, duration))
}

/// Waits until `deadline`: a [`goro::time::Instant`](Instant) or a `std::time::Instant`.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use goro::time::Instant;
/// use std::time::Duration;
/// goro::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     goro::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
///     // A `std` instant works too.
///     goro::time::sleep_until(std::time::Instant::now()).await;
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    let deadline = deadline.into().into_std();
    Sleep::new("sleep_until", |_| deadline)
}

/// The future of [`sleep`] and [`sleep_until`]. Its timer is registered on the first poll
/// and removed when it completes or is dropped.
///
/// ```
/// use std::time::Duration;
/// goro::run(async {
///     let sleep = goro::time::sleep(Duration::from_millis(5));
///     let deadline = sleep.deadline();
///     sleep.await;
///     assert!(goro::time::Instant::now() >= deadline);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` them"]
pub struct Sleep {
    /// The deadline and the timer (24 bytes on 64-bit targets; see `TimerHandle`).
    timer: TimerHandle,
}

impl Sleep {
    /// When the sleep completes: the instant given, unless it lies more than about 292 years
    /// from the runtime's start (it is then clamped to that distance).
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let at = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(goro::time::sleep_until(at).deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        Instant::from_std(self.timer.deadline())
    }

    /// True once the deadline has passed.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     assert!(goro::time::sleep(Duration::ZERO).is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.timer.is_elapsed()
    }

    /// Moves the deadline (a [`goro::time::Instant`](Instant) or a `std::time::Instant`),
    /// whether the sleep is pending or completed; the next poll waits for the new one.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let mut sleep = std::pin::pin!(goro::time::sleep(Duration::from_secs(3600)));
    ///     sleep.as_mut().reset(Instant::now() + Duration::from_millis(5));
    ///     sleep.await;
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: impl Into<Instant>) {
        self.get_mut().timer.reset(deadline.into().into_std());
    }
}

impl Sleep {
    /// A sleep until the deadline that `deadline` gives for the runtime's clock now.
    ///
    /// # Panics
    /// Outside a runtime, naming `what` (the function the user called).
    #[track_caller]
    pub(crate) fn new(
        what: &str,
        deadline: impl FnOnce(std::time::Instant) -> std::time::Instant,
    ) -> Sleep {
        Sleep {
            timer: super::clock::timer(what, deadline),
        }
    }

    /// Polls without the cooperative budget: for `Timeout`, whose inner future may have
    /// spent the budget, and whose deadline must still be seen.
    pub(crate) fn poll_unbudgeted(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.timer.poll_elapsed(cx)
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let unit = ready!(coop::poll_proceed(cx));
        ready!(this.poll_unbudgeted(cx));
        unit.made_progress();
        Poll::Ready(())
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// Every task asleep in a `Sleep` carries one in its future (issue 6: memory per
    /// sleeping task): an `Arc` of its shard, a `TimerKey` and an `i64` deadline.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn sleep_is_24_bytes() {
        assert_eq!(std::mem::size_of::<super::Sleep>(), 24);
    }
}
