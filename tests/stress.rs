//! Bounded stress tests of the invariants: a million spawns from several threads, wake
//! storms from foreign threads, wakes during a poll, ping-pong through channels, abort and
//! drop races, shutdown while tasks spawn. Sized to finish in seconds in a debug build on
//! two cores; every wait is bounded. Each runs on 1 and on 4 workers.

mod support;

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(60);

/// A million: about 4 s per worker count in a debug build on two cores.
const SPAWNS: usize = 1_000_000;

#[test]
fn a_million_spawns_from_several_threads() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let ran = Arc::new(AtomicUsize::new(0));
            let start = Instant::now();
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let handle = runtime.handle().clone();
                    let ran = ran.clone();
                    std::thread::spawn(move || {
                        let mut set = goro::JoinSet::new();
                        for i in 0..SPAWNS / 4 {
                            let ran = ran.clone();
                            let task = async move {
                                ran.fetch_add(1, SeqCst);
                                i
                            };
                            // Every 100th joined through a JoinSet, the rest detached.
                            if i % 100 == 0 {
                                set.spawn_on(task, &handle);
                            } else {
                                drop(handle.spawn(task));
                            }
                        }
                        let outputs = handle.block_on(set.join_all());
                        assert_eq!(outputs.len(), SPAWNS / 4 / 100);
                        assert!(outputs.iter().all(|i| i % 100 == 0));
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            block_until(LIMIT, "every spawned task to run", || {
                ran.load(SeqCst) == SPAWNS
            });
            eprintln!(
                "{SPAWNS} spawns from 4 threads on {workers} worker(s): {:?}",
                start.elapsed()
            );
        });
    }
}

#[test]
fn spawns_from_tasks_and_deep_chains() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let total = runtime.block_on(runtime.spawn(async {
                // 100,000 spawned from one task, all joined.
                let mut set = goro::JoinSet::new();
                for i in 0..100_000u64 {
                    set.spawn(async move { i });
                }
                let mut sum = 0;
                while let Some(result) = set.join_next().await {
                    sum += result.unwrap();
                }
                sum
            }));
            assert_eq!(total.unwrap(), (0..100_000u64).sum::<u64>());
            // A chain 1,000 deep: each task spawns the next and awaits it.
            fn chain(depth: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
                Box::pin(async move {
                    if depth == 0 {
                        0
                    } else {
                        goro::spawn(chain(depth - 1)).await.unwrap() + 1
                    }
                })
            }
            assert_eq!(runtime.block_on(runtime.spawn(chain(1000))).unwrap(), 1000);
        });
    }
}

#[test]
fn yield_many() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let polls = Arc::new(AtomicUsize::new(0));
            let p = polls.clone();
            runtime.block_on(async move {
                let mut set = goro::JoinSet::new();
                for _ in 0..200 {
                    let p = p.clone();
                    set.spawn(async move {
                        for _ in 0..500 {
                            p.fetch_add(1, SeqCst);
                            goro::yield_now().await;
                        }
                    });
                }
                set.join_all().await;
            });
            assert_eq!(polls.load(SeqCst), 200 * 500);
        });
    }
}

/// A future that counts its polls and fails if two threads ever poll it at once; it
/// publishes its waker and completes once `messages` messages came through `rx`.
struct Counted {
    rx: mpsc::UnboundedReceiver<usize>,
    seen: Vec<bool>,
    left: usize,
    in_poll: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Future for Counted {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        assert!(
            !self.in_poll.swap(true, SeqCst),
            "a task was polled by two threads at once"
        );
        self.polls.fetch_add(1, SeqCst);
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        let result = loop {
            match self.rx.poll_next_unpin(cx) {
                Poll::Ready(Some(n)) => {
                    assert!(
                        !std::mem::replace(&mut self.seen[n], true),
                        "message {n} twice"
                    );
                    self.left -= 1;
                }
                Poll::Ready(None) => break Poll::Ready(self.left),
                Poll::Pending => break Poll::Pending,
            }
        };
        // Widen the window in which another thread could start a second poll.
        std::hint::spin_loop();
        self.in_poll.store(false, SeqCst);
        result
    }
}

