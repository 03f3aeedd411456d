//! Address resolution shared by the sockets: a [`ToSocketAddrs`] value into addresses
//! (names through [`lookup_host`], off the workers), and "try each address, report the last
//! error" as `std` does it.

use super::{ToSocketAddrs, lookup_host};
use std::io;
use std::net::SocketAddr;

/// The first address `addr` resolves to (what a datagram is sent to).
pub(crate) async fn resolve_first(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    lookup_host(addr).await?.next().ok_or_else(no_addresses)
}

/// Runs `op` on each address `addr` resolves to until one succeeds; the last error if none
/// does.
pub(crate) async fn try_each<T>(
    addr: impl ToSocketAddrs,
    mut op: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in lookup_host(addr).await? {
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
