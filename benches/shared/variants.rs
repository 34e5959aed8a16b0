//! The variants of the shared workloads (`workloads/WORKLOADS.md`): our pools, the floor, plain
//! allocation and every peer, behind one interface. Used by `benches/workloads.rs`,
//! `benches/workloads_mimalloc.rs` and `examples/bench_report.rs`.

use std::sync::{Arc, Mutex};

use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool};
use bytes::BytesMut;

/// Bodies arrive in chunks of this size (a TCP segment's payload).
pub(crate) const CHUNK: usize = 1460;

/// The body sizes of W3 (100,000 lognormal sizes, median ~2 KiB).
pub(crate) fn sizes() -> Vec<usize> {
    include_str!("../../workloads/sizes.txt")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The bytes appended: a repeating pattern, one chunk long.
pub(crate) fn pattern() -> Vec<u8> {
    (0..CHUNK).map(|i| (i % 251) as u8).collect()
}

/// A buffer the loop can append to and read.
pub(crate) trait Sink {
    fn append(&mut self, bytes: &[u8]);
    fn contents(&self) -> &[u8];
}

macro_rules! impl_sink {
    ($($t:ty),*) => {$(
        impl Sink for $t {
            #[inline]
            fn append(&mut self, bytes: &[u8]) {
                self.extend_from_slice(bytes);
            }
            #[inline]
            fn contents(&self) -> &[u8] {
                self
            }
        }
    )*};
}

impl_sink!(Vec<u8>, ByteBuffer, BytesMut);

/// The body of every workload: append `size` bytes in chunks of at most [`CHUNK`], then read
/// the buffer once (the sum of every 64th byte, so the work is not optimised away).
#[inline]
pub(crate) fn assemble<S: Sink + ?Sized>(buf: &mut S, size: usize, data: &[u8]) -> u64 {
    let mut left = size;
    while left > 0 {
        let n = left.min(data.len());
        buf.append(&data[..n]);
        left -= n;
    }
    buf.contents()
        .iter()
        .step_by(64)
        .map(|&b| u64::from(b))
        .sum()
}

/// One thread's handle on a variant.
pub(crate) trait Worker {
    /// Acquire a buffer, assemble a body of `size` bytes, read it, release the buffer.
    fn body(&mut self, size: usize, data: &[u8]) -> u64;
    /// W5: hold `n` bodies of `size` bytes at once, then release them all.
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64;
    /// W5: what the variant does to give memory back when idle (our pools: two ageing
    /// cycles; the others have nothing).
    fn idle(&mut self) {}
}

/// A way to get buffers: a pool, plain allocation, or the floor.
pub(crate) trait Variant: Send + Sync {
    fn name(&self) -> &'static str;
    fn worker(&self) -> Box<dyn Worker>;
    /// The calibrated default size, for the variants that have one.
    fn default_size(&self) -> Option<usize> {
        None
    }
}

// ---- the floor and plain allocation ----------------------------------------------------------

/// The floor: one buffer owned by the loop and reused, no pool at all.
struct Floor;

struct FloorWorker {
    buf: Vec<u8>,
    held: Vec<Vec<u8>>,
}

impl Variant for Floor {
    fn name(&self) -> &'static str {
        "floor"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(FloorWorker {
            buf: Vec::new(),
            held: Vec::new(),
        })
    }
}

impl Worker for FloorWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        self.buf.clear();
        assemble(&mut self.buf, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        // The floor of a burst: n buffers kept by the loop for reuse.
        self.held.resize_with(n, Vec::new);
        self.held
            .iter_mut()
            .map(|b| {
                b.clear();
                assemble(b, size, data)
            })
            .sum()
    }
}

/// `Vec::new()` growing to the body, then dropped.
struct VecNew;
/// `Vec::with_capacity(size)` (the exact size, known up front), then dropped.
struct VecExact;
struct Alloc {
    exact: bool,
}

impl Variant for VecNew {
    fn name(&self) -> &'static str {
        "vec_new"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(Alloc { exact: false })
    }
}

impl Variant for VecExact {
    fn name(&self) -> &'static str {
        "vec_with_capacity"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(Alloc { exact: true })
    }
}

impl Worker for Alloc {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut v = if self.exact {
            Vec::with_capacity(size)
        } else {
            Vec::new()
        };
        assemble(&mut v, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                if self.exact {
                    Vec::with_capacity(size)
                } else {
                    Vec::new()
                }
            })
            .collect();
        held.iter_mut().map(|b| assemble(b, size, data)).sum()
    }
}

