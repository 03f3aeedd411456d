//! tokio-bound futures in goro tasks (feature `tokio-compat`): `tokio::time` and
//! `tokio::net` inside goro tasks through `goro::compat::tokio::Compat`, and what fails
//! without it.

#![cfg(feature = "tokio-compat")]

mod support;

#[cfg(feature = "hyper")]
#[path = "../examples/reqwest_compat.rs"]
#[allow(dead_code)] // its `main`
mod reqwest_compat;

use goro::compat::tokio::{Compat, CompatExt};
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(20);

#[goro::test(timeout_ms = 60_000)]
async fn without_compat_tokio_finds_no_runtime() {
    // What tokio-bound libraries meet in a goro task: the failure `Compat` is for.
    let bare = goro::spawn(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let err = bare.await.unwrap_err();
    let message = panic_message(&*err.into_panic());
    assert!(message.contains("Tokio 1.x runtime"), "{message}");
}

#[goro::test(timeout_ms = 60_000)]
async fn tokio_time_works_in_goro_tasks() {
    let mut set = goro::JoinSet::new();
    for i in 0..50u64 {
        set.spawn(
            async move {
                let start = Instant::now();
                tokio::time::sleep(Duration::from_millis(10 + i % 5)).await;
                let timed_out =
                    tokio::time::timeout(Duration::from_millis(5), std::future::pending::<()>())
                        .await;
                assert!(timed_out.is_err());
                start.elapsed()
            }
            .compat(),
        );
    }
    let slept = within(LIMIT, "50 tokio sleeps", set.join_all()).await;
    assert_eq!(slept.len(), 50);
    assert!(
        slept
            .iter()
            .all(|elapsed| *elapsed >= Duration::from_millis(15))
    );
}

#[goro::test(timeout_ms = 60_000)]
async fn tokio_net_works_in_goro_tasks() {
    let listener = Compat::new(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    const CLIENTS: usize = 8;
    let server = goro::spawn(Compat::new(async move {
        let mut connections = goro::JoinSet::new();
        for _ in 0..CLIENTS {
            let (mut stream, _) = listener.accept().await?;
            // A goro task per connection, each on tokio's socket.
            connections.spawn(Compat::new(async move {
                let mut buf = vec![0; 64 * 1024];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, std::io::Error>(());
                    }
                    stream.write_all(&buf[..n]).await?;
                }
            }));
        }
        for served in connections.join_all().await {
            served?;
        }
        Ok::<_, std::io::Error>(())
    }));

    let mut clients = goro::JoinSet::new();
    for i in 0..CLIENTS {
        clients.spawn(Compat::new(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            let sent: Vec<u8> = (0..200_000).map(|b| (b * 7 + i) as u8).collect();
            let (mut reader, mut writer) = stream.split();
            let write = async {
                writer.write_all(&sent).await?;
                writer.shutdown().await
            };
            let mut echoed = Vec::new();
            let (written, read) = futures::join!(write, reader.read_to_end(&mut echoed));
            written?;
            read?;
            assert_eq!(echoed, sent);
            Ok::<_, std::io::Error>(())
        }));
    }
    for client in within(LIMIT, "the clients", clients.join_all()).await {
        client.unwrap();
    }
    within(LIMIT, "the server", server).await.unwrap().unwrap();
}

#[goro::test(timeout_ms = 60_000)]
async fn both_runtimes_are_current_inside_compat() {
    let answer = Compat::new(async {
        let on_tokio = tokio::spawn(async { 6 }).await.unwrap();
        let on_goro = goro::spawn(async { 7 }).await.unwrap();
        on_tokio * on_goro
    })
    .await;
    assert_eq!(answer, 42);
}

#[goro::test(timeout_ms = 60_000)]
async fn an_aborted_compat_task_drops_its_tokio_resources() {
    let drops = DropCounter::new();
    let guard = drops.guard();
    let sleeper = goro::spawn(Compat::new(async move {
        let _guard = guard;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }));
    goro::time::sleep(Duration::from_millis(5)).await;
    sleeper.abort();
    let err = within(LIMIT, "the aborted task", sleeper)
        .await
        .unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(drops.alive(), 0);
}

#[cfg(feature = "hyper")]
#[test]
fn the_reqwest_example_runs() {
    let lines = bounded(LIMIT * 3, || {
        goro::run(reqwest_compat::forecasts(&["lisbon", "atlantis"])).map_err(|e| e.to_string())
    })
    .unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with("200 OK: forecast for lisbon: sunny, 24°C"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("502 Bad Gateway: the backend failed"),
        "{lines:?}"
    );
}
