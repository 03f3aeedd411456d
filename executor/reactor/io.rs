//! I/O readiness: the table of registered sources and how tasks wait on a socket.
//!
//! Each registered source has a `ScheduledIo`: a readiness word, one waker slot per direction
//! and one waiter list per direction. mio reports readiness edge-triggered: an event says
//! "became readable", once. The word remembers it until an operation meets `WouldBlock` and
//! clears it.
//!
//! ## The readiness word
//! Low bits are readiness flags (`READABLE`, `WRITABLE`, `READ_CLOSED`, `WRITE_CLOSED`,
//! `ERROR`) plus `SHUTDOWN` (the runtime is gone) and `READ_WAITERS`/`WRITE_WAITERS` (that
//! direction's waiter list is not empty); the bits from `TICK_SHIFT` up count the events
//! delivered. A wait returns the tick it saw, and `clear_readiness` clears only if no event
//! came since: an edge that arrives between the `WouldBlock` and the clear is not lost.
//! Closed flags are never cleared: a closed half stays closed. `ERROR` is cleared with the
//! rest: the operation that met `WouldBlock` has already consumed the socket's error.
//!
//! ## Two ways to wait
//! - **The slot** (`IoSource::poll_ready`): one `AtomicWaker` per direction, for the
//!   poll-style `AsyncRead`/`AsyncWrite` of byte streams, where one task reads and one task
//!   writes (a stream's halves, a connect). Registering replaces the waker before it: as
//!   tokio documents for its `poll_*` methods, only the last task to poll is woken. It costs
//!   no lock, which keeps a stream's round trip cheap.
//! - **The waiter lists** (`Waiter`, used by `IoSource::shared_io`): for the `&self` futures
//!   that several tasks may await at once on one socket (`accept`, `recv_from`, `send_to`,
//!   `recv`, `send`, a stream's `readable`, `writable` and `peek`). Every waiter of a
//!   direction is woken by its readiness.
//!
//! And one way not to wait: `IoSource::try_io` (the `try_*` operations) reads the word once,
//! answers `WouldBlock` if the direction is not ready, and otherwise runs the operation,
//! clearing the readiness (by the tick, as above) if the operation meets `WouldBlock`.
//!
//! An event wakes the direction's slot and every waiter in its list; shutdown wakes both
//! directions, and every wait answers the shutdown error from then on.
//!
//! ## The waiter lists (`waiters.rs`)
//! Guarded by the `ScheduledIo`'s mutex, which only these take, and never across a wake:
//! - a `Waiter` (one task's wait) to enter its list, to change its waker, or to leave;
//! - `set` (an event, or shutdown) to drain the lists the event concerns.
//!
//! The bit `READ_WAITERS` (`WRITE_WAITERS`) is set and cleared only under the lock, so that
//! outside the lock it says exactly whether the list has an entry. `set` changes the word
//! with one read-modify-write that also tells it the bits: it locks only if the list it
//! concerns has waiters, so a socket nobody shares pays nothing for the lists.
//!
//! A wait (`Waiter::poll_ready`):
//! 1. reads the word: ready in its direction (or shut down), it leaves the list and answers;
//! 2. locks the lists; if its entry is still there (not woken yet), it refreshes the waker
//!    and answers `Pending`: the event that will wake it has not drained the list yet;
//! 3. otherwise it adds an entry, then sets the direction's bit with `fetch_or`, which
//!    returns the word: ready there (an event came since step 1), it removes its entry
//!    again and answers; else `Pending`.
//!
//! No wake-up is lost: `set`'s read-modify-write and step 3's `fetch_or` act on one word, so
//! one comes first. If `set` is first, the `fetch_or` returns its flags and the waiter does
//! not wait; if the `fetch_or` is first, `set` sees the bit and drains the list, which now
//! holds the entry (it was added under the lock before the bit was set, and `set` drains
//! under the lock). A woken waiter is out of the list; if its operation then meets
//! `WouldBlock`, it clears the readiness (only if no event came since, by the tick) and
//! waits again from step 1: an edge that came in between is either still in the word or
//! finds it listed.
//!
//! A waiter leaves its list when it answers and when its future is dropped (a cancelled
//! `accept`): no entry and no waker outlives the wait. Leaving locks only if the
//! direction's bit is set: a clear bit, read after the waiter set it, says its entry was
//! already taken. Wakers are woken, and dropped, outside the lock.
//!
//! ## A panicking waker
//! A waker is foreign code (another executor's, a test's). Every wake here is contained
//! (`wake_contained`): a panic there is reported by the panic hook and goes no further, so
//! the other wakers of the event, the rest of the batch, the reactor and the worker turning
//! it go on.
//!
//! ## The table
//! A slab of `Arc<ScheduledIo>` behind a mutex; a source's mio token is its slab index with
//! the slot's generation in the high half, so an event for a source that was deregistered
//! and whose slot was reused (events of one poll can be stale) is recognised and ignored.
//! The driver looks up a whole batch of events under one lock and wakes outside it.

