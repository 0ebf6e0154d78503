//! Build-time threads: how many the build's solves and products may use, and the scoped threads
//! that run their parts. Every split here is of rows, tiles or whole independent solves, so the
//! values never depend on the thread count.

use std::cell::Cell;

thread_local! {
    /// The limit [`with_build_threads`] set for work started from this thread.
    static THREADS: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Threads the build work started from this thread may use: the count set by the enclosing
/// [`with_build_threads`] (the simulator's [`SimOptions::build_threads`] during its build), else
/// the machine's parallelism, at most 8.
///
/// [`SimOptions::build_threads`]: crate::threads::SimOptions::build_threads
pub(crate) fn build_threads() -> usize {
    THREADS
        .with(|t| t.get())
        .unwrap_or_else(|| super::cpus().clamp(1, 8))
}

/// Runs `f` with [`build_threads`] returning `threads` on this thread (a simulator's build, or
/// one of several decoder solves running side by side). The previous count is put back
/// afterwards, also when `f` panics.
pub(crate) fn with_build_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    /// Puts the previous limit back.
    struct Restore(Option<usize>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREADS.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(THREADS.with(|t| t.replace(Some(threads.max(1)))));
    f()
}

/// Runs `run` on every part: inline when there is at most one, else one scoped thread per part
/// (each with this thread's build-thread count). Returns when every part is done.
pub(crate) fn run_parts<J: Send>(parts: Vec<J>, run: impl Fn(J) + Sync) {
    if parts.len() <= 1 {
        for p in parts {
            run(p);
        }
        return;
    }
    let threads = build_threads();
    std::thread::scope(|scope| {
        let run = &run;
        for p in parts {
            scope.spawn(move || with_build_threads(threads, || run(p)));
        }
    });
}

/// [`run_parts`] with a result per part, in the parts' order.
pub(crate) fn map_parts<J: Send, R: Send>(parts: Vec<J>, run: impl Fn(J) -> R + Sync) -> Vec<R> {
    if parts.len() <= 1 {
        return parts.into_iter().map(run).collect();
    }
    let threads = build_threads();
    std::thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = parts
            .into_iter()
            .map(|p| scope.spawn(move || with_build_threads(threads, || run(p))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
