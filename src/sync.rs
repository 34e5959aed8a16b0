//! The atomics and locks the crate uses: std's, or loom's atomics under `cfg(loom)`.
//!
//! Every other module takes them from here (a grep in `.ci/run` enforces it), so a loom build
//! swaps the atomics at once. loom cannot see inside `crossbeam-deque` or `thread_local`, so
//! the loom model (`pool::epoch`'s tests) checks our own ageing protocol over stand-ins; the
//! `Arc`, `Weak` and `Mutex` below serve only the janitor and registration, outside the model,
//! and stay std's.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

pub(crate) use std::sync::{Arc, Mutex, Weak};

/// For `static`s, which loom's atomics cannot initialise: always std's. Such statics (ids
/// handed out once per pool, never repeated within a process) are outside the loom model.
pub(crate) use std::sync::atomic::AtomicU64 as StaticAtomicU64;
