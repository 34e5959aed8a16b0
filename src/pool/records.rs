//! [`Records`]: a pool's per-thread records (a `thread_local::ThreadLocal`), with the calling
//! thread's record of the pool it used last cached in a `const` thread-local.
//!
//! # Why, and why `unsafe`
//!
//! `ThreadLocal::get` reaches the thread's id through `thread_local`'s own thread-local, whose
//! accessor is a function of that crate that the compiler does not inline into ours without
//! LTO: every `get` and `put` of a `Pool<T>` (generic, so compiled in the user's crate) paid a
//! call, and the registers it clobbers. With it inlined (a build with `lto = "fat"`) a put +
//! get pair took 4.31–4.35 ns against 4.87–5.04 ns; the cache here is read with one `fs:`-
//! relative load in our crate, which the compiler does inline. It is this module's one
//! `unsafe` step: turning the cached pointer back into a reference.
//!
//! # Why it is sound
//!
//! `CACHE` holds, for the `Records` the thread used last, its id and a pointer to this
//! thread's entry in its map. The pointer is used only when that id is the id of the
//! `Records` being asked, so:
//!
//! 1. **The entry is alive, and of type `R`.** Ids come from a process-wide 64-bit counter and
//!    are never reused nor 0 (the empty cache's), so a matching id means the caller holds
//!    `&Records<R>` of the very map the pointer came from, which that reference keeps alive.
//!    `ThreadLocal` never moves or frees an entry before it is dropped itself, and `Records`
//!    lends its map only through `&self` methods that do not remove entries.
//! 2. **The entry is this thread's.** `ThreadLocal::get` returned it on this thread, and
//!    `CACHE` is this thread's. `ThreadLocal` hands an entry to another thread only after this
//!    thread's id is released, which its id guard does during thread-local teardown. `GUARD`
//!    is first touched after such a `get` found an entry (so after the thread had an id, and
//!    after the id guard was registered), so its destructor runs before the id guard's: on
//!    targets with native thread-locals (Linux with glibc, macOS, Windows), Rust runs
//!    thread-local destructors in reverse order of registration. std's fallback for other
//!    targets (one pthread key per thread-local) runs them in key order, so the cache is
//!    filled only on those three (`ENABLED`). `GUARD`'s destructor empties `CACHE` and marks
//!    it dead, so a pointer is never used, nor cached again, after the id is released.
//! 3. **No aliasing `&mut`.** Only a shared reference is formed, on this thread, as
//!    `ThreadLocal::get` itself returns; `Records` never forms a `&mut` to an entry.
//!
//! The same argument, for a pointer keyed by an id that ageing renews, is made for the
//! fronts of `ByteBufferPool` (`src/byte_pool/front.rs`).

use std::cell::Cell;
use std::ptr;

use thread_local::ThreadLocal;

use crate::sync::{Ordering, StaticAtomicU64};

/// Per-thread records of one pool: a `ThreadLocal<R>` and the id its cache entries carry.
pub(super) struct Records<R: Send> {
    /// This map's id in `CACHE`: unique in the process, never 0.
    id: u64,
    map: ThreadLocal<R>,
}

static NEXT_ID: StaticAtomicU64 = StaticAtomicU64::new(1);

/// A process-wide unique id, never 0: for the record caches here and in the `ByteBufferPool`
/// fronts, whose entries are used only when their id matches.
pub(crate) fn next_cache_id() -> u64 {
    // Relaxed: uniqueness needs only the atomicity of the increment.
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// What `CACHE` holds: a `Records` id and this thread's entry in it.
#[derive(Clone, Copy)]
struct Cached {
    id: u64,
    entry: *const (),
}

const EMPTY: Cached = Cached {
    id: 0,
    entry: ptr::null(),
};

/// Whether `GUARD` is registered (`Armed`), not yet (`Unarmed`), or destroyed (`Dead`): kept
/// apart from `GUARD`, whose own state std reads only through a costlier access.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unarmed,
    Armed,
    Dead,
}

thread_local! {
    /// This thread's entry in the `Records` it used last. `const` and `Copy`: reading it is
    /// one load, with no lazy-initialisation or destructor-state check.
    static CACHE: Cell<Cached> = const { Cell::new(EMPTY) };
    static STATE: Cell<State> = const { Cell::new(State::Unarmed) };
    /// Empties `CACHE` during thread-local teardown, before `thread_local` releases the
    /// thread's id (see the module docs).
    static GUARD: Guard = const { Guard };
}

struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        CACHE.set(EMPTY);
        STATE.set(State::Dead);
    }
}

/// Whether a per-thread cache may be used at all: only where point 2 of the module docs is
/// known to hold (also for the `ByteBufferPool` fronts).
pub(crate) const ENABLED: bool = cfg!(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "windows"
));

