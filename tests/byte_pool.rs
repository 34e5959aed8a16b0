//! Public behaviour of `ByteBufferPool`, its guards, `Stats` and the global default pool.

// Both Write traits at once: `write!` on the guards must still resolve.
use std::fmt::Write as _;
use std::io::Write as _;

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;

use bytebufferpool::{
    AgePolicy, ByteBuffer, ByteBufferPool, CalibrationConfig, DefaultSizeRule, OwnedPooledBuffer,
    Pool, PooledBuffer, Stats,
};

/// Every put sampled, no automatic calibration: decisions happen at `calibrate()`.
fn every_put() -> CalibrationConfig {
    let mut c = CalibrationConfig::default();
    c.sample_every = 1;
    c.window = Some(u64::MAX);
    c
}

fn pool_with(cfg: CalibrationConfig) -> ByteBufferPool {
    ByteBufferPool::builder()
        .calibration(cfg)
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap()
}

fn put_len(pool: &ByteBufferPool, len: usize) {
    let mut b = pool.get();
    b.resize(len, b'x');
}

fn workload_sizes() -> Vec<usize> {
    let text = include_str!("../workloads/sizes.txt");
    text.lines().map(|l| l.trim().parse().unwrap()).collect()
}

// ---- Go's bytebuffer_test.go, through the package-level pool --------------------------------

/// Go's `TestByteBufferGetPutSerial`.
#[test]
fn go_get_put_serial() {
    for i in 0..10 {
        let mut b = bytebufferpool::get();
        assert!(b.is_empty(), "get must return an empty buffer");
        write!(b, "num {i}").unwrap();
        assert_eq!(*b, *format!("num {i}"));
        bytebufferpool::put(PooledBuffer::into_inner(b));
    }
}

