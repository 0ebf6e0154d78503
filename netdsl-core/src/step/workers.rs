//! Running independent ops of a step on more than one thread (opt-in:
//! [`Simulator::set_threads`](crate::sim::Simulator::set_threads)).
//!
//! The plan fixes one order of a step's ops; any other order that keeps every pair of ops that
//! touch the same signal (one of them writing it) in plan order computes exactly the same values,
//! bit for bit. [`Schedule::new`] puts each op on the earliest *level* after every earlier op it
//! conflicts with. State outside the store counts too ([`External`]): user closures conflict with
//! every other op that has such state, so they keep their plan order; a stage call conflicts with
//! the closures and with the other calls on its own object, a memristor op with the other ops on
//! its array. Ops on one level touch disjoint signals and different objects. On a level whose heavy
//! ops (neurons, weights, encoders, filters, stage calls, memristor filter stages) add up to enough
//! work, those ops are *shared*, each as a unit with the ops of nearby levels that touch only it
//! (an ensemble's encoder before its neuron update, its decoder and synapse after): the calling
//! thread claims units one at a time from the front of the level's list and the workers from the
//! back (one atomic word), so the work balances itself, each thread tends to get the same ensembles
//! every step (their signals stay in its cache), and a worker that is late (descheduled) only means
//! the calling thread does more of it. Other levels and all user closures run on the calling
//! thread.
//!
//! Workers spin while steps are being run (a step lasts microseconds; waking a sleeping thread
//! costs about as much) and park after a short idle spell. Results never depend on the thread
//! count. An op error stops the step after its level and names the earliest failing op of that
//! level in plan order: the same op as on one thread, unless two independent ops fail in the
//! same step (then the one on the earlier level is named, and ops of that level that come later
//! in the plan have run).

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::models::memristor::{Device, MemristorArray};
use crate::step::ops::{Ctx, CtxParts, Op, StateEntry, StorePtr};
use crate::threads::pulse::PulseHelper;

/// What an op touches outside the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum External {
    /// Nothing.
    #[default]
    None,
    /// User code that may touch anything (a node's closure, a process, a connection function):
    /// kept in plan order with every other external op, on the calling thread.
    Ordered,
    /// A stage call on user state value `i`: it touches that object only, so it keeps its plan
    /// order with the other calls on it (and with `Ordered` ops) but not with other objects'.
    State(usize),
    /// Memristor array `i` (runtime code; the array is its connection's alone).
    Memristor(usize),
}

/// Which signals an op reads and writes (sets, increments or updates), and what it touches
/// outside the store.
#[derive(Clone, Debug, Default)]
pub(crate) struct Access {
    /// Signals read.
    pub reads: Vec<usize>,
    /// Signals set, incremented or updated.
    pub writes: Vec<usize>,
    /// State outside the store.
    pub external: External,
}

impl Access {
    /// Whether the two ops must keep their plan order (one writes what the other reads or
    /// writes, or their outside state does).
    fn conflicts(&self, other: &Access) -> bool {
        let hits = |w: &[usize], r: &[usize]| w.iter().any(|s| r.contains(s));
        hits(&self.writes, &other.reads)
            || hits(&self.writes, &other.writes)
            || hits(&other.writes, &self.reads)
            || externals_conflict(self.external, other.external)
    }
}

/// Whether two ops' outside state forces their plan order.
fn externals_conflict(a: External, b: External) -> bool {
    match (a, b) {
        (External::None, _) | (_, External::None) => false,
        (External::Ordered, _) | (_, External::Ordered) => true,
        (a, b) => a == b,
    }
}

/// Shared work on one level below this estimate stays on the calling thread: handing it over
/// costs a few hundred nanoseconds.
const MIN_SHARED_NS: f64 = 5000.0;

/// One level: ops that touch disjoint signals.
#[derive(Debug)]
pub(crate) struct Level {
    /// Ops only the calling thread runs, in plan order.
    main: Vec<usize>,
    /// Units any thread may claim, in plan order (empty when the level is not split). A unit is
    /// one heavy op with the ops of other (not split) levels that touch nothing but it between
    /// their level and this one (an ensemble's bias and encoder before its neuron update, its
    /// decoder and the synapse after it), run in plan order by one thread: their signals then
    /// stay in that thread's cache, and the calling thread runs fewer small ops on its own.
    shared: Vec<Vec<usize>>,
}

