//! What the monitor costs, in instructions (repeatable, unlike wall time on a shared
//! machine): the same workload with the monitor on (the default) and off.
//!
//! ```sh
//! cargo build --release --example monitor_cost
//! for m in on off; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/monitor_cost $m 2>&1 | grep Collected
//! done
//! ```
//!
//! The workload, five times: spawn_many (100,000 detached tasks spawned from a task, the
//! last one signals) and yield_many (200 tasks x 1,000 `yield_now`), on 2 workers. The
//! metrics counters are always on (a few plain stores per poll), so both runs include them;
//! the difference is the monitor thread and its wake-up check.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

fn main() {
    let monitor = std::env::args().nth(1).as_deref() != Some("off");
    let mut builder = goro::Builder::new();
    builder.worker_threads(2);
    if !monitor {
        builder.blocking_threshold(None);
    }
    let runtime = builder.build().expect("the runtime failed to start");
    for _ in 0..5 {
        runtime.block_on(async {
            let left = Arc::new(AtomicUsize::new(100_000));
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let tx = Arc::new(Mutex::new(Some(tx)));
            goro::spawn(async move {
                for _ in 0..100_000 {
                    let (left, tx) = (left.clone(), tx.clone());
                    drop(goro::spawn(async move {
                        if left.fetch_sub(1, Relaxed) == 1 {
                            let _ = tx.lock().unwrap().take().unwrap().send(());
                        }
                    }));
                }
            })
            .await
            .unwrap();
            rx.await.unwrap();
            let mut set = goro::JoinSet::new();
            for _ in 0..200 {
                set.spawn(async {
                    for _ in 0..1_000 {
                        goro::yield_now().await;
                    }
                });
            }
            set.join_all().await;
        });
    }
    println!("monitor {}", if monitor { "on" } else { "off" });
}
