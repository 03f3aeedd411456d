//! `ToSocketAddrs`: what a socket may be bound or connected to, sorted into addresses known at
//! once and names that need a lookup.
//!
//! The trait takes the same values as [`std::net::ToSocketAddrs`], but it is goro's own (and
//! sealed) for one reason: std's `to_socket_addrs()` resolves a host name right there, on the
//! calling thread, which on a worker stalls every task queued behind it. Here each value
//! tells which of three it is ([`Target`]):
//! 1. an IP address with a port (`SocketAddr`, `(IpAddr, u16)`, `"127.0.0.1:80"`,
//!    `("::1", 80)`): the addresses, at once;
//! 2. a host name with a port (`"localhost:80"`, `("example.com", 443)`): a name, which
//!    [`lookup_host`](super::lookup_host) resolves on the blocking pool;
//! 3. a string that is neither (no port, a bad port): an `InvalidInput` error at once, with
//!    no trip to the pool.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Something that names socket addresses: what [`TcpStream::connect`](super::TcpStream::connect),
/// [`TcpListener::bind`](super::TcpListener::bind), [`UdpSocket`](super::UdpSocket)'s
/// `bind`, `connect` and `send_to`, and [`lookup_host`](super::lookup_host) take.
///
/// It is implemented for the types `std::net::ToSocketAddrs` is: [`SocketAddr`],
/// [`SocketAddrV4`], [`SocketAddrV6`], `(IpAddr, u16)`, `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`,
/// `&[SocketAddr]`, `str` and `String` (`"host:port"`), `(&str, u16)` and `(String, u16)`,
/// and references to them. IP addresses are used as they are; a host name is looked up on
/// the runtime's blocking pool, so that the lookup never blocks a worker. The trait is
/// sealed: only goro implements it.
///
/// ```
/// use goro::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let listener = TcpListener::bind(("127.0.0.1", 0)).await?; // an IP: no lookup
///     let port = listener.local_addr()?.port();
///     let stream = TcpStream::connect(format!("localhost:{port}")).await?; // a name
///     assert_eq!(stream.peer_addr()?.port(), port);
///     Ok(())
/// })
/// # }
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::Target;

    /// Sorts a value into addresses or a name (see the module doc). Not nameable outside
    /// goro, which keeps [`ToSocketAddrs`](super::ToSocketAddrs) sealed.
    pub trait Sealed {
        /// The addresses, the name to look up, or why it is neither.
        #[doc(hidden)]
        fn target(&self) -> Target;
    }
}

/// What a [`ToSocketAddrs`] value stands for.
#[doc(hidden)]
#[derive(Debug)]
pub enum Target {
    /// One address, known at once.
    One(SocketAddr),
    /// Several addresses, known at once.
    Many(Vec<SocketAddr>),
    /// A host name and its port, to be looked up.
    Name(String, u16),
    /// Not an address: the error to answer.
    Invalid(io::Error),
}

macro_rules! ip_target {
    ($($ty:ty),*) => {
        $(
            impl ToSocketAddrs for $ty {}
            impl sealed::Sealed for $ty {
                fn target(&self) -> Target {
                    Target::One(SocketAddr::from(*self))
                }
            }
        )*
    };
}

ip_target!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn target(&self) -> Target {
        Target::Many(self.to_vec())
    }
}

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn target(&self) -> Target {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Target::One(addr);
        }
        let Some((host, port)) = self.rsplit_once(':') else {
            return Target::Invalid(invalid(format!(
                "`{self}` has no port: write a socket address as `host:port`, e.g. \
                 `localhost:8080` or `127.0.0.1:8080`"
            )));
        };
        match port.parse::<u16>() {
            Ok(port) => host_port_target(host, port),
            Err(_) => Target::Invalid(invalid(format!(
                "`{self}`: the port `{port}` is not a number from 0 to 65535"
            ))),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn target(&self) -> Target {
        self.as_str().target()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn target(&self) -> Target {
        host_port_target(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn target(&self) -> Target {
        host_port_target(&self.0, self.1)
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn target(&self) -> Target {
        (**self).target()
    }
}

/// A host (an IP address, or a name to look up) and a port.
fn host_port_target(host: &str, port: u16) -> Target {
    match host.parse::<IpAddr>() {
        Ok(ip) => Target::One(SocketAddr::new(ip, port)),
        Err(_) if host.is_empty() => Target::Invalid(invalid(format!(
            "`:{port}` has no host: write a socket address as `host:port`, e.g. \
             `localhost:{port}`"
        ))),
        Err(_) => Target::Name(host.to_owned(), port),
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::sealed::Sealed;
    use super::*;

    #[test]
    fn ip_addresses_need_no_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        for (target, expected) in [
            ("127.0.0.1:80".target(), v4),
            (("127.0.0.1", 80).target(), v4),
            ((Ipv4Addr::LOCALHOST, 80).target(), v4),
            ("[::1]:443".target(), v6),
            (("::1", 443).target(), v6),
            (String::from("[::1]:443").target(), v6),
            (v6.target(), v6),
        ] {
            assert!(
                matches!(target, Target::One(addr) if addr == expected),
                "{target:?}"
            );
        }
    }

    #[test]
    fn names_are_looked_up() {
        for target in [
            "localhost:80".target(),
            ("localhost", 80).target(),
            (String::from("localhost"), 80).target(),
            (&&"localhost:80").target(),
        ] {
            assert!(
                matches!(&target, Target::Name(host, 80) if host == "localhost"),
                "{target:?}"
            );
        }
    }

    #[test]
    fn malformed_strings_are_refused_at_once() {
        for (input, says) in [
            ("localhost", "has no port"),
            ("localhost:http", "is not a number"),
            ("localhost:70000", "is not a number"),
            (":80", "has no host"),
        ] {
            match input.target() {
                Target::Invalid(err) => {
                    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
                    let message = err.to_string();
                    assert!(message.contains(input), "{message}");
                    assert!(message.contains(says), "{message}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
    }
}
