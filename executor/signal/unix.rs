//! Unix signals: listen for any signal a program may catch.
//!
//! [`signal`] makes a [`Signal`], a listener for one [`SignalKind`];
//! [`recv`](Signal::recv) waits for the next delivery. Deliveries reach the waiting task
//! through the runtime's reactor, like socket readiness: no thread of their own, no
//! polling.
//!
//! ```
//! use goro::signal::unix::{signal, SignalKind};
//!
//! # fn main() -> std::io::Result<()> {
//! goro::run(async {
//!     let mut hangups = signal(SignalKind::hangup())?;
//!     # signal_hook::low_level::raise(SignalKind::hangup().as_raw_value())?;
//!     // Each `kill -HUP <pid>` wakes this loop once (deliveries close together may
//!     // coalesce into one wake-up).
//!     while hangups.recv().await.is_some() {
//!         println!("reloading the configuration");
//!         # break;
//!     }
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # What to know
//! - **The default action is gone for good.** The first listener of a kind replaces that
//!   signal's default action (for `SIGINT`, `SIGTERM`, `SIGHUP`: ending the process) for
//!   the rest of the process, even after every listener is dropped; a signal that arrives
//!   while nobody listens is then ignored. tokio behaves the same. A program that stops
//!   listening and wants to be killable again should exit by itself.
//! - **Every listener receives.** Several listeners of one kind, in one runtime or in
//!   several, each receive each delivery.
//! - **Deliveries coalesce, none is lost.** A delivery that arrives while no `recv` is
//!   waiting is kept for the next `recv`; several such deliveries answer it once. Only
//!   deliveries after the listener was made reach it.
//! - **A listener belongs to its runtime.** It must be made inside a runtime; when that
//!   runtime shuts down, `recv` answers `None` instead of waiting forever.
//! - **Not every signal can be caught.** `SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE` and
//!   `SIGSEGV` are refused with an error.

pub use super::delivery::{Signal, signal};
pub use super::kind::SignalKind;
