//! `Runtime` and `Builder`: worker count (and real parallelism), thread names, stack size,
//! `GORO_WORKERS` (in child processes: tests share one environment), invalid settings,
//! `goro::run`, and the `Send`/`Sync` promises of the public types and futures.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// `n` tasks that each wait (spinning, bounded) until all `n` run at the same time; true if
/// they met. They only meet if `n` workers poll them in parallel.
fn rendezvous(runtime: &goro::Runtime, n: usize) -> bool {
    let arrived = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let arrived = arrived.clone();
            runtime.spawn(async move {
                arrived.fetch_add(1, SeqCst);
                let start = Instant::now();
                while arrived.load(SeqCst) < n {
                    if start.elapsed() > Duration::from_secs(5) {
                        return false;
                    }
                    std::thread::yield_now();
                }
                true
            })
        })
        .collect();
    runtime.block_on(async {
        let mut all = true;
        for handle in handles {
            all &= handle.await.unwrap();
        }
        all
    })
}

#[test]
fn worker_threads_sets_the_number_of_workers() {
    for workers in [1, 2, 4] {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            assert_eq!(runtime.handle().worker_threads(), workers);
            assert!(
                rendezvous(&runtime, workers),
                "{workers} tasks did not run in parallel on {workers} workers"
            );
        });
    }
}

/// More workers than the registry has shards (64): workers share shards, and tasks spawned
/// on every worker, finished on others, are all accounted for.
#[test]
fn more_workers_than_registry_shards() {
    bounded(LIMIT, || {
        let workers = 70;
        let runtime = runtime(workers);
        assert!(rendezvous(&runtime, workers), "not every worker ran a task");
        let total = runtime.block_on(async {
            let spawners: Vec<_> = (0..workers * 4)
                .map(|_| {
                    goro::spawn(async {
                        let children: Vec<_> =
                            (0..50).map(|i| goro::spawn(async move { i })).collect();
                        let mut sum = 0;
                        for child in children {
                            sum += child.await.unwrap();
                        }
                        sum
                    })
                })
                .collect();
            let mut total = 0;
            for spawner in spawners {
                total += spawner.await.unwrap();
            }
            total
        });
        assert_eq!(total, workers * 4 * (0..50).sum::<usize>());
        // A task's join handle can read its output a moment before the task has left the
        // registry's count.
        block_until(LIMIT, "every task left the registry", || {
            runtime.handle().metrics().live_tasks == 0
        });
    });
}

#[test]
fn one_worker_runs_one_task_at_a_time() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let names: Arc<Mutex<HashSet<String>>> = Arc::default();
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let names = names.clone();
                runtime.spawn(async move {
                    let name = std::thread::current().name().unwrap().to_string();
                    names.lock().unwrap().insert(name);
                    goro::yield_now().await;
                })
            })
            .collect();
        runtime.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(
            names.lock().unwrap().len(),
            1,
            "{:?}",
            names.lock().unwrap()
        );
    });
}

#[test]
fn thread_name_names_workers_and_blocking_threads() {
    bounded(LIMIT, || {
        let name = unique_thread_name('n');
        let runtime = goro::Builder::new()
            .worker_threads(4)
            .thread_name(name.clone())
            .build()
            .unwrap();
        let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let seen = seen.clone();
                runtime.spawn(async move {
                    let me = std::thread::current().name().unwrap().to_string();
                    seen.lock().unwrap().insert(me);
                    goro::yield_now().await;
                })
            })
            .collect();
        let blocking = runtime.spawn_blocking(|| std::thread::current().name().map(str::to_string));
        runtime.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        let workers: HashSet<String> = (0..4).map(|i| format!("{name}-{i}")).collect();
        assert!(
            seen.lock().unwrap().is_subset(&workers),
            "{:?}",
            seen.lock().unwrap()
        );
        assert_eq!(
            runtime.block_on(blocking).unwrap().as_deref(),
            Some(format!("{name}-blocking").as_str())
        );
        // The OS sees the same names (a thread names itself once it runs).
        block_until(LIMIT, "the OS to list every worker by name", || {
            let threads = threads_named(&name);
            (0..4).all(|i| threads.contains(&format!("{name}-{i}")))
        });
    });
}

#[test]
fn default_thread_names() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let name = runtime
            .block_on(runtime.spawn(async { std::thread::current().name().unwrap().to_string() }));
        let name = name.unwrap();
        assert!(name == "goro-worker-0" || name == "goro-worker-1", "{name}");
    });
}

