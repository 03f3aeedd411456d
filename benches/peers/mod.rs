//! The peers the benchmarks and `examples/versus` compare goro with, behind one small trait,
//! the countdown several workloads finish on, and the workloads themselves: the scheduler's
//! in [`workloads`], TCP echo in [`echo`], timers beside CPU-heavy tasks in [`neighbours`]. Shared by `benches/*.rs` (as `mod peers`) and
//! `examples/versus` (by `#[path]`), so that both measure the same code; each user takes
//! the part it needs.

pub mod echo;
pub mod neighbours;
pub mod tokio_current;
pub mod workloads;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};

/// What a workload needs from a runtime: spawn (joinable or detached), yield, and block on a
/// future from a thread outside the runtime. Implemented by each runtime's handle.
pub trait Exec: Clone + Send + Sync + 'static {
    /// Resolves to the task's output (a task that failed is a bug here: it panics).
    type Join<T: Send + 'static>: Future<Output = T> + Send + 'static;
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    fn detach<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;
    /// The runtime's own timer (smol's, from async-io, for async-executor). Call it from
    /// inside a task: tokio's and goro's need their runtime to be the current one.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// A `JoinHandle` whose `Result` is unwrapped: goro's and tokio's handles yield
/// `Result<T, JoinError>`, async-executor's `Task<T>` yields `T`.
pub struct Unwrapped<H>(pub H);

impl<T, E: std::fmt::Debug, H: Future<Output = Result<T, E>> + Unpin> Future for Unwrapped<H> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|result| result.expect("task failed"))
    }
}

impl Exec for goro::Handle {
    type Join<T: Send + 'static> = Unwrapped<goro::JoinHandle<T>>;
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrapped(goro::Handle::spawn(self, future))
    }
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(goro::Handle::spawn(self, future));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        goro::yield_now()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        goro::time::sleep(duration)
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        goro::Handle::block_on(self, future)
    }
}

impl Exec for tokio::runtime::Handle {
    type Join<T: Send + 'static> = Unwrapped<tokio::task::JoinHandle<T>>;
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrapped(tokio::runtime::Handle::spawn(self, future))
    }
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(tokio::runtime::Handle::spawn(self, future));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        tokio::runtime::Handle::block_on(self, future)
    }
}

impl Exec for Arc<async_executor::Executor<'static>> {
    type Join<T: Send + 'static> = async_executor::Task<T>;
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        async_executor::Executor::spawn(self, future)
    }
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        async_executor::Executor::spawn(self, future).detach();
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        futures_lite::future::yield_now()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        // `map`, not an `async` block, which would hold the timer twice (captured and
        // awaited): the memory workloads count every byte of a sleeping task.
        async_io::Timer::after(duration).map(drop)
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // The calling thread only polls `future`; the pool's threads run the tasks, as in
        // goro's and tokio's `block_on`.
        futures_lite::future::block_on(future)
    }
}

/// goro's runtime with `workers` worker threads.
pub fn goro_runtime(workers: usize) -> goro::Runtime {
    goro::Builder::new()
        .worker_threads(workers)
        .build()
        .expect("goro runtime")
}

/// goro's current-thread runtime: no worker threads, `block_on` runs the tasks.
pub fn goro_current_runtime() -> goro::Runtime {
    goro::Builder::new_current_thread()
        .build()
        .expect("goro current-thread runtime")
}

/// tokio's multi-thread runtime with `workers` worker threads, I/O and time enabled.
pub fn tokio_runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Every runtime with the same number of workers, built once and kept for a whole
/// criterion run.
pub struct Runtimes {
    pub goro: goro::Runtime,
    pub tokio: tokio::runtime::Runtime,
    pub async_executor: AsyncExecutorPool,
}

impl Runtimes {
    pub fn new(workers: usize) -> Runtimes {
        Runtimes {
            goro: goro_runtime(workers),
            tokio: tokio_runtime(workers),
            async_executor: AsyncExecutorPool::new(workers),
        }
    }
}

/// async-executor has no thread pool of its own: `workers` threads each run the executor
/// until the pool is dropped.
pub struct AsyncExecutorPool {
    pub executor: Arc<async_executor::Executor<'static>>,
    stop: Option<oneshot::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl AsyncExecutorPool {
    pub fn new(workers: usize) -> AsyncExecutorPool {
        let executor = Arc::new(async_executor::Executor::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let stopped: Shared<_> = stopped.shared();
        let threads = (0..workers)
            .map(|_| {
                let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
                thread::spawn(move || {
                    let _ = futures_lite::future::block_on(executor.run(stopped));
                })
            })
            .collect();
        AsyncExecutorPool {
            executor,
            stop: Some(stop),
            threads,
        }
    }
}

impl Drop for AsyncExecutorPool {
    fn drop(&mut self) {
        drop(self.stop.take());
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// A countdown whose last decrement sends on a oneshot.
pub struct Countdown {
    left: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    pub fn new(n: usize) -> (Arc<Countdown>, oneshot::Receiver<()>) {
        let (done, all_done) = oneshot::channel();
        let countdown = Countdown {
            left: AtomicUsize::new(n),
            done: Mutex::new(Some(done)),
        };
        (Arc::new(countdown), all_done)
    }

    pub fn count_down(&self) {
        // AcqRel: the last decrement sees every earlier task's exit.
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let done = self.done.lock().unwrap().take();
            done.expect("counted down twice").send(()).unwrap();
        }
    }
}
