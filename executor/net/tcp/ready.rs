//! `TcpStream`'s readiness calls: wait until the socket is readable or writable, then move
//! bytes with the `try_*` calls that never wait; and `peek`, which reads without taking.
//!
//! They are an alternative to `AsyncRead`/`AsyncWrite` for code that manages its own buffers
//! (tokio's `readable` + `try_read` style). All take `&self`, and the waits (`readable`,
//! `writable`, `peek`) are shared: any number of tasks may await them on one stream at
//! once, and readiness wakes them all (`stream_io.rs` tells how).
//!
//! Readiness is a hint, not a promise: after `readable()` answers, `try_read` may still find
//! nothing (another task took the data, or the event was spurious) and answer `WouldBlock`.
//! That answer clears the readiness, so the next `readable()` waits for new data instead of
//! answering again at once.

use super::TcpStream;
use crate::reactor::Direction;
use std::io::{self, Read, Write};

impl TcpStream {
    /// Waits until the stream is readable: data has arrived, the peer closed its side (a read
    /// answers 0), or the socket has an error (a read answers it). Usually followed by
    /// [`try_read`](Self::try_read).
    ///
    /// It answers at once while the stream is known to be readable, until a read meets
    /// `WouldBlock`. Several tasks may wait at once: all are woken. Cancelling it (dropping
    /// the future) loses nothing.
    ///
    /// ```
    /// use futures::io::AsyncWriteExt;
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"hello").await?;
    ///
    ///     let mut buf = [0; 16];
    ///     let n = loop {
    ///         client.readable().await?;
    ///         match client.try_read(&mut buf) {
    ///             Ok(n) => break n,
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue, // wait again
    ///             Err(err) => return Err(err),
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hello");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.ready(Direction::Read).await
    }

    /// Waits until the stream is writable: there is room in the send buffer, or the socket
    /// is closed or in error (a write answers why). Usually followed by
    /// [`try_write`](Self::try_write). Several tasks may wait at once: all are woken.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///
    ///     let mut message: &[u8] = b"sent with try_write";
    ///     while !message.is_empty() {
    ///         client.writable().await?;
    ///         match client.try_write(message) {
    ///             Ok(n) => message = &message[n..],
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(err) => return Err(err),
    ///         }
    ///     }
    ///     let mut got = [0; 19];
    ///     server.read_exact(&mut got).await?;
    ///     assert_eq!(&got, b"sent with try_write");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.ready(Direction::Write).await
    }

    /// Reads what has arrived into `buf`, without waiting: the number of bytes read (0: the
    /// peer closed its side, or `buf` is empty), or `WouldBlock` if there is nothing to read
    /// now. A `WouldBlock` also forgets the stream's readiness, so that
    /// [`readable`](Self::readable) then waits for new data.
    ///
    /// Because it never waits, `buf` can live on the stack of one loop turn instead of in
    /// the task (see [`readable`](Self::readable) for the loop).
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let _server = listener.accept().await?;
    ///     let mut buf = [0; 16];
    ///     // Nothing was sent: the answer is at once, and it is WouldBlock.
    ///     assert_eq!(client.try_read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Read, |mut socket| socket.read(buf))
    }

    /// Writes as much of `buf` as the send buffer takes now, without waiting: the number of
    /// bytes written, or `WouldBlock` if the stream is not writable now (its send buffer is
    /// full, or no writable event has come yet). A `WouldBlock` also forgets the stream's
    /// readiness, so that [`writable`](Self::writable) then waits for room.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.writable().await?;
    ///     assert_eq!(client.try_write(b"ping")?, 4); // an empty send buffer takes it all
    ///     let mut got = [0; 4];
    ///     server.read_exact(&mut got).await?;
    ///     assert_eq!(&got, b"ping");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |mut socket| socket.write(buf))
    }

    /// Waits for data and copies it into `buf` without taking it: the next read gets the
    /// same bytes again. Answers the number of bytes copied (0: the peer closed its side).
    ///
    /// Several tasks may peek at once: all are woken by the data.
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"GET /").await?;
    ///
    ///     let mut first = [0; 3];
    ///     let n = client.peek(&mut first).await?;
    ///     assert_eq!(&first[..n], &b"GET"[..n]); // a look at the start
    ///     let mut all = [0; 5];
    ///     client.read_exact(&mut all).await?; // still all there
    ///     assert_eq!(&all, b"GET /");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .shared_io(Direction::Read, |socket| socket.peek(buf))
            .await
    }
}
