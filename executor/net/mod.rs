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
//! ## How an operation waits
//! mio reports readiness edge-triggered: "this socket became readable", once. Each socket's
//! registration remembers the edge until an operation meets `WouldBlock`. So an operation:
//! 1. waits until the registration says the socket is ready in its direction (read or
//!    write), which costs one unit of the task's cooperative budget;
//! 2. makes the system call;
//! 3. on `WouldBlock`, forgets the readiness and goes back to 1; otherwise its answer
//!    (bytes moved, or the OS error) is the result.
//!
//! A stream read that fills less than the buffer, or a write that takes less than it was
//! given, also forgets the readiness: the kernel had no more, so the next call would only
//! answer `WouldBlock` (a saved system call per message; an edge that arrives meanwhile is
//! never lost, see `reactor/io.rs`).
//!
//! ## Fairness
//! Because every ready operation spends budget, a task reading in a loop from a socket that
//! always has data yields to its neighbours (and to the timers) after a bounded number of
//! operations, even on a one-worker runtime.
//!
//! ## Sharing and dropping
//! All operations take `&self`: one task may read while another writes the same socket.
//! - The futures of [`TcpListener::accept`], [`UnixListener::accept`] and
//!   [`UdpSocket`]'s `send_to`, `recv_from`, `send` and `recv` may be awaited by several
//!   tasks at once on one socket (share it in an `Arc`): each direction keeps a list of its
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
//! Functions that take [`std::net::ToSocketAddrs`] try each resolved address in turn, as
//! `std` does, and report the last error. A host name (as opposed to an IP address) is
//! resolved by the system resolver on the calling worker, which blocks it for the duration
//! of the lookup; resolve names ahead of time with [`crate::spawn_blocking`] if that matters.
//!
//! ## Errors
//! Failures from the OS come back unchanged as [`std::io::Error`]: `ConnectionRefused`,
//! `AddrInUse`, `ConnectionReset`, `BrokenPipe`, and so on.

mod addr;
mod stream_io;
pub mod tcp;
mod udp;
#[cfg(unix)]
mod unix;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixListener, UnixStream};
