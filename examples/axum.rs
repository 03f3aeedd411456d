//! An axum `Router` served on goro, through hyper-util's service adapter.
//!
//! ```sh
//! cargo run --features hyper --example axum [ADDR]   # ADDR: 127.0.0.1:3000
//! curl http://127.0.0.1:3000/
//! curl http://127.0.0.1:3000/hello/gopher
//! curl --data-binary 'echo me' http://127.0.0.1:3000/echo
//! ```
//!
//! axum's `serve` needs tokio's runtime, so this serves the router the way `axum::serve`
//! does inside, on goro's pieces: goro's `TcpListener` accepts, each connection is a goro
//! task running hyper's `server::conn::http1` over `goro::hyper::Io`, and
//! `hyper_util::service::TowerToHyperService` turns the router (a tower service) into the
//! hyper service that the connection calls. axum comes without default features: no tokio.
//! It serves until killed.

use axum::Router;
use axum::extract::Path;
use axum::routing::{get, post};
use goro::hyper::Io;
use goro::net::TcpListener;
use hyper::server::conn::http1;
use hyper_util::service::TowerToHyperService;

/// The routes: a greeting, a greeting by name (a path parameter), an echo of the body.
fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "hello from axum on goro\n" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("hello, {name}\n") }),
        )
        .route("/echo", post(|body: String| async move { body }))
}

#[goro::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let listener = TcpListener::bind(&addr).await?;
    let addr = listener.local_addr()?;
    println!("axum on goro, listening on http://{addr}; try:");
    println!("  curl http://{addr}/");
    println!("  curl http://{addr}/hello/gopher");
    println!("  curl --data-binary 'echo me' http://{addr}/echo");

    let app = app();
    loop {
        // An error here (out of file descriptors, say) ends the example; `examples/http.rs`
        // shows an accept loop that pauses and goes on instead.
        let (stream, peer) = listener.accept().await?;
        let service = TowerToHyperService::new(app.clone());
        // One task per connection, detached: it ends when the client goes away.
        drop(goro::spawn(async move {
            let io = Io::new(stream).vectored_writes(true);
            if let Err(err) = http1::Builder::new().serve_connection(io, service).await {
                eprintln!("{peer}: {err}");
            }
        }));
    }
}
