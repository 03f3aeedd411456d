//! Shutdown, as DESIGN.md states it: dropping the runtime (or `goro::run` returning) cancels
//! every task, idle ones that sit in no queue included, runs their destructors (even ones
//! that spawn or wake), joins every worker thread and leaks nothing; `shutdown_timeout`
//! bounds the wait for blocking threads; spawns racing with shutdown never hang.
//! Each test runs on 1 and on 4 workers.

mod support;

use futures::channel::oneshot;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn dropping_the_runtime_cancels_every_task() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let mut senders = Vec::new();
            runtime.block_on(async {
                // Idle, in no queue: waiting on a channel nobody sends on.
                for _ in 0..100 {
                    let (tx, rx) = oneshot::channel::<()>();
                    senders.push(tx);
                    let guard = counter.guard();
                    drop(goro::spawn(async move {
                        let _guard = guard;
                        let _ = rx.await;
                    }));
                }
                // Idle on a timer.
                for _ in 0..10 {
                    let guard = counter.guard();
                    drop(goro::spawn(async move {
                        let _guard = guard;
                        goro::time::sleep(Duration::from_secs(3600)).await;
                    }));
                }
                // Always runnable.
                for _ in 0..4 {
                    let guard = counter.guard();
                    drop(goro::spawn(async move {
                        let _guard = guard;
                        loop {
                            goro::yield_now().await;
                        }
                    }));
                }
                // Awaiting another task, and owning a JoinSet.
                let inner = goro::spawn(pending_with::<()>(counter.guard()));
                let guard = counter.guard();
                drop(goro::spawn(async move {
                    let _guard = guard;
                    let _ = inner.await;
                }));
                let guard = counter.guard();
                let c = counter.clone();
                drop(goro::spawn(async move {
                    let _guard = guard;
                    let mut set = goro::JoinSet::new();
                    for _ in 0..10 {
                        set.spawn(pending_with::<()>(c.guard()));
                    }
                    set.join_next().await;
                }));
                goro::time::sleep(Duration::from_millis(20)).await;
            });
            // Kept by a JoinHandle that outlives the runtime.
            let blocked = runtime.spawn(pending_with::<u8>(counter.guard()));
            // Spawned right before the drop: likely never polled.
            for _ in 0..100 {
                drop(runtime.spawn(pending_with::<()>(counter.guard())));
            }
            assert_eq!(counter.dropped(), 0);
            drop(runtime);
            assert_eq!(
                counter.dropped(),
                counter.created(),
                "the runtime dropped with futures still alive"
            );
            assert_eq!(counter.created(), 100 + 10 + 4 + 1 + 1 + 1 + 10 + 1 + 100);
            // A JoinHandle awaited after the runtime is gone answers "cancelled".
            let err = futures::executor::block_on(blocked).unwrap_err();
            assert!(err.is_cancelled());
            drop(senders);
        });
    }
}

/// Tasks that never ran, waiting in every kind of queue, are cancelled by the drop: one
/// worker is kept busy for 200 ms by a task that first spawns 300 tasks (into that worker's
/// next slot and local queue, and past its 256 slots into the injector); the runtime is
/// dropped meanwhile, so none of them is polled.
#[test]
fn dropping_the_runtime_cancels_tasks_that_never_ran() {
    bounded(LIMIT, || {
        let runtime = goro::Builder::new()
            .worker_threads(1)
            .blocking_threshold(None)
            .build()
            .unwrap();
        let counter = DropCounter::new();
        let polled = Arc::new(AtomicUsize::new(0));
        let (handles_tx, handles_rx) = std::sync::mpsc::channel();
        let started = Arc::new(Barrier::new(2));
        {
            let (counter, polled, started) = (counter.clone(), polled.clone(), started.clone());
            drop(runtime.spawn(async move {
                let handles: Vec<_> = (0..300)
                    .map(|_| {
                        let (guard, polled) = (counter.guard(), polled.clone());
                        goro::spawn(async move {
                            let _guard = guard;
                            polled.fetch_add(1, SeqCst);
                        })
                    })
                    .collect();
                handles_tx.send(handles).unwrap();
                started.wait();
                std::thread::sleep(Duration::from_millis(200));
            }));
        }
        started.wait();
        let handles = handles_rx.recv().unwrap();
        drop(runtime);
        assert_eq!(polled.load(SeqCst), 0, "a queued task ran during shutdown");
        assert_eq!(counter.created(), 300);
        assert_eq!(counter.dropped(), 300, "queued futures were not dropped");
        for handle in handles {
            let err = futures::executor::block_on(handle).unwrap_err();
            assert!(err.is_cancelled());
        }
    });
}

