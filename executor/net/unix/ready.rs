//! `UnixStream`'s readiness calls, as tokio's `UnixStream` has them: `readable` and
//! `writable` wait for the reactor to report the socket ready; `try_read` and `try_write`
//! then make one system call and never wait.
//!
//! They suit code that keeps its own buffers or serves both directions from one task
//! without splitting the stream. Each is a thin forward to the stream's `StreamIo`
//! (`net/stream_io.rs`), the same plumbing `TcpStream`'s readiness calls use, so the two
//! kinds of stream behave alike:
//!
//! 1. A report of readiness is a hint. `readable()` may answer and `try_read` still find
//!    nothing (another task or a read through `AsyncRead` took the bytes first); it then
//!    answers `WouldBlock`, and the caller waits again.
//! 2. That `WouldBlock` (from `try_read` or `try_write`) forgets the readiness, so the next
//!    `readable()`/`writable()` waits for a new event instead of answering at once. Nothing
//!    else forgets it: until then, every wait answers at once.
//! 3. The waits take `&self` and are shared: any number of tasks may await them on one
//!    stream, beside a task blocked in `AsyncRead`/`AsyncWrite`, and one event wakes all.
//! 4. Dropping a wait (a `select!` that took another branch, a timeout) consumes nothing.

use super::UnixStream;
use crate::reactor::Direction;
use std::io::{self, Read, Write};

impl UnixStream {
    /// Waits until a read would not block: bytes are queued, the peer shut down its write
    /// direction or dropped its end (a read answers 0), or the socket holds an error (a
    /// read answers it). Pair it with [`try_read`](Self::try_read), and wait again when
    /// that answers `WouldBlock`.
    ///
    /// The answer stays ready until a `try_read` (or a read) meets `WouldBlock`. Any number
    /// of tasks may wait at once and all of them wake; dropping the future before it
    /// answers loses no readiness.
    ///
    /// ```
    /// use futures::io::AsyncWriteExt;
    /// use goro::net::UnixStream;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (reader, mut writer) = UnixStream::pair()?;
    ///     writer.write_all(b"over a pair").await?;
    ///     drop(writer);
    ///
    ///     let mut received = Vec::new();
    ///     let mut chunk = [0; 4];
    ///     loop {
    ///         reader.readable().await?;
    ///         match reader.try_read(&mut chunk) {
    ///             Ok(0) => break, // the writer is gone
    ///             Ok(n) => received.extend_from_slice(&chunk[..n]),
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => {} // a stale hint
    ///             Err(err) => return Err(err),
    ///         }
    ///     }
    ///     assert_eq!(received, b"over a pair");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until a write would not block: the socket's send buffer has room, or the
    /// stream can no longer send (the peer is gone, or an error is pending: a write answers
    /// which). Pair it with [`try_write`](Self::try_write), and wait again when that
    /// answers `WouldBlock`.
    ///
    /// Any number of tasks may wait at once and all of them wake; dropping the future
    /// before it answers loses no readiness.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::UnixStream;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (sender, mut receiver) = UnixStream::pair()?;
    ///     let mut rest: &[u8] = b"framed by hand";
    ///     while !rest.is_empty() {
    ///         sender.writable().await?;
    ///         match sender.try_write(rest) {
    ///             Ok(n) => rest = &rest[n..],
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => {} // full: wait
    ///             Err(err) => return Err(err),
    ///         }
    ///     }
    ///     drop(sender);
    ///     let mut text = String::new();
    ///     receiver.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "framed by hand");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Takes what is queued for this end into `buf`, without waiting: how many bytes it
    /// took, 0 once the peer has shut down its write direction (or for an empty `buf`), or
    /// `WouldBlock` when nothing can be read now.
    ///
    /// `WouldBlock` also drops the stream's read readiness: the next
    /// [`readable`](Self::readable) sleeps until new bytes (or the end) arrive. Since the
    /// call never waits, `buf` may be a local of the loop rather than part of the task.
    ///
    /// ```
    /// use goro::net::UnixStream;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let mut buf = [0; 8];
    ///     // `b` has sent nothing: no wait, just WouldBlock.
    ///     assert_eq!(a.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     drop(b);
    ///     a.readable().await?;
    ///     assert_eq!(a.try_read(&mut buf)?, 0); // the end of the stream
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |mut socket| socket.read(buf))
    }

    /// Queues as much of `buf` as the send buffer has room for, without waiting: how many
    /// bytes it queued, or `WouldBlock` when there is no room now (or no writable event has
    /// been seen yet).
    ///
    /// `WouldBlock` also drops the stream's write readiness: the next
    /// [`writable`](Self::writable) sleeps until the peer reads and frees room.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_write(b"hi")?, 2); // a fresh socket has room for it all
    ///     let mut buf = [0; 2];
    ///     b.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |mut socket| socket.write(buf))
    }
}
