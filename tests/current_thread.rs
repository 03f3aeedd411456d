//! The current-thread flavour (`Builder::new_current_thread`, issue 16), as tokio documents
//! its own: the thread inside `block_on` runs every task, timer and socket; nothing runs
//! without a `block_on` (poll by poll, with tokio-test); a spawn from another thread wakes
//! the driving thread; of several threads in `block_on` at once one drives, and the others
//! wait for their future or take over when it returns; `block_on`'s future need not be
//! `Send`; `block_in_place` panics (tokio's `no_block_in_current_thread_*`); a current-thread
//! runtime inside `block_in_place` leaves the outer task its id (tokio's
//! `task_id_block_in_place_block_on_spawn`); the monitor reports a stuck `block_on` thread
//! and says it cannot hand it off; shutdown while another thread drives. The suites of the
//! other files (`suite!`) run on this flavour too.

mod support;

use futures::channel::oneshot;
use goro::task;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::Poll;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};
use support::*;
use tokio_test::{assert_pending, assert_ready};

/// The bound on tests that could hang.
const LIMIT: Duration = Duration::from_secs(20);

fn current_thread() -> goro::Runtime {
    goro::Builder::new_current_thread().build().unwrap()
}

/// A current-thread runtime whose monitor records its reports.
fn watched(threshold: Duration) -> (goro::Runtime, Arc<Mutex<Vec<goro::BlockedWorker>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let runtime = goro::Builder::new_current_thread()
        .blocking_threshold(Some(threshold))
        .on_blocked_worker(move |event| sink.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    (runtime, events)
}

/// A future that sends on `polled` at its first poll, then waits for `rest`.
async fn say_polled_then<F: std::future::Future>(polled: mpsc::Sender<()>, rest: F) -> F::Output {
    let mut polled = Some(polled);
    poll_fn(|_| {
        if let Some(polled) = polled.take() {
            polled.send(()).unwrap();
        }
        Poll::Ready(())
    })
    .await;
    rest.await
}

#[test]
fn the_runtime_has_one_worker_and_no_worker_thread() {
    bounded(LIMIT, || {
        let name = unique_thread_name('c');
        let runtime = goro::Builder::new_current_thread()
            .thread_name(name.clone())
            .blocking_threshold(None)
            .build()
            .unwrap();
        let handle = runtime.handle();
        assert_eq!(handle.runtime_flavor(), goro::RuntimeFlavor::CurrentThread);
        assert_eq!(handle.worker_threads(), 1);
        assert_eq!(runtime.metrics().workers, 1);
        runtime.block_on(async { goro::spawn(async {}).await.unwrap() });
        assert_eq!(
            threads_named(&name),
            Vec::<String>::new(),
            "a thread was started"
        );
    });
}

#[test]
fn tasks_timers_and_blocking_calls_run_around_the_thread_that_blocks_on_them() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let here = thread::current().id();
        let (threads, slept) = runtime.block_on(async move {
            let mut set = goro::JoinSet::new();
            for _ in 0..100 {
                set.spawn(async {
                    goro::yield_now().await;
                    thread::current().id()
                });
            }
            let start = Instant::now();
            goro::time::sleep(Duration::from_millis(20)).await;
            let blocking = goro::spawn_blocking(|| thread::current().id())
                .await
                .unwrap();
            assert_ne!(blocking, here, "spawn_blocking runs on the blocking pool");
            (set.join_all().await, start.elapsed())
        });
        assert!(threads.iter().all(|&id| id == here));
        assert!(slept >= Duration::from_millis(20));
    });
}

#[test]
fn nothing_runs_without_block_on_poll_by_poll() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let mut task = tokio_test::task::spawn(runtime.spawn(async move {
            flag.store(true, SeqCst);
            7
        }));
        assert_pending!(task.poll());
        // Another runtime would run it on a worker by now; this one has none.
        thread::sleep(Duration::from_millis(50));
        assert!(!ran.load(SeqCst));
        assert!(!task.is_woken());
        assert_pending!(task.poll());
        // A `block_on` whose future yields once gives the runtime one turn.
        runtime.block_on(goro::yield_now());
        assert!(ran.load(SeqCst));
        assert!(task.is_woken());
        assert_eq!(assert_ready!(task.poll()).unwrap(), 7);
    });
}

