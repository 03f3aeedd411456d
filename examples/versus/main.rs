//! `cargo run --release --example versus`: goro against Go's examples, tokio, async-executor
//! and thread-per-task.
//!
//! Part 1 retells the Go programs that goroutines are taught with (spawn and wait, the shared
//! counter, `main` returning early) in goro. Part 2 prints a table: the time to spawn and
//! join 10,000 and 1,000,000 trivial units, and the memory each unit costs while parked,
//! for goro, tokio's multi-thread runtime, async-executor and one OS thread per unit; then
//! the memory per task of 1,000,000 tasks parked and of 1,000,000 tasks in a one-hour sleep,
//! against issue 6's bars. Part 3 prints issue 6's workloads (`benches/peers`: the code of
//! `cargo bench --bench scheduler` and `--bench io`) for goro, tokio and async-executor, the
//! median of several runs each, goro's ratio to the best peer, and whether issue 6's bar for
//! that ratio holds; then issue 15's `cpu_neighbours`: how late a 1 ms sleep returns beside
//! tasks that burn CPU between yields, against issue 15's bar. The sleeping-task memory and
//! part 3, with the issues' bars, are in `bars.rs`. Part 4 (`churn.rs`) is issue 15's timer
//! churn against its bars, on 2 workers and on 1. Part 5 (`current.rs`) is issue 16's
//! current-thread flavour: goro's current-thread runtime against tokio's, with issue 16's
//! bars. Last, every figure of parts 2 to 5 goes into `target/versus.md`, the table
//! README.md shows, and `target/versus.svg`, its chart (`record.rs`, `results.rs`,
//! `chart.rs`).
//!
//! Every runtime gets the same number of worker threads (the number of CPUs) and runs the
//! same generic workload through the small [`Exec`] trait (and [`Net`] for echo). Each cell
//! of part 2, and each runtime's column of part 3, is measured in a fresh child process: the
//! example re-runs itself with the hidden argument `--child-time=PEER:UNITS`,
//! `--child-mem=PEER:UNITS`, `--child-sleep=PEER:UNITS`, `--child-workloads=PEER:RUNS`,
//! `--child-neighbours=PEER:1`, `--child-churn=PEER:RUNS` or `--child-current=PEER:RUNS`
//! (PEER: goro, tokio, async-executor, or threads for the first two; `cpu_neighbours` runs
//! on two workers, issue 15's setup; part 5's on the current-thread runtimes), so that what
//! one runtime left in the allocator does not bias the next one's numbers. TCP echo, which
//! allocates little, runs all its runtimes in one child process, in turns
//! (`--child-echo=all:TURNS`, `--child-current-echo=all:TURNS`), so that they meet the same
//! process speed.
//! `--child-time=goro:1000000` is also a handy target for `perf stat` or
//! `valgrind --tool=callgrind`.

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// The task counts of the table's rows.
const SIZES: [usize; 2] = [10_000, 1_000_000];
/// Threads alive at once: more than this and the spawn loop starts to fight the OS limits
/// (`ulimit -u`, `vm.max_map_count`), so larger runs go in waves of this size.
const THREAD_WAVE: usize = 10_000;
/// How many threads the 1,000,000 row really runs; its time per unit is extrapolated.
const THREAD_CAP: usize = 30_000;
/// Timed runs per cell of 10,000 tasks, after one warm-up run; the table shows the best.
const TIME_RUNS: usize = 5;
/// Timed runs per cell of 1,000,000 tasks, and of threads (they take seconds each).
const SLOW_RUNS: usize = 2;
fn main() {
    if let Some(arg) = std::env::args().nth(1) {
        if let Some(spec) = arg.strip_prefix("--child-time=") {
            child_time(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-mem=") {
            child_mem(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-sleep=") {
            bars::child_sleep(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-workloads=") {
            bars::child_workloads(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-echo=") {
            bars::child_echo(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-churn=") {
            churn::child_churn(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-neighbours=") {
            bars::child_neighbours(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-current=") {
            current::child_current(spec);
        } else if let Some(spec) = arg.strip_prefix("--child-current-echo=") {
            current::child_current_echo(spec);
        } else {
            eprintln!("versus takes no arguments: cargo run --release --example versus");
            std::process::exit(2);
        }
        return;
    }
    if cfg!(debug_assertions) {
        println!(
            "(debug build: numbers are meaningless; use `cargo run --release --example versus`)"
        );
    }
    let taken = record::taken();
    seed_wait_group();
    seed_counter();
    seed_main_returns();
    let (spawn_join, memory) = table();
    let workloads = spawn_join
        .into_iter()
        .chain(bars::workloads_table())
        .chain(churn::table())
        .chain(bars::neighbours_table())
        .chain(current::table())
        .collect();
    record::write(&Results {
        taken,
        workloads,
        memory,
    });
}

fn heading(title: &str) {
    println!("\n== {title} ==");
}

// ---------------------------------------------------------------------------------------
// Part 1: Go's seed programs in goro
// ---------------------------------------------------------------------------------------

/// Go: `wg.Add(2); go ...; go ...; wg.Wait(); fmt.Println("All done")`.
fn seed_wait_group() {
    heading("1a. spawn and wait: Go's sync.WaitGroup is goro::JoinSet");
    goro::run(async {
        let mut wg = goro::JoinSet::new();
        wg.spawn(async { println!("Goroutine 1 done") });
        wg.spawn(async { println!("Goroutine 2 done") });
        wg.join_all().await;
        println!("All done");
    });
}

/// Go: 1000 goroutines doing `mu.Lock(); counter++; mu.Unlock()`, then a `time.Sleep`.
fn seed_counter() {
    heading("1b. the counter: 1000 tasks increment one Mutex-guarded counter");
    let counter = Arc::new(Mutex::new(0u32));
    let total = goro::run(async move {
        let mut set = goro::JoinSet::new();
        for _ in 0..1000 {
            let counter = Arc::clone(&counter);
            set.spawn(async move { *counter.lock().unwrap() += 1 });
        }
        set.join_all().await; // exact, where Go's version guesses with time.Sleep(1s)
        *counter.lock().unwrap()
    });
    println!("{total}");
    println!(
        "Go's pitfall, `counter++` with no mutex, is a data race that silently loses updates; \
         in Rust it does not compile (a task owns `Send + 'static` data, so sharing takes an \
         Arc<Mutex<_>> or an atomic)."
    );
}

/// Sets its flag when dropped, to show that a cancelled task's destructors ran.
struct DropGuard(Arc<AtomicBool>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
        println!("[drop guard] the sleeping task's future was dropped: its destructors ran");
    }
}

/// Go: `go func() { time.Sleep(1s); fmt.Println("Done sleeping") }()`, then `main` returns.
fn seed_main_returns() {
    heading("1c. main returns before a task ends: goro::run cancels what is left");
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropGuard(Arc::clone(&dropped));
    let start = Instant::now();
    goro::run(async move {
        let _sleeper = goro::spawn(async move {
            let _guard = guard;
            goro::time::sleep(Duration::from_secs(1)).await;
            println!("Done sleeping"); // never printed
        });
        // Let the task get into its sleep (not merely sit in a queue) before main ends.
        goro::time::sleep(Duration::from_millis(10)).await;
        println!("Main done");
    });
    println!(
        "goro::run returned after {:.0?}; \"Done sleeping\" never printed; future dropped: {}",
        start.elapsed(),
        dropped.load(Ordering::SeqCst)
    );
}

// ---------------------------------------------------------------------------------------
// The runtimes behind one small trait, shared with the benches
// ---------------------------------------------------------------------------------------

// Shared with benches/; this program does not use every part of it (e.g. `Runtimes`).
#[allow(dead_code)]
#[path = "../../benches/peers/mod.rs"]
mod peers;

use peers::echo::Net;
use peers::{AsyncExecutorPool, Exec};

mod bars;
mod chart;
mod churn;
mod current;
mod record;
mod results;

use results::{Figure, Results, bytes};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Peer {
    Goro,
    Tokio,
    AsyncExecutor,
}

const PEERS: [Peer; 3] = [Peer::Goro, Peer::Tokio, Peer::AsyncExecutor];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Goro => "goro",
            Peer::Tokio => "tokio",
            Peer::AsyncExecutor => "async-executor",
        }
    }

    fn parse(name: &str) -> Option<Peer> {
        PEERS.into_iter().find(|peer| peer.name() == name)
    }
}

/// A measurement written once, generic over the runtime.
trait Workload {
    type Out;
    fn run<E: Net>(self, exec: &E) -> Self::Out;
}

/// Builds `peer`'s runtime with `workers` threads, runs `workload` on it, and drops it.
fn on_peer<W: Workload>(peer: Peer, workers: usize, workload: W) -> W::Out {
    match peer {
        Peer::Goro => workload.run(peers::goro_runtime(workers).handle()),
        Peer::Tokio => workload.run(peers::tokio_runtime(workers).handle()),
        Peer::AsyncExecutor => workload.run(&AsyncExecutorPool::new(workers).executor),
    }
}

fn workers() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get())
}

// ---------------------------------------------------------------------------------------
// Workload 1: spawn and join
// ---------------------------------------------------------------------------------------

/// Spawns `units` tasks from a task, each adding one to a counter, then awaits every handle
/// in order. Returns the best of `runs` timed runs, after one warm-up run (the best, not the
/// median: on a shared machine, other processes only ever add time).
struct SpawnJoin {
    units: usize,
    runs: usize,
}

impl Workload for SpawnJoin {
    type Out = Duration;
    fn run<E: Net>(self, exec: &E) -> Duration {
        spawn_join_once(exec, self.units);
        best((0..self.runs).map(|_| spawn_join_once(exec, self.units)))
    }
}

fn spawn_join_once<E: Exec>(exec: &E, units: usize) -> Duration {
    let counter = Arc::new(AtomicUsize::new(0));
    let root = {
        let (exec, counter) = (exec.clone(), Arc::clone(&counter));
        async move {
            let start = Instant::now();
            let mut handles = Vec::with_capacity(units);
            for _ in 0..units {
                let counter = Arc::clone(&counter);
                handles.push(exec.spawn(async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                }));
            }
            for handle in handles {
                handle.await;
            }
            start.elapsed()
        }
    };
    let elapsed = exec.block_on(exec.spawn(root));
    assert_eq!(counter.load(Ordering::Relaxed), units);
    elapsed
}

