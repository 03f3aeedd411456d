//! `Builder::on_thread_start` and `on_thread_stop`: they run on every thread the runtime
//! starts (workers, the monitor, blocking threads, the threads that take a blocked worker's
//! place or `block_in_place`'s, the background shutdown's thread), with the runtime
//! current; every start is matched by a stop once the runtime is dropped; a panicking hook
//! is caught and the runtime works on.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// What the hooks saw: thread names at start and at stop, whether the runtime was current
/// at start, and whether a task was at stop (the thread's last poll is over by then).
#[derive(Default)]
struct Seen {
    started: Mutex<Vec<String>>,
    stopped: Mutex<Vec<String>>,
    without_runtime: AtomicUsize,
    in_a_task: AtomicUsize,
}

impl Seen {
    fn starts(&self) -> usize {
        self.started.lock().unwrap().len()
    }

    fn stops(&self) -> usize {
        self.stopped.lock().unwrap().len()
    }

    /// How many threads of each name (with the runtime's prefix cut off) started.
    fn started_by_role(&self, prefix: &str) -> BTreeMap<String, usize> {
        let mut roles = BTreeMap::new();
        for name in self.started.lock().unwrap().iter() {
            let role = name.strip_prefix(prefix).unwrap_or(name).to_string();
            *roles.entry(role).or_insert(0) += 1;
        }
        roles
    }
}

/// Worker 0 had two threads (the first, and the one that took its place), and every
/// thread that started has stopped.
#[track_caller]
fn assert_replaced_once(seen: &Seen, prefix: &str) {
    let roles = seen.started_by_role(prefix);
    assert_eq!(roles.get("0"), Some(&2), "{roles:?}");
    assert_eq!(seen.starts(), seen.stops());
}

fn current_name() -> String {
    std::thread::current().name().unwrap_or("?").to_string()
}

/// A builder named `name` whose hooks record into the returned `Seen`.
fn recording(name: &str, workers: usize) -> (goro::Builder, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let (on_start, on_stop) = (seen.clone(), seen.clone());
    let mut builder = goro::Builder::new();
    builder
        .worker_threads(workers)
        .thread_name(name)
        .on_thread_start(move || {
            if goro::Handle::try_current().is_none() {
                on_start.without_runtime.fetch_add(1, SeqCst);
            }
            on_start.started.lock().unwrap().push(current_name());
        })
        .on_thread_stop(move || {
            if goro::task::try_id().is_some() {
                on_stop.in_a_task.fetch_add(1, SeqCst);
            }
            on_stop.stopped.lock().unwrap().push(current_name());
        });
    (builder, seen)
}

#[test]
fn every_thread_runs_both_hooks_with_the_runtime_current() {
    bounded(LIMIT, || {
        let (builder, seen) = recording("hk", 2);
        let runtime = builder.build().unwrap();
        runtime.block_on(async {
            goro::spawn_blocking(|| ()).await.unwrap();
            goro::spawn(async {}).await.unwrap();
        });
        drop(runtime);
        let roles = seen.started_by_role("hk-");
        let expected = [("0", 1), ("1", 1), ("blocking", 1), ("monitor", 1)];
        let expected: BTreeMap<String, usize> =
            expected.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(roles, expected);
        let mut started = seen.started.lock().unwrap().clone();
        let mut stopped = seen.stopped.lock().unwrap().clone();
        started.sort();
        stopped.sort();
        assert_eq!(
            started, stopped,
            "dropping the runtime waited for every stop hook"
        );
        assert_eq!(seen.without_runtime.load(SeqCst), 0);
        assert_eq!(seen.in_a_task.load(SeqCst), 0);
    });
}

#[test]
fn a_thread_that_takes_a_blocked_workers_place_runs_the_hooks() {
    bounded(LIMIT, || {
        let (mut builder, seen) = recording("hr", 1);
        let runtime = builder
            .blocking_threshold(Some(Duration::from_millis(20)))
            .on_blocked_worker(|_| {})
            .build()
            .unwrap();
        runtime.block_on(async {
            // Blocks its worker (deliberately) until the monitor has started a replacement.
            let blocker = goro::spawn(async {
                let start = std::time::Instant::now();
                while goro::Handle::current().metrics().blocked_worker_events == 0 {
                    assert!(start.elapsed() < LIMIT, "the monitor never handed off");
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            blocker.await.unwrap();
        });
        drop(runtime);
        assert_replaced_once(&seen, "hr-");
    });
}

#[test]
fn the_thread_that_block_in_place_starts_runs_the_hooks() {
    bounded(LIMIT, || {
        let (builder, seen) = recording("hp", 1);
        let runtime = builder.build().unwrap();
        runtime
            .block_on(runtime.spawn(async { goro::task::block_in_place(|| ()) }))
            .unwrap();
        drop(runtime);
        assert_replaced_once(&seen, "hp-");
    });
}

#[test]
fn a_panicking_hook_is_caught_and_the_runtime_works_on() {
    bounded(LIMIT, || {
        let stopped = Arc::new(AtomicUsize::new(0));
        let counter = stopped.clone();
        let runtime = goro::Builder::new()
            .worker_threads(2)
            .on_thread_start(|| panic!("a start hook that panics on purpose"))
            .on_thread_stop(move || {
                counter.fetch_add(1, SeqCst);
                panic!("a stop hook that panics on purpose");
            })
            .build()
            .unwrap();
        let answer = runtime.block_on(async {
            let blocking = goro::spawn_blocking(|| 20).await.unwrap();
            goro::spawn(async move { blocking + 22 }).await.unwrap()
        });
        assert_eq!(answer, 42);
        drop(runtime);
        // Two workers, the monitor, the blocking thread: each ran its stop hook.
        assert_eq!(stopped.load(SeqCst), 4);
    });
}

#[test]
fn the_background_shutdown_thread_runs_the_hooks_too() {
    bounded(LIMIT, || {
        let (builder, seen) = recording("hb", 1);
        let runtime = builder.build().unwrap();
        runtime.block_on(async {});
        runtime.shutdown_background();
        let start = std::time::Instant::now();
        while seen.stops() < seen.starts() || seen.starts() < 3 {
            assert!(start.elapsed() < LIMIT, "the threads did not stop");
            std::thread::sleep(Duration::from_millis(1));
        }
        let roles = seen.started_by_role("hb-");
        assert_eq!(roles.get("shutdown"), Some(&1), "{roles:?}");
    });
}
