//! The task's state word: six flag bits and a reference count in one `AtomicUsize`.
//!
//! Every transition is one compare-and-swap loop (`State::update`) that reads the word,
//! decides, and writes the next word, so two threads can never both believe they won the
//! same transition. Each transition has a name and returns an enum the caller must match.
//!
//! ## Who holds a reference
//! The count (bits 6 and up) counts the owners of the task's allocation:
//! 1. the registry of live tasks, from spawn until the task completes or is shut down;
//! 2. the `JoinHandle`, until it is dropped;
//! 3. every `Waker` that points at the task;
//! 4. the run-queue entry (`Notified`) while `SCHEDULED` is set, which becomes the reference
//!    of the worker that polls the task while `RUNNING` is set.
//!
//! The allocation is freed by whoever drops the count to zero.
//!
//! ## Orderings
//! Transitions use `AcqRel` on success: the `Release` half publishes what the thread did to
//! the future or the output before the transition, the `Acquire` half makes what the previous
//! owner did visible. Failures use `Acquire` for the same reason. Reference increments are
//! `Relaxed` (a thread can only add a reference while it already holds one, so nothing is
//! published by it); decrements are `AcqRel` so that the thread that frees the allocation sees
//! every other owner's last use of it.

use crate::loom::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// The task is being polled (or cancelled) by one thread; nobody else may touch the future.
/// Rules out a second poll at the same time.
const RUNNING: usize = 1 << 0;
/// The task sits in (or is on its way to) a run queue, and that queue entry owns one
/// reference. A wake while this bit is set does nothing: the task will be polled anyway.
/// While `RUNNING` is also set, the bit means "woken during the poll": the poller puts the
/// task back in a queue after the poll, using its own reference.
const SCHEDULED: usize = 1 << 1;
/// The future is gone; the stage holds the output (or the error) until it is consumed (see
/// `cell.rs`). Rules out any further poll, wake or cancellation.
const COMPLETE: usize = 1 << 2;
/// Abort was requested; the next thread to run the task drops the future instead of
/// polling it.
const CANCELLED: usize = 1 << 3;
/// A `JoinHandle` exists and has not consumed the output yet; without it the completer drops
/// the output at once. Only the handle clears it: when it takes the output or is dropped.
const JOIN_INTEREST: usize = 1 << 4;
/// The join waker slot holds a waker and belongs to the completing side: the `JoinHandle`
/// may only read it. Unset, the slot belongs to the `JoinHandle` (while it exists).
const JOIN_WAKER: usize = 1 << 5;

/// Bits below this are flags; the reference count starts here.
const REF_SHIFT: usize = 6;
/// One reference.
const REF_ONE: usize = 1 << REF_SHIFT;
/// A new task: scheduled once, with three owners (registry, run queue, `JoinHandle`).
const INITIAL: usize = (3 * REF_ONE) | SCHEDULED | JOIN_INTEREST;

/// The atomic state word of one task.
pub(crate) struct State {
    word: AtomicUsize,
}

/// A copy of the state word at one moment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What `transition_to_running` decided.
#[must_use = "the caller owns a reference whose fate depends on this"]
pub(crate) enum ToRunning {
    /// The caller may poll the future.
    Success,
    /// The caller must drop the future: the task was aborted.
    Cancelled,
    /// The task is running elsewhere or finished; the caller drops its reference.
    Failed,
}

/// What `transition_to_idle` decided after a `Pending` poll.
#[must_use = "the caller's reference must go back to a queue, be dropped, or the task freed"]
pub(crate) enum ToIdle {
    /// Idle; the poller's reference was dropped.
    Ok,
    /// Woken during the poll: the poller's reference now belongs to a new queue entry.
    OkNotified,
    /// Idle, and the poller held the last reference: free the task.
    OkDealloc,
    /// Aborted during the poll: still `RUNNING`, the caller cancels the task.
    Cancelled,
}

/// What a wake through a borrowed waker must do.
#[must_use = "a Submit means a new reference was taken for a queue entry"]
pub(crate) enum WakeByRef {
    /// Already scheduled, running or complete.
    DoNothing,
    /// A reference was added for a new queue entry: submit it.
    Submit,
}

