//! What the tests and the loom models of the timers share: a waker that counts its wakes.

use crate::loom::AtomicUsize;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::task::Waker;

/// A waker and the count of its wakes.
pub(super) fn counting_waker() -> (Arc<CountWakes>, Waker) {
    let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
    (wakes.clone(), Waker::from(wakes))
}

/// The wakes of a `counting_waker` (a loom atomic in the models, which read it while other
/// threads may wake).
pub(super) struct CountWakes(AtomicUsize);

impl CountWakes {
    pub(super) fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl std::task::Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}
