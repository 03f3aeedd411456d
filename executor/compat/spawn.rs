//! `Handle` as a [`futures::task::Spawn`]: for libraries that take "any spawner".
//!
//! The trait's tasks return `()` and are detached; `SpawnExt::spawn_with_handle` builds a
//! handle of its own on top (a `RemoteHandle`, which cancels the task when dropped unless
//! `forget` is called). goro's own [`Handle::spawn`] stays the richer path: its
//! [`JoinHandle`](crate::JoinHandle) has the output, panics, `abort` and the task's id.

use crate::Handle;
use futures::future::FutureObj;
use futures::task::{Spawn, SpawnError};

/// Spawns on this runtime, as [`Handle::spawn`] does, and detaches the task. Answers
/// [`SpawnError::shutdown`] once the runtime has begun shutting down (the task would be
/// cancelled at once).
///
/// ```
/// use futures::task::SpawnExt;
///
/// let runtime = goro::Runtime::new().unwrap();
/// let spawner = runtime.handle().clone();
/// let answer = spawner.spawn_with_handle(async { 6 * 7 }).unwrap();
/// assert_eq!(runtime.block_on(answer), 42);
/// ```
impl Spawn for Handle {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        self.status()?;
        drop(self.spawn(future));
        Ok(())
    }

    fn status(&self) -> Result<(), SpawnError> {
        if self.scheduler.is_shutdown() {
            Err(SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}
