//! How a signal reaches a [`Signal`]: a self-pipe per listener, watched by the reactor.
//!
//! A signal handler may only do async-signal-safe things: no locks, no allocation, no
//! waking of tasks. So each listener gets its own pipe (a Unix socket pair), and the
//! handler's whole job is to write one byte into it; goro's reactor watches the read end
//! like any socket and wakes the task that waits.
//!
//! ## Parts
//! - The handler is signal-hook's (`signal_hook::low_level::pipe::register`, over
//!   signal-hook-registry): one process-wide OS handler per signal number, installed the
//!   first time the number is listened for and never removed, that runs every action
//!   registered for the number. Each listener registers one action: "write a byte to my
//!   pipe" (a nonblocking `send`; a full pipe drops the byte, which loses nothing, since
//!   deliveries coalesce anyway). The action owns the write end.
//! - The read end is an [`IoSource`] registered with the reactor of the runtime current
//!   when the listener was made. Nothing else reads it.
//!
//! ## Making a listener (`signal`)
//! 1. Refuse the numbers that cannot be caught (signal-hook would panic on them) and
//!    non-positive ones, with an `InvalidInput` error.
//! 2. Make the pipe and register the read end with the current runtime's reactor (an error
//!    outside a runtime, or once it shut down).
//! 3. Register the action, which installs the OS handler if it is the number's first. A
//!    number the OS refuses fails here, after step 2, so nothing is left behind: the read
//!    end deregisters as it drops.
//!
//! Only deliveries after step 3 reach the listener, as with tokio.
//!
//! ## Receiving (`Signal::poll_recv`)
//! 1. Wait for the read end's readiness (`Direction::Read`, the slot: `recv` takes
//!    `&mut self`, so one task waits per listener). Shutdown of the runtime answers an
//!    error: `recv` answers `None`, and goes on answering it.
//! 2. Drain the pipe: read until `WouldBlock`. Any byte read means at least one delivery
//!    since the last drain: answer `Some(())`. Several deliveries between two drains
//!    coalesce into one answer, as the kernel already coalesces pending signals.
//! 3. Nothing read: clear the readiness, by the tick the wait saw, and wait again. A byte
//!    written after the drain raised a new event, which moved the tick, so the clear does
//!    not erase it: no delivery is lost between steps 2 and 3.
//!
//! The end of the stream (the write end closed) only happens if someone else removed the
//! action (signal-hook's deprecated `unregister_signal`): `recv` answers `None` then, too,
//! instead of spinning on a readiness that never clears.
//!
//! ## Dropping a listener
//! Its action is unregistered, which closes the write end, and its read end deregisters.
//! The OS handler stays: from the first listener on, the signal's default action (such as
//! terminating on `SIGTERM`) is replaced for the life of the process, and a signal that
//! arrives while nobody listens is ignored. signal-hook-registry never restores a default
//! action, and tokio documents the same.
//!
//! ## Several runtimes
//! A listener belongs to the runtime it was made in: its runtime's reactor turns its
//! readiness, and that runtime's shutdown ends it. Listeners of one signal in different
//! runtimes are independent actions of the one OS handler, so each receives every
//! delivery, and one runtime's shutdown does not touch another's.

use super::kind::SignalKind;
use crate::reactor::{Direction, IoSource};
use crate::runtime::current_reactor;
use signal_hook::SigId;
use signal_hook::consts::FORBIDDEN;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read};
use std::task::{Context, Poll, ready};

/// Listens for `kind`: from now on, each delivery of the signal to the process reaches the
/// returned [`Signal`] (and every other listener of the same kind).
///
/// The first listener of a kind replaces the signal's default action (terminating, for
/// most) **for the rest of the process**, even after every listener is dropped: see the
/// [module docs](crate::signal::unix).
///
/// # Errors
/// - `InvalidInput` for a signal that cannot be caught (`SIGKILL`, `SIGSTOP`, `SIGILL`,
///   `SIGFPE`, `SIGSEGV`) or a number that is not a signal;
/// - outside a runtime, or once the current runtime has shut down;
/// - as the OS says (out of file descriptors).
///
/// ```
/// use goro::signal::unix::{signal, SignalKind};
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let mut reloads = signal(SignalKind::hangup())?;
///     # signal_hook::low_level::raise(SignalKind::hangup().as_raw_value())?;
///     // `kill -HUP <pid>` from a shell, or a service manager's "reload":
///     reloads.recv().await;
///     println!("reloading the configuration");
///
///     let err = signal(SignalKind::from_raw(9)).unwrap_err(); // SIGKILL
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
///     Ok(())
/// })
/// # }
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.as_raw_value();
    if FORBIDDEN.contains(&signum) || signum <= 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "signal {signum} cannot be listened for: SIGKILL, SIGSTOP, SIGILL, SIGFPE and \
                 SIGSEGV keep their default action, and signal numbers start at 1"
            ),
        ));
    }
    let (read, write) = mio::net::UnixStream::pair()?;
    let pipe = IoSource::new(read, current_reactor()?)?;
    let action = signal_hook::low_level::pipe::register(signum, write)?;
    Ok(Signal { pipe, action, kind })
}

