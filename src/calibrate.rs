//! The calibrator: a sampled power-of-two histogram of returned lengths, from which
//! `default_size` and `max_size` are recomputed, single-flight.
//!
//! Go's `bytebufferpool` increments a shared counter on every `Put`. Here a put is *sampled*
//! with probability `1 / S`: each thread counts down a geometric gap drawn from a thread-local
//! RNG (one countdown per thread and pool, kept by the pool), so only about one put in `S`
//! touches a shared, cache-padded counter, and fewer still since a thread adds its samples in
//! small batches (see [`Calibrator::record`]). Geometric gaps are memoryless, so a periodic
//! workload cannot alias with them, and starting a countdown afresh does not bias the sample.

use std::cell::RefCell;
use std::fmt;

use crossbeam_utils::CachePadded;
use once_cell::race::OnceBox;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Exp1};

use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering, SingleFlight};

/// How [`CalibrationConfig`] picks `default_size`, the capacity of fresh buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DefaultSizeRule {
    /// Go's rule: the size of the most frequent bucket (on an exact tie, the larger).
    MostFrequent,
    /// Ours: among the buckets within 10 % of the most frequent count, the largest; and never
    /// below the bucket of the median length. This serves the common body without regrowth
    /// where Go's rule picks a small, slightly more frequent bucket (bytebufferpool#15, #23).
    CommonBody,
}

/// The calibrator's settings. [`Default`] is ours; [`CalibrationConfig::go`] reproduces Go's.
///
/// Fields are public for reading and setting; the struct is `#[non_exhaustive]`, so start from
/// `default()` or `go()`. [`ByteBufferPoolBuilder::build`](crate::ByteBufferPoolBuilder::build)
/// validates it.
///
/// # Examples
///
/// ```
/// use bytebufferpool::CalibrationConfig;
///
/// let mut config = CalibrationConfig::default();
/// config.sample_every = 1; // sample every put: deterministic, for tests
/// config.window = Some(1_000);
/// assert_eq!(CalibrationConfig::go().bucket_threshold, Some(42_000));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CalibrationConfig {
    /// Upper bound of the first bucket, a power of two (Go: 64). Lengths `0..=min_size` fall in
    /// bucket 0, `(min_size·2^(i-1), min_size·2^i]` in bucket `i`.
    pub min_size: usize,
    /// Number of buckets (Go: 20, so 64 B … 32 MiB); lengths above the last bound fall in the
    /// last bucket. Between 1 and 40, and the last bound, `min_size << (buckets - 1)`, at
    /// most 2^62.
    pub buckets: usize,
    /// `S`: on average one put in `S` is sampled (Go: 1, every put). At least 1.
    pub sample_every: u32,
    /// Recalibrate after this many samples (Go: `None`). At least 1 if set. With
    /// `sample_every` above 1 a thread adds its samples in batches of `64 / sample_every` (at
    /// most 7) while it is the only thread using the pool, and of 7 once several threads
    /// have used it, so a window ends at the first batch that reaches it, and a window
    /// shorter than a batch ends at every batch.
    pub window: Option<u64>,
    /// Recalibrate when one bucket passes this many samples (Go: `Some(42_000)`). At least 1
    /// if set. At least one of `window` and `bucket_threshold` must be set.
    pub bucket_threshold: Option<u64>,
    /// `max_size` is the largest bucket among the most frequent ones that together cover this
    /// share of the samples (Go: 0.95). In `(0, 1]`. A bucket without samples is never in the
    /// cover, so 1 gives the largest bucket sampled (Go's walk goes on through the empty
    /// buckets and gives the last one, 32 MiB, whatever the samples).
    pub max_percentile: f64,
    /// Memory of `max_size`'s histogram: each calibration decides `max_size` on the current
    /// window's counts plus this factor times the counts it decided on the previous time (Go:
    /// 0, the current counts alone). In `[0, 1)`.
    ///
    /// The 95 % cover of one small window is decided by its rarest few samples (3 of 64), so
    /// without memory `max_size` jumps between neighbouring buckets from one window to the
    /// next, and each jump down throws away good buffers that the next jump up allocates again.
    /// The default, 0.75, remembers about four windows. A bucket whose remembered weight falls
    /// below 1/1024 of a sample counts as empty (with 0.75, 25 windows after its last sample),
    /// so a size no longer seen leaves the history. A shift to larger bodies still raises
    /// `max_size` at the next calibration (it is never below `default_size`, which follows the
    /// current window alone); a shift to smaller ones lowers it over a few windows.
    pub max_size_decay: f64,
    /// How `default_size` is chosen (Go: [`DefaultSizeRule::MostFrequent`]).
    pub default_rule: DefaultSizeRule,
    /// Seed of the sampling RNG, for reproducible tests (Go: none needed). With a seed, each
    /// per-thread record of this pool draws its gaps from a generator of its own, seeded with
    /// it, so that a pool samples the same puts whatever other pools the thread used before
    /// or uses in between. Records outlive their threads: a new thread that inherits one
    /// (thread ids are recycled) goes on with its generator and countdown, so reproducible
    /// runs use the pool from the same sequence of threads. `None` (the default) draws from
    /// one generator per thread, seeded from the operating system and shared by the unseeded
    /// pools, which is cheaper.
    pub seed: Option<u64>,
    /// `default_size` before the first calibration (Go: 0, where fresh buffers start empty).
    /// A fresh buffer gets the bound of the bucket this size falls in, so 0 (the default)
    /// gives `min_size` bytes. At most the last bucket's bound.
    pub initial_default_size: usize,
}

impl Default for CalibrationConfig {
    /// Go's buckets and 95 % cover, one put in 32 sampled, a recalibration every 64 samples
    /// (about every 2,048 puts), [`DefaultSizeRule::CommonBody`], and a `max_size` histogram
    /// that remembers about four windows (`max_size_decay` 0.75).
    fn default() -> Self {
        Self {
            min_size: 64,
            buckets: 20,
            sample_every: 32,
            window: Some(64),
            bucket_threshold: None,
            max_percentile: 0.95,
            max_size_decay: 0.75,
            default_rule: DefaultSizeRule::CommonBody,
            seed: None,
            initial_default_size: 0,
        }
    }
}

impl CalibrationConfig {
    /// Go's `bytebufferpool` exactly: every put sampled, a recalibration when one bucket passes
    /// 42,000, the most frequent bucket as `default_size`, 95 % cover of the current counts
    /// for `max_size`.
    ///
    /// # Examples
    ///
    /// ```
    /// let go = bytebufferpool::CalibrationConfig::go();
    /// assert_eq!((go.sample_every, go.window), (1, None));
    /// ```
    pub fn go() -> Self {
        Self {
            sample_every: 1,
            window: None,
            bucket_threshold: Some(42_000),
            default_rule: DefaultSizeRule::MostFrequent,
            max_size_decay: 0.0,
            ..Self::default()
        }
    }

    /// Every problem of this configuration, empty if it is valid.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.min_size.is_power_of_two() {
            p.push(format!("min_size {} is not a power of two", self.min_size));
        }
        if !(1..=MAX_BUCKETS).contains(&self.buckets) {
            p.push(format!(
                "buckets {} is not in 1..={MAX_BUCKETS}",
                self.buckets
            ));
        } else if self.min_size.is_power_of_two() {
            let last_bits = self.min_size.trailing_zeros() as usize + self.buckets - 1;
            if last_bits > MAX_BOUND_BITS {
                p.push(format!(
                    "min_size {} with {} buckets puts the last bucket's bound at 2^{last_bits}, \
                     above 2^{MAX_BOUND_BITS}",
                    self.min_size, self.buckets
                ));
            } else if self.initial_default_size > 1 << last_bits {
                p.push(format!(
                    "initial_default_size {} is above the last bucket's bound, {}",
                    self.initial_default_size,
                    1usize << last_bits
                ));
            }
        }
        if self.sample_every == 0 {
            p.push("sample_every is 0; it must be at least 1".into());
        }
        if self.window == Some(0) {
            p.push("window is Some(0); it must be at least 1".into());
        }
        if self.bucket_threshold == Some(0) {
            p.push("bucket_threshold is Some(0); it must be at least 1".into());
        }
        if self.window.is_none() && self.bucket_threshold.is_none() {
            p.push("neither window nor bucket_threshold is set: it would never calibrate".into());
        }
        if !(self.max_percentile > 0.0 && self.max_percentile <= 1.0) {
            p.push(format!(
                "max_percentile {} is not in (0, 1]",
                self.max_percentile
            ));
        }
        if !(0.0..1.0).contains(&self.max_size_decay) {
            p.push(format!(
                "max_size_decay {} is not in [0, 1)",
                self.max_size_decay
            ));
        }
        p
    }
}

