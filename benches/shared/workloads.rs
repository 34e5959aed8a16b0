//! The criterion groups of W1–W4 (`workloads/WORKLOADS.md`), every variant in every group.
//! Shared by `benches/workloads.rs` (the system allocator) and `benches/workloads_mimalloc.rs`.
//! W5 is memory, not time: `examples/bench_report.rs` measures it.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

use crate::threads::time_threads;
use crate::variants::{self, Variant};

/// Threads for W2: `BBP_THREADS`, else the available parallelism.
fn threads() -> usize {
    std::env::var("BBP_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Registers W1–W4 under `{prefix}W1_get_put`, ... .
pub(crate) fn workloads(c: &mut Criterion, prefix: &str) {
    let data = Arc::new(variants::pattern());
    let sizes = Arc::new(variants::sizes());
    let all = variants::all();
    let threads = threads();

    let mut g = c.benchmark_group(format!("{prefix}W1_get_put"));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for v in &all {
        g.bench_function(v.name(), |b| {
            let mut w = v.worker();
            b.iter(|| black_box(w.body(64, &data)))
        });
    }
    g.finish();

    // W2: per operation across all threads: wall time / (threads × iterations).
    let mut g = c.benchmark_group(format!("{prefix}W2_get_put_parallel"));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for v in &all {
        g.bench_function(BenchmarkId::new(v.name(), threads), |b| {
            b.iter_custom(|iters| {
                let (v, data): (Arc<dyn Variant>, _) = (v.clone(), data.clone());
                time_threads(threads, move || {
                    let mut w = v.worker();
                    for _ in 0..iters {
                        black_box(w.body(64, &data));
                    }
                }) / threads as u32
            })
        });
    }
    g.finish();

    // W3: one body per iteration, sizes in order, wrapping.
    let mean = sizes.iter().sum::<usize>() as u64 / sizes.len() as u64;
    let mut g = c.benchmark_group(format!("{prefix}W3_body_assembly"));
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(mean));
    for v in &all {
        g.bench_function(v.name(), |b| {
            let mut w = v.worker();
            let mut i = 0;
            b.iter(|| {
                let size = sizes[i % sizes.len()];
                i += 1;
                black_box(w.body(size, &data))
            })
        });
    }
    g.finish();

    // W4: one iteration = 50,000 bodies of 256 B (not timed), then 50,000 of 64 KiB (timed);
    // the table divides by 50,000 for ns per body.
    let mut g = c.benchmark_group(format!("{prefix}W4_shift"));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(4));
    for v in &all {
        g.bench_function(v.name(), |b| {
            let mut w = v.worker();
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    for _ in 0..50_000 {
                        black_box(w.body(256, &data));
                    }
                    let t0 = Instant::now();
                    for _ in 0..50_000 {
                        black_box(w.body(65536, &data));
                    }
                    timed += t0.elapsed();
                }
                timed
            })
        });
    }
    g.finish();
}
