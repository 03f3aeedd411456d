//! The time API that tokio users' tests rely on (issue 15), poll by poll on a paused clock:
//! `goro::time::Instant` (it follows `pause`/`advance`; arithmetic, ordering, conversions),
//! `sleep_until`/`Sleep::reset`/`deadline` and `timeout_at` with either kind of instant,
//! `Interval`'s three `MissedTickBehavior`s, its `reset*` methods, and `Interval` as a
//! `Stream` that never ends. Then timers whose task moves between threads (their timer stays
//! in the wheel of the worker that made it) and timers made on every worker of an idle
//! runtime. Each `suite!` test runs on 1 and on 4 workers and on a current-thread runtime (its `multi_thread_only` ones on the first two).

mod support;

use futures::{Stream, StreamExt};
use goro::time::{Instant, Interval, MissedTickBehavior};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;
use support::*;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

const LIMIT: Duration = Duration::from_secs(30);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `interval` once as a `Stream` (a tick is `Some`, never `None`).
fn next_tick(interval: &mut tokio_test::task::Spawn<Interval>) -> std::task::Poll<Instant> {
    interval
        .poll_next()
        .map(|tick| tick.expect("an interval never ends"))
}

/// Checks that `interval` now yields the ticks due at `start + each of deltas` (in ms), one
/// per poll, and then is pending.
#[track_caller]
fn ticks_now(interval: &mut tokio_test::task::Spawn<Interval>, start: Instant, deltas: &[u64]) {
    for &delta in deltas {
        assert_ready_eq!(
            next_tick(interval),
            start + ms(delta),
            "the tick at +{delta} ms"
        );
    }
    assert_pending!(next_tick(interval));
}

/// Follows an interval of `period` ms from now, with `behavior`, along `timeline`: at each
/// step the paused clock moves by the step's ms, then the interval yields the ticks due at
/// the step's offsets from its start (in ms), one per poll, and is then pending.
#[track_caller]
fn follow(period: u64, behavior: MissedTickBehavior, timeline: &[(u64, &[u64])]) {
    let (mut ticks, start) = interval_task(period, behavior);
    for &(step, due) in timeline {
        goro::time::advance(ms(step));
        ticks_now(&mut ticks, start, due);
    }
}

/// An interval of `period` ms from now, with `behavior`, as a task; and its start.
fn interval_task(
    period: u64,
    behavior: MissedTickBehavior,
) -> (tokio_test::task::Spawn<Interval>, Instant) {
    let start = Instant::now();
    let mut interval = goro::time::interval_at(start, ms(period));
    interval.set_missed_tick_behavior(behavior);
    (tokio_test::task::spawn(interval), start)
}

/// A sleep of `duration` made and polled once (so in its wheel) by a task of its own, which
/// then hands it over (a future as the task's output, on purpose).
#[allow(clippy::async_yields_async)]
async fn armed_in_a_task(duration: Duration) -> std::pin::Pin<Box<goro::time::Sleep>> {
    let armed = goro::spawn(async move {
        let mut sleep = Box::pin(goro::time::sleep(duration));
        assert!(futures::poll!(&mut sleep).is_pending());
        sleep
    });
    within(LIMIT, "a task arming a sleep", armed).await.unwrap()
}

