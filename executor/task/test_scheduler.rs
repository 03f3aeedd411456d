//! A plain scheduler for unit tests of tasks and of the scheduler's structures that hold
//! them (registry, `next` slot): a queue that `run_all` empties on the test's thread, with a
//! registry so that completion and shutdown go through the real paths.

use super::*;
use crate::loom::{Arc, Mutex, lock};
use crate::scheduler::registry::Registry;
use std::collections::VecDeque;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(crate) struct Queue {
    pub(crate) tasks: Mutex<VecDeque<Notified<Arc<Queue>>>>,
    pub(crate) registry: Option<Registry<Arc<Queue>>>,
    pub(crate) unhandled: AtomicUsize,
}

impl Schedule for Arc<Queue> {
    fn schedule(&self, task: Notified<Self>) {
        lock(&self.tasks).push_back(task);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.registry.as_ref()?.remove(task)
    }

    fn unhandled_panic(&self) {
        self.unhandled.fetch_add(1, SeqCst);
    }
}

pub(crate) fn queue() -> Arc<Queue> {
    Arc::new(Queue {
        registry: Some(Registry::new(2, 0)),
        ..Queue::default()
    })
}

#[track_caller]
pub(crate) fn spawn<F>(queue: &Arc<Queue>, future: F) -> JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (task, notified, join) = new(future, queue.clone(), Id::next(), Location::caller());
    if let Some(notified) = queue.registry.as_ref().unwrap().bind(task, notified, 0) {
        queue.schedule(notified);
    }
    join
}

/// Runs queued tasks until the queue is empty; returns how many polls ran.
pub(crate) fn run_all(queue: &Arc<Queue>) -> usize {
    let mut polls = 0;
    loop {
        let next = lock(&queue.tasks).pop_front();
        match next {
            Some(task) => {
                task.run();
                polls += 1;
            }
            None => return polls,
        }
    }
}

/// Polls a join handle once with `waker`.
pub(crate) fn poll_join<T>(join: &mut JoinHandle<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

/// Counts its drops.
pub(crate) struct DropCount(pub(crate) Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Pending until `ready` is set; stores its waker where the test can reach it.
pub(crate) struct Gate {
    ready: Arc<AtomicUsize>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl std::future::Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ready.load(SeqCst) > 0 {
            return Poll::Ready(());
        }
        *lock(&self.waker) = Some(cx.waker().clone());
        Poll::Pending
    }
}

pub(crate) fn gate() -> (Gate, Arc<AtomicUsize>, Arc<Mutex<Option<Waker>>>) {
    let ready = Arc::new(AtomicUsize::new(0));
    let waker = Arc::new(Mutex::new(None));
    let gate = Gate {
        ready: ready.clone(),
        waker: waker.clone(),
    };
    (gate, ready, waker)
}
