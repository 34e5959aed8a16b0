//! [`ByteBufferPool`]: the calibrator, a per-thread front and a size-aware allocator in front
//! of [`Pool<ByteBuffer>`](crate::Pool).

mod classes;
#[allow(unsafe_code)]
mod front;

use std::borrow::{Borrow, BorrowMut};
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};

use crossbeam_utils::CachePadded;

use self::classes::{Hint, SizeClasses};
use self::front::{Fronts, Local};
use crate::buffer::{ByteBuffer, FormatError};
use crate::calibrate::{CalibrationConfig, Calibrator};
use crate::pool::{AgePolicy, Ageable, Pool, hook_thread_exit, register_ageing};
use crate::stats::Stats;
use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering, SingleFlight, Weak};

/// A self-calibrating pool of [`ByteBuffer`]s: Go's `bytebufferpool.Pool`, with sampled
/// calibration, size-aware reuse and bounded memory.
///
/// - [`get`](Self::get) hands out an empty buffer in a guard that returns it on drop. A fresh
///   buffer has the calibrated `default_size` capacity; a pooled one has at least that.
/// - [`get_with_capacity`](Self::get_with_capacity) hands out one with room for `n` bytes.
/// - Returning a buffer (dropping the guard, or [`put`](Self::put)) samples its length (or,
///   from `get_with_capacity(n)`, `n` if that is larger) for the calibrator, clears it, and
///   files it by capacity, or drops it if it is too large.
///
/// # Calibration
///
/// About one put in `S` (32 by default) records the buffer's length in a power-of-two
/// histogram (Go's 20 buckets, 64 B … 32 MiB). Every window of samples (64 by default), one
/// thread recomputes `default_size` (the common body's bucket in that window:
/// [`DefaultSizeRule`]) and `max_size` (the largest of the most frequent buckets covering 95 %
/// of the samples, counting earlier windows at a decaying weight so that it holds steady:
/// [`CalibrationConfig::max_size_decay`]). See `docs/CALIBRATION.md`.
/// [`CalibrationConfig::go`] reproduces Go's algorithm exactly.
///
/// # Size-aware reuse
///
/// Each thread has a *front* in the pool: one slot holding the buffer it returned last (plus
/// its sampling countdown and counters), so a loop that takes and returns one buffer gets the
/// same one back, whatever it grew to, without touching anything shared. Behind the fronts,
/// buffers are kept in one [`Pool`] per size class: each power-of-two octave of the histogram's
/// buckets cut into four classes (64, 80, 96, 112, 128, 160, … B;
/// [`classes_per_octave`](ByteBufferPoolBuilder::classes_per_octave)). A buffer leaving a
/// front slot is filed under the largest class its capacity covers, never a smaller one it
/// could not fill.
///
/// `get()`, which knows no size, takes the front's buffer if it has at least `default_size`,
/// else looks in the class of the buffer this thread returned last, then in the default class,
/// then in larger ones. `get_with_capacity(n)` takes a buffer from the smallest class whose
/// bound is at least `n` or a class up to one octave above it (the front's, if it is in that
/// range), else allocates that class's bound (at most 1.25 `n`), so a small request does not
/// pin a huge buffer and a large one does not get a tiny buffer to regrow.
///
/// # Memory
///
/// A returned buffer is dropped if its capacity exceeds `max_size` (Go's rule; `ByteBuffer`
/// grows to powers of two, so a buffer that served a body within `max_size` fits it). Before
/// the first calibration the limit is the largest bucket's bound (32 MiB by default; Go keeps
/// everything then). Idle buffers age out over two ageing cycles ([`AgePolicy`], a background
/// thread every second by default). A front slot belongs to its thread, so ageing cannot reach
/// into it: at the thread's first call after a cycle, the slot's buffer joins its class pool
/// and ages there (or is dropped, if the thread slept through two cycles); when the thread
/// exits, it goes where other threads can take it and ageing can drop it. Meanwhile at most one
/// buffer per idle, live thread waits, as with [`Pool`]'s private slot. The class pools also
/// age by traffic: a cycle each time they have seen as many gets as the pool has buffers out
/// ([`age_by_traffic`](ByteBufferPoolBuilder::age_by_traffic)), so that under steady load a
/// class whose demand fell does not keep what its last peak left. An optional cap bounds
/// the bytes of capacity the pool holds, fronts included
/// ([`max_retained_bytes`](ByteBufferPoolBuilder::max_retained_bytes)).
///
/// A thread reaches its front through a one-entry thread-local cache of the pool it used
/// last; a thread that alternates between two pools refills it on each switch (a few
/// nanoseconds).
///
/// [`DefaultSizeRule`]: crate::DefaultSizeRule
///
/// # Examples
///
/// ```
/// use bytebufferpool::ByteBufferPool;
/// use std::io::Write as _;
///
/// let pool = ByteBufferPool::new();
/// let mut body = pool.get();
/// write!(body, "{{\"id\":{}}}", 42).unwrap();
/// body.write_all(b"\n").unwrap();
/// assert_eq!(*body, "{\"id\":42}\n");
/// drop(body); // cleared and back in the pool
/// assert!(pool.get().is_empty());
/// ```
pub struct ByteBufferPool {
    /// What the janitor and the thread-exit hooks reach too.
    inner: Arc<Inner>,
    calibrator: Calibrator,
    /// The smallest class's bound: smaller buffers are not kept.
    min_size: usize,
    /// Whether the retained bytes are capped (`Inner::retained` is `Some`). Here, beside
    /// `min_size`, so that the front's paths test it without reaching into `Inner`.
    capped: bool,
    /// Gets that allocated (cold path; `Relaxed` statistics).
    misses: CachePadded<AtomicU64>,
    /// Puts by threads past their exit hooks (see `put_uncached`): counted here, as they have
    /// no per-thread counters to count them.
    exited_puts: AtomicU64,
    /// Puts that dropped the buffer (cold path; `Relaxed` statistics).
    discarded: CachePadded<AtomicU64>,
    age_policy: AgePolicy,
    /// Ageing by traffic: the factor, and the state of the current cycle.
    traffic: Option<(u32, CachePadded<TrafficCycle>)>,
}

/// [`ByteBufferPool`]'s counters, summed over threads.
struct Counts {
    gets: u64,
    /// Gets that the fronts did not serve: served by a class pool, or allocated.
    behind_fronts: u64,
    puts: u64,
    hits: u64,
    misses: u64,
    discarded: u64,
}

