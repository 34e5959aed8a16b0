//! A self-calibrating, lock-free byte-buffer pool: Go's
//! [`valyala/bytebufferpool`](https://github.com/valyala/bytebufferpool) and `sync.Pool`, for Rust.
//!
//! # Why
//!
//! Services that assemble HTTP bodies, log lines or protocol frames allocate and free a buffer
//! per request. A pool turns that into reuse. This crate starts with [`ByteBuffer`], a
//! `Vec<u8>`-like buffer that covers every method of Go's `ByteBuffer` (their Go names are
//! rustdoc aliases, so a search for `WriteString` finds [`ByteBuffer::push_str`]).
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
//! # When not to use this
//!
//! If your buffers are handed to code that keeps them (for instance frozen into
//! `bytes::Bytes` that outlive the request), a pool cannot reuse them; use `bytes::BytesMut`
//! directly. If you allocate a buffer a few times per second, a pool only adds code.
//!
//! # How it is tested
//!
//! Go's own `ByteBuffer` tests, re-expressed; a property test that drives `ByteBuffer` and a
//! `Vec<u8>` model with the same random operations; and a test of every trait implementation.
//! See `docs/` in the repository for the design.

mod buffer;

pub use crate::buffer::{ByteBuffer, FormatError};
