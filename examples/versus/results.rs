//! The figures of one versus run, kept as data so that one run gives both pictures of them:
//! the Markdown table that README.md shows ([`Results::markdown`], written to
//! `target/versus.md`) and the chart (`chart.rs`, written to `target/versus.svg`).
//!
//! Every figure is one workload measured on each runtime of [`RUNTIMES`] (the thread per
//! unit only where versus measures it), and each runtime's cost relative to goro's:
//!
//! 1. a time (seconds) or a memory figure (bytes per task): the runtime's figure over
//!    goro's;
//! 2. a throughput (round trips per second): goro's over the runtime's, which is the
//!    runtime's time per round trip over goro's.
//!
//! So goro is always 1, and above 1 goro is ahead. The relative costs are kept beside the
//! figures, not recomputed from them, because versus takes some (echo's) as the median of
//! per-process ratios, which is not the ratio of the medians.
//!
//! This file uses nothing of versus but std, so that `tests/versus_chart.rs` can render a
//! fixed set of results with it.

/// The runtimes of the table's columns and the chart's bars: goro, then its peers.
pub const RUNTIMES: [&str; 4] = ["goro", "tokio", "async-executor", "thread per unit"];

/// The names of the rows versus measures itself: its spawn-and-join rows (10,000 and
/// 1,000,000 units), before issue 6's scheduler workloads (`benches/peers/workloads.rs`,
/// named there), then echo, then issue 15's lateness beside CPU-heavy tasks
/// (`benches/peers/neighbours.rs`), then the current-thread rows; and its memory rows.
pub const SPAWN_JOIN_ROWS: [&str; 2] = ["spawn+join 10k", "spawn+join 1M"];
pub const ECHO_ROW: &str = "tcp_echo";
/// Issue 15's timer churn, after echo: on 2 workers, and on 1 (`churn.rs`); short, for the
/// chart's labels.
pub const CHURN_ROWS: [&str; 2] = ["timer_churn", "churn 1w"];
/// Issue 15's lateness beside CPU-heavy tasks, after the churn rows.
pub const NEIGHBOURS_ROWS: [&str; 2] = ["cpu_neighbours p50", "cpu_neighbours p99"];
/// Issue 16's current-thread flavour (`current.rs`), last of the time and throughput rows:
/// four of issue 6's workloads, then echo, on goro's and tokio's current-thread runtimes.
pub const CURRENT_THREAD_ROWS: [&str; 4] = [
    "spawn_many 1t",
    "spawn_join 1t",
    "ping_pong 1t",
    "chained_spawn 1t",
];
pub const CURRENT_THREAD_ECHO_ROW: &str = "tcp_echo 1t";
pub const MEMORY_ROWS: [&str; 2] = ["parked 1M", "asleep 1M"];

/// What a figure counts, which says which way is better and how to print it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// Seconds per run or per unit: less is better.
    Time,
    /// Round trips per second: more is better.
    Rate,
    /// Bytes per task: less is better.
    Bytes,
}

/// One workload on every runtime.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The short name the chart puts under its bars.
    pub name: &'static str,
    /// What one run does, for the table.
    pub what: String,
    pub measure: Measure,
    /// By [`RUNTIMES`]; `None` where versus does not measure that runtime.
    pub values: [Option<f64>; 4],
    /// Each runtime's cost over goro's (goro: 1), by [`RUNTIMES`].
    pub relative: [Option<f64>; 4],
}

impl Figure {
    /// A figure whose relative costs are the ratios of its values.
    pub fn new(
        name: &'static str,
        what: String,
        measure: Measure,
        values: [Option<f64>; 4],
    ) -> Figure {
        let goro = values[0].expect("goro is measured in every workload");
        let relative = values.map(|value| {
            value.map(|value| match measure {
                Measure::Time | Measure::Bytes => value / goro,
                Measure::Rate => goro / value,
            })
        });
        Figure {
            name,
            what,
            measure,
            values,
            relative,
        }
    }