/// A guard that spawns a task (holding another guard) from its destructor.
struct SpawnOnDrop {
    counter: DropCounter,
    _guard: Guard,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let guard = self.counter.guard();
        drop(goro::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        if let Some(handle) = goro::Handle::try_current() {
            let guard = self.counter.guard();
            drop(handle.spawn(pending_with::<()>(guard)));
        }
    }
}

#[test]
fn destructors_that_spawn_during_shutdown() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            runtime.block_on(async {
                for _ in 0..50 {
                    let on_drop = SpawnOnDrop {
                        counter: counter.clone(),
                        _guard: counter.guard(),
                    };
                    drop(goro::spawn(async move {
                        let _on_drop = on_drop;
                        std::future::pending::<()>().await;
                    }));
                }
                goro::yield_now().await;
            });
            drop(runtime);
            assert_eq!(
                counter.created(),
                50 * 3,
                "every destructor ran and spawned"
            );
            assert_eq!(
                counter.dropped(),
                counter.created(),
                "tasks spawned by destructors leaked"
            );
        });
    }
}

/// Wakes another task from its destructor (by dropping the sender it waits on) and does a
/// `spawn_blocking`.
struct WakeOnDrop {
    _sender: oneshot::Sender<()>,
    _guard: Guard,
}

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        drop(goro::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(1))
        }));
    }
}

#[test]
fn destructors_that_wake_other_tasks_during_shutdown() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            runtime.block_on(async {
                // A chain: task i holds the sender task i + 1 waits on.
                let (first_tx, mut rx) = oneshot::channel::<()>();
                let mut senders = vec![first_tx];
                for _ in 0..100 {
                    let (tx, next_rx) = oneshot::channel::<()>();
                    let waker = WakeOnDrop {
                        _sender: tx,
                        _guard: counter.guard(),
                    };
                    let my_rx = std::mem::replace(&mut rx, next_rx);
                    drop(goro::spawn(async move {
                        let _waker = waker;
                        let _ = my_rx.await;
                        // Woken (the sender dropped): wait again, forever.
                        std::future::pending::<()>().await;
                    }));
                }
                drop(goro::spawn(async move {
                    let _ = rx.await;
                }));
                goro::yield_now().await;
                // Keep the chain's head alive until the runtime goes.
                drop(goro::spawn(async move {
                    let _senders = &mut senders;
                    std::future::pending::<()>().await;
                }));
            });
            drop(runtime);
            assert_eq!(counter.dropped(), 100);
        });
    }
}

#[test]
fn every_worker_thread_is_joined() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let name = unique_thread_name('j');
            let runtime = goro::Builder::new()
                .worker_threads(workers)
                .thread_name(name.clone())
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut set = goro::JoinSet::new();
                for _ in 0..100 {
                    set.spawn(goro::yield_now());
                }
                set.join_all().await;
            });
            // A new thread names itself once it runs: wait until every worker did.
            block_until(LIMIT, "every worker thread to be named", || {
                let named = threads_named(&name);
                named.iter().filter(|t| !t.ends_with("-monitor")).count() == workers
            });
            drop(runtime);
            let after = threads_left(&name);
            assert!(
                after.is_empty(),
                "threads left after the runtime dropped: {after:?}"
            );
        });
    }
}

