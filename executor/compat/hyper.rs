//! hyper 1.x on goro (cargo feature `hyper`).
//!
//! hyper leaves three things to the runtime, and hyper-util's pooled client a fourth; this
//! module gives goro's:
//!
//! | hyper needs | goro gives | for |
//! |---|---|---|
//! | [`hyper::rt::Read`] + [`hyper::rt::Write`] | [`Io<T>`], around any `futures::io::AsyncRead + AsyncWrite + Unpin` (goro's [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream), ...) | every connection |
//! | [`hyper::rt::Executor`] | [`Executor`]: spawns on the current goro runtime, detached | the connections that spawn tasks of their own (HTTP/2) |
//! | [`hyper::rt::Timer`] | [`Timer`]: goro's [`sleep`](crate::time::sleep) | timeouts such as `header_read_timeout` |
//! | hyper-util's `Service<Uri>` connector | [`Connector`]: goro's [`TcpStream`](crate::net::TcpStream), names resolved off the workers | hyper-util's pooled client, `hyper_util::client::legacy::Client` |
//!
//! Then hyper's own `server::conn::http1` and `client::conn::http1` run on goro unchanged
//! (and hyper-util's `Client`, see [`Connector`]; and its `TowerToHyperService`, which
//! serves a tower service such as an axum `Router`: `examples/axum.rs`):
//!
//! ```
//! use bytes::Bytes;
//! use goro::hyper::{Io, Timer};
//! use goro::net::{TcpListener, TcpStream};
//! use http_body_util::{BodyExt, Full};
//! use hyper::body::Incoming;
//! use hyper::{Request, Response};
//! use std::convert::Infallible;
//!
//! async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
//!     Ok(Response::new(Full::new(Bytes::from("hello from goro"))))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! goro::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!
//!     // The server: one connection, served by hyper.
//!     let server = goro::spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(Timer)
//!             .serve_connection(Io::new(stream), hyper::service::service_fn(hello))
//!             .await?;
//!         Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
//!     });
//!
//!     // The client: hyper's, on a goro socket.
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, connection) = hyper::client::conn::http1::handshake(Io::new(stream)).await?;
//!     let connection = goro::spawn(connection);
//!     let request = Request::get("/").header("host", "localhost").body(Full::new(Bytes::new()))?;
//!     let response = sender.send_request(request).await?;
//!     let body = response.into_body().collect().await?.to_bytes();
//!     assert_eq!(body, "hello from goro");
//!
//!     drop(sender); // the client closes the connection, so both sides finish
//!     connection.await??;
//!     server.await?
//! })
//! # }
//! ```
//!
//! ## Reading without `unsafe`
//! hyper hands a read a buffer that may be uninitialised ([`ReadBufCursor`]), and marking
//! bytes written in place as filled is `unsafe` there. goro has no `unsafe` outside its
//! task module and run queue, so [`Io`] reads into a scratch buffer of its own (zeroed once, reused, at
//! most [`Io::SCRATCH_MAX`] bytes) and copies what arrived with the safe
//! [`ReadBufCursor::put_slice`]: one `memcpy` of the bytes actually read, next to a system
//! call.
//!
//! ## Writing
//! Writes, flushes and shutdowns go straight to the wrapped stream; hyper's shutdown is
//! `AsyncWrite::poll_close` (for a socket: shut down its write direction).
//! `futures::io::AsyncWrite` cannot tell whether a stream has real vectored writes, so [`Io`]
//! answers hyper's `is_write_vectored` with `false` by default (hyper then copies a
//! response's head and body into one buffer, one write); [`Io::vectored_writes`] says
//! otherwise for a stream whose `poll_write_vectored` is a real `writev`, such as goro's
//! sockets.

mod connector;

pub use connector::Connector;

use ::hyper::rt::{self, ReadBufCursor};
use futures::io::{AsyncRead, AsyncWrite};
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

/// A byte stream for hyper: wraps any `futures::io::AsyncRead + AsyncWrite + Unpin` (goro's
/// [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream), their
/// halves, or a stream of another library) and implements [`hyper::rt::Read`] and
/// [`hyper::rt::Write`] by forwarding to it.
///
/// Reads go through a scratch buffer (see the [module doc](self)); it is allocated on the
/// first read, sized to what hyper asks for, and never more than [`Io::SCRATCH_MAX`].
///
/// ```
/// use goro::hyper::Io;
/// use goro::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let io = Io::new(TcpStream::connect(listener.local_addr()?).await?);
///     assert_eq!(io.get_ref().peer_addr()?, listener.local_addr()?);
///     let _stream: TcpStream = io.into_inner(); // and back
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct Io<T> {
    inner: T,
    /// Where reads land before they are copied into hyper's buffer; zeroed when it grows.
    scratch: Vec<u8>,
    /// What `is_write_vectored` answers.
    vectored: bool,
}

impl<T> Io<T> {
    /// The largest read, in bytes: the scratch buffer never grows past it.
    ///
    /// ```
    /// assert_eq!(goro::hyper::Io::<goro::net::TcpStream>::SCRATCH_MAX, 64 * 1024);
    /// ```
    pub const SCRATCH_MAX: usize = 64 * 1024;

