//! `goro::task::block_in_place`: on a worker, the worker's other tasks run on while the
//! closure blocks (checked poll by poll with tokio-test, and as progress measured during a
//! 300 ms block on a one-worker runtime with the monitor off); the task goes on after it; the
//! thread it leaves retires; elsewhere the closure just runs. Inside the
//! closure `block_on` works, the budget does not bind, and the task keeps its id.

mod support;

use futures::channel::oneshot;
use goro::task;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use support::*;
use tokio_test::{assert_pending, assert_ready};

const LIMIT: Duration = Duration::from_secs(20);

/// A one-worker runtime without the monitor: only `block_in_place` can hand its worker on.
fn one_worker_no_monitor() -> goro::Runtime {
    goro::Builder::new()
        .worker_threads(1)
        .blocking_threshold(None)
        .build()
        .unwrap()
}

#[test]
fn the_other_tasks_run_while_the_closure_blocks_poll_by_poll() {
    bounded(LIMIT, || {
        let runtime = one_worker_no_monitor();
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocker = runtime.spawn(async move {
            task::block_in_place(move || {
                entered_tx.send(()).unwrap();
                release_rx.recv().unwrap();
            });
            "the poll went on after the closure"
        });
        entered_rx.recv_timeout(LIMIT).unwrap();
        // The only worker's thread is inside the closure. A task spawned now runs anyway:
        // its JoinHandle, polled here, is pending, then woken, then ready.
        let (go_tx, go_rx) = oneshot::channel::<u32>();
        let other = runtime.spawn(async move { go_rx.await.unwrap() + 1 });
        let mut other = tokio_test::task::spawn(other);
        assert_pending!(other.poll());
        go_tx.send(41).unwrap();
        block_until(LIMIT, "the other task to finish", || other.is_woken());
        assert_eq!(assert_ready!(other.poll()).unwrap(), 42);
        let mut blocker = tokio_test::task::spawn(blocker);
        assert_pending!(blocker.poll(), "the blocker is still in its closure");
        release_tx.send(()).unwrap();
        block_until(LIMIT, "the blocker to finish", || blocker.is_woken());
        let done = assert_ready!(blocker.poll()).unwrap();
        assert_eq!(done, "the poll went on after the closure");
    });
}

#[test]
fn a_ticker_keeps_ticking_through_a_300_ms_block_on_one_worker() {
    bounded(LIMIT, || {
        let runtime = one_worker_no_monitor();
        let ticks = Arc::new(AtomicUsize::new(0));
        let counter = ticks.clone();
        let ticker = runtime.spawn(async move {
            loop {
                goro::time::sleep(Duration::from_millis(1)).await;
                counter.fetch_add(1, SeqCst);
            }
        });
        let during = runtime.block_on(async move {
            goro::spawn(async move {
                task::block_in_place(|| {
                    let before = ticks.load(SeqCst);
                    std::thread::sleep(Duration::from_millis(300));
                    ticks.load(SeqCst) - before
                })
            })
            .await
            .unwrap()
        });
        ticker.abort();
        // 300 ticks of 1 ms at best; a loaded machine gets fewer, a stalled worker none.
        assert!(during >= 10, "only {during} ticks during the block");
    });
}

