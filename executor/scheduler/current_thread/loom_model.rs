//! Loom model of the core's hand-over (`CoreCell`): a holder gives the core back while two
//! callers wait for it, each trying to take it, registering as a waiter, trying again, and
//! sleeping until woken. Whoever takes it gives it back (its `block_on` returns). No
//! interleaving may leave a caller asleep while the core is free (loom reports that as a
//! deadlock), and no two callers may hold it at once.

use super::CoreCell;
use crate::loom::{Arc, AtomicUsize};
use futures::task::{ArcWake, waker_ref};
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// A waker that unparks one loom thread.
struct Unparker(thread::Thread);

impl ArcWake for Unparker {
    fn wake_by_ref(arc_self: &std::sync::Arc<Self>) {
        arc_self.0.unpark();
    }
}

/// A caller of `block_on` that cannot drive at once (`Call::park`'s order): take, else
/// register, take again, else sleep until woken and start over. Once it holds the core it
/// counts itself in `holders` while it "drives", then gives the core back.
fn take_eventually(cell: &CoreCell, holders: &AtomicUsize) {
    let me = std::sync::Arc::new(Unparker(thread::current()));
    loop {
        if cell.try_take() {
            break;
        }
        cell.wait(&waker_ref(&me));
        if cell.try_take() {
            break;
        }
        thread::park();
    }
    assert_eq!(holders.fetch_add(1, SeqCst), 0, "two holders at once");
    holders.fetch_sub(1, SeqCst);
    cell.give_back();
}

#[test]
fn callers_waiting_for_the_core_get_it_when_it_is_given_back() {
    loom::model(|| {
        let cell = Arc::new(CoreCell::new());
        let holders = Arc::new(AtomicUsize::new(0));
        assert!(cell.try_take(), "the first holder");
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (cell, holders) = (cell.clone(), holders.clone());
                thread::spawn(move || take_eventually(&cell, &holders))
            })
            .collect();
        cell.give_back();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert!(cell.try_close(), "free at the end");
    });
}
