//! A TCP echo server on goro: one task per connection, each copying back what it reads.
//!
//! ```text
//! cargo run --release --example echo -- [addr]      # addr defaults to 127.0.0.1:7878
//! cargo run --release --example load -- [addr]      # in another terminal: measure it
//! ```
//!
//! It serves until the process is stopped: Ctrl-C (SIGINT) ends it at once, as any signal
//! that is not handled does; goro installs no signal handler and this example uses no
//! extra crate for one. Open connections are simply closed by the OS.
//!
//! The accept loop is the part worth copying. `accept` fails for reasons that say nothing
//! about the listener: a client that gave up before it was accepted, or the process running
//! out of file descriptors (`EMFILE`, or `ENFILE` for the whole system). Those must not end
//! the server: on running out of descriptors it pauses (connections close meanwhile and free
//! some), and it skips the others.

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpStream};
use std::io;
use std::time::Duration;

/// `ENFILE` and `EMFILE` on Linux and the BSDs: the system's or the process's file table is
/// full.
const ENFILE: i32 = 23;
const EMFILE: i32 = 24;

#[goro::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_string());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!("echo: listening on {}", listener.local_addr()?);

    let mut out_of_descriptors = false;
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                out_of_descriptors = false;
                // Detached: the connection's task runs on its own until the client leaves.
                drop(goro::spawn(serve(stream)));
            }
            Err(err) if matches!(err.raw_os_error(), Some(EMFILE | ENFILE)) => {
                if !out_of_descriptors {
                    eprintln!("echo: accept: {err}; pausing accepts until descriptors free up");
                    out_of_descriptors = true;
                }
                goro::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) if is_transient(&err) => continue,
            Err(err) => {
                eprintln!("echo: accept failed: {err}");
                return Err(err);
            }
        }
    }
}

/// Errors of one connection attempt (the client gave up), or of a moment of memory
/// pressure: skip it and go on.
fn is_transient(err: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        err.kind(),
        ConnectionAborted
            | ConnectionReset
            | ConnectionRefused
            | Interrupted
            | TimedOut
            | WouldBlock
            | OutOfMemory
    )
}

/// Echoes until the client closes its side (or the connection breaks).
async fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
