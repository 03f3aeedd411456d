//! The join waker slot: the waker of whoever awaits a `JoinHandle`, in one word.
//!
//! A `Waker` is two words (data pointer and vtable). The waker a `JoinHandle` is polled with
//! is nearly always another goro task's (a task that awaits a handle), and that vtable is
//! known: the slot then keeps only the data pointer, the awaiting task's header, together
//! with the reference the clone took. Any other waker (`block_on`'s, another executor's) is
//! cloned into a box and the slot keeps the box's pointer. Both pointers are aligned to at
//! least 8 bytes, so bit 0 tells them apart:
//!
//! | word            | holds                                              |
//! |-----------------|----------------------------------------------------|
//! | null            | nothing                                            |
//! | address, bit 0 clear | a goro task's header, one reference to it     |
//! | address, bit 0 set   | a `Box<Waker>` (address with bit 0 cleared)   |
//!
//! This saves a word in every task; the box costs an allocation only for handles awaited
//! outside a goro task, which are few. Who may touch the slot is the `JOIN_WAKER` bit's
//! business (`state.rs`); this type only owns what it holds.

use super::header::Header;
use super::raw::RawTask;
use super::waker;
use std::ptr::{self, NonNull};
use std::task::Waker;

/// Bit 0 set: the word points at a boxed foreign waker.
const BOXED: usize = 1;

/// What a join waker slot holds: nothing, a goro task, or a boxed waker (see the module doc).
pub(crate) struct JoinWaker {
    word: *mut (),
}

/// The two kinds of waker the slot can hold, decoded.
enum Held<'a> {
    Task(RawTask),
    Boxed(&'a Waker),
}

// SAFETY: the slot holds either a task reference (tasks are shared between threads through
// their atomic state word) or a `Waker`, which is `Send + Sync`.
unsafe impl Send for JoinWaker {}
// SAFETY: as above.
unsafe impl Sync for JoinWaker {}

impl JoinWaker {
    /// An empty slot.
    pub(crate) const fn empty() -> JoinWaker {
        JoinWaker {
            word: ptr::null_mut(),
        }
    }

    /// A slot holding a clone of `waker`.
    pub(crate) fn new(waker: &Waker) -> JoinWaker {
        let clone = waker.clone();
        if waker::is_task_waker(&clone) {
            let word = clone.data() as *mut ();
            // The slot keeps the reference the clone took.
            std::mem::forget(clone);
            JoinWaker { word }
        } else {
            let boxed = Box::into_raw(Box::new(clone)).cast::<()>();
            JoinWaker {
                word: boxed.map_addr(|address| address | BOXED),
            }
        }
    }

    fn held(&self) -> Option<Held<'_>> {
        let word = NonNull::new(self.word)?;
        if word.addr().get() & BOXED == 0 {
            // SAFETY: an unboxed word is a task header whose reference the slot owns, so the
            // task stays alive while the slot holds it.
            Some(Held::Task(unsafe {
                RawTask::from_raw(word.cast::<Header>())
            }))
        } else {
            // SAFETY: a boxed word came from `Box::into_raw` in `new`, and the box lives until
            // the slot is dropped.
            Some(Held::Boxed(unsafe { &*self.boxed() }))
        }
    }

    /// The box's address, for a word with `BOXED` set.
    fn boxed(&self) -> *mut Waker {
        self.word.map_addr(|address| address & !BOXED).cast()
    }

    /// True if waking the slot would wake the same task as `waker` (see `Waker::will_wake`).
    pub(crate) fn will_wake(&self, waker: &Waker) -> bool {
        match self.held() {
            None => false,
            Some(Held::Task(_)) => {
                waker::is_task_waker(waker) && ptr::eq(waker.data(), self.word.cast_const())
            }
            Some(Held::Boxed(held)) => held.will_wake(waker),
        }
    }

    /// Wakes what the slot holds, if anything, and keeps it.
    pub(crate) fn wake_by_ref(&self) {
        match self.held() {
            None => {}
            Some(Held::Task(task)) => task.wake_by_ref(),
            Some(Held::Boxed(held)) => held.wake_by_ref(),
        }
    }
}

impl Default for JoinWaker {
    fn default() -> JoinWaker {
        JoinWaker::empty()
    }
}

impl Drop for JoinWaker {
    fn drop(&mut self) {
        match self.held() {
            None => {}
            Some(Held::Task(task)) => task.drop_reference(),
            // SAFETY: the box came from `Box::into_raw` in `new` and is freed only here.
            Some(Held::Boxed(_)) => drop(unsafe { Box::from_raw(self.boxed()) }),
        }
    }
}
