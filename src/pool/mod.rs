//! [`Pool<T>`]: Go's `sync.Pool` for Rust, with a per-thread private slot, per-thread
//! work-stealing deques and a victim generation.

mod epoch;
mod janitor;
mod local;
#[allow(unsafe_code)]
mod records;

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use thread_local::ThreadLocal;

use self::epoch::{Expired, expired, slot};
pub(crate) use self::janitor::{
    Ageable, hook_thread_exit, register as register_ageing, thread_exited,
};
use self::local::{Local, ORPHANED, Remote, drain_stealer, drain_worker, steal_one};
use self::records::Records;
pub(crate) use self::records::{ENABLED as CACHE_ENABLED, next_cache_id};
use crate::sync::{
    Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering, SingleFlight, Weak, bump_owned,
};

/// A thread-safe pool of reusable objects: Go's `sync.Pool`, typed.
///
/// [`get`](Self::get) hands out an object, wrapped in a guard that puts it back when dropped;
/// [`put`](Self::put) gives one to the pool. Objects are stored by value.
///
/// # How it works
///
/// Every thread that uses a pool gets its own record in it: a *private* slot and two LIFO
/// deques (`crossbeam-deque`), one for the current generation and one for the *victim*.
/// `put` fills the private slot if it is empty, else pushes onto the current deque; `get` takes
/// the private object, else pops the current deque. Neither takes a lock or does an atomic
/// read-modify-write on that path. On a miss, `get` steals the oldest object of other threads'
/// current deques (a bounded number of probes, from a random start), then pops its own victim,
/// then steals from others' victims, and only then constructs a new object. That is Go's order.
///
/// # Ageing
///
/// Rust has no garbage collector to empty a pool, so the pool ages itself: each
/// [`age`](Self::age) is one cycle, the current generation becomes the victim and the old
/// victim is dropped. An object not used for **two** cycles is dropped; one that is reused in
/// between stays. By default a background thread, `bytebufferpool-janitor`, ages every pool
/// once a second ([`AgePolicy`]); [`AgePolicy::Manual`] leaves it to you. `age` runs beside
/// `get` and `put` without blocking them: it bumps an epoch and drains expired deques through
/// their stealers, and each thread moves its own records to the new generation on its next call.
///
/// # Threads that exit
///
/// When a thread exits, its private object is pushed onto its deque, where other threads can
/// steal it and ageing drops it within two cycles. Its record stays in the pool and is reused
/// by the next new thread (thread ids are recycled), so memory follows the peak number of live
/// threads, not thread churn. Dropping the pool drops everything in it.
///
/// A thread-local destructor that runs after the thread's exit hooks may still use the pool,
/// without its record: `put` drops the object, `try_get` finds nothing and `get` constructs;
/// the stats count them. (`thread_local`'s id may be gone by then.)
///
/// # Panics
///
/// A constructor or `T::drop` that panics propagates out of the call that ran it (`get`, `put`,
/// `age`, or the drop of a guard); the pool stays consistent and usable. The janitor catches
/// such panics and goes on ageing.
///
/// # Examples
///
/// ```
/// use bytebufferpool::Pool;
///
/// let pool = Pool::new(|| Vec::<u8>::with_capacity(1024));
/// {
///     let mut v = pool.get(); // constructs: the pool is empty
///     v.extend_from_slice(b"hello");
/// } // the guard puts the Vec back
/// let v = pool.get(); // the same Vec, as it was left
/// assert_eq!(&v[..], b"hello");
/// assert!(v.capacity() >= 1024);
/// ```
pub struct Pool<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

/// When a pool ages, if nobody calls [`Pool::age`].
///
/// # Examples
///
/// ```
/// use bytebufferpool::{AgePolicy, Pool};
/// use std::time::Duration;
///
/// let manual = Pool::<Vec<u8>>::builder().age_policy(AgePolicy::Manual).build(Vec::new);
/// let fast = Pool::<Vec<u8>>::builder()
///     .age_policy(AgePolicy::Background { interval: Duration::from_millis(100) })
///     .build(Vec::new);
/// assert!(manual.is_ok() && fast.is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgePolicy {
    /// Only explicit [`Pool::age`] calls age the pool. Idle objects stay until then.
    Manual,
    /// A process-wide background thread, `bytebufferpool-janitor`, started on first need, calls
    /// `age` every `interval`. It holds only a weak reference to the pool. If the thread cannot
    /// be started, the pool behaves as [`Manual`](Self::Manual) and
    /// [`PoolStats::background_ageing`] says so.
    Background {
        /// Time between two cycles; an idle object is dropped after two, i.e. within
        /// `2 * interval` to `3 * interval` of its last use. An interval too long for the
        /// clock to reach (such as `Duration::MAX`) means never.
        interval: Duration,
    },
}