/// The levels of a step, in order.
#[derive(Debug)]
pub(crate) struct Schedule {
    levels: Vec<Level>,
}

impl Schedule {
    /// Levels for `ops` with the signal accesses `access` (one per op, same order). `None` when
    /// no level has enough shared work to be worth another thread.
    pub(crate) fn new(ops: &[Op], access: &[Access], n_signals: usize) -> Option<Schedule> {
        assert_eq!(ops.len(), access.len());
        // Earliest level per op: after the last writer of what it reads, after the last reader
        // and writer of what it writes; an `Ordered` external op after every external op, any
        // other after the last `Ordered` one and the last on its own object.
        let mut last_write = vec![None::<usize>; n_signals];
        let mut last_read = vec![None::<usize>; n_signals];
        let (mut last_ordered, mut last_any) = (None::<usize>, None::<usize>);
        let mut last_object = std::collections::HashMap::<External, usize>::new();
        let after = |l: Option<usize>| l.map_or(0, |l| l + 1);
        let latest = |l: Option<usize>, lvl: usize| Some(l.map_or(lvl, |l| l.max(lvl)));
        let mut level_of = Vec::with_capacity(ops.len());
        for a in access {
            let mut lvl = 0;
            for &s in &a.reads {
                lvl = lvl.max(after(last_write[s]));
            }
            for &s in &a.writes {
                lvl = lvl.max(after(last_write[s])).max(after(last_read[s]));
            }
            match a.external {
                External::None => {}
                External::Ordered => {
                    lvl = lvl.max(after(last_any));
                    last_ordered = latest(last_ordered, lvl);
                }
                object => {
                    lvl = lvl
                        .max(after(last_ordered))
                        .max(after(last_object.get(&object).copied()));
                    last_object.insert(object, lvl);
                }
            }
            if a.external != External::None {
                last_any = latest(last_any, lvl);
            }
            for &s in &a.reads {
                last_read[s] = Some(last_read[s].map_or(lvl, |l| l.max(lvl)));
            }
            for &s in &a.writes {
                last_write[s] = Some(last_write[s].map_or(lvl, |l| l.max(lvl)));
            }
            level_of.push(lvl);
        }
        let n_levels = level_of.iter().max().map_or(0, |l| l + 1);
        let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); n_levels];
        for (i, &l) in level_of.iter().enumerate() {
            by_level[l].push(i);
        }
        let cost = |i: usize| ops[i].parallel_cost();
        // Which levels have enough heavy work to share.
        let split: Vec<bool> = by_level
            .iter()
            .map(|l| {
                let heavy: Vec<f64> = l.iter().filter_map(|&i| cost(i)).collect();
                heavy.len() >= 2 && heavy.iter().sum::<f64>() >= MIN_SHARED_NS
            })
            .collect();
        let mut levels: Vec<Level> = (0..n_levels)
            .map(|_| Level {
                main: Vec::new(),
                shared: Vec::new(),
            })
            .collect();
        // Units: each heavy op of a split level; then, until nothing moves, every op of an
        // unshared level that is not an ordered closure and whose conflicts between its level and
        // the nearest split level above (a feeder) or below (a consumer) are all in one unit of
        // that level: moved into that unit, it still runs after every op it follows in the plan
        // and before every op that follows it, and beside nothing it conflicts with.
        let mut unit_of: Vec<Option<(usize, usize)>> = vec![None; ops.len()];
        for l in (0..n_levels).filter(|&l| split[l]) {
            for &i in by_level[l].iter().filter(|&&i| cost(i).is_some()) {
                unit_of[i] = Some((l, levels[l].shared.len()));
                levels[l].shared.push(vec![i]);
            }
        }
        // Ops by the level they now run on (a moved op: its unit's level).
        let mut by_run = by_level.clone();
        loop {
            let mut changed = false;
            for x in 0..ops.len() {
                if unit_of[x].is_some()
                    || access[x].external == External::Ordered
                    || split[level_of[x]]
                {
                    continue;
                }
                let m = level_of[x];
                let above = (m + 1..n_levels).find(|&l| split[l]);
                let below = (0..m).rev().find(|&l| split[l]);
                let target = [above, below].into_iter().flatten().find_map(|l| {
                    let between = if l > m { m + 1..l + 1 } else { l..m };
                    let mut unit = None;
                    for k in between.flat_map(|lv| &by_run[lv]) {
                        if access[x].conflicts(&access[*k]) {
                            match unit_of[*k] {
                                Some((ll, u)) if ll == l && unit.is_none_or(|v| v == u) => {
                                    unit = Some(u)
                                }
                                _ => return None,
                            }
                        }
                    }
                    unit.map(|u| (l, u))
                });
                if let Some((l, u)) = target {
                    unit_of[x] = Some((l, u));
                    levels[l].shared[u].push(x);
                    by_run[m].retain(|&k| k != x);
                    by_run[l].push(x);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // A unit runs its ops in plan order (a valid order: it is the plan's).
        for unit in levels.iter_mut().flat_map(|l| l.shared.iter_mut()) {
            unit.sort_unstable();
        }
        // Everything not in a unit runs on the calling thread, in plan order.
        for (level, ids) in levels.iter_mut().zip(&by_level) {
            level.main = ids
                .iter()
                .copied()
                .filter(|&i| unit_of[i].is_none())
                .collect();
        }
        let any = levels.iter().any(|l| !l.shared.is_empty());
        // The claim word holds the level in 14 bits and the two ends in 15 bits each.
        let fits = levels.len() < 1 << 14 && levels.iter().all(|l| l.shared.len() < 1 << 15);
        (any && fits).then_some(Schedule { levels })
    }
}

#[cfg(test)]
impl Schedule {
    /// One level running `order` on the calling thread.
    pub(crate) fn serial_for_test(order: Vec<usize>) -> Schedule {
        Schedule {
            levels: vec![Level {
                main: order,
                shared: Vec::new(),
            }],
        }
    }

    /// Checks that running the levels in order (units of a level at the same time as each other
    /// and as the level's other ops, each unit in its own order) keeps every pair of conflicting
    /// ops in plan order and never runs two conflicting ops at the same time.
    pub(crate) fn check_order(&self, access: &[Access]) -> Result<(), String> {
        // Per op: (level, lane, position in lane); lane 0 is the calling thread's own ops.
        let mut at = vec![None; access.len()];
        for (l, level) in self.levels.iter().enumerate() {
            for (p, &i) in level.main.iter().enumerate() {
                at[i] = Some((l, 0, p));
            }
            for (u, unit) in level.shared.iter().enumerate() {
                for (p, &i) in unit.iter().enumerate() {
                    at[i] = Some((l, u + 1, p));
                }
            }
        }
        for j in 0..access.len() {
            let bj = at[j].ok_or(format!("op {j} is not scheduled"))?;
            for i in 0..j {
                if !access[i].conflicts(&access[j]) {
                    continue;
                }
                let bi = at[i].ok_or(format!("op {i} is not scheduled"))?;
                let ordered = bi.0 < bj.0 || (bi.0 == bj.0 && bi.1 == bj.1 && bi.2 < bj.2);
                if !ordered {
                    return Err(format!("ops {i} and {j} conflict: {bi:?} vs {bj:?}"));
                }
            }
        }
        Ok(())
    }
}

/// The claim word: `seq` (20 bits, wrapping) | `level` (14) | `front` (15) | `back` (15). The
/// shared ops `front..back` of the level are not claimed yet.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Claim {
    seq: u64,
    level: usize,
    front: usize,
    back: usize,
}

