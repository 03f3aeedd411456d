//! Socket control, on loopback: `TcpSocket` (options carried over to the listener and the
//! stream, `SO_REUSEPORT`, a zero linger that resets, a bound client, errors), a stream's
//! readiness calls (`readable`/`try_read`, `writable`/`try_write`: `WouldBlock` clearing
//! readiness, every waiter woken, a cancelled wait losing nothing, the peer's close
//! readable, by the bodies every stream type shares in `net_support/readiness.rs`; then
//! `peek`, and a UDP socket's `WouldBlock`), `ttl`, and the hand-over to and from `std`
//! (nonblocking mode set on the way in and kept on the way out, the same descriptor) with
//! `AsRawFd`/`AsFd` on every socket. Every wait is bounded.

#[macro_use]
mod net_support;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpSocket, TcpStream, UdpSocket, UnixListener, UnixStream};
use net_support::{assert_send, assert_send_sync, readiness, spawn_counted, wait_polled, within};
use socket2::SockRef;
use std::io::{self, ErrorKind, Read};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::time::Duration;
use tokio_test::assert_pending;

on_1_and_4_workers! {
    tcp_socket_options_carry_over,
    reuseport_lets_two_listeners_share_a_port,
    zero_linger_resets_the_connection,
    a_bound_client_leaves_from_its_address,
    tcp_socket_errors_are_the_os_answers,
    readable_and_try_read_move_a_large_transfer,
    would_block_clears_readiness,
    a_cancelled_readable_loses_nothing,
    every_task_waiting_readable_is_woken,
    writable_waits_for_room_after_try_write_fills_the_buffer,
    the_peers_close_is_readable,
    peek_leaves_the_data_for_several_peekers,
    ttl_round_trip,
    from_std_switches_to_nonblocking,
    into_std_keeps_nonblocking_and_the_descriptor,
    unix_sockets_to_std_and_back,
}

/// A connected pair on loopback: (client, server).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = within(10, "accept", listener.accept()).await.unwrap();
    (client, server)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Options set on a `TcpSocket` are the listener's and the stream's after `listen` and
/// `connect`; bytes flow both ways.
async fn tcp_socket_options_carry_over() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.set_recv_buffer_size(256 * 1024).unwrap();
    socket.bind(loopback()).unwrap();
    let bound = socket.local_addr().unwrap();
    let listener = socket.listen(16).unwrap();
    assert_eq!(listener.local_addr().unwrap(), bound);
    assert!(SockRef::from(&listener).reuse_address().unwrap());

    let socket = TcpSocket::new_v4().unwrap();
    socket.set_keepalive(true).unwrap();
    socket.set_nodelay(true).unwrap();
    socket.set_send_buffer_size(128 * 1024).unwrap();
    let chosen = socket.send_buffer_size().unwrap();
    let mut client = within(10, "connect", socket.connect(bound)).await.unwrap();
    let (mut server, peer) = within(10, "accept", listener.accept()).await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    let options = SockRef::from(&client);
    assert!(options.keepalive().unwrap());
    assert!(client.nodelay().unwrap());
    assert_eq!(options.send_buffer_size().unwrap() as u32, chosen);

    client.write_all(b"over a TcpSocket").await.unwrap();
    let mut got = [0; 16];
    server.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"over a TcpSocket");
    server.write_all(b"back").await.unwrap();
    let mut back = [0; 4];
    client.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"back");
}

/// Two sockets with `SO_REUSEPORT` listen on one port, and both serve connections; without
/// it, the second bind is refused.
async fn reuseport_lets_two_listeners_share_a_port() {
    let listen = |addr: SocketAddr, reuseport: bool| -> io::Result<TcpListener> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseport(reuseport)?;
        assert_eq!(socket.reuseport()?, reuseport);
        socket.bind(addr)?;
        socket.listen(64)
    };
    let first = Arc::new(listen(loopback(), true).unwrap());
    let addr = first.local_addr().unwrap();
    let second = Arc::new(listen(addr, true).unwrap());
    assert_eq!(second.local_addr().unwrap(), addr);
    let refused = listen(addr, false).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::AddrInUse);

    // Connections are spread by the kernel (by a hash of the client's port): connect until
    // each listener has accepted one.
    let mut accepted = [false, false];
    let mut clients = Vec::new();
    for _ in 0..200 {
        clients.push(TcpStream::connect(addr).await.unwrap());
        for (i, listener) in [&first, &second].into_iter().enumerate() {
            let listener = listener.clone();
            if let Ok(Ok(_)) =
                goro::time::timeout(Duration::from_millis(20), listener.accept()).await
            {
                accepted[i] = true;
            }
        }
        if accepted == [true, true] {
            return;
        }
    }
    panic!("the two listeners did not both accept: {accepted:?}");
}

