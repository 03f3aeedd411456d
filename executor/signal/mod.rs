//! Signals: ctrl-c, `SIGTERM` and the rest, delivered through the runtime's reactor.
//!
//! [`ctrl_c`] waits for the next ctrl-c; [`unix::signal`] listens for any signal a program
//! may catch. Listening replaces the signal's default action (ending the process) for the
//! rest of the process: see [`unix`] for that and the other rules.
//!
//! # Graceful shutdown
//!
//! The usual shape of a server's end: on ctrl-c or `SIGTERM`, stop accepting, give the
//! connections in flight a deadline to finish, then abort what is left.
//! `examples/graceful_shutdown.rs` is the whole program.
//!
//! ```
//! use futures::future::{self, Either};
//! use goro::net::TcpListener;
//! use goro::signal::unix::{signal, SignalKind};
//! use std::pin::pin;
//! use std::time::Duration;
//!
//! # fn main() -> std::io::Result<()> {
//! goro::run(async {
//!     // Listen first: a signal that came before would end the process.
//!     let mut interrupt = signal(SignalKind::interrupt())?;
//!     let mut terminate = signal(SignalKind::terminate())?;
//!     let mut shutdown = pin!(async move {
//!         future::select(pin!(interrupt.recv()), pin!(terminate.recv())).await;
//!     });
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     # signal_hook::low_level::raise(SignalKind::terminate().as_raw_value())?;
//!
//!     let mut connections = goro::JoinSet::new();
//!     loop {
//!         match future::select(shutdown.as_mut(), pin!(listener.accept())).await {
//!             Either::Left(_) => break, // ctrl-c or SIGTERM
//!             Either::Right((accepted, _)) => {
//!                 let (stream, _) = accepted?;
//!                 connections.spawn(async move { drop(stream) /* serve it */ });
//!             }
//!         }
//!     }
//!     drop(listener); // 1. stop accepting
//!     let drain = async { while connections.join_next().await.is_some() {} };
//!     let drained = goro::time::timeout(Duration::from_secs(10), drain).await; // 2. drain
//!     if drained.is_err() {
//!         println!("aborting {} connections", connections.len());
//!         connections.shutdown().await; // 3. abort the rest
//!     }
//!     Ok(())
//! })
//! # }
//! ```

mod delivery;
mod kind;
pub mod unix;

use std::io;

/// Waits for the next ctrl-c: `SIGINT`, sent by the terminal when the user presses ctrl-c
/// (and by `kill -INT <pid>`).
///
/// The listener is made when the future is first polled; only a ctrl-c after that
/// completes it. From then on ctrl-c no longer ends the process, for the rest of the
/// process, even after the future is dropped: see [`unix`].
///
/// # Errors
/// Outside a runtime; if the runtime shuts down before a ctrl-c arrives; as the OS says
/// (out of file descriptors).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let worker = goro::spawn(std::future::pending::<()>()); // the program's work
///     let mut ctrl_c = std::pin::pin!(goro::signal::ctrl_c());
///     # assert!(futures::poll!(ctrl_c.as_mut()).is_pending()); // listening from here on
///     # signal_hook::low_level::raise(signal_hook::consts::SIGINT)?; // as if pressed
///     ctrl_c.await?;
///     println!("ctrl-c: stopping");
///     worker.abort();
///     Ok(())
/// })
/// # }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    interrupts.recv().await.ok_or_else(|| {
        io::Error::other(
            "the goro runtime shut down before a ctrl-c arrived: there is none to wait for",
        )
    })
}
