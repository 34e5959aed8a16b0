//! Soak test: the pools under a mixed multi-threaded load for a given time, with the default
//! background ageing, reporting RSS over time, operations per second and the tag invariants.
//!
//! Each worker thread loops over: HTTP-like bodies through a `ByteBufferPool` (sizes from
//! `workloads/sizes.txt`, a few held in flight, now and then a burst of 64 KiB buffers), and
//! tagged objects through a `Pool<Tagged>` (every object has an id; taking an id that is
//! already out, or a corrupted object, is a violation). Worker threads are restarted every few
//! seconds (thread churn). At the end the pools are dropped and created == dropped is checked.
//!
//! Run: `cargo run --release --example soak -- --seconds 600 [--threads N]`. Exits 1 on any
//! violation or if created != dropped, and 2 if RSS keeps growing after the warm-up: the median
//! of the last quarter's RSS samples (four a second) more than 10 % + 1 MiB above the second
//! quarter's. The median, not the peak: a peak is whichever burst (one thread's 64 × 64 KiB, 4
//! MiB) a sample happened to catch, and failed correct runs; a leak raises the median as much.
//!
//! `--leak-kib-per-s N` leaks N KiB a second on purpose (buffers taken from the pool, written
//! and forgotten), to show that the check catches a leak: `.ci/run` runs it and expects exit 2.
//! The threshold grows with the RSS, which grows with `--threads` (about 6.5 MiB a thread), so
//! that run fixes `--threads 4`: 1 MiB/s then adds about 8 MiB against a threshold of about 4.
//! Runs shorter than 8 seconds are refused (exit 1): their quarters are too short to judge.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bytebufferpool::{ByteBufferPool, Pool, Pooled};

/// Ids are recycled (a dropped object gives its id back), so the table stays bounded.
const MAX_IDS: usize = 1 << 20;

struct Ledger {
    held: Vec<AtomicBool>,
    free_ids: Mutex<Vec<u32>>,
    next_id: AtomicUsize,
    created: AtomicU64,
    dropped: AtomicU64,
    violations: AtomicU64,
}

struct Tagged {
    id: u32,
    check: u64,
    ledger: Arc<Ledger>,
}

fn check_of(id: u32) -> u64 {
    u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed
}

impl Tagged {
    fn new(ledger: &Arc<Ledger>) -> Self {
        let id = ledger
            .free_ids
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| ledger.next_id.fetch_add(1, SeqCst) as u32);
        assert!((id as usize) < MAX_IDS, "more than {MAX_IDS} live objects");
        ledger.created.fetch_add(1, SeqCst);
        Tagged {
            id,
            check: check_of(id),
            ledger: ledger.clone(),
        }
    }
}

impl Drop for Tagged {
    fn drop(&mut self) {
        self.ledger.dropped.fetch_add(1, SeqCst);
        self.ledger.free_ids.lock().unwrap().push(self.id);
    }
}

/// Take: the object must be intact and not already out.
fn take(pool: &Pool<Tagged>) -> Tagged {
    let t = Pooled::into_inner(pool.get());
    let l = &t.ledger;
    if t.check != check_of(t.id) || l.held[t.id as usize].swap(true, SeqCst) {
        l.violations.fetch_add(1, SeqCst);
    }
    t
}

fn give(pool: &Pool<Tagged>, t: Tagged) {
    if !t.ledger.held[t.id as usize].swap(false, SeqCst) {
        t.ledger.violations.fetch_add(1, SeqCst);
    }
    pool.put(t);
}

/// The shortest run whose RSS can be judged (see `main`).
const MIN_SECONDS: u64 = 8;

fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1 << 20) as f64
}

