//! TCP on loopback: echo with many clients, end of stream, refused connections, address in
//! use, half close, a 64 MiB transfer checked byte for byte, reset by peer, the halves, a
//! socket dropped while a task waits on it, several tasks accepting on one listener (each
//! woken, cancelled waits leaving nothing behind, all woken at shutdown), a panicking waker
//! that must not stop the reactor, the cooperative budget's guarantee that a busy reader
//! does not starve a timer on one worker, and a worker busy with round trips still stealing
//! from a stuck one. Every wait is bounded.

#[macro_use]
mod net_support;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use goro::net::{TcpListener, TcpStream};
use net_support::{
    CountPolls, EchoServer, HandWaker, assert_send, assert_send_sync, pattern, pattern_at,
    poll_once, wait_polled, within,
};
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

on_1_and_4_workers! {
    echo_with_50_concurrent_clients,
    end_of_stream,
    connection_refused,
    address_in_use,
    half_close,
    transfer_64_mib_byte_for_byte,
    reset_by_peer,
    borrowed_halves_read_and_write_at_once,
    owned_halves_in_different_tasks,
    socket_dropped_mid_wait,
    std_round_trip,
    several_tasks_accept_on_one_listener,
    cancelled_accepts_keep_no_waker,
}

/// 50 clients at once, each doing 20 round trips of a different size, then closing.
async fn echo_with_50_concurrent_clients() {
    let server = EchoServer::start().await;
    let addr = server.addr;
    let mut clients = goro::JoinSet::new();
    for client in 0..50usize {
        clients.spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let bytes = pattern(4096);
            let mut echoed = vec![0; 4096];
            for round in 0..20usize {
                let len = 1 + (client * 97 + round * 31) % 4096;
                let message = pattern_at(&bytes, (client + round) as u64, len);
                stream.write_all(message).await?;
                stream.read_exact(&mut echoed[..len]).await?;
                assert_eq!(&echoed[..len], message, "client {client}, round {round}");
            }
            stream.close().await?;
            let mut rest = [0; 1];
            assert_eq!(
                stream.read(&mut rest).await?,
                0,
                "the server closes after us"
            );
            Ok::<_, io::Error>(())
        });
    }
    for result in within(60, "50 echo clients", clients.join_all()).await {
        result.expect("an echo client");
    }
    assert_eq!(server.stop().await, 50);
}

/// A peer that writes and closes: the reader gets the bytes, then 0, and 0 again.
async fn end_of_stream() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = goro::spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        stream.write_all(b"last words").await
        // `stream` drops here: the connection closes
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    within(10, "read to the end", client.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got, b"last words");
    let mut buf = [0; 16];
    assert_eq!(client.read(&mut buf).await.unwrap(), 0);
    assert_eq!(client.read(&mut buf).await.unwrap(), 0);
    writer.await.unwrap().unwrap();
}

/// Nobody listens: connect answers `ConnectionRefused`, not a hang.
async fn connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = within(10, "a refused connect", TcpStream::connect(addr))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

async fn address_in_use() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let err = TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    // Every address is tried; the last error is the answer.
    let err = TcpListener::bind([addr, addr].as_slice())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
    let nowhere: &[std::net::SocketAddr] = &[];
    let err = TcpListener::bind(nowhere).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// `shutdown(Write)`, then read the whole echo: the server saw the end of our stream while
/// ours stayed open for its answer.
async fn half_close() {
    let server = EchoServer::start().await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    let sent = pattern(100_000);
    let sent = &sent[..100_000];
    // Write from a second reference while reading, so that neither side's buffers fill up.
    let (wrote, echoed) = within(30, "half close", async {
        let writer = async {
            (&client).write_all(sent).await?;
            client.shutdown(Shutdown::Write)
        };
        let reader = async {
            let mut echoed = Vec::new();
            (&client).read_to_end(&mut echoed).await.map(|_| echoed)
        };
        futures::join!(writer, reader)
    })
    .await;
    wrote.unwrap();
    assert_eq!(echoed.unwrap(), sent);
    // Writing after our own shutdown fails.
    let err = client.write_all(b"late").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err}");
    server.stop().await;
}

