//! The background janitor survives a panicking `Drop` when it frees a pool: its own binary,
//! because a regression would stop the process-wide janitor for every other test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bytebufferpool::{AgePolicy, Pool};

static ARMED: AtomicBool = AtomicBool::new(false);

struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if ARMED.load(Ordering::SeqCst) {
            panic!("Bomb::drop");
        }
    }
}

/// The owner drops a pool while the janitor ages it, so the janitor holds the last reference
/// and frees the pool, whose private object panics in `Drop`. The janitor goes on ageing
/// other pools (it used to drop the reference outside its `catch_unwind`, and died).
#[test]
fn the_janitor_survives_a_panicking_drop_when_it_frees_a_pool() {
    let (in_evict, go) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let (a, b) = (Arc::clone(&in_evict), Arc::clone(&go));
    let every_5_ms = AgePolicy::Background {
        interval: Duration::from_millis(5),
    };
    let pool = Pool::builder()
        .age_policy(every_5_ms)
        .on_evict(move |x: Bomb| {
            std::mem::forget(x);
            a.wait(); // the janitor is ageing: it holds a strong reference
            b.wait();
        })
        .build(|| Bomb)
        .unwrap();
    pool.put(Bomb); // this thread's private slot: the janitor does not reach it
    pool.put(Bomb); // the deque: the janitor evicts it two cycles on
    in_evict.wait();
    drop(pool); // the janitor now holds the last reference
    ARMED.store(true, Ordering::SeqCst); // the private Bomb panics when the pool is freed
    go.wait();
    thread::sleep(Duration::from_millis(100));
    ARMED.store(false, Ordering::SeqCst);

    let other = Pool::builder()
        .age_policy(every_5_ms)
        .build(|| 0u8)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while other.stats().epoch == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let s = other.stats();
    assert!(s.background_ageing && s.epoch > 0, "{s:?}");
}

static ARMED_TOO: AtomicBool = AtomicBool::new(false);

struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        if ARMED_TOO.load(Ordering::SeqCst) {
            panic!("Grenade::drop");
        }
    }
}

/// The same, with the eviction itself panicking too: the cycle's panic and the panic of
/// freeing the pool are caught apart (inside one `catch_unwind`, the pool was freed while the
/// first unwound, and the second panic aborted the process).
#[test]
fn the_janitor_survives_a_panicking_eviction_then_a_panicking_free() {
    let (in_evict, go) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let (a, b) = (Arc::clone(&in_evict), Arc::clone(&go));
    let every_5_ms = AgePolicy::Background {
        interval: Duration::from_millis(5),
    };
    let pool = Pool::builder()
        .age_policy(every_5_ms)
        .on_evict(move |x: Grenade| {
            a.wait();
            b.wait();
            drop(x); // armed by then: panics
        })
        .build(|| Grenade)
        .unwrap();
    pool.put(Grenade); // private: dropped when the janitor frees the pool, and panics
    pool.put(Grenade); // the deque: evicted by the janitor two cycles on
    in_evict.wait();
    drop(pool);
    ARMED_TOO.store(true, Ordering::SeqCst);
    go.wait();
    thread::sleep(Duration::from_millis(100));
    ARMED_TOO.store(false, Ordering::SeqCst);

    let other = Pool::builder()
        .age_policy(every_5_ms)
        .build(|| 0u8)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while other.stats().epoch == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    assert!(other.stats().epoch > 0, "{:?}", other.stats());
}