/// About how many puts (across all threads) apart [`Calibrator::record`] returns `true`: a
/// tick every `max(1, TICK_PUTS / S)` samples, so every `max(TICK_PUTS, S)` puts or so, or
/// once per batch where batches are longer (see [`Calibrator::thread_joined`]).
pub(crate) const TICK_PUTS: u64 = 64;

/// A bucket's weight in `max_size`'s decayed histogram below this share of one sample is
/// set to 0: such a bucket counts as empty (see [`CalibrationConfig::max_size_decay`]), and
/// the weights never decay into subnormal floats.
const HISTORY_FLOOR: f64 = 1.0 / 1024.0;

/// The largest last bucket bound a configuration may have is `2^MAX_BOUND_BITS`, which
/// leaves the arithmetic on bounds a bit of headroom in `usize`; no buffer that large can be
/// allocated anyway.
const MAX_BOUND_BITS: usize = 62;

/// The most buckets a configuration may have.
const MAX_BUCKETS: usize = 40;

/// The most samples a thread holds before adding them to the shared counts: as many bucket
/// indices as fit in the bytes of [`Countdown::pending`] below its count.
const MAX_BATCH: u64 = 7;

/// Bucket of a length: bucket 0 for `len <= min_size`, else the bit length of
/// `(len - 1) >> log2(min_size)`, clamped to the last bucket. Go's `index()`.
#[inline]
pub(crate) fn bucket_index(len: usize, min_bits: u32, buckets: usize) -> usize {
    let n = len.saturating_sub(1) >> min_bits;
    let i = (usize::BITS - n.leading_zeros()) as usize;
    i.min(buckets - 1)
}

/// Upper bound of bucket `i`: `min_size << i`.
#[inline]
pub(crate) fn bucket_size(i: usize, min_bits: u32) -> usize {
    1usize << (min_bits as usize + i)
}

/// The two sizes a calibration decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) default_size: usize,
    pub(crate) max_size: usize,
}

/// Go's cover: walks the buckets from the most weighted (on an exact tie, the larger first;
/// Go leaves ties to an unstable sort) until their sum passes `percentile` of the total, and
/// returns the largest bucket among them. Unlike Go's walk, it stops at the first bucket of
/// weight 0, which adds nothing to the cover (Go's reaches them only with `percentile` 1, and
/// then returns the last bucket). Bucket 0 if every weight is 0.
///
/// The buckets are picked one by one (the heaviest left, each time) rather than sorted: the
/// walk usually stops after a few, and a sort of 20 `f64`s was about a sixth of the sampling
/// path's cost at one calibration per 2,048 puts (3.6 % of the W1 bench's profile).
fn cover(weights: &[f64], percentile: f64) -> usize {
    let total: f64 = weights.iter().sum();
    // Go compares integer sums with `floor(total * percentile)`; on whole-number weights (a
    // window's counts, below 2^53) these `f64` sums are exact, so the walk is Go's.
    let max_sum = (total * percentile).floor();
    let mut taken = 0u64; // bit `i`: bucket `i` is in the cover (at most 40 buckets)
    let mut sum = 0.0;
    let mut largest = 0;
    while sum <= max_sum {
        // The heaviest bucket not taken yet; on an exact tie, the larger.
        let mut next = None;
        for (i, w) in weights.iter().enumerate() {
            let heavier = |b: usize| w.total_cmp(&weights[b]).is_ge();
            if taken & (1 << i) == 0 && next.is_none_or(heavier) {
                next = Some(i);
            }
        }
        let Some(i) = next else { break }; // every bucket taken
        if weights[i] <= 0.0 {
            break; // only empty buckets left
        }
        taken |= 1 << i;
        sum += weights[i];
        largest = largest.max(i);
    }
    largest
}

/// Decides `default_size` from one window's bucket counts and `max_size` from the cover of
/// `cover_weights` (the window's counts for Go; the decayed history by default); `None` if the
/// window is empty (the sizes then stay as they are).
pub(crate) fn decide(
    counts: &[u64],
    cover_weights: &[f64],
    cfg: &CalibrationConfig,
) -> Option<Decision> {
    let min_bits = cfg.min_size.trailing_zeros();
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    // The most frequent bucket; on an exact tie the larger (Go leaves ties to an unstable sort).
    let mode = (0..counts.len())
        .max_by_key(|&i| (counts[i], i))
        .unwrap_or(0);
    let default_bucket = match cfg.default_rule {
        DefaultSizeRule::MostFrequent => mode,
        DefaultSizeRule::CommonBody => {
            // Near-ties (within 10 % of the top count) go to the larger bucket.
            let near = counts[mode] - counts[mode] / 10;
            let near_tie = (0..counts.len())
                .filter(|&i| counts[i] >= near)
                .max()
                .unwrap_or(mode);
            // Never below the median length's bucket.
            let mut seen = 0;
            let median = (0..counts.len())
                .find(|&i| {
                    seen += counts[i];
                    2 * seen >= total
                })
                .unwrap_or(mode);
            near_tie.max(median)
        }
    };
    let default_size = bucket_size(default_bucket, min_bits);
    let max_size = default_size.max(bucket_size(
        cover(cover_weights, cfg.max_percentile),
        min_bits,
    ));
    Some(Decision {
        default_size,
        max_size,
    })
}

thread_local! {
    /// The sampling RNG of this thread for the unseeded pools, seeded from the operating
    /// system on first use.
    static RNG: RefCell<Option<SmallRng>> = const { RefCell::new(None) };
}

/// One thread's sampling countdown in one pool. Its fields are written only by that thread,
/// as a load and a store (no read-modify-write); `left` and `drawn` are read by
/// [`puts`](Self::puts) from any thread: every put counts down once, so the countdown also
/// counts the puts. `pending` is the owner's alone.
#[derive(Debug, Default)]
pub(crate) struct Countdown {
    /// Puts left until and including the next sample; 0 before the first put.
    left: AtomicU64,
    /// The sum of the gaps drawn so far.
    drawn: AtomicU64,
    /// The seeded generator of this thread in this pool (see [`CalibrationConfig::seed`]),
    /// made at its first draw; unused without a seed. Only the owner locks it. Boxed, one
    /// word: inline (48 bytes) it spread the hot fields of the thread's record in a
    /// `ByteBufferPool` over two cache lines, and W1 took about 0.35 ns longer (measured).
    seeded: OnceBox<Mutex<SmallRng>>,
    /// This thread's samples not yet added to the shared counts (see
    /// [`Calibrator::record`]): their number in the top byte, their buckets one per byte
    /// below it, the first in the lowest.
    pending: AtomicU64,
}

impl Countdown {
    /// Starts a gap of `gap` puts; returns it.
    fn start_gap(&self, gap: u64) -> u64 {
        self.left.store(gap, Ordering::Relaxed);
        // Release: a reader that sees the new sum sees the new `left` (or a later one).
        let drawn = self.drawn.load(Ordering::Relaxed);
        self.drawn.store(drawn.wrapping_add(gap), Ordering::Release);
        gap
    }

    /// If the put in progress is not the sample (nor the first put, which starts a gap):
    /// the countdown's next value, for [`count_unsampled`](Self::count_unsampled). Changes
    /// nothing, so that a caller can check its other conditions before committing the put.
    #[inline]
    pub(crate) fn unsampled(&self) -> Option<u64> {
        // Relaxed: only the owner writes; `puts` reads.
        let n = self.left.load(Ordering::Relaxed);
        (n > 1).then(|| n - 1)
    }

    /// Counts down a put that [`unsampled`](Self::unsampled) found is not the sample; `next`
    /// is what it returned. The owner's alternative to [`Calibrator::record`].
    #[inline]
    pub(crate) fn count_unsampled(&self, next: u64) {
        self.left.store(next, Ordering::Relaxed);
    }