impl AgePolicy {
    /// The default interval of [`AgePolicy::Background`]: one second.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
}

impl Default for AgePolicy {
    /// `Background` every [`AgePolicy::DEFAULT_INTERVAL`].
    fn default() -> Self {
        AgePolicy::Background {
            interval: Self::DEFAULT_INTERVAL,
        }
    }
}

/// Builds a [`Pool`] with a chosen [`AgePolicy`] and steal-probe limit.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{AgePolicy, Pool};
///
/// let pool = Pool::builder()
///     .age_policy(AgePolicy::Manual)
///     .steal_probes(4)
///     .build(|| String::with_capacity(64))
///     .unwrap();
/// pool.put(String::from("reused"));
/// assert_eq!(pool.try_get().as_deref(), Some("reused"));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T> {
    age_policy: AgePolicy,
    steal_probes: Option<usize>,
    on_evict: Option<EvictFn<T>>,
    /// Whether the calling thread's record is cached (see [`Records::new`]); crate-internal.
    cache_record: bool,
    _items: PhantomData<fn() -> T>,
}

/// What the pool calls with each object that ageing removes.
type EvictFn<T> = Box<dyn Fn(T) + Send + Sync>;

impl<T> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("age_policy", &self.age_policy)
            .field("steal_probes", &self.steal_probes)
            .field("on_evict", &self.on_evict.is_some())
            .finish()
    }
}

/// Why a [`PoolBuilder`] refused its configuration.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{AgePolicy, Pool, PoolBuildError};
/// use std::time::Duration;
///
/// let err = Pool::<u8>::builder()
///     .age_policy(AgePolicy::Background { interval: Duration::ZERO })
///     .build(|| 0)
///     .unwrap_err();
/// assert_eq!(err, PoolBuildError::ZeroAgeInterval);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolBuildError {
    /// `AgePolicy::Background` with a zero interval would age in a busy loop.
    ZeroAgeInterval,
}

impl fmt::Display for PoolBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolBuildError::ZeroAgeInterval => {
                f.write_str("AgePolicy::Background needs a non-zero interval")
            }
        }
    }
}

impl std::error::Error for PoolBuildError {}

impl<T: Send + 'static> PoolBuilder<T> {
    /// Sets when the pool ages; the default is [`AgePolicy::default`].
    pub fn age_policy(mut self, policy: AgePolicy) -> Self {
        self.age_policy = policy;
        self
    }

    /// Sets how many other threads' records one `get` miss probes per generation before it
    /// gives up and constructs. The default is twice [`std::thread::available_parallelism`]
    /// (at least 4). `0` turns stealing off: objects put by one thread are then reused only by
    /// that thread, and ageing alone reclaims the others.
    pub fn steal_probes(mut self, probes: usize) -> Self {
        self.steal_probes = Some(probes);
        self
    }

    /// Sets a function that receives each object that ageing removes from the pool, instead of
    /// the pool dropping it: to count evicted bytes, say, or to log. It runs on the thread that
    /// ages (the janitor, a caller of [`Pool::age`], or an owner catching up on its next call),
    /// after the pool's state is consistent; it may use the pool. Objects dropped with the pool
    /// itself are not passed to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{AgePolicy, Pool};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let evicted = Arc::new(Mutex::new(0));
    /// let counter = evicted.clone();
    /// let pool = Pool::builder()
    ///     .age_policy(AgePolicy::Manual)
    ///     .on_evict(move |v: Vec<u8>| *counter.lock().unwrap() += v.capacity())
    ///     .build(Vec::new)
    ///     .unwrap();
    /// pool.put(Vec::with_capacity(100));
    /// pool.age();
    /// pool.age();
    /// assert!(*evicted.lock().unwrap() >= 100);
    /// ```
    pub fn on_evict<F>(mut self, evict: F) -> Self
    where
        F: Fn(T) + Send + Sync + 'static,
    {
        self.on_evict = Some(Box::new(evict));
        self
    }

    /// Leaves the calling thread's record out of the per-thread cache (see `Records::new`):
    /// for pools used in turn with others on every call.
    pub(crate) fn uncached(mut self) -> Self {
        self.cache_record = false;
        self
    }

    /// Builds the pool; `constructor` makes an object when [`Pool::get`] finds none.
    ///
    /// # Errors
    ///
    /// [`PoolBuildError::ZeroAgeInterval`] for `AgePolicy::Background` with a zero interval.
    pub fn build<F>(self, constructor: F) -> Result<Pool<T>, PoolBuildError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        if let AgePolicy::Background { interval } = self.age_policy {
            if interval.is_zero() {
                return Err(PoolBuildError::ZeroAgeInterval);
            }
        }
        let steal_probes = self.steal_probes.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(4, |n| (2 * n.get()).max(4))
        });
        let shared = Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            epoch: CachePadded::new(AtomicU64::new(0)),
            locals: Records::new(self.cache_record),
            remotes: ThreadLocal::new(),
            records: AtomicUsize::new(0),
            constructor: Box::new(constructor),
            evict: self.on_evict.unwrap_or_else(|| Box::new(drop)),
            aging: AtomicBool::new(false),
            aged_out: AtomicU64::new(0),
            exited_gets: AtomicU64::new(0),
            exited_puts: AtomicU64::new(0),
            steal_probes,
            background: AtomicBool::new(false),
            policy: self.age_policy,
        });
        if let AgePolicy::Background { interval } = self.age_policy {
            let started = register_ageing(shared.weak(), interval);
            // Relaxed: statistics.
            shared.background.store(started, Ordering::Relaxed);
        }
        Ok(Pool { shared })
    }
}

