//! The runtime: building it (`builder.rs`, in one of two flavours: `flavor.rs`), owning it
//! (`runtime.rs`), referring to it (`handle.rs`), blocking a thread on it (`block_on.rs`,
//! which also drives a current-thread runtime), the thread-local current runtime
//! (`context.rs`), starting its threads (`threads.rs`), plus the free functions that use the
//! current runtime (`spawn`, `spawn_blocking`, `run`, `yield_now`).

mod block_in_place;
mod block_on;
mod builder;
mod context;
mod flavor;
mod handle;
#[allow(clippy::module_inception)]
mod runtime;
mod threads;
mod yield_now;

pub use block_in_place::block_in_place;
pub(crate) use block_in_place::{NoBlockInPlace, forbid_block_in_place};
pub use builder::Builder;
pub use context::EnterGuard;
pub use flavor::RuntimeFlavor;
pub use handle::Handle;
pub use runtime::Runtime;
pub use yield_now::yield_now;

pub(crate) use context::{NO_RUNTIME, current_reactor, with_current};

use crate::scheduler::Shared;
use crate::task::JoinHandle;
use std::future::Future;
use std::panic::Location;

/// Spawns `future` as a new task on the current runtime: Go's `go f()`.
///
/// The task starts running at once on some worker, in parallel with the caller. Awaiting the
/// returned [`JoinHandle`] gives its output; dropping the handle lets it run detached. The
/// spawn location is recorded for task dumps.
///
/// # Panics
/// Outside a runtime, with a message that says where to call it from (use
/// [`Handle::spawn`] to spawn from a plain thread).
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn(async { "hello from a task" });
///     assert_eq!(handle.await.unwrap(), "hello from a task");
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_with_current("goro::spawn", " (or use Handle::spawn)", |handle, at| {
        Shared::spawn(&handle.scheduler, future, at)
    })
}

/// Runs `spawn` with the current runtime and the caller's location: the spawning step of
/// `goro::spawn`, `goro::spawn_blocking` and `JoinSet`'s. Outside a runtime it panics with
/// a message that names `caller` (the function the user called) and suggests `instead`.
/// The panic, like the task's spawn location, is the user's line: every function from
/// there to here is `#[track_caller]`, and the panic is not inside a closure (a closure's
/// panic would be at goro's line).
#[track_caller]
pub(crate) fn spawn_with_current<T>(
    caller: &str,
    instead: &str,
    spawn: impl FnOnce(&Handle, &'static Location<'static>) -> T,
) -> T {
    let location = Location::caller();
    match with_current(|handle| handle.map(|handle| spawn(handle, location))) {
        Some(spawned) => spawned,
        None => panic!("{caller}: {NO_RUNTIME}{instead}"),
    }
}

/// Runs the blocking closure `f` on the current runtime's blocking pool, a set of threads
/// apart from the workers, so that it stalls no task. Use it for blocking system calls,
/// CPU-heavy work and libraries without async APIs.
///
/// # Panics
/// Outside a runtime.
///
/// ```
/// goro::run(async {
///     let size = goro::spawn_blocking(|| std::fs::read_dir(".").unwrap().count()).await;
///     assert!(size.unwrap() > 0);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let instead = " (or use Handle::spawn_blocking)";
    spawn_with_current("goro::spawn_blocking", instead, |handle, at| {
        handle.blocking.spawn(f, handle, at)
    })
}

/// Builds a runtime with the default settings, runs `future` on it to completion, and shuts
/// the runtime down: Go's `main`. Tasks still running when `future` returns are cancelled
/// (their futures dropped), as goroutines die when `main` returns.
///
/// # Panics
/// If the runtime cannot start (see [`Builder::build`]), or as [`Handle::block_on`].
///
/// ```
/// let answer = goro::run(async {
///     let mut set = goro::JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     set.join_all().await.into_iter().sum::<u64>()
/// });
/// assert_eq!(answer, 285);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => panic!("goro::run: the runtime failed to start: {err}"),
    };
    runtime.block_on(future)
}
