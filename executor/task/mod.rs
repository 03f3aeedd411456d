//! Tasks: spawning them, waiting for them, and asking which one runs.
//!
//! A task is a future that goro polls to completion on its own, apart from the code that
//! spawned it: Go's goroutine. This module gathers the task API at the paths tokio users know:
//!
//! - [`spawn`], [`spawn_blocking`] and [`yield_now`]: the same functions as at the crate's
//!   root. [`JoinHandle`] awaits a task's output, [`AbortHandle`] cancels it, and a
//!   [`JoinError`] tells that it panicked or was cancelled.
//! - [`spawn_local`] and [`LocalSet`]: tasks whose futures are not `Send` (they hold an `Rc`,
//!   say), all run on the one thread that runs the set.
//! - [`block_in_place`]: run blocking code inside a task without stalling the tasks queued
//!   behind it: the worker hands its place to a fresh thread first.
//! - [`id`] and [`try_id`]: the [`Id`] of the task running now.
//!
//! ```
//! use goro::task;
//!
//! goro::run(async {
//!     let answer = task::spawn(async { task::yield_now().await; 21 });
//!     let doubled = task::spawn_blocking(|| 2);
//!     let id = answer.id();
//!     assert_eq!(answer.await.unwrap() * doubled.await.unwrap(), 42);
//!     assert!(task::spawn(async move { task::id() != id }).await.unwrap());
//! });
//! ```
//!
//! How a task works inside (its allocation, state word, wakers) is told in the module doc of
//! `internals.rs`, for contributors.

mod abort_handle;
mod age;
mod cell;
mod error;
mod harness;
mod header;
mod id;
mod info;
mod internals;
mod join_handle;
mod join_waker;
mod local;
mod raw;
mod site;
mod state;
mod waker;

pub use abort_handle::AbortHandle;
pub use error::JoinError;
pub(crate) use id::{CurrentTask, forget_current, save_current};
pub use id::{Id, id, try_id};
pub use info::{TaskInfo, TaskState};
pub use join_handle::JoinHandle;
pub use local::{LocalSet, spawn_local};

pub use crate::runtime::{block_in_place, spawn, spawn_blocking, yield_now};

pub(crate) use age::now_ms;
pub(crate) use age::refresh as refresh_clock;
pub(crate) use header::Header;
pub(crate) use internals::{Schedule, new, new_unregistered};
pub(crate) use raw::{Notified, RawTask, Task};

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(all(test, not(loom)))]
pub(crate) mod test_scheduler;
#[cfg(all(test, not(loom)))]
mod tests;
