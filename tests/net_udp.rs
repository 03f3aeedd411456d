//! UDP on loopback: round trips with `send_to`/`recv_from` and with a connected socket,
//! a receive that waits and times out, address in use, a refused peer reported as an error
//! (and not turned into a busy loop), a socket dropped while a task waits on it, several
//! tasks receiving on one socket (every one woken), and a panicking waker among them; the
//! readiness calls (`readable`/`try_recv_from`, `writable`/`try_send_to`, `peek_from`, with
//! several waiters), the options (broadcast, TTL, multicast loop and TTL) and multicast
//! groups joined and left on the loopback interface (a datagram to the group arrives; the
//! sender is bound to the loopback interface with a multicast TTL of 0, so nothing leaves
//! the machine).

#[macro_use]
mod net_support;

use goro::net::UdpSocket;
use net_support::{
    CountPolls, HandWaker, assert_send, assert_send_sync, poll_once, spawn_counted, wait_polled,
    within,
};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr};
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
    several_tasks_receive_on_one_socket,
    readable_try_recv_from_writable_try_send_to,
    peek_from_leaves_the_datagram_for_several_peekers,
    options_round_trip,
    multicast_v4_on_loopback,
    multicast_v6_join_and_leave,
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

/// A task receiving on `socket`, counted: it returns the datagram it got.
fn spawn_receiver(
    socket: Arc<UdpSocket>,
) -> (
    goro::JoinHandle<std::io::Result<Vec<u8>>>,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    let (counted, polls) = CountPolls::new(async move {
        let mut buf = [0; 64];
        let (n, _) = socket.recv_from(&mut buf).await?;
        Ok(buf[..n].to_vec())
    });
    (goro::spawn(counted), polls)
}

/// Three tasks wait in `recv_from` on one socket, then three datagrams come: each task
/// gets one (every waiter is woken, not only the last one to wait).
async fn several_tasks_receive_on_one_socket() {
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = socket.local_addr().unwrap();
    let (receivers, polled): (Vec<_>, Vec<_>) =
        (0..3).map(|_| spawn_receiver(socket.clone())).unzip();
    wait_polled(&polled).await;
    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for message in [&b"one"[..], b"two", b"three"] {
        sender.send_to(message, addr).await.unwrap();
    }
    let mut got = Vec::new();
    for receiver in receivers {
        got.push(
            within(10, "every receiving task", receiver)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    got.sort();
    assert_eq!(got, [&b"one"[..], b"three", b"two"]);
}

/// A receive polled by hand with a waker that panics waits between two tasks on the same
/// socket, and a third task waits on another socket. Datagrams come: the panic is contained
/// in the reactor, the waiters after the panicking one are still woken, and sockets and
/// timers go on working.
async fn a_panicking_waker_among_waiters() {
    let doomed = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let bystander = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let (before, before_polled) = spawn_receiver(doomed.clone());
    wait_polled(&[before_polled]).await;
    let panics = HandWaker::panicking();
    let waker = futures::task::waker(panics.clone());
    let mut buf = [0; 64];
    let mut receive = Box::pin(doomed.recv_from(&mut buf));
    assert!(poll_once(&mut receive, &waker).is_pending());
    let (after, after_polled) = spawn_receiver(doomed.clone());
    let (other, other_polled) = spawn_receiver(bystander.clone());
    wait_polled(&[after_polled, other_polled]).await;

    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sender
        .send_to(b"first", doomed.local_addr().unwrap())
        .await
        .unwrap();
    sender
        .send_to(b"second", doomed.local_addr().unwrap())
        .await
        .unwrap();
    sender
        .send_to(b"other", bystander.local_addr().unwrap())
        .await
        .unwrap();
    let mut got = vec![
        within(10, "the waiter before", before)
            .await
            .unwrap()
            .unwrap(),
        within(10, "the waiter after", after)
            .await
            .unwrap()
            .unwrap(),
    ];
    got.sort();
    assert_eq!(got, [&b"first"[..], b"second"]);
    assert_eq!(
        within(10, "the other socket's waiter", other)
            .await
            .unwrap()
            .unwrap(),
        b"other"
    );
    assert_eq!(panics.wakes.load(Relaxed), 1);
    within(
        10,
        "a timer after the panic",
        goro::time::sleep(Duration::from_millis(5)),
    )
    .await;
    drop(receive);
}

#[goro::test(worker_threads = 1, timeout_ms = 30_000)]
async fn a_panicking_waker_among_waiters_on_one_worker() {
    a_panicking_waker_among_waiters().await;
}

#[goro::test(worker_threads = 4, timeout_ms = 30_000)]
async fn a_panicking_waker_among_waiters_on_four_workers() {
    a_panicking_waker_among_waiters().await;
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
    assert_send(&socket.readable());
    assert_send(&socket.writable());
    assert_send(&socket.peek_from(&mut buf));
    assert_send(&goro::net::lookup_host("localhost:1"));
}

/// A receiver on `readable` + `try_recv_from` answers 100 datagrams sent with `writable` +
/// `try_send_to`.
async fn readable_try_recv_from_writable_try_send_to() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b_addr = b.local_addr().unwrap();
    let receiver = goro::spawn(async move {
        let mut got = Vec::new();
        let mut buf = [0; 64];
        while got.len() < 100 {
            b.readable().await?;
            match b.try_recv_from(&mut buf) {
                Ok((n, _)) => got.push(buf[..n].to_vec()),
                Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(got)
    });
    for i in 0..100u32 {
        let message = i.to_be_bytes();
        loop {
            a.writable().await.unwrap();
            match a.try_send_to(&message, b_addr) {
                Ok(n) => break assert_eq!(n, 4),
                Err(err) if err.kind() == ErrorKind::WouldBlock => continue,
                Err(err) => panic!("try_send_to: {err}"),
            }
        }
        if i % 10 == 9 {
            goro::yield_now().await; // let the receiver keep up: loopback drops on overflow
        }
    }
    let got = within(10, "the receiver", receiver).await.unwrap().unwrap();
    let expected: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(got, expected);
}

/// Three tasks wait in `peek_from`: one datagram wakes them all, each sees it, and it is
/// still there for `recv_from`.
async fn peek_from_leaves_the_datagram_for_several_peekers() {
    let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let (peekers, polled) = spawn_counted(3, || {
        let socket = socket.clone();
        async move {
            let mut buf = [0; 64];
            let (n, from) = socket.peek_from(&mut buf).await?;
            Ok::<_, std::io::Error>((buf[..n].to_vec(), from))
        }
    });
    wait_polled(&polled).await;
    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sender
        .send_to(b"seen by all", socket.local_addr().unwrap())
        .await
        .unwrap();
    for peeker in peekers {
        let (seen, from) = within(10, "every peeker", peeker).await.unwrap().unwrap();
        assert_eq!(
            (&seen[..], from),
            (&b"seen by all"[..], sender.local_addr().unwrap())
        );
    }
    let mut buf = [0; 64];
    let (n, _) = socket.try_recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"seen by all");
}

async fn options_round_trip() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for on in [true, false] {
        socket.set_broadcast(on).unwrap();
        assert_eq!(socket.broadcast().unwrap(), on);
        socket.set_multicast_loop_v4(on).unwrap();
        assert_eq!(socket.multicast_loop_v4().unwrap(), on);
    }
    socket.set_ttl(9).unwrap();
    assert_eq!(socket.ttl().unwrap(), 9);
    socket.set_multicast_ttl_v4(3).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 3);
    if let Ok(v6) = UdpSocket::bind("[::1]:0").await {
        for on in [false, true] {
            v6.set_multicast_loop_v6(on).unwrap();
            assert_eq!(v6.multicast_loop_v6().unwrap(), on);
        }
    }
}

