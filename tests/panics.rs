//! Panics: a panicking task does not kill its worker; panics in a future's destructor
//! (during abort, after completion, at shutdown) and in an output's destructor; panics in
//! `spawn_blocking`; `UnhandledPanic::ShutdownRuntime` against the default `Ignore`.
//! Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// Panics when dropped (its guard counts the drop).
struct PanicOnDrop(#[allow(dead_code)] Guard);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("a destructor panicked");
    }
}

/// Records, when dropped, whether the thread was panicking.
struct SeesPanicking(Arc<Mutex<Option<bool>>>);

impl Drop for SeesPanicking {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(std::thread::panicking());
    }
}

/// A hand-written future that panics when polled and records, when dropped, whether the
/// thread was panicking. (An `async` block drops its own locals while a panic unwinds out
/// of it; a hand-written future's fields are dropped when the runtime drops the future.)
struct PanicsWhenPolled {
    seen: Arc<Mutex<Option<bool>>>,
    #[allow(dead_code)]
    guard: Option<PanicOnDrop>,
}

impl std::future::Future for PanicsWhenPolled {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        panic!("the poll failed");
    }
}

impl Drop for PanicsWhenPolled {
    fn drop(&mut self) {
        *self.seen.lock().unwrap() = Some(std::thread::panicking());
    }
}

