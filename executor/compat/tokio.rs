//! Running tokio-bound libraries in goro tasks (cargo feature `tokio-compat`).
//!
//! Libraries built on tokio's runtime (reqwest, sqlx, tonic, and anything that uses
//! `tokio::net`, `tokio::time` or `tokio::spawn`) look for a tokio runtime in a
//! thread-local and panic without one: "there is no reactor running, must be called from
//! the context of a Tokio 1.x runtime". [`Compat`] gives them one: it enters the context of
//! a tokio runtime around every poll of the future it wraps, so those libraries work inside
//! goro tasks unchanged.
//!
//! ```
//! use goro::compat::tokio::CompatExt;
//! use std::time::Duration;
//!
//! goro::run(async {
//!     // tokio's own timer, in a goro task.
//!     async { tokio::time::sleep(Duration::from_millis(1)).await }
//!         .compat()
//!         .await;
//! });
//! ```
//!
//! Wrap the `async` block that makes and awaits the tokio futures, not a tokio future made
//! outside: some of tokio's functions need the runtime when they are *called*
//! (`tokio::time::sleep`, `tokio::spawn`, `TcpStream::from_std`), so
//! `tokio::time::sleep(d).compat()` still panics, where `async { tokio::time::sleep(d).await
//! }.compat()` works.
//!
//! # The background runtime
//! - The tokio runtime is started on first use: one current-thread runtime, with its I/O
//!   and time drivers, on one background thread (named `async-compat/tokio-1`). It lives
//!   as long as the process; a goro runtime's shutdown does not stop it. When a future is
//!   already inside a tokio runtime's context, that runtime is used instead.
//! - tokio's sockets and timers are driven by that thread, and their wake-ups land on
//!   goro's workers: the future itself is still polled by goro, as a goro task.
//! - Inside a `Compat` future both runtimes are current: `goro::spawn` spawns a goro task,
//!   `tokio::spawn` a tokio task on the background thread. Keep heavy work off the latter:
//!   one thread runs every tokio task.
//! - `tokio::task::block_in_place` panics there (a current-thread runtime has no worker
//!   to hand over); use `goro::spawn_blocking` for blocking calls.
//! - What needs tokio's *traits* only (codecs, protocol libraries written against
//!   `tokio::io::AsyncRead`) needs no `Compat`: the `tokio-io` feature makes goro's own
//!   sockets implement them.
//!
//! This is the async-compat crate (smol-rs), under goro's names.

use pin_project_lite::pin_project;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// A future that polls `F` inside the context of a tokio runtime (see the
    /// [module docs](self)), so that `F` may use tokio's sockets, timers and `spawn` while a
    /// goro task awaits it. Its output is `F`'s. Dropping it drops `F` inside that context
    /// too (tokio resources deregister on drop).
    ///
    /// ```
    /// use goro::compat::tokio::Compat;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     // A tokio listener and stream, inside goro tasks.
    ///     let listener = Compat::new(tokio::net::TcpListener::bind("127.0.0.1:0")).await?;
    ///     let addr = listener.local_addr()?;
    ///     let server = goro::spawn(Compat::new(async move {
    ///         let (mut stream, _) = listener.accept().await?;
    ///         stream.write_all(b"from tokio").await
    ///     }));
    ///     let mut reply = String::new();
    ///     Compat::new(async {
    ///         let mut stream = tokio::net::TcpStream::connect(addr).await?;
    ///         stream.read_to_string(&mut reply).await
    ///     })
    ///     .await?;
    ///     assert_eq!(reply, "from tokio");
    ///     server.await.unwrap()
    /// })
    /// # }
    /// ```
    #[must_use = "a Compat does nothing unless awaited"]
    pub struct Compat<F> {
        #[pin]
        inner: async_compat::Compat<F>,
    }
}

impl<F> Compat<F> {
    /// Wraps `future`, to be polled inside a tokio runtime's context.
    ///
    /// ```
    /// use goro::compat::tokio::Compat;
    /// use std::time::Duration;
    ///
    /// goro::run(async {
    ///     let nap = Compat::new(async { tokio::time::sleep(Duration::from_millis(1)).await });
    ///     goro::spawn(nap).await.unwrap();
    /// });
    /// ```
    pub fn new(future: F) -> Compat<F> {
        Compat {
            inner: async_compat::Compat::new(future),
        }
    }

    /// The wrapped future.
    ///
    /// ```
    /// use goro::compat::tokio::Compat;
    ///
    /// let wrapped = Compat::new(std::future::ready(7));
    /// assert!(matches!(wrapped.get_ref(), std::future::Ready { .. }));
    /// ```
    pub fn get_ref(&self) -> &F {
        self.inner.get_ref()
    }

    /// The wrapped future, mutably.
    ///
    /// ```
    /// use goro::compat::tokio::Compat;
    ///
    /// let mut wrapped = Compat::new(Box::pin(async { 7 }));
    /// let _inner: &mut std::pin::Pin<Box<_>> = wrapped.get_mut();
    /// assert_eq!(goro::run(wrapped), 7);
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        self.inner.get_mut()
    }

    /// Unwraps the future. Polling or dropping it afterwards happens outside tokio's
    /// context again.
    ///
    /// ```
    /// use goro::compat::tokio::Compat;
    ///
    /// let wrapped = Compat::new(async { 7 });
    /// assert_eq!(goro::run(wrapped.into_inner()), 7);
    /// ```
    pub fn into_inner(self) -> F {
        self.inner.into_inner()
    }
}

impl<F: Future> Future for Compat<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

impl<F> fmt::Debug for Compat<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compat").finish_non_exhaustive()
    }
}

/// `.compat()` on every future: [`Compat::new`] as a method.
///
/// ```
/// use goro::compat::tokio::CompatExt;
/// use std::time::{Duration, Instant};
///
/// goro::run(async {
///     let start = Instant::now();
///     let nap = async { tokio::time::sleep(Duration::from_millis(5)).await };
///     let slept = goro::spawn(nap.compat());
///     slept.await.unwrap();
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
pub trait CompatExt: Future + Sized {
    /// Wraps this future in a [`Compat`], to be polled inside a tokio runtime's context.
    ///
    /// ```
    /// use goro::compat::tokio::CompatExt;
    ///
    /// goro::run(async {
    ///     let yielded = tokio::task::yield_now().compat();
    ///     yielded.await;
    /// });
    /// ```
    fn compat(self) -> Compat<Self> {
        Compat::new(self)
    }
}

impl<F: Future> CompatExt for F {}
