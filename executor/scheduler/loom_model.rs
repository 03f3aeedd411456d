//! Loom models of the park/notify protocol (`idle.rs` and `park.rs`): a worker that finds no
//! work and parks, racing a producer that pushes work and notifies. No interleaving may
//! leave the worker asleep with work queued (loom reports that as a deadlock). And the
//! abandon rule: a thread that lost its slot to the monitor never stays asleep on the
//! slot's parker, and never takes the new owner's wake-up.
//!
//! Three models of the monitor's hand-off (`monitor.rs`) with the threads it meets:
//! - a hand-off while the old thread finishes its poll, which schedules a task into the
//!   slot's `next` (real `Shared::schedule_next` and `hand_off`), then parks: the task must
//!   run, though the slot's new owner may be asleep;
//! - `block_in_place`'s hand-off of the slot by its own thread (`on_purpose.rs`), racing the
//!   monitor's hand-off of the same slot: one owner per epoch, and a task queued on the
//!   slot runs on whichever thread owns it last;
//! - a hand-off while the old thread is parked in the reactor and another worker parks:
//!   once the old thread has left, some worker must be in the reactor to see its events.
//!
//! The first models hold the reactor's lock for their whole run, so the parker takes the
//! condition-variable path (a real `epoll_wait` would block loom's only thread); the last
//! one parks in `ModelReactor`, a stand-in that blocks on a loom condition variable.

use super::context::Place;
use super::idle::Idle;
use super::monitor::{Monitor, hand_off};
use super::park::{Parker, Reactor, TryLock};
use super::{Shared, UnhandledPanic};
use crate::loom::{Arc, AtomicBool, AtomicUsize, Condvar, Mutex, lock};
use crate::reactor;
use crate::task::{self, Id};
use loom::thread;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::sync::atomic::Ordering::{Relaxed, Release, SeqCst};
use std::time::Duration;

/// One worker's loop, reduced to the steps that matter: check, search, park, re-check.
fn worker(
    idle: &Idle,
    parker: &Parker,
    work: &AtomicUsize,
    driver: &Mutex<reactor::Driver>,
    reactor: &reactor::Handle,
) {
    loop {
        if work.load(SeqCst) > 0 {
            return;
        }
        let searching = idle.transition_worker_to_searching();
        let last = idle.transition_worker_to_parked(0, searching);
        // As in `Shared::has_pending_work`.
        crate::loom::fence(SeqCst);
        if last && work.load(SeqCst) > 0 && idle.worker_to_notify().is_some() {
            parker.unpark(reactor);
        }
        parker.park(driver, reactor, || false);
        if !idle.unpark_worker_by_id(0) {
            idle.transition_worker_from_searching();
        }
    }
}

/// A one-worker runtime's parts for the park/notify models: the reactor (driver and
/// handle), the idle counts, the worker's parker and a count of queued work.
fn one_worker() -> (
    Arc<Mutex<reactor::Driver>>,
    reactor::Handle,
    Arc<Idle>,
    Arc<Parker>,
    Arc<AtomicUsize>,
) {
    let (driver, reactor) = reactor::Handle::new().unwrap();
    (
        Arc::new(Mutex::new(driver)),
        reactor,
        Arc::new(Idle::new(1)),
        Arc::new(Parker::new()),
        Arc::new(AtomicUsize::new(0)),
    )
}

#[test]
fn a_push_racing_a_park_always_wakes_the_worker() {
    loom::model(|| {
        let (driver, reactor, idle, parker, work) = one_worker();
        let _held = lock(&driver);
        let producer = {
            let (idle, parker, work, reactor) =
                (idle.clone(), parker.clone(), work.clone(), reactor.clone());
            thread::spawn(move || {
                work.store(1, SeqCst);
                crate::loom::fence(SeqCst);
                if idle.worker_to_notify().is_some() {
                    parker.unpark(&reactor);
                }
            })
        };
        let driver_ref = Arc::clone(&driver);
        worker(&idle, &parker, &work, &driver_ref, &reactor);
        producer.join().unwrap();
    });
}

#[test]
fn a_thread_that_lost_its_slot_never_sleeps_on_it() {
    loom::model(|| {
        let (driver, reactor) = reactor::Handle::new().unwrap();
        let driver = Arc::new(Mutex::new(driver));
        let _held = lock(&driver);
        let parker = Arc::new(Parker::new());
        let epoch = Arc::new(AtomicUsize::new(0));
        let monitor = {
            let (parker, epoch, reactor, driver) = (
                parker.clone(),
                epoch.clone(),
                reactor.clone(),
                driver.clone(),
            );
            thread::spawn(move || {
                // As `hand_off` does: bump the epoch, start the new owner, wake the parker.
                epoch.fetch_add(1, SeqCst);
                let new_owner = {
                    let (parker, reactor) = (parker.clone(), reactor.clone());
                    thread::spawn(move || parker.park(&*driver, &reactor, || false))
                };
                parker.unpark_all(&reactor);
                new_owner
            })
        };
        // The old owner parks with the epoch it had: it must come back on its own.
        parker.park(&*driver, &reactor, || epoch.load(SeqCst) != 0);
        let new_owner = monitor.join().unwrap();
        // Work for the new owner: its wake-up must reach it.
        parker.unpark(&reactor);
        new_owner.join().unwrap();
    });
}

