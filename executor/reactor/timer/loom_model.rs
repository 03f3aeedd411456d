//! Loom models of the timers: the shutdown against registrations in several shards (each
//! is refused or woken by it), the paused clock's jump (of a worker and a `block_on` thread
//! becoming idle at once, exactly one jumps the clock), the parked driver against an
//! earlier timer in another worker's shard (its sleep covers the timer or it is woken), and
//! a timer cancelled by a thread other than its shard's worker while the worker arms its own
//! and the driver fires the shard; and the driver waking what it fired while the paused
//! clock moves (`advance` returns only once what it made due is woken, and no jump passes a
//! timer that is fired but not yet woken).

use super::TimerHandle;
use super::test_support::counting_waker;
use crate::loom::AtomicBool;
use crate::reactor::Handle;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

#[test]
fn registrations_racing_with_the_shutdown_are_refused_or_woken() {
    loom::model(|| {
        let (_driver, reactor) = Handle::for_workers(1).unwrap();
        let (wakes, waker) = counting_waker();
        let far = Instant::now() + Duration::from_secs(3600);
        // One registrar on the worker's shard, one on the shared one.
        let registrars: Vec<_> = [Some(0), None]
            .into_iter()
            .map(|worker| {
                let shard = reactor.timers().shard(worker).clone();
                let waker = waker.clone();
                thread::spawn(move || {
                    let mut timer = TimerHandle::new(shard, far);
                    let registered = timer.register(&waker).is_ok();
                    (timer, registered)
                })
            })
            .collect();
        reactor.timers().shutdown();
        let mut registered = 0;
        let mut timers = Vec::new();
        for registrar in registrars {
            let (timer, ok) = registrar.join().unwrap();
            registered += usize::from(ok);
            timers.push(timer);
        }
        assert_eq!(wakes.count(), registered);
    });
}

#[test]
fn the_last_participant_to_become_idle_jumps_the_clock_once() {
    loom::model(|| {
        let (_driver, reactor) = Handle::for_workers(1).unwrap();
        let timers = reactor.timers();
        timers.pause();
        let (wakes, waker) = counting_waker();
        let shard = timers.shard(Some(0)).clone();
        let mut timer = TimerHandle::new(shard, timers.now() + Duration::from_secs(1));
        timer.register(&waker).unwrap();
        // The `block_on` thread polls: it holds the clock; the worker is not parked.
        timers.holds().take();
        let worker_parked = std::sync::Arc::new(AtomicBool::new(false));
        let worker = {
            let (reactor, worker_parked) = (reactor.clone(), worker_parked.clone());
            thread::spawn(move || {
                worker_parked.store(true, SeqCst);
                // A worker that jumped goes round its loop and parks again (a jump to a
                // slot of a higher level only cascades: nothing fires yet).
                while reactor.timers().advance_paused_to_next_if(|| true) {}
            })
        };
        let fired_while_polling = wakes.count();
        if timers.release() {
            while timers.advance_paused_to_next_if(|| worker_parked.load(SeqCst)) {}
        }
        worker.join().unwrap();
        assert_eq!(
            fired_while_polling, 0,
            "the clock jumped while a thread held it"
        );
        assert_eq!(wakes.count(), 1, "the timer fired {} times", wakes.count());
        assert_eq!(timers.holds().count(), 0);
        drop(timer);
    });
}

#[test]
fn an_earlier_timer_in_another_shard_is_in_the_drivers_sleep_or_wakes_it() {
    loom::model(|| {
        let (mut driver, reactor) = Handle::for_workers(2).unwrap();
        let (_wakes, waker) = counting_waker();
        let now = Instant::now();
        let mut far = TimerHandle::new(
            reactor.timers().shard(Some(0)).clone(),
            now + Duration::from_secs(3600),
        );
        far.register(&waker).unwrap();
        // Worker 1 arms a timer due in a second while the driver gets ready to sleep.
        let inserter = {
            let shard = reactor.timers().shard(Some(1)).clone();
            thread::spawn(move || {
                let mut near = TimerHandle::new(shard, now + Duration::from_secs(1));
                near.register(&waker).unwrap();
                near
            })
        };
        let sleep = reactor.timers().until_next().expect("a deadline");
        let near = inserter.join().unwrap();
        let woken = driver.take_wake();
        // Within the second's tick (deadlines round up to a whole millisecond), far from the
        // hour's.
        assert!(
            woken || sleep <= Duration::from_millis(1001),
            "the driver would sleep {sleep:?} past a timer due in 1 s, unwoken"
        );
        drop((far, near));
    });
}

