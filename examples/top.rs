//! A small `top` for a goro runtime: runs a workload and, once a second, redraws the
//! runtime's metrics and its oldest and most-polled tasks.
//!
//! ```sh
//! cargo run --release --example top          # 10 seconds
//! cargo run --release --example top -- 60    # a minute
//! ```

use goro::{Handle, TaskInfo};
use std::time::{Duration, Instant};

/// A workload with some shape: tickers that live long, bursts of short tasks, and a task
/// that blocks its worker now and then (the monitor reports it).
async fn workload() {
    for period in [5u64, 20, 100] {
        drop(goro::spawn(async move {
            let mut ticks = goro::time::interval(Duration::from_millis(period));
            loop {
                ticks.tick().await;
            }
        }));
    }
    drop(goro::spawn(async {
        loop {
            goro::time::sleep(Duration::from_secs(3)).await;
            std::thread::sleep(Duration::from_millis(150));
        }
    }));
    loop {
        let mut burst = goro::JoinSet::new();
        for i in 0..2_000u64 {
            burst.spawn(async move {
                goro::time::sleep(Duration::from_millis(i % 50)).await;
                goro::yield_now().await;
            });
        }
        burst.join_all().await;
    }
}

fn show(handle: &Handle, started: Instant) {
    let metrics = handle.metrics();
    let mut tasks = handle.dump();
    print!("\x1b[2J\x1b[H");
    println!("goro top: {:>5.1} s", started.elapsed().as_secs_f64());
    println!(
        "workers {}  live tasks {}  spawned {}  polls {}  steals {}  parks {}",
        metrics.workers,
        metrics.live_tasks,
        metrics.spawned_tasks,
        metrics.polls,
        metrics.steals,
        metrics.parks
    );
    println!(
        "reactor wake-ups {}  global queue {}  local queues {:?}  blocking threads {} ({} idle)  blocked-worker events {}",
        metrics.reactor_wakeups,
        metrics.global_queue_depth,
        metrics.local_queue_depths,
        metrics.blocking_threads,
        metrics.blocking_idle_threads,
        metrics.blocked_worker_events
    );
    tasks.sort_by_key(|t| std::cmp::Reverse(t.age));
    print_tasks("oldest tasks", &tasks);
    tasks.sort_by_key(|t| std::cmp::Reverse(t.polls));
    print_tasks("most-polled tasks", &tasks);
}

fn print_tasks(title: &str, tasks: &[TaskInfo]) {
    println!("\n{title}");
    println!(
        "{:>8}  {:<10} {:>10} {:>10} {:>8}  location",
        "id", "state", "for", "age", "polls"
    );
    for task in tasks.iter().take(5) {
        println!(
            "{:>8}  {:<10} {:>10.1?} {:>10.1?} {:>8}  {}",
            task.id.to_string(),
            format!("{:?}", task.state),
            task.in_state_for,
            task.age,
            task.polls,
            task.location
        );
    }
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("usage: top [seconds]"))
        .unwrap_or(10);
    let runtime = goro::Runtime::new().expect("the runtime failed to start");
    let workload = runtime.spawn(workload());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        show(runtime.handle(), started);
    }
    workload.abort();
}
