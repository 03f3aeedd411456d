//! Starting the runtime's threads: their names, stack size, and the user's start and stop
//! hooks (`Builder::on_thread_start`, `Builder::on_thread_stop`).
//!
//! Every thread a runtime starts goes through `ThreadStarter::spawn`: the workers, the
//! threads that take a worker's place (the monitor's hand-offs, `block_in_place`), the
//! blocking pool's threads, the monitor, and the thread that finishes a shutdown in the
//! background (`shutdown_background`, or a runtime dropped inside one of its own tasks).
//! On each:
//! 1. the runtime becomes current (so a hook may call `Handle::current`);
//! 2. the start hook runs;
//! 3. the thread's work runs;
//! 4. no task is current any more (the thread may have polled one last), and the stop hook
//!    runs, also if the work unwound (goro's threads catch every panic of user code, so that
//!    is a bug of goro's, but the hook still balances the start).
//!
//! A panic in a hook is caught, and the thread goes on as if the hook had returned: the
//! panic hook has reported it (on stderr by default), and a worker that died of it would
//! leave its queued tasks to hang. The hooks run on every thread, so a panic would repeat
//! on each; there is nothing better to do with it.

use super::{Handle, context};
use crate::scheduler;
use crate::task;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A start or stop hook.
pub(crate) type Hook = Arc<dyn Fn() + Send + Sync>;

/// How the runtime starts its threads.
#[derive(Clone)]
pub(crate) struct ThreadStarter {
    /// The prefix of every thread's name (`Builder::thread_name`).
    pub(crate) name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Hook>,
    pub(crate) on_stop: Option<Hook>,
}

impl ThreadStarter {
    /// Starts a thread named `NAME-suffix` that runs `work` with `handle`'s runtime current,
    /// between the hooks (steps in the module doc).
    pub(crate) fn spawn(
        &self,
        handle: &Handle,
        suffix: &str,
        work: impl FnOnce() + Send + 'static,
    ) -> io::Result<JoinHandle<()>> {
        let mut thread = std::thread::Builder::new().name(self.thread_name(suffix));
        if let Some(bytes) = self.stack_size {
            thread = thread.stack_size(bytes);
        }
        let handle = handle.clone();
        let hooks = (self.on_start.clone(), self.on_stop.clone());
        thread.spawn(move || {
            let _enter = context::enter(handle);
            run_hook(hooks.0.as_ref());
            let _stop = StopHook(hooks.1);
            work();
        })
    }

    /// The full name of the thread `NAME-suffix`.
    pub(crate) fn thread_name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }
}

/// Starts a thread that runs worker `index` of `handle`'s runtime, as owner `epoch` of the
/// worker's slot (0: the first; later ones take the place of a thread that lost the slot).
pub(super) fn start_worker(
    handle: &Handle,
    index: usize,
    epoch: u64,
) -> io::Result<JoinHandle<()>> {
    let scheduler = handle.scheduler.clone();
    handle.threads.spawn(handle, &index.to_string(), move || {
        scheduler::run_worker(scheduler, index, epoch);
    })
}

/// Step 4 of the module doc, on drop.
struct StopHook(Option<Hook>);

impl Drop for StopHook {
    fn drop(&mut self) {
        task::forget_current();
        run_hook(self.0.as_ref());
    }
}

/// Runs `hook` if there is one; a panic in it is caught (see the module doc).
fn run_hook(hook: Option<&Hook>) {
    if let Some(hook) = hook {
        let _ = catch_unwind(AssertUnwindSafe(|| hook()));
    }
}

impl fmt::Debug for ThreadStarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadStarter")
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .field("on_start", &self.on_start.is_some())
            .field("on_stop", &self.on_stop.is_some())
            .finish()
    }
}
