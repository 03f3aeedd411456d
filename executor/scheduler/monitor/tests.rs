//! The monitor's hand-offs on a real scheduler with a `start_worker` of the test's own: one
//! that fails (the OS refuses a thread) and one whose thread starts late.

use super::{BlockedWorker, Monitor, run_monitor};
use crate::loom::Arc;
use crate::reactor;
use crate::scheduler::{Shared, UnhandledPanic, run_worker};
use std::io;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

const THRESHOLD: Duration = Duration::from_millis(20);
const LIMIT: Duration = Duration::from_secs(20);

/// A one-worker scheduler whose monitor starts replacements with `start_worker`.
struct Harness {
    shared: Arc<Shared>,
    monitor: Option<JoinHandle<()>>,
    events: std::sync::Arc<Mutex<Vec<BlockedWorker>>>,
    starts: std::sync::Arc<AtomicUsize>,
}

type StartWorker = fn(&Arc<Shared>, usize, u64) -> io::Result<JoinHandle<()>>;

impl Harness {
    fn new(start_worker: StartWorker) -> Harness {
        let events = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let monitor = Monitor::new(
            THRESHOLD,
            Some(std::sync::Arc::new(move |event: &BlockedWorker| {
                sink.lock().unwrap().push(event.clone());
            })),
        );
        let (driver, reactor) = reactor::Handle::new().unwrap();
        let shared = Shared::new(1, driver, reactor, UnhandledPanic::Ignore, Some(monitor));
        let worker = shared.clone();
        shared.add_thread(std::thread::spawn(move || run_worker(worker, 0, 0)));
        let starts = std::sync::Arc::new(AtomicUsize::new(0));
        let (for_monitor, counted) = (shared.clone(), starts.clone());
        let monitor = std::thread::spawn(move || {
            let shared = for_monitor.clone();
            run_monitor(for_monitor, |index, epoch| {
                counted.fetch_add(1, SeqCst);
                start_worker(&shared, index, epoch)
            });
        });
        Harness {
            shared,
            monitor: Some(monitor),
            events,
            starts,
        }
    }

    /// Runs `f` as a task and waits for its output, failing the test after `LIMIT`.
    #[track_caller]
    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        drop(Shared::spawn(
            &self.shared,
            async move {
                let _ = tx.send(f());
            },
            Location::caller(),
        ));
        rx.recv_timeout(LIMIT)
            .expect("the task ran within the limit: some worker is left to run it")
    }

    fn events(&self) -> Vec<BlockedWorker> {
        self.events.lock().unwrap().clone()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shared.begin_shutdown();
        if let Some(monitor) = self.monitor.take() {
            monitor.join().unwrap();
        }
        self.shared.join_threads(None);
        self.shared.close();
    }
}

/// The OS refuses the replacement thread: the stuck worker keeps its place (it runs tasks
/// again once its poll returns), its queued tasks still go to the injector, the report
/// says no thread took its place, and the monitor neither reports nor retries every tick.
#[test]
fn a_replacement_that_cannot_start_leaves_the_worker_in_place() {
    let harness = Harness::new(|_, _, _| Err(io::Error::other("no more threads (test)")));
    let (shared, events) = (harness.shared.clone(), harness.events.clone());
    let moved = harness.run(move || {
        // Queued behind this poll, in the worker's own `next` slot and queue.
        for _ in 0..3 {
            drop(Shared::spawn(&shared, async {}, Location::caller()));
        }
        let start = std::time::Instant::now();
        while events.lock().unwrap().is_empty() && start.elapsed() < LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
        let moved = shared.injector.len();
        // Stuck on while the monitor may retry.
        std::thread::sleep(THRESHOLD * 20);
        moved
    });
    assert_eq!(moved, 3, "the queued tasks moved to the injector");
    let attempts = harness.starts.load(SeqCst);
    assert_eq!(harness.run(|| 42), 42);
    assert_eq!(harness.shared.workers[0].epoch.load(SeqCst), 0);
    let events = harness.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(!events[0].replaced);
    let text = events[0].to_string();
    assert!(text.contains("no thread could be started"), "{text}");
    assert!(
        (1..=5).contains(&attempts),
        "{attempts} attempts to start a replacement in {:?}: expected one, and a few \
         retries with backoff",
        THRESHOLD * 20
    );
}

/// A replacement whose thread starts long after the hand-off: the stuck poll it replaces
/// must not look stuck again meanwhile (one hand-off per stuck poll).
#[test]
fn a_late_replacement_does_not_hand_off_the_same_poll_again() {
    let harness = Harness::new(|shared, index, epoch| {
        let shared = shared.clone();
        std::thread::Builder::new().spawn(move || {
            std::thread::sleep(THRESHOLD * 6);
            run_worker(shared, index, epoch);
        })
    });
    harness.run(|| std::thread::sleep(THRESHOLD * 15));
    assert_eq!(harness.run(|| 7), 7);
    assert_eq!(harness.starts.load(SeqCst), 1, "{:?}", harness.events());
    assert_eq!(harness.shared.blocked_events.load(SeqCst), 1);
}

/// The verdict on a stuck poll's thread from two readings a `measured` apart: asleep in the
/// kernel is a blocking call; runnable with at least a sixteenth of the time on a CPU is a
/// computation; runnable with less is a thread the OS hardly ran (no verdict: no hand-off,
/// no report); without readings, unknown.
#[test]
fn the_verdict_follows_the_threads_cpu_time_and_state() {
    use super::judge;
    use super::os_thread::{RunState, Sample};
    use super::report::ThreadActivity;
    use std::time::Instant;
    let ms = Duration::from_millis;
    let start = Instant::now();
    let reading = |at: u64, on_cpu: u64, state| Sample {
        at: start + ms(at),
        on_cpu: ms(on_cpu),
        state,
    };
    let baseline = Some(reading(0, 5, RunState::Runnable));
    let verdict = |on_cpu: u64, state| judge(baseline, Some(reading(80, 5 + on_cpu, state)));
    assert_eq!(
        verdict(1, RunState::Asleep),
        Some(ThreadActivity::Blocking {
            on_cpu: ms(1),
            measured: ms(80)
        })
    );
    assert_eq!(
        verdict(40, RunState::Runnable),
        Some(ThreadActivity::Computing {
            on_cpu: ms(40),
            measured: ms(80)
        })
    );
    assert_eq!(
        verdict(5, RunState::Runnable),
        Some(ThreadActivity::Computing {
            on_cpu: ms(5),
            measured: ms(80)
        })
    );
    assert_eq!(verdict(4, RunState::Runnable), None);
    assert_eq!(verdict(0, RunState::Stopped), None);
    assert_eq!(judge(None, None), Some(ThreadActivity::Unknown));
    assert_eq!(
        judge(baseline, None),
        Some(ThreadActivity::Unknown),
        "a thread that has ended"
    );
}
