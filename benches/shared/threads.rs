//! What the benches share: timing work that runs on several threads at once.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `work` on `threads` threads that start together at a barrier, and returns the time
/// from that barrier to the one every thread reaches when done (thread start-up and joins
/// are not timed). With `work` doing `iters` iterations, criterion then reports the wall
/// time per iteration of one thread.
pub(crate) fn time_threads<F>(threads: usize, work: F) -> Duration
where
    F: Fn() + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(threads + 1));
    let end = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (work, start, end) = (work.clone(), start.clone(), end.clone());
            thread::spawn(move || {
                start.wait();
                work();
                end.wait();
            })
        })
        .collect();
    start.wait();
    let t0 = Instant::now();
    end.wait();
    let elapsed = t0.elapsed();
    for h in handles {
        h.join().unwrap();
    }
    elapsed
}
