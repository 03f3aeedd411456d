//! A worker's local run queue: a fixed ring of task pointers that its owner pushes to, and
//! that its owner pops from and other workers steal half of in one go (Go's `runq`).
//!
//! ## Layout
//! `slots` is a ring of `CAPACITY` pointers (a power of two). Positions only grow; a slot's
//! index is its position masked by `CAPACITY - 1`. The entries are the positions from
//! `head` up to the tail. Both are 64-bit counters, so they never wrap in practice and a
//! compare-and-swap on `head` cannot mistake an old value for a new one (no ABA, unlike
//! Go's 32-bit counters).
//!
//! `tail` holds the tail position shifted left by one, and in bit 0 `RESERVED`: a producer
//! is between claiming the tail and publishing it.
//!
//! ## Producers
//! The worker that owns the queue is its only producer, except in one rare race: when the
//! monitor hands a stuck worker's slot to a new thread, the old thread may be in the middle
//! of a push. So a push first reserves the tail (one uncontended compare-and-swap on a line
//! the owner keeps in its cache), writes the slot, then publishes the new tail, which clears
//! the reservation (`Release`: a thread that loads the tail with `Acquire` sees the pointer
//! and the task behind it). A push that finds the tail reserved does not wait: the caller
//! sends the entry elsewhere (the injector).
//!
//! ## Consumers
//! Everyone who takes entries (the owner's pop, stealers, the monitor, the overflow) moves
//! `head` with a compare-and-swap from the value it read; exactly one wins each entry.
//! Each consumer decides how many entries to take from that very `head` value, and from a
//! tail it loaded after it (or the tail it holds reserved): so what it claims lies between
//! `head` and the tail, and `head` never passes the tail. (A tail loaded after `head` is at
//! least the tail that the consumer who moved `head` there saw: its `Release` claim and
//! this `Acquire` load order the two.) A count decided from one `head`
//! and claimed from another could take slots that stealers already took (issue 14, item 1:
//! tasks run twice).
//!
//! Consumers other than a producer holding the reservation read the slots first and claim
//! them after: once `head` moves, a producer may overwrite them. The reads are atomic
//! loads, so a stale read is a wasted copy, never a data race; and since `head` only grows,
//! a claim from `h` succeeds only if nobody took anything since the reader saw `h`, so no
//! producer can have reused those slots in between.
//!
//! A stealer copies the pointers it reads into its own ring, past its tail, which it holds
//! reserved meanwhile; it publishes them only if its claim succeeds.
//!
//! Nobody waits for anybody: every operation is a bounded loop whose compare-and-swap fails
//! only if another thread made progress.
//!
//! ## Full queue
//! A push holds its reservation throughout, so no other producer writes and the tail stays
//! where it is. Then:
//! 1. loads `head`; if the ring has room from that value, it appends the entry;
//! 2. else (`head` is exactly `CAPACITY` below the tail) it claims the older half with one
//!    compare-and-swap from that same `head`: success means nobody took anything since, so
//!    all those entries are there and now its own; it moves them, oldest first, to the
//!    caller's overflow (the injector) and appends the entry;
//! 3. if the claim fails, consumers took entries since step 1, and with the tail held
//!    nobody can have added any: back to step 1, which now finds room.

use crate::loom::{AtomicPtr, AtomicU64};
use crate::task::{Notified, Schedule};
use crossbeam_utils::CachePadded;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// Slots in each worker's local queue; a power of two.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };
const MASK: u64 = CAPACITY as u64 - 1;
/// Bit 0 of `tail`: a producer holds the tail.
const RESERVED: u64 = 1;

/// What the ring can hold: a value that is one owning, non-null pointer.
pub(crate) trait Entry: Sized {
    /// Gives up ownership as a pointer.
    fn into_ptr(self) -> NonNull<()>;
    /// # Safety
    /// `ptr` came from `into_ptr` of this type and is turned back exactly once.
    unsafe fn from_ptr(ptr: NonNull<()>) -> Self;
}

impl<S: Schedule> Entry for Notified<S> {
    fn into_ptr(self) -> NonNull<()> {
        self.into_raw().cast()
    }

    unsafe fn from_ptr(ptr: NonNull<()>) -> Self {
        // SAFETY: forwarded: `ptr` came from `into_raw` and owns the queue entry's reference.
        unsafe { Notified::from_raw(ptr.cast()) }
    }
}

/// One worker's ring of runnable entries.
pub(crate) struct LocalQueue<T: Entry> {
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
    slots: Box<[AtomicPtr<()>]>,
    _entries: PhantomData<T>,
}

/// A held reservation of a queue's tail: the position the next entry goes to.
struct Reservation {
    position: u64,
}

impl<T: Entry> LocalQueue<T> {
    pub(crate) fn new() -> LocalQueue<T> {
        LocalQueue {
            head: CachePadded::new(AtomicU64::new(0)),
            tail: CachePadded::new(AtomicU64::new(0)),
            slots: (0..CAPACITY)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            _entries: PhantomData,
        }
    }