#[test]
fn a_task_woken_while_nobody_blocks_on_the_runtime_waits_for_the_next_block_on() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let (tx, rx) = oneshot::channel::<u32>();
        let mut task = tokio_test::task::spawn(runtime.spawn(async move { rx.await.unwrap() + 1 }));
        runtime.block_on(goro::yield_now());
        assert_pending!(task.poll(), "the task waits for its message");
        tx.send(41).unwrap();
        thread::sleep(Duration::from_millis(50));
        assert!(!task.is_woken(), "woken without a block_on");
        runtime.block_on(goro::yield_now());
        assert!(task.is_woken());
        assert_eq!(assert_ready!(task.poll()).unwrap(), 42);
    });
}

#[test]
fn a_spawn_from_another_thread_wakes_the_thread_that_drives() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let handle = runtime.handle().clone();
        let (tx, rx) = oneshot::channel::<ThreadId>();
        let spawner = thread::spawn(move || {
            // Late enough that the driving thread is asleep in the reactor, most runs.
            thread::sleep(Duration::from_millis(50));
            drop(handle.spawn(async move { tx.send(thread::current().id()).unwrap() }));
        });
        let ran_on = runtime.block_on(rx).unwrap();
        assert_eq!(ran_on, thread::current().id());
        spawner.join().unwrap();
    });
}

#[test]
fn a_wake_from_another_thread_reaches_block_on_s_future_while_its_thread_sleeps() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || {
            // Late enough that the thread is asleep in the reactor, most runs.
            thread::sleep(Duration::from_millis(50));
            tx.send(5).unwrap();
        });
        assert_eq!(runtime.block_on(rx).unwrap(), 5);
        sender.join().unwrap();
    });
}

#[test]
fn block_on_polls_a_future_that_is_not_send() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let shared = Rc::new(std::cell::Cell::new(0));
        let inside = shared.clone();
        runtime.block_on(async move {
            for i in 1..=3 {
                inside.set(inside.get() + goro::spawn(async move { i }).await.unwrap());
            }
        });
        assert_eq!(shared.get(), 6);
    });
}

#[test]
fn a_block_on_future_that_keeps_yielding_does_not_starve_the_tasks() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let yields = runtime.block_on(async move {
            drop(goro::spawn(async move { flag.store(true, SeqCst) }));
            let mut yields = 0;
            while !done.load(SeqCst) {
                goro::yield_now().await;
                yields += 1;
            }
            yields
        });
        assert!(yields >= 1);
    });
}

#[test]
fn a_block_on_future_that_yields_with_no_task_to_run_goes_on() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        // Woken during its own poll, the future is polled again: the thread must not sleep
        // in the reactor, where nothing would wake it.
        let out = runtime.block_on(async {
            goro::yield_now().await;
            goro::yield_now().await;
            5
        });
        assert_eq!(out, 5);
    });
}

#[test]
fn one_thread_drives_the_others_wait_for_their_future_then_take_over() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let handle = runtime.handle().clone();
        // A drives until told to stop.
        let (a_polled, a_in) = mpsc::channel();
        let (stop_a, a_stop) = oneshot::channel::<()>();
        let a = {
            let handle = handle.clone();
            thread::spawn(move || {
                handle.block_on(say_polled_then(a_polled, a_stop)).unwrap();
                thread::current().id()
            })
        };
        a_in.recv_timeout(LIMIT).unwrap();
        // B's future needs a task run: A runs it, and B returns while A still drives.
        let b = {
            let handle = handle.clone();
            thread::spawn(move || {
                handle.block_on(async { goro::spawn(async { thread::current().id() }).await })
            })
        };
        let b_task_ran_on = b.join().unwrap().unwrap();
        // C waits for a task that waits for a gate; once C's future was polled, A still
        // drives, so C waits for the core.
        let (gate_tx, gate_rx) = oneshot::channel::<()>();
        let gated = handle.spawn(async move {
            gate_rx.await.unwrap();
            thread::current().id()
        });
        let (c_polled, c_in) = mpsc::channel();
        let c = {
            let handle = handle.clone();
            thread::spawn(move || {
                let ran_on = handle.block_on(say_polled_then(c_polled, gated)).unwrap();
                (thread::current().id(), ran_on)
            })
        };
        c_in.recv_timeout(LIMIT).unwrap();
        stop_a.send(()).unwrap();
        let a_thread = a.join().unwrap();
        assert_eq!(
            b_task_ran_on, a_thread,
            "A drove while B waited for its future"
        );
        // Nothing wakes C's future until the gate opens, and only a thread that drives
        // can run the gated task: C must have taken the core when A let it go.
        gate_tx.send(()).unwrap();
        let (c_thread, gated_ran_on) = c.join().unwrap();
        assert_eq!(gated_ran_on, c_thread, "C took over when A returned");
    });
}

