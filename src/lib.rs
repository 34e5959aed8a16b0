//! A self-calibrating, lock-free byte-buffer pool: Go's
//! [`valyala/bytebufferpool`](https://github.com/valyala/bytebufferpool) and `sync.Pool`, for Rust.
//!
//! # Why
//!
//! Services that assemble HTTP bodies, log lines or protocol frames allocate and free a buffer
//! per request. A pool turns that into reuse. This crate has three layers:
//!
//! - [`ByteBuffer`], a `Vec<u8>`-like buffer that covers every method of Go's `ByteBuffer`
//!   (their Go names are rustdoc aliases, so a search for `WriteString` finds
//!   [`ByteBuffer::push_str`]);
//! - [`Pool<T>`], Go's `sync.Pool` for Rust: a private slot and a work-stealing deque per
//!   thread, so that a `get`/`put` pair takes no lock and no atomic read-modify-write, and a
//!   victim generation, so that objects idle for two ageing cycles are dropped
//!   ([`AgePolicy`]: a background thread by default, or [`Pool::age`] by hand);
//! - [`ByteBufferPool`], Go's `bytebufferpool.Pool`: a calibrator that samples the lengths of
//!   returned buffers into power-of-two buckets and keeps `default_size` (capacity of fresh
//!   buffers) and `max_size` (larger ones are dropped) up to date, in front of one `Pool` per
//!   size class. [`get`], [`put`] and [`stats`] use a process-wide default pool.
//!
//! # Example
//!
//! ```
//! use std::io::Write as _;
//!
//! let mut body = bytebufferpool::get(); // from the default pool; returned on drop
//! write!(body, "{{\"id\":{}}}", 42).unwrap();
//! body.write_all(b"\n").unwrap();
//! assert_eq!(*body, "{\"id\":42}\n");
//! drop(body);
//! let stats = bytebufferpool::stats(); // Display draws the calibration histogram
//! assert!(stats.puts >= 1);
//! ```
//!
//! A `ByteBuffer` on its own:
//!
//! ```
//! use bytebufferpool::ByteBuffer;
//! use std::io::Write as _;
//!
//! let mut body = ByteBuffer::with_capacity(1024);
//! for chunk in [&b"{\"id\":"[..], b"42", b"}"] {
//!     body.write_all(chunk).unwrap();
//! }
//! write!(body, "\n{} bytes", 9).unwrap();
//! assert_eq!(body, "{\"id\":42}\n9 bytes");
//! ```
//!
//! A pool of any type:
//!
//! ```
//! use bytebufferpool::{AgePolicy, Pool};
//!
//! let pool = Pool::builder()
//!     .age_policy(AgePolicy::Manual)
//!     .build(|| Vec::<u8>::with_capacity(4096))
//!     .unwrap();
//! let mut scratch = pool.get(); // a guard; derefs to the Vec
//! scratch.extend_from_slice(b"payload");
//! drop(scratch); // back in the pool, contents and capacity as left
//! assert_eq!(pool.stats().misses, 1);
//! ```
//!
//! # Feature flags
//!
//! All off by default.
//!
//! - `bytes`: `bytes::BufMut` for [`ByteBuffer`]; `ByteBuffer::freeze` and
//!   `OwnedPooledBuffer::freeze` into `bytes::Bytes` without copying (a pooled buffer returns
//!   to its pool when the last `Bytes` clone drops).
//! - `http-body`: `ByteBufferPool::collect_body` and `collect_body`: an `http_body::Body`
//!   into a pooled buffer, with a size limit (`CollectError`).
//! - `tokio`: `AsyncWrite` for [`ByteBuffer`], `ByteBufferPool::read_to_end`.
//! - `serde`: `Serialize`/`Deserialize` for [`Stats`] and, as bytes, for [`ByteBuffer`].
//!
//! # Performance
//!
//! Measured on a 2-core machine on 2026-12-05 (`docs/BENCHMARKS.md`): a `Pool<u64>` put+get
//! pair 3.4–3.5 ns (a `Mutex<Vec>` pool 25–27 ns); a `ByteBufferPool` get + 64 B + drop
//! 4.3–4.9 ns (glibc's `Vec::with_capacity(64)` + drop 9.8–10.6 ns in the same runs, on
//! 2026-12-06); on 2
//! threads, sampling makes it about 25× faster than counting every put as Go does (6.3–6.6
//! against 160–162 ns per get/put).
//!
//! # When not to use this
//!
//! If your buffers are handed to code that keeps them (for instance frozen into
//! `bytes::Bytes` that outlive the request), a pool cannot reuse them; use `bytes::BytesMut`
//! directly. If you allocate a buffer a few times per second, a pool only adds code. If all
//! your buffers are small and short-lived on one thread, glibc's allocator is about as fast.
//!
//! # How it is tested
//!
//! Go's own `ByteBuffer` and `sync.Pool` tests, re-expressed (`age()` stands for
//! `runtime.GC()`); property tests that drive `ByteBuffer` and the pool against trivial models;
//! a tagged stress test in which every object has an id, so that handing one out twice or
//! losing one fails; thread churn; panicking constructors and drops; a loom model of the ageing
//! protocol; Miri; ThreadSanitizer; cargo-fuzz targets for `ByteBuffer` and for the pools; a
//! soak test with RSS tracking; and a test that no safe API shows a previous user's bytes. The
//! crate has four `unsafe` steps, each with its argument written out and tested under Miri:
//! the pointer cache through which a thread reaches its `ByteBufferPool` front (it took a W1
//! get/put from 6.6 to 5.3 ns when introduced), the front's slot, a pointer that owns the
//! buffer (no flag beside it for `stats`: about 0.2 ns of a 3.9 ns W1 cycle), the same kind of
//! cache for a `Pool`'s per-thread record (a put + get pair from 4.9–5.1 to 3.4–3.5 ns), and
//! one forwarding impl behind feature `bytes`. See `docs/`
//! in the repository: `DESIGN.md`, `CALIBRATION.md`, `BENCHMARKS.md`, `RELIABILITY.md`,
//! `TESTING.md`.

