//! `LocalSet` and `spawn_local` on a runtime: `!Send` tasks run on the set's thread only,
//! and only while the set runs (checked poll by poll with tokio-test); wakes from workers
//! (timers, channels) reach it; their `JoinHandle`s work from anywhere; dropping the set
//! cancels its tasks there; `block_in_place` inside it panics, as tokio's does. The cases
//! follow tokio's `tests/task_local_set.rs`.

mod support;

use futures::channel::oneshot;
use goro::task::{self, LocalSet};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread::{self, ThreadId};
use std::time::Duration;
use support::*;
use tokio_test::{assert_pending, assert_ready};

const LIMIT: Duration = Duration::from_secs(20);

suite! {
    async fn local_tasks_run_on_the_sets_thread_and_blocking_ones_do_not() {
        let here = thread::current().id();
        let local = LocalSet::new();
        let seen = local
            .run_until(async move {
                let nested = task::spawn_local(async move {
                    let inner = task::spawn_local(async { thread::current().id() });
                    let blocking = goro::spawn_blocking(|| thread::current().id());
                    (inner.await.unwrap(), blocking.await.unwrap(), thread::current().id())
                });
                within(LIMIT, "the local tasks", nested).await.unwrap()
            })
            .await;
        assert_eq!(seen.0, here);
        assert_ne!(seen.1, here);
        assert_eq!(seen.2, here);
    }

    async fn a_local_task_waits_on_a_timer_and_on_a_channel_fed_by_a_worker() {
        let mut local = LocalSet::new();
        let (tx, rx) = oneshot::channel::<u32>();
        let sleeper = local.spawn_local(async {
            let not_send = Rc::new(());
            goro::time::sleep(Duration::from_millis(5)).await;
            Rc::strong_count(&not_send)
        });
        let receiver = local.spawn_local(async move { rx.await.unwrap() });
        drop(goro::spawn(async move {
            goro::time::sleep(Duration::from_millis(2)).await;
            tx.send(9).unwrap();
        }));
        within(LIMIT, "the set's tasks", &mut local).await;
        assert_eq!(sleeper.await.unwrap(), 1);
        assert_eq!(receiver.await.unwrap(), 9);
    }

    async fn a_local_tasks_join_handle_is_awaited_by_a_task_on_a_worker() {
        let local = LocalSet::new();
        let (tx, rx) = oneshot::channel::<()>();
        let here = thread::current().id();
        let out = local
            .run_until(async move {
                let local_task = task::spawn_local(async move {
                    rx.await.unwrap();
                    (thread::current().id(), "hello")
                });
                let elsewhere = goro::spawn(async move {
                    tx.send(()).unwrap();
                    local_task.await.unwrap()
                });
                within(LIMIT, "the worker's task", elsewhere).await.unwrap()
            })
            .await;
        assert_eq!(out, (here, "hello"));
    }

    async fn many_local_tasks_that_spawn_and_join_all_finish() {
        let local = LocalSet::new();
        let handles: Vec<_> = (0..128)
            .map(|_| local.spawn_local(async { task::spawn_local(async {}).await.unwrap() }))
            .collect();
        let joined = local.run_until(futures::future::join_all(handles));
        for result in within(LIMIT, "the local tasks", joined).await {
            result.unwrap();
        }
    }

    async fn a_spawn_wakes_a_set_that_waits_in_a_select() {
        use futures::FutureExt;
        let local = LocalSet::new();
        let out = futures::select! {
            _ = local.run_until(std::future::pending::<()>()).fuse() => unreachable!(),
            out = async { local.spawn_local(async { 3 }).await.unwrap() }.fuse() => out,
        };
        assert_eq!(out, 3);
    }

    async fn local_tasks_have_ids_and_the_block_on_body_none() {
        let local = LocalSet::new();
        let (id, handle_id) = local
            .run_until(async {
                let handle = task::spawn_local(async { task::id() });
                let handle_id = handle.id();
                (handle.await.unwrap(), handle_id)
            })
            .await;
        assert_eq!(id, handle_id);
        assert_eq!(task::try_id(), None);
    }
}

#[test]
fn local_tasks_run_only_while_the_set_runs_poll_by_poll() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let local = LocalSet::new();
        let ran = Rc::new(Cell::new(0));
        let counter = ran.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = local.spawn_local(async move {
            counter.set(1);
            rx.await.unwrap();
            counter.set(2);
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(ran.get(), 0, "nothing runs the set yet");
        let _guard = runtime.enter();
        let mut run = tokio_test::task::spawn(local.run_until(task));
        assert_pending!(run.poll());
        assert_eq!(ran.get(), 1, "the first poll of the set ran the task");
        // Woken from a worker: the set's waker, which is the mock task's.
        drop(goro::spawn(async move { tx.send(()).unwrap() }));
        block_until(LIMIT, "the set's waker to be woken", || run.is_woken());
        assert_eq!(ran.get(), 1, "a wake only schedules");
        // The poll runs the task to its end (after `run_until`'s future, the handle, was
        // polled): the handle's wake asks for one more.
        assert_pending!(run.poll());
        assert_eq!(ran.get(), 2);
        assert!(run.is_woken());
        assert_ready!(run.poll()).unwrap();
    });
}