/// The state shared by a pool's handles, the janitor and the exit hooks.
struct Shared<T: Send + 'static> {
    /// This `Shared` itself, for the janitor and the exit hooks, which must not keep it alive.
    me: Weak<Shared<T>>,
    /// The ageing cycle. Read (`Relaxed`) on every operation; written only by `age` under the
    /// `aging` flag. It only steers which deque an item goes to: every item moves through
    /// crossbeam-deque or an owner-only cell, which carry their own synchronisation.
    epoch: CachePadded<AtomicU64>,
    /// Owner-only records. `thread_local` rules: a value outlives its thread and is inherited
    /// by the next thread that gets the recycled id (the id mutex orders the two); `iter()`
    /// would need `T: Sync`, hence the second map. The calling thread's record is cached (see
    /// [`Records`]).
    locals: Records<CachePadded<Local<T>>>,
    /// The `Sync` side of the same records (same thread ids), walked to steal and to age.
    remotes: ThreadLocal<Arc<Remote<T>>>,
    /// Number of records, for the random probe start. `Relaxed`: a hint.
    records: AtomicUsize,
    constructor: Box<dyn Fn() -> T + Send + Sync>,
    /// Receives each object that ageing removes; `drop` unless the builder set one.
    evict: EvictFn<T>,
    /// Single-flight flag of `age`; never touched by `get` or `put`.
    aging: AtomicBool,
    /// Items dropped by ageing (statistics, `Relaxed`, cold paths only).
    aged_out: AtomicU64,
    /// Gets and puts by threads past their exit hooks (see [`thread_exited`]), which have no
    /// record to count them in: each such get is also a miss (statistics, `Relaxed`).
    exited_gets: AtomicU64,
    exited_puts: AtomicU64,
    steal_probes: usize,
    /// Whether the janitor ages this pool (statistics).
    background: AtomicBool,
    policy: AgePolicy,
}

/// A snapshot of a [`Pool`]'s counters, from [`Pool::stats`].
///
/// Counters are kept per thread without atomic read-modify-write, summed when read; a snapshot
/// taken while other threads work is a close, not an exact, picture.
///
/// # Examples
///
/// ```
/// use bytebufferpool::Pool;
///
/// let pool = Pool::new(|| 0u64);
/// drop(pool.get()); // a miss: constructed
/// drop(pool.get()); // a hit: the object put back by the guard
/// let stats = pool.stats();
/// assert_eq!((stats.gets, stats.hits, stats.misses), (2, 1, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "a stats snapshot does nothing unless read"]
pub struct PoolStats {
    /// Calls of `get` and `try_get`.
    pub gets: u64,
    /// Calls of `put` (guards returning their object included).
    pub puts: u64,
    /// Gets served by the calling thread's own record (private slot or deques).
    pub hits: u64,
    /// Gets served by stealing from another thread's record.
    pub steals: u64,
    /// Gets that found nothing: `get` constructed, `try_get` returned `None`.
    pub misses: u64,
    /// Objects dropped by ageing (not yet counting those a thread drops on its next call).
    pub aged_out: u64,
    /// Per-thread records in the pool (the peak number of threads that used it at once).
    pub threads: usize,
    /// Ageing cycles so far.
    pub epoch: u64,
    /// Whether the background janitor ages this pool.
    pub background_ageing: bool,
}

