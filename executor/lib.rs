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
//! Layout: `task/` (the task allocation, its state word, wakers and handles: the
//! `unsafe` code, with the run queue's), `scheduler/` (workers, queues, stealing, parking), `reactor/` (mio and
//! timers), `runtime/` (`Builder`, `Runtime`, `Handle`), and the user-facing features
//! `join_set.rs`, `blocking/`, `time/`, `net/`, `signal/`.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]
#![doc(test(attr(deny(warnings))))]

mod blocking;
mod compat;
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
pub use compat::hyper;
pub use join_set::JoinSet;
pub use metrics::RuntimeMetrics;
pub use runtime::{Builder, Handle, Runtime, run, spawn, spawn_blocking, yield_now};
pub use scheduler::{BlockedWorker, ThreadActivity, UnhandledPanic};
pub use task::{AbortHandle, JoinError, JoinHandle, TaskInfo};

pub use goro_rt_macros::{main, test};

#[doc(hidden)]
pub mod __private {
    pub use crate::macro_support::{TestOptions, block_on_main, run_test};
}