/// The same with one OS thread per unit, at most [`THREAD_WAVE`] alive at once.
fn threads_spawn_join(units: usize) -> Duration {
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut left = units;
    while left > 0 {
        let wave = left.min(THREAD_WAVE);
        let threads: Vec<_> = (0..wave)
            .map(|_| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        left -= wave;
    }
    let elapsed = start.elapsed();
    assert_eq!(counter.load(Ordering::Relaxed), units);
    elapsed
}

fn best(samples: impl Iterator<Item = Duration>) -> Duration {
    samples.min().expect("at least one run")
}

// ---------------------------------------------------------------------------------------
// Workload 2: memory of parked units (run in a child process)
// ---------------------------------------------------------------------------------------

/// One event that many tasks wait on. Its waker table is allocated and touched before the
/// baseline, so that the RSS growth is the tasks' own cost, not the event's.
struct Event {
    state: Mutex<EventState>,
    /// Tasks that have not finished yet; the last one sends on `done`.
    left: AtomicUsize,
    done: mpsc::SyncSender<()>,
}

struct EventState {
    released: bool,
    parked: usize,
    wakers: Vec<Option<Waker>>,
}

/// The same tiny leaf future in every runtime: parks until the event is released.
struct Parked {
    event: Arc<Event>,
    slot: usize,
    registered: bool,
}

impl Future for Parked {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let event = Arc::clone(&self.event);
        let mut state = event.state.lock().unwrap();
        if state.released {
            return Poll::Ready(());
        }
        state.wakers[self.slot] = Some(cx.waker().clone());
        if !self.registered {
            self.registered = true;
            state.parked += 1;
        }
        Poll::Pending
    }
}

