//! `LocalSet` and `spawn_local`: tasks whose futures are not `Send`, run on one thread.
//!
//! A set is a queue of tasks that only the thread that owns it polls: the thread that made
//! it (a `LocalSet` is neither `Send` nor `Sync`, so it never leaves that thread). The thread
//! runs the set while it polls `run_until`'s future or the set itself; each poll runs the
//! set's woken tasks, at most `MAX_TASKS_PER_TICK` of them (a tick), each under a fresh
//! cooperative budget. Wakes may come from any thread: they queue the task and wake the
//! runner (`shared.rs`).
//!
//! ## Why a `!Send` future is safe here
//! The task allocation is goro's usual one, made by `internals::new_local`, which drops the
//! `Send` bounds on the promise that the task's future (and an unread output) is only
//! touched on the set's thread:
//! 1. Its future is polled only by `tick`, which takes `&LocalSet`, so it runs on the set's
//!    thread.
//! 2. It is dropped (cancelled) there too: by `tick` after an abort, by the set's drop
//!    (`close_and_shutdown_all`), by a spawn into a closed set. Every other owner of the task
//!    (wakers, `AbortHandle`s, the `JoinHandle`, queue entries) may be on another thread, but
//!    none of them is ever the last reference of an incomplete task: the set's registry keeps
//!    its reference until the task completes or is shut down, both on the set's thread.
//! 3. Its output is dropped by the completer (on the set's thread) unless the `JoinHandle`
//!    takes it; the handle is `Send` only if the output is.
//!
//! What crosses threads is what any task shares: the state word, the scheduler (`Shared`:
//! `Send + Sync`, a mutex around the run queue), and the join waker slot.
//!
//! ## Dropping a set
//! Its tasks are cancelled and their futures dropped at once, on its thread: the queue
//! closes (later wakes drop their entry), then every registered task is shut down, with the
//! set entered (a destructor's `spawn_local` lands in the closed set and is dropped too).
//! `JoinHandle`s of its tasks then answer a cancelled `JoinError`.

mod context;
mod shared;

pub use context::spawn_local;

