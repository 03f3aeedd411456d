//! Unix domain stream sockets: echo through a listener with several clients, a pair, the
//! errors of a missing or stale path and of a path in use, half close, a larger transfer,
//! a socket dropped while a task waits on it, several tasks accepting on one listener, and
//! the readiness calls (`readable`/`try_read`, `writable`/`try_write`: `WouldBlock` clears
//! the readiness, every waiting task is woken, a cancelled wait loses nothing, the peer's
//! close is readable), by the bodies every stream type shares (`net_support/readiness.rs`).
#![cfg(unix)]

#[macro_use]
mod net_support;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{UnixListener, UnixStream};
use net_support::{
    CountPolls, assert_send, assert_send_sync, pattern, pattern_at, read_full, readiness,
    wait_polled, within,
};
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

on_1_and_4_workers! {
    echo_with_20_clients,
    pair_round_trips_and_end_of_stream,
    missing_and_stale_paths,
    path_in_use,
    half_close,
    transfer_8_mib,
    socket_dropped_mid_wait,
    several_tasks_accept_on_one_listener,
    readable_and_try_read_move_1_mib,
    would_block_clears_readiness,
    a_cancelled_readable_loses_nothing,
    every_task_waiting_readable_is_woken,
    writable_waits_for_room_after_try_write_fills_the_buffer,
    the_peers_close_is_readable,
}

/// A socket path of its own for each use, removed on drop.
struct SocketPath(PathBuf);

impl SocketPath {
    fn new() -> SocketPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "goro-net-unix-{}-{}.sock",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        SocketPath(path)
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn echo(stream: UnixStream) -> io::Result<u64> {
    let copied = futures::io::copy(&stream, &mut &stream).await?;
    (&stream).close().await?;
    Ok(copied)
}

/// 20 clients at once through a listener whose task spawns an echo task per connection.
async fn echo_with_20_clients() {
    let path = SocketPath::new();
    let listener = UnixListener::bind(&path.0).unwrap();
    let server = goro::spawn(async move {
        let mut connections = goro::JoinSet::new();
        for _ in 0..20 {
            let (stream, peer) = listener.accept().await?;
            assert!(peer.is_unnamed());
            connections.spawn(echo(stream));
        }
        Ok::<_, io::Error>(connections.join_all().await)
    });
    let mut clients = goro::JoinSet::new();
    for client in 0..20u64 {
        let path = path.0.clone();
        clients.spawn(async move {
            let mut stream = UnixStream::connect(&path).await?;
            let bytes = pattern(1000);
            let mut buf = [0; 1000];
            for round in 0..10u64 {
                let message = pattern_at(&bytes, client * 10 + round, 1000);
                stream.write_all(message).await?;
                stream.read_exact(&mut buf).await?;
                assert_eq!(&buf[..], message);
            }
            stream.close().await?;
            assert_eq!(stream.read(&mut buf).await?, 0);
            Ok::<_, io::Error>(())
        });
    }
    for result in within(60, "20 Unix echo clients", clients.join_all()).await {
        result.unwrap();
    }
    let copied = within(10, "the server", server).await.unwrap().unwrap();
    assert_eq!(copied.len(), 20);
    for copied in copied {
        assert_eq!(copied.unwrap(), 10_000);
    }
}

async fn pair_round_trips_and_end_of_stream() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.peer_addr().unwrap().is_unnamed());
    within(10, "pair round trips", async {
        let mut buf = [0; 8];
        for i in 0..100u64 {
            a.write_all(&i.to_be_bytes()).await.unwrap();
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(u64::from_be_bytes(buf), i);
        }
    })
    .await;
    drop(a);
    let mut buf = [0; 8];
    assert_eq!(within(10, "the end", b.read(&mut buf)).await.unwrap(), 0);
}