/// Memory growth, whole process, with every unit parked.
#[derive(Clone, Copy)]
struct Growth {
    rss: u64,
    virt: u64,
}

/// Spawns `units` detached tasks (as Go's goroutines are) that each park on one [`Event`],
/// measures the RSS growth once all are parked, then releases them and waits for all.
struct Park {
    units: usize,
}

impl Workload for Park {
    type Out = Growth;
    fn run<E: Net>(self, exec: &E) -> Growth {
        let units = self.units;
        let (done, all_done) = mpsc::sync_channel(1);
        let event = Arc::new(Event {
            state: Mutex::new(EventState {
                released: false,
                parked: 0,
                wakers: vec![None; units],
            }),
            left: AtomicUsize::new(units),
            done,
        });
        let before = memory();
        let spawner = {
            let (exec, event) = (exec.clone(), Arc::clone(&event));
            async move {
                for slot in 0..units {
                    let event = Arc::clone(&event);
                    exec.detach(async move {
                        let parked = Parked {
                            event: Arc::clone(&event),
                            slot,
                            registered: false,
                        };
                        parked.await;
                        // AcqRel: the last decrement sees every other task's exit.
                        if event.left.fetch_sub(1, Ordering::AcqRel) == 1 {
                            event.done.send(()).unwrap();
                        }
                    });
                }
            }
        };
        exec.block_on(exec.spawn(spawner));
        wait_until(|| event.state.lock().unwrap().parked == units);
        let after = memory();
        let wakers = {
            let mut state = event.state.lock().unwrap();
            state.released = true;
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().flatten().for_each(Waker::wake);
        all_done
            .recv_timeout(Duration::from_secs(60))
            .expect("parked tasks did not finish");
        after.minus(before)
    }
}

/// The same with one OS thread per unit, each blocked on one condition variable.
fn park_threads(units: usize) -> Growth {
    let gate = Arc::new((Mutex::new((false, 0usize)), Condvar::new()));
    let before = memory();
    let threads: Vec<_> = (0..units)
        .map(|_| {
            let gate = Arc::clone(&gate);
            thread::spawn(move || {
                let (lock, released) = &*gate;
                let mut state = lock.lock().unwrap();
                state.1 += 1;
                while !state.0 {
                    state = released.wait(state).unwrap();
                }
            })
        })
        .collect();
    wait_until(|| gate.0.lock().unwrap().1 == units);
    let after = memory();
    gate.0.lock().unwrap().0 = true;
    gate.1.notify_all();
    for thread in threads {
        thread.join().unwrap();
    }
    after.minus(before)
}

fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "units did not park within 60 s");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Resident and virtual size of this process, from /proc/self/status (in bytes).
fn memory() -> Growth {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    Growth {
        rss: field("VmRSS:"),
        virt: field("VmSize:"),
    }
}