/// The state of ageing by traffic.
struct TrafficCycle {
    /// Total gets when the current cycle started.
    start: AtomicU64,
    /// Single-flight flag of the check at a tick.
    checking: AtomicBool,
    /// Classes a buffer was filed in during the previous cycle (`Inner::filed`: during this
    /// one), and during the one before.
    filed_before: Hint,
    filed_earlier: Hint,
}

/// The part of a [`ByteBufferPool`] that ages and that hears of thread exits.
struct Inner {
    /// One pool per size class; class `c` holds capacities in `[bound(c), bound(c + 1))` (the
    /// last class: everything from its bound up). They age only through [`Inner::age_now`].
    classes: Box<[Pool<Box<ByteBuffer>>]>,
    /// The classes' bounds.
    sizes: SizeClasses,
    /// Each thread's slot for the buffer it returned last, its sampling countdown and its
    /// counters.
    fronts: Fronts,
    /// Which classes probably have buffers: a hint for `get`'s search of larger classes, set
    /// when a buffer is filed, cleared by a `get` that found the class empty.
    nonempty: Hint,
    /// Classes a buffer was filed in since the last cycle of ageing by traffic (see
    /// `TrafficCycle`).
    filed: Hint,
    /// Ageing cycles so far. Written under `aging`; read `Relaxed` by a thread catching up
    /// with a cycle (it only decides what happens to a front's buffer).
    epoch: AtomicU64,
    /// Single-flight flag of `age_now`.
    aging: AtomicBool,
    retained: Option<Arc<Retained>>,
}

impl Inner {
    /// One ageing cycle: every class pool ages, and every front must catch up (a new cache key):
    /// the calling thread's at once, the others at their next call (see `catch_up`).
    fn age_now(&self) {
        let Some(_flag) = SingleFlight::enter(&self.aging) else {
            return; // another thread is ageing this pool right now: that is this cycle
        };
        // Relaxed: the epoch orders nothing; buffers move through the class pools and Cells.
        let now = self.epoch.fetch_add(1, Ordering::Relaxed) + 1;
        self.fronts.renew_key();
        // The caller's own front first: its buffer then ages in its class pool from this
        // cycle on, so two `age()` calls drop it (Go's TestPoolRelease).
        if let Some(local) = self.fronts.existing() {
            self.catch_up(local, now);
        }
        for class in self.classes.iter() {
            class.age();
        }
    }

    /// A thread's first call after one or more ageing cycles (or its first call at all): the
    /// buffer its front slot holds joins its class pool, where it ages with the others, or is
    /// dropped if the thread slept through two cycles (it was put two or more cycles ago).
    fn catch_up(&self, local: Local<'_>, now: u64) {
        let seen = local.see(now);
        if seen == now {
            return;
        }
        if let Some(buf) = local.take() {
            local.evicted();
            if now.wrapping_sub(seen) >= 2 {
                self.release(buf);
            } else {
                self.file(buf, Pool::put_shared);
            }
        }
    }

    /// Files a buffer under the largest class its capacity fills, with `put`
    /// (`Pool::put_shared`, or `Pool::put_stealable` for a thread that is exiting: never into
    /// a private slot, which ageing cannot reach), and sets the class's bit in the
    /// non-empty hint and in the classes filed in during this cycle of ageing by traffic.
    fn file(&self, buf: Box<ByteBuffer>, put: fn(&Pool<Box<ByteBuffer>>, Box<ByteBuffer>)) {
        let class = self.sizes.of_capacity(buf.capacity());
        put(&self.classes[class], buf);
        self.nonempty.mark(class);
        self.filed.mark(class);
    }

    /// Drops a buffer the pool held (counted in the retained bytes, if capped).
    fn release(&self, buf: Box<ByteBuffer>) {
        if let Some(r) = &self.retained {
            r.sub(buf.capacity());
        }
        drop(buf);
    }
}

impl Ageable for Inner {
    fn age(&self) {
        self.age_now();
    }

    fn on_thread_exit(&self) {
        // `existing` works here: this hook's thread-local is destroyed before `thread_local`'s
        // id guard, as for `Pool`'s records.
        if let Some(local) = self.fronts.existing() {
            local.set_hooked(false);
            if let Some(buf) = local.take() {
                local.evicted();
                // Onto the class pool's deque, not its private slot: other threads can steal
                // it, and ageing drops it if nobody does.
                self.file(buf, Pool::put_stealable);
            }
        }
    }
}

/// Bytes of capacity held by the class pools and the fronts, when capped.
struct Retained {
    bytes: AtomicUsize,
    limit: usize,
}

impl Retained {
    /// Reserves `n` bytes, or refuses if that would pass the limit. The add and the check are
    /// one atomic step, so concurrent puts cannot together pass the limit.
    fn try_add(&self, n: usize) -> bool {
        // Relaxed: a counter; the buffers themselves move through the pools.
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) <= self.limit {
            true
        } else {
            self.bytes.fetch_sub(n, Ordering::Relaxed);
            false
        }
    }

    fn sub(&self, n: usize) {
        self.bytes.fetch_sub(n, Ordering::Relaxed);
    }
}

/// Builds a [`ByteBufferPool`]; every setting is checked by [`build`](Self::build).
///
/// # Examples
///
/// ```
/// use bytebufferpool::{AgePolicy, ByteBufferPool, CalibrationConfig};
///
/// let mut calibration = CalibrationConfig::default();
/// calibration.sample_every = 4;
/// let pool = ByteBufferPool::builder()
///     .calibration(calibration)
///     .age_policy(AgePolicy::Manual)
///     .max_retained_bytes(64 << 20)
///     .build()
///     .unwrap();
/// assert_eq!(pool.stats().max_retained_bytes, Some(64 << 20));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ByteBufferPoolBuilder {
    calibration: CalibrationConfig,
    age_policy: AgePolicy,
    max_retained_bytes: Option<usize>,
    classes_per_octave: usize,
    age_by_traffic: Option<u32>,
}

impl Default for ByteBufferPoolBuilder {
    fn default() -> Self {
        Self {
            calibration: CalibrationConfig::default(),
            age_policy: AgePolicy::default(),
            max_retained_bytes: None,
            classes_per_octave: ByteBufferPool::DEFAULT_CLASSES_PER_OCTAVE,
            age_by_traffic: ByteBufferPool::DEFAULT_AGE_BY_TRAFFIC,
        }
    }
}

/// Why [`ByteBufferPoolBuilder::build`] refused a configuration: every problem found, and the
/// whole configuration.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{ByteBufferPool, CalibrationConfig};
///
/// let mut bad = CalibrationConfig::default();
/// bad.sample_every = 0;
/// bad.min_size = 100;
/// let err = ByteBufferPool::builder().calibration(bad).build().unwrap_err();
/// assert_eq!(err.problems().len(), 2);
/// assert!(err.to_string().contains("sample_every"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ByteBufferPoolBuildError {
    problems: Vec<String>,
    config: String,
}