impl Claim {
    fn pack(self) -> u64 {
        ((self.seq & 0xf_ffff) << 44)
            | ((self.level as u64) << 30)
            | ((self.front as u64) << 15)
            | self.back as u64
    }

    fn unpack(c: u64) -> Claim {
        Claim {
            seq: c >> 44,
            level: ((c >> 30) & 0x3fff) as usize,
            front: ((c >> 15) & 0x7fff) as usize,
            back: (c & 0x7fff) as usize,
        }
    }
}

/// A value on a cache line of its own (the claim word and the finished count are written by
/// different threads; sharing a line with each other or with read-mostly fields would make
/// every write evict the other thread's copy).
#[repr(align(128))]
struct Padded<T>(T);

/// What the calling thread and the workers share.
struct Shared {
    schedule: Schedule,
    /// The published work: sequence number, level, next shared op to claim.
    claim: Padded<AtomicU64>,
    /// Shared ops of the current level that have finished.
    finished: Padded<AtomicUsize>,
    store: AtomicPtr<f64>,
    store_len: AtomicUsize,
    ops: AtomicPtr<Op>,
    /// The step's time and time step (bits), user state values and memristor arrays, for ops
    /// on the workers.
    t: AtomicU64,
    dt: AtomicU64,
    states: AtomicPtr<StateEntry>,
    n_states: AtomicUsize,
    memristors: AtomicPtr<MemristorArray<Device>>,
    n_memristors: AtomicUsize,
    /// The simulator's pulse helper, or null.
    pulse: AtomicPtr<PulseHelper>,
    exit: AtomicBool,
    /// Workers that have started (set up everything they allocate).
    started: AtomicUsize,
    /// Per worker: it is parked (or about to park) and needs an unpark to see new work.
    parked: Vec<AtomicBool>,
    /// Errors of shared ops in the current level: (op index, failure), and whether there are
    /// any (so that an error-free level, every level in practice, takes no lock).
    errors: Mutex<Vec<(usize, Failure)>>,
    any_error: AtomicBool,
}

