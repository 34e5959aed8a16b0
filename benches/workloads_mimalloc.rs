//! W1–W4 with mimalloc as the global allocator: "just use a faster allocator" is what many
//! users would do instead of a pool. Run: `cargo bench --bench workloads_mimalloc`.

#[path = "shared/threads.rs"]
mod threads;
// W5's parts (`burst`, `idle`, `default_size`) serve examples/bench_report.rs.
#[allow(dead_code)]
#[path = "shared/variants.rs"]
mod variants;
#[path = "shared/workloads.rs"]
mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn benches(c: &mut Criterion) {
    workloads::workloads(c, "mimalloc/");
}

criterion_group!(group, benches);
criterion_main!(group);
