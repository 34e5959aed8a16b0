//! Security and fault behaviour (issue: reliability): no safe API shows a previous user's
//! bytes; bad input and panics have a documented, tested outcome.

use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool, OwnedPooled, Pool, PooledBuffer};
use bytes::BufMut;

const SECRET: &[u8] = b"TOP-SECRET-0123456789-token";

fn manual_pool() -> ByteBufferPool {
    ByteBufferPool::builder()
        .age_policy(AgePolicy::Manual)
        .build()
        .unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A reader that looks at the memory it is handed before writing anything, the way a buggy or
/// hostile `Read` could, and remembers whether it saw the secret.
struct Peeking {
    saw_secret: bool,
    calls: usize,
}

impl Read for Peeking {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.saw_secret |= contains(buf, SECRET) || buf.contains(&b'T');
        self.calls += 1;
        if self.calls > 3 {
            return Ok(0);
        }
        let n = buf.len().min(5);
        buf[..n].fill(b'x');
        Ok(n)
    }
}

/// A secret written into a buffer and returned is never visible to the next user through any
/// safe API: slices, `Deref`, iterators, `Debug`, `resize`, `BufMut::chunk_mut`, a reader
/// handed the spare capacity by `read_from`, or the global pool.
#[test]
fn secrets_do_not_leak_to_the_next_user() {
    let pool = manual_pool();
    for round in 0..50 {
        {
            let mut b = pool.get();
            for _ in 0..40 {
                b.extend_from_slice(SECRET);
            }
        } // returned: cleared, capacity kept
        let mut b = pool.get();
        assert!(b.is_empty(), "round {round}");
        assert!(!contains(&b, SECRET));
        assert_eq!(b.iter().count(), 0);
        assert_eq!(format!("{:?}", *b), r#"b"""#);
        // Growing the length only ever shows bytes written by this user.
        b.resize(SECRET.len() * 40, 0);
        assert!(
            b.iter().all(|&x| x == 0),
            "resize shows zeros, not old bytes"
        );
        b.clear();
        // The spare capacity handed to a reader is initialised first (std zeroes it).
        let mut reader = Peeking {
            saw_secret: false,
            calls: 0,
        };
        b.read_from(&mut reader).unwrap();
        assert!(
            !reader.saw_secret,
            "read_from exposed old bytes to the reader"
        );
        assert!(!contains(&b, SECRET));
        b.clear();
        // BufMut's chunk is write-only (`UninitSlice` offers no safe read).
        let chunk = b.chunk_mut();
        assert!(chunk.len() > 0);
        chunk.copy_from_slice(&vec![b'y'; chunk.len()]);
        assert!(!contains(&b, SECRET));
    }
    // The same through the global pool and `into_inner`.
    {
        let mut g = bytebufferpool::get();
        g.extend_from_slice(SECRET);
    }
    let detached = PooledBuffer::into_inner(bytebufferpool::get());
    assert!(detached.is_empty());
    assert!(!contains(&detached.into_vec(), SECRET));
}

/// A 1 GiB buffer returned to the pool is not kept (the limit before any calibration is the
/// largest bucket's bound, 32 MiB), and it is counted.
#[test]
fn a_1_gib_buffer_is_not_kept() {
    let pool = manual_pool();
    let huge = ByteBuffer::with_capacity(1 << 30); // reserved, not touched: cheap
    pool.put(huge);
    let s = pool.stats();
    assert_eq!((s.puts, s.discarded), (1, 1), "{s:?}");
    assert!(pool.get().capacity() < 1 << 30);
}

/// `get_with_capacity(usize::MAX)` panics like `Vec::with_capacity` ("capacity overflow"),
/// never aborts; the pool stays usable.
#[test]
fn get_with_capacity_usize_max_panics_like_vec() {
    let pool = manual_pool();
    let r = catch_unwind(AssertUnwindSafe(|| {
        drop(pool.get_with_capacity(usize::MAX))
    }));
    let msg = r.unwrap_err();
    let text = msg
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| msg.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert!(text.contains("capacity overflow"), "{text:?}");
    let mut b = pool.get_with_capacity(100);
    b.extend_from_slice(b"still works");
    // try_reserve gives an error instead of a panic.
    assert!(b.try_reserve(usize::MAX).is_err());
}

struct PanicOnDrop {
    armed: Arc<AtomicBool>,
    dropped: Arc<AtomicUsize>,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, SeqCst);
        if self.armed.load(SeqCst) && !thread::panicking() {
            panic!("drop panics");
        }
    }
}

/// A `Drop` that panics while the pool itself is dropped: the panic propagates out of the
/// pool's drop, as out of a `Vec`'s; the other objects are still dropped (unwinding drops the
/// rest; a second panic during that unwinding would abort, as for any Rust collection, so the
/// test's objects do not panic while unwinding).
#[test]
fn panicking_drop_during_pool_drop() {
    let armed = Arc::new(AtomicBool::new(true));
    let dropped = Arc::new(AtomicUsize::new(0));
    let pool = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| unreachable!())
        .unwrap();
    for _ in 0..10 {
        pool.put(PanicOnDrop {
            armed: armed.clone(),
            dropped: dropped.clone(),
        });
    }
    let r = catch_unwind(AssertUnwindSafe(move || drop(pool)));
    assert!(r.is_err(), "the panic propagates");
    assert_eq!(
        dropped.load(SeqCst),
        10,
        "every object was dropped all the same"
    );
}

/// An owned guard keeps its pool alive: the pool's last handle may be dropped while another
/// thread still holds a guard; the buffer then returns to the pool, and the pool and all it
/// holds are freed when that guard drops.
#[test]
fn pool_dropped_while_owned_guards_are_out() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let pool = Arc::new(
        Pool::builder()
            .age_policy(AgePolicy::Manual)
            .build(move || PanicOnDrop {
                armed: Arc::new(AtomicBool::new(false)),
                dropped: d.clone(),
            })
            .unwrap(),
    );
    let guards: Vec<OwnedPooled<PanicOnDrop>> = (0..4).map(|_| pool.get_owned()).collect();
    let weak = Arc::downgrade(&pool);
    drop(pool);
    assert!(weak.upgrade().is_some(), "the guards keep it alive");
    thread::spawn(move || drop(guards)).join().unwrap();
    assert!(weak.upgrade().is_none(), "freed with the last guard");
    assert_eq!(dropped.load(SeqCst), 4, "and everything in it dropped");

    let bbp = Arc::new(manual_pool());
    let g = bbp.get_owned();
    let weak = Arc::downgrade(&bbp);
    drop(bbp);
    drop(g);
    assert!(weak.upgrade().is_none());
}

/// A panicking constructor leaves a `ByteBufferPool`-style pool usable; covered for `Pool` in
/// tests/pool.rs. Here: a thread that panics while holding guards returns them on unwinding.
#[test]
fn a_panicking_thread_returns_its_buffers() {
    let pool = Arc::new(manual_pool());
    let p = pool.clone();
    let r = thread::spawn(move || {
        let mut a = p.get();
        let _b = p.get_owned();
        a.extend_from_slice(SECRET);
        panic!("request handler failed");
    })
    .join();
    assert!(r.is_err());
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.puts),
        (2, 2),
        "both guards returned their buffers: {s:?}"
    );
    assert!(pool.get().is_empty());
}
