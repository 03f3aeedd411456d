//! I/O and timer costs: goro side by side with tokio's multi-thread runtime and
//! async-executor (the same number of workers), in one run so that the ratios are read off
//! one report:
//!
//! - `echo_1_connection`: one client task doing 100 round trips of 64 bytes with an echo
//!   task over one loopback connection;
//! - `echo_50_connections`: 50 client tasks doing 20 round trips each at once (1,000 round
//!   trips per iteration), against 50 echo tasks;
//! - `timer_insert_cancel` (goro and tokio): create a one-hour sleep, poll it once (which
//!   inserts its timer), drop it (which cancels it).
//!
//! The echo workload is `peers::echo`, shared with `examples/versus`: client and server run
//! in the same runtime, connections are opened once, outside the measurement; async-executor
//! uses smol's reactor (`async-io`). `cargo bench --bench io`; criterion prints round trips
//! (elements) per second.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use std::pin::pin;
use std::time::{Duration, Instant};

// Shared with the other benches; this one takes the runtimes and the echo workload.
#[allow(dead_code)]
mod peers;

use peers::Runtimes;
use peers::echo::{Echo, Net};

const WORKERS: usize = 2;
const HOUR: Duration = Duration::from_secs(3600);

/// Registers one runtime's echo benchmark: `connections` connections, `rounds` round trips
/// on each per iteration.
fn echo_bench<N: Net>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    net: &N,
    connections: usize,
    rounds: usize,
) {
    let mut echo = Echo::start(net, connections);
    group.bench_function(name, |b| b.iter(|| echo.round_trips(rounds)));
}

fn echo(c: &mut Criterion) {
    let runtimes = Runtimes::new(WORKERS);
    for (group_name, connections, rounds) in [
        ("echo_1_connection", 1, 100),
        ("echo_50_connections", 50, 20),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements((connections * rounds) as u64));
        let goro = runtimes.goro.handle();
        echo_bench(&mut group, "goro", goro, connections, rounds);
        let tokio = runtimes.tokio.handle();
        echo_bench(&mut group, "tokio", tokio, connections, rounds);
        let async_executor = &runtimes.async_executor.executor;
        echo_bench(
            &mut group,
            "async-executor",
            async_executor,
            connections,
            rounds,
        );
        group.finish();
    }
}

fn timer_insert_cancel(c: &mut Criterion) {
    let runtimes = Runtimes::new(WORKERS);
    let mut group = c.benchmark_group("timer_insert_cancel");
    group.bench_function("goro", |b| {
        b.iter_custom(|iters| {
            runtimes.goro.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut sleep = pin!(goro::time::sleep(HOUR));
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            runtimes.tokio.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut sleep = pin!(tokio::time::sleep(HOUR));
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
    targets = echo, timer_insert_cancel
}
criterion_main!(benches);
