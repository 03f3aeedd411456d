//! `UdpSocket`'s options: broadcast, the time-to-live of what it sends, and multicast (the
//! groups it is a member of, and whether and how far its own multicast datagrams travel).
//!
//! Each is one `setsockopt`/`getsockopt` on the socket, answered at once.
//!
//! The examples keep multicast on the loopback interface (`127.0.0.1`, or `lo`'s index for
//! IPv6), so that running them sends nothing onto a real network: joining a group on "any"
//! interface tells the network's routers about it.

use super::UdpSocket;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

impl UdpSocket {
    /// Sets `SO_BROADCAST`: whether datagrams may be sent to a broadcast address (such as
    /// `255.255.255.255`); without it such a send answers `PermissionDenied`.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?;
    ///     assert!(socket.broadcast()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set (see [`set_broadcast`](Self::set_broadcast)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(!socket.broadcast()?); // off unless asked for
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets the IP time-to-live (`IP_TTL`) of the unicast datagrams this socket sends: how
    /// many hops they may cross.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_ttl(7)?;
    ///     assert_eq!(socket.ttl()?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the unicast datagrams this socket sends (see
    /// [`set_ttl`](Self::set_ttl)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.ttl()? > 0); // the system's default, often 64
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with the address
    /// `interface` (`0.0.0.0`: the one the routing table picks): datagrams sent to the
    /// group and to this socket's port are then received here.
    ///
    /// # Errors
    /// As the OS says, e.g. `InvalidInput` if `multiaddr` is not a multicast address
    /// (`224.0.0.0/4`), `AddrNotAvailable` if `interface` is not this machine's.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::net::Ipv4Addr;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("0.0.0.0:0").await?;
    ///     let group = Ipv4Addr::new(239, 255, 42, 1);
    ///     socket.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     socket.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves the IPv4 multicast group `multiaddr` on the interface `interface`, joined with
    /// [`join_multicast_v4`](Self::join_multicast_v4); an error (`AddrNotAvailable`) if this
    /// socket is not a member there.
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::net::Ipv4Addr;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("0.0.0.0:0").await?;
    ///     let group = Ipv4Addr::new(239, 255, 42, 2);
    ///     socket.join_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     socket.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?;
    ///     assert!(socket.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err()); // left
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface`
    /// (0: the one the routing table picks; `ip link` lists the indexes).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::net::Ipv6Addr;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let Ok(lo) = std::fs::read_to_string("/sys/class/net/lo/ifindex") else { return Ok(()) };
    /// # let lo: u32 = lo.trim().parse().unwrap();
    /// goro::run(async {
    ///     # let Ok(socket) = UdpSocket::bind("[::]:0").await else { return Ok(()) }; // no IPv6
    ///     let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 0x42);
    ///     socket.join_multicast_v6(&group, lo)?; // `lo`: the loopback interface's index
    ///     socket.leave_multicast_v6(&group, lo)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves the IPv6 multicast group `multiaddr` on the interface with index `interface`,
    /// joined with [`join_multicast_v6`](Self::join_multicast_v6).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    /// use std::net::Ipv6Addr;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// # let Ok(lo) = std::fs::read_to_string("/sys/class/net/lo/ifindex") else { return Ok(()) };
    /// # let lo: u32 = lo.trim().parse().unwrap();
    /// goro::run(async {
    ///     # let Ok(socket) = UdpSocket::bind("[::]:0").await else { return Ok(()) }; // no IPv6
    ///     let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 0x43);
    ///     socket.join_multicast_v6(&group, lo)?;
    ///     socket.leave_multicast_v6(&group, lo)?;
    ///     assert!(socket.leave_multicast_v6(&group, lo).is_err()); // left already
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether the IPv4 multicast datagrams this socket sends are
    /// also delivered to the group's members on this machine (on by default).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_multicast_loop_v4(false)?;
    ///     assert!(!socket.multicast_loop_v4()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set (see
    /// [`set_multicast_loop_v4`](Self::set_multicast_loop_v4)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.multicast_loop_v4()?); // on by default
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops the IPv4 multicast datagrams this socket sends
    /// may cross (1 by default: the local network only; 0: this machine only).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_multicast_ttl_v4(0)?;
    ///     assert_eq!(socket.multicast_ttl_v4()?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL` (see [`set_multicast_ttl_v4`](Self::set_multicast_ttl_v4)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(socket.multicast_ttl_v4()?, 1); // the local network only
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether the IPv6 multicast datagrams this socket sends
    /// are also delivered to the group's members on this machine (on by default).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     # let Ok(socket) = UdpSocket::bind("[::1]:0").await else { return Ok(()) }; // no IPv6
    ///     socket.set_multicast_loop_v6(false)?;
    ///     assert!(!socket.multicast_loop_v6()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set (see
    /// [`set_multicast_loop_v6`](Self::set_multicast_loop_v6)).
    ///
    /// ```
    /// use goro::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     # let Ok(socket) = UdpSocket::bind("[::1]:0").await else { return Ok(()) }; // no IPv6
    ///     assert!(socket.multicast_loop_v6()?); // on by default
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }
}