impl Growth {
    fn minus(self, before: Growth) -> Growth {
        Growth {
            rss: self.rss.saturating_sub(before.rss),
            virt: self.virt.saturating_sub(before.virt),
        }
    }
}

/// Child process: `--child-time=PEER:UNITS` prints `ns=NANOSECONDS` per unit.
fn child_time(spec: &str) {
    let (peer, units) = parse_spec(spec);
    let best = match peer {
        "threads" if units <= THREAD_WAVE => {
            best((0..SLOW_RUNS).map(|_| threads_spawn_join(units)))
        }
        "threads" => {
            let ran = units.min(THREAD_CAP);
            let elapsed = threads_spawn_join(ran);
            println!("ns={}", per_unit(elapsed, ran));
            return;
        }
        name => on_peer(
            Peer::parse(name).expect("unknown peer"),
            workers(),
            SpawnJoin {
                units,
                runs: if units > 10_000 { SLOW_RUNS } else { TIME_RUNS },
            },
        ),
    };
    println!("ns={}", per_unit(best, units));
}

/// Child process: `--child-mem=PEER:UNITS` prints `rss=BYTES virt=BYTES` of growth.
fn child_mem(spec: &str) {
    let (peer, units) = parse_spec(spec);
    let growth = match peer {
        "threads" => park_threads(units),
        name => on_peer(
            Peer::parse(name).expect("unknown peer"),
            workers(),
            Park { units },
        ),
    };
    println!("rss={} virt={}", growth.rss, growth.virt);
}

fn parse_spec(spec: &str) -> (&str, usize) {
    let (peer, units) = spec.split_once(':').expect("PEER:UNITS");
    (peer, units.parse().expect("UNITS"))
}

/// Runs `--child-KIND=PEER:UNITS` in a fresh copy of this program and returns the numbers it
/// printed as `key=value`.
fn in_child(kind: &str, peer: &str, units: usize) -> impl Fn(&str) -> f64 {
    let output = Command::new(std::env::current_exe().expect("current_exe"))
        .arg(format!("--child-{kind}={peer}:{units}"))
        .output()
        .expect("re-running this example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // goro's monitor reports long polls on stderr: pass them on.
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "child {kind} {peer}:{units} failed: {stdout}"
    );
    move |key: &str| -> f64 {
        stdout
            .split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
            .and_then(|n| n.parse().ok())
            .expect("child output")
    }
}

// ---------------------------------------------------------------------------------------
// Part 2: the table
// ---------------------------------------------------------------------------------------

