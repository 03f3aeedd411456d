//! The blocking pool: threads apart from the workers for closures that block.
//!
//! ## Protocol
//! 1. `spawn` wraps the closure in a task (`BlockingTask`, whose one poll runs the closure)
//!    and queues it. If a thread is idle, it is woken (and counted as no longer idle, so two
//!    spawns do not both count on one thread); otherwise a new thread starts, up to the
//!    limit. Past the limit the task waits in the queue. Once the runtime's shutdown began
//!    (or the pool's), the task is cancelled at once instead: its closure never runs.
//! 2. A thread runs queued tasks until the queue is empty, then waits up to the keep-alive
//!    time for more; if none comes it exits.
//! 3. Shutdown: queued tasks are cancelled (their closures dropped, never run), idle threads
//!    are woken to exit, and the caller waits (optionally bounded) for busy threads to finish
//!    their closure and exit, and for threads being started to hand in their `JoinHandle`s
//!    (`starting`), then joins them. Without that wait, a thread that a spawn started just
//!    before the shutdown could exit, and the shutdown take the handles, before its starter
//!    handed its handle in: nobody would join it. A shutdown that runs on one of the pool's own
//!    threads (a runtime dropped inside `spawn_blocking`) does not wait for itself. Threads
//!    still busy when a bounded wait ends are left to finish on their own.
//!
//! Blocking tasks are not in the runtime's registry: they cannot be cancelled once running,
//! so shutdown waits for them here instead.
//!
//! ## The paused clock
//! A blocking task holds the runtime's paused clock from its spawn until it completes (its
//! `JoinHandle` woken, then `Schedule::release`), so that the clock does not jump while it
//! works (see the scheduler's `paused_clock.rs`); the release may be the last one, and then
//! jumps the clock itself.

mod task;

use crate::loom::{Arc, Condvar, Mutex, lock};
use crate::runtime::Handle;
use crate::scheduler::Shared;
use crate::task::{Id, JoinHandle, Notified, Schedule, Task};
use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};
use task::BlockingTask;

/// The runtime's blocking pool; its drop does not wait (the runtime calls `shutdown`).
#[derive(Debug)]
pub(crate) struct BlockingPool {
    spawner: Spawner,
}

/// Spawns onto the pool; held by every `Handle`.
#[derive(Clone)]
pub(crate) struct Spawner {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Idle threads wait here for work.
    work: Condvar,
    /// `shutdown` waits here for threads to exit.
    exited: Condvar,
    /// The runtime's scheduler, whose paused clock each task holds.
    scheduler: Arc<Shared>,
    max_threads: usize,
    keep_alive: Duration,
}

struct State {
    queue: VecDeque<Notified<Spawner>>,
    threads: usize,
    idle: usize,
    /// Wake-ups sent to idle threads and not yet taken.
    notified: usize,
    shutdown: bool,
    /// Threads started and not yet joined (those that exited are joined at the next start).
    handles: Vec<std::thread::JoinHandle<()>>,
    /// Threads counted in `threads` whose handle is not in `handles` yet (step 3).
    starting: usize,
}

