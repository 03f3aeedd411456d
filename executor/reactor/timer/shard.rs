//! One shard of the timers: a timing wheel behind its own lock, and the earliest tick at
//! which it may fire (`next_due`), which the driver reads without the lock.
//!
//! Each worker has a shard, and threads outside the workers share one more (`timer.rs`,
//! "Shards"). The lock is taken by the shard's worker for its own timers (uncontended), by
//! another thread for a timer of this shard that it cancels, resets or polls (its task
//! moved), and by the thread that fires the shard: the driver's holder when `next_due` has
//! come, `advance`, a jump of the paused clock, shutdown.
//!
//! ## `next_due`
//! A lower bound of the earliest tick at which a timer of the shard fires; `u64::MAX` with
//! no timer. Written only under the lock: lowered by an insert or a move of a timer to an
//! earlier tick, set to the wheel's next expiration after each firing. A cancel leaves it
//! (a bound that is too early costs the driver one needless look at the shard, whose
//! firing then sets it right).

use super::super::wheel::{TimerKey, Wheel};
use super::base::Base;
use crate::loom::{Arc, AtomicU64, Mutex, MutexGuard, lock};
use std::fmt;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::Waker;

/// The shard shut down: nothing can be registered.
#[derive(Debug)]
pub(super) struct Closed;

/// One shard: its wheel, and the bound the driver reads.
pub(crate) struct Shard {
    pub(super) base: Arc<Base>,
    state: Mutex<State>,
    /// See the module doc.
    next_due: AtomicU64,
}

pub(super) struct State {
    wheel: Wheel,
    /// Wakers taken out of the wheel by a firing, kept for their capacity.
    fired: Vec<Waker>,
    /// Set by `close`: no timer may be inserted or moved any more.
    closed: bool,
}

impl Shard {
    pub(super) fn new(base: Arc<Base>) -> Shard {
        Shard {
            base,
            state: Mutex::new(State {
                wheel: Wheel::new(),
                fired: Vec::new(),
                closed: false,
            }),
            next_due: AtomicU64::new(u64::MAX),
        }
    }

    /// The shard's `next_due` (module doc). `SeqCst`: the driver's scan, which pairs with
    /// `Base::note_earlier_deadline` (see "Waking the parked driver" in `timer.rs`).
    pub(super) fn next_due(&self) -> u64 {
        self.next_due.load(SeqCst)
    }

    /// The shard's wheel, locked.
    pub(super) fn lock(&self) -> Locked<'_> {
        Locked {
            shard: self,
            state: lock(&self.state),
        }
    }

    /// Advances the wheel to `tick` and wakes what fired, outside the lock (a woken task may
    /// be polled on this thread and insert a timer) and each waker on its own
    /// (`wake_contained`); `close` first if asked. Until they are all woken the firing
    /// counts as a wake in flight (`Base::start_waking`). Returns how many fired.
    pub(super) fn fire(&self, tick: u64, close: bool) -> usize {
        let mut locked = self.lock();
        locked.state.closed |= close;
        let mut fired = std::mem::take(&mut locked.state.fired);
        locked.state.wheel.advance_to(tick, &mut fired);
        let next = locked.state.wheel.next_expiration().unwrap_or(u64::MAX);
        // `SeqCst`, as every store of `next_due` (`Locked::lower_next_due`).
        self.next_due.store(next, SeqCst);
        let count = fired.len();
        let waking = (count > 0).then(|| self.base.start_waking());
        drop(locked);
        for waker in fired.drain(..) {
            super::super::wake_contained(|| waker.wake());
        }
        drop(waking);
        let mut locked = self.lock();
        if locked.state.fired.capacity() < fired.capacity() {
            locked.state.fired = fired;
        }
        count
    }
}

impl fmt::Debug for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shard")
            .field("next_due", &self.next_due.load(Relaxed))
            .finish_non_exhaustive()
    }
}

/// A shard with its lock held.
pub(super) struct Locked<'a> {
    shard: &'a Shard,
    state: MutexGuard<'a, State>,
}

impl Locked<'_> {
    /// `Err` once the shard shut down.
    pub(super) fn check_open(&self) -> Result<(), Closed> {
        if self.state.closed {
            Err(Closed)
        } else {
            Ok(())
        }
    }

    /// The wheel.
    pub(super) fn wheel(&mut self) -> &mut Wheel {
        &mut self.state.wheel
    }

    /// The earliest tick at which a timer fires (the wheel's bound), for the jumps.
    pub(super) fn next_expiration(&self) -> Option<u64> {
        self.state.wheel.next_expiration()
    }

    /// Inserts a timer at `tick` (after `check_open`).
    pub(super) fn insert(&mut self, tick: u64, waker: Waker) -> TimerKey {
        let key = self.state.wheel.insert(tick, waker);
        self.lower_next_due(tick);
        key
    }

    /// Moves the timer of `key`, which a live `TimerHandle` holds, to `tick`. Such a key is
    /// never stale: only the handle's own cancel retires it, and the wheel is never replaced.
    pub(super) fn move_registered(&mut self, key: TimerKey, tick: u64) {
        let moved = self.state.wheel.reset(key, tick);
        debug_assert!(moved, "a registered timer's key went stale");
        self.lower_next_due(tick);
    }

    /// A timer now fires at `tick`: lowers `next_due` if it is earlier, and then wakes the
    /// driver if it sleeps past it (`timer.rs`, "Waking the parked driver", step 2).
    fn lower_next_due(&mut self, tick: u64) {
        // `Relaxed`: only holders of the lock write it, and this thread holds it.
        if tick >= self.shard.next_due.load(Relaxed) {
            return;
        }
        // `SeqCst`: see `Base::note_earlier_deadline`, which it pairs with.
        self.shard.next_due.store(tick, SeqCst);
        self.shard.base.note_earlier_deadline(tick);
    }
}