impl<T: Send + 'static> Shared<T> {
    /// A weak handle for the janitor and the exit hooks.
    fn weak(&self) -> Weak<dyn Ageable> {
        self.me.clone()
    }

    /// The calling thread's record, synchronised with the current epoch; `None` once the
    /// thread's exit hooks have run (see [`thread_exited`]).
    ///
    /// The common case reads no flag: a record whose epoch is current is returned as it is.
    /// That is sound past the exit hooks too:
    /// - the lookup ([`Records::get`]) may run at any point of the thread's teardown, also
    ///   after `thread_local`'s id guard (it then finds nothing): `ThreadLocal::get` never
    ///   takes a thread id nor registers a destructor (thread_local 1.1.10 and later, which
    ///   `Cargo.toml` asks for), and the cache's guard is registered only after a lookup
    ///   found an entry, while the id guard is alive (a destructor registered during
    ///   teardown runs next, before the older ones);
    /// - every record of a thread past its hooks is marked [`ORPHANED`]: this pool's hook
    ///   marks it, and a record used or made later (while the other hooks run) stays marked,
    ///   since it cannot hook again (see `rotate` and `register`). So such a thread always
    ///   fails the epoch check and reaches [`local_slow`](Self::local_slow), which reads the
    ///   flag before anything else.
    ///
    /// Reading the flag first on every call cost a raw `Pool<Box<ByteBuffer>>` get + put
    /// about 0.6 ns (4.19–4.67 ns without it, 5.01–5.27 with; see BENCHMARKS.md).
    #[inline]
    fn local(&self) -> Option<&Local<T>> {
        match self.locals.get() {
            // Relaxed: see `epoch`.
            Some(local) if local.seen.get() == self.epoch.load(Ordering::Relaxed) => Some(local),
            found => self.local_slow(found),
        }
    }

    /// [`local`](Self::local) for a thread without a record in this pool, or one whose record
    /// is behind the epoch or [`ORPHANED`] (also every thread past its exit hooks).
    #[cold]
    #[inline(never)]
    fn local_slow<'a>(&'a self, found: Option<&'a CachePadded<Local<T>>>) -> Option<&'a Local<T>> {
        if thread_exited() {
            return None;
        }
        let local = match found {
            Some(local) => local,
            None => self.register(),
        };
        // Relaxed: see `epoch`.
        let epoch = self.epoch.load(Ordering::Relaxed);
        if epoch != local.seen.get() {
            self.rotate(local, epoch);
        }
        Some(local)
    }

    /// The calling thread's record if it has one, as it is (no registration, no rotation);
    /// `None` also once the thread's exit hooks have run (see [`thread_exited`]).
    fn existing(&self) -> Option<&CachePadded<Local<T>>> {
        if thread_exited() {
            return None; // its record must not be looked up
        }
        self.locals.get()
    }

    /// First use of this pool by this thread (or by any thread with this id).
    #[cold]
    #[inline(never)]
    fn register(&self) -> &Local<T> {
        self.locals.get_or(|| {
            // Relaxed: the epoch only steers; the first operation re-checks it.
            let epoch = self.epoch.load(Ordering::Relaxed);
            let n = self.records.fetch_add(1, Ordering::Relaxed);
            // Spread the records' probe starts (Weyl sequence on the record count). Not
            // `rand::random`: this may run while the thread's thread-locals are torn down
            // (`ByteBufferPool`'s exit hook files a buffer here), when `rand`'s is gone.
            let seed = (n as u32).wrapping_add(1).wrapping_mul(0x9E37_79B9);
            let local = Local::new(epoch, seed);
            // Same thread id, so the two maps stay paired. A value already there can only
            // come from a `Local` whose construction failed; it holds nothing.
            self.remotes.get_or(|| local.remote.clone());
            if !hook_thread_exit(self.weak()) {
                // Registered while the thread exits (a `ByteBufferPool` exit hook filing a
                // buffer): no hook will mark the record, so it is marked now, and the next
                // thread with this id re-hooks.
                local.seen.set(ORPHANED);
            }
            CachePadded::new(local)
        })
    }

    /// Moves `local` to `epoch`: its current deque becomes the victim, with the private object;
    /// what expired is dropped, after the record is consistent again.
    #[cold]
    #[inline(never)]
    fn rotate(&self, local: &Local<T>, epoch: u64) {
        let mut seen = local.seen.get();
        let mut hooked = true;
        if seen == ORPHANED {
            // A new thread inherited the record of one that exited (or this thread is exiting
            // and could not hook: it stays marked, below).
            hooked = hook_thread_exit(self.weak());
            // Acquire: pairs with the Release store of the thread that exited.
            seen = local.remote.cur.load(Ordering::Acquire);
        }
        local.seen.set(epoch);
        // Release: the ager's Acquire load of `cur` sees the rotation it decides on.
        local.remote.cur.store(epoch, Ordering::Release);
        let private = local.private.take();
        match expired(seen, epoch) {
            Expired::Nothing => local.private.set(private),
            Expired::Deque(dead) => {
                if let Some(p) = private {
                    local.workers[1 - dead].push(p); // joins the victim generation
                }
                drain_worker(&[&local.workers[dead]], &self.evict, &self.aged_out);
            }
            Expired::All => {
                if let Some(p) = private {
                    local.workers[0].push(p); // evicted with the rest, below
                }
                let both = [&local.workers[0], &local.workers[1]];
                drain_worker(&both, &self.evict, &self.aged_out);
            }
        }
        if !hooked {
            // Last, after the user code above: the record stays marked (see `register`).
            local.seen.set(ORPHANED);
        }
    }

    // `always`: with the branch for an exited thread the inliner left it out of line, and a
    // raw `Pool<Box<ByteBuffer>>` get + put took about 0.6 ns longer (5.69–5.82 ns against
    // 5.01–5.27 inlined, with the flag still read first; see BENCHMARKS.md).
    #[inline(always)]
    fn try_get(&self) -> Option<T> {
        let Some(local) = self.local() else {
            return self.get_exited();
        };
        bump_owned(&local.remote.gets);
        if let Some(x) = local.private.take() {
            return Some(x);
        }
        if let Some(x) = local.current().pop() {
            return Some(x);
        }
        self.get_slow(local)
    }

    #[inline]
    fn put(&self, value: T) {
        let Some(local) = self.local() else {
            return self.put_exited(value);
        };
        bump_owned(&local.remote.puts);
        // One load and one store of the slot in the common case (it was empty).
        if let Some(held) = local.private.replace(Some(value)) {
            // Go's order: the older object stays private, the newer one goes on the deque.
            if let Some(newer) = local.private.replace(Some(held)) {
                local.current().push(newer);
            }
        }
    }

    /// A put after the thread's exit hooks ran (see [`thread_exited`]): the object has no
    /// record to go to, and is dropped. Not through the eviction callback, which is for what
    /// ageing removes: one that puts its object back would come straight back here.
    #[cold]
    #[inline(never)]
    fn put_exited(&self, value: T) {
        // Relaxed: statistics.
        self.exited_puts.fetch_add(1, Ordering::Relaxed);
        drop(value);
    }

    /// A get after the thread's exit hooks ran: nothing to take (`get` constructs).
    #[cold]
    #[inline(never)]
    fn get_exited(&self) -> Option<T> {
        // Relaxed: statistics.
        self.exited_gets.fetch_add(1, Ordering::Relaxed);
        None
    }

    #[cold]
    #[inline(never)]
    fn get_slow(&self, local: &Local<T>) -> Option<T> {
        if let Some(x) = self.steal(local, false) {
            bump_owned(&local.remote.steals);
            return Some(x);
        }
        if let Some(x) = local.victim().pop() {
            return Some(x);
        }
        if let Some(x) = self.steal(local, true) {
            bump_owned(&local.remote.steals);
            return Some(x);
        }
        bump_owned(&local.remote.misses);
        None
    }

    /// Steals one object from another thread's current (or victim) deque: at most
    /// `steal_probes` records, starting at a random one.
    fn steal(&self, local: &Local<T>, victims: bool) -> Option<T> {
        if self.steal_probes == 0 {
            return None;
        }
        // Relaxed: a hint for the start position, and to skip a walk when this thread's record
        // is the only one.
        let records = self.records.load(Ordering::Relaxed);
        if records <= 1 {
            return None;
        }
        let start = local.next_probe() as usize % records;
        let candidates = self.remotes.iter().skip(start);
        let wrapped = self.remotes.iter().take(start);
        let others = candidates
            .chain(wrapped)
            .filter(|remote| !Arc::ptr_eq(remote, &local.remote));
        for remote in others.take(self.steal_probes) {
            // Relaxed: choosing the wrong deque during a rotation only takes an object a
            // little early or late, which the contract allows.
            let cur = remote.cur.load(Ordering::Relaxed);
            let stealer = &remote.stealers[slot(cur.wrapping_add(u64::from(victims)))];
            // An empty check is plain loads; a `steal` would pin an epoch (an RMW) first.
            if stealer.is_empty() {
                continue;
            }
            if let Some(x) = steal_one(stealer) {
                return Some(x);
            }
        }
        None
    }

    #[cold]
    fn age_now(&self) {
        let Some(_flag) = SingleFlight::enter(&self.aging) else {
            return; // another thread is ageing this pool right now: that is this cycle
        };
        // AcqRel: single writer under the flag; pairs with nothing on the hot path (Relaxed).
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        let own = self.existing();
        for remote in self.remotes.iter() {
            if own.is_some_and(|local| Arc::ptr_eq(remote, &local.remote)) {
                continue; // the calling thread's: its `rotate` below drains it, by cheaper pops
            }
            // Acquire: pairs with the Release store of `rotate`.
            let cur = remote.cur.load(Ordering::Acquire);
            // Relaxed: a hint to stop early; a stale `cur` costs at most one early steal.
            let still_dead = || remote.cur.load(Ordering::Relaxed) == cur;
            let drain = |i: usize| {
                drain_stealer(
                    &remote.stealers[i],
                    &still_dead,
                    &self.evict,
                    &self.aged_out,
                );
            };
            match expired(cur, epoch) {
                Expired::Nothing => {}
                Expired::Deque(dead) => drain(dead),
                Expired::All => {
                    drain(0);
                    drain(1);
                }
            }
        }
        // The calling thread moves its own record now, private object included, so that two
        // `age()` calls by the owner drop everything it left (Go's TestPoolRelease).
        if let Some(local) = own {
            if local.seen.get() != epoch {
                self.rotate(local, epoch);
            }
        }
    }

    fn stats(&self) -> PoolStats {
        // Relaxed: statistics, here and below.
        let exited_gets = self.exited_gets.load(Ordering::Relaxed);
        let mut s = PoolStats {
            aged_out: self.aged_out.load(Ordering::Relaxed),
            epoch: self.epoch.load(Ordering::Relaxed),
            background_ageing: self.background.load(Ordering::Relaxed),
            gets: exited_gets,
            misses: exited_gets,
            puts: self.exited_puts.load(Ordering::Relaxed),
            ..PoolStats::default()
        };
        for remote in self.remotes.iter() {
            s.gets += remote.gets.load(Ordering::Relaxed);
            s.puts += remote.puts.load(Ordering::Relaxed);
            s.steals += remote.steals.load(Ordering::Relaxed);
            s.misses += remote.misses.load(Ordering::Relaxed);
            s.threads += 1;
        }
        s.hits = s.gets.saturating_sub(s.steals + s.misses);
        s
    }
}