#![deny(unsafe_code)]

mod buffer;
mod byte_pool;
#[cfg(feature = "bytes")]
mod bytes_support;
mod calibrate;
#[cfg(feature = "http-body")]
mod http_body_support;
mod pool;
#[cfg(feature = "serde")]
mod serde_support;
mod stats;
mod sync;
#[cfg(feature = "tokio")]
mod tokio_support;

use once_cell::sync::Lazy;

pub use crate::buffer::{ByteBuffer, FormatError};
pub use crate::byte_pool::{
    ByteBufferPool, ByteBufferPoolBuildError, ByteBufferPoolBuilder, OwnedPooledBuffer,
    PooledBuffer,
};
pub use crate::calibrate::{CalibrationConfig, DefaultSizeRule};
#[cfg(feature = "http-body")]
pub use crate::http_body_support::{CollectError, collect_body};
pub use crate::pool::{
    AgePolicy, OwnedPooled, Pool, PoolBuildError, PoolBuilder, PoolStats, Pooled,
};
pub use crate::stats::Stats;

/// The process-wide pool behind [`get`], [`put`] and [`stats`]: default calibration,
/// background ageing, created on first use.
static DEFAULT_POOL: Lazy<ByteBufferPool> = Lazy::new(ByteBufferPool::new);

/// The process-wide default pool, as Go's package-level `Get`/`Put` use. Separate pools
/// calibrate separately: give each kind of buffer (bodies, log lines, ...) its own.
///
/// # Examples
///
/// ```
/// let pool = bytebufferpool::default_pool();
/// drop(pool.get());
/// assert!(pool.stats().gets >= 1);
/// ```
pub fn default_pool() -> &'static ByteBufferPool {
    &DEFAULT_POOL
}

/// Takes a buffer from the default pool, in a guard that returns it on drop. Go's package
/// `Get`.
///
/// # Examples
///
/// ```
/// let mut buf = bytebufferpool::get();
/// buf.push_str("hello");
/// assert_eq!(*buf, "hello");
/// ```
#[doc(alias = "Get")]
#[inline]
pub fn get() -> PooledBuffer<'static> {
    DEFAULT_POOL.get()
}

/// Returns a buffer to the default pool. Go's package `Put`.
///
/// # Examples
///
/// ```
/// let buf = bytebufferpool::PooledBuffer::into_inner(bytebufferpool::get());
/// bytebufferpool::put(buf);
/// ```
#[doc(alias = "Put")]
#[inline]
pub fn put(buf: ByteBuffer) {
    DEFAULT_POOL.put(buf);
}

/// A snapshot of the default pool's calibration and counters.
///
/// # Examples
///
/// ```
/// drop(bytebufferpool::get());
/// assert!(bytebufferpool::stats().gets >= 1);
/// ```
pub fn stats() -> Stats {
    DEFAULT_POOL.stats()
}
