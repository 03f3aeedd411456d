//! `lookup_host`: name resolution on the blocking pool.
//!
//! The system resolver (`getaddrinfo`) blocks: it may read files, or ask a DNS server and
//! wait seconds for the answer. On a worker that would stall every task queued there, so:
//! 1. The value is sorted ([`Target`]): IP addresses are answered at once, malformed
//!    strings are refused at once; neither leaves the calling task.
//! 2. A name goes to the runtime's blocking pool (as [`spawn_blocking`](crate::spawn_blocking)
//!    does) with an owned copy of the host, where `std`'s resolver runs; the task waits for
//!    the answer like for any `JoinHandle`, and the worker runs other tasks meanwhile.
//! 3. The answer's error, if any, is std's with the name added, so that it says what could
//!    not be resolved. An empty answer is an error too: nothing to connect to.
//!
//! Dropping the future while the lookup runs detaches it: the pool thread finishes the
//! lookup and drops the answer.

use super::to_socket_addrs::{Target, ToSocketAddrs};
use crate::runtime::NO_RUNTIME;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// Resolves `host` to socket addresses, off the workers: Go's `net.LookupHost` with a port,
/// tokio's `lookup_host`.
///
/// `host` is anything [`ToSocketAddrs`](super::ToSocketAddrs) takes: `"host:port"`,
/// `(host, port)`, a `SocketAddr`, ... An IP address is answered at once. A host name is
/// resolved by the system resolver on the runtime's blocking pool, so that a slow lookup
/// never stalls the worker's other tasks. The sockets' constructors
/// ([`TcpStream::connect`](super::TcpStream::connect), [`TcpListener::bind`](super::TcpListener::bind),
/// [`UdpSocket::bind`](super::UdpSocket::bind), ...) resolve names through it.
///
/// # Errors
/// - `InvalidInput` at once for a string that is not `host:port` (no port, a port that is
///   not a number) or has an empty host;
/// - the resolver's error, with the name it could not resolve, e.g. for an unknown host;
/// - an error if it is awaited outside a goro runtime and has a name to look up (there is
///   no blocking pool to run it on), or if the runtime shuts down during the lookup.
///
/// ```
/// use goro::net::lookup_host;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     // A name: resolved on the blocking pool.
///     let addrs: Vec<_> = lookup_host("localhost:8080").await?.collect();
///     assert!(addrs.iter().all(|addr| addr.ip().is_loopback() && addr.port() == 8080));
///
///     // An IP address: no lookup at all.
///     let addrs: Vec<_> = lookup_host(("127.0.0.1", 53)).await?.collect();
///     assert_eq!(addrs, ["127.0.0.1:53".parse().unwrap()]);
///
///     let err = lookup_host("localhost").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput); // no port
///     Ok(())
/// })
/// # }
/// ```
pub async fn lookup_host(
    host: impl ToSocketAddrs,
) -> io::Result<impl Iterator<Item = SocketAddr> + fmt::Debug> {
    let addrs = match host.target() {
        Target::One(addr) => Addrs::One(Some(addr)),
        Target::Many(addrs) => Addrs::Many(addrs.into_iter()),
        Target::Name(name, port) => Addrs::Many(resolve_on_pool(name, port).await?.into_iter()),
        Target::Invalid(err) => return Err(err),
    };
    Ok(addrs)
}

/// Runs the system resolver for `name`, `port` on the current runtime's blocking pool.
async fn resolve_on_pool(name: String, port: u16) -> io::Result<Vec<SocketAddr>> {
    let handle = crate::Handle::try_current()
        .ok_or_else(|| io::Error::other(format!("looking up `{name}:{port}`: {NO_RUNTIME}")))?;
    let lookup = handle.spawn_blocking(move || {
        let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
            .map_err(|err| io::Error::new(err.kind(), format!("looking up `{name}`: {err}")))?;
        let addrs: Vec<SocketAddr> = addrs.collect();
        if addrs.is_empty() {
            return Err(io::Error::other(format!(
                "looking up `{name}`: the name has no addresses"
            )));
        }
        Ok(addrs)
    });
    lookup.await.map_err(|err| {
        io::Error::other(format!(
            "the name lookup on the blocking pool did not finish: {err}"
        ))
    })?
}

/// The addresses [`lookup_host`] answers.
#[derive(Debug)]
enum Addrs {
    One(Option<SocketAddr>),
    Many(std::vec::IntoIter<SocketAddr>),
}

impl Iterator for Addrs {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match self {
            Addrs::One(addr) => addr.take(),
            Addrs::Many(addrs) => addrs.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Addrs::One(addr) => {
                let len = usize::from(addr.is_some());
                (len, Some(len))
            }
            Addrs::Many(addrs) => addrs.size_hint(),
        }
    }
}
