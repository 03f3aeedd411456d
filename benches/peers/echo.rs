//! The TCP echo workload, written once for goro, tokio and async-executor, so that
//! `benches/io.rs` and `examples/versus` measure the same code.
//!
//! [`Echo::start`] binds an echo server on loopback (a detached accept task that spawns one
//! detached echo task per connection) and opens the client connections, both outside any
//! measurement; [`Echo::round_trips`] is one iteration: each connection, in a task of its
//! own, writes [`MESSAGE`] bytes and reads them back `rounds` times; all are joined. Client
//! and server run in the same runtime, `TCP_NODELAY` on both ends.
//!
//! Each runtime brings its own sockets through [`Net`]: goro's `goro::net`, tokio's
//! `tokio::net`, and for async-executor (which has no reactor) smol's: `async_io::Async`
//! around std's sockets. The two loops that move the bytes are written once, in
//! [`echo_loops!`], and expanded for futures-io's traits (goro, async-io) and for tokio's
//! (distinct traits with the same methods), so no runtime gets an adapter layer.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::sync::Arc;

use async_io::Async;

use super::Exec;

/// Bytes per message.
pub const MESSAGE: usize = 64;

/// A runtime's TCP sockets: what the echo workload needs beyond [`Exec`].
pub trait Net: Exec {
    type Listener: Send + Sync + 'static;
    type Stream: Send + 'static;
    /// Binds a listener to an ephemeral port on loopback.
    fn bind() -> impl Future<Output = io::Result<Self::Listener>> + Send;
    fn local_addr(listener: &Self::Listener) -> SocketAddr;
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>> + Send;
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;
    fn set_nodelay(stream: &Self::Stream);
    /// Echoes what `stream` sends until it closes or fails.
    fn serve(stream: Self::Stream) -> impl Future<Output = ()> + Send + 'static;
    /// Does `rounds` round trips of [`MESSAGE`] bytes, then gives the stream back.
    fn ping(
        stream: Self::Stream,
        rounds: usize,
    ) -> impl Future<Output = Self::Stream> + Send + 'static;
}

/// An echo server and its open client connections on one runtime.
pub struct Echo<N: Net> {
    net: N,
    /// Taken by each iteration and given back at its end.
    streams: Vec<N::Stream>,
}

impl<N: Net> Echo<N> {
    /// Starts the server on `net` and opens `connections` connections to it.
    pub fn start(net: &N, connections: usize) -> Echo<N> {
        let listener = net.block_on(N::bind()).expect("bind on loopback");
        let addr = N::local_addr(&listener);
        let server = net.clone();
        // Detached: the server's tasks end with the runtime.
        net.detach(async move {
            while let Ok(stream) = N::accept(&listener).await {
                N::set_nodelay(&stream);
                server.detach(N::serve(stream));
            }
        });
        let streams = net.block_on(async {
            let mut streams = Vec::with_capacity(connections);
            for _ in 0..connections {
                let stream = N::connect(addr).await.expect("connect on loopback");
                N::set_nodelay(&stream);
                streams.push(stream);
            }
            streams
        });
        Echo {
            net: net.clone(),
            streams,
        }
    }

    /// One iteration: each connection, in a task of its own, does `rounds` round trips; all
    /// are joined.
    pub fn round_trips(&mut self, rounds: usize) {
        let streams = std::mem::take(&mut self.streams);
        let net = &self.net;
        self.streams = net.block_on(async {
            let clients: Vec<_> = streams
                .into_iter()
                .map(|stream| net.spawn(N::ping(stream, rounds)))
                .collect();
            let mut streams = Vec::with_capacity(clients.len());
            for client in clients {
                streams.push(client.await);
            }
            streams
        });
    }
}

/// The server's and the client's loops over `stream: S` for whichever `AsyncRead`,
/// `AsyncReadExt`, `AsyncWrite` and `AsyncWriteExt` are in scope where it is expanded.
macro_rules! echo_loops {
    () => {
        pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
            let mut buf = [0; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }

        pub async fn ping<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, rounds: usize) -> S {
            let mut buf = [7u8; super::MESSAGE];
            for _ in 0..rounds {
                stream.write_all(&buf).await.unwrap();
                stream.read_exact(&mut buf).await.unwrap();
            }
            stream
        }
    };
}

/// The loops for futures-io's traits: goro's and async-io's sockets.
mod futures_io {
    use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    echo_loops!();
}

/// The loops for tokio's traits.
mod tokio_io {
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    echo_loops!();
}

/// `Net` for goro and tokio, whose `net` modules have the same shape: `$net` is the module,
/// `$loops` the expansion of [`echo_loops!`] for its traits.
macro_rules! net_like_tokio {
    ($handle:ty, $net:ident, $loops:ident) => {
        impl Net for $handle {
            type Listener = $net::net::TcpListener;
            type Stream = $net::net::TcpStream;
            fn bind() -> impl Future<Output = io::Result<Self::Listener>> + Send {
                $net::net::TcpListener::bind("127.0.0.1:0")
            }
            fn local_addr(listener: &Self::Listener) -> SocketAddr {
                listener.local_addr().unwrap()
            }
            async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
                Ok(listener.accept().await?.0)
            }
            fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
                $net::net::TcpStream::connect(addr)
            }
            fn set_nodelay(stream: &Self::Stream) {
                stream.set_nodelay(true).unwrap();
            }
            fn serve(stream: Self::Stream) -> impl Future<Output = ()> + Send + 'static {
                $loops::serve(stream)
            }
            fn ping(
                stream: Self::Stream,
                rounds: usize,
            ) -> impl Future<Output = Self::Stream> + Send + 'static {
                $loops::ping(stream, rounds)
            }
        }
    };
}

net_like_tokio!(goro::Handle, goro, futures_io);
net_like_tokio!(tokio::runtime::Handle, tokio, tokio_io);

/// async-executor with smol's reactor: std's sockets in `async_io::Async`.
impl Net for Arc<async_executor::Executor<'static>> {
    type Listener = Async<StdListener>;
    type Stream = Async<StdStream>;
    async fn bind() -> io::Result<Self::Listener> {
        Async::<StdListener>::bind(([127, 0, 0, 1], 0))
    }
    fn local_addr(listener: &Self::Listener) -> SocketAddr {
        listener.get_ref().local_addr().unwrap()
    }
    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        Ok(listener.accept().await?.0)
    }
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        Async::<StdStream>::connect(addr)
    }
    fn set_nodelay(stream: &Self::Stream) {
        stream.get_ref().set_nodelay(true).unwrap();
    }
    fn serve(stream: Self::Stream) -> impl Future<Output = ()> + Send + 'static {
        futures_io::serve(stream)
    }
    fn ping(
        stream: Self::Stream,
        rounds: usize,
    ) -> impl Future<Output = Self::Stream> + Send + 'static {
        futures_io::ping(stream, rounds)
    }
}
