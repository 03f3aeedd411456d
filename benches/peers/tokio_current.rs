//! tokio's current-thread runtime as an [`Exec`] (and a [`Net`] for echo): the peer of goro
//! on one worker in `timer_churn` (issue 15), and of goro's current-thread runtime (issue
//! 16). Its tasks run only while a thread is inside `Runtime::block_on`, so `block_on`
//! here is the runtime's, not its handle's (which, on this flavour, would wait without
//! running them).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::echo::Net;
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

/// Its sockets are tokio's, as for tokio's multi-thread runtime.
type Tokio = tokio::runtime::Handle;

impl Net for TokioCurrentThread {
    type Listener = <Tokio as Net>::Listener;
    type Stream = <Tokio as Net>::Stream;
    fn bind() -> impl Future<Output = io::Result<Self::Listener>> + Send {
        <Tokio as Net>::bind()
    }
    fn local_addr(listener: &Self::Listener) -> SocketAddr {
        <Tokio as Net>::local_addr(listener)
    }
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        <Tokio as Net>::accept(listener)
    }
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        <Tokio as Net>::connect(addr)
    }
    fn set_nodelay(stream: &Self::Stream) {
        <Tokio as Net>::set_nodelay(stream)
    }
    fn serve(stream: Self::Stream) -> impl Future<Output = ()> + Send + 'static {
        <Tokio as Net>::serve(stream)
    }
    fn ping(
        stream: Self::Stream,
        rounds: usize,
    ) -> impl Future<Output = Self::Stream> + Send + 'static {
        <Tokio as Net>::ping(stream, rounds)
    }
}
