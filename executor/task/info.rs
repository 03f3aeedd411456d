//! `TaskInfo`: one line of a task dump (Go's goroutine profile).

use super::Id;
use super::header::Header;
use std::panic::Location;
use std::time::Duration;

/// What a live task is doing, as `Handle::dump` saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting for a wake-up (a timer, a socket, a channel, ...).
    Idle,
    /// Woken, waiting in a run queue for a worker.
    Scheduled,
    /// Being polled by a worker right now.
    Running,
}

/// A snapshot of one live task, for task dumps.
///
/// ```
/// goro::run(async {
///     let handle = goro::spawn(std::future::pending::<()>());
///     goro::yield_now().await;
///     let dump = goro::Handle::current().dump();
///     let info = dump.iter().find(|t| t.id == handle.id()).unwrap();
///     assert!(info.location.file().ends_with(".rs"));
///     println!("{} at {} is {:?}", info.id, info.location, info.state);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// The task's id.
    pub id: Id,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
    /// What it is doing.
    pub state: TaskState,
    /// How long it has been in `state` (to within the runtime's coarse clock, a few ms).
    pub in_state_for: Duration,
    /// Time since the spawn (to within the runtime's coarse clock).
    pub age: Duration,
    /// How many times it has been polled.
    pub polls: u32,
}

impl TaskInfo {
    pub(crate) fn of(header: &Header) -> TaskInfo {
        let snapshot = header.state.load();
        let state = if snapshot.is_running() {
            TaskState::Running
        } else if snapshot.is_scheduled() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        TaskInfo {
            id: header.id,
            location: header.location(),
            state,
            in_state_for: Duration::from_millis(header.state_age_ms().into()),
            age: Duration::from_millis(header.age_ms().into()),
            polls: header.polls(),
        }
    }
}