    /// Puts counted so far: the gaps drawn, less what is left of the current one. Read while
    /// the owner restarts a gap, it may come out low (never high), by at most that gap.
    pub(crate) fn puts(&self) -> u64 {
        // Acquire: pairs with the Release in `start_gap`.
        let drawn = self.drawn.load(Ordering::Acquire);
        drawn.saturating_sub(self.left.load(Ordering::Relaxed))
    }
}

/// The live calibrator of one `ByteBufferPool`.
pub(crate) struct Calibrator {
    cfg: CalibrationConfig,
    min_bits: u32,
    /// The smallest capacity the pool's fast put keeps: `min_size`, or `usize::MAX` with the
    /// fast paths off (see [`without_fast_paths`](Self::without_fast_paths)).
    fast_min: usize,
    /// Sampled counts of the current window, one cache line each. Incremented with `Relaxed`
    /// (statistics); swapped to zero by `calibrate`.
    counts: Box<[CachePadded<AtomicU64>]>,
    /// Samples added since the calibrator was made, never reset: the window is what came
    /// after `window_start`, and the traffic clock ticks on its multiples of `tick_samples`
    /// (a count reset at each calibration never ticked when a window was shorter than a
    /// tick). `Relaxed`: a trigger, not a synchronisation.
    samples: CachePadded<AtomicU64>,
    /// `samples` when the current window began (`Relaxed`, as `samples`).
    window_start: AtomicU64,
    /// The decided sizes, read on every get (default) and put (max); written by `calibrate`.
    /// `Relaxed`: readers need some recent value, nothing is published through them.
    sizes: CachePadded<Sizes>,
    /// `1 / -ln(1 - 1/S)`, for drawing geometric gaps.
    inv_rate: f64,
    /// Samples per tick: `TICK_PUTS / S`, at least 1.
    tick_samples: u64,
    /// Samples a thread holds before adding them to the shared counts (see
    /// [`record`](Self::record)): while one thread uses the pool, `tick_samples`, at most
    /// [`MAX_BATCH`]; once several do, [`MAX_BATCH`] (see
    /// [`thread_joined`](Self::thread_joined)); always 1 with `S` = 1. Only grows, so a
    /// thread never holds more than the value it reads. `Relaxed`: any value is valid.
    batch: AtomicU64,
    /// Whether a thread has joined (see [`thread_joined`](Self::thread_joined)).
    joined: AtomicBool,
    /// Single-flight flag; released by its `SingleFlight` guard, also on a panic.
    calibrating: AtomicBool,
    calibrations: AtomicU64,
    /// `max_size`'s histogram: the counts of past windows, decayed by `max_size_decay` at each
    /// calibration (`f64` bits). Touched only under the single-flight flag, whose
    /// Acquire/Release orders the `Relaxed` accesses of successive calibrations.
    history: Box<[AtomicU64]>,
    /// The counts the last calibration decided on (all zero before the first). Written by
    /// `calibrate`, read by `stats`, `Relaxed`: no lock, so reading stats never delays a
    /// calibrating put; a reading during a calibration may mix two windows.
    last_window: Box<[AtomicU64]>,
}

struct Sizes {
    default_size: AtomicUsize,
    /// 0 until the first calibration: keep every buffer, as Go does.
    max_size: AtomicUsize,
    /// The largest capacity a put keeps: `max_size`, or the largest bucket's bound before the
    /// first calibration.
    keep_limit: AtomicUsize,
    /// Bucket of `default_size`, so that `get` need not compute it.
    default_bucket: AtomicUsize,
    /// The smallest capacity the pool's fast get hands out from a thread's front slot:
    /// `default_size`, or `usize::MAX` with the fast paths off (see
    /// [`Calibrator::without_fast_paths`]). One comparison on the get.
    front_min: AtomicUsize,
    /// `keep_limit - fast_min`, or 0 with the fast paths off: the fast put keeps `cap` iff
    /// `cap - fast_min` (wrapping) is at most this, one comparison for both bounds.
    keep_span: AtomicUsize,
}

