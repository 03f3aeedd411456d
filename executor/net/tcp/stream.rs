//! `TcpStream`: one TCP connection, readable and writable as a byte stream.

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::net::stream_io::{StreamIo, impl_async_read, impl_async_write};
use crate::net::{ToSocketAddrs, addr, impl_as_fd, lookup_host};
use crate::reactor;
use crate::runtime::current_reactor;
use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;

/// A TCP connection: Go's `net.Conn` from `net.Dial("tcp", addr)`.
///
/// Read and write it with the `futures` crate's `AsyncReadExt` and `AsyncWriteExt`; `&TcpStream`
/// implements both traits too, so a task may read through one reference while another
/// writes through a second (or use [`split`](Self::split) / [`into_split`](Self::into_split)).
/// `close()` (from `AsyncWriteExt`) shuts down the write direction; dropping the stream
/// closes the connection.
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
///     client.write_all(b"request").await?;
///     client.close().await?; // the server reads to the end
///     let mut request = Vec::new();
///     server.read_to_end(&mut request).await?;
///     assert_eq!(request, b"request");
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpStream {
    pub(super) io: StreamIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each address it resolves to in turn; the last
    /// error if none accepts, e.g. `ConnectionRefused`. A host name (`"localhost:8080"`) is
    /// resolved by [`lookup_host`](crate::net::lookup_host), on the blocking pool: the
    /// worker goes on with other tasks during the lookup.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///
    ///     drop(listener); // nobody listens on `addr` any more
    ///     let err = TcpStream::connect(addr).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let reactor = current_reactor()?;
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match TcpStream::connect_to(addr, reactor.clone()).await {
                Ok(stream) => return Ok(stream),
                Err(err) => last = Some(err),
            }
        }
        Err(last.unwrap_or_else(addr::no_addresses))
    }

    /// One nonblocking connect: start it, then [`finish_connect`](Self::finish_connect).
    async fn connect_to(addr: SocketAddr, reactor: reactor::Handle) -> io::Result<TcpStream> {
        TcpStream::from_mio(mio::net::TcpStream::connect(addr)?, reactor)?
            .finish_connect()
            .await
    }

    /// Waits until the connect this stream started is done (the socket is writable), and
    /// asks the socket how it went.
    pub(super) async fn finish_connect(self) -> io::Result<TcpStream> {
        self.io.finish_connect().await?;
        Ok(self)
    }

    /// Registers a connected (or connecting) mio stream with `reactor`.
    pub(super) fn from_mio(
        stream: mio::net::TcpStream,
        reactor: reactor::Handle,
    ) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: StreamIo::new(stream, reactor)?,
        })
    }

    /// Wraps a connected stream from `std`, switching it to nonblocking mode and registering
    /// it with the current runtime.
    ///
    /// The stream may be in either mode: goro sets nonblocking mode itself (tokio leaves
    /// that to the caller, and a blocking socket there blocks a worker), so a read that
    /// finds no data waits as a task instead of blocking the thread.
    ///
    /// # Errors
    /// Outside a runtime, or if the socket cannot be registered.
    ///
    /// ```
    /// use goro::net::TcpStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// goro::run(async {
    ///     let stream = TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            io: StreamIo::new_current(mio::net::TcpStream::from_std(stream))?,
        })
    }

    /// Deregisters the stream from the runtime and gives it back as a `std` stream: the
    /// inverse of [`from_std`](Self::from_std).
    ///
    /// As tokio documents for its `into_std`, the stream stays in nonblocking mode (a read
    /// with no data answers `WouldBlock`); call `set_nonblocking(false)` on it for blocking
    /// reads and writes.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::io::{Read, Write};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (mut std_stream, mut server) = goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     Ok::<_, std::io::Error>((client.into_std()?, server.into_std()?))
    /// })?;
    /// let mut buf = [0; 9];
    /// let err = server.read(&mut buf).unwrap_err(); // nonblocking: no data yet
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///
    /// server.set_nonblocking(false)?; // blocking, as std's own streams are
    /// std_stream.write_all(b"plain std")?; // the runtime is gone, the sockets live on
    /// server.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"plain std");
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(std::net::TcpStream::from(self.io.into_inner()?))
    }

    /// The address of the other end.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The address of this end.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(client.local_addr()?, server.peer_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: with `true`, small writes go out at once instead of waiting to
    /// be merged (Nagle's algorithm), which is what request/response protocols want.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     assert!(stream.nodelay()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set (see [`set_nodelay`](Self::set_nodelay)).
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(!stream.nodelay()?); // off unless asked for
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets the IP time-to-live (`IP_TTL`) of the packets this stream sends: how many hops
    /// they may cross before a router drops them.
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_ttl(42)?;
    ///     assert_eq!(stream.ttl()?, 42);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the packets this stream sends (see [`set_ttl`](Self::set_ttl)).
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.ttl()? > 0); // the system's default, often 64
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Shuts down the read direction, the write direction, or both. After
    /// `Shutdown::Write` the peer reads the end of the stream, and can still answer: a half
    /// close.
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::net::Shutdown;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"question").await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///
    ///     let mut question = Vec::new();
    ///     server.read_to_end(&mut question).await?; // ends: the client shut down
    ///     server.write_all(b"answer").await?; // but the client still reads
    ///     drop(server);
    ///     let mut answer = Vec::new();
    ///     client.read_to_end(&mut answer).await?;
    ///     assert_eq!((&question[..], &answer[..]), (&b"question"[..], &b"answer"[..]));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Splits the stream into a read half and a write half that borrow it, for reading and
    /// writing at once in one task (e.g. with `futures::join!`). Free: no allocation, no
    /// lock.
    ///
    /// Call it as `TcpStream::split(&mut stream)` when `futures::io::AsyncReadExt` is in
    /// scope: that trait has a `split(self)` of its own (halves that share the stream behind
    /// a lock), and Rust's method lookup picks it for `stream.split()` because it takes
    /// `self` by value. Ours needs no lock: a socket waits for reading and for writing
    /// separately.
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
    ///
    ///     // The server echoes what it reads, reading and writing concurrently.
    ///     let echo = goro::spawn(async move {
    ///         let (mut reader, mut writer) = TcpStream::split(&mut server);
    ///         futures::io::copy(&mut reader, &mut writer).await
    ///     });
    ///     client.write_all(b"echo me").await?;
    ///     client.close().await?;
    ///     let mut echoed = Vec::new();
    ///     client.read_to_end(&mut echoed).await?;
    ///     assert_eq!(echoed, b"echo me");
    ///     assert_eq!(echo.await.unwrap()?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        let stream: &TcpStream = self;
        (ReadHalf::new(stream), WriteHalf::new(stream))
    }

    /// Splits the stream into owned halves (sharing it through an `Arc`), which can move to
    /// different tasks. The connection closes when both halves are dropped.
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///
    ///     let (mut reader, mut writer) = client.into_split();
    ///     let sender = goro::spawn(async move {
    ///         writer.write_all(b"from another task").await?;
    ///         writer.close().await
    ///     });
    ///     let mut got = Vec::new();
    ///     server.read_to_end(&mut got).await?;
    ///     assert_eq!(got, b"from another task");
    ///     server.write_all(b"ok").await?;
    ///     let mut reply = [0; 2];
    ///     reader.read_exact(&mut reply).await?;
    ///     assert_eq!(&reply, b"ok");
    ///     sender.await.unwrap()
    /// })
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        (
            OwnedReadHalf::new(stream.clone()),
            OwnedWriteHalf::new(stream),
        )
    }
}

impl_as_fd!(TcpStream, |this| this.io.get_ref());
impl_async_read!([] TcpStream, |this| this.io);
impl_async_write!([] TcpStream, |this| this.io);
impl_async_read!(['a] &'a TcpStream, |this| this.io);
impl_async_write!(['a] &'a TcpStream, |this| this.io);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
