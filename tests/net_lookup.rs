//! Name resolution off the workers: `lookup_host` resolves a host name on the blocking pool
//! (and an IP address without it), the sockets' constructors resolve names through it, and
//! bad input gets a clear error at once. Names used: `localhost` only (the hosts file), so
//! nothing leaves the machine.

#[macro_use]
mod net_support;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpStream, UdpSocket, lookup_host};
use net_support::within;
use std::io::ErrorKind;
use std::net::SocketAddr;

on_1_and_4_workers! {
    names_and_addresses_resolve,
    sockets_take_host_names,
    malformed_addresses_are_refused_with_a_clear_error,
}

/// A runtime of its own, so that its blocking pool starts empty.
fn fresh_runtime() -> goro::Runtime {
    goro::Builder::new().worker_threads(1).build().unwrap()
}

/// An IP address needs no pool thread; a name is resolved on one: the pool has a thread
/// after the lookup (it stays idle for its keep-alive time), the worker never ran the
/// system resolver.
#[test]
fn a_name_is_looked_up_on_the_blocking_pool() {
    let runtime = fresh_runtime();
    let pool_threads = || runtime.metrics().blocking_threads;
    let addrs: Vec<SocketAddr> = runtime
        .block_on(async { lookup_host("127.0.0.1:8080").await.map(Iterator::collect) })
        .unwrap();
    assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
    assert_eq!(pool_threads(), 0, "an IP address went to the blocking pool");

    let addrs: Vec<SocketAddr> = runtime
        .block_on(
            runtime.spawn(async { lookup_host("localhost:8080").await.map(Iterator::collect) }),
        )
        .unwrap()
        .unwrap();
    assert!(!addrs.is_empty());
    assert!(
        addrs
            .iter()
            .all(|addr| addr.ip().is_loopback() && addr.port() == 8080),
        "{addrs:?}"
    );
    assert_eq!(
        pool_threads(),
        1,
        "the name was not resolved on the blocking pool"
    );
}

/// `TcpStream::connect` with a name resolves it on the blocking pool too.
#[test]
fn connect_resolves_names_on_the_blocking_pool() {
    let runtime = fresh_runtime();
    runtime
        .block_on(runtime.spawn(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            assert_eq!(goro::Handle::current().metrics().blocking_threads, 0);
            let stream = TcpStream::connect(format!("localhost:{port}")).await;
            // `localhost` may name `::1` first, where nobody listens: then 127.0.0.1 is tried.
            assert_eq!(stream.unwrap().peer_addr().unwrap().port(), port);
            assert_eq!(
                goro::Handle::current().metrics().blocking_threads,
                1,
                "the name was not resolved on the blocking pool"
            );
        }))
        .unwrap();
}

async fn names_and_addresses_resolve() {
    let v6: Vec<SocketAddr> = lookup_host(("::1", 443)).await.unwrap().collect();
    assert_eq!(v6, ["[::1]:443".parse().unwrap()]);
    let many = [
        "127.0.0.1:1".parse().unwrap(),
        "127.0.0.1:2".parse().unwrap(),
    ];
    let got: Vec<SocketAddr> = lookup_host(&many[..]).await.unwrap().collect();
    assert_eq!(got, many);
    let names: Vec<SocketAddr> = within(10, "a lookup", lookup_host(("localhost", 80)))
        .await
        .unwrap()
        .collect();
    assert!(names.iter().all(|addr| addr.ip().is_loopback()));
}

/// Every constructor that takes an address takes a name: TCP bind and connect, UDP bind,
/// connect and send_to.
async fn sockets_take_host_names() {
    let listener = TcpListener::bind("localhost:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ip = listener.local_addr().unwrap().ip();
    let mut client = TcpStream::connect((ip.to_string(), port)).await.unwrap();
    let (mut server, _) = within(10, "accept", listener.accept()).await.unwrap();
    client.write_all(b"name").await.unwrap();
    let mut buf = [0; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"name");

    let a = UdpSocket::bind("localhost:0").await.unwrap();
    let b = UdpSocket::bind(("localhost", 0)).await.unwrap();
    let b_port = b.local_addr().unwrap().port();
    let a_port = a.local_addr().unwrap().port();
    assert_eq!(
        a.local_addr().unwrap().is_ipv4(),
        b.local_addr().unwrap().is_ipv4()
    );
    let b_host = if b.local_addr().unwrap().is_ipv4() {
        "127.0.0.1"
    } else {
        "::1"
    };
    let sent = a.send_to(b"datagram", (b_host, b_port)).await.unwrap();
    assert_eq!(sent, 8);
    let mut buf = [0; 16];
    let (n, from) = within(10, "recv_from", b.recv_from(&mut buf))
        .await
        .unwrap();
    assert_eq!((&buf[..n], from.port()), (&b"datagram"[..], a_port));
    b.connect(format!("localhost:{a_port}")).await.unwrap();
    assert_eq!(b.peer_addr().unwrap().port(), a_port);
}

/// Bad input is an `InvalidInput` error at once that names it and says what is expected;
/// an empty list of addresses is std's "could not resolve" error.
async fn malformed_addresses_are_refused_with_a_clear_error() {
    for (input, says) in [
        ("localhost", "has no port"),
        ("localhost:port", "is not a number"),
        ("localhost:65536", "is not a number"),
        (":80", "has no host"),
    ] {
        let err = match lookup_host(input).await {
            Ok(addrs) => panic!("{input} resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input}: {err}");
        let message = err.to_string();
        assert!(
            message.contains(input) && message.contains(says),
            "{message}"
        );
        let err = TcpStream::connect(input).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{input}: {err}");
    }
    let nothing: &[SocketAddr] = &[];
    let err = TcpStream::connect(nothing).await.unwrap_err();
    assert!(err.to_string().contains("could not resolve"), "{err}");
}

/// Outside a runtime an IP address still resolves (no pool needed), and a name answers an
/// error that says where to call it, instead of a panic or a hang.
#[test]
fn a_name_outside_a_runtime_says_what_to_do() {
    let addrs: Vec<SocketAddr> = futures::executor::block_on(lookup_host("127.0.0.1:1"))
        .unwrap()
        .collect();
    assert_eq!(addrs, ["127.0.0.1:1".parse().unwrap()]);
    let err = match futures::executor::block_on(lookup_host("localhost:1")) {
        Ok(_) => panic!("a name resolved outside a runtime"),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(
        message.contains("localhost:1") && message.contains("no goro runtime"),
        "{message}"
    );
}
