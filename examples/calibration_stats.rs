//! Watches a ByteBufferPool calibrate itself while the body sizes shift: 256-byte bodies, then
//! the lognormal sizes of the shared workload, then 64 KiB bodies. Prints the decided sizes
//! after every phase, and the histogram that decided them.
//!
//! Run with `cargo run --release --example calibration_stats`.

use bytebufferpool::{ByteBufferPool, CalibrationConfig};

/// The size of body `i` in one phase.
type SizeOf<'a> = Box<dyn Fn(usize) -> usize + 'a>;

fn main() {
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "-h" || arg == "--help" {
            println!("usage: calibration_stats   (no arguments)");
            return;
        }
        eprintln!("calibration_stats takes no arguments; got {arg:?} (try --help)");
        std::process::exit(2);
    }
    let pool = ByteBufferPool::new();
    let workload: Vec<usize> = include_str!("../workloads/sizes.txt")
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let phases: [(&str, SizeOf<'_>); 3] = [
        ("50,000 bodies of 256 B", Box::new(|_| 256)),
        (
            "100,000 workload bodies (median ~2 KiB)",
            Box::new(|i| workload[i % workload.len()]),
        ),
        ("50,000 bodies of 64 KiB", Box::new(|_| 65536)),
    ];
    let counts = [50_000, 100_000, 50_000];
    let chunk = [b'x'; 1460];
    for ((name, size_of), count) in phases.iter().zip(counts) {
        for i in 0..count {
            let size = size_of(i);
            let mut body = pool.get();
            while body.len() < size {
                let n = (size - body.len()).min(chunk.len());
                body.extend_from_slice(&chunk[..n]);
            }
        }
        println!("== after {name}\n{}", pool.stats());
    }
    let defaults = CalibrationConfig::default();
    println!(
        "(one put in {} sampled, a calibration every {} samples)",
        defaults.sample_every,
        defaults.window.unwrap_or(0)
    );
}
