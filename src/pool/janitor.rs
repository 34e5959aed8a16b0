//! The background ager and the thread-exit hooks.
//!
//! One process-wide thread, `bytebufferpool-janitor`, started on first need, ages every pool
//! whose policy is [`AgePolicy::Background`](super::AgePolicy::Background) at its interval. It
//! holds only `Weak` references: a pool dropped by its users is never kept alive by it. Its
//! registry lock is taken when a pool is created and by the janitor itself, never by `get`,
//! `put` or `age`, and no user code runs while it is held.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use once_cell::sync::OnceCell;

use crate::sync::{Arc, Mutex, Weak};

/// What the janitor and the exit hooks need of a pool, whatever its item type.
pub(crate) trait Ageable: Send + Sync {
    /// One ageing cycle.
    fn age(&self);
    /// The calling thread is exiting: make its private object reachable by others.
    fn on_thread_exit(&self);
}

struct Entry {
    pool: Weak<dyn Ageable>,
    interval: Duration,
    /// `None`: never (the interval reaches past what `Instant` can hold).
    due: Option<Instant>,
}

static ENTRIES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static JANITOR: OnceCell<Option<Thread>> = OnceCell::new();

/// Puts `pool` on the janitor's list. Returns `false` if the janitor thread could not be
/// started (the pool then ages only when `age()` is called).
pub(crate) fn register(pool: Weak<dyn Ageable>, interval: Duration) -> bool {
    let due = Instant::now().checked_add(interval);
    lock_entries().push(Entry {
        pool,
        interval,
        due,
    });
    match JANITOR.get_or_init(spawn) {
        Some(thread) => {
            thread.unpark(); // it may need to wake sooner than it planned
            true
        }
        None => false,
    }
}

fn lock_entries() -> std::sync::MutexGuard<'static, Vec<Entry>> {
    // No user code runs under this lock, so a poisoned lock still holds a consistent list.
    ENTRIES.lock().unwrap_or_else(|e| e.into_inner())
}

fn spawn() -> Option<Thread> {
    thread::Builder::new()
        .name("bytebufferpool-janitor".into())
        .spawn(run)
        .ok()
        .map(|handle| handle.thread().clone())
}

fn run() {
    loop {
        let now = Instant::now();
        let mut due_now: Vec<Arc<dyn Ageable>> = Vec::new();
        let mut next = now + Duration::from_secs(3600);
        {
            let mut entries = lock_entries();
            entries.retain_mut(|e| {
                if e.pool.strong_count() == 0 {
                    return false;
                }
                let Some(due) = e.due else {
                    return true; // never due; kept until its pool is dropped
                };
                if due <= now {
                    match e.pool.upgrade() {
                        Some(pool) => due_now.push(pool),
                        None => return false,
                    }
                    e.due = now.checked_add(e.interval);
                }
                if let Some(due) = e.due {
                    next = next.min(due);
                }
                true
            });
        }
        // Outside the lock: `age()` drops items, which runs user code. A panicking `Drop` must
        // not kill the janitor; the pool itself stays usable after one.
        for pool in due_now.drain(..) {
            let _ = catch_unwind(AssertUnwindSafe(|| pool.age()));
            // Apart: if the pool's owner dropped it meanwhile, the last strong reference is
            // this one, and freeing the pool drops its objects on this thread, which may
            // panic too. (Inside the first, a panic of `age` would drop it while unwinding,
            // and a second panic there aborts the process.)
            let _ = catch_unwind(AssertUnwindSafe(move || drop(pool)));
        }
        thread::park_timeout(next.saturating_duration_since(Instant::now()));
    }
}

thread_local! {
    /// Pools this thread has used; told when the thread exits.
    static EXIT_HOOKS: ExitHooks = const { ExitHooks(RefCell::new(Vec::new())) };
    /// Set when this thread's exit hooks have run (see [`thread_exited`]). No destructor, so
    /// it can be read at any point of the thread's teardown.
    static EXITED: Cell<bool> = const { Cell::new(false) };
}

struct ExitHooks(RefCell<Vec<Weak<dyn Ageable>>>);

impl Drop for ExitHooks {
    fn drop(&mut self) {
        for pool in self.0.take() {
            if let Some(pool) = pool.upgrade() {
                pool.on_thread_exit();
            }
        }
        EXITED.set(true);
    }
}

/// Whether the calling thread's exit hooks have run: from then on the pools leave their
/// per-thread records alone (a put drops its object, a get finds nothing).
///
/// Past that point, `thread_local`'s id guard may be gone: it is a thread-local of its own,
/// registered at the thread's first `ThreadLocal` lookup, before the exit hooks (which the
/// pools register after their first lookup), and so destroyed after them. A thread-local
/// destructor that runs later still (one the program touched before the thread's first pool
/// call) and looks a record up would make `thread_local` allocate a new id through a destroyed
/// guard, a panic inside a thread-local destructor: the process aborts.
///
/// Not covered: a thread whose first pool call comes from such a destructor, after some other
/// `ThreadLocal` gave it an id (its exit hooks never ran, and the id guard is gone).
#[inline]
pub(crate) fn thread_exited() -> bool {
    EXITED.get()
}

/// Asks to be told when the calling thread exits. Cold: once per thread per pool. Returns
/// `false`, and does nothing, if the thread is already tearing its hooks down: the caller must
/// then leave its record marked for the next thread to re-hook.
pub(crate) fn hook_thread_exit(pool: Weak<dyn Ageable>) -> bool {
    EXIT_HOOKS
        .try_with(|hooks| {
            let mut hooks = hooks.0.borrow_mut();
            hooks.retain(|p| p.strong_count() > 0);
            hooks.push(pool);
        })
        .is_ok()
}