    /// `value` printed in this figure's unit.
    pub fn format(&self, value: f64) -> String {
        match self.measure {
            Measure::Time => seconds(value),
            Measure::Rate => format!("{:.1}k rt/s", value / 1e3),
            Measure::Bytes => bytes(value),
        }
    }
}

/// When and where the figures were taken.
#[derive(Clone, Debug)]
pub struct Taken {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// The commit built, if known.
    pub commit: Option<String>,
    /// CPUs, model, memory and load, in a few words.
    pub machine: String,
    /// Worker threads of every runtime.
    pub workers: usize,
}

impl Taken {
    /// The command, the date and the commit, in a few words.
    pub fn run_line(&self) -> String {
        let commit = match &self.commit {
            Some(commit) => format!(", commit {commit}"),
            None => String::new(),
        };
        format!(
            "cargo run --release --example versus, {}{commit}",
            self.date
        )
    }

    /// The machine and the runtimes' worker threads, in a few words.
    pub fn machine_line(&self) -> String {
        format!(
            "{}; {} worker threads per runtime",
            self.machine, self.workers
        )
    }
}

/// Everything one versus run measured.
#[derive(Clone, Debug)]
pub struct Results {
    pub taken: Taken,
    /// Time and throughput workloads, in the table's order.
    pub workloads: Vec<Figure>,
    /// Memory per task.
    pub memory: Vec<Figure>,
}

impl Results {
    /// The table for README.md, between its `<!-- versus:begin -->` and
    /// `<!-- versus:end -->` markers: a line saying when and where, the table, and how to
    /// read it.
    pub fn markdown(&self) -> String {
        let taken = &self.taken;
        let commit = match &taken.commit {
            Some(commit) => format!(", commit `{commit}`"),
            None => String::new(),
        };
        let mut out = format!(
            "Taken by `cargo run --release --example versus` on {}{commit}, on {}; {} worker \
             threads per runtime.\n\n",
            taken.date, taken.machine, taken.workers
        );
        out += &format!("| workload | {} |\n", RUNTIMES.join(" | "));
        out += &format!("|---|{}\n", "--:|".repeat(RUNTIMES.len()));
        for figure in self.workloads.iter().chain(&self.memory) {
            out += &format!("| **{}**: {} |", figure.name, figure.what);
            for (runtime, (value, relative)) in
                figure.values.iter().zip(figure.relative).enumerate()
            {
                let cell = match (value, relative) {
                    (Some(value), _) if runtime == 0 => figure.format(*value),
                    (Some(value), Some(relative)) => {
                        format!("{} ({})", times(relative), figure.format(*value))
                    }
                    _ => String::new(),
                };
                out += &format!(" {cell} |");
            }
            out.push('\n');
        }
        out += "\ngoro's column is its own figure. Every other cell is that runtime's figure \
                over goro's (for tcp_echo, its time per round trip over goro's), then the \
                figure itself: above 1x goro is ahead, below 1x the peer is.\n";
        out
    }
}

/// A ratio, with as many decimals as it needs: `0.52x`, `12.3x`, `340x`.
pub fn times(ratio: f64) -> String {
    format!("{}x", decimals(ratio))
}

/// A number with two decimals below 10, one below 100, none above: `0.52`, `12.3`, `340`.
pub fn decimals(number: f64) -> String {
    if number < 10.0 {
        format!("{number:.2}")
    } else if number < 100.0 {
        format!("{number:.1}")
    } else {
        format!("{number:.0}")
    }
}

/// Seconds in ns, µs, ms or s, three significant digits or so.
pub fn seconds(seconds: f64) -> String {
    let (value, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{} {unit}", decimals(value))
}

/// Bytes, in B below 4 KiB, else KiB.
pub fn bytes(n: f64) -> String {
    if n < 4096.0 {
        format!("{n:.0} B")
    } else {
        format!("{:.1} KiB", n / 1024.0)
    }
}
