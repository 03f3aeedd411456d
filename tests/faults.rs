//! Faults that real services meet: running out of file descriptors under an accept loop,
//! and panics in the places a user can put code that `tests/panics.rs` does not cover (the
//! monitor's `on_blocked_worker` callback, a `JoinSet` task, a future's destructor while a
//! `JoinSet` is dropped and while the runtime shuts down with a `JoinSet` inside a task).
//!
//! The descriptor test runs in a child process started through `sh -c "ulimit -n 64 && exec
//! ..."`, so that the lowered `RLIMIT_NOFILE` touches nothing else (no libc crate needed).
//! Every wait is bounded.

mod support;

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// `EMFILE` and `ENFILE` on Linux: the process's or the system's file table is full.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;

/// The descriptor limit of the child process.
const CHILD_NOFILE: u32 = 64;

/// How long the accept loop stays out of descriptors while it is watched.
const EXHAUSTION: Duration = Duration::from_millis(300);

/// The accept loop's pause after `EMFILE`/`ENFILE` (the pattern of `examples/echo.rs`).
const BACKOFF: Duration = Duration::from_millis(50);

/// Panics when dropped (its guard counts the drop).
struct PanicOnDrop(#[allow(dead_code)] Guard);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("a destructor panicked");
    }
}

// ---------------------------------------------------------------------------------------
// File-descriptor exhaustion
// ---------------------------------------------------------------------------------------

