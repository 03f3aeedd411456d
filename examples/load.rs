//! A load generator for an echo server (such as `examples/echo.rs`): opens N connections,
//! and on each one sends a message and waits for its echo, again and again, for a while.
//! Then it prints the round trips per second and the latency percentiles.
//!
//! ```text
//! cargo run --release --example load -- [addr] [connections] [seconds] [size]
//! #                         defaults:  127.0.0.1:7878     50          5      64
//! ```
//!
//! Each connection is one goro task keeping one message in flight; it records the latency
//! of every round trip. At the end the samples of all connections are merged and sorted for
//! the percentiles.

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::TcpStream;
use std::io;
use std::time::{Duration, Instant};

struct Options {
    addr: String,
    connections: usize,
    duration: Duration,
    size: usize,
}

fn options() -> Result<Options, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64, what: &str| -> Result<u64, String> {
        match args.get(i) {
            None => Ok(default),
            Some(arg) => arg
                .parse()
                .map_err(|err| format!("{what} must be a number, not {arg:?}: {err}")),
        }
    };
    let options = Options {
        addr: args
            .first()
            .cloned()
            .unwrap_or_else(|| "127.0.0.1:7878".to_string()),
        connections: number(1, 50, "connections")? as usize,
        duration: Duration::from_secs(number(2, 5, "seconds")?),
        size: number(3, 64, "size")? as usize,
    };
    if options.connections == 0 || options.size == 0 {
        return Err("connections and size must be at least 1".to_string());
    }
    Ok(options)
}

#[goro::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Options {
        addr,
        connections,
        duration,
        size,
    } = options()?;

    // Connect everyone first, so that the measurement covers round trips only.
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(&addr).await?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    eprintln!("load: {connections} connections to {addr}, {size}-byte messages, for {duration:?}");

    let start = Instant::now();
    let deadline = start + duration;
    let mut clients = goro::JoinSet::new();
    for stream in streams {
        clients.spawn(round_trips(stream, size, deadline));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for client in clients.join_all().await {
        latencies.extend(client?);
    }
    let elapsed = start.elapsed();

    latencies.sort_unstable();
    let count = latencies.len();
    if count == 0 {
        return Err("no round trip completed".into());
    }
    let percentile = |p: f64| latencies[((count as f64 * p) as usize).min(count - 1)];
    println!(
        "{count} round trips in {:.2} s: {:.0} round trips/s",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:?}, p99 {:?}, max {:?}",
        percentile(0.50),
        percentile(0.99),
        latencies[count - 1]
    );
    Ok(())
}

/// Round trips on one connection until `deadline`; the latency of each.
async fn round_trips(
    mut stream: TcpStream,
    size: usize,
    deadline: Instant,
) -> io::Result<Vec<Duration>> {
    let message: Vec<u8> = (0..size).map(|i| i as u8).collect();
    let mut echo = vec![0; size];
    let mut latencies = Vec::with_capacity(64 * 1024);
    loop {
        let sent = Instant::now();
        if sent >= deadline {
            break;
        }
        stream.write_all(&message).await?;
        stream.read_exact(&mut echo).await?;
        latencies.push(sent.elapsed());
        if echo != message {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the echo differs from the message",
            ));
        }
    }
    stream.close().await?;
    Ok(latencies)
}
