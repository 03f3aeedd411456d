//! The debug endpoint (feature `debug-endpoint`): `/metrics` parses as the Prometheus text
//! format and holds every goro metric, `/tasks` lists a pending task with its spawn
//! location, the error paths (400, 404, 405, 431), a client that sends nothing does not
//! hold up the others, shutdown leaves no task behind (each test's `#[goro::test]` checks
//! that), and `curl` gets the same answers when it is installed. On 1 and 4 workers and on a
//! current-thread runtime.

#![cfg(feature = "debug-endpoint")]

#[macro_use]
mod support;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::debug::{DebugServer, MAX_REQUEST_BYTES};
use goro::net::TcpStream;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};
use support::on_current_thread;

/// A parsed response.
#[derive(Debug)]
struct Response {
    status: String,
    headers: Vec<String>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (key, value) = h.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `request` raw on a new connection and reads the response to the end.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    parse(&String::from_utf8(bytes).unwrap())
}

fn parse(text: &str) -> Response {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("no blank line after the head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().to_owned();
    Response {
        status,
        headers: lines.map(str::to_owned).collect(),
        body: body.to_owned(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nAccept: */*\r\n\r\n");
    exchange(addr, request.as_bytes()).await
}

async fn server() -> DebugServer {
    goro::debug::serve("127.0.0.1:0").await.unwrap()
}

/// A server on a loopback address of its own (127.38.`test`.N, N the worker count, or 200 on
/// a current-thread runtime), so that a refused connection after shutdown proves the
/// listener closed: on a shared address another test may bind the freed port at once.
/// `None`, with a note, where only 127.0.0.1 is loopback (Linux routes all of 127.0.0.0/8 to
/// it; macOS does not by default).
async fn server_on_a_private_address(test: u8) -> Option<DebugServer> {
    let runtime = if on_current_thread() {
        200
    } else {
        goro::Handle::current().worker_threads() as u8
    };
    match goro::debug::serve((std::net::Ipv4Addr::new(127, 38, test, runtime), 0)).await {
        Ok(server) => Some(server),
        Err(err) => {
            println!("no private loopback address ({err}): skipping the closed-listener check");
            None
        }
    }
}

/// Asserts that connecting to `addr` is refused, within a second. Not at once: while the
/// curl test starts a process, the child holds a copy of every fd of this process until its
/// `exec` closes them (they are close-on-exec), a closed listener included.
async fn assert_refused_soon(addr: SocketAddr) {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return;
        }
        goro::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{addr} still accepts connections a second after the server stopped");
}

/// The samples of a Prometheus text exposition: `(name, labels, value)` for each line that
/// is not a comment, after checking that every such line is `name{labels}? value` and that
/// every sample's name has a `# TYPE` line before it.
fn samples(text: &str) -> Vec<(String, String, f64)> {
    let mut typed = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.split(' ');
            match words.next() {
                Some("TYPE") => {
                    let name = words.next().unwrap();
                    let kind = words.next().unwrap();
                    assert!(matches!(kind, "counter" | "gauge"), "{line}");
                    assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
                    typed.push(name.to_owned());
                }
                Some("HELP") => assert!(words.count() >= 2, "{line}"),
                _ => panic!("unexpected comment: {line}"),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line:?}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("{line:?}"));
                for label in labels.split(',') {
                    let (key, value) = label.split_once('=').unwrap();
                    assert!(is_metric_name(key), "{line:?}");
                    assert!(value.len() >= 2 && value.starts_with('"') && value.ends_with('"'));
                }
                (name, labels)
            }
            None => (series, ""),
        };
        assert!(is_metric_name(name), "{line:?}");
        assert!(typed.iter().any(|t| t == name), "no # TYPE before {line:?}");
        samples.push((name.to_owned(), labels.to_owned(), value));
    }
    samples
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn value_of(samples: &[(String, String, f64)], name: &str) -> f64 {
    samples
        .iter()
        .find(|(n, labels, _)| n == name && labels.is_empty())
        .unwrap_or_else(|| panic!("no sample {name}"))
        .2
}

/// The metrics the issue names, counters and gauges.
const NAMES: [&str; 14] = [
    "goro_polls_total",
    "goro_spawned_tasks_total",
    "goro_steals_total",
    "goro_parks_total",
    "goro_reactor_wakeups_total",
    "goro_overflows_total",
    "goro_blocked_worker_events_total",
    "goro_workers",
    "goro_live_tasks",
    "goro_global_queue_depth",
    "goro_local_queue_depth",
    "goro_blocking_threads",
    "goro_blocking_idle_threads",
    "goro_blocking_queue_depth",
];

suite! {
    async fn metrics_in_the_prometheus_format() {
        let server = server().await;
        for _ in 0..10 {
            goro::spawn(async {}).await.unwrap();
        }
        let response = get(server.local_addr(), "/metrics").await;
        assert_eq!(response.status, "HTTP/1.0 200 OK");
        assert_eq!(
            response.header("content-type"),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert_eq!(response.header("connection"), Some("close"));
        assert_eq!(
            response.header("content-length"),
            Some(response.body.len().to_string().as_str())
        );
        let samples = samples(&response.body);
        for name in NAMES {
            assert!(samples.iter().any(|(n, _, _)| n == name), "no {name}");
        }
        let workers = goro::Handle::current().worker_threads();
        assert_eq!(value_of(&samples, "goro_workers"), workers as f64);
        // 10 joined above, the server's accept loop and this connection's task.
        assert!(value_of(&samples, "goro_spawned_tasks_total") >= 12.0);
        assert!(value_of(&samples, "goro_polls_total") >= 12.0);
        assert!(value_of(&samples, "goro_live_tasks") >= 2.0);
        let per_worker: Vec<&str> = samples
            .iter()
            .filter(|(n, _, _)| n == "goro_local_queue_depth")
            .map(|(_, labels, _)| labels.as_str())
            .collect();
        let expected: Vec<String> = (0..workers).map(|w| format!("worker=\"{w}\"")).collect();
        assert_eq!(per_worker, expected);
        server.shutdown().await;
    }

    async fn tasks_lists_a_pending_task_where_it_was_spawned() {
        let server = server().await;
        let line = line!() + 1;
        let pending = goro::spawn(std::future::pending::<()>());
        goro::yield_now().await;
        let response = get(server.local_addr(), "/tasks").await;
        assert_eq!(response.status, "HTTP/1.0 200 OK");
        let mut lines = response.body.lines();
        let count = lines.next().unwrap();
        assert!(count.starts_with("# ") && count.ends_with(" live tasks"), "{count}");
        assert_eq!(lines.next(), Some("# id state in_state_for age polls location"));
        let id = pending.id().to_string();
        let task = lines
            .clone()
            .find(|l| l.split(' ').next() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("task {id} not in\n{}", response.body));
        let fields: Vec<&str> = task.splitn(6, ' ').collect();
        assert!(matches!(fields[1], "idle" | "scheduled"), "{task}");
        for time in &fields[2..4] {
            let secs = time.strip_suffix('s').unwrap();
            assert!(secs.parse::<f64>().unwrap() >= 0.0, "{task}");
        }
        assert!(fields[4].parse::<u32>().unwrap() <= 1, "{task}");
        let location = format!("{}:{line}:", file!());
        assert!(fields[5].starts_with(&location), "{task} is not at {location}");
        // Every other line is a task too: the server's own.
        for other in lines {
            assert_eq!(other.splitn(6, ' ').count(), 6, "{other}");
        }
        pending.abort();
        assert!(pending.await.unwrap_err().is_cancelled());
        server.shutdown().await;
    }

    async fn head_requests_get_headers_only() {
        let server = server().await;
        let response = exchange(server.local_addr(), b"HEAD /metrics HTTP/1.0\r\n\r\n").await;
        assert_eq!(response.status, "HTTP/1.0 200 OK");
        assert!(response.body.is_empty());
        assert_ne!(response.header("content-length"), Some("0"));
        server.shutdown().await;
    }

    async fn unknown_paths_are_404() {
        let server = server().await;
        for path in ["/", "/metric", "/tasks/1", "/favicon.ico"] {
            let response = get(server.local_addr(), path).await;
            assert_eq!(response.status, "HTTP/1.0 404 Not Found", "{path}");
        }
        // A query string does not change the path.
        let response = get(server.local_addr(), "/metrics?debug=1").await;
        assert_eq!(response.status, "HTTP/1.0 200 OK");
        server.shutdown().await;
    }

    async fn malformed_request_lines_are_400() {
        let server = server().await;
        for request in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET /metrics\r\n\r\n",
            b"GET metrics HTTP/1.0\r\n\r\n",
            b"GET /metrics HTTP/1.0 more\r\n\r\n",
            b"GET /metrics SPDY/3\r\n\r\n",
            b"\r\n",
            b"GET /\xff\xfe HTTP/1.0\r\n\r\n",
        ] {
            let response = exchange(server.local_addr(), request).await;
            assert_eq!(response.status, "HTTP/1.0 400 Bad Request", "{request:?}");
        }
        server.shutdown().await;
    }

    async fn other_methods_are_405() {
        let server = server().await;
        let response = exchange(server.local_addr(), b"POST /metrics HTTP/1.0\r\n\r\n").await;
        assert_eq!(response.status, "HTTP/1.0 405 Method Not Allowed");
        assert_eq!(response.header("allow"), Some("GET, HEAD"));
        server.shutdown().await;
    }

    async fn oversized_requests_are_431() {
        let server = server().await;
        let mut request = b"GET /metrics HTTP/1.0\r\n".to_vec();
        while request.len() < MAX_REQUEST_BYTES {
            request.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        // Exactly the limit, no blank line: the server reads it all, then answers.
        request.truncate(MAX_REQUEST_BYTES);
        let response = exchange(server.local_addr(), &request).await;
        assert_eq!(response.status, "HTTP/1.0 431 Request Header Fields Too Large");
        server.shutdown().await;
    }

    async fn a_silent_client_does_not_hold_up_the_others() {
        let server = server().await;
        // Half a request, then nothing: its connection task waits for the rest.
        let mut silent = TcpStream::connect(server.local_addr()).await.unwrap();
        silent.write_all(b"GET /metr").await.unwrap();
        let started = Instant::now();
        for _ in 0..5 {
            let response = get(server.local_addr(), "/metrics").await;
            assert_eq!(response.status, "HTTP/1.0 200 OK");
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        // Shutdown aborts the silent client's task too: the test's leak check sees none.
        server.shutdown().await;
        let mut rest = Vec::new();
        assert_eq!(silent.read_to_end(&mut rest).await.unwrap_or(0), 0);
    }

    async fn shutdown_closes_the_listener() {
        let Some(server) = server_on_a_private_address(1).await else {
            return;
        };
        let addr = server.local_addr();
        assert_eq!(get(addr, "/metrics").await.status, "HTTP/1.0 200 OK");
        server.shutdown().await;
        assert_refused_soon(addr).await;
    }

    async fn dropping_the_server_stops_it() {
        let Some(server) = server_on_a_private_address(2).await else {
            return;
        };
        let addr = server.local_addr();
        let live_before = goro::Handle::current().dump().len();
        drop(server);
        let deadline = Instant::now() + Duration::from_secs(10);
        while goro::Handle::current().dump().len() >= live_before {
            assert!(Instant::now() < deadline, "the server's task is still alive");
            goro::time::sleep(Duration::from_millis(1)).await;
        }
        assert_refused_soon(addr).await;
    }

    async fn curl_gets_the_same_answers() {
        if Command::new("curl").arg("--version").output().is_err() {
            println!("curl is not installed: skipping the curl check");
            return;
        }
        let server = server().await;
        let base = format!("http://{}", server.local_addr());
        let pending = goro::spawn(std::future::pending::<()>());
        let curl = |path: &'static str| {
            let url = format!("{base}{path}");
            goro::spawn_blocking(move || {
                let output = Command::new("curl")
                    .args(["--silent", "--show-error", "--include", "--max-time", "10"])
                    .arg(&url)
                    .output()
                    .expect("curl runs");
                assert!(output.status.success(), "curl {url}: {output:?}");
                parse(&String::from_utf8(output.stdout).unwrap())
            })
        };
        let metrics = curl("/metrics").await.unwrap();
        assert_eq!(metrics.status, "HTTP/1.0 200 OK");
        let samples = samples(&metrics.body);
        for name in NAMES {
            assert!(samples.iter().any(|(n, _, _)| n == name), "no {name}");
        }
        let tasks = curl("/tasks").await.unwrap();
        assert_eq!(tasks.status, "HTTP/1.0 200 OK");
        let id = format!("{} ", pending.id());
        let line = tasks.body.lines().find(|l| l.starts_with(&id)).unwrap();
        assert!(line.contains(file!()), "{line}");
        let missing = curl("/nowhere").await.unwrap();
        assert_eq!(missing.status, "HTTP/1.0 404 Not Found");
        pending.abort();
        assert!(pending.await.unwrap_err().is_cancelled());
        server.shutdown().await;
    }
}
