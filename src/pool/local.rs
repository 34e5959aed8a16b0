//! Per-thread records: the owner-only side and the side other threads steal from.

use std::cell::Cell;

use crossbeam_deque::{Steal, Stealer, Worker};

use super::epoch::slot;
use crate::sync::{Arc, AtomicU64, Ordering};

/// `seen` of a record whose thread has exited: the next thread to inherit the record (through
/// `thread_local`'s recycled ids) takes the cold path on its first operation and re-registers
/// its exit hook there. No real epoch reaches it.
pub(super) const ORPHANED: u64 = u64::MAX;

/// How many times one probe retries a stealer that answered `Retry` before moving on.
const STEAL_RETRIES: usize = 4;

/// The owner-only side of a thread's record in one pool. `!Sync`: reached only through
/// `ThreadLocal::get` by the thread it belongs to.
pub(super) struct Local<T> {
    /// Go's `private`: a plain cell, no atomic instruction.
    pub(super) private: Cell<Option<T>>,
    /// LIFO deques; `workers[slot(seen)]` is the current generation, the other the victim.
    pub(super) workers: [Worker<T>; 2],
    /// The last pool epoch this record synchronised with (or [`ORPHANED`]).
    pub(super) seen: Cell<u64>,
    /// State of the probe-start generator (xorshift), so threads do not all probe entry 0.
    probe: Cell<u32>,
    /// The shared side of this record.
    pub(super) remote: Arc<Remote<T>>,
}

/// The `Sync` side of a thread's record: what other threads steal from and the ager drains.
pub(super) struct Remote<T> {
    /// The owner's `seen`, published with `Release` after each rotation; the ager reads it
    /// with `Acquire` to decide what expired.
    pub(super) cur: AtomicU64,
    pub(super) stealers: [Stealer<T>; 2],
    /// Statistics. Each is written only by the owning thread, as a load and a store (no
    /// read-modify-write), and read by `stats()`; all `Relaxed`, as statistics need no order.
    pub(super) gets: AtomicU64,
    pub(super) puts: AtomicU64,
    pub(super) steals: AtomicU64,
    pub(super) misses: AtomicU64,
}

impl<T> Local<T> {
    pub(super) fn new(epoch: u64, seed: u32) -> Self {
        let workers = [Worker::new_lifo(), Worker::new_lifo()];
        let remote = Arc::new(Remote {
            cur: AtomicU64::new(epoch),
            stealers: [workers[0].stealer(), workers[1].stealer()],
            gets: AtomicU64::new(0),
            puts: AtomicU64::new(0),
            steals: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        });
        Self {
            private: Cell::new(None),
            workers,
            seen: Cell::new(epoch),
            probe: Cell::new(seed | 1),
            remote,
        }
    }

    /// The deque of the current generation.
    #[inline]
    pub(super) fn current(&self) -> &Worker<T> {
        &self.workers[slot(self.seen.get())]
    }

    /// The current deque by the record's published epoch: for a thread that is exiting (whose
    /// `seen` may already be [`ORPHANED`]), and for pushes that must land where other
    /// threads steal and the ager drains.
    pub(super) fn exit_deque(&self) -> &Worker<T> {
        // Relaxed: only this thread writes `cur`.
        &self.workers[slot(self.remote.cur.load(Ordering::Relaxed))]
    }

    /// The deque of the victim generation.
    #[inline]
    pub(super) fn victim(&self) -> &Worker<T> {
        &self.workers[slot(self.seen.get().wrapping_add(1))]
    }

    /// A pseudo-random number for the probe start (xorshift32; quality is irrelevant here).
    pub(super) fn next_probe(&self) -> u32 {
        let mut x = self.probe.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.probe.set(x);
        x
    }
}

/// Steals one item from `stealer`, retrying a lost race a few times. `None` if it is empty or
/// stayed contended.
pub(super) fn steal_one<T>(stealer: &Stealer<T>) -> Option<T> {
    for _ in 0..STEAL_RETRIES {
        match stealer.steal() {
            Steal::Success(x) => return Some(x),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
    None
}

/// Drops the items of a deque, from another thread, bounded by the length seen at the start so
/// that an owner pushing at the same time cannot keep the caller here, and stopping as soon as
/// `still_dead` says the owner has moved on: the owner then drops what expired itself, and
/// pushes its fresh objects onto this same deque. (The owner can still move on between that
/// check and a steal; then one fresh object may go early, as a steal during a rotation may.)
/// Each item is counted in `count` before it is handed to `evict`, so a panicking eviction
/// loses no count.
pub(super) fn drain_stealer<T>(
    stealer: &Stealer<T>,
    still_dead: &dyn Fn() -> bool,
    evict: &dyn Fn(T),
    count: &AtomicU64,
) {
    let n = stealer.len();
    for _ in 0..n {
        if !still_dead() {
            return;
        }
        let Some(item) = steal_one(stealer) else {
            return;
        };
        // Relaxed: statistics.
        count.fetch_add(1, Ordering::Relaxed);
        evict(item); // user code; the record is consistent
    }
}

/// Drops every item of the owner's `workers`, counting each in `count` before `evict`.
///
/// The items are taken out first: an eviction may put into the pool (`on_evict` may use it),
/// and on this thread such a put lands on the deque being drained, which after a rotation is
/// the new current one. Those fresh objects stay. If an eviction panics, the items not evicted
/// yet go back on the first deque, unevicted, and are dropped by a later cycle.
pub(super) fn drain_worker<T>(workers: &[&Worker<T>], evict: &dyn Fn(T), count: &AtomicU64) {
    struct Rest<'a, T> {
        items: std::vec::IntoIter<T>,
        home: &'a Worker<T>,
    }
    impl<T> Drop for Rest<'_, T> {
        fn drop(&mut self) {
            // No user code here (a push), so a panicking eviction cannot panic twice.
            self.items.by_ref().for_each(|item| self.home.push(item));
        }
    }
    let mut items = Vec::new();
    for w in workers {
        items.extend(std::iter::from_fn(|| w.pop()));
    }
    if items.is_empty() {
        return;
    }
    let mut rest = Rest {
        items: items.into_iter(),
        home: workers[0],
    };
    for item in rest.items.by_ref() {
        // Relaxed: statistics.
        count.fetch_add(1, Ordering::Relaxed);
        evict(item); // user code; the record is consistent
    }
}