use super::{Handle, wake_contained};
use crate::coop;
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use futures::task::AtomicWaker;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::task::{Context, Poll, Waker, ready};
use waiters::{Key, Waiters};

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(all(test, not(loom)))]
mod tests;
mod waiters;

/// The source can be read (or accepted from, received from).
const READABLE: usize = 1 << 0;
/// The source can be written (or sent on; a connect finished).
const WRITABLE: usize = 1 << 1;
/// The peer closed its write side: reads answer the end of the stream. Never cleared.
const READ_CLOSED: usize = 1 << 2;
/// The write side is closed: writes answer an error. Never cleared.
const WRITE_CLOSED: usize = 1 << 3;
/// The socket has a pending error, which the next operation answers.
const ERROR: usize = 1 << 4;
/// The runtime shut down: every wait answers the shutdown error. Never cleared.
const SHUTDOWN: usize = 1 << 5;
/// The read direction's waiter list is not empty. Set and cleared under the lists' lock.
const READ_WAITERS: usize = 1 << 6;
/// The write direction's waiter list is not empty. Set and cleared under the lists' lock.
const WRITE_WAITERS: usize = 1 << 7;
const TICK_SHIFT: usize = 8;
const FLAGS: usize = (1 << TICK_SHIFT) - 1;

/// Which half of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
}

impl Direction {
    /// The flags that make a wait in this direction answer.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }

    /// The bit that says this direction's waiter list is not empty.
    fn waiters_bit(self) -> usize {
        match self {
            Direction::Read => READ_WAITERS,
            Direction::Write => WRITE_WAITERS,
        }
    }

    /// True if an event with `flags` wakes this direction's waiters.
    fn woken_by(self, flags: usize) -> bool {
        flags & (self.mask() | SHUTDOWN) != 0
    }
}

const DIRECTIONS: [Direction; 2] = [Direction::Read, Direction::Write];

/// The readiness of one registered source, and who waits on it.
#[derive(Debug)]
struct ScheduledIo {
    readiness: AtomicUsize,
    reader: AtomicWaker,
    writer: AtomicWaker,
    waiters: Mutex<Waiters>,
}

/// Readiness as a wait saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

/// What a wait in `direction` answers, given the readiness word `word`: `None` to wait on.
fn ready_in(word: usize, direction: Direction) -> Option<io::Result<ReadyEvent>> {
    if word & SHUTDOWN != 0 {
        return Some(Err(shutdown_error()));
    }
    let ready = word & direction.mask();
    (ready != 0).then_some(Ok(ReadyEvent {
        tick: word >> TICK_SHIFT,
        ready,
    }))
}

impl ScheduledIo {
    fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            reader: AtomicWaker::new(),
            writer: AtomicWaker::new(),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Records an event and wakes the slots and the waiters of the directions it concerns.
    /// `AcqRel`: `Release` publishes the flags to the woken task's `Acquire` load of the
    /// word; the value it returns tells which lists have waiters (a read-modify-write reads
    /// the latest word whatever its ordering; see the module doc).
    fn set(&self, flags: usize) {
        let update = self.readiness.fetch_update(AcqRel, Acquire, |word| {
            let tick = (word >> TICK_SHIFT).wrapping_add(1);
            Some((tick << TICK_SHIFT) | (word & FLAGS) | flags)
        });
        let (Ok(word) | Err(word)) = update;
        for direction in DIRECTIONS {
            if direction.woken_by(flags) {
                wake_contained(|| self.slot(direction).wake());
            }
        }
        if DIRECTIONS
            .iter()
            .any(|direction| direction.woken_by(flags) && word & direction.waiters_bit() != 0)
        {
            self.wake_waiters(flags);
        }
    }