    fn slot(&self, position: u64) -> &AtomicPtr<()> {
        &self.slots[(position & MASK) as usize]
    }

    /// Entries now (a snapshot).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.load(Acquire);
        let tail = self.tail.load(Acquire) >> 1;
        tail.saturating_sub(head) as usize
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the tail for this thread, or `None` if another producer holds it. `Acquire`:
    /// the previous producer's slot writes, published by its `release`, are visible.
    fn reserve(&self) -> Option<Reservation> {
        let tail = self.tail.load(Relaxed);
        if tail & RESERVED != 0 {
            return None;
        }
        self.tail
            .compare_exchange(tail, tail | RESERVED, Acquire, Relaxed)
            .ok()?;
        Some(Reservation {
            position: tail >> 1,
        })
    }

    /// Publishes every slot below `tail` and gives the reservation up.
    fn release(&self, _reservation: Reservation, tail: u64) {
        self.tail.store(tail << 1, Release);
    }

    /// Free slots from `position` on. `Acquire`: a consumer's reads of the slots it took
    /// happen before it moved `head`, so before a producer writes those slots again.
    fn room(&self, position: u64) -> u64 {
        CAPACITY as u64 - (position - self.head.load(Acquire))
    }

    /// Appends up to `max` entries that `next` hands out, as many as there is room for,
    /// under one reservation and one publication; returns how many. Takes none if another
    /// producer holds the tail. `next` is only called for an entry that has a slot, so
    /// nothing it hands out is refused.
    pub(crate) fn push_from(&self, max: usize, mut next: impl FnMut() -> Option<T>) -> usize {
        let Some(reservation) = self.reserve() else {
            return 0;
        };
        let position = reservation.position;
        let room = (self.room(position) as usize).min(max);
        let mut pushed = 0;
        while pushed < room {
            let Some(entry) = next() else { break };
            self.slot(position + pushed as u64)
                .store(entry.into_ptr().as_ptr(), Relaxed);
            pushed += 1;
        }
        self.release(reservation, position + pushed as u64);
        pushed
    }

    /// Appends `entry` if the ring has room and no other producer holds the tail, and
    /// returns how many entries were ahead of it (a snapshot: consumers may have taken some
    /// since); otherwise gives it back (for `push`). The common case without `push`'s
    /// overflow closure, whose state would live on the caller's stack on every push.
    pub(crate) fn try_push(&self, entry: T) -> Result<usize, T> {
        let Some(reservation) = self.reserve() else {
            return Err(entry);
        };
        let position = reservation.position;
        let room = self.room(position);
        if room == 0 {
            self.release(reservation, position);
            return Err(entry);
        }
        self.slot(position)
            .store(entry.into_ptr().as_ptr(), Relaxed);
        self.release(reservation, position + 1);
        Ok(CAPACITY - room as usize)
    }

    /// Appends `entry`. If the ring is full, its older half goes to `overflow` first, oldest
    /// first; if another producer holds the tail, `entry` goes there. Returns how many
    /// entries went to `overflow`.
    pub(crate) fn push(&self, entry: T, mut overflow: impl FnMut(T)) -> u64 {
        let Some(reservation) = self.reserve() else {
            overflow(entry);
            return 1;
        };
        let position = reservation.position;
        let moved = self.make_room(position, &mut overflow);
        self.slot(position)
            .store(entry.into_ptr().as_ptr(), Relaxed);
        self.release(reservation, position + 1);
        moved
    }

    /// With the tail reserved at `position`: if the ring is full, moves its older half to
    /// `overflow` (see "Full queue" in the module doc); returns how many entries it moved.
    fn make_room(&self, position: u64, overflow: &mut impl FnMut(T)) -> u64 {
        let half = CAPACITY as u64 / 2;
        loop {
            // `Acquire`: as in `room`.
            let head = self.head.load(Acquire);
            debug_assert!(position - head <= CAPACITY as u64, "head passed the tail");
            if position - head < CAPACITY as u64 {
                return 0;
            }
            before_overflow_claim();
            // Full as of `head`: the claim from that same value succeeds only if nobody
            // took anything since, so all `CAPACITY` entries from `head` are still there.
            if self.claim(head, half) {
                for position in head..head + half {
                    // SAFETY: the claim made these positions this thread's, they are below
                    // the tail, and with the tail reserved no producer can have written
                    // them since.
                    overflow(unsafe { self.read(position) });
                }
                return half;
            }
            // A consumer took entries since `head`: look again, there is room now.
        }
    }

    /// Takes the oldest entry. Any thread may call it.
    pub(crate) fn pop(&self) -> Option<T> {
        loop {
            let head = self.head.load(Acquire);
            // `Acquire`: the producer wrote every slot below the tail before publishing it.
            if head == self.tail.load(Acquire) >> 1 {
                return None;
            }
            let ptr = self.slot(head).load(Relaxed);
            if self.claim(head, 1) {
                // SAFETY: the claim made `head` this thread's, and `ptr` is what it held.
                return Some(unsafe { Self::entry(ptr) });
            }
        }
    }

