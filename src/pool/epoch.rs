//! The ageing protocol's decisions, shared by the owner's `rotate`, the ager and the loom model.
//!
//! Items put while a thread's record is at epoch `e` go into deque `slot(e)`. When the pool's
//! epoch moves on by one, that deque becomes the victim and the other one, `slot(e + 1)`, holds
//! items two cycles old: they are dropped. A record two or more cycles behind is dropped whole.

/// What has expired in one thread's record, synchronised at epoch `seen`, now that the pool is
/// at epoch `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// Nothing: the record is at the pool's epoch.
    Nothing,
    /// The deque at this slot holds items from two cycles ago; the other one is the victim.
    Deque(usize),
    /// The record has been idle two cycles or more: both deques and the private slot.
    All,
}

/// The deque slot that holds the items of epoch `epoch`.
#[inline]
pub(crate) fn slot(epoch: u64) -> usize {
    (epoch & 1) as usize
}

/// What expires when a record synchronised at `seen` meets the pool epoch `now`.
///
/// `now < seen` cannot happen (epochs only grow and a record copies the pool's); it is treated
/// as `Nothing` rather than trusted.
pub(crate) fn expired(seen: u64, now: u64) -> Expired {
    match now.saturating_sub(seen) {
        0 => Expired::Nothing,
        // The record's victim is slot(seen - 1) == slot(seen + 1) == slot(now).
        1 => Expired::Deque(slot(now)),
        _ => Expired::All,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_cycle_expires_the_victim_slot() {
        // Record at 4 puts into slot 0; its victim (epoch 3) is slot 1. At 5, slot 1 is dead.
        assert_eq!(expired(4, 5), Expired::Deque(1));
        assert_eq!(expired(5, 6), Expired::Deque(0));
        assert_ne!(slot(5), slot(4));
    }

    #[test]
    fn two_cycles_expire_everything() {
        assert_eq!(expired(4, 6), Expired::All);
        assert_eq!(expired(0, u64::MAX), Expired::All);
    }

    #[test]
    fn same_or_older_epoch_expires_nothing() {
        assert_eq!(expired(7, 7), Expired::Nothing);
        assert_eq!(expired(8, 7), Expired::Nothing);
    }
}

/// A loom model of the protocol: one owner (put, get, rotate) against one ager (`age()`), over
/// stand-in deques (a `Mutex<VecDeque>` each) and the real `expired`/`slot` decisions. Every
/// item must end up exactly once in one of: taken by the owner, dropped by ageing, or left in
/// the pool at the end.
///
/// Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib loom` (see `.ci/loom`).
#[cfg(all(test, loom))]
mod loom_model {
    use super::*;
    use crate::sync::{AtomicBool, AtomicU64, Ordering};
    use loom::sync::{Arc, Mutex};
    use std::collections::VecDeque;

    struct Record {
        cur: AtomicU64,
        deques: [Mutex<VecDeque<u32>>; 2],
    }

    struct Model {
        epoch: AtomicU64,
        aging: AtomicBool,
        record: Record,
        dropped: Mutex<Vec<u32>>,
    }

    impl Model {
        fn new() -> Self {
            Self {
                epoch: AtomicU64::new(0),
                aging: AtomicBool::new(false),
                record: Record {
                    cur: AtomicU64::new(0),
                    deques: [Mutex::new(VecDeque::new()), Mutex::new(VecDeque::new())],
                },
                dropped: Mutex::new(Vec::new()),
            }
        }

        /// The ager, as `Shared::age`: take the flag, bump the epoch, drain what expired,
        /// bounded by the length seen first.
        fn age(&self) {
            if self
                .aging
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                return;
            }
            let now = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
            let cur = self.record.cur.load(Ordering::Acquire);
            let slots: &[usize] = match expired(cur, now) {
                Expired::Nothing => &[],
                Expired::Deque(0) => &[0],
                Expired::Deque(_) => &[1],
                Expired::All => &[0, 1],
            };
            for &s in slots {
                let n = self.record.deques[s].lock().unwrap().len();
                for _ in 0..n {
                    // Steal from the front, as a crossbeam Stealer does.
                    let item = self.record.deques[s].lock().unwrap().pop_front();
                    match item {
                        Some(x) => self.dropped.lock().unwrap().push(x),
                        None => break,
                    }
                }
            }
            self.aging.store(false, Ordering::Release);
        }
    }

    /// The owner's side: `seen` is its private copy of `cur`.
    struct Owner<'a> {
        m: &'a Model,
        seen: u64,
        private: Option<u32>,
    }

    impl Owner<'_> {
        fn sync(&mut self) {
            let now = self.m.epoch.load(Ordering::Relaxed);
            if now == self.seen {
                return;
            }
            let old = self.seen;
            let exp = expired(old, now);
            // Publish first, then move and drop, as `rotate` does.
            self.seen = now;
            self.m.record.cur.store(now, Ordering::Release);
            let private = self.private.take();
            let dead: &[usize] = match exp {
                Expired::Nothing => {
                    self.private = private;
                    &[]
                }
                Expired::Deque(s) => {
                    if let Some(p) = private {
                        self.m.record.deques[slot(old)].lock().unwrap().push_back(p);
                    }
                    if s == 0 { &[0] } else { &[1] }
                }
                Expired::All => {
                    if let Some(p) = private {
                        self.m.dropped.lock().unwrap().push(p);
                    }
                    &[0, 1]
                }
            };
            for &s in dead {
                while let Some(x) = self.m.record.deques[s].lock().unwrap().pop_back() {
                    self.m.dropped.lock().unwrap().push(x);
                }
            }
        }

        fn put(&mut self, x: u32) {
            self.sync();
            if self.private.is_none() {
                self.private = Some(x);
            } else {
                self.m.record.deques[slot(self.seen)]
                    .lock()
                    .unwrap()
                    .push_back(x);
            }
        }

        fn get(&mut self) -> Option<u32> {
            self.sync();
            if let Some(x) = self.private.take() {
                return Some(x);
            }
            let cur = self.m.record.deques[slot(self.seen)]
                .lock()
                .unwrap()
                .pop_back();
            cur.or_else(|| {
                self.m.record.deques[slot(self.seen + 1)]
                    .lock()
                    .unwrap()
                    .pop_back()
            })
        }
    }

    #[test]
    fn loom_owner_against_ager_loses_and_duplicates_nothing() {
        loom::model(|| {
            let m = Arc::new(Model::new());
            let ager = {
                let m = m.clone();
                loom::thread::spawn(move || {
                    m.age();
                    m.age();
                })
            };
            let mut taken = Vec::new();
            let mut owner = Owner {
                m: &m,
                seen: 0,
                private: None,
            };
            owner.put(1);
            owner.put(2);
            owner.put(3);
            taken.extend(owner.get());
            owner.put(4);
            taken.extend(owner.get());
            ager.join().unwrap();
            let mut seen: Vec<u32> = taken;
            seen.extend(owner.private.take());
            seen.extend(m.dropped.lock().unwrap().iter().copied());
            for d in &m.record.deques {
                seen.extend(d.lock().unwrap().iter().copied());
            }
            seen.sort_unstable();
            assert_eq!(seen, vec![1, 2, 3, 4], "every item exactly once");
        });
    }

    #[test]
    fn loom_two_cycles_drop_everything_left() {
        loom::model(|| {
            let m = Arc::new(Model::new());
            let mut owner = Owner {
                m: &m,
                seen: 0,
                private: None,
            };
            owner.put(1);
            owner.put(2);
            let ager = {
                let m = m.clone();
                loom::thread::spawn(move || {
                    m.age();
                    m.age();
                })
            };
            ager.join().unwrap();
            // Idle owner: the ager alone must have dropped the deque item; the private one
            // goes when the owner next touches the pool.
            assert_eq!(*m.dropped.lock().unwrap(), vec![2]);
            assert_eq!(owner.get(), None);
            let mut dropped = m.dropped.lock().unwrap().clone();
            dropped.sort_unstable();
            assert_eq!(dropped, vec![1, 2]);
        });
    }
}