/// `bytes::BytesMut` reused by the loop: cleared, and its allocation reclaimed by `reserve`.
struct BytesMutReuse;

struct BytesMutWorker {
    buf: BytesMut,
}

impl Variant for BytesMutReuse {
    fn name(&self) -> &'static str {
        "bytesmut_reuse"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(BytesMutWorker {
            buf: BytesMut::new(),
        })
    }
}

impl Worker for BytesMutWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        self.buf.clear();
        assemble(&mut self.buf, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<BytesMut> = (0..n).map(|_| BytesMut::new()).collect();
        held.iter_mut().map(|b| assemble(b, size, data)).sum()
    }
}

// ---- ours ------------------------------------------------------------------------------------

/// `bytebufferpool::get()`: the global default pool.
struct OursGlobal;

struct OursGlobalWorker;

impl Variant for OursGlobal {
    fn name(&self) -> &'static str {
        "bytebufferpool_global"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(OursGlobalWorker)
    }
    fn default_size(&self) -> Option<usize> {
        Some(bytebufferpool::stats().default_size)
    }
}

impl Worker for OursGlobalWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut b = bytebufferpool::get();
        assemble(&mut *b, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<_> = (0..n).map(|_| bytebufferpool::get()).collect();
        held.iter_mut()
            .map(|b| assemble(&mut **b, size, data))
            .sum()
    }
    fn idle(&mut self) {
        bytebufferpool::default_pool().age();
        bytebufferpool::default_pool().age();
    }
}

/// A `ByteBufferPool` of its own (manual ageing, so that the benchmark decides when).
struct OursLocal(Arc<ByteBufferPool>);

struct OursLocalWorker(Arc<ByteBufferPool>);

impl Variant for OursLocal {
    fn name(&self) -> &'static str {
        "bytebufferpool_local"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(OursLocalWorker(self.0.clone()))
    }
    fn default_size(&self) -> Option<usize> {
        Some(self.0.stats().default_size)
    }
}

impl Worker for OursLocalWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut b = self.0.get();
        assemble(&mut *b, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<_> = (0..n).map(|_| self.0.get()).collect();
        held.iter_mut()
            .map(|b| assemble(&mut **b, size, data))
            .sum()
    }
    fn idle(&mut self) {
        self.0.age();
        self.0.age();
    }
}

// ---- peers -----------------------------------------------------------------------------------

/// A peer whose guard derefs to `Vec<u8>` and returns it on drop: `$take` gets one.
macro_rules! guard_pool {
    ($(#[$doc:meta])* $variant:ident, $worker:ident, $pool:ty, $name:literal, |$p:ident| $take:expr) => {
        $(#[$doc])*
        struct $variant(Arc<$pool>);
        struct $worker(Arc<$pool>);

        impl Variant for $variant {
            fn name(&self) -> &'static str {
                $name
            }
            fn worker(&self) -> Box<dyn Worker> {
                Box::new($worker(self.0.clone()))
            }
        }

        impl Worker for $worker {
            fn body(&mut self, size: usize, data: &[u8]) -> u64 {
                let $p = &self.0;
                let mut b = $take;
                assemble(&mut *b, size, data)
            }
            fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
                let $p = &self.0;
                let mut held: Vec<_> = (0..n).map(|_| $take).collect();
                held.iter_mut().map(|b| assemble(&mut **b, size, data)).sum()
            }
        }
    };
}

struct VecAlloc;

impl opool::PoolAllocator<Vec<u8>> for VecAlloc {
    fn allocate(&self) -> Vec<u8> {
        Vec::new()
    }
    fn reset(&self, v: &mut Vec<u8>) {
        v.clear();
    }
}

guard_pool!(
    /// opool: a bounded crossbeam `ArrayQueue` (1,024), reset on get.
    Opool, OpoolWorker, opool::Pool<VecAlloc, Vec<u8>>, "opool", |p| p.get()
);
guard_pool!(
    /// lockfree-object-pool: `LinearObjectPool` (pages of slots with atomic bitmaps).
    LfopLinear,
    LfopLinearWorker,
    lockfree_object_pool::LinearObjectPool<Vec<u8>>,
    "lockfree_object_pool_linear",
    |p| p.pull()
);
guard_pool!(
    /// lockfree-object-pool: `SpinLockObjectPool` (a `Vec` behind a spin lock).
    LfopSpin,
    LfopSpinWorker,
    lockfree_object_pool::SpinLockObjectPool<Vec<u8>>,
    "lockfree_object_pool_spinlock",
    |p| p.pull()
);

