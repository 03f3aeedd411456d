//! The hello server that `benches/http_wrk.sh` loads with wrk: hyper 1.x's
//! `server::conn::http1`, keep-alive, one task per connection, on goro or on tokio.
//!
//! ```sh
//! cargo run --release --features hyper --example hello_server -- --runtime goro|tokio \
//!     [--workers N] [--addr ADDR]
//! ```
//!
//! It prints `listening on http://ADDR` (port 0, the default, lets the OS choose) and serves
//! `hello, world` to every request until SIGINT (ctrl-c); then it prints on stderr how many
//! requests it served and, on goro, the runtime's polls, parks and reactor wake-ups per
//! request (`Handle::metrics`).
//!
//! The two sides differ only in the runtime: the same service, the same `http1::Builder`
//! (hyper's defaults), `TCP_NODELAY` on every accepted socket; each runtime's own hyper
//! adapter (`goro::hyper::Io` on goro, hyper-util's `TokioIo` on tokio).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const USAGE: &str = "usage: hello_server --runtime goro|tokio [--workers N] [--addr ADDR]";

/// Requests served by the connections that have ended.
static SERVED: AtomicU64 = AtomicU64::new(0);

/// The one route.
async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"hello, world",
    ))))
}

/// The hyper configuration both runtimes use: hyper's defaults.
fn builder() -> http1::Builder {
    http1::Builder::new()
}

/// Serves one connection, then adds its requests to `SERVED`.
async fn connection<I>(io: I)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    // One counter per connection: uncontended.
    let requests = AtomicU64::new(0);
    let service = service_fn(|request| {
        // `Relaxed`: a statistic, read at exit.
        requests.fetch_add(1, Relaxed);
        hello(request)
    });
    // A client that goes away mid-request is no concern of a benchmark's server.
    let _ = builder().serve_connection(io, service).await;
    SERVED.fetch_add(requests.load(Relaxed), Relaxed);
}

#[derive(Clone, Copy, PartialEq)]
enum Runtime {
    Goro,
    Tokio,
}

struct Options {
    runtime: Runtime,
    workers: usize,
    addr: String,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut runtime, mut workers, mut addr) = (None, 2, "127.0.0.1:0".to_string());
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--runtime" => {
                runtime = Some(match value()?.as_str() {
                    "goro" => Runtime::Goro,
                    "tokio" => Runtime::Tokio,
                    other => return Err(format!("no runtime {other:?}: goro or tokio")),
                })
            }
            "--workers" => {
                workers = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--workers takes a number above 0")?
            }
            "--addr" => addr = value()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let runtime = runtime.ok_or("--runtime is required")?;
    Ok(Options {
        runtime,
        workers,
        addr,
    })
}

/// Says where the server listens, at once (the script waits for this line).
fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{addr}");
    let _ = stdout.flush();
}

fn serve_on_goro(options: &Options) -> std::io::Result<()> {
    use goro::hyper::Io;
    let runtime = goro::Builder::new()
        .worker_threads(options.workers)
        .build()?;
    runtime.block_on(async {
        let listener = goro::net::TcpListener::bind(options.addr.as_str()).await?;
        announce(listener.local_addr()?);
        drop(goro::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        eprintln!("accept: {err}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                drop(goro::spawn(connection(Io::new(stream))));
            }
        }));
        goro::signal::ctrl_c().await
    })?;
    let served = SERVED.load(Relaxed);
    let metrics = runtime.metrics();
    let per_request = |n: u64| n as f64 / served.max(1) as f64;
    eprintln!(
        "goro: {served} requests; per request: {:.3} polls, {:.3} parks, {:.3} reactor \
         wake-ups; {} steals",
        per_request(metrics.polls),
        per_request(metrics.parks),
        per_request(metrics.reactor_wakeups),
        metrics.steals,
    );
    Ok(())
}

fn serve_on_tokio(options: &Options) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.workers)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(options.addr.as_str()).await?;
        announce(listener.local_addr()?);
        tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        eprintln!("accept: {err}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(connection(TokioIo::new(stream)));
            }
        });
        tokio::signal::ctrl_c().await
    })?;
    eprintln!("tokio: {} requests", SERVED.load(Relaxed));
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("hello_server: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let served = match options.runtime {
        Runtime::Goro => serve_on_goro(&options),
        Runtime::Tokio => serve_on_tokio(&options),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hello_server: {err}");
            ExitCode::FAILURE
        }
    }
}