#[test]
fn blocking_threads_are_gone_after_the_drop() {
    bounded(LIMIT, || {
        for round in 0..20 {
            let name = unique_thread_name('k');
            let runtime = goro::Builder::new()
                .worker_threads(1)
                .thread_name(name.clone())
                .build()
                .unwrap();
            let jobs: Vec<_> = (0..3)
                .map(|_| runtime.spawn_blocking(|| std::thread::sleep(Duration::from_millis(2))))
                .collect();
            runtime.block_on(async {
                for job in jobs {
                    job.await.unwrap();
                }
            });
            assert!(
                threads_named(&name)
                    .iter()
                    .any(|t| t.ends_with("-blocking"))
            );
            drop(runtime);
            let after = threads_left(&name);
            assert!(
                after.is_empty(),
                "round {round}: threads left after the runtime dropped: {after:?}"
            );
        }
    });
}

#[test]
fn shutdown_timeout_returns_within_its_bound() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
            let started = Arc::new(AtomicBool::new(false));
            let s = started.clone();
            let stuck = runtime.spawn_blocking(move || {
                s.store(true, SeqCst);
                let _ = release_rx.recv_timeout(Duration::from_secs(60));
                "released"
            });
            block_until(LIMIT, "the blocking task to start", || started.load(SeqCst));
            let counter = DropCounter::new();
            drop(runtime.spawn(pending_with::<()>(counter.guard())));
            let start = Instant::now();
            runtime.shutdown_timeout(Duration::from_millis(100));
            let took = start.elapsed();
            assert!(
                took >= Duration::from_millis(100),
                "did not wait for the blocking task: {took:?}"
            );
            assert!(
                took < Duration::from_secs(2),
                "shutdown_timeout took {took:?}"
            );
            assert_eq!(
                counter.dropped(),
                1,
                "async tasks are cancelled by shutdown_timeout too"
            );
            // The blocking task finishes on its own later and its handle still answers.
            release_tx.send(()).unwrap();
            assert_eq!(futures::executor::block_on(stuck).unwrap(), "released");
        });
    }
}

#[test]
fn shutdown_timeout_does_not_wait_when_nothing_blocks() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        runtime.block_on(async { goro::spawn_blocking(|| ()).await.unwrap() });
        let start = Instant::now();
        runtime.shutdown_timeout(Duration::from_secs(10));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    });
}

#[test]
fn drop_waits_for_running_blocking_tasks_and_cancels_queued_ones() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = goro::Builder::new()
                .worker_threads(workers)
                .max_blocking_threads(1)
                .build()
                .unwrap();
            let finished = Arc::new(AtomicBool::new(false));
            let started = Arc::new(AtomicBool::new(false));
            let (f, s) = (finished.clone(), started.clone());
            let running = runtime.spawn_blocking(move || {
                s.store(true, SeqCst);
                std::thread::sleep(Duration::from_millis(200));
                f.store(true, SeqCst);
            });
            block_until(LIMIT, "the blocking task to start", || started.load(SeqCst));
            let queued_ran = Arc::new(AtomicBool::new(false));
            let q = queued_ran.clone();
            let counter = DropCounter::new();
            let guard = counter.guard();
            let queued = runtime.spawn_blocking(move || {
                let _guard = guard;
                q.store(true, SeqCst);
            });
            drop(runtime);
            assert!(
                finished.load(SeqCst),
                "the drop returned before the running blocking task ended"
            );
            futures::executor::block_on(running).unwrap();
            assert!(
                !queued_ran.load(SeqCst),
                "a queued blocking task ran during shutdown"
            );
            assert!(
                futures::executor::block_on(queued)
                    .unwrap_err()
                    .is_cancelled()
            );
            assert_eq!(counter.dropped(), 1, "the queued closure was not dropped");
        });
    }
}

#[test]
fn block_on_elsewhere_returns_when_the_runtime_drops() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let handle = runtime.handle().clone();
            let never = runtime.spawn(std::future::pending::<()>());
            let waiting = Arc::new(AtomicBool::new(false));
            let w = waiting.clone();
            let waiter = std::thread::spawn(move || {
                handle.block_on(async move {
                    w.store(true, SeqCst);
                    never.await
                })
            });
            block_until(LIMIT, "the other thread to block", || waiting.load(SeqCst));
            std::thread::sleep(Duration::from_millis(10));
            drop(runtime);
            let result = waiter.join().unwrap();
            assert!(result.unwrap_err().is_cancelled());
        });
    }
}

