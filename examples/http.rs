//! A small HTTP/1 server: hyper on goro.
//!
//! ```sh
//! cargo run --release --features hyper --example http [ADDR]   # ADDR: 127.0.0.1:3000
//! ```
//!
//! Routes: `/` says hello, `/echo` streams the request body back, `/stream` sends a body in
//! chunks with pauses in between (watch it arrive with `curl -N`), anything else is a 404.
//! It serves until killed. Each connection is a goro task running hyper's
//! `server::conn::http1` over `goro::hyper::Io`, with `goro::hyper::Timer` for the
//! header-read timeout that cuts off clients too slow to send their request.

use bytes::Bytes;
use goro::hyper::{Io, Timer};
use goro::net::TcpListener;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use std::time::Duration;

/// Every route's body: a whole buffer, the request's own body, or a stream.
type Body = UnsyncBoxBody<Bytes, hyper::Error>;

/// How many chunks `/stream` sends, and the pause before each.
const CHUNKS: usize = 10;
const CHUNK_PAUSE: Duration = Duration::from_millis(200);

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The chunks of `/stream`, one every `CHUNK_PAUSE`, on goro's timer.
fn chunks() -> Body {
    let chunks = futures::stream::unfold(0, |i| async move {
        if i == CHUNKS {
            return None;
        }
        goro::time::sleep(CHUNK_PAUSE).await;
        let frame = Frame::data(Bytes::from(format!("chunk {} of {CHUNKS}\n", i + 1)));
        Some((Ok(frame), i + 1))
    });
    StreamBody::new(chunks).boxed_unsync()
}

async fn route(request: Request<Incoming>) -> Result<Response<Body>, hyper::Error> {
    let response = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => Response::new(full("hello from hyper on goro\n")),
        // The body goes back as it arrives, never buffered whole.
        (&Method::POST, "/echo") => Response::new(request.into_body().boxed_unsync()),
        (&Method::GET, "/stream") => Response::new(chunks()),
        _ => {
            let mut response = Response::new(full("not found\n"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    };
    Ok(response)
}

#[goro::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let listener = TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("hyper on goro, listening on http://{addr}; try:");
    println!("  curl http://{addr}/");
    println!("  curl --data-binary 'hello, echo' http://{addr}/echo");
    println!("  curl -N http://{addr}/stream");
    println!("  curl -i http://{addr}/nowhere");

    let mut builder = http1::Builder::new();
    builder
        .timer(Timer)
        .header_read_timeout(Duration::from_secs(10));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: say so, and keep serving.
                eprintln!("accept: {err}");
                goro::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Answers go out at once, not merged with the next ones (not worth failing over).
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        // One task per connection, detached: it ends when the client goes away.
        drop(goro::spawn(async move {
            let io = Io::new(stream).vectored_writes(true);
            if let Err(err) = builder.serve_connection(io, service_fn(route)).await {
                eprintln!("{peer}: {err}");
            }
        }));
    }
}
