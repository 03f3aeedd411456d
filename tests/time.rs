//! `goro::time`: sleeps that are never early and only a little late, their order,
//! `sleep_until`, `Sleep::reset`/`deadline`/`is_elapsed`, dropping a pending sleep,
//! `timeout` both ways, `interval` and its `MissedTickBehavior`s, 100,000 concurrent sleeps,
//! and paused time (`start_paused`, `advance`, and when the clock may jump: not while the
//! body, a task or a blocking task can still run, and always once none can). Arithmetic at
//! the far end of time (`Duration::MAX` periods and advances, a stall of more than
//! `u32::MAX` periods) saturates. A timer waker that panics stops neither timers nor
//! sockets. Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use futures::FutureExt;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;
use tokio_test::{assert_pending, assert_ready};

const LIMIT: Duration = Duration::from_secs(30);

/// How late a timer may fire on this (loaded, 2-core, debug) machine.
const LATE: Duration = Duration::from_millis(100);

/// The runtime's clock, paused or not: a zero sleep's deadline is "now".
fn clock() -> Instant {
    goro::time::sleep(Duration::ZERO).deadline().into_std()
}

/// Sleeps `d` and returns how long it took in real time.
async fn timed_sleep(d: Duration) -> Duration {
    let start = Instant::now();
    goro::time::sleep(d).await;
    start.elapsed()
}

/// A task that yields until told to stop: it keeps one worker busy, so a paused clock
/// cannot jump on its own.
fn spin() -> (goro::JoinHandle<()>, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = goro::spawn(async move {
        while !s.load(SeqCst) {
            goro::yield_now().await;
        }
    });
    (spinner, stop)
}

#[track_caller]
fn assert_on_time(took: Duration, asked: Duration) {
    assert!(
        took >= asked,
        "a {asked:?} sleep ended early, after {took:?}"
    );
    assert!(
        took <= asked + LATE,
        "a {asked:?} sleep ended late, after {took:?}"
    );
}