suite! {
    async fn a_panicking_task_does_not_kill_its_worker() {
        let workers_seen = Arc::new(Mutex::new(std::collections::HashSet::new()));
        for round in 0..20 {
            let err = within(LIMIT, "a panicking task", goro::spawn(async move {
                goro::yield_now().await;
                panic!("round {round}");
            }))
            .await
            .unwrap_err();
            assert!(err.is_panic());
            assert_eq!(panic_message(&*err.into_panic()), format!("round {round}"));
        }
        let mut set = goro::JoinSet::new();
        for i in 0..100u32 {
            let seen = workers_seen.clone();
            set.spawn(async move {
                seen.lock().unwrap().insert(std::thread::current().name().unwrap().to_string());
                i
            });
        }
        let all = within(LIMIT, "tasks after the panics", set.join_all()).await;
        assert_eq!(all.len(), 100);
        // The tasks ran on the runtime's own workers, not on replacements of dead ones.
        let workers = goro::Handle::current().worker_threads();
        let seen = workers_seen.lock().unwrap();
        assert!(seen.len() <= workers, "{seen:?}");
    }

    async fn a_panic_in_the_destructor_during_abort() {
        let counter = DropCounter::new();
        let guard = PanicOnDrop(counter.guard());
        let handle = goro::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        goro::yield_now().await;
        handle.abort();
        let err = within(LIMIT, "an aborted task whose drop panics", handle).await.unwrap_err();
        // The destructor's panic replaces the cancellation.
        assert!(err.is_panic() || err.is_cancelled(), "{err}");
        if err.is_panic() {
            assert_eq!(panic_message(&*err.into_panic()), "a destructor panicked");
        }
        assert_eq!(counter.dropped(), 1);
        assert_eq!(within(LIMIT, "a later task", goro::spawn(async { 1 })).await.unwrap(), 1);
    }

    async fn a_panic_in_the_destructor_after_completion() {
        let counter = DropCounter::new();
        let guard = PanicOnDrop(counter.guard());
        let handle = goro::spawn(async move {
            let _guard = guard;
            goro::yield_now().await;
            5
        });
        let err = within(LIMIT, "a task whose drop panics", handle).await.unwrap_err();
        assert!(err.is_panic(), "the output cannot be trusted once the future's drop panicked");
        assert_eq!(counter.dropped(), 1);
    }

    async fn a_panic_in_the_destructor_of_a_detached_output() {
        let counter = DropCounter::new();
        let guard = counter.guard();
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        drop(goro::spawn(async move {
            d.fetch_add(1, SeqCst);
            PanicOnDrop(guard)
        }));
        wait_until(LIMIT, "the detached output to be dropped", || counter.dropped() == 1).await;
        assert_eq!(done.load(SeqCst), 1);
        // And one whose JoinHandle is dropped after completion.
        let guard = counter.guard();
        let handle = goro::spawn(async move { PanicOnDrop(guard) });
        wait_until(LIMIT, "the task to finish", || handle.is_finished()).await;
        drop(handle);
        assert_eq!(counter.dropped(), 2);
        assert_eq!(within(LIMIT, "a later task", goro::spawn(async { 2 })).await.unwrap(), 2);
    }

    async fn a_panic_in_spawn_blocking_is_a_join_error() {
        let err = within(LIMIT, "a panicking closure", goro::spawn_blocking(|| {
            std::panic::panic_any(String::from("blocking panic"));
        }))
        .await
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.into_panic().downcast_ref::<String>().unwrap(), "blocking panic");
    }

    async fn a_detached_panic_is_ignored_by_default() {
        let handle = goro::spawn(async { panic!("nobody listens") });
        let abort = handle.abort_handle();
        drop(handle);
        // Panicking can take a while (the panic hook may print a backtrace).
        wait_until(LIMIT, "the panicking task to finish", || abort.is_finished()).await;
        assert_eq!(within(LIMIT, "a later task", goro::spawn(async { 3 })).await.unwrap(), 3);
    }

    async fn a_panicking_future_is_dropped_while_its_panic_unwinds() {
        let seen = Arc::new(Mutex::new(None));
        let handle = goro::spawn(PanicsWhenPolled { seen: seen.clone(), guard: None });
        let err = within(LIMIT, "a panicking task", handle).await.unwrap_err();
        assert_eq!(panic_message(&*err.into_panic()), "the poll failed");
        assert_eq!(*seen.lock().unwrap(), Some(true), "Drop saw thread::panicking() == false");
        // Cancelled, it is dropped outside any panic.
        let probe = SeesPanicking(seen.clone());
        let dropped = goro::spawn(async move {
            let _probe = probe;
            std::future::pending::<()>().await
        });
        goro::yield_now().await;
        dropped.abort();
        assert!(within(LIMIT, "an aborted task", dropped).await.unwrap_err().is_cancelled());
        assert_eq!(*seen.lock().unwrap(), Some(false));
    }

    async fn a_future_whose_poll_and_destructor_both_panic() {
        let counter = DropCounter::new();
        let handle = goro::spawn(PanicsWhenPolled {
            seen: Arc::new(Mutex::new(None)),
            guard: Some(PanicOnDrop(counter.guard())),
        });
        let err = within(LIMIT, "a task that panics twice", handle).await.unwrap_err();
        assert!(err.is_panic());
        // The destructor's panic replaces the poll's, as after a completed poll.
        assert_eq!(panic_message(&*err.into_panic()), "a destructor panicked");
        assert_eq!(counter.dropped(), 1);
        assert_eq!(within(LIMIT, "a later task", goro::spawn(async { 6 })).await.unwrap(), 6);
    }
}

#[test]
fn panicking_destructors_during_shutdown() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            runtime.block_on(async {
                for i in 0..40 {
                    if i % 2 == 0 {
                        let guard = PanicOnDrop(counter.guard());
                        drop(goro::spawn(async move {
                            let _guard = guard;
                            std::future::pending::<()>().await;
                        }));
                    } else {
                        drop(goro::spawn(pending_with::<()>(counter.guard())));
                    }
                }
                goro::yield_now().await;
            });
            // Does not panic, does not hang, and every other destructor still runs.
            drop(runtime);
            assert_eq!(counter.dropped(), 40);
        });
    }
}

