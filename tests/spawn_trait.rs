//! `goro::Handle` as a `futures::task::Spawn`: what libraries that take a generic spawner see.

use futures::task::{Spawn, SpawnExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A library function that only knows "a spawner".
async fn sum_in_tasks<S: Spawn>(spawner: &S, n: u64) -> u64 {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            spawner
                .spawn_with_handle(async move {
                    goro::time::sleep(Duration::from_millis(1)).await;
                    i
                })
                .expect("the runtime is running")
        })
        .collect();
    futures::future::join_all(handles).await.into_iter().sum()
}

#[goro::test]
async fn spawn_with_handle_gives_the_output() {
    let handle = goro::Handle::current();
    let answer = handle.spawn_with_handle(async { 6 * 7 }).unwrap();
    assert_eq!(answer.await, 42);
}

#[goro::test]
async fn a_generic_library_runs_its_tasks_on_goro() {
    let handle = goro::Handle::current();
    assert_eq!(sum_in_tasks(&handle, 100).await, 4950);
    // `&Handle`, `Arc<Handle>`: futures' blanket impls apply.
    assert_eq!(sum_in_tasks(&Arc::new(handle), 10).await, 45);
}

#[goro::test]
async fn spawned_tasks_run_on_the_runtime_workers() {
    let handle = goro::Handle::current();
    let on_goro = handle
        .spawn_with_handle(async { goro::Handle::try_current().is_some() })
        .unwrap();
    assert!(on_goro.await);
}

#[goro::test]
async fn spawn_detaches_and_the_task_still_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    let (done, finished) = futures::channel::oneshot::channel();
    let counter = ran.clone();
    // The inherent `Handle::spawn` (goro's JoinHandle) would win over the trait's method.
    SpawnExt::spawn(&goro::Handle::current(), async move {
        counter.fetch_add(1, Ordering::SeqCst);
        done.send(()).unwrap();
    })
    .unwrap();
    finished.await.unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn spawn_from_a_plain_thread_onto_a_runtime() {
    let runtime = goro::Runtime::new().unwrap();
    let spawner = runtime.handle().clone();
    let remote = std::thread::spawn(move || spawner.spawn_with_handle(async { "from afar" }))
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(runtime.block_on(remote), "from afar");
}

#[test]
fn status_is_ok_while_running_and_shutdown_after() {
    let runtime = goro::Runtime::new().unwrap();
    let spawner = runtime.handle().clone();
    assert!(spawner.status().is_ok());
    drop(runtime);
    let err = spawner.status().unwrap_err();
    assert!(err.is_shutdown());
    assert!(
        SpawnExt::spawn(&spawner, async {})
            .unwrap_err()
            .is_shutdown()
    );
}
