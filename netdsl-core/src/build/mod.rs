//! From a [`Network`] to a built model, as a pipeline that reads top to bottom ([`build`]):
//! structure check, plan, ensemble parameters, decoder and weight solves, memristor arrays,
//! initial values, op binding, probes and the reset snapshot.

mod connections;
pub(crate) mod data;
mod decoders;
mod ensembles;
mod memory;
mod memristors;
mod ops;
mod probes;
pub(crate) mod structure;

use std::any::Any;
use std::ops::Range;

use crate::error::BuildError;
use crate::io::dot::labels::{conn_text, ConnText};
use crate::io::probe::ProbeData;
use crate::models::memristor::{Device, MemristorArray};
use crate::network::{ItemSpec, Network, NodeOutput, WeightStorage};
use crate::plan::{self, OpDesc, OpKind, Owner, Plan, Shape, Structure};
use crate::step::ops::{Op, WeightValues};
use crate::step::signals::Layout;
use crate::step::workers::Access;
use crate::threads::pulse::PulseHelper;
use data::{ConnData, EnsembleData};
use structure::structure;

/// A network, built: everything a [`Simulator`](crate::sim::Simulator) steps and answers
/// queries from.
pub(crate) struct Built {
    pub dt: f64,
    pub store: Vec<f64>,
    /// Initial values of the store ranges that ops write (the rest never changes), for `reset`.
    pub initial_written: Vec<(Range<usize>, Vec<f64>)>,
    /// Signals kept outside the store (column-major private weight matrices).
    pub ext_signals: Vec<(usize, WeightValues)>,
    pub ops: Vec<Op>,
    pub op_names: Vec<String>,
    /// Per op: the signals it reads and writes (for the multi-threaded schedule).
    pub access: Vec<Access>,
    pub probes: Vec<ProbeData>,
    pub states: Vec<(String, Box<dyn Any + Send>)>,
    pub memristors: Vec<MemristorArray<Device>>,
    /// Connection `c`'s array in `memristors`, or `usize::MAX`.
    pub memristor_of: Vec<usize>,
    /// The helper thread of large pulse stages, when asked for and worth it.
    pub pulse: Option<PulseHelper>,
    pub plan: Plan,
    pub structure: Structure<usize>,
    pub layout: Layout,
    pub ensembles: Vec<Option<EnsembleData>>,
    pub conns: Vec<ConnData>,
    pub process_seed: u64,
    pub conn_texts: Vec<ConnText>,
}

/// Builds `net` with time step `dt`; `pulse_threads > 1` starts a pulse helper when a memristive
/// connection is big enough to share its pulse stage. (The build-thread count is the caller's
/// [`with_build_threads`](crate::threads::build::with_build_threads).)
pub(crate) fn build(
    mut net: Network,
    dt: f64,
    pulse_threads: usize,
    memory_limit: u64,
) -> Result<Built, BuildError> {
    check_dt(dt)?;
    let structure = structure(&net)?;
    let plan = plan_of(&net, &structure)?;
    let q = PlanIndex::new(&plan);
    let conn_texts = net.conns.iter().map(conn_text).collect();
    let layout = Layout::new(&plan);
    let mut store = vec![0.0; layout.len()];

    let ensembles = ensembles::build_ensembles(&net)?;
    check_weight_storage(&net, &structure, &q)?;
    memory::check_build_memory(&net, &structure, &ensembles, memory_limit)?;
    // Big decoder solves (each a few hundred ms) are independent of each other: solved side by
    // side before the connections and probes that use them are built.
    let mut solved = decoders::prefetch_solves(&net, &structure, &plan, &ensembles);
    let conns = connections::build_connections(
        &net,
        &structure,
        &q,
        &ensembles,
        &mut solved,
        &layout,
        &mut store,
    )?;
    let (memristors, memristor_of) = memristors::build_memristors(&net, &q);
    initial_values(&net, &ensembles, &q, &layout, &mut store);

    let bound = ops::bind_ops(
        &mut net,
        dt,
        &structure,
        &q,
        &ensembles,
        &conns,
        &memristor_of,
        &mut solved,
        &layout,
        &mut store,
    )?;
    let probes = probes::build_probes(&net, &structure, &q, &layout, &memristor_of, dt);
    let initial_written = probes::reset_snapshot(&plan, &layout, &store);
    ops::check_ops(&bound.ops, &bound.op_names, store.len())?;
    let pulse = start_pulse_helper(pulse_threads, &memristors);

    Ok(Built {
        dt,
        store,
        initial_written,
        ext_signals: bound.ext_signals,
        ops: bound.ops,
        op_names: bound.op_names,
        access: bound.access,
        probes,
        states: std::mem::take(&mut net.states),
        memristors,
        memristor_of,
        pulse,
        plan,
        structure,
        layout,
        ensembles,
        conns,
        process_seed: bound.process_seed,
        conn_texts,
    })
}

fn check_dt(dt: f64) -> Result<(), BuildError> {
    if dt > 0.0 && dt.is_finite() {
        Ok(())
    } else {
        Err(BuildError::TimeStep { dt })
    }
}

/// The plan of `structure`, checked against the macro's compile-time plan when there is one.
fn plan_of(net: &Network, structure: &Structure<usize>) -> Result<Plan, BuildError> {
    // The rules refused every synapse-free cycle already.
    let plan = plan::plan(structure).map_err(|e| BuildError::Internal {
        what: format!("network `{}`", net.name),
        message: e.to_string(),
    })?;
    if let Some(static_plan) = &net.static_plan {
        same_plan(static_plan, &plan).map_err(|detail| BuildError::PlanMismatch { detail })?;
    }
    Ok(plan)
}