#[test]
fn spawning_from_other_threads_while_the_runtime_shuts_down() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let stop = Arc::new(AtomicBool::new(false));
            let dropped = Arc::new(AtomicBool::new(false));
            let start = Arc::new(Barrier::new(5));
            let spawners: Vec<_> = (0..4)
                .map(|t| {
                    let handle = runtime.handle().clone();
                    let (counter, stop, dropped, start) = (
                        counter.clone(),
                        stop.clone(),
                        dropped.clone(),
                        start.clone(),
                    );
                    std::thread::spawn(move || {
                        start.wait();
                        let mut handles = Vec::new();
                        let mut after_drop = 0;
                        let mut i = 0u64;
                        while !stop.load(SeqCst) || after_drop < 200 {
                            let guard = counter.guard();
                            let was_dropped = dropped.load(SeqCst);
                            let handle = if i % 2 == 0 {
                                handle.spawn(async move {
                                    let _guard = guard;
                                    goro::yield_now().await;
                                    i
                                })
                            } else {
                                handle.spawn(pending_with::<u64>(guard))
                            };
                            if was_dropped {
                                after_drop += 1;
                            }
                            handles.push((i, was_dropped, handle));
                            i += 1;
                            if t == 0 && i % 64 == 0 {
                                std::thread::yield_now();
                            }
                        }
                        handles
                    })
                })
                .collect();
            start.wait();
            std::thread::sleep(Duration::from_millis(20));
            drop(runtime);
            dropped.store(true, SeqCst);
            stop.store(true, SeqCst);
            let mut total = 0;
            for spawner in spawners {
                for (i, after, handle) in spawner.join().unwrap() {
                    total += 1;
                    match futures::executor::block_on(handle) {
                        Ok(out) => {
                            assert_eq!(out, i);
                            assert!(!after, "a task spawned after the drop ran");
                        }
                        Err(err) => assert!(err.is_cancelled(), "{err}"),
                    }
                }
            }
            assert!(total >= 800);
            assert_eq!(counter.created(), total);
            assert_eq!(counter.dropped(), total, "futures leaked");
        });
    }
}

/// One round of a runtime dropped while plain threads spawn onto it (`spawn`) or wake its
/// idle tasks (`wake`).
fn race_round(workers: usize, spawn: bool, wake: bool) {
    let runtime = runtime(workers);
    let stop = Arc::new(AtomicBool::new(false));
    let wakers: Arc<Mutex<Vec<std::task::Waker>>> = Arc::default();
    runtime.block_on(async {
        for _ in 0..16 {
            let wakers = wakers.clone();
            drop(goro::spawn(std::future::poll_fn(move |cx| {
                wakers.lock().unwrap().push(cx.waker().clone());
                std::task::Poll::<()>::Pending
            })));
        }
        goro::time::sleep(Duration::from_millis(2)).await;
    });
    let mut threads = Vec::new();
    if wake {
        let wakers = wakers.clone();
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            while !stop.load(SeqCst) {
                let all: Vec<_> = wakers.lock().unwrap().drain(..).collect();
                for waker in all {
                    waker.wake();
                }
                std::thread::yield_now();
            }
        }));
    }
    if spawn {
        for _ in 0..2 {
            let handle = runtime.handle().clone();
            let stop = stop.clone();
            threads.push(std::thread::spawn(move || {
                while !stop.load(SeqCst) {
                    drop(handle.spawn(async {}));
                    std::thread::yield_now();
                }
            }));
        }
    }
    std::thread::sleep(Duration::from_millis(2));
    drop(runtime);
    std::thread::sleep(Duration::from_millis(1));
    stop.store(true, SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }
    wakers.lock().unwrap().clear();
}

