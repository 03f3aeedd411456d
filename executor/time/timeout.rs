//! `timeout`: bound the time a future may take.

use super::Instant;
use super::sleep::Sleep;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] if time ran out first
/// (the future is then dropped).
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use std::time::Duration;
/// goro::run(async {
///     let slow = goro::time::timeout(Duration::from_millis(10), std::future::pending::<()>());
///     assert!(slow.await.is_err());
///     let fast = goro::time::timeout(Duration::from_secs(10), async { 1 });
///     assert_eq!(fast.await.unwrap(), 1);
/// });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: Sleep::new("timeout", |now| super::deadline_after(now, duration)),
    }
}

/// Runs `future` until `deadline` (a [`goro::time::Instant`](Instant) or a
/// `std::time::Instant`) at most: its output, or [`Elapsed`] if the deadline came first
/// (the future is then dropped). A deadline already past still polls the future once.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// use goro::time::Instant;
/// use std::time::Duration;
/// goro::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     let slow = goro::time::timeout_at(deadline, std::future::pending::<()>());
///     assert!(slow.await.is_err());
///     assert!(Instant::now() >= deadline);
///     let past = goro::time::timeout_at(deadline, async { 1 });
///     assert_eq!(past.await.unwrap(), 1);
/// });
/// ```
#[track_caller]
pub fn timeout_at<F: Future>(deadline: impl Into<Instant>, future: F) -> Timeout<F> {
    let deadline = deadline.into().into_std();
    Timeout {
        future,
        sleep: Sleep::new("timeout_at", |_| deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// goro::run(async {
    ///     let t: goro::time::Timeout<_> = goro::time::timeout(Duration::from_secs(1), async {});
    ///     t.await.unwrap();
    /// });
    /// ```
    #[must_use = "futures do nothing unless you `.await` them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Without the budget: the inner future may have spent it, and a timeout that
        // waits for budget would never fire around a future that always spends it.
        this.sleep.poll_unbudgeted(cx).map(|()| Err(Elapsed(())))
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.sleep.deadline())
            .finish_non_exhaustive()
    }
}

/// The error of a [`timeout`] whose time ran out.
///
/// ```
/// use std::time::Duration;
/// goro::run(async {
///     let err = goro::time::timeout(Duration::ZERO, std::future::pending::<()>())
///         .await
///         .unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(err: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, err)
    }
}
