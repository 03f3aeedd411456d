//! The `#[goro::main]` and `#[goro::test]` attributes.
//!
//! Use them through `goro`, which re-exports them as `goro::main` and `goro::test`; this
//! crate is not meant to be a dependency of its own.
//!
//! # The expansion
//!
//! Each attribute turns an `async fn` into a sync one whose body hands the original body,
//! as an `async move` block, to the runtime. Attributes, visibility and return type stay
//! as written. So
//!
//! ```
//! #[goro::main(worker_threads = 4)]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let answer = goro::spawn(async { 6 * 7 }).await?;
//!     assert_eq!(answer, 42);
//!     Ok(())
//! }
//! ```
//!
//! becomes
//!
//! ```
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     ::goro::__private::block_on_main(
//!         ::goro::__private::Flavor::MultiThread { worker_threads: Some(4) },
//!         async move {
//!             let answer = goro::spawn(async { 6 * 7 }).await?;
//!             assert_eq!(answer, 42);
//!             Ok(())
//!         },
//!     )
//! }
//! ```
//!
//! and
//!
//! ```
//! #[goro::test(flavor = "current_thread", timeout_ms = 1000)]
//! #[should_panic]
//! async fn fails() {
//!     panic!("boom");
//! }
//! # fn main() {}
//! ```
//!
//! becomes
//!
//! ```
//! #[::core::prelude::v1::test]
//! #[should_panic]
//! fn fails() {
//!     ::goro::__private::run_test(
//!         ::goro::__private::TestOptions {
//!             flavor: ::goro::__private::Flavor::CurrentThread,
//!             timeout_ms: Some(1000),
//!             allow_leaks: false,
//!             start_paused: false,
//!         },
//!         async move {
//!             panic!("boom");
//!         },
//!     )
//! }
//! # fn main() {}
//! ```
//!
//! (A doc test is not built as a test, so a `#[test]` function in one is only checked to
//! expand; `goro`'s `tests/macros.rs` runs such functions for real.)
//!
//! `block_on_main` and `run_test` are goro's, hidden in its `__private` module; the
//! expansion names them by absolute path (`::goro::…`), so the attributes work whatever
//! else is in scope, but only in a crate that depends on `goro` under that name.
//!
//! # Errors
//!
//! A mistake (a missing `async`, arguments on `main`, an unknown or repeated attribute
//! argument, a bad value) is a compile error pointing at the offending tokens. The
//! function is still expanded, without the offending part, so that one mistake gives one
//! error and not a cascade of others.

#![warn(missing_docs, missing_debug_implementations)]

extern crate proc_macro;

mod args;
mod entry;

use proc_macro::TokenStream;

/// Runs `async fn main` on a goro runtime.
///
/// The function becomes a sync `fn main` that builds a runtime, runs the body on it to
/// completion, shuts the runtime down (cancelling every task still running, as Go does
/// when `main` returns) and returns the body's value. Its return type, attributes and
/// visibility are kept, so `main` may return a `Result`.
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`: a runtime of
///   worker threads, or one that runs every task on the thread of `main` (goro's
///   `Builder::new_current_thread`).
/// - `worker_threads = N`: the number of worker threads, at least 1, for the multi-thread
///   flavor only. Without it the runtime chooses: the number of CPUs, or the environment
///   variable `GORO_WORKERS`.
///
/// # Examples
///
/// ```
/// #[goro::main]
/// async fn main() {
///     let task = goro::spawn(async { 6 * 7 });
///     assert_eq!(task.await.unwrap(), 42);
/// }
/// ```
///
/// On the current thread alone, as tokio's `flavor = "current_thread"`:
///
/// ```
/// #[goro::main(flavor = "current_thread")]
/// async fn main() {
///     let main_thread = std::thread::current().id();
///     let task = goro::spawn(async move { std::thread::current().id() == main_thread });
///     assert!(task.await.unwrap());
/// }
/// ```
///
/// With a fixed number of workers, and a `Result`:
///
/// ```
/// use std::error::Error;
///
/// #[goro::main(worker_threads = 2)]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let answer: u32 = goro::spawn(async { "42".parse() }).await??;
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
/// # Errors
///
/// It is a compile error to put it on a function that is not `async`, that takes
/// arguments or has generic parameters, or to give an argument other than `flavor` and
/// `worker_threads` (each at most once, `N >= 1`, and `worker_threads` only with the
/// multi-thread flavor).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::main(args.into(), item.into()).into()
}

/// Runs an `async fn` test on its own goro runtime.
///
/// The function becomes a sync `#[test]` that builds a runtime, runs the body on it and
/// shuts it down again. Other attributes (`#[should_panic]`, `#[ignore]`, …) and the
/// return type are kept, so a test may return a `Result`. Tests run on **2 worker
/// threads** by default, on every machine and whatever `GORO_WORKERS` says, so that they
/// meet real parallelism and behave alike everywhere.
///
/// When the body returns, the test fails if tasks it spawned are still alive (after a
/// short grace for tasks on their last steps), naming where each was spawned: the
/// goroutine leak that Go programmers hunt with a profile.
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default) or `flavor = "current_thread"`: a runtime of
///   worker threads, or one that runs every task on the test's own thread (goro's
///   `Builder::new_current_thread`), as tokio's flavors.
/// - `worker_threads = N`: the number of worker threads, at least 1 (default: 2), for the
///   multi-thread flavor only.
/// - `timeout_ms = N`: fail the test if it runs longer than `N` milliseconds, at least 1
///   (default: no timeout).
/// - `allow_leaks`: do not fail the test when tasks are still alive at its end.
/// - `start_paused = true`: start with the clock paused, so timers fire as soon as every
///   worker is idle instead of waiting (default: `false`).
///
/// # Examples
///
/// ```
/// #[goro::test]
/// async fn spawned_task_answers() {
///     let task = goro::spawn(async { 6 * 7 });
///     assert_eq!(task.await.unwrap(), 42);
/// }
///
/// #[goro::test(worker_threads = 1, timeout_ms = 5000)]
/// async fn on_one_worker() -> Result<(), String> {
///     goro::yield_now().await;
///     Ok(())
/// }
///
/// #[goro::test(flavor = "current_thread")]
/// async fn on_this_thread() {
///     let here = std::thread::current().id();
///     assert!(goro::spawn(async move { std::thread::current().id() == here }).await.unwrap());
/// }
///
/// #[goro::test(start_paused = true)]
/// async fn an_hour_in_no_time() {
///     goro::time::sleep(std::time::Duration::from_secs(3600)).await;
/// }
///
/// #[goro::test]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
/// # fn main() {}
/// ```
///
/// # Errors
///
/// It is a compile error to put it on a function that is not `async` or that takes
/// arguments, to add `#[test]` as well, or to give an unknown, repeated or badly valued
/// argument (`worker_threads = 0`, `start_paused = 3`, `allow_leaks = true`,
/// `flavor = "single"`, or `worker_threads` with `flavor = "current_thread"`).
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::test(args.into(), item.into()).into()
}
