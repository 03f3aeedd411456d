//! hyper 1.x on goro (feature `hyper`): hyper's HTTP/1 server on goro's sockets, answered by
//! hyper's HTTP/1 client on goro and by `curl`; hyper's timeouts on goro's timer.

#![cfg(feature = "hyper")]

use bytes::Bytes;
use futures::channel::oneshot;
use futures::future::{Either, select};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::hyper::{Executor, Io, Timer};
use goro::net::{TcpListener, TcpStream};
use goro::{JoinHandle, JoinSet};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::pin::pin;
use std::process::Command;
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

/// A server running in a task, serving each connection in a task of its own.
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts serving on a fresh port with `builder`'s settings.
    async fn start(builder: http1::Builder) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = goro::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let accepted = match select(pin!(listener.accept()), &mut stopped).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => break,
                };
                let (stream, _) = accepted.expect("accept");
                stream.set_nodelay(true).unwrap();
                let builder = builder.clone();
                connections.spawn(async move {
                    // A client that goes away mid-request is not the server's failure.
                    let _ = builder
                        .serve_connection(Io::new(stream), service_fn(route))
                        .await;
                });
                while connections.try_join_next().is_some() {}
            }
            connections.shutdown().await;
        });
        Server { addr, stop, task }
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
    assert_eq!(start, goro::time::sleep(Duration::ZERO).deadline());

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