/// A zero linger makes closing a reset: the peer reads `ConnectionReset` instead of the end.
async fn zero_linger_resets_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
    let client = socket
        .connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = within(10, "accept", listener.accept()).await.unwrap();
    drop(client);
    let mut buf = [0; 8];
    let err = within(10, "the reset", server.read(&mut buf))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}

/// A client socket bound before `connect` leaves from that address.
async fn a_bound_client_leaves_from_its_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(loopback()).unwrap();
    let local = socket.local_addr().unwrap();
    assert_ne!(local.port(), 0);
    let client = socket
        .connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    assert_eq!(client.local_addr().unwrap(), local);
    let (_, peer) = within(10, "accept", listener.accept()).await.unwrap();
    assert_eq!(peer, local);
}

/// Errors come from the OS, unchanged: a refused connect, an address of the wrong family,
/// an address in use.
async fn tcp_socket_errors_are_the_os_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = TcpSocket::new_v4().unwrap().connect(addr).await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::ConnectionRefused);

    let v4 = TcpSocket::new_v4().unwrap();
    assert!(v4.bind("[::1]:0".parse().unwrap()).is_err());

    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    let err = socket.bind(taken.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);

    if let Ok(v6) = TcpSocket::new_v6()
        && v6.bind("[::1]:0".parse().unwrap()).is_ok()
    {
        let listener = v6.listen(4).unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert!(stream.peer_addr().unwrap().is_ipv6());
    }
}

/// Outside a runtime a `TcpSocket` can be made and configured, but `listen` and `connect`
/// answer an error that says where to call them.
#[test]
fn listen_and_connect_outside_a_runtime_say_what_to_do() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(loopback()).unwrap();
    let err = socket.listen(4).unwrap_err();
    assert!(err.to_string().contains("no goro runtime"), "{err}");

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    let connect = socket.connect(std_listener.local_addr().unwrap());
    let err = futures::executor::block_on(connect).unwrap_err();
    assert!(err.to_string().contains("no goro runtime"), "{err}");
}

/// 4 MiB, see [`readiness::readable_and_try_read_move`].
async fn readable_and_try_read_move_a_large_transfer() {
    readiness::readable_and_try_read_move(pair().await, 4 << 20).await
}

/// [`readiness::would_block_clears_readiness`], then the same for `try_recv_from` on a UDP
/// socket.
async fn would_block_clears_readiness() {
    readiness::would_block_clears_readiness(pair().await).await;

    let mut buf = [0; 64];
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(b"one", udp.local_addr().unwrap())
        .await
        .unwrap();
    within(10, "udp readable", udp.readable()).await.unwrap();
    assert_eq!(udp.try_recv_from(&mut buf).unwrap().0, 3);
    assert_eq!(
        udp.try_recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let mut readable = tokio_test::task::spawn(udp.readable());
    assert_pending!(
        readable.poll(),
        "a UDP socket's readable answered at once after a WouldBlock"
    );
}

async fn a_cancelled_readable_loses_nothing() {
    readiness::a_cancelled_readable_loses_nothing(pair().await).await
}

async fn every_task_waiting_readable_is_woken() {
    readiness::every_task_waiting_readable_is_woken(pair().await).await
}

async fn writable_waits_for_room_after_try_write_fills_the_buffer() {
    readiness::writable_waits_for_room_after_try_write_fills_the_buffer(pair().await).await
}

async fn the_peers_close_is_readable() {
    readiness::the_peers_close_is_readable(pair().await).await
}

/// `peek` shows the data without taking it, to several tasks peeking at once; a read then
/// takes it.
async fn peek_leaves_the_data_for_several_peekers() {
    let (client, mut server) = pair().await;
    let client = Arc::new(client);
    let (peekers, polled) = spawn_counted(3, || {
        let client = client.clone();
        async move {
            let mut buf = [0; 4];
            let n = client.peek(&mut buf).await?;
            Ok::<_, io::Error>(buf[..n].to_vec())
        }
    });
    wait_polled(&polled).await;
    server.write_all(b"peek").await.unwrap();
    for peeker in peekers {
        let seen = within(10, "every peeker", peeker).await.unwrap().unwrap();
        assert!(b"peek".starts_with(&seen) && !seen.is_empty(), "{seen:?}");
    }
    let mut buf = [0; 4];
    (&*client).read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"peek");
}

