//! `Connector`: opens the connections of hyper-util's pooled client
//! (`hyper_util::client::legacy::Client`) with goro's sockets.
//!
//! hyper-util's client asks its connector for a connection whenever its pool has none idle
//! for a destination: it calls the connector as a `tower_service::Service<Uri>` and expects
//! a byte stream that implements hyper's `Read`/`Write` and hyper-util's `Connection`.
//!
//! A call, for a URI `http://host[:port]/...`:
//! 1. checks the URI: scheme `http` (the only one a plain TCP connector serves), a host;
//!    the port defaults to 80. A URI that fails is an `InvalidInput` error at once;
//! 2. resolves the host with [`lookup_host`](crate::net::lookup_host) (an IP address at
//!    once, a name on the blocking pool) and connects to each address in turn, as
//!    [`TcpStream::connect`] does;
//! 3. sets `TCP_NODELAY` (on unless turned off: a request/response protocol wants its small
//!    writes sent at once);
//! 4. answers the stream in an [`Io`], with vectored writes on (goro's `writev`).
//!
//! Steps 2 and 3 run under the connect timeout: past it, the call answers `TimedOut`, and
//! dropping the future abandons the connect.

use super::Io;
use crate::net::TcpStream;
use ::hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// hyper-util's pooled client on goro: a `tower_service::Service<Uri>` that connects with
/// goro's [`TcpStream`], so that
/// `hyper_util::client::legacy::Client::builder(goro::hyper::Executor).build(goro::hyper::Connector::new())`
/// is a client that keeps connections alive and reuses them.
///
/// It serves `http://` URIs, resolving host names off the workers
/// ([`lookup_host`](crate::net::lookup_host)), with `TCP_NODELAY` on and a connect timeout
/// ([`DEFAULT_CONNECT_TIMEOUT`](Self::DEFAULT_CONNECT_TIMEOUT) unless set). Give the
/// client's builder `pool_timer(goro::hyper::Timer)` too, so that idle connections are
/// closed after `pool_idle_timeout` (without a timer they are only dropped when found
/// expired).
///
/// ```
/// use bytes::Bytes;
/// use goro::hyper::{Connector, Executor, Io, Timer};
/// use goro::net::TcpListener;
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::Response;
/// use hyper_util::client::legacy::Client;
/// use std::convert::Infallible;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// goro::run(async {
///     // A server: hyper on each connection it accepts.
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let _server = goro::spawn(async move {
///         while let Ok((stream, _)) = listener.accept().await {
///             let hello = hyper::service::service_fn(|_| async {
///                 Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
///             });
///             let connection = hyper::server::conn::http1::Builder::new()
///                 .serve_connection(Io::new(stream), hello);
///             let _ = goro::spawn(connection); // detached
///         }
///     });
///
///     // The client: one connection, kept alive in the pool and used for every request.
///     let client = Client::builder(Executor)
///         .pool_timer(Timer)
///         .build::<_, Empty<Bytes>>(Connector::new());
///     for _ in 0..3 {
///         let response = client.get(format!("http://{addr}/").parse()?).await?;
///         let body = response.into_body().collect().await?.to_bytes();
///         assert_eq!(body, "hello");
///     }
///     Ok(()) // returning from `goro::run` cancels the server's tasks
/// })
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connector {
    connect_timeout: Option<Duration>,
    nodelay: bool,
}

impl Connector {
    /// How long a connect may take, name lookup included, unless
    /// [`set_connect_timeout`](Self::set_connect_timeout) says otherwise: 30 seconds, as the
    /// dialer of Go's `http.DefaultTransport`.
    ///
    /// ```
    /// assert_eq!(goro::hyper::Connector::DEFAULT_CONNECT_TIMEOUT.as_secs(), 30);
    /// ```
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

    /// A connector with the defaults: a connect timeout of
    /// [`DEFAULT_CONNECT_TIMEOUT`](Self::DEFAULT_CONNECT_TIMEOUT), `TCP_NODELAY` on.
    ///
    /// ```
    /// let connector = goro::hyper::Connector::new();
    /// assert_eq!(connector.connect_timeout(), Some(goro::hyper::Connector::DEFAULT_CONNECT_TIMEOUT));
    /// assert!(connector.nodelay());
    /// ```
    pub fn new() -> Connector {
        Connector {
            connect_timeout: Some(Self::DEFAULT_CONNECT_TIMEOUT),
            nodelay: true,
        }
    }

    /// Sets how long a connect may take, name lookup included, before it answers a
    /// `TimedOut` error; `None` waits as long as the OS does (minutes, for a host that
    /// does not answer).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut connector = goro::hyper::Connector::new();
    /// connector.set_connect_timeout(Some(Duration::from_secs(2)));
    /// assert_eq!(connector.connect_timeout(), Some(Duration::from_secs(2)));
    /// ```
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) -> &mut Connector {
        self.connect_timeout = timeout;
        self
    }

    /// The connect timeout (see [`set_connect_timeout`](Self::set_connect_timeout)).
    ///
    /// ```
    /// let mut connector = goro::hyper::Connector::new();
    /// connector.set_connect_timeout(None);
    /// assert_eq!(connector.connect_timeout(), None);
    /// ```
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// Sets whether the connections get `TCP_NODELAY` (on by default; see
    /// [`TcpStream::set_nodelay`]).
    ///
    /// ```
    /// let mut connector = goro::hyper::Connector::new();
    /// connector.set_nodelay(false);
    /// assert!(!connector.nodelay());
    /// ```
    pub fn set_nodelay(&mut self, nodelay: bool) -> &mut Connector {
        self.nodelay = nodelay;
        self
    }

    /// Whether the connections get `TCP_NODELAY` (see [`set_nodelay`](Self::set_nodelay)).
    ///
    /// ```
    /// assert!(goro::hyper::Connector::new().nodelay());
    /// ```
    pub fn nodelay(&self) -> bool {
        self.nodelay
    }

    /// Steps 1 to 4 of the module doc.
    async fn connect(self, uri: Uri) -> io::Result<Io<TcpStream>> {
        let (host, port) = destination(&uri)?;
        let connecting = async {
            let stream = TcpStream::connect((host, port))
                .await
                .map_err(|err| with_context(err, &format!("connecting to {uri}")))?;
            stream.set_nodelay(self.nodelay)?;
            Ok(Io::new(stream).vectored_writes(true))
        };
        let Some(limit) = self.connect_timeout else {
            return connecting.await;
        };
        crate::time::timeout(limit, connecting)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "connecting to {uri}: no connection within the connect timeout of \
                         {limit:?} (goro::hyper::Connector::set_connect_timeout)"
                    ),
                ))
            })
    }
}

