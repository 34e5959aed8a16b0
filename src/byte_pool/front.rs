//! The per-thread front of a [`ByteBufferPool`](super::ByteBufferPool): one slot holding the
//! buffer this thread returned last, the thread's sampling countdown, and its counters,
//! reached through one `const` thread-local read.
//!
//! # Why a front, and why `unsafe`
//!
//! Before the front, a `get` + `put` went through the size-class `Pool`'s per-thread record
//! (a `thread_local::ThreadLocal` lookup, the epoch check, the private slot) and, apart, a
//! thread-local for the sampling countdown: about 10 ns per W1 cycle on this machine against
//! 8 ns for `Vec::with_capacity(64)` + drop. Fusing the three into one record reached through
//! `ThreadLocal::get` measured 6.6 ns; reaching the same record through a pointer cached in a
//! `const` thread-local (a plain `fs:`-relative load) measured 5.3 ns before the rest of the
//! path was trimmed. The cache is the one `unsafe` step of the pools, confined to
//! [`Fronts::local`]; everything else here is safe code. See `docs/DESIGN.md` of the crate
//! and `docs/BENCHMARKS.md` for the figures.
//!
//! # The cache and why it is sound
//!
//! `CACHE` holds, for the front set the thread used last, its id and pointers to this
//! thread's entries in the two `ThreadLocal`s. The pointers are dereferenced only when the id
//! matches the `Fronts` being asked, so:
//!
//! 1. **The entries are alive.** Ids come from a process-wide 64-bit counter and are never
//!    reused, so a matching id means the caller holds `&Fronts` of the very set the pointers
//!    came from. `ThreadLocal` never moves or frees an entry before it is dropped itself, and
//!    nothing here takes `&mut` of either map while a `&Fronts` exists.
//! 2. **The entries are this thread's.** `ThreadLocal::get_or` returned them on this thread,
//!    and `CACHE` is this thread's. `ThreadLocal` hands an entry to another thread only after
//!    this thread's id is released, which its id guard does during thread-local teardown.
//!    `CACHE_GUARD` is first touched right after that `get_or`, so its destructor was
//!    registered after the id guard's and runs before it: Rust runs thread-local destructors
//!    in reverse order of registration (glibc's `__cxa_thread_atexit_impl` and std's own
//!    destructor list both pop the last one first). It empties `CACHE`, and once it has run,
//!    the slow path no longer fills `CACHE` (`try_with` fails), so a pointer is never used
//!    after the id is released.
//! 3. **No aliasing `&mut`.** `Front` is `!Sync` (its fields are `Cell`s) and only shared
//!    references are formed, from this thread only; `Counters` are atomics.

use std::cell::Cell;
use std::ptr;

use crossbeam_utils::CachePadded;
use thread_local::ThreadLocal;

use crate::buffer::ByteBuffer;
use crate::sync::{AtomicU64, Ordering, StaticAtomicU64};

/// The owner-only state of one thread in one pool.
#[derive(Default)]
pub(super) struct Front {
    /// The buffer this thread returned last, cleared, unless taken again since.
    pub(super) slot: Cell<Option<Box<ByteBuffer>>>,
    /// The pool's ageing epoch when `slot` was filled: a buffer that sat there two cycles is
    /// dropped instead of handed out.
    pub(super) stamp: Cell<u64>,
    /// Capacity of the buffer this thread returned last: `get()` looks in its class first
    /// when the slot is empty.
    pub(super) last_cap: Cell<usize>,
    /// The sampling countdown of this thread in this pool (see `Calibrator::record`).
    pub(super) left: Cell<u32>,
    /// Whether the thread using this front asked to be told of its exit. A thread that
    /// inherits the front of one that exited (`thread_local` recycles ids) finds it unset.
    pub(super) hooked: Cell<bool>,
}

/// The counters of one thread in one pool: written only by that thread, as a load and a
/// store (no read-modify-write); read by `stats` from any thread. `Relaxed`: statistics.
#[derive(Default)]
pub(super) struct Counters {
    /// Gets served from the slot.
    pub(super) hits: AtomicU64,
    /// Puts that kept their buffer (in the slot; the one it held moves to a class pool).
    pub(super) puts: AtomicU64,
}

