//! The registry of live tasks: every task from spawn until it completes.
//!
//! Shutdown needs it (a task that waits on nothing sits in no queue, yet must be cancelled),
//! and so does `Handle::dump`. It holds one reference to each task.
//!
//! ## Layout
//! Shards, chosen by task id, each a mutex around a slab (`Vec<Option<Task>>` plus a free
//! list). A task's slab index is written into its header (`registry_slot`) under the shard
//! lock, so removal is O(1). Sequential ids spread consecutive spawns over the shards, so
//! two workers spawning at once rarely meet on a lock. Eight bytes per task.
//!
//! ## Removal in batches
//! A task finished on a worker leaves its entry (and the reference in it) for a while: the
//! worker notes where the entry is (`locate`, a `Retired`, which holds no reference) and
//! takes a batch of them out later (`remove_retired`), one lock per shard instead of one per
//! task. Spawning binds into the same shards on another core; taking each lock once per
//! batch instead of once per task keeps the two workers from queueing on those locks. Until
//! then the finished task's allocation stays (its future and output are already gone);
//! `dump` leaves finished tasks out. A `Retired` is only compared with the entry, never
//! dereferenced, so it stays harmless if shutdown emptied the registry first; and an entry
//! is only freed by its own removal, so the slot cannot hold another task meanwhile.
//!
//! ## Shutdown protocol
//! 1. `close_and_shutdown_all` marks each shard closed and takes its tasks out, under the
//!    lock; then, outside the lock, shuts each task down (drops its future).
//! 2. A task bound after its shard closed is shut down at once (a destructor that spawns).
//! 3. A task that completes after being taken out finds no slot (`remove` answers `None`):
//!    its registry reference was consumed by the shutdown.

use super::raw::{Notified, Task};
use super::{Schedule, TaskInfo};
use crate::loom::{Mutex, lock};
use crossbeam_utils::CachePadded;
use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

/// Where a finished task's entry is: see "Removal in batches" in the module doc.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retired {
    shard: usize,
    slot: u32,
    /// The task's address, compared with the entry's, never dereferenced.
    address: usize,
}

/// Every live task of one runtime.
pub(crate) struct Registry<S: 'static> {
    shards: Box<[CachePadded<Mutex<Shard<S>>>]>,
}

struct Shard<S: 'static> {
    slots: Vec<Option<Task<S>>>,
    free: Vec<u32>,
    len: usize,
    bound: u64,
    closed: bool,
}

impl<S: Schedule> Registry<S> {
    /// A registry with at least `shards` shards (rounded up to a power of two).
    pub(crate) fn new(shards: usize) -> Registry<S> {
        let shards = shards.max(1).next_power_of_two();
        let shards = (0..shards)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    slots: Vec::new(),
                    free: Vec::new(),
                    len: 0,
                    bound: 0,
                    closed: false,
                }))
            })
            .collect();
        Registry { shards }
    }

    fn shard_index(&self, task: &Task<S>) -> usize {
        task.header().id.as_u64() as usize & (self.shards.len() - 1)
    }

    fn shard_of(&self, task: &Task<S>) -> &Mutex<Shard<S>> {
        &self.shards[self.shard_index(task)]
    }

    /// Registers a new task and returns its first queue entry, or, if the registry is
    /// closed, shuts the task down and returns `None`.
    pub(crate) fn bind(&self, task: Task<S>, notified: Notified<S>) -> Option<Notified<S>> {
        let mut shard = lock(self.shard_of(&task));
        if shard.closed {
            drop(shard);
            drop(notified);
            task.shutdown();
            return None;
        }
        let index = match shard.free.pop() {
            Some(index) => index,
            None => {
                shard.slots.push(None);
                u32::try_from(shard.slots.len() - 1).expect("more than 2^32 tasks in one shard")
            }
        };
        // `Relaxed`: the slot index is only read under this shard's lock.
        task.header().registry_slot.store(index, Relaxed);
        shard.slots[index as usize] = Some(task);
        shard.len += 1;
        shard.bound += 1;
        Some(notified)
    }

    /// Takes `task` out and returns the registry's reference, if it is still here.
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let mut shard = lock(self.shard_of(task));
        let index = task.header().registry_slot.load(Relaxed);
        let slot = shard.slots.get_mut(index as usize)?;
        if slot.as_ref() != Some(task) {
            return None;
        }
        let owned = slot.take();
        shard.free.push(index);
        shard.len -= 1;
        owned
    }

    /// Where `task` (finished, still here) sits, for `remove_retired`. `Relaxed`: the slot
    /// index was written under the shard lock when the task was bound, before its first poll.
    pub(crate) fn locate(&self, task: &Task<S>) -> Retired {
        Retired {
            shard: self.shard_index(task),
            slot: task.header().registry_slot.load(Relaxed),
            address: task.header() as *const _ as usize,
        }
    }

    /// Takes the entries of `retired` out, one lock per shard, and drops their references
    /// after the locks are released (a destructor may spawn).
    pub(crate) fn remove_retired(&self, mut retired: Vec<Retired>) {
        retired.sort_unstable_by_key(|r| r.shard);
        let mut released = Vec::with_capacity(retired.len());
        for group in retired.chunk_by(|a, b| a.shard == b.shard) {
            let mut shard = lock(&self.shards[group[0].shard]);
            for r in group {
                let Some(slot) = shard.slots.get_mut(r.slot as usize) else {
                    continue;
                };
                if slot.as_ref().map(|t| t.header() as *const _ as usize) != Some(r.address) {
                    continue;
                }
                released.extend(slot.take());
                shard.free.push(r.slot);
                shard.len -= 1;
            }
        }
        drop(released);
    }

    /// Closes the registry and shuts down every task in it (protocol in the module doc).
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            let tasks = {
                let mut shard = lock(shard);
                shard.closed = true;
                shard.free.clear();
                shard.len = 0;
                std::mem::take(&mut shard.slots)
            };
            for task in tasks.into_iter().flatten() {
                task.shutdown();
            }
        }
    }

    /// (tasks live now, tasks registered since the start).
    pub(crate) fn counts(&self) -> (usize, u64) {
        self.shards.iter().fold((0, 0), |(live, bound), shard| {
            let shard = lock(shard);
            (live + shard.len, bound + shard.bound)
        })
    }

    /// A snapshot of every live task, one shard lock at a time. Tasks that completed and are
    /// on their way out of the registry are left out.
    pub(crate) fn dump(&self) -> Vec<TaskInfo> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            out.reserve(shard.len);
            out.extend(
                shard
                    .slots
                    .iter()
                    .flatten()
                    .filter(|task| !task.header().state.load().is_complete())
                    .map(|task| TaskInfo::of(task.header())),
            );
        }
        out
    }
}

impl<S: 'static> fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}
