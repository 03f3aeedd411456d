//! `JoinError`: why a task produced no output.

use super::Id;
use std::any::Any;
use std::fmt;

/// Why a task ended without an output, as stored in the task until the handle reads it.
pub(crate) enum Failure {
    /// Aborted, or cancelled by the runtime's shutdown.
    Cancelled,
    /// The future panicked (in `poll` or in its destructor) with this payload.
    Panic(Payload),
}

/// A panic payload that `JoinError` can share between threads.
pub(crate) struct Payload(Box<dyn Any + Send + 'static>);

// SAFETY: through a shared `&Payload` the value is only read by `message`, as `&str` or
// `String` (both `Sync`) after a type check that reads nothing but the vtable; every other
// use takes the payload by value. So sharing `&Payload` between threads never shares a
// reference to a non-`Sync` value, which makes `JoinError` fit `Box<dyn Error + Send + Sync>`.
unsafe impl Sync for Payload {}

impl Payload {
    pub(crate) fn new(payload: Box<dyn Any + Send + 'static>) -> Payload {
        Payload(payload)
    }

    /// The panic message, when the payload is one (`panic!` with a literal or a format).
    fn message(&self) -> Option<&str> {
        self.0
            .downcast_ref::<&'static str>()
            .copied()
            .or_else(|| self.0.downcast_ref::<String>().map(String::as_str))
    }
}

/// The error a `JoinHandle` answers when its task was cancelled or panicked.
///
/// ```
/// goro::run(async {
///     let err = goro::spawn(async { panic!("boom") }).await.unwrap_err();
///     assert!(err.is_panic());
///     let payload = err.into_panic();
///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
/// });
/// ```
pub struct JoinError {
    id: Id,
    failure: Failure,
}

impl JoinError {
    pub(crate) fn new(id: Id, failure: Failure) -> JoinError {
        JoinError { id, failure }
    }

    /// True if the task was aborted or cancelled at shutdown.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.failure, Failure::Cancelled)
    }

    /// True if the task panicked.
    ///
    /// ```
    /// goro::run(async {
    ///     let err = goro::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert!(err.is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.failure, Failure::Panic(_))
    }

    /// The panic's payload, to inspect it or to resume the panic with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// If the task was cancelled rather than panicking; see [`JoinError::try_into_panic`].
    ///
    /// ```
    /// goro::run(async {
    ///     let err = goro::spawn(async { panic!("boom") }).await.unwrap_err();
    ///     assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
    /// });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on an error that is not a panic")
    }

    /// The panic's payload, or the error itself if the task was cancelled.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     let err = handle.await.unwrap_err();
    ///     assert!(err.try_into_panic().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.failure {
            Failure::Panic(payload) => Ok(payload.0),
            Failure::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// ```
    /// goro::run(async {
    ///     let handle = goro::spawn(async { panic!("boom") });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap_err().id(), id);
    /// });
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    fn panic_message(&self) -> Option<&str> {
        match &self.failure {
            Failure::Panic(payload) => payload.message(),
            Failure::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.failure, self.panic_message()) {
            (Failure::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Failure::Panic(_), Some(msg)) => write!(f, "task {} panicked: {msg}", self.id),
            (Failure::Panic(_), None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.failure, self.panic_message()) {
            (Failure::Cancelled, _) => write!(f, "JoinError::Cancelled({:?})", self.id),
            (Failure::Panic(_), Some(msg)) => {
                write!(f, "JoinError::Panic({:?}, {msg:?})", self.id)
            }
            (Failure::Panic(_), None) => write!(f, "JoinError::Panic({:?}, ..)", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
