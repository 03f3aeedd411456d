//! The task module's own tests, with a plain queue for a scheduler (`test_scheduler.rs`).
//! They exercise every `unsafe` path (poll, wake by value and by reference, join, abort,
//! shutdown, dealloc) and are the ones Miri runs (`scripts/miri.sh`).

use super::test_scheduler::{spawn, *};
use crate::loom::{Arc, lock};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;

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
fn a_panic_whose_handle_is_dropped_after_completion_is_unhandled_too() {
    let q = queue();
    let join = spawn(&q, async { panic!("read by nobody") });
    run_all(&q);
    assert!(join.is_finished());
    assert_eq!(
        q.unhandled.load(SeqCst),
        0,
        "the handle could still read it"
    );
    drop(join);
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

/// A hand-written future that panics when polled; its destructor records whether the thread
/// was panicking, and panics too if `panic_on_drop`.
struct PanicsWhenPolled {
    dropped_while_panicking: Arc<AtomicUsize>,
    panic_on_drop: bool,
}

impl Future for PanicsWhenPolled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        panic!("in poll");
    }
}

impl Drop for PanicsWhenPolled {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.dropped_while_panicking.fetch_add(1, SeqCst);
        }
        if self.panic_on_drop {
            panic!("in drop");
        }
    }
}

#[test]
fn a_panicking_future_is_dropped_while_the_panic_unwinds() {
    for panic_on_drop in [false, true] {
        let q = queue();
        let dropped_while_panicking = Arc::new(AtomicUsize::new(0));
        let mut join = spawn(
            &q,
            PanicsWhenPolled {
                dropped_while_panicking: dropped_while_panicking.clone(),
                panic_on_drop,
            },
        );
        run_all(&q);
        assert_eq!(dropped_while_panicking.load(SeqCst), 1);
        match poll_join(&mut join, futures::task::noop_waker_ref()) {
            // The destructor's panic replaces the poll's.
            Poll::Ready(Err(err)) => {
                let expected = if panic_on_drop { "in drop" } else { "in poll" };
                assert_eq!(
                    err.to_string(),
                    format!("task {} panicked: {expected}", err.id())
                );
            }
            _ => panic!("expected a panic error"),
        }
    }
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