struct Row {
    units: usize,
    name: &'static str,
    /// Nanoseconds per unit.
    time_per_unit: f64,
    /// Bytes per parked unit.
    mem_per_unit: f64,
    note: String,
}

/// Part 2; returns its figures: spawn-and-join times, and memory per idle task.
fn table() -> (Vec<Figure>, Vec<Figure>) {
    let workers = workers();
    heading(&format!(
        "2. spawn and join, then park: goro vs tokio vs async-executor vs threads \
         ({workers} worker threads each)"
    ));
    println!(
        "time/unit: spawn a task (or thread) that adds to a counter, then join all (tasks \
         are spawned from a task); best of {TIME_RUNS} runs, {SLOW_RUNS} for 1M tasks and \
         for threads; tasks after a warm-up run.\n\
         memory/unit: RSS growth / N with N units all alive and parked on one event.\n\
         Each cell is measured in a fresh child process."
    );
    let mut rows: Vec<Row> = Vec::new();
    for units in SIZES {
        for peer in PEERS.map(Peer::name).into_iter().chain(["threads"]) {
            let time = in_child("time", peer, units);
            // Threads park at most THREAD_WAVE at once.
            let parked = if peer == "threads" {
                units.min(THREAD_WAVE)
            } else {
                units
            };
            let memory = in_child("mem", peer, parked);
            let mut note = String::new();
            if peer == "threads" {
                note = if units <= THREAD_WAVE {
                    format!("{units} threads at once")
                } else {
                    format!(
                        "time: ran {THREAD_CAP} threads in waves of {THREAD_WAVE}; memory: \
                         {parked} parked threads"
                    )
                };
                note += &format!(
                    "; +{} virtual/thread",
                    bytes(memory("virt") / parked as f64)
                );
            }
            rows.push(Row {
                units,
                name: peer,
                time_per_unit: time("ns"),
                mem_per_unit: memory("rss") / parked as f64,
                note,
            });
        }
    }
    print_table(&rows);
    let sleeping = bars::idle_memory(&rows);
    record::spawn_and_memory(&rows, sleeping)
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:>10}  {:<15} {:>10} {:>9} {:>12}  note",
        "units", "runtime", "time/unit", "vs goro", "memory/unit"
    );
    let goro = |units: usize| {
        rows.iter()
            .find(|row| row.units == units && row.name == "goro")
            .expect("goro row")
    };
    for row in rows {
        let base = goro(row.units);
        println!(
            "{:>10}  {:<15} {:>10} {:>8.2}x {:>12}  {}",
            thousands(row.units),
            row.name,
            nanos(row.time_per_unit),
            row.time_per_unit / base.time_per_unit,
            bytes(row.mem_per_unit),
            row.note
        );
    }
    println!(
        "\n(\"vs goro\" is time relative to goro's: above 1.00x goro is faster. std threads \
         reserve a 2 MiB stack each (RUST_MIN_STACK; 8 MiB for pthreads by `ulimit -s`), of \
         which RSS counts only the touched pages; the kernel's own per-thread stack and \
         task_struct (~20 KiB) are not in RSS at all.)"
    );
    let ratio = |name: &str, units: usize, memory: bool| {
        let row = rows
            .iter()
            .find(|row| row.units == units && row.name == name)
            .expect("row");
        let base = goro(units);
        if memory {
            base.mem_per_unit / row.mem_per_unit
        } else {
            base.time_per_unit / row.time_per_unit
        }
    };
    let (small, large) = (SIZES[0], SIZES[1]);
    for peer in ["tokio", "async-executor"] {
        println!(
            "goro/{peer}: time {:.2} (10k), {:.2} (1M); memory {:.2} (1M parked)",
            ratio(peer, small, false),
            ratio(peer, large, false),
            ratio(peer, large, true),
        );
    }
    println!(
        "threads/goro: time {:.0}x (10k), {:.0}x (1M, extrapolated); memory {:.0}x \
         (10k threads vs 1M goro tasks, per unit)",
        1.0 / ratio("threads", small, false),
        1.0 / ratio("threads", large, false),
        1.0 / ratio("threads", large, true),
    );
}

fn per_unit(total: Duration, units: usize) -> f64 {
    total.as_nanos() as f64 / units as f64
}

fn nanos(ns: f64) -> String {
    if ns < 10_000.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{:.1} µs", ns / 1000.0)
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
