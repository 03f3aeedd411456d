//! `spawn_blocking`: runs off the workers, on threads named `NAME-blocking`; the pool grows
//! up to `max_blocking_threads` and queues past it; results, panics, aborts; blocking work
//! does not stall async tasks. Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// A barrier whose `wait` gives up after a while (a plain `Barrier` would hang the test if
/// the pool were too small).
struct TimedBarrier {
    count: Mutex<usize>,
    all_here: Condvar,
    n: usize,
}

impl TimedBarrier {
    fn new(n: usize) -> Arc<TimedBarrier> {
        Arc::new(TimedBarrier {
            count: Mutex::new(0),
            all_here: Condvar::new(),
            n,
        })
    }

    /// True if `n` threads met here within `limit` (a generation per `n` arrivals).
    fn wait(&self, limit: Duration) -> bool {
        let mut count = self.count.lock().unwrap();
        *count += 1;
        let generation_end = count.div_ceil(self.n) * self.n;
        self.all_here.notify_all();
        let deadline = Instant::now() + limit;
        while *count < generation_end {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            count = self.all_here.wait_timeout(count, left).unwrap().0;
        }
        true
    }
}

suite! {
    async fn runs_on_a_blocking_thread_not_a_worker() {
        let (name, inside) = within(
            LIMIT,
            "spawn_blocking",
            goro::spawn_blocking(|| {
                let name = std::thread::current().name().unwrap().to_string();
                // Not a worker: blocking on the runtime is allowed here.
                let inside = goro::Handle::current().block_on(async {
                    goro::spawn(async { 20 }).await.unwrap() + 1
                });
                (name, inside)
            }),
        )
        .await
        .unwrap();
        assert!(name.ends_with("-blocking"), "{name}");
        assert!(name.starts_with("goro-worker"), "{name}");
        assert_eq!(inside, 21);
    }

    async fn spawn_blocking_from_a_task_and_from_a_foreign_thread() {
        let from_task = goro::spawn(async { goro::spawn_blocking(|| 1).await.unwrap() });
        assert_eq!(within(LIMIT, "from a task", from_task).await.unwrap(), 1);
        let handle = goro::Handle::current();
        let join = std::thread::spawn(move || handle.spawn_blocking(|| 2)).join().unwrap();
        assert_eq!(within(LIMIT, "from a foreign thread", join).await.unwrap(), 2);
    }

    async fn a_blocking_panic_is_a_join_error() {
        let err = within(LIMIT, "a panicking closure", goro::spawn_blocking(|| -> u8 { panic!("blocking boom") }))
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(&*err.into_panic()), "blocking boom");
        // The pool goes on.
        assert_eq!(within(LIMIT, "a later closure", goro::spawn_blocking(|| 3)).await.unwrap(), 3);
    }

    async fn blocking_work_does_not_stall_the_workers() {
        // The closure waits for an async task to signal it: on a worker this would deadlock
        // a one-worker runtime.
        let flag = Arc::new((Mutex::new(false), Condvar::new()));
        let f = flag.clone();
        let waiter = goro::spawn_blocking(move || {
            let (lock, cvar) = &*f;
            let guard = lock.lock().unwrap();
            let (guard, timeout) = cvar
                .wait_timeout_while(guard, Duration::from_secs(10), |set| !*set)
                .unwrap();
            !timeout.timed_out() && *guard
        });
        goro::time::sleep(Duration::from_millis(10)).await;
        let f = flag.clone();
        goro::spawn(async move {
            goro::yield_now().await;
            *f.0.lock().unwrap() = true;
            f.1.notify_all();
        })
        .await
        .unwrap();
        assert!(within(LIMIT, "the blocking waiter", waiter).await.unwrap());
    }

    async fn many_blocking_tasks_run_at_once() {
        // 32 closures that can only finish together: the pool must grow to 32 threads.
        let barrier = TimedBarrier::new(32);
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let barrier = barrier.clone();
                goro::spawn_blocking(move || barrier.wait(Duration::from_secs(10)))
            })
            .collect();
        for handle in handles {
            assert!(within(LIMIT, "a blocking task", handle).await.unwrap(), "the pool did not grow");
        }
        // Idle threads stay a while (10 s) before they exit.
        assert!(goro::Handle::current().metrics().blocking_threads >= 32);
    }

    async fn sequential_blocking_tasks_reuse_a_thread() {
        let mut ids = HashSet::new();
        for _ in 0..10 {
            let id = within(LIMIT, "a blocking task", goro::spawn_blocking(|| std::thread::current().id()))
                .await
                .unwrap();
            ids.insert(id);
        }
        // Usually one thread; a spawn that comes before the last thread counted itself idle
        // starts another.
        assert!(ids.len() <= 3, "a thread per task: {} threads for 10 tasks", ids.len());
    }

    async fn abort_of_a_running_blocking_task_lets_it_finish() {
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let handle = goro::spawn_blocking(move || {
            s.store(true, SeqCst);
            std::thread::sleep(Duration::from_millis(30));
            "finished"
        });
        wait_until(LIMIT, "the closure to start", || started.load(SeqCst)).await;
        handle.abort();
        // A running closure cannot be stopped: it finishes and keeps its output.
        assert_eq!(within(LIMIT, "the aborted closure", handle).await.unwrap(), "finished");
    }
}

