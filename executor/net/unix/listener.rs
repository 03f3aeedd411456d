//! `UnixListener`: a Unix domain socket bound to a path that accepts connections.

use super::UnixStream;
use crate::net::impl_as_fd;
use crate::reactor::{self, Direction, IoSource};
use crate::runtime::current_reactor;
use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix domain socket that listens for connections: Go's `net.Listen("unix", path)`.
///
/// ```
/// use goro::net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("goro-doc-ul-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// goro::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let _client = UnixStream::connect(&path).await?;
///     let (_server, _) = listener.accept().await?;
///     Ok::<_, std::io::Error>(())
/// })?;
/// std::fs::remove_file(&path)
/// # }
/// ```
pub struct UnixListener {
    io: IoSource<mio::net::UnixListener>,
    /// The reactor accepted streams register with: the listener's own.
    reactor: reactor::Handle,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it; `AddrInUse` if the file exists.
    ///
    /// # Errors
    /// Outside a runtime, or as the OS says (`AddrInUse`, `PermissionDenied`, ...).
    ///
    /// ```
    /// use goro::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-ulb-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// goro::run(async {
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let err = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let reactor = current_reactor()?;
        UnixListener::register(mio::net::UnixListener::bind(path)?, reactor)
    }

    /// Wraps a listener bound with `std`, switching it to nonblocking mode and registering
    /// it with the current runtime.
    ///
    /// The listener may be in either mode: goro sets nonblocking mode itself (tokio leaves
    /// that to the caller), so `accept` waits as a task instead of blocking the thread.
    ///
    /// # Errors
    /// Outside a runtime, or if the socket cannot be registered.
    ///
    /// ```
    /// use goro::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-ulf-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    /// goro::run(async {
    ///     let listener = UnixListener::from_std(std_listener)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        let reactor = current_reactor()?;
        UnixListener::register(mio::net::UnixListener::from_std(listener), reactor)
    }

    /// Deregisters the listener from the runtime and gives it back as a `std` listener: the
    /// inverse of [`from_std`](Self::from_std).
    ///
    /// As tokio documents for its `into_std`, the listener stays in nonblocking mode (an
    /// `accept` with no connection waiting answers `WouldBlock`); call
    /// `set_nonblocking(false)` on it for a blocking `accept`.
    ///
    /// ```
    /// use goro::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-uli-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let std_listener = goro::run(async { UnixListener::bind(&path)?.into_std() })?;
    /// let err = std_listener.accept().unwrap_err(); // nonblocking: nobody connected yet
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///
    /// std_listener.set_nonblocking(false)?;
    /// let _client = std::os::unix::net::UnixStream::connect(&path)?;
    /// let (_server, _) = std_listener.accept()?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(std::os::unix::net::UnixListener::from(
            self.io.into_inner()?,
        ))
    }

    /// Waits for the next connection; returns it with its peer's address (usually unnamed:
    /// clients rarely bind).
    ///
    /// Several tasks may wait in `accept` on one listener at once (shared in an `Arc`): a
    /// new connection wakes them all, one takes it, the others wait again. Dropping the
    /// future while it waits cancels the wait and leaves nothing behind.
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-ula-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// goro::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client_path = path.clone();
    ///     let client = goro::spawn(async move {
    ///         let mut stream = UnixStream::connect(client_path).await?;
    ///         stream.write_all(b"hi").await
    ///     });
    ///     let (mut stream, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     let mut greeting = String::new();
    ///     stream.read_to_string(&mut greeting).await?;
    ///     assert_eq!(greeting, "hi");
    ///     client.await.unwrap()
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = self
            .io
            .shared_io(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((UnixStream::from_mio(stream, self.reactor.clone())?, peer))
    }

    /// The address (path) the listener is bound to.
    ///
    /// ```
    /// use goro::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-ull-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// goro::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    fn register(listener: mio::net::UnixListener, reactor: reactor::Handle) -> io::Result<Self> {
        Ok(UnixListener {
            io: IoSource::new(listener, reactor.clone())?,
            reactor,
        })
    }
}

impl_as_fd!(UnixListener, |this| this.io.get_ref());

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
