//! What seeing inside costs: spawn_many and yield_many on a 2-worker goro runtime with the
//! monitor on (`Builder::new()`, threshold 100 ms) and off (`.blocking_threshold(None)`),
//! one criterion group per workload (`cargo bench --bench overhead`).
//!
//! | group | what one iteration does |
//! |---|---|
//! | `spawn_many` | a task spawns 100,000 detached tasks; each decrements a countdown, the last one signals a oneshot |
//! | `yield_many` | 200 tasks each `goro::yield_now` 1,000 times; all joined |
//!
//! What is and is not switched off:
//! - The metrics counters cannot be turned off, so there is no "metrics off" line: each is
//!   a per-worker `AtomicU64` in the worker's own cache line, bumped with a plain `Relaxed`
//!   load and store (no read-modify-write, no shared line), and summed only when read.
//! - The monitor's hot-path cost is two such stores per poll (polls started and finished)
//!   plus recording the polled task's id and location for its report. Those are paid either
//!   way; `blocking_threshold(None)` removes the monitor thread itself: its tick (every
//!   25 ms at the default threshold), the samples it reads from the workers' counters, and
//!   the wake-up a worker sends it when it unparks.
//!
//! So the `on`/`off` ratio measures what the monitor thread costs a busy runtime; the cost
//! of the counters is inside both lines (compare with `benches/scheduler.rs` against tokio
//! and async-executor, which count nothing).

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

/// Worker threads of both runtimes.
const WORKERS: usize = 2;

// Shared with the other benches; this one takes only its `Countdown`.
#[allow(dead_code)]
mod peers;

use peers::Countdown;

/// A task spawns 100,000 detached tasks; the last to finish signals.
fn spawn_many(runtime: &goro::Runtime) {
    const TASKS: usize = 100_000;
    let (countdown, all_done) = Countdown::new(TASKS);
    drop(runtime.spawn(async move {
        for _ in 0..TASKS {
            let countdown = Arc::clone(&countdown);
            drop(goro::spawn(async move { countdown.count_down() }));
        }
    }));
    runtime.block_on(all_done).unwrap();
}

/// 200 tasks yield 1,000 times each; all joined from a task.
fn yield_many(runtime: &goro::Runtime) {
    const TASKS: usize = 200;
    const YIELDS: usize = 1_000;
    let joined = runtime.spawn(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                goro::spawn(async {
                    for _ in 0..YIELDS {
                        goro::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    runtime.block_on(joined).unwrap();
}

/// One iteration of a workload on the given runtime.
type Workload = fn(&goro::Runtime);

fn overhead(c: &mut Criterion) {
    let monitor_on = goro::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .expect("goro runtime");
    let monitor_off = goro::Builder::new()
        .worker_threads(WORKERS)
        .blocking_threshold(None)
        .build()
        .expect("goro runtime");
    let workloads: [(&str, Workload); 2] = [("spawn_many", spawn_many), ("yield_many", yield_many)];
    for (name, workload) in workloads {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        group.bench_function("monitor_on", |b| b.iter(|| workload(&monitor_on)));
        group.bench_function("monitor_off", |b| b.iter(|| workload(&monitor_off)));
        group.finish();
    }
}

criterion_group!(benches, overhead);
criterion_main!(benches);