/// A member of a group on the loopback interface receives what is sent to the group; after
/// leaving it is no member (a second leave is an error). The sender's multicast goes out
/// on the loopback interface with a TTL of 0: it never leaves the machine.
async fn multicast_v4_on_loopback() {
    let group = Ipv4Addr::new(
        239,
        255,
        77,
        1 + goro::Handle::current().worker_threads() as u8,
    );
    let member = UdpSocket::bind("0.0.0.0:0").await.unwrap();
    member
        .join_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    let port = member.local_addr().unwrap().port();

    let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket2::SockRef::from(&sender)
        .set_multicast_if_v4(&Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.set_multicast_ttl_v4(0).unwrap();
    sender
        .send_to(b"to the group", (group, port))
        .await
        .unwrap();
    let mut buf = [0; 64];
    let (n, from) = within(10, "the multicast datagram", member.recv_from(&mut buf))
        .await
        .unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"to the group"[..], sender.local_addr().unwrap())
    );

    member
        .leave_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    assert!(
        member
            .leave_multicast_v4(group, Ipv4Addr::LOCALHOST)
            .is_err(),
        "still a member after leaving"
    );
    let not_a_group = member.join_multicast_v4(Ipv4Addr::new(10, 1, 2, 3), Ipv4Addr::LOCALHOST);
    assert!(not_a_group.is_err(), "joined a unicast address as a group");
}

/// An IPv6 group joined and left on the loopback interface (by its index), where the
/// machine has IPv6 and a `lo`.
async fn multicast_v6_join_and_leave() {
    let Ok(index) = std::fs::read_to_string("/sys/class/net/lo/ifindex") else {
        return;
    };
    let lo: u32 = index.trim().parse().unwrap();
    let Ok(member) = UdpSocket::bind("[::]:0").await else {
        return;
    };
    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 0x77);
    member.join_multicast_v6(&group, lo).unwrap();
    member.leave_multicast_v6(&group, lo).unwrap();
    assert!(
        member.leave_multicast_v6(&group, lo).is_err(),
        "still a member after leaving"
    );
}
