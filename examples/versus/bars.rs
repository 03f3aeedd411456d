//! Issue 6's bars, for `examples/versus`: memory per idle task (parked, from part 2's rows;
//! asleep, measured here) at the end of part 2, and part 3: issue 6's workloads
//! (`benches/peers`, the code of `cargo bench --bench scheduler` and `--bench io`) for goro,
//! tokio and async-executor, each runtime in a fresh child process (echo: the three in one
//! process, in turns), the median of several runs, goro's ratio to the best peer, and
//! whether the bar for that ratio holds; and issue 15's `cpu_neighbours` against its bar
//! (`benches/peers/neighbours.rs`). Each hands its figures back for the record
//! (`record.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::peers::echo::{Echo, Net};
use super::peers::{Runtimes, neighbours, workloads};
use super::results::{ECHO_ROW, Figure, Measure, NEIGHBOURS_ROWS};
use super::{
    PEERS, Peer, Row, Workload, bytes, heading, in_child, memory, on_peer, parse_spec, thousands,
    wait_until, workers,
};

/// How long the sleeping tasks of the memory part sleep: far past the end of the program.
const HOUR: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------------------------------
// Part 2, continued: memory per idle task
// ---------------------------------------------------------------------------------------

/// Tasks of the idle-memory rows.
const IDLE_UNITS: usize = 1_000_000;
/// Issue 6's bars for goro, in bytes of RSS per task: parked on an event, asleep.
const PARKED_BAR: f64 = 128.0;
const SLEEPING_BAR: f64 = 200.0;

/// Prints memory per parked task (from part 2's rows) and per sleeping task (measured
/// here, each runtime in a fresh child process) at [`IDLE_UNITS`] tasks; returns the
/// sleeping tasks' bytes per task, by [`PEERS`].
pub(super) fn idle_memory(rows: &[Row]) -> [f64; 3] {
    println!(
        "\nmemory per idle task, {} tasks each in a fresh child process (RSS growth / N): \
         parked on one event (as above), or each in a one-hour sleep on its runtime's timer \
         (async-executor: async-io's)",
        thousands(IDLE_UNITS)
    );
    println!("{:<15} {:>9} {:>9}", "runtime", "parked", "sleeping");
    let mut goro = (0.0, 0.0);
    let mut by_peer = [0.0; PEERS.len()];
    for (peer, asleep) in PEERS.map(Peer::name).into_iter().zip(&mut by_peer) {
        let parked = rows
            .iter()
            .find(|row| row.units == IDLE_UNITS && row.name == peer)
            .expect("a parked row")
            .mem_per_unit;
        let sleeping = in_child("sleep", peer, IDLE_UNITS)("rss") / IDLE_UNITS as f64;
        *asleep = sleeping;
        if peer == "goro" {
            goro = (parked, sleeping);
        }
        println!("{peer:<15} {:>9} {:>9}", bytes(parked), bytes(sleeping));
    }
    println!(
        "{:<15} {:>9} {:>9}",
        "goro's bar",
        format!("<= {}", bytes(PARKED_BAR)),
        format!("<= {}", bytes(SLEEPING_BAR))
    );
    println!(
        "{:<15} {:>9} {:>9}",
        "bar holds",
        holds(goro.0 <= PARKED_BAR),
        holds(goro.1 <= SLEEPING_BAR)
    );
    by_peer
}

/// Spawns `units` detached tasks that each sleep for an hour on their runtime's timer,
/// measures the RSS growth once every sleep has been polled (its timer is in the runtime's
/// timer structure), prints it as `rss=BYTES virt=BYTES`, and ends the process there: the
/// sleeps are not waited for, and tearing a million of them down would only cost time.
struct Sleep {
    units: usize,
}

impl Workload for Sleep {
    type Out = ();
    fn run<E: Net>(self, exec: &E) {
        let units = self.units;
        let asleep = Arc::new(AtomicUsize::new(0));
        let before = memory();
        let spawner = {
            let (exec, asleep) = (exec.clone(), Arc::clone(&asleep));
            async move {
                for _ in 0..units {
                    // Made here, in a task: tokio's and goro's timers need their runtime.
                    exec.detach(Counted {
                        future: exec.sleep(HOUR),
                        pending: Some(Arc::clone(&asleep)),
                    });
                }
            }
        };
        exec.block_on(exec.spawn(spawner));
        wait_until(|| asleep.load(Ordering::Acquire) == units);
        let growth = memory().minus(before);
        println!("rss={} virt={}", growth.rss, growth.virt);
        std::process::exit(0);
    }
}

