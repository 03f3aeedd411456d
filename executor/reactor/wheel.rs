//! A hierarchical timing wheel: the reactor's store of pending timers.
//!
//! # Where it comes from
//!
//! G. Varghese and A. Lauck, "Hashed and Hierarchical Timing Wheels: Data Structures for the
//! Efficient Implementation of a Timer Facility", SOSP 1987 (and IEEE/ACM Transactions on
//! Networking 5(6), 1997), scheme 7. The same shape runs the timers of the Linux kernel
//! and of tokio (Go's runtime uses a 4-ary heap per P instead, O(log n) per operation).
//! What follows is written for goro.
//!
//! # Time
//!
//! Time is counted in ticks of one millisecond since the wheel was created; the wheel never
//! reads a clock. The caller turns an `Instant` deadline into a tick by rounding *up*, so a
//! timer never fires early, and calls [`Wheel::advance_to`] with the tick that the clock has
//! reached (rounded *down*). Time only moves forward.
//!
//! # Levels and slots
//!
//! The wheel is [`LEVELS`] (6) rings of [`SLOTS`] (64) slots. A slot of level `k` covers
//! `64^k` ticks, so level 0 has one slot per millisecond and sees 64 ms ahead, level 1 has
//! one slot per 64 ms and sees 4 s ahead, ... and level 5 has one slot per ~12.4 days and
//! sees `64^6` ms = 2^36 ms, about 2.18 years, ahead.
//!
//! Write a tick in base 64: six digits `d5 d4 d3 d2 d1 d0` (and higher bits above them). A
//! timer whose deadline `when` shares its digits above `k` with `now` and first differs from
//! `now` at digit `k` goes into level `k`, in the slot numbered by its digit `k`. Its slot
//! therefore *starts* (the first tick that the slot covers) no later than `when` and lies
//! strictly ahead of `now` on that ring, at a distance of 1 to 63 slots. A deadline whose
//! difference from `now` does not fit in six digits is clamped into level 5, at most 63
//! slots ahead; when that slot comes round it is simply filed again ("re-cascaded").
//!
//! # Advancing and cascading
//!
//! To advance to `t`, the wheel repeatedly picks the slot, over all levels, that starts
//! first. If it starts after `t`, it stops. Otherwise it moves `now` to that slot's start and
//! empties the slot: each timer whose deadline is `<= t` fires, and every other timer is
//! filed again relative to the new `now`. Because the timer's deadline lies inside the slot
//! that just started, it now shares one more digit with `now` and lands in a lower level:
//! this is the cascade. Level 0 slots cover one tick, so a timer in level 0 fires exactly
//! at its deadline. Each timer is filed at most once per level on its way down (plus once
//! per ~2 years when clamped), whatever the number of timers or the length of the jump.
//!
//! # Occupancy bitmaps
//!
//! Each level keeps a `u64` with bit `s` set when slot `s` holds a timer. To find the next
//! slot of a level, rotate the bitmap right by the current digit of `now` at that level so
//! that bit 0 is the current position, then `trailing_zeros` is the distance in slots to the
//! next occupied one. So [`Wheel::next_expiration`] costs six bit operations, and advancing
//! over an empty hour costs a handful of steps, not 3.6 million.
//!
//! # Storage
//!
//! Timers live in a slab (`Vec<Entry>` with a free list threaded through vacant entries), so
//! inserting a timer allocates only when the slab grows. Each slot is the head of an
//! intrusive doubly-linked list of slab indices (`u32`, with [`NONE`] meaning "no entry");
//! each entry remembers which list it is on, so it can be unlinked in O(1) without a search.
//! One extra list, the *due* list, holds timers inserted with a deadline already passed;
//! they fire at the next [`Wheel::advance_to`].
//!
//! A [`TimerKey`] names an entry by its slab index and a generation. Cancelling bumps the
//! entry's generation before the entry is reused, so an old key no longer matches and every
//! operation on it is a harmless no-op. (After 2^32 reuses of one slot a generation would
//! repeat; a key would have to be held that long.)
//!
//! # Invariants
//!
//! 1. A pending timer in level `k`, slot `s` has a deadline `when > now`; its slot starts at
//!    a tick in `now + 1 ..= when`, 1 to 63 slots ahead of `now`'s position on that ring.
//! 2. A timer on the due list has `when <= now`.
//! 3. Bit `s` of `occupied[k]` is set exactly when the list of level `k`, slot `s` is not
//!    empty.
//! 4. A fired entry is on no list and has given its waker away; a free entry is on the free
//!    list, holds no waker, and its generation is one no outstanding key carries.
//!
//! # Who touches what
//!
//! The wheel is plain data with `&mut self` methods and no interior mutability: each shard of
//! the reactor's timers owns one (behind the shard's lock) and is the only one to call it.
//! Wakers taken out by [`Wheel::advance_to`] are returned to the caller, who wakes them after
//! releasing any lock.