/// A flag that a model thread can wait on.
#[derive(Default)]
struct Flag {
    set: Mutex<bool>,
    changed: Condvar,
}

impl Flag {
    fn set(&self) {
        *lock(&self.set) = true;
        self.changed.notify_all();
    }

    fn is_set(&self) -> bool {
        *lock(&self.set)
    }

    fn wait(&self) {
        let mut set = lock(&self.set);
        while !*set {
            set = self.changed.wait(set).unwrap();
        }
    }
}

/// The worker loop of a thread that owns slot `place`, reduced to what the hand-off meets:
/// run what the slot or the injector holds, else search and park on the slot's parker as
/// `Worker::search` and `Worker::park` do (the last searcher to park looks for work again),
/// and retire once the slot is handed away, with the wake-up of `Worker::run`'s exit.
/// Returns once it retired, or once `done` is set and nothing is left to run.
fn slot_loop(shared: &Shared, place: Place, done: &Flag) {
    let remote = &shared.workers[place.index];
    let lost = || remote.epoch.load(SeqCst) != place.epoch;
    let mut searching = false;
    let stop_searching = |searching: &mut bool| {
        if std::mem::take(searching) && shared.idle.transition_worker_from_searching() {
            shared.notify_parked();
        }
    };
    loop {
        if lost() {
            stop_searching(&mut searching);
            shared.notify_parked();
            return;
        }
        let found = remote
            .next
            .take()
            .or_else(|| remote.queue.pop())
            .or_else(|| {
                shared
                    .injector
                    .pop()
                    .and_then(|batch| batch.into_iter().next())
            });
        if let Some(task) = found {
            stop_searching(&mut searching);
            task.run();
            continue;
        }
        if done.is_set() {
            stop_searching(&mut searching);
            return;
        }
        searching = searching || shared.idle.transition_worker_to_searching();
        let last = shared
            .idle
            .transition_worker_to_parked(place.index, std::mem::take(&mut searching));
        if last && shared.has_pending_work() {
            shared.notify_parked();
        }
        remote.parker.park(&shared.driver, &shared.reactor, lost);
        searching = !shared.idle.unpark_worker_by_id(place.index);
    }
}

/// A one-worker scheduler with a monitor (for its gate), a flag, and the first queue entry
/// of a task (bound, not queued yet) that sets the flag and wakes the slot's parker: the
/// answer a stuck poll waits for.
fn one_slot_and_an_answer() -> (Arc<Shared>, Arc<Flag>, task::Notified<Arc<Shared>>) {
    let (driver, reactor) = reactor::Handle::new().unwrap();
    let monitor = Monitor::new(Duration::from_millis(10), None);
    let shared = Shared::new(1, driver, reactor, UnhandledPanic::Ignore, Some(monitor));
    let answered = Arc::new(Flag::default());
    let answer = {
        let (shared, answered) = (shared.clone(), answered.clone());
        async move {
            answered.set();
            shared.workers[0].parker.unpark_all(&shared.reactor);
        }
    };
    let (task, notified, join) = task::new(answer, shared.clone(), Id::next(), Location::caller());
    let notified = shared.registry.bind(task, notified, 0).unwrap();
    drop(join);
    (shared, answered, notified)
}

/// The old thread's poll wakes a task (into the slot's `next`, having found itself the
/// slot's owner) and then waits for that task's answer: a poll stuck until the task runs
/// elsewhere. The monitor hands the slot off meanwhile; its new thread may have parked
/// already. The task must run, and every thread finish.
#[test]
fn a_hand_off_while_the_old_thread_finishes_its_poll_strands_no_task() {
    loom::model(|| {
        let (shared, answered, notified) = one_slot_and_an_answer();
        let _held = lock(&shared.driver);
        let old = {
            let (shared, answered) = (shared.clone(), answered.clone());
            thread::spawn(move || {
                let place = Place { index: 0, epoch: 0 };
                shared.schedule_next(place, notified);
                answered.wait();
                slot_loop(&shared, place, &answered);
            })
        };
        let new_owner = {
            let monitor = shared.monitor.as_ref().unwrap();
            hand_off(&shared, monitor, 0, |epoch| {
                let (shared, answered) = (shared.clone(), answered.clone());
                Ok(thread::spawn(move || {
                    let remote = &shared.workers[0];
                    shared
                        .monitor
                        .as_ref()
                        .unwrap()
                        .wait_for_slot(&remote.epoch, epoch);
                    slot_loop(&shared, Place { index: 0, epoch }, &answered);
                }))
            })
            .unwrap()
        };
        old.join().unwrap();
        new_owner.join().unwrap();
        drop(_held);
        shared.close();
    });
}

