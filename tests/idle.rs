//! Idle workers stay idle (issue 14, item 12): a yield wakes no other worker when nothing
//! else waits, so on a runtime of two workers a single task that yields in a loop costs
//! about one core of CPU time, not two. (That idle workers do not search in vain on a busy
//! worker's `next` slot needs two free cores to show as CPU time; the scheduler's own test
//! `idle::tests::a_next_slot_is_not_work_for_searchers` covers it.)
//!
//! Each load runs in a child process (`run_child`), so that no other test adds CPU time to
//! the measurement: the child measures its own CPU time over one second of the load.
//! Linux only (`/proc`, `taskset`).

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};
use support::*;

/// The CPU time a load may cost, in multiples of the CPU time that a thread that never
/// sleeps gets meanwhile (the probe): a load that keeps one worker busy costs about 1.0;
/// the margin is for the runtime's other threads and a noisy machine. Before the fix the
/// loads below cost 1.5 to 1.8.
const MAX_CORES: f64 = 1.4;
/// How long the load runs before the measurement starts, and how long it is measured.
const WARM_UP: Duration = Duration::from_millis(200);
const MEASURED: Duration = Duration::from_secs(1);
/// The name of the probe thread.
const PROBE: &str = "cpu-probe";

/// CPU time so far (user and system) of this process and of its probe thread, in clock
/// ticks of 10 ms (Linux's `USER_HZ` is 100): fields 14 and 15 of `stat`.
fn cpu_ticks() -> (u64, u64) {
    let ticks = |dir: &Path| {
        let stat = std::fs::read_to_string(dir.join("stat")).expect("a stat file");
        // The fields after the command name (in parentheses, may hold spaces) start at 3.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("(comm)") + 1..]
            .split_whitespace()
            .collect();
        let field = |n: usize| fields[n - 3].parse::<u64>().expect("a tick count");
        field(14) + field(15)
    };
    let probe = std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
        .map(|entry| entry.path())
        .find(|dir| {
            std::fs::read_to_string(dir.join("comm")).is_ok_and(|comm| comm.trim() == PROBE)
        })
        .expect("the probe thread");
    (ticks(Path::new("/proc/self")), ticks(&probe))
}

/// Pins this process (all its threads, and so the threads they start) to the first CPU it
/// may use, with `taskset` (util-linux): the probe and the workers then share one run
/// queue, so each of them that wants the CPU gets the same share of it, however loaded the
/// machine is. (Unpinned, the threads' shares depend on which CPU each happens to be on.)
fn pin_to_one_cpu() {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let allowed = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list");
    let cpu: String = allowed
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let pinned = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu, &std::process::id().to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset (util-linux) runs");
    assert!(
        pinned.success(),
        "taskset could not pin the process to CPU {cpu}"
    );
}

/// Runs one task that computes for `work` (without a syscall) and yields, in a loop, on a
/// runtime of two workers, all pinned to one CPU, and asserts that meanwhile the runtime
/// used at most `MAX_CORES` times the CPU time of a probe thread that spins all along
/// beside it. A worker that keeps waking, or searches in vain, gets about as much as the
/// probe and the worker that runs the task.
fn assert_a_yielding_task_costs_one_core(work: Duration) {
    pin_to_one_cpu();
    let going = Arc::new(AtomicBool::new(true));
    let probe = std::thread::Builder::new()
        .name(PROBE.into())
        .spawn({
            let going = going.clone();
            move || {
                while going.load(Relaxed) {
                    std::hint::spin_loop();
                }
            }
        })
        .expect("the probe thread starts");
    let runtime = runtime(2);
    let task = runtime.spawn({
        let going = going.clone();
        async move {
            while going.load(Relaxed) {
                let start = Instant::now();
                while start.elapsed() < work {
                    std::hint::spin_loop();
                }
                goro::yield_now().await;
            }
        }
    });
    std::thread::sleep(WARM_UP);
    let (parks, before) = (runtime.metrics().parks, cpu_ticks());
    std::thread::sleep(MEASURED);
    let after = cpu_ticks();
    let parks = runtime.metrics().parks - parks;
    going.store(false, Relaxed);
    probe.join().unwrap();
    runtime
        .block_on(within(Duration::from_secs(10), "the load's end", task))
        .unwrap();
    let probe = (after.1 - before.1).max(1) as f64;
    let cores = ((after.0 - before.0) as f64 - probe) / probe;
    eprintln!(
        "a task computing {work:?} per turn: {:.0} % of the probe's CPU time, {parks} parks",
        cores * 100.0
    );
    assert!(
        cores <= MAX_CORES,
        "a task computing {work:?} per turn and yielding cost {:.0} % of the CPU time of a \
         thread that never sleeps, on a runtime of two workers ({parks} parks in \
         {MEASURED:?}): the idle worker should stay parked",
        cores * 100.0
    );
}

/// Runs the child test `name` and asserts that it passed.
fn in_child(name: &str) {
    let output = run_child(name, &[], Duration::from_secs(60));
    assert_child_passed(name, &output);
}

#[test]
fn one_task_yielding_in_a_loop_costs_one_core() {
    in_child("child_yield_loop");
}

#[test]
#[ignore = "run by one_task_yielding_in_a_loop_costs_one_core in a child process"]
fn child_yield_loop() {
    if is_child() {
        assert_a_yielding_task_costs_one_core(Duration::ZERO);
    }
}

#[test]
fn one_task_computing_and_yielding_costs_one_core() {
    in_child("child_compute_and_yield");
}

#[test]
#[ignore = "run by one_task_computing_and_yielding_costs_one_core in a child process"]
fn child_compute_and_yield() {
    if is_child() {
        assert_a_yielding_task_costs_one_core(Duration::from_micros(50));
    }
}
