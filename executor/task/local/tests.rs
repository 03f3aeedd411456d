//! The `LocalSet`'s own tests, without a runtime (`futures`' `block_on` runs the set), so
//! that Miri runs them (`scripts/miri.sh`): `!Send` futures polled and dropped on the set's
//! thread only, wakes and aborts from another thread, wakes after the set is gone, a set
//! that drops with tasks queued, woken and idle.

use super::{LocalSet, spawn_local};
use crate::task::{self, JoinHandle};
use futures::channel::oneshot;
use futures::executor::block_on;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread::{self, ThreadId};

/// Records the thread that drops it.
struct DroppedOn(Arc<Mutex<Option<ThreadId>>>);

impl Drop for DroppedOn {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread::current().id());
    }
}

/// A future that stays pending, keeps its latest waker where a test can reach it, and holds
/// an `Rc` (so it is not `Send`) and a `DroppedOn`.
fn pending_local(
    waker: Arc<Mutex<Option<Waker>>>,
    dropped: Arc<Mutex<Option<ThreadId>>>,
) -> impl std::future::Future<Output = ()> {
    let not_send = Rc::new(DroppedOn(dropped));
    std::future::poll_fn(move |cx| {
        let _keep = &not_send;
        *waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    })
}

#[test]
fn a_not_send_future_runs_and_its_output_comes_back() {
    let local = LocalSet::new();
    let counter = Rc::new(Cell::new(1));
    let out = block_on(local.run_until(async {
        let inner = counter.clone();
        let task = spawn_local(async move {
            inner.set(inner.get() + 1);
            Rc::new(inner.get())
        });
        *task.await.unwrap()
    }));
    assert_eq!(out, 2);
}

#[test]
fn the_set_as_a_future_runs_every_task_to_the_end() {
    let local = LocalSet::new();
    let ran = Rc::new(Cell::new(0));
    for _ in 0..100 {
        let ran = ran.clone();
        drop(local.spawn_local(async move {
            // More than one tick's worth of tasks, each yielding, one spawning another.
            crate::yield_now().await;
            let nested = ran.clone();
            drop(spawn_local(async move { nested.set(nested.get() + 1) }));
            ran.set(ran.get() + 1);
        }));
    }
    block_on(local);
    assert_eq!(ran.get(), 200);
}

#[test]
fn a_wake_from_another_thread_reaches_the_set() {
    let local = LocalSet::new();
    let owner = thread::current().id();
    let (tx, rx) = oneshot::channel::<u32>();
    let task = local.spawn_local(async move {
        let on = Rc::new(thread::current().id());
        let value = rx.await.unwrap();
        (*on == owner).then_some(value)
    });
    let sender = thread::spawn(move || tx.send(7).unwrap());
    // `block_on` parks this thread until the set's waker is woken from the sender's.
    let out = block_on(local.run_until(task)).unwrap();
    assert_eq!(out, Some(7));
    sender.join().unwrap();
}

#[test]
fn an_abort_from_another_thread_drops_the_future_on_the_sets_thread() {
    let local = LocalSet::new();
    let waker = Arc::new(Mutex::new(None));
    let dropped = Arc::new(Mutex::new(None));
    let task = local.spawn_local(pending_local(waker.clone(), dropped.clone()));
    let abort = task.abort_handle();
    block_on(local.run_until(crate::yield_now()));
    assert!(waker.lock().unwrap().is_some(), "polled once");
    thread::spawn(move || abort.abort()).join().unwrap();
    assert!(dropped.lock().unwrap().is_none(), "an abort only schedules");
    let result = block_on(local.run_until(task));
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(*dropped.lock().unwrap(), Some(thread::current().id()));
}

#[test]
fn dropping_the_set_drops_its_futures_on_its_thread() {
    let local = LocalSet::new();
    let dropped: Vec<_> = (0..3).map(|_| Arc::new(Mutex::new(None))).collect();
    let wakers: Vec<_> = (0..3).map(|_| Arc::new(Mutex::new(None))).collect();
    let mut handles: Vec<JoinHandle<()>> = (0..2)
        .map(|i| local.spawn_local(pending_local(wakers[i].clone(), dropped[i].clone())))
        .collect();
    // Task 0 polled and idle, task 1 polled and woken (queued again), task 2 never polled.
    block_on(local.run_until(crate::yield_now()));
    handles.push(local.spawn_local(pending_local(wakers[2].clone(), dropped[2].clone())));
    wakers[1].lock().unwrap().take().unwrap().wake();
    let remote = wakers[0].lock().unwrap().take().unwrap();
    let owner = thread::current().id();
    drop(local);
    for (i, dropped) in dropped.iter().enumerate() {
        assert_eq!(*dropped.lock().unwrap(), Some(owner), "task {i}");
    }
    for handle in handles {
        assert!(block_on(handle).unwrap_err().is_cancelled());
    }
    // A wake that comes after the set is gone only drops its reference.
    thread::spawn(move || remote.wake()).join().unwrap();
}

#[test]
fn a_join_handle_with_a_send_output_is_awaited_on_another_thread() {
    let local = LocalSet::new();
    let task = local.spawn_local(async {
        let not_send = Rc::new(40);
        crate::yield_now().await;
        *not_send + 2
    });
    let waiter = thread::spawn(move || block_on(task).unwrap());
    block_on(local);
    assert_eq!(waiter.join().unwrap(), 42);
}

#[test]
fn spawn_local_outside_a_set_panics() {
    let caught = std::panic::catch_unwind(|| spawn_local(async {}));
    let message = caught.unwrap_err();
    let message = message.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("outside a LocalSet"), "{message}");
}

#[test]
fn the_id_of_the_task_that_runs_a_set_survives_the_sets_tasks() {
    let outer = LocalSet::new();
    let ids = block_on(outer.run_until(async {
        spawn_local(async {
            let mine = task::id();
            let inner = LocalSet::new();
            let theirs = inner.run_until(spawn_local(async { task::id() })).await;
            (mine, theirs.unwrap(), task::id())
        })
        .await
        .unwrap()
    }));
    let (mine, theirs, after) = ids;
    assert_ne!(mine, theirs);
    assert_eq!(mine, after);
    assert_eq!(task::try_id(), None);
}
