//! I/O readiness: the table of registered sources and what a socket waits on.
//!
//! Each registered source has a `ScheduledIo`: a readiness word and one waker per direction.
//! mio reports readiness edge-triggered: an event says "became readable", once. The word
//! remembers it until the socket's owner meets `WouldBlock` and clears it.
//!
//! ## The readiness word
//! Low bits are readiness flags (`READABLE`, `WRITABLE`, `READ_CLOSED`, `WRITE_CLOSED`,
//! `ERROR`) plus `SHUTDOWN` (the runtime is gone); the bits from `TICK_SHIFT` up count the
//! events delivered. `poll_ready` returns the tick it saw, and `clear_readiness` clears only
//! if no event came since: an edge that arrives between the `WouldBlock` and the clear is not
//! lost. Closed flags are never cleared: a closed half stays closed. `ERROR` is cleared with
//! the rest: the operation that met `WouldBlock` has already consumed the socket's error.
//!
//! ## The table
//! A slab of `Arc<ScheduledIo>` behind a mutex; a source's mio token is its slab index with
//! the slot's generation in the high half, so an event for a source that was deregistered
//! and whose slot was reused (events of one poll can be stale) is recognised and ignored.
//! The driver looks up a whole batch of events under one lock and wakes outside it.

use super::Handle;
use crate::coop;
use crate::loom::{Arc, AtomicUsize, Mutex, lock};
use futures::task::AtomicWaker;
use std::fmt;
use std::io;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Poll, ready};

const READABLE: usize = 1 << 0;
const WRITABLE: usize = 1 << 1;
const READ_CLOSED: usize = 1 << 2;
const WRITE_CLOSED: usize = 1 << 3;
const ERROR: usize = 1 << 4;
const SHUTDOWN: usize = 1 << 5;
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
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// The readiness of one registered source.
#[derive(Debug, Default)]
struct ScheduledIo {
    readiness: AtomicUsize,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

/// Readiness as `poll_ready` saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

impl ScheduledIo {
    /// Records an event and wakes the directions it concerns. `AcqRel`: `Release` publishes
    /// the flags to the woken task's `Acquire` load in `poll_ready`.
    fn set(&self, flags: usize) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |word| {
            let tick = (word >> TICK_SHIFT).wrapping_add(1);
            Some((tick << TICK_SHIFT) | (word & FLAGS) | flags)
        });
        if flags & Direction::Read.mask() != 0 || flags & SHUTDOWN != 0 {
            self.reader.wake();
        }
        if flags & Direction::Write.mask() != 0 || flags & SHUTDOWN != 0 {
            self.writer.wake();
        }
    }

    fn waker(&self, direction: Direction) -> &AtomicWaker {
        match direction {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    fn ready_now(&self, direction: Direction) -> Option<io::Result<ReadyEvent>> {
        let word = self.readiness.load(Acquire);
        if word & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        let ready = word & direction.mask();
        (ready != 0).then_some(Ok(ReadyEvent {
            tick: word >> TICK_SHIFT,
            ready,
        }))
    }

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
        self.waker(direction).register(cx.waker());
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
        let io = Arc::new(ScheduledIo::default());
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
/// All methods take `&self`, so a reader and a writer can wait on one source at once (one
/// task per direction: each direction keeps one waker).
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

    /// Waits until the source is ready in `direction`.
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
    /// `WouldBlock`; then its answer is the result.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match op(self.get_ref()) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readiness(event);
                }
                result => return Poll::Ready(result),
            }
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
