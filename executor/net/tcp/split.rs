//! The read and write halves of a `TcpStream`.
//!
//! A socket's registration keeps one waiting slot per direction, so a reader and a writer
//! never disturb each other: the halves are thin handles on the same stream, with no lock.
//! The borrowed halves ([`ReadHalf`], [`WriteHalf`]) hold `&TcpStream`; the owned ones
//! ([`OwnedReadHalf`], [`OwnedWriteHalf`]) share it through an `Arc`, and the connection
//! closes when the last of them drops. Closing a write half (`AsyncWriteExt::close`) shuts
//! down the stream's write direction; dropping it does not.
//!
//! Every half gives the whole stream back through `AsRef<TcpStream>`, for `peer_addr`,
//! `set_nodelay`, `shutdown` and the like.

use super::TcpStream;
use crate::net::stream_io::{impl_async_read, impl_async_write};
use std::sync::Arc;

/// The read half of a [`TcpStream::split`]: implements `AsyncRead`.
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
///     server.write_all(b"hey").await?;
///     let (mut reader, _writer) = TcpStream::split(&mut client);
///     let mut buf = [0; 3];
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hey");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The write half of a [`TcpStream::split`]: implements `AsyncWrite`.
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
///     let (_reader, mut writer) = TcpStream::split(&mut client);
///     writer.write_all(b"bye").await?;
///     writer.close().await?; // shuts down the write direction
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?;
///     assert_eq!(got, b"bye");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

/// The read half of a [`TcpStream::into_split`]: implements `AsyncRead`, and can move to
/// another task.
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
///     let (mut reader, _writer) = client.into_split();
///     let receiver = goro::spawn(async move {
///         let mut got = String::new();
///         reader.read_to_string(&mut got).await.map(|_| got)
///     });
///     server.write_all(b"news").await?;
///     drop(server);
///     assert_eq!(receiver.await.unwrap()?, "news");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The write half of a [`TcpStream::into_split`]: implements `AsyncWrite`, and can move to
/// another task.
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
///     let (_reader, mut writer) = client.into_split();
///     let sender = goro::spawn(async move {
///         writer.write_all(b"report").await?;
///         writer.close().await
///     });
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?;
///     assert_eq!(got, b"report");
///     sender.await.unwrap()
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
}

impl<'a> ReadHalf<'a> {
    pub(super) fn new(stream: &'a TcpStream) -> ReadHalf<'a> {
        ReadHalf { stream }
    }
}

impl<'a> WriteHalf<'a> {
    pub(super) fn new(stream: &'a TcpStream) -> WriteHalf<'a> {
        WriteHalf { stream }
    }
}

impl OwnedReadHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> OwnedReadHalf {
        OwnedReadHalf { stream }
    }
}

impl OwnedWriteHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> OwnedWriteHalf {
        OwnedWriteHalf { stream }
    }
}

impl_async_read!(['a] ReadHalf<'a>, |this| this.stream.io);
impl_async_write!(['a] WriteHalf<'a>, |this| this.stream.io);
impl_async_read!([] OwnedReadHalf, |this| this.stream.io);
impl_async_write!([] OwnedWriteHalf, |this| this.stream.io);

impl AsRef<TcpStream> for ReadHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.stream
    }
}

impl AsRef<TcpStream> for WriteHalf<'_> {
    fn as_ref(&self) -> &TcpStream {
        self.stream
    }
}

impl AsRef<TcpStream> for OwnedReadHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.stream
    }
}

impl AsRef<TcpStream> for OwnedWriteHalf {
    fn as_ref(&self) -> &TcpStream {
        &self.stream
    }
}
