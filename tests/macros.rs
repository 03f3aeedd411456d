//! `#[goro::main]` and `#[goro::test]`, used for real.
//!
//! The run-pass tests below are themselves expanded by the attributes; `ui` checks that
//! every misuse is a compile error with a message that says what to do (the cases live in
//! `tests/ui/`, one misuse per file, next to the compiler output they must produce;
//! regenerate that output with `TRYBUILD=overwrite cargo test --test macros ui`).

use std::error::Error;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

#[goro::test]
async fn plain_test_runs_inside_a_runtime() {
    assert!(goro::Handle::try_current().is_some());
    goro::yield_now().await;
}

#[goro::test(worker_threads = 1)]
async fn one_worker() {
    assert!(goro::Handle::try_current().is_some());
    goro::yield_now().await;
}

#[goro::test]
async fn returns_ok() -> Result<(), String> {
    let n: u32 = "42".parse().map_err(|e| format!("{e}"))?;
    assert_eq!(n, 42);
    Ok(())
}

#[goro::test]
#[should_panic(expected = "panics inside the runtime")]
async fn should_panic_is_kept() {
    goro::yield_now().await;
    panic!("panics inside the runtime");
}

#[goro::test]
#[ignore = "checks that #[ignore] is kept: it must never run"]
async fn ignore_is_kept() {
    panic!("an #[ignore]d test ran");
}

#[goro::test]
async fn the_default_is_multi_thread_with_two_workers() {
    let handle = goro::Handle::current();
    assert_eq!(handle.runtime_flavor(), goro::RuntimeFlavor::MultiThread);
    assert_eq!(handle.worker_threads(), 2);
}

#[goro::test(flavor = "current_thread")]
async fn current_thread_flavor_runs_tasks_on_the_test_s_thread() {
    assert_eq!(
        goro::Handle::current().runtime_flavor(),
        goro::RuntimeFlavor::CurrentThread
    );
    let here = std::thread::current().id();
    let there = goro::spawn(async { std::thread::current().id() });
    assert_eq!(there.await.unwrap(), here);
}

#[goro::test(flavor = "multi_thread", worker_threads = 3)]
async fn multi_thread_flavor_by_name() {
    let handle = goro::Handle::current();
    assert_eq!(handle.runtime_flavor(), goro::RuntimeFlavor::MultiThread);
    assert_eq!(handle.worker_threads(), 3);
}

#[goro::test(start_paused = true)]
async fn starts_paused() {
    // The paused clock itself is checked by the time tests; here the attribute must
    // expand and run.
    assert!(goro::Handle::try_current().is_some());
}

#[goro::test(
    worker_threads = 2,
    timeout_ms = 60_000,
    allow_leaks,
    start_paused = false
)]
async fn every_argument_at_once() {
    goro::yield_now().await;
}

/// A suite run on 1 and N workers, the way `tests/` does it: the worker count reaches the
/// attribute through a `macro_rules!` fragment.
macro_rules! on_workers {
    ($($name:ident: $workers:expr),* $(,)?) => {
        $(
            #[goro::test(worker_threads = $workers)]
            async fn $name() {
                goro::yield_now().await;
            }
        )*
    };
}

on_workers! {
    suite_on_one_worker: 1,
    suite_on_four_workers: 4,
}

// `#[goro::main]` does not insist on the name `main`, which lets a test harness call it.

#[goro::main]
async fn main_like() -> u32 {
    goro::yield_now().await;
    42
}

#[goro::main(worker_threads = 2)]
async fn main_like_with_result() -> Result<u32, Box<dyn Error>> {
    goro::yield_now().await;
    let n: u32 = "7".parse()?;
    Ok(n)
}

#[goro::main(flavor = "current_thread")]
async fn main_like_on_the_current_thread() -> bool {
    let here = std::thread::current().id();
    goro::spawn(async move { std::thread::current().id() == here })
        .await
        .unwrap()
}

#[test]
fn main_returns_the_body_value() {
    assert_eq!(main_like(), 42);
    assert_eq!(main_like_with_result().unwrap(), 7);
    assert!(
        main_like_on_the_current_thread(),
        "the task ran on another thread"
    );
}

/// The leak check: a task still alive after the body returned fails the test, named by its
/// spawn location.
#[goro::test]
#[should_panic(expected = "spawned at tests/macros.rs:")]
async fn a_leaked_task_fails_the_test_with_its_location() {
    drop(goro::spawn(std::future::pending::<()>()));
}

/// `timeout_ms`: a body that runs longer fails instead of hanging.
#[goro::test(timeout_ms = 100)]
#[should_panic(expected = "ran longer than its timeout of 100 ms")]
async fn a_test_past_its_timeout_fails() {
    std::future::pending::<()>().await;
}

/// Paused time: a 1-hour sleep and a 30 s timeout finish in well under a second, in order.
#[goro::test(start_paused = true)]
async fn paused_time_runs_long_waits_at_once_and_in_order() {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (a, b) = (order.clone(), order.clone());
    let hour = goro::spawn(async move {
        goro::time::sleep(Duration::from_secs(3600)).await;
        a.lock().unwrap().push("hour");
    });
    let timeout = goro::spawn(async move {
        let timed_out =
            goro::time::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
        assert!(timed_out.is_err());
        b.lock().unwrap().push("30 s");
    });
    hour.await.unwrap();
    timeout.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["30 s", "hour"]);
    assert!(start.elapsed() < Duration::from_secs(1));
}