#[test]
fn dropping_the_set_drops_its_tasks_on_its_thread() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let rc = Rc::new(());
        let local = LocalSet::new();
        let (started_tx, started_rx) = oneshot::channel();
        let held = rc.clone();
        let task = local.spawn_local(async move {
            let _held = held;
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        });
        local.block_on(&runtime, async { started_rx.await.unwrap() });
        assert_eq!(Rc::strong_count(&rc), 2);
        drop(local);
        assert_eq!(Rc::strong_count(&rc), 1);
        assert!(runtime.block_on(task).unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_a_set_whose_task_a_worker_keeps_waking_does_not_hang() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let local = LocalSet::new();
        let (tx, rx) = futures::channel::mpsc::unbounded::<()>();
        drop(local.spawn_local(async move {
            use futures::StreamExt;
            let mut rx = rx;
            while rx.next().await.is_some() {}
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let feeding = stop.clone();
        let feeder = runtime.spawn(async move {
            while !feeding.load(SeqCst) {
                let _ = tx.unbounded_send(());
                goro::yield_now().await;
            }
        });
        local.block_on(&runtime, async {
            goro::time::sleep(Duration::from_millis(5)).await;
        });
        drop(local);
        stop.store(true, SeqCst);
        runtime.block_on(feeder).unwrap();
    });
}

#[test]
fn a_set_in_a_thread_local_runs_on_its_thread() {
    thread_local! {
        static LOCAL: LocalSet = LocalSet::new();
    }
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let handle = runtime.handle().clone();
        thread::spawn(move || {
            LOCAL.with(|local| {
                handle.block_on(local.run_until(async {
                    task::spawn_local(async { Rc::new(1) }).await.unwrap();
                }))
            })
        })
        .join()
        .unwrap();
    });
}

/// `block_in_place` in each place a set runs code, on the `block_on` thread of a runtime:
/// the future of `run_until`, a local task, a local task's destructor as the set drops.
#[test]
fn block_in_place_inside_a_set_panics() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let local = LocalSet::new();
        let message = expect_panic(|| {
            local.block_on(&runtime, async { task::block_in_place(|| ()) });
        });
        assert!(message.contains("inside a LocalSet"), "{message}");

        let task = local.spawn_local(async { task::block_in_place(|| ()) });
        let failed = local.block_on(&runtime, task).unwrap_err();
        let message = panic_message(&*failed.into_panic());
        assert!(message.contains("inside a LocalSet"), "{message}");

        struct BlockInPlaceOnDrop(mpsc::Sender<String>);
        impl Drop for BlockInPlaceOnDrop {
            fn drop(&mut self) {
                let caught = std::panic::catch_unwind(|| task::block_in_place(|| ()));
                let message = panic_message(&*caught.unwrap_err());
                self.0.send(message).unwrap();
            }
        }
        let (tx, rx) = mpsc::channel();
        let guard = BlockInPlaceOnDrop(tx);
        drop(local.spawn_local(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        local.block_on(&runtime, goro::yield_now());
        drop(local);
        assert!(rx.recv().unwrap().contains("inside a LocalSet"));
        // Outside the set, on the same thread, it is allowed again.
        assert_eq!(task::block_in_place(|| 1), 1);
    });
}

#[test]
fn every_task_polled_by_the_set_ran_on_one_thread() {
    bounded(LIMIT, || {
        let runtime = runtime(4);
        let local = LocalSet::new();
        let owner = thread::current().id();
        let elsewhere = Arc::new(AtomicUsize::new(0));
        let record = move |elsewhere: &Arc<AtomicUsize>, on: ThreadId| {
            if on != owner {
                elsewhere.fetch_add(1, SeqCst);
            }
        };
        for _ in 0..200 {
            let elsewhere = elsewhere.clone();
            drop(local.spawn_local(async move {
                for _ in 0..5 {
                    record(&elsewhere, thread::current().id());
                    // Woken by a worker's timer.
                    goro::time::sleep(Duration::from_micros(100)).await;
                }
            }));
        }
        runtime.block_on(local);
        assert_eq!(elsewhere.load(SeqCst), 0);
    });
}