#[test]
#[ignore = "run by the no_file_descriptor_leaks_* tests in a child process"]
fn child_races_with_shutdown() {
    if !is_child() {
        return;
    }
    let mode = std::env::var("GORO_TESTS_EXPECT").unwrap();
    let (spawn, wake) = match mode.as_str() {
        "spawn" => (true, false),
        "wake" => (false, true),
        _ => panic!("unknown mode {mode}"),
    };
    let fds_at_start = open_fds();
    let start = Instant::now();
    // The race window is narrow: a few runtimes in a thousand leak.
    let rounds = if spawn { 500 } else { 1000 };
    for round in 0..rounds {
        race_round(if round % 2 == 0 { 1 } else { 4 }, spawn, wake);
    }
    let fds_at_end = open_fds();
    eprintln!("{rounds} rounds in {:?}", start.elapsed());
    assert!(
        fds_at_end <= fds_at_start + 2,
        "{} file descriptors leaked over {rounds} runtimes dropped while other threads {mode}: \
         each runtime owns an epoll (and its clone) and an eventfd, closed when its last \
         reference goes; a reference cycle keeps them",
        fds_at_end - fds_at_start
    );
}

#[test]
fn no_file_descriptor_leaks_when_spawns_race_with_shutdown() {
    let name = "child_races_with_shutdown";
    let output = run_child(
        name,
        &[("GORO_TESTS_EXPECT", "spawn")],
        Duration::from_secs(120),
    );
    assert_child_passed(name, &output);
}

#[test]
fn no_file_descriptor_leaks_when_wakes_race_with_shutdown() {
    let name = "child_races_with_shutdown";
    let output = run_child(
        name,
        &[("GORO_TESTS_EXPECT", "wake")],
        Duration::from_secs(120),
    );
    assert_child_passed(name, &output);
}

#[test]
#[ignore = "run by no_file_descriptor_leaks_over_many_runtimes in a child process"]
fn child_many_runtimes() {
    if !is_child() {
        return;
    }
    let fds_at_start = open_fds();
    for round in 0..50 {
        let runtime = runtime(1 + round % 4);
        let counter = DropCounter::new();
        runtime.block_on(async {
            for _ in 0..20 {
                drop(goro::spawn(pending_with::<()>(counter.guard())));
                drop(goro::spawn(async {
                    goro::time::sleep(Duration::from_secs(60)).await;
                }));
            }
            goro::spawn_blocking(|| ()).await.unwrap();
        });
        drop(runtime);
        assert_eq!(counter.dropped(), 20);
    }
    let ran = AtomicUsize::new(0);
    goro::run(async {
        ran.fetch_add(1, SeqCst);
    });
    assert_eq!(ran.load(SeqCst), 1);
    let fds_at_end = open_fds();
    assert!(
        fds_at_end <= fds_at_start + 2,
        "{} file descriptors leaked over 50 runtimes",
        fds_at_end - fds_at_start
    );
}

#[test]
fn no_file_descriptor_leaks_over_many_runtimes() {
    let name = "child_many_runtimes";
    let output = run_child(name, &[], Duration::from_secs(120));
    assert_child_passed(name, &output);
}

#[test]
fn dropping_the_runtime_on_one_of_its_blocking_threads_does_not_hang() {
    // E.g. a runtime handed to `spawn_blocking` to be dropped off the async threads. The
    // shutdown waits for the blocking threads to finish, but the thread dropping the runtime
    // is one of them: it must not wait for itself (or it must refuse with a panic).
    bounded(LIMIT, || {
        let runtime = Arc::new(Mutex::new(Some(runtime(2))));
        let counter = DropCounter::new();
        let r = runtime.clone();
        let (outcome_tx, outcome_rx) = std::sync::mpsc::channel();
        {
            let guard = runtime.lock().unwrap();
            let rt = guard.as_ref().unwrap();
            drop(rt.spawn(pending_with::<()>(counter.guard())));
            drop(rt.spawn_blocking(move || {
                let rt = r.lock().unwrap().take().unwrap();
                let dropped =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rt)));
                let _ = outcome_tx.send(dropped.map_err(|p| panic_message(&*p)));
            }));
        }
        match outcome_rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => assert_eq!(
                counter.dropped(),
                1,
                "the runtime's tasks were not cancelled"
            ),
            Ok(Err(message)) => assert!(message.contains("blocking"), "unclear panic: {message}"),
            Err(_) => panic!(
                "dropping a runtime on its own blocking thread hangs: the pool waits for itself"
            ),
        }
    });
}