    /// Drains the waiter lists that an event with `flags` concerns and wakes them all.
    fn wake_waiters(&self, flags: usize) {
        let mut wakers = Vec::new();
        {
            let mut waiters = lock(&self.waiters);
            for direction in DIRECTIONS {
                if direction.woken_by(flags) {
                    waiters.drain(direction, &mut wakers);
                    self.clear_waiters_bit(direction);
                }
            }
        }
        for waker in wakers {
            wake_contained(|| waker.wake());
        }
    }

    /// Clears `direction`'s waiters bit; called under the lists' lock once the list is
    /// empty. `Relaxed`: the bit is read only for its place in the word's modification
    /// order (by `set`'s read-modify-write and a leaving waiter's load of its own entry's
    /// fate); the list itself is guarded by the lock.
    fn clear_waiters_bit(&self, direction: Direction) {
        self.readiness.fetch_and(!direction.waiters_bit(), Relaxed);
    }

    fn slot(&self, direction: Direction) -> &AtomicWaker {
        match direction {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    /// The readiness in `direction` now, or `None`. `Acquire`: pairs with the `Release` of
    /// `set`.
    fn ready_now(&self, direction: Direction) -> Option<io::Result<ReadyEvent>> {
        ready_in(self.readiness.load(Acquire), direction)
    }

    /// Waits in `direction`'s slot (one task per direction: see the module doc).
    fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let unit = ready!(coop::poll_proceed(cx));
        if let Some(event) = self.ready_now(direction) {
            unit.made_progress();
            return Poll::Ready(event);
        }
        self.slot(direction).register(cx.waker());
        // Again after registering: an event between the first check and the registration
        // woke nobody.
        if let Some(event) = self.ready_now(direction) {
            unit.made_progress();
            return Poll::Ready(event);
        }
        Poll::Pending
    }

    fn clear_readiness(&self, event: ReadyEvent) {
        // `ERROR` too: an operation that met `WouldBlock` found no pending socket error (it
        // would have answered it), and a kept flag would make every later wait ready at
        // once, a busy loop (a connected UDP socket after an ICMP "port unreachable").
        let clear = event.ready & (READABLE | WRITABLE | ERROR);
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |word| {
            (word >> TICK_SHIFT == event.tick).then_some(word & !clear)
        });
    }
}

/// One task's wait in a direction's waiter list: how an operation that several tasks may
/// share waits for readiness (steps in the module doc). Dropping it leaves the list.
#[derive(Debug)]
pub(crate) struct Waiter<'a> {
    io: &'a ScheduledIo,
    direction: Direction,
    /// The entry this waiter made, while it may still be in the list.
    key: Option<Key>,
}

impl<'a> Waiter<'a> {
    fn new(io: &'a ScheduledIo, direction: Direction) -> Waiter<'a> {
        Waiter {
            io,
            direction,
            key: None,
        }
    }

    /// Waits until the source is ready in this waiter's direction; every task waiting so
    /// is woken by the readiness.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        let unit = ready!(coop::poll_proceed(cx));
        // `Acquire`: pairs with the `Release` of `set`.
        let word = self.io.readiness.load(Acquire);
        let event = match ready_in(word, self.direction) {
            Some(event) => {
                self.leave(word);
                event
            }
            None => match self.enlist(cx.waker()) {
                Some(event) => event,
                None => return Poll::Pending,
            },
        };
        unit.made_progress();
        Poll::Ready(event)
    }

