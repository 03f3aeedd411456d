//! What a versus run leaves behind, beside its text: its figures as the Markdown table of
//! README.md (`target/versus.md`) and as a chart (`target/versus.svg`), with the date,
//! commit and machine they were taken on.
//!
//! 1. [`taken`], before anything is measured: the date, the commit, the machine and its
//!    load average then (a loaded machine is the first thing to know about the figures).
//! 2. Parts 2 and 3 print their tables as before and hand back their figures
//!    ([`spawn_and_memory`] turns part 2's rows into figures).
//! 3. [`write`] writes both files into the target directory this program was built in.
//!
//! To refresh README.md: copy `target/versus.md` between its `<!-- versus:begin -->` and
//! `<!-- versus:end -->` markers, and `target/versus.svg` to `docs/versus.svg`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use super::results::{Figure, MEMORY_ROWS, Measure, RUNTIMES, Results, SPAWN_JOIN_ROWS, Taken};
use super::{Row, SIZES, THREAD_CAP, THREAD_WAVE, thousands, workers};

/// The date, commit and machine, now.
pub(super) fn taken() -> Taken {
    Taken {
        date: today(),
        commit: commit(),
        machine: machine(),
        workers: workers(),
    }
}

/// Part 2's rows and the sleeping tasks' memory (by `PEERS`) as figures: spawn-and-join
/// time per unit, then memory per parked and per sleeping task.
pub(super) fn spawn_and_memory(rows: &[Row], sleeping: [f64; 3]) -> (Vec<Figure>, Vec<Figure>) {
    // Part 2's rows name the thread per unit, the last of RUNTIMES, `threads`.
    let of = |units: usize, runtime: usize| {
        let name = if runtime == RUNTIMES.len() - 1 {
            "threads"
        } else {
            RUNTIMES[runtime]
        };
        rows.iter()
            .find(|row| row.units == units && row.name == name)
    };
    let names: [&str; SIZES.len()] = SPAWN_JOIN_ROWS;
    let threads = [
        format!("{} at once", thousands(SIZES[0])),
        format!(
            "{} in waves of {}, extrapolated",
            thousands(THREAD_CAP),
            thousands(THREAD_WAVE)
        ),
    ];
    let spawn_join = SIZES
        .into_iter()
        .zip(names)
        .zip(threads)
        .map(|((units, name), threads)| {
            Figure::new(
                name,
                format!(
                    "time per task: {} tasks spawned from a task, each adding to a counter, \
                     joined in order (threads: {threads})",
                    thousands(units)
                ),
                Measure::Time,
                std::array::from_fn(|runtime| Some(of(units, runtime)?.time_per_unit / 1e9)),
            )
        })
        .collect();
    let idle = SIZES[1];
    let parked = Figure::new(
        MEMORY_ROWS[0],
        format!(
            "memory per task, {} tasks parked on one event (threads: {})",
            thousands(idle),
            thousands(idle.min(THREAD_WAVE))
        ),
        Measure::Bytes,
        std::array::from_fn(|runtime| Some(of(idle, runtime)?.mem_per_unit)),
    );
    let asleep = Figure::new(
        MEMORY_ROWS[1],
        format!(
            "memory per task, {} tasks each in a one-hour sleep on its runtime's timer",
            thousands(idle)
        ),
        Measure::Bytes,
        std::array::from_fn(|runtime| sleeping.get(runtime).copied()),
    );
    (spawn_join, vec![parked, asleep])
}

/// Writes `target/versus.md` and `target/versus.svg` and says where.
pub(super) fn write(results: &Results) {
    let dir = target_dir();
    let markdown = dir.join("versus.md");
    let svg = dir.join("versus.svg");
    let chart = super::chart::svg(results).expect("drawing the chart into a String");
    std::fs::write(&markdown, results.markdown())
        .unwrap_or_else(|error| panic!("writing {}: {error}", markdown.display()));
    std::fs::write(&svg, chart)
        .unwrap_or_else(|error| panic!("writing {}: {error}", svg.display()));
    println!(
        "\nwrote {} (README.md's table, between its versus markers) and {} (README.md's \
         chart, docs/versus.svg)",
        markdown.display(),
        svg.display()
    );
}

/// The target directory this program was built in: it runs as
/// `TARGET/PROFILE/examples/versus`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// Today's date in UTC, `YYYY-MM-DD`, from the days since 1970-01-01 by the proleptic
/// Gregorian calendar (counted in 400-year eras of 146,097 days, each year from March, so
/// that the leap day ends it).
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
        / 86_400;
    // Days since 0000-03-01.
    let since_march_zero = days + 719_468;
    let era = since_march_zero / 146_097;
    let day_of_era = since_march_zero % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March: 0 is March, 11 is February.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The commit this was built from (`-dirty` with uncommitted changes), if git knows it.
fn commit() -> Option<String> {
    let output = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=7"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}

/// "2 CPUs (AMD EPYC), 23.5 GiB, load average 0.34 at the start", from /proc.
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown model", |(_, model)| model.trim());
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(String::new, |kib| {
            format!(", {:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let load = read("/proc/loadavg")
        .split_whitespace()
        .next()
        .map_or_else(String::new, |load| {
            format!(", load average {load} at the start")
        });
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} CPUs ({model}){memory}{load}")
}