/// A runtime with `UnhandledPanic::ShutdownRuntime`.
fn shutting_down_on_panic(workers: usize) -> goro::Runtime {
    goro::Builder::new()
        .worker_threads(workers)
        .on_unhandled_panic(goro::UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap()
}

#[test]
fn unhandled_panic_shutdown_runtime_makes_block_on_panic() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = shutting_down_on_panic(workers);
            let counter = DropCounter::new();
            let c = counter.clone();
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(async move {
                    for _ in 0..10 {
                        drop(goro::spawn(pending_with::<()>(c.guard())));
                    }
                    drop(goro::spawn(async {
                        goro::yield_now().await;
                        panic!("a detached bug");
                    }));
                    std::future::pending::<()>().await;
                })
            }));
            let message = panic_message(&*caught.expect_err("block_on must panic"));
            assert!(message.contains("ShutdownRuntime"), "{message}");
            // A later block_on panics at once instead of waiting for workers that stopped.
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(std::future::pending::<()>())
            }));
            assert!(again.is_err());
            drop(runtime);
            assert_eq!(counter.dropped(), 10);
        });
    }
}

#[test]
fn shutdown_runtime_ignores_panics_that_a_join_handle_receives() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = shutting_down_on_panic(workers);
            let out = runtime.block_on(async {
                let err = goro::spawn(async { panic!("handled") }).await.unwrap_err();
                assert!(err.is_panic());
                let mut set = goro::JoinSet::new();
                set.spawn(async { panic!("handled by the set") });
                assert!(set.join_next().await.unwrap().unwrap_err().is_panic());
                goro::spawn(async { 4 }).await.unwrap()
            });
            assert_eq!(out, 4);
            assert_eq!(runtime.block_on(runtime.spawn(async { 5 })).unwrap(), 5);
        });
    }
}

#[test]
fn shutdown_runtime_from_a_panic_while_block_on_waits_on_a_join_handle() {
    bounded(LIMIT, || {
        let runtime = shutting_down_on_panic(2);
        let never = runtime.spawn(std::future::pending::<()>());
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                drop(goro::spawn(async {
                    goro::time::sleep(Duration::from_millis(10)).await;
                    panic!("late detached bug");
                }));
                never.await
            })
        }));
        assert!(caught.is_err(), "block_on returned {caught:?}");
    });
}

/// A handle dropped after its task panicked, without reading the panic, leaves it
/// unhandled just as a handle dropped before the panic does: `ShutdownRuntime` shuts the
/// runtime down (a spawn after the drop is cancelled at once).
#[test]
fn a_panic_whose_handle_is_dropped_after_the_task_ended_is_unhandled_too() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = shutting_down_on_panic(workers);
            let handle = runtime.spawn(async { panic!("read by nobody") });
            block_until(LIMIT, "the task to panic", || handle.is_finished());
            let before = runtime.spawn(std::future::pending::<()>());
            assert!(
                !before.is_finished(),
                "shut down before the handle was dropped"
            );
            drop(handle);
            let after = runtime.spawn(std::future::pending::<()>());
            assert!(after.is_finished(), "the runtime did not shut down");
            let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(std::future::pending::<()>())
            }));
            assert!(again.is_err());
        });
    }
}

