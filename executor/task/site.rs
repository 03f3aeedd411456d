//! `Site`: what a task's type and spawn call site tell, shared by every task of that pair.
//!
//! Every task needs its vtable (one per future type `F` and scheduler type `S`) and its spawn
//! location (one per `spawn` call site). Both are `'static` and the same for every task of
//! the pair, so the header keeps a single pointer to an interned `Site` holding the two,
//! instead of two pointers of its own: 8 bytes less per task.
//!
//! ## Interning
//! 1. The key is the pair of addresses (vtable, location). Both are `'static`, so an address
//!    never comes to mean another vtable or location.
//! 2. A thread-local direct-mapped cache of `CACHE_SLOTS` slots, indexed by a hash of the
//!    key, answers the common case (a loop spawning the same future from the same line)
//!    without a lock: a hash and a compare of the key.
//! 3. On a miss, a global table under a `Mutex` finds the `Site`, or creates and leaks one;
//!    the slot then remembers it (evicting whichever key was there). The lock is a leaf:
//!    nothing else is locked while it is held.
//!
//! A `Site` is immutable and never freed, so a cached `&'static Site` never goes stale and
//! the cache needs no invalidation; threads share sites through the table alone. Each is
//! leaked in a `CachePadded` allocation of its own: every poll and wake reads it, from every
//! worker, so it must not share a cache line with heap data that is written (a task cell
//! freed and reused next to it would be).
//!
//! ## Why leaking is bounded
//! A `Site` is never freed, and at most one exists per distinct key. Vtables are promoted
//! constants (one per monomorphised `F, S`, perhaps a few copies across codegen units) and
//! locations are the constants `#[track_caller]` passes (one per call site), so the number of
//! keys is bounded by the program's code, not by how many tasks or runtimes it runs. (Miri is
//! the exception: it gives each `Location::caller()` a fresh allocation, so there every spawn
//! makes a `Site`; Miri runs are short, and the `Site`s stay reachable from the table, so its
//! leak check does not count them.)
//!
//! The vtable is copied into the `Site` rather than pointed to, so that calling through it
//! costs the same loads as a vtable pointer in the header did: header, then function.

use super::header::Vtable;
use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::Location;
use std::ptr;
// std's, not `crate::loom`'s: the table is a cache of immutable leaked values, part of no
// concurrency protocol that a loom model checks, and a loom `Mutex` cannot live in a static.
use std::sync::{Mutex, PoisonError};

/// The type-level part of a task: its vtable and where it was spawned.
pub(crate) struct Site {
    /// The functions that know the task's concrete types.
    pub(crate) vtable: Vtable,
    /// Where `spawn` was called.
    pub(crate) location: &'static Location<'static>,
}

/// The interning key: the addresses of the vtable and of the location.
type Key = (usize, usize);

/// How many slots the thread-local cache has; a power of two.
const CACHE_SLOTS: usize = 32;

/// One slot of the thread-local cache.
#[derive(Clone, Copy)]
struct Cached {
    /// The key this slot answers.
    key: Key,
    /// The interned site of `key`.
    site: &'static Site,
}

thread_local! {
    /// The thread's direct-mapped cache in front of `TABLE`.
    static CACHE: [Cell<Option<Cached>>; CACHE_SLOTS] =
        const { [const { Cell::new(None) }; CACHE_SLOTS] };
}

/// Every `Site` made so far, by key. A `BTreeMap` because its `new` is `const`: the table
/// needs no lazy initialisation, and it is only searched on a cache miss.
static TABLE: Mutex<BTreeMap<Key, &'static Site>> = Mutex::new(BTreeMap::new());

impl Site {
    /// The one `Site` of `vtable` and `location`, made on first use. `inline`: it is on the
    /// spawn path, called from the spawning crate (see `Header::new`).
    #[inline]
    pub(crate) fn intern(
        vtable: &'static Vtable,
        location: &'static Location<'static>,
    ) -> &'static Site {
        let key = (ptr::from_ref(vtable).addr(), ptr::from_ref(location).addr());
        CACHE.with(|cache| {
            let slot = &cache[slot_of(key)];
            match slot.get() {
                Some(cached) if cached.key == key => cached.site,
                _ => {
                    let site = intern_slow(key, vtable, location);
                    slot.set(Some(Cached { key, site }));
                    site
                }
            }
        })
    }
}

/// The cache slot of `key`: a multiplicative (Fibonacci) hash of both addresses, top bits.
fn slot_of((vtable, location): Key) -> usize {
    let mixed =
        (vtable as u64 ^ (location as u64).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (u64::BITS - CACHE_SLOTS.trailing_zeros())) as usize
}

/// Finds `key` in the global table, or leaks a new `Site` for it.
#[cold]
fn intern_slow(
    key: Key,
    vtable: &'static Vtable,
    location: &'static Location<'static>,
) -> &'static Site {
    // Poisoning cannot leave the table inconsistent: an insert either happened or not.
    let mut table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    table.entry(key).or_insert_with(|| {
        let site = Site {
            vtable: *vtable,
            location,
        };
        &**Box::leak(Box::new(CachePadded::new(site)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::header::Header;
    use std::ptr::NonNull;

    /// A vtable entry that does nothing: these tests never call one.
    fn ignore(_: NonNull<Header>) {}

    /// `try_read_output`'s shape of `ignore`.
    fn ignore_read(_: NonNull<Header>, _: *mut (), _: &std::task::Waker) {}

    /// A vtable of no task.
    const VTABLE: Vtable = Vtable {
        poll: ignore,
        schedule: ignore,
        dealloc: ignore,
        try_read_output: ignore_read,
        drop_join_handle_slow: ignore,
        shutdown: ignore,
    };

    /// Distinct vtables (equal, at distinct addresses), for more keys than cache slots.
    static VTABLES: [Vtable; 2 * CACHE_SLOTS] = [VTABLE; 2 * CACHE_SLOTS];

    /// A location per call site, so the tests can tell two keys apart.
    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn one_site_per_key() {
        let (first, second) = (here(), here());
        let site = Site::intern(&VTABLES[0], first);
        assert!(ptr::eq(site.location, first));
        assert!(ptr::eq(Site::intern(&VTABLES[0], first), site));
        assert!(!ptr::eq(Site::intern(&VTABLES[0], second), site));
        assert!(!ptr::eq(Site::intern(&VTABLES[1], first), site));
    }

    #[test]
    fn evicted_keys_find_their_site_again() {
        // More keys than slots, so some share a slot and evict each other.
        let location = here();
        let sites: Vec<_> = VTABLES.iter().map(|v| Site::intern(v, location)).collect();
        for (vtable, &site) in VTABLES.iter().zip(&sites) {
            assert!(ptr::eq(Site::intern(vtable, location), site));
        }
    }

    #[test]
    fn other_threads_share_the_sites() {
        let location = here();
        let site = Site::intern(&VTABLES[0], location);
        let theirs = std::thread::spawn(move || Site::intern(&VTABLES[0], location))
            .join()
            .unwrap();
        assert!(ptr::eq(theirs, site));
    }
}
