//! goro: goroutines for Rust.
//!
//! An async executor on top of `std::future::Future` that gives Rust programs what Go's
//! runtime gives Go programs: [`spawn`] is Go's `go f()`, [`JoinSet`] is `sync.WaitGroup`
//! (that also collects results), and [`run`] returning is `main` returning. Tasks run on a
//! few worker threads with per-worker queues, a global injection queue and work stealing;
//! idle workers park in a mio reactor that also drives timers ([`time`]) and sockets
//! ([`net`]). Each task is one heap allocation sized to its future.
//!
//! ```
//! use std::time::Duration;
//!
//! let total = goro::run(async {
//!     let mut set = goro::JoinSet::new();
//!     for i in 0..100u64 {
//!         set.spawn(async move {
//!             goro::time::sleep(Duration::from_millis(1)).await;
//!             i
//!         });
//!     }
//!     set.join_all().await.into_iter().sum::<u64>()
//! }); // the runtime shuts down here: anything still running is cancelled
//! assert_eq!(total, 4950);
//! ```
//!
//! # The parts
//!
//! - Runtime: [`run`], [`Runtime`], [`Builder`] (multi-thread, or current-thread: no worker
//!   threads, [`RuntimeFlavor`]), [`Handle`], [`EnterGuard`]; the attributes
//!   [`#[goro::main]`](macro@main) and [`#[goro::test]`](macro@test).
//! - Tasks: [`spawn`], [`spawn_blocking`], [`yield_now`], [`JoinHandle`], [`JoinSet`],
//!   [`AbortHandle`], [`JoinError`]; [`task`] for `!Send` tasks (`LocalSet`),
//!   `block_in_place` and task ids.
//! - [`time`]: sleep, timeouts, intervals, and a paused clock for tests.
//! - [`net`]: TCP, UDP and Unix domain sockets.
//! - [`signal`]: ctrl-c and Unix signals, and the graceful-shutdown recipe.
//! - Seeing inside: [`Handle::metrics`], [`Handle::dump`], and the monitor that reports a
//!   task blocking its worker ([`Builder::blocking_threshold`]).
//!
//! Coming from tokio? The guide `docs/coming-from-tokio.md` maps tokio's names to goro's
//! and says which tokio-based libraries work as they are.
//!
//! # Cargo features
//!
//! None is on by default.
//!
//! | feature | what it adds |
//! |---|---|
//! | `hyper` | `goro::hyper`: `Io`, `Executor` and `Timer` (and more) to run hyper 1.x servers and clients on goro |
//! | `tokio-io` | goro's byte streams also implement `tokio::io::{AsyncRead, AsyncWrite}` (tokio's traits only, no runtime) |
//! | `tokio-compat` | `goro::compat::tokio::Compat`: runs tokio-bound futures (reqwest, sqlx, tonic, ...) in goro tasks |
//! | `debug-endpoint` | `goro::debug::serve`: `/metrics` (Prometheus text) and `/tasks` (the task dump) over HTTP |

// Layout, for contributors: `task/` (the task allocation, its state word, wakers and
// handles: the `unsafe` code, with the run queue's), `scheduler/` (workers, queues,
// stealing, parking), `reactor/` (mio and timers), `runtime/` (`Builder`, `Runtime`,
// `Handle`), and the user-facing features `join_set.rs`, `blocking/`, `time/`, `net/`,
// `signal/`, `compat/`.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![doc(test(attr(deny(warnings))))]

mod blocking;
pub mod compat;
mod coop;
mod join_set;
mod loom;
mod macro_support;
mod metrics;
mod reactor;
mod runtime;
mod scheduler;

#[cfg(feature = "debug-endpoint")]
pub mod debug;
pub mod net;
#[cfg(unix)]
pub mod signal;
pub mod task;
pub mod time;

#[cfg(feature = "hyper")]
#[doc(inline)]
pub use compat::hyper;
pub use join_set::JoinSet;
pub use metrics::RuntimeMetrics;
pub use runtime::{
    Builder, EnterGuard, Handle, Runtime, RuntimeFlavor, run, spawn, spawn_blocking, yield_now,
};
pub use scheduler::{BlockedWorker, ThreadActivity, UnhandledPanic};
pub use task::{AbortHandle, JoinError, JoinHandle, TaskInfo};

pub use goro_rt_macros::{main, test};

/// The guide for tokio users: its examples run as doc tests, so that it stays true.
#[cfg(all(doctest, feature = "tokio-io", feature = "tokio-compat"))]
#[doc = include_str!("../docs/coming-from-tokio.md")]
struct ComingFromTokio;

#[doc(hidden)]
pub mod __private {
    pub use crate::macro_support::{Flavor, TestOptions, block_on_main, run_test};
}