    /// Takes the older half of this queue (rounded up) into `into`, the caller's own
    /// queue; returns one of the stolen entries to run now (the rest are in `into`) and how
    /// many were stolen in all.
    pub(crate) fn steal_half_into(&self, into: &LocalQueue<T>) -> Option<(T, u64)> {
        let reservation = into.reserve()?;
        let into_tail = reservation.position;
        let room = into.room(into_tail);
        loop {
            let head = self.head.load(Acquire);
            // `Acquire`: the producer wrote every slot below the tail before publishing it.
            let tail = self.tail.load(Acquire) >> 1;
            let len = tail.saturating_sub(head);
            if len > CAPACITY as u64 {
                // `head` moved between the two loads; read again.
                continue;
            }
            let count = len.div_ceil(2).min(room);
            if count == 0 {
                into.release(reservation, into_tail);
                return None;
            }
            let mut last = ptr::null_mut();
            for i in 0..count {
                last = self.slot(head + i).load(Relaxed);
                into.slot(into_tail + i).store(last, Relaxed);
            }
            if self.claim(head, count) {
                // All but the last copy join `into`; the last is returned.
                into.release(reservation, into_tail + count - 1);
                // SAFETY: the claim made the copied entries this thread's; `last` is the
                // one not published in `into`.
                return Some((unsafe { Self::entry(last) }, count));
            }
        }
    }

    /// Moves `head` from `from` to `from + count`; true if no other thread moved it first.
    /// `AcqRel`: the winner's `Release` orders its reads of the slots before any reuse of
    /// them; the `Acquire` makes earlier consumers' reads happen before this one's writes.
    fn claim(&self, from: u64, count: u64) -> bool {
        self.head
            .compare_exchange(from, from + count, AcqRel, Acquire)
            .is_ok()
    }

    /// # Safety
    /// The caller claimed `position` while holding the tail, and reads it once.
    unsafe fn read(&self, position: u64) -> T {
        // SAFETY: forwarded.
        unsafe { Self::entry(self.slot(position).load(Relaxed)) }
    }

    /// # Safety
    /// `ptr` was read from a slot the caller then claimed, and is turned into an entry once.
    unsafe fn entry(ptr: *mut ()) -> T {
        let ptr = NonNull::new(ptr).expect("a claimed slot holds an entry");
        // SAFETY: forwarded: the slot held a pointer from `into_ptr`.
        unsafe { T::from_ptr(ptr) }
    }
}

impl<T: Entry> Drop for LocalQueue<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

#[cfg(all(test, not(loom)))]
thread_local! {
    /// Test-only: what `push` runs once, after it found the ring full and before it claims
    /// the older half, so that a test (`tests.rs`) can let stealers in at exactly that point.
    static BEFORE_OVERFLOW_CLAIM: std::cell::Cell<Option<Box<dyn FnOnce()>>> =
        const { std::cell::Cell::new(None) };
}

/// Runs and clears this thread's `BEFORE_OVERFLOW_CLAIM`, if a test set one; nothing
/// outside the unit tests.
#[inline(always)]
fn before_overflow_claim() {
    #[cfg(all(test, not(loom)))]
    if let Some(hook) = BEFORE_OVERFLOW_CLAIM.take() {
        hook();
    }
}

/// The tests' entries: boxed numbers, whose loss or double free Miri and loom report.
#[cfg(test)]
impl Entry for Box<usize> {
    fn into_ptr(self) -> NonNull<()> {
        NonNull::from(Box::leak(self)).cast()
    }

    unsafe fn from_ptr(ptr: NonNull<()>) -> Self {
        // SAFETY: `ptr` came from `Box::leak` in `into_ptr` and is turned back once.
        unsafe { Box::from_raw(ptr.cast::<usize>().as_ptr()) }
    }
}

/// Test-only: checks that `out`, everything a test's queues handed out, holds each of
/// `0..entries` exactly once. An entry handed out twice is one box twice: then every box is
/// leaked rather than freed twice, so that the test fails with the message, not a crash.
#[cfg(test)]
#[allow(
    clippy::vec_box,
    reason = "the boxes are the entries the queue handed out"
)]
fn each_once(out: Vec<Box<usize>>, entries: usize) -> Result<(), String> {
    let mut counts = vec![0; entries];
    for entry in &out {
        counts[**entry] += 1;
    }
    let twice: Vec<usize> = (0..entries).filter(|&v| counts[v] > 1).collect();
    if !twice.is_empty() {
        std::mem::forget(out);
        return Err(format!(
            "{} entries handed out more than once: {twice:?}",
            twice.len()
        ));
    }
    let lost: Vec<usize> = (0..entries).filter(|&v| counts[v] == 0).collect();
    if !lost.is_empty() {
        return Err(format!("{} entries lost: {lost:?}", lost.len()));
    }
    Ok(())
}

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(all(test, not(loom)))]
mod tests;