/// A stand-in for the reactor: `turn` blocks until `wake` or an event; an event that comes
/// while nobody turns waits for the next turn, as the kernel keeps it for `epoll_wait`.
#[derive(Default)]
struct ModelReactor {
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl ModelReactor {
    /// An I/O event or a timer: only a thread in `turn` sees it.
    fn deliver(&self) {
        lock(&self.state).1 += 1;
        self.changed.notify_all();
    }
}

impl Reactor for ModelReactor {
    type Driver = ();

    fn turn(&self, _driver: &mut ()) -> usize {
        let mut state = lock(&self.state);
        while !state.0 && state.1 == 0 {
            state = self.changed.wait(state).unwrap();
        }
        state.0 = false;
        std::mem::take(&mut state.1)
    }

    fn wake(&self) {
        lock(&self.state).0 = true;
        self.changed.notify_all();
    }
}

/// The lock on `ModelReactor`: `try_hold` is one compare-and-swap, as the real
/// `Mutex::try_lock` is (loom's would count a thread that tries it while another holds the
/// lock as waiting, and the holder may sit in the reactor for good).
#[derive(Default)]
struct ModelDriverLock {
    held: AtomicBool,
}

/// `ModelDriverLock` held; released on drop.
struct Held<'a> {
    lock: &'a ModelDriverLock,
    driver: (),
}

impl TryLock<()> for ModelDriverLock {
    fn try_hold(&self) -> Option<impl DerefMut<Target = ()> + '_> {
        // `Acquire` and the `Release` in `Held::drop`: as a mutex's lock and unlock.
        self.held
            .compare_exchange(false, true, SeqCst, SeqCst)
            .ok()
            .map(|_| Held {
                lock: self,
                driver: (),
            })
    }
}

impl Deref for Held<'_> {
    type Target = ();
    fn deref(&self) -> &() {
        &self.driver
    }
}

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut () {
        &mut self.driver
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.lock.held.store(false, SeqCst);
    }
}

/// As `Shared::notify_parked` does.
fn notify_parked(idle: &Idle, parkers: &[Parker], reactor: &ModelReactor) {
    crate::loom::fence(SeqCst);
    if let Some(index) = idle.worker_to_notify() {
        parkers[index].unpark(reactor);
    }
}

/// Worker 0 and worker 1 park; the monitor hands worker 0's slot off (it bumps the epoch,
/// wakes the slot's parker and notifies, as `hand_off` does). Worker 0's thread then
/// retires, as `Worker::run` does on its way out. Worker 0 may have been the one in the
/// reactor; after it has gone, an event must still reach a worker: worker 1 waits for one.
#[test]
fn park_and_unpark_while_the_reactors_holder_retires() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2));
        let parkers = Arc::new([Parker::new(), Parker::new()]);
        let reactor = Arc::new(ModelReactor::default());
        let driver = Arc::new(ModelDriverLock::default());
        let epoch = Arc::new(AtomicUsize::new(0));
        let holder = {
            let (idle, parkers, reactor, driver, epoch) = (
                idle.clone(),
                parkers.clone(),
                reactor.clone(),
                driver.clone(),
                epoch.clone(),
            );
            thread::spawn(move || {
                let lost = || epoch.load(SeqCst) != 0;
                let mut searching = false;
                while !lost() {
                    searching = searching || idle.transition_worker_to_searching();
                    idle.transition_worker_to_parked(0, searching);
                    parkers[0].park(&*driver, &*reactor, lost);
                    searching = !idle.unpark_worker_by_id(0);
                }
                if searching {
                    idle.transition_worker_from_searching();
                }
                notify_parked(&idle, &parkers[..], &reactor);
            })
        };
        let other = {
            let (idle, parkers, reactor, driver) = (
                idle.clone(),
                parkers.clone(),
                reactor.clone(),
                driver.clone(),
            );
            thread::spawn(move || {
                let mut searching = false;
                loop {
                    searching = searching || idle.transition_worker_to_searching();
                    idle.transition_worker_to_parked(1, searching);
                    let ready = parkers[1].park(&*driver, &*reactor, || false);
                    searching = !idle.unpark_worker_by_id(1);
                    if ready > 0 {
                        return;
                    }
                }
            })
        };
        epoch.fetch_add(1, SeqCst);
        parkers[0].unpark_all(&*reactor);
        notify_parked(&idle, &parkers[..], &reactor);
        holder.join().unwrap();
        reactor.deliver();
        other.join().unwrap();
    });
}

