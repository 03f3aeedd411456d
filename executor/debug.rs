//! `goro::debug` (feature `debug-endpoint`): the runtime's metrics and task dump over HTTP,
//! for services that want to be scraped.
//!
//! [`serve`] binds a [`TcpListener`] on the current runtime and answers, on goro's own
//! sockets and tasks:
//!
//! | request | response |
//! |---|---|
//! | `GET /metrics` | [`Handle::metrics`] in the Prometheus text format ([`render_metrics`]) |
//! | `GET /tasks` | [`Handle::dump`] as text, one task per line ([`render_tasks`]) |
//! | `HEAD` of either | the same headers, no body |
//! | another path | `404 Not Found` |
//! | another method | `405 Method Not Allowed` |
//! | a request line that is not `METHOD SP target SP HTTP/x.y` | `400 Bad Request` |
//! | no blank line within [`MAX_REQUEST_BYTES`] | `431 Request Header Fields Too Large` |
//!
//! The protocol is HTTP/1.0's: one request per connection, headers read and ignored up to
//! the blank line, a response with `Content-Length` and `Connection: close`, then the
//! connection is closed. A query string (`/metrics?x=1`) is ignored.
//!
//! How the server runs:
//! 1. `serve` binds the listener and spawns the accept loop as one task, which owns a
//!    [`JoinSet`] of connection tasks: one task per connection, so a slow client holds up
//!    only its own task. Finished connection tasks are reaped as the loop goes.
//! 2. A connection task reads the request within [`IO_TIMEOUT`], answers, and writes the
//!    response within [`IO_TIMEOUT`]; a client that is slower is dropped. The task dump is
//!    taken and rendered on the blocking pool: with many live tasks it takes long enough to
//!    trip the monitor if a worker did it.
//! 3. [`DebugServer::shutdown`] (or dropping the [`DebugServer`]) closes the stop channel; the
//!    loop stops accepting, aborts and awaits its connection tasks, drops the listener and
//!    ends. `shutdown` returns once all of that is done.
//!
//! The server's own tasks are tasks of the runtime like any other: they appear in `/tasks`
//! and in the task counts of `/metrics`.

use crate::net::ToSocketAddrs;
use crate::net::{TcpListener, TcpStream};
use crate::task::TaskState;
use crate::{Handle, JoinHandle, JoinSet, RuntimeMetrics, TaskInfo, time};
use futures::FutureExt;
use futures::channel::oneshot;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use std::fmt::{self, Write as _};
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// The largest request the server reads: request line and headers up to the blank line.
/// Beyond it the answer is `431 Request Header Fields Too Large`.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// How long a connection may take to send its request, and again to take its response.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the accept loop waits after an accept error (e.g. out of file descriptors)
/// before it tries again, instead of spinning.
const ACCEPT_BACK_OFF: Duration = Duration::from_millis(10);

/// Serves `/metrics` and `/tasks` of the current runtime over HTTP on `addr`; the steps are
/// in the [module doc](self).
///
/// Binds first, so an address in use is an error here, then spawns the server as a task and
/// returns at once. The server runs until the returned [`DebugServer`] is shut down or
/// dropped. Port 0 asks the OS for a free port: read it back with
/// [`DebugServer::local_addr`].
///
/// # Errors
/// Outside a runtime, or if binding fails (e.g. `AddrInUse`).
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use goro::net::TcpStream;
///
/// # fn main() -> std::io::Result<()> {
/// goro::run(async {
///     let server = goro::debug::serve("127.0.0.1:0").await?;
///
///     let mut stream = TcpStream::connect(server.local_addr()).await?;
///     stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").await?;
///     let mut response = String::new();
///     stream.read_to_string(&mut response).await?;
///     assert!(response.starts_with("HTTP/1.0 200 OK\r\n"));
///     assert!(response.contains("\ngoro_workers "));
///
///     server.shutdown().await; // its tasks are gone when this returns
///     Ok(())
/// })
/// # }
/// ```
pub async fn serve(addr: impl ToSocketAddrs) -> io::Result<DebugServer> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let handle = Handle::current();
    let (stop, stopped) = oneshot::channel();
    let task = handle.spawn(accept_loop(listener, handle.clone(), stopped));
    Ok(DebugServer {
        local_addr,
        stop: Some(stop),
        task,
    })
}