    /// Steps 2 and 3: keeps or puts this waiter in its list with `waker`; the readiness if
    /// some came meanwhile (then the waiter is not in the list).
    fn enlist(&mut self, waker: &Waker) -> Option<io::Result<ReadyEvent>> {
        let mut waiters = lock(&self.io.waiters);
        if let Some(stored) = self
            .key
            .and_then(|key| waiters.waker_mut(self.direction, key))
        {
            let replaced =
                (!stored.will_wake(waker)).then(|| std::mem::replace(stored, waker.clone()));
            drop(waiters);
            drop(replaced);
            return None;
        }
        let key = waiters.insert(self.direction, waker.clone());
        // `Acquire`: reads the flags as `ready_now` does (partner: the `Release` of `set`).
        // What rules out a lost wake-up is that this and `set` modify one word.
        let word = self
            .io
            .readiness
            .fetch_or(self.direction.waiters_bit(), Acquire);
        let Some(event) = ready_in(word, self.direction) else {
            self.key = Some(key);
            return None;
        };
        self.key = None;
        let ours = waiters.remove(self.direction, key);
        if waiters.is_empty(self.direction) {
            self.io.clear_waiters_bit(self.direction);
        }
        drop(waiters);
        drop(ours);
        Some(event)
    }

    /// Takes this waiter's entry out of its list, if it may still be there. `word` is the
    /// readiness word read after the entry was made: with the direction's bit clear, the
    /// list has been empty since, so the entry is gone and the lock is not needed.
    fn leave(&mut self, word: usize) {
        let Some(key) = self.key.take() else {
            return;
        };
        if word & self.direction.waiters_bit() == 0 {
            return;
        }
        let mut waiters = lock(&self.io.waiters);
        let ours = waiters.remove(self.direction, key);
        if ours.is_some() && waiters.is_empty(self.direction) {
            self.io.clear_waiters_bit(self.direction);
        }
        drop(waiters);
        drop(ours);
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if self.key.is_some() {
            // `Relaxed`: `leave` reads only the bit's place in this word's modification
            // order, after this thread's own `fetch_or` that set it.
            let word = self.io.readiness.load(Relaxed);
            self.leave(word);
        }
    }
}

fn shutdown_error() -> io::Error {
    io::Error::other("the goro runtime that this socket belongs to has shut down")
}

/// The table of registered sources of one reactor.
#[derive(Debug)]
pub(crate) struct Registrations {
    slab: Mutex<Slab>,
}

#[derive(Debug, Default)]
struct Slab {
    entries: Vec<(u32, Option<Arc<ScheduledIo>>)>,
    free: Vec<u32>,
    shutdown: bool,
}

fn token_of(index: u32, generation: u32) -> mio::Token {
    mio::Token(((generation as usize) << 32) | index as usize)
}

impl Registrations {
    pub(crate) fn new() -> Registrations {
        Registrations {
            slab: Mutex::new(Slab::default()),
        }
    }

    fn insert(&self) -> io::Result<(mio::Token, Arc<ScheduledIo>)> {
        let mut slab = lock(&self.slab);
        if slab.shutdown {
            return Err(shutdown_error());
        }
        let io = Arc::new(ScheduledIo::new());
        let index = match slab.free.pop() {
            Some(index) => index,
            None => {
                slab.entries.push((0, None));
                (slab.entries.len() - 1) as u32
            }
        };
        let entry = &mut slab.entries[index as usize];
        entry.0 = entry.0.wrapping_add(1) & 0x7fff_ffff;
        entry.1 = Some(io.clone());
        Ok((token_of(index, entry.0), io))
    }

    fn remove(&self, token: mio::Token) {
        let mut slab = lock(&self.slab);
        let index = (token.0 & 0xffff_ffff) as u32;
        let generation = (token.0 >> 32) as u32;
        if let Some(entry) = slab.entries.get_mut(index as usize) {
            if entry.0 == generation && entry.1.take().is_some() {
                slab.free.push(index);
            }
        }
    }

