//! A bounded stress run of the whole runtime, for leak checkers (`scripts/leakcheck.sh` runs
//! it under valgrind) and for eyes: spawn storms, aborts of sleeping tasks, timers, echo
//! traffic over loopback, `spawn_blocking`, panicking tasks, dropped `JoinSet`s, and at the
//! end a shutdown with tasks still running (sleeping, pending, mid-read on a socket).
//!
//! ```text
//! cargo run --release --example stress -- [seconds] [storm]
//! #                            defaults:      5      100000
//! ```
//!
//! Each workload is a driver task that repeats its round until the deadline; all run at
//! once on one runtime. `storm` is the number of tasks one spawn storm spawns and joins.
//! At the end it prints the counts and checks that every future it made was dropped
//! (exit 1 if not, or if any check failed).

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpStream};
use goro::{JoinSet, Runtime};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Everything counted. `Relaxed` throughout: the counts are read once, after every thread
/// that wrote them has been joined (the runtime's drop joins its workers).
#[derive(Default)]
struct Counts {
    spawned: AtomicU64,
    joined: AtomicU64,
    aborted: AtomicU64,
    sleeps: AtomicU64,
    ticks: AtomicU64,
    connections: AtomicU64,
    round_trips: AtomicU64,
    blocking: AtomicU64,
    panics: AtomicU64,
    set_drops: AtomicU64,
    /// Futures made with a `Tracked` inside, and how many of those were dropped.
    tracked: AtomicU64,
    untracked: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

/// Counts its own drop: every future that holds one must be dropped by the end.
struct Tracked(Arc<Counts>);

impl Tracked {
    fn new(counts: &Arc<Counts>) -> Tracked {
        Counts::add(&counts.tracked, 1);
        Tracked(counts.clone())
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        Counts::add(&self.0.untracked, 1);
    }
}

/// The message of the panics this program makes on purpose (the panic hook keeps quiet
/// about them).
const INTENTIONAL: &str = "stress: an intentional panic";

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args
        .next()
        .map(|s| s.parse().expect("seconds must be a number"))
        .unwrap_or(5.0);
    let storm: u64 = args
        .next()
        .map(|s| s.parse().expect("storm must be a number"))
        .unwrap_or(100_000);
    let run_for = Duration::from_secs_f64(seconds);

    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or_default();
        if message != INTENTIONAL {
            default_hook(info);
        }
    }));

    let counts = Arc::new(Counts::default());
    let runtime = Runtime::new().expect("the runtime starts");
    let started = Instant::now();
    let deadline = started + run_for;
    let failures = runtime.block_on(drive(counts.clone(), deadline, storm));
    let metrics = runtime.metrics();
    let live_at_shutdown = metrics.live_tasks;
    let shutdown = Instant::now();
    drop(runtime);
    let shutdown = shutdown.elapsed();
    let elapsed = started.elapsed();

    let c = |counter: &AtomicU64| counter.load(Relaxed);
    println!(
        "stress: ran {:.2} s on {} workers",
        elapsed.as_secs_f64(),
        metrics.workers
    );
    println!(
        "  spawns {} (joined {}), aborts {}, panics caught {}, JoinSets dropped {}",
        c(&counts.spawned),
        c(&counts.joined),
        c(&counts.aborted),
        c(&counts.panics),
        c(&counts.set_drops)
    );
    println!(
        "  timers: sleeps {}, interval ticks {}; blocking closures {}",
        c(&counts.sleeps),
        c(&counts.ticks),
        c(&counts.blocking)
    );
    println!(
        "  echo: connections {}, round trips {}",
        c(&counts.connections),
        c(&counts.round_trips)
    );
    println!(
        "  runtime: polls {}, steals {}, parks {}, reactor wake-ups {}, queue overflows {}",
        metrics.polls, metrics.steals, metrics.parks, metrics.reactor_wakeups, metrics.overflows
    );
    println!(
        "  shutdown with {live_at_shutdown} live tasks took {:.1} ms; tracked futures made {}, dropped {}",
        shutdown.as_secs_f64() * 1e3,
        c(&counts.tracked),
        c(&counts.untracked)
    );
    let mut failed = failures;
    if c(&counts.tracked) != c(&counts.untracked) {
        failed.push(format!(
            "{} tracked futures were never dropped",
            c(&counts.tracked) - c(&counts.untracked)
        ));
    }
    if failed.is_empty() {
        println!("stress: ok");
    } else {
        for failure in &failed {
            eprintln!("stress: FAILED: {failure}");
        }
        std::process::exit(1);
    }
}