/// A running debug server, from [`serve`]. Dropping it stops the server in the background;
/// [`shutdown`](Self::shutdown) stops it and waits until its tasks are gone.
#[must_use = "dropping the DebugServer stops the server; keep it while it should serve"]
pub struct DebugServer {
    local_addr: SocketAddr,
    /// Closed (dropped) to stop the accept loop.
    stop: Option<oneshot::Sender<()>>,
    /// The accept loop's task.
    task: JoinHandle<()>,
}

impl DebugServer {
    /// The address the server listens on.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let server = goro::debug::serve("127.0.0.1:0").await?;
    ///     assert!(server.local_addr().ip().is_loopback());
    ///     assert_ne!(server.local_addr().port(), 0);
    ///     server.shutdown().await;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the server: no more connections are accepted, open ones are aborted, and the
    /// listener is closed. Returns once the server's tasks have all ended.
    ///
    /// ```
    /// use goro::net::TcpStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// goro::run(async {
    ///     let server = goro::debug::serve("127.0.0.1:0").await?;
    ///     let addr = server.local_addr();
    ///     server.shutdown().await;
    ///     assert!(TcpStream::connect(addr).await.is_err());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn shutdown(mut self) {
        self.stop = None;
        // The loop does not panic; an error here means the runtime is shutting down and
        // cancelled it, which stops it just as well.
        let _ = (&mut self.task).await;
    }
}

impl Drop for DebugServer {
    fn drop(&mut self) {
        // Dropping `stop` wakes the accept loop, which winds down as in `shutdown`.
        self.stop = None;
    }
}

impl fmt::Debug for DebugServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DebugServer")
            .field("local_addr", &self.local_addr)
            .field("task", &self.task.id())
            .finish()
    }
}

/// Step 1 and 3 of the module doc: accepts until `stopped` resolves (the sender sent or was
/// dropped), then aborts and awaits the connection tasks.
async fn accept_loop(listener: TcpListener, handle: Handle, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        let mut accept = pin!(accept_or_back_off(&listener));
        let event = poll_fn(|cx| {
            // Reap finished connections: `Ready(None)` once the set is empty, `Pending`
            // with a wake-up registered while some still run.
            while let Poll::Ready(Some(_)) = connections.poll_join_next(cx) {}
            if stopped.poll_unpin(cx).is_ready() {
                return Poll::Ready(None);
            }
            accept.as_mut().poll(cx).map(Some)
        })
        .await;
        match event {
            None => break,
            Some(Some(stream)) => {
                connections.spawn(serve_connection(stream, handle.clone()));
            }
            Some(None) => {}
        }
    }
    connections.shutdown().await;
}

/// The next connection, or `None` after an accept error and a short back-off.
async fn accept_or_back_off(listener: &TcpListener) -> Option<TcpStream> {
    match listener.accept().await {
        Ok((stream, _peer)) => Some(stream),
        Err(_) => {
            time::sleep(ACCEPT_BACK_OFF).await;
            None
        }
    }
}

/// Step 2 of the module doc: one request, one response, close.
async fn serve_connection(mut stream: TcpStream, handle: Handle) {
    let head = match time::timeout(IO_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        // Too slow or gone: nobody to answer.
        Err(_) | Ok(Err(_)) => return,
    };
    let Some(response) = respond(head, &handle).await else {
        return;
    };
    let _ = time::timeout(IO_TIMEOUT, async {
        stream.write_all(&response).await?;
        stream.close().await
    })
    .await;
}

