//! hyper 1.x on goro (feature `hyper`): hyper's HTTP/1 server on goro's sockets, answered by
//! hyper's HTTP/1 client on goro and by `curl`; hyper's timeouts on goro's timer;
//! hyper-util's pooled client on `goro::hyper::Connector` (connections reused, names
//! resolved, a connect timeout, clear errors); an axum `Router` served through hyper-util's
//! service adapter, as `examples/axum.rs` does.

#![cfg(feature = "hyper")]

use bytes::Bytes;
use futures::channel::oneshot;
use futures::future::{Either, select};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::hyper::{Connector, Executor, Io, Timer};
use goro::net::{TcpListener, TcpStream};
use goro::{JoinHandle, JoinSet};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use std::net::SocketAddr;
use std::pin::pin;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

type Body = UnsyncBoxBody<Bytes, hyper::Error>;

/// How many chunks `/stream` sends.
const CHUNKS: usize = 5;

// ---- the server ------------------------------------------------------------------------

/// The body `/stream` sends, all chunks together.
fn streamed_body() -> String {
    (0..CHUNKS).map(|i| format!("chunk {i}\n")).collect()
}

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// `/`: hello; `/echo`: the request body, streamed back; `/stream`: chunks with small
/// pauses between them; anything else: 404.
async fn route(request: Request<Incoming>) -> Result<Response<Body>, hyper::Error> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Response::new(full("hello from goro")),
        (&Method::POST, "/echo") => Response::new(request.into_body().boxed_unsync()),
        (&Method::GET, "/stream") => {
            let chunks = futures::stream::unfold(0, |i| async move {
                if i == CHUNKS {
                    return None;
                }
                goro::time::sleep(Duration::from_millis(1)).await;
                let frame = Frame::data(Bytes::from(format!("chunk {i}\n")));
                Some((Ok(frame), i + 1))
            });
            Response::new(StreamBody::new(chunks).boxed_unsync())
        }
        _ => {
            let mut response = Response::new(full("not found"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

/// A server running in a task, serving each connection in a task of its own. Every
/// response says which connection it came on (`x-connection`: the accept count).
struct Server {
    addr: SocketAddr,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts serving on a fresh port with `builder`'s settings.
    async fn start(builder: http1::Builder) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = goro::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let accepted = match select(pin!(listener.accept()), &mut stopped).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => break,
                };
                let (stream, _) = accepted.expect("accept");
                let connection = counted.fetch_add(1, SeqCst);
                stream.set_nodelay(true).unwrap();
                let builder = builder.clone();
                let tagged = service_fn(move |request| async move {
                    let mut response = route(request).await?;
                    response
                        .headers_mut()
                        .insert("x-connection", connection.into());
                    Ok::<_, hyper::Error>(response)
                });
                connections.spawn(async move {
                    // A client that goes away mid-request is not the server's failure.
                    let _ = builder.serve_connection(Io::new(stream), tagged).await;
                });
                while connections.try_join_next().is_some() {}
            }
            connections.shutdown().await;
        });
        Server {
            addr,
            accepted,
            stop,
            task,
        }
    }

    /// Stops accepting, cancels the connections, and waits until all that is done.
    async fn stop(self) {
        drop(self.stop);
        self.task.await.unwrap();
    }
}

/// hyper's server builder with goro's timer.
fn builder_with_timer() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.timer(Timer);
    builder
}

// ---- the client ------------------------------------------------------------------------

/// A hyper client connection on a goro socket: the sender, and the task driving it.
async fn connect(
    addr: SocketAddr,
) -> (
    SendRequest<Full<Bytes>>,
    JoinHandle<Result<(), hyper::Error>>,
) {
    let stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(Io::new(stream))
        .await
        .unwrap();
    (sender, goro::spawn(connection))
}

