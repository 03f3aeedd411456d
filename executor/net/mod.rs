//! Networking: TCP, UDP and Unix domain sockets on the runtime's reactor.
//!
//! Every socket here is a nonblocking OS socket registered with the mio reactor of the
//! runtime it was created in, so it must be created inside a runtime (in `goro::run`, a task,
//! `block_on`, or a `#[goro::main]`/`#[goro::test]` function); outside one, the constructors
//! answer an `io::Error` that says so. Byte streams ([`TcpStream`], [`UnixStream`] and the
//! TCP halves) implement [`futures::io::AsyncRead`] and [`futures::io::AsyncWrite`], so the
//! extension traits `AsyncReadExt`/`AsyncWriteExt` of the `futures` crate give them
//! `read`, `read_exact`, `write_all`, `close` and the rest.
//!
//! ```
//! use futures::io::{AsyncReadExt, AsyncWriteExt};
//! use goro::net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! goro::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = goro::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         stream.read_exact(&mut buf).await?;
//!         stream.write_all(&buf).await // echo it back
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut echoed = [0; 5];
//!     client.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     server.await.unwrap()
//! })
//! # }
//! ```
//!
//! ## Waiting and fairness
//! An operation the socket cannot serve yet (the OS answers `WouldBlock`) waits until the
//! reactor reports the socket ready in its direction, then tries again; a readiness that
//! arrives while it is trying is never lost. Every ready operation spends one unit of the
//! task's cooperative budget, so a task reading in a loop from a socket that always has
//! data yields to its neighbours (and to the timers) after a bounded number of operations,
//! even on a one-worker runtime.
//!
//! ## Sharing and dropping
//! All operations take `&self`: one task may read while another writes the same socket.
//! - The futures of [`TcpListener::accept`], [`UnixListener::accept`], [`TcpStream`]'s
//!   `readable`, `writable` and `peek`, and [`UdpSocket`]'s `send_to`, `recv_from`, `send`,
//!   `recv`, `peek_from`, `readable` and `writable` may be awaited by several tasks at once
//!   on one socket (share it in an `Arc`): each direction keeps a list of its
//!   waiters, and readiness wakes every one of them. Each then tries its operation; those
//!   that find nothing (another task took the connection or the datagram) wait again. A
//!   future dropped while it waits leaves the list: cancelling costs nothing later.
//! - A byte stream's `AsyncRead`/`AsyncWrite` (`poll_read`, `poll_write`, also through
//!   `&TcpStream` and the halves) keep one waiting slot per direction, as tokio's `poll_*`
//!   methods do: when two tasks poll to read the same stream (or to write it) at once, only
//!   the last one to poll is woken, and the other may wait for ever. Give each direction
//!   of a stream to one task at a time; that is what makes a round trip cheap.
//!
//! Dropping a socket deregisters it and closes it; a task still waiting on it (through a
//! reference or a half) cannot exist, since the borrow or the `Arc` keeps the socket alive.
//! A socket that outlives its runtime answers an error to every operation instead of
//! hanging: when the runtime shuts down, every task waiting on one of its sockets is woken
//! with that error.
//!
//! ## Addresses
//! Functions that take an address take a [`ToSocketAddrs`]: the same values as std's trait
//! of that name (`"host:port"`, `(host, port)`, a `SocketAddr`, ...). They try each address
//! it resolves to in turn, as `std` does, and report the last error. An IP address is used
//! at once; a host name is resolved by [`lookup_host`], which runs the system resolver on
//! the runtime's blocking pool, so that a slow lookup never blocks a worker.
//!
//! ## Readiness and `try_*`
//! Besides `AsyncRead`/`AsyncWrite`, a [`TcpStream`] and a [`UdpSocket`] offer tokio's
//! lower-level style: await `readable()` or `writable()`, then call a `try_*` operation
//! (`try_read`, `try_write`, `try_recv_from`, `try_send_to`), which never waits and answers
//! `WouldBlock` when the socket has nothing for it. That answer also forgets the socket's
//! readiness, so the next `readable()`/`writable()` waits for a new event. The waits are
//! shared: several tasks may await them on one socket.
//!
//! ## Options and `std`
//! [`TcpSocket`] sets options before a TCP socket binds, listens or connects. Every socket
//! converts from `std` (`from_std`, which switches it to nonblocking mode) and back
//! (`into_std`, which leaves it in nonblocking mode, as tokio does).
//!
//! ## File descriptors
//! Every socket implements [`AsRawFd`](std::os::fd::AsRawFd) and [`AsFd`](std::os::fd::AsFd)
//! (on Unix), for options goro does not wrap: set them through the borrowed descriptor,
//! e.g. with socket2's `SockRef`. The descriptor stays the goro socket's: do not close it,
//! and leave reading and writing to the socket, which keeps the reactor informed.
//!
//! ```
//! use goro::net::TcpListener;
//! use std::os::fd::AsRawFd;
//!
//! # fn main() -> std::io::Result<()> {
//! goro::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     assert!(listener.as_raw_fd() >= 0);
//!     let socket = socket2::SockRef::from(&listener); // borrows the descriptor
//!     socket.set_ttl_v4(32)?;
//!     assert_eq!(socket.ttl_v4()?, 32);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! ## Errors
//! Failures from the OS come back unchanged as [`std::io::Error`]: `ConnectionRefused`,
//! `AddrInUse`, `ConnectionReset`, `BrokenPipe`, and so on.

mod addr;
mod fd;
mod lookup_host;
mod stream_io;
pub mod tcp;
mod to_socket_addrs;
mod udp;
#[cfg(unix)]
mod unix;

pub use lookup_host::lookup_host;
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use to_socket_addrs::ToSocketAddrs;
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixListener, UnixStream};

pub(crate) use fd::impl_as_fd;
