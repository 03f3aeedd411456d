//! `Runtime::shutdown_background`: it returns at once, whatever the runtime's threads are
//! doing; the tasks are cancelled; the threads end on their own; and once they have, the
//! runtime's memory is freed (what the builder holds, a hook here, is dropped). It works
//! inside one of the runtime's own tasks too, where a drop would panic.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// A runtime whose start hook holds `freed`'s guard: the guard drops when the runtime's
/// last reference does. Returns it with a count of its threads that are alive.
fn runtime_watched(workers: usize, freed: &DropCounter) -> (goro::Runtime, Arc<AtomicUsize>) {
    let alive = Arc::new(AtomicUsize::new(0));
    let (on_start, on_stop) = (alive.clone(), alive.clone());
    let guard = freed.guard();
    let runtime = goro::Builder::new()
        .worker_threads(workers)
        .on_thread_start(move || {
            let _held = &guard;
            on_start.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            on_stop.fetch_sub(1, SeqCst);
        })
        .build()
        .unwrap();
    (runtime, alive)
}

#[test]
fn it_returns_at_once_and_the_runtime_goes_once_its_threads_end() {
    bounded(LIMIT, || {
        let freed = DropCounter::new();
        let (runtime, alive) = runtime_watched(2, &freed);
        let futures = DropCounter::new();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let busy = started_tx.clone();
        drop(runtime.spawn(async move {
            // Stuck in one poll for a while (deliberately).
            busy.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(1500));
        }));
        drop(runtime.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(1500));
        }));
        drop(runtime.spawn(pending_with::<()>(futures.guard())));
        let handle = runtime.handle().clone();
        started_rx.recv().unwrap();
        started_rx.recv().unwrap();

        let start = Instant::now();
        runtime.shutdown_background();
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(700),
            "shutdown_background took {took:?}"
        );

        // A spawn through a handle kept is cancelled at once.
        let late = futures::executor::block_on(handle.spawn(async {}));
        assert!(late.unwrap_err().is_cancelled());
        drop(handle);

        let start = Instant::now();
        while futures.alive() > 0 || alive.load(SeqCst) > 0 || freed.alive() > 0 {
            assert!(
                start.elapsed() < LIMIT,
                "after shutdown_background: {} future(s), {} thread(s), runtime freed: {}",
                futures.alive(),
                alive.load(SeqCst),
                freed.alive() == 0
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    });
}

#[test]
fn it_works_inside_one_of_the_runtimes_own_tasks() {
    bounded(LIMIT, || {
        let freed = DropCounter::new();
        let (runtime, alive) = runtime_watched(1, &freed);
        let handle = runtime.handle().clone();
        let slot = Arc::new(Mutex::new(Some(runtime)));
        let taken = slot.clone();
        let shut_down = handle.spawn(async move {
            let runtime = taken.lock().unwrap().take().unwrap();
            runtime.shutdown_background();
            "returned"
        });
        drop(handle);
        assert_eq!(futures::executor::block_on(shut_down).unwrap(), "returned");
        let start = Instant::now();
        while alive.load(SeqCst) > 0 || freed.alive() > 0 {
            assert!(start.elapsed() < LIMIT, "the runtime was not freed");
            std::thread::sleep(Duration::from_millis(5));
        }
    });
}