pin_project_lite::pin_project! {
    /// `future`, counted in `pending` the first time a poll leaves it pending.
    struct Counted<F> {
        #[pin]
        future: F,
        pending: Option<Arc<AtomicUsize>>,
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            if let Some(pending) = this.pending.take() {
                // Release: pairs with the Acquire load that waits for all.
                pending.fetch_add(1, Ordering::Release);
            }
        }
        poll
    }
}

/// Child process: `--child-sleep=PEER:UNITS` prints `rss=BYTES virt=BYTES` of growth with
/// UNITS tasks asleep, and exits.
pub(super) fn child_sleep(spec: &str) {
    let (peer, units) = parse_spec(spec);
    let peer = Peer::parse(peer).expect("unknown peer");
    on_peer(peer, workers(), Sleep { units });
}

pub(super) fn holds(yes: bool) -> &'static str {
    if yes { "yes" } else { "NO" }
}

// ---------------------------------------------------------------------------------------
// Part 3: issue 6's workloads against its bars
// ---------------------------------------------------------------------------------------

/// Child processes per runtime, started in turns (goro, tokio, async-executor, goro, ...);
/// the table shows the median over them. On this shared machine a whole process sometimes
/// runs at half speed, for every runtime alike (slow scheduling of its threads), so one
/// process per runtime could compare a slow goro with a fast peer or the reverse.
const PROCESSES: usize = 3;
/// Timed runs of each part 3 workload in each process, after one warm-up run; the process
/// reports the median.
const WORKLOAD_RUNS: usize = 3;
/// Echo runs in one child process that holds all three runtimes, in turns: each turn gives
/// each runtime a warm-up run and [`ECHO_RUNS_PER_TURN`] timed runs. Echo's runs are short
/// (tens of ms) and its ratios small, so a process's speed must not decide them: in one
/// process, turn by turn, every runtime meets the same speed.
pub(super) const ECHO_TURNS: usize = 10;
pub(super) const ECHO_RUNS_PER_TURN: usize = 3;
/// Such child processes, one after the other; ratios are the median of theirs.
pub(super) const ECHO_PROCESSES: usize = 3;
/// The echo workload: connections, and round trips on each per run (`benches/io.rs`'s
/// `echo_50_connections`).
pub(super) const ECHO_CONNECTIONS: usize = 50;
pub(super) const ECHO_ROUNDS: usize = 20;
/// Issue 6's workloads (`benches/peers/workloads.rs`): the name, what one run does, and
/// issue 6's bar: goro's time over the best peer's at most this.
const TIME_BARS: [(&str, &str, f64); 5] = [
    (
        "spawn_many",
        "100,000 detached tasks spawned from a task",
        0.8,
    ),
    (
        "spawn_join",
        "100,000 tasks spawned from a task, their handles awaited in order",
        0.8,
    ),
    (
        "yield_many",
        "200 tasks, each calling `yield_now` 1,000 times",
        1.0,
    ),
    (
        "ping_pong",
        "1,000 concurrent round trips over two oneshots",
        0.8,
    ),
    (
        "chained_spawn",
        "a chain of 1,000 tasks, each spawning the next",
        1.0,
    ),
];
/// Issue 6's bars for echo: goro's throughput over tokio's, and over the best peer's, at
/// least these.
const ECHO_BAR_TOKIO: f64 = 1.1;
const ECHO_BAR_BEST: f64 = 1.0;

/// Every shared workload (`peers::workloads`) run `runs` times, each after a warm-up run;
/// their median times by name.
struct Workloads {
    runs: usize,
}