impl ByteBufferPoolBuildError {
    /// Each problem, as a sentence.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ByteBufferPoolBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid ByteBufferPool configuration: ")?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{p}")?;
        }
        write!(f, " (configuration: {})", self.config)
    }
}

impl std::error::Error for ByteBufferPoolBuildError {}

impl ByteBufferPoolBuilder {
    /// Sets the calibrator's configuration; the default is [`CalibrationConfig::default`].
    pub fn calibration(mut self, config: CalibrationConfig) -> Self {
        self.calibration = config;
        self
    }

    /// Sets how the class pools age; the default is a background cycle every second.
    pub fn age_policy(mut self, policy: AgePolicy) -> Self {
        self.age_policy = policy;
        self
    }

    /// Caps the bytes of buffer capacity the pool keeps. A returned buffer that would pass the
    /// cap is dropped (and counted in [`Stats::discarded`]). The check is exact under
    /// concurrency, with no per-thread slack; it costs one shared atomic add on each kept put
    /// and one subtract on each reuse, so set it only if you need it.
    pub fn max_retained_bytes(mut self, bytes: usize) -> Self {
        self.max_retained_bytes = Some(bytes);
        self
    }

    /// Sets how many size classes each power-of-two octave of capacities is cut into: 1, 2,
    /// 4 or 8 (at most the calibration's `min_size`); the default is
    /// [`ByteBufferPool::DEFAULT_CLASSES_PER_OCTAVE`].
    ///
    /// [`get_with_capacity(n)`](ByteBufferPool::get_with_capacity) allocates the smallest class
    /// bound that holds `n`, so with `k` classes per octave a fresh buffer has at most `1 + 1/k`
    /// times the room asked for (2× with 1, 1.25× with 4; below `min_size`, `min_size`). Finer classes hold less memory in
    /// flight; each class is one [`Pool`], so more of them cost memory per pool (an empty
    /// pool's structures: 33 KB with 1 class per octave, 60 KB with 2, 115 KB with 4, 223 KB
    /// with 8, measured with a counting allocator) and time when buffers go through the class
    /// pools (about 8 ns per get + release with 4 against 1, with 256 buffers in flight; see
    /// `docs/BENCHMARKS.md`). `get()` allocates power-of-two sizes whatever this is.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::builder().classes_per_octave(4).build().unwrap();
    /// assert_eq!(pool.get_with_capacity(5000).capacity(), 5120); // 4096 + 1024
    /// let coarse = bytebufferpool::ByteBufferPool::builder().classes_per_octave(1).build().unwrap();
    /// assert_eq!(coarse.get_with_capacity(5000).capacity(), 8192);
    /// ```
    pub fn classes_per_octave(mut self, classes: usize) -> Self {
        self.classes_per_octave = classes;
        self
    }

