//! Timer benchmarks (issue 15): `timer_churn`, the request-timeout pattern, in one criterion
//! run (`cargo bench --bench timers`). On 2 workers goro runs beside tokio's multi-thread
//! runtime and async-executor (smol's timers, from async-io); on 1 worker beside tokio's
//! current-thread runtime. The workload is `peers::workloads::timer_churn`, shared with
//! `examples/versus`; one iteration arms and cancels `CHURN_TASKS * CHURN_ARMS` timers.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// Shared with the other benches; this one takes the runtimes and the churn workload.
#[allow(dead_code)]
mod peers;

use peers::tokio_current::TokioCurrentThread;
use peers::workloads::{CHURN_ARMS, CHURN_TASKS, timer_churn};
use peers::{AsyncExecutorPool, goro_runtime, tokio_runtime};

fn churn(c: &mut Criterion) {
    let arms = (CHURN_TASKS * CHURN_ARMS) as u64;
    {
        let mut group = c.benchmark_group("timer_churn/2 workers");
        configure(&mut group, arms);
        let goro = goro_runtime(2);
        group.bench_function("goro", |b| b.iter(|| timer_churn(goro.handle())));
        drop(goro);
        let tokio = tokio_runtime(2);
        group.bench_function("tokio", |b| b.iter(|| timer_churn(tokio.handle())));
        drop(tokio);
        let pool = AsyncExecutorPool::new(2);
        group.bench_function("async-executor", |b| b.iter(|| timer_churn(&pool.executor)));
        group.finish();
    }
    let mut group = c.benchmark_group("timer_churn/1 worker");
    configure(&mut group, arms);
    let goro = goro_runtime(1);
    group.bench_function("goro", |b| b.iter(|| timer_churn(goro.handle())));
    drop(goro);
    let tokio = TokioCurrentThread::new();
    group.bench_function("tokio current-thread", |b| b.iter(|| timer_churn(&tokio)));
    group.finish();
}

/// Few samples (a run arms a million timers) and throughput in timers, so that criterion
/// prints the time per arm and cancel.
fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    arms: u64,
) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(arms));
}

criterion_group!(benches, churn);
criterion_main!(benches);
