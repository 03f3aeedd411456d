//! `TcpListener`: a socket bound to an address that accepts connections.

use super::TcpStream;
use crate::net::{ToSocketAddrs, addr, impl_as_fd};
use crate::reactor::{self, Direction, IoSource};
use crate::runtime::current_reactor;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// A TCP socket that listens for connections: Go's `net.Listen("tcp", addr)`.
///
/// Accepted streams are registered with the same runtime as the listener. Dropping the
/// listener closes the socket: connections not yet accepted are refused (reset).
///
/// ```
/// use goro::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server.peer_addr()?, client.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
    /// The reactor accepted streams register with: the listener's own.
    reactor: reactor::Handle,
}

impl TcpListener {
    /// Binds a listener to `addr` (`SO_REUSEADDR` set, a backlog of 1024), trying each
    /// address it resolves to in turn; the last error if none works, e.g. `AddrInUse`.
    /// Port 0 asks the OS for a free port: read it back with [`local_addr`](Self::local_addr).
    /// A host name is resolved on the blocking pool ([`lookup_host`](crate::net::lookup_host));
    /// for other options or another backlog, see [`TcpSocket`](crate::net::TcpSocket).
    ///
    /// ```
    /// use goro::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let taken = listener.local_addr()?;
    ///     let err = TcpListener::bind(taken).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let reactor = current_reactor()?;
        addr::try_each(addr, |addr| {
            TcpListener::register(mio::net::TcpListener::bind(addr)?, reactor.clone())
        })
        .await
    }

    /// Waits for the next connection; returns it with the address of its peer.
    ///
    /// Several tasks may wait in `accept` on one listener at once (shared in an `Arc`): a
    /// new connection wakes them all, one takes it, the others wait again. Dropping the
    /// future while it waits cancels the wait and leaves nothing behind.
    ///
    /// Errors are the OS's: `EMFILE` ("too many open files") and the like are worth a
    /// pause and a retry, not an exit (see `examples/echo.rs`).
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let client = goro::spawn(async move {
    ///         let mut stream = TcpStream::connect(addr).await?;
    ///         stream.write_all(b"hi").await
    ///     });
    ///     let (mut stream, _) = listener.accept().await?;
    ///     let mut greeting = String::new();
    ///     stream.read_to_string(&mut greeting).await?;
    ///     assert_eq!(greeting, "hi");
    ///     client.await.unwrap()
    /// })
    /// # }
    /// ```
    ///
    /// Three tasks accepting on one listener:
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::sync::Arc;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await?);
    ///     let mut accepters = goro::JoinSet::new();
    ///     for _ in 0..3 {
    ///         let listener = listener.clone();
    ///         accepters.spawn(async move { listener.accept().await.map(|(_, peer)| peer) });
    ///     }
    ///     let mut clients = Vec::new();
    ///     for _ in 0..3 {
    ///         clients.push(TcpStream::connect(listener.local_addr()?).await?);
    ///     }
    ///     for accepted in accepters.join_all().await {
    ///         let peer = accepted?;
    ///         assert!(clients.iter().any(|client| client.local_addr().unwrap() == peer));
    ///     }
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self
            .io
            .shared_io(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((TcpStream::from_mio(stream, self.reactor.clone())?, peer))
    }

    /// The address the listener is bound to (with the port the OS chose for port 0).
    ///
    /// ```
    /// use goro::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     assert!(addr.ip().is_loopback());
    ///     assert_ne!(addr.port(), 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Wraps a listener bound with `std` (or received from elsewhere), switching it to
    /// nonblocking mode and registering it with the current runtime.
    ///
    /// The listener may be in either mode: goro sets nonblocking mode itself (tokio leaves
    /// that to the caller), so `accept` waits as a task instead of blocking the thread.
    ///
    /// # Errors
    /// Outside a runtime, or if the socket cannot be registered.
    ///
    /// ```
    /// use goro::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// goro::run(async {
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert_eq!(listener.local_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        let reactor = current_reactor()?;
        TcpListener::register(mio::net::TcpListener::from_std(listener), reactor)
    }

    /// Deregisters the listener from the runtime and gives it back as a `std` listener: the
    /// inverse of [`from_std`](Self::from_std).
    ///
    /// As tokio documents for its `into_std`, the listener stays in nonblocking mode (an
    /// `accept` with no connection waiting answers `WouldBlock`); call
    /// `set_nonblocking(false)` on it for a blocking `accept`.
    ///
    /// ```
    /// use goro::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_listener = goro::run(async {
    ///     TcpListener::bind("127.0.0.1:0").await?.into_std()
    /// })?;
    /// let err = std_listener.accept().unwrap_err(); // nonblocking: nobody connected yet
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///
    /// std_listener.set_nonblocking(false)?;
    /// let client = std::net::TcpStream::connect(std_listener.local_addr()?)?;
    /// let (_server, peer) = std_listener.accept()?;
    /// assert_eq!(peer, client.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(std::net::TcpListener::from(self.io.into_inner()?))
    }

    /// Registers a listening mio socket with `reactor`.
    pub(super) fn register(
        listener: mio::net::TcpListener,
        reactor: reactor::Handle,
    ) -> io::Result<Self> {
        Ok(TcpListener {
            io: IoSource::new(listener, reactor.clone())?,
            reactor,
        })
    }
}

impl_as_fd!(TcpListener, |this| this.io.get_ref());

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
