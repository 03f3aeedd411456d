//! The readiness calls (`readable`/`try_read`, `writable`/`try_write`) tested once for every
//! stream type that has them, as tokio documents them: a `WouldBlock` clears the readiness,
//! every waiting task is woken, a dropped wait loses nothing, the peer's close is readable.
//!
//! [`ReadyStream`] names what the bodies need of a stream; each suite (`net_socket` for
//! `TcpStream`, `net_unix` for `UnixStream`) keeps a test function of its own per body that
//! makes a connected pair of its type and hands it over as `(stream, peer)`: the calls are
//! tested on `stream`, and `peer` writes to it, reads from it or drops.

use super::{CountPolls, pattern, spawn_counted, wait_polled, wait_woken, within};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use goro::net::TcpStream;
#[cfg(unix)]
use goro::net::UnixStream;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::sync::Arc;
use tokio_test::{assert_pending, assert_ready};

/// A stream with tokio's readiness calls, each forwarded to the type's own.
pub trait ReadyStream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {
    /// How many times `writable` may still answer after `try_write` met `WouldBlock`,
    /// because room was freed a moment later without the peer reading: TCP's
    /// acknowledgements still in flight do that (a new writable event); a Unix socket's
    /// room comes only from the peer's reads, so never.
    const LATE_ROOM_ROUNDS: usize;

    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send;
    fn writable(&self) -> impl Future<Output = io::Result<()>> + Send;
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

/// Implements [`ReadyStream`] for `$stream` by its inherent methods of the same names.
macro_rules! forward_ready_stream {
    ($stream:ty, late_room_rounds: $rounds:expr) => {
        impl ReadyStream for $stream {
            const LATE_ROOM_ROUNDS: usize = $rounds;

            fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
                <$stream>::readable(self)
            }
            fn writable(&self) -> impl Future<Output = io::Result<()>> + Send {
                <$stream>::writable(self)
            }
            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                <$stream>::try_read(self, buf)
            }
            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                <$stream>::try_write(self, buf)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$stream>::shutdown(self, how)
            }
        }
    };
}

forward_ready_stream!(TcpStream, late_room_rounds: 100);
#[cfg(unix)]
forward_ready_stream!(UnixStream, late_room_rounds: 0);

/// `len` bytes read with `readable` + `try_read` only, byte for byte, up to the end of the
/// stream.
pub async fn readable_and_try_read_move<S: ReadyStream>((stream, mut peer): (S, S), len: usize) {
    let sent = pattern(len);
    let expected = sent[..len].to_vec();
    let writer = goro::spawn(async move {
        peer.write_all(&sent[..len]).await?;
        peer.close().await
    });
    let mut got = Vec::with_capacity(len);
    let mut buf = vec![0; 16 * 1024];
    loop {
        within(10, "readable", stream.readable()).await.unwrap();
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
            Err(err) => panic!("try_read: {err}"),
        }
    }
    assert!(got == expected, "the bytes read differ from those sent");
    within(10, "the writer", writer).await.unwrap().unwrap();
}

/// `try_read` with nothing to read answers `WouldBlock` at once, and the next `readable`
/// waits, poll by poll, until data arrives; twice, so that in the second round the
/// `WouldBlock` must have cleared the readiness the first round's data left.
pub async fn would_block_clears_readiness<S: ReadyStream>((stream, mut peer): (S, S)) {
    let mut buf = [0; 64];
    assert_eq!(
        stream.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "nothing sent yet"
    );
    let rounds = [
        (&b"first"[..], "readable answered with nothing to read"),
        (
            b"second",
            "readable answered at once after a WouldBlock: the readiness was not cleared",
        ),
    ];
    for (message, answered_early) in rounds {
        let mut readable = tokio_test::task::spawn(stream.readable());
        assert_pending!(readable.poll(), "{answered_early}");
        peer.write_all(message).await.unwrap();
        wait_woken(&readable, "the wake-up by new data").await;
        assert_ready!(readable.poll()).unwrap();
        assert_eq!(stream.try_read(&mut buf).unwrap(), message.len());
        assert_eq!(&buf[..message.len()], message);
        assert_eq!(
            stream.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock,
            "everything was read"
        );
    }
}