/// Runs every driver until `deadline`, then leaves tasks running for the shutdown. Returns
/// the failed checks.
async fn drive(counts: Arc<Counts>, deadline: Instant, storm: u64) -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback listener");
    let addr = listener.local_addr().expect("its address");
    let server = goro::spawn(echo_server(listener, counts.clone()));

    let mut drivers: JoinSet<Result<(), String>> = JoinSet::new();
    drivers.spawn(spawn_storms(counts.clone(), deadline, storm));
    drivers.spawn(aborts(counts.clone(), deadline));
    drivers.spawn(timers(counts.clone(), deadline));
    drivers.spawn(echo_clients(addr, counts.clone(), deadline));
    drivers.spawn(blocking(counts.clone(), deadline));
    drivers.spawn(panics_and_set_drops(counts.clone(), deadline));

    let mut failures = Vec::new();
    while let Some(result) = drivers.join_next().await {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => failures.push(failure),
            Err(err) => failures.push(format!("a driver failed: {err}")),
        }
    }

    // Leave work behind for the shutdown: sleepers, pending futures, blocked readers on
    // open connections, a JoinSet inside a task, and the server itself.
    for i in 0..1_000u64 {
        let tracked = Tracked::new(&counts);
        Counts::add(&counts.spawned, 1);
        drop(goro::spawn(async move {
            let _tracked = tracked;
            if i % 2 == 0 {
                goro::time::sleep(Duration::from_secs(3600)).await;
            } else {
                std::future::pending::<()>().await;
            }
        }));
    }
    for _ in 0..16 {
        let tracked = Tracked::new(&counts);
        Counts::add(&counts.spawned, 1);
        drop(goro::spawn(async move {
            let _tracked = tracked;
            if let Ok(mut stream) = TcpStream::connect(addr).await {
                let mut byte = [0; 1];
                // The server echoes nothing until we write: this read waits for shutdown.
                let _ = stream.read(&mut byte).await;
            }
        }));
    }
    let tracked = Tracked::new(&counts);
    let c = counts.clone();
    drop(goro::spawn(async move {
        let _tracked = tracked;
        let mut set = JoinSet::new();
        for _ in 0..100 {
            let tracked = Tracked::new(&c);
            set.spawn(async move {
                let _tracked = tracked;
                goro::time::sleep(Duration::from_secs(3600)).await;
            });
        }
        Counts::add(&c.spawned, 100);
        let _ = set.join_next().await;
    }));
    drop(server);
    goro::time::sleep(Duration::from_millis(50)).await;
    failures
}

/// Spawn storms: `storm` tasks spawned then joined, in rounds, until the deadline.
async fn spawn_storms(counts: Arc<Counts>, deadline: Instant, storm: u64) -> Result<(), String> {
    while Instant::now() < deadline {
        let mut handles = Vec::with_capacity(1024);
        let mut left = storm;
        while left > 0 && Instant::now() < deadline {
            let batch = left.min(1024);
            for i in 0..batch {
                let tracked = Tracked::new(&counts);
                handles.push(goro::spawn(async move {
                    let _tracked = tracked;
                    if i % 8 == 0 {
                        goro::yield_now().await;
                    }
                    i
                }));
            }
            Counts::add(&counts.spawned, batch);
            for (i, handle) in handles.drain(..).enumerate() {
                let out = handle.await.map_err(|err| format!("a storm task: {err}"))?;
                if out != i as u64 {
                    return Err(format!("a storm task answered {out} instead of {i}"));
                }
            }
            Counts::add(&counts.joined, batch);
            left -= batch;
        }
    }
    Ok(())
}

/// Sleeping tasks aborted mid-sleep (and some just before they finish).
async fn aborts(counts: Arc<Counts>, deadline: Instant) -> Result<(), String> {
    while Instant::now() < deadline {
        let mut handles = Vec::with_capacity(200);
        for i in 0..200u64 {
            let tracked = Tracked::new(&counts);
            handles.push(goro::spawn(async move {
                let _tracked = tracked;
                // Most sleep long; a few race their abort.
                let nap = if i % 20 == 0 { 0 } else { 3_600_000 };
                goro::time::sleep(Duration::from_millis(nap)).await;
            }));
        }
        Counts::add(&counts.spawned, 200);
        goro::yield_now().await;
        for handle in &handles {
            handle.abort();
        }
        for handle in handles {
            match handle.await {
                Err(err) if err.is_cancelled() => Counts::add(&counts.aborted, 1),
                Ok(()) => Counts::add(&counts.joined, 1),
                Err(err) => return Err(format!("an aborted task: {err}")),
            }
        }
    }
    Ok(())
}