/// How an op failed.
enum Failure {
    /// It returned an error.
    Error(String),
    /// It panicked (user code in a stage call, or a bug): the payload, re-raised on the calling
    /// thread once the level has finished.
    Panic(Box<dyn std::any::Any + Send>),
}

/// Keeps the failure of the earliest op in plan order.
fn keep_earliest(i: usize, f: Failure, first: &mut Option<(usize, Failure)>) {
    if first.as_ref().is_none_or(|(j, _)| i < *j) {
        *first = Some((i, f));
    }
}

/// Runs shared op `i` with the current store.
///
/// # Safety
/// `i` must have been claimed by this thread for the current level (so no other thread runs it
/// or touches its signals), and the store and ops pointers must be the live ones.
unsafe fn run_shared_op(sh: &Shared, i: usize) {
    let store = StorePtr::from_raw(
        sh.store.load(Ordering::Relaxed),
        sh.store_len.load(Ordering::Relaxed),
    );
    // SAFETY: the ops vector lives as long as the simulator, which waits for this op to finish;
    // op `i` is this thread's alone until then (the caller's contract).
    let op = unsafe { &mut *sh.ops.load(Ordering::Relaxed).add(i) };
    // SAFETY: the pointers are the simulator's, live for the step; ops of one level touch
    // different state values and arrays (the schedule), so this op's are its own.
    let mut ctx = unsafe {
        Ctx::from_raw(
            f64::from_bits(sh.t.load(Ordering::Relaxed)),
            f64::from_bits(sh.dt.load(Ordering::Relaxed)),
            (
                sh.states.load(Ordering::Relaxed),
                sh.n_states.load(Ordering::Relaxed),
            ),
            (
                sh.memristors.load(Ordering::Relaxed),
                sh.n_memristors.load(Ordering::Relaxed),
            ),
            sh.pulse.load(Ordering::Relaxed).cast_const(),
        )
    };
    // SAFETY: ranges checked at build; ops of one level touch disjoint signals. A panic
    // becomes this op's failure instead of ending the thread, so the caller never waits for a
    // unit that will not finish.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        op.run_unchecked(store, &mut ctx)
    }));
    let err = match run {
        Ok(Ok(())) => return,
        Ok(Err(m)) => Failure::Error(m),
        Err(payload) => Failure::Panic(payload),
    };
    sh.errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((i, err));
    sh.any_error.store(true, Ordering::Release);
}

