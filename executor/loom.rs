//! One door to every synchronisation primitive the runtime uses.
//!
//! Under `cfg(loom)` the atomics, cells, locks and thread parking come from the `loom` model
//! checker, so that the loom models in `tests/loom_*.rs` explore the interleavings of the
//! real code rather than of a copy. Everywhere else they are the standard library's.
//!
//! `UnsafeCell` is wrapped so both builds share loom's closure-based API
//! (`with` / `with_mut`), which lets loom check every access to the cell.

#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence},
    sync::{Arc, Condvar, Mutex, MutexGuard},
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Arc, Condvar, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, fence},
};

/// A thread's park token: `park_thread` sleeps until the token is given (or spuriously),
/// `Thread::unpark` gives it.
#[cfg(loom)]
pub(crate) use loom::thread::{Thread, current as current_thread, park as park_thread};
#[cfg(not(loom))]
pub(crate) use std::thread::{Thread, current as current_thread, park as park_thread};

/// Gives the CPU to another thread (in a model, lets loom schedule another thread: a wait
/// loop without it never ends there).
#[cfg(loom)]
pub(crate) use loom::thread::yield_now as yield_thread;
#[cfg(not(loom))]
pub(crate) use std::thread::yield_now as yield_thread;

/// `std::cell::UnsafeCell` with loom's access API.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Gives `f` a shared raw pointer to the value.
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Gives `f` a unique raw pointer to the value.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Locks `mutex`, ignoring poisoning: every critical section in goro leaves its data
/// consistent before anything in it can panic, so a poisoned lock holds valid data.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    {
        mutex.lock().unwrap()
    }
    #[cfg(not(loom))]
    {
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Locks `mutex` if no other thread holds it, without waiting; `None` if one does. A
/// poisoned lock counts as free, as in [`lock`]: read as "held", it would stay held forever
/// (the reactor's driver, whose turn a panicking waker once unwound through, would never
/// turn again).
pub(crate) fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Mutex, try_lock};

    #[test]
    fn try_lock_takes_a_poisoned_lock_and_not_a_held_one() {
        let mutex = Mutex::new(1);
        let poisoned = std::panic::catch_unwind(|| {
            let _guard = mutex.lock().unwrap();
            panic!("poisons the lock on purpose");
        });
        assert!(poisoned.is_err() && mutex.is_poisoned());
        let guard = try_lock(&mutex).expect("a poisoned lock is free");
        assert_eq!(*guard, 1);
        assert!(try_lock(&mutex).is_none(), "a held lock is not free");
    }
}
