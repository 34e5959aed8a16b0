//! W1–W4 of `workloads/WORKLOADS.md`, every variant side by side, with the system allocator
//! (glibc). Run: `cargo bench --bench workloads`; tables: `cargo run --release --example
//! bench_report`.

#[path = "shared/threads.rs"]
mod threads;
// W5's parts (`burst`, `idle`, `default_size`) serve examples/bench_report.rs.
#[allow(dead_code)]
#[path = "shared/variants.rs"]
mod variants;
#[path = "shared/workloads.rs"]
mod workloads;

use criterion::{Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    workloads::workloads(c, "");
}

criterion_group!(group, benches);
criterion_main!(group);