/// 64 MiB through one connection and back, compared byte for byte.
async fn transfer_64_mib_byte_for_byte() {
    const TOTAL: u64 = 64 << 20;
    const CHUNK: usize = 64 * 1024;
    let server = EchoServer::start().await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sender = goro::spawn(async move {
        let bytes = pattern(CHUNK);
        let mut sent = 0u64;
        while sent < TOTAL {
            writer.write_all(pattern_at(&bytes, sent, CHUNK)).await?;
            sent += CHUNK as u64;
        }
        writer.close().await
    });
    let checked = within(120, "64 MiB echoed", async {
        let bytes = pattern(CHUNK);
        let mut buf = vec![0; CHUNK];
        let mut received = 0u64;
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, io::Error>(received);
            }
            if buf[..n] != *pattern_at(&bytes, received, n) {
                panic!(
                    "the bytes at offset {received}..{} differ",
                    received + n as u64
                );
            }
            received += n as u64;
        }
    })
    .await
    .unwrap();
    assert_eq!(checked, TOTAL);
    sender.await.unwrap().unwrap();
    server.stop().await;
}

/// Closing a socket with unread data makes the kernel send a reset: the peer's read answers
/// `ConnectionReset`.
async fn reset_by_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.write_all(b"never read").await.unwrap();
    // Loopback delivers at once; leave a margin for a loaded machine.
    goro::time::sleep(Duration::from_millis(50)).await;
    drop(server);
    let mut buf = [0; 16];
    let err = within(10, "a read after a reset", client.read(&mut buf))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
}

/// `split`: one task reads and writes the same stream concurrently through its halves.
async fn borrowed_halves_read_and_write_at_once() {
    let server = EchoServer::start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer): (ReadHalf<'_>, WriteHalf<'_>) = TcpStream::split(&mut stream);
    assert_eq!(reader.as_ref().peer_addr().unwrap(), server.addr);
    let sent = pattern(1 << 20);
    let sent = &sent[..1 << 20];
    let (wrote, got) = within(30, "a split echo", async {
        futures::join!(
            async {
                writer.write_all(sent).await?;
                writer.close().await
            },
            async {
                let mut got = Vec::new();
                reader.read_to_end(&mut got).await.map(|_| got)
            }
        )
    })
    .await;
    wrote.unwrap();
    assert_eq!(got.unwrap(), sent);
    server.stop().await;
}

/// `into_split`: the halves move to different tasks.
async fn owned_halves_in_different_tasks() {
    let server = EchoServer::start().await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer): (OwnedReadHalf, OwnedWriteHalf) = stream.into_split();
    writer.as_ref().set_nodelay(true).unwrap();
    let writes = goro::spawn(async move {
        for i in 0..1000u32 {
            writer.write_all(&i.to_le_bytes()).await?;
        }
        writer.close().await
    });
    let reads = goro::spawn(async move {
        let mut buf = [0; 4];
        for i in 0..1000u32 {
            reader.read_exact(&mut buf).await?;
            assert_eq!(u32::from_le_bytes(buf), i);
        }
        reader.read(&mut buf).await
    });
    within(30, "the writer task", writes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        within(30, "the reader task", reads).await.unwrap().unwrap(),
        0
    );
    server.stop().await;
}

/// A task waiting to read is aborted: its socket drops mid-wait. The connection closes (the
/// peer reads the end), the registration goes, and a bystander waiting on another socket
/// (which may get the freed registration slots) is never woken by any of it.
async fn socket_dropped_mid_wait() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let mut bystander_peer = TcpStream::connect(addr).await.unwrap();
    let (mut bystander, _) = listener.accept().await.unwrap();
    let (counted, polls) = CountPolls::new(async move {
        let mut buf = [0; 4];
        bystander.read_exact(&mut buf).await.map(|_| buf)
    });
    let bystander = goro::spawn(counted);

    for round in 0..50 {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (waiting_tx, waiting) = futures::channel::oneshot::channel();
        let reader = goro::spawn(async move {
            let mut server = server;
            let _ = waiting_tx.send(());
            let mut buf = [0; 1];
            server.read(&mut buf).await
        });
        within(10, "the reader to start", waiting).await.unwrap();
        goro::time::sleep(Duration::from_millis(1)).await;
        reader.abort();
        let outcome = within(10, "the aborted reader", reader).await;
        assert!(outcome.unwrap_err().is_cancelled(), "round {round}");
        let mut buf = [0; 1];
        let n = within(
            10,
            "the end of the dropped socket's stream",
            client.read(&mut buf),
        )
        .await
        .unwrap();
        assert_eq!(n, 0, "round {round}");
    }

    assert!(
        polls.load(Relaxed) <= 2,
        "the bystander was woken {} times with nothing to read",
        polls.load(Relaxed)
    );
    bystander_peer.write_all(b"done").await.unwrap();
    let got = within(10, "the bystander", bystander)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got, b"done");
}