impl<T: Send + 'static> Ageable for Shared<T> {
    fn age(&self) {
        self.age_now();
    }

    fn on_thread_exit(&self) {
        // The record can be looked up here: this hook's thread-local is destroyed before
        // `thread_local`'s id guard (registered earlier, destroyed later), and
        // `thread_exited` is set only after the hooks have run.
        if let Some(local) = self.existing() {
            if let Some(p) = local.private.take() {
                local.exit_deque().push(p); // stealable and ageable from now on
            }
            local.seen.set(ORPHANED);
        }
    }
}

impl<T: Send + 'static> Pool<T> {
    /// Creates a pool whose [`get`](Self::get) calls `constructor` when the pool has nothing,
    /// ageing in the background every [`AgePolicy::DEFAULT_INTERVAL`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(|| Vec::<u8>::with_capacity(512));
    /// assert!(pool.get().capacity() >= 512);
    /// ```
    pub fn new<F>(constructor: F) -> Self
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        match Self::builder().build(constructor) {
            Ok(pool) => pool,
            Err(e) => unreachable!("the default configuration is valid: {e}"),
        }
    }

    /// Starts a [`PoolBuilder`] to choose the ageing policy and steal probes.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{AgePolicy, Pool};
    ///
    /// let pool = Pool::builder().age_policy(AgePolicy::Manual).build(|| 0u32).unwrap();
    /// assert_eq!(*pool.get(), 0);
    /// ```
    pub fn builder() -> PoolBuilder<T> {
        PoolBuilder {
            age_policy: AgePolicy::default(),
            steal_probes: None,
            on_evict: None,
            cache_record: true,
            _items: PhantomData,
        }
    }

    /// Takes an object from the pool, or constructs one, in a guard that puts it back when
    /// dropped.
    ///
    /// # Panics
    ///
    /// If the constructor panics; the pool stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(String::new);
    /// let mut s = pool.get();
    /// s.push_str("text");
    /// drop(s); // back in the pool
    /// assert_eq!(*pool.get(), "text"); // objects come back as they were left
    /// ```
    #[inline]
    pub fn get(&self) -> Pooled<'_, T> {
        let value = match self.shared.try_get() {
            Some(value) => value,
            None => (self.shared.constructor)(),
        };
        Pooled {
            pool: self,
            value: Some(value),
        }
    }

    /// Takes an object from the pool, if it has one; never constructs.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(|| 1);
    /// assert_eq!(pool.try_get(), None);
    /// pool.put(7);
    /// assert_eq!(pool.try_get(), Some(7));
    /// ```
    #[inline]
    pub fn try_get(&self) -> Option<T> {
        self.shared.try_get()
    }

    /// Gives an object to the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(Vec::<u8>::new);
    /// pool.put(vec![1, 2, 3]);
    /// assert_eq!(pool.try_get(), Some(vec![1, 2, 3]));
    /// ```
    #[inline]
    pub fn put(&self, value: T) {
        self.shared.put(value);
    }

    /// Puts `value` on the calling thread's current deque, never in its private slot, so that
    /// other threads can steal it and ageing can drop it: for `ByteBufferPool`, which files
    /// buffers into its class pools from live threads. Through `put`, each live thread would
    /// keep a buffer per class it ever filed into in its private slots, out of ageing's reach
    /// for as long as it does not use the class again (and counted against the byte cap).
    pub(crate) fn put_shared(&self, value: T) {
        self.push_shared(value);
    }

    /// [`put_shared`](Self::put_shared) for a thread that is exiting (`ByteBufferPool`'s exit
    /// hook, which may run after this pool's own).
    pub(crate) fn put_stealable(&self, value: T) {
        if let Some(local) = self.push_shared(value) {
            // The thread is exiting, and this pool's own hook may have run already (or never
            // been registered): mark the record for the next thread with this id to re-hook.
            local.seen.set(ORPHANED);
        }
    }

    /// Pushes `value` on the deque of the calling thread's published epoch (its current
    /// deque, also when the record is marked `ORPHANED`); returns the record, or `None` (the
    /// value dropped) after the thread's exit hooks ran.
    fn push_shared(&self, value: T) -> Option<&Local<T>> {
        let Some(local) = self.shared.local() else {
            self.shared.put_exited(value);
            return None;
        };
        bump_owned(&local.remote.puts);
        local.exit_deque().push(value);
        Some(local)
    }

    /// Runs one ageing cycle: what has not been used since the previous cycle becomes the
    /// victim, and the victim of the previous cycle is dropped. Objects not reused for two
    /// cycles are gone after this returns, except a thread's private object and the deque
    /// items of a thread that has not touched the pool since, which that thread drops on its
    /// next call.
    ///
    /// Never blocks `get` or `put`. If another thread is ageing this pool at the same moment
    /// (the janitor, say), this call returns at once: that cycle is this one.
    ///
    /// # Panics
    ///
    /// If a dropped object's `Drop` panics; the cycle is then cut short and the pool stays
    /// usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{AgePolicy, Pool};
    ///
    /// let pool = Pool::builder().age_policy(AgePolicy::Manual).build(|| 0).unwrap();
    /// pool.put(1);
    /// pool.age();
    /// assert_eq!(pool.try_get(), Some(1)); // survived one cycle, as the victim
    /// pool.put(1);
    /// pool.age();
    /// pool.age();
    /// assert_eq!(pool.try_get(), None); // gone after two
    /// ```
    pub fn age(&self) {
        self.shared.age_now();
    }

    /// A snapshot of the pool's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(|| 0);
    /// assert_eq!(pool.stats().gets, 0);
    /// ```
    pub fn stats(&self) -> PoolStats {
        self.shared.stats()
    }

    /// The ageing policy the pool was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::Pool::new(|| 0);
    /// assert_eq!(pool.age_policy(), bytebufferpool::AgePolicy::default());
    /// ```
    pub fn age_policy(&self) -> AgePolicy {
        self.shared.policy
    }

    /// Like [`get`](Self::get), through an `Arc`: the guard owns a reference to the pool, so it
    /// is `'static` and `Send` and can cross an `.await` or go to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(bytebufferpool::Pool::new(Vec::<u8>::new));
    /// let mut v = pool.get_owned();
    /// std::thread::spawn(move || v.push(1)).join().unwrap(); // put back by that thread
    /// ```
    pub fn get_owned(self: &Arc<Self>) -> OwnedPooled<T> {
        let value = match self.shared.try_get() {
            Some(value) => value,
            None => (self.shared.constructor)(),
        };
        OwnedPooled {
            pool: Arc::clone(self),
            value: Some(value),
        }
    }
}