use std::fmt;
use std::task::Waker;

/// Bits of a tick consumed by one level: each level has `2^SLOT_BITS` slots.
const SLOT_BITS: u32 = 6;

/// Slots per level.
const SLOTS: usize = 1 << SLOT_BITS;

/// Mask of the slot digit of one level.
const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// Number of levels; level `k` slots span `64^k` ticks.
const LEVELS: usize = 6;

/// Ticks covered by the whole wheel: `64^LEVELS` = 2^36 ms, about 2.18 years. Deadlines
/// further away than this are clamped into the last level.
const WHEEL_SPAN: u64 = 1 << (SLOT_BITS as usize * LEVELS);

/// Index in [`Wheel::heads`] of the due list: timers inserted with a deadline not after
/// `now`, which fire at the next [`Wheel::advance_to`]. The slot lists come before it.
const DUE_LIST: u16 = (LEVELS * SLOTS) as u16;

/// Sentinel slab index meaning "no entry" (end of a list, empty list, empty free list).
const NONE: u32 = u32::MAX;

/// Identifies one timer in the wheel.
///
/// A key stays valid until [`Wheel::cancel`] is called with it; after that (and after the
/// slab entry is reused by another timer) the generation no longer matches, so the key is
/// *stale* and every operation on it is a no-op.
///
/// [`TimerKey::UNREGISTERED`] (index [`NONE`]) stands for "no timer", so that a holder
/// needs no `Option` (which would cost 4 more bytes, and 8 with padding, in every `Sleep`):
/// the slab never hands out index [`NONE`] (see [`Wheel::insert`]), so that key is stale
/// for every wheel and every operation on it is a no-op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// Index of the entry in the slab; [`NONE`] in [`TimerKey::UNREGISTERED`].
    index: u32,
    /// Generation the entry had when this key was handed out.
    generation: u32,
}

impl TimerKey {
    /// The key of no timer.
    pub(crate) const UNREGISTERED: TimerKey = TimerKey {
        index: NONE,
        generation: 0,
    };

    /// False for [`TimerKey::UNREGISTERED`].
    pub(crate) fn is_registered(self) -> bool {
        self.index != NONE
    }
}

/// What a slab entry is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Vacant: on the free list, `next` links to the next vacant entry.
    Free,
    /// Its deadline has passed and its waker was handed out; it is on no list.
    Fired,
    /// Waiting: on the list with this index in [`Wheel::heads`] (a slot, or [`DUE_LIST`]).
    Pending(u16),
}

/// One timer in the slab. Kept to 40 bytes on 64-bit targets.
#[derive(Debug)]
struct Entry {
    /// Deadline, in ticks.
    when: u64,
    /// Woken when the timer fires; `None` once handed out (or never set after a reset).
    waker: Option<Waker>,
    /// Previous entry on the same list, or [`NONE`] at the head.
    prev: u32,
    /// Next entry on the same list (or on the free list when vacant), or [`NONE`].
    next: u32,
    /// Bumped on every cancel, so that old keys stop matching.
    generation: u32,
    /// Free, fired, or pending on which list.
    state: State,
}

/// A hierarchical timing wheel of 6 levels x 64 slots, 1 ms per tick.
///
/// Insert, reset and cancel are O(1); [`Wheel::next_expiration`] is O(levels); advancing
/// costs O(levels) per non-empty slot passed plus O(1) per timer fired or cascaded, and a
/// timer cascades at most once per level. The one exception is a deadline beyond the
/// wheel's ~2.18 years: it is re-filed once per ~2 years that the wheel advances past it.
/// See the module documentation for the algorithm.
pub(crate) struct Wheel {
    /// The tick the wheel has advanced to.
    now: u64,
    /// The slab of timers, indexed by [`TimerKey::index`].
    entries: Vec<Entry>,
    /// Head of the free list of vacant entries, or [`NONE`].
    free_head: u32,
    /// Entries pending or fired (not free).
    len: usize,
    /// Head of each list: `LEVELS * SLOTS` slot lists (level-major), then the due list.
    heads: [u32; LEVELS * SLOTS + 1],
    /// Per level, bit `s` is set when slot `s` of that level is not empty.
    occupied: [u64; LEVELS],
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("now", &self.now)
            .field("len", &self.len)
            .field("next_expiration", &self.next_expiration())
            .finish_non_exhaustive()
    }
}