/// Spawns from a destructor, `goro::spawn` or `JoinSet::spawn`, into the runtime that is
/// shutting down.
struct SpawnWhileClosing {
    counter: DropCounter,
    finished_at_once: Arc<AtomicUsize>,
}

impl Drop for SpawnWhileClosing {
    fn drop(&mut self) {
        let spawned = goro::spawn(pending_with::<()>(self.counter.guard()));
        let mut set = goro::JoinSet::new();
        let in_set = set.spawn(pending_with::<()>(self.counter.guard()));
        for finished in [spawned.is_finished(), in_set.is_finished()] {
            if finished {
                self.finished_at_once.fetch_add(1, SeqCst);
            }
        }
        // Resolved already: this does not wait.
        if spawned.is_finished() {
            assert!(
                futures::executor::block_on(spawned)
                    .unwrap_err()
                    .is_cancelled()
            );
        }
    }
}

#[test]
fn spawns_while_the_runtime_closes_are_cancelled_at_once() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let finished_at_once = Arc::new(AtomicUsize::new(0));
            for _ in 0..50 {
                let on_drop = SpawnWhileClosing {
                    counter: counter.clone(),
                    finished_at_once: finished_at_once.clone(),
                };
                drop(runtime.spawn(async move {
                    let _on_drop = on_drop;
                    std::future::pending::<()>().await
                }));
            }
            runtime.block_on(goro::yield_now());
            drop(runtime);
            assert_eq!(
                finished_at_once.load(SeqCst),
                100,
                "spawns during the shutdown that did not resolve at once"
            );
            assert_eq!(counter.created(), 100);
            assert_eq!(counter.dropped(), 100);
        });
    }
}

/// `shutdown_timeout` bounds the whole shutdown: a worker stuck inside one poll (a blocking
/// call in a task) is left behind once the time is up, with the monitor off and on. When
/// the poll returns, the task is cancelled on that thread, and the thread ends.
#[test]
fn shutdown_timeout_leaves_a_worker_stuck_in_a_poll_behind() {
    for threshold in [None, Some(Duration::from_millis(50))] {
        bounded(LIMIT, move || {
            let name = unique_thread_name('s');
            let runtime = goro::Builder::new()
                .worker_threads(2)
                .thread_name(name.clone())
                .blocking_threshold(threshold)
                .build()
                .unwrap();
            let counter = DropCounter::new();
            let stuck = Arc::new(AtomicBool::new(false));
            let release = Arc::new(AtomicBool::new(false));
            let (s, r, guard) = (stuck.clone(), release.clone(), counter.guard());
            drop(runtime.spawn(async move {
                let _guard = guard;
                s.store(true, SeqCst);
                let start = Instant::now();
                while !r.load(SeqCst) && start.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                goro::yield_now().await;
                std::future::pending::<()>().await
            }));
            drop(runtime.spawn(pending_with::<()>(counter.guard())));
            block_until(LIMIT, "the task to be stuck", || stuck.load(SeqCst));
            let start = Instant::now();
            runtime.shutdown_timeout(Duration::from_millis(100));
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(2),
                "shutdown_timeout(100 ms) took {took:?} (monitor {threshold:?})"
            );
            assert_eq!(counter.dropped(), 1, "the idle task was not cancelled");
            release.store(true, SeqCst);
            block_until(LIMIT, "the stuck task's future to be dropped", || {
                counter.dropped() == 2
            });
            block_until(LIMIT, "the stuck thread to end", || {
                threads_named(&name).is_empty()
            });
        });
    }
}