impl<T: Send + Default + 'static> Default for Pool<T> {
    /// A pool that constructs with `T::default()` and ages in the background.
    fn default() -> Self {
        Self::new(T::default)
    }
}

impl<T: Send + 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("age_policy", &self.shared.policy)
            .field("steal_probes", &self.shared.steal_probes)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// An object taken from a [`Pool`]; dereferences to it and puts it back when dropped.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{Pool, Pooled};
///
/// let pool = Pool::new(|| vec![0u8; 4]);
/// let guard = pool.get();
/// let detached: Vec<u8> = Pooled::into_inner(guard); // not returned to the pool
/// assert_eq!(detached.len(), 4);
/// ```
#[must_use = "dropping the guard at once returns the object; use `Pool::try_get` to just take one"]
pub struct Pooled<'a, T: Send + 'static> {
    pool: &'a Pool<T>,
    /// `Some` until the guard is dropped or detached.
    value: Option<T>,
}

/// An object taken from an `Arc<Pool>` with [`Pool::get_owned`]: `'static`, `Send` if `T` is,
/// and put back when dropped.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{OwnedPooled, Pool};
/// use std::sync::Arc;
///
/// let pool = Arc::new(Pool::new(String::new));
/// let guard: OwnedPooled<String> = pool.get_owned();
/// let s: String = OwnedPooled::into_inner(guard);
/// assert!(s.is_empty());
/// ```
#[must_use = "dropping the guard at once returns the object; use `Pool::try_get` to just take one"]
pub struct OwnedPooled<T: Send + 'static> {
    pool: Arc<Pool<T>>,
    /// `Some` until the guard is dropped or detached.
    value: Option<T>,
}

