//! Loom models of the park/notify protocol (`idle.rs` and `park.rs`): a worker that finds no
//! work and parks, racing a producer that pushes work and notifies. No interleaving may
//! leave the worker asleep with work queued (loom reports that as a deadlock). And the
//! abandon rule: a thread that lost its slot to the monitor never stays asleep on the
//! slot's parker, and never takes the new owner's wake-up.
//!
//! The model holds the reactor's lock for its whole run, so the parker takes the
//! condition-variable path; the reactor path differs only in how `unpark` wakes it.

use super::idle::Idle;
use super::park::Parker;
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use crate::reactor;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// One worker's loop, reduced to the steps that matter: check, search, park, re-check.
fn worker(
    idle: &Idle,
    parker: &Parker,
    work: &AtomicUsize,
    driver: &Mutex<reactor::Driver>,
    reactor: &reactor::Handle,
) {
    loop {
        if work.load(SeqCst) > 0 {
            return;
        }
        let searching = idle.transition_worker_to_searching();
        let last = idle.transition_worker_to_parked(0, searching);
        // As in `Shared::has_pending_work`.
        crate::loom::fence(SeqCst);
        if last && work.load(SeqCst) > 0 && idle.worker_to_notify().is_some() {
            parker.unpark(reactor);
        }
        parker.park(driver, reactor, || false);
        if !idle.unpark_worker_by_id(0) {
            idle.transition_worker_from_searching();
        }
    }
}

#[test]
fn a_push_racing_a_park_always_wakes_the_worker() {
    loom::model(|| {
        let (driver, reactor) = reactor::Handle::new().unwrap();
        let driver = Arc::new(Mutex::new(driver));
        let _held = lock(&driver);
        let idle = Arc::new(Idle::new(1));
        let parker = Arc::new(Parker::new());
        let work = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (idle, parker, work, reactor) =
                (idle.clone(), parker.clone(), work.clone(), reactor.clone());
            thread::spawn(move || {
                work.store(1, SeqCst);
                crate::loom::fence(SeqCst);
                if idle.worker_to_notify().is_some() {
                    parker.unpark(&reactor);
                }
            })
        };
        let driver_ref = Arc::clone(&driver);
        worker(&idle, &parker, &work, &driver_ref, &reactor);
        producer.join().unwrap();
    });
}

#[test]
fn a_thread_that_lost_its_slot_never_sleeps_on_it() {
    loom::model(|| {
        let (driver, reactor) = reactor::Handle::new().unwrap();
        let driver = Arc::new(Mutex::new(driver));
        let _held = lock(&driver);
        let parker = Arc::new(Parker::new());
        let epoch = Arc::new(AtomicUsize::new(0));
        let monitor = {
            let (parker, epoch, reactor, driver) = (
                parker.clone(),
                epoch.clone(),
                reactor.clone(),
                driver.clone(),
            );
            thread::spawn(move || {
                // As `hand_off` does: bump the epoch, start the new owner, wake the parker.
                epoch.fetch_add(1, SeqCst);
                let new_owner = {
                    let (parker, reactor) = (parker.clone(), reactor.clone());
                    thread::spawn(move || parker.park(&driver, &reactor, || false))
                };
                parker.unpark_all(&reactor);
                new_owner
            })
        };
        // The old owner parks with the epoch it had: it must come back on its own.
        parker.park(&driver, &reactor, || epoch.load(SeqCst) != 0);
        let new_owner = monitor.join().unwrap();
        // Work for the new owner: its wake-up must reach it.
        parker.unpark(&reactor);
        new_owner.join().unwrap();
    });
}
