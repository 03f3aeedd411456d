//! The waits on one `ScheduledIo`, without a reactor: events are `set` by hand.

use super::*;
use futures::task::{ArcWake, waker};
use std::sync::atomic::Ordering::SeqCst;

/// A waker that counts its wakes and, if made to, then panics; `Arc::strong_count` tells
/// how many clones are alive.
#[derive(Debug, Default)]
struct Wakes {
    count: AtomicUsize,
    panics: bool,
}

impl ArcWake for Wakes {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.count.fetch_add(1, SeqCst);
        assert!(!arc_self.panics, "a waker that panics on purpose (a test)");
    }
}

impl Wakes {
    fn count(&self) -> usize {
        self.count.load(SeqCst)
    }
}

fn counting() -> (Arc<Wakes>, Waker) {
    let wakes = Arc::new(Wakes::default());
    (wakes.clone(), waker(wakes))
}

fn panicking() -> Waker {
    waker(Arc::new(Wakes {
        count: AtomicUsize::new(0),
        panics: true,
    }))
}

fn poll(waiter: &mut Waiter<'_>, waker: &Waker) -> Poll<io::Result<ReadyEvent>> {
    waiter.poll_ready(&mut Context::from_waker(waker))
}

/// Slots the list of `direction` holds, and whether the word's bit says it has waiters.
fn listed(io: &ScheduledIo, direction: Direction) -> (usize, bool) {
    let slots = lock(&io.waiters).slots(direction);
    let bit = io.readiness.load(SeqCst) & direction.waiters_bit() != 0;
    (slots, bit)
}

#[test]
fn every_waiter_is_woken_and_a_panicking_one_is_contained() {
    let io = ScheduledIo::new();
    let (first, first_waker) = counting();
    let (last, last_waker) = counting();
    let (writer, writer_waker) = counting();
    let panicking = panicking();
    let mut waiters = [
        Waiter::new(&io, Direction::Read),
        Waiter::new(&io, Direction::Read),
        Waiter::new(&io, Direction::Read),
    ];
    let mut write = Waiter::new(&io, Direction::Write);
    assert!(poll(&mut waiters[0], &first_waker).is_pending());
    assert!(poll(&mut waiters[1], &panicking).is_pending());
    assert!(poll(&mut waiters[2], &last_waker).is_pending());
    assert!(poll(&mut write, &writer_waker).is_pending());
    assert_eq!(listed(&io, Direction::Read), (3, true));

    io.set(READABLE);
    assert_eq!((first.count(), last.count(), writer.count()), (1, 1, 0));
    assert_eq!(listed(&io, Direction::Read), (0, false));
    assert_eq!(listed(&io, Direction::Write), (1, true));
    for waiter in &mut waiters {
        assert!(matches!(poll(waiter, &first_waker), Poll::Ready(Ok(_))));
    }
    assert_eq!(
        listed(&io, Direction::Read),
        (0, false),
        "answering adds nothing"
    );

    io.set(WRITABLE);
    assert_eq!(writer.count(), 1);
    assert_eq!(listed(&io, Direction::Write), (0, false));
}

#[test]
fn a_panicking_slot_waker_is_contained() {
    let io = ScheduledIo::new();
    let (listed_wakes, listed_waker) = counting();
    let panicking = panicking();
    assert!(
        io.poll_ready(&mut Context::from_waker(&panicking), Direction::Write)
            .is_pending()
    );
    let mut waiter = Waiter::new(&io, Direction::Write);
    assert!(poll(&mut waiter, &listed_waker).is_pending());
    io.set(WRITABLE);
    assert_eq!(listed_wakes.count(), 1, "woken after the slot's panic");
}

#[test]
fn cancelled_waits_leave_nothing_behind() {
    let io = ScheduledIo::new();
    let (wakes, waker) = counting();
    let mut staying = Waiter::new(&io, Direction::Read);
    assert!(poll(&mut staying, &waker).is_pending());
    for _ in 0..10_000 {
        let mut cancelled = Waiter::new(&io, Direction::Read);
        assert!(poll(&mut cancelled, &waker).is_pending());
        assert_eq!(listed(&io, Direction::Read), (2, true));
    }
    assert_eq!(
        Arc::strong_count(&wakes),
        3,
        "ours, `waker`, the staying one's"
    );
    drop(staying);
    assert_eq!(listed(&io, Direction::Read), (0, false));
    assert_eq!(Arc::strong_count(&wakes), 2, "no waker kept");
    io.set(READABLE);
    assert_eq!(wakes.count(), 0);
}

