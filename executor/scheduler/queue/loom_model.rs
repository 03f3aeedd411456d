//! Loom models of the local queue: the owner's pop and overflow racing stealers, and a
//! stale second producer racing the owner. Each
//! model checks that every entry comes out exactly once: the boxes handed out are kept and
//! counted at the end (`each_once`).

use super::{CAPACITY, LocalQueue, each_once};
use crate::loom::{Arc, Mutex, lock};
use loom::thread;

/// Every entry handed out so far.
type Seen = Arc<Mutex<Vec<Box<usize>>>>;

fn record(seen: &Seen, entry: Box<usize>) {
    lock(seen).push(entry);
}

/// A stealer thread: one steal attempt, then it empties its own queue.
fn stealer(victim: Arc<LocalQueue<Box<usize>>>, seen: Seen) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mine = LocalQueue::new();
        if let Some((entry, _)) = victim.steal_half_into(&mine) {
            record(&seen, entry);
        }
        while let Some(entry) = mine.pop() {
            record(&seen, entry);
        }
    })
}

fn check(entries: usize, victim: &LocalQueue<Box<usize>>, seen: &Seen) {
    while let Some(entry) = victim.pop() {
        record(seen, entry);
    }
    let out = std::mem::take(&mut *lock(seen));
    each_once(out, entries).unwrap();
}

#[test]
fn steal_races_pop() {
    loom::model(|| {
        let entries = 3;
        let victim = Arc::new(LocalQueue::new());
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        for value in 0..entries {
            victim.push(Box::new(value), |_| unreachable!("room for every entry"));
        }
        let thief = stealer(victim.clone(), seen.clone());
        if let Some(entry) = victim.pop() {
            record(&seen, entry);
        }
        thief.join().unwrap();
        check(entries, &victim, &seen);
    });
}

/// The owner pushes one entry past a full ring while `stealers` stealers each try once.
fn stealers_race_an_overflow(stealers: usize) {
    loom::model(move || {
        let entries = CAPACITY + 1;
        let victim = Arc::new(LocalQueue::new());
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        for value in 0..CAPACITY {
            victim.push(Box::new(value), |_| unreachable!("room for every entry"));
        }
        let thieves: Vec<_> = (0..stealers)
            .map(|_| stealer(victim.clone(), seen.clone()))
            .collect();
        victim.push(Box::new(CAPACITY), |entry| record(&seen, entry));
        for thief in thieves {
            thief.join().unwrap();
        }
        check(entries, &victim, &seen);
    });
}

#[test]
fn steal_races_overflow() {
    stealers_race_an_overflow(1);
}

/// Issue 14, item 1: two steals (half, then half of the rest) between the owner finding its
/// ring full and claiming the older half; one stealer never takes more than half, so only
/// two can leave fewer entries than the claim counts on.
#[test]
fn two_stealers_race_an_overflow() {
    stealers_race_an_overflow(2);
}

#[test]
fn two_stealers_race_the_owner_pushing() {
    loom::model(|| {
        let entries = 3;
        let victim = Arc::new(LocalQueue::new());
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        victim.push(Box::new(0), |_| unreachable!("room for every entry"));
        let thieves = [
            stealer(victim.clone(), seen.clone()),
            stealer(victim.clone(), seen.clone()),
        ];
        for value in 1..entries {
            victim.push(Box::new(value), |_| unreachable!("room for every entry"));
        }
        for thief in thieves {
            thief.join().unwrap();
        }
        check(entries, &victim, &seen);
    });
}

#[test]
fn a_stale_producer_races_the_owner() {
    loom::model(|| {
        let entries = 4;
        let victim = Arc::new(LocalQueue::new());
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        let stale = {
            let (victim, seen) = (victim.clone(), seen.clone());
            thread::spawn(move || {
                for value in 0..2 {
                    victim.push(Box::new(value), |entry| record(&seen, entry));
                }
            })
        };
        for value in 2..entries {
            victim.push(Box::new(value), |entry| record(&seen, entry));
        }
        if let Some(entry) = victim.pop() {
            record(&seen, entry);
        }
        stale.join().unwrap();
        check(entries, &victim, &seen);
    });
}