/// Claims and runs shared ops of the level published as `c` until none is left (or newer work
/// is published), one at a time: the calling thread from the front of the level's list, the
/// workers from the back. In steady state each thread then gets the same ops every step (the
/// caller the first ensembles, a worker the last), so their signals stay in that core's cache.
///
/// # Safety
/// `c` must be a claim word published by [`Pool::step`], whose store and ops stay live until
/// `finished` reaches the level's count.
unsafe fn claim_loop(sh: &Shared, mut c: u64, from_front: bool) {
    let first = Claim::unpack(c);
    let shared = &sh.schedule.levels[first.level].shared;
    let mut done = 0;
    loop {
        let now = Claim::unpack(c);
        if now.seq != first.seq || now.front >= now.back {
            break;
        }
        let (i, next) = if from_front {
            (
                now.front,
                Claim {
                    front: now.front + 1,
                    ..now
                },
            )
        } else {
            (
                now.back - 1,
                Claim {
                    back: now.back - 1,
                    ..now
                },
            )
        };
        match sh
            .claim
            .0
            .compare_exchange(c, next.pack(), Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {
                // SAFETY: the exchange made unit `shared[i]` this thread's; the publisher waits
                // for `finished` before the store or the ops change.
                for &op in &shared[i] {
                    unsafe { run_shared_op(sh, op) };
                }
                done += 1;
                c = sh.claim.0.load(Ordering::SeqCst);
            }
            Err(now) => c = now,
        }
    }
    if done > 0 {
        sh.finished.0.fetch_add(done, Ordering::Release);
    }
}

fn worker_loop(sh: Arc<Shared>, w: usize) {
    const SPINS_BEFORE_PARK: u32 = 1 << 17;
    // Parking needs this thread's handle: made now, so that stepping never allocates.
    drop(std::thread::current());
    sh.started.fetch_add(1, Ordering::Release);
    let mut seen = Claim::unpack(sh.claim.0.load(Ordering::SeqCst)).seq;
    loop {
        let mut spins = 0u32;
        let c = loop {
            if sh.exit.load(Ordering::Acquire) {
                return;
            }
            let c = sh.claim.0.load(Ordering::SeqCst);
            if Claim::unpack(c).seq != seen {
                break c;
            }
            spins += 1;
            if spins < SPINS_BEFORE_PARK {
                std::hint::spin_loop();
            } else {
                sh.parked[w].store(true, Ordering::SeqCst);
                // New work published after the flag was set is seen here or unparks us.
                if Claim::unpack(sh.claim.0.load(Ordering::SeqCst)).seq == seen
                    && !sh.exit.load(Ordering::Acquire)
                {
                    std::thread::park();
                }
                sh.parked[w].store(false, Ordering::SeqCst);
                spins = 0;
            }
        };
        seen = Claim::unpack(c).seq;
        // SAFETY: `c` was published by `Pool::step`, which waits for `finished`.
        unsafe { claim_loop(&sh, c, false) };
    }
}

/// Worker threads bound to one simulator's schedule.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    seq: u64,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pool({} workers)", self.handles.len())
    }
}

impl Pool {
    /// Starts `workers` threads for `schedule`. Fewer (possibly none) if threads cannot be
    /// spawned.
    pub(crate) fn new(schedule: Schedule, workers: usize) -> Pool {
        let shared = Arc::new(Shared {
            schedule,
            claim: Padded(AtomicU64::new(0)),
            finished: Padded(AtomicUsize::new(0)),
            store: AtomicPtr::new(std::ptr::null_mut()),
            store_len: AtomicUsize::new(0),
            ops: AtomicPtr::new(std::ptr::null_mut()),
            t: AtomicU64::new(0),
            dt: AtomicU64::new(0),
            states: AtomicPtr::new(std::ptr::null_mut()),
            n_states: AtomicUsize::new(0),
            memristors: AtomicPtr::new(std::ptr::null_mut()),
            n_memristors: AtomicUsize::new(0),
            pulse: AtomicPtr::new(std::ptr::null_mut()),
            exit: AtomicBool::new(false),
            started: AtomicUsize::new(0),
            parked: (0..workers).map(|_| AtomicBool::new(false)).collect(),
            errors: Mutex::new(Vec::new()),
            any_error: AtomicBool::new(false),
        });
        let handles: Vec<JoinHandle<()>> = (0..workers)
            .map_while(|w| {
                let sh = shared.clone();
                std::thread::Builder::new()
                    .name(format!("netdsl-step-{w}"))
                    .spawn(move || worker_loop(sh, w))
                    .ok()
            })
            .collect();
        // Wait for the workers to start: a thread allocates as it starts, and that must not
        // happen during the first steps.
        while shared.started.load(Ordering::Acquire) < handles.len() {
            std::thread::yield_now();
        }
        Pool {
            shared,
            handles,
            seq: 0,
        }
    }