thread_local! {
    /// The pool (its address) whose thread this is, if any.
    static POOL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl BlockingPool {
    pub(crate) fn new(
        scheduler: Arc<Shared>,
        max_threads: usize,
        keep_alive: Duration,
    ) -> BlockingPool {
        BlockingPool {
            spawner: Spawner {
                inner: Arc::new(Inner {
                    state: Mutex::new(State {
                        queue: VecDeque::new(),
                        threads: 0,
                        idle: 0,
                        notified: 0,
                        shutdown: false,
                        handles: Vec::new(),
                        starting: 0,
                    }),
                    work: Condvar::new(),
                    exited: Condvar::new(),
                    scheduler,
                    max_threads,
                    keep_alive,
                }),
            },
        }
    }

    pub(crate) fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Step 3 of the protocol.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let inner = &self.spawner.inner;
        let queued = {
            let mut state = lock(&inner.state);
            state.shutdown = true;
            std::mem::take(&mut state.queue)
        };
        inner.work.notify_all();
        for task in queued {
            task.shutdown();
        }
        // `try_with`: a runtime may be dropped by a thread-local destructor at thread exit,
        // when this slot may be gone; that thread is then none of the pool's.
        let on_own_thread = POOL.try_with(|pool| pool.get()) == Ok(inner.address());
        let own = usize::from(on_own_thread);
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = lock(&inner.state);
        let mut timed_out = false;
        while (state.threads > own || state.starting > 0) && !timed_out {
            state = match deadline {
                None => inner.exited.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    timed_out = left.is_zero();
                    inner
                        .exited
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        let handles = std::mem::take(&mut state.handles);
        drop(state);
        let me = std::thread::current().id();
        for handle in handles {
            if handle.thread().id() != me && (!timed_out || handle.is_finished()) {
                // A closure's panic was caught by its task; the thread itself does not panic.
                let _ = handle.join();
            }
        }
    }
}

impl Spawner {
    /// Step 1 of the protocol. `handle` becomes the current runtime of a new thread.
    pub(crate) fn spawn<F, R>(
        &self,
        f: F,
        handle: &Handle,
        location: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // Released when the task completes, cancelled ones too (see the module doc).
        self.inner.scheduler.hold_clock();
        let (notified, join) =
            crate::task::new_unregistered(BlockingTask::new(f), self.clone(), Id::next(), location);
        if handle.scheduler.is_shutdown() {
            notified.shutdown();
            return join;
        }
        let mut state = lock(&self.inner.state);
        if state.shutdown {
            drop(state);
            notified.shutdown();
            return join;
        }
        state.queue.push_back(notified);
        if state.idle > 0 {
            state.idle -= 1;
            state.notified += 1;
            self.inner.work.notify_one();
        } else if state.threads < self.inner.max_threads {
            state.threads += 1;
            state.starting += 1;
            drop(state);
            self.start_thread(handle);
        }
        join
    }

    /// Starts a thread that `spawn` counted (in `threads` and `starting`).
    fn start_thread(&self, handle: &Handle) {
        let started = self.spawn_thread(handle);
        self.hand_in(started);
    }

    /// Spawns the OS thread of a pool thread, `NAME-blocking`, which runs `handle`'s
    /// runtime's tasks (with the runtime current, between the thread hooks).
    fn spawn_thread(&self, handle: &Handle) -> std::io::Result<std::thread::JoinHandle<()>> {
        let spawner = self.clone();
        handle.threads.spawn(handle, "blocking", move || {
            POOL.with(|pool| pool.set(spawner.inner.address()));
            spawner.run_thread();
        })
    }

    /// Hands a started thread's handle in for `shutdown` to join (and joins the threads that
    /// exited meanwhile), or uncounts a thread that could not start.
    fn hand_in(&self, started: std::io::Result<std::thread::JoinHandle<()>>) {
        let mut state = lock(&self.inner.state);
        state.starting -= 1;
        if state.shutdown {
            // `shutdown` may be waiting for this handle (step 3).
            self.inner.exited.notify_all();
        }
        match started {
            Ok(thread) => {
                let (exited, running): (Vec<_>, Vec<_>) = std::mem::take(&mut state.handles)
                    .into_iter()
                    .partition(|h| h.is_finished());
                state.handles = running;
                state.handles.push(thread);
                drop(state);
                for handle in exited {
                    let _ = handle.join();
                }
            }
            Err(err) => {
                state.threads -= 1;
                if state.threads == 0 {
                    drop(state);
                    panic!("goro: the blocking pool cannot start a thread: {err}");
                }
            }
        }
    }

    /// Step 2 of the protocol.
    fn run_thread(&self) {
        let inner = &self.inner;
        let mut state = lock(&inner.state);
        loop {
            while let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                state = lock(&inner.state);
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (mut guard, timeout) = inner
                .work
                .wait_timeout(state, inner.keep_alive)
                .unwrap_or_else(|e| e.into_inner());
            if guard.notified > 0 {
                guard.notified -= 1;
            } else if guard.shutdown || (timeout.timed_out() && guard.queue.is_empty()) {
                guard.idle -= 1;
                state = guard;
                break;
            } else {
                guard.idle -= 1;
            }
            state = guard;
        }
        state.threads -= 1;
        drop(state);
        inner.exited.notify_all();
    }
}

impl Spawner {
    /// Fills in the pool's part of `metrics`.
    pub(crate) fn metrics(&self, metrics: &mut crate::RuntimeMetrics) {
        let state = lock(&self.inner.state);
        metrics.blocking_threads = state.threads;
        metrics.blocking_idle_threads = state.idle;
        metrics.blocking_queue_depth = state.queue.len();
    }
}

impl Schedule for Spawner {
    fn schedule(&self, task: Notified<Self>) {
        // Only an abort can wake a blocking task (its closure never returns `Pending`), and
        // an abort finds it queued or running, so a wake here is unexpected; queue it anyway.
        let mut state = lock(&self.inner.state);
        state.queue.push_back(task);
        self.inner.work.notify_one();
    }

    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        self.inner.scheduler.release_clock();
        None
    }
}

impl Inner {
    /// The pool's identity for the thread-local `POOL`.
    fn address(&self) -> usize {
        self as *const Inner as usize
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
