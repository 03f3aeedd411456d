//! `SignalKind`: which signal a listener waits for, by its number.

use signal_hook::consts::signal as numbers;
use std::os::raw::c_int;

/// Which signal to listen for: a signal number, with a constructor for each common one.
///
/// Any number is accepted here; [`signal`](super::unix::signal) answers an error for one
/// that cannot be caught (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`) or that the
/// OS does not know.
///
/// ```
/// use goro::signal::unix::SignalKind;
///
/// let hangup = SignalKind::hangup();
/// assert_eq!(SignalKind::from_raw(hangup.as_raw_value()), hangup);
/// assert_ne!(hangup, SignalKind::terminate());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// The signal with number `signum`, for signals without a constructor of their own (a
    /// real-time signal, a platform's own).
    ///
    /// ```
    /// use goro::signal::unix::SignalKind;
    ///
    /// // SIGHUP is 1 on every Unix.
    /// assert_eq!(SignalKind::from_raw(1), SignalKind::hangup());
    /// ```
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    ///
    /// ```
    /// use goro::signal::unix::SignalKind;
    ///
    /// // SIGINT is 2 on every Unix.
    /// assert_eq!(SignalKind::interrupt().as_raw_value(), 2);
    /// ```
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }
}

/// One constructor per common signal, each with its doc and a runnable example.
macro_rules! kinds {
    ($( $(#[$doc:meta])* $name:ident => $number:ident; )*) => {
        impl SignalKind {
            $(
                $(#[$doc])*
                ///
                /// ```
                /// use goro::signal::unix::{signal, SignalKind};
                ///
                /// # fn main() -> std::io::Result<()> {
                /// goro::run(async {
                #[doc = concat!("    let kind = SignalKind::", stringify!($name), "();")]
                ///     assert_eq!(SignalKind::from_raw(kind.as_raw_value()), kind);
                ///     let _listener = signal(kind)?; // caught from here on
                ///     Ok(())
                /// })
                /// # }
                /// ```
                pub const fn $name() -> SignalKind {
                    SignalKind(numbers::$number)
                }
            )*
        }
    };
}

kinds! {
    /// `SIGALRM`: a real-time timer (`alarm`, `setitimer`) expired. Terminates the process
    /// by default.
    alarm => SIGALRM;
    /// `SIGCHLD`: a child process stopped or exited. Ignored by default.
    child => SIGCHLD;
    /// `SIGHUP`: the terminal hung up; daemons take it as "reload the configuration".
    /// Terminates the process by default.
    hangup => SIGHUP;
    /// `SIGINT`: ctrl-c in the terminal. Terminates the process by default. See also
    /// [`ctrl_c`](crate::signal::ctrl_c).
    interrupt => SIGINT;
    /// `SIGIO`: I/O is possible on a descriptor set up for it. Ignored by default.
    io => SIGIO;
    /// `SIGPIPE`: a write to a pipe or socket whose reader is gone. Rust programs ignore it
    /// from the start (the write answers an error instead).
    pipe => SIGPIPE;
    /// `SIGQUIT`: ctrl-\ in the terminal. Terminates the process with a core dump by
    /// default.
    quit => SIGQUIT;
    /// `SIGTERM`: a polite request to stop (`kill`'s default, what service managers and
    /// container runtimes send first). Terminates the process by default.
    terminate => SIGTERM;
    /// `SIGUSR1`: meaning left to the program. Terminates the process by default.
    user_defined1 => SIGUSR1;
    /// `SIGUSR2`: meaning left to the program. Terminates the process by default.
    user_defined2 => SIGUSR2;
    /// `SIGWINCH`: the terminal window changed size. Ignored by default.
    window_change => SIGWINCH;
}

impl From<c_int> for SignalKind {
    /// As [`SignalKind::from_raw`].
    ///
    /// ```
    /// use goro::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::from(15), SignalKind::terminate());
    /// ```
    fn from(signum: c_int) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for c_int {
    /// As [`SignalKind::as_raw_value`].
    ///
    /// ```
    /// use goro::signal::unix::SignalKind;
    ///
    /// assert_eq!(i32::from(SignalKind::terminate()), 15);
    /// ```
    fn from(kind: SignalKind) -> c_int {
        kind.as_raw_value()
    }
}
