//! A tokio-bound library in goro tasks: a hyper server on goro whose handler calls another
//! local service with reqwest, through `goro::compat::tokio::Compat`.
//!
//! ```sh
//! cargo run --features hyper,tokio-compat --example reqwest_compat
//! ```
//!
//! Two servers, both hyper on goro, on ports the OS picks: a backend that answers
//! `/weather/<city>`, and a front whose `/forecast/<city>` handler asks the backend with
//! reqwest and answers with what it learned. reqwest runs on tokio's sockets and timers:
//! awaited bare in a goro task, it panics ("there is no reactor running"); wrapped in
//! `Compat`, it runs in the context of a tokio runtime that goro starts lazily in the
//! background. The program then asks the front a few times (with reqwest too), prints the
//! answers, and exits. `tests/tokio_compat.rs` runs it too.

use bytes::Bytes;
use goro::compat::tokio::CompatExt;
use goro::hyper::{Io, Timer};
use goro::net::TcpListener;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

type Answer = Result<Response<Full<Bytes>>, Infallible>;

fn answer(status: StatusCode, text: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    Ok(response)
}

/// The backend: the weather of a city it knows.
async fn weather(request: Request<Incoming>) -> Answer {
    let city = request.uri().path().trim_start_matches("/weather/");
    match city {
        "lisbon" => answer(StatusCode::OK, "sunny, 24°C".to_string()),
        "oslo" => answer(StatusCode::OK, "snow, -3°C".to_string()),
        _ => answer(StatusCode::NOT_FOUND, format!("no weather for {city:?}")),
    }
}

/// The front: asks the backend with reqwest, inside a goro task (hyper's handler).
async fn forecast(
    client: reqwest::Client,
    backend: SocketAddr,
    request: Request<Incoming>,
) -> Answer {
    let city = request.uri().path().trim_start_matches("/forecast/");
    let url = format!("http://{backend}/weather/{city}");
    // reqwest needs tokio's runtime: `.compat()` gives it one.
    let reply = async {
        let response = client.get(url).send().await?.error_for_status()?;
        response.text().await
    }
    .compat()
    .await;
    match reply {
        Ok(weather) => answer(StatusCode::OK, format!("forecast for {city}: {weather}")),
        Err(err) => answer(
            StatusCode::BAD_GATEWAY,
            format!("the backend failed: {err}"),
        ),
    }
}

/// Serves hyper's HTTP/1 with `handler` on every connection, each a goro task, until the
/// program ends.
async fn serve<H, F>(listener: TcpListener, handler: H)
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Answer> + Send + 'static,
{
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                eprintln!("accept: {err}");
                goro::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let handler = handler.clone();
        drop(goro::spawn(async move {
            let connection = http1::Builder::new()
                .timer(Timer)
                .serve_connection(Io::new(stream), service_fn(handler));
            if let Err(err) = connection.await {
                eprintln!("connection: {err}");
            }
        }));
    }
}

#[goro::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    for line in forecasts(&["lisbon", "oslo", "atlantis"]).await? {
        println!("{line}");
    }
    Ok(())
}

/// Starts both servers, asks the front for each city's forecast, and answers one line per
/// city: the request, the status and the body. The servers stop when it returns.
pub async fn forecasts(cities: &[&str]) -> Result<Vec<String>, Box<dyn Error + Send + Sync>> {
    // Plain HTTP on loopback: no proxy from the environment.
    let client = reqwest::Client::builder().no_proxy().build()?;
    let mut servers = goro::JoinSet::new();

    let backend = TcpListener::bind("127.0.0.1:0").await?;
    let backend_addr = backend.local_addr()?;
    servers.spawn(serve(backend, weather));

    let front = TcpListener::bind("127.0.0.1:0").await?;
    let front_addr = front.local_addr()?;
    let front_client = client.clone();
    servers.spawn(serve(front, move |request| {
        forecast(front_client.clone(), backend_addr, request)
    }));
    println!("backend on http://{backend_addr}, front on http://{front_addr}");

    let mut lines = Vec::new();
    for city in cities {
        let url = format!("http://{front_addr}/forecast/{city}");
        let (status, body) = async {
            let response = client.get(&url).send().await?;
            Ok::<_, reqwest::Error>((response.status(), response.text().await?))
        }
        .compat()
        .await?;
        lines.push(format!("GET {url} -> {status}: {body}"));
    }
    Ok(lines)
}
