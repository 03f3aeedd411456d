//! HTTP/1 requests per second: the same hyper server and client on goro and on tokio's
//! multi-thread runtime (same number of workers), in one run.
//!
//! Each side runs hyper's `server::conn::http1` (a "hello" answer to `GET /`) and, in the
//! same runtime, `CONNECTIONS` keep-alive connections of hyper's `client::conn::http1`, each
//! in its own task sending `REQUESTS` requests one after another per iteration. Connections
//! are opened once, outside the measurement. The two sides differ only in the runtime and
//! in the socket adapter: `goro::hyper::Io` on goro, a small adapter of the same shape over
//! tokio's `TcpStream` on tokio (both read through a scratch buffer and `put_slice`, both
//! write vectored).
//!
//! `cargo bench --features hyper --bench http`; criterion prints requests (elements) per
//! second for `http/goro` and `http/tokio`, then a last line gives the goro/tokio ratio
//! measured with the two sides taking turns batch by batch (see `main`).

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
const CONNECTIONS: usize = 32;
const REQUESTS: usize = 25;
const HELLO: &str = "hello, world";

/// The server's one route.
async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        HELLO.as_bytes(),
    ))))
}

/// `REQUESTS` requests on one connection, each answer checked; the sender comes back.
async fn session(mut sender: SendRequest<Empty<Bytes>>) -> SendRequest<Empty<Bytes>> {
    for _ in 0..REQUESTS {
        sender.ready().await.unwrap();
        let request = Request::get("/")
            .header("host", "localhost")
            .body(Empty::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, HELLO);
    }
    sender
}

/// The benchmark's moves, written once per runtime.
trait Side {
    /// Starts a detached server (one task per connection); its address.
    fn start_server(&self) -> SocketAddr;
    /// Opens `CONNECTIONS` client connections, each driven by a detached task.
    fn connect(&self, addr: SocketAddr) -> Vec<SendRequest<Empty<Bytes>>>;
    /// Runs a [`session`] on each sender, each in its own task; the senders come back.
    fn sessions(&self, senders: Vec<SendRequest<Empty<Bytes>>>) -> Vec<SendRequest<Empty<Bytes>>>;
}

mod goro_side {
    use super::{Side, WORKERS, hello, session};
    use bytes::Bytes;
    use goro::hyper::Io;
    use goro::net::{TcpListener, TcpStream};
    use http_body_util::Empty;
    use hyper::client::conn::http1::SendRequest;
    use std::net::SocketAddr;

    pub struct Goro(pub goro::Runtime);

    impl Goro {
        pub fn new() -> Goro {
            Goro(
                goro::Builder::new()
                    .worker_threads(WORKERS)
                    .build()
                    .expect("a goro runtime"),
            )
        }
    }

    impl Side for Goro {
        fn start_server(&self) -> SocketAddr {
            self.0.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                // Detached: the tasks end with the runtime.
                drop(goro::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        stream.set_nodelay(true).unwrap();
                        drop(goro::spawn(async move {
                            let io = Io::new(stream).vectored_writes(true);
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, hyper::service::service_fn(hello))
                                .await;
                        }));
                    }
                }));
                addr
            })
        }

        fn connect(&self, addr: SocketAddr) -> Vec<SendRequest<Empty<Bytes>>> {
            self.0.block_on(async {
                let mut senders = Vec::new();
                for _ in 0..super::CONNECTIONS {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let io = Io::new(stream).vectored_writes(true);
                    let (sender, connection) =
                        hyper::client::conn::http1::handshake(io).await.unwrap();
                    drop(goro::spawn(connection));
                    senders.push(sender);
                }
                senders
            })
        }

        fn sessions(
            &self,
            senders: Vec<SendRequest<Empty<Bytes>>>,
        ) -> Vec<SendRequest<Empty<Bytes>>> {
            self.0.block_on(async {
                let clients: Vec<_> = senders
                    .into_iter()
                    .map(|s| goro::spawn(session(s)))
                    .collect();
                let mut senders = Vec::with_capacity(clients.len());
                for client in clients {
                    senders.push(client.await.unwrap());
                }
                senders
            })
        }
    }
}

mod tokio_side {
    use super::{Side, WORKERS, hello, session};
    use bytes::Bytes;
    use http_body_util::Empty;
    use hyper::client::conn::http1::SendRequest;
    use hyper::rt::ReadBufCursor;
    use std::io::{self, IoSlice};
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::{TcpListener, TcpStream};

    /// hyper's I/O traits over a tokio stream, the way `goro::hyper::Io` does it (a scratch
    /// buffer and `put_slice`: no `unsafe`), so that only the runtimes differ.
    pub struct TokioIo<T> {
        inner: T,
        scratch: Vec<u8>,
    }