/// (That they are joined, not only ended, is checked beside the hand-off, in
/// `scheduler/monitor/on_purpose.rs`: an ended thread leaves `/proc` before it is joined.)
#[test]
fn the_threads_left_behind_end() {
    bounded(LIMIT, || {
        let name = unique_thread_name('b');
        let runtime = goro::Builder::new()
            .worker_threads(2)
            .thread_name(name.clone())
            .blocking_threshold(None)
            .build()
            .unwrap();
        runtime.block_on(async {
            for _ in 0..50 {
                goro::spawn(async { task::block_in_place(|| ()) })
                    .await
                    .unwrap();
            }
        });
        let start = Instant::now();
        // The two workers, once the retired threads have ended.
        while threads_named(&name).len() > 2 {
            assert!(start.elapsed() < LIMIT, "left: {:?}", threads_named(&name));
            runtime
                .block_on(runtime.spawn(async { task::block_in_place(|| ()) }))
                .unwrap();
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(runtime);
        assert_eq!(threads_left(&name), Vec::<String>::new());
    });
}

#[test]
fn the_monitor_neither_reports_nor_counts_a_block_in_place() {
    bounded(LIMIT, || {
        let reports = Arc::new(AtomicUsize::new(0));
        let counter = reports.clone();
        let runtime = goro::Builder::new()
            .worker_threads(1)
            .blocking_threshold(Some(Duration::from_millis(10)))
            .on_blocked_worker(move |_| {
                counter.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        runtime.block_on(async {
            goro::spawn(async {
                task::block_in_place(|| std::thread::sleep(Duration::from_millis(200)));
            })
            .await
            .unwrap();
        });
        assert_eq!(
            runtime.metrics().blocked_worker_events,
            0,
            "the metric is the monitor's"
        );
        drop(runtime);
        assert_eq!(reports.load(SeqCst), 0);
    });
}

suite! {
    multi_thread_only {
        async fn block_on_works_inside_the_closure_and_the_task_keeps_its_id() {
            let task = goro::spawn(async {
                let id = task::id();
                let (inner, seen) = task::block_in_place(|| {
                    let handle = goro::Handle::current();
                    let inner = handle.block_on(async { goro::spawn(async { task::id() }).await });
                    (inner.unwrap(), task::id())
                });
                assert_ne!(inner, id);
                assert_eq!(seen, id, "the closure runs inside the task");
                assert_eq!(task::id(), id);
                goro::yield_now().await;
                "done"
            });
            assert_eq!(within(LIMIT, "the task", task).await.unwrap(), "done");
        }

        async fn a_nested_call_just_runs() {
            let out = goro::spawn(async {
                task::block_in_place(|| task::block_in_place(|| 7) + 1)
            });
            assert_eq!(within(LIMIT, "the task", out).await.unwrap(), 8);
        }

        async fn the_closure_has_no_budget() {
            // Spend the task's budget on ready JoinHandles, then drive more of them with
            // another executor inside the closure: with the budget still spent, each would answer
            // `Pending` for ever.
            let handles: Vec<_> = (0..400).map(|i| goro::spawn(async move { i })).collect();
            let task = goro::spawn(async move {
                let mut handles = handles.into_iter();
                let mut sum = 0;
                for handle in handles.by_ref().take(200) {
                    sum += handle.await.unwrap();
                }
                let rest: Vec<_> = handles.collect();
                sum + task::block_in_place(move || {
                    futures::executor::block_on(async {
                        let mut sum = 0;
                        for handle in rest {
                            sum += handle.await.unwrap();
                        }
                        sum
                    })
                })
            });
            assert_eq!(within(LIMIT, "the task", task).await.unwrap(), (0..400).sum::<i32>());
        }

        async fn outside_a_worker_the_closure_just_runs() {
            // The block_on thread: and `block_on` works inside, as on a worker.
            let inner = task::block_in_place(|| {
                goro::Handle::current().block_on(async { goro::spawn(async { 5 }).await.unwrap() })
            });
            assert_eq!(inner, 5);
            let blocking = goro::spawn_blocking(|| task::block_in_place(|| 6));
            assert_eq!(within(LIMIT, "the blocking task", blocking).await.unwrap(), 6);
        }
    }
}

#[test]
fn outside_any_runtime_the_closure_just_runs() {
    assert_eq!(task::block_in_place(|| 3), 3);
}

#[test]
fn the_runtime_drop_waits_for_a_closure_that_is_still_running() {
    bounded(LIMIT, || {
        let runtime = one_worker_no_monitor();
        let (entered_tx, entered_rx) = mpsc::channel();
        let finished = DropCounter::new();
        let guard = finished.guard();
        drop(runtime.spawn(async move {
            task::block_in_place(move || {
                entered_tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(200));
                drop(guard);
            });
        }));
        entered_rx.recv_timeout(LIMIT).unwrap();
        drop(runtime);
        assert_eq!(
            finished.alive(),
            0,
            "the drop returned before the closure did"
        );
    });
}