/// Recurses through `depth` frames of 64 KiB each; returns a value that depends on all.
fn deep(depth: usize) -> u64 {
    let frame = std::hint::black_box([depth as u8; 64 * 1024]);
    if depth == 0 {
        return u64::from(frame[0]);
    }
    let below = deep(depth - 1);
    below + u64::from(std::hint::black_box(frame)[1024])
}

/// About 6 MiB of stack: more than a thread gets by default (2 MiB).
const DEEP: usize = 96;

#[test]
#[ignore = "run by thread_stack_size_applies_to_workers_and_blocking_threads in a child process"]
fn child_deep_recursion_on_big_stacks() {
    if !is_child() {
        return;
    }
    let runtime = goro::Builder::new()
        .worker_threads(1)
        .thread_stack_size(32 << 20)
        .build()
        .unwrap();
    let on_worker = runtime
        .block_on(runtime.spawn(async { deep(DEEP) }))
        .unwrap();
    let on_blocking = runtime
        .block_on(runtime.spawn_blocking(|| deep(DEEP)))
        .unwrap();
    assert_eq!(on_worker, on_blocking);
}

#[test]
fn thread_stack_size_applies_to_workers_and_blocking_threads() {
    // A stack overflow aborts the process, so the deep recursion runs in a child: it
    // passes only if both kinds of threads got the 32 MiB asked for.
    let name = "child_deep_recursion_on_big_stacks";
    let output = run_child(name, &[], Duration::from_secs(60));
    assert_child_passed(name, &output);
}

#[test]
#[ignore = "run by goro_workers_sets_the_default_worker_count in a child process"]
fn child_workers_from_env() {
    if !is_child() {
        return;
    }
    let expect = std::env::var("GORO_TESTS_EXPECT").unwrap();
    match expect.strip_prefix("workers=") {
        Some(n) => {
            let n: usize = n.parse().unwrap();
            let runtime = goro::Runtime::new().expect("a valid GORO_WORKERS");
            assert_eq!(runtime.handle().worker_threads(), n);
            assert!(rendezvous(&runtime, n));
            // An explicit worker_threads wins over the environment.
            let explicit = goro::Builder::new().worker_threads(1).build().unwrap();
            assert_eq!(explicit.handle().worker_threads(), 1);
        }
        None => {
            assert_eq!(expect, "error");
            let err = goro::Runtime::new().expect_err("an invalid GORO_WORKERS is an error");
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            let message = err.to_string();
            assert!(message.contains("GORO_WORKERS"), "{message}");
            let err = goro::Builder::new()
                .build()
                .expect_err("the builder reads it too");
            assert!(err.to_string().contains("GORO_WORKERS"));
            // goro::run says why it cannot start.
            let message = expect_panic(|| goro::run(async {}));
            assert!(message.contains("GORO_WORKERS"), "{message}");
            // worker_threads set explicitly does not read the variable.
            let explicit = goro::Builder::new().worker_threads(2).build().unwrap();
            assert_eq!(explicit.handle().worker_threads(), 2);
        }
    }
}

#[test]
fn goro_workers_sets_the_default_worker_count() {
    let name = "child_workers_from_env";
    let cases = [
        ("3", "workers=3"),
        (" 2 ", "workers=2"),
        ("1", "workers=1"),
        ("0", "error"),
        ("many", "error"),
        ("-1", "error"),
        ("", "error"),
        ("4097", "error"),
    ];
    for (value, expect) in cases {
        let output = run_child(
            name,
            &[("GORO_WORKERS", value), ("GORO_TESTS_EXPECT", expect)],
            Duration::from_secs(60),
        );
        assert_child_passed(&format!("{name} with GORO_WORKERS={value:?}"), &output);
    }
}

#[test]
fn invalid_builder_values_panic_with_clear_messages() {
    let message = expect_panic(|| {
        goro::Builder::new().worker_threads(0);
    });
    assert!(message.contains("worker_threads"), "{message}");
    let message = expect_panic(|| {
        goro::Builder::new().worker_threads(1_000_000);
    });
    assert!(message.contains("worker_threads"), "{message}");
    let message = expect_panic(|| {
        goro::Builder::new().max_blocking_threads(0);
    });
    assert!(message.contains("max_blocking_threads"), "{message}");
}

