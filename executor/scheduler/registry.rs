//! The registry of live tasks: every task from spawn until it completes.
//!
//! Shutdown needs it (a task that waits on nothing sits in no queue, yet must be cancelled),
//! and so does `Handle::dump`. It holds one reference to each task.
//!
//! ## Layout
//! Shards, each a mutex around a slab (`Vec<Option<Task>>` plus a free list). The spawner
//! chooses the shard: a worker binds into its own, so two workers spawning at once never
//! meet on a lock, and the lock a worker takes for each spawn stays in its own cache (spawns
//! from outside the workers spread over the shards left over). A full shard (`MAX_INDEX`
//! entries) passes the task on to the next. The shard and the slab index are written into
//! the task's header (`registry_slot`: shard in the top `32 - INDEX_BITS` bits, index
//! below) under the shard lock, so removal is O(1). Eight bytes per task.
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
//! ## Removal by the owner
//! The first `owned` shards belong to one worker each, the one that binds into them. A batch
//! entry of another worker's shard is not removed by the worker that finished the task: it
//! is handed back (`returned`, one lock per batch) and the owner removes it at its next bind
//! (or when it parks). The slab's cache lines, its free list and the task's memory (freed
//! into the owner's allocator cache) then stay on the owner's core: a slot freed on one core
//! and reused at once by the next spawn on another cost a cache miss per spawn (most of
//! `bind`'s time in perf with 1,000,000 tasks). So that an owner that stops spawning cannot
//! keep memory, a hand-back that would exceed `RETURN_LIMIT` entries removes them all
//! itself; at most that many finished tasks wait for an owner that sleeps.
//!
//! ## Shutdown protocol
//! 1. `close_and_shutdown_all` marks each shard closed and takes its tasks out, under the
//!    lock; then, outside the lock, shuts each task down (drops its future).
//! 2. A task bound after its shard closed is shut down at once (a destructor that spawns).
//! 3. A task that completes after being taken out finds no slot (`remove` answers `None`):
//!    its registry reference was consumed by the shutdown.

use crate::loom::{Mutex, lock};
use crate::task::{Notified, Schedule, Task, TaskInfo};
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

/// Bits of `registry_slot` that hold the index in the shard's slab.
const INDEX_BITS: u32 = 26;
/// One past the largest index; as an index it means "not in the registry" (`Header::new`
/// starts every task with all bits set).
const MAX_INDEX: u32 = (1 << INDEX_BITS) - 1;
/// The most entries handed back to a shard's owner before the hander removes them itself.
const RETURN_LIMIT: usize = 256;
/// The most shards a registry has: the shard number must fit above the index.
pub(crate) const MAX_SHARDS: usize = 1 << (32 - INDEX_BITS);

/// `registry_slot`'s value for entry `index` of shard `shard`.
fn encode(shard: usize, index: u32) -> u32 {
    debug_assert!(shard < MAX_SHARDS && index < MAX_INDEX);
    ((shard as u32) << INDEX_BITS) | index
}

/// (shard, index) of a `registry_slot` value.
fn decode(slot: u32) -> (usize, u32) {
    ((slot >> INDEX_BITS) as usize, slot & MAX_INDEX)
}

/// Every live task of one runtime.
pub(crate) struct Registry<S: 'static> {
    shards: Box<[CachePadded<Mutex<Shard<S>>>]>,
    /// Shards `0..owned` belong to one worker each ("Removal by the owner").
    owned: usize,
}

struct Shard<S: 'static> {
    slots: Vec<Option<Task<S>>>,
    free: Vec<u32>,
    len: usize,
    bound: u64,
    closed: bool,
    /// Entries of finished tasks that other workers handed back, for the owner to remove.
    returned: Vec<Retired>,
}

