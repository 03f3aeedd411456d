//! UDP on loopback: round trips with `send_to`/`recv_from` and with a connected socket,
//! a receive that waits and times out, address in use, a refused peer reported as an error
//! (and not turned into a busy loop), and a socket dropped while a task waits on it.

#[macro_use]
mod net_support;

use goro::net::UdpSocket;
use net_support::{CountPolls, assert_send, assert_send_sync, within};
use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

on_1_and_4_workers! {
    round_trips_with_send_to_and_recv_from,
    round_trips_when_connected,
    a_receive_waits_and_can_time_out,
    address_in_use,
    a_refused_peer_is_an_error_and_no_busy_loop,
    socket_dropped_mid_wait,
}

/// A server task answers each datagram to its sender; a client sends 200 and checks every
/// answer.
async fn round_trips_with_send_to_and_recv_from() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server_addr = server.local_addr().unwrap();
    let answering = goro::spawn(async move {
        let mut buf = [0; 1500];
        for _ in 0..200 {
            let (n, from) = server.recv_from(&mut buf).await?;
            buf[..n].reverse();
            server.send_to(&buf[..n], from).await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buf = [0; 1500];
    within(30, "200 UDP round trips", async {
        for i in 0..200u32 {
            let message = format!("datagram number {i}");
            assert_eq!(
                client
                    .send_to(message.as_bytes(), server_addr)
                    .await
                    .unwrap(),
                message.len()
            );
            let (n, from) = client.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, server_addr);
            let expected: Vec<u8> = message.bytes().rev().collect();
            assert_eq!(&buf[..n], expected.as_slice());
        }
    })
    .await;
    within(10, "the answering task", answering)
        .await
        .unwrap()
        .unwrap();
}

/// `connect` fixes the peer: `send` and `recv` without addresses.
async fn round_trips_when_connected() {
    let a = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    a.connect(b.local_addr().unwrap()).await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    let echo = {
        let a = a.clone();
        goro::spawn(async move {
            let mut buf = [0; 64];
            for _ in 0..100 {
                let n = a.recv(&mut buf).await?;
                a.send(&buf[..n]).await?;
            }
            Ok::<_, std::io::Error>(())
        })
    };
    within(30, "100 connected round trips", async {
        let mut buf = [0; 64];
        for i in 0..100u64 {
            b.send(&i.to_le_bytes()).await.unwrap();
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], i.to_le_bytes());
        }
    })
    .await;
    within(10, "the echo task", echo).await.unwrap().unwrap();
}

/// Nothing arrives: `recv_from` waits (a timeout ends it). A datagram sent afterwards is
/// still received: the cancelled wait lost no readiness.
async fn a_receive_waits_and_can_time_out() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buf = [0; 16];
    let waited = goro::time::timeout(Duration::from_millis(50), a.recv_from(&mut buf)).await;
    assert!(waited.is_err(), "received {waited:?} from nobody");
    b.send_to(b"late", a.local_addr().unwrap()).await.unwrap();
    let (n, from) = within(10, "the late datagram", a.recv_from(&mut buf))
        .await
        .unwrap();
    assert_eq!((&buf[..n], from), (&b"late"[..], b.local_addr().unwrap()));
}

async fn address_in_use() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let err = UdpSocket::bind(a.local_addr().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
}

/// A connected socket whose peer port is closed: the ICMP "port unreachable" comes back as
/// `ConnectionRefused` from the next receive. After that error, a receive must wait quietly
/// (the error edge must not leave the socket "ready" for ever, which would make the task
/// spin).
async fn a_refused_peer_is_an_error_and_no_busy_loop() {
    let closed = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    socket.connect(closed_addr).await.unwrap();
    socket.send(b"anyone?").await.unwrap();
    let mut buf = [0; 16];
    let err = within(10, "the refusal", socket.recv(&mut buf))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    // Wait 100 ms for a datagram that never comes, in a task (with a budget) whose polls
    // are counted.
    let (counted, polls) = CountPolls::new({
        let socket = socket.clone();
        async move {
            let mut buf = [0; 16];
            goro::time::timeout(Duration::from_millis(100), socket.recv(&mut buf)).await
        }
    });
    let waited = within(10, "a quiet receive", goro::spawn(counted))
        .await
        .unwrap();
    assert!(waited.is_err(), "received {waited:?} from a closed port");
    assert!(
        polls.load(Relaxed) <= 3,
        "a receive waiting 100 ms was polled {} times",
        polls.load(Relaxed)
    );
}

/// A task waiting in `recv_from` is aborted; the socket it owned is gone (its port is free
/// again) and the runtime goes on.
async fn socket_dropped_mid_wait() {
    for _ in 0..20 {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let (waiting_tx, waiting) = futures::channel::oneshot::channel();
        let receiver = goro::spawn(async move {
            let _ = waiting_tx.send(());
            let mut buf = [0; 16];
            socket.recv_from(&mut buf).await
        });
        within(10, "the receiver to start", waiting).await.unwrap();
        goro::time::sleep(Duration::from_millis(1)).await;
        receiver.abort();
        assert!(
            within(10, "the aborted receiver", receiver)
                .await
                .unwrap_err()
                .is_cancelled()
        );
        // Closed: the port can be bound again.
        UdpSocket::bind(addr).await.unwrap();
    }
}

#[goro::test]
async fn socket_futures_are_send() {
    assert_send_sync::<UdpSocket>();
    assert_send(&UdpSocket::bind("127.0.0.1:0"));
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut buf = [0; 8];
    assert_send(&socket.connect("127.0.0.1:9"));
    assert_send(&socket.send_to(b"x", "127.0.0.1:9"));
    assert_send(&socket.recv_from(&mut buf));
    assert_send(&socket.send(b"x"));
    assert_send(&socket.recv(&mut buf));
}
