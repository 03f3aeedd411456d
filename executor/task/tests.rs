//! The task module's own tests, with a plain queue for a scheduler. They exercise every
//! `unsafe` path (poll, wake by value and by reference, join, abort, shutdown, dealloc) and
//! are the ones Miri runs (`scripts/miri.sh`).

use super::*;
use crate::loom::{Arc, Mutex, lock};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Queue {
    tasks: Mutex<VecDeque<Notified<Arc<Queue>>>>,
    registry: Option<Registry<Arc<Queue>>>,
    unhandled: AtomicUsize,
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

fn queue() -> Arc<Queue> {
    Arc::new(Queue {
        registry: Some(Registry::new(2, 0)),
        ..Queue::default()
    })
}

#[track_caller]
fn spawn<F>(queue: &Arc<Queue>, future: F) -> JoinHandle<F::Output>
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
fn run_all(queue: &Arc<Queue>) -> usize {
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
fn poll_join<T>(join: &mut JoinHandle<T>, waker: &Waker) -> Poll<Result<T, JoinError>> {
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Pending until `ready` is set; stores its waker where the test can reach it.
struct Gate {
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

fn gate() -> (Gate, Arc<AtomicUsize>, Arc<Mutex<Option<Waker>>>) {
    let ready = Arc::new(AtomicUsize::new(0));
    let waker = Arc::new(Mutex::new(None));
    let gate = Gate {
        ready: ready.clone(),
        waker: waker.clone(),
    };
    (gate, ready, waker)
}

#[test]
fn a_task_runs_and_its_handle_reads_the_output() {
    let q = queue();
    let mut join = spawn(&q, async { 7 });
    assert_eq!(run_all(&q), 1);
    let out = poll_join(&mut join, futures::task::noop_waker_ref());
    assert!(matches!(out, Poll::Ready(Ok(7))));
    assert!(join.is_finished());
}

#[test]
fn a_wake_during_the_poll_puts_the_task_back() {
    let q = queue();
    let mut join = spawn(&q, crate::yield_now());
    assert_eq!(run_all(&q), 2);
    assert!(poll_join(&mut join, futures::task::noop_waker_ref()).is_ready());
}

#[test]
fn a_waker_kept_after_completion_keeps_the_task_alive_until_dropped() {
    let q = queue();
    let (g, ready, waker) = gate();
    let join = spawn(&q, g);
    run_all(&q);
    let kept = lock(&waker).clone().unwrap();
    ready.store(1, SeqCst);
    kept.wake_by_ref();
    run_all(&q);
    drop(join);
    kept.wake_by_ref();
    assert_eq!(run_all(&q), 0);
    drop(kept);
    drop(lock(&waker).take());
}

#[test]
fn wake_by_value_schedules_once() {
    let q = queue();
    let (g, ready, waker) = gate();
    let mut join = spawn(&q, g);
    run_all(&q);
    let w = lock(&waker).take().unwrap();
    let w2 = w.clone();
    w.wake();
    w2.wake();
    ready.store(1, SeqCst);
    assert_eq!(run_all(&q), 1);
    assert!(poll_join(&mut join, futures::task::noop_waker_ref()).is_ready());
}

#[test]
fn abort_of_an_idle_task_drops_its_future() {
    let q = queue();
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCount(drops.clone());
    let (g, _ready, waker) = gate();
    let mut join = spawn(&q, async move {
        let _guard = guard;
        g.await;
    });
    run_all(&q);
    join.abort();
    assert_eq!(drops.load(SeqCst), 0);
    assert_eq!(run_all(&q), 1);
    assert_eq!(drops.load(SeqCst), 1);
    match poll_join(&mut join, futures::task::noop_waker_ref()) {
        Poll::Ready(Err(err)) => assert!(err.is_cancelled()),
        other => panic!("unexpected {:?}", other.map(|r| r.is_ok())),
    }
    drop(lock(&waker).take());
}

#[test]
fn abort_before_the_first_poll_never_polls() {
    let q = queue();
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let mut join = spawn(&q, async move {
        p.fetch_add(1, SeqCst);
    });
    join.abort_handle().abort();
    run_all(&q);
    assert_eq!(polled.load(SeqCst), 0);
    assert!(matches!(
        poll_join(&mut join, futures::task::noop_waker_ref()),
        Poll::Ready(Err(_))
    ));
}

#[test]
fn the_output_of_a_detached_task_is_dropped_at_completion() {
    let q = queue();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    drop(spawn(&q, async move { DropCount(d) }));
    run_all(&q);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn the_handle_drops_an_output_it_never_read() {
    let q = queue();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let join = spawn(&q, async move { DropCount(d) });
    run_all(&q);
    assert_eq!(drops.load(SeqCst), 0);
    drop(join);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn the_handle_takes_the_output_once_and_lets_go_of_its_waker() {
    let q = queue();
    let (g, ready, waker) = gate();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let mut join = spawn(&q, async move {
        g.await;
        DropCount(d)
    });
    run_all(&q);
    let woken = Arc::new(Counter(Arc::new(AtomicUsize::new(0))));
    let w = futures::task::waker(woken.clone());
    assert!(poll_join(&mut join, &w).is_pending());
    assert_eq!(
        Arc::strong_count(&woken),
        3,
        "ours, `w` and the join waker slot's"
    );
    ready.store(1, SeqCst);
    lock(&waker).take().unwrap().wake();
    run_all(&q);
    let Poll::Ready(Ok(output)) = poll_join(&mut join, &w) else {
        panic!("expected the output");
    };
    assert_eq!(
        Arc::strong_count(&woken),
        2,
        "the slot's waker went with the output"
    );
    drop(output);
    assert_eq!(drops.load(SeqCst), 1);
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll_join(&mut join, &w).is_ready()
    }));
    assert!(
        again.is_err(),
        "a second poll panics, it never reads the output again"
    );
    assert!(join.is_finished());
    drop(join);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn a_panic_becomes_a_join_error_or_an_unhandled_panic() {
    let q = queue();
    let mut join = spawn(&q, async { panic!("boom") });
    drop(spawn(&q, async { panic!("unheard") }));
    run_all(&q);
    match poll_join(&mut join, futures::task::noop_waker_ref()) {
        Poll::Ready(Err(err)) => {
            assert!(err.is_panic());
            assert_eq!(err.to_string(), format!("task {} panicked: boom", err.id()));
        }
        _ => panic!("expected a panic error"),
    }
    assert_eq!(q.unhandled.load(SeqCst), 1);
}

#[test]
fn a_panic_in_the_futures_destructor_is_reported() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("in drop");
        }
    }
    let q = queue();
    let (g, _ready, waker) = gate();
    let mut join = spawn(&q, async move {
        let _p = PanicOnDrop;
        g.await;
    });
    run_all(&q);
    join.abort();
    run_all(&q);
    match poll_join(&mut join, futures::task::noop_waker_ref()) {
        Poll::Ready(Err(err)) => assert!(err.is_panic()),
        _ => panic!("expected a panic error"),
    }
    drop(lock(&waker).take());
}

#[test]
fn the_join_waker_is_replaced_and_woken_once() {
    let q = queue();
    let (g, ready, waker) = gate();
    let mut join = spawn(&q, g);
    run_all(&q);
    let first = Arc::new(AtomicUsize::new(0));
    let second = Arc::new(AtomicUsize::new(0));
    let w1 = futures::task::waker(Arc::new(Counter(first.clone())));
    let w2 = futures::task::waker(Arc::new(Counter(second.clone())));
    assert!(poll_join(&mut join, &w1).is_pending());
    assert!(poll_join(&mut join, &w1).is_pending());
    assert!(poll_join(&mut join, &w2).is_pending());
    ready.store(1, SeqCst);
    lock(&waker).take().unwrap().wake();
    run_all(&q);
    assert_eq!((first.load(SeqCst), second.load(SeqCst)), (0, 1));
    assert!(poll_join(&mut join, &w2).is_ready());
}

#[test]
fn a_task_that_awaits_a_handle_is_woken_through_the_slot() {
    let q = queue();
    let (g, ready, waker) = gate();
    let mut inner = spawn(&q, g);
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let mut outer = spawn(
        &q,
        std::future::poll_fn(move |cx| {
            // The second poll gives the same waker again: the slot keeps the one it holds.
            if p.fetch_add(1, SeqCst) == 0 {
                cx.waker().wake_by_ref();
            }
            Pin::new(&mut inner).poll(cx).map(|result| result.is_ok())
        }),
    );
    run_all(&q);
    assert_eq!(polls.load(SeqCst), 2);
    ready.store(1, SeqCst);
    lock(&waker).take().unwrap().wake();
    run_all(&q);
    assert_eq!(polls.load(SeqCst), 3);
    let out = poll_join(&mut outer, futures::task::noop_waker_ref());
    assert!(matches!(out, Poll::Ready(Ok(true))));
}

struct Counter(Arc<AtomicUsize>);

impl futures::task::ArcWake for Counter {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn shutdown_cancels_idle_and_queued_tasks() {
    let q = queue();
    let drops = Arc::new(AtomicUsize::new(0));
    let (g, _ready, waker) = gate();
    let d = DropCount(drops.clone());
    let idle = spawn(&q, async move {
        let _d = d;
        g.await;
    });
    run_all(&q);
    let d = DropCount(drops.clone());
    let queued = spawn(&q, async move { drop(d) });
    q.registry.as_ref().unwrap().close_and_shutdown_all();
    assert_eq!(drops.load(SeqCst), 2);
    assert!(idle.is_finished() && queued.is_finished());
    assert_eq!(run_all(&q), 1);
    let late = spawn(&q, async {});
    assert!(late.is_finished());
    assert_eq!(run_all(&q), 0);
    drop(lock(&waker).take());
}

#[test]
fn the_registry_lists_live_tasks() {
    let q = queue();
    let (g, ready, waker) = gate();
    let join = spawn(&q, g);
    run_all(&q);
    let dump = q.registry.as_ref().unwrap().dump();
    assert_eq!(dump.len(), 1);
    assert_eq!(dump[0].id, join.id());
    assert_eq!(dump[0].state, TaskState::Idle);
    assert_eq!(dump[0].polls, 1);
    assert!(dump[0].location.file().ends_with("tests.rs"));
    ready.store(1, SeqCst);
    lock(&waker).take().unwrap().wake();
    run_all(&q);
    assert_eq!(q.registry.as_ref().unwrap().counts(), (0, 1));
}

#[test]
fn the_next_slot_hands_out_what_it_holds() {
    let q = queue();
    let slot = Slot::new();
    let a = spawn(&q, async { 1 });
    let b = spawn(&q, async { 2 });
    let first = lock(&q.tasks).pop_front().unwrap();
    let second = lock(&q.tasks).pop_front().unwrap();
    assert!(slot.replace(first).is_none());
    assert!(slot.is_occupied());
    let displaced = slot.replace(second).unwrap();
    assert_eq!(displaced.header().id, a.id());
    displaced.run();
    slot.take().unwrap().run();
    assert!(slot.take().is_none());
    assert!(a.is_finished() && b.is_finished());
    let c = spawn(&q, async {});
    let third = lock(&q.tasks).pop_front().unwrap();
    slot.replace(third);
    drop(slot);
    drop(c);
    q.registry.as_ref().unwrap().close_and_shutdown_all();
}

/// Removal in batches (see the registry's module doc): an entry located while its task was
/// live is removed by `remove_retired` and its reference dropped; one that shutdown already
/// took out is left alone.
#[test]
fn retired_entries_are_removed_in_a_batch() {
    let q = queue();
    let registry = q.registry.as_ref().unwrap();
    let locate = |entry: Notified<Arc<Queue>>| {
        let ptr = entry.into_raw();
        // SAFETY: a borrowed view of the entry's reference for `locate`, which only reads the
        // header; the reference goes back into a `Notified` at once.
        let task = std::mem::ManuallyDrop::new(unsafe { Task::<Arc<Queue>>::from_raw(ptr) });
        let retired = registry.locate(&task).expect("bound");
        // SAFETY: the reference taken apart above.
        (retired, unsafe { Notified::<Arc<Queue>>::from_raw(ptr) })
    };
    let first = spawn(&q, std::future::pending::<()>());
    let entry = lock(&q.tasks).pop_front().unwrap();
    let (retired, entry) = locate(entry);
    registry.remove_retired(&mut vec![retired], None);
    assert!(registry.dump().is_empty(), "the entry was removed");
    drop(entry);
    drop(first);
    let second = spawn(&q, std::future::pending::<()>());
    let entry = lock(&q.tasks).pop_front().unwrap();
    let (retired, entry) = locate(entry);
    registry.close_and_shutdown_all();
    assert!(second.is_finished());
    registry.remove_retired(&mut vec![retired], None);
    drop(entry);
}

/// Binding takes the spawner's shard modulo the shard count; the entry is found again by the
/// shard and index the header keeps. Tasks freed unpolled drop their futures.
#[test]
fn a_task_is_found_in_the_shard_its_spawner_chose() {
    let q = queue();
    let registry = Registry::new(3, 0);
    let drops = Arc::new(AtomicUsize::new(0));
    let mut retired: Vec<_> = (0..7)
        .map(|shard| bind_located(&q, &registry, shard, DropCount(drops.clone())))
        .collect();
    assert_eq!(registry.dump().len(), 7);
    registry.remove_retired(&mut retired, None);
    assert!(registry.dump().is_empty());
    assert_eq!(drops.load(SeqCst), 7, "every unpolled future was dropped");
}

/// Binds a task that holds `held` until dropped into `shard`, and returns where its entry
/// is; only the registry's reference is left.
fn bind_located(
    q: &Arc<Queue>,
    registry: &Registry<Arc<Queue>>,
    shard: usize,
    held: DropCount,
) -> Retired {
    let future = async move {
        std::future::pending::<()>().await;
        drop(held);
    };
    let (task, notified, join) = new(future, q.clone(), Id::next(), Location::caller());
    drop(join);
    let entry = registry.bind(task, notified, shard).expect("open");
    let ptr = entry.into_raw();
    // SAFETY: a borrowed view of the entry's reference for `locate`; it goes back into a
    // `Notified` at once and is dropped.
    let task = std::mem::ManuallyDrop::new(unsafe { Task::<Arc<Queue>>::from_raw(ptr) });
    let retired = registry.locate(&task).expect("bound");
    // SAFETY: the reference taken apart above.
    drop(unsafe { Notified::<Arc<Queue>>::from_raw(ptr) });
    retired
}

/// Removal by the owner (the registry's module doc): entries of another worker's shard are
/// handed back and removed at the owner's next bind, unless there are too many.
#[test]
fn entries_of_another_workers_shard_are_handed_back() {
    let q = queue();
    let registry = Registry::new(2, 2);
    let drops = Arc::new(AtomicUsize::new(0));
    let retired = bind_located(&q, &registry, 0, DropCount(drops.clone()));
    registry.remove_retired(&mut vec![retired], Some(1));
    assert_eq!(drops.load(SeqCst), 0, "handed back, not removed");
    assert_eq!(registry.counts().0, 0, "a handed-back entry is not live");
    bind_located(&q, &registry, 0, DropCount(Arc::default()));
    assert_eq!(drops.load(SeqCst), 1, "the owner's bind removed it");
    let mut many: Vec<_> = (0..300)
        .map(|_| bind_located(&q, &registry, 0, DropCount(drops.clone())))
        .collect();
    registry.remove_retired(&mut many, Some(1));
    assert_eq!(
        drops.load(SeqCst),
        301,
        "too many to hand back: removed at once"
    );
    registry.close_and_shutdown_all();
}