impl Workload for Workloads {
    type Out = Vec<(&'static str, Duration)>;
    fn run<E: Net>(self, exec: &E) -> Self::Out {
        workloads::all::<E>()
            .into_iter()
            .map(|(name, workload)| (name, median(self.runs, || workload(exec))))
            .collect()
    }
}

/// One echo run on `net` (`ECHO_CONNECTIONS` connections opened here, once), timed.
pub(super) fn echo_runs<N: Net>(net: &N) -> Box<dyn FnMut() -> Duration> {
    let mut echo = Echo::start(net, ECHO_CONNECTIONS);
    Box::new(move || {
        let start = Instant::now();
        echo.round_trips(ECHO_ROUNDS);
        start.elapsed()
    })
}

/// Child process: `--child-echo=all:TURNS` runs echo on goro, tokio and async-executor in
/// this one process, `TURNS` turns of each in order, and prints `PEER=NANOSECONDS`: each
/// runtime's median run.
pub(super) fn child_echo(spec: &str) {
    let (_, turns) = parse_spec(spec);
    let runtimes = Runtimes::new(workers());
    let runs = vec![
        echo_runs(runtimes.goro.handle()),
        echo_runs(runtimes.tokio.handle()),
        echo_runs(&runtimes.async_executor.executor),
    ];
    print_echo_in_turns(&PEERS.map(Peer::name), runs, turns);
}

/// Runs each of `runs` (one per runtime, named by `peers`) in turns, `turns` times: a
/// warm-up run and [`ECHO_RUNS_PER_TURN`] timed runs each time; prints `PEER=NANOSECONDS`,
/// each runtime's median run.
pub(super) fn print_echo_in_turns(
    peers: &[&str],
    mut runs: Vec<Box<dyn FnMut() -> Duration + '_>>,
    turns: usize,
) {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); runs.len()];
    for _ in 0..turns {
        for (run, times) in runs.iter_mut().zip(&mut times) {
            run();
            times.extend((0..ECHO_RUNS_PER_TURN).map(|_| run()));
        }
    }
    for (peer, times) in peers.iter().zip(times) {
        print!("{peer}={} ", middle(times.into_iter()).as_nanos());
    }
    println!();
}

/// Calls `once` for a warm-up, then `runs` more times; the median time of those.
pub(super) fn median(runs: usize, mut once: impl FnMut()) -> Duration {
    once();
    middle((0..runs).map(|_| {
        let start = Instant::now();
        once();
        start.elapsed()
    }))
}

/// Child process: `--child-workloads=PEER:RUNS` prints `NAME=NANOSECONDS` for each workload.
pub(super) fn child_workloads(spec: &str) {
    let (peer, runs) = parse_spec(spec);
    let peer = Peer::parse(peer).expect("unknown peer");
    for (name, time) in on_peer(peer, workers(), Workloads { runs }) {
        print!("{name}={} ", time.as_nanos());
    }
    println!();
}

