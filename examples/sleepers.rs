//! A million sleeping tasks: memory per sleeping task for goro and tokio (each in a fresh
//! process), that every sleep completes, and what `Handle::dump()` costs with a million
//! live tasks.
//!
//! ```sh
//! cargo run --release --example sleepers            # 1,000,000 tasks, 1 s sleeps
//! cargo run --release --example sleepers -- 100000  # fewer
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

const SLEEP: Duration = Duration::from_secs(1);
const WORKERS: usize = 2;

/// Resident set size of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Prints `bytes=… done=… took=…` for `tasks` sleeping tasks on goro.
fn goro_child(tasks: usize) {
    let runtime = goro::Builder::new()
        .worker_threads(WORKERS)
        .build()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let (bytes, dump) = runtime.block_on(async {
        let before = rss();
        let mut handles = Vec::with_capacity(tasks);
        let base = rss() - before;
        for _ in 0..tasks {
            let done = done.clone();
            handles.push(goro::spawn(async move {
                goro::time::sleep(SLEEP).await;
                done.fetch_add(1, Relaxed);
            }));
        }
        let start = Instant::now();
        let live = goro::Handle::current().dump().len();
        let dump = (start.elapsed(), live);
        goro::time::sleep(Duration::from_millis(300)).await;
        let bytes = rss() - before - base;
        for handle in handles {
            handle.await.unwrap();
        }
        (bytes, dump)
    });
    println!(
        "bytes={bytes} done={} dump_ms={:.1} dump_len={}",
        done.load(Relaxed),
        dump.0.as_secs_f64() * 1e3,
        dump.1
    );
}

/// Prints `bytes=… done=…` for `tasks` sleeping tasks on tokio.
fn tokio_child(tasks: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let bytes = runtime.block_on(async {
        let before = rss();
        let mut handles = Vec::with_capacity(tasks);
        let base = rss() - before;
        for _ in 0..tasks {
            let done = done.clone();
            handles.push(tokio::spawn(async move {
                tokio::time::sleep(SLEEP).await;
                done.fetch_add(1, Relaxed);
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let bytes = rss() - before - base;
        for handle in handles {
            handle.await.unwrap();
        }
        bytes
    });
    println!(
        "bytes={bytes} done={} dump_ms=- dump_len=-",
        done.load(Relaxed)
    );
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.split_whitespace()
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or("?")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if let Some(peer) = first.as_deref().and_then(|a| a.strip_prefix("--child=")) {
        let tasks = args.next().and_then(|n| n.parse().ok()).unwrap();
        return match peer {
            "goro" => goro_child(tasks),
            _ => tokio_child(tasks),
        };
    }
    let tasks: usize = first.and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    println!(
        "{tasks} tasks, each in a {SLEEP:?} sleep, {WORKERS} workers (each runtime in a fresh process)"
    );
    println!(
        "{:<6} {:>14} {:>12} {:>16}",
        "", "bytes/task", "completed", "dump()"
    );
    let mut per_task = Vec::new();
    for peer in ["goro", "tokio"] {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .arg(format!("--child={peer}"))
            .arg(tasks.to_string())
            .output()
            .expect("the child process failed to start");
        let out = String::from_utf8_lossy(&out.stdout).to_string();
        let bytes: f64 = field(&out, "bytes").parse().unwrap_or(f64::NAN);
        per_task.push(bytes / tasks as f64);
        let dump = match field(&out, "dump_ms") {
            "-" => "-".to_string(),
            ms => format!("{ms} ms ({} tasks)", field(&out, "dump_len")),
        };
        println!(
            "{peer:<6} {:>14.0} {:>12} {:>16}",
            bytes / tasks as f64,
            field(&out, "done"),
            dump
        );
    }
    println!(
        "goro/tokio memory per sleeping task: {:.2}",
        per_task[0] / per_task[1]
    );
}
