//! `JoinSet`: completion order, `try_join_next`, `join_all` (and its re-raised panic),
//! `abort_all`, `detach_all`, `shutdown`, `len`/`is_empty`, drop aborting the rest,
//! `Extend`/`FromIterator`, `spawn_on`, `spawn_blocking`, and `join_next` poll by poll.
//! Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use futures::channel::oneshot;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;
use support::*;
use tokio_test::{assert_pending, assert_ready};

const LIMIT: Duration = Duration::from_secs(20);

/// Spawns `n` tasks into `set`, task `i` answering `i` once its sender fires.
fn gated(set: &mut goro::JoinSet<usize>, n: usize) -> Vec<Option<oneshot::Sender<()>>> {
    (0..n)
        .map(|i| {
            let (tx, rx) = oneshot::channel::<()>();
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
            Some(tx)
        })
        .collect()
}

suite! {
    async fn join_next_answers_in_the_order_tasks_finish() {
        let mut set = goro::JoinSet::new();
        let mut gates = gated(&mut set, 6);
        for i in [3, 0, 5, 1, 4, 2] {
            gates[i].take().unwrap().send(()).unwrap();
            let next = within(LIMIT, "join_next", set.join_next()).await;
            assert_eq!(next.unwrap().unwrap(), i);
        }
        assert!(set.join_next().await.is_none());
    }

    async fn try_join_next_never_waits() {
        let mut set = goro::JoinSet::new();
        assert!(set.try_join_next().is_none(), "an empty set has nothing");
        let mut gates = gated(&mut set, 3);
        goro::time::sleep(Duration::from_millis(5)).await;
        assert!(set.try_join_next().is_none(), "nothing finished yet");
        assert_eq!(set.len(), 3);
        gates[1].take().unwrap().send(()).unwrap();
        let mut got = None;
        wait_until(LIMIT, "try_join_next to see the finished task", || {
            got = set.try_join_next();
            got.is_some()
        })
        .await;
        assert_eq!(got.unwrap().unwrap(), 1);
        assert_eq!(set.len(), 2);
        assert!(set.try_join_next().is_none());
        for gate in gates.iter_mut().filter_map(Option::take) {
            gate.send(()).unwrap();
        }
        let mut rest = Vec::new();
        while let Some(result) = within(LIMIT, "the rest", set.join_next()).await {
            rest.push(result.unwrap());
        }
        rest.sort_unstable();
        assert_eq!(rest, [0, 2]);
    }

    async fn join_next_poll_by_poll() {
        let mut set = goro::JoinSet::new();
        let (tx, rx) = oneshot::channel::<u32>();
        set.spawn(async move { rx.await.unwrap() });
        {
            let mut next = tokio_test::task::spawn(set.join_next());
            assert_pending!(next.poll());
            tx.send(9).unwrap();
            // `join_next` may wake its caller spuriously (FuturesUnordered yields after
            // polling every handle once), so poll again after every wake until ready; a
            // lost wake leaves `wait_until` failing.
            let result = loop {
                wait_until(LIMIT, "join_next's waker to be woken", || next.is_woken()).await;
                if let Poll::Ready(result) = next.poll() {
                    break result;
                }
            };
            assert_eq!(result.unwrap().unwrap(), 9);
        }
        let mut empty = tokio_test::task::spawn(set.join_next());
        assert!(assert_ready!(empty.poll()).is_none());
    }

    async fn poll_join_next_of_an_empty_set_is_ready_none() {
        let mut set: goro::JoinSet<()> = goro::JoinSet::new();
        let polled = std::future::poll_fn(|cx| Poll::Ready(set.poll_join_next(cx))).await;
        assert!(matches!(polled, Poll::Ready(None)));
    }

    async fn join_all_collects_every_output() {
        let mut set = goro::JoinSet::new();
        for i in 0..500u32 {
            set.spawn(async move {
                if i % 3 == 0 {
                    goro::yield_now().await;
                }
                i
            });
        }
        let mut all = within(LIMIT, "join_all", set.join_all()).await;
        all.sort_unstable();
        assert_eq!(all, (0..500).collect::<Vec<_>>());
    }

    async fn len_and_is_empty() {
        let mut set = goro::JoinSet::new();
        assert!(set.is_empty());
        assert_eq!(set.len(), 0);
        let gates = gated(&mut set, 4);
        assert_eq!(set.len(), 4);
        assert!(!set.is_empty());
        drop(gates); // the tasks' `rx.await.unwrap()` panic: still results
        for left in (0..4).rev() {
            let result = within(LIMIT, "join_next", set.join_next()).await.unwrap();
            assert!(result.unwrap_err().is_panic());
            assert_eq!(set.len(), left);
        }
        assert!(set.is_empty());
        assert!(format!("{set:?}").contains("JoinSet"));
    }

    async fn abort_all_cancels_the_running_and_keeps_the_finished() {
        let counter = DropCounter::new();
        let mut set = goro::JoinSet::new();
        let done = set.spawn(async { 1 });
        wait_until(LIMIT, "the finished task", || done.is_finished()).await;
        for _ in 0..10 {
            set.spawn(pending_with(counter.guard()));
        }
        set.abort_all();
        let (mut ok, mut cancelled) = (0, 0);
        while let Some(result) = within(LIMIT, "join_next after abort_all", set.join_next()).await {
            match result {
                Ok(1) => ok += 1,
                Ok(other) => panic!("unexpected output {other}"),
                Err(err) => {
                    assert!(err.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((ok, cancelled), (1, 10));
        assert_eq!(counter.dropped(), 10);
    }

    async fn spawn_returns_an_abort_handle_for_that_task_only() {
        let mut set = goro::JoinSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        let keep = set.spawn(async move {
            rx.await.unwrap();
            "kept"
        });
        let stop = set.spawn(std::future::pending::<&'static str>());
        assert_ne!(keep.id(), stop.id());
        stop.abort();
        let first = within(LIMIT, "the aborted task", set.join_next()).await.unwrap();
        assert_eq!(first.unwrap_err().id(), stop.id());
        tx.send(()).unwrap();
        let second = within(LIMIT, "the kept task", set.join_next()).await.unwrap();
        assert_eq!(second.unwrap(), "kept");
    }

    async fn detach_all_lets_the_tasks_run_on() {
        let ran = Arc::new(AtomicUsize::new(0));
        let (go_tx, go_rx) = futures::channel::mpsc::unbounded::<()>();
        let go_rx = Arc::new(futures::lock::Mutex::new(go_rx));
        let mut set = goro::JoinSet::new();
        for _ in 0..5 {
            let (ran, go_rx) = (ran.clone(), go_rx.clone());
            set.spawn(async move {
                use futures::StreamExt;
                go_rx.lock().await.next().await;
                ran.fetch_add(1, SeqCst);
            });
        }
        set.detach_all();
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
        drop(set);
        for _ in 0..5 {
            go_tx.unbounded_send(()).unwrap();
        }
        wait_until(LIMIT, "the detached tasks to run", || ran.load(SeqCst) == 5).await;
    }

    async fn shutdown_aborts_and_waits() {
        let counter = DropCounter::new();
        let mut set = goro::JoinSet::new();
        for _ in 0..20 {
            set.spawn(pending_with::<()>(counter.guard()));
        }
        for _ in 0..5 {
            set.spawn(async {
                loop {
                    goro::yield_now().await;
                }
            });
        }
        within(LIMIT, "JoinSet::shutdown", set.shutdown()).await;
        assert!(set.is_empty());
        assert_eq!(counter.dropped(), 20, "shutdown returned before every future was dropped");
        // The set is usable again.
        set.spawn(async {});
        within(LIMIT, "a new task after shutdown", set.join_next()).await.unwrap().unwrap();
    }

    async fn dropping_the_set_aborts_what_is_left() {
        let counter = DropCounter::new();
        let mut set = goro::JoinSet::new();
        for _ in 0..50 {
            set.spawn(pending_with::<()>(counter.guard()));
        }
        for _ in 0..5 {
            let guard = counter.guard();
            set.spawn(async move {
                let _guard = guard;
                loop {
                    goro::yield_now().await;
                }
            });
        }
        goro::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(counter.dropped(), 0);
        drop(set);
        wait_until(LIMIT, "every task of the dropped set to be dropped", || counter.dropped() == 55).await;
    }

    async fn extend_and_from_iterator() {
        let set: goro::JoinSet<u32> = (0..10u32).map(|i| async move { i * i }).collect();
        assert_eq!(set.len(), 10);
        let mut squares = within(LIMIT, "collected set", set.join_all()).await;
        squares.sort_unstable();
        assert_eq!(squares, (0..10).map(|i| i * i).collect::<Vec<_>>());

        let mut set = goro::JoinSet::new();
        set.spawn(async { 100u32 });
        set.extend((0..3u32).map(|i| async move { i }));
        assert_eq!(set.len(), 4);
        let mut all = within(LIMIT, "extended set", set.join_all()).await;
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 100]);
    }

    async fn spawn_on_another_runtime() {
        let other = goro::spawn_blocking(|| runtime(2));
        let other = within(LIMIT, "a second runtime", other).await.unwrap();
        let mut set = goro::JoinSet::new();
        for i in 0..10u32 {
            set.spawn_on(
                async move {
                    // Runs on the other runtime's workers.
                    let name = std::thread::current().name().unwrap_or("").to_string();
                    (i, name)
                },
                other.handle(),
            );
        }
        let mut got = within(LIMIT, "tasks on the other runtime", set.join_all()).await;
        got.sort();
        assert_eq!(got.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
        assert!(got.iter().all(|(_, name)| name.starts_with("goro-worker-")));
        within(LIMIT, "drop the second runtime", goro::spawn_blocking(move || drop(other)))
            .await
            .unwrap();
    }

    async fn spawn_blocking_into_the_set() {
        let mut set = goro::JoinSet::new();
        for i in 0..8u64 {
            set.spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(2));
                assert!(std::thread::current().name().unwrap().ends_with("-blocking"));
                i
            });
        }
        set.spawn(async { 100 });
        let mut all = within(LIMIT, "blocking tasks in a set", set.join_all()).await;
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3, 4, 5, 6, 7, 100]);
    }

    async fn many_tasks_in_one_set() {
        let mut set = goro::JoinSet::new();
        for i in 0..20_000u64 {
            set.spawn(async move { i });
        }
        let mut sum = 0;
        let mut count = 0;
        while let Some(result) = within(LIMIT, "join_next", set.join_next()).await {
            sum += result.unwrap();
            count += 1;
        }
        assert_eq!(count, 20_000);
        assert_eq!(sum, (0..20_000u64).sum::<u64>());
    }
}

