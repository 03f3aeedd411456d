//! Part 5 of versus: the current-thread flavour (issue 16). goro's current-thread runtime
//! (`Builder::new_current_thread`) against tokio's, each driven by the `block_on` of the
//! program's main thread with no worker thread: four of issue 6's workloads
//! (`benches/peers/workloads.rs`) and TCP echo (`benches/peers/echo.rs`), against issue 16's
//! bars.
//!
//! As in part 3: each runtime's workloads run in fresh child processes
//! (`--child-current=PEER:RUNS`, PEER `goro` or `tokio`), [`PROCESSES`] per runtime, started
//! in turns, each reporting its median of [`RUNS`] runs after a warm-up run; the table shows
//! the median over the processes. Echo runs both runtimes in one child process, in turns
//! (`--child-current-echo=all:TURNS`), so that they meet the same process speed, with part
//! 3's connections, rounds and turns; its ratio is the median of the processes' ratios.

use super::bars::{
    ECHO_CONNECTIONS, ECHO_PROCESSES, ECHO_ROUNDS, ECHO_RUNS_PER_TURN, ECHO_TURNS, echo_runs,
    holds, median, middle, print_echo_in_turns, rate, time,
};
use super::peers::tokio_current::TokioCurrentThread;
use super::peers::{Exec, goro_current_runtime, workloads};
use super::results::{CURRENT_THREAD_ECHO_ROW, CURRENT_THREAD_ROWS, Figure, Measure};
use super::{heading, in_child, parse_spec};

/// The runtimes measured, by the name their child takes.
const PEERS: [&str; 2] = ["goro", "tokio"];
/// Child processes per runtime; the table shows the median over them.
const PROCESSES: usize = 3;
/// Timed runs of each workload in each child, after one warm-up run; the child reports the
/// median.
const RUNS: usize = 3;
/// Issue 16's bars: goro's time over tokio's at most this, by workload (in the order of
/// [`CURRENT_THREAD_ROWS`]).
const BARS: [(&str, f64); 4] = [
    ("spawn_many", 0.8),
    ("spawn_join", 0.8),
    ("ping_pong", 0.8),
    ("chained_spawn", 1.0),
];
/// Issue 16's bar for echo: goro's round trips per second over tokio's at least this.
const ECHO_BAR: f64 = 1.0;

/// Child process: `--child-current=PEER:RUNS` prints `NAME=NANOSECONDS` for each workload
/// of [`BARS`] on PEER's current-thread runtime.
pub(super) fn child_current(spec: &str) {
    let (peer, runs) = parse_spec(spec);
    match peer {
        "goro" => print_workloads(goro_current_runtime().handle(), runs),
        "tokio" => print_workloads(&TokioCurrentThread::new(), runs),
        other => panic!("unknown current-thread peer {other}"),
    }
}

/// The median time of `runs` runs of each workload of [`BARS`] on `exec`, printed.
fn print_workloads<E: Exec>(exec: &E, runs: usize) {
    for (name, workload) in workloads::all::<E>() {
        if BARS.iter().any(|(bar, _)| *bar == name) {
            print!("{name}={} ", median(runs, || workload(exec)).as_nanos());
        }
    }
    println!();
}

/// Child process: `--child-current-echo=all:TURNS` runs echo on goro's and tokio's
/// current-thread runtimes in this one process, `TURNS` turns of each in order, and prints
/// `PEER=NANOSECONDS`: each runtime's median run.
pub(super) fn child_current_echo(spec: &str) {
    let (_, turns) = parse_spec(spec);
    let goro = goro_current_runtime();
    let tokio = TokioCurrentThread::new();
    let runs = vec![echo_runs(goro.handle()), echo_runs(&tokio)];
    print_echo_in_turns(&PEERS, runs, turns);
}

/// Part 5; returns its figures, in the order printed.
pub(super) fn table() -> Vec<Figure> {
    heading("5. the current-thread flavour: goro's current-thread runtime vs tokio's");
    println!(
        "No worker threads: the main thread's block_on runs every task and socket. Time: \
         median over {PROCESSES} child processes per runtime, started in turns, of each \
         one's median of {RUNS} runs after a warm-up run. tcp_echo: {ECHO_CONNECTIONS} \
         loopback connections x {ECHO_ROUNDS} round trips of 64 bytes per run, both \
         runtimes in each of {ECHO_PROCESSES} child processes, {ECHO_TURNS} turns of \
         {ECHO_RUNS_PER_TURN} runs each after a warm-up run; the ratio is the median of the \
         processes' ratios. Bars: issue 16's, goro against tokio's current-thread runtime."
    );
    let processes: Vec<_> = (0..PROCESSES)
        .map(|_| PEERS.map(|peer| in_child("current", peer, RUNS)))
        .collect();
    let seconds = |peer: usize, name: &str| middle(processes.iter().map(|p| p[peer](name) / 1e9));
    println!(
        "\n{:<14} {:>11} {:>11} {:>14} {:>9}  holds",
        "workload", "goro", "tokio", "goro/tokio", "bar"
    );
    let mut figures = Vec::new();
    for ((name, bar), row) in BARS.into_iter().zip(CURRENT_THREAD_ROWS) {
        let (goro, tokio) = (seconds(0, name), seconds(1, name));
        let ratio = goro / tokio;
        println!(
            "{name:<14} {:>11} {:>11} {:>14} {:>9}  {}",
            time(goro),
            time(tokio),
            format!("{ratio:.2}"),
            format!("<= {bar:.2}"),
            holds(ratio <= bar)
        );
        figures.push(Figure::new(
            row,
            format!("{name} (issue 6's workload) on the current-thread runtimes"),
            Measure::Time,
            [Some(goro), Some(tokio), None, None],
        ));
    }
    let echo: Vec<_> = (0..ECHO_PROCESSES)
        .map(|_| in_child("current-echo", "all", ECHO_TURNS))
        .collect();
    let round_trips = (ECHO_CONNECTIONS * ECHO_ROUNDS) as f64;
    let nanos = |peer: usize| echo.iter().map(move |p| p(PEERS[peer]));
    let throughput = |peer: usize| middle(nanos(peer).map(|ns| round_trips / (ns / 1e9)));
    let goro_over_tokio = middle(nanos(1).zip(nanos(0)).map(|(tokio, goro)| tokio / goro));
    println!(
        "{:<14} {:>11} {:>11} {:>14} {:>9}  {}",
        "tcp_echo",
        rate(throughput(0)),
        rate(throughput(1)),
        format!("{goro_over_tokio:.2}"),
        format!(">= {ECHO_BAR:.2}"),
        holds(goro_over_tokio >= ECHO_BAR)
    );
    println!(
        "(\"goro/tokio\": goro's time over tokio's (below 1.00 goro is faster); for tcp_echo, \
         goro's round trips per second over tokio's (above 1.00 goro is faster).)"
    );
    let mut echo = Figure::new(
        CURRENT_THREAD_ECHO_ROW,
        format!(
            "tcp_echo on the current-thread runtimes: round trips per second, {ECHO_ROUNDS} \
             round trips of 64 bytes on each of {ECHO_CONNECTIONS} loopback connections per run"
        ),
        Measure::Rate,
        [Some(throughput(0)), Some(throughput(1)), None, None],
    );
    // The median of the processes' ratios, as printed above, not the ratio of medians.
    echo.relative[1] = Some(goro_over_tokio);
    figures.push(echo);
    figures
}
