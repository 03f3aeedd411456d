//! The local queue's own tests, on boxed numbers so that Miri (`scripts/miri.sh`) checks
//! every pointer the ring hands out and reports any entry it loses or frees twice.

use super::{BEFORE_OVERFLOW_CLAIM, CAPACITY, Entry, LocalQueue};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

fn push_all(queue: &LocalQueue<Box<usize>>, values: std::ops::Range<usize>) -> Vec<usize> {
    let mut overflowed = Vec::new();
    for value in values {
        queue.push(Box::new(value), |entry| overflowed.push(*entry));
    }
    overflowed
}

#[test]
fn pops_in_push_order() {
    let queue = LocalQueue::new();
    assert!(push_all(&queue, 0..10).is_empty());
    assert_eq!(queue.len(), 10);
    let popped: Vec<usize> = std::iter::from_fn(|| queue.pop().map(|b| *b)).collect();
    assert_eq!(popped, (0..10).collect::<Vec<_>>());
    assert!(queue.is_empty());
}

#[test]
fn a_full_queue_moves_its_older_half_out() {
    let queue = LocalQueue::new();
    let overflowed = push_all(&queue, 0..CAPACITY + 1);
    let half = CAPACITY / 2;
    assert_eq!(overflowed, (0..half).collect::<Vec<_>>());
    assert_eq!(queue.len(), CAPACITY - half + 1);
    let left: Vec<usize> = std::iter::from_fn(|| queue.pop().map(|b| *b)).collect();
    assert_eq!(left, (half..=CAPACITY).collect::<Vec<_>>());
}

#[test]
fn try_push_gives_the_entry_back_when_full() {
    let queue = LocalQueue::new();
    for value in 0..CAPACITY {
        assert_eq!(
            queue.try_push(Box::new(value)).ok(),
            Some(value),
            "entries ahead"
        );
    }
    let refused = queue
        .try_push(Box::new(CAPACITY))
        .expect_err("the ring is full");
    assert_eq!(*refused, CAPACITY);
    assert_eq!(queue.len(), CAPACITY);
    assert_eq!(queue.pop().map(|b| *b), Some(0));
    assert_eq!(
        queue.try_push(refused).ok(),
        Some(CAPACITY - 1),
        "room after a pop"
    );
    let popped: Vec<usize> = std::iter::from_fn(|| queue.pop().map(|b| *b)).collect();
    assert_eq!(popped, (1..=CAPACITY).collect::<Vec<_>>());
}

#[test]
fn push_from_takes_what_fits_and_no_more() {
    let queue = LocalQueue::new();
    let mut source = (0..CAPACITY + 10).map(Box::new);
    assert_eq!(queue.push_from(3, || source.next()), 3);
    assert_eq!(queue.push_from(usize::MAX, || source.next()), CAPACITY - 3);
    // Full: the source is not asked for an entry that would have no slot.
    assert_eq!(queue.push_from(usize::MAX, || source.next()), 0);
    assert_eq!(source.next().map(|b| *b), Some(CAPACITY));
    let popped: Vec<usize> = std::iter::from_fn(|| queue.pop().map(|b| *b)).collect();
    assert_eq!(popped, (0..CAPACITY).collect::<Vec<_>>());
}

#[test]
fn steal_takes_the_older_half_rounded_up() {
    let victim = LocalQueue::new();
    let thief = LocalQueue::new();
    push_all(&victim, 0..5);
    let (entry, count) = victim.steal_half_into(&thief).unwrap();
    assert_eq!((*entry, count), (2, 3));
    assert_eq!(thief.len(), 2);
    assert_eq!(thief.pop().map(|b| *b), Some(0));
    assert_eq!(thief.pop().map(|b| *b), Some(1));
    assert_eq!(victim.pop().map(|b| *b), Some(3));
    assert!(
        LocalQueue::<Box<usize>>::new()
            .steal_half_into(&thief)
            .is_none()
    );
}

#[test]
fn wrapping_around_the_ring_keeps_every_entry() {
    let queue = LocalQueue::new();
    let mut next = 0;
    for round in 0..(3 * CAPACITY) {
        push_all(&queue, next..next + 3);
        next += 3;
        for _ in 0..(2 + round % 2) {
            assert!(queue.pop().is_some());
        }
    }
    let left: Vec<usize> = std::iter::from_fn(|| queue.pop().map(|b| *b)).collect();
    assert!(left.windows(2).all(|w| w[0] < w[1]));
}