    /// Delivers a batch of events; adds the number of sources made ready to `ready`.
    pub(crate) fn dispatch<'a>(
        &self,
        events: impl Iterator<Item = &'a mio::event::Event>,
        ready: &mut usize,
    ) {
        let mut batch: Vec<(Arc<ScheduledIo>, usize)> = Vec::new();
        {
            let slab = lock(&self.slab);
            for event in events {
                let index = event.token().0 & 0xffff_ffff;
                let generation = (event.token().0 >> 32) as u32;
                let Some((current, Some(io))) = slab.entries.get(index) else {
                    continue;
                };
                if *current != generation {
                    continue;
                }
                let mut flags = 0;
                if event.is_readable() {
                    flags |= READABLE;
                }
                if event.is_writable() {
                    flags |= WRITABLE;
                }
                if event.is_read_closed() {
                    flags |= READ_CLOSED;
                }
                if event.is_write_closed() {
                    flags |= WRITE_CLOSED;
                }
                if event.is_error() {
                    flags |= ERROR;
                }
                batch.push((io.clone(), flags));
            }
        }
        *ready += batch.len();
        for (io, flags) in batch {
            io.set(flags);
        }
    }

    /// Marks every source shut down and wakes its tasks; no source can register after.
    pub(crate) fn shutdown(&self) {
        let entries = {
            let mut slab = lock(&self.slab);
            slab.shutdown = true;
            slab.free.clear();
            std::mem::take(&mut slab.entries)
        };
        for (_, io) in entries {
            if let Some(io) = io {
                io.set(SHUTDOWN);
            }
        }
    }
}

/// A mio source registered with a reactor: what goro's sockets are built on.
///
/// All methods take `&self`. [`poll_ready`](Self::poll_ready) waits in the direction's slot
/// (one task per direction, for poll-style streams); [`shared_io`](Self::shared_io) waits in
/// the direction's waiter list (any number of tasks at once); [`try_io`](Self::try_io) does
/// not wait. See the module doc.
pub(crate) struct IoSource<E: mio::event::Source> {
    io: Option<E>,
    scheduled: Arc<ScheduledIo>,
    token: mio::Token,
    reactor: Handle,
}

impl<E: mio::event::Source> IoSource<E> {
    /// Registers `io` for reading and writing with `reactor`.
    pub(crate) fn new(mut io: E, reactor: Handle) -> io::Result<IoSource<E>> {
        let (token, scheduled) = reactor.io().insert()?;
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(err) = reactor.registry().register(&mut io, token, interest) {
            reactor.io().remove(token);
            return Err(err);
        }
        Ok(IoSource {
            io: Some(io),
            scheduled,
            token,
            reactor,
        })
    }

    /// The source itself.
    pub(crate) fn get_ref(&self) -> &E {
        self.io
            .as_ref()
            .expect("an IoSource is used after deregistration")
    }

    /// Waits until the source is ready in `direction`, in the direction's slot: only the
    /// last task to call it for a direction is woken.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.scheduled.poll_ready(cx, direction)
    }

    /// Forgets the readiness `event` reported (after a `WouldBlock`).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.scheduled.clear_readiness(event);
    }

    /// Runs `op` when the source is ready in `direction`, until it does not answer
    /// `WouldBlock`; then its answer is the result. Any number of tasks may wait in this on
    /// one source at once: readiness wakes every one of them (the waiter list).
    pub(crate) async fn shared_io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = Waiter::new(&self.scheduled, direction);
        poll_fn(|cx| {
            loop {
                let event = ready!(waiter.poll_ready(cx))?;
                match op(self.get_ref()) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.clear_readiness(event);
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
        .await
    }

    /// Runs `op` once if the source is ready in `direction`, without waiting and without
    /// registering any waker: `WouldBlock` if it is not ready. An `op` that meets
    /// `WouldBlock` clears the readiness it was run on, so the next wait waits for a new
    /// event. Spends no cooperative budget: it never answers `Pending`.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(event) = self.scheduled.ready_now(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let event = event?;
        match op(self.get_ref()) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(err)
            }
            result => result,
        }
    }

    /// Deregisters and returns the source.
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self
            .io
            .take()
            .expect("an IoSource is used after deregistration");
        self.reactor.registry().deregister(&mut io)?;
        Ok(io)
    }
}

impl<E: mio::event::Source> Drop for IoSource<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // The fd is closed right after, which removes it from epoll anyway; an error
            // (the reactor's epoll fd already gone) changes nothing.
            let _ = self.reactor.registry().deregister(&mut io);
        }
        self.reactor.io().remove(self.token);
    }
}

impl<E: mio::event::Source + fmt::Debug> fmt::Debug for IoSource<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource").field("io", &self.io).finish()
    }
}