/// Compare a compile-time plan with the runtime's: same ops, same order, same signals.
fn same_plan(a: &Plan, b: &Plan) -> Result<(), String> {
    if a.signals.len() != b.signals.len() {
        return Err(format!(
            "{} signals vs {}",
            a.signals.len(),
            b.signals.len()
        ));
    }
    for (i, (x, y)) in a.signals.iter().zip(b.signals.iter()).enumerate() {
        if x.shape != y.shape {
            return Err(format!(
                "signal {i} `{}`: {} vs {}",
                x.name, x.shape, y.shape
            ));
        }
    }
    if a.ops.len() != b.ops.len() {
        return Err(format!("{} ops vs {}", a.ops.len(), b.ops.len()));
    }
    for (i, (x, y)) in a.ops.iter().zip(b.ops.iter()).enumerate() {
        if x.kind != y.kind
            || x.owner != y.owner
            || x.sets != y.sets
            || x.incs != y.incs
            || x.reads != y.reads
            || x.updates != y.updates
        {
            return Err(format!(
                "op {i}: `{} {}` vs `{} {}`",
                x.kind.name(),
                x.label,
                y.kind.name(),
                y.label
            ));
        }
    }
    Ok(())
}

/// Questions the build steps ask of the plan.
pub(crate) struct PlanIndex<'a> {
    pub plan: &'a Plan,
}

impl<'a> PlanIndex<'a> {
    fn new(plan: &'a Plan) -> Self {
        PlanIndex { plan }
    }

    /// The op of `kind` owned by `owner`.
    pub fn find(&self, kind: OpKind, owner: Owner) -> Option<&'a OpDesc<usize>> {
        self.plan
            .ops
            .iter()
            .find(|o| o.kind == kind && o.owner == owner)
    }

    /// A signal by name.
    pub fn signal(&self, name: &str) -> Option<usize> {
        self.plan.signals.iter().position(|s| s.name == name)
    }

    /// Whether a signal is used by one op only.
    pub fn private(&self, sig: usize) -> bool {
        self.plan
            .ops
            .iter()
            .flat_map(|o| [&o.sets, &o.incs, &o.reads, &o.updates])
            .flat_map(|v| v.iter())
            .filter(|s| s.signal == sig)
            .count()
            == 1
    }

    /// Connection `c`'s weights op (a product, or a memristive filter stage).
    pub fn weights_op(&self, c: usize) -> &'a OpDesc<usize> {
        self.find(OpKind::Weights, Owner::Conn(c))
            .or_else(|| self.find(OpKind::MemristorFilter, Owner::Conn(c)))
            .expect("every connection has a weights op")
    }

    /// Whether connection `c`'s weight matrix is kept apart: only its weights op reads it (not
    /// learned, not probed), so it is kept once, column-major, outside the store, shared by
    /// that op and [`ConnData`] (a spike then reads one contiguous column); it never changes, so
    /// the store and `reset` need no copy of it. Only such a matrix may be stored as f32.
    pub fn kept_apart(&self, c: usize) -> bool {
        let wop = self.weights_op(c);
        let wsig = wop.reads[1].signal;
        wop.kind == OpKind::Weights
            && matches!(self.plan.signals[wsig].shape, Shape::Mat(r, _) if r > 1)
            && self.private(wsig)
    }
}

/// The rules refuse `storage = f32` where the build keeps no fixed weight matrix apart; this
/// checks that the two agree, before any decoder solve is spent.
fn check_weight_storage(
    net: &Network,
    structure: &Structure<usize>,
    q: &PlanIndex<'_>,
) -> Result<(), BuildError> {
    for (c, spec) in net.conns.iter().enumerate() {
        if spec.weight_storage == WeightStorage::F32 && !q.kept_apart(c) {
            return Err(BuildError::Internal {
                what: format!("connection `{}`", structure.conns[c].label),
                message: "the rules accepted f32 weight storage for weights the build does not \
                          keep apart"
                    .into(),
            });
        }
    }
    Ok(())
}

/// Constant node outputs and initial voltages live in the store from the start.
fn initial_values(
    net: &Network,
    ensembles: &[Option<EnsembleData>],
    q: &PlanIndex<'_>,
    layout: &Layout,
    store: &mut [f64],
) {
    for (i, (name, spec)) in net.items.iter().enumerate() {
        if let ItemSpec::Node {
            output: NodeOutput::Constant(v),
            ..
        } = spec
        {
            let s = q
                .signal(&format!("{name}.out"))
                .expect("constant node signal");
            store[layout.signal(s)].copy_from_slice(v);
        }
        if let Some(ens) = &ensembles[i] {
            if let Some(s) = q.signal(&format!("{name}.voltage")) {
                store[layout.signal(s)].copy_from_slice(&ens.initial_voltage);
            }
            for (key, values) in &ens.initial_state {
                let sig = if key == "refractory_time" {
                    "refractory"
                } else {
                    key
                };
                if let Some(s) = q.signal(&format!("{name}.{sig}")) {
                    store[layout.signal(s)].copy_from_slice(values);
                }
            }
        }
    }
}

/// A helper thread for the pulse stages when `pulse_threads > 1` and some array is big enough
/// to share its stage (started now, at build time, so that stepping never allocates).
fn start_pulse_helper(
    pulse_threads: usize,
    memristors: &[MemristorArray<Device>],
) -> Option<PulseHelper> {
    if pulse_threads > 1 && memristors.iter().any(|a| a.wants_pulse_helper()) {
        PulseHelper::start()
    } else {
        None
    }
}