#[test]
fn wake_storm_from_foreign_threads() {
    const SENDERS: usize = 6;
    const EACH: usize = 5_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let (tx, rx) = mpsc::unbounded::<usize>();
            let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
            let polls = Arc::new(AtomicUsize::new(0));
            let task = runtime.spawn(Counted {
                rx,
                seen: vec![false; SENDERS * EACH],
                left: SENDERS * EACH,
                in_poll: Arc::default(),
                polls: polls.clone(),
                waker: waker.clone(),
            });
            let done = Arc::new(AtomicBool::new(false));
            // Plain threads: some send the messages, others call the task's waker in a loop.
            let mut threads = Vec::new();
            for s in 0..SENDERS {
                let tx = tx.clone();
                threads.push(std::thread::spawn(move || {
                    for i in 0..EACH {
                        tx.unbounded_send(s * EACH + i).unwrap();
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                }));
            }
            for _ in 0..2 {
                let (waker, done) = (waker.clone(), done.clone());
                threads.push(std::thread::spawn(move || {
                    while !done.load(SeqCst) {
                        let w = waker.lock().unwrap().clone();
                        if let Some(w) = w {
                            w.wake_by_ref();
                            w.wake();
                        }
                    }
                }));
            }
            drop(tx);
            for thread in threads.drain(..SENDERS) {
                thread.join().unwrap();
            }
            let left = runtime.block_on(async {
                within(
                    Duration::from_secs(30),
                    "the task to see every message",
                    task,
                )
                .await
            });
            done.store(true, SeqCst);
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(left.unwrap(), 0, "messages lost");
            assert!(polls.load(SeqCst) >= 1);
        });
    }
}

#[test]
fn ping_pong_between_a_task_and_a_plain_thread() {
    // Every round trip lets the workers go idle and park; the next message wakes the task
    // from outside the runtime. A lost wake-up stalls the exchange.
    const ROUNDS: u32 = 20_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let (mut to_task, mut from_thread) = mpsc::channel::<u32>(1);
            let (to_thread, from_task) = std::sync::mpsc::channel::<u32>();
            let task = runtime.spawn(async move {
                while let Some(n) = from_thread.next().await {
                    to_thread.send(n + 1).unwrap();
                }
            });
            let start = Instant::now();
            futures::executor::block_on(async {
                for n in 0..ROUNDS {
                    to_task.send(n).await.unwrap();
                    let answer = from_task
                        .recv_timeout(Duration::from_secs(5))
                        .unwrap_or_else(|_| {
                            panic!("round {n}: no answer within 5 s (a lost wake-up?)")
                        });
                    assert_eq!(answer, n + 1);
                }
            });
            drop(to_task);
            runtime.block_on(task).unwrap();
            eprintln!(
                "{ROUNDS} round trips with a plain thread on {workers} worker(s): {:?}",
                start.elapsed()
            );
        });
    }
}

#[test]
fn ping_pong_between_two_tasks() {
    const ROUNDS: u32 = 100_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let start = Instant::now();
            let rounds = runtime.block_on(async {
                let (mut ping_tx, mut ping_rx) = mpsc::channel::<u32>(1);
                let (mut pong_tx, mut pong_rx) = mpsc::channel::<u32>(1);
                let ponger = goro::spawn(async move {
                    while let Some(n) = ping_rx.next().await {
                        if pong_tx.send(n).await.is_err() {
                            break;
                        }
                    }
                });
                let pinger = goro::spawn(async move {
                    for n in 0..ROUNDS {
                        ping_tx.send(n).await.unwrap();
                        assert_eq!(pong_rx.next().await, Some(n));
                    }
                    ROUNDS
                });
                let rounds = within(LIMIT, "100,000 round trips", pinger).await.unwrap();
                ponger.await.unwrap();
                rounds
            });
            assert_eq!(rounds, ROUNDS);
            eprintln!(
                "{ROUNDS} round trips between two tasks on {workers} worker(s): {:?}",
                start.elapsed()
            );
        });
    }
}

#[test]
fn wakes_during_the_poll_are_not_lost() {
    // Each poll hands the waker to a plain thread and returns Pending; the thread wakes the
    // task at once, often while the poll is still running. 20,000 such wakes must each
    // lead to a new poll.
    const WAKES: usize = 20_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let (tx, rx) = std::sync::mpsc::channel::<Waker>();
            let waker_thread = std::thread::spawn(move || {
                while let Ok(waker) = rx.recv() {
                    waker.wake();
                }
            });
            let mut count = 0;
            let task = runtime.spawn(std::future::poll_fn(move |cx| {
                count += 1;
                if count == WAKES {
                    return Poll::Ready(count);
                }
                tx.send(cx.waker().clone()).unwrap();
                // Stay in the poll a little so that the wake often lands inside it.
                for _ in 0..50 {
                    std::hint::spin_loop();
                }
                Poll::Pending
            }));
            let polls = runtime.block_on(async {
                within(Duration::from_secs(30), "20,000 self-wakes", task).await
            });
            assert_eq!(polls.unwrap(), WAKES);
            waker_thread.join().unwrap();
        });
    }
}