    /// Sets how the size classes age by traffic, besides the
    /// [`age_policy`](Self::age_policy)'s clock: `Some(k)` runs an ageing cycle of the class
    /// pools each time they have seen `k` times as many gets as the pool has buffers out, and
    /// at least [`ByteBufferPool::MIN_TRAFFIC_CYCLE`] gets per thread (the most threads that
    /// have used the pool at once: its per-thread records, whose ids exiting threads hand on),
    /// since the last one; `None` ages by the clock alone. The default is
    /// [`ByteBufferPool::DEFAULT_AGE_BY_TRAFFIC`], `Some(1)`. The gets counted are those that
    /// reach the class pools (served by one, or allocating): a get served by a thread's front
    /// slot never touches them.
    ///
    /// A buffer idle in its class through two such cycles is dropped. Under steady traffic the
    /// clock alone never empties a class whose demand fell for a while, since every second's
    /// cycle finds buffers that were taken recently; by traffic, a buffer is dropped once it
    /// sat idle while every buffer out could have come back once or twice (see
    /// `docs/CALIBRATION.md` for the memory measured with and without it: 1.89× against 2.13×
    /// or more the bytes in use, with 256 buffers in flight). The price is reuse: a buffer idle
    /// for longer than that is allocated again when it is next needed; and time, where buffers
    /// go through the class pools (`docs/BENCHMARKS.md`, `in_flight_256`; in the soak, whose
    /// threads take bursts of 64 × 64 KiB in turn, 16.0 against 21.0 million operations per
    /// second in 30 s runs). Buffers in front slots (one per thread) age by the clock only.
    /// Gets are counted, not puts, so a burst of buffers coming back with nobody asking does
    /// not age itself.
    ///
    /// The check runs at the sampler's ticks (about once per `max(64, S)` puts, `S` being
    /// [`CalibrationConfig::sample_every`], on sampled puts of a non-empty buffer), and "out" is `gets - puts` of the pool's counters (a detached buffer
    /// counts as out for good, which only lengthens the cycle).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::builder().age_by_traffic(None).build().unwrap();
    /// # drop(pool);
    /// ```
    pub fn age_by_traffic(mut self, factor: Option<u32>) -> Self {
        self.age_by_traffic = factor;
        self
    }

    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// A [`ByteBufferPoolBuildError`] listing every invalid setting: see
    /// [`CalibrationConfig`]'s fields, a zero `AgePolicy::Background` interval,
    /// [`classes_per_octave`](Self::classes_per_octave) not one of 1, 2, 4, 8 or above
    /// `min_size`, and [`age_by_traffic(Some(0))`](Self::age_by_traffic).
    pub fn build(self) -> Result<ByteBufferPool, ByteBufferPoolBuildError> {
        let mut problems = self.calibration.problems();
        if let AgePolicy::Background { interval } = self.age_policy {
            if interval.is_zero() {
                problems.push("AgePolicy::Background needs a non-zero interval".into());
            }
        }
        let per_octave = self.classes_per_octave;
        if ![1, 2, 4, 8].contains(&per_octave) {
            problems.push(format!(
                "classes_per_octave {per_octave} is not one of 1, 2, 4, 8"
            ));
        } else if self.calibration.min_size.is_power_of_two()
            && per_octave > self.calibration.min_size
        {
            problems.push(format!(
                "classes_per_octave {per_octave} is above min_size {}: classes would be under a \
                 byte apart",
                self.calibration.min_size
            ));
        }
        if self.age_by_traffic == Some(0) {
            problems.push("age_by_traffic is Some(0); the factor must be at least 1".into());
        }
        if !problems.is_empty() {
            return Err(ByteBufferPoolBuildError {
                problems,
                config: format!("{self:?}"),
            });
        }
        let retained = self.max_retained_bytes.map(|limit| {
            Arc::new(Retained {
                bytes: AtomicUsize::new(0),
                limit,
            })
        });
        let sizes = SizeClasses::new(
            self.calibration.min_size,
            self.calibration.buckets,
            per_octave,
        );
        let classes = (0..sizes.len())
            .map(|_| {
                // Aged by `Inner::age_now`, on the pool's policy, together with the fronts.
                // Uncached: `get` and `put` go from one class to another.
                let mut class = Pool::builder().age_policy(AgePolicy::Manual).uncached();
                if let Some(r) = &retained {
                    // Buffers that age out leave the count as they leave the pool.
                    let r = r.clone();
                    class = class.on_evict(move |buf: Box<ByteBuffer>| r.sub(buf.capacity()));
                }
                class
                    .build(|| Box::new(ByteBuffer::new()))
                    .map_err(|e| ByteBufferPoolBuildError {
                        problems: vec![e.to_string()],
                        config: format!("{self:?}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_boxed_slice();
        let class_count = classes.len();
        let inner = Arc::new(Inner {
            nonempty: Hint::new(classes.len()),
            filed: Hint::new(classes.len()),
            classes,
            sizes,
            fronts: Fronts::new(),
            epoch: AtomicU64::new(0),
            aging: AtomicBool::new(false),
            retained,
        });
        if let AgePolicy::Background { interval } = self.age_policy {
            let weak: Weak<dyn Ageable> = Arc::downgrade(&inner) as Weak<Inner>;
            // If the janitor cannot start, the pool ages only by `age()`, as a `Pool` would.
            let _started = register_ageing(weak, interval);
        }
        let capped = inner.retained.is_some();
        Ok(ByteBufferPool {
            capped,
            inner,
            min_size: self.calibration.min_size,
            // A capped pool must charge and uncharge the cap: its puts, and its gets from the
            // front slots, take the slow paths.
            calibrator: if capped {
                Calibrator::new(self.calibration).without_fast_paths()
            } else {
                Calibrator::new(self.calibration)
            },
            misses: CachePadded::new(AtomicU64::new(0)),
            exited_puts: AtomicU64::new(0),
            discarded: CachePadded::new(AtomicU64::new(0)),
            age_policy: self.age_policy,
            traffic: self.age_by_traffic.map(|k| {
                let cycle = TrafficCycle {
                    start: AtomicU64::new(0),
                    checking: AtomicBool::new(false),
                    filed_before: Hint::new(class_count),
                    filed_earlier: Hint::new(class_count),
                };
                (k, CachePadded::new(cycle))
            }),
        })
    }
}

impl Default for ByteBufferPool {
    fn default() -> Self {
        Self::new()
    }
}

impl ByteBufferPool {
    /// Size classes per power-of-two octave of capacities, unless
    /// [`ByteBufferPoolBuilder::classes_per_octave`] says otherwise.
    pub const DEFAULT_CLASSES_PER_OCTAVE: usize = 4;

    /// Ageing by traffic, unless [`ByteBufferPoolBuilder::age_by_traffic`] says otherwise: a
    /// cycle of the class pools each time they have seen as many gets as the pool has buffers
    /// out.
    pub const DEFAULT_AGE_BY_TRAFFIC: Option<u32> = Some(1);

    /// The fewest gets reaching the class pools between two cycles of ageing by traffic, per
    /// thread using the pool: with several threads taking bursts in turn, a thread's buffers
    /// wait for its next burst while the others' traffic goes on.
    pub const MIN_TRAFFIC_CYCLE: u64 = 256;

    /// A pool with the default calibration and background ageing.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::new();
    /// assert!(pool.get().is_empty());
    /// ```
    pub fn new() -> Self {
        match Self::builder().build() {
            Ok(pool) => pool,
            Err(e) => unreachable!("the default configuration is valid: {e}"),
        }
    }

    /// Starts a [`ByteBufferPoolBuilder`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::builder().build().unwrap();
    /// # drop(pool);
    /// ```
    pub fn builder() -> ByteBufferPoolBuilder {
        ByteBufferPoolBuilder::default()
    }

    /// Takes an empty buffer with at least `default_size` capacity, in a guard that returns it
    /// when dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::new();
    /// let mut buf = pool.get();
    /// buf.extend_from_slice(b"data");
    /// assert!(buf.capacity() >= pool.stats().default_size);
    /// ```
    #[inline]
    pub fn get(&self) -> PooledBuffer<'_> {
        PooledBuffer {
            pool: self,
            buf: Some(self.take_default()),
            requested: 0,
        }
    }

    /// Takes an empty buffer with at least `capacity` bytes of room, in a guard that returns it
    /// when dropped. It comes from `capacity`'s size class (the smallest whose bound is at
    /// least `capacity`) or a class up to one octave above it, or is allocated with the class's
    /// bound (exactly `capacity` above the largest class).
    ///
    /// When the guard returns it, the calibrator samples the larger of its length and
    /// `capacity`: a reservation is demand even if it comes back unused, so sizes that callers
    /// keep reserving are calibrated for (and kept) like sizes they keep writing.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` exceeds `isize::MAX` bytes, as [`Vec::with_capacity`] does; the
    /// pool's stats and state are unchanged then.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::new();
    /// let buf = pool.get_with_capacity(10_000);
    /// assert!(buf.capacity() >= 10_000);
    /// ```
    #[inline]
    pub fn get_with_capacity(&self, capacity: usize) -> PooledBuffer<'_> {
        PooledBuffer {
            pool: self,
            buf: Some(self.take_capacity(capacity)),
            requested: capacity,
        }
    }

    /// Like [`get`](Self::get), through an `Arc`: the guard is `'static` and `Send`, so it can
    /// cross an `.await` or move to another thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(bytebufferpool::ByteBufferPool::new());
    /// let mut buf = pool.get_owned();
    /// std::thread::spawn(move || buf.push_str("from another thread")).join().unwrap();
    /// assert_eq!(pool.stats().puts, 1);
    /// ```
    pub fn get_owned(self: &Arc<Self>) -> OwnedPooledBuffer {
        OwnedPooledBuffer {
            buf: Some(self.take_default()),
            requested: 0,
            pool: Arc::clone(self),
        }
    }

    /// Like [`get_with_capacity`](Self::get_with_capacity), through an `Arc`.
    ///
    /// # Panics
    ///
    /// As [`get_with_capacity`](Self::get_with_capacity) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(bytebufferpool::ByteBufferPool::new());
    /// assert!(pool.get_owned_with_capacity(300).capacity() >= 300);
    /// ```
    pub fn get_owned_with_capacity(self: &Arc<Self>, capacity: usize) -> OwnedPooledBuffer {
        OwnedPooledBuffer {
            buf: Some(self.take_capacity(capacity)),
            requested: capacity,
            pool: Arc::clone(self),
        }
    }

    /// Returns a buffer to the pool: its length is sampled for calibration, then it is cleared
    /// and kept, or dropped if its capacity is below the smallest class, exceeds `max_size`
    /// (before the first calibration: the largest bucket's bound), or would pass the
    /// retained-bytes cap.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{ByteBuffer, ByteBufferPool};
    ///
    /// let pool = ByteBufferPool::new();
    /// pool.put(ByteBuffer::with_capacity(4096));
    /// assert!(pool.get().capacity() >= 4096 || pool.stats().default_size > 4096);
    /// ```
    #[inline]
    pub fn put(&self, buf: ByteBuffer) {
        // Buffers live boxed in the pool, so that taking and returning one moves a pointer,
        // not the three words of the buffer (measured: 3.8 ns against 8.9 ns per get/put
        // pair). Guards keep the box; only a detached buffer is boxed again here.
        self.put_boxed(Box::new(buf), 0);
    }

    /// Samples the buffer, then drops it or keeps it in this thread's front slot (moving the
    /// buffer the slot held to its class pool).
    ///
    /// The common put (this thread's front is cached, the put is not a sample, the capacity is
    /// one the pool keeps and there is no cap to charge) is recognised before anything
    /// changes, so that every other put can start over in [`put_slow`](Self::put_slow). So
    /// nothing is held across a call: where the guard's drop is not inlined, this is a leaf
    /// with no registers to save.
    #[inline]
    fn put_boxed(&self, buf: Box<ByteBuffer>, requested: usize) {
        // The closures take their captures by value: a capture by reference would put
        // `requested` on the stack, and the leaf would need a frame.
        self.inner.fronts.cached_or(
            buf,
            move |local, buf| {
                let countdown = &local.counters.countdown;
                if let Some(next) = countdown.unsampled() {
                    let cap = buf.capacity();
                    if self.calibrator.fast_keeps(cap) {
                        countdown.count_unsampled(next);
                        return self.slot(local, buf);
                    }
                }
                self.put_slow(local, buf, requested)
            },
            move |buf| self.put_uncached(buf, requested),
        );
    }

    /// A put whose thread's front is not in the cache (see [`put_boxed`](Self::put_boxed)).
    #[cold]
    #[inline(never)]
    fn put_uncached(&self, buf: Box<ByteBuffer>, requested: usize) {
        match self.local_missed() {
            Some(local) => self.put_slow(local, buf, requested),
            None => {
                // After the thread's exit hooks ran (see `Pool`'s `thread_exited`): it has no
                // front to file through; counted as a put, and discarded.
                self.exited_puts.fetch_add(1, Ordering::Relaxed);
                self.discard(buf);
            }
        }
    }

    /// Every put but the common one (see [`put_boxed`](Self::put_boxed)): most often a sample.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, local: Local<'_>, buf: Box<ByteBuffer>, requested: usize) {
        // Samples the size the buffer was needed at: its length, or the capacity it was asked
        // for if larger. The countdown also counts the put.
        if self
            .calibrator
            .record(&local.counters.countdown, buf.len().max(requested))
        {
            self.traffic_tick();
        }
        let cap = buf.capacity();
        if !self.keeps(cap) {
            return self.discard(buf);
        }
        if let Some(r) = &self.inner.retained {
            if !r.try_add(cap) {
                return self.discard(buf);
            }
        }
        self.slot(local, buf);
    }

    /// Whether a returned buffer of capacity `cap` is kept (byte cap aside): not below the
    /// smallest class, not above `max_size` (see `Calibrator::keep_limit`).
    #[inline]
    fn keeps(&self, cap: usize) -> bool {
        cap >= self.min_size && cap <= self.calibrator.keep_limit()
    }

    /// Clears a kept buffer and puts it in this thread's front slot, filing the buffer the
    /// slot held in its class pool.
    #[inline(always)]
    fn slot(&self, local: Local<'_>, mut buf: Box<ByteBuffer>) {
        let cap = buf.capacity();
        buf.clear();
        local.set_last_cap(cap);
        if let Some(older) = local.fill(buf) {
            self.unslot(local, older);
        }
    }

    /// This thread's front and counters; `None` once its exit hooks have run.
    #[inline]
    fn local(&self) -> Option<Local<'_>> {
        self.inner.fronts.local(|local| self.catch_up(local))
    }

    /// [`local`](Self::local) for the miss path of a `cached_or` that has just missed: the
    /// lookup, without asking the cache again.
    fn local_missed(&self) -> Option<Local<'_>> {
        self.inner.fronts.missed(|local| self.catch_up(local))
    }

