//! How many bodies a `ByteBufferPool` takes to follow a shift of body sizes, by thread count:
//! every thread puts 256 B bodies until `default_size` is 256 B, then all of them switch to
//! 64 KiB bodies, and the bodies put after the switch (across all threads) are counted until
//! `default_size` is 64 KiB. Each thread count runs `--runs` times (default 15) with the OS's
//! seeds; the median, the fewest and the most are printed.
//!
//! With several threads each holds up to six samples of the old size that it adds after the
//! switch (see `CalibrationConfig::window`), so the shift is seen a little later than with one.
//!
//! Run: `cargo run --release --example shift_lag [-- --runs N]`.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use bytebufferpool::{AgePolicy, ByteBufferPool};

const BEFORE: usize = 256;
const AFTER: usize = 64 * 1024;

/// Bodies put after the switch until `default_size` follows, with `threads` threads.
fn bodies_to_follow(threads: usize) -> u64 {
    let pool = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .expect("the default configuration is valid");
    let after = AtomicU64::new(0);
    let followed = AtomicBool::new(false);
    let switch = Barrier::new(threads);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while pool.stats().default_size != BEFORE {
                    for _ in 0..64 {
                        pool.get().resize(BEFORE, 1);
                    }
                }
                switch.wait();
                while !followed.load(Ordering::Relaxed) {
                    pool.get().resize(AFTER, 1);
                    let n = after.fetch_add(1, Ordering::Relaxed) + 1;
                    // `stats` walks every thread's counters: not at every body.
                    if n % 16 == 0 && pool.stats().default_size >= AFTER {
                        followed.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    after.into_inner()
}

fn main() {
    let mut runs = 15;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().and_then(|v| v.parse().ok())) {
            ("--runs", Some(n)) if n > 0 => runs = n,
            _ => {
                eprintln!("usage: shift_lag [--runs N]  (N at least 1)");
                std::process::exit(1);
            }
        }
    }
    println!(
        "bodies after a {BEFORE} B -> {AFTER} B shift until default_size follows ({runs} runs)"
    );
    for threads in [1, 2, 4, 8, 16] {
        let mut n: Vec<u64> = (0..runs).map(|_| bodies_to_follow(threads)).collect();
        n.sort_unstable();
        println!(
            "{threads:>2} threads: median {}, fewest {}, most {}",
            n[n.len() / 2],
            n[0],
            n[n.len() - 1]
        );
    }
}
