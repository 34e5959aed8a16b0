//! Zero heap allocations per get/put once warm, proven with a counting global allocator.
//! (A separate test binary: the allocator counts every allocation of this process.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytebufferpool::{AgePolicy, ByteBufferPool, Pool};

struct Counting;

thread_local! {
    // Counts only the allocations of the thread that asks, so that the test harness's other
    // threads cannot disturb the count. `const` and without drop glue: no allocation itself.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the only
// addition is a thread-local counter that neither allocates nor touches the memory.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn byte_buffer_pool_steady_state_allocates_nothing() {
    let pool = ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap();
    let payload = [b'x'; 1000];
    // Warm up: first use of the pool by this thread, the sampling RNG, the first
    // calibrations, and the buffer itself.
    for _ in 0..10_000 {
        let mut b = pool.get();
        b.extend_from_slice(&payload);
    }
    let n = allocations_during(|| {
        // 100,000 gets and puts: about 3,000 samples, about 50 calibrations.
        for _ in 0..100_000 {
            let mut b = pool.get();
            b.extend_from_slice(&payload);
        }
    });
    assert_eq!(n, 0, "{n} allocations in 100,000 warm get/put cycles");
    assert!(pool.stats().calibrations >= 40);
}

#[test]
fn pool_steady_state_allocates_nothing() {
    let pool = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| vec![0u8; 64])
        .unwrap();
    for _ in 0..1000 {
        let a = pool.get();
        let b = pool.get(); // the second one goes through the deque
        drop((a, b));
    }
    let n = allocations_during(|| {
        for _ in 0..100_000 {
            let a = pool.get();
            let b = pool.get();
            drop((a, b));
        }
    });
    assert_eq!(n, 0, "{n} allocations in 100,000 warm get/put pairs");
}
