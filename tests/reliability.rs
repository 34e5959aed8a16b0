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

// ---- thread-local destructors that run after the pools' exit hooks (found by review) ----------

/// Runs the test `name` of this binary in a child process with `CHILD` set, and checks that
/// the child succeeded: for tests whose failure is an abort.
fn in_child(name: &str) {
    if std::env::var_os("BYTEBUFFERPOOL_CHILD").is_some() {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("BYTEBUFFERPOOL_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the child failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A thread-local the program touched before the thread's first pool call is destroyed after
/// `thread_local`'s id guard, the pools' per-thread state gone. Its destructor may still use
/// the pools: a put drops its object (not through `on_evict`, which here puts it back: that
/// would recurse until the stack overflowed), a get makes a fresh one, and the stats count
/// both. It used to look the thread's record up, which made `thread_local` allocate an id
/// through its destroyed guard: a panic in a thread-local destructor, so the process aborted
/// (hence the child process).
#[test]
fn a_thread_local_touched_before_the_pools_may_use_them_in_its_destructor() {
    use std::sync::LazyLock;
    static EVICTED: AtomicUsize = AtomicUsize::new(0);
    static POOL: LazyLock<Pool<Vec<u8>>> = LazyLock::new(|| {
        Pool::builder()
            .age_policy(AgePolicy::Manual)
            .on_evict(|v| {
                if EVICTED.fetch_add(1, SeqCst) < 100 {
                    POOL.put(v); // puts back; bounded only so that a regression ends
                }
            })
            .build(Vec::new)
            .unwrap()
    });
    static BYTES: LazyLock<ByteBufferPool> = LazyLock::new(manual_pool);
    struct UsesThePoolsOnDrop;
    impl Drop for UsesThePoolsOnDrop {
        fn drop(&mut self) {
            drop(POOL.get()); // nothing to take: constructed; its guard puts it back
            let mut b = BYTES.get();
            b.extend_from_slice(b"late");
        }
    }
    thread_local! { static EARLY: UsesThePoolsOnDrop = const { UsesThePoolsOnDrop }; }
    in_child("a_thread_local_touched_before_the_pools_may_use_them_in_its_destructor");
    if std::env::var_os("BYTEBUFFERPOOL_CHILD").is_none() {
        return;
    }
    thread::spawn(|| {
        EARLY.with(|_| ()); // first: destroyed last, after `thread_local`'s id guard
        POOL.put(vec![1]);
        drop(BYTES.get());
    })
    .join()
    .unwrap();
    assert_eq!(EVICTED.load(SeqCst), 0, "the late put dropped its object");
    let p = POOL.stats();
    assert_eq!((p.gets, p.puts, p.misses, p.hits), (1, 2, 1, 0), "{p:?}");
    let s = BYTES.stats();
    assert_eq!(
        (s.gets, s.puts, s.misses, s.discarded),
        (2, 2, 2, 1),
        "{s:?}"
    );
}

/// A thread-local destroyed between the pools' exit hooks and `thread_local`'s id guard (the
/// id was taken first, then the thread-local touched, then the pools used): its puts are not
/// stranded in the exiting thread's private or front slot, out of every other thread's and of
/// ageing's reach, as they used to be. `Pool` drops the object at once; a capped
/// `ByteBufferPool` discards the buffer and holds no bytes for it.
#[test]
fn a_put_after_the_exit_hooks_is_not_stranded() {
    use std::sync::LazyLock;
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }
    static POOL: LazyLock<Pool<Counted>> = LazyLock::new(|| {
        Pool::builder()
            .age_policy(AgePolicy::Manual)
            .build(|| Counted)
            .unwrap()
    });
    static BYTES: LazyLock<ByteBufferPool> = LazyLock::new(|| {
        ByteBufferPool::builder()
            .age_policy(AgePolicy::Manual)
            .max_retained_bytes(1 << 20)
            .build()
            .unwrap()
    });
    static IDS: LazyLock<thread_local::ThreadLocal<u8>> =
        LazyLock::new(thread_local::ThreadLocal::new);
    struct PutsOnDrop;
    impl Drop for PutsOnDrop {
        fn drop(&mut self) {
            POOL.put(Counted);
            let mut b = BYTES.get_with_capacity(8192);
            b.extend_from_slice(b"late");
        }
    }
    thread_local! { static LATE: PutsOnDrop = const { PutsOnDrop }; }
    thread::spawn(|| {
        IDS.get_or(|| 0); // `thread_local`'s id guard first
        LATE.with(|_| ()); // then this thread-local
        drop(POOL.try_get()); // then the pools' exit hooks: they run before LATE's destructor
        drop(BYTES.get());
    })
    .join()
    .unwrap();
    assert_eq!(DROPS.load(SeqCst), 1, "dropped at once: {:?}", POOL.stats());
    let p = POOL.stats();
    assert_eq!((p.gets, p.misses, p.puts), (1, 1, 1), "{p:?}");
    let s = BYTES.stats();
    assert_eq!(
        s.retained_bytes,
        Some(64),
        "only the buffer filed at exit: {s:?}"
    );
    assert_eq!((s.gets, s.puts, s.discarded), (2, 2, 1), "{s:?}");
    BYTES.age();
    BYTES.age();
    assert_eq!(BYTES.stats().retained_bytes, Some(0));
}
