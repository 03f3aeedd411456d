//! `Instant`: a point on the runtime's clock, which follows `pause` and `advance`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A point in time on goro's clock: [`std::time::Instant`] underneath, but
/// [`Instant::now`] reads the current runtime's clock, so that it stands still while time
/// is [paused](super::pause) and moves with [`advance`](super::advance). Outside a runtime
/// it reads real time. Every function of [`goro::time`](super) that takes a deadline takes
/// `impl Into<Instant>`, so a `std::time::Instant` works there too.
///
/// ```
/// use goro::time::Instant;
/// use std::time::Duration;
/// goro::run(async {
///     goro::time::pause();
///     let start = Instant::now();
///     goro::time::advance(Duration::from_secs(5));
///     assert_eq!(start.elapsed(), Duration::from_secs(5));
///     assert_eq!(Instant::now() - start, Duration::from_secs(5));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current runtime's clock now (real time outside a runtime).
    ///
    /// ```
    /// let earlier = goro::time::Instant::now();
    /// assert!(goro::time::Instant::now() >= earlier);
    /// ```
    pub fn now() -> Instant {
        Instant(super::now())
    }

    /// The same instant as a `goro` one.
    ///
    /// ```
    /// let std_now = std::time::Instant::now();
    /// assert_eq!(goro::time::Instant::from_std(std_now).into_std(), std_now);
    /// ```
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant(std)
    }

    /// The same instant as a `std` one.
    ///
    /// ```
    /// let now = goro::time::Instant::now();
    /// let std_now: std::time::Instant = now.into_std();
    /// assert_eq!(goro::time::Instant::from(std_now), now);
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// let start = Instant::now();
    /// let later = start + Duration::from_secs(1);
    /// assert_eq!(later.duration_since(start), Duration::from_secs(1));
    /// assert_eq!(start.duration_since(later), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// let start = Instant::now();
    /// let later = start + Duration::from_millis(5);
    /// assert_eq!(later.checked_duration_since(start), Some(Duration::from_millis(5)));
    /// assert_eq!(start.checked_duration_since(later), None);
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// let start = Instant::now();
    /// assert_eq!(start.saturating_duration_since(start + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// The time since `self` on the current runtime's clock ([`Instant::now`]); zero if
    /// `self` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     goro::time::pause();
    ///     let start = goro::time::Instant::now();
    ///     goro::time::sleep(Duration::from_secs(60)).await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(60));
    /// });
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, or `None` if that does not fit in an `Instant`.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// let now = Instant::now();
    /// assert_eq!(now.checked_add(Duration::from_secs(1)), Some(now + Duration::from_secs(1)));
    /// assert_eq!(now.checked_add(Duration::MAX), None);
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` if that does not fit in an `Instant`.
    ///
    /// ```
    /// use goro::time::Instant;
    /// use std::time::Duration;
    /// let now = Instant::now();
    /// assert_eq!(now.checked_sub(Duration::ZERO), Some(now));
    /// assert_eq!(now.checked_sub(Duration::MAX), None);
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

/// # Panics
/// If the result does not fit in an `Instant` (as `std::time::Instant`'s `+` does).
impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, duration: Duration) -> Instant {
        Instant(self.0 + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

/// # Panics
/// If the result does not fit in an `Instant`.
impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0 - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

/// The time from `earlier` to `self`, zero if `earlier` is later (as tokio's `Instant`).
impl Sub<Instant> for Instant {
    type Output = Duration;

    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