/// `from_std` and `into_std` hand a socket over in both directions.
async fn std_round_trip() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    let client = TcpStream::from_std(std::net::TcpStream::connect(addr).unwrap()).unwrap();
    let (mut server, _) = within(10, "accept", listener.accept()).await.unwrap();
    let mut std_client = client.into_std().unwrap();
    std::io::Write::write_all(&mut std_client, b"std").unwrap();
    let mut buf = [0; 3];
    within(10, "read", server.read_exact(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf, b"std");
    let std_listener = listener.into_std().unwrap();
    assert_eq!(std_listener.local_addr().unwrap(), addr);
}

/// Three tasks wait in `accept` on one listener, then three clients connect: every task
/// gets a connection (each waiter is woken, not only the last one to wait).
async fn several_tasks_accept_on_one_listener() {
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
    let addr = listener.local_addr().unwrap();
    let mut accepters = Vec::new();
    let mut polled = Vec::new();
    for _ in 0..3 {
        let listener = listener.clone();
        let (counted, polls) =
            CountPolls::new(async move { listener.accept().await.map(|(stream, _)| stream) });
        accepters.push(goro::spawn(counted));
        polled.push(polls);
    }
    wait_polled(&polled).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(TcpStream::connect(addr).await.unwrap());
    }
    for (i, accepter) in accepters.into_iter().enumerate() {
        let stream = within(10, "every accepting task", accepter)
            .await
            .unwrap()
            .unwrap();
        assert!(
            clients
                .iter()
                .any(|client| client.local_addr().unwrap() == stream.peer_addr().unwrap()),
            "accepter {i} got a stranger"
        );
    }
}

/// 10,000 accepts cancelled while they wait (dropped by hand, and by a timeout) keep no waker
/// and leave the listener working: a waiter that goes leaves its place.
async fn cancelled_accepts_keep_no_waker() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let counter = HandWaker::counting();
    let waker = futures::task::waker(counter.clone());
    for _ in 0..10_000 {
        let mut accept = Box::pin(listener.accept());
        assert!(poll_once(&mut accept, &waker).is_pending());
    }
    assert_eq!(
        Arc::strong_count(&counter) - 2, // ours and `waker`
        0,
        "clones of a cancelled accept's waker are still held"
    );
    for _ in 0..10_000 {
        let accept = listener.accept();
        assert!(goro::time::timeout(Duration::ZERO, accept).await.is_err());
    }
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = within(
        10,
        "an accept after 20,000 cancelled ones",
        listener.accept(),
    )
    .await
    .unwrap();
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(counter.wakes.load(Relaxed), 0);
}

/// When the runtime shuts down, every thread waiting in `accept` on one of its listeners
/// (through a foreign executor) is woken with the shutdown error.
#[test]
fn shutdown_wakes_every_waiting_accept() {
    let runtime = goro::Builder::new().worker_threads(1).build().unwrap();
    let listener = Arc::new(runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap());
    let (done_tx, done) = mpsc::channel();
    let mut polled = Vec::new();
    for _ in 0..3 {
        let (listener, done_tx) = (listener.clone(), done_tx.clone());
        let (counted, polls) = CountPolls::new(async move { listener.accept().await.map(|_| ()) });
        polled.push(polls);
        std::thread::spawn(move || {
            let _ = done_tx.send(futures::executor::block_on(counted));
        });
    }
    let start = Instant::now();
    while polled.iter().any(|polls| polls.load(Relaxed) == 0) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the waiters start"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(20));
    drop(runtime);
    for i in 0..3 {
        let outcome = done
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("waiter {i} of 3 was not woken by the shutdown"));
        let err = outcome.unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    }
}