impl<S: Schedule> Registry<S> {
    /// A registry with `shards` shards (at least one, at most `MAX_SHARDS`), the first
    /// `owned` of which (at most all) belong to one worker each.
    pub(crate) fn new(shards: usize, owned: usize) -> Registry<S> {
        let shards = shards.clamp(1, MAX_SHARDS);
        let owned = owned.min(shards);
        let shards = (0..shards)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    slots: Vec::new(),
                    free: Vec::new(),
                    len: 0,
                    bound: 0,
                    closed: false,
                    returned: Vec::new(),
                }))
            })
            .collect();
        Registry { shards, owned }
    }

    /// How many shards there are.
    pub(crate) fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Registers a new task in shard `shard` (taken modulo the number of shards, or the next
    /// one with room) and returns its first queue entry, or, if the registry is closed, shuts
    /// the task down and returns `None`.
    pub(crate) fn bind(
        &self,
        task: Task<S>,
        notified: Notified<S>,
        shard: usize,
    ) -> Option<Notified<S>> {
        let count = self.shards.len();
        for number in (shard..shard + count).map(|n| n % count) {
            let mut shard = lock(&self.shards[number]);
            if shard.closed {
                drop(shard);
                drop(notified);
                task.shutdown();
                return None;
            }
            let released = shard.remove_returned();
            let Some(index) = shard.free_index() else {
                drop(shard);
                drop(released);
                continue;
            };
            // `Relaxed`: written before the task is first scheduled, which publishes it to
            // the threads that complete the task; other readers hold this shard's lock.
            let slot = encode(number, index);
            task.header().registry_slot.store(slot, Relaxed);
            shard.slots[index as usize] = Some(task);
            shard.len += 1;
            shard.bound += 1;
            drop(shard);
            drop(released);
            return Some(notified);
        }
        panic!(
            "goro: more than {} tasks alive at once",
            count as u64 * u64::from(MAX_INDEX)
        );
    }

    /// The shard and index where `task` was bound; `None` if it never was.
    fn position(&self, task: &Task<S>) -> Option<(usize, u32)> {
        let (shard, index) = decode(task.header().registry_slot.load(Relaxed));
        (shard < self.shards.len() && index < MAX_INDEX).then_some((shard, index))
    }

    /// Takes `task` out and returns the registry's reference, if it is still here.
    pub(crate) fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let retired = self.locate(task)?;
        lock(&self.shards[retired.shard]).remove_entry(&retired)
    }

    /// Where `task` (finished) sits, for `remove_retired`; `None` if it was never bound.
    /// `Relaxed`: the slot was written when the task was bound, before its first poll.
    pub(crate) fn locate(&self, task: &Task<S>) -> Option<Retired> {
        let (shard, slot) = self.position(task)?;
        Some(Retired {
            shard,
            slot,
            address: task.header() as *const _ as usize,
        })
    }

    /// Takes the entries of `retired` out, one lock per shard, and drops their references
    /// after the locks are released (a destructor may spawn). `remover` is the calling
    /// worker's own shard: entries of other workers' shards go back to their owners
    /// ("Removal by the owner"), and the entries handed back to `remover` are taken out too.
    /// With more workers than shards, workers share shards: `remover` is a shard number.
    /// `retired` is left empty, its capacity kept for the next batch.
    pub(crate) fn remove_retired(&self, retired: &mut Vec<Retired>, remover: Option<usize>) {
        retired.sort_unstable_by_key(|r| r.shard);
        let mut released = Vec::with_capacity(retired.len());
        if let Some(own) = remover.filter(|&own| own < self.owned) {
            released.extend(lock(&self.shards[own]).remove_returned());
        }
        for group in retired.chunk_by(|a, b| a.shard == b.shard) {
            let number = group[0].shard;
            let mut shard = lock(&self.shards[number]);
            let someone_elses = number < self.owned && Some(number) != remover;
            if someone_elses && shard.returned.len() + group.len() <= RETURN_LIMIT {
                shard.returned.extend_from_slice(group);
                continue;
            }
            released.extend(shard.remove_returned());
            released.extend(group.iter().filter_map(|r| shard.remove_entry(r)));
        }
        retired.clear();
        drop(released);
    }

    /// Closes the registry and shuts down every task in it (protocol in the module doc).
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            let tasks = {
                let mut shard = lock(shard);
                shard.closed = true;
                shard.free.clear();
                shard.returned.clear();
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
            (live + shard.len - shard.returned.len(), bound + shard.bound)
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

impl<S: 'static> Shard<S> {
    /// Takes out the entry `retired` names, if it is still there, and returns its reference.
    fn remove_entry(&mut self, retired: &Retired) -> Option<Task<S>> {
        let slot = self.slots.get_mut(retired.slot as usize)?;
        if slot.as_ref().map(|t| t.header() as *const _ as usize) != Some(retired.address) {
            return None;
        }
        let task = slot.take();
        self.free.push(retired.slot);
        self.len -= 1;
        task
    }

    /// Takes out every entry handed back to this shard; the caller drops the references
    /// after releasing the lock.
    fn remove_returned(&mut self) -> Vec<Task<S>> {
        if self.returned.is_empty() {
            return Vec::new();
        }
        let mut returned = std::mem::take(&mut self.returned);
        let released = returned
            .iter()
            .filter_map(|r| self.remove_entry(r))
            .collect();
        // The buffer is kept: a new one for every hand-back would be a large allocation.
        returned.clear();
        self.returned = returned;
        released
    }

    /// A free slab index: a freed one, or a new one if the slab has room.
    fn free_index(&mut self) -> Option<u32> {
        if let Some(index) = self.free.pop() {
            return Some(index);
        }
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i < MAX_INDEX)?;
        self.slots.push(None);
        Some(index)
    }
}

impl<S: 'static> fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
