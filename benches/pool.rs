//! `Pool<T>` against a `Mutex<Vec<T>>` pool and a `crossbeam_queue::ArrayQueue` pool, in the
//! shapes of Go's `sync.Pool` benchmarks, plus the cost of one `age()` over 100,000 items.
//!
//! Run: `cargo bench --bench pool`. Threaded groups time only between two barriers.

#[path = "shared/threads.rs"]
mod threads;

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bytebufferpool::{AgePolicy, Pool};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;

use crate::threads::time_threads;

/// The three pools under the same two calls.
trait BenchPool: Send + Sync + 'static {
    fn put(&self, x: u64);
    fn get(&self) -> Option<u64>;
}

impl BenchPool for Pool<u64> {
    #[inline]
    fn put(&self, x: u64) {
        Pool::put(self, x);
    }
    #[inline]
    fn get(&self) -> Option<u64> {
        self.try_get()
    }
}

/// The simplest thread-safe pool: a vector behind a lock.
#[derive(Default)]
struct MutexPool(Mutex<Vec<u64>>);

impl BenchPool for MutexPool {
    #[inline]
    fn put(&self, x: u64) {
        self.0.lock().unwrap().push(x);
    }
    #[inline]
    fn get(&self) -> Option<u64> {
        self.0.lock().unwrap().pop()
    }
}

/// A bounded lock-free MPMC queue as a pool (lockfree-object-pool's shape).
struct QueuePool(ArrayQueue<u64>);

impl BenchPool for QueuePool {
    #[inline]
    fn put(&self, x: u64) {
        let _ = self.0.push(x);
    }
    #[inline]
    fn get(&self) -> Option<u64> {
        self.0.pop()
    }
}

fn manual_pool() -> Pool<u64> {
    Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| 0)
        .unwrap()
}

fn pools() -> Vec<(&'static str, Arc<dyn BenchPool>)> {
    vec![
        ("Pool", Arc::new(manual_pool())),
        ("MutexVec", Arc::new(MutexPool::default())),
        ("ArrayQueue", Arc::new(QueuePool(ArrayQueue::new(4096)))),
    ]
}

/// One benchmark shape: `iters` rounds against one pool.
type Body = fn(&dyn BenchPool, u64);

/// Go's `BenchmarkPool`: put then get, once per iteration.
fn pair(pool: &dyn BenchPool, iters: u64) {
    for i in 0..iters {
        pool.put(i);
        black_box(pool.get());
    }
}

/// Go's `BenchmarkPoolOverflow`: 100 puts then 100 gets, per iteration (200 ops).
fn overflow(pool: &dyn BenchPool, iters: u64) {
    for _ in 0..iters {
        for i in 0..100 {
            pool.put(i);
        }
        for _ in 0..100 {
            black_box(pool.get());
        }
    }
}

/// Go's `BenchmarkPoolStarvation`: 67 puts then 100 gets, per iteration (167 ops).
fn starvation(pool: &dyn BenchPool, iters: u64) {
    for _ in 0..iters {
        for i in 0..67 {
            pool.put(i);
        }
        for _ in 0..100 {
            black_box(pool.get());
        }
    }
}

fn bench_shapes(c: &mut Criterion) {
    let nproc = thread::available_parallelism().map_or(2, |n| n.get());
    let shapes: [(&str, Body); 3] = [
        ("pair", pair),
        ("overflow", overflow),
        ("starvation", starvation),
    ];
    for (shape, body) in shapes {
        let mut group = c.benchmark_group(format!("pool/{shape}"));
        group.measurement_time(Duration::from_secs(3));
        group.warm_up_time(Duration::from_secs(1));
        for (name, pool) in pools() {
            // One thread, timed on this thread (no barriers needed).
            group.bench_function(BenchmarkId::new(name, "1thread"), |b| {
                b.iter_custom(|iters| {
                    let t0 = Instant::now();
                    body(&*pool, iters);
                    t0.elapsed()
                })
            });
            group.bench_function(BenchmarkId::new(name, format!("{nproc}threads")), |b| {
                b.iter_custom(|iters| {
                    let pool = pool.clone();
                    time_threads(nproc, move || body(&*pool, iters))
                })
            });
        }
        group.finish();
    }
}

/// The cost of one ageing cycle with 100,000 items in the pool: the first (current -> victim)
/// and the second (the victim dropped), both on an idle owner.
fn bench_age(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool/age_100k");
    group.sample_size(20);
    group.bench_function("first_cycle", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let pool = manual_pool();
                (0..100_000).for_each(|i| pool.put(i));
                let t0 = Instant::now();
                pool.age();
                total += t0.elapsed();
            }
            total
        })
    });
    group.bench_function("second_cycle_drops", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let pool = manual_pool();
                (0..100_000).for_each(|i| pool.put(i));
                pool.age();
                let t0 = Instant::now();
                pool.age();
                total += t0.elapsed();
                // The ager is the owner here, so it also rotates its own record: all are dropped.
                assert_eq!(pool.stats().aged_out, 100_000);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench_shapes, bench_age);
criterion_main!(benches);
