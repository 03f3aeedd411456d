//! Loom models of a `LocalSet` (the real `LocalSet`, its run queue and its tasks) with wakes
//! from other threads: two threads each wake one of the set's tasks while the set's thread
//! runs it, and no wake is lost (loom's `block_on` reports a runner left asleep as a
//! deadlock); a wake racing the set's drop drops the task's future on the set's thread
//! only (loom reports a race on the task's stage otherwise) and frees everything. Run with
//! `scripts/loom.sh`.

use super::LocalSet;
use crate::loom::{Arc, AtomicUsize};
use crate::task::loom_model::{DropCount, Gate};
use loom::thread;
use std::rc::Rc;
use std::sync::atomic::Ordering::SeqCst;

#[test]
fn wakes_from_two_threads_reach_the_running_set() {
    loom::model(|| {
        let local = LocalSet::new();
        let gates = [Gate::new(), Gate::new()];
        let handles: Vec<_> = gates
            .iter()
            .map(|gate| {
                let wait = gate.wait();
                // An `Rc` in the future: the task is a local one.
                let not_send = Rc::new(());
                local.spawn_local(async move {
                    wait.await;
                    drop(not_send);
                })
            })
            .collect();
        let openers: Vec<_> = gates
            .iter()
            .cloned()
            .map(|gate| thread::spawn(move || gate.open()))
            .collect();
        loom::future::block_on(local.run_until(async {
            for handle in handles {
                handle.await.unwrap();
            }
        }));
        for opener in openers {
            opener.join().unwrap();
        }
    });
}

#[test]
fn a_wake_racing_the_sets_drop_drops_the_future_on_its_thread() {
    loom::model(|| {
        let local = LocalSet::new();
        let gate = Gate::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCount(drops.clone());
        let wait = gate.wait();
        let handle = local.spawn_local(async move {
            let _guard = (guard, Rc::new(()));
            wait.await;
        });
        // Polled once: the gate holds the task's waker.
        loom::future::block_on(local.run_until(crate::yield_now()));
        let opener = thread::spawn(move || gate.open());
        drop(local);
        assert_eq!(drops.load(SeqCst), 1, "the future was dropped with the set");
        opener.join().unwrap();
        assert!(loom::future::block_on(handle).unwrap_err().is_cancelled());
    });
}
