//! The simulator: builds a [`Network`] (structure check, NEF parameters, decoders, op binding)
//! and steps its plan over one signal store; results and probe data are read from it.

use std::any::Any;
use std::ops::Range;

use ndarray::{Array1, ArrayView2, ArrayViewD, IxDyn};

use crate::build::{self, Built};
use crate::error::{BuildError, SimError};
use crate::io::dot::labels::ConnText;
use crate::io::probe::{ProbeData, Source};
use crate::io::progress::Progress;
use crate::models::memristor::{Device, MemristorArray};
use crate::network::Network;
use crate::plan::{Plan, RuleKind, Structure};
use crate::step::ops::{Ctx, Op, StorePtr, WeightValues};
use crate::step::signals::Layout;
use crate::step::workers::{Access, Pool, Schedule};
use crate::threads::build::with_build_threads;
use crate::threads::pulse::PulseHelper;

pub use crate::build::data::{ConnData, EnsembleData, Weights, WeightsIter};
pub use crate::io::checkpoint::{CheckpointError, CheckpointEvery};

mod checkpoint;
mod persist;
mod stream;
pub use crate::threads::SimOptions;

/// A running network.
pub struct Simulator {
    dt: f64,
    step: u64,
    store: Vec<f64>,
    /// Initial values of the store ranges that ops write (the rest never changes), for `reset`.
    initial_written: Vec<(Range<usize>, Vec<f64>)>,
    /// Signals kept outside the store (column-major private weight matrices).
    ext_signals: Vec<(usize, WeightValues)>,
    ops: Vec<Op>,
    op_names: Vec<String>,
    /// Per op: the signals it reads and writes (for the multi-threaded schedule).
    access: Vec<Access>,
    /// Worker threads, when [`Simulator::set_threads`] asked for more than one thread and the
    /// network has independent work big enough to share.
    pool: Option<Pool>,
    probes: Vec<ProbeData>,
    states: Vec<(String, Box<dyn Any + Send>)>,
    memristors: Vec<MemristorArray<Device>>,
    initial_memristors: Vec<MemristorArray<Device>>,
    plan: Plan,
    structure: Structure<usize>,
    layout: Layout,
    ensembles: Vec<Option<EnsembleData>>,
    conns: Vec<ConnData>,
    process_seed: u64,
    progress: bool,
    conn_texts: Vec<ConnText>,
    memristor_of: Vec<usize>,
    /// The helper thread of large pulse stages (see [`SimOptions::pulse_threads`]).
    pulse: Option<PulseHelper>,
    /// The most bytes in-memory probes may hold at the end of a run (see
    /// [`Simulator::set_probe_memory_limit`]).
    probe_memory_limit: u64,
    /// Streamed probes and periodic checkpoints (`sim/persist.rs`).
    persist: persist::Persist,
}