use super::{Id, JoinHandle, Schedule, internals, save_current};
use crate::Runtime;
use crate::coop;
use crate::loom::Arc;
use shared::Shared;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Tasks a tick runs at most before it lets its caller go on (tokio's figure).
const MAX_TASKS_PER_TICK: usize = 61;

/// A set of tasks whose futures need not be `Send`, all run on the thread that owns the set.
///
/// Spawn onto it with [`LocalSet::spawn_local`], or with [`spawn_local`] from code the set
/// runs. The tasks run only while the thread runs the set: inside [`LocalSet::run_until`]
/// (or [`LocalSet::block_on`]), or while the set itself is awaited (it is a future that
/// completes once all its tasks have). Anything else the tasks use works as in any task:
/// [`goro::spawn`](crate::spawn) onto the runtime, timers, sockets, [`JoinHandle`]s of other
/// tasks; and a local task may be woken from any thread.
///
/// Dropping the set cancels the tasks still in it, on its thread.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let runtime = goro::Runtime::new().unwrap();
/// let local = goro::task::LocalSet::new();
/// let hits = Rc::new(Cell::new(0)); // not Send
/// for _ in 0..3 {
///     let hits = hits.clone();
///     let _ = local.spawn_local(async move { hits.set(hits.get() + 1) });
/// }
/// runtime.block_on(local); // runs the set until its tasks are done
/// assert_eq!(hits.get(), 3);
/// ```
pub struct LocalSet {
    shared: Arc<Shared>,
    /// Neither `Send` nor `Sync`: the set's tasks run on the thread that made it.
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set, owned by the current thread.
    ///
    /// ```
    /// let local = goro::task::LocalSet::new();
    /// let runtime = goro::Runtime::new().unwrap();
    /// assert_eq!(local.block_on(&runtime, async { 1 }), 1);
    /// ```
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Shared::new(),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future onto this set; it runs when the set runs (see
    /// [`spawn_local`], which spawns onto the set that runs the caller).
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = goro::Runtime::new().unwrap();
    /// let local = goro::task::LocalSet::new();
    /// let name = Rc::new("local".to_string());
    /// let task = local.spawn_local(async move { name.len() });
    /// assert_eq!(local.block_on(&runtime, task).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn(&self.shared, future, Location::caller())
    }

    /// Runs `future` on this thread, and the set's tasks meanwhile, until `future` completes;
    /// tasks still unfinished then stay in the set, for its next run. Inside, [`spawn_local`]
    /// spawns onto this set.
    ///
    /// ```
    /// goro::run(async {
    ///     let local = goro::task::LocalSet::new();
    ///     let out = local
    ///         .run_until(async {
    ///             let task = goro::task::spawn_local(async { std::rc::Rc::new(5) });
    ///             *task.await.unwrap()
    ///         })
    ///         .await;
    ///     assert_eq!(out, 5);
    /// });
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        RunUntil { set: self, future }.await
    }

    /// Runs `future` and the set's tasks on this thread until `future` completes, blocking the
    /// thread on `runtime` ([`Runtime::block_on`] of [`LocalSet::run_until`]).
    ///
    /// # Panics
    /// As [`Runtime::block_on`].
    ///
    /// ```
    /// let runtime = goro::Runtime::new().unwrap();
    /// let local = goro::task::LocalSet::new();
    /// let out = local.block_on(&runtime, async {
    ///     goro::task::spawn_local(async { "ran on this thread" }).await.unwrap()
    /// });
    /// assert_eq!(out, "ran on this thread");
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, runtime: &Runtime, future: F) -> F::Output {
        runtime.block_on(self.run_until(future))
    }

    /// Runs up to `MAX_TASKS_PER_TICK` woken tasks; true if it stopped at that limit (more
    /// may be queued). The current task's id (the task that runs the set, if any) is put
    /// back after the polls.
    fn tick(&self) -> bool {
        let _outer_task = save_current();
        for _ in 0..MAX_TASKS_PER_TICK {
            match self.shared.pop() {
                Some(task) => coop::with_budget(|| task.run()),
                None => return false,
            }
        }
        true
    }
}

/// Spawns `future` onto the set of `shared`; the caller is on the set's thread.
fn spawn<F>(
    shared: &Arc<Shared>,
    future: F,
    location: &'static Location<'static>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    // SAFETY: `shared` is the scheduler of a set that belongs to this thread (the callers
    // are `LocalSet::spawn_local`, whose `&LocalSet` is on the set's thread, and
    // `spawn_local`, which takes the set its thread runs). Only the set runs its queue
    // entries (`tick`) and shuts its tasks down (its drop, or `bind` into the closed
    // registry, here), all on that thread; and the registry keeps its reference until the
    // task completes or is shut down. See "Why a `!Send` future is safe here".
    let (task, notified, join) =
        unsafe { internals::new_local(future, shared.clone(), Id::next(), location) };
    if let Some(notified) = shared.registry.bind(task, notified, 0) {
        shared.schedule(notified);
    }
    join
}

pin_project_lite::pin_project! {
    /// The future of `run_until`.
    struct RunUntil<'a, F> {
        set: &'a LocalSet,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let (set, future) = (*this.set, this.future);
        let _running = context::enter(&set.shared);
        set.shared.register(cx.waker());
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(output);
        }
        if set.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl Future for LocalSet {
    type Output = ();

    /// Runs the set's woken tasks; ready once it holds no task.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _running = context::enter(&self.shared);
        self.shared.register(cx.waker());
        if self.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.shared.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl Drop for LocalSet {
    /// "Dropping a set" in the module doc.
    fn drop(&mut self) {
        let _running = context::enter(&self.shared);
        let (queued, waker) = self.shared.close();
        self.shared.registry.close_and_shutdown_all();
        drop(queued);
        drop(waker);
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_model;
#[cfg(all(test, not(loom)))]
mod tests;
