//! Scheduler benchmarks: goro beside tokio's multi-thread runtime and async-executor, all
//! with 2 worker threads, in one criterion run (`cargo bench --bench scheduler`).
//!
//! The workloads (`spawn_many`, `spawn_join`, `yield_many`, `ping_pong`, `chained_spawn`)
//! are `peers::workloads`, shared with `examples/versus`: each is written once, generic over
//! the small `Exec` trait that each runtime's handle implements. The runtimes are built once,
//! before any measurement; one criterion group per workload, one function per runtime.
//!
//! `cpu_neighbours_p99` (issue 15, `peers::neighbours`) measures lateness, not time: each
//! iteration is one run of [`NEIGHBOURS_SLEEPS`] sleeps beside the CPU-heavy tasks, and
//! what criterion records as the iteration's time is that run's p99 lateness.

use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

/// Worker threads of every runtime.
const WORKERS: usize = 2;

// Shared with the other benches; this one takes the runtimes and the scheduler workloads.
#[allow(dead_code)]
mod peers;

use peers::{Exec, Runtimes, neighbours, workloads};

/// Sleeps per `cpu_neighbours` iteration: fewer than versus's hundred, so that criterion's
/// samples take seconds, not minutes.
const NEIGHBOURS_SLEEPS: usize = 20;

fn scheduler(c: &mut Criterion) {
    let runtimes = Runtimes::new(WORKERS);
    let (goro, tokio) = (runtimes.goro.handle(), runtimes.tokio.handle());
    let async_executor = &runtimes.async_executor.executor;
    // The same workloads, instantiated for each runtime's handle type.
    let each = workloads::all()
        .into_iter()
        .zip(workloads::all())
        .zip(workloads::all());
    for (((name, on_goro), (_, on_tokio)), (_, on_async_executor)) in each {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        group.bench_function("goro", |b| b.iter(|| on_goro(goro)));
        group.bench_function("tokio", |b| b.iter(|| on_tokio(tokio)));
        group.bench_function("async-executor", |b| {
            b.iter(|| on_async_executor(async_executor))
        });
        group.finish();
    }
}

/// `cpu_neighbours`' p99 lateness on each runtime (see the module doc); one iteration per
/// sample (`Flat`, and a target time of 1 ms: every iteration takes about a second of real
/// time, whatever it reports), so criterion's warning that the samples do not fit in 1 ms is
/// expected.
fn cpu_neighbours(c: &mut Criterion) {
    let runtimes = Runtimes::new(WORKERS);
    let mut group = c.benchmark_group("cpu_neighbours_p99");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    group.bench_function("goro", |b| {
        b.iter_custom(|iters| p99_total(runtimes.goro.handle(), iters))
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| p99_total(runtimes.tokio.handle(), iters))
    });
    group.bench_function("async-executor", |b| {
        b.iter_custom(|iters| p99_total(&runtimes.async_executor.executor, iters))
    });
    group.finish();
}

/// The sum of the p99 lateness of `iters` runs of `cpu_neighbours` on `exec`.
fn p99_total<E: Exec>(exec: &E, iters: u64) -> Duration {
    (0..iters)
        .map(|_| neighbours::cpu_neighbours(exec, NEIGHBOURS_SLEEPS).p99)
        .sum()
}

criterion_group!(benches, scheduler, cpu_neighbours);
criterion_main!(benches);