impl Counters {
    /// Adds one: the owner's load and store.
    #[inline]
    pub(super) fn bump(counter: &AtomicU64) {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Relaxed,
        );
    }
}

/// The fronts of one pool, one per thread that used it.
pub(super) struct Fronts {
    /// Never 0 (the empty cache's id) and never reused.
    id: u64,
    fronts: ThreadLocal<CachePadded<Front>>,
    /// Apart from `fronts` so that `stats` can walk them (`ThreadLocal::iter` needs `Sync`).
    counters: ThreadLocal<CachePadded<Counters>>,
}

static NEXT_ID: StaticAtomicU64 = StaticAtomicU64::new(1);

/// What `CACHE` holds: a `Fronts` id and this thread's entries in it.
#[derive(Clone, Copy)]
struct Cached {
    id: u64,
    front: *const Front,
    counters: *const Counters,
}

impl Cached {
    const EMPTY: Cached = Cached {
        id: 0,
        front: ptr::null(),
        counters: ptr::null(),
    };
}

thread_local! {
    /// This thread's entries in the `Fronts` it used last. `const` and `Copy`: reading it is
    /// one load, with no lazy-initialisation or destructor-state check.
    static CACHE: Cell<Cached> = const { Cell::new(Cached::EMPTY) };
    /// Empties `CACHE` when the thread's thread-locals are torn down, before `thread_local`
    /// releases the thread's id (see the module docs).
    static CACHE_GUARD: CacheGuard = const { CacheGuard };
}

struct CacheGuard;

impl Drop for CacheGuard {
    fn drop(&mut self) {
        CACHE.set(Cached::EMPTY);
    }
}

impl Fronts {
    pub(super) fn new() -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            fronts: ThreadLocal::new(),
            counters: ThreadLocal::new(),
        }
    }

    /// The calling thread's front and counters; `on_first_use` runs when this thread has not
    /// used the front yet (also when it inherits the front of a thread that exited).
    #[inline]
    pub(super) fn local(&self, on_first_use: impl FnOnce()) -> (&Front, &Counters) {
        let cached = CACHE.get();
        if cached.id == self.id {
            // SAFETY:
            // - The id matches, so the pointers came from this `Fronts` (ids are unique and
            //   never 0), which `&self` keeps alive, and `ThreadLocal` never moves or frees an
            //   entry while it lives (point 1 of the module docs).
            // - They are this thread's entries and this thread still owns its
            //   `thread_local` id: `CACHE_GUARD` empties the cache before the id is
            //   released (point 2).
            // - Only shared references are formed; `Front` is `!Sync`, so they stay on this
            //   thread (point 3).
            unsafe { (&*cached.front, &*cached.counters) }
        } else {
            self.local_slow(on_first_use)
        }
    }

    #[cold]
    #[inline(never)]
    fn local_slow(&self, on_first_use: impl FnOnce()) -> (&Front, &Counters) {
        // The references to cache come from `get`, not from `get_or`: right after inserting,
        // `get_or` returns a reference derived from a `&mut` to the new entry, and a later
        // `get` (the exit hook, `age`) would invalidate it under Tree Borrows (Miri says so).
        let inserted = self.fronts.get_or_default();
        let front = self.fronts.get().unwrap_or(inserted);
        let inserted = self.counters.get_or_default();
        let counters = self.counters.get().unwrap_or(inserted);
        if !front.hooked.get() {
            front.hooked.set(true);
            on_first_use();
        }
        // After `get_or`, so that the guard's destructor runs before `thread_local`'s id
        // guard. Fails once the guard is destroyed: the cache then stays empty.
        if CACHE_GUARD.try_with(|_| ()).is_ok() {
            CACHE.set(Cached {
                id: self.id,
                front: &**front,
                counters: &**counters,
            });
        }
        (front, counters)
    }

    /// The calling thread's front if it has one, without touching the cache (for the exit
    /// hook and `age`).
    pub(super) fn existing(&self) -> Option<&Front> {
        self.fronts.get().map(|f| &**f)
    }

    /// Sums every thread's counters: (hits, puts).
    pub(super) fn totals(&self) -> (u64, u64) {
        self.counters.iter().fold((0, 0), |(h, p), c| {
            (
                h + c.hits.load(Ordering::Relaxed),
                p + c.puts.load(Ordering::Relaxed),
            )
        })
    }
}