macro_rules! guard_impls {
    ($guard:ident $(<$lt:lifetime>)?) => {
        impl<$($lt,)? T: Send + 'static> $guard<$($lt,)? T> {
            /// Detaches the object: it is not returned to the pool.
            ///
            /// An associated function, not a method, so that it never hides a method of `T`.
            pub fn into_inner(mut guard: Self) -> T {
                match guard.value.take() {
                    Some(value) => value,
                    None => unreachable!("a guard holds its object until dropped"),
                }
            }
        }

        impl<$($lt,)? T: Send + 'static> Deref for $guard<$($lt,)? T> {
            type Target = T;

            #[inline]
            fn deref(&self) -> &T {
                match &self.value {
                    Some(value) => value,
                    None => unreachable!("a guard holds its object until dropped"),
                }
            }
        }

        impl<$($lt,)? T: Send + 'static> DerefMut for $guard<$($lt,)? T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                match &mut self.value {
                    Some(value) => value,
                    None => unreachable!("a guard holds its object until dropped"),
                }
            }
        }

        impl<$($lt,)? T: Send + 'static> Drop for $guard<$($lt,)? T> {
            #[inline]
            fn drop(&mut self) {
                if let Some(value) = self.value.take() {
                    self.pool.put(value);
                }
            }
        }

        impl<$($lt,)? T: Send + fmt::Debug + 'static> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

guard_impls!(Pooled<'a>);
guard_impls!(OwnedPooled);