/// Runs `name` (a child test of this binary) with `ulimit -n CHILD_NOFILE`, killing it after
/// `limit`, and asserts it passed.
fn run_child_with_nofile(name: &str, limit: Duration) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let script = format!(
        "ulimit -n {CHILD_NOFILE} && exec \"$0\" {name} --exact --ignored --nocapture --test-threads=1"
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .arg(&exe)
        .env_remove("GORO_WORKERS")
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child test process starts");
    let start = Instant::now();
    while child.try_wait().expect("the child's status").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("the killed child's output");
            panic!(
                "the child test {name} did not finish within {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("the child's output");
    assert_child_passed(name, &output);
}

/// User plus system CPU time of this process so far, in clock ticks (`/proc/self/stat`
/// fields 14 and 15; 100 per second on Linux). `stat` is `/proc/self/stat`, opened before
/// the descriptors ran out; each call reads it again from the start.
fn cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::Seek;
    stat.rewind().expect("rewind /proc/self/stat");
    let mut text = String::new();
    stat.read_to_string(&mut text)
        .expect("read /proc/self/stat");
    let stat = text;
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    let after_name = &stat[stat.rfind(')').expect("a comm field") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // `after_name` starts at field 3 (the state): utime is field 14, stime field 15.
    let utime: u64 = fields[11].parse().expect("utime");
    let stime: u64 = fields[12].parse().expect("stime");
    utime + stime
}

/// What the accept loop of the child test tells the test thread.
#[derive(Default)]
struct AcceptLoop {
    /// Calls of `accept` so far.
    calls: AtomicUsize,
    /// Connections accepted so far.
    accepted: AtomicUsize,
    /// `accept` errors that were `EMFILE`/`ENFILE`.
    exhausted: AtomicUsize,
    /// The raw OS error of the first failed `accept` (0: none yet).
    first_errno: AtomicI32,
    /// Any other error, which fails the test.
    unexpected: Mutex<Option<String>>,
}

/// An echo server's accept loop that backs off on `EMFILE`/`ENFILE`, as `examples/echo.rs`
/// does, counting what happens.
async fn accept_loop(listener: goro::net::TcpListener, state: Arc<AcceptLoop>) {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        state.calls.fetch_add(1, SeqCst);
        match listener.accept().await {
            Ok((mut stream, _)) => {
                state.accepted.fetch_add(1, SeqCst);
                drop(goro::spawn(async move {
                    let mut buf = [0; 64];
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
            Err(err) => {
                let errno = err.raw_os_error().unwrap_or(-1);
                let _ = state.first_errno.compare_exchange(0, errno, SeqCst, SeqCst);
                if matches!(errno, EMFILE | ENFILE) {
                    state.exhausted.fetch_add(1, SeqCst);
                    goro::time::sleep(BACKOFF).await;
                } else {
                    *state.unexpected.lock().unwrap() = Some(err.to_string());
                    return;
                }
            }
        }
    }
}

/// Connects a blocking client and checks one echo round trip on it.
fn echo_client(addr: std::net::SocketAddr) -> io::Result<std::net::TcpStream> {
    let mut client = std::net::TcpStream::connect(addr)?;
    client.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.write_all(b"ping")?;
    let mut echo = [0; 4];
    client.read_exact(&mut echo)?;
    assert_eq!(&echo, b"ping");
    Ok(client)
}

/// Blocks until `condition` holds or `limit` passes; says which.
fn poll_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    condition()
}

#[test]
fn accept_meets_emfile_without_spinning_and_recovers() {
    run_child_with_nofile("child_accept_meets_emfile", Duration::from_secs(60));
}

#[test]
#[ignore = "run by accept_meets_emfile_without_spinning_and_recovers, with ulimit -n 64"]
fn child_accept_meets_emfile() {
    if !is_child() {
        return;
    }
    let runtime = goro::Builder::new().worker_threads(2).build().unwrap();
    let listener = runtime
        .block_on(goro::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(AcceptLoop::default());
    let server = runtime.spawn(accept_loop(listener, state.clone()));

    // 1. Open client connections one at a time, each echoed by the server, until the file
    //    table is full. Each takes two descriptors (client and accepted side), so the last
    //    free descriptor may go to a client whose accept then fails: that is the state
    //    wanted. If instead the client's own `socket()` fails, a reserved descriptor is
    //    freed and one more client connects, taking it: its accept meets EMFILE. (Linux's
    //    accept4 takes a descriptor before it looks at the queue, so the loop can also meet
    //    EMFILE with nothing pending, right after accepting the last connection.)
    let mut stat = std::fs::File::open("/proc/self/stat").unwrap();
    let mut reserve = Some(std::fs::File::open("/dev/null").unwrap());
    let mut clients = Vec::new();
    while state.exhausted.load(SeqCst) == 0 {
        match std::net::TcpStream::connect(addr) {
            Ok(client) => {
                clients.push(client);
                let n = clients.len();
                assert!(
                    poll_until(LIMIT, || state.accepted.load(SeqCst) == n
                        || state.exhausted.load(SeqCst) > 0),
                    "connection {n} neither accepted nor refused for lack of descriptors"
                );
            }
            Err(err) if err.raw_os_error() == Some(EMFILE) => {
                assert!(
                    reserve.take().is_some(),
                    "the client ran out of descriptors twice, the server never did"
                );
            }
            Err(err) => panic!("connect: {err}"),
        }
        assert!(
            clients.len() < CHILD_NOFILE as usize,
            "the limit was not applied"
        );
    }
    let held = clients.len();
    assert!(held >= 10, "only {held} connections fit under the limit");
    assert_eq!(
        state.first_errno.load(SeqCst),
        EMFILE,
        "accept's first error"
    );
    assert!(state.unexpected.lock().unwrap().is_none());
    // The connections accepted before exhaustion still echo.
    let mut first = &clients[0];
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    first.write_all(b"held").unwrap();
    let mut echo = [0; 4];
    first.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"held");

    // 2. Out of descriptors for EXHAUSTION: the loop calls accept about once per backoff
    //    and the process burns almost no CPU.
    let accepted_before = state.accepted.load(SeqCst);
    let calls_before = state.calls.load(SeqCst);
    let cpu_before = cpu_ticks(&mut stat);
    let start = Instant::now();
    std::thread::sleep(EXHAUSTION);
    let elapsed = start.elapsed();
    let calls = state.calls.load(SeqCst) - calls_before;
    let cpu = cpu_ticks(&mut stat) - cpu_before;
    let expected = (elapsed.as_millis() / BACKOFF.as_millis()) as usize;
    eprintln!(
        "faults: {held} connections held; {calls} accept calls and {cpu} CPU ticks in {elapsed:?} of exhaustion"
    );
    assert!(
        calls <= expected + 3,
        "{calls} accept calls in {elapsed:?}: the loop spins"
    );
    assert!(calls >= 1, "the accept loop stopped trying");
    // A spinning loop would burn ~30 ticks (100 per second) in 300 ms.
    assert!(
        cpu <= 8,
        "{cpu} CPU ticks in {elapsed:?} out of descriptors: something spins"
    );
    assert_eq!(
        state.accepted.load(SeqCst),
        accepted_before,
        "accepted a connection while out of descriptors"
    );

    // 3. The clients leave: descriptors come back and the same loop serves again, the
    //    pending connection first (if there is one), then new clients.
    drop(clients);
    drop(reserve);
    assert!(
        poll_until(LIMIT, || state.accepted.load(SeqCst) == held),
        "the pending connection was not accepted once descriptors came back"
    );
    let exhausted_before = state.exhausted.load(SeqCst);
    assert!(
        poll_until(LIMIT, || state.calls.load(SeqCst)
            > state.accepted.load(SeqCst) + state.exhausted.load(SeqCst)),
        "the accept loop does not wait for connections again"
    );
    eprintln!("faults: out of descriptors {exhausted_before} times in all; serving again");
    let exhausted = state.exhausted.load(SeqCst);
    let mut fresh = Vec::new();
    for _ in 0..5 {
        fresh.push(echo_client(addr).expect("a new client is served after exhaustion"));
    }
    assert_eq!(state.accepted.load(SeqCst), held + 5);
    assert_eq!(
        state.exhausted.load(SeqCst),
        exhausted,
        "still out of descriptors"
    );
    assert!(state.unexpected.lock().unwrap().is_none());
    drop(fresh);
    server.abort();
    drop(runtime);
}

// ---------------------------------------------------------------------------------------
// A panic in the monitor's callback
// ---------------------------------------------------------------------------------------

/// Blocks its worker (a plain thread sleep) until `calls` reaches `n`, for at most 10 s.
async fn block_until_reported(calls: Arc<AtomicUsize>, n: usize) {
    let start = std::time::Instant::now();
    while calls.load(SeqCst) < n && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_panic_in_on_blocked_worker_leaves_the_runtime_running() {
    bounded(LIMIT, || {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let runtime = goro::Builder::new()
            .worker_threads(2)
            .blocking_threshold(Some(Duration::from_millis(50)))
            .on_blocked_worker(move |_| {
                c.fetch_add(1, SeqCst);
                panic!("the on_blocked_worker callback panicked");
            })
            .build()
            .unwrap();
        runtime.block_on(async {
            // Two different spawn locations: the monitor reports each once, so the second
            // report shows the monitor survived the first callback's panic.
            // Each blocker holds its worker until the monitor has reported it (at most 10 s):
            // a fixed sleep could end before a monitor slowed by the previous panic (the
            // panic hook may be printing a backtrace) gets to look.
            let first = goro::spawn(block_until_reported(calls.clone(), 1));
            within(LIMIT, "the first blocking task", first)
                .await
                .unwrap();
            wait_until(LIMIT, "the first report", || calls.load(SeqCst) >= 1).await;
            let second = goro::spawn(block_until_reported(calls.clone(), 2));
            within(LIMIT, "the second blocking task", second)
                .await
                .unwrap();
            wait_until(LIMIT, "the second report", || calls.load(SeqCst) >= 2).await;
            // Later tasks run, on every worker.
            let mut set = goro::JoinSet::new();
            for i in 0..100u32 {
                set.spawn(async move {
                    goro::yield_now().await;
                    i
                });
            }
            let all = within(LIMIT, "tasks after the panics", set.join_all()).await;
            assert_eq!(all.iter().sum::<u32>(), 4950);
            let timer = goro::time::sleep(Duration::from_millis(10));
            within(LIMIT, "a timer after the panics", timer).await;
        });
        assert_eq!(calls.load(SeqCst), 2);
        drop(runtime);
    });
}

// ---------------------------------------------------------------------------------------
// Panics in JoinSet tasks and in destructors
// ---------------------------------------------------------------------------------------

suite! {
    async fn a_panicking_join_set_task_does_not_stop_the_others() {
        let mut set = goro::JoinSet::new();
        for i in 0..50u32 {
            set.spawn(async move {
                goro::yield_now().await;
                if i == 17 {
                    panic!("task 17 panicked");
                }
                goro::time::sleep(Duration::from_millis(u64::from(i % 5))).await;
                i
            });
        }
        let mut done = Vec::new();
        let mut panics = Vec::new();
        while let Some(result) = within(LIMIT, "join_next", set.join_next()).await {
            match result {
                Ok(i) => done.push(i),
                Err(err) => {
                    assert!(err.is_panic(), "{err}");
                    panics.push(panic_message(&*err.into_panic()));
                }
            }
        }
        assert_eq!(panics, ["task 17 panicked"]);
        done.sort_unstable();
        let expected: Vec<u32> = (0..50).filter(|&i| i != 17).collect();
        assert_eq!(done, expected);
        assert!(set.is_empty());
        // The set is usable again.
        set.spawn(async { 99 });
        let again = within(LIMIT, "a task after the panic", set.join_next()).await;
        assert_eq!(again.unwrap().unwrap(), 99);
    }

    async fn panicking_destructors_while_a_join_set_is_dropped() {
        let counter = DropCounter::new();
        let started = Arc::new(AtomicUsize::new(0));
        let mut set = goro::JoinSet::new();
        for i in 0..40 {
            let started = started.clone();
            if i % 2 == 0 {
                let guard = PanicOnDrop(counter.guard());
                set.spawn(async move {
                    let _guard = guard;
                    started.fetch_add(1, SeqCst);
                    std::future::pending::<()>().await;
                });
            } else {
                let guard = counter.guard();
                set.spawn(async move {
                    started.fetch_add(1, SeqCst);
                    pending_with::<()>(guard).await;
                });
            }
        }
        wait_until(LIMIT, "every task to start", || started.load(SeqCst) == 40).await;
        // Dropping the set aborts every task; half of their destructors panic.
        drop(set);
        wait_until(LIMIT, "every destructor to run", || counter.dropped() == 40).await;
        assert_eq!(counter.alive(), 0);
        let later = within(LIMIT, "a later task", goro::spawn(async { 7 })).await;
        assert_eq!(later.unwrap(), 7);
    }

    async fn panicking_destructors_under_abort_all_and_shutdown() {
        let counter = DropCounter::new();
        let mut set = goro::JoinSet::new();
        for _ in 0..20 {
            let guard = PanicOnDrop(counter.guard());
            set.spawn(async move {
                let _guard = guard;
                goro::time::sleep(Duration::from_secs(3600)).await;
            });
        }
        goro::yield_now().await;
        within(LIMIT, "JoinSet::shutdown", set.shutdown()).await;
        assert_eq!(counter.dropped(), 20);
        assert!(set.is_empty());
    }
}

#[test]
fn panicking_destructors_of_a_join_set_inside_a_task_at_shutdown() {
    for workers in WORKER_COUNTS {
        bounded(LIMIT, move || {
            let runtime = runtime(workers);
            let counter = DropCounter::new();
            let ready = Arc::new(AtomicBool::new(false));
            let c = counter.clone();
            let r = ready.clone();
            runtime.block_on(async move {
                // A task that owns a JoinSet: at shutdown the task's future is dropped,
                // which drops the set, which aborts its tasks, whose destructors panic.
                let owner_guard = PanicOnDrop(c.guard());
                let (oc, or) = (c.clone(), r.clone());
                drop(goro::spawn(async move {
                    let (c, r) = (oc, or);
                    let _guard = owner_guard;
                    let mut set = goro::JoinSet::new();
                    for i in 0..20 {
                        if i % 2 == 0 {
                            let guard = PanicOnDrop(c.guard());
                            set.spawn(async move {
                                let _guard = guard;
                                goro::time::sleep(Duration::from_secs(3600)).await;
                            });
                        } else {
                            set.spawn(pending_with::<()>(c.guard()));
                        }
                    }
                    r.store(true, SeqCst);
                    let _ = set.join_next().await;
                    unreachable!("no task of the set finishes");
                }));
                // Plain tasks beside it, some panicking when dropped, some not.
                for i in 0..20 {
                    if i % 2 == 0 {
                        let guard = PanicOnDrop(c.guard());
                        drop(goro::spawn(async move {
                            let _guard = guard;
                            std::future::pending::<()>().await;
                        }));
                    } else {
                        drop(goro::spawn(pending_with::<()>(c.guard())));
                    }
                }
                wait_until(LIMIT, "the set to be filled", || r.load(SeqCst)).await;
            });
            assert!(ready.load(SeqCst));
            assert_eq!(counter.created(), 41);
            // Does not panic, does not hang, and every destructor runs.
            drop(runtime);
            assert_eq!(counter.dropped(), 41);
        });
    }
}

#[test]
fn panicking_destructors_under_shutdown_timeout() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let counter = DropCounter::new();
        let c = counter.clone();
        runtime.block_on(async move {
            for _ in 0..30 {
                let guard = PanicOnDrop(c.guard());
                drop(goro::spawn(async move {
                    let _guard = guard;
                    goro::time::sleep(Duration::from_secs(3600)).await;
                }));
            }
            goro::yield_now().await;
        });
        let start = Instant::now();
        runtime.shutdown_timeout(Duration::from_secs(5));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "shutdown waited out its timeout"
        );
        assert_eq!(counter.dropped(), 30);
    });
}
