//! `UnixStream`: one Unix domain stream connection.

use crate::net::impl_as_fd;
use crate::net::stream_io::{StreamIo, impl_async_read, impl_async_write};
use crate::reactor;
use crate::runtime::current_reactor;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix domain stream connection: Go's `net.Dial("unix", path)`.
///
/// Like [`TcpStream`](crate::net::TcpStream): read and write it with `AsyncReadExt` and
/// `AsyncWriteExt` (on `&UnixStream` too, so a reader task and a writer task can share it
/// through an `Arc`); `close()` shuts down the write direction.
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use goro::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"over the pair").await?;
///     a.close().await?;
///     let mut got = String::new();
///     b.read_to_string(&mut got).await?;
///     assert_eq!(got, "over the pair");
///     Ok(())
/// })
/// # }
/// ```
pub struct UnixStream {
    pub(super) io: StreamIo<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket listening at `path`.
    ///
    /// # Errors
    /// As the OS says: `NotFound` if nothing is at `path`, `ConnectionRefused` if the file
    /// is there but nobody listens, `WouldBlock` if the listener's backlog is full.
    ///
    /// ```
    /// use goro::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("goro-doc-usc-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// goro::run(async {
    ///     let err = UnixStream::connect(&path).await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let stream = UnixStream::connect(&path).await?;
    ///     assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream =
            UnixStream::from_mio(mio::net::UnixStream::connect(path)?, current_reactor()?)?;
        stream.io.finish_connect().await?;
        Ok(stream)
    }

    /// A pair of connected streams, unnamed: a two-way pipe between tasks, or with a child
    /// process.
    ///
    /// # Errors
    /// Outside a runtime, or as the OS says (e.g. out of file descriptors).
    ///
    /// ```
    /// use futures::io::{AsyncReadExt, AsyncWriteExt};
    /// use goro::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (mut a, mut b) = UnixStream::pair()?;
    ///     b.write_all(b"pong").await?;
    ///     let mut buf = [0; 4];
    ///     a.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"pong");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let reactor = current_reactor()?;
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream::from_mio(a, reactor.clone())?,
            UnixStream::from_mio(b, reactor)?,
        ))
    }

    /// Wraps a connected stream from `std`, switching it to nonblocking mode and registering
    /// it with the current runtime.
    ///
    /// The stream may be in either mode: goro sets nonblocking mode itself (tokio leaves
    /// that to the caller), so a read that finds no data waits as a task instead of blocking
    /// the thread.
    ///
    /// # Errors
    /// Outside a runtime, or if the socket cannot be registered.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::UnixStream;
    /// use std::io::Write;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (mut std_a, std_b) = std::os::unix::net::UnixStream::pair()?;
    /// std_a.write_all(b"from std")?;
    /// drop(std_a);
    /// goro::run(async {
    ///     let mut b = UnixStream::from_std(std_b)?;
    ///     let mut got = String::new();
    ///     b.read_to_string(&mut got).await?;
    ///     assert_eq!(got, "from std");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream {
            io: StreamIo::new_current(mio::net::UnixStream::from_std(stream))?,
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
    /// use goro::net::UnixStream;
    /// use std::io::{Read, Write};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (mut a, mut b) = goro::run(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     Ok::<_, std::io::Error>((a.into_std()?, b.into_std()?))
    /// })?;
    /// let mut buf = [0; 8];
    /// assert_eq!(b.read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    ///
    /// b.set_nonblocking(false)?;
    /// a.write_all(b"from std")?; // the runtime is gone, the sockets live on
    /// b.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"from std");
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        Ok(std::os::unix::net::UnixStream::from(self.io.into_inner()?))
    }

    pub(super) fn from_mio(
        stream: mio::net::UnixStream,
        reactor: reactor::Handle,
    ) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: StreamIo::new(stream, reactor)?,
        })
    }

    /// The address of this end (unnamed unless it was bound).
    ///
    /// ```
    /// use goro::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the other end (the listener's path, for a connected stream).
    ///
    /// ```
    /// use goro::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read direction, the write direction, or both.
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use goro::net::UnixStream;
    /// use std::net::Shutdown;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.read(&mut buf).await?, 0); // the end of the stream
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl_as_fd!(UnixStream, |this| this.io.get_ref());
impl_async_read!([] UnixStream, |this| this.io);
impl_async_write!([] UnixStream, |this| this.io);
impl_async_read!(['a] &'a UnixStream, |this| this.io);
impl_async_write!(['a] &'a UnixStream, |this| this.io);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}