/// Go's `TestByteBufferGetPutConcurrent` and `...GetStringConcurrent`: 10 threads.
#[test]
fn go_get_put_concurrent() {
    let threads: Vec<_> = (0..10)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..10 {
                    let mut b = bytebufferpool::get();
                    assert!(b.is_empty());
                    b.set_str(&format!("num {t} {i}"));
                    assert_eq!(b.to_string_lossy(), format!("num {t} {i}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = bytebufferpool::stats();
    assert!(s.gets >= 100 && s.puts >= 100, "{s:?}");
    assert!(std::ptr::eq(
        bytebufferpool::default_pool(),
        bytebufferpool::default_pool()
    ));
}

// ---- reuse, clearing, capacities -------------------------------------------------------------

#[test]
fn buffers_come_back_cleared_and_are_reused() {
    let pool = pool_with(CalibrationConfig::default());
    let ptr = {
        let mut b = pool.get();
        b.extend_from_slice(b"left over");
        b.as_ptr()
    };
    let b = pool.get();
    assert!(b.is_empty(), "cleared on return");
    assert_eq!(b.as_ptr(), ptr, "the same allocation is reused");
    let s = pool.stats();
    assert_eq!((s.gets, s.hits, s.misses, s.puts), (2, 1, 1, 1));
}

#[test]
fn fresh_buffers_have_default_size() {
    let mut cfg = every_put();
    cfg.initial_default_size = 3000;
    let pool = pool_with(cfg);
    assert_eq!(pool.stats().default_size, 3000);
    assert_eq!(pool.get().capacity(), 4096, "rounded up to its size class");
    for _ in 0..100 {
        put_len(&pool, 10_000);
    }
    assert!(pool.calibrate());
    assert_eq!(pool.stats().default_size, 16384);
    let fresh: Vec<_> = (0..3).map(|_| pool.get()).collect();
    assert!(fresh.iter().all(|b| b.capacity() >= 16384));
}

#[test]
fn get_with_capacity_is_size_aware() {
    let pool = pool_with(every_put());
    // 100,000 B falls in the class of 112 KiB (the 64 KiB octave cut in four: 64, 80, 96,
    // 112 KiB): that is the capacity allocated, not the next power of two.
    drop(pool.get_with_capacity(100_000));
    let small = pool.get_with_capacity(100);
    assert!(small.capacity() >= 100);
    assert!(
        small.capacity() < 1024,
        "a small request does not pin the 112 KiB buffer"
    );
    drop(small);
    let big = pool.get_with_capacity(70_000); // class 80 KiB; 112 KiB is within an octave
    assert_eq!(
        big.capacity(),
        114_688,
        "a large request reuses the large buffer"
    );
    drop(big);
    // More than an octave above the request's class: not taken, a 5 KiB one is allocated.
    let mid = pool.get_with_capacity(5000);
    assert_eq!(mid.capacity(), 5120);
    assert_eq!(pool.stats().misses, 3);
    let huge = pool.get_with_capacity(40 << 20); // above the largest class: exact
    assert_eq!(huge.capacity(), 40 << 20);
}

#[test]
fn get_reuses_a_larger_buffer_rather_than_allocating() {
    let pool = pool_with(every_put());
    {
        let mut b = pool.get();
        b.resize(50_000, 1); // grows to 64 KiB
    }
    let b = pool.get(); // the default class is empty: the 64 KiB one is taken
    assert_eq!(b.capacity(), 65_536);
    assert_eq!(pool.stats().misses, 1);
}

/// W3's loop: the buffer that grew for a large body comes back to the same thread's next
/// `get()`, instead of a default-size one that would regrow.
#[test]
fn get_returns_the_thread_s_last_buffer_first() {
    let mut cfg = every_put();
    cfg.initial_default_size = 1024;
    let pool = pool_with(cfg);
    drop(pool.get()); // a 1 KiB buffer in the default class
    let ptr = {
        let mut b = pool.get();
        b.resize(20_000, 1); // grows to 32 KiB: filed under the 32 KiB class
        b.as_ptr()
    };
    let b = pool.get();
    assert_eq!(b.as_ptr(), ptr, "the grown buffer comes back");
    assert_eq!(b.capacity(), 32768);
    let small = pool.get(); // the 32 KiB one is out: a default-size buffer
    assert_eq!(small.capacity(), 1024);
}

/// `get()` hands out the front slot's buffer only if it holds `default_size`; a smaller one goes
/// to its class pool. A capped pool's gets from the slot take the slow path, which also takes
/// the buffer off the retained count (its fast test always fails).
#[test]
fn get_hands_out_the_front_buffer_only_at_default_size_capped_or_not() {
    for capped in [false, true] {
        let mut cfg = every_put();
        cfg.initial_default_size = 1024;
        let mut builder = ByteBufferPool::builder()
            .calibration(cfg)
            .age_policy(AgePolicy::Manual);
        if capped {
            builder = builder.max_retained_bytes(1 << 20);
        }
        let pool = builder.build().unwrap();
        let retained = |p: &ByteBufferPool| p.stats().retained_bytes.unwrap_or(0);
        let charged = |n: usize| if capped { n } else { 0 };
        let first = pool.get().as_ptr(); // returned to the front slot
        assert_eq!(retained(&pool), charged(1024), "capped: {capped}");
        let b = pool.get();
        assert_eq!((b.as_ptr(), b.capacity()), (first, 1024));
        assert_eq!(
            retained(&pool),
            0,
            "handed out, uncharged (capped: {capped})"
        );
        drop(b);
        // A 256-byte buffer takes the slot; the 1 KiB one moves to its class.
        pool.put(ByteBuffer::with_capacity(256));
        assert_eq!(retained(&pool), charged(1024 + 256));
        let b = pool.get();
        assert_eq!(
            b.as_ptr(),
            first,
            "from the default class (capped: {capped})"
        );
        assert_eq!(
            retained(&pool),
            charged(256),
            "the small one waits in its class"
        );
        let s = pool.stats();
        assert_eq!((s.misses, s.gets), (1, 3), "{s:?}");
    }
}

// ---- calibration on known inputs -------------------------------------------------------------

#[test]
fn calibrates_all_1000_byte_bodies() {
    let pool = pool_with(every_put());
    for _ in 0..1000 {
        put_len(&pool, 1000);
    }
    assert!(pool.calibrate());
    let s = pool.stats();
    assert_eq!(
        (s.default_size, s.max_size, s.calibrations),
        (1024, 1024, 1)
    );
    assert_eq!(s.last_window.iter().map(|&(_, n)| n).sum::<u64>(), 1000);
    assert_eq!(s.last_window[4], (1024, 1000));
}

/// The shared workload's 100,000 sizes (lognormal, median ~2 KiB): default 4 KiB (the most
/// frequent bucket, 20.4 %, which is also where the near-tie with 2 KiB, 20.4 %, goes), max
/// 32 KiB (the most frequent buckets up to 96.7 % of bodies). Bodies above 32 KiB (1.6 %) are
/// not kept.
#[test]
fn calibrates_the_workload_sizes() {
    let pool = pool_with(every_put());
    for s in workload_sizes() {
        put_len(&pool, s);
    }
    assert!(pool.calibrate());
    let s = pool.stats();
    assert_eq!((s.default_size, s.max_size), (4096, 32768), "{s}");
    // Same with Go's configuration and its 42,000 trigger: it fires at the 42,001st body of
    // the most frequent bucket (20.4 % of bodies), after about 206,000 bodies.
    let go = pool_with(CalibrationConfig::go());
    for s in workload_sizes().into_iter().cycle().take(300_000) {
        put_len(&go, s);
    }
    let g = go.stats();
    assert_eq!(g.calibrations, 1);
    assert_eq!(g.max_size, 32768, "{g}");
    assert!(g.default_size == 2048 || g.default_size == 4096, "{g}");
}

/// Buffers taken with `get()` and returned unused (length 0) are not samples: they would drag
/// the sizes down.
#[test]
fn empty_buffers_are_not_sampled() {
    let pool = pool_with(every_put());
    for _ in 0..1000 {
        let burst: Vec<_> = (0..4).map(|_| pool.get()).collect();
        drop(burst); // taken and returned unused
        put_len(&pool, 3000);
    }
    pool.put(ByteBuffer::with_capacity(65536)); // a detached, empty buffer: not a sample either
    assert!(pool.calibrate());
    let s = pool.stats();
    assert_eq!(s.last_window.iter().map(|&(_, n)| n).sum::<u64>(), 1000);
    assert_eq!((s.default_size, s.max_size), (4096, 4096), "{s}");
}

/// With `S` > 1 a thread holds its last few samples before adding them to the shared counts
/// (a batch of `64 / S`, at most 7); `calibrate()` adds the calling thread's first, so that a
/// calibration on demand decides on every sample this thread took.
#[test]
fn calibrate_counts_the_caller_s_held_samples() {
    let mut cfg = CalibrationConfig::default();
    cfg.sample_every = 8; // batches of 7
    cfg.window = Some(u64::MAX);
    cfg.seed = Some(11);
    let pool = pool_with(cfg);
    let shared = |p: &ByteBufferPool| p.stats().histogram.iter().map(|&(_, n)| n).sum::<u64>();
    let mut held_seen = 0;
    for _ in 0..50 {
        for _ in 0..20 {
            put_len(&pool, 3000);
        }
        let before = shared(&pool);
        assert_eq!(before % 7, 0, "the shared counts move by whole batches");
        let calibrations = pool.stats().calibrations;
        assert!(pool.calibrate());
        let s = pool.stats();
        // An empty window decides nothing and leaves `last_window` as it was.
        let decided = if s.calibrations > calibrations {
            s.last_window.iter().map(|&(_, n)| n).sum::<u64>()
        } else {
            0
        };
        assert!(
            (before..before + 7).contains(&decided),
            "{decided} samples decided on, {before} added before calibrate()"
        );
        held_seen += decided - before;
        assert_eq!(shared(&pool), 0, "a calibration starts a new window");
    }
    // About 2.5 samples per 20 puts, so most rounds end with some held.
    assert!(held_seen > 0, "calibrate() added the held samples");
}

/// A pool used by one thread adds its samples `64 / S` at a time; once a second thread has
/// used it, every thread adds them 7 at a time (fewer writes to the shared counts, which
/// several cores then contend for).
#[test]
fn a_second_thread_makes_batches_of_seven() {
    let mut cfg = CalibrationConfig::default();
    cfg.sample_every = 16; // batches of 4 while alone
    cfg.window = Some(u64::MAX);
    cfg.seed = Some(7);
    let pool = pool_with(cfg);
    let shared = |p: &ByteBufferPool| p.stats().histogram.iter().map(|&(_, n)| n).sum::<u64>();
    // The next five moves of the shared counts, putting 3,000-byte bodies on this thread.
    let mut last = 0;
    let mut next_moves = || {
        let mut moves = Vec::new();
        while moves.len() < 5 {
            put_len(&pool, 3000);
            let now = shared(&pool);
            if now != last {
                moves.push(now - last);
                last = now;
            }
        }
        moves
    };
    assert_eq!(next_moves(), [4; 5], "alone: batches of 4");
    thread::scope(|s| {
        s.spawn(|| put_len(&pool, 3000));
    });
    // The main thread's batch in progress ends at 7 now; every later one is 7 too.
    let moves = next_moves();
    assert_eq!(moves, [7; 5], "with two threads: batches of 7");
}

/// A buffer reserved with `get_with_capacity(n)` is sampled at `n` if it comes back shorter:
/// callers that keep reserving 64 KiB get 64 KiB buffers kept, even if they write less (the
/// soak's bursts; before this, every one of them was dropped on return and allocated again).
#[test]
fn reservations_are_sampled_at_the_requested_size() {
    let pool = pool_with(every_put());
    for i in 0..1000 {
        if i % 10 == 0 {
            drop(pool.get_with_capacity(60_000)); // reserved, returned unused
        } else if i % 10 == 1 {
            let mut b = pool.get_with_capacity(60_000);
            b.resize(100, 0); // reserved, mostly unused
        } else {
            put_len(&pool, 3000);
        }
    }
    let mut b = pool.get_with_capacity(100);
    b.resize(3000, 0); // grew past the reservation: its length is the sample
    drop(b);
    assert!(pool.calibrate());
    let s = pool.stats();
    assert_eq!(s.last_window.iter().map(|&(_, n)| n).sum::<u64>(), 1001);
    assert_eq!(s.last_window[10], (65536, 200), "{s}");
    assert_eq!(s.last_window[6], (4096, 801), "{s}");
    assert_eq!((s.default_size, s.max_size), (4096, 65536), "{s}");
    let before = pool.stats();
    drop(pool.get_with_capacity(60_000));
    let after = pool.stats();
    assert_eq!(
        after.discarded, before.discarded,
        "a reserved 64 KiB buffer is kept"
    );
    assert_eq!(after.hits, before.hits + 1, "and it came from the pool");
}

#[test]
fn ties_go_to_the_larger_bucket() {
    let pool = pool_with(every_put());
    for _ in 0..500 {
        put_len(&pool, 2000); // 2 KiB bucket
        put_len(&pool, 4000); // 4 KiB bucket
    }
    assert!(pool.calibrate());
    assert_eq!(pool.stats().default_size, 4096);
}

#[test]
fn go_rule_is_available() {
    let mut cfg = every_put();
    cfg.default_rule = DefaultSizeRule::MostFrequent;
    let pool = pool_with(cfg);
    for _ in 0..300 {
        put_len(&pool, 100); // 128 B: the most frequent single bucket
    }
    for _ in 0..250 {
        put_len(&pool, 1000);
        put_len(&pool, 2000);
        put_len(&pool, 4000);
    }
    pool.calibrate();
    assert_eq!(
        pool.stats().default_size,
        128,
        "Go: the mode, far too small"
    );
}

#[test]
fn bodies_above_32_mib() {
    let pool = pool_with(every_put());
    for _ in 0..3 {
        pool.put(ByteBuffer::from(vec![0u8; 40 << 20]));
    }
    assert_eq!(
        pool.stats().discarded,
        3,
        "before the first calibration, the largest bucket's bound (32 MiB) is the limit"
    );
    assert!(pool.calibrate(), "their lengths were sampled all the same");
    let s = pool.stats();
    assert_eq!((s.default_size, s.max_size), (32 << 20, 32 << 20));
    pool.put(ByteBuffer::from(vec![0u8; 40 << 20]));
    assert_eq!(
        pool.stats().discarded,
        4,
        "capacity 40 MiB > max_size 32 MiB"
    );
    pool.put(ByteBuffer::from(vec![0u8; 32 << 20]));
    assert_eq!(pool.stats().discarded, 4, "32 MiB is kept");
}

/// `max_size` after each of `windows` calibrations, with every put sampled and a window of 64
/// samples (the default window), bodies taken in order from `sizes`.
fn max_sizes(decay: f64, sizes: impl Iterator<Item = usize>, windows: u64) -> Vec<usize> {
    let mut cfg = CalibrationConfig::default();
    cfg.sample_every = 1;
    cfg.max_size_decay = decay;
    let pool = pool_with(cfg);
    let mut out = Vec::new();
    for s in sizes {
        put_len(&pool, s);
        let st = pool.stats();
        if st.calibrations > out.len() as u64 {
            out.push(st.max_size);
            if st.calibrations == windows {
                break;
            }
        }
    }
    out
}

/// On the steady workload, the 95 % cover of one 64-sample window is decided by its three
/// rarest samples: without memory, `max_size` jumps between 16, 32 and 64 KiB (and beyond);
/// with the default memory it stays at 32 KiB, the cover of the whole distribution (see
/// `calibrates_the_workload_sizes`).
#[test]
fn max_size_is_steady_on_a_steady_workload() {
    let summary = |decay: f64| {
        let m = max_sizes(decay, workload_sizes().into_iter(), 300);
        assert_eq!(m.len(), 300);
        let changes = m.windows(2).filter(|w| w[0] != w[1]).count();
        let at_32k = m[10..].iter().filter(|&&x| x == 32768).count();
        (changes, at_32k as f64 / (m.len() - 10) as f64)
    };
    let (changes_go, share_go) = summary(0.0);
    let (changes, share) = summary(CalibrationConfig::default().max_size_decay);
    eprintln!(
        "300 windows: {changes_go} changes, {:.0} % at 32 KiB without memory; \
         {changes} changes, {:.0} % at 32 KiB with the default",
        share_go * 100.0,
        share * 100.0
    );
    assert!(share >= 0.9, "{:.0} % at 32 KiB", share * 100.0);
    assert!(
        changes * 4 <= changes_go,
        "{changes} vs {changes_go} changes"
    );
}

/// A shift to larger bodies raises `max_size` at the next calibration; a shift back lowers it
/// within 11 windows (the old bucket's weight falls by 0.75 a window, below 5 % after 11).
#[test]
fn max_size_follows_shifts_both_ways() {
    let small = std::iter::repeat_n(1000, 64 * 20);
    let large = std::iter::repeat_n(60_000, 64 * 20);
    let m = max_sizes(0.75, small.clone().chain(large).chain(small), 60);
    assert!(m[..20].iter().all(|&x| x == 1024), "{m:?}");
    assert!(m[20..40].iter().all(|&x| x == 65536), "{m:?}");
    let back = m[40..]
        .iter()
        .position(|&x| x == 1024)
        .expect("never came back");
    assert!(back < 11, "1 KiB again after {} windows: {m:?}", back + 1);
    assert!(m[40 + back..].iter().all(|&x| x == 1024), "{m:?}");
    eprintln!(
        "max_size back to 1 KiB at the {}th window after the shift",
        back + 1
    );
}

#[test]
fn capacity_above_max_size_is_not_kept() {
    let pool = pool_with(every_put());
    for _ in 0..100 {
        put_len(&pool, 1000);
    }
    pool.calibrate();
    assert_eq!(pool.stats().max_size, 1024);
    let before = pool.stats();
    pool.put(ByteBuffer::with_capacity(1025));
    assert_eq!(
        pool.stats().discarded,
        before.discarded + 1,
        "1025 > 1024: dropped"
    );
    pool.put(ByteBuffer::with_capacity(1024));
    pool.put(ByteBuffer::with_capacity(512));
    assert_eq!(
        pool.stats().discarded,
        before.discarded + 1,
        "at or below: kept"
    );
    pool.put(ByteBuffer::new());
    assert_eq!(
        pool.stats().discarded,
        before.discarded + 2,
        "capacity 0 is below the smallest class: counted as discarded"
    );
}

/// A pool calibrated on 30,000-byte bodies: `max_size` 32 KiB.
fn calibrated_to_32_kib() -> ByteBufferPool {
    let pool = pool_with(every_put());
    for _ in 0..100 {
        put_len(&pool, 30_000);
    }
    pool.calibrate();
    assert_eq!(pool.stats().max_size, 32768);
    pool
}

/// Go's length-vs-capacity mismatch: a 30,000-byte body appended in 1,460-byte chunks to a
/// fresh buffer. With Vec-style growth its capacity would end at 46,720 > 32 KiB; ByteBuffer
/// grows to powers of two, so it ends at 32 KiB and is kept under max_size = 32 KiB.
#[test]
fn chunked_growth_fits_max_size() {
    let pool = calibrated_to_32_kib();
    let mut b = ByteBuffer::new();
    let chunk = [7u8; 1460];
    while b.len() < 30_000 {
        let n = (30_000 - b.len()).min(1460);
        b.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(b.capacity(), 32768);
    let mut v: Vec<u8> = Vec::new();
    while v.len() < 30_000 {
        let n = (30_000 - v.len()).min(1460);
        v.extend_from_slice(&chunk[..n]);
    }
    assert!(v.capacity() > 32768, "Vec's own growth: {}", v.capacity());
    let before = pool.stats().discarded;
    pool.put(b);
    assert_eq!(pool.stats().discarded, before);
}

/// The same through `read_from`, in two reads from slices (whose `read_to_end` would reserve
/// their exact length: 8 KiB → 20,000 → 40,000 bytes of capacity, above `max_size`): the
/// buffer ends at 32 KiB and is kept.
#[test]
fn read_from_growth_fits_max_size() {
    let pool = calibrated_to_32_kib();
    let mut b = pool.get_with_capacity(8192);
    b.read_from(&[1u8; 20_000][..]).unwrap();
    b.read_from(&[2u8; 12_000][..]).unwrap();
    assert_eq!((b.len(), b.capacity()), (32_000, 32_768));
    let before = pool.stats().discarded;
    drop(b);
    assert_eq!(pool.stats().discarded, before);
}

/// `get_with_capacity` with a capacity `Vec` refuses panics, as `Vec::with_capacity` does,
/// and leaves no trace: no get, no miss, and the pool works on.
#[test]
fn an_impossible_capacity_panics_and_counts_nothing() {
    let pool = pool_with(CalibrationConfig::default());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drop(pool.get_with_capacity(usize::MAX));
    }));
    assert!(r.is_err());
    let s = pool.stats();
    assert_eq!((s.gets, s.misses, s.puts), (0, 0, 0));
    assert!(pool.get_with_capacity(100).capacity() >= 100);
    assert_eq!(pool.stats().gets, 1);
}

/// W4: 256 B bodies, then 64 KiB ones. With the default configuration (one put in 32 sampled,
/// a window of 64 samples), `default_size` is right within 5,000 bodies of the start and of
/// the shift. (Go: 42,001 bodies after the shift.)
#[test]
fn follows_a_shift_within_5000_bodies() {
    let mut cfg = CalibrationConfig::default();
    cfg.seed = Some(20261127);
    let pool = pool_with(cfg);
    let body_256 = [1u8; 256];
    let body_64k = vec![2u8; 65536];
    let mut right_at = None;
    for i in 0..20_000 {
        let mut b = pool.get();
        b.extend_from_slice(&body_256);
        drop(b);
        if right_at.is_none() && pool.stats().default_size == 256 {
            right_at = Some(i + 1);
        }
    }
    let first = right_at.expect("never calibrated to 256 B");
    assert!(first <= 5000, "256 B after {first} bodies");
    let mut right_at = None;
    for i in 0..20_000 {
        let mut b = pool.get();
        b.extend_from_slice(&body_64k);
        drop(b);
        if right_at.is_none() && pool.stats().default_size == 65536 {
            right_at = Some(i + 1);
        }
    }
    let shift = right_at.expect("never followed the shift");
    assert!(shift <= 5000, "64 KiB after {shift} bodies");
    let s = pool.stats();
    assert_eq!(s.max_size, 65536);
    eprintln!("W4: 256 B right after {first} bodies, 64 KiB after {shift} bodies after the shift");
}

// ---- memory: size-aware reuse, retained cap, ageing ------------------------------------------

/// Capacity held (pool + in flight) over bytes in use, with 256 buffers in flight: release the
/// oldest, take a new one sized from the workload.
fn in_flight_ratio(
    mut take: impl FnMut(usize) -> ByteBuffer,
    mut give: impl FnMut(ByteBuffer),
    held_by_pool: impl Fn() -> usize,
) -> f64 {
    let sizes = workload_sizes();
    let mut ring: VecDeque<ByteBuffer> = VecDeque::new();
    let mut worst: f64 = 0.0;
    for (i, &s) in sizes.iter().cycle().take(60_000).enumerate() {
        if ring.len() == 256 {
            give(ring.pop_front().unwrap());
        }
        let mut b = take(s);
        b.resize(s, 0);
        ring.push_back(b);
        if i >= 10_000 && i % 1000 == 0 {
            let in_use: usize = ring.iter().map(|b| b.len()).sum();
            let in_flight: usize = ring.iter().map(|b| b.capacity()).sum();
            worst = worst.max((in_flight + held_by_pool()) as f64 / in_use as f64);
        }
    }
    worst
}

/// (size-aware pool, size-blind pool) ratios of capacity held to bytes in use.
fn size_aware_and_blind_ratios() -> (f64, f64) {
    let mut cfg = CalibrationConfig::default();
    cfg.seed = Some(std::env::var("SEED").map_or(20261127, |s| s.parse().unwrap()));
    let pool = ByteBufferPool::builder()
        .calibration(cfg)
        .age_policy(AgePolicy::Manual)
        .max_retained_bytes(usize::MAX) // only to count the bytes the pool holds
        .build()
        .unwrap();
    let ours = in_flight_ratio(
        |s| PooledBuffer::into_inner(pool.get_with_capacity(s)),
        |b| pool.put(b),
        || pool.stats().retained_bytes.unwrap(),
    );
    // The same traffic through one size-blind pool (Go's design): any buffer serves any size.
    let blind: Pool<ByteBuffer> = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(ByteBuffer::new)
        .unwrap();
    let held = std::cell::Cell::new(0usize);
    let blind_ratio = in_flight_ratio(
        |_| {
            let b = blind.try_get().unwrap_or_default();
            held.set(held.get() - b.capacity());
            b
        },
        |mut b| {
            b.clear();
            held.set(held.get() + b.capacity());
            blind.put(b);
        },
        || held.get(),
    );
    eprintln!(
        "256 in flight: size-aware {ours:.2}x, size-blind {blind_ratio:.2}x the bytes in use"
    );
    (ours, blind_ratio)
}

/// Size classes against one size-blind pool (Go's design): 1.84x-1.93x against 31.14x over six
/// seeds (`SEED=1..5` and the default); docs/CALIBRATION.md.
#[test]
fn size_aware_reuse_holds_far_less_than_a_size_blind_pool() {
    let (ours, blind) = size_aware_and_blind_ratios();
    assert!(
        ours <= 3.0,
        "size-aware pool holds {ours:.2}x the bytes in use"
    );
    assert!(
        ours * 5.0 <= blind,
        "size-aware {ours:.2}x vs size-blind {blind:.2}x"
    );
}

/// The issue's target: 1.88x with this seed. Four classes per octave keep what is in flight to
/// about 1.2x the bytes in use (power-of-two classes: 1.6x), and ageing by traffic drops what
/// classes whose demand fell hold idle (without it, 2.13x-2.27x in all; with power-of-two
/// classes and the clock alone, 2.48x with this seed).
#[test]
fn size_aware_reuse_holds_at_most_twice_the_bytes_in_use() {
    let (ours, _) = size_aware_and_blind_ratios();
    assert!(
        ours <= 2.0,
        "size-aware pool holds {ours:.2}x the bytes in use"
    );
}

/// Under traffic and with no clock, buffers idle in a class whose demand stopped are dropped
/// after two cycles of ageing by traffic; with `age_by_traffic(None)` they stay.
#[test]
fn idle_classes_age_out_by_traffic() {
    idle_classes_age_out_by_traffic_with(every_put());
    // A window shorter than a tick of the traffic clock (64 samples here): the clock used to
    // be the window's count, reset before it ever reached a tick, and nothing aged.
    let mut short_window = every_put();
    short_window.window = Some(10);
    idle_classes_age_out_by_traffic_with(short_window);
}

fn idle_classes_age_out_by_traffic_with(cfg: CalibrationConfig) {
    let build = |traffic| {
        ByteBufferPool::builder()
            .calibration(cfg.clone())
            .age_policy(AgePolicy::Manual)
            .max_retained_bytes(usize::MAX) // to count what the pool holds
            .age_by_traffic(traffic)
            .build()
            .unwrap()
    };
    for (traffic, expect_dropped) in [(Some(1), true), (None, false)] {
        let pool = build(traffic);
        let burst: Vec<_> = (0..100).map(|_| pool.get_with_capacity(65536)).collect();
        drop(burst);
        assert_eq!(pool.stats().retained_bytes, Some(100 * 65536));
        // Traffic of a few small buffers at a time, 4,000 gets: cycles of at least 256 gets.
        for _ in 0..1000 {
            let small: Vec<_> = (0..4).map(|_| pool.get_with_capacity(1000)).collect();
            for mut b in small {
                b.resize(1000, 1);
            }
        }
        let held = pool.stats().retained_bytes.unwrap();
        if expect_dropped {
            assert!(held < 65536, "{held} bytes still held with {traffic:?}");
        } else {
            assert!(held >= 100 * 65536, "{held} bytes held with {traffic:?}");
        }
        // The small buffers' class is in use: it keeps what the traffic needs.
        let misses = pool.stats().misses;
        drop(pool.get_with_capacity(1000));
        assert_eq!(pool.stats().misses, misses, "{traffic:?}");
    }
}

/// Returning a burst is not traffic: the cycle counts gets, so buffers coming back with no
/// one asking are not aged by their own return.
#[test]
fn a_returning_burst_does_not_age_itself() {
    let pool = ByteBufferPool::builder()
        .calibration(every_put())
        .age_policy(AgePolicy::Manual)
        .max_retained_bytes(usize::MAX)
        .build()
        .unwrap();
    for round in 0..3 {
        let burst: Vec<_> = (0..2000).map(|_| pool.get_with_capacity(4096)).collect();
        drop(burst);
        assert_eq!(
            pool.stats().retained_bytes,
            Some(2000 * 4096),
            "round {round}"
        );
    }
    let s = pool.stats();
    assert_eq!(
        s.misses, 2000,
        "rounds after the first reuse the whole burst"
    );
}

#[test]
fn retained_cap_holds_under_concurrent_puts() {
    let cap = 1 << 20;
    let pool = Arc::new(
        ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .max_retained_bytes(cap)
            .build()
            .unwrap(),
    );
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || {
                for _ in 0..50 {
                    // Take 24 (1.5 MiB) at once: one thread alone returns more than the cap.
                    let bufs: Vec<_> = (0..24).map(|_| pool.get_with_capacity(65536)).collect();
                    drop(bufs);
                    let held = pool.stats().retained_bytes.unwrap();
                    // A put adds its bytes, then takes them back if over the cap: a reading can
                    // include at most one in-flight 64 KiB reservation per thread.
                    assert!(held <= cap + 4 * 65536, "{held} bytes held");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = pool.stats();
    assert!(s.retained_bytes.unwrap() <= cap, "{s:?}");
    assert!(s.discarded > 0, "the cap turned buffers away");
    // Taking everything back out (detached, so nothing returns) finds at most cap bytes. Steal
    // probes start at a random record and are bounded, so one miss does not prove the pool
    // empty: stop after 50 misses in a row.
    let mut found = 0;
    let mut misses_in_a_row = 0;
    while misses_in_a_row < 50 {
        let misses = pool.stats().misses;
        let b = PooledBuffer::into_inner(pool.get_with_capacity(65536));
        if pool.stats().misses > misses {
            misses_in_a_row += 1; // a fresh allocation, detached and dropped
        } else {
            misses_in_a_row = 0;
            found += b.capacity();
        }
    }
    assert!(found <= cap, "{found} bytes came back out");
    assert_eq!(pool.stats().retained_bytes, Some(0));
}

#[test]
fn aged_out_buffers_leave_the_retained_count() {
    let pool = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .max_retained_bytes(usize::MAX)
        .build()
        .unwrap();
    let bufs: Vec<_> = (0..1000).map(|_| pool.get_with_capacity(65536)).collect();
    drop(bufs);
    assert_eq!(pool.stats().retained_bytes, Some(1000 * 65536));
    pool.age();
    pool.age();
    assert_eq!(
        pool.stats().retained_bytes,
        Some(0),
        "W5: all of the burst is given back"
    );
}

// ---- the per-thread front ---------------------------------------------------------------------

fn counted_pool() -> Arc<ByteBufferPool> {
    Arc::new(
        ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .max_retained_bytes(usize::MAX) // only to count the bytes the pool holds
            .build()
            .unwrap(),
    )
}

/// The buffer a thread returned last waits in its front slot; when the thread exits, it moves
/// to its class pool, where other threads can take it and ageing can drop it.
#[test]
fn a_thread_s_front_buffer_is_left_to_others_when_it_exits() {
    let pool = counted_pool();
    let exited = |p: Arc<ByteBufferPool>| {
        let owner = p.clone();
        let ptr = thread::spawn(move || {
            let p = owner;
            let b = p.get_with_capacity(4096);
            let ptr = b.as_ptr() as usize;
            drop(b);
            assert_eq!(
                p.stats().retained_bytes,
                Some(4096),
                "kept in this thread's front"
            );
            ptr
        })
        .join()
        .unwrap();
        assert_eq!(
            p.stats().retained_bytes,
            Some(4096),
            "still held after the exit"
        );
        ptr
    };
    let ptr = exited(pool.clone());
    assert_eq!(
        pool.get_with_capacity(4096).as_ptr() as usize,
        ptr,
        "taken by another thread"
    );
    assert_eq!(pool.stats().hits, 1);

    let pool = counted_pool();
    exited(pool.clone());
    pool.age();
    pool.age();
    assert_eq!(pool.stats().retained_bytes, Some(0), "or dropped by ageing");
}

/// Threads that exit one after another inherit each other's per-thread records (`thread_local`
/// recycles ids); whatever they leave behind must still age out, including a record that a
/// thread's exit hook created while the thread was tearing down.
#[test]
fn buffers_left_by_exited_threads_age_out() {
    let pool = counted_pool();
    for i in 0..20 {
        let p = pool.clone();
        thread::spawn(move || {
            for _ in 0..=(i % 2) {
                p.put(ByteBuffer::with_capacity(8192));
            }
        })
        .join()
        .unwrap();
    }
    for _ in 0..4 {
        pool.age();
    }
    assert_eq!(pool.stats().retained_bytes, Some(0));
}

/// Another thread cannot touch a front, so an idle thread's slot ages when the thread next uses
/// the pool: a buffer that sat there for two cycles is dropped instead of handed out.
#[test]
fn an_idle_front_buffer_ages_out_on_the_owner_s_next_call() {
    let pool = counted_pool();
    let (to_owner, owner_rx) = std::sync::mpsc::channel::<()>();
    let (to_main, main_rx) = std::sync::mpsc::channel::<()>();
    let p = pool.clone();
    let owner = thread::spawn(move || {
        drop(p.get_with_capacity(4096));
        to_main.send(()).unwrap();
        owner_rx.recv().unwrap(); // two cycles pass meanwhile
        let b = p.get_with_capacity(4096);
        let s = p.stats();
        assert_eq!(
            s.retained_bytes,
            Some(0),
            "the stale buffer was dropped: {s:?}"
        );
        assert_eq!(s.misses, 2, "and not handed out: {s:?}");
        drop(b);
    });
    main_rx.recv().unwrap();
    pool.age();
    assert_eq!(
        pool.stats().retained_bytes,
        Some(4096),
        "one cycle: still held"
    );
    pool.age();
    to_owner.send(()).unwrap();
    owner.join().unwrap();
    // Only the buffer the owner returned last, left to other threads when it exited.
    assert_eq!(pool.stats().retained_bytes, Some(4096));
}

/// One cycle is not enough: a buffer idle for one cycle is still reused.
#[test]
fn a_front_buffer_survives_one_cycle() {
    let pool = counted_pool();
    let ptr = {
        let b = pool.get();
        b.as_ptr()
    };
    pool.age();
    assert_eq!(pool.get().as_ptr(), ptr);
    assert_eq!(pool.stats().hits, 1);
}

/// One thread using two pools in turn: each pool's buffers, counters and sampling stay its own
/// (the thread-local cache holds one pool at a time and is refilled on every switch).
#[test]
fn pools_used_in_turn_by_one_thread_keep_apart() {
    let (a, b) = (pool_with(every_put()), pool_with(every_put()));
    for i in 0..100 {
        let mut x = a.get();
        x.resize(100, 1);
        let mut y = b.get();
        y.resize(50_000, 2);
        assert!(x.capacity() < 50_000, "a's buffer came from b");
        if i > 0 {
            assert_eq!(y.capacity(), 65_536, "b's grown buffer came back");
        }
    }
    for (pool, len) in [(&a, 100), (&b, 50_000)] {
        let s = pool.stats();
        assert_eq!((s.gets, s.hits, s.misses, s.puts), (100, 99, 1, 100));
        let sampled: u64 = s.histogram.iter().map(|&(_, n)| n).sum();
        assert_eq!(sampled, 100);
        let bucket = s
            .histogram
            .iter()
            .find(|&&(bound, _)| bound >= len)
            .unwrap();
        assert_eq!(bucket.1, 100, "every sample of this pool is its own length");
    }
}

/// Pools created and dropped in a row (likely at the same address) never reach each other's
/// per-thread state: each starts empty.
#[test]
fn a_new_pool_starts_empty_after_another_is_dropped() {
    for _ in 0..3 {
        let pool = pool_with(every_put());
        assert!(pool.get().is_empty());
        drop(pool.get());
        let s = pool.stats();
        assert_eq!((s.gets, s.hits, s.misses, s.puts), (2, 1, 1, 2));
    }
}

/// A thread-local destructor that runs while the thread's thread-locals are torn down may
/// still use a pool.
#[test]
fn a_thread_local_destructor_may_use_the_pool() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static POOL: std::sync::LazyLock<ByteBufferPool> =
        std::sync::LazyLock::new(|| pool_with(every_put()));
    static DONE: AtomicU64 = AtomicU64::new(0);
    struct UsesPoolOnDrop;
    impl Drop for UsesPoolOnDrop {
        fn drop(&mut self) {
            let mut b = POOL.get();
            b.extend_from_slice(b"late");
            drop(b);
            DONE.fetch_add(1, Ordering::SeqCst);
        }
    }
    thread_local! {
        static LATE: UsesPoolOnDrop = const { UsesPoolOnDrop };
    }
    thread::spawn(|| {
        drop(POOL.get()); // the pool's per-thread state first
        LATE.with(|_| ()); // then this destructor, which runs before that state is torn down
    })
    .join()
    .unwrap();
    assert_eq!(DONE.load(Ordering::SeqCst), 1);
    let s = POOL.stats();
    assert_eq!((s.gets, s.puts), (2, 2));
}

// ---- guards, stats, errors, bounds -----------------------------------------------------------

#[test]
fn guards_write_with_both_traits() {
    let pool = Arc::new(ByteBufferPool::new());
    let mut b = pool.get();
    write!(b, "{}", 42).unwrap();
    b.write_all(b"..").unwrap();
    b.write_str("!").unwrap();
    assert_eq!(*b, "42..!");
    assert_eq!(&*b, &b"42..!"[..]);
    assert_eq!(format!("{b:?}"), r#"b"42..!""#);
    assert_eq!(AsRef::<[u8]>::as_ref(&b), b"42..!");

    let mut o: OwnedPooledBuffer = pool.get_owned();
    write!(o, "{}", 7).unwrap();
    o.write_all(b"8").unwrap();
    let o = thread::spawn(move || {
        assert_eq!(*o, "78");
        OwnedPooledBuffer::into_inner(o)
    })
    .join()
    .unwrap();
    assert_eq!(o, "78");
    drop(b);
    assert!(pool.get_owned_with_capacity(5000).capacity() >= 5000);
}

#[test]
fn detached_buffers_are_not_returned() {
    let pool = pool_with(every_put());
    let b = PooledBuffer::into_inner(pool.get());
    assert_eq!(pool.stats().puts, 0);
    pool.put(b);
    assert_eq!(pool.stats().puts, 1);
}

#[test]
fn stats_display_draws_the_histogram() {
    let pool = pool_with(every_put());
    for _ in 0..90 {
        put_len(&pool, 3000);
    }
    for _ in 0..10 {
        put_len(&pool, 20_000);
    }
    pool.calibrate();
    let s: Stats = pool.stats();
    let text = s.to_string();
    assert!(text.contains("default_size 4 KiB"), "{text}");
    assert!(text.contains("◀ default_size"), "{text}");
    assert!(text.contains("◀ max_size"), "{text}");
    assert!(text.contains('█'), "{text}");
    assert!(
        text.contains("last calibration window: 100 samples"),
        "{text}"
    );
}

/// Before the first calibration `default_size` is `initial_default_size`, any size: the
/// table marks the bucket it falls in, where `get()` allocates.
#[test]
fn stats_display_marks_an_initial_default_size_in_its_bucket() {
    let mut cfg = every_put();
    cfg.initial_default_size = 3000;
    let pool = pool_with(cfg);
    assert_eq!(pool.get().capacity(), 4096);
    for _ in 0..5 {
        put_len(&pool, 3000);
    }
    let text = pool.stats().to_string();
    assert!(text.contains("4 KiB         5 100.0%"), "{text}");
    let row = text.lines().find(|l| l.contains("4 KiB ")).unwrap();
    assert!(row.ends_with("◀ default_size"), "{text}");

    let fresh = pool_with(every_put()); // default_size 0: the first bucket's row
    put_len(&fresh, 1000);
    let text = fresh.stats().to_string();
    let row = text.lines().find(|l| l.contains("◀ default_size")).unwrap();
    assert!(row.trim_start().starts_with("64 B"), "{text}");
}

#[test]
fn invalid_configuration_reports_everything() {
    let mut cfg = CalibrationConfig::default();
    cfg.sample_every = 0;
    cfg.max_percentile = 0.0;
    cfg.max_size_decay = 1.0;
    let err = ByteBufferPool::builder()
        .calibration(cfg)
        .age_policy(AgePolicy::Background {
            interval: std::time::Duration::ZERO,
        })
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 4, "{err}");
    let text = err.to_string();
    assert!(text.contains("sample_every") && text.contains("max_percentile"));
    assert!(text.contains("max_size_decay 1 is not in [0, 1)"), "{text}");
    assert!(
        text.contains("configuration: ByteBufferPoolBuilder"),
        "{text}"
    );
}

#[test]
fn invalid_class_and_traffic_settings_are_reported() {
    for per_octave in [0, 3, 16] {
        let err = ByteBufferPool::builder()
            .classes_per_octave(per_octave)
            .build()
            .unwrap_err();
        assert_eq!(
            err.problems(),
            [format!(
                "classes_per_octave {per_octave} is not one of 1, 2, 4, 8"
            )]
        );
    }
    let mut tiny = CalibrationConfig::default();
    tiny.min_size = 4;
    let err = ByteBufferPool::builder()
        .calibration(tiny.clone())
        .classes_per_octave(8)
        .age_by_traffic(Some(0))
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 2, "{err}");
    assert!(err.to_string().contains("above min_size 4"), "{err}");
    assert!(
        err.to_string().contains("age_by_traffic is Some(0)"),
        "{err}"
    );
    let pool = ByteBufferPool::builder()
        .calibration(tiny)
        .classes_per_octave(4)
        .build()
        .unwrap();
    assert_eq!(pool.get_with_capacity(5).capacity(), 5);
    assert_eq!(pool.get_with_capacity(9).capacity(), 10);
}

/// One class per octave is the power-of-two design: a request gets the next power of two.
#[test]
fn one_class_per_octave_allocates_powers_of_two() {
    let pool = ByteBufferPool::builder()
        .classes_per_octave(1)
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap();
    for (n, cap) in [(1, 64), (65, 128), (5000, 8192), (100_000, 131_072)] {
        assert_eq!(pool.get_with_capacity(n).capacity(), cap, "{n}");
    }
    let fine = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap();
    for (n, cap) in [(1, 64), (65, 80), (5000, 5120), (100_000, 114_688)] {
        assert_eq!(fine.get_with_capacity(n).capacity(), cap, "{n}");
    }
}

#[test]
fn test_bounds() {
    fn is_send<T: Send>() {}
    fn is_sync<T: Sync>() {}
    fn is_static<T: 'static>() {}
    is_send::<ByteBufferPool>();
    is_sync::<ByteBufferPool>();
    is_send::<OwnedPooledBuffer>();
    is_static::<OwnedPooledBuffer>();
    is_send::<PooledBuffer<'static>>();
    is_send::<Stats>();
    is_sync::<Stats>();
}

// ---- found by review, 2026-12-05 -------------------------------------------------------------

/// A pool with a byte cap (to count what it holds), ageing by hand only.
fn capped(cap: usize) -> Arc<ByteBufferPool> {
    Arc::new(
        ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .age_by_traffic(None)
            .max_retained_bytes(cap)
            .build()
            .unwrap(),
    )
}

/// An idle, live thread keeps at most the buffer of its front slot: the buffers it filed in
/// the class pools age out (they used to sit in the class pools' private slots of that
/// thread, out of ageing's reach, one per class).
#[test]
fn an_idle_live_thread_keeps_at_most_its_front_buffer() {
    let pool = capped(1 << 30);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let p = Arc::clone(&pool);
    let h = thread::spawn(move || {
        for cap in [64usize, 128, 256, 512, 1024] {
            p.put(ByteBuffer::with_capacity(cap)); // each pushes the one before to its class
        }
        done_tx.send(()).unwrap();
        go_rx.recv().unwrap();
    });
    done_rx.recv().unwrap();
    for _ in 0..3 {
        pool.age();
    }
    let held = pool.stats().retained_bytes.unwrap();
    go_tx.send(()).unwrap();
    h.join().unwrap();
    assert_eq!(held, 1024, "only the front slot's buffer");
}

/// A busy thread that never uses those classes again does not keep its old large buffers,
/// and they do not fill the byte cap for good: after a few cycles another thread's put of a
/// large buffer is kept (it used to be discarded, the cap full of unreachable buffers).
#[test]
fn buffers_filed_by_a_busy_thread_age_out_and_free_the_cap() {
    let pool = capped(16 << 20);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<bool>();
    let p = Arc::clone(&pool);
    let h = thread::spawn(move || {
        for cap in [1 << 20, 2 << 20, 4 << 20, 8 << 20, 1024] {
            p.put(ByteBuffer::with_capacity(cap));
        }
        done_tx.send(()).unwrap();
        while go_rx.recv().unwrap() {
            let mut b = p.get(); // served by its front slot
            b.extend_from_slice(b"x");
            drop(b);
            done_tx.send(()).unwrap();
        }
    });
    done_rx.recv().unwrap();
    for _ in 0..3 {
        pool.age();
        go_tx.send(true).unwrap();
        done_rx.recv().unwrap();
    }
    let held = pool.stats().retained_bytes.unwrap();
    let before = pool.stats().discarded;
    pool.put(ByteBuffer::with_capacity(2 << 20));
    let after = pool.stats();
    go_tx.send(false).unwrap();
    h.join().unwrap();
    assert_eq!(held, 1024, "only the busy thread's front buffer");
    assert_eq!(after.discarded, before, "kept: {:?}", after.retained_bytes);
}

/// A seed makes a pool's sampling reproducible whatever else the thread did: two pools with
/// the same seed, one after the other on one thread, and one on a thread that first used an
/// unseeded pool, sample the same puts (the seed used to seed one generator per thread,
/// shared by every pool: the second pool went on with the first one's stream, and a thread
/// whose generator an unseeded pool had made ignored the seed).
#[test]
fn a_seed_reproduces_the_samples_whatever_the_thread_did_before() {
    let run = || {
        let mut cfg = CalibrationConfig::default();
        cfg.seed = Some(42);
        cfg.window = Some(u64::MAX);
        let pool = pool_with(cfg);
        for i in 0..20_000usize {
            put_len(&pool, 100 + (i * 37) % 9000);
        }
        pool.stats().histogram
    };
    let first = run();
    assert!(
        first.iter().map(|&(_, n)| n).sum::<u64>() > 400,
        "{first:?}"
    );
    assert_eq!(run(), first, "the same thread, a second pool");
    let after_another = thread::spawn(move || {
        drop(bytebufferpool::get()); // the global pool, unseeded, draws first here
        let mut b = bytebufferpool::get();
        b.resize(1000, 0);
        drop(b);
        run()
    })
    .join()
    .unwrap();
    assert_eq!(
        after_another, first,
        "a thread that used an unseeded pool first"
    );
}
