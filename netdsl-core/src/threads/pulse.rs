//! The pulse helper: one thread, owned by a simulator (started at build time when
//! [`SimOptions::pulse_threads`](super::SimOptions::pulse_threads) asks for it and the network
//! has a large memristive connection), that takes part in large mPES pulse stages
//! ([`MemristorArray::mpes_step_with`](crate::models::memristor::MemristorArray::mpes_step_with)).
//!
//! Hand-over uses a `Mutex` and `Condvar`s (futexes: no allocation), with a short spin on both
//! sides first, so that back-to-back steps make no system calls (the helper sleeps after ~0.1 ms
//! without work); only the thread's start allocates, at build time. Dropping the helper stops
//! and joins its thread.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// A job: `run(data)` may be called by two threads at once and shares the work itself.
#[derive(Clone, Copy)]
pub(crate) struct Job {
    pub run: unsafe fn(*const ()),
    pub data: *const (),
}

impl Job {
    /// Runs the job on the calling thread.
    ///
    /// # Safety
    /// `run(data)` must be sound to call.
    pub unsafe fn run(self) {
        // SAFETY: by the caller.
        unsafe { (self.run)(self.data) }
    }
}

// SAFETY: a job is only run by the helper while its poster waits for it (`run_shared`).
unsafe impl Send for Job {}

enum State {
    Idle,
    Posted(Job),
    Taken,
    Done,
    /// The helper is asked to end (its owner is being dropped).
    Stop,
}

const PHASE_IDLE: u8 = 0;
const PHASE_POSTED: u8 = 1;
const PHASE_TAKEN: u8 = 2;
const PHASE_DONE: u8 = 3;
const PHASE_STOP: u8 = 4;

/// Spins before sleeping (about 0.1 ms here, `spin_loop` being a `pause` of ~30 ns):
/// consecutive steps' jobs come closer together than that, and waking a sleeping thread
/// costs system calls on both sides (see docs/benchmarks.md for what they cost).
const SPINS: u32 = 1 << 12;

impl State {
    /// This state's `PHASE_*` value.
    fn phase(&self) -> u8 {
        match self {
            State::Idle => PHASE_IDLE,
            State::Posted(_) => PHASE_POSTED,
            State::Taken => PHASE_TAKEN,
            State::Done => PHASE_DONE,
            State::Stop => PHASE_STOP,
        }
    }
}

/// What the poster and the helper share.
struct Shared {
    state: Mutex<State>,
    /// The helper waits on this for a posted job.
    posted: Condvar,
    /// The poster waits on this for the helper to finish.
    done: Condvar,
    /// Whether some thread is using the helper (others then work alone).
    in_use: AtomicBool,
    /// `state`'s [`State::phase`] as seen without the lock, for spinning (written only by `set`).
    phase: AtomicU8,
    /// Whether the helper waits on `posted` / the poster on `done` (set under the lock, so a
    /// notification is sent exactly when someone sleeps: no system call otherwise).
    helper_asleep: AtomicBool,
    poster_asleep: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the state and its lock-free mirror `phase` (the lock held: `s` is its guard).
    fn set(&self, s: &mut State, to: State) {
        self.phase.store(to.phase(), Ordering::Release);
        *s = to;
    }

    /// Sets the state, then notifies `cv` if the other side sleeps on it (`asleep`, read under
    /// the lock, so that neither a notification is lost nor a system call made for nobody).
    fn set_and_wake(&self, to: State, asleep: &AtomicBool, cv: &Condvar) {
        let mut s = self.lock();
        self.set(&mut s, to);
        let wake = asleep.load(Ordering::Relaxed);
        drop(s);
        if wake {
            cv.notify_one();
        }
    }
}

/// Sleeps on `cv` (flagged in `asleep` meanwhile) and returns the guard again.
fn sleep<'a>(s: MutexGuard<'a, State>, asleep: &AtomicBool, cv: &Condvar) -> MutexGuard<'a, State> {
    asleep.store(true, Ordering::Relaxed);
    let s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
    asleep.store(false, Ordering::Relaxed);
    s
}