/// Issue 14, item 1, replayed: between the owner finding its ring full and claiming the
/// older half, one stealer takes half of the ring and a second takes half of the rest. The
/// owner's claim must count only what is still there: every entry comes out exactly once.
#[test]
fn steals_between_the_full_check_and_the_claim_take_nothing_twice() {
    let victim = Rc::new(LocalQueue::<Box<usize>>::new());
    assert!(push_all(&victim, 0..CAPACITY).is_empty());
    let thieves = Rc::new([LocalQueue::new(), LocalQueue::new()]);
    let stolen = Rc::new(std::cell::RefCell::new(Vec::new()));
    BEFORE_OVERFLOW_CLAIM.set(Some(Box::new({
        let (victim, thieves, stolen) = (victim.clone(), thieves.clone(), stolen.clone());
        move || {
            for thief in thieves.iter() {
                let (entry, _) = victim.steal_half_into(thief).expect("entries to steal");
                stolen.borrow_mut().push(entry);
            }
        }
    })));
    let mut out = Vec::new();
    let pushed = catch_unwind(AssertUnwindSafe(|| {
        victim.push(Box::new(CAPACITY), |entry| out.push(entry))
    }));
    assert!(
        BEFORE_OVERFLOW_CLAIM.take().is_none(),
        "the push ran the hook"
    );
    out.extend(stolen.take());
    for queue in thieves.iter().chain([&*victim]) {
        // Bounded: a queue whose head passed its tail would hand out stale slots forever.
        out.extend(std::iter::from_fn(|| queue.pop()).take(CAPACITY + 1));
    }
    if let Err(failure) = super::each_once(out, CAPACITY + 1) {
        // The queue may hold stale copies too (its head may have passed its tail).
        std::mem::forget(victim);
        let push = match pushed {
            Ok(_) => "returned",
            Err(payload) => payload.downcast_ref::<&str>().copied().unwrap_or("?"),
        };
        panic!("{failure} (the push: {push})");
    }
    let moved = pushed.expect("the push returns");
    assert_eq!(moved, 0, "the stealers made room: nothing overflows");
}

#[test]
fn dropping_the_queue_drops_its_entries() {
    let queue = LocalQueue::new();
    push_all(&queue, 0..3);
    drop(queue);
}