fn parse(flag: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{flag} needs a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let seconds = parse("--seconds", 60);
    let threads = parse(
        "--threads",
        thread::available_parallelism().map_or(2, |n| n.get()) as u64 * 2,
    ) as usize;
    let leak_kib_per_s = parse("--leak-kib-per-s", 0);
    // The plateau check compares the second quarter with the last, each at least two seconds
    // (eight samples): a shorter run could not judge RSS, and would print "ok" for nothing.
    if seconds < MIN_SECONDS || threads == 0 {
        eprintln!(
            "soak: --seconds must be at least {MIN_SECONDS} (the RSS check needs two seconds \
             per quarter) and --threads at least 1; got {seconds} and {threads}"
        );
        std::process::exit(1);
    }
    let sizes: Arc<Vec<usize>> = Arc::new(
        include_str!("../workloads/sizes.txt")
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect(),
    );
    let ledger = Arc::new(Ledger {
        held: (0..MAX_IDS).map(|_| AtomicBool::new(false)).collect(),
        free_ids: Mutex::new(Vec::new()),
        next_id: AtomicUsize::new(0),
        created: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        violations: AtomicU64::new(0),
    });
    // Default policy: the background janitor ages both pools every second.
    let buffers = Arc::new(ByteBufferPool::new());
    let l = ledger.clone();
    let objects = Arc::new(Pool::new(move || Tagged::new(&l)));
    let ops = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    println!("soak: {threads} threads for {seconds} s, background ageing every second");
    if leak_kib_per_s > 0 {
        println!("leaking {leak_kib_per_s} KiB a second on purpose");
        let buffers = buffers.clone();
        let n = (leak_kib_per_s * 1024 / 10) as usize; // every 100 ms
        // Detached: it leaks until the process ends.
        thread::spawn(move || {
            while Instant::now() < deadline {
                let mut b = buffers.get_with_capacity(n);
                b.resize(n, 0xa5); // written, so its pages count in RSS
                std::mem::forget(b);
                thread::sleep(Duration::from_millis(100));
            }
        });
    }
    println!(
        "{:>6} {:>9} {:>12} {:>10} {:>9} {:>10}",
        "t (s)", "RSS MiB", "ops/s", "default", "max", "violations"
    );

    let start = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut last_ops = 0;
    let mut generation = 0u64;
    while Instant::now() < deadline {
        // A generation of workers lives 5 seconds, then exits: thread churn.
        let until = (Instant::now() + Duration::from_secs(5)).min(deadline);
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let (buffers, objects, ops, sizes) =
                    (buffers.clone(), objects.clone(), ops.clone(), sizes.clone());
                let seed = generation * 1000 + w as u64;
                thread::spawn(move || {
                    let chunk = [0x5au8; 1460];
                    let mut mine: Vec<Tagged> = Vec::new();
                    let mut in_flight = Vec::new();
                    let mut x = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
                    let mut i = seed as usize;
                    while Instant::now() < until {
                        for _ in 0..256 {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            i += 1;
                            match x % 16 {
                                0..=7 => {
                                    let size = sizes[i % sizes.len()];
                                    let mut b = buffers.get();
                                    while b.len() < size {
                                        let n = (size - b.len()).min(chunk.len());
                                        b.extend_from_slice(&chunk[..n]);
                                    }
                                    if x % 5 == 0 && in_flight.len() < 16 {
                                        in_flight.push(b);
                                    }
                                }
                                8 => in_flight.clear(),
                                9 if x % 64 == 9 => {
                                    // A burst of 64 KiB buffers, released together.
                                    let burst: Vec<_> =
                                        (0..64).map(|_| buffers.get_with_capacity(65536)).collect();
                                    drop(burst);
                                }
                                9..=12 => mine.push(take(&objects)),
                                _ => {
                                    if let Some(t) = mine.pop() {
                                        give(&objects, t);
                                    }
                                }
                            }
                        }
                        ops.fetch_add(256, Relaxed);
                        if mine.len() > 64 {
                            mine.drain(..).for_each(|t| give(&objects, t));
                        }
                    }
                    mine.into_iter().for_each(|t| give(&objects, t));
                })
            })
            .collect();
        // Sample RSS four times a second and report once a second while this generation runs.
        let mut tick = 0u64;
        while Instant::now() < until {
            thread::sleep(
                Duration::from_millis(250).min(until.saturating_duration_since(Instant::now())),
            );
            let t = start.elapsed().as_secs_f64();
            let rss = rss_mib();
            samples.push((t, rss));
            tick += 1;
            if tick % 4 != 0 && Instant::now() < until {
                continue;
            }
            let total = ops.load(Relaxed);
            let s = buffers.stats();
            println!(
                "{t:>6.0} {rss:>9.1} {:>12.0} {:>10} {:>9} {:>10}",
                (total - last_ops) as f64,
                s.default_size,
                s.max_size,
                ledger.violations.load(SeqCst)
            );
            last_ops = total;
        }
        for w in workers {
            w.join().expect("worker panicked");
        }
        generation += 1;
    }

    let total_ops = ops.load(Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    println!("\n{}", buffers.stats());
    println!("objects: {:?}", objects.stats());
    drop(objects);
    let (created, dropped) = (ledger.created.load(SeqCst), ledger.dropped.load(SeqCst));
    let violations = ledger.violations.load(SeqCst);
    // Plateau: the median RSS of the last quarter against that of the second quarter. A run
    // lasts at least `MIN_SECONDS`, so each quarter holds samples (about eight or more).
    let quarter = |q: usize| {
        let n = samples.len();
        let mut rss: Vec<f64> = samples[n * q / 4..n * (q + 1) / 4]
            .iter()
            .map(|&(_, r)| r)
            .collect();
        rss.sort_by(f64::total_cmp);
        (rss[rss.len() / 2], rss[rss.len() - 1]) // (median, peak)
    };
    let ((second, second_peak), (last, last_peak)) = (quarter(1), quarter(3));
    println!(
        "{total_ops} operations in {elapsed:.0} s ({:.0}/s); {generation} thread generations; \
         objects created {created}, dropped {dropped}; violations {violations}; RSS median \
         (peak) {second:.1} ({second_peak:.1}) MiB in the second quarter, {last:.1} \
         ({last_peak:.1}) MiB in the last",
        total_ops as f64 / elapsed
    );
    if violations > 0 || created != dropped {
        eprintln!(
            "FAILED: violations {violations}, created {created} != dropped {dropped}: {}",
            created != dropped
        );
        std::process::exit(1);
    }
    if last > second * 1.10 + 1.0 {
        eprintln!(
            "FAILED: RSS grew: median {second:.1} MiB in the second quarter, {last:.1} MiB in \
             the last (more than 10 % + 1 MiB)"
        );
        std::process::exit(2);
    }
    println!("ok");
}