/// A runtime dropped inside one of its own tasks: the drop panics there (the task's thread
/// is one of those a shutdown waits for), but the runtime still shuts down, from a thread
/// of its own: its workers end, its pending futures are dropped, new spawns are cancelled.
#[test]
fn a_runtime_dropped_inside_its_own_task_still_shuts_down() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let name = unique_thread_name('o');
            let runtime = goro::Builder::new()
                .worker_threads(workers)
                .thread_name(name.clone())
                .build()
                .unwrap();
            let counter = DropCounter::new();
            drop(runtime.spawn(pending_with::<()>(counter.guard())));
            let handle = runtime.handle().clone();
            let kept = Arc::new(Mutex::new(Some(runtime)));
            let k = kept.clone();
            let dropper = handle.spawn(async move {
                let runtime = k.lock().unwrap().take().unwrap();
                drop(runtime);
            });
            let err = futures::executor::block_on(dropper).unwrap_err();
            let message = panic_message(&*err.into_panic());
            assert!(message.contains("own tasks"), "unclear panic: {message}");
            let late = handle.spawn(pending_with::<()>(counter.guard()));
            assert!(
                late.is_finished(),
                "a spawn after the drop did not resolve at once"
            );
            assert!(
                futures::executor::block_on(late)
                    .unwrap_err()
                    .is_cancelled()
            );
            block_until(
                Duration::from_secs(10),
                "the pending futures to be dropped",
                || counter.dropped() == 2,
            );
            block_until(
                Duration::from_secs(10),
                "the runtime's threads to end",
                || threads_named(&name).is_empty(),
            );
        });
    }
}

/// Longer than any test: a timer this far out fires only if the shutdown fires it.
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_blocking_task_asleep_in_block_on_does_not_hang_the_drop() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let handle = runtime.handle().clone();
            let (started_tx, started_rx) = std::sync::mpsc::channel();
            let (outcome_tx, outcome_rx) = std::sync::mpsc::channel();
            drop(runtime.spawn_blocking(move || {
                let _ = started_tx.send(());
                let slept = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handle.block_on(goro::time::sleep(HOUR))
                }));
                let _ = outcome_tx.send(slept.map_err(|p| panic_message(&*p)));
            }));
            started_rx.recv().unwrap();
            drop(runtime);
            let message = outcome_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("the blocking task ended")
                .expect_err("an hour-long sleep completed");
            assert!(message.contains("shut down"), "unclear panic: {message}");
        });
    }
}

#[test]
fn block_on_elsewhere_on_a_timer_returns_when_the_runtime_drops() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let blocked = Arc::new(AtomicUsize::new(0));
            let waiters: Vec<_> = (0..3)
                .map(|kind| {
                    let handle = runtime.handle().clone();
                    let blocked = blocked.clone();
                    std::thread::spawn(move || {
                        let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            handle.block_on(async move {
                                blocked.fetch_add(1, SeqCst);
                                match kind {
                                    0 => goro::time::sleep(HOUR).await,
                                    1 => {
                                        let mut ticks = goro::time::interval(HOUR);
                                        ticks.tick().await;
                                        ticks.tick().await;
                                    }
                                    _ => {
                                        let pending = std::future::pending::<()>();
                                        let _ = goro::time::timeout(HOUR, pending).await;
                                    }
                                }
                            })
                        }));
                        waited.map_err(|p| panic_message(&*p))
                    })
                })
                .collect();
            block_until(LIMIT, "the threads to block", || blocked.load(SeqCst) == 3);
            std::thread::sleep(Duration::from_millis(10));
            drop(runtime);
            for waiter in waiters {
                let message = waiter.join().unwrap().expect_err("an hour passed");
                assert!(
                    message.contains("goro") && message.contains("shut down"),
                    "unclear panic: {message}"
                );
            }
        });
    }
}

#[test]
fn a_timer_outliving_its_runtime_is_woken_and_then_panics_clearly() {
    use std::future::Future;
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let made = runtime.spawn_blocking(|| Box::pin(goro::time::sleep(HOUR)));
        let mut sleep = runtime.block_on(made).unwrap();
        // Its waker panics when the shutdown fires it: contained, the drop goes on.
        let waker = panicking_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        drop(runtime);
        let message = expect_panic(|| sleep.as_mut().poll(&mut cx));
        assert!(message.contains("shut down"), "unclear panic: {message}");
        // One whose deadline has passed completes.
        let runtime = support::runtime(1);
        let made = runtime.spawn_blocking(|| Box::pin(goro::time::sleep(Duration::ZERO)));
        let mut sleep = runtime.block_on(made).unwrap();
        drop(runtime);
        assert!(sleep.as_mut().poll(&mut cx).is_ready());
    });
}