/// Sends one request; the status and the whole body.
async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: Method,
    path: &str,
    body: impl Into<Bytes>,
) -> (StatusCode, Bytes) {
    sender.ready().await.unwrap();
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(Full::new(body.into()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

/// What connection `c` sends as request `i`'s body to `/echo`: distinct per request, some
/// larger than a socket buffer.
fn echo_body(c: usize, i: usize) -> Vec<u8> {
    let line = format!("connection {c} request {i}\n");
    let repeat = if i % 7 == 0 { 10_000 } else { 1 + i };
    line.repeat(repeat).into_bytes()
}

/// `requests` requests on one keep-alive connection: every route, every body checked.
async fn client_session(addr: SocketAddr, c: usize, requests: usize) -> usize {
    let (mut sender, connection) = connect(addr).await;
    for i in 0..requests {
        match i % 4 {
            0 => {
                let (status, body) = send(&mut sender, Method::GET, "/", "").await;
                assert_eq!(
                    (status, &body[..]),
                    (StatusCode::OK, &b"hello from goro"[..])
                );
            }
            1 | 2 => {
                let sent = echo_body(c, i);
                let (status, body) = send(&mut sender, Method::POST, "/echo", sent.clone()).await;
                assert_eq!(status, StatusCode::OK);
                assert!(body == sent, "connection {c} request {i}: wrong echo");
            }
            _ => {
                let (status, body) = send(&mut sender, Method::GET, "/stream", "").await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, streamed_body());
            }
        }
    }
    let (status, body) = send(&mut sender, Method::GET, "/nowhere", "").await;
    assert_eq!(
        (status, &body[..]),
        (StatusCode::NOT_FOUND, &b"not found"[..])
    );
    drop(sender); // closes the connection: its task ends
    connection.await.unwrap().unwrap();
    requests + 1
}

// ---- the tests -------------------------------------------------------------------------

/// Hundreds of requests over tens of keep-alive connections at once, every body checked.
async fn many_requests_over_many_connections(builder: http1::Builder) {
    const CONNECTIONS: usize = 24;
    const REQUESTS: usize = 20;
    let server = Server::start(builder).await;
    let sessions: JoinSet<usize> = (0..CONNECTIONS)
        .map(|c| client_session(server.addr, c, REQUESTS))
        .collect();
    let answered: usize = sessions.join_all().await.into_iter().sum();
    assert_eq!(answered, CONNECTIONS * (REQUESTS + 1));
    server.stop().await;
}

#[goro::test(timeout_ms = 120_000)]
async fn hyper_client_and_server_on_goro() {
    many_requests_over_many_connections(http1::Builder::new()).await;
}

#[goro::test(worker_threads = 1, timeout_ms = 120_000)]
async fn hyper_client_and_server_on_one_worker() {
    many_requests_over_many_connections(http1::Builder::new()).await;
}

#[goro::test(worker_threads = 4, timeout_ms = 120_000)]
async fn hyper_with_goro_timer_and_header_read_timeout() {
    // hyper arms the header timer before each request's head: goro's Timer in the hot path.
    let mut builder = builder_with_timer();
    builder.header_read_timeout(Duration::from_secs(30));
    many_requests_over_many_connections(builder).await;
}

#[goro::test(timeout_ms = 60_000)]
async fn vectored_writes_serve_the_same_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = goro::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let io = Io::new(stream).vectored_writes(true);
        http1::Builder::new()
            .serve_connection(io, service_fn(route))
            .await
    });
    let (mut sender, connection) = connect(addr).await;
    for i in 0..20 {
        let sent = echo_body(0, i);
        let (status, body) = send(&mut sender, Method::POST, "/echo", sent.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body == sent, "request {i}: wrong echo");
    }
    drop(sender);
    connection.await.unwrap().unwrap();
    server.await.unwrap().unwrap();
}

#[goro::test(timeout_ms = 60_000)]
async fn header_read_timeout_closes_a_silent_connection() {
    const TIMEOUT: Duration = Duration::from_millis(300);
    let mut builder = builder_with_timer();
    builder.header_read_timeout(TIMEOUT);
    let server = Server::start(builder).await;

    // A client that starts a request and never finishes its head.
    let start = Instant::now();
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: loc")
        .await
        .unwrap();
    let mut rest = Vec::new();
    // The server gives up and closes the connection (an end of stream, or a reset).
    let _ = slow.read_to_end(&mut rest).await;
    let waited = start.elapsed();
    assert!(
        waited >= TIMEOUT - Duration::from_millis(50),
        "closed after {waited:?}"
    );
    assert!(waited < Duration::from_secs(20), "closed after {waited:?}");

    // The timer does not get in the way of a client that keeps to time.
    let (mut sender, connection) = connect(server.addr).await;
    for _ in 0..5 {
        let (status, body) = send(&mut sender, Method::GET, "/", "").await;
        assert_eq!(
            (status, &body[..]),
            (StatusCode::OK, &b"hello from goro"[..])
        );
    }
    // An idle keep-alive connection is closed by the same timer.
    let closed = goro::time::timeout(Duration::from_secs(20), connection).await;
    closed
        .expect("the idle connection closed")
        .unwrap()
        .unwrap();
    drop(sender);
    server.stop().await;
}