/// Part 3; returns its figures, in the order printed.
pub(super) fn workloads_table() -> Vec<Figure> {
    heading(&format!(
        "3. issue 6's workloads: goro vs tokio vs async-executor ({} worker threads each)",
        workers()
    ));
    println!(
        "The code of `cargo bench --bench scheduler` and `--bench io` (benches/peers). Time: \
         median over {PROCESSES} child processes per runtime, started in turns, of each \
         one's median of {WORKLOAD_RUNS} runs after a warm-up run. tcp_echo: \
         {ECHO_CONNECTIONS} loopback connections x {ECHO_ROUNDS} round trips of 64 bytes \
         per run, client and server on the runtime, in round trips per second; all three \
         runtimes in each of {ECHO_PROCESSES} child processes, {ECHO_TURNS} turns of \
         {ECHO_RUNS_PER_TURN} runs each after a warm-up run; ratios are the median of the \
         processes' ratios. Bar: issue 6's, for goro against the best peer."
    );
    let processes: Vec<_> = (0..PROCESSES)
        .map(|_| PEERS.map(|peer| in_child("workloads", peer.name(), WORKLOAD_RUNS)))
        .collect();
    let seconds = |peer: usize, name: &str| middle(processes.iter().map(|p| p[peer](name) / 1e9));
    println!();
    print_workload_row(
        "workload",
        ["goro", "tokio", "async-executor"].map(String::from),
        "goro/best peer".into(),
        "bar".into(),
        "holds",
    );
    // PEERS[0] is goro; the best peer is the faster of the other two.
    let best_peer = |name: &str| {
        (1..PEERS.len())
            .min_by(|&a, &b| seconds(a, name).total_cmp(&seconds(b, name)))
            .expect("peers")
    };
    let mut figures = Vec::new();
    for (name, what, bar) in TIME_BARS {
        let best = best_peer(name);
        let ratio = seconds(0, name) / seconds(best, name);
        print_workload_row(
            name,
            [0, 1, 2].map(|peer| time(seconds(peer, name))),
            format!("{ratio:.2} ({})", PEERS[best].name()),
            format!("<= {bar:.2}"),
            holds(ratio <= bar),
        );
        figures.push(Figure::new(
            name,
            what.into(),
            Measure::Time,
            by_runtime(|peer| seconds(peer, name)),
        ));
    }
    let echo: Vec<_> = (0..ECHO_PROCESSES)
        .map(|_| in_child("echo", "all", ECHO_TURNS))
        .collect();
    let round_trips = (ECHO_CONNECTIONS * ECHO_ROUNDS) as f64;
    // Per process, then the median over processes: a process's speed is every runtime's.
    let nanos = |peer: usize| echo.iter().map(move |p| p(PEERS[peer].name()));
    let throughput = |peer: usize| middle(nanos(peer).map(|ns| round_trips / (ns / 1e9)));
    let goro_over = |peer: usize| middle(nanos(peer).zip(nanos(0)).map(|(p, g)| p / g));
    let best = (1..PEERS.len())
        .max_by(|&a, &b| throughput(a).total_cmp(&throughput(b)))
        .expect("peers");
    let over_best = goro_over(best);
    print_workload_row(
        "tcp_echo",
        [0, 1, 2].map(|peer| rate(throughput(peer))),
        format!("{over_best:.2} ({})", PEERS[best].name()),
        format!(">= {ECHO_BAR_BEST:.2}"),
        holds(over_best >= ECHO_BAR_BEST),
    );
    let over_tokio = goro_over(1);
    print_workload_row(
        "",
        Default::default(),
        format!("{over_tokio:.2} (tokio)"),
        format!(">= {ECHO_BAR_TOKIO:.2}"),
        holds(over_tokio >= ECHO_BAR_TOKIO),
    );
    println!(
        "(\"goro/best peer\": goro's time over the faster peer's (below 1.00 goro is faster); \
         for tcp_echo, goro's round trips per second over the peer's (above 1.00 goro is \
         faster).)"
    );
    let mut echo = Figure::new(
        ECHO_ROW,
        format!(
            "round trips per second; a run is {ECHO_ROUNDS} round trips of 64 bytes on \
             each of {ECHO_CONNECTIONS} loopback connections, client and server on the runtime"
        ),
        Measure::Rate,
        by_runtime(throughput),
    );
    // The median of the processes' ratios, as printed above, not the ratio of medians.
    for peer in 1..PEERS.len() {
        echo.relative[peer] = Some(goro_over(peer));
    }
    figures.push(echo);
    figures
}

/// A figure's values by `results::RUNTIMES` from `value` by [`PEERS`]: part 3 runs no
/// thread per unit.
fn by_runtime(value: impl Fn(usize) -> f64) -> [Option<f64>; 4] {
    std::array::from_fn(|runtime| (runtime < PEERS.len()).then(|| value(runtime)))
}

/// The median of `values` (times or ratios; none is NaN).
pub(super) fn middle<T: PartialOrd>(values: impl Iterator<Item = T>) -> T {
    let mut values: Vec<T> = values.collect();
    values.sort_by(|a, b| a.partial_cmp(b).expect("a NaN among the measurements"));
    values.swap_remove(values.len() / 2)
}

fn print_workload_row(name: &str, peers: [String; 3], ratio: String, bar: String, holds: &str) {
    let [goro, tokio, async_executor] = peers;
    println!(
        "{name:<14} {goro:>11} {tokio:>11} {async_executor:>15} {ratio:>22} {bar:>9}  {holds}"
    );
}

/// A time in seconds, in ms or µs.
pub(super) fn time(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.0} µs", seconds * 1e6)
    } else {
        format!("{:.1} ms", seconds * 1e3)
    }
}