/// Many short sleeps in parallel, and an interval.
async fn timers(counts: Arc<Counts>, deadline: Instant) -> Result<(), String> {
    let c = counts.clone();
    let ticker = goro::spawn(async move {
        let mut interval = goro::time::interval(Duration::from_millis(5));
        while Instant::now() < deadline {
            interval.tick().await;
            Counts::add(&c.ticks, 1);
        }
    });
    while Instant::now() < deadline {
        let mut set = JoinSet::new();
        for i in 0..100u64 {
            let c = counts.clone();
            set.spawn(async move {
                for j in 0..10u64 {
                    goro::time::sleep(Duration::from_micros(100 * ((i + j) % 20))).await;
                    Counts::add(&c.sleeps, 1);
                }
                let timeout =
                    goro::time::timeout(Duration::from_millis(1), std::future::pending::<()>());
                timeout.await.is_err()
            });
        }
        Counts::add(&counts.spawned, 100);
        for elapsed in set.join_all().await {
            if !elapsed {
                return Err("a timeout of a pending future did not elapse".into());
            }
        }
        Counts::add(&counts.joined, 100);
    }
    ticker
        .await
        .map_err(|err| format!("the interval task: {err}"))?;
    Ok(())
}

/// The echo server: one task per connection.
async fn echo_server(listener: TcpListener, counts: Arc<Counts>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        Counts::add(&counts.connections, 1);
        let tracked = Tracked::new(&counts);
        drop(goro::spawn(async move {
            let _tracked = tracked;
            let mut buf = vec![0; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        }));
    }
}

/// Rounds of 16 clients, each connecting, making 10 round trips of 1 KiB, and closing.
async fn echo_clients(
    addr: SocketAddr,
    counts: Arc<Counts>,
    deadline: Instant,
) -> Result<(), String> {
    while Instant::now() < deadline {
        let mut set = JoinSet::new();
        for k in 0..16u8 {
            let c = counts.clone();
            set.spawn(async move {
                let mut stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let message = vec![k; 1024];
                let mut echo = vec![0; 1024];
                for _ in 0..10 {
                    stream.write_all(&message).await?;
                    stream.read_exact(&mut echo).await?;
                    if echo != message {
                        return Err(std::io::Error::other("the echo differs"));
                    }
                    Counts::add(&c.round_trips, 1);
                }
                stream.close().await
            });
        }
        Counts::add(&counts.spawned, 16);
        for result in set.join_all().await {
            result.map_err(|err| format!("an echo client: {err}"))?;
        }
        Counts::add(&counts.joined, 16);
    }
    Ok(())
}

/// `spawn_blocking` closures, some sleeping, some computing.
async fn blocking(counts: Arc<Counts>, deadline: Instant) -> Result<(), String> {
    while Instant::now() < deadline {
        let mut set = JoinSet::new();
        for i in 0..16u64 {
            set.spawn_blocking(move || {
                if i % 2 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                (0..1_000u64).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b))
            });
        }
        let n = set.join_all().await.len() as u64;
        Counts::add(&counts.blocking, n);
    }
    Ok(())
}

/// Tasks that panic (their JoinError is checked), and JoinSets dropped with tasks inside.
async fn panics_and_set_drops(counts: Arc<Counts>, deadline: Instant) -> Result<(), String> {
    while Instant::now() < deadline {
        let tracked = Tracked::new(&counts);
        let err = goro::spawn(async move {
            let _tracked = tracked;
            goro::yield_now().await;
            std::panic::panic_any(INTENTIONAL);
        })
        .await
        .expect_err("the task panicked");
        if !err.is_panic() {
            return Err(format!("a panicking task answered {err}"));
        }
        Counts::add(&counts.panics, 1);

        let mut set = JoinSet::new();
        for _ in 0..50 {
            let tracked = Tracked::new(&counts);
            set.spawn(async move {
                let _tracked = tracked;
                goro::time::sleep(Duration::from_secs(3600)).await;
            });
        }
        Counts::add(&counts.spawned, 51);
        goro::yield_now().await;
        drop(set);
        Counts::add(&counts.set_drops, 1);
        goro::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}
