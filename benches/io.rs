//! I/O and timer costs, goro side by side with tokio's multi-thread runtime (same number of
//! workers), in one run so that the ratios are read off one report:
//!
//! - `echo_1_connection`: one client task doing 100 round trips of 64 bytes with an echo
//!   task over one loopback connection;
//! - `echo_50_connections`: 50 client tasks doing 20 round trips each at once (1,000 round
//!   trips per iteration), against 50 echo tasks;
//! - `timer_insert_cancel`: create a one-hour sleep, poll it once (which inserts its timer),
//!   drop it (which cancels it).
//!
//! Client and server run in the same runtime. Connections are opened once, outside the
//! measurement. `cargo bench --bench io`; criterion prints round trips (elements) per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
const MESSAGE: usize = 64;
const HOUR: Duration = Duration::from_secs(3600);

/// The echo benchmark's moves, written once per runtime.
trait Side {
    type Stream: Send + 'static;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// Starts a detached echo server (one task per connection); its address.
    fn start_server(&self) -> SocketAddr;
    fn connect(&self, addr: SocketAddr, connections: usize) -> Vec<Self::Stream>;
    /// Each stream in its own task does `rounds` round trips; the streams come back.
    fn round_trips(&self, streams: Vec<Self::Stream>, rounds: usize) -> Vec<Self::Stream>;
}

mod goro_side {
    use super::{MESSAGE, Side, WORKERS};
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use goro::net::{TcpListener, TcpStream};
    use std::future::Future;
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
        type Stream = TcpStream;

        fn block_on<F: Future>(&self, future: F) -> F::Output {
            self.0.block_on(future)
        }

        fn start_server(&self) -> SocketAddr {
            self.0.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                // Detached: the tasks end with the runtime.
                drop(goro::spawn(async move {
                    while let Ok((mut stream, _)) = listener.accept().await {
                        stream.set_nodelay(true).unwrap();
                        drop(goro::spawn(async move {
                            let mut buf = [0; 4096];
                            loop {
                                match stream.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => {
                                        if stream.write_all(&buf[..n]).await.is_err() {
                                            return;
                                        }
                                    }
                                }
                            }
                        }));
                    }
                }));
                addr
            })
        }

        fn connect(&self, addr: SocketAddr, connections: usize) -> Vec<TcpStream> {
            self.0.block_on(async {
                let mut streams = Vec::new();
                for _ in 0..connections {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    streams.push(stream);
                }
                streams
            })
        }

        fn round_trips(&self, streams: Vec<TcpStream>, rounds: usize) -> Vec<TcpStream> {
            self.0.block_on(async {
                let clients: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        goro::spawn(async move {
                            let mut buf = [7u8; MESSAGE];
                            for _ in 0..rounds {
                                stream.write_all(&buf).await.unwrap();
                                stream.read_exact(&mut buf).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut streams = Vec::with_capacity(clients.len());
                for client in clients {
                    streams.push(client.await.unwrap());
                }
                streams
            })
        }
    }
}

mod tokio_side {
    use super::{MESSAGE, Side, WORKERS};
    use std::future::Future;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

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
        type Stream = TcpStream;

        fn block_on<F: Future>(&self, future: F) -> F::Output {
            self.0.block_on(future)
        }

        fn start_server(&self) -> SocketAddr {
            self.0.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move {
                    while let Ok((mut stream, _)) = listener.accept().await {
                        stream.set_nodelay(true).unwrap();
                        tokio::spawn(async move {
                            let mut buf = [0; 4096];
                            loop {
                                match stream.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => {
                                        if stream.write_all(&buf[..n]).await.is_err() {
                                            return;
                                        }
                                    }
                                }
                            }
                        });
                    }
                });
                addr
            })
        }

        fn connect(&self, addr: SocketAddr, connections: usize) -> Vec<TcpStream> {
            self.0.block_on(async {
                let mut streams = Vec::new();
                for _ in 0..connections {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    streams.push(stream);
                }
                streams
            })
        }

        fn round_trips(&self, streams: Vec<TcpStream>, rounds: usize) -> Vec<TcpStream> {
            self.0.block_on(async {
                let clients: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        tokio::spawn(async move {
                            let mut buf = [7u8; MESSAGE];
                            for _ in 0..rounds {
                                stream.write_all(&buf).await.unwrap();
                                stream.read_exact(&mut buf).await.unwrap();
                            }
                            stream
                        })
                    })
                    .collect();
                let mut streams = Vec::with_capacity(clients.len());
                for client in clients {
                    streams.push(client.await.unwrap());
                }
                streams
            })
        }
    }
}

use goro_side::Goro;
use tokio_side::Tokio;

/// Registers one side's echo benchmark: `connections` connections, `rounds` round trips on
/// each per iteration.
fn echo_bench<S: Side>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    side: &S,
    connections: usize,
    rounds: usize,
) {
    let addr = side.start_server();
    let mut streams = Some(side.connect(addr, connections));
    group.bench_function(name, |b| {
        b.iter(|| {
            let taken = streams.take().expect("the streams are back");
            streams = Some(side.round_trips(taken, rounds));
        })
    });
}

fn echo(c: &mut Criterion) {
    let goro = Goro::new();
    let tokio = Tokio::new();
    for (group_name, connections, rounds) in [
        ("echo_1_connection", 1, 100),
        ("echo_50_connections", 50, 20),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements((connections * rounds) as u64));
        echo_bench(&mut group, "goro", &goro, connections, rounds);
        echo_bench(&mut group, "tokio", &tokio, connections, rounds);
        group.finish();
    }
}

fn timer_insert_cancel(c: &mut Criterion) {
    let goro = Goro::new();
    let tokio = Tokio::new();
    let mut group = c.benchmark_group("timer_insert_cancel");
    group.bench_function("goro", |b| {
        b.iter_custom(|iters| {
            goro.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut sleep = pin!(goro::time::sleep(HOUR));
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            tokio.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut sleep = pin!(tokio::time::sleep(HOUR));
                    assert!(futures::poll!(sleep.as_mut()).is_pending());
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20);
    targets = echo, timer_insert_cancel
}
criterion_main!(benches);
