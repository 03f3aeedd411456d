//! What the OS says about one of this process's threads: how much CPU time it has used, and
//! whether it runs (or waits for a CPU) or sleeps in the kernel right now. The monitor reads
//! it of a worker that seems stuck in a poll, to tell a long computation from a blocking
//! call, and both from a thread that the OS simply did not run.
//!
//! Linux only, from `/proc`, with the standard library alone:
//! - the thread's id from the link `/proc/thread-self` (`<pid>/task/<tid>`), read once by
//!   each worker thread when it starts;
//! - its CPU time in nanoseconds from `/proc/self/task/<tid>/schedstat` (first field: time
//!   on a CPU; the second, time spent waiting for one, is only added up when the wait ends,
//!   so it says nothing about a thread that waits right now);
//! - its state from `/proc/self/task/<tid>/stat` (the field after the name in parentheses):
//!   `R` runs or waits for a CPU, `S` and `D` sleep in the kernel (a system call, a lock, a
//!   sleep), `T` and `t` are stopped.
//!
//! Elsewhere, or if `/proc` is not mounted, every answer is `None` and the monitor reports
//! what it cannot measure as unknown.

use std::time::{Duration, Instant};

/// A thread of this process, by its OS thread id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OsThread(u64);

/// What a thread is doing at the moment of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// On a CPU, or ready and waiting for one.
    Runnable,
    /// Asleep in the kernel: a blocking system call, a lock, a sleep.
    Asleep,
    /// Anything else: stopped by a signal or a debugger, or exiting.
    Stopped,
}

/// A thread's CPU time and state, read at `at`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) at: Instant,
    pub(crate) on_cpu: Duration,
    pub(crate) state: RunState,
}

impl OsThread {
    /// The calling thread, if the OS tells. Asked once per thread (a `/proc` look-up costs
    /// microseconds, and a current-thread runtime's `block_on` asks at every call), then
    /// remembered: a thread's id does not change.
    pub(crate) fn current() -> Option<OsThread> {
        thread_local! {
            /// This thread's answer, once asked.
            static CURRENT: std::cell::OnceCell<Option<OsThread>> =
                const { std::cell::OnceCell::new() };
        }
        CURRENT
            .try_with(|current| *current.get_or_init(OsThread::ask))
            .unwrap_or_else(|_| OsThread::ask())
    }

    /// Asks the OS which thread this is.
    fn ask() -> Option<OsThread> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        let id = link.file_name()?.to_str()?.parse().ok()?;
        Some(OsThread(id))
    }

    /// The id as a number other than 0, to keep in an atomic (0 stands for none).
    pub(crate) fn into_raw(self) -> u64 {
        self.0
    }

    /// The inverse of `into_raw`; `None` for 0.
    pub(crate) fn from_raw(raw: u64) -> Option<OsThread> {
        (raw != 0).then_some(OsThread(raw))
    }

    /// The thread's CPU time and state now; `None` if the OS does not tell (or the thread
    /// has ended).
    pub(crate) fn sample(self) -> Option<Sample> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let at = Instant::now();
        let dir = format!("/proc/self/task/{}", self.0);
        let schedstat = std::fs::read_to_string(format!("{dir}/schedstat")).ok()?;
        let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
        Some(Sample {
            at,
            on_cpu: parse_on_cpu(&schedstat)?,
            state: parse_state(&stat)?,
        })
    }
}

/// The first field of `schedstat`: nanoseconds on a CPU.
fn parse_on_cpu(schedstat: &str) -> Option<Duration> {
    let nanos = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The state letter of `stat`, which follows the thread's name; the name is in parentheses
/// and may hold spaces and parentheses itself, so the state is found after the last `)`.
fn parse_state(stat: &str) -> Option<RunState> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    Some(match after_name.split_whitespace().next()? {
        "R" => RunState::Runnable,
        "S" | "D" => RunState::Asleep,
        _ => RunState::Stopped,
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fields_it_needs() {
        assert_eq!(
            parse_on_cpu("115362 2785819 2\n"),
            Some(Duration::from_nanos(115_362))
        );
        let stat = "4242 (a (tricky) name) S 1 4242 4242 0 -1 4194304 97 0 0 0";
        assert_eq!(parse_state(stat), Some(RunState::Asleep));
        assert_eq!(parse_state("1 (x) R 0"), Some(RunState::Runnable));
        assert_eq!(parse_state("1 (x) D 0"), Some(RunState::Asleep));
        assert_eq!(parse_state("1 (x) t 0"), Some(RunState::Stopped));
        assert_eq!(parse_state("garbage"), None);
    }

    /// On Linux: a thread asleep in the kernel is seen asleep and gains no CPU time; a
    /// thread that spins is seen runnable and gains CPU time.
    #[test]
    #[cfg(target_os = "linux")]
    fn tells_a_sleeping_thread_from_a_spinning_one() {
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        use std::sync::{Arc, mpsc};
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let spin = stop.clone();
        let spinner = std::thread::spawn(move || {
            tx.send(OsThread::current().unwrap()).unwrap();
            while !spin.load(SeqCst) {
                std::hint::spin_loop();
            }
        });
        let (tx, sleeper_id) = mpsc::channel();
        let (wake, asleep) = mpsc::channel::<()>();
        let sleeper = std::thread::spawn(move || {
            tx.send(OsThread::current().unwrap()).unwrap();
            let _ = asleep.recv();
        });
        let (spinner_id, sleeper_id) = (rx.recv().unwrap(), sleeper_id.recv().unwrap());
        let before = (spinner_id.sample().unwrap(), sleeper_id.sample().unwrap());
        std::thread::sleep(Duration::from_millis(100));
        let after = (spinner_id.sample().unwrap(), sleeper_id.sample().unwrap());
        stop.store(true, SeqCst);
        drop(wake);
        spinner.join().unwrap();
        sleeper.join().unwrap();
        assert_eq!(after.0.state, RunState::Runnable);
        assert_eq!(after.1.state, RunState::Asleep);
        // The spinner shares the CPUs with whatever else runs: a share, not all of it.
        assert!(after.0.on_cpu - before.0.on_cpu >= Duration::from_millis(3));
        assert!(after.1.on_cpu - before.1.on_cpu < Duration::from_millis(1));
        assert_ne!(OsThread::current(), Some(spinner_id));
        assert_eq!(OsThread::from_raw(spinner_id.into_raw()), Some(spinner_id));
        assert_eq!(OsThread::from_raw(0), None);
    }
}
