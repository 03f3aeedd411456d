//! Spawning: from a task, from `Runtime::spawn`, from `Handle::spawn` on a foreign thread;
//! the "no runtime" errors; `block_on` on a worker; `yield_now` fairness and the `next`
//! slot that must not starve the queue. Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

suite! {
    async fn spawn_from_a_task_and_from_a_nested_task() {
        let outer = goro::spawn(async {
            let inner = goro::spawn(async { goro::spawn(async { 40 }).await.unwrap() + 1 });
            inner.await.unwrap() + 1
        });
        assert_eq!(within(LIMIT, "nested spawns", outer).await.unwrap(), 42);
    }

    async fn spawn_from_the_block_on_body() {
        let handles: Vec<_> = (0..100u64).map(|i| goro::spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += within(LIMIT, "a spawned task", handle).await.unwrap();
        }
        assert_eq!(sum, 2 * (0..100).sum::<u64>());
    }

    async fn many_tasks_spawned_from_a_task_all_run() {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let parent = goro::spawn(async move {
            let handles: Vec<_> = (0..2000)
                .map(|_| {
                    let r = r.clone();
                    goro::spawn(async move {
                        r.fetch_add(1, SeqCst);
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        });
        within(LIMIT, "2000 tasks", parent).await.unwrap();
        assert_eq!(ran.load(SeqCst), 2000);
    }

    async fn spawn_through_handle_current_inside_a_task() {
        let handle = goro::spawn(async {
            let handle = goro::Handle::current();
            handle.spawn(async { "via Handle::current" }).await.unwrap()
        });
        assert_eq!(within(LIMIT, "Handle::current().spawn", handle).await.unwrap(), "via Handle::current");
    }

    async fn a_runtime_is_current_in_tasks_and_in_the_body() {
        assert!(goro::Handle::try_current().is_some());
        let workers = goro::Handle::current().worker_threads();
        let seen = goro::spawn(async { goro::Handle::try_current().map(|h| h.worker_threads()) });
        assert_eq!(within(LIMIT, "try_current in a task", seen).await.unwrap(), Some(workers));
        // A plain thread started from a task is outside any runtime.
        let outside = goro::spawn(async {
            std::thread::spawn(|| goro::Handle::try_current().is_none()).join().unwrap()
        });
        assert!(within(LIMIT, "a thread from a task", outside).await.unwrap());
    }

    async fn handle_spawn_from_foreign_threads() {
        let handle = goro::Handle::current();
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let handle = handle.clone();
                std::thread::spawn(move || {
                    assert!(goro::Handle::try_current().is_none());
                    (0..50u64).map(|i| handle.spawn(async move { t * 1000 + i })).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut results = Vec::new();
        for thread in threads {
            for join in thread.join().unwrap() {
                results.push(within(LIMIT, "a task spawned from a foreign thread", join).await.unwrap());
            }
        }
        results.sort_unstable();
        let mut expected: Vec<u64> = (0..4).flat_map(|t| (0..50).map(move |i| t * 1000 + i)).collect();
        expected.sort_unstable();
        assert_eq!(results, expected);
    }

    async fn foreign_thread_wakes_reach_an_idle_task() {
        // A task waits on a channel fed by a plain thread: every wake comes from outside.
        let (mut tx, mut rx) = mpsc::channel::<u32>(1);
        let consumer = goro::spawn(async move {
            let mut sum = 0u64;
            while let Some(n) = rx.next().await {
                sum += u64::from(n);
            }
            sum
        });
        let producer = std::thread::spawn(move || {
            futures::executor::block_on(async move {
                for n in 0..1000u32 {
                    tx.send(n).await.unwrap();
                }
            })
        });
        let sum = within(LIMIT, "the consumer of a foreign producer", consumer).await.unwrap();
        producer.join().unwrap();
        assert_eq!(sum, (0..1000u64).sum::<u64>());
    }

    async fn a_task_joins_a_task_of_another_runtime() {
        // A second runtime's handle spawns from a task of this one: it lands on the other
        // runtime and the wake comes back across runtimes.
        let other = goro::spawn_blocking(|| goro::Builder::new().worker_threads(2).build().unwrap());
        let other = within(LIMIT, "build a second runtime", other).await.unwrap();
        let other_handle = other.handle().clone();
        let name = goro::spawn(async move {
            other_handle
                .spawn(async { goro::time::sleep(Duration::from_millis(5)).await; 5 })
                .await
                .unwrap()
        });
        assert_eq!(within(LIMIT, "a cross-runtime join", name).await.unwrap(), 5);
        // Dropping a runtime must happen off the workers of any runtime.
        within(LIMIT, "drop the second runtime", goro::spawn_blocking(move || drop(other)))
            .await
            .unwrap();
    }

    async fn task_ids_are_unique() {
        let handles: Vec<_> = (0..1000).map(|_| goro::spawn(async {})).collect();
        let ids: HashSet<goro::task::Id> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids.len(), 1000);
        for handle in handles {
            let id = handle.id();
            assert_eq!(handle.abort_handle().id(), id);
            within(LIMIT, "an empty task", handle).await.unwrap();
        }
    }

    async fn a_task_is_never_polled_after_it_completed() {
        // The task hands its waker out and completes; wakes that come after must not poll it.
        let polls = Arc::new(AtomicUsize::new(0));
        let slot: Arc<Mutex<Option<std::task::Waker>>> = Arc::default();
        let (p, s) = (polls.clone(), slot.clone());
        let handle = goro::spawn(std::future::poll_fn(move |cx| {
            let n = p.fetch_add(1, SeqCst);
            *s.lock().unwrap() = Some(cx.waker().clone());
            if n == 0 {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        }));
        within(LIMIT, "the task", handle).await.unwrap();
        assert_eq!(polls.load(SeqCst), 2);
        let waker = slot.lock().unwrap().take().unwrap();
        let wakers: Vec<_> = (0..4).map(|_| waker.clone()).collect();
        let threads: Vec<_> = wakers
            .into_iter()
            .map(|w| std::thread::spawn(move || for _ in 0..1000 { w.wake_by_ref() }))
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        waker.wake();
        goro::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(polls.load(SeqCst), 2, "a completed task was polled again");
    }

    async fn yield_now_lets_a_waiting_task_run() {
        // One task spins on yield_now until another sets a flag: on one worker this only ends
        // if yield_now really gives the worker away.
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let spinner = goro::spawn(async move {
            let mut spins = 0u64;
            while !f.load(SeqCst) {
                goro::yield_now().await;
                spins += 1;
            }
            spins
        });
        let f = flag.clone();
        let setter = goro::spawn(async move {
            goro::yield_now().await;
            f.store(true, SeqCst);
        });
        within(LIMIT, "the setter", setter).await.unwrap();
        within(LIMIT, "the spinner", spinner).await.unwrap();
    }

    async fn the_next_slot_does_not_starve_the_queue() {
        // Two tasks that wake each other forever live in the worker's `next` slot; a third
        // task that only ever yields (so it sits in the local queue) must still get turns.
        let stop = Arc::new(AtomicBool::new(false));
        let (mut a_tx, mut a_rx) = mpsc::channel::<u32>(1);
        let (mut b_tx, mut b_rx) = mpsc::channel::<u32>(1);
        let driver = goro::spawn({
            let stop = stop.clone();
            async move {
                let s = stop.clone();
                let a = goro::spawn(async move {
                    let mut n = 0;
                    while !s.load(SeqCst) {
                        if b_tx.send(n).await.is_err() {
                            break;
                        }
                        match a_rx.next().await {
                            Some(m) => n = m + 1,
                            None => break,
                        }
                    }
                    n
                });
                let b = goro::spawn(async move {
                    while let Some(n) = b_rx.next().await {
                        if a_tx.send(n + 1).await.is_err() {
                            break;
                        }
                    }
                });
                let yielder = goro::spawn(async move {
                    for _ in 0..50 {
                        goro::yield_now().await;
                    }
                    stop.store(true, SeqCst);
                });
                yielder.await.unwrap();
                let rounds = a.await.unwrap();
                b.await.unwrap();
                rounds
            }
        });
        let rounds = within(LIMIT, "a queued task behind a ping-pong", driver).await.unwrap();
        assert!(rounds > 0);
    }

    multi_thread_only {
        async fn block_on_on_a_worker_thread_panics() {
            let handle = goro::Handle::current();
            let outcome = goro::spawn(async move {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.block_on(async { 1 })))
                    .map_err(|payload| panic_message(&*payload))
            });
            let message = within(LIMIT, "block_on in a task", outcome).await.unwrap().unwrap_err();
            assert!(message.contains("worker thread"), "unexpected message: {message}");
            // The worker survived its caught panic.
            assert_eq!(within(LIMIT, "a later task", goro::spawn(async { 7 })).await.unwrap(), 7);
        }
    }
}

#[goro::test(worker_threads = 1, timeout_ms = 60000)]
async fn yield_now_interleaves_two_tasks_on_one_worker() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    // Both spawned from one task, so that both are queued before either runs (from the
    // body, the first could run to its end before the second is spawned).
    let both = goro::spawn(async move {
        let tasks: Vec<_> = (0..2u8)
            .map(|id| {
                let log = l.clone();
                goro::spawn(async move {
                    for _ in 0..100 {
                        log.lock().unwrap().push(id);
                        goro::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    within(LIMIT, "two yielding tasks", both).await.unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 200);
    let switches = log.windows(2).filter(|w| w[0] != w[1]).count();
    // Strict alternation gives 199 switches; anything that runs one task to the end first
    // gives 1.
    assert!(
        switches >= 150,
        "the tasks did not interleave: {switches} switches in {log:?}"
    );
}

#[test]
fn runtime_spawn_and_handle_spawn_from_outside() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let a = runtime.spawn(async { 1 });
            let handle = runtime.handle().clone();
            let b = std::thread::spawn(move || handle.spawn(async { 2 }))
                .join()
                .unwrap();
            assert_eq!(
                runtime.block_on(a).unwrap() + runtime.block_on(b).unwrap(),
                3
            );
        });
    }
}

#[test]
fn tasks_run_without_anyone_in_block_on() {
    // The workers run tasks on their own; nobody has to drive them from block_on.
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let (tx, rx) = std::sync::mpsc::channel();
            for i in 0..100 {
                let tx = tx.clone();
                drop(runtime.spawn(async move {
                    goro::yield_now().await;
                    tx.send(i).unwrap();
                }));
            }
            let mut got: Vec<i32> = (0..100)
                .map(|_| {
                    rx.recv_timeout(Duration::from_secs(10))
                        .expect("a detached task ran")
                })
                .collect();
            got.sort_unstable();
            assert_eq!(got, (0..100).collect::<Vec<_>>());
        });
    }
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_helpful_message() {
    let message = expect_panic(|| goro::spawn(async {}));
    assert!(
        message.contains("goro::run") && message.contains("block_on"),
        "the message should say to use goro::run or block_on: {message}"
    );
    let message = expect_panic(|| goro::spawn_blocking(|| ()));
    assert!(
        message.contains("goro::run"),
        "unexpected message: {message}"
    );
}

#[test]
fn handle_current_outside_a_runtime() {
    assert!(goro::Handle::try_current().is_none());
    let message = expect_panic(goro::Handle::current);
    assert!(
        message.contains("goro::run") || message.contains("block_on"),
        "the message should say what to do: {message}"
    );
    // Entered and left again: block_on restores "no runtime".
    let runtime = runtime(1);
    runtime.block_on(async { assert!(goro::Handle::try_current().is_some()) });
    assert!(goro::Handle::try_current().is_none());
}

#[test]
fn block_on_from_many_threads_at_once() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let handle = runtime.handle().clone();
            let threads: Vec<_> = (0..4u64)
                .map(|t| {
                    let handle = handle.clone();
                    std::thread::spawn(move || {
                        handle.block_on(async move {
                            let mut set = goro::JoinSet::new();
                            for i in 0..100u64 {
                                set.spawn(async move {
                                    goro::yield_now().await;
                                    t * 1000 + i
                                });
                            }
                            set.join_all().await.into_iter().sum::<u64>()
                        })
                    })
                })
                .collect();
            let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
            let expected: u64 = (0..4u64)
                .map(|t| 100 * t * 1000 + (0..100).sum::<u64>())
                .sum();
            assert_eq!(total, expected);
        });
    }
}
