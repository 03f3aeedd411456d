//! The waiter lists of one registered source: the tasks waiting on each direction through an
//! operation that several tasks may share (`accept`, `recv_from`, `send_to`, ...).
//!
//! A plain data structure, guarded by the mutex of its `ScheduledIo` (`io.rs` tells the
//! protocol: who locks it when, and how it pairs with the readiness word).
//!
//! Each direction keeps a slab of slots, each holding one waiter's `Waker`, and a stack of
//! free slots. A waiter is known by a [`Key`]: its slot and the id the entry got when it was
//! made. Ids count up per source and are never reused, so a key whose entry is gone (woken,
//! or removed) never matches the entry that later takes its slot: a stale key is harmless.
//!
//! 1. `insert` puts a waker in a free slot (or a new one) under a fresh id.
//! 2. `waker_mut` finds a waiter's entry, to change its waker when the task polls again.
//! 3. `remove` takes a waiter's entry out (the future was dropped, or found readiness).
//! 4. `drain` takes every entry of a direction out, to wake them all.
//!
//! A direction whose last entry goes is reset to empty (and a large allocation is given
//! back), so the slab's length is at most the number of tasks waiting at once: cancelled
//! waits leave nothing behind.

use super::Direction;
use std::task::Waker;

/// Slots a list may keep allocated while empty; a burst of more waiters gives its memory
/// back when the last of them goes.
const KEEP_EMPTY: usize = 64;

/// Where a waiter's entry is: its slot, and the id it was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Key {
    index: usize,
    id: u64,
}

/// The tasks waiting on one source, per direction.
#[derive(Debug, Default)]
pub(super) struct Waiters {
    read: List,
    write: List,
    /// The id of the next entry (either direction).
    next_id: u64,
}

/// The waiters of one direction.
#[derive(Debug, Default)]
struct List {
    slots: Vec<Slot>,
    /// Indexes of the slots that hold no waker.
    free: Vec<usize>,
    /// How many slots hold a waker.
    len: usize,
}

#[derive(Debug)]
struct Slot {
    id: u64,
    /// `None`: the slot is free.
    waker: Option<Waker>,
}

impl Waiters {
    fn list(&mut self, direction: Direction) -> &mut List {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }

    /// Adds a waiter on `direction`.
    pub(super) fn insert(&mut self, direction: Direction, waker: Waker) -> Key {
        let id = self.next_id;
        self.next_id += 1;
        let list = self.list(direction);
        let slot = Slot {
            id,
            waker: Some(waker),
        };
        let index = match list.free.pop() {
            Some(index) => {
                list.slots[index] = slot;
                index
            }
            None => {
                list.slots.push(slot);
                list.slots.len() - 1
            }
        };
        list.len += 1;
        Key { index, id }
    }

    /// The waker of the entry `key`, if it is still there (not woken, not removed).
    pub(super) fn waker_mut(&mut self, direction: Direction, key: Key) -> Option<&mut Waker> {
        self.list(direction)
            .slots
            .get_mut(key.index)
            .filter(|slot| slot.id == key.id)
            .and_then(|slot| slot.waker.as_mut())
    }

    /// Takes the entry `key` out, if it is still there; returns its waker, for the caller to
    /// drop once the lock is released.
    pub(super) fn remove(&mut self, direction: Direction, key: Key) -> Option<Waker> {
        let list = self.list(direction);
        let slot = list
            .slots
            .get_mut(key.index)
            .filter(|slot| slot.id == key.id)?;
        let waker = slot.waker.take()?;
        list.len -= 1;
        if list.len == 0 {
            list.reset();
        } else {
            list.free.push(key.index);
        }
        Some(waker)
    }

    /// Takes every waiter of `direction` out, adding their wakers to `wakers`.
    pub(super) fn drain(&mut self, direction: Direction, wakers: &mut Vec<Waker>) {
        let list = self.list(direction);
        wakers.extend(list.slots.drain(..).filter_map(|slot| slot.waker));
        list.reset();
    }

    /// True if nobody waits on `direction`.
    pub(super) fn is_empty(&self, direction: Direction) -> bool {
        match direction {
            Direction::Read => self.read.len == 0,
            Direction::Write => self.write.len == 0,
        }
    }

    /// How many slots `direction` holds (taken or free): what it costs in memory.
    #[cfg(all(test, not(loom)))]
    pub(super) fn slots(&self, direction: Direction) -> usize {
        match direction {
            Direction::Read => self.read.slots.len(),
            Direction::Write => self.write.slots.len(),
        }
    }
}

impl List {
    /// Empties the list, giving back a large allocation.
    fn reset(&mut self) {
        if self.slots.capacity() > KEEP_EMPTY {
            *self = List::default();
        } else {
            self.slots.clear();
            self.free.clear();
            self.len = 0;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use futures::task::noop_waker;

    #[test]
    fn a_stale_key_never_matches_the_entry_that_took_its_slot() {
        let mut waiters = Waiters::default();
        let first = waiters.insert(Direction::Read, noop_waker());
        let kept = waiters.insert(Direction::Read, noop_waker());
        assert!(waiters.remove(Direction::Read, first).is_some());
        let second = waiters.insert(Direction::Read, noop_waker());
        assert_eq!(second.index, first.index, "the free slot is reused");
        assert!(waiters.remove(Direction::Read, first).is_none());
        assert!(waiters.waker_mut(Direction::Read, first).is_none());
        assert!(waiters.waker_mut(Direction::Read, second).is_some());
        assert!(waiters.remove(Direction::Read, kept).is_some());
        assert!(waiters.remove(Direction::Read, second).is_some());
        assert!(waiters.is_empty(Direction::Read));
        assert_eq!(waiters.slots(Direction::Read), 0);
    }

    #[test]
    fn drain_takes_one_direction_and_leaves_stale_keys() {
        let mut waiters = Waiters::default();
        let readers: Vec<Key> = (0..3)
            .map(|_| waiters.insert(Direction::Read, noop_waker()))
            .collect();
        let writer = waiters.insert(Direction::Write, noop_waker());
        let mut wakers = Vec::new();
        waiters.drain(Direction::Read, &mut wakers);
        assert_eq!(wakers.len(), 3);
        assert!(waiters.is_empty(Direction::Read));
        assert!(!waiters.is_empty(Direction::Write));
        let newcomer = waiters.insert(Direction::Read, noop_waker());
        for key in readers {
            assert!(waiters.remove(Direction::Read, key).is_none());
        }
        assert!(waiters.remove(Direction::Read, newcomer).is_some());
        assert!(waiters.remove(Direction::Write, writer).is_some());
    }

    #[test]
    fn a_burst_of_waiters_gives_its_memory_back() {
        let mut waiters = Waiters::default();
        let keys: Vec<Key> = (0..1000)
            .map(|_| waiters.insert(Direction::Write, noop_waker()))
            .collect();
        for key in keys {
            assert!(waiters.remove(Direction::Write, key).is_some());
        }
        assert_eq!(waiters.write.slots.capacity(), 0);
    }
}