/// The id of a `Records` that is never cached: no cache entry carries it (ids count up from 1
/// and could not reach it in centuries; the empty cache's is 0).
const NEVER: u64 = u64::MAX;

impl<R: Send> Records<R> {
    /// `cached`: whether the calling thread's record is cached. A pool used in turn with
    /// others of its kind on every call (the size classes of a `ByteBufferPool`) would only
    /// replace another's entry at each call: in the `in_flight_256` bench caching its class
    /// pools cost 1–3 ns per operation.
    pub(super) fn new(cached: bool) -> Self {
        Self {
            // Where the cache cannot be used (`ENABLED`), every map is uncached: a plain lookup.
            id: if cached && ENABLED {
                next_cache_id()
            } else {
                NEVER
            },
            map: ThreadLocal::new(),
        }
    }

    /// The calling thread's record, if it has one: `ThreadLocal::get`, cached.
    #[inline]
    pub(super) fn get(&self) -> Option<&R> {
        let cached = CACHE.get();
        if cached.id == self.id {
            // SAFETY:
            // - The id matches, so the pointer came from `self.map.get()` (ids are unique
            //   across every `Records` and never 0, and no cache entry carries `NEVER`, the id
            //   of every uncached one): it points to an `R` that `&self` keeps
            //   alive, as `ThreadLocal` never moves or frees an entry while it lives (point 1
            //   of the module docs).
            // - It is this thread's entry, and this thread still owns its `thread_local` id:
            //   `GUARD` empties the cache before the id is released (point 2).
            // - Only a shared reference is formed, on this thread, as `get` returns (point 3).
            Some(unsafe { &*cached.entry.cast::<R>() })
        } else if self.id == NEVER {
            self.map.get() // as fast as before the cache existed
        } else {
            self.get_uncached()
        }
    }

    /// A miss of a cached map: looks the entry up, and caches it. Out of line: inline, it made
    /// the hit path slower (a put + get pair 3.83–3.85 ns against 3.36–3.50).
    #[cold]
    #[inline(never)]
    fn get_uncached(&self) -> Option<&R> {
        let entry = self.map.get()?;
        let fill = match STATE.get() {
            State::Armed => true,
            State::Dead => false,
            State::Unarmed => arm(),
        };
        if fill {
            CACHE.set(Cached {
                id: self.id,
                entry: ptr::from_ref(entry).cast(),
            });
        }
        Some(entry)
    }

    /// The calling thread's record, made with `create` if it has none (`ThreadLocal::get_or`).
    /// Not cached here: the reference `get_or` returns right after inserting is derived from
    /// a `&mut` to the new entry, which a later `get` invalidates under Tree Borrows; the
    /// next [`get`](Self::get) caches the entry.
    pub(super) fn get_or(&self, create: impl FnOnce() -> R) -> &R {
        self.map.get_or(create)
    }
}

/// Registers `GUARD` (the thread's first fill); whether the cache may be filled (not once
/// `GUARD` is destroyed). Called only once the thread has a `thread_local` id (after a `get`
/// found its entry), so that `GUARD` is registered after the id guard.
#[cold]
#[inline(never)]
fn arm() -> bool {
    let armed = GUARD.try_with(|_| ()).is_ok();
    STATE.set(if armed { State::Armed } else { State::Dead });
    armed
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn each_map_finds_its_own_entry_through_the_cache() {
        let a: Records<u32> = Records::new(true);
        let b: Records<u64> = Records::new(true);
        assert!(a.get().is_none());
        a.get_or(|| 1);
        b.get_or(|| 2);
        // In turn, so that each lookup replaces the other's cache entry.
        for _ in 0..3 {
            assert_eq!(a.get(), Some(&1));
            assert_eq!(b.get(), Some(&2));
        }
        // Another thread sees its own entries, not this thread's cached one.
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(a.get().is_none());
                assert_eq!(*a.get_or(|| 3), 3);
                assert_eq!(a.get(), Some(&3));
            });
        });
        assert_eq!(a.get(), Some(&1));
        // A new map (perhaps at the old one's address) never hits the old one's entry.
        drop(a);
        let c: Records<u32> = Records::new(true);
        assert!(c.get().is_none());
    }

    #[test]
    fn an_uncached_map_leaves_the_cache_alone() {
        let a: Records<u32> = Records::new(true);
        let never: Records<u32> = Records::new(false);
        a.get_or(|| 1);
        never.get_or(|| 2);
        assert_eq!(a.get(), Some(&1));
        let id = CACHE.get().id;
        if ENABLED {
            assert_eq!(id, a.id);
        }
        assert_eq!(never.get(), Some(&2));
        assert_eq!(
            CACHE.get().id,
            id,
            "the uncached map's lookup did not replace a's entry"
        );
    }
}