/// What the client sent, as far as the server cares.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// A well-formed request line.
    Request { method: String, target: String },
    /// The request line is not `METHOD SP target SP HTTP/x.y`.
    Malformed,
    /// No blank line within `MAX_REQUEST_BYTES`.
    TooLarge,
    /// The client closed the connection without sending anything.
    Empty,
}

/// Reads up to the blank line that ends the headers (or the end of the stream) and parses
/// the request line; the headers are not looked at.
async fn read_head(stream: &mut TcpStream) -> io::Result<Head> {
    let mut buf = vec![0; MAX_REQUEST_BYTES];
    let mut len = 0;
    loop {
        if let Some(end) = end_of_head(&buf[..len]) {
            return Ok(parse_request_line(&buf[..end]));
        }
        if len == buf.len() {
            return Ok(Head::TooLarge);
        }
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            // The client sent all it will (e.g. wrote the request and shut down its side).
            return Ok(if len == 0 {
                Head::Empty
            } else {
                parse_request_line(&buf[..len])
            });
        }
        len += n;
    }
}

/// The length of the head up to and including its blank line, if `bytes` holds one. Lines
/// end in `\n`, with or without `\r` before it.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if byte == b'\n' {
            let line = &bytes[line_start..i];
            if line.is_empty() || line == b"\r" {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

/// Parses the first line of `head`: `METHOD SP target SP HTTP/d.d`.
fn parse_request_line(head: &[u8]) -> Head {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(line) = std::str::from_utf8(line) else {
        return Head::Malformed;
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Head::Malformed;
    };
    let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    let target_ok = target.starts_with('/') && !target.bytes().any(|b| b.is_ascii_control());
    let version_ok = matches!(
        version.strip_prefix("HTTP/").map(str::as_bytes),
        Some([major, b'.', minor]) if major.is_ascii_digit() && minor.is_ascii_digit()
    );
    if method_ok && target_ok && version_ok {
        Head::Request {
            method: method.to_owned(),
            target: target.to_owned(),
        }
    } else {
        Head::Malformed
    }
}

/// The response to `head`, or `None` to close without one.
async fn respond(head: Head, handle: &Handle) -> Option<Vec<u8>> {
    let (method, target) = match head {
        Head::Request { method, target } => (method, target),
        Head::Empty => return None,
        Head::Malformed => {
            return Some(response(
                "400 Bad Request",
                &[],
                "malformed request line\n",
                true,
            ));
        }
        Head::TooLarge => {
            let body = format!("request head larger than {MAX_REQUEST_BYTES} bytes\n");
            return Some(response(
                "431 Request Header Fields Too Large",
                &[],
                &body,
                true,
            ));
        }
    };
    let with_body = match method.as_str() {
        "GET" => true,
        "HEAD" => false,
        _ => {
            return Some(response(
                "405 Method Not Allowed",
                &["Allow: GET, HEAD"],
                "only GET and HEAD\n",
                true,
            ));
        }
    };
    let path = target.split('?').next().unwrap_or_default();
    let response = match path {
        "/metrics" => response(
            "200 OK",
            &["Content-Type: text/plain; version=0.0.4; charset=utf-8"],
            &render_metrics(&handle.metrics()),
            with_body,
        ),
        "/tasks" => {
            let dumper = handle.clone();
            let text = handle
                .spawn_blocking(move || render_tasks(&dumper.dump()))
                .await
                .ok()?;
            response(
                "200 OK",
                &["Content-Type: text/plain; charset=utf-8"],
                &text,
                with_body,
            )
        }
        _ => response(
            "404 Not Found",
            &[],
            "not found: try /metrics or /tasks\n",
            with_body,
        ),
    };
    Some(response)
}

/// An HTTP/1.0 response; `headers` go after the status line, before the standard ones.
fn response(status: &str, headers: &[&str], body: &str, with_body: bool) -> Vec<u8> {
    let mut head = format!("HTTP/1.0 {status}\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    if !headers.iter().any(|h| h.starts_with("Content-Type:")) {
        head.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut bytes = head.into_bytes();
    if with_body {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

/// `metrics` in the Prometheus text exposition format (version 0.0.4): a `# HELP` and a
/// `# TYPE` line per metric, then its samples. Counters end in `_total`; each worker's
/// local queue depth is one sample of `goro_local_queue_depth` labelled `worker="N"`.
///
/// For services that already run an HTTP server: serve this from it instead of [`serve`].
///
/// ```
/// goro::run(async {
///     let text = goro::debug::render_metrics(&goro::Handle::current().metrics());
///     assert!(text.contains("# TYPE goro_polls_total counter\n"));
///     assert!(text.contains("\ngoro_local_queue_depth{worker=\"0\"} "));
/// });
/// ```
pub fn render_metrics(metrics: &RuntimeMetrics) -> String {
    let mut out = String::with_capacity(2048);
    let counters: [(&str, &str, u64); 7] = [
        (
            "goro_polls_total",
            "Task polls by all workers.",
            metrics.polls,
        ),
        (
            "goro_spawned_tasks_total",
            "Tasks spawned since the runtime started (blocking tasks excluded).",
            metrics.spawned_tasks,
        ),
        (
            "goro_steals_total",
            "Tasks taken from another worker's queue or next slot.",
            metrics.steals,
        ),
        (
            "goro_parks_total",
            "Times a worker parked for lack of work.",
            metrics.parks,
        ),
        (
            "goro_reactor_wakeups_total",
            "Sockets and timers made ready by the reactor.",
            metrics.reactor_wakeups,
        ),
        (
            "goro_overflows_total",
            "Tasks moved from a full local queue to the global queue.",
            metrics.overflows,
        ),
        (
            "goro_blocked_worker_events_total",
            "Times the monitor found a worker stuck in one poll and handed its place to a new thread.",
            metrics.blocked_worker_events,
        ),
    ];
    write_metrics(&mut out, "counter", &counters);
    let gauges: [(&str, &str, u64); 3] = [
        ("goro_workers", "Worker threads.", metrics.workers as u64),
        (
            "goro_live_tasks",
            "Tasks spawned and not yet finished (blocking tasks excluded).",
            metrics.live_tasks as u64,
        ),
        (
            "goro_global_queue_depth",
            "Tasks waiting in the global injection queue.",
            metrics.global_queue_depth as u64,
        ),
    ];
    write_metrics(&mut out, "gauge", &gauges);
    let name = "goro_local_queue_depth";
    metric_head(
        &mut out,
        name,
        "Tasks waiting in each worker's local queue, its next slot included.",
        "gauge",
    );
    for (worker, depth) in metrics.local_queue_depths.iter().enumerate() {
        let _ = writeln!(out, "{name}{{worker=\"{worker}\"}} {depth}");
    }
    let blocking: [(&str, &str, u64); 3] = [
        (
            "goro_blocking_threads",
            "Threads of the blocking pool, busy or idle.",
            metrics.blocking_threads as u64,
        ),
        (
            "goro_blocking_idle_threads",
            "Idle threads of the blocking pool.",
            metrics.blocking_idle_threads as u64,
        ),
        (
            "goro_blocking_queue_depth",
            "Tasks waiting in the blocking pool's queue.",
            metrics.blocking_queue_depth as u64,
        ),
    ];
    write_metrics(&mut out, "gauge", &blocking);
    out
}

/// Writes each unlabelled metric of `kind`: its `# HELP`/`# TYPE` lines and its value.
fn write_metrics(out: &mut String, kind: &str, metrics: &[(&str, &str, u64)]) {
    for &(name, help, value) in metrics {
        metric_head(out, name, help, kind);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// The `# HELP` and `# TYPE` lines of one metric. `help` must hold no `\` or newline (the
/// format would need them escaped); ours are constants without either.
fn metric_head(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A task dump as text: a `#` line with the count, a `#` line naming the columns, then one
/// task per line, by id: `id state in_state_for age polls location`, with the state
/// `idle`, `scheduled` or `running` and the times in seconds (`0.125s`). The location comes
/// last, so a path with spaces in it is still one field: the rest of the line.
///
/// ```
/// goro::run(async {
///     let pending = goro::spawn(std::future::pending::<()>());
///     goro::yield_now().await;
///     let text = goro::debug::render_tasks(&goro::Handle::current().dump());
///     let line = text.lines().find(|l| l.starts_with(&format!("{} ", pending.id()))).unwrap();
///     assert!(line.contains(".rs:"), "{line}");
///     pending.abort();
/// });
/// ```
pub fn render_tasks(tasks: &[TaskInfo]) -> String {
    let mut sorted: Vec<&TaskInfo> = tasks.iter().collect();
    sorted.sort_by_key(|task| task.id);
    let mut out = String::with_capacity(64 + 80 * sorted.len());
    let _ = writeln!(out, "# {} live tasks", sorted.len());
    out.push_str("# id state in_state_for age polls location\n");
    for task in sorted {
        let state = match task.state {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
        };
        let _ = writeln!(
            out,
            "{} {state} {:.3}s {:.3}s {} {}",
            task.id,
            task.in_state_for.as_secs_f64(),
            task.age.as_secs_f64(),
            task.polls,
            task.location
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str) -> Head {
        Head::Request {
            method: method.to_owned(),
            target: target.to_owned(),
        }
    }

    #[test]
    fn request_lines() {
        let parse = |s: &str| parse_request_line(s.as_bytes());
        assert_eq!(
            parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            request("GET", "/metrics")
        );
        assert_eq!(parse("HEAD /tasks HTTP/1.0\n\n"), request("HEAD", "/tasks"));
        assert_eq!(parse("GET /metrics HTTP/1.0"), request("GET", "/metrics"));
        for bad in [
            "",
            "\r\n",
            "GET\r\n",
            "GET /metrics\r\n",
            "GET  /metrics HTTP/1.0\r\n",
            "GET /metrics HTTP/1.0 extra\r\n",
            "get /metrics HTTP/1.0\r\n",
            "GET metrics HTTP/1.0\r\n",
            "GET /metrics HTTP/one\r\n",
            "GET /metrics FTP/1.0\r\n",
            "GET /met\x01rics HTTP/1.0\r\n",
        ] {
            assert_eq!(parse(bad), Head::Malformed, "{bad:?}");
        }
        assert_eq!(
            parse_request_line(b"GET /\xff HTTP/1.0\r\n"),
            Head::Malformed
        );
    }

    #[test]
    fn ends_of_heads() {
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\n"), None);
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\n\r\n"), Some(18));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\nA: b\n\nrest"), Some(21));
        assert_eq!(end_of_head(b"GET / HTTP/1.0\r\nA: b\r\n"), None);
    }

    #[test]
    fn responses() {
        let text = String::from_utf8(response("404 Not Found", &[], "gone\n", true)).unwrap();
        assert_eq!(
            text,
            "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 5\r\nConnection: close\r\n\r\ngone\n"
        );
        let head = String::from_utf8(response("200 OK", &[], "body", false)).unwrap();
        assert!(head.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n"));
    }

    #[test]
    fn metrics_text() {
        let metrics = RuntimeMetrics {
            workers: 2,
            local_queue_depths: vec![3, 0],
            polls: 7,
            ..RuntimeMetrics::default()
        };
        let text = render_metrics(&metrics);
        assert!(text.contains("# TYPE goro_polls_total counter\ngoro_polls_total 7\n"));
        assert!(text.contains("# TYPE goro_workers gauge\ngoro_workers 2\n"));
        assert!(text.contains(
            "goro_local_queue_depth{worker=\"0\"} 3\ngoro_local_queue_depth{worker=\"1\"} 0\n"
        ));
        assert!(text.ends_with("goro_blocking_queue_depth 0\n"));
    }
}
