//! `TcpSocket`: a TCP socket not yet connected or listening, for the options that must be
//! set before `bind`, `connect` or `listen` (tokio's `TcpSocket`, over socket2).
//!
//! 1. `new_v4`/`new_v6` make the OS socket (close-on-exec, nonblocking from the start). No
//!    runtime is needed yet: nothing is registered with a reactor.
//! 2. The `set_*` calls set options on it; `bind` gives it a local address.
//! 3. `listen` or `connect` consumes it: the socket becomes a std socket, then a mio one,
//!    registered with the current runtime's reactor, as a [`TcpListener`] or a
//!    [`TcpStream`]. `connect` starts a nonblocking connect and waits for it as
//!    [`TcpStream::connect`] does.

use super::{TcpListener, TcpStream};
use crate::net::impl_as_fd;
use crate::runtime::current_reactor;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A TCP socket that is neither connected nor listening yet: set its options, maybe
/// [`bind`](Self::bind) it, then make it a [`TcpListener`] with [`listen`](Self::listen)
/// or a [`TcpStream`] with [`connect`](Self::connect).
///
/// Use it when the defaults of [`TcpListener::bind`] (`SO_REUSEADDR`, a backlog of 1024)
/// and [`TcpStream::connect`] do not fit: a chosen backlog, `SO_REUSEPORT` for several
/// listeners on one port, buffer sizes, a client bound to a chosen local address. Options it
/// does not name can be set through its file descriptor ([`AsFd`](std::os::fd::AsFd)), e.g.
/// with socket2's `SockRef`. Dropping it closes the socket.
///
/// ```
/// use goro::net::TcpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     // What `TcpListener::bind("127.0.0.1:0")` does, with a backlog of our own.
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(128)?;
///
///     let client = TcpSocket::new_v4()?;
///     client.set_nodelay(true)?;
///     let stream = client.connect(listener.local_addr()?).await?;
///     assert!(stream.nodelay()?);
///     let (_server, peer) = listener.accept().await?;
///     assert_eq!(peer, stream.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket. Needs no runtime until it listens or connects.
    ///
    /// # Errors
    /// As the OS says, e.g. when the process is out of file descriptors.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert!(socket.local_addr()?.is_ipv4());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket. Needs no runtime until it listens or connects.
    ///
    /// # Errors
    /// As the OS says, e.g. `AddrNotAvailable`-like errors where IPv6 is switched off.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let socket = goro::net::TcpSocket::new_v6()?;
    /// # if socket.bind("[::1]:0".parse().unwrap()).is_err() { return Ok(()); } // no IPv6 here
    /// assert!(socket.local_addr()?.is_ipv6());
    /// # Ok(())
    /// # }
    /// ```
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(domain, Type::STREAM, Some(Protocol::TCP))?;
        inner.set_nonblocking(true)?;
        Ok(TcpSocket { inner })
    }

    /// Sets `SO_REUSEADDR`: a listener may bind to a port that connections closed a moment
    /// ago still hold (in `TIME_WAIT`), so that a restarted server gets its port back.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_reuseaddr(true)?;
    /// assert!(socket.reuseaddr()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set (see [`set_reuseaddr`](Self::set_reuseaddr)).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseaddr()?); // off unless asked for
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets that all set it may bind the same address and
    /// port, and (on Linux) the kernel spreads incoming connections among their listeners.
    ///
    /// ```
    /// use goro::net::TcpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let first = TcpSocket::new_v4()?;
    ///     first.set_reuseport(true)?;
    ///     first.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let first = first.listen(128)?;
    ///
    ///     let second = TcpSocket::new_v4()?;
    ///     second.set_reuseport(true)?;
    ///     second.bind(first.local_addr()?)?; // the same port
    ///     let second = second.listen(128)?;
    ///     assert_eq!(first.local_addr()?, second.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// Whether `SO_REUSEPORT` is set (see [`set_reuseport`](Self::set_reuseport)).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(!socket.reuseport()?);
    /// socket.set_reuseport(true)?;
    /// assert!(socket.reuseport()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_KEEPALIVE`: the OS probes a connection that has been idle for a while (two
    /// hours by default on Linux) and reports it broken if the peer does not answer.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_keepalive(true)?;
    /// assert!(socket.keepalive()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set (see [`set_keepalive`](Self::set_keepalive)).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(!socket.keepalive()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets the size of the send buffer (`SO_SNDBUF`), in bytes. The OS may round it, and
    /// Linux doubles it (for its bookkeeping): read back what it chose with
    /// [`send_buffer_size`](Self::send_buffer_size).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// assert!(socket.send_buffer_size()? >= 64 * 1024);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The size of the send buffer (`SO_SNDBUF`), in bytes.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(socket.send_buffer_size()? > 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(saturate)
    }

    /// Sets the size of the receive buffer (`SO_RCVBUF`), in bytes; as with
    /// [`set_send_buffer_size`](Self::set_send_buffer_size), the OS may round or double it.
    /// Set it before `listen` or `connect`: the TCP window is agreed on at the handshake.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// assert!(socket.recv_buffer_size()? >= 64 * 1024);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The size of the receive buffer (`SO_RCVBUF`), in bytes.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(socket.recv_buffer_size()? > 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(saturate)
    }

    /// Sets `SO_LINGER`: what closing the socket does with data not yet sent.
    ///
    /// - `None` (the default): closing returns at once, and the OS goes on sending in the
    ///   background.
    /// - `Some(Duration::ZERO)`: closing discards unsent data and resets the connection (the
    ///   peer reads `ConnectionReset`), leaving no `TIME_WAIT` behind.
    /// - `Some(duration)`: closing **blocks the thread that drops the socket** until the data
    ///   is sent or `duration` has passed, even though the socket is nonblocking (that is how
    ///   the OS treats `SO_LINGER`). On a goro worker that stalls every task behind it: prefer
    ///   a `shutdown(Write)` followed by reading to the end of the stream.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_linger(Some(Duration::ZERO))?; // close with a reset
    /// assert_eq!(socket.linger()?, Some(Duration::ZERO));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(linger)
    }

    /// The `SO_LINGER` setting (see [`set_linger`](Self::set_linger)).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.linger()?, None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY` (see [`TcpStream::set_nodelay`]); the stream that
    /// [`connect`](Self::connect) makes keeps it, and on Linux so do the streams a
    /// listener accepts.
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.set_nodelay(true)?;
    /// assert!(socket.nodelay()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set (see [`set_nodelay`](Self::set_nodelay)).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert!(!socket.nodelay()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// Binds the socket to `addr`: the address a listener listens on, or the local address
    /// a connection leaves from. Port 0 asks the OS for a free port.
    ///
    /// # Errors
    /// As the OS says: `AddrInUse`, `AddrNotAvailable` (not an address of this machine),
    /// `InvalidInput` for an IPv6 address on an IPv4 socket, ...
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// socket.bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&SockAddr::from(addr))
    }

    /// The address the socket is bound to (`0.0.0.0:0` or `[::]:0` before `bind`).
    ///
    /// ```
    /// let socket = goro::net::TcpSocket::new_v4()?;
    /// assert_eq!(socket.local_addr()?, "0.0.0.0:0".parse().unwrap());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()?.as_socket().ok_or_else(|| {
            io::Error::other("a TcpSocket has a local address that is not an IP address")
        })
    }

    /// Listens on the bound address, with room for `backlog` connections waiting to be
    /// accepted (the OS may cap it: `net.core.somaxconn` on Linux). A socket not bound yet
    /// listens on a port the OS picks.
    ///
    /// # Errors
    /// Outside a runtime (with a message that says where to call it), or as the OS says.
    ///
    /// ```
    /// use goro::net::{TcpSocket, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.bind("127.0.0.1:0".parse().unwrap())?;
    ///     let listener = socket.listen(16)?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     listener.accept().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let reactor = current_reactor()?;
        self.inner
            .listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        let listener = std::net::TcpListener::from(self.inner);
        TcpListener::register(mio::net::TcpListener::from_std(listener), reactor)
    }

    /// Connects to `addr` and waits until the connection is made; its error (e.g.
    /// `ConnectionRefused`) if it fails. The options set before carry over to the stream.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpSocket};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.set_keepalive(true)?;
    ///     let stream = socket.connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     drop(listener);
    ///     let refused = TcpSocket::new_v4()?.connect(addr).await;
    ///     assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let reactor = current_reactor()?;
        match self.inner.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            // The usual answer of a nonblocking connect: started, not finished.
            Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(err) => return Err(err),
        }
        let stream = std::net::TcpStream::from(self.inner);
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream), reactor)?
            .finish_connect()
            .await
    }
}

/// A buffer size in `u32`, as tokio's `TcpSocket` answers it.
fn saturate(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

impl_as_fd!(TcpSocket, |this| &this.inner);

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
