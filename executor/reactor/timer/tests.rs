//! Tests of the timers beside the code: the shutdown against registrations, the driver's
//! wake for an earlier deadline in another worker's shard, and timers cancelled by threads
//! other than their shard's worker.

use super::TimerHandle;
use super::test_support::counting_waker;
use crate::reactor::Handle;
use std::time::{Duration, Instant};

#[test]
fn every_timer_registered_before_the_shutdown_is_woken_by_it() {
    // A registration racing with the shutdown either fails or lands before the shutdown
    // fires the wheel, never after it (where its waker would stay, unwoken, for good).
    for round in 0..500 {
        let (_driver, reactor) = Handle::for_workers(2).unwrap();
        let (wakes, waker) = counting_waker();
        let registering = reactor.clone();
        let registrar = std::thread::spawn(move || {
            let far = Instant::now() + Duration::from_secs(3600);
            let shard = registering.timers().shard(Some(round % 3)).clone();
            let mut registered = Vec::new();
            loop {
                let mut timer = TimerHandle::new(shard.clone(), far);
                if timer.register(&waker).is_err() {
                    return registered;
                }
                registered.push(timer);
            }
        });
        std::thread::yield_now();
        reactor.shutdown();
        let registered = registrar.join().unwrap();
        assert_eq!(wakes.count(), registered.len());
    }
}

#[test]
fn an_earlier_deadline_in_another_shard_wakes_the_sleeping_driver() {
    let (mut driver, reactor) = Handle::for_workers(2).unwrap();
    let timers = reactor.timers();
    let (_wakes, waker) = counting_waker();
    let hour = Instant::now() + Duration::from_secs(3600);
    let mut far = TimerHandle::new(timers.shard(Some(0)).clone(), hour);
    far.register(&waker).unwrap();
    // The driver is about to sleep until the hour's timer.
    let sleep = timers.until_next().expect("a deadline");
    assert!(sleep > Duration::from_secs(3000), "{sleep:?}");
    assert!(!driver.take_wake());
    for (shard, ms) in [(Some(1), 40), (None, 20)] {
        let soon = Instant::now() + Duration::from_millis(ms);
        let mut near = TimerHandle::new(timers.shard(shard).clone(), soon);
        near.register(&waker).unwrap();
        assert!(
            driver.take_wake(),
            "an earlier timer in shard {shard:?} woke nobody"
        );
        // A later one than the driver's new deadline wakes nobody.
        let mut later = TimerHandle::new(timers.shard(shard).clone(), hour);
        later.register(&waker).unwrap();
        assert!(
            !driver.take_wake(),
            "a later timer in shard {shard:?} woke the driver"
        );
        timers.fire_due();
        timers.until_next();
    }
    // A turn that does not block sleeps on nothing: an insert then wakes nobody.
    driver.turn(&reactor, Some(Duration::ZERO));
    let mut near = TimerHandle::new(timers.shard(Some(1)).clone(), Instant::now());
    near.register(&waker).unwrap();
    assert!(!driver.take_wake());
}

#[test]
fn timers_cancelled_by_other_threads_leave_their_shard_clean() {
    // Worker 0 arms and cancels its own timers while another thread cancels timers of
    // worker 0's shard (their tasks moved) and a third fires the shard: every timer leaves
    // the wheel and none is woken.
    let (_driver, reactor) = Handle::for_workers(2).unwrap();
    let shard = reactor.timers().shard(Some(0)).clone();
    let (wakes, waker) = counting_waker();
    let (moved_tx, moved_rx) = std::sync::mpsc::channel::<TimerHandle>();
    let owner = {
        let (shard, waker) = (shard.clone(), waker.clone());
        std::thread::spawn(move || {
            for i in 0..20_000u32 {
                let mut timer =
                    TimerHandle::new(shard.clone(), Instant::now() + Duration::from_secs(1));
                timer.register(&waker).unwrap();
                if i % 2 == 0 {
                    moved_tx.send(timer).unwrap();
                }
            }
        })
    };
    let canceller = std::thread::spawn(move || moved_rx.into_iter().count());
    let firing = {
        let reactor = reactor.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                reactor.timers().fire_due();
                std::thread::yield_now();
            }
        })
    };
    owner.join().unwrap();
    assert_eq!(canceller.join().unwrap(), 10_000);
    firing.join().unwrap();
    assert_eq!(shard.lock().wheel().len(), 0);
    assert_eq!(wakes.count(), 0, "a cancelled 1 s timer was woken");
    assert_eq!(shard.lock().next_expiration(), None);
}