async fn ttl_round_trip() {
    let (client, _server) = pair().await;
    client.set_ttl(17).unwrap();
    assert_eq!(client.ttl().unwrap(), 17);
    assert_eq!(SockRef::from(&client).ttl_v4().unwrap(), 17);
}

/// `from_std` takes sockets in blocking mode and makes them nonblocking (as every goro
/// socket must be); a read on such a stream then waits as a task.
async fn from_std_switches_to_nonblocking() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let std_client = std::net::TcpStream::connect(addr).unwrap();
    assert!(!SockRef::from(&std_client).nonblocking().unwrap());
    let listener = TcpListener::from_std(std_listener).unwrap();
    let client = TcpStream::from_std(std_client).unwrap();
    assert!(SockRef::from(&listener).nonblocking().unwrap());
    assert!(SockRef::from(&client).nonblocking().unwrap());
    let (mut server, _) = within(10, "accept", listener.accept()).await.unwrap();

    let reader = goro::spawn(async move {
        let mut client = client;
        let mut buf = [0; 5];
        client.read_exact(&mut buf).await.map(|_| buf)
    });
    goro::time::sleep(Duration::from_millis(10)).await;
    server.write_all(b"later").await.unwrap();
    let got = within(10, "the read", reader).await.unwrap().unwrap();
    assert_eq!(&got, b"later");

    let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp = UdpSocket::from_std(std_udp).unwrap();
    assert!(SockRef::from(&udp).nonblocking().unwrap());
}

/// `into_std` hands over the same descriptor, still nonblocking (as tokio documents), and
/// deregistered: `from_std` takes it back into goro.
async fn into_std_keeps_nonblocking_and_the_descriptor() {
    let (client, mut server) = pair().await;
    let fd = client.as_raw_fd();
    assert_eq!(client.as_fd().as_raw_fd(), fd);
    let mut std_client = client.into_std().unwrap();
    assert_eq!(std_client.as_raw_fd(), fd);
    assert!(SockRef::from(&std_client).nonblocking().unwrap());
    let mut buf = [0; 4];
    assert_eq!(
        std_client.read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let mut client = TcpStream::from_std(std_client).unwrap();
    server.write_all(b"back").await.unwrap();
    within(
        10,
        "a read after the round trip",
        client.read_exact(&mut buf),
    )
    .await
    .unwrap();
    assert_eq!(&buf, b"back");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fd = listener.as_raw_fd();
    let std_listener = listener.into_std().unwrap();
    assert_eq!(std_listener.as_raw_fd(), fd);
    assert!(SockRef::from(&std_listener).nonblocking().unwrap());

    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let fd = udp.as_fd().as_raw_fd();
    let std_udp = udp.into_std().unwrap();
    assert_eq!(std_udp.as_raw_fd(), fd);
    assert!(SockRef::from(&std_udp).nonblocking().unwrap());

    let socket = TcpSocket::new_v4().unwrap();
    assert!(socket.as_raw_fd() >= 0);
    assert!(SockRef::from(&socket).nonblocking().unwrap());
}

/// Unix streams and listeners go to `std` and back with their descriptors.
async fn unix_sockets_to_std_and_back() {
    let (a, b) = UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    let std_a = a.into_std().unwrap();
    assert_eq!(std_a.as_raw_fd(), fd);
    assert!(SockRef::from(&std_a).nonblocking().unwrap());
    let mut a = UnixStream::from_std(std_a).unwrap();
    let mut b = b;
    a.write_all(b"unix").await.unwrap();
    let mut buf = [0; 4];
    within(10, "read", b.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"unix");

    let path = std::env::temp_dir().join(format!(
        "goro-net-socket-{}-{}.sock",
        std::process::id(),
        goro::Handle::current().worker_threads()
    ));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let fd = listener.as_fd().as_raw_fd();
    let std_listener = listener.into_std().unwrap();
    assert_eq!(std_listener.as_raw_fd(), fd);
    assert!(SockRef::from(&std_listener).nonblocking().unwrap());
    let listener = UnixListener::from_std(std_listener).unwrap();
    let _client = UnixStream::connect(&path).await.unwrap();
    within(10, "accept", listener.accept()).await.unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[goro::test]
async fn socket_futures_are_send() {
    assert_send_sync::<TcpSocket>();
    let (client, _server) = pair().await;
    let mut buf = [0; 8];
    assert_send(&client.readable());
    assert_send(&client.writable());
    assert_send(&client.peek(&mut buf));
    assert_send(&TcpSocket::new_v4().unwrap().connect(loopback()));
    assert_send(&TcpStream::connect("localhost:1"));
}
