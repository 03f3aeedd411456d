//! The registry's tests, on the task module's test scheduler: listing, removal in batches,
//! the spawner's shard, hand-back to a shard's owner.

use super::{Registry, Retired};
use crate::loom::{Arc, lock};
use crate::task::test_scheduler::*;
use crate::task::{Id, Notified, Task, TaskState, new};
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

#[test]
fn the_registry_lists_live_tasks() {
    let q = queue();
    let (g, ready, waker) = gate();
    let join = spawn(&q, g);
    run_all(&q);
    let dump = q.registry.as_ref().unwrap().dump();
    assert_eq!(dump.len(), 1);
    assert_eq!(dump[0].id, join.id());
    assert_eq!(dump[0].state, TaskState::Idle);
    assert_eq!(dump[0].polls, 1);
    assert!(dump[0].location.file().ends_with("tests.rs"));
    ready.store(1, SeqCst);
    lock(&waker).take().unwrap().wake();
    run_all(&q);
    assert_eq!(q.registry.as_ref().unwrap().counts(), (0, 1));
}

/// Removal in batches (see the registry's module doc): an entry located while its task was
/// live is removed by `remove_retired` and its reference dropped; one that shutdown already
/// took out is left alone.
#[test]
fn retired_entries_are_removed_in_a_batch() {
    let q = queue();
    let registry = q.registry.as_ref().unwrap();
    let locate = |entry: Notified<Arc<Queue>>| {
        let ptr = entry.into_raw();
        // SAFETY: a borrowed view of the entry's reference for `locate`, which only reads the
        // header; the reference goes back into a `Notified` at once.
        let task = std::mem::ManuallyDrop::new(unsafe { Task::<Arc<Queue>>::from_raw(ptr) });
        let retired = registry.locate(&task).expect("bound");
        // SAFETY: the reference taken apart above.
        (retired, unsafe { Notified::<Arc<Queue>>::from_raw(ptr) })
    };
    let first = spawn(&q, std::future::pending::<()>());
    let entry = lock(&q.tasks).pop_front().unwrap();
    let (retired, entry) = locate(entry);
    registry.remove_retired(&mut vec![retired], None);
    assert!(registry.dump().is_empty(), "the entry was removed");
    drop(entry);
    drop(first);
    let second = spawn(&q, std::future::pending::<()>());
    let entry = lock(&q.tasks).pop_front().unwrap();
    let (retired, entry) = locate(entry);
    registry.close_and_shutdown_all();
    assert!(second.is_finished());
    registry.remove_retired(&mut vec![retired], None);
    drop(entry);
}

/// Binding takes the spawner's shard modulo the shard count; the entry is found again by the
/// shard and index the header keeps. Tasks freed unpolled drop their futures.
#[test]
fn a_task_is_found_in_the_shard_its_spawner_chose() {
    let q = queue();
    let registry = Registry::new(3, 0);
    let drops = Arc::new(AtomicUsize::new(0));
    let mut retired: Vec<_> = (0..7)
        .map(|shard| bind_located(&q, &registry, shard, DropCount(drops.clone())))
        .collect();
    assert_eq!(registry.dump().len(), 7);
    registry.remove_retired(&mut retired, None);
    assert!(registry.dump().is_empty());
    assert_eq!(drops.load(SeqCst), 7, "every unpolled future was dropped");
}

/// Binds a task that holds `held` until dropped into `shard`, and returns where its entry
/// is; only the registry's reference is left.
fn bind_located(
    q: &Arc<Queue>,
    registry: &Registry<Arc<Queue>>,
    shard: usize,
    held: DropCount,
) -> Retired {
    let future = async move {
        std::future::pending::<()>().await;
        drop(held);
    };
    let (task, notified, join) = new(future, q.clone(), Id::next(), Location::caller());
    drop(join);
    let entry = registry.bind(task, notified, shard).expect("open");
    let ptr = entry.into_raw();
    // SAFETY: a borrowed view of the entry's reference for `locate`; it goes back into a
    // `Notified` at once and is dropped.
    let task = std::mem::ManuallyDrop::new(unsafe { Task::<Arc<Queue>>::from_raw(ptr) });
    let retired = registry.locate(&task).expect("bound");
    // SAFETY: the reference taken apart above.
    drop(unsafe { Notified::<Arc<Queue>>::from_raw(ptr) });
    retired
}

/// Removal by the owner (the registry's module doc): entries of another worker's shard are
/// handed back and removed at the owner's next bind, unless there are too many.
#[test]
fn entries_of_another_workers_shard_are_handed_back() {
    let q = queue();
    let registry = Registry::new(2, 2);
    let drops = Arc::new(AtomicUsize::new(0));
    let retired = bind_located(&q, &registry, 0, DropCount(drops.clone()));
    registry.remove_retired(&mut vec![retired], Some(1));
    assert_eq!(drops.load(SeqCst), 0, "handed back, not removed");
    assert_eq!(registry.counts().0, 0, "a handed-back entry is not live");
    bind_located(&q, &registry, 0, DropCount(Arc::default()));
    assert_eq!(drops.load(SeqCst), 1, "the owner's bind removed it");
    let mut many: Vec<_> = (0..300)
        .map(|_| bind_located(&q, &registry, 0, DropCount(drops.clone())))
        .collect();
    registry.remove_retired(&mut many, Some(1));
    assert_eq!(
        drops.load(SeqCst),
        301,
        "too many to hand back: removed at once"
    );
    registry.close_and_shutdown_all();
}
