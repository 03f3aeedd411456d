//! `UdpSocket`: datagrams, sent to and received from any address, or from one peer after
//! `connect`.
//!
//! A datagram is sent whole or not at all, and a receive takes one datagram: if the buffer
//! is shorter than the datagram, the rest is discarded (the OS's rule). Unlike a stream, a
//! short receive says nothing about what else is queued, so every operation here runs until
//! the OS answers `WouldBlock` before it forgets the socket's readiness.
//!
//! This file holds the socket and its waiting operations; `udp/ready.rs` the readiness
//! calls (`readable`, `writable`, the `try_*` operations, `peek_from`); `udp/options.rs`
//! broadcast, TTL and multicast.

mod options;
mod ready;

use crate::net::{ToSocketAddrs, addr, impl_as_fd};
use crate::reactor::{Direction, IoSource};
use crate::runtime::current_reactor;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// A UDP socket: Go's `net.ListenUDP`/`net.DialUDP`.
///
/// All operations take `&self`: share the socket (e.g. in an `Arc`) between tasks that
/// receive and tasks that send. Several tasks may wait on one direction at once: a datagram
/// (or room to send) wakes them all, and those that find nothing wait again (see the
/// [module docs](crate::net#sharing-and-dropping)).
///
/// ```
/// use goro::net::UdpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     Ok(())
/// })
/// # }
/// ```
pub struct UdpSocket {
    io: IoSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`, trying each address it resolves to in turn; the last error
    /// if none works (e.g. `AddrInUse`). Port 0 asks the OS for a free port. A host name is
    /// resolved on the blocking pool ([`lookup_host`](crate::net::lookup_host)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let reactor = current_reactor()?;
        addr::try_each(addr, |addr| {
            Ok(UdpSocket {
                io: IoSource::new(mio::net::UdpSocket::bind(addr)?, reactor.clone())?,
            })
        })
        .await
    }

    /// Wraps a socket bound with `std`, switching it to nonblocking mode and registering it
    /// with the current runtime.
    ///
    /// The socket may be in either mode: goro sets nonblocking mode itself (tokio leaves
    /// that to the caller), so a receive waits as a task instead of blocking the thread.
    ///
    /// # Errors
    /// Outside a runtime, or if the socket cannot be registered.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_socket.local_addr()?;
    /// goro::run(async {
    ///     let socket = UdpSocket::from_std(std_socket)?;
    ///     assert_eq!(socket.local_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: IoSource::new(mio::net::UdpSocket::from_std(socket), current_reactor()?)?,
        })
    }

    /// Deregisters the socket from the runtime and gives it back as a `std` socket: the
    /// inverse of [`from_std`](Self::from_std).
    ///
    /// As tokio documents for its `into_std`, the socket stays in nonblocking mode (a
    /// receive with nothing queued answers `WouldBlock`); call `set_nonblocking(false)` on
    /// it for blocking calls.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (a, b) = goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     Ok::<_, std::io::Error>((a.into_std()?, b.into_std()?))
    /// })?;
    /// let mut buf = [0; 16];
    /// assert_eq!(b.recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    ///
    /// b.set_nonblocking(false)?;
    /// a.send_to(b"plain std", b.local_addr()?)?;
    /// let (n, from) = b.recv_from(&mut buf)?;
    /// assert_eq!((&buf[..n], from), (&b"plain std"[..], a.local_addr()?));
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(std::net::UdpSocket::from(self.io.into_inner()?))
    }

    /// Sets the socket's peer, trying each address `addr` resolves to (a host name on the
    /// blocking pool): [`send`](Self::send) then goes there, and [`recv`](Self::recv) takes
    /// datagrams from there only. Nothing goes over the network; a peer that is not
    /// listening shows up later, as a `ConnectionRefused` error from a receive or a send.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        addr::try_each(addr, |addr| self.io.get_ref().connect(addr)).await
    }

    /// Sends `buf` as one datagram to `target` (the first address it resolves to, a host
    /// name on the blocking pool); returns the number of bytes sent.
    ///
    /// When the send buffer is full it waits for room. Several tasks may wait to send on one
    /// socket at once: room wakes them all, and those that find none wait again.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.send_to(b"datagram", b.local_addr()?).await?, 8);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = addr::resolve_first(target).await?;
        self.io
            .shared_io(Direction::Write, |socket| socket.send_to(buf, target))
            .await
    }

    /// Waits for a datagram; puts it in `buf` and returns its length and its sender.
    ///
    /// Several tasks may wait to receive on one socket at once (shared in an `Arc`): a
    /// datagram wakes them all, one takes it, the others wait again. Dropping the future
    /// while it waits cancels the wait and leaves nothing behind.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     let mut buf = [0; 64];
    ///     let (n, sender) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     assert_eq!(sender, a.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .shared_io(Direction::Read, |socket| socket.recv_from(buf))
            .await
    }

    /// Sends `buf` as one datagram to the peer set by [`connect`](Self::connect).
    ///
    /// Several tasks may wait to send at once, as with [`send_to`](Self::send_to).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     a.send(b"to my peer").await?;
    ///     let mut buf = [0; 64];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"to my peer");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .shared_io(Direction::Write, |socket| socket.send(buf))
            .await
    }

    /// Waits for a datagram (from the peer, once [`connect`](Self::connect)ed) and puts it
    /// in `buf`; returns its length.
    ///
    /// Several tasks may wait to receive at once, as with [`recv_from`](Self::recv_from).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"reply", b.local_addr()?).await?;
    ///     let mut buf = [0; 64];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"reply");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .shared_io(Direction::Read, |socket| socket.recv(buf))
            .await
    }

    /// The address the socket is bound to.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer set by [`connect`](Self::connect); `NotConnected` before.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(socket.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    ///     socket.connect("127.0.0.1:9").await?;
    ///     assert_eq!(socket.peer_addr()?, "127.0.0.1:9".parse().unwrap());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

impl_as_fd!(UdpSocket, |this| this.io.get_ref());

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