#[test]
fn builder_is_reusable_and_debug() {
    bounded(LIMIT, || {
        let mut builder = goro::Builder::new();
        builder.worker_threads(2).thread_name("reuse");
        let a = builder.build().unwrap();
        let b = builder.clone().build().unwrap();
        assert_eq!(a.block_on(a.spawn(async { 1 })).unwrap(), 1);
        assert_eq!(b.block_on(b.spawn(async { 2 })).unwrap(), 2);
        assert!(format!("{builder:?}").contains("reuse"));
        assert!(format!("{a:?}").contains("Runtime"));
        assert!(format!("{:?}", a.handle()).contains("Handle"));
    });
}

#[test]
fn goro_run_returns_the_output_and_cancels_the_rest() {
    bounded(LIMIT, || {
        let counter = DropCounter::new();
        let c = counter.clone();
        let out = goro::run(async move {
            for _ in 0..10 {
                drop(goro::spawn(pending_with::<()>(c.guard())));
            }
            let a = goro::spawn(async { 40 });
            a.await.unwrap() + 2
        });
        assert_eq!(out, 42);
        assert_eq!(counter.created(), 10);
        assert_eq!(
            counter.dropped(),
            10,
            "goro::run returned with tasks still alive"
        );
        assert!(goro::Handle::try_current().is_none());
    });
}

#[test]
fn goro_run_from_many_threads() {
    bounded(LIMIT, || {
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                std::thread::spawn(move || {
                    goro::run(async move { goro::spawn(async move { t }).await.unwrap() })
                })
            })
            .collect();
        let sum: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, 6);
    });
}

#[test]
fn a_panic_in_the_block_on_body_still_shuts_the_runtime_down() {
    bounded(LIMIT, || {
        let counter = DropCounter::new();
        let c = counter.clone();
        let caught = std::panic::catch_unwind(move || {
            goro::run(async move {
                for _ in 0..5 {
                    drop(goro::spawn(pending_with::<()>(c.guard())));
                }
                goro::yield_now().await;
                panic!("the body failed");
            })
        });
        assert_eq!(panic_message(&*caught.unwrap_err()), "the body failed");
        assert_eq!(counter.dropped(), 5);
    });
}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<goro::Handle>();
    assert_send_sync::<goro::Runtime>();
    assert_send_sync::<goro::Builder>();
    fn assert_clone<T: Clone>() {}
    assert_clone::<goro::Handle>();
    fn assert_send<T: Send>() {}
    assert_send::<goro::JoinSet<String>>();
}

#[test]
fn the_futures_of_spawn_yield_now_and_sleep_are_send() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        runtime.block_on(async {
            let handle = goro::spawn(async {});
            support::assert_send(&handle);
            let yielding = goro::yield_now();
            support::assert_send(&yielding);
            let sleep = goro::time::sleep(Duration::from_millis(1));
            support::assert_send(&sleep);
            let timeout = goro::time::timeout(Duration::from_millis(1), async {});
            support::assert_send(&timeout);
            let mut interval = goro::time::interval(Duration::from_millis(1));
            support::assert_send(&interval.tick());
            let mut set: goro::JoinSet<()> = goro::JoinSet::new();
            support::assert_send(&set.join_next());
            // An async block holding them across awaits can be spawned.
            let task = goro::spawn(async {
                goro::yield_now().await;
                goro::time::sleep(Duration::from_millis(1)).await;
                goro::spawn(async {}).await.unwrap();
                let mut set = goro::JoinSet::new();
                set.spawn(async {});
                set.join_next().await;
            });
            task.await.unwrap();
            handle.await.unwrap();
            yielding.await;
            sleep.await;
            timeout.await.unwrap();
        });
    });
}

#[test]
fn handle_block_on_after_the_runtime_dropped_does_not_hang() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let handle = runtime.handle().clone();
        drop(runtime);
        let result = handle.block_on(async { goro::spawn(async { 1 }).await });
        assert!(
            result.unwrap_err().is_cancelled(),
            "a task spawned on a dead runtime is cancelled"
        );
        let result = futures::executor::block_on(handle.spawn(async { 2 }));
        assert!(result.unwrap_err().is_cancelled());
    });
}