    /// A fresh buffer of `class` (`None`: `default_size`'s), counted as a miss: for a thread
    /// past its exit hooks.
    #[cold]
    #[inline(never)]
    fn fresh_exited(&self, class: Option<usize>) -> Box<ByteBuffer> {
        let sizes = &self.inner.sizes;
        let class = class.unwrap_or_else(|| sizes.of_bucket(self.calibrator.default_bucket()));
        self.fresh(sizes.bound(class))
    }

    /// A fresh buffer of `capacity`, counted as a miss. Allocated before it is counted: a
    /// capacity `Vec` refuses panics, and a get that never happened must not show in the
    /// stats.
    fn fresh(&self, capacity: usize) -> Box<ByteBuffer> {
        let buf = Box::new(ByteBuffer::with_capacity(capacity));
        // Relaxed: statistics.
        self.misses.fetch_add(1, Ordering::Relaxed);
        buf
    }

    /// The slow path of [`local`](Self::local): hooks the thread's exit on its first call, and
    /// catches up with the ageing cycles since its last one.
    #[cold]
    #[inline(never)]
    fn catch_up(&self, local: Local<'_>) {
        if !local.hooked() {
            // The thread's first call (or its first since it inherited an exited thread's
            // record, or one after a hook that could not be set, which counts it again: the
            // calibrator only tells one thread from several).
            self.calibrator.thread_joined();
            let weak: Weak<dyn Ageable> = Arc::downgrade(&self.inner) as Weak<Inner>;
            // Unset if the thread is past its exit hooks: the next thread with this id hooks.
            local.set_hooked(hook_thread_exit(weak));
        }
        // Relaxed: see `Inner::epoch`.
        self.inner
            .catch_up(local, self.inner.epoch.load(Ordering::Relaxed));
    }