#[test]
fn abort_races() {
    const TASKS: usize = 10_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let (abort_tx, abort_rx) = std::sync::mpsc::channel::<goro::AbortHandle>();
            let aborter = std::thread::spawn(move || {
                while let Ok(abort) = abort_rx.recv() {
                    abort.abort();
                }
            });
            let handles: Vec<_> = (0..TASKS)
                .map(|i| {
                    let guard = counter.guard();
                    let handle = runtime.spawn(async move {
                        let _guard = guard;
                        match i % 3 {
                            0 => i,
                            1 => {
                                goro::yield_now().await;
                                i
                            }
                            _ => std::future::pending().await,
                        }
                    });
                    abort_tx.send(handle.abort_handle()).unwrap();
                    handle
                })
                .collect();
            drop(abort_tx);
            let (mut done, mut cancelled) = (0, 0);
            runtime.block_on(async {
                for (i, handle) in handles.into_iter().enumerate() {
                    match within(Duration::from_secs(20), "an aborted task", handle).await {
                        Ok(out) => {
                            assert_eq!(out, i);
                            done += 1;
                        }
                        Err(err) => {
                            assert!(err.is_cancelled(), "{err}");
                            cancelled += 1;
                        }
                    }
                }
            });
            aborter.join().unwrap();
            assert_eq!(done + cancelled, TASKS);
            assert!(
                cancelled >= TASKS / 3,
                "every pending task must end cancelled"
            );
            assert_eq!(counter.dropped(), TASKS, "futures leaked");
        });
    }
}

#[test]
fn join_handle_drop_races_with_completion() {
    const TASKS: usize = 10_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let futures = DropCounter::new();
            let outputs = DropCounter::new();
            let (tx, rx) = std::sync::mpsc::channel::<goro::JoinHandle<Guard>>();
            let dropper = std::thread::spawn(move || {
                while let Ok(handle) = rx.recv() {
                    drop(handle);
                }
            });
            for i in 0..TASKS {
                let (future_guard, output_guard) = (futures.guard(), outputs.guard());
                let handle = runtime.spawn(async move {
                    let _future_guard = future_guard;
                    if i % 2 == 0 {
                        goro::yield_now().await;
                    }
                    output_guard
                });
                tx.send(handle).unwrap();
            }
            drop(tx);
            dropper.join().unwrap();
            // Every future and every output is dropped exactly once (a double drop would
            // show as more drops than guards).
            block_until(LIMIT, "every task to finish", || {
                futures.dropped() == TASKS && outputs.dropped() == TASKS
            });
            std::thread::sleep(Duration::from_millis(20));
            assert_eq!(futures.dropped(), TASKS);
            assert_eq!(outputs.dropped(), TASKS);
        });
    }
}

#[test]
fn shutdown_while_tasks_spawn() {
    fn spawner(counter: DropCounter, depth: u32) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let _guard = counter.guard();
            let mut children = Vec::new();
            loop {
                if depth < 3 {
                    children.push(goro::spawn(spawner(counter.clone(), depth + 1)));
                } else {
                    drop(goro::spawn(pending_with::<()>(counter.guard())));
                }
                goro::yield_now().await;
            }
        })
    }
    for round in 0..10 {
        let workers = WORKER_COUNTS[round % 2];
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            for _ in 0..4 {
                drop(runtime.spawn(spawner(counter.clone(), 0)));
            }
            // Let the spawning get going (in real time: on a loaded machine the workers may
            // take a while to be scheduled), then drop the runtime in the middle of it.
            block_until(LIMIT, "the spawners to get going", || {
                counter.created() > 200
            });
            std::thread::sleep(Duration::from_millis(5));
            let start = Instant::now();
            drop(runtime);
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "shutdown took {:?}",
                start.elapsed()
            );
            assert_eq!(
                counter.dropped(),
                counter.created(),
                "futures leaked at shutdown"
            );
        });
    }
}

/// Hand-offs while the blocked thread spawns: a task that spawns a burst, blocks its worker
/// past the monitor's threshold, and spawns again from the same poll, on a thread that has
/// meanwhile lost its slot to a new one. Each hand-off races the old thread's pushes and
/// parking with the new owner's; every spawned task must still run, and the runtime must
/// shut down (every thread joined) within the bound.
#[test]
fn hand_offs_while_the_blocked_thread_spawns() {
    const ROUNDS: usize = 6;
    const BURST: usize = 2_000;
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = goro::Builder::new()
                .worker_threads(workers)
                .blocking_threshold(Some(Duration::from_millis(20)))
                .on_blocked_worker(|_| {})
                .build()
                .unwrap();
            let ran = Arc::new(AtomicUsize::new(0));
            let spawners: Vec<_> = (0..2)
                .map(|_| {
                    let ran = ran.clone();
                    runtime.spawn(async move {
                        let mut handles = Vec::new();
                        for _ in 0..ROUNDS {
                            for _ in 0..BURST {
                                let ran = ran.clone();
                                handles.push(goro::spawn(async move {
                                    ran.fetch_add(1, SeqCst);
                                    goro::yield_now().await;
                                }));
                            }
                            std::thread::sleep(Duration::from_millis(40));
                        }
                        handles
                    })
                })
                .collect();
            let handles = runtime.block_on(async {
                let mut all = Vec::new();
                for spawner in spawners {
                    all.extend(spawner.await.unwrap());
                }
                all
            });
            runtime.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
            assert_eq!(ran.load(SeqCst), 2 * ROUNDS * BURST);
            assert!(runtime.metrics().blocked_worker_events > 0);
            drop(runtime);
        });
    }
}
