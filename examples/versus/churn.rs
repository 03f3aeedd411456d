//! Part 4 of versus: `timer_churn` (issue 15), the request-timeout pattern
//! (`benches/peers/workloads.rs`): a timer armed beside work that finishes first, then
//! cancelled. On 2 workers goro runs against tokio's multi-thread runtime and
//! async-executor (smol's timers, from async-io); on 1 worker against tokio's
//! current-thread runtime. Each runtime runs in a fresh child process
//! (`--child-churn=PEER:RUNS`), [`PROCESSES`] of them per runtime, started in turns; the
//! table shows the median over them of each one's median run, in nanoseconds per arm and
//! cancel, and whether issue 15's bars hold: goro at or below the best peer on 2 workers,
//! at or below tokio's current-thread runtime on 1.

use super::peers::tokio_current::TokioCurrentThread;
use super::peers::workloads::{CHURN_ARMS, CHURN_TASKS, timer_churn};
use super::peers::{AsyncExecutorPool, Exec, goro_runtime, tokio_runtime};
use super::results::{CHURN_ROWS, Figure, Measure};
use super::{heading, in_child, parse_spec, thousands};
use std::time::Instant;

/// Child processes per runtime; the table shows the median over them.
const PROCESSES: usize = 3;
/// Timed runs in each child, after one warm-up run; the child reports the median.
const RUNS: usize = 3;

/// The runtimes measured, by the name their child takes: the 2-worker ones, then the
/// 1-worker ones.
const TWO_WORKERS: [&str; 3] = ["goro", "tokio", "async-executor"];
const ONE_WORKER: [&str; 2] = ["goro-1", "tokio-current-thread"];

/// Child process: `--child-churn=PEER:RUNS` prints `ns=NANOSECONDS` per arm and cancel.
pub(super) fn child_churn(spec: &str) {
    let (peer, runs) = parse_spec(spec);
    let ns = match peer {
        "goro" => per_arm(goro_runtime(2).handle(), runs),
        "tokio" => per_arm(tokio_runtime(2).handle(), runs),
        "async-executor" => per_arm(&AsyncExecutorPool::new(2).executor, runs),
        "goro-1" => per_arm(goro_runtime(1).handle(), runs),
        "tokio-current-thread" => per_arm(&TokioCurrentThread::new(), runs),
        other => panic!("unknown churn peer {other}"),
    };
    println!("ns={ns}");
}

/// The median of `runs` timed runs of `timer_churn` on `exec`, after a warm-up run, in
/// nanoseconds per arm and cancel.
fn per_arm<E: Exec>(exec: &E, runs: usize) -> f64 {
    timer_churn(exec);
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            timer_churn(exec);
            start.elapsed().as_nanos() as f64 / (CHURN_TASKS * CHURN_ARMS) as f64
        })
        .collect();
    median(&mut times)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Part 4; returns its two figures (2 workers, 1 worker).
pub(super) fn table() -> Vec<Figure> {
    heading("4. timer churn: a timer armed beside a yield that finishes first, cancelled");
    println!(
        "{} tasks each arm a 1 s timer {} times in a `select` with `yield_now`; ns per arm \
         and cancel. Median over {PROCESSES} child processes per runtime, started in turns, \
         of each one's median of {RUNS} runs after a warm-up run. Bars (issue 15): goro at \
         or below the best peer on 2 workers, at or below tokio's current-thread runtime on 1.",
        CHURN_TASKS,
        thousands(CHURN_ARMS)
    );
    let every: Vec<&str> = TWO_WORKERS.into_iter().chain(ONE_WORKER).collect();
    let processes: Vec<Vec<f64>> = (0..PROCESSES)
        .map(|_| {
            every
                .iter()
                .map(|peer| in_child("churn", peer, RUNS)("ns"))
                .collect()
        })
        .collect();
    let ns = |peer: &str| {
        let at = every.iter().position(|p| *p == peer).expect("a churn peer");
        median(&mut processes.iter().map(|p| p[at]).collect::<Vec<_>>())
    };
    println!(
        "\n{:<10} {:>8} {:>8} {:>15} {:>21} {:>9}  holds",
        "workers", "goro", "tokio", "async-executor", "goro/best peer", "bar"
    );
    let two = TWO_WORKERS.map(ns);
    let (best, best_ns) = (1..two.len())
        .map(|peer| (TWO_WORKERS[peer], two[peer]))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("peers");
    let ratio = two[0] / best_ns;
    println!(
        "{:<10} {:>8} {:>8} {:>15} {:>21} {:>9}  {}",
        "2",
        format!("{:.0} ns", two[0]),
        format!("{:.0} ns", two[1]),
        format!("{:.0} ns", two[2]),
        format!("{ratio:.2} ({best})"),
        "<= 1.00",
        holds(ratio <= 1.0)
    );
    let one = ONE_WORKER.map(ns);
    let ratio = one[0] / one[1];
    println!(
        "{:<10} {:>8} {:>8} {:>15} {:>21} {:>9}  {}",
        "1",
        format!("{:.0} ns", one[0]),
        format!("{:.0} ns", one[1]),
        "",
        format!("{ratio:.2} (tokio c-t)"),
        "<= 1.00",
        holds(ratio <= 1.0)
    );
    println!("(1 worker: tokio's column is its current-thread runtime.)");
    let seconds = |ns: f64| Some(ns / 1e9);
    vec![
        Figure::new(
            CHURN_ROWS[0],
            format!(
                "time per timer armed and cancelled, 2 workers: {CHURN_TASKS} tasks each arm a \
                 1 s timer {} times beside a yield that finishes first",
                thousands(CHURN_ARMS)
            ),
            Measure::Time,
            [seconds(two[0]), seconds(two[1]), seconds(two[2]), None],
        ),
        Figure::new(
            CHURN_ROWS[1],
            "timer_churn on 1 worker; tokio's column is its current-thread runtime".into(),
            Measure::Time,
            [seconds(one[0]), seconds(one[1]), None, None],
        ),
    ]
}

fn holds(yes: bool) -> &'static str {
    if yes { "yes" } else { "NO" }
}