/// A read polled by hand with a waker that panics: when data arrives, the reactor wakes it
/// and the panic is contained there. Sockets and timers go on working.
async fn a_panicking_read_waker_stops_neither_io_nor_timers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let panics = HandWaker::panicking();
    let waker = futures::task::waker(panics.clone());
    let mut buf = [0; 4];
    let mut reader = &client;
    let mut read = reader.read(&mut buf);
    assert!(poll_once(&mut read, &waker).is_pending());

    (&server).write_all(b"boom").await.unwrap();
    let start = Instant::now();
    while panics.wakes.load(Relaxed) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the waker is woken"
        );
        goro::yield_now().await;
    }

    let echo = EchoServer::start().await;
    let mut stream = within(
        10,
        "a connect after the panic",
        TcpStream::connect(echo.addr),
    )
    .await
    .unwrap();
    within(10, "a round trip after the panic", async {
        stream.write_all(b"still here").await?;
        let mut back = [0; 10];
        stream.read_exact(&mut back).await?;
        assert_eq!(&back, b"still here");
        Ok::<_, io::Error>(())
    })
    .await
    .unwrap();
    within(
        10,
        "a timer after the panic",
        goro::time::sleep(Duration::from_millis(5)),
    )
    .await;
    assert_eq!(
        poll_once(&mut read, &waker).map(Result::unwrap),
        Poll::Ready(4)
    );
    assert_eq!(&buf, b"boom");
    drop(stream);
    echo.stop().await;
}

#[goro::test(worker_threads = 1, timeout_ms = 30_000)]
async fn a_panicking_read_waker_stops_neither_io_nor_timers_on_one_worker() {
    a_panicking_read_waker_stops_neither_io_nor_timers().await;
}

#[goro::test(worker_threads = 4, timeout_ms = 30_000)]
async fn a_panicking_read_waker_stops_neither_io_nor_timers_on_four_workers() {
    a_panicking_read_waker_stops_neither_io_nor_timers().await;
}

/// A thread that writes to `addr` as fast as it can until told to stop (or the connection
/// breaks): a socket that is always readable.
struct Flooder {
    flooding: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Flooder {
    fn start(addr: std::net::SocketAddr) -> Flooder {
        let flooding = Arc::new(AtomicBool::new(true));
        let thread = {
            let flooding = flooding.clone();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                let chunk = [7u8; 64 * 1024];
                while flooding.load(Relaxed) {
                    if std::io::Write::write_all(&mut stream, &chunk).is_err() {
                        break;
                    }
                }
            })
        };
        Flooder { flooding, thread }
    }

    fn stop(self) {
        self.flooding.store(false, Relaxed);
        self.thread.join().unwrap();
    }
}

/// On one worker, a task reading in a loop from a socket that always has data (a thread
/// floods it) must leave room for a timer task: the cooperative budget makes it yield.
#[goro::test(worker_threads = 1, timeout_ms = 60_000)]
async fn a_busy_reader_does_not_starve_a_timer_on_one_worker() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let flooder = Flooder::start(listener.local_addr().unwrap());
    let (stream, _) = within(10, "accept", listener.accept()).await.unwrap();

    let reading = Arc::new(AtomicBool::new(true));
    let reader = {
        let reading = reading.clone();
        goro::spawn(async move {
            let mut stream = stream;
            // Small reads: the flooder always stays ahead, so every read is ready at once.
            let mut buf = [0; 64];
            let mut total = 0u64;
            while reading.load(Relaxed) {
                total += stream.read(&mut buf).await? as u64;
            }
            Ok::<_, io::Error>(total)
        })
    };
    // Let the reader get going before the timer starts.
    goro::time::sleep(Duration::from_millis(20)).await;

    let ticker = goro::spawn(async {
        let start = Instant::now();
        for _ in 0..10 {
            goro::time::sleep(Duration::from_millis(10)).await;
        }
        start.elapsed()
    });
    let elapsed = within(30, "the timer task next to the busy reader", ticker)
        .await
        .unwrap();
    reading.store(false, Relaxed);
    let total = within(10, "the reader", reader).await.unwrap().unwrap();
    flooder.stop();
    eprintln!("ticker {elapsed:?}, reader read {total} bytes");
    assert!(total > 0);
    // About 0.1 s on an idle machine (0.2 s in a debug build); without the budget, never.
    // The margin is for a loaded CI machine.
    assert!(
        elapsed < Duration::from_secs(5),
        "10 sleeps of 10 ms took {elapsed:?} next to a busy reader"
    );
}

/// A `timeout` around a read loop that is always ready must still fire, although the loop
/// spends the task's whole budget in every poll (the timeout's own deadline is checked
/// without the budget).
#[goro::test(worker_threads = 1, timeout_ms = 60_000)]
async fn a_timeout_fires_around_a_busy_read_loop() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let flooder = Flooder::start(listener.local_addr().unwrap());
    let (stream, _) = within(10, "accept", listener.accept()).await.unwrap();
    let reader = goro::spawn(async move {
        let mut stream = stream;
        let mut buf = [0; 64];
        let mut total = 0u64;
        goro::time::timeout(Duration::from_millis(50), async {
            loop {
                total += stream.read(&mut buf).await? as u64;
            }
        })
        .await
        .map(|never: io::Result<()>| never)
    });
    let start = Instant::now();
    let outcome = within(10, "a timeout around a busy read loop", reader).await;
    eprintln!("the 50 ms timeout took {:?}", start.elapsed());
    flooder.stop();
    assert!(
        outcome.unwrap().is_err(),
        "the read loop ended before its timeout"
    );
}