    /// Worker threads running.
    pub(crate) fn workers(&self) -> usize {
        self.handles.len()
    }

    /// Runs one step's ops level by level. `run_main(i)` runs op `i` on this thread (user code
    /// and the levels that are not split); shared ops are claimed by this thread and the
    /// workers. Stops after the first level with an error and returns the earliest failing op
    /// of that level in plan order.
    ///
    /// # Safety
    /// `ops` and `store` must be the simulator's live ops and store, every op's ranges checked
    /// against it, and nothing else may touch them until this returns; `run_main` must run op
    /// `i` on the same store.
    pub(crate) unsafe fn step(
        &mut self,
        ops: *mut Op,
        store: StorePtr,
        ctx: CtxParts,
        mut run_main: impl FnMut(usize) -> Result<(), String>,
    ) -> Result<(), (usize, String)> {
        let sh = &*self.shared;
        sh.store.store(store.as_mut_ptr(), Ordering::Relaxed);
        sh.store_len.store(store.len(), Ordering::Relaxed);
        sh.ops.store(ops, Ordering::Relaxed);
        sh.t.store(ctx.t.to_bits(), Ordering::Relaxed);
        sh.dt.store(ctx.dt.to_bits(), Ordering::Relaxed);
        sh.states.store(ctx.states.0, Ordering::Relaxed);
        sh.n_states.store(ctx.states.1, Ordering::Relaxed);
        sh.memristors.store(ctx.memristors.0, Ordering::Relaxed);
        sh.n_memristors.store(ctx.memristors.1, Ordering::Relaxed);
        sh.pulse.store(ctx.pulse.cast_mut(), Ordering::Relaxed);
        for (l, level) in sh.schedule.levels.iter().enumerate() {
            let mut first_err: Option<(usize, Failure)> = None;
            if level.shared.is_empty() || self.handles.is_empty() {
                // (Without workers a unit still runs in its order: its ops were moved only where
                // that order is valid.)
                for &i in level.main.iter().chain(level.shared.iter().flatten()) {
                    if let Err(m) = run_main(i) {
                        return Err((i, m));
                    }
                }
                continue;
            }
            self.seq = (self.seq + 1) & 0xf_ffff;
            sh.finished.0.store(0, Ordering::Relaxed);
            let c = Claim {
                seq: self.seq,
                level: l,
                front: 0,
                back: level.shared.len(),
            }
            .pack();
            sh.claim.0.store(c, Ordering::SeqCst);
            for (w, h) in self.handles.iter().enumerate() {
                if sh.parked[w].load(Ordering::SeqCst) {
                    h.thread().unpark();
                }
            }
            for &i in &level.main {
                // A panic (user code) waits for the workers to finish the level, which uses the
                // store, before it goes on.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_main(i))) {
                    Ok(Ok(())) => {}
                    Ok(Err(m)) => keep_earliest(i, Failure::Error(m), &mut first_err),
                    Err(payload) => keep_earliest(i, Failure::Panic(payload), &mut first_err),
                }
            }
            // SAFETY: published just above; this function waits for `finished` below.
            unsafe { claim_loop(sh, c, true) };
            let mut spins = 0u32;
            while sh.finished.0.load(Ordering::Acquire) < level.shared.len() {
                spins += 1;
                if spins < 1 << 14 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            // (`finished` was read with Acquire after the workers' Release: their errors are
            // visible.)
            if sh.any_error.swap(false, Ordering::AcqRel) {
                let mut errs = sh.errors.lock().unwrap_or_else(|e| e.into_inner());
                for (i, f) in errs.drain(..) {
                    keep_earliest(i, f, &mut first_err);
                }
            }
            // The earliest failure in plan order, as on one thread: an error, or the panic
            // raised again here.
            match first_err {
                None => {}
                Some((i, Failure::Error(m))) => return Err((i, m)),
                Some((_, Failure::Panic(payload))) => std::panic::resume_unwind(payload),
            }
        }
        Ok(())
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let sh = &*self.shared;
        sh.exit.store(true, Ordering::Release);
        sh.claim.0.fetch_add(1 << 44, Ordering::SeqCst);
        for h in &self.handles {
            h.thread().unpark();
        }
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
