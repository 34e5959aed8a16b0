//! [`Stats`]: what a [`ByteBufferPool`](crate::ByteBufferPool) decided and counted, with a
//! `Display` that draws the histogram.

use std::fmt;

/// A snapshot of a [`ByteBufferPool`](crate::ByteBufferPool): the calibrated sizes, the
/// counters and the sampled histograms.
///
/// Taking one reads a few dozen counters; it does not slow down `get` or `put`. Counters kept
/// per thread are summed while other threads work, so a snapshot under load is close, not
/// exact. `Display` renders it as a table with proportional bars, marking where `default_size`
/// and `max_size` fall.
///
/// # Examples
///
/// ```
/// let pool = bytebufferpool::ByteBufferPool::new();
/// pool.put(bytebufferpool::ByteBuffer::from(vec![7u8; 1000]));
/// pool.calibrate();
/// let stats = pool.stats();
/// assert_eq!(stats.puts, 1);
/// println!("{stats}");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
#[must_use = "a stats snapshot does nothing unless read or printed"]
pub struct Stats {
    /// The size `get()` makes fresh buffers for: they get the bound of the bucket it falls in
    /// (at least `min_size`). After a calibration it is a bound itself; before the first it
    /// is `initial_default_size` (0 by default, which gives `min_size`).
    pub default_size: usize,
    /// Buffers whose capacity exceeds this are dropped on return. 0 before the first
    /// calibration, when the limit is the largest bucket's bound (32 MiB by default).
    pub max_size: usize,
    /// Calibrations so far.
    pub calibrations: u64,
    /// Buffers handed out: `hits + misses`.
    pub gets: u64,
    /// Buffers returned: kept ones plus `discarded`.
    pub puts: u64,
    /// Gets served by a pooled buffer.
    pub hits: u64,
    /// Gets that allocated a fresh buffer.
    pub misses: u64,
    /// Returned buffers that were dropped: too large for `max_size`, too small to be worth
    /// keeping, or over the retained-bytes cap.
    pub discarded: u64,
    /// Bytes of capacity held by the pool, if a cap on them was set.
    pub retained_bytes: Option<usize>,
    /// The cap on retained bytes, if one was set.
    pub max_retained_bytes: Option<usize>,
    /// One put in this many is sampled (on average).
    pub sample_every: u32,
    /// (bucket upper bound, samples) of the window in progress.
    pub histogram: Vec<(usize, u64)>,
    /// (bucket upper bound, samples) of the window the last calibration decided on; empty
    /// before the first.
    pub last_window: Vec<(usize, u64)>,
}

/// `4096` → `4 KiB`.
struct Size(usize);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut v = self.0;
        let mut u = 0;
        while v >= 1024 && v % 1024 == 0 && u + 1 < UNITS.len() {
            v /= 1024;
            u += 1;
        }
        write!(f, "{v} {}", UNITS[u])
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.max_size == 0 {
            "none yet".to_string()
        } else {
            Size(self.max_size).to_string()
        };
        writeln!(
            f,
            "default_size {}, max_size {max}, {} calibrations, 1 put in {} sampled",
            Size(self.default_size),
            self.calibrations,
            self.sample_every
        )?;
        writeln!(
            f,
            "gets {} (hits {}, misses {}), puts {} (discarded {})",
            self.gets, self.hits, self.misses, self.puts, self.discarded
        )?;
        if let (Some(held), Some(cap)) = (self.retained_bytes, self.max_retained_bytes) {
            writeln!(f, "retained {held} of at most {cap} bytes")?;
        }
        let (title, hist) = if self.last_window.iter().any(|&(_, n)| n > 0) {
            ("last calibration window", &self.last_window)
        } else {
            ("current window", &self.histogram)
        };
        let total: u64 = hist.iter().map(|&(_, n)| n).sum();
        writeln!(f, "{title}: {total} samples")?;
        if total == 0 {
            return Ok(());
        }
        // The row `default_size` falls in, as a length would (it is a bound after a
        // calibration, any size before); `max_size` is a bound, or 0 for none yet.
        let default_row = hist
            .iter()
            .position(|&(b, _)| b >= self.default_size)
            .unwrap_or(hist.len() - 1);
        let marked = |i: usize, b: usize| i == default_row || b == self.max_size;
        // Rows from the first to the last bucket with samples or a mark.
        let keep = |(i, &(b, n)): (usize, &(usize, u64))| n > 0 || marked(i, b);
        let first = hist.iter().enumerate().position(keep).unwrap_or(0);
        let last = hist.iter().enumerate().rposition(keep).unwrap_or(0);
        let top = hist.iter().map(|&(_, n)| n).max().unwrap_or(1).max(1);
        const WIDTH: u64 = 40;
        writeln!(f, "{:>10} {:>9} {:>6}", "bucket ≤", "samples", "share")?;
        for (i, &(bound, n)) in hist.iter().enumerate().take(last + 1).skip(first) {
            let bar = (n * WIDTH).div_ceil(top) as usize;
            let share = 100.0 * n as f64 / total as f64;
            write!(
                f,
                "{:>10} {:>9} {:>5.1}% {:<40}",
                Size(bound).to_string(),
                n,
                share,
                "█".repeat(bar)
            )?;
            if i == default_row {
                write!(f, " ◀ default_size")?;
            }
            if bound == self.max_size {
                write!(f, " ◀ max_size")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        assert_eq!(Size(64).to_string(), "64 B");
        assert_eq!(Size(4096).to_string(), "4 KiB");
        assert_eq!(Size(32 << 20).to_string(), "32 MiB");
        assert_eq!(Size(1500).to_string(), "1500 B");
    }
}
