//! The global injector: the queue of tasks from outside the workers and of local queues'
//! overflow, kept as a queue of batches.
//!
//! A worker whose local queue is full moves half of it here at once (128 tasks), and a
//! worker that takes from here takes a share at once; a task that comes from outside a
//! worker (a spawn or a wake on another thread) comes alone. So the queue holds batches:
//! `One` task, or `Many` in a `Vec` of at most `BATCH`. One `SegQueue` operation moves a
//! whole batch, and a task waiting in a batch costs its 8-byte pointer, where a `SegQueue`
//! of single tasks costs 16 bytes a task (each slot has a state word). That matters when a
//! task spawns a million others faster than the other workers run them: the backlog waits
//! here, and the memory it took stays behind in the allocator once it is gone.
//!
//! `BATCH` is 64: a `Vec` of 64 pointers is 512 bytes, below glibc's 1 KiB "large" size,
//! whose allocation makes malloc merge its free lists first.
//!
//! Order: batches are first in, first out; within a batch, tasks keep their order.

use crossbeam_queue::SegQueue;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

/// The most tasks in one `Many` batch.
pub(crate) const BATCH: usize = 64;

/// A queue of tasks, held in batches (module doc).
pub(crate) struct Injector<T> {
    batches: SegQueue<Batch<T>>,
    /// Tasks in all batches; a statistic, read `Relaxed`.
    len: AtomicUsize,
}

/// What one `SegQueue` slot holds.
pub(crate) enum Batch<T> {
    /// A task pushed on its own.
    One(T),
    /// Up to `BATCH` tasks pushed together, never none.
    Many(Vec<T>),
}

impl<T> Injector<T> {
    /// An empty injector.
    pub(crate) fn new() -> Injector<T> {
        Injector {
            batches: SegQueue::new(),
            len: AtomicUsize::new(0),
        }
    }

    /// Appends one task.
    pub(crate) fn push(&self, task: T) {
        self.len.fetch_add(1, Relaxed);
        self.batches.push(Batch::One(task));
    }

    /// A way to append many tasks in batches of `BATCH`; what it holds is appended when it
    /// is full and when it is dropped.
    pub(crate) fn batcher(&self) -> Batcher<'_, T> {
        Batcher {
            injector: self,
            tasks: Vec::new(),
        }
    }

    fn push_many(&self, tasks: Vec<T>) {
        if !tasks.is_empty() {
            self.len.fetch_add(tasks.len(), Relaxed);
            self.batches.push(Batch::Many(tasks));
        }
    }

    /// Takes the oldest batch.
    pub(crate) fn pop(&self) -> Option<Batch<T>> {
        let batch = self.batches.pop()?;
        self.len.fetch_sub(batch.len(), Relaxed);
        Some(batch)
    }

    /// Puts back what is left of a batch a worker could not take whole (its local queue was
    /// full), behind the others.
    pub(crate) fn push_back(&self, rest: impl Iterator<Item = T>) {
        let mut batcher = self.batcher();
        rest.for_each(|task| batcher.push(task));
    }

    /// How many tasks wait (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// True if no batch waits (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

impl<T> Batch<T> {
    fn len(&self) -> usize {
        match self {
            Batch::One(_) => 1,
            Batch::Many(tasks) => tasks.len(),
        }
    }
}

impl<T> IntoIterator for Batch<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    /// The batch's tasks, oldest first.
    fn into_iter(self) -> Self::IntoIter {
        match self {
            Batch::One(task) => Some(task).into_iter().chain(Vec::new()),
            Batch::Many(tasks) => None.into_iter().chain(tasks),
        }
    }
}

/// Appends tasks to an injector in batches of `BATCH` (see `Injector::batcher`).
pub(crate) struct Batcher<'a, T> {
    injector: &'a Injector<T>,
    tasks: Vec<T>,
}

impl<T> Batcher<'_, T> {
    /// Adds a task to the batch being filled; a full batch is appended.
    pub(crate) fn push(&mut self, task: T) {
        if self.tasks.capacity() == 0 {
            self.tasks.reserve_exact(BATCH);
        }
        self.tasks.push(task);
        if self.tasks.len() == BATCH {
            self.injector.push_many(std::mem::take(&mut self.tasks));
        }
    }
}

impl<T> Drop for Batcher<'_, T> {
    fn drop(&mut self) {
        self.injector.push_many(std::mem::take(&mut self.tasks));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn drain(injector: &Injector<usize>) -> Vec<usize> {
        std::iter::from_fn(|| injector.pop()).flatten().collect()
    }

    #[test]
    fn tasks_come_out_in_the_order_they_went_in() {
        let injector = Injector::new();
        injector.push(0);
        {
            let mut batcher = injector.batcher();
            (1..=150).for_each(|n| batcher.push(n));
        }
        injector.push(151);
        assert_eq!(injector.len(), 152);
        assert_eq!(drain(&injector), (0..=151).collect::<Vec<_>>());
        assert!(injector.is_empty());
        assert_eq!(injector.len(), 0);
    }

    #[test]
    fn a_batcher_fills_batches_of_at_most_batch_tasks() {
        let injector = Injector::new();
        {
            let mut batcher = injector.batcher();
            (0..BATCH * 2 + 1).for_each(|n| batcher.push(n));
        }
        let sizes: Vec<usize> = std::iter::from_fn(|| injector.pop())
            .map(|batch| batch.len())
            .collect();
        assert_eq!(sizes, [BATCH, BATCH, 1]);
    }

    #[test]
    fn what_is_pushed_back_goes_behind_the_rest() {
        let injector = Injector::new();
        injector.push(1);
        injector.push_back([7, 8].into_iter());
        assert_eq!(drain(&injector), [1, 7, 8]);
    }
}
