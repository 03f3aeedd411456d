//! `cpu_neighbours` (issue 15): [`BURNERS`] tasks that each burn [`BURN`] of CPU between
//! two `yield_now`s, beside one task that sleeps [`NAP`] again and again and notes how late
//! each sleep returns. With two workers every worker is busy with burners all the time, so
//! the figure says how long a runtime keeps a due timer waiting behind CPU-heavy tasks that
//! do yield. Written once, generic over [`Exec`], for `benches/scheduler.rs` and
//! `examples/versus`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Exec;

/// Tasks that burn CPU.
pub const BURNERS: usize = 4;
/// How long each burner spins between two yields, on the wall clock (on a loaded machine
/// its polls then last as long, though it gets less of the CPU).
pub const BURN: Duration = Duration::from_millis(20);
/// How long the sleeper asks to sleep each time.
pub const NAP: Duration = Duration::from_millis(1);
/// Sleeps per run (the figure).
pub const SLEEPS: usize = 100;

/// How late the sleeps of one run returned, past [`NAP`]: the median and the 99th
/// percentile (nearest rank).
#[derive(Clone, Copy, Debug)]
pub struct Lateness {
    pub p50: Duration,
    pub p99: Duration,
}

impl Lateness {
    fn of(mut late: Vec<Duration>) -> Lateness {
        late.sort();
        let rank = |p: f64| late[((p * late.len() as f64).ceil() as usize).max(1) - 1];
        Lateness {
            p50: rank(0.50),
            p99: rank(0.99),
        }
    }
}

/// One run: a task (as Go's `main` is a goroutine) spawns the burners, then sleeps [`NAP`]
/// `sleeps` times, noting how late each sleep returns; then it stops the burners and joins
/// them.
pub fn cpu_neighbours<E: Exec>(exec: &E, sleeps: usize) -> Lateness {
    let spawner = exec.clone();
    let late = exec.block_on(exec.spawn(async move {
        let stop = Arc::new(AtomicBool::new(false));
        let burners: Vec<_> = (0..BURNERS)
            .map(|_| spawner.spawn(burn(spawner.clone(), Arc::clone(&stop))))
            .collect();
        let mut late = Vec::with_capacity(sleeps);
        for _ in 0..sleeps {
            let start = Instant::now();
            spawner.sleep(NAP).await;
            late.push(start.elapsed().saturating_sub(NAP));
        }
        // Relaxed: the burners only need to see it at some point; the joins order the rest.
        stop.store(true, Ordering::Relaxed);
        for burner in burners {
            burner.await;
        }
        late
    }));
    Lateness::of(late)
}

/// Spins for [`BURN`], then yields, until `stop`.
async fn burn<E: Exec>(exec: E, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let start = Instant::now();
        while start.elapsed() < BURN {
            std::hint::spin_loop();
        }
        exec.yield_now().await;
    }
}