    impl<T> TokioIo<T> {
        pub fn new(inner: T) -> TokioIo<T> {
            TokioIo {
                inner,
                scratch: Vec::new(),
            }
        }
    }

    impl<T: AsyncRead + Unpin> hyper::rt::Read for TokioIo<T> {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            mut buf: ReadBufCursor<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let want = buf.remaining().min(64 * 1024);
            if this.scratch.len() < want {
                this.scratch.resize(want, 0);
            }
            let mut read = ReadBuf::new(&mut this.scratch[..want]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            buf.put_slice(read.filled());
            Poll::Ready(Ok(()))
        }
    }

    impl<T: AsyncWrite + Unpin> hyper::rt::Write for TokioIo<T> {
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
            Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }

        fn is_write_vectored(&self) -> bool {
            self.inner.is_write_vectored()
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
        }
    }

    pub struct Tokio(pub tokio::runtime::Runtime);

    impl Tokio {
        pub fn new() -> Tokio {
            Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(WORKERS)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime"),
            )
        }
    }

    impl Side for Tokio {
        fn start_server(&self) -> SocketAddr {
            self.0.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        stream.set_nodelay(true).unwrap();
                        tokio::spawn(async move {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(
                                    TokioIo::new(stream),
                                    hyper::service::service_fn(hello),
                                )
                                .await;
                        });
                    }
                });
                addr
            })
        }

        fn connect(&self, addr: SocketAddr) -> Vec<SendRequest<Empty<Bytes>>> {
            self.0.block_on(async {
                let mut senders = Vec::new();
                for _ in 0..super::CONNECTIONS {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let (sender, connection) =
                        hyper::client::conn::http1::handshake(TokioIo::new(stream))
                            .await
                            .unwrap();
                    tokio::spawn(connection);
                    senders.push(sender);
                }
                senders
            })
        }

        fn sessions(
            &self,
            senders: Vec<SendRequest<Empty<Bytes>>>,
        ) -> Vec<SendRequest<Empty<Bytes>>> {
            self.0.block_on(async {
                let clients: Vec<_> = senders
                    .into_iter()
                    .map(|s| tokio::spawn(session(s)))
                    .collect();
                let mut senders = Vec::with_capacity(clients.len());
                for client in clients {
                    senders.push(client.await.unwrap());
                }
                senders
            })
        }
    }
}

use goro_side::Goro;
use tokio_side::Tokio;

/// One side, ready to run: its runtime, and its client connections between batches.
struct Bench<S: Side> {
    side: S,
    senders: Option<Vec<SendRequest<Empty<Bytes>>>>,
}

impl<S: Side> Bench<S> {
    /// Starts the server, opens the connections, and runs one batch outside any
    /// measurement, so that every connection has its buffers.
    fn new(side: S) -> Bench<S> {
        let addr = side.start_server();
        let senders = side.connect(addr);
        let mut bench = Bench {
            side,
            senders: Some(senders),
        };
        bench.batch();
        bench
    }

    /// `CONNECTIONS * REQUESTS` requests.
    fn batch(&mut self) {
        let taken = self.senders.take().expect("the senders are back");
        self.senders = Some(self.side.sessions(taken));
    }

    /// How long one batch takes.
    fn timed_batch(&mut self) -> Duration {
        let start = Instant::now();
        self.batch();
        start.elapsed()
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut goro = Bench::new(Goro::new());
    let mut tokio = Bench::new(Tokio::new());

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("http");
    group.throughput(Throughput::Elements((CONNECTIONS * REQUESTS) as u64));
    group.bench_function("goro", |b| b.iter(|| goro.batch()));
    group.bench_function("tokio", |b| b.iter(|| tokio.batch()));
    group.finish();
    criterion.final_summary();

    // Criterion measures one side, then the other: on a machine shared with other work, the
    // load can change in between. The ratio below alternates the sides batch by batch, so
    // both meet the same load; it is the number to quote. (Skipped when `cargo test
    // --benches` runs this file as a test, or when criterion is asked to list.)
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|arg| arg == "--test" || arg == "--list") {
        return;
    }
    const ROUNDS: usize = 200;
    let (mut goro_times, mut tokio_times) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which side goes first, too.
        if round % 2 == 0 {
            goro_times.push(goro.timed_batch());
            tokio_times.push(tokio.timed_batch());
        } else {
            tokio_times.push(tokio.timed_batch());
            goro_times.push(goro.timed_batch());
        }
    }
    let per_second = |time: Duration| (CONNECTIONS * REQUESTS) as f64 / time.as_secs_f64();
    let (goro_rps, tokio_rps) = (
        per_second(median(goro_times)),
        per_second(median(tokio_times)),
    );
    println!(
        "http interleaved ({ROUNDS} batches each, medians): goro {goro_rps:.0} req/s, \
         tokio {tokio_rps:.0} req/s, goro/tokio = {:.2}",
        goro_rps / tokio_rps
    );
}