suite! {
    [start_paused = true] async fn instant_follows_the_paused_clock() {
        let start = Instant::now();
        assert_eq!(Instant::now(), start, "a paused clock stands still");
        goro::time::advance(ms(1500));
        assert_eq!(start.elapsed(), ms(1500));
        let now = Instant::now();
        assert_eq!(now - start, ms(1500));
        assert_eq!(now.duration_since(start), ms(1500));
        assert_eq!(start.duration_since(now), Duration::ZERO, "saturates");
        assert_eq!(start - now, Duration::ZERO, "saturates");
        assert_eq!(start.checked_duration_since(now), None);
        assert_eq!(now.saturating_duration_since(start), ms(1500));
        assert_eq!(start.checked_add(ms(1500)), Some(now));
        assert_eq!(now.checked_sub(ms(1500)), Some(start));
        assert_eq!(start.checked_add(Duration::MAX), None);
        let mut moved = start;
        moved += ms(1500);
        assert_eq!(moved, now);
        moved -= ms(1500);
        assert_eq!(moved, start);
        assert_eq!(now - ms(1500), start);
        assert!(start < now);
        assert_eq!(Instant::from(now.into_std()), now);
        assert_eq!(Instant::from_std(now.into_std()), now);
        let std_now: std::time::Instant = now.into();
        assert_eq!(std_now, now.into_std());
        let ordered: BTreeSet<Instant> = [now, start, now].into_iter().collect();
        assert_eq!(ordered.into_iter().collect::<Vec<_>>(), [start, now]);
        let hashed: HashSet<Instant> = [now, start, now].into_iter().collect();
        assert_eq!(hashed.len(), 2);
        // The clock a sleep is made on is the same one.
        assert_eq!(goro::time::sleep(ms(10)).deadline(), now + ms(10));
    }

    [start_paused = true] async fn sleep_until_and_reset_take_either_instant() {
        let now = Instant::now();
        let at = now + ms(20);
        let from_goro = goro::time::sleep_until(at);
        let from_std = goro::time::sleep_until(at.into_std());
        assert_eq!(from_goro.deadline(), at);
        assert_eq!(from_std.deadline(), at);
        let mut sleep = tokio_test::task::spawn(from_std);
        assert_pending!(sleep.poll());
        sleep.enter(|_, sleep| sleep.reset(now + ms(5)));
        assert_eq!(sleep.deadline(), now + ms(5));
        goro::time::advance(ms(4));
        assert_pending!(sleep.poll());
        goro::time::advance(ms(1));
        assert!(sleep.is_woken());
        assert_ready!(sleep.poll());
        // Reset after completion, to a std instant: pending again until then.
        sleep.enter(|_, sleep| sleep.reset((now + ms(30)).into_std()));
        assert_pending!(sleep.poll());
        goro::time::advance(ms(25));
        assert_ready!(sleep.poll());
        drop(from_goro);
    }

    [start_paused = true] async fn timeout_at_poll_by_poll() {
        let deadline = Instant::now() + ms(10);
        let mut slow = tokio_test::task::spawn(goro::time::timeout_at(
            deadline,
            std::future::pending::<()>(),
        ));
        assert_pending!(slow.poll());
        goro::time::advance(ms(9));
        assert_pending!(slow.poll());
        goro::time::advance(ms(1));
        assert!(slow.is_woken());
        assert!(assert_ready!(slow.poll()).is_err());
        // A deadline already past: a ready future still gives its output, a pending one
        // times out at its first poll.
        let past = deadline.into_std();
        let mut ready = tokio_test::task::spawn(goro::time::timeout_at(past, async { 7 }));
        assert_eq!(assert_ready!(ready.poll()), Ok(7));
        let mut late = tokio_test::task::spawn(goro::time::timeout_at(
            past,
            std::future::pending::<()>(),
        ));
        assert!(assert_ready!(late.poll()).is_err());
    }

    [start_paused = true] async fn interval_burst_catches_up_then_keeps_the_schedule() {
        // Busy until +950: the ticks of 600 and 900 come at once, then the schedule goes on.
        follow(
            300,
            MissedTickBehavior::Burst,
            &[(0, &[0]), (100, &[]), (200, &[300]), (650, &[600, 900]), (249, &[]), (1, &[1200]), (300, &[1500])],
        );
    }

    [start_paused = true] async fn interval_delay_restarts_from_the_late_tick() {
        // Busy until +950: one tick now (the one due at 600), the next a period later.
        follow(
            300,
            MissedTickBehavior::Delay,
            &[(0, &[0]), (300, &[300]), (650, &[600]), (299, &[]), (1, &[1250]), (300, &[1550])],
        );
    }

    [start_paused = true] async fn interval_skip_drops_missed_ticks_and_keeps_the_phase() {
        // Busy until +950: one tick now (the one due at 600), the next at 1200, on the
        // original schedule.
        follow(
            300,
            MissedTickBehavior::Skip,
            &[(0, &[0]), (300, &[300]), (650, &[600]), (249, &[]), (1, &[1200]), (300, &[1500])],
        );
    }

    [start_paused = true] async fn interval_ticks_up_to_5_ms_late_count_as_on_time() {
        // 5 ms late: on time, the schedule stays; 6 ms late: missed, the behavior decides.
        let on_time: [(u64, &[u64]); 3] = [(0, &[0]), (105, &[100]), (95, &[200])];
        let delay = [(106, &[300][..]), (99, &[]), (1, &[406])];
        let skip = [(106, &[300][..]), (93, &[]), (1, &[400])];
        follow(100, MissedTickBehavior::Delay, &[&on_time[..], &delay].concat());
        follow(100, MissedTickBehavior::Skip, &[&on_time[..], &skip].concat());
    }

    [start_paused = true] async fn interval_reset_methods() {
        // reset: one period from now.
        let (mut ticks, start) = interval_task(300, MissedTickBehavior::Burst);
        ticks_now(&mut ticks, start, &[0]);
        goro::time::advance(ms(100));
        ticks.reset();
        goro::time::advance(ms(299));
        ticks_now(&mut ticks, start, &[]);
        goro::time::advance(ms(1));
        ticks_now(&mut ticks, start, &[400]);
        goro::time::advance(ms(300));
        ticks_now(&mut ticks, start, &[700]);

        // reset_immediately: now, then a period apart from now.
        goro::time::advance(ms(100));
        ticks.reset_immediately();
        ticks_now(&mut ticks, start, &[800]);
        goro::time::advance(ms(300));
        ticks_now(&mut ticks, start, &[1100]);

        // reset_after: `after` from now, even past a period.
        ticks.reset_after(ms(500));
        goro::time::advance(ms(499));
        ticks_now(&mut ticks, start, &[]);
        goro::time::advance(ms(1));
        ticks_now(&mut ticks, start, &[1600]);

        // reset_at a goro instant, then a std one.
        ticks.reset_at(start + ms(1650));
        goro::time::advance(ms(50));
        ticks_now(&mut ticks, start, &[1650]);
        ticks.reset_at((start + ms(1700)).into_std());
        goro::time::advance(ms(50));
        ticks_now(&mut ticks, start, &[1700]);
        goro::time::advance(ms(300));
        ticks_now(&mut ticks, start, &[2000]);

        // reset_at a past instant: a late tick now, then the behavior (Burst: catch up).
        ticks.reset_at(start + ms(1500));
        ticks_now(&mut ticks, start, &[1500, 1800]);
        goro::time::advance(ms(100));
        ticks_now(&mut ticks, start, &[2100]);
    }

    [start_paused = true] async fn interval_is_a_stream_that_never_ends() {
        let (mut ticks, start) = interval_task(10, MissedTickBehavior::Burst);
        assert_eq!(ticks.size_hint(), (usize::MAX, None));
        assert_ready_eq!(ticks.poll_next(), Some(start));
        assert_pending!(ticks.poll_next());
        goro::time::advance(ms(10));
        assert!(ticks.is_woken());
        assert_ready_eq!(ticks.poll_next(), Some(start + ms(10)));
        // With StreamExt, on the paused clock that jumps while the test waits.
        let mut ticks = ticks.into_inner();
        let three: Vec<Instant> = (&mut ticks).take(3).collect().await;
        assert_eq!(three, [start + ms(20), start + ms(30), start + ms(40)]);
        assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    }

    async fn a_timer_fires_wherever_its_task_moved() {
        // Made in the body (the shared wheel), awaited in a task (on a worker).
        let sleep = goro::time::sleep(ms(20));
        within(LIMIT, "a sleep made in the body", goro::spawn(sleep)).await.unwrap();
        // Made and first polled in a task (its worker's wheel), then awaited in the body.
        let sleep = armed_in_a_task(ms(30)).await;
        within(LIMIT, "a sleep moved to the body", sleep).await;
        // Made in one task, reset and awaited in another.
        let sleep = armed_in_a_task(Duration::from_secs(3600)).await;
        let moved = goro::spawn(async move {
            let mut sleep = sleep;
            sleep.as_mut().reset(Instant::now() + ms(10));
            sleep.await;
        });
        within(LIMIT, "a sleep reset in another task", moved).await.unwrap();
    }

    async fn timers_on_every_worker_wake_an_idle_runtime() {
        // Each task sleeps on the wheel of the worker it runs on; with every worker idle,
        // the one parked in the reactor must wake for each of them.
        let start = std::time::Instant::now();
        let mut sleepers = goro::JoinSet::new();
        for i in 0..16u64 {
            sleepers.spawn(async move {
                goro::time::sleep(ms(10 + 5 * i)).await;
                std::time::Instant::now()
            });
        }
        let woke = within(LIMIT, "sleepers on every worker", sleepers.join_all()).await;
        for at in woke {
            assert!(at.duration_since(start) >= ms(10));
        }
    }
}

#[test]
fn instant_outside_a_runtime_is_real_time() {
    let before = std::time::Instant::now();
    let now = Instant::now().into_std();
    assert!(now >= before && now <= std::time::Instant::now());
}