#[test]
fn a_timer_cancelled_away_from_its_worker_while_the_shard_fires() {
    loom::model(|| {
        let (_driver, reactor) = Handle::for_workers(1).unwrap();
        let shard = reactor.timers().shard(Some(0)).clone();
        let (due_wakes, due_waker) = counting_waker();
        let (far_wakes, far_waker) = counting_waker();
        // Already due: the next firing of the shard takes it.
        let mut moved = TimerHandle::new(shard.clone(), Instant::now() - Duration::from_secs(1));
        moved.register(&due_waker).unwrap();
        // Its task moved to another thread, which drops it.
        let canceller = thread::spawn(move || drop(moved));
        // Meanwhile the shard's worker arms and cancels a timer of its own.
        let owner = {
            let shard = shard.clone();
            thread::spawn(move || {
                let mut own = TimerHandle::new(shard, Instant::now() + Duration::from_secs(3600));
                own.register(&far_waker).unwrap();
            })
        };
        // And the driver fires the shard.
        reactor.timers().fire_due();
        canceller.join().unwrap();
        owner.join().unwrap();
        assert!(due_wakes.count() <= 1);
        assert_eq!(far_wakes.count(), 0);
        let mut locked = shard.lock();
        assert_eq!(
            locked.wheel().len(),
            0,
            "a cancelled timer stayed in the wheel"
        );
        assert_eq!(locked.next_expiration(), None);
    });
}

#[test]
fn advance_returns_once_what_came_due_is_woken_even_by_the_driver() {
    loom::model(|| {
        let (_driver, reactor) = Handle::for_workers(1).unwrap();
        let timers = reactor.timers();
        timers.pause();
        let (wakes, waker) = counting_waker();
        let deadline = timers.now() + Duration::from_millis(10);
        let mut timer = TimerHandle::new(timers.shard(Some(0)).clone(), deadline);
        timer.register(&waker).unwrap();
        // A worker turns the reactor (its busy turn, or its park ending) while a test
        // advances the clock: either may take the timer out of the wheel.
        let driver = {
            let reactor = reactor.clone();
            thread::spawn(move || {
                reactor.timers().fire_due();
            })
        };
        assert!(timers.advance(Duration::from_millis(10)));
        assert_eq!(
            wakes.count(),
            1,
            "advance returned before the timer it made due was woken"
        );
        driver.join().unwrap();
        drop(timer);
    });
}

#[test]
fn no_jump_passes_a_timer_fired_but_not_yet_woken() {
    loom::model(|| {
        let (_driver, reactor) = Handle::for_workers(1).unwrap();
        let timers = reactor.timers();
        timers.pause();
        let start = timers.now();
        let shard = timers.shard(Some(0));
        let (first_wakes, first_waker) = counting_waker();
        let (second_wakes, second_waker) = counting_waker();
        let mut first = TimerHandle::new(shard.clone(), start + Duration::from_secs(1));
        first.register(&first_waker).unwrap();
        let mut second = TimerHandle::new(shard.clone(), start + Duration::from_secs(2));
        second.register(&second_waker).unwrap();
        // A parked worker's turn of the reactor ends (it counts as idle meanwhile) while the
        // last participant to become idle jumps the clock, and jumps again while nothing
        // runs: until the first timer's task is woken, which makes the scheduler busy.
        let driver = {
            let reactor = reactor.clone();
            thread::spawn(move || {
                reactor.timers().fire_due();
            })
        };
        while timers.advance_paused_to_next_if(|| first_wakes.count() == 0) {}
        driver.join().unwrap();
        assert_eq!(first_wakes.count(), 1);
        assert_eq!(
            second_wakes.count(),
            0,
            "the clock jumped past a timer whose task was about to be woken"
        );
        drop((first, second));
    });
}
