//! `JoinHandle`, `AbortHandle` and `JoinError`: output, abort in every state, `is_finished`,
//! ids, detaching on drop, the join waker protocol poll by poll (`tokio-test`), and every
//! question `JoinError` answers. Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use futures::channel::oneshot;
use futures::task::ArcWake;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::Context;
use std::time::Duration;
use support::*;
use tokio_test::{assert_pending, assert_ready};

const LIMIT: Duration = Duration::from_secs(20);

/// A waker that records that it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, SeqCst);
    }
}

/// Waits until a tokio-test task was woken; the body's thread runs the runtime meanwhile on
/// a current-thread runtime, so the wait is a goro sleep, not a blocked thread.
async fn wait_woken<T>(task: &tokio_test::task::Spawn<T>) {
    wait_until(LIMIT, "the mock task to be woken", || task.is_woken()).await;
}

suite! {
    async fn output_of_several_types() {
        assert_eq!(within(LIMIT, "u32", goro::spawn(async { 7u32 })).await.unwrap(), 7);
        let s = within(LIMIT, "String", goro::spawn(async { "hi".repeat(3) })).await.unwrap();
        assert_eq!(s, "hihihi");
        let v = within(LIMIT, "Vec", goro::spawn(async { vec![1u8; 10_000] })).await.unwrap();
        assert_eq!(v.len(), 10_000);
        within(LIMIT, "unit", goro::spawn(async {})).await.unwrap();
        // A large future (its state lives in the task allocation).
        let big = goro::spawn(async {
            let buf = [3u8; 16 * 1024];
            goro::yield_now().await;
            buf.iter().map(|&b| u64::from(b)).sum::<u64>()
        });
        assert_eq!(within(LIMIT, "a large future", big).await.unwrap(), 3 * 16 * 1024);
    }

    async fn join_handle_poll_by_poll_pending_then_ready() {
        let (tx, rx) = oneshot::channel::<u32>();
        let mut join = tokio_test::task::spawn(goro::spawn(async move { rx.await.unwrap() + 1 }));
        assert_pending!(join.poll());
        assert!(!join.is_woken());
        assert_pending!(join.poll());
        tx.send(41).unwrap();
        wait_woken(&join).await;
        assert_eq!(assert_ready!(join.poll()).unwrap(), 42);
    }

    async fn join_handle_of_a_finished_task_is_ready_at_the_first_poll() {
        let handle = goro::spawn(async { 5 });
        let abort = handle.abort_handle();
        wait_until(LIMIT, "the task to finish", || abort.is_finished()).await;
        let mut join = tokio_test::task::spawn(handle);
        assert_eq!(assert_ready!(join.poll()).unwrap(), 5);
    }

    async fn join_waker_replaced_by_a_later_poll_is_the_one_woken() {
        let (tx, rx) = oneshot::channel::<()>();
        let mut handle = goro::spawn(async move { rx.await.unwrap() });
        let first = Arc::new(Flag::default());
        let second = Arc::new(Flag::default());
        let w1 = futures::task::waker(first.clone());
        let w2 = futures::task::waker(second.clone());
        assert!(Pin::new(&mut handle).poll(&mut Context::from_waker(&w1)).is_pending());
        // The same waker again (will_wake), then another one.
        assert!(Pin::new(&mut handle).poll(&mut Context::from_waker(&w1)).is_pending());
        assert!(Pin::new(&mut handle).poll(&mut Context::from_waker(&w2)).is_pending());
        tx.send(()).unwrap();
        wait_until(LIMIT, "the second waker to be woken", || second.0.load(SeqCst)).await;
        assert!(Pin::new(&mut handle).poll(&mut Context::from_waker(&w2)).is_ready());
    }

    async fn abort_an_idle_task_drops_its_future() {
        let counter = DropCounter::new();
        let (_tx, rx) = oneshot::channel::<()>();
        let guard = counter.guard();
        let handle = goro::spawn(async move {
            let _guard = guard;
            let _ = rx.await;
        });
        goro::time::sleep(Duration::from_millis(5)).await;
        handle.abort();
        handle.abort(); // twice is harmless
        let err = within(LIMIT, "an aborted idle task", handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(counter.dropped(), 1, "the future was dropped before the handle answered");
    }

    async fn abort_a_task_that_was_never_polled() {
        let counter = DropCounter::new();
        let guard = counter.guard();
        let handle = goro::spawn(async move {
            let _guard = guard;
            panic!("a task aborted at once must never be polled");
        });
        handle.abort();
        let err = within(LIMIT, "an aborted new task", handle).await.unwrap_err();
        // It may have been polled before the abort (then it panicked), but most of the time
        // the abort comes first; either way the future is gone.
        assert!(err.is_cancelled() || err.is_panic());
        assert_eq!(counter.dropped(), 1);
    }

    async fn abort_a_running_task_that_yields() {
        let counter = DropCounter::new();
        let guard = counter.guard();
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let handle = goro::spawn(async move {
            let _guard = guard;
            loop {
                p.fetch_add(1, SeqCst);
                goro::yield_now().await;
            }
        });
        wait_until(LIMIT, "the task to run", || polls.load(SeqCst) > 10).await;
        handle.abort();
        let err = within(LIMIT, "an aborted busy task", handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(counter.dropped(), 1);
        let after = polls.load(SeqCst);
        goro::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(polls.load(SeqCst), after, "an aborted task was polled again");
    }

    async fn a_task_aborts_itself_while_running() {
        let (tx, rx) = oneshot::channel::<goro::AbortHandle>();
        let reached = Arc::new(AtomicBool::new(false));
        let r = reached.clone();
        let handle = goro::spawn(async move {
            let me = rx.await.unwrap();
            me.abort();
            assert!(!me.is_finished());
            goro::yield_now().await;
            r.store(true, SeqCst);
        });
        tx.send(handle.abort_handle()).unwrap();
        let err = within(LIMIT, "a self-aborted task", handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!reached.load(SeqCst), "the task ran past its own abort's yield point");
    }

    async fn abort_after_completion_keeps_the_output() {
        let handle = goro::spawn(async { String::from("kept") });
        wait_until(LIMIT, "the task to finish", || handle.is_finished()).await;
        handle.abort();
        handle.abort_handle().abort();
        assert_eq!(within(LIMIT, "a finished task", handle).await.unwrap(), "kept");
    }

    async fn is_finished_follows_the_task() {
        let (tx, rx) = oneshot::channel::<()>();
        let handle = goro::spawn(async move { rx.await.unwrap() });
        let abort = handle.abort_handle();
        goro::time::sleep(Duration::from_millis(5)).await;
        assert!(!handle.is_finished());
        assert!(!abort.is_finished());
        tx.send(()).unwrap();
        wait_until(LIMIT, "is_finished", || handle.is_finished()).await;
        assert!(abort.is_finished());
        within(LIMIT, "the task", handle).await.unwrap();
        assert!(abort.is_finished());
        // Cancelled and panicked tasks count as finished too.
        let pending = goro::spawn(std::future::pending::<()>());
        let abort = pending.abort_handle();
        pending.abort();
        wait_until(LIMIT, "an aborted task to finish", || abort.is_finished()).await;
        assert!(pending.await.unwrap_err().is_cancelled());
        let panicked = goro::spawn(async { panic!("finished by a panic") });
        wait_until(LIMIT, "a panicked task to finish", || panicked.is_finished()).await;
        assert!(panicked.await.unwrap_err().is_panic());
    }

    async fn abort_handle_ids_clones_and_drop() {
        let counter = DropCounter::new();
        let handle = goro::spawn(pending_with::<()>(counter.guard()));
        let abort = handle.abort_handle();
        let clone = abort.clone();
        assert_eq!(abort.id(), handle.id());
        assert_eq!(clone.id(), handle.id());
        assert!(format!("{abort:?}").contains("AbortHandle"));
        drop(abort); // dropping an AbortHandle does nothing to the task
        goro::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(counter.dropped(), 0);
        assert!(!handle.is_finished());
        clone.abort();
        assert!(within(LIMIT, "aborted by a clone", handle).await.unwrap_err().is_cancelled());
        assert!(clone.is_finished());
    }

    async fn abort_handle_outlives_the_join_handle() {
        let counter = DropCounter::new();
        let handle = goro::spawn(pending_with::<()>(counter.guard()));
        let abort = handle.abort_handle();
        drop(handle);
        goro::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(counter.dropped(), 0, "dropping the JoinHandle must not cancel the task");
        abort.abort();
        wait_until(LIMIT, "the detached task's future to drop", || counter.dropped() == 1).await;
        assert!(abort.is_finished());
    }

    async fn dropping_the_join_handle_detaches_the_task() {
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<&'static str>();
        let handle = goro::spawn(async move {
            go_rx.await.unwrap();
            goro::yield_now().await;
            done_tx.send("still ran").unwrap();
        });
        drop(handle);
        go_tx.send(()).unwrap();
        assert_eq!(within(LIMIT, "the detached task", done_rx).await.unwrap(), "still ran");
    }

    async fn join_handle_awaited_in_another_task_and_on_a_foreign_thread() {
        let (tx, rx) = oneshot::channel::<u8>();
        let producer = goro::spawn(async move { rx.await.unwrap() * 2 });
        let waiter = goro::spawn(async move { producer.await.unwrap() + 1 });
        let foreign = std::thread::spawn(move || futures::executor::block_on(waiter));
        tx.send(20).unwrap();
        let joined = goro::spawn_blocking(move || foreign.join().unwrap());
        assert_eq!(within(LIMIT, "the chain", joined).await.unwrap().unwrap(), 41);
    }

    async fn join_error_of_a_cancelled_task() {
        let handle = goro::spawn(std::future::pending::<()>());
        let id = handle.id();
        handle.abort();
        let err = within(LIMIT, "cancelled", handle).await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
        assert_eq!(err.id(), id);
        let shown = err.to_string();
        assert!(shown.contains("cancelled") && shown.contains(&id.to_string()), "{shown}");
        assert!(format!("{err:?}").contains("Cancelled"));
        assert!(err.source().is_none());
        let err = err.try_into_panic().unwrap_err();
        assert!(err.is_cancelled());
        let io: std::io::Error = err.into();
        assert!(io.to_string().contains("cancelled"));

        let handle = goro::spawn(std::future::pending::<()>());
        handle.abort();
        let err = within(LIMIT, "cancelled", handle).await.unwrap_err();
        let message = expect_panic(move || err.into_panic());
        assert!(message.contains("not a panic"), "{message}");
    }

    async fn join_error_of_a_panicked_task() {
        let handle = goro::spawn(async {
            goro::yield_now().await;
            panic!("boom {}", 42);
        });
        let id = handle.id();
        let err = within(LIMIT, "panicked", handle).await.unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert_eq!(err.id(), id);
        let shown = err.to_string();
        assert!(shown.contains("panicked") && shown.contains("boom 42"), "{shown}");
        assert!(format!("{err:?}").contains("boom 42"));
        let boxed: Box<dyn Error + Send> = Box::new(err);
        assert!(boxed.to_string().contains("boom 42"));

        let err = goro::spawn(async { panic!("static str") }).await.unwrap_err();
        let payload = err.try_into_panic().unwrap();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"static str"));

        let err = goro::spawn(async { std::panic::panic_any(17u32) }).await.unwrap_err();
        assert!(err.to_string().contains("panicked"));
        assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&17));
    }

    async fn join_handle_debug_and_id_display() {
        let handle = goro::spawn(async {});
        let id = handle.id();
        assert!(format!("{handle:?}").contains(&format!("{id:?}")));
        assert!(!id.to_string().is_empty());
        within(LIMIT, "an empty task", handle).await.unwrap();
    }
}

#[test]
fn ids_are_unique_across_runtimes() {
    let a = runtime(1);
    let b = runtime(4);
    let mut ids = std::collections::HashSet::new();
    for _ in 0..100 {
        let x = a.spawn(async {});
        let y = b.spawn(async {});
        assert!(ids.insert(x.id()));
        assert!(ids.insert(y.id()));
        a.block_on(x).unwrap();
        b.block_on(y).unwrap();
    }
}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<goro::JoinHandle<u8>>();
    assert_send_sync::<goro::AbortHandle>();
    assert_send_sync::<goro::task::Id>();
    fn assert_send<T: Send>() {}
    assert_send::<goro::JoinError>();
}
