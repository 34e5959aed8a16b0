//! The atomics and locks the crate uses: std's, or loom's atomics under `cfg(loom)`.
//!
//! Every other module takes them from here (a grep in `.ci/run` enforces it), so a loom build
//! swaps the atomics at once. loom cannot see inside `crossbeam-deque` or `thread_local`, so
//! the loom model (`pool::epoch`'s tests) checks our own ageing protocol over stand-ins; the
//! `Arc`, `Weak` and `Mutex` below serve only the janitor and registration, outside the model,
//! and stay std's.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence,
};

pub(crate) use std::sync::{Arc, Mutex, Weak};

/// Holds a single-flight flag (`age`, `calibrate`) until dropped, also by a panic, so that a
/// panicking cycle does not wedge the next one.
#[derive(Debug)]
#[must_use = "the flag is released when the guard drops"]
pub(crate) struct SingleFlight<'a>(&'a AtomicBool);

impl<'a> SingleFlight<'a> {
    /// Takes `flag`, or `None` if another thread holds it now (its run is this one).
    pub(crate) fn enter(flag: &'a AtomicBool) -> Option<Self> {
        // Acquire: pairs with the Release of the previous holder's drop, so a run starts after
        // the last one ended.
        flag.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| SingleFlight(flag))
    }
}

impl Drop for SingleFlight<'_> {
    fn drop(&mut self) {
        // Release: the next holder sees what this run wrote.
        self.0.store(false, Ordering::Release);
    }
}

/// Adds one to a counter that only the calling thread writes (others only read it): a load
/// and a store, no read-modify-write, so no locked instruction on the hot paths that count.
#[inline]
pub(crate) fn bump_owned(counter: &AtomicU64) {
    // Relaxed: statistics; with one writer, the load sees its own last store.
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// For `static`s, which loom's atomics cannot initialise: always std's. Such statics (ids
/// handed out once per pool, never repeated within a process) are outside the loom model.
pub(crate) use std::sync::atomic::AtomicU64 as StaticAtomicU64;
