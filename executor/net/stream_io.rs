//! The byte-stream plumbing that TCP and Unix streams and their halves share.
//!
//! [`StreamIo<E>`] is a connected stream socket `E` (a `mio::net::TcpStream` or
//! `mio::net::UnixStream`) registered with the reactor. It holds the one implementation of
//! reading, writing, closing and finishing a nonblocking connect; the public types wrap it
//! and get their `AsyncRead`/`AsyncWrite` impls from [`impl_async_read!`] and
//! [`impl_async_write!`], which only forward to it.
//!
//! ## One operation
//! 1. `poll_ready` on the direction (spends one unit of cooperative budget; `Pending` if the
//!    socket is not ready, with the task's waker stored in that direction's slot).
//! 2. The system call on `&E`.
//! 3. `WouldBlock`: clear the readiness the event reported and go back to 1. A transfer
//!    shorter than asked: clear it too (the kernel had no more data, or no more room), then
//!    answer. Anything else: answer.
//!
//! Clearing is safe against races: it clears only if no event arrived since `poll_ready`
//! (the reactor compares the event's tick), so data that lands between the system call and
//! the clear keeps the socket ready.
//!
//! ## The `&self` futures and the `try_*` calls
//! `ready` (a stream's `readable`/`writable`) and `shared_io` (`peek`) wait in the
//! direction's waiter list instead of its slot, so several tasks may await them at once on
//! one stream, next to a task in `poll_read`: readiness wakes the slot and every waiter.
//! `try_io` (`try_read`/`try_write`) never waits: it answers `WouldBlock` when the socket is
//! not known to be ready, and clears the readiness when the system call meets `WouldBlock`.

use crate::reactor::{self, Direction, IoSource};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::task::{Context, Poll, ready};

/// What a stream socket offers beyond `Read` and `Write` on `&Self`.
pub(crate) trait StreamSocket: mio::event::Source {
    /// Shuts down one or both directions.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    /// The pending socket error (`SO_ERROR`), taken.
    fn take_error(&self) -> io::Result<Option<io::Error>>;
    /// After a writable event on a connecting socket: is the connect done, or still going?
    fn is_connected(&self) -> io::Result<bool>;
}

impl StreamSocket for mio::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::TcpStream::shutdown(self, how)
    }

    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::TcpStream::take_error(self)
    }

    fn is_connected(&self) -> io::Result<bool> {
        // mio's recipe: a connected socket has a peer; "not connected" means the handshake
        // is still going (a spurious writable event).
        match self.peer_addr() {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(err) => Err(err),
        }
    }
}

#[cfg(unix)]
impl StreamSocket for mio::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        mio::net::UnixStream::shutdown(self, how)
    }

    fn take_error(&self) -> io::Result<Option<io::Error>> {
        mio::net::UnixStream::take_error(self)
    }

    fn is_connected(&self) -> io::Result<bool> {
        // A Unix connect either completes in the `connect` call or fails there.
        Ok(true)
    }
}

/// A stream socket registered with the reactor.
pub(crate) struct StreamIo<E: mio::event::Source> {
    io: IoSource<E>,
}

impl<E> StreamIo<E>
where
    E: StreamSocket,
    for<'a> &'a E: Read + Write,
{
    /// Registers `socket` with `reactor`.
    pub(crate) fn new(socket: E, reactor: reactor::Handle) -> io::Result<StreamIo<E>> {
        Ok(StreamIo {
            io: IoSource::new(socket, reactor)?,
        })
    }

    /// Registers `socket` with the current runtime's reactor.
    pub(crate) fn new_current(socket: E) -> io::Result<StreamIo<E>> {
        StreamIo::new(socket, crate::runtime::current_reactor()?)
    }

    /// The socket.
    pub(crate) fn get_ref(&self) -> &E {
        self.io.get_ref()
    }

    /// Deregisters the socket and gives it back.
    pub(crate) fn into_inner(self) -> io::Result<E> {
        self.io.into_inner()
    }

    /// Waits until the socket is ready in `direction` (or closed there, or in error), in the
    /// direction's waiter list: any number of tasks may wait at once. Clears nothing: the
    /// readiness stays until an operation meets `WouldBlock`.
    pub(crate) async fn ready(&self, direction: Direction) -> io::Result<()> {
        self.io.shared_io(direction, |_| Ok(())).await
    }

    /// Runs `op` once if the socket is ready in `direction`; `WouldBlock` otherwise (see
    /// `IoSource::try_io`).
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io(direction, op)
    }

    /// Runs `op` when the socket is ready in `direction` until it does not answer
    /// `WouldBlock`, waiting in the direction's waiter list (see `IoSource::shared_io`).
    pub(crate) async fn shared_io<R>(
        &self,
        direction: Direction,
        op: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.shared_io(direction, op).await
    }

    /// Waits for a nonblocking connect to finish; its error (refused, unreachable, ...) if
    /// it failed.
    pub(crate) async fn finish_connect(&self) -> io::Result<()> {
        poll_fn(|cx| {
            loop {
                let event = ready!(self.io.poll_ready(cx, Direction::Write))?;
                if let Some(err) = self.get_ref().take_error()? {
                    return Poll::Ready(Err(err));
                }
                if self.get_ref().is_connected()? {
                    return Poll::Ready(Ok(()));
                }
                self.io.clear_readiness(event);
            }
        })
        .await
    }

    /// Reads into `buf` (0: end of stream).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_transfer(cx, Direction::Read, len, |mut socket| socket.read(buf))
    }

    /// Reads into `bufs` in one system call.
    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.poll_transfer(cx, Direction::Read, len, |mut socket| {
            socket.read_vectored(bufs)
        })
    }

    /// Writes from `buf`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(cx, Direction::Write, buf.len(), |mut socket| {
            socket.write(buf)
        })
    }

    /// Writes from `bufs` in one system call.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.poll_transfer(cx, Direction::Write, len, |mut socket| {
            socket.write_vectored(bufs)
        })
    }

    /// Sockets have no user-space buffer: flushing is done at once.
    pub(crate) fn poll_flush(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closing a stream (or its write half) shuts down its write direction: the peer reads
    /// the end of the stream, and may still answer.
    pub(crate) fn poll_close(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_ref().shutdown(Shutdown::Write))
    }

    /// One operation, as the module doc tells it.
    fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        mut op: impl FnMut(&E) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let event = ready!(self.io.poll_ready(cx, direction))?;
            match op(self.get_ref()) {
                Ok(n) => {
                    if n > 0 && n < len {
                        self.io.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    self.io.clear_readiness(event);
                }
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }
}

impl<E: mio::event::Source + fmt::Debug> fmt::Debug for StreamIo<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// Implements `futures::io::AsyncRead` for a type by forwarding to a [`StreamIo`]:
/// `impl_async_read!([] Type, |this| this.io)`, or `(['a] Type<'a>, ...)` for a borrowing type.
macro_rules! impl_async_read {
    ([$($lt:lifetime)?] $ty:ty, |$this:ident| $io:expr) => {
        impl<$($lt)?> futures::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $io.poll_read(cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $io.poll_read_vectored(cx, bufs)
            }
        }
    };
}

/// Implements `futures::io::AsyncWrite` for a type by forwarding to a [`StreamIo`], as
/// [`impl_async_read!`] does.
macro_rules! impl_async_write {
    ([$($lt:lifetime)?] $ty:ty, |$this:ident| $io:expr) => {
        impl<$($lt)?> futures::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $io.poll_write_vectored(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                $io.poll_flush(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                $io.poll_close(cx)
            }
        }
    };
}

pub(crate) use {impl_async_read, impl_async_write};
