//! The background janitor survives panicking `Drop`s when it frees a pool: its own binary,
//! because a regression stops the process-wide janitor (or aborts the process) for every
//! other test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use bytebufferpool::{AgePolicy, Pool};

/// Panics in `Drop` once its flag is set (each test has its own flag: tests run at once).
struct Bomb(&'static AtomicBool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0.load(Ordering::SeqCst) {
            panic!("Bomb::drop");
        }
    }
}

/// The owner drops a pool while the janitor ages it, so the janitor holds the last reference
/// and frees the pool, whose private object panics in `Drop`; with `evict_panics`, the
/// eviction the janitor is in panics first. Then checks that the janitor still ages another
/// pool.
fn the_janitor_survives(armed: &'static AtomicBool, evict_panics: bool) {
    let (in_evict, go) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let (a, b) = (Arc::clone(&in_evict), Arc::clone(&go));
    let every_5_ms = AgePolicy::Background {
        interval: Duration::from_millis(5),
    };
    let pool = Pool::builder()
        .age_policy(every_5_ms)
        .on_evict(move |x: Bomb| {
            a.wait(); // the janitor is ageing: it holds a strong reference
            b.wait();
            if evict_panics {
                drop(x); // armed by now
            } else {
                std::mem::forget(x);
            }
        })
        .build(move || Bomb(armed))
        .unwrap();
    pool.put(Bomb(armed)); // this thread's private slot: the janitor does not reach it
    pool.put(Bomb(armed)); // the deque: the janitor evicts it two cycles on
    in_evict.wait();
    drop(pool); // the janitor now holds the last reference
    armed.store(true, Ordering::SeqCst); // the private object panics when the pool is freed
    go.wait();
    thread::sleep(Duration::from_millis(100));
    armed.store(false, Ordering::SeqCst);

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

/// It used to drop its reference outside its `catch_unwind`, and died: no pool in the
/// process aged again.
#[test]
fn the_janitor_survives_a_panicking_drop_when_it_frees_a_pool() {
    static ARMED: AtomicBool = AtomicBool::new(false);
    the_janitor_survives(&ARMED, false);
}

/// The cycle's panic and the panic of freeing the pool are caught apart: inside one
/// `catch_unwind`, the pool was freed while the first unwound, and the second panic aborted
/// the process.
#[test]
fn the_janitor_survives_a_panicking_eviction_then_a_panicking_free() {
    static ARMED: AtomicBool = AtomicBool::new(false);
    the_janitor_survives(&ARMED, true);
}