async fn missing_and_stale_paths() {
    let path = SocketPath::new();
    let err = UnixStream::connect(&path.0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // The file stays after the listener drops; nobody listens behind it any more.
    drop(UnixListener::bind(&path.0).unwrap());
    assert!(path.0.exists());
    let err = UnixStream::connect(&path.0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

async fn path_in_use() {
    let path = SocketPath::new();
    let _listener = UnixListener::bind(&path.0).unwrap();
    let err = UnixListener::bind(&path.0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
}

async fn half_close() {
    let (a, b) = UnixStream::pair().unwrap();
    let echo = goro::spawn(echo(b));
    (&a).write_all(b"question").await.unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    within(
        10,
        "the echo after a half close",
        (&a).read_to_end(&mut answer),
    )
    .await
    .unwrap();
    assert_eq!(answer, b"question");
    assert_eq!(within(10, "the echo task", echo).await.unwrap().unwrap(), 8);
}

/// 8 MiB through a pair and back, checked byte for byte.
async fn transfer_8_mib() {
    const TOTAL: u64 = 8 << 20;
    const CHUNK: usize = 32 * 1024;
    let (a, b) = UnixStream::pair().unwrap();
    let echo = goro::spawn(echo(b));
    let (wrote, checked) = within(60, "8 MiB over a Unix pair", async {
        let writer = async {
            let bytes = pattern(CHUNK);
            let mut sent = 0;
            while sent < TOTAL {
                (&a).write_all(pattern_at(&bytes, sent, CHUNK)).await?;
                sent += CHUNK as u64;
            }
            (&a).close().await
        };
        let reader = async {
            let bytes = pattern(CHUNK);
            let mut buf = vec![0; CHUNK];
            let mut received = 0;
            loop {
                let n = read_full(&mut &a, &mut buf).await?;
                if n == 0 {
                    return Ok::<_, io::Error>(received);
                }
                assert!(
                    buf[..n] == *pattern_at(&bytes, received, n),
                    "at {received}"
                );
                received += n as u64;
            }
        };
        futures::join!(writer, reader)
    })
    .await;
    wrote.unwrap();
    assert_eq!(checked.unwrap(), TOTAL);
    assert_eq!(
        within(10, "the echo task", echo).await.unwrap().unwrap(),
        TOTAL
    );
}

/// A task waiting to read is aborted, dropping its end: the other end reads the end of the
/// stream.
async fn socket_dropped_mid_wait() {
    for _ in 0..20 {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (waiting_tx, waiting) = futures::channel::oneshot::channel();
        let reader = goro::spawn(async move {
            let mut a = a;
            let _ = waiting_tx.send(());
            let mut buf = [0; 1];
            a.read(&mut buf).await
        });
        within(10, "the reader to start", waiting).await.unwrap();
        goro::time::sleep(Duration::from_millis(1)).await;
        reader.abort();
        assert!(
            within(10, "the aborted reader", reader)
                .await
                .unwrap_err()
                .is_cancelled()
        );
        let mut buf = [0; 1];
        assert_eq!(within(10, "the end", b.read(&mut buf)).await.unwrap(), 0);
    }
}

/// Three tasks wait in `accept` on one listener, then three clients connect: every task
/// gets a connection.
async fn several_tasks_accept_on_one_listener() {
    let path = SocketPath::new();
    let listener = Arc::new(UnixListener::bind(&path.0).unwrap());
    let mut accepters = Vec::new();
    let mut polled = Vec::new();
    for _ in 0..3 {
        let listener = listener.clone();
        let (counted, polls) = CountPolls::new(async move { listener.accept().await.map(|_| ()) });
        accepters.push(goro::spawn(counted));
        polled.push(polls);
    }
    wait_polled(&polled).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(UnixStream::connect(&path.0).await.unwrap());
    }
    for accepter in accepters {
        within(10, "every accepting task", accepter)
            .await
            .unwrap()
            .unwrap();
    }
}

/// 1 MiB, see [`readiness::readable_and_try_read_move`].
async fn readable_and_try_read_move_1_mib() {
    readiness::readable_and_try_read_move(UnixStream::pair().unwrap(), 1 << 20).await
}

async fn would_block_clears_readiness() {
    readiness::would_block_clears_readiness(UnixStream::pair().unwrap()).await
}

async fn a_cancelled_readable_loses_nothing() {
    readiness::a_cancelled_readable_loses_nothing(UnixStream::pair().unwrap()).await
}

async fn every_task_waiting_readable_is_woken() {
    readiness::every_task_waiting_readable_is_woken(UnixStream::pair().unwrap()).await
}

async fn writable_waits_for_room_after_try_write_fills_the_buffer() {
    readiness::writable_waits_for_room_after_try_write_fills_the_buffer(UnixStream::pair().unwrap())
        .await
}

async fn the_peers_close_is_readable() {
    readiness::the_peers_close_is_readable(UnixStream::pair().unwrap()).await
}

#[goro::test]
async fn socket_futures_are_send() {
    assert_send_sync::<UnixListener>();
    assert_send_sync::<UnixStream>();
    let path = SocketPath::new();
    let listener = UnixListener::bind(&path.0).unwrap();
    assert_send(&listener.accept());
    assert_send(&UnixStream::connect(&path.0));
    let (mut a, _b) = UnixStream::pair().unwrap();
    let mut buf = [0; 4];
    assert_send(&a.read(&mut buf));
    assert_send(&a.write_all(b"x"));
    assert_send(&(&a).read(&mut buf));
    assert_send(&a.readable());
    assert_send(&a.writable());
}