/// A listener for one kind of signal, made by [`signal`]: [`recv`](Signal::recv) waits
/// for the next delivery.
///
/// Deliveries between two `recv`s are kept and coalesce: the next `recv` answers at once,
/// and once for all of them. Each answer stands for at least one delivery.
///
/// ```
/// use goro::signal::unix::{signal, SignalKind};
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let mut usr1 = signal(SignalKind::user_defined1())?;
///     // Detached: it answers every `kill -USR1 <pid>` until the program ends.
///     drop(goro::spawn(async move {
///         while usr1.recv().await.is_some() {
///             println!("SIGUSR1: dumping statistics");
///         }
///     }));
///     Ok(())
/// })
/// # }
/// ```
pub struct Signal {
    /// The read end of this listener's pipe, registered with its runtime's reactor.
    pipe: IoSource<mio::net::UnixStream>,
    /// The handler's action that writes to the pipe; it owns the write end.
    action: SigId,
    kind: SignalKind,
}

/// What draining the pipe found.
enum Drained {
    /// At least one byte: at least one delivery.
    Delivered,
    /// Nothing to read now.
    Empty,
    /// The write end is closed: no delivery can come any more.
    Closed,
}

impl Signal {
    /// Waits for the next delivery of the signal. Answers `None` once no delivery can come
    /// any more: the runtime this listener was made in has shut down. (tokio's `recv` never
    /// answers `None`; goro's says so rather than waiting forever.)
    ///
    /// # Cancel safety
    /// Cancel safe: a delivery that arrives while `recv` is dropped unfinished (the losing
    /// branch of a `select`) is kept for the next `recv`.
    ///
    /// ```
    /// use goro::signal::unix::{signal, SignalKind};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let runtime = goro::Runtime::new()?;
    /// let mut usr2 = runtime.block_on(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2())?;
    ///     signal_hook::low_level::raise(SignalKind::user_defined2().as_raw_value())?;
    ///     assert_eq!(usr2.recv().await, Some(()));
    ///     Ok::<_, std::io::Error>(usr2)
    /// })?;
    /// drop(runtime);
    /// assert_eq!(futures::executor::block_on(usr2.recv()), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Signal::recv) as a poll function, for hand-written futures and streams:
    /// `Ready(Some(()))` for one or more deliveries since the last answer, `Pending` (and
    /// `cx`'s waker is woken by the next delivery), or `Ready(None)` once its runtime has shut
    /// down. Only the waker of the last call is woken.
    ///
    /// ```
    /// use goro::signal::unix::{signal, Signal, SignalKind};
    /// use std::future::Future;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    ///
    /// /// Counts deliveries until one arrives after `limit`.
    /// struct UntilCount {
    ///     signal: Signal,
    ///     seen: u32,
    ///     limit: u32,
    /// }
    ///
    /// impl Future for UntilCount {
    ///     type Output = u32;
    ///
    ///     fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
    ///         while self.seen < self.limit {
    ///             match self.signal.poll_recv(cx) {
    ///                 Poll::Ready(Some(())) => self.seen += 1,
    ///                 Poll::Ready(None) => break,
    ///                 Poll::Pending => return Poll::Pending,
    ///             }
    ///         }
    ///         Poll::Ready(self.seen)
    ///     }
    /// }
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let signal = signal(SignalKind::window_change())?;
    ///     # signal_hook::low_level::raise(SignalKind::window_change().as_raw_value())?;
    ///     assert_eq!(UntilCount { signal, seen: 0, limit: 1 }.await, 1);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        loop {
            let Ok(event) = ready!(self.pipe.poll_ready(cx, Direction::Read)) else {
                return Poll::Ready(None);
            };
            match self.drain() {
                Drained::Delivered => return Poll::Ready(Some(())),
                Drained::Closed => return Poll::Ready(None),
                Drained::Empty => self.pipe.clear_readiness(event),
            }
        }
    }

    /// Reads the pipe until it is empty (step 2 of the module doc).
    fn drain(&self) -> Drained {
        let mut bytes = [0u8; 64];
        let mut delivered = false;
        let mut pipe = self.pipe.get_ref();
        loop {
            match pipe.read(&mut bytes) {
                Ok(0) => return Drained::Closed,
                Ok(_) => delivered = true,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                // `WouldBlock`: drained. Any other error cannot come from a connected
                // socket pair; treated the same, the wait goes on.
                Err(_) if delivered => return Drained::Delivered,
                Err(_) => return Drained::Empty,
            }
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // Closes the write end; the OS handler stays (see the module doc).
        signal_hook::low_level::unregister(self.action);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
