//! The timers' clock (real, paused, or running again after a pause) and the instant
//! arithmetic of the time code, which saturates instead of panicking.

use std::time::{Duration, Instant};

/// Where the runtime's time comes from.
#[derive(Clone, Copy, Debug)]
pub(super) enum Clock {
    /// `Instant::now()`.
    Real,
    /// Stopped at this instant.
    Paused(Instant),
    /// Running at real speed from `at`, which it showed at the real instant `since`.
    Shifted { at: Instant, since: Instant },
}

impl Clock {
    pub(super) fn now(self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            Clock::Paused(at) => at,
            Clock::Shifted { at, since } => saturating_add(at, since.elapsed()),
        }
    }
}

/// `at + by`, or the latest instant the platform can represent (to the second) when that
/// overflows: a paused clock moved by `Duration::MAX` stands at the end of time, where every
/// timer is due, instead of panicking.
pub(crate) fn saturating_add(at: Instant, by: Duration) -> Instant {
    at.checked_add(by).unwrap_or_else(|| latest_from(at))
}

/// The latest instant `at` plus a whole number of seconds: a binary search over the seconds
/// that still fit (at most 64 steps; only ever run on an overflow).
#[cold]
fn latest_from(at: Instant) -> Instant {
    let (mut fits, mut overflows) = (0u64, u64::MAX);
    while overflows - fits > 1 {
        let middle = fits + (overflows - fits) / 2;
        if at.checked_add(Duration::from_secs(middle)).is_some() {
            fits = middle;
        } else {
            overflows = middle;
        }
    }
    at + Duration::from_secs(fits)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::saturating_add;
    use std::time::{Duration, Instant};

    #[test]
    fn saturating_add_adds_or_stops_at_the_end_of_time() {
        let now = Instant::now();
        assert_eq!(
            saturating_add(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        let end = saturating_add(now, Duration::MAX);
        assert!(end - now > Duration::from_secs(1_000 * 365 * 86_400));
        assert_eq!(saturating_add(end, Duration::from_secs(1)), end);
        assert_eq!(saturating_add(end, Duration::MAX), end);
    }
}