/// After `ShutdownRuntime` shut the runtime down, every new spawn resolves at once as
/// cancelled, its future dropped: `Handle::spawn`; `goro::spawn` and `JoinSet::spawn` on a
/// thread where the runtime is current (a blocking task started before the panic);
/// `spawn_blocking`, whose closure never runs.
#[test]
fn spawns_after_a_shutdown_on_panic_are_cancelled_at_once() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = shutting_down_on_panic(workers);
            let counter = DropCounter::new();
            let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
            let c = counter.clone();
            let helper = runtime.spawn_blocking(move || {
                go_rx.recv().unwrap();
                let spawned = goro::spawn(pending_with::<()>(c.guard()));
                let mut set = goro::JoinSet::new();
                let in_set = set.spawn(pending_with::<()>(c.guard()));
                assert!(spawned.is_finished(), "goro::spawn after the shutdown");
                assert!(in_set.is_finished(), "JoinSet::spawn after the shutdown");
                let err = futures::executor::block_on(spawned).unwrap_err();
                assert!(err.is_cancelled(), "{err}");
                let err = futures::executor::block_on(set.join_next()).unwrap();
                assert!(err.unwrap_err().is_cancelled());
            });
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(async {
                    drop(goro::spawn(async { panic!("a detached bug") }));
                    std::future::pending::<()>().await
                })
            }));
            assert!(caught.is_err(), "block_on returned");

            let spawned = runtime.spawn(pending_with::<()>(counter.guard()));
            assert!(spawned.is_finished(), "Handle::spawn after the shutdown");
            let err = futures::executor::block_on(spawned).unwrap_err();
            assert!(err.is_cancelled(), "{err}");

            let ran = Arc::new(AtomicUsize::new(0));
            let (r, guard) = (ran.clone(), counter.guard());
            let blocking = runtime.spawn_blocking(move || {
                let _guard = guard;
                r.fetch_add(1, SeqCst);
            });
            assert!(blocking.is_finished(), "spawn_blocking after the shutdown");
            assert!(
                futures::executor::block_on(blocking)
                    .unwrap_err()
                    .is_cancelled()
            );
            assert_eq!(
                ran.load(SeqCst),
                0,
                "a blocking closure ran after the shutdown"
            );

            go_tx.send(()).unwrap();
            futures::executor::block_on(helper).unwrap();
            assert_eq!(counter.created(), 4);
            assert_eq!(
                counter.dropped(),
                4,
                "the cancelled futures were not dropped"
            );
        });
    }
}

#[test]
fn spawning_outside_a_runtime_names_the_function_called() {
    let message = expect_panic(|| goro::JoinSet::new().spawn(async {}));
    assert!(message.contains("JoinSet::spawn"), "{message}");
    let message = expect_panic(|| goro::JoinSet::new().spawn_blocking(|| ()));
    assert!(message.contains("JoinSet::spawn_blocking"), "{message}");
    let message = expect_panic(|| goro::spawn(async {}));
    assert!(message.starts_with("goro::spawn:"), "{message}");
    let message = expect_panic(|| goro::spawn_blocking(|| ()));
    assert!(message.starts_with("goro::spawn_blocking:"), "{message}");
}

/// The location of the last panic, as the panic hook of `child_panic_locations` saw it.
static PANIC_LOCATION: Mutex<Option<(String, u32)>> = Mutex::new(None);

/// Asserts that `$call`, written on one line, panics and that the panic names that line.
macro_rules! assert_panics_here {
    ($call:expr) => {{
        let line = line!();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop($call)));
        assert!(caught.is_err(), "{} did not panic", stringify!($call));
        let seen = PANIC_LOCATION.lock().unwrap().take();
        assert_eq!(
            seen,
            Some((file!().to_string(), line)),
            "{}",
            stringify!($call)
        );
    }};
}

#[test]
#[ignore = "run by panics_name_the_callers_line in a child process"]
fn child_panic_locations() {
    if !is_child() {
        return;
    }
    let print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|at| (at.file().to_string(), at.line()));
        *PANIC_LOCATION.lock().unwrap() = location;
        print(info);
    }));
    assert_panics_here!(goro::spawn(async {}));
    assert_panics_here!(goro::spawn_blocking(|| ()));
    assert_panics_here!(goro::JoinSet::new().spawn(async {}));
    assert_panics_here!(goro::JoinSet::new().spawn_blocking(|| ()));
    assert_panics_here!(goro::Handle::current());
    let runtime = runtime(1);
    let cancelled = || {
        let handle = runtime.spawn(std::future::pending::<()>());
        handle.abort();
        runtime.block_on(handle).unwrap_err()
    };
    let err = cancelled();
    assert_panics_here!(err.into_panic());
}

#[test]
fn panics_name_the_callers_line() {
    // The panic hook is process-wide: hence the child.
    let name = "child_panic_locations";
    let output = run_child(name, &[], Duration::from_secs(60));
    assert_child_passed(name, &output);
}
