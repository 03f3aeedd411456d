//! What `#[goro::main]` and `#[goro::test]` expand to call. Not a public API: the names may
//! change with the macros.
//!
//! `run_test` runs a test body on a fresh runtime and then checks it for leaked tasks:
//! 1. build a runtime (multi-thread with 2 workers unless the test says otherwise: tests
//!    should meet real parallelism);
//! 2. pause the clock if asked (`start_paused`), inside the runtime;
//! 3. run the body under `block_on`, raced against a watchdog thread when `timeout_ms` is
//!    given (a real-time watchdog: a paused clock must not stop it; a body that does not stop
//!    when it fires has the process aborted, so that the run fails instead of hanging);
//! 4. list the tasks still alive once the body returned (`Handle::dump`), after a grace of
//!    `LEAK_GRACE` for tasks on their last steps (a detached task whose last act is to send
//!    the body its answer is still finishing when the body returns), and fail with
//!    their spawn locations, unless `allow_leaks`;
//! 5. drop the runtime, which cancels whatever is left.

use crate::time;
use crate::{Builder, Runtime};
use futures::future::{Either, select};
use std::fmt::Write as _;
use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::time::Duration;

/// How long tasks still alive after the body returned get to finish before they count as
/// leaked.
const LEAK_GRACE: Duration = Duration::from_millis(200);

/// The tasks alive after the grace (see `LEAK_GRACE`).
fn still_alive(runtime: &Runtime) -> Vec<crate::TaskInfo> {
    let deadline = std::time::Instant::now() + LEAK_GRACE;
    loop {
        let alive = runtime.handle().dump();
        if alive.is_empty() || std::time::Instant::now() >= deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Workers of a `#[goro::test]` runtime unless `worker_threads` says otherwise.
const TEST_WORKERS: usize = 2;

/// The runtime `flavor = "..."` (and `worker_threads = N`) ask for.
#[derive(Debug, Clone, Copy)]
pub enum Flavor {
    /// `flavor = "current_thread"`.
    CurrentThread,
    /// The default, or `flavor = "multi_thread"`.
    MultiThread {
        /// `worker_threads = N`.
        worker_threads: Option<usize>,
    },
}

impl Default for Flavor {
    fn default() -> Flavor {
        Flavor::MultiThread {
            worker_threads: None,
        }
    }
}

/// The options of `#[goro::test(...)]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestOptions {
    /// `flavor = "..."` and `worker_threads = N`.
    pub flavor: Flavor,
    /// `timeout_ms = N`.
    pub timeout_ms: Option<u64>,
    /// `allow_leaks`.
    pub allow_leaks: bool,
    /// `start_paused = true`.
    pub start_paused: bool,
}

/// A runtime of `flavor`; a multi-thread one with `default` workers unless it says.
fn runtime(flavor: Flavor, default: Option<usize>) -> Runtime {
    let builder = match flavor {
        Flavor::CurrentThread => Builder::new_current_thread(),
        Flavor::MultiThread { worker_threads } => {
            let mut builder = Builder::new_multi_thread();
            if let Some(n) = worker_threads.or(default) {
                builder.worker_threads(n);
            }
            builder
        }
    };
    match builder.build() {
        Ok(runtime) => runtime,
        Err(err) => panic!("goro: the runtime failed to start: {err}"),
    }
}

/// The body of `#[goro::main]`.
#[track_caller]
pub fn block_on_main<F: Future>(flavor: Flavor, future: F) -> F::Output {
    runtime(flavor, None).block_on(future)
}

/// The body of `#[goro::test]` (steps in the module doc).
#[track_caller]
pub fn run_test<F: Future>(options: TestOptions, body: F) -> F::Output {
    let runtime = runtime(options.flavor, Some(TEST_WORKERS));
    let output = runtime.block_on(async {
        if options.start_paused {
            time::pause();
        }
        match options.timeout_ms {
            None => body.await,
            Some(ms) => with_watchdog(ms, body).await,
        }
    });
    if !options.allow_leaks {
        let leaked = still_alive(&runtime);
        if !leaked.is_empty() {
            let mut message = format!(
                "goro::test: {} task(s) spawned by this test are still alive after it returned \
                 (await or abort them, or use #[goro::test(allow_leaks)]):",
                leaked.len()
            );
            for task in &leaked {
                let _ = write!(
                    message,
                    "\n  task {} spawned at {}: {:?} for {:?}, polled {} time(s)",
                    task.id, task.location, task.state, task.in_state_for, task.polls
                );
            }
            panic!("{message}");
        }
    }
    output
}

/// How long a test past its timeout has to stop once told, before the process is aborted.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Races `body` against a real-time watchdog of `ms` milliseconds. A body that cannot be
/// stopped (its thread stuck in a blocking call, or, on a current-thread runtime, a runtime
/// too broken to see the watchdog's wake) would hang the test run: once `STOP_GRACE` has
/// passed after the timeout, the watchdog aborts the process instead, saying why.
async fn with_watchdog<F: Future>(ms: u64, body: F) -> F::Output {
    let (fired_tx, fired_rx) = futures::channel::oneshot::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) =
            done_rx.recv_timeout(Duration::from_millis(ms))
        {
            let _ = fired_tx.send(());
            if let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(STOP_GRACE) {
                eprintln!(
                    "goro::test: a test ran longer than its timeout of {ms} ms and did not \
                     stop within {STOP_GRACE:?} after: aborting the test process"
                );
                std::process::abort();
            }
        }
    });
    let body = pin!(body);
    let raced = select(body, fired_rx).await;
    drop(done_tx);
    let _ = watchdog.join();
    match raced {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("goro::test: the test ran longer than its timeout of {ms} ms"),
    }
}
