//! Helpers shared by the integration tests of the core (`tests/*.rs`).
//!
//! - [`suite!`](crate::suite) runs a list of `async fn` tests on a 1-worker and on a
//!   4-worker runtime and on a current-thread one, each under `#[goro::test]` with a
//!   real-time timeout.
//! - [`DropCounter`] hands out guards that count how many futures (or outputs) were made
//!   and how many were dropped: the way these tests see that a future was cancelled.
//! - [`bounded`] runs a blocking test body on its own thread and fails, instead of hanging,
//!   if it does not finish in time; [`within`] and [`wait_until`] do the same inside async
//!   code.
//! - [`run_child`] re-runs one test of the current test binary in a child process, for what
//!   must not share a process with parallel tests (environment variables, thread and file
//!   descriptor counts, stack overflows).

#![allow(dead_code)]

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The worker counts every suite runs on (multi-thread), besides the current-thread flavour.
pub const WORKER_COUNTS: [usize; 2] = [1, 4];

/// Generates `mod one_worker` and `mod four_workers` (multi-thread runtimes) and
/// `mod current_thread` (a current-thread runtime), each with every listed test as a
/// `#[goro::test(..., timeout_ms = 60_000, ...)]`. Extra `#[goro::test]` arguments go in
/// brackets before `async fn`. Tests that only make sense with worker threads (the
/// `block_on` thread as a thread apart from the workers, a worker's hand-off, a second
/// worker) go last, in `multi_thread_only { ... }`, and run in the first two modules only:
///
/// ```ignore
/// suite! {
///     async fn spawns() { goro::spawn(async {}).await.unwrap(); }
///     [allow_leaks] async fn detaches() { drop(goro::spawn(std::future::pending::<()>())); }
///     multi_thread_only {
///         async fn steals() { ... }
///     }
/// }
/// ```
///
/// Inside a test, `goro::Handle::current().runtime_flavor()` and `worker_threads()` tell
/// which runtime it runs on.
#[macro_export]
macro_rules! suite {
    (
        $( $(#[$meta:meta])* $([$($opt:tt)*])? async fn $name:ident() { $($body:tt)* } )*
        $(multi_thread_only {
            $( $(#[$mt_meta:meta])* $([$($mt_opt:tt)*])? async fn $mt_name:ident() { $($mt_body:tt)* } )*
        })?
    ) => {
        mod one_worker {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[goro::test(worker_threads = 1, timeout_ms = 60000, $($($opt)*)?)]
                $(#[$meta])*
                async fn $name() { $($body)* }
            )*
            $($(
                #[goro::test(worker_threads = 1, timeout_ms = 60000, $($($mt_opt)*)?)]
                $(#[$mt_meta])*
                async fn $mt_name() { $($mt_body)* }
            )*)?
        }
        mod four_workers {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[goro::test(worker_threads = 4, timeout_ms = 60000, $($($opt)*)?)]
                $(#[$meta])*
                async fn $name() { $($body)* }
            )*
            $($(
                #[goro::test(worker_threads = 4, timeout_ms = 60000, $($($mt_opt)*)?)]
                $(#[$mt_meta])*
                async fn $mt_name() { $($mt_body)* }
            )*)?
        }
        mod current_thread {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[goro::test(flavor = "current_thread", timeout_ms = 60000, $($($opt)*)?)]
                $(#[$meta])*
                async fn $name() { $($body)* }
            )*
        }
    };
}

/// True inside a test of `suite!`'s `current_thread` module (or any current-thread
/// runtime).
pub fn on_current_thread() -> bool {
    goro::Handle::current().runtime_flavor() == goro::RuntimeFlavor::CurrentThread
}

/// Counts guards made and dropped. Clones share the counts.
#[derive(Clone, Debug, Default)]
pub struct DropCounter {
    inner: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    created: AtomicUsize,
    dropped: AtomicUsize,
}

/// Counts one drop in its `DropCounter` when dropped.
#[derive(Debug)]
pub struct Guard {
    counter: DropCounter,
}

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A new guard (counted as created).
    pub fn guard(&self) -> Guard {
        self.inner.created.fetch_add(1, SeqCst);
        Guard {
            counter: self.clone(),
        }
    }

    pub fn created(&self) -> usize {
        self.inner.created.load(SeqCst)
    }

    pub fn dropped(&self) -> usize {
        self.inner.dropped.load(SeqCst)
    }

    /// Guards made and not dropped yet.
    pub fn alive(&self) -> usize {
        self.created() - self.dropped()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.counter.inner.dropped.fetch_add(1, SeqCst);
    }
}

/// A future that never completes and holds `guard` until it is dropped.
pub async fn pending_with<T>(guard: Guard) -> T {
    let _guard = guard;
    std::future::pending::<T>().await
}

/// A runtime with `workers` workers.
pub fn runtime(workers: usize) -> goro::Runtime {
    goro::Builder::new()
        .worker_threads(workers)
        .build()
        .expect("the runtime starts")
}

/// Runs `f` on a new thread and returns its result; fails the test if `f` panics (with its
/// panic) or if it takes longer than `limit` (the thread is then left behind, hung).
#[track_caller]
pub fn bounded<T, F>(limit: Duration, f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("bounded-test".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            let _ = tx.send(result);
        })
        .expect("a test thread starts");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = thread.join();
            value
        }
        Ok(Err(payload)) => {
            let _ = thread.join();
            std::panic::resume_unwind(payload)
        }
        Err(_) => panic!("the test did not finish within {limit:?}: something hangs"),
    }
}

/// Awaits `future` for at most `limit` of real time (on the runtime's clock, which is real
/// unless paused), failing the test with `what` otherwise.
#[track_caller]
pub fn within<F: Future>(
    limit: Duration,
    what: &'static str,
    future: F,
) -> impl Future<Output = F::Output> {
    let location = std::panic::Location::caller();
    async move {
        match goro::time::timeout(limit, future).await {
            Ok(output) => output,
            Err(_) => panic!("{what}: not done within {limit:?} (at {location})"),
        }
    }
}

/// Waits (polling every millisecond, in real time) until `condition` holds; fails the test
/// after `limit`. Works with a paused clock too (the limit is measured with `Instant`).
#[track_caller]
pub fn wait_until(
    limit: Duration,
    what: &'static str,
    mut condition: impl FnMut() -> bool,
) -> impl Future<Output = ()> {
    let location = std::panic::Location::caller();
    async move {
        let start = Instant::now();
        while !condition() {
            assert!(
                start.elapsed() < limit,
                "{what}: still false after {limit:?} (at {location})"
            );
            goro::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Blocks the current thread (not a worker!) until `condition` holds; fails after `limit`.
#[track_caller]
pub fn block_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < limit,
            "{what}: still false after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// Runs `f`, expecting it to panic; returns the panic message.
#[track_caller]
pub fn expect_panic<R>(f: impl FnOnce() -> R) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(payload) => panic_message(&*payload),
    }
}

/// A thread name prefix unique in this process and short enough that `PREFIX-blocking`
/// fits in the 15 bytes of `/proc/self/task/*/comm`.
pub fn unique_thread_name(tag: char) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("{tag}{}", NEXT.fetch_add(1, SeqCst));
    assert!(name.len() <= 6, "thread name prefix too long: {name}");
    name
}

/// The threads named `prefix-...` that are still listed after up to a second. A joined
/// thread can stay in `/proc/self/task` for a moment: `join` returns once the thread has
/// cleared its id, a little before the kernel removes it.
pub fn threads_left(prefix: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let left = threads_named(prefix);
        if left.is_empty() || start.elapsed() > Duration::from_secs(1) {
            return left;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Names (`comm`) of this process's threads that start with `prefix` followed by `-`.
pub fn threads_named(prefix: &str) -> Vec<String> {
    let wanted = format!("{prefix}-");
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc/self/task") else {
        return names;
    };
    for entry in entries.flatten() {
        if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
            let comm = comm.trim_end().to_string();
            if comm.starts_with(&wanted) {
                names.push(comm);
            }
        }
    }
    names.sort();
    names
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// The environment variable that tells a test it runs as a child (see [`run_child`]).
pub const CHILD_ENV: &str = "GORO_TESTS_CHILD";

/// True when this process was started by [`run_child`].
pub fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some()
}

/// Runs the test `name` (exact path, e.g. `child_workers_from_env`) of this test binary in a
/// child process with `envs` set (and `GORO_WORKERS` unset unless given), killing it after
/// `limit`. Child tests are `#[ignore]`d so that only this runs them, and do nothing unless
/// [`is_child`].
pub fn run_child(name: &str, envs: &[(&str, &str)], limit: Duration) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("GORO_WORKERS")
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the child test process starts");
    let start = Instant::now();
    loop {
        match child.try_wait().expect("the child's status") {
            Some(_) => break,
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("the killed child's output");
                panic!(
                    "the child test {name} did not finish within {limit:?}; stderr:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    child.wait_with_output().expect("the child's output")
}

/// Asserts that a child run by [`run_child`] passed its one test.
#[track_caller]
pub fn assert_child_passed(name: &str, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child test {name} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
}

/// Asserts at compile time that `T` is `Send`.
pub fn assert_send<T: Send>(_: &T) {}

/// Asserts at compile time that `T` is `Send + Sync`.
pub fn assert_send_sync<T: Send + Sync>() {}

/// A waker that panics when woken.
pub fn panicking_waker() -> std::task::Waker {
    struct PanicOnWake;
    impl std::task::Wake for PanicOnWake {
        fn wake(self: Arc<Self>) {
            panic!("this waker panics on purpose");
        }
    }
    std::task::Waker::from(Arc::new(PanicOnWake))
}