#[test]
fn join_all_re_raises_a_task_panic_and_aborts_the_rest() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let c = counter.clone();
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                runtime.block_on(async move {
                    let mut set = goro::JoinSet::new();
                    for _ in 0..10 {
                        set.spawn(pending_with::<u32>(c.guard()));
                    }
                    set.spawn(async {
                        goro::yield_now().await;
                        panic!("a task failed")
                    });
                    set.join_all().await
                })
            }));
            let payload = caught.expect_err("join_all must re-raise the task's panic");
            assert_eq!(panic_message(&*payload), "a task failed");
            // The set was dropped while unwinding: the other tasks are aborted.
            block_until(LIMIT, "the other tasks to be aborted", || {
                counter.dropped() == 10
            });
            // The runtime is still fine.
            assert_eq!(runtime.block_on(runtime.spawn(async { 3 })).unwrap(), 3);
        });
    }
}

#[test]
fn join_all_panics_on_a_cancelled_task() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                let mut set = goro::JoinSet::new();
                let abort = set.spawn(std::future::pending::<()>());
                abort.abort();
                set.join_all().await
            })
        }));
        let message = panic_message(&*caught.expect_err("a cancelled task has no output"));
        assert!(message.contains("cancelled"), "{message}");
    });
}

#[test]
fn spawn_on_from_a_plain_thread() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let mut set = goro::JoinSet::new();
        for i in 0..10u32 {
            set.spawn_on(async move { i }, runtime.handle());
        }
        let mut all = runtime.block_on(set.join_all());
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    });
}

#[test]
fn join_set_is_send() {
    fn check<T: Send>() {}
    check::<goro::JoinSet<u32>>();
}

#[test]
fn a_set_dropped_on_a_plain_thread_aborts_its_tasks() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let counter = DropCounter::new();
        let mut set = goro::JoinSet::new();
        for _ in 0..20 {
            set.spawn_on(pending_with::<()>(counter.guard()), runtime.handle());
        }
        std::thread::spawn(move || drop(set)).join().unwrap();
        block_until(
            LIMIT,
            "the tasks of a set dropped outside the runtime to be aborted",
            || counter.dropped() == 20,
        );
    });
}
