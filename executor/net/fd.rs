//! `AsRawFd` and `AsFd` for every socket: the file descriptor, borrowed, for the socket
//! options and system calls goro does not wrap.
//!
//! The descriptor stays owned by the goro socket, registered with the reactor and in
//! nonblocking mode: use it for options (`setsockopt`, e.g. through socket2's `SockRef`) and
//! for queries. Reading or writing through it directly is allowed but goes around the
//! reactor, which then may not learn that the data is gone; closing it is not allowed (the
//! goro socket closes it when dropped). To take the socket out of goro for good, use its
//! `into_std`.

/// Implements `AsRawFd` and `AsFd` for a socket type, forwarding to the mio (or socket2)
/// socket that `|this| expr` borrows from it.
macro_rules! impl_as_fd {
    ($ty:ty, |$this:ident| $socket:expr) => {
        /// The socket's file descriptor, still owned by it (see the
        /// [module docs](crate::net#file-descriptors)).
        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                let $this = self;
                std::os::fd::AsRawFd::as_raw_fd($socket)
            }
        }

        /// The socket's file descriptor, borrowed for as long as the socket (see the
        /// [module docs](crate::net#file-descriptors)).
        #[cfg(unix)]
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                let $this = self;
                std::os::fd::AsFd::as_fd($socket)
            }
        }
    };
}

pub(crate) use impl_as_fd;