/// `Shared::push_yielded`: a worker whose yielded task is alone in its queue wakes nobody,
/// since it runs the task itself, unless after its fence the slot's epoch says that the
/// monitor gave the slot to a new thread meanwhile. Here the old thread never runs the task
/// (it retires on seeing the new epoch) and the monitor does not wake anyone after the
/// hand-off: the new owner, started after the bump, must still find the task, by itself
/// or woken by the old thread. No interleaving may leave it asleep (loom reports that as a
/// deadlock).
#[test]
fn a_yield_that_wakes_nobody_is_not_lost_to_a_hand_off() {
    loom::model(|| {
        let (driver, reactor, idle, parker, work) = one_worker();
        let _held = lock(&driver);
        let epoch = Arc::new(AtomicUsize::new(0));
        let monitor = {
            let (idle, parker, work, epoch) =
                (idle.clone(), parker.clone(), work.clone(), epoch.clone());
            let (driver, reactor) = (driver.clone(), reactor.clone());
            thread::spawn(move || {
                epoch.fetch_add(1, SeqCst);
                thread::spawn(move || worker(&idle, &parker, &work, &driver, &reactor))
            })
        };
        // The old thread: its yielded task is alone in the queue.
        // As the queue's push, then `push_yielded`'s fence and `worker_index`'s load.
        work.store(1, Release);
        crate::loom::fence(SeqCst);
        let still_owner = epoch.load(Relaxed) == 0;
        if !still_owner && idle.worker_to_notify().is_some() {
            parker.unpark(&reactor);
        }
        let new_owner = monitor.join().unwrap();
        new_owner.join().unwrap();
    });
}

/// `block_in_place` on the slot's own thread (the real `Shared::hand_off_in_turn`) races
/// the monitor, which judged the same poll stuck a moment earlier and hands the slot off too
/// (as `Watcher::hand_off` does: its turn, then `hand_off`). They take turns: either the
/// monitor's comes second and hands the new owner's slot on again, or it comes first and the
/// task's finds the slot gone (and just runs its closure). A task queued in the slot's ring
/// must run, on one owner at a time (loom reports a race on the ring's cells if two threads
/// own it), and every thread must end.
#[test]
fn a_hand_off_on_purpose_racing_the_monitors_leaves_one_owner() {
    /// Starts the slot's owner `epoch`, noting the epoch in `owners`.
    fn start(
        shared: &Arc<Shared>,
        answered: &Arc<Flag>,
        owners: &Arc<Mutex<Vec<u64>>>,
        epoch: u64,
    ) -> std::io::Result<thread::JoinHandle<()>> {
        lock(owners).push(epoch);
        let (shared, answered) = (shared.clone(), answered.clone());
        Ok(thread::spawn(move || {
            let remote = &shared.workers[0];
            let monitor = shared.monitor.as_ref().unwrap();
            monitor.wait_for_slot(&remote.epoch, epoch);
            slot_loop(&shared, Place { index: 0, epoch }, &answered);
        }))
    }

    loom::model(|| {
        let (shared, answered, notified) = one_slot_and_an_answer();
        let _held = lock(&shared.driver);
        // Queued by the slot's owner, before either hand-off.
        shared.enqueue(0, notified);
        let owners = Arc::new(Mutex::new(Vec::new()));
        let watcher = {
            let (shared, answered, owners) = (shared.clone(), answered.clone(), owners.clone());
            thread::spawn(move || {
                let monitor = shared.monitor.as_ref().unwrap();
                let _turn = lock(&monitor.hand_offs);
                let started = hand_off(&shared, monitor, 0, |epoch| {
                    start(&shared, &answered, &owners, epoch)
                });
                started.unwrap()
            })
        };
        let old = Place { index: 0, epoch: 0 };
        let monitor = shared.monitor.as_ref().unwrap();
        let on_purpose = shared.hand_off_in_turn(monitor, old, |epoch| {
            start(&shared, &answered, &owners, epoch)
        });
        // The closure would run here; then the poll ends, and the thread goes on as a worker
        // (it retires at once: its slot is gone either way).
        slot_loop(&shared, old, &answered);
        let by_monitor = watcher.join().unwrap();
        for owner in on_purpose.into_iter().chain([by_monitor]) {
            owner.join().unwrap();
        }
        drop(_held);
        assert!(answered.is_set());
        let mut epochs = lock(&owners).clone();
        epochs.sort_unstable();
        epochs.dedup();
        assert_eq!(epochs.len(), lock(&owners).len(), "two owners of one epoch");
        shared.close();
    });
}