suite! {
    async fn sleep_is_never_early_and_hardly_late() {
        for ms in [0u64, 1, 5, 20, 50] {
            let asked = Duration::from_millis(ms);
            assert_on_time(timed_sleep(asked).await, asked);
            let in_task = goro::spawn(timed_sleep(asked));
            assert_on_time(within(LIMIT, "a sleeping task", in_task).await.unwrap(), asked);
        }
    }

    async fn concurrent_sleeps_finish_in_deadline_order() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let mut set = goro::JoinSet::new();
        // Spawned out of order, 30 ms apart, the first 60 ms out (so that every task has
        // registered its timer before the first one is due, even on a loaded machine).
        for i in [7u64, 2, 9, 0, 4, 1, 8, 3, 6, 5] {
            let order = order.clone();
            set.spawn(async move {
                let asked = Duration::from_millis(60 + 30 * i);
                let polled = start.elapsed();
                goro::time::sleep_until(start + asked).await;
                let woke = start.elapsed();
                assert!(woke >= asked);
                order.lock().unwrap().push((i, polled, woke));
            });
        }
        within(LIMIT, "the sleepers", set.join_all()).await;
        let mut order = order.lock().unwrap();
        // Timers fire in deadline order; on several workers two tasks woken in one turn of a
        // stalled machine may record themselves in either order, so compare wake times with
        // a little slack rather than the order of the records.
        order.sort_by_key(|(i, _, _)| *i);
        for pair in order.windows(2) {
            assert!(
                pair[0].2 <= pair[1].2 + Duration::from_millis(5),
                "(task, first polled at, woke at): {order:?}"
            );
        }
    }

    async fn sleep_until_a_past_instant_is_ready_at_once() {
        let past = Instant::now() - Duration::from_millis(5);
        let mut sleep = tokio_test::task::spawn(goro::time::sleep_until(past));
        assert_ready!(sleep.poll());
        let mut zero = tokio_test::task::spawn(goro::time::sleep(Duration::ZERO));
        assert_ready!(zero.poll());
    }

    async fn sleep_poll_by_poll() {
        let start = Instant::now();
        let sleep = goro::time::sleep(Duration::from_millis(30));
        let deadline = sleep.deadline();
        assert!(!sleep.is_elapsed());
        let mut sleep = tokio_test::task::spawn(sleep);
        assert_pending!(sleep.poll());
        assert_pending!(sleep.poll()); // polled again before the deadline: still pending
        wait_until(LIMIT, "the sleep's waker", || sleep.is_woken()).await;
        assert!(Instant::now() >= deadline.into_std(), "woken before the deadline");
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_ready!(sleep.poll());
        assert!(sleep.is_elapsed());
    }

    async fn a_far_sleep_is_pending_and_harmless() {
        let mut forever = tokio_test::task::spawn(goro::time::sleep(Duration::MAX));
        assert_pending!(forever.poll());
        assert!(!forever.is_elapsed());
        let mut far = tokio_test::task::spawn(goro::time::sleep(Duration::from_secs(86400 * 365)));
        assert_pending!(far.poll());
        drop(forever);
        drop(far);
        assert_on_time(timed_sleep(Duration::from_millis(5)).await, Duration::from_millis(5));
    }

    async fn reset_a_pending_sleep() {
        // Earlier.
        let start = Instant::now();
        let mut sleep = std::pin::pin!(goro::time::sleep(Duration::from_secs(3600)));
        assert!((&mut sleep).now_or_never().is_none());
        let target = Instant::now() + Duration::from_millis(20);
        sleep.as_mut().reset(target);
        assert_eq!(sleep.deadline(), target.into());
        within(LIMIT, "a reset sleep", &mut sleep).await;
        assert!(Instant::now() >= target);
        assert!(start.elapsed() < Duration::from_secs(10));
        // Later: a sleep of 10 ms moved to 60 ms does not end at 10.
        let start = Instant::now();
        let mut sleep = std::pin::pin!(goro::time::sleep(Duration::from_millis(10)));
        assert!((&mut sleep).now_or_never().is_none());
        sleep.as_mut().reset(start + Duration::from_millis(60));
        within(LIMIT, "a sleep moved later", &mut sleep).await;
        assert_on_time(start.elapsed(), Duration::from_millis(60));
    }

    async fn reset_a_completed_sleep() {
        let mut sleep = std::pin::pin!(goro::time::sleep(Duration::from_millis(1)));
        within(LIMIT, "a short sleep", &mut sleep).await;
        assert!(sleep.is_elapsed());
        let start = Instant::now();
        sleep.as_mut().reset(start + Duration::from_millis(30));
        assert!(!sleep.is_elapsed());
        within(LIMIT, "a completed sleep reset", &mut sleep).await;
        assert_on_time(start.elapsed(), Duration::from_millis(30));
    }

    async fn a_task_aborted_while_sleeping() {
        let counter = DropCounter::new();
        let mut handles = Vec::new();
        for _ in 0..1000 {
            let guard = counter.guard();
            handles.push(goro::spawn(async move {
                let _guard = guard;
                goro::time::sleep(Duration::from_millis(40)).await;
                panic!("an aborted sleeper woke up");
            }));
        }
        goro::time::sleep(Duration::from_millis(5)).await;
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            assert!(within(LIMIT, "an aborted sleeper", handle).await.unwrap_err().is_cancelled());
        }
        assert_eq!(counter.dropped(), 1000);
        // Their timers came due with nobody to wake: the timers still work.
        goro::time::sleep(Duration::from_millis(60)).await;
        assert_on_time(timed_sleep(Duration::from_millis(5)).await, Duration::from_millis(5));
    }

    async fn dropping_a_polled_sleep() {
        for _ in 0..100 {
            let mut sleep = tokio_test::task::spawn(goro::time::sleep(Duration::from_millis(5)));
            assert_pending!(sleep.poll());
            drop(sleep);
        }
        goro::time::sleep(Duration::from_millis(10)).await;
        assert_on_time(timed_sleep(Duration::from_millis(5)).await, Duration::from_millis(5));
    }

    async fn timeout_both_ways() {
        let fast = goro::time::timeout(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(fast.unwrap(), 7);
        // The future is polled before the clock: a ready future wins even a zero timeout.
        assert_eq!(goro::time::timeout(Duration::ZERO, async { 8 }).await.unwrap(), 8);

        let counter = DropCounter::new();
        let start = Instant::now();
        let slow = goro::time::timeout(Duration::from_millis(30), pending_with::<()>(counter.guard())).await;
        let took = start.elapsed();
        let err = slow.unwrap_err();
        assert_on_time(took, Duration::from_millis(30));
        assert_eq!(counter.dropped(), 1, "the timed-out future is dropped");
        assert_eq!(err.to_string(), "deadline has elapsed");
        let io: std::io::Error = err.into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);

        // A future that finishes in time, inside a task.
        let in_task = goro::spawn(goro::time::timeout(Duration::from_secs(5), async {
            goro::time::sleep(Duration::from_millis(10)).await;
            "in time"
        }));
        assert_eq!(within(LIMIT, "timeout in a task", in_task).await.unwrap().unwrap(), "in time");
    }

    async fn timeout_fires_around_a_future_that_spends_its_budget() {
        // The inner future always makes progress on a goro resource (a zero sleep is ready at
        // once), so each poll spends the task's whole cooperative budget; the timeout's own
        // timer must still get its turn.
        let task = goro::spawn(async {
            let start = Instant::now();
            let out = goro::time::timeout(Duration::from_millis(20), async {
                loop {
                    goro::time::sleep(Duration::ZERO).await;
                }
            })
            .await;
            (out.is_err(), start.elapsed())
        });
        let (elapsed, took) = within(Duration::from_secs(5), "a timeout around a busy future", task)
            .await
            .unwrap();
        assert!(elapsed);
        assert!(took >= Duration::from_millis(20));
    }

    async fn interval_ticks_at_its_period() {
        let start = Instant::now();
        let mut ticks = goro::time::interval(Duration::from_millis(20));
        assert_eq!(ticks.period(), Duration::from_millis(20));
        let first = ticks.tick().await;
        assert!(start.elapsed() < LATE, "the first tick is immediate");
        let mut previous = first;
        for n in 1..=5u32 {
            let at = ticks.tick().await;
            assert_eq!(at - previous, Duration::from_millis(20));
            previous = at;
            let since = start.elapsed();
            assert!(since >= Duration::from_millis(20) * n - Duration::from_millis(2), "tick {n} early: {since:?}");
        }
        assert!(start.elapsed() <= Duration::from_millis(100) + LATE);
        // interval_at starts at the given instant.
        let at = Instant::now() + Duration::from_millis(15);
        let mut later = goro::time::interval_at(at, Duration::from_millis(5));
        assert_eq!(later.tick().await, at.into());
        assert!(Instant::now() >= at);
        // reset: the next tick is one period from now.
        let mut ticks = goro::time::interval(Duration::from_millis(25));
        ticks.tick().await;
        let reset_at = Instant::now();
        ticks.reset();
        ticks.tick().await;
        assert!(reset_at.elapsed() >= Duration::from_millis(25));
    }

    async fn interval_missed_ticks_roughly() {
        // Real time: busy for 3.5 periods, then count how many ticks come at once.
        use goro::time::MissedTickBehavior;
        for (behavior, immediate) in [
            (MissedTickBehavior::Burst, 3),
            (MissedTickBehavior::Delay, 1),
            (MissedTickBehavior::Skip, 1),
        ] {
            let mut ticks = goro::time::interval(Duration::from_millis(40));
            ticks.set_missed_tick_behavior(behavior);
            assert_eq!(ticks.missed_tick_behavior(), behavior);
            ticks.tick().await;
            goro::time::sleep(Duration::from_millis(140)).await;
            let mut quick = 0;
            for _ in 0..5 {
                let start = Instant::now();
                ticks.tick().await;
                if start.elapsed() < Duration::from_millis(15) {
                    quick += 1;
                } else {
                    break;
                }
            }
            // Burst catches up with the 3 missed ticks (a 4th if the sleep itself ran late);
            // Delay and Skip fire one at once, then wait (Skip's next tick may come soon if
            // the sleep ran late).
            match behavior {
                MissedTickBehavior::Burst => assert!(quick >= immediate, "{behavior:?}: {quick}"),
                MissedTickBehavior::Delay => assert_eq!(quick, immediate, "{behavior:?}"),
                _ => assert!((1..=2).contains(&quick), "{behavior:?}: {quick}"),
            }
        }
    }

    async fn interval_period_zero_panics() {
        let message = expect_panic(|| goro::time::interval(Duration::ZERO));
        assert!(message.contains("non-zero"), "{message}");
    }

    [start_paused = true] async fn paused_an_hour_sleep_and_a_30_s_timeout_take_no_time() {
        let wall = Instant::now();
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        // Spawned from a task: the test is about workers alone (the body, on the block_on
        // thread, holds the clock while it runs too; see the tests further down).
        let all = goro::spawn(async move {
            let o2 = o.clone();
            let sleeper = goro::spawn(async move {
                goro::time::sleep(Duration::from_secs(3600)).await;
                o2.lock().unwrap().push("sleep 3600 s");
            });
            let timer = goro::spawn(async move {
                let out = goro::time::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
                assert!(out.is_err());
                o.lock().unwrap().push("timeout 30 s");
            });
            sleeper.await.unwrap();
            timer.await.unwrap();
        });
        all.await.unwrap();
        assert_eq!(*order.lock().unwrap(), ["timeout 30 s", "sleep 3600 s"]);
        assert!(wall.elapsed() < Duration::from_secs(1), "paused time took {:?}", wall.elapsed());
    }

    [start_paused = true] async fn paused_many_sleeps_fire_in_order_exactly() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        // Spawned from a task (see the hour-long sleep above).
        goro::spawn(async move {
            let start = clock();
            let mut set = goro::JoinSet::new();
            for i in [5u64, 3, 9, 1, 7, 0, 8, 2, 6, 4] {
                let order = o.clone();
                set.spawn(async move {
                    goro::time::sleep(Duration::from_secs(10 * (i + 1))).await;
                    // On a paused clock, on time to within the wheel's 1 ms tick.
                    let late = clock() - start - Duration::from_secs(10 * (i + 1));
                    assert!(late <= Duration::from_millis(1), "{late:?} late");
                    order.lock().unwrap().push(i);
                });
            }
            set.join_all().await;
        })
        .await
        .unwrap();
        assert_eq!(*order.lock().unwrap(), (0..10).collect::<Vec<_>>());
    }

    [start_paused = true] async fn paused_clock_stands_still_and_advance_moves_it() {
        // A task always runnable keeps the clock from jumping on its own meanwhile.
        let (spinner, stop) = spin();
        let before = clock();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(clock(), before, "a paused clock moved with real time");
        goro::time::advance(Duration::from_secs(7));
        assert_eq!(clock() - before, Duration::from_secs(7));
        // advance fires what came due (a deadline rounded to the next whole millisecond
        // comes due by 1 ms more; see the ignored test below for the exact case).
        let mut sleep = tokio_test::task::spawn(goro::time::sleep(Duration::from_secs(5)));
        assert_pending!(sleep.poll());
        goro::time::advance(Duration::from_secs(4));
        assert!(!sleep.is_woken());
        assert_pending!(sleep.poll());
        goro::time::advance(Duration::from_millis(1001));
        assert!(sleep.is_woken());
        assert_ready!(sleep.poll());
        stop.store(true, SeqCst);
        spinner.await.unwrap();
    }

    async fn pause_then_resume() {
        let message = expect_panic(|| goro::time::advance(Duration::from_secs(1)));
        assert!(message.contains("not paused"), "{message}");
        goro::time::pause();
        let paused = clock();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock(), paused);
        // resume: the clock runs again from real time.
        goro::time::resume();
        let resumed = clock();
        std::thread::sleep(Duration::from_millis(5));
        assert!(clock() > resumed);
        assert_on_time(timed_sleep(Duration::from_millis(10)).await, Duration::from_millis(10));
    }

    [start_paused = true] async fn resume_after_the_clock_jumped_is_never_early() {
        goro::time::advance(Duration::from_secs(10));
        goro::time::resume();
        assert_on_time(timed_sleep(Duration::from_millis(20)).await, Duration::from_millis(20));
    }

    [start_paused = true] async fn paused_advance_fires_a_sleep_due_exactly_then() {
        let (spinner, stop) = spin();
        let mut sleep = tokio_test::task::spawn(goro::time::sleep(Duration::from_secs(5)));
        assert_pending!(sleep.poll());
        goro::time::advance(Duration::from_secs(5));
        // The deadline has come (the clock says so), and advance fires "every timer that
        // comes due": the sleep must have been woken by now.
        assert!(sleep.is_elapsed());
        let woken = sleep.is_woken();
        stop.store(true, SeqCst);
        spinner.await.unwrap();
        assert!(woken, "advance() moved the clock onto a sleep's deadline without waking it");
        assert_ready!(sleep.poll());
    }

    [start_paused = true] async fn paused_interval_missed_tick_behaviors_exactly() {
        use goro::time::MissedTickBehavior::{self, Burst, Delay, Skip};
        let ms = Duration::from_millis;
        let cases: [(MissedTickBehavior, [u64; 4]); 3] = [
            (Burst, [10, 20, 30, 40]),
            (Delay, [10, 45, 55, 65]),
            (Skip, [10, 40, 50, 60]),
        ];
        for (behavior, expected) in cases {
            let task = goro::spawn(async move {
                let mut ticks = goro::time::interval(ms(10));
                ticks.set_missed_tick_behavior(behavior);
                let t0 = ticks.tick().await;
                // Busy for 3.5 periods: the clock moves without the interval's task idling.
                goro::time::advance(ms(35));
                let mut got = Vec::new();
                for _ in 0..4 {
                    let at = ticks.tick().await;
                    got.push((at - t0).as_millis() as u64);
                }
                got
            });
            assert_eq!(task.await.unwrap(), expected, "{behavior:?}");
        }
    }

    [start_paused = true] async fn paused_timeout_of_a_sleep_in_a_task() {
        let task = goro::spawn(async {
            let short = goro::time::timeout(Duration::from_secs(60), goro::time::sleep(Duration::from_secs(59))).await;
            let long = goro::time::timeout(Duration::from_secs(60), goro::time::sleep(Duration::from_secs(61))).await;
            (short.is_ok(), long.is_err())
        });
        assert_eq!(task.await.unwrap(), (true, true));
    }

    [start_paused = true] async fn paused_clock_stands_still_while_the_body_can_run() {
        // The body runs on the block_on thread, not on a worker. Each round it awaits a
        // trivial task while an hour-long sleep is pending in another: when that task ends,
        // every worker is idle, but the body is about to run, so the clock must not jump.
        let start = clock();
        let sleeper = goro::spawn(goro::time::sleep(Duration::from_secs(3600)));
        for round in 0..2_000 {
            goro::spawn(async {}).await.unwrap();
            assert_eq!(clock(), start, "round {round}: the paused clock jumped while the body could run");
        }
        assert!(!sleeper.is_finished());
        sleeper.abort();
        assert!(sleeper.await.unwrap_err().is_cancelled());
    }

    [start_paused = true] async fn paused_clock_stands_still_while_a_blocking_task_runs() {
        let work = || {
            std::thread::sleep(Duration::from_millis(50));
            5
        };
        // Awaited by the body, and by a task.
        let out = goro::time::timeout(Duration::from_secs(10), goro::spawn_blocking(work)).await;
        assert_eq!(out.expect("the clock jumped while a blocking task ran").unwrap(), 5);
        let task = goro::spawn(goro::time::timeout(Duration::from_secs(10), goro::spawn_blocking(work)));
        assert_eq!(task.await.unwrap().expect("the clock jumped while a blocking task ran").unwrap(), 5);
        // Detached: the clock waits for it, then jumps (somebody must still move it once
        // the blocking task, the last busy participant, is done).
        let start = clock();
        let detached = goro::spawn_blocking(work);
        goro::time::sleep(Duration::from_secs(3600)).await;
        assert!(detached.is_finished(), "an hour passed before a 50 ms blocking task ended");
        assert_eq!(clock() - start, Duration::from_secs(3600));
        assert_eq!(detached.await.unwrap(), 5);
    }

    async fn an_interval_of_duration_max_ticks_once() {
        let mut ticks = goro::time::interval(Duration::MAX);
        let mut task = tokio_test::task::spawn(());
        assert_ready!(task.enter(|cx, _| ticks.poll_tick(cx)));
        assert_pending!(task.enter(|cx, _| ticks.poll_tick(cx)));
        ticks.reset();
        assert_pending!(task.enter(|cx, _| ticks.poll_tick(cx)));
        for behavior in [goro::time::MissedTickBehavior::Delay, goro::time::MissedTickBehavior::Skip] {
            let mut ticks = goro::time::interval(Duration::MAX);
            ticks.set_missed_tick_behavior(behavior);
            assert_ready!(task.enter(|cx, _| ticks.poll_tick(cx)));
            assert_pending!(task.enter(|cx, _| ticks.poll_tick(cx)));
        }
    }

    [start_paused = true] async fn paused_skip_after_more_than_u32_max_missed_periods() {
        let mut ticks = goro::time::interval(Duration::from_nanos(1));
        ticks.set_missed_tick_behavior(goro::time::MissedTickBehavior::Skip);
        let mut task = tokio_test::task::spawn(());
        let first = assert_ready!(task.enter(|cx, _| ticks.poll_tick(cx)));
        // 5 s of 1 ns periods: 5e9 missed ticks, more than u32::MAX.
        goro::time::advance(Duration::from_secs(5));
        let missed = assert_ready!(task.enter(|cx, _| ticks.poll_tick(cx)));
        assert_eq!(missed - first, Duration::from_nanos(1));
        // Skip drops the missed ticks: the next one is one period after now.
        assert_pending!(task.enter(|cx, _| ticks.poll_tick(cx)));
        goro::time::advance(Duration::from_millis(1));
        let next = assert_ready!(task.enter(|cx, _| ticks.poll_tick(cx)));
        assert_eq!(next - first, Duration::from_secs(5) + Duration::from_nanos(1));
    }

    [start_paused = true] async fn paused_advance_by_duration_max_saturates() {
        let start = clock();
        let century = Duration::from_secs(100 * 365 * 86_400);
        let mut far = tokio_test::task::spawn(goro::time::sleep(century));
        assert_pending!(far.poll());
        goro::time::advance(Duration::MAX);
        assert!(far.is_woken(), "advance(Duration::MAX) did not fire a 100-year sleep");
        assert_ready!(far.poll());
        assert!(clock() - start >= century);
        // The clock stays usable at the end of time.
        goro::time::advance(Duration::MAX);
        goro::time::sleep(Duration::from_secs(1)).await;
        let mut ticks = goro::time::interval(Duration::from_secs(1));
        ticks.tick().await;
    }

    multi_thread_only {
        [start_paused = true] async fn paused_advance_wakes_a_sleeper_while_a_worker_is_busy() {
            // With a task always runnable the clock never jumps on its own: only advance() can
            // wake the sleeper. (The waits here block the body's thread in real time: a goro
            // sleep would wait for the paused clock.)
            let (spinner, stop) = spin();
            let sleeper = goro::spawn(goro::time::sleep(Duration::from_secs(10)));
            block_until(LIMIT, "the sleeper to register its timer", || {
                goro::Handle::current().dump().iter().any(|t| t.id == sleeper.id() && t.polls > 0)
            });
            goro::time::advance(Duration::from_secs(10));
            let abort = sleeper.abort_handle();
            let start = Instant::now();
            while !abort.is_finished() && start.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let woke = abort.is_finished();
            stop.store(true, SeqCst);
            spinner.await.unwrap();
            sleeper.abort();
            let _ = sleeper.await;
            assert!(woke, "advance(10 s) did not wake a 10 s sleep while a worker was busy");
        }

        [start_paused = true] async fn paused_jump_firing_two_timers_keeps_the_workers_wakeable() {
            // Two sleeps due at the same instant: one jump of the clock wakes both, on the
            // worker that jumped it.
            let pair = goro::spawn(async {
                let a = goro::spawn(goro::time::sleep(Duration::from_secs(10)));
                let b = goro::spawn(goro::time::sleep(Duration::from_secs(10)));
                a.await.unwrap();
                b.await.unwrap();
            });
            pair.await.unwrap();
            // Afterwards every task spawned from outside the workers (this body runs on the
            // block_on thread) must still be run: its push has to wake a parked worker.
            for round in 0..50 {
                let task = goro::spawn(async move { round });
                let abort = task.abort_handle();
                block_until(Duration::from_secs(5), "a task spawned from the body to run (a worker missed its wake-up)", || {
                    abort.is_finished()
                });
                assert_eq!(task.await.unwrap(), round);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

#[test]
fn sleep_outside_a_runtime_panics() {
    let message = expect_panic(|| goro::time::sleep(Duration::from_millis(1)));
    assert!(message.contains("goro::run"), "{message}");
    let message = expect_panic(goro::time::pause);
    assert!(message.contains("goro::run"), "{message}");
}

#[test]
fn a_hundred_thousand_concurrent_sleeps() {
    let n = 100_000;
    bounded(Duration::from_secs(60), move || {
        let runtime = runtime(4);
        let start = Instant::now();
        let early = runtime.block_on(async move {
            let mut set = goro::JoinSet::new();
            for _ in 0..n {
                set.spawn(async {
                    let start = Instant::now();
                    goro::time::sleep(Duration::from_millis(50)).await;
                    start.elapsed() < Duration::from_millis(50)
                });
            }
            let mut early = 0;
            let mut done = 0;
            while let Some(result) = set.join_next().await {
                early += usize::from(result.unwrap());
                done += 1;
            }
            assert_eq!(done, n);
            early
        });
        let took = start.elapsed();
        assert_eq!(early, 0, "sleeps ended early");
        assert!(
            took < Duration::from_secs(15),
            "{n} sleeps of 50 ms took {took:?}"
        );
        eprintln!("{n} concurrent 50 ms sleeps: {took:?}");
    });
}

/// Sleeps of 1 ms awaited directly by a `block_on` body under a paused clock, for `wall` of
/// real time; returns how many. When the body parks it may be the last to become idle, and
/// then somebody must still move the clock. Between two sleeps the body works for 0 to
/// 100 µs (real time), so that its next timer lands at every point of a worker's way to its
/// park.
fn sleeps_in_the_body(workers: usize, wall: Duration) -> u64 {
    runtime(workers).block_on(async move {
        goro::time::pause();
        let start = (Instant::now(), clock());
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut rounds = 0;
        while start.0.elapsed() < wall {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let work = Duration::from_nanos(rng % 100_000);
            let began = Instant::now();
            while began.elapsed() < work {
                std::hint::spin_loop();
            }
            goro::time::sleep(Duration::from_millis(1)).await;
            rounds += 1;
        }
        assert_eq!(clock() - start.1, Duration::from_millis(rounds));
        rounds
    })
}

#[test]
fn paused_sleeps_awaited_in_the_body_never_stall() {
    // Four bodies at once, each on a runtime of its own, on 1 and on 4 workers.
    let bodies: Vec<_> = [1, 4, 1, 4]
        .into_iter()
        .map(|workers| {
            std::thread::spawn(move || sleeps_in_the_body(workers, Duration::from_secs(2)))
        })
        .collect();
    let rounds = bounded(Duration::from_secs(15), move || {
        bodies
            .into_iter()
            .map(|body| body.join().unwrap())
            .sum::<u64>()
    });
    eprintln!("{rounds} sleeps in block_on bodies");
}

#[test]
fn a_timer_waker_that_panics_stops_neither_timers_nor_sockets() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use std::future::Future;
    for workers in WORKER_COUNTS {
        bounded(Duration::from_secs(10), move || {
            let runtime = runtime(workers);
            runtime.block_on(async {
                for _ in 0..3 {
                    let mut doomed = Box::pin(goro::time::sleep(Duration::from_millis(2)));
                    let waker = panicking_waker();
                    let mut cx = std::task::Context::from_waker(&waker);
                    assert!(doomed.as_mut().poll(&mut cx).is_pending());
                    // The reactor fires the panicking waker meanwhile (the panic hook's report,
                    // a backtrace maybe, may make this sleep late; it must end).
                    assert!(
                        timed_sleep(Duration::from_millis(20)).await >= Duration::from_millis(20)
                    );
                }
                let listener = goro::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = goro::spawn(async move {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; 4];
                    stream.read_exact(&mut buf).await.unwrap();
                    stream.write_all(&buf).await.unwrap();
                });
                let mut client = goro::net::TcpStream::connect(addr).await.unwrap();
                client.write_all(b"ping").await.unwrap();
                let mut buf = [0u8; 4];
                within(LIMIT, "a round trip", client.read_exact(&mut buf))
                    .await
                    .unwrap();
                assert_eq!(&buf, b"ping");
                server.await.unwrap();
            });
        });
    }
}
