//! tokio's current-thread runtime as an [`Exec`]: the peer of goro on one worker in
//! `timer_churn` (issue 15). Its tasks run only while a thread is inside
//! `Runtime::block_on`, so `block_on` here is the runtime's, not its handle's (which, on
//! this flavour, would wait without running them).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Exec, Unwrapped};

/// A shared tokio current-thread runtime, timers and I/O enabled.
#[derive(Clone)]
pub struct TokioCurrentThread(Arc<tokio::runtime::Runtime>);

impl TokioCurrentThread {
    pub fn new() -> TokioCurrentThread {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio current-thread runtime");
        TokioCurrentThread(Arc::new(runtime))
    }
}

impl Exec for TokioCurrentThread {
    type Join<T: Send + 'static> = Unwrapped<tokio::task::JoinHandle<T>>;
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrapped(self.0.spawn(future))
    }
    fn detach<F: Future<Output = ()> + Send + 'static>(&self, future: F) {
        drop(self.0.spawn(future));
    }
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }
}
