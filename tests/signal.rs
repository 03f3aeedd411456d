//! Signals (`goro::signal`): delivery through the reactor, every listener receiving,
//! deliveries kept between `recv`s and coalescing, cancel safety, a listener's end when its
//! runtime shuts down, refused signals.
//!
//! What needs `SIGINT` or `SIGTERM` (ctrl-c, the default action replaced for good, the
//! graceful-shutdown example) runs in a child process: the test process itself must stay
//! killable by ctrl-c. Tests that count deliveries strictly use a signal of their own, since
//! every listener of a kind in this process receives every delivery of it.

#![cfg(unix)]

mod support;

#[path = "../examples/graceful_shutdown.rs"]
#[allow(dead_code)] // its `main`
mod graceful_shutdown;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use goro::net::{TcpListener, TcpStream};
use goro::signal::unix::{Signal, SignalKind, signal};
use std::os::unix::process::ExitStatusExt;
use std::pin::pin;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::*;

const LIMIT: Duration = Duration::from_secs(20);

/// Sends `kind` to this process (to the calling thread, whose handler runs before this
/// returns: the listeners' pipes have their byte by then).
fn raise(kind: SignalKind) {
    signal_hook::low_level::raise(kind.as_raw_value()).expect("raise a signal");
}

#[test]
fn listeners_and_their_futures_are_send() {
    assert_send_sync::<Signal>();
    goro::run(async {
        let mut listener = signal(SignalKind::user_defined1()).unwrap();
        assert_send(&listener.recv());
        assert_send(&goro::signal::ctrl_c());
    });
}

suite! {
    // SIGUSR1; the other worker count's run raises it too: extra deliveries are fine here.
    async fn recv_answers_a_delivery() {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        raise(SignalKind::user_defined1());
        assert_eq!(within(LIMIT, "a delivery before recv", usr1.recv()).await, Some(()));

        // And one that comes while a task waits in `recv`.
        let (waiting_tx, waiting_rx) = futures::channel::oneshot::channel();
        let waiter = goro::spawn(async move {
            loop {
                let mut recv = pin!(usr1.recv());
                if futures::poll!(recv.as_mut()).is_pending() {
                    waiting_tx.send(()).unwrap();
                    return recv.await;
                }
                // A delivery raised by the other run of this test: wait for ours.
            }
        });
        waiting_rx.await.unwrap();
        raise(SignalKind::user_defined1());
        assert_eq!(within(LIMIT, "a delivery during recv", waiter).await.unwrap(), Some(()));
    }

    // SIGUSR2.
    async fn every_listener_of_a_kind_receives() {
        let mut set = goro::JoinSet::new();
        for _ in 0..3 {
            let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
            set.spawn(async move { usr2.recv().await });
        }
        raise(SignalKind::user_defined2());
        let answers = within(LIMIT, "every listener's delivery", set.join_all()).await;
        assert_eq!(answers, vec![Some(()); 3]);
    }
}

// SIGHUP: no other test raises it.
#[goro::test(timeout_ms = 60_000)]
async fn deliveries_between_recvs_are_kept_and_coalesce() {
    let mut hup = signal(SignalKind::hangup()).unwrap();
    for _ in 0..3 {
        raise(SignalKind::hangup());
    }
    assert_eq!(
        within(LIMIT, "the kept deliveries", hup.recv()).await,
        Some(())
    );

    // The three came before that `recv` and were answered by it, once.
    let mut next = pin!(hup.recv());
    for _ in 0..20 {
        assert!(
            futures::poll!(next.as_mut()).is_pending(),
            "deliveries that one `recv` answered were answered again"
        );
        goro::time::sleep(Duration::from_millis(1)).await;
    }
    raise(SignalKind::hangup());
    assert_eq!(within(LIMIT, "the next delivery", next).await, Some(()));
}

// SIGWINCH: no other test raises it.
#[goro::test(timeout_ms = 60_000)]
async fn recv_is_cancel_safe() {
    let mut winch = signal(SignalKind::window_change()).unwrap();
    let idle = goro::time::timeout(Duration::from_millis(20), winch.recv()).await;
    assert!(idle.is_err(), "recv answered with no delivery");
    {
        // A recv that waits, sees the delivery come, and is dropped unfinished.
        let mut first = pin!(winch.recv());
        assert!(futures::poll!(first.as_mut()).is_pending());
        raise(SignalKind::window_change());
    }
    assert_eq!(
        within(LIMIT, "the delivery an unfinished recv left", winch.recv()).await,
        Some(())
    );
}

