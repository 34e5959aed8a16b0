//! `ByteBufferPool` on the shared workload W1 (get, append 64 B, release) beside
//! `Vec::with_capacity(64)`, and the calibration overhead: ByteBufferPool against a raw
//! `Pool<ByteBuffer>` and a raw `Pool<Box<ByteBuffer>>` (what ByteBufferPool stores) doing the
//! same get/append/clear/put, in the same group; and 256 buffers in flight with the workload's
//! sizes, through the size classes, with and without ageing by traffic, beside `Vec`.
//!
//! Run: `cargo bench --bench byte_pool`.

#[path = "shared/threads.rs"]
mod threads;

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool, CalibrationConfig, Pool};
use criterion::{Criterion, criterion_group, criterion_main};

use crate::threads::time_threads;

const PAYLOAD: [u8; 64] = [b'x'; 64];

fn manual_pool() -> ByteBufferPool {
    ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap()
}

/// W1: acquire, append 64 bytes, release; one thread.
fn w1(c: &mut Criterion) {
    let mut g = c.benchmark_group("w1_get_put_64");
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("Vec::with_capacity(64)+drop", |b| {
        b.iter(|| {
            let mut v = Vec::with_capacity(64);
            v.extend_from_slice(black_box(&PAYLOAD));
            black_box(&v);
        })
    });
    let pool = manual_pool();
    g.bench_function("ByteBufferPool::get+drop", |b| {
        b.iter(|| {
            let mut buf = pool.get();
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&*buf);
        })
    });
    // The same with sampling off, to show what the calibrator's sampling costs on this path.
    let mut unsampled = CalibrationConfig::default();
    unsampled.sample_every = u32::MAX;
    let quiet = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .calibration(unsampled)
        .build()
        .unwrap();
    g.bench_function("ByteBufferPool::get+drop, sampling off", |b| {
        b.iter(|| {
            let mut buf = quiet.get();
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&*buf);
        })
    });
    g.bench_function("bytebufferpool::get (global)+drop", |b| {
        b.iter(|| {
            let mut buf = bytebufferpool::get();
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&*buf);
        })
    });
    g.finish();
}

/// Calibration overhead: the same get/append/put through ByteBufferPool (sampling, size
/// classes, max_size check) and through a raw Pool<ByteBuffer> (clear on put, nothing else).
fn overhead(c: &mut Criterion) {
    let mut g = c.benchmark_group("calibration_overhead");
    g.measurement_time(Duration::from_secs(3));
    let raw: Pool<ByteBuffer> = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| ByteBuffer::with_capacity(64))
        .unwrap();
    g.bench_function("raw Pool<ByteBuffer> get+put", |b| {
        b.iter(|| {
            let mut buf = raw
                .try_get()
                .unwrap_or_else(|| ByteBuffer::with_capacity(64));
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&buf);
            buf.clear();
            raw.put(buf);
        })
    });
    let boxed: Pool<Box<ByteBuffer>> = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| Box::new(ByteBuffer::with_capacity(64)))
        .unwrap();
    g.bench_function("raw Pool<Box<ByteBuffer>> get+put", |b| {
        b.iter(|| {
            let mut buf = boxed
                .try_get()
                .unwrap_or_else(|| Box::new(ByteBuffer::with_capacity(64)));
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&buf);
            buf.clear();
            boxed.put(buf);
        })
    });
    let pool = manual_pool();
    g.bench_function("ByteBufferPool get+put", |b| {
        b.iter(|| {
            let mut buf = pool.get();
            buf.extend_from_slice(black_box(&PAYLOAD));
            black_box(&*buf);
        })
    });
    g.finish();
}

/// Sampling against Go's count-every-put: the same W1 loop through a ByteBufferPool with
/// `CalibrationConfig::go()` (every put increments a shared counter) and with the default
/// (one put in 32 sampled), on 1 thread and on every core at once (time per get/put per
/// thread, between two barriers).
fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampling");
    g.measurement_time(Duration::from_secs(3));
    let threads = thread::available_parallelism().map_or(2, |n| n.get());
    for (name, cfg) in [
        ("go_every_put", CalibrationConfig::go()),
        ("sampled_1_in_32", CalibrationConfig::default()),
    ] {
        let pool = Arc::new(
            ByteBufferPool::builder()
                .calibration(cfg)
                .age_policy(AgePolicy::Manual)
                .build()
                .unwrap(),
        );
        g.bench_function(format!("{name}/1thread"), |b| {
            b.iter(|| {
                let mut buf = pool.get();
                buf.extend_from_slice(black_box(&PAYLOAD));
                black_box(&*buf);
            })
        });
        g.bench_function(format!("{name}/{threads}threads"), |b| {
            b.iter_custom(|iters| {
                let pool = pool.clone();
                time_threads(threads, move || {
                    for _ in 0..iters {
                        let mut buf = pool.get();
                        buf.extend_from_slice(black_box(&PAYLOAD));
                        black_box(&*buf);
                    }
                })
            })
        });
    }
    g.finish();
}

/// 256 buffers in flight: each iteration releases the oldest and takes one for the next size
/// of `workloads/sizes.txt` with `get_with_capacity`, writing one byte (the memory test of
/// `tests/byte_pool.rs`, timed). What the finer classes and ageing by traffic cost in time,
/// beside the previous design (power-of-two classes, the clock alone) and the allocator.
fn in_flight(c: &mut Criterion) {
    let sizes: Vec<usize> = include_str!("../workloads/sizes.txt")
        .split_whitespace()
        .map(|s| s.parse().unwrap())
        .collect();
    let mut g = c.benchmark_group("in_flight_256");
    g.measurement_time(Duration::from_secs(3));
    let mut next = sizes.iter().copied().cycle();
    let mut ring: VecDeque<Vec<u8>> = VecDeque::new();
    g.bench_function("Vec::with_capacity", |b| {
        b.iter(|| {
            if ring.len() == 256 {
                drop(ring.pop_front());
            }
            let mut v = Vec::with_capacity(next.next().unwrap_or(64));
            v.push(1);
            ring.push_back(black_box(v));
        })
    });
    drop(ring);
    let configs = [
        ("ByteBufferPool (4 classes/octave, traffic)", 4, Some(1)),
        ("ByteBufferPool (4 classes/octave, clock only)", 4, None),
        ("ByteBufferPool (1 class/octave, clock only)", 1, None),
    ];
    for (name, per_octave, traffic) in configs {
        let pool = ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .classes_per_octave(per_octave)
            .age_by_traffic(traffic)
            .build()
            .unwrap();
        let mut next = sizes.iter().copied().cycle();
        let mut ring = VecDeque::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                if ring.len() == 256 {
                    drop(ring.pop_front());
                }
                let mut buf = pool.get_with_capacity(next.next().unwrap_or(64));
                buf.push(1);
                ring.push_back(black_box(buf));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, w1, overhead, sampling, in_flight);
criterion_main!(benches);