#[test]
fn polling_again_while_listed_replaces_the_waker() {
    let io = ScheduledIo::new();
    let (old, old_waker) = counting();
    let (new, new_waker) = counting();
    let mut waiter = Waiter::new(&io, Direction::Read);
    assert!(poll(&mut waiter, &old_waker).is_pending());
    assert!(poll(&mut waiter, &new_waker).is_pending());
    assert_eq!(listed(&io, Direction::Read), (1, true));
    assert_eq!(Arc::strong_count(&old), 2, "the old waker is not kept");
    io.set(READABLE);
    assert_eq!((old.count(), new.count()), (0, 1));
}

#[test]
fn a_woken_waiter_that_meets_would_block_waits_again() {
    let io = ScheduledIo::new();
    let (wakes, waker) = counting();
    let mut waiter = Waiter::new(&io, Direction::Read);
    assert!(poll(&mut waiter, &waker).is_pending());
    io.set(READABLE);
    let Poll::Ready(Ok(event)) = poll(&mut waiter, &waker) else {
        panic!("woken, but not ready");
    };
    io.clear_readiness(event); // the operation met `WouldBlock`
    assert!(poll(&mut waiter, &waker).is_pending());
    assert_eq!(listed(&io, Direction::Read), (1, true));
    io.set(READABLE);
    assert_eq!(wakes.count(), 2);
}

#[test]
fn an_edge_between_would_block_and_the_clear_is_kept() {
    let io = ScheduledIo::new();
    let (_, waker) = counting();
    let mut waiter = Waiter::new(&io, Direction::Read);
    io.set(READABLE);
    let Poll::Ready(Ok(event)) = poll(&mut waiter, &waker) else {
        panic!("not ready");
    };
    io.set(READABLE); // data lands after the `WouldBlock`...
    io.clear_readiness(event); // ... and before the clear, which must not clear it
    assert!(matches!(poll(&mut waiter, &waker), Poll::Ready(Ok(_))));
}

#[test]
fn shutdown_wakes_every_waiter_with_the_error() {
    let io = ScheduledIo::new();
    let (wakes, waker) = counting();
    let mut waiters = [
        Waiter::new(&io, Direction::Read),
        Waiter::new(&io, Direction::Read),
        Waiter::new(&io, Direction::Write),
    ];
    for waiter in &mut waiters {
        assert!(poll(waiter, &waker).is_pending());
    }
    io.set(SHUTDOWN);
    assert_eq!(wakes.count(), 3);
    for waiter in &mut waiters {
        let Poll::Ready(Err(err)) = poll(waiter, &waker) else {
            panic!("a wait after shutdown must fail");
        };
        assert!(err.to_string().contains("shut down"), "{err}");
    }
    let mut late = Waiter::new(&io, Direction::Write);
    assert!(matches!(poll(&mut late, &waker), Poll::Ready(Err(_))));
    assert_eq!(listed(&io, Direction::Read), (0, false));
    assert_eq!(listed(&io, Direction::Write), (0, false));
}

#[test]
fn accepts_cancelled_by_a_timeout_leave_the_list_empty() {
    let runtime = crate::Builder::new().worker_threads(1).build().unwrap();
    runtime.block_on(async {
        let reactor = crate::runtime::current_reactor().unwrap();
        let bound = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = IoSource::new(bound, reactor).unwrap();
        for _ in 0..10_000 {
            let accept = listener.shared_io(Direction::Read, |listener| listener.accept());
            let waited = crate::time::timeout(std::time::Duration::ZERO, accept).await;
            assert!(waited.is_err(), "nobody connects");
        }
        assert_eq!(listed(&listener.scheduled, Direction::Read), (0, false));
    });
}