#[test]
fn max_blocking_threads_bounds_the_pool() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = goro::Builder::new()
                .worker_threads(workers)
                .max_blocking_threads(2)
                .build()
                .unwrap();
            // 4 closures that meet in pairs complete with 2 threads.
            let barrier = TimedBarrier::new(2);
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let barrier = barrier.clone();
                    runtime.spawn_blocking(move || barrier.wait(Duration::from_secs(10)))
                })
                .collect();
            runtime.block_on(async {
                for handle in handles {
                    assert!(handle.await.unwrap(), "a pair never met");
                }
            });
            // Never more than 2 at once, and at most 2 distinct threads.
            let running = Arc::new(AtomicUsize::new(0));
            let peak = Arc::new(AtomicUsize::new(0));
            let threads = Arc::new(Mutex::new(HashSet::new()));
            let handles: Vec<_> = (0..12)
                .map(|_| {
                    let (running, peak, threads) = (running.clone(), peak.clone(), threads.clone());
                    runtime.spawn_blocking(move || {
                        let now = running.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        threads.lock().unwrap().insert(std::thread::current().id());
                        std::thread::sleep(Duration::from_millis(5));
                        running.fetch_sub(1, SeqCst);
                    })
                })
                .collect();
            runtime.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
            let peak = peak.load(SeqCst);
            assert!((1..=2).contains(&peak), "peak concurrency {peak}");
            assert!(threads.lock().unwrap().len() <= 2);
            assert!(runtime.handle().metrics().blocking_threads <= 2);
        });
    }
}

#[test]
fn a_queued_blocking_task_can_be_aborted() {
    bounded(LIMIT, || {
        let runtime = goro::Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let first = runtime.spawn_blocking(move || {
            s.store(true, SeqCst);
            release_rx.recv_timeout(Duration::from_secs(10)).is_ok()
        });
        block_until(LIMIT, "the first closure to start", || started.load(SeqCst));
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let counter = DropCounter::new();
        let guard = counter.guard();
        let queued = runtime.spawn_blocking(move || {
            let _guard = guard;
            r.store(true, SeqCst);
        });
        queued.abort();
        release_tx.send(()).unwrap();
        runtime.block_on(async {
            assert!(first.await.unwrap());
            assert!(queued.await.unwrap_err().is_cancelled());
        });
        assert!(!ran.load(SeqCst), "an aborted queued closure ran");
        assert_eq!(counter.dropped(), 1);
    });
}

#[test]
fn handle_spawn_blocking_from_outside_and_the_thread_name() {
    bounded(LIMIT, || {
        let name = unique_thread_name('b');
        let runtime = goro::Builder::new()
            .worker_threads(1)
            .thread_name(name.clone())
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let join = std::thread::spawn(move || {
            handle.spawn_blocking(|| std::thread::current().name().unwrap().to_string())
        })
        .join()
        .unwrap();
        assert_eq!(runtime.block_on(join).unwrap(), format!("{name}-blocking"));
        assert_eq!(runtime.block_on(runtime.spawn_blocking(|| 5)).unwrap(), 5);
    });
}