#[test]
fn recv_answers_none_once_its_runtime_shut_down() {
    bounded(LIMIT * 3, || {
        let runtime = runtime(2);
        let mut io = runtime
            .block_on(async { signal(SignalKind::io()) })
            .unwrap();
        let (waiting_tx, waiting_rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            futures::executor::block_on(async {
                {
                    let mut recv = pin!(io.recv());
                    let first = futures::poll!(recv.as_mut());
                    waiting_tx.send(()).unwrap();
                    if first.is_pending() {
                        // Woken by the shutdown: `None`.
                        assert_eq!(recv.await, None);
                    }
                }
                // And from then on, every time.
                while io.recv().await.is_some() {}
                assert_eq!(io.recv().await, None);
            })
        });
        waiting_rx.recv().unwrap();
        drop(runtime);
        waiter.join().unwrap();
    });
}

// SIGALRM: no other test raises it.
#[test]
fn listeners_in_two_runtimes_receive_and_end_with_their_own_runtime() {
    bounded(LIMIT * 3, || {
        let first = runtime(1);
        let second = runtime(2);
        let mut in_first = first
            .block_on(async { signal(SignalKind::alarm()) })
            .unwrap();
        let mut in_second = second
            .block_on(async { signal(SignalKind::alarm()) })
            .unwrap();
        raise(SignalKind::alarm());
        assert_eq!(first.block_on(in_first.recv()), Some(()));
        assert_eq!(second.block_on(in_second.recv()), Some(()));

        drop(first);
        assert_eq!(futures::executor::block_on(in_first.recv()), None);
        raise(SignalKind::alarm());
        assert_eq!(second.block_on(in_second.recv()), Some(()));
    });
}

#[goro::test(timeout_ms = 60_000)]
async fn signals_that_cannot_be_caught_are_refused() {
    let refused = [
        signal_hook::consts::SIGKILL,
        signal_hook::consts::SIGSTOP,
        signal_hook::consts::SIGILL,
        signal_hook::consts::SIGFPE,
        signal_hook::consts::SIGSEGV,
        0,
        -1,
    ];
    for signum in refused {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{signum}: {err}"
        );
        assert!(err.to_string().contains(&signum.to_string()), "{err}");
    }
    // A number the OS does not know: its error.
    assert!(signal(SignalKind::from_raw(10_000)).is_err());
}

#[test]
fn signal_outside_a_runtime_is_an_error() {
    let err = signal(SignalKind::user_defined1()).unwrap_err();
    assert!(err.to_string().contains("no goro runtime"), "{err}");
}