/// Every socket future is `Send` (so it can be spawned) and every socket `Send + Sync`.
#[goro::test]
async fn socket_futures_are_send() {
    assert_send_sync::<TcpListener>();
    assert_send_sync::<TcpStream>();
    assert_send_sync::<ReadHalf<'static>>();
    assert_send_sync::<WriteHalf<'static>>();
    assert_send_sync::<OwnedReadHalf>();
    assert_send_sync::<OwnedWriteHalf>();

    assert_send(&TcpListener::bind("127.0.0.1:0"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert_send(&listener.accept());
    assert_send(&TcpStream::connect(addr));
    assert_send(&TcpStream::connect("127.0.0.1:1"));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0; 8];
    assert_send(&stream.read(&mut buf));
    assert_send(&stream.write_all(b"x"));
    assert_send(&stream.close());
    assert_send(&(&stream).read(&mut buf));
    let (mut reader, mut writer) = TcpStream::split(&mut stream);
    assert_send(&reader.read(&mut buf));
    assert_send(&writer.write(b"x"));
    let (mut reader, mut writer) = stream.into_split();
    assert_send(&reader.read_exact(&mut buf));
    assert_send(&writer.flush());
}

/// A socket that outlives its runtime answers an error instead of waiting for ever.
#[test]
fn a_socket_outliving_its_runtime_answers_an_error() {
    let first = goro::Builder::new().worker_threads(1).build().unwrap();
    let listener = first.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    drop(first);
    let second = goro::Builder::new().worker_threads(1).build().unwrap();
    let err = second
        .block_on(within(
            10,
            "accept on a dead runtime's listener",
            listener.accept(),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}

/// Tasks queued behind a worker stuck in one poll wait for the other worker to steal them.
/// Here that other worker is busy with socket round trips, so that every turn of its reactor
/// wakes a task (it turns the reactor before stealing while that is so): it must still
/// steal. The monitor is off, so nothing else moves them.
#[test]
fn a_worker_busy_with_io_still_steals_from_a_stuck_one() {
    const QUEUED: usize = 8;
    let runtime = goro::Builder::new()
        .worker_threads(2)
        .blocking_threshold(None)
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = EchoServer::start().await;
        let addr = server.addr;
        let chatting = Arc::new(AtomicBool::new(true));
        let round_trips = Arc::new(AtomicUsize::new(0));
        let mut chatters = goro::JoinSet::new();
        for _ in 0..4 {
            let (chatting, round_trips) = (chatting.clone(), round_trips.clone());
            chatters.spawn(async move {
                let mut stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let mut byte = [1u8];
                while chatting.load(Relaxed) {
                    stream.write_all(&byte).await?;
                    stream.read_exact(&mut byte).await?;
                    round_trips.fetch_add(1, Relaxed);
                }
                Ok::<_, io::Error>(())
            });
        }
        within(10, "the first round trips", async {
            while round_trips.load(Relaxed) < 100 {
                goro::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;

        let ran = Arc::new(AtomicUsize::new(0));
        let stuck = goro::spawn({
            let ran = ran.clone();
            async move {
                // Spawned here: into this worker's `next` slot and queue.
                for _ in 0..QUEUED {
                    let ran = ran.clone();
                    drop(goro::spawn(async move {
                        ran.fetch_add(1, Relaxed);
                    }));
                }
                // Blocks this worker until the other one has run them all (or 5 s).
                let start = Instant::now();
                while ran.load(Relaxed) < QUEUED && start.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                (start.elapsed(), ran.load(Relaxed))
            }
        });
        let (waited, ran) = within(30, "the stuck task", stuck).await.unwrap();
        let during = round_trips.load(Relaxed);
        chatting.store(false, Relaxed);
        while let Some(chatter) = within(10, "a chatter", chatters.join_next()).await {
            chatter.unwrap().unwrap();
        }
        server.stop().await;
        eprintln!("queued tasks ran after {waited:?}; {during} round trips by then");
        assert_eq!(
            ran, QUEUED,
            "the tasks queued behind a stuck worker did not run within {waited:?}"
        );
    });
}
