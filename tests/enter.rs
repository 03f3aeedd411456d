//! `Runtime::enter` and `Handle::enter`: while the guard lives, a plain thread (no
//! `block_on`) can spawn, make timers and sockets, and find the runtime with
//! `Handle::current`; guards nest, and one dropped out of order panics, as tokio's does.

mod support;

use goro::{EnterGuard, Handle};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// Compiles only if `T` is not `Send`: with `T: Send` both impls apply and the call is
/// ambiguous.
trait AmbiguousIfSend<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

#[test]
fn an_enter_guard_is_sync_and_stays_on_its_thread() {
    fn assert_sync<T: Sync>() {}
    assert_sync::<EnterGuard<'static>>();
    <EnterGuard<'static> as AmbiguousIfSend<_>>::check();
}

#[test]
fn spawn_works_on_an_entered_thread_without_block_on() {
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let _guard = runtime.enter();
        let (tx, rx) = mpsc::channel();
        let task = goro::spawn(async move {
            tx.send(std::thread::current().name().map(str::to_string))
                .unwrap();
        });
        let ran_on = rx
            .recv_timeout(LIMIT)
            .expect("the task runs while nobody blocks on it");
        assert!(
            ran_on.unwrap().starts_with("goro-worker-"),
            "it ran on a worker"
        );
        futures::executor::block_on(task).unwrap();
    });
}

#[test]
fn the_runtime_is_current_only_while_the_guard_lives() {
    let runtime = runtime(1);
    assert!(Handle::try_current().is_none());
    let guard = runtime.enter();
    assert_eq!(Handle::current().worker_threads(), 1);
    drop(guard);
    assert!(Handle::try_current().is_none());
    let message = expect_panic(|| goro::spawn(async {}));
    assert!(message.contains("no goro runtime"), "{message}");
}

#[test]
fn a_timer_made_while_entered_runs_on_that_runtime() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let sleep = {
            let _guard = runtime.enter();
            goro::time::sleep(Duration::from_millis(20))
        };
        // Polled by another executor, with no goro runtime current: the timer is the
        // runtime's, whose workers turn its reactor.
        let start = Instant::now();
        futures::executor::block_on(sleep);
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

#[test]
fn sockets_made_while_entered_use_that_runtime() {
    use futures::{AsyncReadExt, AsyncWriteExt};
    bounded(LIMIT, || {
        let runtime = runtime(2);
        let _guard = runtime.enter();
        futures::executor::block_on(async {
            let listener = goro::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = goro::spawn(async move {
                let mut stream = goro::net::TcpStream::connect(addr).await.unwrap();
                stream.write_all(b"ping").await.unwrap();
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            client.await.unwrap();
        });
    });
}

#[test]
fn guards_nest_and_put_back_the_runtime_before_them() {
    let one = runtime(1);
    let three = runtime(3);
    let outer = one.enter();
    {
        let _inner = three.handle().enter();
        assert_eq!(Handle::current().worker_threads(), 3);
    }
    assert_eq!(Handle::current().worker_threads(), 1);
    // block_on makes its runtime current for its duration, and puts the entered one back.
    let inside = three.block_on(async { Handle::current().worker_threads() });
    assert_eq!(inside, 3);
    assert_eq!(Handle::current().worker_threads(), 1);
    drop(outer);
    assert!(Handle::try_current().is_none());
}

#[test]
fn a_guard_dropped_out_of_order_panics() {
    // On a thread of its own: the panic leaves that thread's current runtime as it was.
    bounded(LIMIT, || {
        let one = runtime(1);
        let two = runtime(2);
        let first = one.enter();
        let second = two.enter();
        let message = expect_panic(move || drop(first));
        assert!(message.contains("dropped out of order"), "{message}");
        drop(second);
    });
}
