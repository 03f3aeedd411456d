//! The scheduler workloads of issue 6, each written once, generic over [`Exec`], so that
//! `benches/scheduler.rs` (criterion) and `examples/versus` (its part 3 table) run the
//! same code on goro, tokio and async-executor.
//!
//! Every workload starts from a task (as Go's `main` is a goroutine) and ends when the
//! thread outside the runtime that blocks on it sees the result; one call is one iteration.
//!
//! | workload | what one call does |
//! |---|---|
//! | `spawn_many` | a task spawns 100,000 detached tasks; each decrements a countdown, the last one signals |
//! | `spawn_join` | a task spawns 100,000 tasks, then awaits their handles in order |
//! | `yield_many` | 200 tasks each `yield_now` 1,000 times; all joined |
//! | `ping_pong` | 1,000 concurrent round trips over two oneshots, two spawns each; all joined |
//! | `chained_spawn` | a chain of 1,000 tasks, each spawning the next; the last signals |
//!
//! Apart from those five, and run on its own worker counts (issue 15):
//!
//! | workload | what one call does |
//! |---|---|
//! | `timer_churn` | 100 tasks each arm a 1 s timer 10,000 times beside a `yield_now` that finishes first, which cancels the timer; all joined |

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{Either, select};

use super::{Countdown, Exec};

/// A workload and its name.
pub type Named<E> = (&'static str, fn(&E));

/// Every workload by name, in the order of the table above.
pub fn all<E: Exec>() -> [Named<E>; 5] {
    [
        ("spawn_many", spawn_many::<E>),
        ("spawn_join", spawn_join::<E>),
        ("yield_many", yield_many::<E>),
        ("ping_pong", ping_pong::<E>),
        ("chained_spawn", chained_spawn::<E>),
    ]
}

/// A task spawns 100,000 detached tasks; each decrements a countdown, the last one signals.
pub fn spawn_many<E: Exec>(exec: &E) {
    const TASKS: usize = 100_000;
    let (countdown, all_done) = Countdown::new(TASKS);
    let spawner = exec.clone();
    exec.detach(async move {
        for _ in 0..TASKS {
            let countdown = Arc::clone(&countdown);
            spawner.detach(async move { countdown.count_down() });
        }
    });
    exec.block_on(all_done).unwrap();
}

/// A task spawns 100,000 tasks, then awaits their handles in order.
pub fn spawn_join<E: Exec>(exec: &E) {
    // Issue 6 asks for 1,000,000 tasks; 100,000 keeps one iteration near 50 ms, so that
    // criterion's 20 samples fit the run (examples/versus's part 2 measures 1,000,000).
    const TASKS: usize = 100_000;
    let spawner = exec.clone();
    let sum = exec.block_on(exec.spawn(async move {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| spawner.spawn(async move { i }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        sum
    }));
    assert_eq!(sum, TASKS * (TASKS - 1) / 2);
}

/// 200 tasks each `yield_now` 1,000 times; all joined.
pub fn yield_many<E: Exec>(exec: &E) {
    const TASKS: usize = 200;
    const YIELDS: usize = 1_000;
    spawn_and_join(exec, TASKS, |spawner| {
        let yielder = spawner.clone();
        async move {
            for _ in 0..YIELDS {
                yielder.yield_now().await;
            }
        }
    });
}

/// 1,000 concurrent round trips over two oneshots, two spawns each; all joined.
pub fn ping_pong<E: Exec>(exec: &E) {
    const ROUND_TRIPS: usize = 1_000;
    spawn_and_join(exec, ROUND_TRIPS, |spawner| {
        let ponger = spawner.clone();
        async move {
            let (ping, pinged) = oneshot::channel::<()>();
            let (pong, ponged) = oneshot::channel::<()>();
            ponger.detach(async move {
                pinged.await.unwrap();
                pong.send(()).unwrap();
            });
            ping.send(()).unwrap();
            ponged.await.unwrap();
        }
    });
}

/// From a task, spawns `tasks` tasks that `task` makes (given the spawner's handle) and
/// awaits them in order; returns when the outside thread sees that task end.
fn spawn_and_join<E: Exec, F>(exec: &E, tasks: usize, task: fn(&E) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let spawner = exec.clone();
    exec.block_on(exec.spawn(async move {
        let handles: Vec<_> = (0..tasks).map(|_| spawner.spawn(task(&spawner))).collect();
        for handle in handles {
            handle.await;
        }
    }));
}

/// A chain of 1,000 tasks, each spawning the next; the last signals.
pub fn chained_spawn<E: Exec>(exec: &E) {
    const DEPTH: usize = 1_000;
    fn link<E: Exec>(exec: E, done: oneshot::Sender<()>, left: usize) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            let next = exec.clone();
            exec.detach(async move { link(next, done, left - 1) });
        }
    }
    let (done, all_done) = oneshot::channel();
    let first = exec.clone();
    exec.detach(async move { link(first, done, DEPTH - 1) });
    exec.block_on(all_done).unwrap();
}

/// Tasks of [`timer_churn`].
pub const CHURN_TASKS: usize = 100;
/// Timers each task of [`timer_churn`] arms and cancels.
pub const CHURN_ARMS: usize = 10_000;

/// The request-timeout pattern (issue 15): [`CHURN_TASKS`] tasks each arm a 1 s timer
/// [`CHURN_ARMS`] times beside work that finishes first (a `yield_now`), which drops the
/// timer, cancelling it; all joined. The timer is polled once (armed) while the yield is
/// pending, as a `select` between a request and its timeout polls both.
pub fn timer_churn<E: Exec>(exec: &E) {
    spawn_and_join(exec, CHURN_TASKS, |spawner| {
        let exec = spawner.clone();
        async move {
            for _ in 0..CHURN_ARMS {
                let work = pin!(exec.yield_now());
                let timeout = pin!(exec.sleep(Duration::from_secs(1)));
                match select(work, timeout).await {
                    Either::Left(((), _timeout)) => {}
                    Either::Right(_) => panic!("a 1 s timer fired before a yield"),
                }
            }
        }
    });
}