    /// About every 64 puts, or once per batch of samples where batches are longer (about
    /// every 224 puts with several threads; see `Calibrator::record`): runs an ageing cycle of
    /// the classes filed in during this cycle or the two before if the class pools have seen
    /// enough gets since the last one (see [`ByteBufferPoolBuilder::age_by_traffic`]).
    ///
    /// The test that there is something to age is inline in the (cold) callers: in a loop
    /// that keeps its one buffer in the front slot it is the whole tick, and out of line
    /// it cost a call that saved six registers.
    #[inline]
    fn traffic_tick(&self) {
        let Some((factor, cycle)) = &self.traffic else {
            return;
        };
        let filed = &self.inner.filed;
        if !filed.any() && !cycle.filed_before.any() && !cycle.filed_earlier.any() {
            return; // nothing to age: every buffer is out, in a front slot, or aged twice
        }
        self.traffic_cycle(*factor, cycle);
    }

    /// [`traffic_tick`](Self::traffic_tick) past its first test.
    #[cold]
    #[inline(never)]
    fn traffic_cycle(&self, factor: u32, cycle: &TrafficCycle) {
        let filed = &self.inner.filed;
        let Some(_flag) = SingleFlight::enter(&cycle.checking) else {
            return;
        };
        let (c, threads) = self.counts_and_threads();
        let out = c.gets.saturating_sub(c.puts);
        let start = cycle.start.load(Ordering::Relaxed);
        let length = out
            .saturating_mul(u64::from(factor))
            .max(Self::MIN_TRAFFIC_CYCLE.saturating_mul(threads));
        // Saturating: a snapshot under load may mix moments.
        if c.behind_fronts.saturating_sub(start) < length {
            return;
        }
        cycle.start.store(c.behind_fronts, Ordering::Relaxed);
        // The classes filed in during this cycle or the two before. Two would do if a filing
        // were seen in `filed` before the cycle that takes it: a class filed in neither has
        // been aged twice since. But a filing's `Relaxed` test of its bit may read a bit this
        // loop is clearing, while its buffer already counts in the class pool's new epoch;
        // the third cycle ages such a buffer a second time.
        for w in 0..filed.words() {
            let now = filed.take(w);
            let before = cycle.filed_before.take(w);
            let mut age = now | before | cycle.filed_earlier.take(w);
            cycle.filed_before.mark_word(w, now);
            cycle.filed_earlier.mark_word(w, before);
            while age != 0 {
                self.inner.classes[w * 64 + age.trailing_zeros() as usize].age();
                age &= age - 1;
            }
        }
    }

    /// A buffer leaves a front slot without being handed out: filed in its class pool.
    #[cold]
    #[inline(never)]
    fn unslot(&self, local: Local<'_>, buf: Box<ByteBuffer>) {
        local.evicted();
        self.inner.file(buf, Pool::put_shared);
    }

    /// Takes the buffer of this thread's front slot if `fits` its capacity; a buffer that
    /// does not fit goes to its class pool.
    #[inline]
    fn take_front(
        &self,
        local: Local<'_>,
        fits: impl FnOnce(usize) -> bool,
    ) -> Option<Box<ByteBuffer>> {
        let buf = local.take()?;
        self.hand_out_front(local, buf, fits)
    }

    /// `buf`, just taken from this thread's front slot, if `fits` its capacity (uncharged
    /// from the byte cap); else it goes to its class pool.
    #[inline]
    fn hand_out_front(
        &self,
        local: Local<'_>,
        buf: Box<ByteBuffer>,
        fits: impl FnOnce(usize) -> bool,
    ) -> Option<Box<ByteBuffer>> {
        if !fits(buf.capacity()) {
            self.unslot(local, buf);
            return None;
        }
        if self.capped {
            self.uncharge(&buf);
        }
        Some(buf)
    }

    /// Recomputes `default_size` and `max_size` from the samples of the window in progress,
    /// now, unless another thread is calibrating at this moment. Returns `false` only in that
    /// case (an empty window decides nothing, and leaves the sizes and the count of
    /// calibrations as they are, but returns `true`). The
    /// pool calibrates by itself at the end of every window; this is for tests and for
    /// adapting at a known moment.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{ByteBuffer, ByteBufferPool, CalibrationConfig};
    ///
    /// let mut every_put = CalibrationConfig::default();
    /// every_put.sample_every = 1;
    /// let pool = ByteBufferPool::builder().calibration(every_put).build().unwrap();
    /// for _ in 0..10 {
    ///     pool.put(ByteBuffer::from(vec![0u8; 3000]));
    /// }
    /// assert!(pool.calibrate());
    /// assert_eq!(pool.stats().default_size, 4096);
    /// ```
    pub fn calibrate(&self) -> bool {
        // The samples this thread holds count in this calibration.
        if let Some(local) = self.inner.fronts.existing() {
            if self.calibrator.flush(&local.counters.countdown) {
                self.traffic_tick();
            }
        }
        self.calibrator.calibrate()
    }

    /// Runs one ageing cycle on every size class: buffers idle for two cycles are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool};
    ///
    /// let pool = ByteBufferPool::builder().age_policy(AgePolicy::Manual).build().unwrap();
    /// pool.put(ByteBuffer::with_capacity(1024));
    /// pool.age();
    /// pool.age();
    /// assert_eq!(pool.stats().hits, 0);
    /// assert!(pool.get().capacity() < 1024 || pool.stats().misses == 1);
    /// ```
    pub fn age(&self) {
        self.inner.age_now();
    }

    /// A snapshot of the calibration and the counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::new();
    /// drop(pool.get());
    /// let s = pool.stats();
    /// assert_eq!((s.gets, s.misses, s.puts), (1, 1, 1));
    /// ```
    pub fn stats(&self) -> Stats {
        let c = self.counts();
        Stats {
            default_size: self.calibrator.default_size(),
            max_size: self.calibrator.max_size(),
            calibrations: self.calibrator.calibrations(),
            gets: c.gets,
            puts: c.puts,
            hits: c.hits,
            misses: c.misses,
            discarded: c.discarded,
            retained_bytes: self
                .inner
                .retained
                .as_ref()
                .map(|r| r.bytes.load(Ordering::Relaxed)),
            max_retained_bytes: self.inner.retained.as_ref().map(|r| r.limit),
            sample_every: self.calibrator.config().sample_every,
            histogram: self.calibrator.current_window(),
            last_window: self.calibrator.last_window(),
        }
    }

    /// The counters, summed over threads.
    fn counts(&self) -> Counts {
        self.counts_and_threads().0
    }