fn spin_while(busy: impl Fn() -> bool) {
    for _ in 0..SPINS {
        if !busy() {
            return;
        }
        std::hint::spin_loop();
    }
}

/// A helper thread for large pulse stages, owned by one simulator.
pub(crate) struct PulseHelper {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PulseHelper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PulseHelper").finish_non_exhaustive()
    }
}

impl PulseHelper {
    /// Starts the helper thread; `None` if the system refuses a thread (steps then run alone).
    pub(crate) fn start() -> Option<PulseHelper> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::Idle),
            posted: Condvar::new(),
            done: Condvar::new(),
            in_use: AtomicBool::new(false),
            phase: AtomicU8::new(PHASE_IDLE),
            helper_asleep: AtomicBool::new(false),
            poster_asleep: AtomicBool::new(false),
        });
        let sh = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("netdsl-mpes".into())
            .spawn(move || helper_loop(&sh))
            .ok()?;
        Some(PulseHelper {
            shared,
            thread: Some(thread),
        })
    }

    /// Runs `job` on the calling thread and, when the helper is free, on the helper too;
    /// returns once neither runs it. A helper that wakes up late finds the job withdrawn (or
    /// nothing left to do), so a busy machine costs at most the hand-over.
    ///
    /// # Safety
    /// `job.run(job.data)` must be sound to call from two threads at once, until this returns.
    pub(crate) unsafe fn run_shared(&self, job: Job) {
        let sh = &*self.shared;
        if sh.in_use.swap(true, Ordering::Acquire) {
            // SAFETY: by the caller.
            unsafe { job.run() };
            return;
        }
        sh.set_and_wake(State::Posted(job), &sh.helper_asleep, &sh.posted);
        // SAFETY: by the caller.
        unsafe { job.run() };
        // The helper, if it took the job, finishes its share about when this thread does.
        spin_while(|| sh.phase.load(Ordering::Acquire) == PHASE_TAKEN);
        let mut s = sh.lock();
        loop {
            match *s {
                State::Posted(_) | State::Done => break,
                State::Taken => s = sleep(s, &sh.poster_asleep, &sh.done),
                State::Idle | State::Stop => unreachable!("a posted job vanished"),
            }
        }
        sh.set(&mut s, State::Idle);
        drop(s);
        sh.in_use.store(false, Ordering::Release);
    }

    /// Marks the helper busy, as a step using it would; `false` if it already was. (Tests.)
    #[cfg(test)]
    pub(crate) fn try_claim(&self) -> bool {
        !self.shared.in_use.swap(true, Ordering::Acquire)
    }

    /// Undoes [`PulseHelper::try_claim`]. (Tests.)
    #[cfg(test)]
    pub(crate) fn release(&self) {
        self.shared.in_use.store(false, Ordering::Release);
    }
}

impl Drop for PulseHelper {
    fn drop(&mut self) {
        let sh = &*self.shared;
        // No job is in flight: `run_shared` borrows the helper until its job is done.
        sh.set_and_wake(State::Stop, &sh.helper_asleep, &sh.posted);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn helper_loop(sh: &Shared) {
    loop {
        spin_while(|| {
            let p = sh.phase.load(Ordering::Acquire);
            p != PHASE_POSTED && p != PHASE_STOP
        });
        let job = {
            let mut s = sh.lock();
            loop {
                match *s {
                    State::Posted(job) => {
                        sh.set(&mut s, State::Taken);
                        break job;
                    }
                    State::Stop => return,
                    _ => s = sleep(s, &sh.helper_asleep, &sh.posted),
                }
            }
        };
        // SAFETY: the poster waits until `Done` (see `run_shared`).
        unsafe { job.run() };
        sh.set_and_wake(State::Done, &sh.poster_asleep, &sh.done);
    }
}