impl Default for Wheel {
    fn default() -> Wheel {
        Wheel::new()
    }
}

impl Wheel {
    /// Creates an empty wheel at tick 0.
    pub(crate) fn new() -> Wheel {
        Wheel {
            now: 0,
            entries: Vec::new(),
            free_head: NONE,
            len: 0,
            heads: [NONE; LEVELS * SLOTS + 1],
            occupied: [0; LEVELS],
        }
    }

    /// The tick the wheel has advanced to.
    #[cfg(test)]
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// Number of timers held, pending or fired; cancelled ones are not counted.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds a timer that wakes `waker` at tick `when` and returns its key.
    ///
    /// A deadline not after [`Wheel::now`] fires at the next [`Wheel::advance_to`]. O(1); it
    /// allocates only when the slab has no vacant entry.
    ///
    /// The key's index is never [`NONE`], so it differs from [`TimerKey::UNREGISTERED`].
    ///
    /// # Panics
    ///
    /// If the wheel would hold `u32::MAX` timers.
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> TimerKey {
        let index = if self.free_head != NONE {
            let index = self.free_head;
            let entry = &mut self.entries[index as usize];
            self.free_head = entry.next;
            entry.when = when;
            entry.waker = Some(waker);
            index
        } else {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NONE)
                .expect("timing wheel: too many timers");
            self.entries.push(Entry {
                when,
                waker: Some(waker),
                prev: NONE,
                next: NONE,
                generation: 0,
                state: State::Free,
            });
            index
        };
        self.link(index, self.list_for(when));
        self.len += 1;
        TimerKey {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Moves the timer to the deadline `when`; pending or fired, it becomes pending again.
    ///
    /// A fired timer gave its waker away, so it fires silently unless [`Wheel::set_waker`]
    /// gives it a new one. Returns `false` (and does nothing) if `key` is stale. O(1).
    pub(crate) fn reset(&mut self, key: TimerKey, when: u64) -> bool {
        let Some(index) = self.lookup(key) else {
            return false;
        };
        if let State::Pending(_) = self.entries[index as usize].state {
            self.unlink(index);
        }
        self.entries[index as usize].when = when;
        self.link(index, self.list_for(when));
        true
    }

    /// Makes the timer wake `waker`, cloning it unless the current waker would wake the same
    /// task. Returns `false` (and does nothing) if `key` is stale.
    pub(crate) fn set_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        let Some(index) = self.lookup(key) else {
            return false;
        };
        let slot = &mut self.entries[index as usize].waker;
        match slot {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
        true
    }

    /// Whether the timer has fired: [`Wheel::advance_to`] passed its deadline and it was
    /// not reset since. A stale key answers `true`, so a caller holding one never waits.
    pub(crate) fn is_fired(&self, key: TimerKey) -> bool {
        match self.lookup(key) {
            Some(index) => self.entries[index as usize].state == State::Fired,
            None => true,
        }
    }

    /// Removes the timer, drops its waker and frees its entry for reuse; `key` becomes
    /// stale. A stale key is ignored. O(1).
    pub(crate) fn cancel(&mut self, key: TimerKey) {
        let Some(index) = self.lookup(key) else {
            return;
        };
        if let State::Pending(_) = self.entries[index as usize].state {
            self.unlink(index);
        }
        let entry = &mut self.entries[index as usize];
        entry.waker = None;
        entry.state = State::Free;
        entry.generation = entry.generation.wrapping_add(1);
        entry.next = self.free_head;
        self.free_head = index;
        self.len -= 1;
    }

    /// The earliest tick at which a pending timer may fire, or `None` with no pending timer.
    ///
    /// Exact for timers in level 0 and on the due list (then it is [`Wheel::now`]); for a
    /// timer in a higher level it is the start of its slot, a lower bound: advancing there
    /// cascades the timer down, and asking again gives a later, closer answer. It is never
    /// later than the earliest true deadline. O(levels).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.heads[DUE_LIST as usize] != NONE {
            return Some(self.now);
        }
        self.next_slot().map(|(start, _)| start)
    }

    /// Advances the wheel to tick `now`: every pending timer with a deadline `<= now` is
    /// marked fired and its waker (if it has one) is moved into `fired`; later timers in the
    /// slots passed cascade to lower levels.
    ///
    /// Time does not go back: a `now` before [`Wheel::now`] leaves the clock where it is
    /// (timers on the due list still fire, since they are already due).
    pub(crate) fn advance_to(&mut self, now: u64, fired: &mut Vec<Waker>) {
        let now = now.max(self.now);
        let mut index = self.take_list(DUE_LIST);
        while index != NONE {
            let next = self.entries[index as usize].next;
            self.fire(index, fired);
            index = next;
        }
        while let Some((start, list)) = self.next_slot() {
            if start > now {
                break;
            }
            // Never moves back: every slot starts after `self.now` (invariant 1), except
            // one whose start `self.now` has just been moved onto by this loop.
            self.now = start;
            let mut index = self.take_list(list);
            while index != NONE {
                let entry = &self.entries[index as usize];
                let (next, when) = (entry.next, entry.when);
                if when <= now {
                    self.fire(index, fired);
                } else {
                    // `when > now >= self.now`, so this files it in a slot, not the due list.
                    self.link(index, self.list_for(when));
                }
                index = next;
            }
        }
        self.now = now;
    }

    /// The index of the entry `key` names, or `None` if the key is stale.
    fn lookup(&self, key: TimerKey) -> Option<u32> {
        let entry = self.entries.get(key.index as usize)?;
        (entry.generation == key.generation && entry.state != State::Free).then_some(key.index)
    }

    /// The list a timer with deadline `when` belongs on, given the current `now`.
    fn list_for(&self, when: u64) -> u16 {
        if when <= self.now {
            return DUE_LIST;
        }
        // The highest base-64 digit in which `when` and `now` differ picks the level.
        let diff = (when ^ self.now) | SLOT_MASK;
        let level = if diff >= WHEEL_SPAN {
            LEVELS - 1
        } else {
            ((63 - diff.leading_zeros()) / SLOT_BITS) as usize
        };
        let shift = level as u32 * SLOT_BITS;
        // `when` differs from `now` at or above this level and is later, so the distance is
        // at least 1; it is below 64 unless the deadline is beyond the wheel (clamped).
        let distance = ((when >> shift) - (self.now >> shift)).min(SLOT_MASK);
        let slot = ((self.now >> shift) + distance) & SLOT_MASK;
        (level * SLOTS) as u16 + slot as u16
    }

    /// The first non-empty slot over all levels: its start tick and its list index.
    fn next_slot(&self) -> Option<(u64, u16)> {
        let mut best: Option<(u64, u16)> = None;
        for (level, &occupied) in self.occupied.iter().enumerate() {
            if occupied == 0 {
                continue;
            }
            let shift = level as u32 * SLOT_BITS;
            let position = self.now >> shift;
            let current = (position & SLOT_MASK) as u32;
            let distance = occupied.rotate_right(current).trailing_zeros();
            // By invariant 1 the slot starts at most at a deadline, so this cannot overflow.
            let start = (position + u64::from(distance)) << shift;
            if !matches!(best, Some((earliest, _)) if earliest <= start) {
                let slot = (current + distance) as usize & (SLOTS - 1);
                best = Some((start, (level * SLOTS + slot) as u16));
            }
        }
        best
    }

    /// Pushes entry `index` at the front of list `list` and marks it pending there.
    fn link(&mut self, index: u32, list: u16) {
        let head = self.heads[list as usize];
        if head != NONE {
            self.entries[head as usize].prev = index;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = NONE;
        entry.next = head;
        entry.state = State::Pending(list);
        self.heads[list as usize] = index;
        if list != DUE_LIST {
            let (level, slot) = (list as usize / SLOTS, list as usize % SLOTS);
            self.occupied[level] |= 1 << slot;
        }
    }

    /// Removes pending entry `index` from its list; the caller sets its new state.
    fn unlink(&mut self, index: u32) {
        let entry = &self.entries[index as usize];
        let State::Pending(list) = entry.state else {
            unreachable!("unlink of an entry on no list");
        };
        let (prev, next) = (entry.prev, entry.next);
        if prev != NONE {
            self.entries[prev as usize].next = next;
        } else {
            self.heads[list as usize] = next;
            if next == NONE && list != DUE_LIST {
                let (level, slot) = (list as usize / SLOTS, list as usize % SLOTS);
                self.occupied[level] &= !(1 << slot);
            }
        }
        if next != NONE {
            self.entries[next as usize].prev = prev;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = NONE;
        entry.next = NONE;
    }

    /// Empties list `list` and returns its old head; the entries keep their `next` links,
    /// and the caller must re-file or fire every one of them.
    fn take_list(&mut self, list: u16) -> u32 {
        let head = std::mem::replace(&mut self.heads[list as usize], NONE);
        if list != DUE_LIST {
            let (level, slot) = (list as usize / SLOTS, list as usize % SLOTS);
            self.occupied[level] &= !(1 << slot);
        }
        head
    }

    /// Marks entry `index` (already off its list) fired and hands its waker to `fired`.
    fn fire(&mut self, index: u32, fired: &mut Vec<Waker>) {
        let entry = &mut self.entries[index as usize];
        entry.state = State::Fired;
        entry.prev = NONE;
        entry.next = NONE;
        if let Some(waker) = entry.waker.take() {
            fired.push(waker);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;
    use std::time::Instant;

    /// Ticks in one hour.
    const HOUR: u64 = 3_600_000;
    /// Ticks in one day.
    const DAY: u64 = 24 * HOUR;

    /// A waker that counts how often it was woken.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            // Relaxed: the tests read the count on the same thread that woke it.
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A fresh counter and a waker that bumps it.
    fn counter() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        (counter, waker)
    }

    /// How often `counter` was woken.
    fn count(counter: &Counter) -> usize {
        counter.0.load(Ordering::Relaxed)
    }

    /// Advances `wheel` to `now` and wakes what fired; returns how many wakers fired.
    fn advance(wheel: &mut Wheel, now: u64) -> usize {
        let mut fired = Vec::new();
        wheel.advance_to(now, &mut fired);
        let n = fired.len();
        fired.into_iter().for_each(Waker::wake);
        n
    }

    /// A tiny xorshift64 generator, so the tests need no crates.
    struct Rng(u64);

    impl Rng {
        /// The next pseudo-random number.
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// A number in `0..n`.
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The level a pending entry sits in (`LEVELS` for the due list).
    fn level_of(wheel: &Wheel, key: TimerKey) -> usize {
        match wheel.entries[key.index as usize].state {
            State::Pending(list) => list as usize / SLOTS,
            state => panic!("not pending: {state:?}"),
        }
    }

    /// Checks invariant 3 and that every linked entry is pending on the list it sits on.
    fn check_lists(wheel: &Wheel) {
        for (list, &head) in wheel.heads.iter().enumerate() {
            if list < LEVELS * SLOTS {
                let bit = wheel.occupied[list / SLOTS] >> (list % SLOTS) & 1;
                assert_eq!(bit == 1, head != NONE, "bitmap of list {list}");
            }
            let (mut prev, mut index) = (NONE, head);
            while index != NONE {
                let entry = &wheel.entries[index as usize];
                assert_eq!(entry.state, State::Pending(list as u16));
                assert_eq!(entry.prev, prev);
                assert!((list == DUE_LIST as usize) == (entry.when <= wheel.now));
                (prev, index) = (index, entry.next);
            }
        }
    }

    #[test]
    fn entry_is_lean() {
        assert!(std::mem::size_of::<Entry>() <= 40);
        assert_eq!(std::mem::size_of::<TimerKey>(), 8);
    }

    #[test]
    fn fires_at_its_deadline_not_before() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let key = wheel.insert(5, w);
        assert_eq!(wheel.next_expiration(), Some(5));
        assert_eq!(advance(&mut wheel, 4), 0);
        assert!(!wheel.is_fired(key));
        assert_eq!(advance(&mut wheel, 5), 1);
        assert!(wheel.is_fired(key));
        assert_eq!(count(&c), 1);
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.len(), 1, "fired entries are held until cancelled");
        assert_eq!(advance(&mut wheel, 100), 0, "fires once");
        wheel.cancel(key);
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn past_deadline_fires_at_next_advance() {
        let mut wheel = Wheel::new();
        advance(&mut wheel, 1000);
        let (c, w) = counter();
        let past = wheel.insert(10, w.clone());
        let present = wheel.insert(1000, w);
        assert_eq!(wheel.next_expiration(), Some(1000));
        assert!(!wheel.is_fired(past));
        assert_eq!(advance(&mut wheel, 1000), 2);
        assert!(wheel.is_fired(past) && wheel.is_fired(present));
        assert_eq!(count(&c), 2);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn time_does_not_go_back() {
        let mut wheel = Wheel::new();
        let (_c, w) = counter();
        let key = wheel.insert(700, w);
        advance(&mut wheel, 500);
        assert_eq!(advance(&mut wheel, 100), 0);
        assert_eq!(wheel.now(), 500);
        assert!(!wheel.is_fired(key));
        let next = wheel.next_expiration().unwrap();
        assert!(next > 500 && next <= 700, "{next}");
    }

    #[test]
    fn random_deadlines_fire_in_order() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut wheel = Wheel::new();
        let spans = [
            64,
            4_096,
            300_000,
            10 * HOUR,
            40 * DAY,
            3 * 365 * DAY,
            1 << 50,
        ];
        let mut timers = Vec::new();
        for round in 0..4 {
            // Insert a batch relative to wherever the wheel is, then advance part way.
            for _ in 0..2_000 {
                let span = spans[rng.below(spans.len() as u64) as usize];
                let when = wheel.now() + rng.below(span);
                let (c, w) = counter();
                timers.push((when, wheel.insert(when, w), c));
            }
            let target = wheel.now() + [HOUR, 50 * DAY, 900 * DAY, u64::from(u32::MAX)][round];
            check_against_reference(&mut wheel, &mut rng, &mut timers, target);
        }
        check_against_reference(&mut wheel, &mut rng, &mut timers, u64::MAX);
        assert!(timers.is_empty());
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.occupied, [0; LEVELS]);
    }

    /// Advances `wheel` in irregular steps up to `target`, checking after each step that
    /// exactly the timers of `timers` due by then fired, once each, and that
    /// `next_expiration` is never later than the earliest pending deadline. Fired timers
    /// are cancelled and removed from `timers`.
    fn check_against_reference(
        wheel: &mut Wheel,
        rng: &mut Rng,
        timers: &mut Vec<(u64, TimerKey, Arc<Counter>)>,
        target: u64,
    ) {
        timers.sort_by_key(|t| t.0);
        let mut done = 0;
        while wheel.now() < target {
            let earliest = timers.get(done).map(|t| t.0);
            let next = wheel.next_expiration();
            match earliest {
                Some(when) => assert!(next.unwrap() <= when.max(wheel.now())),
                None => assert_eq!(next, None),
            }
            let now = wheel.now();
            let to = match rng.below(6) {
                0 => next.unwrap_or(target),
                1 => now.saturating_add(rng.below(64)),
                2 => now.saturating_add(rng.below(100_000)),
                3 => now.saturating_add(rng.below(3 * DAY)),
                4 => now.saturating_add(rng.below(500 * DAY)),
                _ => earliest.unwrap_or(target),
            }
            .min(target);
            let fired = advance(wheel, to);
            let due = timers[done..].partition_point(|t| t.0 <= to);
            assert_eq!(fired, due, "advance to {to}");
            for (when, key, c) in &timers[done..done + due] {
                assert!(wheel.is_fired(*key), "deadline {when} not fired at {to}");
                assert_eq!(count(c), 1, "deadline {when}");
            }
            if let Some((when, key, c)) = timers.get(done + due) {
                assert!(!wheel.is_fired(*key), "deadline {when} fired early at {to}");
                assert_eq!(count(c), 0);
            }
            done += due;
        }
        check_lists(wheel);
        for (_, key, _) in timers.drain(..done) {
            wheel.cancel(key);
        }
        assert_eq!(wheel.len(), timers.len());
    }

    #[test]
    fn next_expiration_leads_exactly_to_the_deadline() {
        let deadlines = [1, 63, 64, 65, 4_095, 4_097, 777_777, HOUR + 1, 9 * DAY + 3];
        for far in deadlines.into_iter().chain([3 * 365 * DAY + 5, 1 << 40]) {
            let mut wheel = Wheel::new();
            advance(&mut wheel, 12_345);
            let when = 12_345 + far;
            let (c, w) = counter();
            let key = wheel.insert(when, w);
            // Jumping from one lower bound to the next never overshoots and lands on it.
            let mut steps = 0;
            while let Some(next) = wheel.next_expiration() {
                assert!(next <= when && next > wheel.now());
                assert_eq!(advance(&mut wheel, next), usize::from(next == when));
                steps += 1;
            }
            assert_eq!(wheel.now(), when);
            assert!(wheel.is_fired(key));
            assert_eq!(count(&c), 1);
            assert!(
                steps <= 2 * LEVELS as u64 + far / (63 << 30),
                "{steps} steps to {far}"
            );
        }
    }

    #[test]
    fn cancel_from_every_level() {
        for start in [0, 7, (1 << 36) + 7, (5 << 36) + 100] {
            let mut wheel = Wheel::new();
            advance(&mut wheel, start);
            let (c, w) = counter();
            let mut keys = Vec::new();
            for level in 0..LEVELS {
                let key = wheel.insert(start + (1 << (6 * level)) + 1, w.clone());
                assert_eq!(level_of(&wheel, key), level);
                keys.push(key);
            }
            let clamped = wheel.insert(start + 5 * 365 * DAY, w.clone());
            assert_eq!(level_of(&wheel, clamped), LEVELS - 1);
            let due = wheel.insert(start, w);
            assert_eq!(level_of(&wheel, due), LEVELS, "due list");
            keys.extend([clamped, due]);
            check_lists(&wheel);
            for (i, key) in keys.iter().enumerate() {
                wheel.cancel(*key);
                assert_eq!(wheel.len(), keys.len() - i - 1);
                assert!(wheel.is_fired(*key), "cancelled keys are stale");
                check_lists(&wheel);
            }
            assert_eq!(wheel.next_expiration(), None);
            assert_eq!(wheel.occupied, [0; LEVELS]);
            assert_eq!(advance(&mut wheel, u64::MAX), 0);
            assert_eq!(count(&c), 0);
        }
    }

    #[test]
    fn cancel_one_of_a_shared_slot_keeps_the_others() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let keys: Vec<_> = (0..5).map(|_| wheel.insert(300, w.clone())).collect();
        // Head, middle and tail of the slot's list.
        for i in [4, 2, 0] {
            wheel.cancel(keys[i]);
            check_lists(&wheel);
        }
        assert_eq!(advance(&mut wheel, 300), 2);
        assert!(wheel.is_fired(keys[1]) && wheel.is_fired(keys[3]));
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn reset_pending_timer() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let key = wheel.insert(10 * HOUR, w);
        assert!(wheel.reset(key, 50));
        assert_eq!(wheel.next_expiration(), Some(50));
        assert_eq!(advance(&mut wheel, 49), 0);
        assert_eq!(advance(&mut wheel, 50), 1);
        assert_eq!(count(&c), 1);

        let (c, w) = counter();
        let key = wheel.insert(60, w);
        assert!(wheel.reset(key, 3 * DAY));
        assert_eq!(advance(&mut wheel, 2 * DAY), 0);
        assert!(wheel.reset(key, 0), "a deadline in the past fires at once");
        assert_eq!(wheel.next_expiration(), Some(2 * DAY));
        assert_eq!(advance(&mut wheel, 2 * DAY), 1);
        assert_eq!(count(&c), 1);
        assert_eq!(wheel.next_expiration(), None);
        check_lists(&wheel);
    }

    #[test]
    fn reset_fired_timer() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let key = wheel.insert(100, w.clone());
        advance(&mut wheel, 200);
        assert!(wheel.is_fired(key));
        assert!(wheel.reset(key, 5_000));
        assert!(!wheel.is_fired(key));
        assert_eq!(wheel.len(), 1);
        // Without a new waker it fires silently.
        assert_eq!(advance(&mut wheel, 5_000), 0);
        assert!(wheel.is_fired(key));
        assert!(wheel.reset(key, 6_000));
        assert!(wheel.set_waker(key, &w));
        assert_eq!(advance(&mut wheel, 5_999), 0);
        assert_eq!(advance(&mut wheel, 6_000), 1);
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn stale_keys_after_slot_reuse() {
        let mut wheel = Wheel::new();
        let (old_c, old_w) = counter();
        let (c, w) = counter();
        let old = wheel.insert(100, old_w.clone());
        wheel.cancel(old);
        let new = wheel.insert(50, w);
        assert_eq!(new.index, old.index, "the entry is reused");
        assert_ne!(new, old);
        assert!(!wheel.reset(old, 1));
        assert!(!wheel.set_waker(old, &old_w));
        assert!(wheel.is_fired(old));
        wheel.cancel(old);
        assert_eq!(wheel.len(), 1, "cancelling a stale key does nothing");
        assert!(!wheel.is_fired(new));
        assert_eq!(wheel.next_expiration(), Some(50));
        assert_eq!(advance(&mut wheel, 1_000), 1);
        assert_eq!((count(&old_c), count(&c)), (0, 1));
        let forged = TimerKey {
            index: 99,
            generation: 0,
        };
        assert!(wheel.is_fired(forged) && !wheel.reset(forged, 5));
        let none = TimerKey::UNREGISTERED;
        assert!(!none.is_registered() && new.is_registered());
        assert!(wheel.is_fired(none) && !wheel.reset(none, 5) && !wheel.set_waker(none, &old_w));
        wheel.cancel(none);
        assert_eq!(wheel.len(), 1);
    }

    #[test]
    fn set_waker_replaces() {
        let mut wheel = Wheel::new();
        let (a, wa) = counter();
        let (b, wb) = counter();
        let key = wheel.insert(70, wa.clone());
        assert!(wheel.set_waker(key, &wa), "same task: kept");
        assert!(wheel.set_waker(key, &wb));
        assert_eq!(advance(&mut wheel, 70), 1);
        assert_eq!((count(&a), count(&b)), (0, 1));
    }

    #[test]
    fn far_deadlines_are_clamped_and_recascaded() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let far = 10 * 365 * DAY;
        let key = wheel.insert(far, w);
        assert_eq!(level_of(&wheel, key), LEVELS - 1);
        assert!(wheel.next_expiration().unwrap() < WHEEL_SPAN);
        assert_eq!(advance(&mut wheel, far - 1), 0);
        assert_eq!(wheel.next_expiration(), Some(far));
        assert_eq!(advance(&mut wheel, far), 1);
        assert_eq!(count(&c), 1);

        // The largest deadline does not overflow the slot arithmetic.
        let key = wheel.insert(u64::MAX, Waker::from(c.clone()));
        let next = wheel.next_expiration().unwrap();
        assert!(next > far && next - far < WHEEL_SPAN);
        let later = far + 3 * 365 * DAY;
        assert_eq!(advance(&mut wheel, later), 0);
        assert!(!wheel.is_fired(key));
        check_lists(&wheel);
        assert!(wheel.reset(key, later + 1));
        assert_eq!(advance(&mut wheel, later + 1), 1);
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn long_jumps_over_few_timers_are_cheap() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let began = Instant::now();
        // 10,000 hours with a timer every other hour; a tick-by-tick loop would take 3.6e10
        // steps, the bitmaps take a few per hour.
        for hour in 0..10_000 {
            if hour % 2 == 0 {
                wheel.insert(wheel.now() + HOUR + 1, w.clone());
            }
            let to = wheel.now() + HOUR;
            advance(&mut wheel, to);
        }
        assert_eq!(count(&c), 5_000);
        assert!(began.elapsed().as_secs() < 2, "took {:?}", began.elapsed());
    }

    #[test]
    fn a_million_timers() {
        let mut wheel = Wheel::new();
        let (c, w) = counter();
        let mut rng = Rng(42);
        let began = Instant::now();
        let mut earliest = u64::MAX;
        for _ in 0..1_000_000 {
            let when = rng.below(10 * 60_000);
            earliest = earliest.min(when);
            wheel.insert(when, w.clone());
        }
        assert_eq!(wheel.len(), 1_000_000);
        assert!(wheel.next_expiration().unwrap() <= earliest);
        let mut fired = Vec::new();
        let mut total = 0;
        for step in 1..=60 {
            wheel.advance_to(step * 10_000, &mut fired);
            total += fired.len();
            fired.clear();
        }
        assert_eq!(total, 1_000_000);
        assert_eq!(wheel.next_expiration(), None);
        drop(fired);
        assert_eq!(count(&c), 0, "dropped, not woken");
        let elapsed = began.elapsed();
        assert!(elapsed.as_secs() < 5, "took {elapsed:?}");
    }
}
