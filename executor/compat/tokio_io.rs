//! tokio's I/O traits on goro's byte streams (cargo feature `tokio-io`).
//!
//! [`TcpStream`], [`UnixStream`], `&TcpStream`, `&UnixStream` and the TCP halves implement
//! `tokio::io::AsyncRead` (the readers) and `tokio::io::AsyncWrite` (the writers) next to
//! their `futures::io` impls, so codecs and protocol libraries written against tokio's
//! traits (and tokio's `AsyncReadExt`/`AsyncWriteExt`, with tokio's `io-util` feature) run
//! on goro's sockets. tokio comes in without any runtime feature: only the traits.
//!
//! Each impl forwards to the `futures::io` one:
//! - a read gets the unfilled part of tokio's `ReadBuf` through `initialize_unfilled` (which
//!   zeroes only bytes never initialised before, so a reused buffer costs nothing), then
//!   `advance`s by what was read: all safe;
//! - `poll_shutdown` is `poll_close` (shuts down the write direction);
//! - `is_write_vectored` is `true`: goro's streams write several buffers with one `writev`.

use crate::net::TcpStream;
#[cfg(unix)]
use crate::net::UnixStream;
use crate::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The body of `tokio::io::AsyncRead::poll_read` for a `futures::io::AsyncRead + Unpin`.
fn poll_read_into<R>(
    reader: &mut R,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>>
where
    R: futures::io::AsyncRead + Unpin,
{
    let n = ready!(Pin::new(reader).poll_read(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// `impl tokio::io::AsyncRead` by forwarding to the type's `futures::io::AsyncRead`.
macro_rules! impl_tokio_read {
    ($($(#[$attr:meta])* [$($lt:lifetime)?] $ty:ty),* $(,)?) => {$(
        /// Forwards to the `futures::io::AsyncRead` impl (cargo feature `tokio-io`).
        $(#[$attr])*
        impl<$($lt)?> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_into(self.get_mut(), cx, buf)
            }
        }
    )*};
}

/// `impl tokio::io::AsyncWrite` by forwarding to the type's `futures::io::AsyncWrite`.
macro_rules! impl_tokio_write {
    ($($(#[$attr:meta])* [$($lt:lifetime)?] $ty:ty),* $(,)?) => {$(
        /// Forwards to the `futures::io::AsyncWrite` impl (cargo feature `tokio-io`);
        /// `poll_shutdown` is `poll_close`, which shuts down the write direction.
        $(#[$attr])*
        impl<$($lt)?> tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures::io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                futures::io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures::io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                futures::io::AsyncWrite::poll_close(self, cx)
            }
        }
    )*};
}

impl_tokio_read!(
    ///
    /// ```
    /// use goro::net::{TcpListener, TcpStream};
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     // tokio's extension traits, on goro's sockets.
    ///     client.write_u32(7).await?;
    ///     assert_eq!(server.read_u32().await?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    [] TcpStream,
    ['a] &'a TcpStream,
    ['a] ReadHalf<'a>,
    [] OwnedReadHalf,
);
impl_tokio_write!(
    [] TcpStream,
    ['a] &'a TcpStream,
    ['a] WriteHalf<'a>,
    [] OwnedWriteHalf,
);
#[cfg(unix)]
impl_tokio_read!([] UnixStream, ['a] &'a UnixStream);
#[cfg(unix)]
impl_tokio_write!([] UnixStream, ['a] &'a UnixStream);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stream type reads and writes through tokio's traits.
    #[test]
    fn every_stream_type_has_the_traits() {
        fn read<T: tokio::io::AsyncRead + Unpin + Send>() {}
        fn write<T: tokio::io::AsyncWrite + Unpin + Send>() {}
        read::<TcpStream>();
        read::<&TcpStream>();
        read::<ReadHalf<'_>>();
        read::<OwnedReadHalf>();
        write::<TcpStream>();
        write::<&TcpStream>();
        write::<WriteHalf<'_>>();
        write::<OwnedWriteHalf>();
        #[cfg(unix)]
        {
            read::<UnixStream>();
            read::<&UnixStream>();
            write::<UnixStream>();
            write::<&UnixStream>();
        }
    }
}
