//! The paused clock's jumps (tokio's "auto-advance"): with the clock paused for a test, it
//! jumps to the next timer's deadline when nothing else can happen first.
//!
//! ## Participants
//! Nothing can happen first when every participant is idle:
//! - the workers: parked (counted in `Idle`), with no task queued anywhere;
//! - the holds on the clock (`reactor::Timers`, see `timer.rs`): one per `block_on` thread
//!   that is not parked (see `runtime/block_on.rs`), one per blocking task not finished
//!   (`blocking/`), one per thread waking the timers of a jump.
//!
//! ## Protocol
//! 1. A participant that becomes idle first says so (a worker: `transition_worker_to_parked`;
//!    a hold: `Timers::release`), then checks every other (`advance_paused_clock`). All of
//!    these are `SeqCst`: of two participants becoming idle at once, at least one sees the
//!    other idle in the single order of those operations. So the last participant to become
//!    idle always finds everything idle and jumps the clock; nobody is left waiting for a
//!    jump that nobody makes.
//! 2. The check and the jump run under the clock's lock
//!    (`Timers::advance_paused_to_next_if`), and the jumping thread holds the clock until it
//!    has woken what fired: two threads that both found everything idle jump one after the
//!    other only if the first jump woke no participant.
//! 3. Whoever jumped checks again when it is idle again: a worker runs what the jump woke
//!    and parks again (step 6 of its loop); a released hold checks until the clock cannot
//!    jump (`release_clock`).
//!
//! What the rule cannot see: a wake from a thread outside the runtime (that thread is no
//! participant), and a worker dispatching I/O events from inside its park (it counts as
//! parked meanwhile). A test that mixes a paused clock with those may see the clock jump
//! before their effect.

use super::Shared;

impl Shared {
    /// Step 1's check and step 2: jumps a paused clock to the next deadline if every
    /// participant is idle. True if it did.
    pub(crate) fn advance_paused_clock(&self) -> bool {
        self.reactor
            .timers()
            .advance_paused_to_next_if(|| self.idle.counts().0 == 0 && !self.has_runnable_task())
    }

    /// Takes a hold on the paused clock for something the workers' idle counts do not see.
    pub(crate) fn hold_clock(&self) {
        self.reactor.timers().holds().take();
    }

    /// Releases a hold taken with `hold_clock` (step 1); if it was the last one, jumps the
    /// clock for as long as every participant stays idle (step 3).
    pub(crate) fn release_clock(&self) {
        if self.reactor.timers().release() {
            while self.advance_paused_clock() {}
        }
    }
}
