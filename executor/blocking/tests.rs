use super::*;
use std::sync::mpsc;

/// A spawn counts a new thread and starts it, but hands its `JoinHandle` in only after a
/// shutdown ran meanwhile (the thread found nothing to do and exited). The shutdown must
/// wait for the handle and join the thread, not return without it.
#[test]
fn shutdown_joins_a_thread_whose_start_raced_with_it() {
    let runtime = crate::Builder::new().worker_threads(1).build().unwrap();
    let pool = BlockingPool::new(
        runtime.handle().scheduler.clone(),
        4,
        Duration::from_secs(60),
    );
    let spawner = pool.spawner();
    {
        // What `spawn` does before it starts a thread.
        let mut state = lock(&spawner.inner.state);
        state.threads += 1;
        state.starting += 1;
    }
    let started = spawner.spawn_thread(runtime.handle());
    let (done_tx, done_rx) = mpsc::channel();
    let shutting_down = std::thread::spawn(move || {
        pool.shutdown(None);
        done_tx.send(()).unwrap();
    });
    // Time for a shutdown that does not wait for the handle to return.
    let returned_early = done_rx.recv_timeout(Duration::from_millis(300)).is_ok();
    spawner.hand_in(started);
    if !returned_early {
        done_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the shutdown returns once the handle is in");
    }
    shutting_down.join().unwrap();
    let unjoined = lock(&spawner.inner.state).handles.len();
    assert!(
        !returned_early && unjoined == 0,
        "the shutdown returned before the thread's handle was in; {unjoined} thread(s) never \
         joined"
    );
}