#[test]
fn many_threads_in_block_on_at_once_all_finish() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let handle = runtime.handle().clone();
                thread::spawn(move || {
                    handle.block_on(async move {
                        let mut sum = 0;
                        for i in 0..200u64 {
                            let task = goro::spawn(async move {
                                goro::yield_now().await;
                                t * 1000 + i
                            });
                            sum += task.await.unwrap();
                            if i % 50 == 0 {
                                goro::time::sleep(Duration::from_millis(1)).await;
                            }
                        }
                        sum
                    })
                })
            })
            .collect();
        for (t, thread) in threads.into_iter().enumerate() {
            let t = t as u64;
            assert_eq!(
                thread.join().unwrap(),
                200 * t * 1000 + (0..200).sum::<u64>()
            );
        }
    });
}

#[test]
fn block_in_place_panics_in_block_on_s_future() {
    // tokio's `no_block_in_current_thread_block_on`.
    bounded(LIMIT, || {
        let runtime = current_thread();
        let message = expect_panic(|| runtime.block_on(async { task::block_in_place(|| {}) }));
        assert!(message.contains("on a current-thread runtime"), "{message}");
        // The runtime goes on.
        assert_eq!(
            runtime.block_on(async { goro::spawn(async { 1 }).await.unwrap() }),
            1
        );
    });
}

#[goro::test(flavor = "current_thread", timeout_ms = 20000)]
async fn block_in_place_panics_in_a_task() {
    // tokio's `no_block_in_current_thread_scheduler`.
    let err = goro::spawn(async { task::block_in_place(|| {}) })
        .await
        .unwrap_err();
    let message = panic_message(&*err.into_panic());
    assert!(message.contains("on a current-thread runtime"), "{message}");
}

#[goro::test(flavor = "multi_thread", timeout_ms = 20000)]
async fn a_current_thread_runtime_inside_block_in_place_leaves_the_task_its_id() {
    // tokio's `task_id_block_in_place_block_on_spawn` and
    // `can_enter_current_thread_rt_from_within_block_in_place`.
    goro::spawn(async {
        let parent = task::id();
        task::block_in_place(move || {
            let inner = current_thread();
            let child = inner.block_on(inner.spawn(async { task::id() })).unwrap();
            assert_ne!(child, parent);
            inner.block_on(async {});
        });
        assert_eq!(task::id(), parent);
    })
    .await
    .unwrap();
}

#[test]
fn block_on_in_a_task_panics_and_says_why() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let handle = runtime.handle().clone();
        let task = runtime.spawn(async move { handle.block_on(async {}) });
        let err = runtime.block_on(task).unwrap_err();
        let message = panic_message(&*err.into_panic());
        assert!(message.contains("inside another block_on"), "{message}");
    });
}