/// object-pool: a `parking_lot::Mutex<Vec<T>>`, pre-filled with 32 empty vectors; no reset
/// hook, so the loop clears.
struct ObjectPool(Arc<object_pool::Pool<Vec<u8>>>);
struct ObjectPoolWorker(Arc<object_pool::Pool<Vec<u8>>>);

impl Variant for ObjectPool {
    fn name(&self) -> &'static str {
        "object_pool"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(ObjectPoolWorker(self.0.clone()))
    }
}

impl Worker for ObjectPoolWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut b = self.0.pull(Vec::new);
        b.clear();
        assemble(&mut *b, size, data)
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<_> = (0..n).map(|_| self.0.pull(Vec::new)).collect();
        held.iter_mut()
            .map(|b| {
                b.clear();
                assemble(&mut **b, size, data)
            })
            .sum()
    }
}

/// sharded-slab's `Pool`: `create()`, then an explicit `clear(key)` to release.
struct ShardedSlab(Arc<sharded_slab::Pool<Vec<u8>>>);
struct ShardedSlabWorker(Arc<sharded_slab::Pool<Vec<u8>>>);

impl Variant for ShardedSlab {
    fn name(&self) -> &'static str {
        "sharded_slab"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(ShardedSlabWorker(self.0.clone()))
    }
}

impl Worker for ShardedSlabWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut b = self.0.create().expect("sharded-slab is full");
        let sum = assemble(&mut *b, size, data);
        let key = b.key();
        drop(b);
        self.0.clear(key);
        sum
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut sum = 0;
        let keys: Vec<usize> = (0..n)
            .map(|_| {
                let mut b = self.0.create().expect("sharded-slab is full");
                sum += assemble(&mut *b, size, data);
                b.key()
            })
            .collect();
        for k in keys {
            self.0.clear(k);
        }
        sum
    }
}

/// The hand-rolled pool: `Mutex<Vec<Vec<u8>>>`.
struct MutexVec(Arc<Mutex<Vec<Vec<u8>>>>);
struct MutexVecWorker(Arc<Mutex<Vec<Vec<u8>>>>);

impl Variant for MutexVec {
    fn name(&self) -> &'static str {
        "mutex_vec"
    }
    fn worker(&self) -> Box<dyn Worker> {
        Box::new(MutexVecWorker(self.0.clone()))
    }
}

impl Worker for MutexVecWorker {
    fn body(&mut self, size: usize, data: &[u8]) -> u64 {
        let mut b = self.0.lock().unwrap().pop().unwrap_or_default();
        let sum = assemble(&mut b, size, data);
        b.clear();
        self.0.lock().unwrap().push(b);
        sum
    }
    fn burst(&mut self, n: usize, size: usize, data: &[u8]) -> u64 {
        let mut held: Vec<Vec<u8>> = (0..n)
            .map(|_| self.0.lock().unwrap().pop().unwrap_or_default())
            .collect();
        let sum = held.iter_mut().map(|b| assemble(b, size, data)).sum();
        let mut pool = self.0.lock().unwrap();
        for mut b in held {
            b.clear();
            pool.push(b);
        }
        sum
    }
}

/// Every variant, freshly made (the global pool excepted: there is one per process).
pub(crate) fn all() -> Vec<Arc<dyn Variant>> {
    let local = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .expect("default configuration");
    vec![
        Arc::new(Floor),
        Arc::new(OursGlobal),
        Arc::new(OursLocal(Arc::new(local))),
        Arc::new(VecNew),
        Arc::new(VecExact),
        Arc::new(BytesMutReuse),
        Arc::new(Opool(Arc::new(opool::Pool::new(1024, VecAlloc)))),
        Arc::new(LfopLinear(Arc::new(
            lockfree_object_pool::LinearObjectPool::new(Vec::new, |v: &mut Vec<u8>| v.clear()),
        ))),
        Arc::new(LfopSpin(Arc::new(
            lockfree_object_pool::SpinLockObjectPool::new(Vec::new, |v: &mut Vec<u8>| v.clear()),
        ))),
        Arc::new(ObjectPool(Arc::new(object_pool::Pool::new(32, Vec::new)))),
        Arc::new(ShardedSlab(Arc::new(sharded_slab::Pool::new()))),
        Arc::new(MutexVec(Arc::new(Mutex::new(Vec::new())))),
    ]
}
