//! A tiny work pool on std threads: `jobs` threads take the next task index from a shared
//! counter, each runs its own simulator, and results are put back in task order, so the output
//! does not depend on `jobs` or on which thread ran what.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `f(0), f(1), …, f(n − 1)`, computed on `jobs` threads (at least 1), returned in index order.
/// `done(i, &result)` is called (under a lock) as each task finishes, e.g. to print progress.
pub fn map_indexed<T: Send>(
    n: usize,
    jobs: usize,
    f: impl Fn(usize) -> T + Sync,
    done: impl Fn(usize, &T) + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<T>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = f(i);
                let mut guard = out.lock().expect("pool lock");
                done(i, &r);
                guard[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .expect("pool lock")
        .into_iter()
        .map(|r| r.expect("every task ran"))
        .collect()
}

/// The number of threads the machine offers.
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
