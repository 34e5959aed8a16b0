//! Random sequences of pool operations on several pools at once — a `Pool` of tagged objects
//! and two `ByteBufferPool`s — checking the invariants: no object is handed out twice or lost,
//! created == dropped at the end, every buffer comes out empty and with the capacity asked for.
#![no_main]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use arbitrary::Arbitrary;
use bytebufferpool::{AgePolicy, ByteBuffer, ByteBufferPool, CalibrationConfig, Pool};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    /// Take an object from the tagged pool (constructs on a miss).
    Get,
    /// Take an object only if the pool has one.
    TryGet,
    /// Give back the held object at this index.
    Put(u8),
    /// Drop a held object instead of giving it back.
    Forget(u8),
    Age,
    /// ByteBufferPool `which`: take a buffer with this capacity, write `len` bytes, return it.
    Buffer { which: bool, capacity: u16, len: u16 },
    /// ByteBufferPool `which`: hold a buffer for later.
    HoldBuffer { which: bool, len: u16 },
    /// Return every held buffer.
    ReleaseBuffers,
    Calibrate(bool),
    AgeBuffers(bool),
}

struct Tagged {
    id: u32,
    ledger: Arc<Mutex<Ledger>>,
}

#[derive(Default)]
struct Ledger {
    created: u32,
    dropped: u32,
    out: HashSet<u32>,
}

impl Drop for Tagged {
    fn drop(&mut self) {
        self.ledger.lock().unwrap().dropped += 1;
    }
}

fn buffer_pool(seed: u64) -> ByteBufferPool {
    let mut cfg = CalibrationConfig::default();
    cfg.sample_every = 2;
    cfg.window = Some(8);
    cfg.seed = Some(seed);
    ByteBufferPool::builder()
        .calibration(cfg)
        .age_policy(AgePolicy::Manual)
        .max_retained_bytes(1 << 20)
        .build()
        .unwrap()
}

fuzz_target!(|ops: Vec<Op>| {
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let l = ledger.clone();
    let pool: Pool<Option<Tagged>> = Pool::builder()
        .age_policy(AgePolicy::Manual)
        .build(|| None)
        .unwrap();
    let make = |l: &Arc<Mutex<Ledger>>| {
        let id = {
            let mut g = l.lock().unwrap();
            g.created += 1;
            g.created
        };
        Tagged { id, ledger: l.clone() }
    };
    let buffers = [buffer_pool(1), buffer_pool(2)];
    let mut held: Vec<Tagged> = Vec::new();
    let mut held_buffers: Vec<(usize, ByteBuffer)> = Vec::new();
    for op in ops {
        match op {
            Op::Get | Op::TryGet => {
                let got = match op {
                    Op::Get => Some(pool.try_get().unwrap_or_else(|| Some(make(&l)))),
                    _ => pool.try_get(),
                };
                if let Some(Some(t)) = got {
                    assert!(ledger.lock().unwrap().out.insert(t.id), "object {} handed out twice", t.id);
                    held.push(t);
                }
            }
            Op::Put(i) if !held.is_empty() => {
                let t = held.swap_remove(i as usize % held.len());
                assert!(ledger.lock().unwrap().out.remove(&t.id));
                pool.put(Some(t));
            }
            Op::Forget(i) if !held.is_empty() => {
                let t = held.swap_remove(i as usize % held.len());
                assert!(ledger.lock().unwrap().out.remove(&t.id));
                drop(t);
            }
            Op::Put(_) | Op::Forget(_) => {}
            Op::Age => pool.age(),
            Op::Buffer { which, capacity, len } => {
                let p = &buffers[which as usize];
                let mut b = p.get_with_capacity(capacity as usize);
                assert!(b.is_empty(), "a buffer came out with old bytes");
                assert!(b.capacity() >= capacity as usize);
                b.resize(len as usize, 7);
            }
            Op::HoldBuffer { which, len } => {
                let p = &buffers[which as usize];
                let mut b = p.get();
                assert!(b.is_empty());
                b.resize(len as usize, 9);
                held_buffers.push((which as usize, bytebufferpool::PooledBuffer::into_inner(b)));
            }
            Op::ReleaseBuffers => {
                for (which, b) in held_buffers.drain(..) {
                    buffers[which].put(b);
                }
            }
            Op::Calibrate(which) => {
                buffers[which as usize].calibrate();
            }
            Op::AgeBuffers(which) => buffers[which as usize].age(),
        }
        for p in &buffers {
            let s = p.stats();
            assert!(s.retained_bytes.unwrap() <= 1 << 20, "{s:?}");
            assert_eq!(s.gets, s.hits + s.misses);
        }
    }
    drop(held);
    drop(pool);
    let g = ledger.lock().unwrap();
    assert_eq!(g.created, g.dropped, "created == dropped");
});
