//! Helpers shared by the `net_*` test suites: bounded waits, an echo server that shuts down
//! cleanly (so `#[goro::test]` sees no leaked task), a fast byte pattern, a poll counter,
//! hand-made wakers (one that counts, one that panics) for polling a socket future by hand,
//! and (in `readiness`) the readiness tests that every stream type runs.

#![allow(dead_code)] // each suite uses a different subset

pub mod readiness;

use futures::future::{Either, select};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpStream};
use goro::{JoinHandle, JoinSet};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs a suite of `async fn`s (defined next to the call) as `#[goro::test]`s on 1 and on 4
/// workers, each bounded by a watchdog.
macro_rules! on_1_and_4_workers {
    ($($name:ident),* $(,)?) => {
        mod one_worker {
            $(
                #[goro::test(worker_threads = 1, timeout_ms = 120_000)]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
        mod four_workers {
            $(
                #[goro::test(worker_threads = 4, timeout_ms = 120_000)]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
    };
}

/// Awaits `future`, failing the test (instead of hanging it) after `secs` seconds.
#[track_caller]
pub fn within<F: Future>(
    secs: u64,
    what: &'static str,
    future: F,
) -> impl Future<Output = F::Output> {
    let location = std::panic::Location::caller();
    async move {
        match goro::time::timeout(Duration::from_secs(secs), future).await {
            Ok(output) => output,
            Err(_) => panic!("{what} did not finish within {secs} s ({location})"),
        }
    }
}

/// An echo server on 127.0.0.1: one task per connection copying what it reads back until
/// the end of the stream, then shutting down its write direction.
pub struct EchoServer {
    pub addr: SocketAddr,
    stop: futures::channel::oneshot::Sender<()>,
    task: JoinHandle<io::Result<usize>>,
}

impl EchoServer {
    pub async fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the echo server");
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let task = goro::spawn(async move {
            let mut connections = JoinSet::new();
            let mut served = 0;
            let mut stopped = stopped;
            loop {
                let accept = pin!(listener.accept());
                match select(accept, &mut stopped).await {
                    Either::Left((accepted, _)) => {
                        let (stream, _) = accepted?;
                        served += 1;
                        connections.spawn(echo(stream));
                    }
                    Either::Right(_) => break,
                }
                while connections.try_join_next().is_some() {}
            }
            connections.shutdown().await;
            Ok(served)
        });
        EchoServer { addr, stop, task }
    }

    /// Stops accepting, cancels the connections still open and waits for all of it; returns
    /// the number of connections served.
    pub async fn stop(self) -> usize {
        let _ = self.stop.send(());
        within(10, "the echo server's shutdown", self.task)
            .await
            .expect("the echo server task")
            .expect("the echo server's accept loop")
    }
}

async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let (mut reader, mut writer) = TcpStream::split(&mut stream);
    let copied = futures::io::copy(&mut reader, &mut writer).await?;
    writer.close().await?;
    Ok(copied)
}

/// 251 (a prime) distinct bytes repeated: any slip, loss or duplication of bytes in a long
/// transfer shows up as a mismatch.
pub const PERIOD: usize = 251;

/// A buffer of the pattern, long enough to cut `len` bytes from any phase.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len + PERIOD).map(|i| (i % PERIOD) as u8).collect()
}

/// The pattern's bytes `[offset, offset + len)`.
pub fn pattern_at(pattern: &[u8], offset: u64, len: usize) -> &[u8] {
    let phase = (offset % PERIOD as u64) as usize;
    &pattern[phase..phase + len]
}

/// Counts the polls of the future it wraps.
pub struct CountPolls<F> {
    pub future: Pin<Box<F>>,
    pub polls: Arc<AtomicUsize>,
}

impl<F: Future> CountPolls<F> {
    pub fn new(future: F) -> (CountPolls<F>, Arc<AtomicUsize>) {
        let polls = Arc::new(AtomicUsize::new(0));
        (
            CountPolls {
                future: Box::pin(future),
                polls: polls.clone(),
            },
            polls,
        )
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Relaxed);
        self.future.as_mut().poll(cx)
    }
}

/// Waits until each counter says its future was polled at least once (a task that waits
/// on a socket is then registered with it).
pub async fn wait_polled(counters: &[Arc<AtomicUsize>]) {
    within(10, "the waiting tasks' first polls", async {
        while counters.iter().any(|polls| polls.load(Relaxed) == 0) {
            goro::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    // The counter goes up as the poll starts: give the poll time to register.
    goro::time::sleep(Duration::from_millis(20)).await;
}

/// Spawns `n` tasks, each running a future that `make` makes, with their polls counted:
/// the handles, and the counters for [`wait_polled`].
pub fn spawn_counted<F>(
    n: usize,
    mut make: impl FnMut() -> F,
) -> (Vec<JoinHandle<F::Output>>, Vec<Arc<AtomicUsize>>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    (0..n)
        .map(|_| {
            let (counted, polls) = CountPolls::new(make());
            (goro::spawn(counted), polls)
        })
        .unzip()
}

/// Waits until the tokio-test task `task` was woken (by the reactor, on a worker); fails
/// the test after 10 s (`what` says which wake-up was awaited).
pub async fn wait_woken<F: Future>(task: &tokio_test::task::Spawn<F>, what: &'static str) {
    within(10, what, async {
        while !task.is_woken() {
            goro::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// A hand-made waker that counts its wakes and, if made `panicking`, then panics (a foreign
/// executor's buggy waker). `Arc::strong_count` tells how many of its clones are alive.
#[derive(Debug, Default)]
pub struct HandWaker {
    pub wakes: AtomicUsize,
    panics: bool,
}

impl HandWaker {
    pub fn counting() -> Arc<HandWaker> {
        Arc::default()
    }

    pub fn panicking() -> Arc<HandWaker> {
        Arc::new(HandWaker {
            wakes: AtomicUsize::new(0),
            panics: true,
        })
    }
}

impl futures::task::ArcWake for HandWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.wakes.fetch_add(1, Relaxed);
        assert!(
            !arc_self.panics,
            "HandWaker: this waker panics on purpose (a test of the reactor)"
        );
    }
}

/// Polls `future` once with `waker`.
pub fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Reads until `buf` is full or the stream ends; the count read.
pub async fn read_full<R: futures::io::AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

pub fn assert_send<T: Send>(_: &T) {}
pub fn assert_send_sync<T: Send + Sync>() {}
