//! Address resolution shared by the sockets: `ToSocketAddrs` into a list, and "try each
//! address, report the last error" as `std` does it.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr`, failing if it names no address at all.
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(no_addresses());
    }
    Ok(addrs)
}

/// The first address `addr` resolves to (what a datagram is sent to).
pub(crate) fn resolve_first(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(no_addresses)
}

/// Runs `op` on each address until one succeeds; the last error if none does.
pub(crate) fn try_each<T>(
    addr: impl ToSocketAddrs,
    mut op: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in resolve(addr)? {
        match op(addr) {
            Ok(value) => return Ok(value),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

/// `std`'s error for an address that resolves to nothing.
pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}