    /// The counters, summed over threads, and the number of threads.
    fn counts_and_threads(&self) -> (Counts, u64) {
        // Relaxed: statistics.
        let misses = self.misses.load(Ordering::Relaxed);
        let discarded = self.discarded.load(Ordering::Relaxed);
        let exited_puts = self.exited_puts.load(Ordering::Relaxed);
        let t = self.inner.fronts.totals();
        let puts = t.puts + exited_puts;
        // Every kept put enters a front slot, and leaves it by a get, by eviction, or not yet
        // (see `front::Counters`); the other gets are served by a class pool or allocate.
        // Saturating: a snapshot under load may mix moments.
        let hits = puts
            .saturating_sub(discarded)
            .saturating_sub(t.evicted)
            .saturating_sub(t.occupied)
            + t.class_gets;
        let counts = Counts {
            gets: hits + misses,
            behind_fronts: t.class_gets + misses,
            puts,
            hits,
            misses,
            discarded,
        };
        (counts, t.threads)
    }

    /// The calibration settings the pool was built with.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = bytebufferpool::ByteBufferPool::new();
    /// assert_eq!(pool.calibration_config().buckets, 20);
    /// ```
    pub fn calibration_config(&self) -> &CalibrationConfig {
        self.calibrator.config()
    }

    /// The buffer for `get()`: this thread's front slot if it holds one of at least
    /// `default_size`; else from the class of the last buffer this thread returned (if it is
    /// above the default), else from the default class, else from a larger one, else fresh.
    // `always`: with the branch for an exited thread, the inliner's estimate left it out of
    // line, which cost W1 0.7 ns (a call, and the loop's values through memory). The cache
    // is asked directly, not through `local()`: its `Option` made the compiler test the
    // cached pointer for null on every get.
    #[inline(always)]
    fn take_default(&self) -> Box<ByteBuffer> {
        self.inner.fronts.cached_or(
            (),
            |local, ()| self.take_default_from(local),
            |()| self.take_default_uncached(),
        )
    }

    /// [`take_default`](Self::take_default) with this thread's front.
    #[inline(always)]
    fn take_default_from(&self, local: Local<'_>) -> Box<ByteBuffer> {
        match local.take() {
            // One comparison (`front_fits` is false in a capped pool, which must uncharge).
            Some(buf) if self.calibrator.front_fits(buf.capacity()) => buf,
            Some(buf) => self.take_default_front(local, buf),
            None => self.take_default_classes(local),
        }
    }

    /// The front slot's buffer did not pass `get()`'s fast test: it is too small for
    /// `default_size` (then it goes to its class pool, and the classes are searched), or the
    /// pool is capped.
    #[cold]
    #[inline(never)]
    fn take_default_front(&self, local: Local<'_>, buf: Box<ByteBuffer>) -> Box<ByteBuffer> {
        let default_size = self.calibrator.default_size();
        match self.hand_out_front(local, buf, |cap| cap >= default_size) {
            Some(buf) => buf,
            None => self.take_default_classes(local),
        }
    }

    /// [`take_default`](Self::take_default) when the thread's front is not in the cache: its
    /// first get, its first after another pool's or after an ageing cycle, or one after its
    /// exit hooks ran (a fresh buffer, as `put_uncached` discards).
    #[cold]
    #[inline(never)]
    fn take_default_uncached(&self) -> Box<ByteBuffer> {
        match self.local_missed() {
            Some(local) => self.take_default_from(local),
            None => self.fresh_exited(None),
        }
    }

    /// `get()`'s search of the class pools. `last_cap`: capacity of the buffer this thread
    /// returned last (0 if none).
    #[cold]
    #[inline(never)]
    fn take_default_classes(&self, local: Local<'_>) -> Box<ByteBuffer> {
        let last_cap = local.last_cap();
        // In a loop that takes and returns one buffer, the same buffer comes back (from the
        // front slot), whatever size it grew to. With several in flight, the others are in
        // the class of the last one, rather than in the default class where a smaller one
        // would regrow.
        let sizes = &self.inner.sizes;
        let default_bucket = self.calibrator.default_bucket();
        let default = sizes.of_bucket(default_bucket);
        let last = sizes.of_capacity(last_cap);
        if last_cap > 0 && last > default {
            if let Some(buf) = self.try_class(local, last) {
                return buf;
            }
        }
        match self.try_class(local, default) {
            Some(buf) => buf,
            None => self.take_slow(
                local,
                default,
                sizes.len() - 1,
                // The bucket's bound, a power of two: every bucket bound is a class bound.
                sizes.bound(default),
            ),
        }
    }

    /// The buffer for `get_with_capacity(capacity)`: the front slot's if it has room and is no
    /// larger than the classes searched (`capacity`'s class and those up to one octave above);
    /// else from those classes; else fresh, with the class's bound.
    #[inline]
    fn take_capacity(&self, capacity: usize) -> Box<ByteBuffer> {
        let sizes = &self.inner.sizes;
        let Some(class) = sizes.for_request(capacity) else {
            // Above the largest class: allocate exactly; `put` files it in the last class or
            // drops it, by `max_size`.
            return self.fresh(capacity);
        };
        let Some(local) = self.local() else {
            return self.fresh_exited(Some(class));
        };
        let last = (class + sizes.per_octave()).min(sizes.len() - 1);
        let fits = |cap: usize| cap >= capacity && sizes.of_capacity(cap) <= last;
        if let Some(buf) = self.take_front(local, fits) {
            return buf;
        }
        match self.try_class(local, class) {
            Some(buf) => buf,
            None => self.take_slow(local, class, last, sizes.bound(class)),
        }
    }

    #[inline]
    fn try_class(&self, local: Local<'_>, class: usize) -> Option<Box<ByteBuffer>> {
        let buf = self.inner.classes[class].try_get()?;
        local.class_got();
        if self.capped {
            self.uncharge(&buf);
        }
        Some(buf)
    }

    /// `first` was empty: look in the classes above it, up to `last`, that the hint marks,
    /// then allocate `fresh` bytes.
    #[cold]
    #[inline(never)]
    fn take_slow(
        &self,
        local: Local<'_>,
        first: usize,
        last: usize,
        fresh: usize,
    ) -> Box<ByteBuffer> {
        let hint = &self.inner.nonempty;
        hint.clear(first);
        let mut from = first + 1;
        while let Some(class) = hint.next(from, last) {
            if let Some(buf) = self.try_class(local, class) {
                return buf;
            }
            hint.clear(class);
            from = class + 1;
        }
        self.fresh(fresh)
    }

    /// A buffer leaves the pool's keeping: no longer counted in the retained bytes.
    #[cold]
    #[inline(never)]
    fn uncharge(&self, buf: &ByteBuffer) {
        if let Some(r) = &self.inner.retained {
            r.sub(buf.capacity());
        }
    }