#[goro::test(start_paused = true, timeout_ms = 60_000)]
async fn the_timer_follows_goro_clock_and_resets_in_place() {
    use hyper::rt::Timer as _;
    let timer = Timer;
    let start = timer.now();
    assert_eq!(
        start,
        goro::time::sleep(Duration::ZERO).deadline().into_std()
    );

    let mut sleep = timer.sleep(Duration::from_secs(3600));
    assert!(sleep.is::<goro::time::Sleep>());
    timer.reset(&mut sleep, start + Duration::from_secs(60));
    sleep.as_mut().await; // the paused clock jumps to the deadline
    assert!(timer.now() >= start + Duration::from_secs(60));
    assert!(timer.now() < start + Duration::from_secs(3600));

    // Reset after completing: waits again, for the new deadline.
    let later = timer.now() + Duration::from_secs(5);
    timer.reset(&mut sleep, later);
    sleep.await;
    assert!(timer.now() >= later);

    let until = timer.now() + Duration::from_secs(1);
    timer.sleep_until(until).await;
    assert!(timer.now() >= until);
}

#[goro::test]
async fn the_executor_spawns_on_goro() {
    use hyper::rt::Executor as _;
    let (done, finished) = oneshot::channel();
    Executor.execute(async move {
        done.send(goro::Handle::try_current().is_some()).unwrap();
    });
    assert!(finished.await.unwrap());
    // The task is detached (hyper's executors do not join): it sent its answer and may still
    // be finishing; let it leave before the leak check looks.
    let start = std::time::Instant::now();
    while !goro::Handle::current().dump().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the executed task never ended"
        );
        goro::yield_now().await;
    }
}

/// Runs `curl` with `args`; its standard output, or `None` when curl is not installed.
fn curl(args: &[&str]) -> Option<String> {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(args)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).unwrap())
}

#[goro::test(timeout_ms = 120_000)]
async fn curl_gets_answers_from_hyper_on_goro() {
    if Command::new("curl").arg("--version").output().is_err() {
        println!("curl is not installed: skipping curl_gets_answers_from_hyper_on_goro");
        return;
    }
    let server = Server::start(builder_with_timer()).await;
    let base = format!("http://{}", server.addr);
    // curl blocks: run it on the blocking pool, not on a worker.
    let answers = goro::spawn_blocking(move || {
        let url = |path: &str| format!("{base}{path}");
        let big: String = (0..10_000).map(|i| format!("{i},")).collect();
        vec![
            (curl(&[&url("/")]), "hello from goro".to_string()),
            (
                curl(&["--data-binary", "echo me", &url("/echo")]),
                "echo me".to_string(),
            ),
            (curl(&["--data-binary", &big, &url("/echo")]), big.clone()),
            (curl(&["--no-buffer", &url("/stream")]), streamed_body()),
            (
                curl(&[
                    "--output",
                    "/dev/null",
                    "--write-out",
                    "%{http_code}",
                    &url("/no"),
                ]),
                "404".to_string(),
            ),
            // Several URLs in one curl: one keep-alive connection.
            (
                curl(&[&url("/"), &url("/"), &url("/")]),
                "hello from goro".repeat(3),
            ),
        ]
    })
    .await
    .unwrap();
    for (got, expected) in answers {
        let got = got.expect("curl ran");
        assert!(
            got == expected,
            "curl answered {} bytes, expected {}",
            got.len(),
            expected.len()
        );
    }
    server.stop().await;
}

// ---- hyper-util's pooled client on goro::hyper::Connector -------------------------------