#[test]
fn signal_outside_a_runtime_leaves_the_default_action() {
    let name = "child_signal_outside_a_runtime_then_sigterm";
    let output = run_child(name, &[], LIMIT * 3);
    assert_eq!(
        output.status.signal(),
        Some(signal_hook::consts::SIGTERM),
        "the child should have been ended by SIGTERM's default action:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
#[ignore = "run by signal_outside_a_runtime_leaves_the_default_action in a child process"]
fn child_signal_outside_a_runtime_then_sigterm() {
    if !is_child() {
        return;
    }
    assert!(signal(SignalKind::terminate()).is_err());
    raise(SignalKind::terminate());
    println!("survived SIGTERM");
}

#[test]
fn ctrl_c_answers_sigint() {
    let output = passes_in_a_child("child_ctrl_c_answers_sigint");
    assert!(String::from_utf8_lossy(&output.stdout).contains("ctrl-c received"));
}

#[test]
#[ignore = "run by ctrl_c_answers_sigint in a child process"]
fn child_ctrl_c_answers_sigint() {
    if !is_child() {
        return;
    }
    goro::run(async {
        let mut ctrl_c = pin!(goro::signal::ctrl_c());
        assert!(futures::poll!(ctrl_c.as_mut()).is_pending());
        raise(SignalKind::interrupt());
        within(LIMIT, "ctrl-c", ctrl_c).await.unwrap();
        println!("ctrl-c received");
    });
}

#[test]
fn ctrl_c_is_an_error_once_its_runtime_shut_down() {
    passes_in_a_child("child_ctrl_c_after_shutdown");
}

#[test]
#[ignore = "run by ctrl_c_is_an_error_once_its_runtime_shut_down in a child process"]
fn child_ctrl_c_after_shutdown() {
    if !is_child() {
        return;
    }
    let runtime = runtime(1);
    let mut ctrl_c = Box::pin(goro::signal::ctrl_c());
    runtime.block_on(async { assert!(futures::poll!(ctrl_c.as_mut()).is_pending()) });
    drop(runtime);
    let err = futures::executor::block_on(ctrl_c).unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}

#[test]
fn the_default_action_stays_replaced_after_the_listener_drops() {
    let output = passes_in_a_child("child_sigterm_after_the_listener_dropped");
    assert!(String::from_utf8_lossy(&output.stdout).contains("alive after SIGTERM"));
}

#[test]
#[ignore = "run by the_default_action_stays_replaced_after_the_listener_drops in a child"]
fn child_sigterm_after_the_listener_dropped() {
    if !is_child() {
        return;
    }
    goro::run(async {
        let mut term = signal(SignalKind::terminate()).unwrap();
        raise(SignalKind::terminate());
        assert_eq!(within(LIMIT, "SIGTERM", term.recv()).await, Some(()));
    });
    // No listener and no runtime left: the signal is caught and ignored.
    raise(SignalKind::terminate());
    println!("alive after SIGTERM");
}

#[test]
fn dropped_listeners_close_their_descriptors() {
    // Descriptor counts are per process: alone in a child.
    passes_in_a_child("child_listeners_made_and_dropped");
}

#[test]
#[ignore = "run by dropped_listeners_close_their_descriptors in a child process"]
fn child_listeners_made_and_dropped() {
    if !is_child() {
        return;
    }
    goro::run(async {
        let before = open_fds();
        for _ in 0..100 {
            let usr1 = signal(SignalKind::user_defined1()).unwrap();
            let usr2 = signal(SignalKind::user_defined2()).unwrap();
            drop((usr1, usr2));
        }
        assert_eq!(
            open_fds(),
            before,
            "descriptors left behind by dropped listeners"
        );
    });
}

#[test]
fn graceful_shutdown_example_drains_then_aborts() {
    passes_in_a_child("child_graceful_shutdown_on_sigterm");
}

#[test]
#[ignore = "run by graceful_shutdown_example_drains_then_aborts in a child process"]
fn child_graceful_shutdown_on_sigterm() {
    if !is_child() {
        return;
    }
    goro::run(async {
        let deadline = Duration::from_millis(1500);
        let shutdown = graceful_shutdown::shutdown_requested().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = goro::spawn(graceful_shutdown::serve(listener, shutdown, deadline));

        let mut quick = TcpStream::connect(addr).await.unwrap();
        let mut stuck = TcpStream::connect(addr).await.unwrap();
        assert_eq!(round_trip(&mut quick, b"hi\n").await, b"hi\n");
        assert_eq!(round_trip(&mut stuck, b"hi\n").await, b"hi\n");

        raise(SignalKind::terminate());
        let signalled = Instant::now();
        // Not needed for the test to pass: it makes it likely that the server is draining
        // when `quick` talks again, which is what this checks then.
        goro::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            round_trip(&mut quick, b"bye\n").await,
            b"bye\n",
            "a connection in flight is served during the drain"
        );
        quick.close().await.unwrap();

        let report = within(LIMIT, "the server's end", server).await.unwrap();
        assert!(
            signalled.elapsed() >= deadline,
            "aborted before the deadline"
        );
        assert_eq!(
            report,
            graceful_shutdown::Report {
                signal: SignalKind::terminate(),
                accepted: 2,
                in_flight: 2,
                drained: 1,
                aborted: 1,
            }
        );
        assert!(report.to_string().contains("1 aborted"), "{report}");

        let mut rest = Vec::new();
        let read = within(
            LIMIT,
            "the aborted connection's end",
            stuck.read_to_end(&mut rest),
        );
        assert!(read.await.is_ok_and(|_| rest.is_empty()));
        let refused = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

/// Runs the `#[ignore]`d test `name` of this file in a child process, checks that it passed,
/// and answers its output.
fn passes_in_a_child(name: &str) -> std::process::Output {
    let output = run_child(name, &[], LIMIT * 3);
    assert_child_passed(name, &output);
    output
}

/// Writes `line` and reads as many bytes back.
async fn round_trip(stream: &mut TcpStream, line: &[u8]) -> Vec<u8> {
    stream.write_all(line).await.unwrap();
    let mut back = vec![0; line.len()];
    stream.read_exact(&mut back).await.unwrap();
    back
}
