//! A TCP line-echo server that shuts down gracefully on ctrl-c or `SIGTERM`:
//! 1. it stops accepting (the listener closes, so new connections are refused);
//! 2. it lets the connections in flight finish, up to a deadline;
//! 3. it aborts the ones still open, and says what it did.
//!
//! ```sh
//! cargo run --example graceful_shutdown [addr] [deadline_ms]   # 127.0.0.1:7879, 10000
//! nc 127.0.0.1 7879                # each line typed comes back; ctrl-d ends the connection
//! kill -TERM <pid>                 # or ctrl-c in the server's terminal
//! ```
//!
//! `tests/signal.rs` includes this file and runs [`serve`] against a `SIGTERM` in a child
//! process, so the example and its test cannot drift apart.

use futures::future::{self, Either};
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use goro::JoinSet;
use goro::net::{TcpListener, TcpStream};
use goro::signal::unix::{SignalKind, signal};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::time::Duration;

#[goro::main]
async fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7879".to_string());
    let deadline = match args.next() {
        Some(ms) => Duration::from_millis(ms.parse().map_err(io::Error::other)?),
        None => Duration::from_secs(10),
    };
    // Listen for the signals before anything else: from here on they are caught, not fatal.
    let shutdown = shutdown_requested()?;
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!(
        "listening on {} (pid {}): ctrl-c or SIGTERM to stop",
        listener.local_addr()?,
        std::process::id()
    );
    let report = serve(listener, shutdown, deadline).await;
    println!("{report}");
    Ok(())
}

/// Completes at the first ctrl-c (`SIGINT`) or `SIGTERM`, answering which. Listens from
/// the call on, not from the first poll.
pub fn shutdown_requested() -> io::Result<impl Future<Output = SignalKind>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        match future::select(pin!(interrupt.recv()), pin!(terminate.recv())).await {
            Either::Left(_) => SignalKind::interrupt(),
            Either::Right(_) => SignalKind::terminate(),
        }
    })
}

/// What [`serve`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The signal that started the shutdown.
    pub signal: SignalKind,
    /// Connections accepted in all.
    pub accepted: usize,
    /// Connections still open when the shutdown began.
    pub in_flight: usize,
    /// Of those, the ones that finished within the deadline.
    pub drained: usize,
    /// Of those, the ones aborted at the deadline.
    pub aborted: usize,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signal = if self.signal == SignalKind::interrupt() {
            "ctrl-c"
        } else {
            "SIGTERM"
        };
        write!(
            f,
            "{signal}: stopped accepting after {} connections; {} in flight: {} finished \
             within the deadline, {} aborted",
            self.accepted, self.in_flight, self.drained, self.aborted
        )
    }
}

/// Serves `listener` until `shutdown` completes, then stops accepting, gives the
/// connections in flight `deadline` to finish, and aborts the rest.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = SignalKind>,
    deadline: Duration,
) -> Report {
    let mut accepted = 0;
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    let signal = loop {
        match future::select(shutdown.as_mut(), pin!(listener.accept())).await {
            Either::Left((signal, _)) => break signal,
            Either::Right((Ok((stream, _)), _)) => {
                accepted += 1;
                connections.spawn(echo_lines(stream));
            }
            // Out of descriptors, a connection reset before it was accepted: say so, and
            // keep serving after a pause (an accept that fails at once would spin).
            Either::Right((Err(err), _)) => {
                eprintln!("accept: {err}");
                goro::time::sleep(Duration::from_millis(100)).await;
            }
        }
        while connections.try_join_next().is_some() {}
    };

    // 1. Stop accepting.
    drop(listener);
    let in_flight = connections.len();

    // 2. Drain, up to the deadline.
    let mut drained = 0;
    let drain = async {
        while connections.join_next().await.is_some() {
            drained += 1;
        }
    };
    let _ = goro::time::timeout(deadline, drain).await;

    // 3. Abort what is left (and wait until it is gone).
    let aborted = connections.len();
    connections.shutdown().await;
    Report {
        signal,
        accepted,
        in_flight,
        drained,
        aborted,
    }
}

/// Echoes each line back until the client closes its side.
async fn echo_lines(stream: TcpStream) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader);
    let mut line = String::new();
    while lines.read_line(&mut line).await? > 0 {
        writer.write_all(line.as_bytes()).await?;
        line.clear();
    }
    Ok(())
}