    /// Wraps `inner`.
    ///
    /// ```
    /// use goro::hyper::Io;
    ///
    /// // Anything `futures::io::AsyncRead + AsyncWrite + Unpin` fits, here an in-memory stream.
    /// let io = Io::new(futures::io::Cursor::new(Vec::<u8>::new()));
    /// assert!(io.get_ref().get_ref().is_empty());
    /// ```
    pub fn new(inner: T) -> Io<T> {
        Io {
            inner,
            scratch: Vec::new(),
            vectored: false,
        }
    }

    /// Says whether `inner`'s `poll_write_vectored` writes several buffers in one go (as
    /// goro's sockets do, with `writev`), which is what hyper's `is_write_vectored` asks.
    /// With `true`, hyper hands a response's head and body over as separate buffers instead
    /// of copying them into one. `false` (the default) is right for any stream.
    ///
    /// ```
    /// use goro::hyper::Io;
    /// use goro::net::{TcpListener, TcpStream};
    /// use hyper::rt::Write;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let io = Io::new(stream).vectored_writes(true);
    ///     assert!(io.is_write_vectored());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn vectored_writes(mut self, vectored: bool) -> Io<T> {
        self.vectored = vectored;
        self
    }

    /// The wrapped stream.
    ///
    /// ```
    /// let io = goro::hyper::Io::new(futures::io::Cursor::new(vec![1u8, 2, 3]));
    /// assert_eq!(io.get_ref().get_ref(), &[1, 2, 3]);
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// ```
    /// let mut io = goro::hyper::Io::new(futures::io::Cursor::new(vec![1u8, 2, 3]));
    /// io.get_mut().set_position(2);
    /// assert_eq!(io.get_ref().position(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream. Bytes already handed to hyper stay with hyper.
    ///
    /// ```
    /// let io = goro::hyper::Io::new(futures::io::Cursor::new(vec![1u8, 2, 3]));
    /// assert_eq!(io.into_inner().into_inner(), vec![1, 2, 3]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> rt::Read for Io<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(Self::SCRATCH_MAX);
        if this.scratch.len() < want {
            this.scratch.resize(want, 0);
        }
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.scratch[..want]))?;
        // A reader that claims more than it was given breaks its contract; `put_slice`
        // would panic on it, so say so in an error instead.
        if n > want {
            return Poll::Ready(Err(io::Error::other(format!(
                "goro::hyper::Io: poll_read reported {n} bytes read into a buffer of {want}"
            ))));
        }
        buf.put_slice(&this.scratch[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> rt::Write for Io<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
}

/// hyper's executor on goro: [`execute`](rt::Executor::execute) spawns the future on the
/// current runtime (as [`goro::spawn`](crate::spawn) does) and detaches it.
///
/// hyper calls it from inside the connection it drives, which runs on goro; called outside
/// any runtime, it panics as `goro::spawn` does. HTTP/1 connections spawn nothing; HTTP/2
/// ones and `hyper-util`'s pools take an executor.
///
/// ```
/// use hyper::rt::Executor as _;
///
/// goro::run(async {
///     let (done, finished) = futures::channel::oneshot::channel();
///     goro::hyper::Executor.execute(async move {
///         done.send("ran on goro").unwrap();
///     });
///     assert_eq!(finished.await.unwrap(), "ran on goro");
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Executor;

impl<F> rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, future: F) {
        drop(crate::spawn(future));
    }
}

/// hyper's timer on goro: its sleeps are goro's [`Sleep`](crate::time::Sleep) (boxed, as
/// hyper keeps them), its clock is goro's (so a paused test clock, see
/// [`goro::time::pause`](crate::time::pause), pauses hyper's timeouts too), and
/// [`reset`](rt::Timer::reset) moves a goro sleep's deadline in place instead of making
/// a new one.
///
/// Give it to hyper's builders, e.g. `http1::Builder::new().timer(goro::hyper::Timer)`,
/// which `header_read_timeout` needs. Its sleeps need the current goro runtime: hyper
/// makes them inside the connection it drives, which runs on goro; outside any runtime,
/// [`sleep`](rt::Timer::sleep) panics as [`goro::time::sleep`](crate::time::sleep) does.
///
/// ```
/// use hyper::rt::Timer as _;
/// use std::time::{Duration, Instant};
///
/// goro::run(async {
///     let timer = goro::hyper::Timer;
///     let start = Instant::now();
///     let mut sleep = timer.sleep(Duration::from_secs(3600));
///     timer.reset(&mut sleep, start + Duration::from_millis(10)); // in place
///     sleep.await;
///     assert!(Instant::now() >= start + Duration::from_millis(10));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timer;

impl rt::Timer for Timer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(crate::time::sleep(duration))
    }

    #[track_caller]
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn rt::Sleep>> {
        Box::pin(crate::time::sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        crate::time::now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<crate::time::Sleep>() {
            Some(goro_sleep) => goro_sleep.reset(new_deadline),
            // A sleep made by another timer: replace it.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// goro's [`Sleep`](crate::time::Sleep) is a hyper [`Sleep`](rt::Sleep): what [`Timer`]
/// hands hyper, and what its `reset` finds again by downcasting.
///
/// ```
/// goro::run(async {
///     let sleep: std::pin::Pin<Box<dyn hyper::rt::Sleep>> =
///         Box::pin(goro::time::sleep(std::time::Duration::from_millis(1)));
///     assert!(sleep.is::<goro::time::Sleep>());
///     sleep.await;
/// });
/// ```
impl rt::Sleep for crate::time::Sleep {}
