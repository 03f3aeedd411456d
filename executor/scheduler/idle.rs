//! Who is searching for work and who is parked.
//!
//! One word counts the workers that are not parked (`unparked`, high bits) and those of
//! them that are searching, i.e. stealing (`searching`, low 16 bits). A list of parked
//! workers sits behind a mutex; the word lets the hot path (every push of new work) decide
//! with one load whether anybody needs waking.
//!
//! ## Rules
//! - At most half of the workers search at once (`transition_worker_to_searching` says no
//!   beyond that); the others go straight to parking. Many searchers on few tasks only fight
//!   over the same queues.
//! - New work wakes a parked worker only if nobody is searching: a searcher will find it.
//!   The woken worker is counted as searching by the waker, so that a burst of pushes wakes
//!   one worker, not all of them.
//! - A searcher that finds work and was the last searcher wakes another parked worker, so
//!   that searching goes on while there may be more work (a chain of wake-ups, not a herd).
//! - The last searcher to park re-checks every queue after it is counted as parked: a push
//!   that raced with it either saw it parked (and woke someone) or is seen by the re-check.
//! - Work that the pushing worker runs next itself wakes nobody: a task in its own `next`
//!   slot, or a task that yielded with nothing else on its worker (`Shared::push_yielded`).
//!   So what searchers watch for and the last searcher re-checks (`has_pending_work`) is
//!   the injector and the local queues, not the `next` slots: no parked worker is needed
//!   for those, and counting them kept idle workers searching in vain for as long as some
//!   busy worker's `next` slot was full (issue 14, item 12).
//!
//! The counts are read and written with `SeqCst`: the race in the last rule is a store
//! (the queue push, then the count) against a store (the count, then the queue check) on two
//! different locations; only a single total order rules out both threads missing the other.

use crate::loom::{AtomicUsize, Mutex, lock};
use std::sync::atomic::Ordering::SeqCst;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;

/// Idle-worker accounting of one runtime.
#[derive(Debug)]
pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    /// All `workers` start unparked and not searching.
    pub(crate) fn new(workers: usize) -> Idle {
        assert!(workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    /// A worker out of local work wants to steal. False if half the workers already search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work. True if it was the last searcher (it must wake another).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// True if new work should wake a parked worker: nobody searches and somebody sleeps.
    pub(crate) fn should_notify(&self) -> bool {
        let state = self.state.load(SeqCst);
        searching(state) == 0 && unparked(state) < self.workers
    }

    /// Picks a parked worker to wake and counts it as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        // Again under the lock: another notifier may have woken the last sleeper.
        if !self.should_notify() {
            return None;
        }
        let index = sleepers.pop()?;
        self.state.fetch_add(UNPARK_ONE | 1, SeqCst);
        Some(index)
    }

    /// Worker `index` parks. True if it was the last searcher (it must re-check the queues).
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let prev = self
            .state
            .fetch_sub(UNPARK_ONE + usize::from(is_searching), SeqCst);
        sleepers.push(index);
        is_searching && searching(prev) == 1
    }

    /// Worker `index` woke up. True if it woke on its own (a timeout, a reactor event, a
    /// spurious wake-up) and took itself off the list; false if a notifier woke it, in which
    /// case it was counted as searching.
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// (unparked, searching) now.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let state = self.state.load(SeqCst);
        (unparked(state), searching(state))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Idle;
    use crate::reactor;
    use crate::scheduler::{Shared, UnhandledPanic};
    use std::panic::Location;

    /// Issue 14, item 12: a task in a busy worker's `next` slot is that worker's to run;
    /// searchers that counted it as work kept searching (and re-checking, and waking one
    /// another) in vain for as long as the slot stayed busy. It still counts for the paused
    /// clock, which must not jump while a worker is about to run something.
    #[test]
    fn a_next_slot_is_not_work_for_searchers() {
        let (driver, reactor) = reactor::Handle::new().unwrap();
        let shared = Shared::new(2, driver, reactor, UnhandledPanic::Ignore, None);
        let join = Shared::spawn(&shared, async {}, Location::caller());
        assert!(shared.has_pending_work(), "a task in the injector is work");
        let batch = shared.injector.pop().expect("the spawned task");
        for task in batch {
            assert!(shared.workers[1].next.replace(task).is_none());
        }
        assert!(
            !shared.has_pending_work(),
            "a task in a next slot is not work to search"
        );
        assert!(shared.has_runnable_task());
        shared.close();
        drop(join);
    }

    #[test]
    fn at_most_half_of_the_workers_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
    }

    #[test]
    fn a_notified_worker_is_counted_as_searching() {
        let idle = Idle::new(2);
        assert!(!idle.should_notify());
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.should_notify());
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.counts(), (2, 1));
        assert!(!idle.unpark_worker_by_id(1));
        assert!(idle.transition_worker_from_searching());
    }

    #[test]
    fn a_worker_that_wakes_on_its_own_takes_itself_off_the_list() {
        let idle = Idle::new(2);
        idle.transition_worker_to_parked(0, false);
        assert!(idle.unpark_worker_by_id(0));
        assert_eq!(idle.counts(), (2, 0));
        assert_eq!(idle.worker_to_notify(), None);
    }
}
