//! A coarse clock for task bookkeeping: milliseconds since the first use, as a `u32`.
//!
//! Reading `Instant::now()` on every spawn and poll would cost more than the rest of a
//! spawn's bookkeeping, so workers `refresh` this clock at their maintenance points (every
//! few dozen polls and whenever they wake from parking), the scheduler's monitor every few
//! milliseconds while a worker is awake, and tasks read it with one relaxed load. A task's
//! age is therefore exact to within a few milliseconds, which is all a task dump needs; the
//! workers' time slices are counted on it too (`scheduler/worker.rs`). A `u32` of
//! milliseconds wraps after 49 days; ages are computed with wrapping arithmetic.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Instant;

static ORIGIN: OnceLock<Instant> = OnceLock::new();
/// The last refreshed reading. `Relaxed`: a stale or reordered reading only makes an age a
/// little wrong; nothing is synchronised through it.
static NOW_MS: AtomicU32 = AtomicU32::new(0);

/// The last refreshed reading, in milliseconds since the origin.
pub(crate) fn now_ms() -> u32 {
    NOW_MS.load(Relaxed)
}

/// Reads the real clock into the coarse one.
pub(crate) fn refresh() {
    let origin = *ORIGIN.get_or_init(Instant::now);
    NOW_MS.store(origin.elapsed().as_millis() as u32, Relaxed);
}
