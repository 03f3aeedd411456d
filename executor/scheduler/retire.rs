//! Which registry shard a task binds into, and how finished tasks' entries leave it.
//!
//! A worker binds the tasks it spawns into its own shard; spawns from other threads spread
//! over the shards past the workers'. A task that finishes on a worker is not removed from
//! the registry at once: the worker notes where its entry is (`retire`) and removes a batch
//! of `RETIRE_BATCH` at a time, and what is left before it parks or stops
//! (`flush_retired`). See the registry's module doc for why.

use super::Shared;
use super::registry::Retired;
use crate::loom::lock;
use crate::task::Id;

/// Finished tasks a worker collects before it removes their registry entries in one go.
pub(super) const RETIRE_BATCH: usize = 64;

impl Shared {
    /// The registry shard a spawn binds into: the worker's own, or for a spawn from
    /// another thread, one of the shards past the workers', by task id.
    pub(super) fn registry_shard(&self, worker: Option<usize>, id: Id) -> usize {
        let workers = self.workers.len();
        match worker {
            Some(index) => self.own_shard(index),
            None => {
                let outside = self.registry.shards().saturating_sub(workers).max(1);
                workers + (id.as_u64() as usize % outside)
            }
        }
    }

    /// Notes a task that finished on worker `index`; a full batch is removed at once.
    pub(super) fn retire(&self, index: usize, retired: Retired) {
        let mut pending = lock(&self.workers[index].retired);
        pending.push(retired);
        if pending.len() >= RETIRE_BATCH {
            let batch = std::mem::take(&mut *pending);
            drop(pending);
            self.remove_batch(index, batch);
        }
    }

    /// Removes the registry entries of the tasks that finished on worker `index`, and those
    /// handed back to its shard (before it parks or stops: the entries would otherwise keep
    /// their tasks' memory while it sleeps).
    pub(crate) fn flush_retired(&self, index: usize) {
        let batch = std::mem::take(&mut *lock(&self.workers[index].retired));
        self.remove_batch(index, batch);
    }

    /// Worker `index`'s registry shard (shared with others past `MAX_SHARDS` workers).
    fn own_shard(&self, index: usize) -> usize {
        index % self.registry.shards()
    }

    /// Removes worker `index`'s `batch` from the registry, then gives the emptied buffer
    /// back: a new one per batch (1.5 KiB, a "large" request to glibc's malloc) made malloc
    /// merge its free lists every time (`malloc_consolidate`, 3 % of the samples in perf).
    fn remove_batch(&self, index: usize, mut batch: Vec<Retired>) {
        self.registry
            .remove_retired(&mut batch, Some(self.own_shard(index)));
        let mut pending = lock(&self.workers[index].retired);
        if pending.is_empty() {
            *pending = batch;
        }
    }
}