impl fmt::Debug for Calibrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calibrator")
            .field("default_size", &self.default_size())
            .field("max_size", &self.max_size())
            .field("config", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl Calibrator {
    /// `cfg` must be valid (`problems()` empty).
    pub(crate) fn new(cfg: CalibrationConfig) -> Self {
        let tick_samples = (TICK_PUTS / u64::from(cfg.sample_every)).max(1);
        // The largest bucket's bound, >= `min_size`, the first one's.
        let keep_limit = bucket_size(cfg.buckets - 1, cfg.min_size.trailing_zeros());
        Self {
            min_bits: cfg.min_size.trailing_zeros(),
            counts: (0..cfg.buckets)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            samples: CachePadded::new(AtomicU64::new(0)),
            window_start: AtomicU64::new(0),
            sizes: CachePadded::new(Sizes {
                default_size: AtomicUsize::new(cfg.initial_default_size),
                max_size: AtomicUsize::new(0),
                keep_limit: AtomicUsize::new(keep_limit),
                default_bucket: AtomicUsize::new(bucket_index(
                    cfg.initial_default_size,
                    cfg.min_size.trailing_zeros(),
                    cfg.buckets,
                )),
                front_min: AtomicUsize::new(cfg.initial_default_size),
                keep_span: AtomicUsize::new(keep_limit - cfg.min_size),
            }),
            fast_min: cfg.min_size,
            inv_rate: -1.0 / (1.0 - 1.0 / f64::from(cfg.sample_every)).ln(),
            tick_samples,
            batch: AtomicU64::new(if cfg.sample_every == 1 {
                1 // Go's decisions, at Go's moments
            } else {
                tick_samples.min(MAX_BATCH)
            }),
            joined: AtomicBool::new(false),
            calibrating: AtomicBool::new(false),
            calibrations: AtomicU64::new(0),
            history: (0..cfg.buckets).map(|_| AtomicU64::new(0)).collect(),
            last_window: (0..cfg.buckets).map(|_| AtomicU64::new(0)).collect(),
            cfg,
        }
    }

    pub(crate) fn config(&self) -> &CalibrationConfig {
        &self.cfg
    }

    #[inline]
    pub(crate) fn default_size(&self) -> usize {
        self.sizes.default_size.load(Ordering::Relaxed)
    }

    /// 0 means "no limit yet".
    #[inline]
    pub(crate) fn max_size(&self) -> usize {
        self.sizes.max_size.load(Ordering::Relaxed)
    }

    /// The largest capacity a put keeps: `max_size`, or before the first calibration the
    /// largest bucket's bound (Go keeps everything then; a 1 GiB buffer is never kept here).
    #[inline]
    pub(crate) fn keep_limit(&self) -> usize {
        self.sizes.keep_limit.load(Ordering::Relaxed)
    }

    /// Whether the pool's fast get may hand out a front buffer of capacity `cap`: at least
    /// `default_size`, and the fast paths are on.
    #[inline]
    pub(crate) fn front_fits(&self, cap: usize) -> bool {
        cap >= self.sizes.front_min.load(Ordering::Relaxed)
    }

    /// Whether the pool's fast put keeps a buffer of capacity `cap`: `min_size <= cap <=
    /// keep_limit`, and the fast paths are on. (`keep_limit` >= `min_size` always: it is a
    /// bucket's bound, and `min_size` the first one's.)
    #[inline]
    pub(crate) fn fast_keeps(&self, cap: usize) -> bool {
        cap.wrapping_sub(self.fast_min) <= self.sizes.keep_span.load(Ordering::Relaxed)
    }

    /// Turns the fast tests off: `front_fits` and `fast_keeps` then answer `false`, so that
    /// every get from a front slot and every put takes the pool's slow paths (a pool with a
    /// byte cap, which must charge and uncharge it). Before the calibrator is shared.
    pub(crate) fn without_fast_paths(mut self) -> Self {
        // `cap - usize::MAX` wraps to `cap + 1`, which is above a span of 0 for every
        // capacity `Vec` allows.
        self.fast_min = usize::MAX;
        self.sizes.front_min.store(usize::MAX, Ordering::Relaxed);
        self.sizes.keep_span.store(0, Ordering::Relaxed);
        self
    }

    /// Bucket of `default_size`.
    #[inline]
    pub(crate) fn default_bucket(&self) -> usize {
        self.sizes.default_bucket.load(Ordering::Relaxed)
    }

    /// A thread starts using the pool (its first call; the pool tells). From the second
    /// one on, threads hold [`MAX_BATCH`] samples before adding them, where one thread alone
    /// holds `TICK_PUTS / S`: the shared counts are then written from several cores, and each
    /// read-modify-write on them waits for a cache line held by another core (W2 on 2 cores,
    /// measured: 5.0 ns per op with batches of 2, 3.5 ns with batches of 7). A thread alone
    /// keeps the shorter batches, which tick for ageing by traffic every 64 puts rather than
    /// every 224 (see [`record`](Self::record)).
    pub(crate) fn thread_joined(&self) {
        // Relaxed, both: see `batch`.
        if self.joined.swap(true, Ordering::Relaxed) && self.cfg.sample_every > 1 {
            self.batch.store(MAX_BATCH, Ordering::Relaxed);
        }
    }

    pub(crate) fn calibrations(&self) -> u64 {
        self.calibrations.load(Ordering::Relaxed)
    }

    /// Counts one put down on `countdown` (the caller's, for this calibrator) and records `len`
    /// if this put is the sample. Each thread keeps its own countdown per pool, so the only
    /// shared writes are the samples'.
    ///
    /// With `S` > 1 a thread holds its samples and adds them to the shared counts in batches
    /// (of `TICK_PUTS / S`, at most 7: 2 by default, while one thread uses the pool; of 7
    /// once several do, see [`thread_joined`](Self::thread_joined)), one read-modify-write
    /// per distinct bucket and one for their number, instead of two per sample. So a
    /// calibration may miss up to a batch less one of each thread's latest samples; they count
    /// in the next window. [`flush`](Self::flush) adds the calling thread's at once.
    ///
    /// A size of 0 is never recorded: a buffer taken with `get()` and returned unused says
    /// nothing about the sizes of bodies (Go counts it in the smallest bucket, which drags the
    /// decided sizes down when, say, a burst of buffers is taken and returned unused). The pool
    /// passes the larger of the length and the capacity asked of `get_with_capacity`.
    ///
    /// A thread that exits leaves the samples it holds in its record; they are added when
    /// `thread_local` hands the record to a new thread, and never if none comes.
    ///
    /// Returns `true` about once per [`TICK_PUTS`] puts across all threads (when the shared
    /// count of samples passes a multiple of `TICK_PUTS / S`; from `S` = 10 up a batch is that
    /// long, so each batch is about one tick), or once per batch where batches are longer
    /// (about every 224 puts with several threads and `S` = 32): the pool's clock for ageing
    /// by traffic.
    #[inline]
    pub(crate) fn record(&self, countdown: &Countdown, len: usize) -> bool {
        // Relaxed, here and in `restart_countdown`: only the owner writes; `puts` reads.
        match countdown.unsampled() {
            Some(next) => {
                countdown.count_unsampled(next);
                false
            }
            None => self.restart_countdown(countdown, len),
        }
    }

    /// The countdown ran out (`n == 1`: this put is the sample) or has not started (`n == 0`:
    /// this put is the first of a fresh gap, which the geometric distribution's
    /// memorylessness allows). Inline: the pool calls `record` only on its cold path, where
    /// this is the common case.
    #[inline]
    fn restart_countdown(&self, countdown: &Countdown, len: usize) -> bool {
        // Relaxed: as in `unsampled`.
        let mut n = countdown.left.load(Ordering::Relaxed);
        if n == 0 {
            n = countdown.start_gap(self.draw_gap(countdown));
            if n > 1 {
                countdown.left.store(n - 1, Ordering::Relaxed);
                return false;
            }
        }
        countdown.start_gap(self.draw_gap(countdown));
        len > 0 && self.hold_sample(countdown, len)
    }

    /// A geometric gap with mean `S`: `1 + floor(E / λ)`, with `E` exponential of mean 1 and
    /// `λ = -ln(1 - 1/S)`, so that `P(gap > k) = P(E >= k λ) = (1 - 1/S)^k`. `E` comes from
    /// `rand_distr`'s ziggurat, which needs a logarithm only in its rare tail: about a third
    /// of the cost of the inversion `1 + floor(ln U / ln(1 - 1/S))` in a loop on this machine.
    #[inline]
    fn draw_gap(&self, countdown: &Countdown) -> u64 {
        if self.cfg.sample_every == 1 {
            return 1;
        }
        let e: f64 = match self.cfg.seed {
            Some(seed) => Self::draw_seeded(countdown, seed),
            None => RNG
                .try_with(|rng| {
                    let mut rng = rng.borrow_mut();
                    Exp1.sample(rng.get_or_insert_with(|| SmallRng::from_rng(&mut rand::rng())))
                })
                .unwrap_or(std::f64::consts::LN_2), // the median
        };
        // `e * inv_rate` is >= 0, so truncating is `floor`; the cast saturates (and maps NaN
        // to 0), and it spares a call of libm's `floor`. In 64 bits: with `S` near
        // `u32::MAX`, a third of the gaps are longer than `u32::MAX`, and capping them there
        // sampled about 1.6 puts in `S`. Through `i64`, one instruction on x86-64 where `u64`
        // takes several, and the same gaps: `inv_rate` < 2^32 and `E` < 50, so the product is
        // far below `i64::MAX`, unless the ziggurat's tail draws a uniform 0 (`E` infinite, a
        // chance of 2^-53 per draw), where either cast saturates.
        let below = (e * self.inv_rate) as i64 as u64;
        below + 1 // at most `i64::MAX + 1`
    }

    /// `E` for [`draw_gap`](Self::draw_gap) from the countdown's own generator, seeded with
    /// `seed` at its first draw. Out of line: the seeded pools are for tests, and the common
    /// draw should not carry this one's code.
    #[cold]
    #[inline(never)]
    fn draw_seeded(countdown: &Countdown, seed: u64) -> f64 {
        let rng = countdown
            .seeded
            .get_or_init(|| Box::new(Mutex::new(SmallRng::seed_from_u64(seed))));
        // Poisoned only if a draw panicked, which leaves the generator as it was.
        let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
        Exp1.sample(&mut *rng)
    }

    /// Holds a sample in the thread's batch, and adds the batch to the shared counts once
    /// it is full. Returns whether that made a tick (see [`record`](Self::record)).
    fn hold_sample(&self, countdown: &Countdown, len: usize) -> bool {
        let i = bucket_index(len, self.min_bits, self.cfg.buckets) as u64;
        // Relaxed: only the owner writes `pending` (and `stats` never reads it).
        let pending = countdown.pending.load(Ordering::Relaxed);
        let held = pending >> 56;
        let pending = (pending & !(0xff << 56)) | i << (8 * held) | (held + 1) << 56;
        // Relaxed: see `batch`.
        if held + 1 < self.batch.load(Ordering::Relaxed) {
            countdown.pending.store(pending, Ordering::Relaxed);
            return false;
        }
        countdown.pending.store(0, Ordering::Relaxed);
        self.add_samples(pending, true)
    }

    /// Adds the samples the calling thread holds in `countdown` to the shared counts, for a
    /// calibration that the caller runs next (so this one does not check the triggers, which
    /// would calibrate first and leave the caller's an empty window). Returns whether that
    /// made a tick.
    pub(crate) fn flush(&self, countdown: &Countdown) -> bool {
        // Relaxed: as in `hold_sample`.
        let pending = countdown.pending.load(Ordering::Relaxed);
        if pending == 0 {
            return false;
        }
        countdown.pending.store(0, Ordering::Relaxed);
        self.add_samples(pending, false)
    }

    /// Adds a batch of samples (see [`Countdown::pending`]) to the shared counts: one
    /// read-modify-write per distinct bucket and one for their number. With `triggers`,
    /// calibrates if that ends the window or passes the bucket threshold. Returns whether it
    /// made a tick.
    #[cold]
    #[inline(never)]
    fn add_samples(&self, pending: u64, triggers: bool) -> bool {
        let held = pending >> 56;
        debug_assert!((1..=MAX_BATCH).contains(&held));
        // The common batch: every sample in one bucket (a steady workload), one add. The
        // buckets are the low `held` bytes (`held` <= 7).
        let first = pending & 0xff;
        let bytes = (1u64 << (8 * held)) - 1;
        let by_bucket = if (pending ^ first.wrapping_mul(0x0101_0101_0101_0101)) & bytes == 0 {
            // Relaxed: statistics and triggers.
            let n = self.counts[first as usize].fetch_add(held, Ordering::Relaxed) + held;
            self.cfg.bucket_threshold.is_some_and(|t| n > t)
        } else {
            self.add_mixed(pending, held)
        };
        let s = self.samples.fetch_add(held, Ordering::Relaxed) + held;
        if triggers && (self.window_ended(s) || by_bucket) {
            self.calibrate_if_due();
        }
        // A tick if the count passed a multiple of `tick_samples`: one lies in `(s - held, s]`.
        s % self.tick_samples < held
    }

    /// [`add_samples`](Self::add_samples) of a batch whose samples fell in several buckets:
    /// one add per bucket. Returns whether a bucket passed `bucket_threshold`.
    fn add_mixed(&self, pending: u64, held: u64) -> bool {
        let bucket = |j: u64| (pending >> (8 * j)) as u8 as usize;
        let mut by_bucket = false;
        for j in 0..held {
            let i = bucket(j);
            if (0..j).any(|k| bucket(k) == i) {
                continue; // added with its first occurrence
            }
            let same = (j..held).filter(|&k| bucket(k) == i).count() as u64;
            // Relaxed: statistics and triggers.
            let n = self.counts[i].fetch_add(same, Ordering::Relaxed) + same;
            by_bucket |= self.cfg.bucket_threshold.is_some_and(|t| n > t);
        }
        by_bucket
    }

    /// Recomputes the sizes from the current window, unless another thread is doing it now.
    /// Returns whether this call calibrated.
    pub(crate) fn calibrate(&self) -> bool {
        self.calibrate_with(decide)
    }

    /// A trigger fired (see [`add_samples`](Self::add_samples)): calibrates if, under the
    /// single-flight flag, the window has still ended or a bucket still passes the threshold.
    /// The trigger read the count and the window's start apart, without the flag, so it may
    /// have mixed a calibration's new start with an older count, or seen an older start
    /// after that calibration; either way the window it saw ended is one another calibration
    /// already took, and a second now would decide on the few samples since.
    fn calibrate_if_due(&self) -> bool {
        let Some(flag) = SingleFlight::enter(&self.calibrating) else {
            return false;
        };
        // Relaxed: the flag's Acquire orders these after the last calibration's stores.
        let by_window = self.window_ended(self.samples.load(Ordering::Relaxed));
        let by_bucket = self
            .cfg
            .bucket_threshold
            .is_some_and(|t| self.counts.iter().any(|c| c.load(Ordering::Relaxed) > t));
        if !(by_window || by_bucket) {
            return false;
        }
        self.calibrate_held(&flag, decide)
    }

    /// `calibrate` with the decision injected (tests make it panic).
    pub(crate) fn calibrate_with(
        &self,
        decide: impl FnOnce(&[u64], &[f64], &CalibrationConfig) -> Option<Decision>,
    ) -> bool {
        // Its Acquire/Release also orders successive calibrations' `Relaxed` history accesses.
        let Some(flag) = SingleFlight::enter(&self.calibrating) else {
            return false;
        };
        self.calibrate_held(&flag, decide)
    }

    /// Whether the window has ended with `samples` added in all: `window` samples since its
    /// start. Saturating: a calibration that began after those were counted may have moved
    /// the start past `samples`; the window it opened has not ended.
    fn window_ended(&self, samples: u64) -> bool {
        // Relaxed: a trigger (see `samples`).
        let start = self.window_start.load(Ordering::Relaxed);
        self.cfg
            .window
            .is_some_and(|w| samples.saturating_sub(start) >= w)
    }

    /// The calibration itself, under the single-flight flag `_flag` (taken by the caller).
    fn calibrate_held(
        &self,
        _flag: &SingleFlight<'_>,
        decide: impl FnOnce(&[u64], &[f64], &CalibrationConfig) -> Option<Decision>,
    ) -> bool {
        self.window_start
            .store(self.samples.load(Ordering::Relaxed), Ordering::Relaxed);
        let mut window = [0u64; MAX_BUCKETS];
        let counts = &mut window[..self.counts.len()];
        for (c, live) in counts.iter_mut().zip(self.counts.iter()) {
            // A plain load first: most buckets are empty, and a locked swap of each of the 20
            // lines was most of a calibration's cost. A sample added between the two counts
            // in the next window, as it would if it came after the swap.
            if live.load(Ordering::Relaxed) != 0 {
                *c = live.swap(0, Ordering::Relaxed);
            }
        }
        let mut history = [0.0f64; MAX_BUCKETS];
        let history = &mut history[..counts.len()];
        if counts.iter().any(|&c| c > 0) {
            // An empty window decides nothing, and does not age the history either.
            self.fold_into_history(counts, history);
        }
        if let Some(d) = decide(counts, history, &self.cfg) {
            self.sizes
                .default_size
                .store(d.default_size, Ordering::Relaxed);
            self.sizes.max_size.store(d.max_size, Ordering::Relaxed);
            self.sizes.keep_limit.store(d.max_size, Ordering::Relaxed);
            if self.fast_min != usize::MAX {
                // `max_size` >= `default_size` >= `min_size` (`decide`).
                let span = d.max_size.saturating_sub(self.fast_min);
                self.sizes.keep_span.store(span, Ordering::Relaxed);
                self.sizes
                    .front_min
                    .store(d.default_size, Ordering::Relaxed);
            }
            let bucket = |size| bucket_index(size, self.min_bits, self.cfg.buckets);
            self.sizes
                .default_bucket
                .store(bucket(d.default_size), Ordering::Relaxed);
            self.calibrations.fetch_add(1, Ordering::Relaxed);
            for (last, &c) in self.last_window.iter().zip(counts.iter()) {
                last.store(c, Ordering::Relaxed);
            }
        }
        true
    }

    /// `history = max_size_decay × history + counts`, each weight below [`HISTORY_FLOOR`] set
    /// to 0, stored and copied into `out`. With a decay of 0 (Go) that is the window's counts,
    /// exactly.
    fn fold_into_history(&self, counts: &[u64], out: &mut [f64]) {
        for ((o, h), &c) in out.iter_mut().zip(self.history.iter()).zip(counts) {
            // Relaxed: see `history`.
            let v = f64::from_bits(h.load(Ordering::Relaxed)) * self.cfg.max_size_decay + c as f64;
            let v = if v < HISTORY_FLOOR { 0.0 } else { v };
            h.store(v.to_bits(), Ordering::Relaxed);
            *o = v;
        }
    }

    /// (bucket upper bound, samples) of the window in progress.
    pub(crate) fn current_window(&self) -> Vec<(usize, u64)> {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, c)| (bucket_size(i, self.min_bits), c.load(Ordering::Relaxed)))
            .collect()
    }

    /// (bucket upper bound, samples) of the window the last calibration decided on.
    pub(crate) fn last_window(&self) -> Vec<(usize, u64)> {
        if self.calibrations() == 0 {
            return Vec::new();
        }
        self.last_window
            .iter()
            .enumerate()
            .map(|(i, c)| (bucket_size(i, self.min_bits), c.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The decision on one window alone (Go's setting, `max_size_decay` 0): the cover is taken
    /// over the window's own counts. Shadows the glob-imported `super::decide`.
    fn decide(counts: &[u64], cfg: &CalibrationConfig) -> Option<Decision> {
        let weights: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        super::decide(counts, &weights, cfg)
    }

    const GO_MIN_BITS: u32 = 6;

    fn go_index(n: usize) -> usize {
        bucket_index(n, GO_MIN_BITS, 20)
    }

    /// Go's `TestIndex`.
    #[test]
    fn go_test_index() {
        for (n, want) in [
            (0, 0),
            (1, 0),
            (63, 0),
            (64, 0),
            (65, 1),
            (127, 1),
            (128, 1),
        ] {
            assert_eq!(go_index(n), want, "index({n})");
        }
        assert_eq!(go_index(129), 2);
        let max = 1 << (6 + 20 - 1); // 32 MiB
        assert_eq!(go_index(max - 1), 19);
        assert_eq!(go_index(max), 19);
        assert_eq!(go_index(max + 1), 19);
        assert_eq!(go_index(usize::MAX), 19);
        assert_eq!(bucket_size(0, GO_MIN_BITS), 64);
        assert_eq!(bucket_size(19, GO_MIN_BITS), 32 << 20);
    }

    /// Every length lands in the bucket whose bounds hold it.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn index_matches_bounds() {
        for len in 0..100_000usize {
            let i = go_index(len);
            assert!(len <= bucket_size(i, GO_MIN_BITS) || i == 19);
            if i > 0 {
                assert!(len > bucket_size(i - 1, GO_MIN_BITS));
            }
        }
    }

    fn counts_of(lens: impl IntoIterator<Item = usize>) -> Vec<u64> {
        let mut c = vec![0; 20];
        for l in lens {
            c[go_index(l)] += 1;
        }
        c
    }

    #[test]
    fn all_bodies_of_1000_bytes() {
        let c = counts_of(std::iter::repeat_n(1000, 5000));
        for cfg in [CalibrationConfig::default(), CalibrationConfig::go()] {
            let d = decide(&c, &cfg).unwrap();
            assert_eq!(d.default_size, 1024, "{cfg:?}");
            assert_eq!(d.max_size, 1024, "{cfg:?}");
        }
    }

    #[test]
    fn empty_window_decides_nothing() {
        assert_eq!(decide(&[0; 20], &CalibrationConfig::default()), None);
    }

    /// bytebufferpool#23: two top buckets that (nearly) tie go to the larger.
    #[test]
    fn ties_go_to_the_larger_bucket() {
        let mut c = vec![0u64; 20];
        c[5] = 1000; // 2 KiB
        c[6] = 1000; // 4 KiB
        assert_eq!(
            decide(&c, &CalibrationConfig::go()).unwrap().default_size,
            4096
        );
        assert_eq!(
            decide(&c, &CalibrationConfig::default())
                .unwrap()
                .default_size,
            4096
        );
        // A near-tie: Go takes the strictly larger count, ours the larger size.
        c[5] = 1040;
        assert_eq!(
            decide(&c, &CalibrationConfig::go()).unwrap().default_size,
            2048
        );
        assert_eq!(
            decide(&c, &CalibrationConfig::default())
                .unwrap()
                .default_size,
            4096
        );
    }

    /// bytebufferpool#15: a small mode below the bulk of the data.
    #[test]
    fn default_is_never_below_the_median() {
        let mut c = vec![0u64; 20];
        c[1] = 300; // 128 B: the single most frequent bucket
        c[4] = 250; // 1 KiB
        c[5] = 250; // 2 KiB
        c[6] = 200; // 4 KiB
        let go = decide(&c, &CalibrationConfig::go()).unwrap();
        assert_eq!(
            go.default_size, 128,
            "Go's rule: far too small for 70 % of bodies"
        );
        let ours = decide(&c, &CalibrationConfig::default()).unwrap();
        assert_eq!(ours.default_size, 1024, "the median body's bucket");
        assert_eq!(ours.max_size, 4096);
    }

    #[test]
    fn bodies_above_the_last_bucket() {
        // 40 MiB bodies fall in the last bucket, whose bound is 32 MiB.
        let c = counts_of(std::iter::repeat_n(40 << 20, 100));
        let d = decide(&c, &CalibrationConfig::default()).unwrap();
        assert_eq!(d.default_size, 32 << 20);
        assert_eq!(d.max_size, 32 << 20);
    }

    /// `max_percentile` 1 covers every sample: `max_size` is the largest bucket sampled. Go's
    /// walk goes on through the empty buckets and returns the last one, 32 MiB.
    #[test]
    fn a_full_cover_is_the_largest_bucket_sampled() {
        let c = counts_of([300; 60].into_iter().chain([5_000; 4]));
        let cfg = CalibrationConfig {
            max_percentile: 1.0,
            ..CalibrationConfig::default()
        };
        let d = decide(&c, &cfg).unwrap();
        assert_eq!((d.default_size, d.max_size), (512, 8192));
        let mut go = CalibrationConfig::go();
        go.max_percentile = 1.0;
        assert_eq!(go_calibrate_with(&c, 1.0), (512, 32 << 20), "Go's walk");
        assert_eq!(decide(&c, &go).unwrap().max_size, 8192);
    }

    /// A size no longer seen leaves `max_size`'s decayed histogram once its weight falls below
    /// 1/1024 of a sample, as exactly 0 (never a subnormal float). It matters with a full
    /// cover: there any weight left counts whenever the rest sums to a whole number (the
    /// cover's bound is `floor(total)`), so a crumb of a size last seen thousands of windows
    /// ago could set `max_size`.
    #[test]
    fn a_faded_bucket_leaves_the_history() {
        let mut crumb = vec![0.0; 20];
        crumb[2] = 40.0;
        crumb[11] = 1e-300;
        assert_eq!(cover(&crumb, 1.0), 11, "a crumb counts in a full cover");

        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 1,
            window: Some(10),
            max_percentile: 1.0,
            ..CalibrationConfig::default()
        });
        let left = Countdown::default();
        for _ in 0..10 {
            cal.record(&left, 100_000); // bucket 11, 128 KiB
        }
        assert_eq!(cal.max_size(), 128 << 10);
        let old = |cal: &Calibrator| f64::from_bits(cal.history[11].load(Ordering::Relaxed));
        // 10 × 0.75^k passes below 1/1024 at k = 33.
        for k in 1..=33 {
            for _ in 0..10 {
                cal.record(&left, 256);
            }
            if k == 32 {
                assert!(old(&cal) > HISTORY_FLOOR, "{}", old(&cal));
            }
        }
        assert_eq!(old(&cal).to_bits(), 0, "exactly zero");
        assert_eq!((cal.calibrations(), cal.max_size()), (34, 256));
    }

    /// The sizes of `workloads/sizes.txt` (100,000 lognormal bodies, median ~2 KiB): Go's
    /// bucket shares are 20.36 % (2 KiB) and 20.43 % (4 KiB), cumulative 98.38 % at 32 KiB.
    #[test]
    fn shared_workload_sizes() {
        let c: Vec<u64> = vec![
            421, 1246, 3891, 8728, 15408, 20361, 20435, 15134, 8959, 3798, 1229, 328, 54, 8, 0, 0,
            0, 0, 0, 0,
        ];
        assert_eq!(c.iter().sum::<u64>(), 100_000);
        let go = decide(&c, &CalibrationConfig::go()).unwrap();
        // Go: the 4 KiB bucket wins by 74 bodies out of 100,000; a window in which 2 KiB
        // wins gives 2 KiB instead.
        assert_eq!((go.default_size, go.max_size), (4096, 32768));
        let ours = decide(&c, &CalibrationConfig::default()).unwrap();
        assert_eq!((ours.default_size, ours.max_size), (4096, 32768));
        // Swap the two top counts: Go flips to 2 KiB, ours stays at 4 KiB.
        let mut flipped = c.clone();
        flipped.swap(5, 6);
        assert_eq!(
            decide(&flipped, &CalibrationConfig::go())
                .unwrap()
                .default_size,
            2048
        );
        assert_eq!(
            decide(&flipped, &CalibrationConfig::default())
                .unwrap()
                .default_size,
            4096
        );
    }

    /// Go's calibrate(), transcribed, as the reference.
    fn go_calibrate(counts: &[u64]) -> (usize, usize) {
        go_calibrate_with(counts, 0.95)
    }

    /// Go's calibrate() with another `maxPercentile`.
    fn go_calibrate_with(counts: &[u64], max_percentile: f64) -> (usize, usize) {
        let mut a: Vec<(u64, usize)> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, 64usize << i))
            .collect();
        let calls_sum: u64 = counts.iter().sum();
        a.sort_by_key(|x| std::cmp::Reverse(x.0));
        let default_size = a[0].1;
        let mut max_size = default_size;
        let max_sum = (calls_sum as f64 * max_percentile) as u64;
        let mut calls_sum = 0;
        for &(calls, size) in &a {
            if calls_sum > max_sum {
                break;
            }
            calls_sum += calls;
            if size > max_size {
                max_size = size;
            }
        }
        (default_size, max_size)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

        /// With Go's configuration, the decisions equal Go's on any window without ties (on
        /// ties Go's unstable sort is arbitrary).
        #[test]
        fn go_config_decides_as_go(counts in proptest::collection::vec(0u64..50_000, 20)) {
            let mut distinct = counts.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assume!(distinct.len() == 20 && counts.iter().sum::<u64>() > 0);
            let d = decide(&counts, &CalibrationConfig::go()).unwrap();
            prop_assert_eq!((d.default_size, d.max_size), go_calibrate(&counts));
        }

        /// The pick-by-pick cover equals the cover by a full sort (Go's walk), ties included.
        #[test]
        fn cover_equals_the_sorted_walk(
            weights in proptest::collection::vec(0u32..6, 1..=40),
            percentile in 0.0f64..=1.0,
        ) {
            let weights: Vec<f64> = weights.into_iter().map(f64::from).collect();
            let mut order: Vec<usize> = (0..weights.len()).collect();
            order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]).then(b.cmp(&a)));
            let max_sum = (weights.iter().sum::<f64>() * percentile).floor();
            let (mut sum, mut largest) = (0.0, 0);
            for i in order {
                // Go's walk, except that it stops at the empty buckets.
                if sum > max_sum || weights[i] == 0.0 {
                    break;
                }
                sum += weights[i];
                largest = largest.max(i);
            }
            prop_assert_eq!(cover(&weights, percentile), largest);
        }

        /// max_size is never below default_size, and both are bucket bounds.
        #[test]
        fn sizes_are_ordered_bucket_bounds(counts in proptest::collection::vec(0u64..1000, 20)) {
            if let Some(d) = decide(&counts, &CalibrationConfig::default()) {
                prop_assert!(d.max_size >= d.default_size);
                prop_assert!(d.default_size.is_power_of_two() && d.default_size >= 64);
            }
        }
    }

    /// With S = 1 every put is a sample; the trigger is Go's: the 42,001st in one bucket.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn go_trigger_on_42001st_put() {
        let cal = Calibrator::new(CalibrationConfig::go());
        let left = Countdown::default();
        for _ in 0..42_000 {
            cal.record(&left, 1000);
        }
        assert_eq!(cal.calibrations(), 0);
        assert_eq!(cal.max_size(), 0, "no limit before the first calibration");
        cal.record(&left, 1000);
        assert_eq!(cal.calibrations(), 1);
        assert_eq!(left.puts(), 42_001);
        assert_eq!((cal.default_size(), cal.max_size()), (1024, 1024));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn sampling_rate_is_about_one_in_s() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(u64::MAX),
            seed: Some(7),
            ..Default::default()
        });
        let puts = 160_000;
        let left = Countdown::default();
        for _ in 0..puts {
            cal.record(&left, 100);
        }
        let samples: u64 = cal.current_window().iter().map(|&(_, c)| c).sum();
        // Expected 10,000; a binomial's standard deviation here is ~97.
        assert!((9_500..=10_500).contains(&samples), "{samples} samples");
        assert_eq!(left.puts(), puts, "the countdown counts every put");
    }

    /// A pool used by one thread adds samples `TICK_PUTS / S` at a time; once a second thread
    /// joins, 7 at a time, ticking once per batch; with `S` = 1 always one at a time.
    #[test]
    fn a_second_thread_makes_batches_of_seven() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(u64::MAX),
            seed: Some(5),
            ..Default::default()
        });
        let batch = |c: &Calibrator| c.batch.load(Ordering::Relaxed);
        cal.thread_joined();
        assert_eq!(batch(&cal), 4, "one thread: batches of TICK_PUTS / S");
        cal.thread_joined();
        assert_eq!(batch(&cal), MAX_BATCH);
        let left = Countdown::default();
        let total = |c: &Calibrator| c.current_window().iter().map(|&(_, n)| n).sum::<u64>();
        let (mut ticks, mut puts) = (0, 0);
        while total(&cal) < 70 {
            ticks += usize::from(cal.record(&left, 100));
            puts += 1;
            assert_eq!(total(&cal) % 7, 0, "the shared counts move by 7");
        }
        assert_eq!(ticks, 10, "one tick per batch ({puts} puts)");
        let go = Calibrator::new(CalibrationConfig {
            sample_every: 1,
            ..Default::default()
        });
        go.thread_joined();
        go.thread_joined();
        assert_eq!(batch(&go), 1, "S = 1: every sample at once, as Go");
    }

    /// With `S` = 16 a thread holds 4 samples (`TICK_PUTS / S`) before adding them, so the
    /// shared counts move by 4 at a time; `flush` adds the ones held, in their buckets.
    #[test]
    fn samples_are_added_in_batches_and_flushed() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(u64::MAX),
            seed: Some(3),
            ..Default::default()
        });
        assert_eq!(cal.batch.load(Ordering::Relaxed), 4);
        let left = Countdown::default();
        let total = |c: &Calibrator| c.current_window().iter().map(|&(_, n)| n).sum::<u64>();
        let held = || left.pending.load(Ordering::Relaxed) >> 56;
        let lens = [100, 5000, 100, 70_000];
        let mut puts = 0;
        // Until a batch has been added and some samples are held again.
        while total(&cal) < 8 || held() == 0 {
            cal.record(&left, lens[puts % lens.len()]);
            puts += 1;
            assert!(held() < 4, "a full batch is added at once");
            assert_eq!(
                total(&cal) % 4,
                0,
                "the shared counts move by whole batches"
            );
        }
        let (before, h) = (total(&cal), held());
        cal.flush(&left);
        assert_eq!(total(&cal), before + h);
        assert_eq!(held(), 0);
        cal.flush(&left); // nothing held: nothing added
        assert_eq!(total(&cal), before + h);
        // Only the buckets of the lengths put were counted.
        for (size, n) in cal.current_window() {
            assert!(
                n == 0 || [128, 8192, 131_072].contains(&size),
                "{n} at {size}"
            );
        }
        // A batch with a bucket repeated adds its count once per distinct bucket: buckets
        // 3, 1, 3, 3 (first in the lowest byte), four held.
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(u64::MAX),
            ..Default::default()
        });
        let batch = 3 | 1 << 8 | 3 << 16 | 3 << 24 | 4 << 56;
        assert!(cal.add_samples(batch, true), "the count passed 4: a tick");
        let counts: Vec<u64> = cal.current_window().iter().map(|&(_, n)| n).collect();
        assert_eq!((counts[1], counts[3]), (1, 3));
        assert_eq!(counts.iter().sum::<u64>(), 4);
        // `flush` adds without checking the triggers (its caller calibrates next); a full
        // batch checks them.
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(1),
            ..Default::default()
        });
        let left = Countdown::default();
        left.pending.store(2 | 1 << 56, Ordering::Relaxed); // one sample held, bucket 2
        cal.flush(&left);
        assert_eq!((cal.calibrations(), total(&cal)), (0, 1));
        cal.add_samples(2 | 1 << 56, true);
        assert_eq!(cal.calibrations(), 1, "the window of 1 sample ended");
        // With S = 1, no batches: each put is counted at once (Go's moments).
        let go = Calibrator::new(CalibrationConfig::go());
        assert_eq!(go.batch.load(Ordering::Relaxed), 1);
        go.record(&Countdown::default(), 100);
        assert_eq!(total(&go), 1);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn geometric_gaps_have_mean_s() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 64,
            ..Default::default()
        });
        let n = 20_000;
        let sum: u64 = {
            let left = Countdown::default();
            (0..n).map(|_| cal.draw_gap(&left)).sum()
        };
        let mean = sum as f64 / f64::from(n);
        assert!((60.0..68.0).contains(&mean), "mean gap {mean}");
    }

    /// Also for `S` near `u32::MAX`, whose gaps are often longer than `u32::MAX` (they were
    /// capped there: a mean of 0.87 `S` at 2^31, about 0.63 `S` at `u32::MAX`).
    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn gaps_have_mean_s_for_a_huge_s() {
        for s in [1u32 << 31, u32::MAX] {
            let cal = Calibrator::new(CalibrationConfig {
                sample_every: s,
                seed: Some(9),
                ..Default::default()
            });
            let n = 20_000;
            let left = Countdown::default();
            let mean = (0..n).map(|_| cal.draw_gap(&left) as f64).sum::<f64>() / f64::from(n);
            // The mean of 20,000 exponentials is within 3 % of its own with odds of
            // about 99.998 %.
            let ratio = mean / f64::from(s);
            assert!(
                (0.97..1.03).contains(&ratio),
                "S = {s}: mean gap / S = {ratio}"
            );
        }
    }

    /// The gaps are geometric, not only of mean `S`: `P(gap > k) = (1 - 1/S)^k`.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn gaps_are_geometric() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 32,
            seed: Some(5),
            ..Default::default()
        });
        let n = 50_000;
        let left = Countdown::default();
        let gaps: Vec<u64> = (0..n).map(|_| cal.draw_gap(&left)).collect();
        for k in [0u64, 1, 8, 32, 64, 128] {
            let above = gaps.iter().filter(|&&g| g > k).count() as f64 / f64::from(n);
            let expected = (1.0 - 1.0 / 32.0f64).powi(k as i32);
            // A binomial's standard deviation here is at most 0.0023.
            assert!(
                (above - expected).abs() < 0.01,
                "P(gap > {k}) = {above}, expected {expected}"
            );
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn alternating_pools_are_each_sampled_at_their_rate() {
        let mk = |s| {
            Calibrator::new(CalibrationConfig {
                sample_every: s,
                window: Some(u64::MAX),
                ..Default::default()
            })
        };
        let (a, b) = (mk(8), mk(32));
        let (left_a, left_b) = (Countdown::default(), Countdown::default());
        for _ in 0..64_000 {
            a.record(&left_a, 10);
            b.record(&left_b, 10);
        }
        let total = |c: &Calibrator| c.current_window().iter().map(|&(_, n)| n).sum::<u64>();
        assert!((7_400..=8_600).contains(&total(&a)), "{}", total(&a));
        assert!((1_700..=2_300).contains(&total(&b)), "{}", total(&b));
    }

    /// The traffic clock ticks about every `max(64, S)` puts whatever the window: a window
    /// shorter than a tick (here every put sampled, a tick every 64 samples, a window of 10)
    /// used to reset the count before it reached a tick, so it never ticked, and ageing by
    /// traffic never ran.
    #[test]
    fn ticks_do_not_depend_on_the_window() {
        for window in [1, 10, 63, 64, 1000] {
            let cal = Calibrator::new(CalibrationConfig {
                sample_every: 1,
                window: Some(window),
                ..Default::default()
            });
            let left = Countdown::default();
            let ticks = (0..6400).filter(|_| cal.record(&left, 100)).count();
            assert_eq!(ticks, 100, "window {window}");
            assert_eq!(cal.calibrations(), 6400 / window, "window {window}");
        }
    }

    /// A batch ticks when the shared count passes a multiple of `tick_samples`, whatever
    /// the batch's size and the count it starts from.
    #[test]
    fn a_batch_ticks_when_the_count_passes_a_multiple() {
        for s in [7, 10, 16, 32, 64] {
            let cal = Calibrator::new(CalibrationConfig {
                sample_every: s,
                window: Some(u64::MAX),
                ..Default::default()
            });
            let t = cal.tick_samples;
            let mut count = 0u64;
            for i in 0..500u64 {
                let held = 1 + (i * 5 + i / 7) % MAX_BATCH;
                let passed = count / t != (count + held) / t;
                assert_eq!(
                    cal.add_samples(held << 56, true),
                    passed,
                    "S {s}, {count} + {held}"
                );
                count += held;
            }
            assert_eq!(cal.current_window()[0].1, count);
        }
    }

    /// A batch of one bucket is one add of its size; a batch whose last sample differs is
    /// split, whichever byte differs.
    #[test]
    fn a_batch_of_one_bucket_and_one_that_differs_at_its_end() {
        let cal = Calibrator::new(CalibrationConfig {
            sample_every: 16,
            window: Some(u64::MAX),
            ..Default::default()
        });
        let counts = |c: &Calibrator| {
            c.current_window()
                .iter()
                .map(|&(_, n)| n)
                .collect::<Vec<_>>()
        };
        cal.add_samples(0x0005_0505_0505_0505 | 7 << 56, true);
        assert_eq!(counts(&cal)[5], 7);
        // Bucket 0 throughout: every byte zero.
        cal.add_samples(7 << 56, true);
        assert_eq!(counts(&cal)[0], 7);
        // Six in bucket 5, the seventh in bucket 6.
        cal.add_samples(0x0006_0505_0505_0505 | 7 << 56, true);
        assert_eq!((counts(&cal)[5], counts(&cal)[6]), (13, 1));
        // Two held: the bytes above them do not count.
        cal.add_samples(0x0000_0000_0009_0909 | 2 << 56, true);
        assert_eq!((counts(&cal)[9], counts(&cal).iter().sum::<u64>()), (2, 23));
    }

    #[test]
    fn calibrations_are_single_flight() {
        let cal = Calibrator::new(CalibrationConfig::default());
        let nested = cal.calibrate_with(|_, _, _| {
            // A second calibration while this one runs returns at once.
            assert!(!cal.calibrate());
            None
        });
        assert!(nested);
    }

    #[test]
    fn a_panic_inside_calibrate_does_not_wedge_the_flag() {
        let cal = Calibrator::new(CalibrationConfig::default());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cal.calibrate_with(|_, _, _| panic!("decision failed"));
        }));
        assert!(r.is_err());
        cal.record(&Countdown::default(), 1); // window goes on
        assert!(cal.calibrate(), "the flag was released");
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "hundreds of thousands of iterations; too slow under Miri"
    )]
    fn concurrent_calibrations_never_overlap() {
        let cal = Calibrator::new(CalibrationConfig::default());
        let inside = AtomicBool::new(false);
        let ran = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        cal.calibrate_with(|_, _, _| {
                            assert!(!inside.swap(true, Ordering::SeqCst), "two at once");
                            std::thread::yield_now();
                            inside.store(false, Ordering::SeqCst);
                            ran.fetch_add(1, Ordering::SeqCst);
                            None
                        });
                    }
                });
            }
        });
        assert!(ran.load(Ordering::SeqCst) > 0);
    }

    #[test]
    fn invalid_configs_report_every_problem() {
        let cfg = CalibrationConfig {
            min_size: 100,
            buckets: 0,
            sample_every: 0,
            window: None,
            max_percentile: 1.5,
            ..Default::default()
        };
        let p = cfg.problems();
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(CalibrationConfig::default().problems().is_empty());
        assert!(CalibrationConfig::go().problems().is_empty());
        let nan = CalibrationConfig {
            max_percentile: f64::NAN,
            ..Default::default()
        };
        assert_eq!(nan.problems().len(), 1);
    }

    /// The last bucket's bound may be 2^62, not more; the message says what is wrong.
    #[test]
    fn the_last_bound_is_at_most_2_to_the_62() {
        let cfg = |min_size, buckets| CalibrationConfig {
            min_size,
            buckets,
            ..Default::default()
        };
        assert!(cfg(1 << 23, 40).problems().is_empty());
        assert!(cfg(1 << 62, 1).problems().is_empty());
        let p = cfg(1 << 24, 40).problems();
        assert_eq!(
            p,
            ["min_size 16777216 with 40 buckets puts the last bucket's bound at 2^63, above 2^62"]
        );
        assert_eq!(cfg(1 << 63, 1).problems().len(), 1);
    }

    /// `initial_default_size` may be any size up to the last bucket's bound.
    #[test]
    fn the_initial_default_size_fits_the_buckets() {
        let cfg = |initial_default_size| CalibrationConfig {
            initial_default_size,
            ..Default::default()
        };
        assert!(cfg(3000).problems().is_empty());
        assert!(cfg(32 << 20).problems().is_empty());
        assert_eq!(
            cfg((32 << 20) + 1).problems(),
            ["initial_default_size 33554433 is above the last bucket's bound, 33554432"]
        );
    }
}

#[cfg(all(test, loom))]
mod loom_window {
    use super::*;

    /// Three threads each add one sample to a window of two: at most one calibration decides
    /// anything. A trigger that read the count and the window's start apart, around another
    /// thread's calibration, used to calibrate a second time on the one sample left.
    #[test]
    fn loom_a_window_ends_once() {
        loom::model(|| {
            let cal = loom::sync::Arc::new(Calibrator::new(CalibrationConfig {
                sample_every: 1,
                window: Some(2),
                buckets: 1,
                ..Default::default()
            }));
            let one = 1u64 << 56; // one sample held, bucket 0
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let cal = cal.clone();
                    loom::thread::spawn(move || {
                        cal.add_samples(one, true);
                    })
                })
                .collect();
            cal.add_samples(one, true);
            for t in threads {
                t.join().unwrap();
            }
            assert!(
                cal.calibrations() <= 1,
                "{} calibrations",
                cal.calibrations()
            );
        });
    }
}
