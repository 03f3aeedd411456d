//! `goro::task`: the functions at tokio's paths, and the current task's id (`id`, `try_id`)
//! wherever the task's own code runs: its polls, its blocking closure, the destructors of its
//! future (completed, aborted, shut down) and of its output (dropped by the task or by its
//! `JoinHandle`). The cases are tokio's (`tests/task_id.rs`). Each `suite!` test runs on 1
//! and on 4 workers.

mod support;

use futures::channel::oneshot;
use goro::task::{self, Id};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// Sends `task::try_id()` when dropped.
struct SendsIdOnDrop(Option<oneshot::Sender<Option<Id>>>);

impl Drop for SendsIdOnDrop {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(task::try_id());
        }
    }
}

/// A value that reports the current task when dropped, and where the report goes.
fn reporter() -> (SendsIdOnDrop, oneshot::Receiver<Option<Id>>) {
    let (tx, rx) = oneshot::channel();
    (SendsIdOnDrop(Some(tx)), rx)
}

/// A future that is ready at once (or never) and holds a reporter.
struct Reporting {
    ready: bool,
    _on_drop: SendsIdOnDrop,
}

impl Future for Reporting {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn reporting(ready: bool) -> (Reporting, oneshot::Receiver<Option<Id>>) {
    let (on_drop, rx) = reporter();
    (
        Reporting {
            ready,
            _on_drop: on_drop,
        },
        rx,
    )
}

suite! {
    async fn the_paths_of_tokio_spawn_block_and_yield() {
        let spawned = task::spawn(async {
            task::yield_now().await;
            1
        });
        let blocking = task::spawn_blocking(|| 2);
        let sum = spawned.await.unwrap() + blocking.await.unwrap();
        assert_eq!(sum, 3);
    }

    async fn a_task_sees_its_own_id_in_every_poll() {
        let (tx, rx) = oneshot::channel::<Id>();
        let handle = goro::spawn(async move {
            let first = task::id();
            let expected = rx.await.unwrap();
            goro::yield_now().await;
            assert_eq!(first, expected);
            assert_eq!(task::id(), expected);
            assert_eq!(task::try_id(), Some(expected));
        });
        tx.send(handle.id()).unwrap();
        within(LIMIT, "the task", handle).await.unwrap();
    }

    async fn two_tasks_have_two_ids() {
        let a = goro::spawn(async { task::id() });
        let b = goro::spawn(async { task::id() });
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert_ne!(a, b);
    }

    async fn a_blocking_closure_sees_its_tasks_id() {
        let handle = task::spawn_blocking(task::id);
        let id = handle.id();
        assert_eq!(within(LIMIT, "the closure", handle).await.unwrap(), id);
    }

    async fn the_block_on_body_is_no_task() {
        assert_eq!(task::try_id(), None);
        let message = expect_panic(task::id);
        assert!(message.contains("outside a task"), "{message}");
        assert!(message.contains("try_id"), "{message}");
    }

    async fn the_future_dropped_after_completion_sees_its_task() {
        let (future, rx) = reporting(true);
        let handle = goro::spawn(future);
        let id = handle.id();
        within(LIMIT, "the task", handle).await.unwrap();
        assert_eq!(within(LIMIT, "the report", rx).await.unwrap(), Some(id));
    }

    async fn the_future_dropped_by_an_abort_sees_its_task() {
        let (future, rx) = reporting(false);
        let handle = goro::spawn(future);
        let id = handle.id();
        handle.abort();
        assert!(within(LIMIT, "the task", handle).await.unwrap_err().is_cancelled());
        assert_eq!(within(LIMIT, "the report", rx).await.unwrap(), Some(id));
    }

    async fn an_output_dropped_by_the_task_sees_its_task() {
        let (output, rx) = reporter();
        let handle = goro::spawn(async move { output });
        let id = handle.id();
        drop(handle);
        assert_eq!(within(LIMIT, "the report", rx).await.unwrap(), Some(id));
    }

    async fn an_output_dropped_by_the_join_handle_sees_its_task() {
        let (output, mut rx) = reporter();
        let handle = goro::spawn(async move { output });
        let id = handle.id();
        let abort = handle.abort_handle();
        wait_until(LIMIT, "the task to finish", || abort.is_finished()).await;
        assert_eq!(rx.try_recv(), Ok(None), "the output is still alive");
        drop(handle);
        assert_eq!(rx.await.unwrap(), Some(id));
        assert_eq!(task::try_id(), None, "the id is put back after the drop");
    }
}

#[test]
fn there_is_no_task_outside_a_runtime() {
    assert_eq!(task::try_id(), None);
    let message = expect_panic(task::id);
    assert!(message.contains("goro::task::id()"), "{message}");
}

#[test]
fn a_future_dropped_at_shutdown_sees_its_task() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let (future, rx) = reporting(false);
        let handle = runtime.spawn(future);
        let id = handle.id();
        drop(runtime);
        assert_eq!(futures::executor::block_on(rx).unwrap(), Some(id));
    });
}