/// What a wake that consumes the waker's reference must do.
#[must_use = "the waker's reference has moved or must be freed"]
pub(crate) enum WakeByVal {
    /// The waker's reference was dropped.
    DoNothing,
    /// The waker's reference now belongs to a new queue entry: submit it.
    Submit,
    /// The waker held the last reference: free the task.
    Dealloc,
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("scheduled", &self.is_scheduled())
            .field("complete", &self.is_complete())
            .field("cancelled", &self.is_cancelled())
            .field("join_interested", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

impl State {
    /// The state of a new task: see `INITIAL`.
    pub(crate) fn new() -> State {
        State {
            word: AtomicUsize::new(INITIAL),
        }
    }

    /// Reads the word. `Acquire` pairs with the `Release` of the transition that wrote it,
    /// so a reader that sees `COMPLETE` also sees the output.
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.word.load(Acquire))
    }

    /// The one CAS loop every transition goes through: `f` maps the current word to the next
    /// one and a result, or declines with a result and no write.
    fn update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut current = self.word.load(Acquire);
        loop {
            let (next, result) = f(Snapshot(current));
            let Some(next) = next else { return result };
            match self
                .word
                .compare_exchange_weak(current, next.0, AcqRel, Acquire)
            {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// A worker that took the task from a queue starts polling it; its queue entry's
    /// reference becomes the poller's reference.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            if !s.is_idle() {
                return (None, ToRunning::Failed);
            }
            let next = Snapshot((s.0 | RUNNING) & !SCHEDULED);
            let result = if s.is_cancelled() {
                ToRunning::Cancelled
            } else {
                ToRunning::Success
            };
            (Some(next), result)
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, ToIdle::Cancelled);
            }
            let idle = s.0 & !RUNNING;
            if s.is_scheduled() {
                return (Some(Snapshot(idle)), ToIdle::OkNotified);
            }
            let next = Snapshot(idle - REF_ONE);
            let result = if next.ref_count() == 0 {
                ToIdle::OkDealloc
            } else {
                ToIdle::Ok
            };
            (Some(next), result)
        })
    }

    /// The future is gone and the stage holds the output. Returns the word before.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.word.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// Drops `count` references at once after completion; true if the task must be freed.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.word.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "{prev:?} - {count}");
        prev.ref_count() == count
    }

    /// A wake through a borrowed waker.
    pub(crate) fn transition_to_notified_by_ref(&self) -> WakeByRef {
        self.update(|s| {
            if s.is_complete() || s.is_scheduled() {
                (None, WakeByRef::DoNothing)
            } else if s.is_running() {
                (Some(Snapshot(s.0 | SCHEDULED)), WakeByRef::DoNothing)
            } else {
                (
                    Some(Snapshot((s.0 | SCHEDULED) + REF_ONE)),
                    WakeByRef::Submit,
                )
            }
        })
    }

    /// A wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> WakeByVal {
        self.update(|s| {
            if s.is_running() {
                // The poller holds a reference, so this cannot be the last one.
                (
                    Some(Snapshot((s.0 | SCHEDULED) - REF_ONE)),
                    WakeByVal::DoNothing,
                )
            } else if s.is_complete() || s.is_scheduled() {
                let next = Snapshot(s.0 - REF_ONE);
                let result = if next.ref_count() == 0 {
                    WakeByVal::Dealloc
                } else {
                    WakeByVal::DoNothing
                };
                (Some(next), result)
            } else {
                (Some(Snapshot(s.0 | SCHEDULED)), WakeByVal::Submit)
            }
        })
    }

    /// Abort from a handle. True if a reference was added for a new queue entry that the
    /// caller must submit, so that a worker drops the future.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (None, false)
            } else if s.is_running() || s.is_scheduled() {
                // The poller (after its poll) or the queue entry will see CANCELLED.
                (Some(Snapshot(s.0 | SCHEDULED | CANCELLED)), false)
            } else {
                let next = (s.0 | SCHEDULED | CANCELLED) + REF_ONE;
                (Some(Snapshot(next)), true)
            }
        })
    }

    /// Shutdown: marks the task cancelled and, if nobody is running it, claims it. True if
    /// the caller now owns the future and must cancel and complete the task.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            let claim = s.is_idle();
            let next = if claim {
                s.0 | RUNNING | CANCELLED
            } else {
                s.0 | CANCELLED
            };
            (Some(Snapshot(next)), claim)
        })
    }

    /// The `JoinHandle` gives up its interest in the output: it takes the output (`.await`
    /// returned) or it is dropped. `None` if it gave it up before (a handle dropped after it
    /// returned the output): nothing is left to do. Otherwise `(complete, owns_waker)`:
    /// whether the task completed (the handle then consumes the output) and whether the
    /// waker slot is the handle's now (it drops the waker in it).
    pub(crate) fn drop_join_interest(&self) -> Option<(bool, bool)> {
        self.update(|s| {
            if !s.is_join_interested() {
                return (None, None);
            }
            let mut next = s.0 & !JOIN_INTEREST;
            if !s.is_complete() {
                next &= !JOIN_WAKER;
            }
            let next = Snapshot(next);
            (
                Some(next),
                Some((s.is_complete(), !next.is_join_waker_set())),
            )
        })
    }

    /// Drops a `JoinHandle` that never did anything, from a task nobody has touched yet
    /// (the common `spawn` then detach). False if the word is not the initial one; the slow
    /// path then runs. `Release` orders the handle's last use before the drop, like any
    /// reference decrement; it cannot be the last reference (the queue entry holds one).
    pub(crate) fn drop_join_handle_fast(&self) -> bool {
        let next = (INITIAL & !JOIN_INTEREST) - REF_ONE;
        self.word
            .compare_exchange(INITIAL, next, Release, Relaxed)
            .is_ok()
    }

    /// The `JoinHandle` stored a waker and hands the slot to the completing side. Fails
    /// (with the word) if the task completed first.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            let next = Snapshot(s.0 | JOIN_WAKER);
            (Some(next), Ok(next))
        })
    }

    /// The `JoinHandle` takes the waker slot back to replace the waker. Fails (with the word)
    /// if the task completed first.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            let next = Snapshot(s.0 & !JOIN_WAKER);
            (Some(next), Ok(next))
        })
    }

    /// The completer woke the join waker and gives the slot back. Returns the word before:
    /// if the handle is gone by now, the completer drops the waker itself.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.word.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        prev
    }

    /// Adds a reference. `Relaxed`: the caller already holds one, so the task cannot be
    /// freed meanwhile, and the increment publishes nothing.
    pub(crate) fn ref_inc(&self) {
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops a reference; true if it was the last and the caller must free the task.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.word.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1);
        prev.ref_count() == 1
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_new_task_is_scheduled_with_three_owners() {
        let s = State::new().load();
        assert!(s.is_scheduled() && s.is_join_interested() && !s.is_running());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn a_wake_during_the_poll_reschedules_with_the_pollers_reference() {
        let state = State::new();
        assert!(matches!(state.transition_to_running(), ToRunning::Success));
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            WakeByRef::DoNothing
        ));
        assert!(matches!(state.transition_to_idle(), ToIdle::OkNotified));
        let s = state.load();
        assert!(s.is_scheduled() && !s.is_running());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn an_idle_task_woken_takes_a_reference_for_the_queue() {
        let state = State::new();
        assert!(matches!(state.transition_to_running(), ToRunning::Success));
        assert!(matches!(state.transition_to_idle(), ToIdle::Ok));
        assert_eq!(state.load().ref_count(), 2);
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            WakeByRef::Submit
        ));
        assert_eq!(state.load().ref_count(), 3);
        assert!(matches!(
            state.transition_to_notified_by_ref(),
            WakeByRef::DoNothing
        ));
    }

    #[test]
    fn abort_of_an_idle_task_schedules_it_once() {
        let state = State::new();
        assert!(matches!(state.transition_to_running(), ToRunning::Success));
        assert!(matches!(state.transition_to_idle(), ToIdle::Ok));
        assert!(state.transition_to_notified_and_cancel());
        assert!(!state.transition_to_notified_and_cancel());
        assert!(matches!(
            state.transition_to_running(),
            ToRunning::Cancelled
        ));
    }

    #[test]
    fn shutdown_claims_only_an_idle_task() {
        let state = State::new();
        assert!(matches!(state.transition_to_running(), ToRunning::Success));
        assert!(!state.transition_to_shutdown());
        assert!(matches!(state.transition_to_idle(), ToIdle::Cancelled));
        let other = State::new();
        assert!(other.transition_to_shutdown());
        assert!(matches!(other.transition_to_running(), ToRunning::Failed));
    }

    #[test]
    fn the_join_waker_cannot_be_set_after_completion() {
        let state = State::new();
        assert!(matches!(state.transition_to_running(), ToRunning::Success));
        assert!(state.set_join_waker().is_ok());
        let prev = state.transition_to_complete();
        assert!(prev.is_join_waker_set());
        assert!(state.unset_join_waker().is_err());
        let (complete, owns_waker) = state.drop_join_interest().unwrap();
        assert!(complete && !owns_waker);
        assert!(state.drop_join_interest().is_none());
        assert!(!state.unset_join_waker_after_complete().is_join_interested());
    }
}