/// Round trips per second, in thousands.
pub(super) fn rate(per_second: f64) -> String {
    format!("{:.1}k rt/s", per_second / 1e3)
}

// ---------------------------------------------------------------------------------------
// Part 3, continued: issue 15's timers beside CPU-heavy tasks
// ---------------------------------------------------------------------------------------

/// `cpu_neighbours`' worker threads: issue 15's setup, whatever the machine's CPUs.
const NEIGHBOURS_WORKERS: usize = 2;
/// Child processes per runtime for `cpu_neighbours`, started in turns, one run each; the
/// table shows the median over them.
const NEIGHBOURS_PROCESSES: usize = 5;
/// Issue 15's bar: goro's p99 lateness at most this share of tokio's.
const NEIGHBOURS_BAR: f64 = 0.5;

/// One `cpu_neighbours` run of [`neighbours::SLEEPS`] sleeps.
struct Neighbours;

impl Workload for Neighbours {
    type Out = neighbours::Lateness;
    fn run<E: Net>(self, exec: &E) -> neighbours::Lateness {
        neighbours::cpu_neighbours(exec, neighbours::SLEEPS)
    }
}

/// Child process: `--child-neighbours=PEER:1` runs `cpu_neighbours` once on
/// [`NEIGHBOURS_WORKERS`] workers and prints `p50=NANOSECONDS p99=NANOSECONDS`.
pub(super) fn child_neighbours(spec: &str) {
    let (peer, _) = parse_spec(spec);
    let peer = Peer::parse(peer).expect("unknown peer");
    let late = on_peer(peer, NEIGHBOURS_WORKERS, Neighbours);
    println!("p50={} p99={}", late.p50.as_nanos(), late.p99.as_nanos());
}

/// Part 3's last rows: `cpu_neighbours`' p50 and p99 lateness on each runtime, and issue
/// 15's bar on the p99; returns them as figures ([`NEIGHBOURS_ROWS`]).
pub(super) fn neighbours_table() -> Vec<Figure> {
    println!(
        "\ncpu_neighbours: {} tasks each burn {:?} of CPU between two yields, beside a task \
         that sleeps {:?} {} times; how late the sleeps return, on {NEIGHBOURS_WORKERS} \
         workers; median over {NEIGHBOURS_PROCESSES} child processes per runtime, started \
         in turns. Bar: issue 15's, goro's p99 over tokio's.",
        neighbours::BURNERS,
        neighbours::BURN,
        neighbours::NAP,
        neighbours::SLEEPS,
    );
    let processes: Vec<_> = (0..NEIGHBOURS_PROCESSES)
        .map(|_| PEERS.map(|peer| in_child("neighbours", peer.name(), 1)))
        .collect();
    let seconds = |peer: usize, key: &str| middle(processes.iter().map(|p| p[peer](key) / 1e9));
    let mut figures = Vec::new();
    for (name, key) in NEIGHBOURS_ROWS.into_iter().zip(["p50", "p99"]) {
        let over_tokio = seconds(0, key) / seconds(1, key);
        let (bar, holds) = if key == "p99" {
            (
                format!("<= {NEIGHBOURS_BAR:.2}"),
                holds(over_tokio <= NEIGHBOURS_BAR),
            )
        } else {
            (String::new(), "")
        };
        print_workload_row(
            name,
            [0, 1, 2].map(|peer| time(seconds(peer, key))),
            format!("{over_tokio:.2} (tokio)"),
            bar,
            holds,
        );
        figures.push(Figure::new(
            name,
            format!(
                "{key} lateness of a {:?} sleep, repeated {} times beside {} tasks that each \
                 burn {:?} of CPU between two yields, on {NEIGHBOURS_WORKERS} workers",
                neighbours::NAP,
                neighbours::SLEEPS,
                neighbours::BURNERS,
                neighbours::BURN,
            ),
            Measure::Time,
            by_runtime(|peer| seconds(peer, key)),
        ));
    }
    println!(
        "(\"goro/best peer\" here: goro's lateness over tokio's; below 1.00 goro's timers \
         are more punctual.)"
    );
    figures
}
