//! The size classes of a [`ByteBufferPool`](super::ByteBufferPool), finer than the
//! calibrator's power-of-two buckets, and the hint of which ones hold buffers.
//!
//! Each octave `[min_size·2^o, min_size·2^(o+1))` of the calibrator's buckets is cut into
//! `per_octave` classes of equal width (a power of two: 1, 2, 4 or 8), so that a buffer asked
//! for `n >= min_size` bytes is allocated with at most `1 + 1/per_octave` times `n` instead of
//! up to twice `n`. With 4 per octave the bounds run 64, 80, 96, 112, 128, 160, … B; every power of two is
//! a bound, so a buffer that grew by doubling (as [`ByteBuffer`](crate::ByteBuffer) does) still
//! fills its class exactly. The last class starts at the largest bucket's bound (32 MiB by
//! default) and holds everything above it.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering};

/// The class bounds: class `c` holds capacities in `[bound(c), bound(c + 1))`.
pub(super) struct SizeClasses {
    bounds: Box<[usize]>,
    min_bits: u32,
    /// `log2(per_octave)`.
    sub_bits: u32,
}

impl SizeClasses {
    /// Classes for buckets of `min_size << i`, `i < buckets`, cut `per_octave` ways. The
    /// caller has checked that `min_size` and `per_octave` are powers of two, that
    /// `per_octave <= min_size`, and that the largest bound fits in `usize`.
    pub(super) fn new(min_size: usize, buckets: usize, per_octave: usize) -> Self {
        let sub_bits = per_octave.trailing_zeros();
        let count = ((buckets - 1) << sub_bits) + 1;
        let bounds = (0..count)
            .map(|c| {
                let base = min_size << (c >> sub_bits);
                base + (c & (per_octave - 1)) * (base >> sub_bits)
            })
            .collect();
        Self {
            bounds,
            min_bits: min_size.trailing_zeros(),
            sub_bits,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Classes per octave.
    pub(super) fn per_octave(&self) -> usize {
        1 << self.sub_bits
    }

    /// The smallest capacity class `c` holds.
    #[inline]
    pub(super) fn bound(&self, c: usize) -> usize {
        self.bounds[c]
    }

    /// The class a buffer of capacity `cap` fills: the largest with `bound(c) <= cap`; 0 below
    /// the smallest bound.
    #[inline]
    pub(super) fn of_capacity(&self, cap: usize) -> usize {
        if cap >> self.min_bits == 0 {
            return 0;
        }
        let log2 = usize::BITS - 1 - cap.leading_zeros(); // >= min_bits >= sub_bits
        let octave = (log2 - self.min_bits) as usize;
        let sub = (cap >> (log2 - self.sub_bits)) & ((1 << self.sub_bits) - 1);
        ((octave << self.sub_bits) + sub).min(self.bounds.len() - 1)
    }

    /// The class whose buffers all have room for `n` bytes and that wastes least: the smallest
    /// with `bound(c) >= n`. `None` above the largest bound.
    #[inline]
    pub(super) fn for_request(&self, n: usize) -> Option<usize> {
        let c = self.of_capacity(n);
        if self.bounds[c] >= n {
            Some(c)
        } else if c + 1 < self.bounds.len() {
            Some(c + 1)
        } else {
            None
        }
    }

    /// The class of a power-of-two bucket's bound (`min_size << bucket`).
    #[inline]
    pub(super) fn of_bucket(&self, bucket: usize) -> usize {
        (bucket << self.sub_bits).min(self.bounds.len() - 1)
    }
}

/// Which classes probably hold buffers: bit `c % 64` of word `c / 64`. A hint for the search
/// of larger classes, set when a buffer is filed and cleared by a search that found the class
/// empty. `Relaxed` throughout: a stale bit only costs a probe or a missed reuse.
pub(super) struct Hint {
    words: Box<[CachePadded<AtomicU64>]>,
}

impl Hint {
    pub(super) fn new(classes: usize) -> Self {
        Self {
            words: (0..classes.div_ceil(64))
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        }
    }

    #[inline]
    pub(super) fn mark(&self, c: usize) {
        let (word, bit) = (&self.words[c / 64], 1u64 << (c % 64));
        // The read keeps the line shared in the common case, where the bit is already set.
        if word.load(Ordering::Relaxed) & bit == 0 {
            word.fetch_or(bit, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(super) fn clear(&self, c: usize) {
        let (word, bit) = (&self.words[c / 64], 1u64 << (c % 64));
        if word.load(Ordering::Relaxed) & bit != 0 {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Whether any class is marked.
    pub(super) fn any(&self) -> bool {
        self.words.iter().any(|w| w.load(Ordering::Relaxed) != 0)
    }

    /// Number of 64-class words.
    pub(super) fn words(&self) -> usize {
        self.words.len()
    }

    /// Unmarks the classes of word `w` (classes `64·w ..`); returns what was marked.
    pub(super) fn take(&self, w: usize) -> u64 {
        self.words[w].swap(0, Ordering::Relaxed)
    }

    /// Marks what `bits` marks in word `w`.
    pub(super) fn mark_word(&self, w: usize, bits: u64) {
        if bits != 0 {
            self.words[w].fetch_or(bits, Ordering::Relaxed);
        }
    }

    /// The first marked class in `from..=to`, if any.
    pub(super) fn next(&self, from: usize, to: usize) -> Option<usize> {
        let mut c = from;
        while c <= to {
            let (w, b) = (c / 64, c % 64);
            let bits = self.words.get(w)?.load(Ordering::Relaxed) >> b;
            if bits != 0 {
                let found = c + bits.trailing_zeros() as usize;
                return (found <= to).then_some(found);
            }
            c = (w + 1) * 64;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_per_octave_bounds() {
        let s = SizeClasses::new(64, 20, 4);
        assert_eq!(s.len(), 77);
        let first: Vec<_> = (0..9).map(|c| s.bound(c)).collect();
        assert_eq!(first, [64, 80, 96, 112, 128, 160, 192, 224, 256]);
        assert_eq!(s.bound(76), 32 << 20);
        assert_eq!(s.of_bucket(19), 76);
        assert_eq!(s.of_bucket(6), 24);
        assert_eq!(s.bound(24), 4096);
    }

    #[test]
    fn one_per_octave_is_the_buckets() {
        let s = SizeClasses::new(64, 20, 1);
        assert_eq!(s.len(), 20);
        for c in 0..20 {
            assert_eq!(s.bound(c), 64 << c);
        }
        assert_eq!(s.of_capacity(127), 0);
        assert_eq!(s.of_capacity(128), 1);
        assert_eq!(s.for_request(65), Some(1));
    }

    #[test]
    fn capacity_and_request_edges() {
        let s = SizeClasses::new(64, 20, 4);
        assert_eq!(s.of_capacity(0), 0);
        assert_eq!(s.of_capacity(63), 0);
        assert_eq!(s.of_capacity(79), 0);
        assert_eq!(s.of_capacity(80), 1);
        assert_eq!(s.of_capacity(usize::MAX), 76);
        assert_eq!(s.for_request(0), Some(0));
        assert_eq!(s.for_request(64), Some(0));
        assert_eq!(s.for_request(65), Some(1));
        assert_eq!(s.for_request(5000), Some(s.of_capacity(5120)));
        assert_eq!(s.for_request(32 << 20), Some(76));
        assert_eq!(s.for_request((32 << 20) + 1), None);
    }

    /// Against a linear scan of the bounds, for every configuration the builder accepts at
    /// small sizes and for capacities around every bound.
    #[test]
    fn lookups_match_a_scan_of_the_bounds() {
        for per_octave in [1, 2, 4, 8] {
            for (min_size, buckets) in [(8, 6), (64, 20), (1024, 3), (64, 1)] {
                let s = SizeClasses::new(min_size, buckets, per_octave);
                let mut probes = vec![0, 1, usize::MAX];
                for c in 0..s.len() {
                    let b = s.bound(c);
                    probes.extend([b - 1, b, b + 1]);
                    if c > 0 {
                        assert!(s.bound(c - 1) < b, "bounds grow");
                    }
                }
                for n in probes {
                    let scan_cap = (0..s.len()).rev().find(|&c| s.bound(c) <= n).unwrap_or(0);
                    assert_eq!(s.of_capacity(n), scan_cap, "of_capacity({n})");
                    let scan_req = (0..s.len()).find(|&c| s.bound(c) >= n);
                    assert_eq!(s.for_request(n), scan_req, "for_request({n})");
                }
            }
        }
    }

    #[test]
    fn hint_finds_marked_classes_across_words() {
        let h = Hint::new(77);
        assert_eq!(h.next(0, 76), None);
        h.mark(3);
        h.mark(70);
        assert_eq!(h.next(0, 76), Some(3));
        assert_eq!(h.next(4, 76), Some(70));
        assert_eq!(h.next(4, 69), None);
        assert_eq!(h.next(70, 70), Some(70));
        h.clear(3);
        assert_eq!(h.next(0, 76), Some(70));
        h.clear(70);
        assert_eq!(h.next(0, 200), None);
        assert!(!h.any());
        h.mark(65);
        assert!(h.any());
        assert_eq!((h.words(), h.take(0), h.take(1)), (2, 0, 2));
        assert!(!h.any());
        h.mark_word(1, 2);
        assert_eq!(h.next(0, 76), Some(65));
    }
}