#[test]
fn the_monitor_reports_a_stuck_task_and_says_it_cannot_hand_the_thread_off() {
    bounded(LIMIT, || {
        let (runtime, events) = watched(Duration::from_millis(50));
        let (id, line, after) = runtime.block_on(async {
            let line = line!() + 1;
            let stuck = goro::spawn(async { thread::sleep(Duration::from_millis(400)) });
            let id = stuck.id();
            stuck.await.unwrap();
            // The runtime goes on once the poll returns.
            (id, line, goro::spawn(async { 5 }).await.unwrap())
        });
        assert_eq!(after, 5);
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert!(event.on_current_thread);
        assert!(!event.replaced, "nothing can take the thread's place");
        assert_eq!(event.task, Some(id));
        let location = event.location.unwrap();
        assert!(location.file().ends_with("current_thread.rs"));
        assert_eq!(location.line(), line);
        assert!(event.blocked_for >= Duration::from_millis(50));
        let text = event.to_string();
        assert!(text.contains("cannot hand its thread off"), "{text}");
        assert!(text.contains("block_on thread"), "{text}");
        assert_eq!(runtime.metrics().blocked_worker_events, 1);
    });
}

#[test]
fn the_monitor_reports_a_stuck_block_on_future_by_where_block_on_was_called() {
    bounded(LIMIT, || {
        let (runtime, events) = watched(Duration::from_millis(50));
        let line = line!() + 1;
        runtime.block_on(async { thread::sleep(Duration::from_millis(400)) });
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert!(event.on_current_thread && !event.replaced);
        assert_eq!(event.task, None, "block_on's future is no task");
        let location = event.location.unwrap();
        assert!(location.file().ends_with("current_thread.rs"));
        assert_eq!(location.line(), line);
        let text = event.to_string();
        assert!(
            text.contains("the future of the block_on called at"),
            "{text}"
        );
    });
}

#[test]
fn dropping_the_runtime_while_another_thread_drives_it() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let counter = DropCounter::new();
        let task = runtime.spawn(pending_with::<()>(counter.guard()));
        let (polled, in_block_on) = mpsc::channel();
        let handle = runtime.handle().clone();
        let driver = thread::spawn(move || handle.block_on(say_polled_then(polled, task)));
        in_block_on.recv_timeout(LIMIT).unwrap();
        drop(runtime);
        let err = driver.join().unwrap().unwrap_err();
        assert!(err.is_cancelled(), "{err}");
        assert_eq!(counter.alive(), 0);
    });
}

#[test]
fn shutdown_timeout_leaves_a_thread_stuck_in_a_poll_behind() {
    bounded(LIMIT, || {
        let runtime = goro::Builder::new_current_thread()
            .blocking_threshold(None)
            .build()
            .unwrap();
        let (polled, stuck) = mpsc::channel();
        let task = runtime.spawn(async move {
            polled.send(()).unwrap();
            thread::sleep(Duration::from_secs(2));
        });
        let handle = runtime.handle().clone();
        let driver = thread::spawn(move || handle.block_on(task));
        stuck.recv_timeout(LIMIT).unwrap();
        let start = Instant::now();
        runtime.shutdown_timeout(Duration::from_millis(100));
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{:?}",
            start.elapsed()
        );
        // The task finished its poll; its JoinHandle answers once the driver is done.
        let _ = driver.join().unwrap();
    });
}

#[test]
fn a_runtime_dropped_inside_its_own_task_still_shuts_down() {
    bounded(LIMIT, || {
        let name = unique_thread_name('d');
        let runtime = goro::Builder::new_current_thread()
            .thread_name(name.clone())
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let err = handle
            .block_on(handle.spawn(async move { drop(runtime) }))
            .unwrap_err();
        let message = panic_message(&*err.into_panic());
        assert!(message.contains("own tasks"), "{message}");
        drop(handle);
        assert_eq!(threads_left(&name), Vec::<String>::new());
    });
}

#[test]
fn an_unhandled_panic_shuts_the_runtime_down_and_block_on_panics() {
    bounded(LIMIT, || {
        let runtime = goro::Builder::new_current_thread()
            .on_unhandled_panic(goro::UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        let message = expect_panic(|| {
            runtime.block_on(async {
                drop(goro::spawn(async { panic!("a bug") }));
                std::future::pending::<()>().await;
            })
        });
        assert!(
            message.contains("UnhandledPanic::ShutdownRuntime"),
            "{message}"
        );
    });
}

#[test]
fn metrics_and_dump_see_the_tasks_waiting_for_a_block_on() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let waiting = runtime.spawn(std::future::pending::<()>());
        let dump = runtime.handle().dump();
        let info = dump.iter().find(|info| info.id == waiting.id()).unwrap();
        assert_eq!(info.polls, 0);
        assert!(info.location.file().ends_with("current_thread.rs"));
        let metrics = runtime.metrics();
        assert_eq!(metrics.spawned_tasks, 1);
        assert_eq!(metrics.live_tasks, 1);
        assert_eq!(
            metrics.global_queue_depth, 1,
            "spawned from outside: the injector"
        );
        runtime.block_on(goro::yield_now());
        let metrics = runtime.metrics();
        assert_eq!(metrics.global_queue_depth, 0);
        assert!(metrics.polls >= 1);
        assert_eq!(metrics.local_queue_depths, [0]);
        waiting.abort();
    });
}

