//! Loom models of the task state machine: every interleaving of a poll with a wake, an
//! abort, a join and a handle drop, and of a spawn with the registry's shutdown. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom_model` (see `scripts/loom.sh`).

use super::*;
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use crate::scheduler::registry::Registry;
use loom::thread;
use std::collections::VecDeque;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

struct Queue {
    tasks: Mutex<VecDeque<Notified<Arc<Queue>>>>,
    registry: Registry<Arc<Queue>>,
}

impl Schedule for Arc<Queue> {
    fn schedule(&self, task: Notified<Self>) {
        lock(&self.tasks).push_back(task);
    }
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.registry.remove(task)
    }
}

fn queue() -> Arc<Queue> {
    Arc::new(Queue {
        tasks: Mutex::new(VecDeque::new()),
        registry: Registry::new(1, 0),
    })
}

fn spawn<F>(q: &Arc<Queue>, future: F) -> JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (task, notified, join) = new(future, q.clone(), Id::next(), Location::caller());
    if let Some(notified) = q.registry.bind(task, notified, 0) {
        q.schedule(notified);
    }
    join
}

fn run_all(q: &Arc<Queue>) {
    loop {
        let next = lock(&q.tasks).pop_front();
        match next {
            Some(task) => task.run(),
            None => return,
        }
    }
}

/// Pending until opened; the check and the waker store happen under one lock, so the gate
/// itself never loses a wake-up: what the model tests is the task's side.
#[derive(Clone)]
pub(super) struct Gate(Arc<Mutex<(bool, Option<Waker>)>>);

impl Gate {
    pub(super) fn new() -> Gate {
        Gate(Arc::new(Mutex::new((false, None))))
    }
    pub(super) fn open(&self) {
        let waker = {
            let mut state = lock(&self.0);
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
    pub(super) fn wait(&self) -> GateWait {
        GateWait(self.clone())
    }
}

pub(super) struct GateWait(Gate);

impl std::future::Future for GateWait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&(self.0).0);
        if state.0 {
            return Poll::Ready(());
        }
        state.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

pub(super) struct DropCount(pub(super) Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker that counts its wakes (a std `Arc` under the hood: only the count is modelled).
fn counting_waker(count: Arc<AtomicUsize>) -> Waker {
    struct Count(Arc<AtomicUsize>);
    impl futures::task::ArcWake for Count {
        fn wake_by_ref(this: &std::sync::Arc<Self>) {
            this.0.fetch_add(1, SeqCst);
        }
    }
    futures::task::waker(std::sync::Arc::new(Count(count)))
}

#[test]
fn a_wake_during_the_poll_is_not_lost() {
    loom::model(|| {
        let q = queue();
        let gate = Gate::new();
        let join = spawn(&q, gate.wait());
        let opener = {
            let gate = gate.clone();
            thread::spawn(move || gate.open())
        };
        run_all(&q);
        opener.join().unwrap();
        run_all(&q);
        assert!(join.is_finished());
        drop(join);
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}

#[test]
fn an_abort_during_the_poll_cancels_exactly_once() {
    loom::model(|| {
        let q = queue();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let gate = Gate::new();
        let wait = gate.wait();
        let join = spawn(&q, async move {
            let _guard = guard;
            wait.await;
        });
        let abort = join.abort_handle();
        let aborter = thread::spawn(move || abort.abort());
        run_all(&q);
        aborter.join().unwrap();
        run_all(&q);
        assert!(join.is_finished());
        assert_eq!(drops.load(SeqCst), 1);
        drop(join);
        drop(gate);
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}

#[test]
fn a_join_handle_dropped_during_completion_drops_the_output_once() {
    loom::model(|| {
        let q = queue();
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCount(drops.clone());
        let join = spawn(&q, async move { output });
        let dropper = thread::spawn(move || drop(join));
        run_all(&q);
        dropper.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}

#[test]
fn a_join_racing_completion_is_woken_or_ready() {
    loom::model(|| {
        let q = queue();
        let mut join = spawn(&q, async { 5 });
        let wakes = Arc::new(AtomicUsize::new(0));
        let waker = counting_waker(wakes.clone());
        let runner = {
            let q = q.clone();
            thread::spawn(move || run_all(&q))
        };
        let first = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        runner.join().unwrap();
        if first.is_pending() {
            assert_eq!(wakes.load(SeqCst), 1, "the join waker was not woken");
            let second = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
            assert!(matches!(second, Poll::Ready(Ok(5))));
        }
        drop(join);
        drop(q);
    });
}

#[test]
fn a_handle_taking_the_output_races_the_completer_waking_it() {
    loom::model(|| {
        let q = queue();
        let drops = Arc::new(AtomicUsize::new(0));
        let output = DropCount(drops.clone());
        let mut join = spawn(&q, async move { output });
        let wakes = Arc::new(AtomicUsize::new(0));
        let waker = counting_waker(wakes.clone());
        let runner = {
            let q = q.clone();
            thread::spawn(move || run_all(&q))
        };
        let mut poll = || Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        let mut out = poll();
        if out.is_pending() {
            // May run while the completer is between waking the slot and giving it back.
            out = poll();
        }
        runner.join().unwrap();
        if out.is_pending() {
            out = poll();
        }
        let Poll::Ready(Ok(output)) = out else {
            panic!("no output after the task completed");
        };
        drop(output);
        assert_eq!(drops.load(SeqCst), 1);
        drop(join);
        drop(waker);
        assert_eq!(
            Arc::strong_count(&wakes),
            1,
            "a clone of the join waker leaked"
        );
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}

#[test]
fn two_concurrent_wakes_schedule_the_task_once() {
    loom::model(|| {
        let q = queue();
        let gate = Gate::new();
        let join = spawn(&q, gate.wait());
        run_all(&q);
        let waker = lock(&gate.0).1.take().unwrap();
        let other = waker.clone();
        let t = thread::spawn(move || other.wake());
        waker.wake_by_ref();
        t.join().unwrap();
        assert_eq!(lock(&q.tasks).len(), 1);
        gate.open();
        drop(waker);
        run_all(&q);
        run_all(&q);
        assert!(join.is_finished() || lock(&gate.0).1.is_some());
        q.registry.close_and_shutdown_all();
        drop(join);
        drop(gate);
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}

#[test]
fn a_spawn_racing_shutdown_is_cancelled_exactly_once() {
    loom::model(|| {
        let q = queue();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let spawner = {
            let q = q.clone();
            thread::spawn(move || {
                spawn(&q, async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                })
            })
        };
        q.registry.close_and_shutdown_all();
        let join = spawner.join().unwrap();
        // Bound before the close: the close shut it down; after: `bind` did. Either way the
        // future is gone and no queue entry can run it.
        run_all(&q);
        assert!(join.is_finished());
        assert_eq!(drops.load(SeqCst), 1);
        drop(join);
        lock(&q.tasks).clear();
        assert_eq!(Arc::strong_count(&q), 1, "the task was not freed");
    });
}