    #[cold]
    #[inline(never)]
    fn discard(&self, buf: Box<ByteBuffer>) {
        self.discarded.fetch_add(1, Ordering::Relaxed);
        drop(buf);
    }
}

impl fmt::Debug for ByteBufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteBufferPool")
            .field("default_size", &self.calibrator.default_size())
            .field("max_size", &self.calibrator.max_size())
            .field("classes", &self.inner.classes.len())
            .field("age_policy", &self.age_policy)
            .field("age_by_traffic", &self.traffic.as_ref().map(|(k, _)| *k))
            .finish_non_exhaustive()
    }
}

/// A [`ByteBuffer`] taken from a [`ByteBufferPool`]: dereferences to it, and returns it to
/// the pool when dropped. `write!` works on it directly, whichever `Write` traits are in scope.
///
/// # Examples
///
/// ```
/// use bytebufferpool::PooledBuffer;
///
/// let pool = bytebufferpool::ByteBufferPool::new();
/// let mut buf: PooledBuffer<'_> = pool.get();
/// write!(buf, "{}+{}", 1, 2).unwrap();
/// let kept = PooledBuffer::into_inner(buf); // detached: not returned
/// assert_eq!(kept, "1+2");
/// ```
#[must_use = "dropping the guard at once returns the buffer unused"]
pub struct PooledBuffer<'a> {
    pool: &'a ByteBufferPool,
    /// `Some` until dropped or detached.
    buf: Option<Box<ByteBuffer>>,
    /// The capacity asked of `get_with_capacity` (0 for `get`): sampled if the buffer comes
    /// back shorter, since it is what the caller will ask for again.
    requested: usize,
}

/// A [`ByteBuffer`] taken from an `Arc<ByteBufferPool>` with
/// [`get_owned`](ByteBufferPool::get_owned): `'static` and `Send`, returned when dropped.
///
/// # Examples
///
/// ```
/// use bytebufferpool::{ByteBufferPool, OwnedPooledBuffer};
/// use std::sync::Arc;
///
/// let pool = Arc::new(ByteBufferPool::new());
/// let mut buf: OwnedPooledBuffer = pool.get_owned();
/// buf.extend_from_slice(b"moved");
/// let handle = std::thread::spawn(move || buf.len());
/// assert_eq!(handle.join().unwrap(), 5);
/// ```
#[must_use = "dropping the guard at once returns the buffer unused"]
pub struct OwnedPooledBuffer {
    pool: Arc<ByteBufferPool>,
    /// `Some` until dropped or detached.
    buf: Option<Box<ByteBuffer>>,
    /// The capacity asked of `get_with_capacity` (0 for `get`): sampled if the buffer comes
    /// back shorter, since it is what the caller will ask for again.
    requested: usize,
}

macro_rules! buffer_guard {
    ($guard:ident $(<$lt:lifetime>)?) => {
        impl$(<$lt>)? $guard$(<$lt>)? {
            /// Detaches the buffer: it is not returned to the pool.
            ///
            /// An associated function, not a method, so that it never hides a `ByteBuffer`
            /// method.
            pub fn into_inner(mut guard: Self) -> ByteBuffer {
                // The guard then returns nothing.
                guard.buf.take().map(|b| *b).unwrap_or_default()
            }

            #[inline]
            fn buf(&self) -> &ByteBuffer {
                match &self.buf {
                    Some(buf) => buf,
                    None => unreachable!("a guard holds its buffer until dropped"),
                }
            }

            #[inline]
            fn buf_mut(&mut self) -> &mut ByteBuffer {
                match &mut self.buf {
                    Some(buf) => buf,
                    None => unreachable!("a guard holds its buffer until dropped"),
                }
            }

            /// Formats into the buffer; what `write!(guard, ...)` calls. See
            /// [`ByteBuffer::write_fmt`].
            ///
            /// # Errors
            ///
            /// Only a `Display`/`Debug` implementation that returned an error.
            #[inline]
            pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<(), FormatError> {
                self.buf_mut().write_fmt(args)
            }
        }

        impl$(<$lt>)? Drop for $guard$(<$lt>)? {
            #[inline]
            fn drop(&mut self) {
                if let Some(buf) = self.buf.take() {
                    self.pool.put_boxed(buf, self.requested);
                }
            }
        }

        impl$(<$lt>)? Deref for $guard$(<$lt>)? {
            type Target = ByteBuffer;

            #[inline]
            fn deref(&self) -> &ByteBuffer {
                self.buf()
            }
        }

        impl$(<$lt>)? DerefMut for $guard$(<$lt>)? {
            #[inline]
            fn deref_mut(&mut self) -> &mut ByteBuffer {
                self.buf_mut()
            }
        }

        impl$(<$lt>)? AsRef<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn as_ref(&self) -> &[u8] {
                self.buf()
            }
        }

        impl$(<$lt>)? AsMut<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn as_mut(&mut self) -> &mut [u8] {
                self.buf_mut()
            }
        }

        impl$(<$lt>)? Borrow<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn borrow(&self) -> &[u8] {
                self.buf()
            }
        }

        impl$(<$lt>)? BorrowMut<[u8]> for $guard$(<$lt>)? {
            #[inline]
            fn borrow_mut(&mut self) -> &mut [u8] {
                self.buf_mut()
            }
        }

        impl$(<$lt>)? io::Write for $guard$(<$lt>)? {
            #[inline]
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                io::Write::write(self.buf_mut(), data)
            }

            fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
                io::Write::write_vectored(self.buf_mut(), bufs)
            }

            #[inline]
            fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
                io::Write::write_all(self.buf_mut(), data)
            }

            #[inline]
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }

        impl$(<$lt>)? fmt::Write for $guard$(<$lt>)? {
            #[inline]
            fn write_str(&mut self, s: &str) -> fmt::Result {
                fmt::Write::write_str(self.buf_mut(), s)
            }
        }

        impl$(<$lt>)? fmt::Debug for $guard$(<$lt>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self.buf(), f)
            }
        }

        impl$(<$lt>)? PartialEq<[u8]> for $guard$(<$lt>)? {
            fn eq(&self, other: &[u8]) -> bool {
                self.buf().as_slice() == other
            }
        }

        impl$(<$lt>)? PartialEq<str> for $guard$(<$lt>)? {
            fn eq(&self, other: &str) -> bool {
                self.buf().as_slice() == other.as_bytes()
            }
        }
    };
}

buffer_guard!(PooledBuffer<'a>);
buffer_guard!(OwnedPooledBuffer);