impl Default for Connector {
    /// [`Connector::new`].
    ///
    /// ```
    /// assert_eq!(goro::hyper::Connector::default(), goro::hyper::Connector::new());
    /// ```
    fn default() -> Connector {
        Connector::new()
    }
}

/// The host (without the brackets of an IPv6 literal) and port that `uri` connects to.
fn destination(uri: &Uri) -> io::Result<(&str, u16)> {
    match uri.scheme_str() {
        Some("http") => {}
        Some(scheme) => {
            return Err(invalid_uri(format!(
                "`{uri}`: goro::hyper::Connector connects `http` URIs only, not `{scheme}`"
            )));
        }
        None => {
            return Err(invalid_uri(format!(
                "`{uri}` has no scheme: goro::hyper::Connector needs an absolute URI, \
                 `http://host[:port]/path`"
            )));
        }
    }
    let host = uri
        .host()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| invalid_uri(format!("`{uri}` has no host to connect to")))?;
    let host = host
        .strip_prefix('[')
        .and_then(|host| host.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host, uri.port_u16().unwrap_or(80)))
}

fn invalid_uri(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// `err` with `context` in front of its message, of the same kind.
fn with_context(err: io::Error, context: &str) -> io::Error {
    io::Error::new(err.kind(), format!("{context}: {err}"))
}

/// The future of a connect: boxed, as hyper-util's client wants it `Unpin`.
type Connecting = Pin<Box<dyn Future<Output = io::Result<Io<TcpStream>>> + Send>>;

/// Connects to an `http://host[:port]/` URI: the host looked up off the workers, each of its
/// addresses tried in turn, `TCP_NODELAY` set unless turned off, all under the connect
/// timeout; any other scheme, or a URI without a host, is an `InvalidInput` error at once.
///
/// ```
/// use goro::hyper::Connector;
/// use goro::net::TcpListener;
/// use tower_service::Service;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let port = listener.local_addr()?.port();
///     let uri = format!("http://localhost:{port}/").parse().unwrap();
///     let io = Connector::new().call(uri).await?; // `localhost`: looked up off the workers
///     assert_eq!(io.get_ref().peer_addr()?.port(), port);
///     assert!(io.get_ref().nodelay()?);
///
///     let https = "https://localhost/".parse().unwrap();
///     let err = Connector::new().call(https).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
///     Ok(())
/// })
/// # }
/// ```
impl tower_service::Service<Uri> for Connector {
    type Response = Io<TcpStream>;
    type Error = io::Error;
    type Future = Connecting;

    /// Always ready: every call opens a connection of its own.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        Box::pin(self.connect(uri))
    }
}

/// What hyper-util's pool asks of a connection: nothing special (no proxy, no HTTP/2
/// negotiated by ALPN).
///
/// ```
/// use goro::hyper::Connector;
/// use goro::net::TcpListener;
/// use hyper_util::client::legacy::connect::Connection;
/// use tower_service::Service;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let uri = format!("http://{}/", listener.local_addr()?).parse().unwrap();
///     let io = Connector::new().call(uri).await?;
///     assert!(!io.connected().is_proxied());
///     Ok(())
/// })
/// # }
/// ```
impl Connection for Io<TcpStream> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
