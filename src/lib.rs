//! A self-calibrating, lock-free byte-buffer pool: Go's
//! [`valyala/bytebufferpool`](https://github.com/valyala/bytebufferpool) and `sync.Pool`, for Rust.
//!
//! # Why
//!
//! Services that assemble HTTP bodies, log lines or protocol frames allocate and free a buffer
//! per request. A pool turns that into reuse. This crate has two layers so far:
//!
//! - [`ByteBuffer`], a `Vec<u8>`-like buffer that covers every method of Go's `ByteBuffer`
//!   (their Go names are rustdoc aliases, so a search for `WriteString` finds
//!   [`ByteBuffer::push_str`]);
//! - [`Pool<T>`], Go's `sync.Pool` for Rust: a private slot and a work-stealing deque per
//!   thread, so that a `get`/`put` pair takes no lock and no atomic read-modify-write, and a
//!   victim generation, so that objects idle for two ageing cycles are dropped
//!   ([`AgePolicy`]: a background thread by default, or [`Pool::age`] by hand).
//!
//! # Example
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
//! # When not to use this
//!
//! If your buffers are handed to code that keeps them (for instance frozen into
//! `bytes::Bytes` that outlive the request), a pool cannot reuse them; use `bytes::BytesMut`
//! directly. If you allocate a buffer a few times per second, a pool only adds code.
//!
//! # How it is tested
//!
//! Go's own `ByteBuffer` and `sync.Pool` tests, re-expressed (`age()` stands for
//! `runtime.GC()`); property tests that drive `ByteBuffer` and the pool against trivial models;
//! a tagged stress test in which every object has an id, so that handing one out twice or
//! losing one fails; thread churn; panicking constructors and drops; a loom model of the ageing
//! protocol; and Miri. There is no `unsafe` code. See `docs/` in the repository for the design,
//! the test matrix and measured benchmarks.

mod buffer;
mod pool;
mod sync;

pub use crate::buffer::{ByteBuffer, FormatError};
pub use crate::pool::{
    AgePolicy, OwnedPooled, Pool, PoolBuildError, PoolBuilder, PoolStats, Pooled,
};