/// hyper-util's pooled client on goro, with goro's timer for its pool.
fn pooled_client(connector: Connector) -> Client<Connector, Full<Bytes>> {
    Client::builder(Executor).pool_timer(Timer).build(connector)
}

/// GETs `uri` with `client`; the status, the body and the connection it came on.
async fn get(client: &Client<Connector, Full<Bytes>>, uri: String) -> (StatusCode, Bytes, usize) {
    let response = client.get(uri.parse().unwrap()).await.unwrap();
    let status = response.status();
    let connection = response.headers()["x-connection"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body, connection)
}

/// Waits until every task of the runtime is gone (the client's connection tasks end once
/// the client and the server are dropped).
async fn wait_for_no_tasks(what: &'static str) {
    within(Duration::from_secs(20), what, async {
        while !goro::Handle::current().dump().is_empty() {
            goro::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// Awaits `future`, failing the test after `limit`.
async fn within<F: std::future::Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match goro::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: not done within {limit:?}"),
    }
}

/// Requests one after another share one connection (the pool hands it back; the server
/// accepts once), and concurrent requests each get an answer.
async fn pooled_client_reuses_connections() {
    const REQUESTS: usize = 10;
    let server = Server::start(http1::Builder::new()).await;
    let client = pooled_client(Connector::new());
    let base = format!("http://{}", server.addr);
    let mut connections = Vec::new();
    for _ in 0..REQUESTS {
        let (status, body, connection) = get(&client, format!("{base}/")).await;
        assert_eq!(
            (status, &body[..]),
            (StatusCode::OK, &b"hello from goro"[..])
        );
        connections.push(connection);
        // The pool takes a connection back once hyper has read the whole response: give
        // that a moment, or the next request may start a connection of its own.
        goro::time::sleep(Duration::from_millis(10)).await;
    }
    connections.dedup();
    let accepted = server.accepted.load(SeqCst);
    assert!(
        accepted <= 3 && connections.len() <= 3,
        "{REQUESTS} requests in a row: {accepted} connections accepted, used in turn: \
         {connections:?} (a pool that works reuses one)"
    );

    let concurrent: JoinSet<()> = (0..8)
        .map(|i| {
            let client = client.clone();
            let uri = format!("{base}/echo");
            async move {
                let sent = echo_body(99, i);
                let request = Request::post(uri).body(Full::new(Bytes::from(sent.clone())));
                let response = client.request(request.unwrap()).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let body = response.into_body().collect().await.unwrap().to_bytes();
                assert!(body == sent, "request {i}: wrong echo");
            }
        })
        .collect();
    concurrent.join_all().await;
    assert!(server.accepted.load(SeqCst) <= accepted + 8);

    drop(client);
    server.stop().await;
    wait_for_no_tasks("the client's connection tasks").await;
}

#[goro::test(timeout_ms = 60_000)]
async fn pooled_client_reuses_connections_on_two_workers() {
    pooled_client_reuses_connections().await;
}

#[goro::test(worker_threads = 1, timeout_ms = 60_000)]
async fn pooled_client_reuses_connections_on_one_worker() {
    pooled_client_reuses_connections().await;
}

/// The connector resolves `localhost` (through `lookup_host`), sets `TCP_NODELAY` unless
/// told not to, and the client reaches the server by name.
#[goro::test(timeout_ms = 60_000)]
async fn connector_resolves_names_and_sets_nodelay() {
    use tower_service::Service;
    let server = Server::start(http1::Builder::new()).await;
    let port = server.addr.port();
    let by_name: hyper::Uri = format!("http://localhost:{port}/").parse().unwrap();
    let io = Connector::new().call(by_name.clone()).await.unwrap();
    assert!(io.get_ref().peer_addr().unwrap().ip().is_loopback());
    assert!(io.get_ref().nodelay().unwrap());
    let mut without = Connector::new();
    without.set_nodelay(false);
    let io = without.call(by_name).await.unwrap();
    assert!(!io.get_ref().nodelay().unwrap());

    let client = pooled_client(Connector::new());
    let (status, body, _) = get(&client, format!("http://localhost:{port}/")).await;
    assert_eq!(
        (status, &body[..]),
        (StatusCode::OK, &b"hello from goro"[..])
    );
    drop((io, client));
    server.stop().await;
    wait_for_no_tasks("the client's connection tasks").await;
}

/// URIs the connector cannot serve are refused at once with a message that says why, also
/// through the client.
#[goro::test(timeout_ms = 60_000)]
async fn connector_refuses_what_it_cannot_serve() {
    use tower_service::Service;
    for (uri, says) in [
        ("https://localhost/", "`http` URIs only, not `https`"),
        ("/relative/path", "has no scheme"),
    ] {
        let err = Connector::new()
            .call(uri.parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{uri}: {err}");
        assert!(err.to_string().contains(says), "{uri}: {err}");
    }
    let client = pooled_client(Connector::new());
    let err = client
        .get("https://localhost/".parse().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(format!("{err:?}").contains("`http` URIs only"), "{err:?}");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client
        .get(format!("http://{addr}/").parse().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let message = format!("{err:?}");
    assert!(message.contains(&addr.to_string()), "{message}");
}

/// A listener whose backlog is full answers no handshake: a connect to it hangs until the
/// connect timeout, which answers `TimedOut` and says which timeout it was.
#[goro::test(timeout_ms = 60_000)]
async fn connect_timeout_cuts_off_a_silent_server() {
    use tower_service::Service;
    let socket = goro::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap(); // never accepts
    let addr = listener.local_addr().unwrap();
    let mut filling = Vec::new();
    let full = loop {
        assert!(filling.len() < 64, "the listener's backlog never filled");
        match goro::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(stream) => filling.push(stream.unwrap()),
            Err(_) => break true,
        }
    };
    assert!(full);

    const TIMEOUT: Duration = Duration::from_millis(200);
    let mut connector = Connector::new();
    connector.set_connect_timeout(Some(TIMEOUT));
    let start = Instant::now();
    let err = within(
        Duration::from_secs(20),
        "the connect timeout",
        connector.call(format!("http://{addr}/").parse().unwrap()),
    )
    .await
    .unwrap_err();
    let waited = start.elapsed();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert!(
        err.to_string().contains("connect timeout of 200ms"),
        "{err}"
    );
    assert!(waited >= TIMEOUT - Duration::from_millis(20), "{waited:?}");

    let client = pooled_client(connector);
    let err = within(
        Duration::from_secs(20),
        "the client's connect timeout",
        client.get(format!("http://{addr}/").parse().unwrap()),
    )
    .await
    .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(format!("{err:?}").contains("TimedOut"), "{err:?}");
}

/// An axum `Router` served as `examples/axum.rs` serves it (hyper-util's
/// `TowerToHyperService` over goro's sockets), asked by the pooled client: routes, a path
/// parameter, a body.
#[goro::test(timeout_ms = 60_000)]
async fn axum_router_serves_through_the_service_adapter() {
    use axum::extract::Path;
    use axum::routing::{get as axum_get, post};
    use hyper_util::service::TowerToHyperService;
    let app = axum::Router::new()
        .route("/", axum_get(|| async { "hello from axum" }))
        .route(
            "/hello/{name}",
            axum_get(|Path(name): Path<String>| async move { format!("hello, {name}") }),
        )
        .route("/echo", post(|body: String| async move { body }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = goro::spawn(async move {
        let mut connections = JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(app.clone());
            connections.spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(Io::new(stream), service)
                    .await;
            });
        }
    });

    let client = pooled_client(Connector::new());
    let text = |response: Response<Incoming>| async move {
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    };
    let base = format!("http://{addr}");
    let answer = client
        .get(format!("{base}/").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        text(answer).await,
        (StatusCode::OK, "hello from axum".into())
    );
    let answer = client
        .get(format!("{base}/hello/gopher").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(text(answer).await, (StatusCode::OK, "hello, gopher".into()));
    let request = Request::post(format!("{base}/echo"))
        .body(Full::new(Bytes::from("echo me")))
        .unwrap();
    let answer = client.request(request).await.unwrap();
    assert_eq!(text(answer).await, (StatusCode::OK, "echo me".into()));
    let answer = client
        .get(format!("{base}/nowhere").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(text(answer).await.0, StatusCode::NOT_FOUND);

    drop(client);
    server.abort(); // and the connections it serves, with its JoinSet
    wait_for_no_tasks("the server's and the client's tasks").await;
}