#[test]
fn local_set_tasks_run_on_the_same_thread() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let local = task::LocalSet::new();
        let here = thread::current().id();
        let shared = Rc::new(std::cell::Cell::new(0));
        let seen = local.block_on(&runtime, {
            let shared = shared.clone();
            async move {
                let local = task::spawn_local(async move {
                    shared.set(1);
                    thread::current().id()
                });
                let spawned = goro::spawn(async { thread::current().id() });
                (local.await.unwrap(), spawned.await.unwrap())
            }
        });
        assert_eq!(seen, (here, here));
        assert_eq!(shared.get(), 1);
    });
}

#[goro::test(flavor = "current_thread", timeout_ms = 20000)]
async fn tcp_echo_on_one_thread() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let listener = goro::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = goro::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0; 64];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            stream.write_all(&buf[..n]).await.unwrap();
        }
    });
    let mut client = goro::net::TcpStream::connect(addr).await.unwrap();
    for round in 0..100u8 {
        client.write_all(&[round; 16]).await.unwrap();
        let mut back = [0; 16];
        client.read_exact(&mut back).await.unwrap();
        assert_eq!(back, [round; 16]);
    }
    drop(client);
    server.await.unwrap();
}

#[goro::test(flavor = "current_thread", start_paused = true, timeout_ms = 20000)]
async fn a_paused_clock_jumps_when_the_thread_has_nothing_else_to_do() {
    let start = Instant::now();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (order.clone(), order.clone());
    let hour = goro::spawn(async move {
        goro::time::sleep(Duration::from_secs(3600)).await;
        a.lock().unwrap().push("hour");
    });
    let minute = goro::spawn(async move {
        goro::time::sleep(Duration::from_secs(60)).await;
        b.lock().unwrap().push("minute");
    });
    goro::time::sleep(Duration::from_secs(7200)).await;
    hour.await.unwrap();
    minute.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["minute", "hour"]);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_paused_clock_does_not_jump_while_nobody_drives_the_runtime() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let fired = Arc::new(AtomicUsize::new(0));
        let counter = fired.clone();
        let paused_at = runtime.block_on(async move {
            goro::time::pause();
            let paused_at = goro::time::Instant::now();
            drop(goro::spawn(async move {
                goro::time::sleep(Duration::from_secs(60)).await;
                counter.fetch_add(1, SeqCst);
            }));
            goro::yield_now().await; // the task arms its timer
            paused_at
        });
        // The call's return, and a blocking task's end, are participants becoming idle,
        // which may jump a paused clock; with nobody to run what a jump wakes, they must not.
        drop(runtime.spawn_blocking(|| ()));
        thread::sleep(Duration::from_millis(50));
        assert_eq!(fired.load(SeqCst), 0);
        let now = runtime.block_on(async { goro::time::Instant::now() });
        assert_eq!(now, paused_at, "the clock jumped with nobody in block_on");
        // Inside block_on, with nothing else to do, it jumps.
        runtime.block_on(async { goro::time::sleep(Duration::from_secs(61)).await });
        assert_eq!(fired.load(SeqCst), 1);
    });
}

#[test]
fn enter_then_spawn_runs_at_the_next_block_on() {
    bounded(LIMIT, || {
        let runtime = current_thread();
        let task = {
            let _guard = runtime.enter();
            goro::spawn(async { thread::current().id() })
        };
        assert_eq!(runtime.block_on(task).unwrap(), thread::current().id());
    });
}