/// A short summary: the network, time step, steps taken, ops, probes and threads (not the
/// signal store).
/// Default of [`Simulator::set_probe_memory_limit`]: 8 GiB.
pub const DEFAULT_PROBE_MEMORY_LIMIT: u64 = 8 << 30;

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("network", &self.structure.name)
            .field("dt", &self.dt)
            .field("steps", &self.step)
            .field("ops", &self.ops.len())
            .field("signals", &self.store.len())
            .field("probes", &self.probe_names())
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Build a network with time step `dt` (seconds): check it, compute its plan, do the NEF
    /// work and lay out the signal store. Threads as in [`SimOptions::default`].
    pub fn new(net: Network, dt: f64) -> Result<Simulator, BuildError> {
        Simulator::with_options(net, dt, SimOptions::default())
    }

    /// [`Simulator::new`] with the threads of `options`: `build_threads` for the build,
    /// `pulse_threads` for the memristive pulse stages, then `step_threads` passed to
    /// [`Simulator::set_threads`]. The numbers are the same for every choice.
    pub fn with_options(
        net: Network,
        dt: f64,
        options: SimOptions,
    ) -> Result<Simulator, BuildError> {
        let built = with_build_threads(options.build_threads, || {
            build::build(net, dt, options.pulse_threads, options.build_memory_limit)
        })?;
        let mut sim = Simulator::from_built(built);
        sim.set_threads(options.step_threads);
        Ok(sim)
    }

    fn from_built(b: Built) -> Simulator {
        let initial_memristors = b.memristors.clone();
        Simulator {
            dt: b.dt,
            step: 0,
            store: b.store,
            initial_written: b.initial_written,
            ext_signals: b.ext_signals,
            ops: b.ops,
            op_names: b.op_names,
            access: b.access,
            pool: None,
            probes: b.probes,
            states: b.states,
            memristors: b.memristors,
            initial_memristors,
            plan: b.plan,
            structure: b.structure,
            layout: b.layout,
            ensembles: b.ensembles,
            conns: b.conns,
            process_seed: b.process_seed,
            progress: true,
            conn_texts: b.conn_texts,
            memristor_of: b.memristor_of,
            pulse: b.pulse,
            probe_memory_limit: DEFAULT_PROBE_MEMORY_LIMIT,
            persist: persist::Persist::default(),
        }
    }

    /// The time step.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Steps taken since build or the last reset.
    pub fn n_steps(&self) -> u64 {
        self.step
    }

    /// Current simulated time.
    pub fn time(&self) -> f64 {
        self.step as f64 * self.dt
    }

    /// The step plan being run.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The network structure the plan was computed from.
    pub fn structure(&self) -> &Structure<usize> {
        &self.structure
    }

    /// Turn the progress bar of long runs on or off (it only ever shows on a terminal).
    pub fn set_progress(&mut self, on: bool) {
        self.progress = on;
    }

    /// Runs the independent heavy ops of each step (neuron updates, weight products, encoders,
    /// filters of different ensembles and connections, stage calls on different user objects)
    /// on up to `threads` threads; 1 (the default) runs everything on the calling thread.
    /// Returns the number of threads that will be used: 1 when the network has no level of
    /// independent work big enough to pay for the hand-over (a few hundred nanoseconds), e.g.
    /// two 100-neuron ensembles.
    ///
    /// Results are bit-identical whatever the thread count: only ops that touch disjoint signals
    /// run at the same time. User closures (nodes, connection functions, processes) always run on
    /// the calling thread in plan order. Stage calls (`obj.method` nodes) keep plan order among the
    /// calls on the same object and with the closures, but calls on *different* objects may run at
    /// the same time on different threads (each object is `Send` and only its own calls touch it):
    /// two crossbar objects' filter stages, as in the seed network, then run side by side. An
    /// object that shares something with another one behind the runtime's back (a global, an
    /// `Arc<Mutex<_>>`) sees their calls in an order that may change from step to step (and a
    /// thread-local differs between threads); use one object, or one thread, for that. Memristor
    /// arrays are their connection's own and follow the same rule. A NaN error names the same op
    /// and step as on one thread (if two independent ops fail in the same step, the one on the
    /// earlier level of the schedule is named); a panic in a stage call reaches the caller as it
    /// would on one thread, once the other threads have finished their part of the step. The extra
    /// threads spin while steps are run and park after a short idle spell; use this on a machine
    /// with a free core per thread.
    pub fn set_threads(&mut self, threads: usize) -> usize {
        self.pool = None;
        if threads <= 1 {
            return 1;
        }
        let Some(schedule) = Schedule::new(&self.ops, &self.access, self.plan.signals.len()) else {
            return 1;
        };
        let pool = Pool::new(schedule, threads - 1);
        let used = 1 + pool.workers();
        if used > 1 {
            self.pool = Some(pool);
        }
        used
    }

    /// Threads stepping this simulator (see [`Simulator::set_threads`]).
    pub fn threads(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| 1 + p.workers())
    }

    /// Run for `seconds` of simulated time (`round(seconds / dt)` steps). A negative, NaN or
    /// infinite duration, or one of more steps than the step counter holds, is an error (op
    /// `run`) and runs nothing.
    pub fn run(&mut self, seconds: f64) -> Result<(), SimError> {
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(self.run_error(format!(
                "the duration must be a finite number of seconds >= 0, got {seconds}"
            )));
        }
        let steps = (seconds / self.dt).round();
        if steps >= u64::MAX as f64 {
            return Err(self.run_error(format!(
                "{seconds} s at dt = {} s is more steps than a run can count",
                self.dt
            )));
        }
        self.run_steps(steps as u64)
    }

    /// The most bytes the in-memory probes may hold at the end of a run (default 8 GiB). A
    /// run whose probes would need more is refused before it starts (op `run`, naming the
    /// bytes), instead of exhausting memory; stream long recordings to disk
    /// ([`Simulator::stream_probe`]) or record less often (`sample_every`).
    pub fn set_probe_memory_limit(&mut self, bytes: u64) {
        self.probe_memory_limit = bytes;
    }

    /// An error of a run that could not start.
    fn run_error(&self, message: String) -> SimError {
        SimError {
            step: self.step,
            t: self.time(),
            op_index: None,
            op: "run".into(),
            message,
        }
    }

    /// Reserves every in-memory probe's samples of the next `n` steps (so stepping allocates
    /// nothing), after checking the step count and the memory it needs.
    fn reserve_probes(&mut self, n: u64) -> Result<(), SimError> {
        if self.step.checked_add(n).is_none() {
            return Err(self.run_error(format!(
                "{n} more steps after step {} overflow the step counter",
                self.step
            )));
        }
        // Samples per probe: exact for runs of up to 2^22 steps, else the bound (a count step
        // by step would take as long as a huge run is refused in). Counted twice rather than
        // kept in a Vec: a run allocates nothing but the reservations.
        let (step, streamed) = (self.step, &self.persist);
        let samples = |i: usize, p: &ProbeData| -> Option<u64> {
            if streamed.streamed(i) {
                None
            } else if n <= 1 << 22 {
                Some(p.samples_in(step, n) as u64)
            } else {
                Some(p.samples_at_most(n))
            }
        };
        let mut bytes: u64 = 0;
        for (i, p) in self.probes.iter().enumerate() {
            let Some(k) = samples(i, p) else { continue };
            let held = (p.data.len() as u64 * 8).saturating_add(p.steps.len() as u64 * 8);
            let per = (p.sample_len() as u64 + 1) * 8;
            bytes = bytes
                .saturating_add(held)
                .saturating_add(k.saturating_mul(per));
        }
        if bytes > self.probe_memory_limit {
            return Err(self.run_error(format!(
                "the probes would hold {:.3} GB after {n} more steps, over the limit of {:.3} GB: \
                 stream them to disk (stream_probe / stream_all), record less often \
                 (sample_every), run in shorter parts, or raise set_probe_memory_limit",
                bytes as f64 / 1e9,
                self.probe_memory_limit as f64 / 1e9
            )));
        }
        let mut failed = None;
        for (i, p) in self.probes.iter_mut().enumerate() {
            let Some(k) = samples(i, p) else { continue };
            let len = p.sample_len();
            let ok = usize::try_from(k).ok().and_then(|k| {
                let values = k.checked_mul(len)?;
                p.data.try_reserve(values).ok()?;
                p.steps.try_reserve(k).ok()
            });
            if ok.is_none() {
                failed = Some((p.name.clone(), k, len));
                break;
            }
        }
        if let Some((name, k, len)) = failed {
            return Err(self.run_error(format!(
                "could not reserve {k} samples of probe `{name}` ({:.3} GB)",
                (k as f64) * (len as f64 + 1.0) * 8.0 / 1e9
            )));
        }
        Ok(())
    }

    /// Run `n` steps. On error, the run stops at the failing step, which is not recorded; every
    /// sample recorded before it is kept. A run whose probes would need more memory than
    /// [`Simulator::set_probe_memory_limit`] allows is refused before its first step.
    pub fn run_steps(&mut self, n: u64) -> Result<(), SimError> {
        self.reserve_probes(n)?;
        let mut progress =
            (self.progress && n >= 20_000).then(|| Progress::new(n as usize, "netdsl run"));
        let mut result = Ok(());
        for k in 0..n {
            result = self.step_once();
            if result.is_ok() && self.persist.active {
                result = self.after_step();
            }
            if result.is_err() {
                break;
            }
            if let Some(p) = progress.as_mut() {
                p.tick(k as usize + 1);
            }
        }
        if let Some(p) = progress.as_mut() {
            p.finish();
        }
        let end = self.end_run();
        result.and(end)
    }

    /// One step: every op in plan order, then the probes.
    fn step_once(&mut self) -> Result<(), SimError> {
        let step = self.step + 1;
        let t = step as f64 * self.dt;
        let mut ctx = Ctx::new(
            t,
            self.dt,
            &mut self.states,
            &mut self.memristors,
            self.pulse.as_ref(),
        );
        let store = StorePtr::new(&mut self.store);
        let result = if let Some(pool) = self.pool.as_mut() {
            let ops = self.ops.as_mut_ptr();
            let parts = ctx.parts();
            let run_main = |i: usize| {
                // SAFETY: `check_ranges` passed for every op at build; op `i` is run by this
                // thread only, while ops on other threads touch other signals (the schedule).
                unsafe { (*ops.add(i)).run_unchecked(store, &mut ctx) }
            };
            // SAFETY: the live ops and store, ranges checked at build; `self` is borrowed
            // mutably for the whole step, so nothing else touches them.
            unsafe { pool.step(ops, store, parts, run_main) }
        } else {
            let mut r = Ok(());
            for (i, op) in self.ops.iter_mut().enumerate() {
                // SAFETY: `check_ranges` passed for every op at build, and neither the ops'
                // ranges nor the store's length change after it; one op runs at a time.
                if let Err(message) = unsafe { op.run_unchecked(store, &mut ctx) } {
                    r = Err((i, message));
                    break;
                }
            }
            r
        };
        if let Err((i, message)) = result {
            return Err(SimError {
                step,
                t,
                op_index: Some(i),
                op: self.op_names[i].clone(),
                message,
            });
        }
        self.step = step;
        for p in &mut self.probes {
            if p.records(step) {
                match &p.source {
                    // One value (most probes here): a push, not a `memcpy` call.
                    Source::Store(r) if r.len() == 1 => p.data.push(self.store[r.start]),
                    Source::Store(r) => p.data.extend_from_slice(&self.store[r.clone()]),
                    Source::MemristorWeights(a) => {
                        p.data.extend_from_slice(self.memristors[*a].weights())
                    }
                    Source::MemristorPos(a) => {
                        p.data.extend_from_slice(self.memristors[*a].r_pos())
                    }
                    Source::MemristorNeg(a) => {
                        p.data.extend_from_slice(self.memristors[*a].r_neg())
                    }
                }
                p.steps.push(step);
            }
        }
        Ok(())
    }

    /// Back to step 0: signals, filters, neurons, devices and processes as built; probe data
    /// cleared. User state values are not touched.
    pub fn reset(&mut self) {
        self.step = 0;
        for (r, v) in &self.initial_written {
            self.store[r.clone()].copy_from_slice(v);
        }
        self.memristors.clone_from(&self.initial_memristors);
        for (i, op) in self.ops.iter_mut().enumerate() {
            match op {
                Op::Filter { state, .. } => state.fill(0.0),
                Op::Neurons { neuron, .. } => neuron.reset(),
                Op::NodeProcess { process, .. } => {
                    process.reset(self.process_seed.wrapping_add(i as u64))
                }
                _ => {}
            }
        }
        for p in &mut self.probes {
            p.data.clear();
            p.steps.clear();
        }
    }

    /// Times of every step run: `dt · [1, 2, …, n]`.
    pub fn trange(&self) -> Array1<f64> {
        Array1::from_iter((1..=self.step).map(|n| n as f64 * self.dt))
    }

    fn probe_index(&self, name: &str) -> Option<usize> {
        self.probes.iter().position(|p| p.name == name)
    }

    /// Names of the probes, in declaration order.
    pub fn probe_names(&self) -> Vec<&str> {
        self.probes.iter().map(|p| p.name.as_str()).collect()
    }

    /// A probe's record, `None` if no probe has that name.
    pub fn probe(&self, name: &str) -> Option<&ProbeData> {
        self.probe_index(name).map(|i| &self.probes[i])
    }

    /// A probe's data as `samples × values` (matrices flattened row-major).
    ///
    /// # Panics
    /// If no probe has that name (see [`Simulator::probe`] for a fallible lookup).
    pub fn data(&self, name: &str) -> ArrayView2<'_, f64> {
        let p = self
            .probe(name)
            .unwrap_or_else(|| panic!("no probe named `{name}`"));
        ArrayView2::from_shape((p.n_samples(), p.sample_len()), &p.data).expect("probe data shape")
    }

    /// A probe's data with its full shape (`samples × n` or `samples × rows × cols`).
    pub fn data_dyn(&self, name: &str) -> Option<ArrayViewD<'_, f64>> {
        let p = self.probe(name)?;
        let mut shape = vec![p.n_samples()];
        shape.extend(&p.shape);
        ArrayViewD::from_shape(IxDyn(&shape), &p.data).ok()
    }

    /// Times of a probe's samples.
    pub fn probe_times(&self, name: &str) -> Option<Array1<f64>> {
        let p = self.probe(name)?;
        Some(Array1::from_iter(
            p.steps.iter().map(|&n| n as f64 * self.dt),
        ))
    }

    /// A state value by name, e.g. the `Memristors` shared by two stages.
    pub fn state<T: Any>(&self, name: &str) -> Option<&T> {
        self.states
            .iter()
            .find(|s| s.0 == name)?
            .1
            .downcast_ref::<T>()
    }

    /// A state value by name, mutably (between runs).
    pub fn state_mut<T: Any>(&mut self, name: &str) -> Option<&mut T> {
        self.states
            .iter_mut()
            .find(|s| s.0 == name)?
            .1
            .downcast_mut::<T>()
    }

    /// What the NEF build produced for an ensemble (by name).
    pub fn ensemble(&self, name: &str) -> Option<&EnsembleData> {
        let i = self.structure.items.iter().position(|it| it.name == name)?;
        self.ensembles[i].as_ref()
    }

    /// What the build produced for connection `index` (declaration order).
    pub fn connection(&self, index: usize) -> Option<&ConnData> {
        self.conns.get(index)
    }

    /// The current value of a signal by its plan name (e.g. `post.voltage`).
    /// (Device weights and resistances of a memristive connection live in its device array and
    /// are read from there.) `None` also for a weight matrix stored as `f32`
    /// ([`crate::network::WeightStorage`]): read it with [`Simulator::connection`].
    pub fn signal(&self, name: &str) -> Option<&[f64]> {
        let i = self.plan.signals.iter().position(|s| s.name == name)?;
        for (c, conn) in self.structure.conns.iter().enumerate() {
            if conn.rule != Some(RuleKind::Mpes) {
                continue;
            }
            let Some(&a) = self.memristor_of.get(c).filter(|&&a| a != usize::MAX) else {
                continue;
            };
            let array = &self.memristors[a];
            match name.strip_prefix(conn.label.as_ref()) {
                Some(".weights") => return Some(array.weights()),
                Some(".r_pos") => return Some(array.r_pos()),
                Some(".r_neg") => return Some(array.r_neg()),
                _ => {}
            }
        }
        if let Some((_, w)) = self.ext_signals.iter().find(|e| e.0 == i) {
            return match w {
                WeightValues::F64(w) => Some(w),
                WeightValues::F32(_) => None,
            };
        }
        Some(&self.store[self.layout.signal(i)])
    }

    /// Edge labels of every connection (function, transform, synapse, rule), for drawings.
    pub fn conn_texts(&self) -> &[ConnText] {
        &self.conn_texts
    }

    /// The memristive device arrays, in connection order.
    pub fn memristors(&self) -> &[MemristorArray<Device>] {
        &self.memristors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{ConnectionSpec, Endpoint, EnsembleSpec, NodeOutput};

    fn stage_copy(_: &mut dyn Any, _t: f64, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
    }

    /// A chain of 300-neuron ensembles with a learned connection, a slice into a 2-D
    /// ensemble, a closure node and stage calls on two objects (one of them called twice).
    fn mixed() -> Network {
        use crate::models::learning::LearningRule;
        use crate::network::NodeOutput::Stage;
        let mut net = Network::new("mixed");
        let inp = net.add_node("inp", 0, 1, NodeOutput::Constant(vec![0.3]));
        let mut prev = inp;
        let mut ens = Vec::new();
        for k in 0..6 {
            let e = net.add_ensemble(format!("e{k}"), EnsembleSpec::new(300, 1));
            net.connect(ConnectionSpec::new(
                Endpoint::Value(prev),
                Endpoint::Value(e),
            ));
            prev = e;
            ens.push(e);
        }
        let two = net.add_ensemble("two", EnsembleSpec::new(200, 2));
        let mut c = ConnectionSpec::new(Endpoint::Value(ens[1]), Endpoint::Value(two));
        c.post_slice = Some(0..1);
        net.connect(c);
        let mut l = ConnectionSpec::new(Endpoint::Value(ens[2]), Endpoint::Value(ens[5]));
        l.learning = Some(LearningRule::pes());
        let l = net.connect(l);
        net.connect(ConnectionSpec::new(
            Endpoint::Value(ens[4]),
            Endpoint::Learning(l),
        ));
        let (a, b) = (net.add_state("a", 0u8), net.add_state("b", 0u8));
        let stage = |state| Stage {
            state,
            method: "copy".into(),
            call: stage_copy,
        };
        let (sa, sb, sa2) = (
            net.add_node("sa", 300, 300, stage(a)),
            net.add_node("sb", 300, 300, stage(b)),
            net.add_node("sa2", 300, 300, stage(a)),
        );
        for (e, n) in [(ens[0], sa), (ens[3], sb), (ens[4], sa2)] {
            net.connect(ConnectionSpec::new(
                Endpoint::Neurons(e),
                Endpoint::Value(n),
            ));
        }
        let back = ConnectionSpec::new(Endpoint::Value(sb), Endpoint::Neurons(ens[1]));
        net.connect(back);
        net
    }

    #[test]
    fn schedules_keep_every_conflicting_pair_in_plan_order() {
        let sim = Simulator::new(mixed(), 0.001).expect("build");
        let schedule = Schedule::new(&sim.ops, &sim.access, sim.plan.signals.len())
            .expect("six 300-neuron updates are worth sharing");
        schedule.check_order(&sim.access).expect("a valid schedule");
        // The check itself: every op first in plan order on level 0 breaks it.
        let one_level = (0..sim.ops.len()).collect::<Vec<_>>();
        assert!(Schedule::serial_for_test(one_level.clone())
            .check_order(&sim.access)
            .is_ok());
        let reversed = one_level.into_iter().rev().collect();
        assert!(Schedule::serial_for_test(reversed)
            .check_order(&sim.access)
            .is_err());
    }

    #[test]
    fn biases_fold_into_the_encoder_ops_that_follow_them() {
        let mut net = Network::new("fold");
        let inp = net.add_node("inp", 0, 1, NodeOutput::Constant(vec![0.3]));
        let a = net.add_ensemble("a", EnsembleSpec::new(50, 1));
        let b = net.add_ensemble("b", EnsembleSpec::new(40, 2));
        net.connect(ConnectionSpec::new(
            Endpoint::Value(inp),
            Endpoint::Value(a),
        ));
        let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
        c.post_slice = Some(1..2);
        net.connect(c);
        let sim = Simulator::new(net, 0.001).expect("build");
        // Values each bias op copies, and biases each encoder op holds.
        let (mut copies, mut folded) = (Vec::new(), Vec::new());
        for op in &sim.ops {
            match op {
                Op::Bias { j, .. } => copies.push(j.len()),
                Op::Encode { bias, .. } => folded.push(bias.len()),
                _ => {}
            }
        }
        assert_eq!(copies, [0, 0], "both bias ops copy nothing");
        assert_eq!(folded, [50, 40], "both encoders set J from the biases");
    }
}