/// A stale producer (a thread whose slot the monitor handed off, in the middle of a push)
/// racing the owner: entries it cannot place go to the overflow, none is lost.
#[test]
fn two_producers_lose_nothing() {
    const EACH: usize = if cfg!(miri) { 300 } else { 20_000 };
    let queue = Arc::new(LocalQueue::<Box<usize>>::new());
    let seen = Arc::new(Mutex::new(vec![0u8; 2 * EACH]));
    let start = Arc::new(Barrier::new(2));
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let (queue, seen, start) = (queue.clone(), seen.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let record = |entry: Box<usize>| seen.lock().unwrap()[*entry] += 1;
                for value in p * EACH..(p + 1) * EACH {
                    queue.push(Box::new(value), record);
                    if value % 2 == 0 {
                        if let Some(entry) = queue.pop() {
                            record(entry);
                        }
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    while let Some(entry) = queue.pop() {
        seen.lock().unwrap()[*entry] += 1;
    }
    assert!(seen.lock().unwrap().iter().all(|&n| n == 1));
}

/// The owner pushes and pops while stealers take halves: each entry comes out exactly once.
#[test]
fn owner_and_stealers_see_each_entry_once() {
    const ENTRIES: usize = if cfg!(miri) { 200 } else { 20_000 };
    const STEALERS: usize = 2;
    let victim = Arc::new(LocalQueue::<Box<usize>>::new());
    let seen = Arc::new(Mutex::new(vec![0u8; ENTRIES]));
    let done = Arc::new(AtomicBool::new(false));
    let stealers: Vec<_> = (0..STEALERS)
        .map(|_| {
            let (victim, seen, done) = (victim.clone(), seen.clone(), done.clone());
            thread::spawn(move || {
                let mine = LocalQueue::new();
                let mut steals = 0;
                // Until the owner is done and the victim empty; `Acquire` pairs with the
                // owner's `Release` after its last push.
                while !(done.load(Acquire) && victim.is_empty()) {
                    let Some((entry, _)) = victim.steal_half_into(&mine) else {
                        thread::yield_now();
                        continue;
                    };
                    steals += 1;
                    let mut seen = seen.lock().unwrap();
                    seen[*entry] += 1;
                    while let Some(entry) = mine.pop() {
                        seen[*entry] += 1;
                    }
                }
                steals
            })
        })
        .collect();
    let record = |entry: Box<usize>| seen.lock().unwrap()[*entry] += 1;
    for value in 0..ENTRIES {
        victim.push(Box::new(value), record);
        if value % 3 == 0 {
            if let Some(entry) = victim.pop() {
                record(entry);
            }
        }
    }
    done.store(true, Release);
    let steals: usize = stealers.into_iter().map(|s| s.join().unwrap()).sum();
    assert!(victim.is_empty());
    assert!(seen.lock().unwrap().iter().all(|&n| n == 1));
    eprintln!("{steals} steals");
}

/// The stress test's entries: a number carried in the pointer itself (never dereferenced),
/// so that a billion of them cost no allocation.
struct Ticket(u64);

impl Entry for Ticket {
    fn into_ptr(self) -> NonNull<()> {
        NonNull::new(ptr::without_provenance_mut(self.0 as usize + 1)).expect("not zero")
    }

    unsafe fn from_ptr(ptr: NonNull<()>) -> Self {
        Ticket(ptr.as_ptr().addr() as u64 - 1)
    }
}

/// How many tickets a thread took, and their sum: each ticket exactly once gives the
/// number pushed and the sum of `0..pushed`.
#[derive(Default, Clone, Copy)]
struct Tally {
    count: u64,
    sum: u64,
}

impl Tally {
    fn add(&mut self, ticket: Ticket) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(ticket.0);
    }

    fn merge(self, other: Tally) -> Tally {
        Tally {
            count: self.count + other.count,
            sum: self.sum.wrapping_add(other.sum),
        }
    }
}

/// The owner pushes (the ring fills and overflows all the time) and pops some, while four
/// stealers take halves, for `GORO_QUEUE_STRESS_SECS` seconds (default 20). Meant to run
/// pinned to one core (`scripts/queue-stress.sh`), where the OS preempts the owner at any
/// instruction, inside the overflow's claim too. Every ticket must come out exactly once.
#[test]
#[ignore = "a stress run of many seconds: scripts/queue-stress.sh"]
fn one_core_stress() {
    const STEALERS: usize = 4;
    let seconds: u64 = std::env::var("GORO_QUEUE_STRESS_SECS")
        .map(|s| {
            s.parse()
                .expect("GORO_QUEUE_STRESS_SECS is a number of seconds")
        })
        .unwrap_or(20);
    let victim = Arc::new(LocalQueue::<Ticket>::new());
    let done = Arc::new(AtomicBool::new(false));
    let stealers: Vec<_> = (0..STEALERS)
        .map(|_| {
            let (victim, done) = (victim.clone(), done.clone());
            thread::spawn(move || {
                let mine = LocalQueue::new();
                let (mut tally, mut steals) = (Tally::default(), 0u64);
                // `Acquire` pairs with the owner's `Release` after its last push.
                while !done.load(Acquire) {
                    let Some((ticket, _)) = victim.steal_half_into(&mine) else {
                        // A short sleep: its wake-up preempts the owner wherever it is.
                        thread::sleep(std::time::Duration::from_micros(20));
                        continue;
                    };
                    steals += 1;
                    tally.add(ticket);
                    std::iter::from_fn(|| mine.pop()).for_each(|t| tally.add(t));
                }
                (tally, steals)
            })
        })
        .collect();
    let start = std::time::Instant::now();
    let deadline = start + std::time::Duration::from_secs(seconds);
    let (mut owner, mut pushed, mut overflowed) = (Tally::default(), 0u64, 0u64);
    while pushed % 4096 != 0 || std::time::Instant::now() < deadline {
        overflowed += victim.push(Ticket(pushed), |t| owner.add(t));
        pushed += 1;
        if pushed % 4 == 0 {
            victim.pop().into_iter().for_each(|t| owner.add(t));
        }
    }
    done.store(true, Release);
    let mut steals = 0;
    for stealer in stealers {
        let (tally, count) = stealer.join().unwrap();
        owner = owner.merge(tally);
        steals += count;
    }
    // Bounded: a queue whose head passed its tail would hand out stale slots forever.
    std::iter::from_fn(|| victim.pop())
        .take(CAPACITY + 1)
        .for_each(|t| owner.add(t));
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{pushed} pushes ({:.1} M/s), {steals} steals ({:.2} M/s), {overflowed} entries \
         overflowed, in {secs:.1} s",
        pushed as f64 / secs / 1e6,
        steals as f64 / secs / 1e6,
    );
    let expected_sum = (0..pushed).fold(0u64, u64::wrapping_add);
    assert_eq!(
        (owner.count, owner.sum),
        (pushed, expected_sum),
        "tickets taken (count, sum) against pushed: some came out twice or never"
    );
    assert_eq!(victim.head.load(Acquire), victim.tail.load(Acquire) >> 1);
}
