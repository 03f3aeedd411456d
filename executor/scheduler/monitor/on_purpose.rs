//! `block_in_place`'s hand-off: a worker gives its slot to a fresh thread on purpose, before
//! it blocks, so that the tasks queued behind it run on.
//!
//! 1. The calling thread must own a slot of this runtime (`context::worker_place`); if not
//!    (a plain thread, a blocking thread, a worker whose slot is gone already), there is
//!    nothing to hand on and the caller just blocks. A current-thread runtime's slot is
//!    never handed on.
//! 2. Under `Monitor::hand_offs`, whose turn the monitor's hand-offs take too, the slot's
//!    epoch must still be the caller's: the monitor may have handed the slot on first (the
//!    task had been in its poll for a while).
//! 3. Steps 1 to 5 of the monitor's hand-off (module doc): a new thread for `epoch + 1`,
//!    waiting at the gate; the bump; the slot's queue and `next` task to the injector; the
//!    poll counted as finished; the new thread goes.
//! 4. The new thread is kept for shutdown, and the caller's counted as retiring; threads
//!    retired earlier that have ended are joined now (the monitor's thread joins them at
//!    its ticks, but it may be off).
//! 5. While the caller blocks, its thread counts as one that gave its slot away
//!    (`context::give_away`): no worker (it may `block_on`), but still the runtime's (it must
//!    not join itself if it drops the runtime). When the caller is done, the task's poll
//!    goes on; after it, the worker loop sees the epoch moved and retires the thread
//!    (step 6 of the monitor's hand-off).
//!
//! If the OS refuses the thread, the slot stays with the caller (its queued tasks have gone
//! to the injector): the caller blocks its worker, and the monitor may hand the slot on
//! later.

use super::super::Shared;
use super::super::context::{self, ExitGuard, Place};
use super::{Monitor, hand_off, join_retired, keep_thread};
use crate::loom::lock;
use std::fmt;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::thread::JoinHandle;

/// The current thread gave its worker's slot away (step 5) until this drops.
pub(crate) struct GivenAway {
    _context: ExitGuard,
}

impl Shared {
    /// Hands the current thread's slot of this runtime on to a thread that `start(index,
    /// epoch)` starts (steps in the module doc); `None` if the thread owns no slot here, or
    /// if the OS refused the thread.
    pub(crate) fn give_own_slot_away(
        &self,
        start: impl FnOnce(usize, u64) -> io::Result<JoinHandle<()>>,
    ) -> Option<GivenAway> {
        if self.is_current_thread() {
            // Nobody may take a current-thread runtime's slot (`block_in_place` refuses to
            // run there before it gets here).
            return None;
        }
        let place = context::worker_place(self)?;
        let monitor = self.monitor.as_ref()?;
        let thread = self.hand_off_in_turn(monitor, place, |epoch| start(place.index, epoch))?;
        keep_thread(self, monitor, thread);
        join_retired(self, monitor);
        Some(GivenAway {
            _context: context::give_away(),
        })
    }

    /// Steps 2 and 3: in its turn, if `place` still owns the slot, the monitor's hand-off,
    /// with `start(epoch)` starting the new owner; what `start` returned, if it succeeded.
    pub(in crate::scheduler) fn hand_off_in_turn<T>(
        &self,
        monitor: &Monitor,
        place: Place,
        start: impl FnOnce(u64) -> io::Result<T>,
    ) -> Option<T> {
        let _turn = lock(&monitor.hand_offs);
        // `Relaxed`: only hand-offs move the epoch, and they take turns on the lock held.
        if self.workers[place.index].epoch.load(Relaxed) != place.epoch {
            return None;
        }
        hand_off(self, monitor, place.index, start).ok()
    }
}

impl fmt::Debug for GivenAway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GivenAway").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::loom::lock;
    use crate::task;
    use std::time::{Duration, Instant};

    /// With the monitor's thread off, the hand-offs themselves join the threads they retired:
    /// once those have ended, the next hand-off leaves only the live threads in the
    /// runtime's list, however many hand-offs came before.
    #[test]
    #[cfg_attr(miri, ignore = "a whole runtime: mio and /proc")]
    fn the_threads_retired_on_purpose_are_joined() {
        let runtime = crate::Builder::new()
            .worker_threads(2)
            .blocking_threshold(None)
            .build()
            .unwrap();
        let hand_off = || {
            runtime
                .block_on(runtime.spawn(async { task::block_in_place(|| ()) }))
                .unwrap();
        };
        let calls = 50;
        (0..calls).for_each(|_| hand_off());
        let shared = &runtime.handle().scheduler;
        // Each retired thread ends once its poll returns; on a loaded machine that may come
        // after the next hand-off looked, so wait (bounded) for all of them to end.
        let live = || {
            lock(&shared.threads)
                .iter()
                .filter(|thread| !thread.is_finished())
                .count()
        };
        let start = Instant::now();
        while live() > 2 {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{} threads still running 10 s after {calls} hand-offs",
                live()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        hand_off();
        // The two workers before this hand-off (one of them retiring), and its new thread.
        let kept = lock(&shared.threads).len();
        assert_eq!(kept, 3, "{kept} threads kept after {} hand-offs", calls + 1);
        let retiring = shared
            .monitor
            .as_ref()
            .unwrap()
            .retiring
            .load(std::sync::atomic::Ordering::Relaxed);
        assert!(retiring <= 1, "{retiring} counted as retiring");
    }
}
