//! `UdpSocket`'s readiness calls: `readable` and `writable`, the `try_*` operations that
//! never wait, and `peek_from`, which receives without taking.
//!
//! The waits are shared (every waiting task is woken by readiness); a `try_*` that meets
//! `WouldBlock` forgets the readiness, so the next wait waits for a new event (see the
//! [module docs](crate::net#readiness-and-try_)).

use super::UdpSocket;
use crate::reactor::Direction;
use std::io;
use std::net::SocketAddr;

impl UdpSocket {
    /// Waits until a datagram can be received (or the socket has an error to report).
    /// Usually followed by [`try_recv_from`](Self::try_recv_from). Several tasks may wait
    /// at once: all are woken.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"ping", b.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = loop {
    ///         b.readable().await?;
    ///         match b.try_recv_from(&mut buf) {
    ///             Ok(received) => break received,
    ///             Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
    ///             Err(err) => return Err(err),
    ///         }
    ///     };
    ///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.shared_io(Direction::Read, |_| Ok(())).await
    }

    /// Waits until a datagram can be sent (there is room in the send buffer). Usually
    /// followed by [`try_send_to`](Self::try_send_to). Several tasks may wait at once.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.writable().await?;
    ///     assert_eq!(a.try_send_to(b"pong", b.local_addr()?)?, 4);
    ///     let mut buf = [0; 16];
    ///     let (n, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"pong");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.shared_io(Direction::Write, |_| Ok(())).await
    }

    /// Sends `buf` as one datagram to `target` without waiting: the number of bytes sent,
    /// or `WouldBlock` if the socket is not writable now (its send buffer is full, or no
    /// writable event has come yet). A `WouldBlock` also forgets the socket's readiness, so
    /// that [`writable`](Self::writable) then waits for room. See
    /// [`writable`](Self::writable) for an example.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.writable().await?;
    ///     assert_eq!(socket.try_send_to(b"to myself", socket.local_addr()?)?, 9);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |socket| socket.send_to(buf, target))
    }

    /// Takes one queued datagram into `buf` without waiting: its length and its sender, or
    /// `WouldBlock` if none is queued. A `WouldBlock` also forgets the socket's readiness,
    /// so that [`readable`](Self::readable) then waits for the next datagram. A datagram
    /// longer than `buf` is cut to fit (the rest is lost).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::io::ErrorKind;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let mut buf = [0; 16];
    ///     // Nothing was sent: the answer is at once, and it is WouldBlock.
    ///     let err = socket.try_recv_from(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::WouldBlock);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .try_io(Direction::Read, |socket| socket.recv_from(buf))
    }

    /// Waits for a datagram and copies it into `buf` without taking it: the next receive
    /// gets it again. Answers its length (cut to `buf`) and its sender. Several tasks may
    /// peek at once: all are woken by the datagram.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"look, then take", b.local_addr()?).await?;
    ///
    ///     let mut head = [0; 4];
    ///     let (n, from) = b.peek_from(&mut head).await?;
    ///     assert_eq!((&head[..n], from), (&b"look"[..], a.local_addr()?));
    ///     let mut whole = [0; 32];
    ///     let (n, _) = b.recv_from(&mut whole).await?; // still queued, whole
    ///     assert_eq!(&whole[..n], b"look, then take");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .shared_io(Direction::Read, |socket| socket.peek_from(buf))
            .await
    }
}
