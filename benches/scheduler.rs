//! Scheduler benchmarks: goro beside tokio's multi-thread runtime and async-executor, all
//! with 2 worker threads, in one criterion run (`cargo bench --bench scheduler`).
//!
//! The workloads (`spawn_many`, `spawn_join`, `yield_many`, `ping_pong`, `chained_spawn`)
//! are `peers::workloads`, shared with `examples/versus`: each is written once, generic over
//! the small `Exec` trait that each runtime's handle implements. The runtimes are built once,
//! before any measurement; one criterion group per workload, one function per runtime.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

/// Worker threads of every runtime.
const WORKERS: usize = 2;

// Shared with the other benches; this one takes the runtimes and the scheduler workloads.
#[allow(dead_code)]
mod peers;

use peers::{Runtimes, workloads};

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

criterion_group!(benches, scheduler);
criterion_main!(benches);