/// A `readable` dropped while it waits, and one dropped after its wake-up but before it
/// answered, take no readiness with them: the next `readable` answers at once and the data
/// is there.
pub async fn a_cancelled_readable_loses_nothing<S: ReadyStream>((stream, mut peer): (S, S)) {
    let mut waiting = tokio_test::task::spawn(stream.readable());
    assert_pending!(waiting.poll());
    drop(waiting);
    let mut woken = tokio_test::task::spawn(stream.readable());
    assert_pending!(woken.poll());
    peer.write_all(b"kept").await.unwrap();
    wait_woken(&woken, "the wake-up by data").await;
    drop(woken);
    let mut again = tokio_test::task::spawn(stream.readable());
    assert_ready!(again.poll(), "the cancelled waits lost the readiness").unwrap();
    let mut buf = [0; 8];
    assert_eq!(stream.try_read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"kept");
}

/// Three tasks wait in `readable` on one stream (and one in `poll_read`): one byte wakes
/// them all.
pub async fn every_task_waiting_readable_is_woken<S: ReadyStream>((stream, mut peer): (S, S))
where
    for<'a> &'a S: AsyncRead,
{
    let stream = Arc::new(stream);
    let (waiters, mut polled) = spawn_counted(3, || {
        let stream = stream.clone();
        async move { stream.readable().await }
    });
    let (counted, polls) = CountPolls::new({
        let stream = stream.clone();
        async move {
            let mut buf = [0; 1];
            (&*stream).read(&mut buf).await.map(|_| buf[0])
        }
    });
    let reader = goro::spawn(counted);
    polled.push(polls);
    wait_polled(&polled).await;

    peer.write_all(b"!").await.unwrap();
    for (i, waiter) in waiters.into_iter().enumerate() {
        within(10, "every task waiting in readable", waiter)
            .await
            .unwrap()
            .unwrap_or_else(|err| panic!("waiter {i}: {err}"));
    }
    let byte = within(10, "the task in poll_read", reader).await.unwrap();
    assert_eq!(byte.unwrap(), b'!');
}

/// `try_write` fills the socket's buffers until `WouldBlock`; `writable` is then pending,
/// poll by poll, until the peer reads; every byte arrives.
pub async fn writable_waits_for_room_after_try_write_fills_the_buffer<S: ReadyStream>(
    (stream, mut peer): (S, S),
) {
    within(10, "writable on a fresh pair", stream.writable())
        .await
        .unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut written = 0;
    // Fill the buffers until `writable` waits. Where room can be freed a moment after a
    // `try_write` meets `WouldBlock` (`S::LATE_ROOM_ROUNDS`), a few rounds may be needed; a
    // `WouldBlock` that did not clear the readiness would never let `writable` wait.
    let mut late_rooms = 0;
    let mut writable = loop {
        loop {
            match stream.try_write(&chunk) {
                Ok(n) => written += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("try_write: {err}"),
            }
            assert!(written < 1 << 30, "try_write never met a full buffer");
        }
        let mut writable = tokio_test::task::spawn(stream.writable());
        // Twice: a wait once pending stays so until room is freed.
        if writable.poll().is_pending() && writable.poll().is_pending() {
            break writable;
        }
        late_rooms += 1;
        assert!(
            late_rooms <= S::LATE_ROOM_ROUNDS,
            "writable answered at once after try_write met WouldBlock"
        );
    };
    assert!(written > 0);

    let reader = goro::spawn(async move {
        let mut buf = vec![0; 64 * 1024];
        let mut total = 0;
        loop {
            match peer.read(&mut buf).await? {
                0 => return Ok::<_, io::Error>(total),
                n => total += n,
            }
        }
    });
    wait_woken(&writable, "the wake-up by room").await;
    assert_ready!(writable.poll()).unwrap();
    written += loop {
        match stream.try_write(b"tail") {
            Ok(n) => break n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                within(10, "writable", stream.writable()).await.unwrap();
            }
            Err(err) => panic!("try_write: {err}"),
        }
    };
    stream.shutdown(Shutdown::Write).unwrap();
    let read = within(30, "the reader", reader).await.unwrap().unwrap();
    assert_eq!(read, written);
}

/// The peer drops its end while a task waits in `readable`: the wait answers, and
/// `try_read` reads 0 (the end of the stream), again and again.
pub async fn the_peers_close_is_readable<S: ReadyStream>((stream, peer): (S, S)) {
    let mut readable = tokio_test::task::spawn(stream.readable());
    assert_pending!(readable.poll());
    drop(peer);
    wait_woken(&readable, "the wake-up by the peer's close").await;
    assert_ready!(readable.poll()).unwrap();
    let mut buf = [0; 8];
    assert_eq!(stream.try_read(&mut buf).unwrap(), 0);
    within(10, "readable after the end", stream.readable())
        .await
        .unwrap();
    assert_eq!(stream.try_read(&mut buf).unwrap(), 0);
}