#[test]
fn tasks_and_wakes_across_two_runtimes() {
    bounded(LIMIT, || {
        let a = runtime(1);
        let b = runtime(4);
        let b_handle = b.handle().clone();
        let total = a.block_on(a.spawn(async move {
            let mut sum = 0;
            for i in 0..200u64 {
                // A task of `a` awaits a task of `b`: the wake crosses runtimes.
                sum += b_handle
                    .spawn(async move {
                        goro::yield_now().await;
                        i
                    })
                    .await
                    .unwrap();
            }
            sum
        }));
        assert_eq!(total.unwrap(), (0..200).sum::<u64>());
    });
}

#[test]
fn build_names_the_thread_it_could_not_start() {
    bounded(LIMIT, || {
        // No system maps a stack this large: every thread start fails.
        const IMPOSSIBLE_STACK: usize = usize::MAX / 2;
        let refused = std::thread::Builder::new()
            .stack_size(IMPOSSIBLE_STACK)
            .spawn(|| {})
            .expect_err("the OS refuses the stack");
        let name = unique_thread_name('b');
        let err = goro::Builder::new()
            .worker_threads(3)
            .thread_name(name.clone())
            .thread_stack_size(IMPOSSIBLE_STACK)
            .build()
            .expect_err("no worker thread can start");
        let message = err.to_string();
        assert!(
            message.contains("worker thread") && message.contains(&format!("{name}-0")),
            "the error does not say which thread failed: {message}"
        );
        assert!(message.contains(&refused.to_string()), "{message}");
        assert_eq!(err.kind(), refused.kind(), "the OS error's kind is kept");
        let left = threads_left(&name);
        assert!(
            left.is_empty(),
            "threads left by the failed build: {left:?}"
        );
    });
}

thread_local! {
    static RUNTIME_UNTIL_EXIT: std::cell::RefCell<Option<goro::Runtime>> =
        const { std::cell::RefCell::new(None) };
    static ASK_ON_EXIT: std::cell::RefCell<Option<AskOnExit>> =
        const { std::cell::RefCell::new(None) };
}

/// Sends, from its destructor, whether `Handle::try_current` saw a runtime.
struct AskOnExit(std::sync::mpsc::Sender<bool>);

impl Drop for AskOnExit {
    fn drop(&mut self) {
        let _ = self.0.send(goro::Handle::try_current().is_some());
    }
}

#[test]
#[ignore = "run by thread_local_destructors_and_the_runtime in a child process"]
fn child_thread_local_destructors() {
    if !is_child() {
        return;
    }
    let ask = std::env::var("GORO_TESTS_EXPECT").unwrap() == "try_current";
    let name = unique_thread_name('t');
    let counter = DropCounter::new();
    let (answer_tx, answer_rx) = std::sync::mpsc::channel();
    let (c, n) = (counter.clone(), name.clone());
    std::thread::spawn(move || {
        // Touched first, so destroyed last: thread-locals are destroyed in the reverse order
        // of their first use, so goro's own are gone by the time these destructors run.
        RUNTIME_UNTIL_EXIT.with(|_| {});
        if ask {
            ASK_ON_EXIT.with(|slot| *slot.borrow_mut() = Some(AskOnExit(answer_tx)));
        }
        let runtime = goro::Builder::new()
            .worker_threads(2)
            .thread_name(n)
            .build()
            .unwrap();
        runtime.block_on(async {
            drop(goro::spawn(pending_with::<()>(c.guard())));
            goro::spawn(async {}).await.unwrap();
        });
        RUNTIME_UNTIL_EXIT.with(|kept| *kept.borrow_mut() = Some(runtime));
    })
    .join()
    .expect("the thread exits cleanly");
    if ask {
        let answer = answer_rx.recv().unwrap();
        assert!(
            !answer,
            "try_current in a thread-local destructor found a runtime"
        );
    }
    assert_eq!(counter.dropped(), 1, "the runtime's task was not dropped");
    let left = threads_left(&name);
    assert!(left.is_empty(), "threads left: {left:?}");
}

#[test]
fn thread_local_destructors_and_the_runtime() {
    // A thread-local destructor that panics aborts the process: hence the child. Mode
    // `runtime`: a runtime dropped at thread exit; `try_current`: also a destructor that
    // asks for the current runtime, before the runtime's.
    let name = "child_thread_local_destructors";
    for mode in ["runtime", "try_current"] {
        let output = run_child(
            name,
            &[("GORO_TESTS_EXPECT", mode)],
            Duration::from_secs(60),
        );
        assert_child_passed(&format!("{name} ({mode})"), &output);
    }
}
