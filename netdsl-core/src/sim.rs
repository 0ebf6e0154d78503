//! The simulator: builds a [`Network`] (structure, plan, NEF parameters, decoders) and steps
//! its plan over one signal store.

use std::any::Any;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView2, ArrayViewD, IxDyn};

use crate::error::{BuildError, SimError};
use crate::export::progress::Progress;
use crate::memristor::{Device, MemristorArray};
use crate::nef;
use crate::network::{
    ConnectionSpec, Endpoint, ItemSpec, LearningRule, Network, NodeOutput, ProbeOf, Transform,
    WeightStorage,
};
use crate::neurons::NeuronType;
use crate::ops::{Ctx, Op, StorePtr, WeightValues, WeightsKind};
use crate::plan::{
    self, Conn, End, Item, ItemKind, NeuronClass, NodeKind, OpKind, Owner, Plan, Port, ProbeAttr,
    ProbeTarget, RuleKind, Shape, Structure, TransformKind,
};
use crate::probe::{ProbeData, Source};
use crate::rng::Rng;
use crate::signals::Layout;
use crate::synapses::Synapse;
use crate::workers::{Access, External, Pool, Schedule};

/// What the NEF build produced for one ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleData {
    /// Unit-length encoders (n × d).
    pub encoders: Array2<f64>,
    /// Gains.
    pub gain: Vec<f64>,
    /// Biases.
    pub bias: Vec<f64>,
    /// `encoders · gain / radius` (n × d).
    pub scaled_encoders: Array2<f64>,
    /// Evaluation points, scaled by the radius (m × d).
    pub eval_points: Array2<f64>,
    /// Initial voltages.
    pub initial_voltage: Vec<f64>,
}

/// A connection's initial weight signal. Iterates row-major (`rows × cols`, or the vector) and
/// shares its values with the op that multiplies by them when no other op touches the matrix
/// (then it is kept column-major, once, outside the signal store).
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    data: WeightValues,
    rows: usize,
    cols: usize,
    col_major: bool,
}

impl Weights {
    fn row_major(data: Vec<f64>, rows: usize, cols: usize) -> Self {
        Weights {
            data: WeightValues::F64(Arc::new(data)),
            rows,
            cols,
            col_major: false,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(rows, cols)` (a vector is `(n, 1)`).
    pub fn dim(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The value at row `r`, column `c`.
    pub fn get(&self, r: usize, c: usize) -> f64 {
        if self.col_major {
            self.data.get(c * self.rows + r)
        } else {
            self.data.get(r * self.cols + c)
        }
    }

    /// How the values are stored: `f64`, or `f32` when the connection asked for it.
    pub fn storage(&self) -> WeightStorage {
        self.data.storage()
    }

    /// Bytes the values take.
    pub fn bytes(&self) -> usize {
        self.data.bytes()
    }

    /// The values in row-major order (as `f64`).
    pub fn iter(&self) -> WeightsIter<'_> {
        WeightsIter {
            w: self,
            k: 0,
            r: 0,
            c: 0,
        }
    }

    /// The values in row-major order, copied.
    pub fn to_vec(&self) -> Vec<f64> {
        self.iter().collect()
    }
}

/// Row-major iterator over [`Weights`] (the values as `f64`).
pub struct WeightsIter<'a> {
    w: &'a Weights,
    k: usize,
    r: usize,
    c: usize,
}

impl Iterator for WeightsIter<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        if self.k >= self.w.data.len() {
            return None;
        }
        self.k += 1;
        if !self.w.col_major {
            return Some(self.w.data.get(self.k - 1));
        }
        let v = self.w.data.get(self.c * self.w.rows + self.r);
        self.c += 1;
        if self.c == self.w.cols {
            self.c = 0;
            self.r += 1;
        }
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.w.data.len() - self.k;
        (n, Some(n))
    }
}

impl ExactSizeIterator for WeightsIter<'_> {}

impl<'a> IntoIterator for &'a Weights {
    type Item = f64;
    type IntoIter = WeightsIter<'a>;

    fn into_iter(self) -> WeightsIter<'a> {
        self.iter()
    }
}

/// What the build produced for one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnData {
    /// Decoders (n_pre × k), for decoded connections from neurons.
    pub decoders: Option<Array2<f64>>,
    /// The initial weight signal (row-major).
    pub weights: Weights,
    /// Its shape.
    pub weights_shape: Vec<usize>,
}

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
    conn_texts: Vec<crate::export::files::ConnText>,
    memristor_of: Vec<usize>,
}

fn slice_len(s: &Option<Range<usize>>, full: usize) -> usize {
    s.as_ref()
        .map(|r| r.end.saturating_sub(r.start))
        .unwrap_or(full)
}

fn neuron_class(t: &NeuronType) -> NeuronClass {
    match t {
        NeuronType::Lif { .. } => NeuronClass::Lif,
        NeuronType::SpikingRectifiedLinear { .. } => NeuronClass::SpikingRectifiedLinear,
        NeuronType::Direct => NeuronClass::Direct,
        _ => NeuronClass::Rate,
    }
}

fn end_text(net: &Network, e: &Endpoint, slice: &Option<Range<usize>>) -> String {
    let base = match e {
        Endpoint::Value(i) => net.items[*i].0.clone(),
        Endpoint::Neurons(i) => format!("{}.neurons", net.items[*i].0),
        Endpoint::Learning(c) => format!("{}.learning", conn_label(net, *c)),
    };
    match slice {
        Some(r) => format!("{base}[{}..{}]", r.start, r.end),
        None => base,
    }
}

fn conn_label(net: &Network, c: usize) -> String {
    let spec = &net.conns[c];
    spec.label.clone().unwrap_or_else(|| {
        format!(
            "{} -> {}",
            end_text(net, &spec.pre, &spec.pre_slice),
            end_text(net, &spec.post, &spec.post_slice)
        )
    })
}

/// The signals `op` (built from `desc`) reads and writes, for the multi-threaded schedule.
fn op_access(desc: &plan::OpDesc<usize>, op: &Op) -> Access {
    Access {
        reads: desc.reads.iter().map(|r| r.signal).collect(),
        writes: desc
            .sets
            .iter()
            .chain(desc.incs.iter())
            .chain(desc.updates.iter())
            .map(|r| r.signal)
            .collect(),
        external: match op {
            Op::NodeTime { .. }
            | Op::NodeTimeInput { .. }
            | Op::NodeProcess { .. }
            | Op::Function { .. } => External::Ordered,
            Op::NodeStage { state, .. } => External::State(*state),
            Op::MemristorFilter { array, .. } | Op::MemristorPulse { array, .. } => {
                External::Memristor(*array)
            }
            _ => External::None,
        },
    }
}

/// Folds each ensemble's bias into its encoder op where the encoder op is the next op to touch
/// `J` after the bias op: the encoder then sets `J = bias + E · x` (the same sums) and the bias
/// op copies nothing. One pass over `J` and one copy fewer per ensemble and step; the plan,
/// the op list and every value are unchanged.
fn fold_biases(ops: &mut [Op], access: &[Access]) {
    for b in 0..ops.len() {
        let Op::Bias { j, .. } = &ops[b] else {
            continue;
        };
        let (j, sig) = (j.clone(), access[b].writes.first().copied());
        let Some(sig) = sig else { continue };
        let next = (b + 1..ops.len())
            .find(|&k| access[k].reads.contains(&sig) || access[k].writes.contains(&sig));
        let Some(e) = next else { continue };
        if !matches!(&ops[e], Op::Encode { j: je, bias, .. } if *je == j && bias.is_empty()) {
            continue;
        }
        let Op::Bias { bias, j: jb } = &mut ops[b] else {
            unreachable!()
        };
        let bias = std::mem::take(bias);
        *jb = j.start..j.start;
        if let Op::Encode { bias: folded, .. } = &mut ops[e] {
            *folded = bias;
        }
    }
}

/// Decoders solved ahead, by what they are for.
type Solved = std::collections::HashMap<SolveKey, Result<Array2<f64>, nef::SolveError>>;

/// Which decoders a prefetched solve is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SolveKey {
    /// A connection's (decoded from an ensemble).
    Conn(usize),
    /// A decoded-value probe's.
    Probe(usize),
}

/// The pre ensemble of connection `c` when the connection is decoded from its neurons (the
/// connections that need a decoder solve).
fn decoded_pre<'a>(
    net: &'a Network,
    ensembles: &'a [Option<EnsembleData>],
    c: usize,
) -> Option<(&'a crate::network::EnsembleSpec, &'a EnsembleData)> {
    let Endpoint::Value(i) = net.conns[c].pre else {
        return None;
    };
    match (&net.items[i].1, ensembles[i].as_ref()) {
        (ItemSpec::Ensemble(spec), Some(ens)) if spec.neuron_type != NeuronType::Direct => {
            Some((spec, ens))
        }
        _ => None,
    }
}

/// One decoder solve: an ensemble's activities at `eval_points` fitted to `targets`.
struct DecoderSolve<'a> {
    spec: &'a crate::network::EnsembleSpec,
    ens: &'a EnsembleData,
    eval_points: Cow<'a, Array2<f64>>,
    targets: Cow<'a, Array2<f64>>,
    reg: f64,
}

impl<'a> DecoderSolve<'a> {
    /// Connection `c`'s (its eval points, or the pre ensemble's; its function's targets,
    /// evaluated here, on the calling thread).
    fn conn(
        net: &'a Network,
        spec: &'a crate::network::EnsembleSpec,
        ens: &'a EnsembleData,
        c: usize,
    ) -> DecoderSolve<'a> {
        let conn = &net.conns[c];
        let eval_points = match &conn.eval_points {
            Some(ep) => Cow::Owned(ep * spec.radius),
            None => Cow::Borrowed(&ens.eval_points),
        };
        let targets = Cow::Owned(targets(
            &eval_points,
            &conn.pre_slice,
            conn.function.as_ref(),
        ));
        DecoderSolve {
            spec,
            ens,
            eval_points,
            targets,
            reg: conn.solver.reg,
        }
    }

    /// A decoded-value probe's: the identity on the ensemble's own eval points, reg 0.1.
    fn probe(spec: &'a crate::network::EnsembleSpec, ens: &'a EnsembleData) -> DecoderSolve<'a> {
        DecoderSolve {
            spec,
            ens,
            eval_points: Cow::Borrowed(&ens.eval_points),
            targets: Cow::Borrowed(&ens.eval_points),
            reg: 0.1,
        }
    }

    /// Big: points × neurons ≥ 10⁶ (a few hundred ms, worth a thread of its own).
    fn big(points: usize, ens: &EnsembleData) -> bool {
        points * ens.encoders.nrows() >= 1_000_000
    }

    fn solve(&self) -> Result<Array2<f64>, nef::SolveError> {
        nef::solve_decoders(
            &self.spec.neuron_type,
            &self.eval_points,
            &self.ens.encoders,
            &self.ens.gain,
            &self.ens.bias,
            self.spec.radius,
            &self.targets,
            self.reg,
        )
    }
}

/// Solves the big decoder problems of the network at the same time, one thread each and the
/// machine's threads divided between them, when there are at least two and more than one CPU;
/// the rest are solved where they are used. Same numbers either way: every solve is the same
/// computation whatever its thread count.
fn prefetch_solves(
    net: &Network,
    structure: &Structure<usize>,
    plan: &Plan,
    ensembles: &[Option<EnsembleData>],
) -> Solved {
    let mut jobs: Vec<(SolveKey, DecoderSolve<'_>)> = Vec::new();
    for c in 0..net.conns.len() {
        if let Some((spec, ens)) = decoded_pre(net, ensembles, c) {
            // (Decided before the targets are evaluated: `DecoderSolve::conn` computes them.)
            let points = net.conns[c]
                .eval_points
                .as_ref()
                .map_or(ens.eval_points.nrows(), |ep| ep.nrows());
            if DecoderSolve::big(points, ens) {
                jobs.push((SolveKey::Conn(c), DecoderSolve::conn(net, spec, ens, c)));
            }
        }
    }
    for desc in plan.ops.iter() {
        let (OpKind::Weights, Owner::Probe(p)) = (desc.kind, desc.owner) else {
            continue;
        };
        let ProbeTarget::Item(i) = structure.probes[p].target else {
            continue;
        };
        if let (ItemSpec::Ensemble(spec), Some(ens)) = (&net.items[i].1, ensembles[i].as_ref()) {
            if DecoderSolve::big(ens.eval_points.nrows(), ens) {
                jobs.push((SolveKey::Probe(p), DecoderSolve::probe(spec, ens)));
            }
        }
    }
    let cpus = crate::linalg::build_threads();
    if jobs.len() < 2 || cpus < 2 {
        return Default::default();
    }
    let side_by_side = jobs.len().min(cpus);
    let each = (cpus / side_by_side).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Solved> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..side_by_side)
            .map(|_| {
                scope.spawn(|| {
                    crate::linalg::with_build_threads(each, || {
                        let mut out = Solved::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some((key, job)) = jobs.get(k) else {
                                break out;
                            };
                            out.insert(*key, job.solve());
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("decoder solve thread"))
            .collect()
    });
    results.into_iter().flatten().collect()
}

fn invalid(what: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError::Invalid {
        what: what.into(),
        message: message.into(),
    }
}

/// Sizes of an item: (value size in, value size out, neurons).
fn item_sizes(spec: &ItemSpec) -> (usize, usize, Option<usize>) {
    match spec {
        ItemSpec::Ensemble(e) => {
            let n = if e.neuron_type == NeuronType::Direct {
                None
            } else {
                Some(e.n_neurons)
            };
            (e.dimensions, e.dimensions, n)
        }
        ItemSpec::Node {
            size_in, size_out, ..
        } => (*size_in, *size_out, None),
    }
}

/// The structure (what the plan is computed from) of a network, with every size checked.
pub fn structure(net: &Network) -> Result<Structure<usize>, BuildError> {
    let mut items = Vec::new();
    for (name, spec) in &net.items {
        let kind = match spec {
            ItemSpec::Ensemble(e) => {
                if e.n_neurons == 0 || e.dimensions == 0 {
                    return Err(invalid(
                        format!("ensemble `{name}`"),
                        "needs at least one neuron and one dimension",
                    ));
                }
                ItemKind::Ensemble {
                    n: e.n_neurons,
                    d: e.dimensions,
                    neuron: neuron_class(&e.neuron_type),
                }
            }
            ItemSpec::Node {
                size_in,
                size_out,
                output,
            } => {
                let kind = match output {
                    NodeOutput::Constant(v) => {
                        if v.len() != *size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                format!(
                                    "constant has {} values but size_out is {size_out}",
                                    v.len()
                                ),
                            ));
                        }
                        NodeKind::Constant
                    }
                    NodeOutput::Time(_) => NodeKind::Time,
                    NodeOutput::TimeInput(_) => NodeKind::TimeInput,
                    NodeOutput::Passthrough => {
                        if size_in != size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                "a passthrough node has size_in == size_out",
                            ));
                        }
                        NodeKind::Passthrough
                    }
                    NodeOutput::Stage { state, method, .. } => NodeKind::Stage {
                        state: Cow::Owned(
                            net.states.get(*state).map(|s| s.0.clone()).ok_or_else(|| {
                                invalid(format!("node `{name}`"), "unknown state")
                            })?,
                        ),
                        method: method.clone(),
                    },
                    NodeOutput::Process(p) => {
                        if p.size_out() != *size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                format!(
                                    "process gives {} values but size_out is {size_out}",
                                    p.size_out()
                                ),
                            ));
                        }
                        NodeKind::Process
                    }
                };
                ItemKind::Node {
                    size_in: *size_in,
                    size_out: *size_out,
                    kind,
                }
            }
        };
        items.push(Item {
            name: Cow::Owned(name.clone()),
            kind,
        });
    }
    let mut conns: Vec<Conn<usize>> = Vec::new();
    for (c, spec) in net.conns.iter().enumerate() {
        let label = conn_label(net, c);
        let size_err = |message: String| BuildError::Size {
            conn: label.clone(),
            message,
        };
        let check_slice = |s: &Option<Range<usize>>, size: usize, side: &str| {
            if let Some(r) = s {
                if r.start >= r.end || r.end > size {
                    return Err(size_err(format!(
                        "{side} slice {}..{} is empty or past the end of size {size}",
                        r.start, r.end
                    )));
                }
            }
            Ok(())
        };
        let item_of = |e: &Endpoint| -> Result<Option<usize>, BuildError> {
            match e {
                Endpoint::Value(i) | Endpoint::Neurons(i) => {
                    if *i >= net.items.len() {
                        Err(invalid(format!("connection `{label}`"), "unknown item"))
                    } else {
                        Ok(Some(*i))
                    }
                }
                Endpoint::Learning(lc) => {
                    if *lc >= net.conns.len() || net.conns[*lc].learning.is_none() {
                        Err(invalid(
                            format!("connection `{label}`"),
                            "`.learning` of a connection without a learning rule",
                        ))
                    } else {
                        Ok(None)
                    }
                }
            }
        };
        let pre_item = item_of(&spec.pre)?.ok_or_else(|| {
            invalid(
                format!("connection `{label}`"),
                "cannot start at `.learning`",
            )
        })?;
        let (_, pre_out, pre_n) = item_sizes(&net.items[pre_item].1);
        let pre_is_ens = matches!(net.items[pre_item].1, ItemSpec::Ensemble(_));
        let (pre, pre_full, decoded_from_neurons) = match spec.pre {
            Endpoint::Neurons(_) => {
                let n = pre_n.ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`.neurons` of something without neurons",
                    )
                })?;
                (
                    End::Item {
                        item: pre_item,
                        port: Port::Neurons,
                    },
                    n,
                    false,
                )
            }
            _ => (
                End::Item {
                    item: pre_item,
                    port: Port::Value,
                },
                pre_out,
                pre_is_ens && pre_n.is_some(),
            ),
        };
        check_slice(&spec.pre_slice, pre_full, "source")?;
        let sliced_pre = slice_len(&spec.pre_slice, pre_full);
        // The vector the transform multiplies.
        let x_size = match &spec.function {
            Some(f) => f.size_out,
            None => sliced_pre,
        };
        if spec.function.is_some() && matches!(spec.pre, Endpoint::Neurons(_)) {
            return Err(invalid(
                format!("connection `{label}`"),
                "a function needs a decoded source, not `.neurons`",
            ));
        }
        let post_item = item_of(&spec.post)?;
        let weight_solver = spec.solver.weights;
        let (post, post_full) = match spec.post {
            Endpoint::Value(i) => (
                End::Item {
                    item: i,
                    port: Port::Value,
                },
                item_sizes(&net.items[i].1).0,
            ),
            Endpoint::Neurons(i) => {
                let n = item_sizes(&net.items[i].1).2.ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`.neurons` of something without neurons",
                    )
                })?;
                (
                    End::Item {
                        item: i,
                        port: Port::Neurons,
                    },
                    n,
                )
            }
            Endpoint::Learning(lc) => {
                let lspec = &net.conns[lc];
                (End::Learning { conn: lc }, error_size(net, lspec))
            }
        };
        check_slice(&spec.post_slice, post_full, "target")?;
        let mut out_size = slice_len(&spec.post_slice, post_full);
        let tkind = match &spec.transform {
            Transform::Scalar(_) => {
                if x_size != out_size {
                    return Err(size_err(format!(
                        "source gives {x_size} values but the target takes {out_size} (scalar transform)"
                    )));
                }
                TransformKind::Scalar
            }
            Transform::Diagonal(v) => {
                if v.len() != x_size || x_size != out_size {
                    return Err(size_err(format!(
                        "diagonal transform of {} values between a source of {x_size} and a target of {out_size}",
                        v.len()
                    )));
                }
                TransformKind::Diagonal
            }
            Transform::Matrix(m) => {
                if m.ncols() != x_size || m.nrows() != out_size {
                    return Err(size_err(format!(
                        "transform is {}x{} but source gives {x_size} and target takes {out_size}",
                        m.nrows(),
                        m.ncols()
                    )));
                }
                TransformKind::Matrix
            }
        };
        if weight_solver {
            let post_i = post_item
                .filter(|&i| item_sizes(&net.items[i].1).2.is_some())
                .filter(|_| matches!(spec.post, Endpoint::Value(_)) && decoded_from_neurons)
                .ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`weights = true` needs an ensemble source and an ensemble target",
                    )
                })?;
            out_size = item_sizes(&net.items[post_i].1).2.unwrap_or(0);
        }
        let rule = match &spec.learning {
            None => None,
            Some(LearningRule::Pes { .. }) => {
                if !pre_is_ens || pre_n.is_none() {
                    return Err(invalid(
                        format!("connection `{label}`"),
                        "PES needs a source with neurons",
                    ));
                }
                Some(RuleKind::Pes)
            }
            Some(LearningRule::Mpes { .. }) => {
                if !matches!(spec.pre, Endpoint::Neurons(_))
                    || !matches!(spec.post, Endpoint::Neurons(_))
                {
                    return Err(invalid(
                        format!("connection `{label}`"),
                        "mPES needs a `pre.neurons -> post.neurons` connection",
                    ));
                }
                Some(RuleKind::Mpes)
            }
        };
        let pre_size = if decoded_from_neurons {
            pre_n.unwrap_or(0)
        } else {
            sliced_pre
        };
        conns.push(Conn {
            label: Cow::Owned(label.clone()),
            pre,
            pre_slice: spec.pre_slice.as_ref().map(|r| (r.start, r.end)),
            pre_size,
            func_size: spec.function.as_ref().map(|f| f.size_out),
            out_size,
            post,
            post_slice: spec.post_slice.as_ref().map(|r| (r.start, r.end)),
            synapse: spec.synapse.is_some(),
            rule,
            weight_solver,
            error_size: spec.learning.as_ref().map(|_| error_size(net, spec)),
            transform: tkind,
        });
    }
    let mut probes = Vec::new();
    for (name, p) in &net.probes {
        let target = match p.target {
            ProbeOf::Item(i) => {
                let spec = net
                    .items
                    .get(i)
                    .ok_or_else(|| invalid(format!("probe `{name}`"), "unknown item"))?;
                let ok = match (&spec.1, p.attr) {
                    (_, ProbeAttr::Value) => true,
                    (ItemSpec::Ensemble(e), ProbeAttr::Spikes | ProbeAttr::Input) => {
                        e.neuron_type != NeuronType::Direct
                    }
                    (ItemSpec::Ensemble(e), ProbeAttr::Voltage) => matches!(
                        e.neuron_type,
                        NeuronType::Lif { .. } | NeuronType::SpikingRectifiedLinear { .. }
                    ),
                    (ItemSpec::Ensemble(e), ProbeAttr::Refractory) => {
                        matches!(e.neuron_type, NeuronType::Lif { .. })
                    }
                    _ => false,
                };
                if !ok {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        format!("cannot record {:?} of `{}`", p.attr, spec.0),
                    ));
                }
                ProbeTarget::Item(i)
            }
            ProbeOf::Conn(c) => {
                let spec = net
                    .conns
                    .get(c)
                    .ok_or_else(|| invalid(format!("probe `{name}`"), "unknown connection"))?;
                let ok = match p.attr {
                    ProbeAttr::Weights | ProbeAttr::Output => true,
                    ProbeAttr::Error => spec.learning.is_some(),
                    ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg => {
                        matches!(spec.learning, Some(LearningRule::Mpes { .. }))
                    }
                    _ => false,
                };
                let memristive = matches!(spec.learning, Some(LearningRule::Mpes { .. }))
                    && matches!(
                        p.attr,
                        ProbeAttr::Weights | ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg
                    );
                if memristive && p.synapse.is_some() {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        "device weights and resistances of a memristive connection are recorded \
                         unfiltered: remove the probe's synapse",
                    ));
                }
                if !ok {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        format!("cannot record {:?} of a connection", p.attr),
                    ));
                }
                ProbeTarget::Conn(c)
            }
        };
        probes.push(plan::Probe {
            name: Cow::Owned(name.clone()),
            target,
            attr: p.attr,
            synapse: p.synapse.is_some(),
        });
    }
    Ok(Structure {
        name: Cow::Owned(net.name.clone()),
        items,
        conns,
        probes,
    })
}

/// The error size of a learned connection: the post ensemble's dimensions for connections into
/// neurons, else the connection's output size.
fn error_size(net: &Network, spec: &ConnectionSpec) -> usize {
    match spec.post {
        Endpoint::Neurons(i) => item_sizes(&net.items[i].1).0,
        Endpoint::Value(i) if spec.solver.weights => item_sizes(&net.items[i].1).0,
        Endpoint::Value(i) => slice_len(&spec.post_slice, item_sizes(&net.items[i].1).0),
        Endpoint::Learning(_) => 0,
    }
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

fn seed_for(net_seed: u64, stream: u64) -> u64 {
    Rng::derive(net_seed, stream).next_u64()
}

fn build_ensemble(
    net: &Network,
    i: usize,
    name: &str,
    e: &crate::network::EnsembleSpec,
) -> Result<EnsembleData, BuildError> {
    let seed = e.seed.unwrap_or_else(|| seed_for(net.seed, i as u64));
    let mut rng = Rng::new(seed);
    let (n, d) = (e.n_neurons, e.dimensions);
    let n_eval = e
        .n_eval_points
        .unwrap_or_else(|| nef::default_n_eval_points(n, d));
    let eval_points = match &e.eval_points {
        crate::dists::VecDist::Fixed(a) => a.clone(),
        dist => dist.sample(n_eval, d, &mut rng),
    } * e.radius;
    if eval_points.ncols() != d {
        return Err(invalid(
            format!("ensemble `{name}`"),
            "eval_points have the wrong dimension",
        ));
    }
    if e.neuron_type == NeuronType::Direct {
        return Ok(EnsembleData {
            encoders: Array2::eye(d),
            gain: vec![1.0; d],
            bias: vec![0.0; d],
            scaled_encoders: Array2::eye(d),
            eval_points,
            initial_voltage: vec![],
        });
    }
    let mut encoders = e.encoders.sample(n, d, &mut rng);
    if encoders.nrows() != n || encoders.ncols() != d {
        return Err(invalid(
            format!("ensemble `{name}`"),
            format!("encoders must be {n}x{d}"),
        ));
    }
    if e.normalize_encoders {
        for mut row in encoders.rows_mut() {
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row /= norm;
            }
        }
    }
    let (gain, bias) = match (&e.gain, &e.bias) {
        (Some(g), Some(b)) => {
            // Nengo still draws max_rates and intercepts (for information) before using these.
            let _ = e.max_rates.sample(n, &mut rng);
            let _ = e.intercepts.sample(n, &mut rng);
            if g.len() != n || b.len() != n {
                return Err(invalid(
                    format!("ensemble `{name}`"),
                    format!("gain and bias need {n} values"),
                ));
            }
            (g.clone(), b.clone())
        }
        _ => {
            let mr = e.max_rates.sample(n, &mut rng);
            let ic = e.intercepts.sample(n, &mut rng);
            e.neuron_type
                .gain_bias(&mr, &ic)
                .map_err(|err| BuildError::Neurons {
                    ensemble: name.to_string(),
                    message: err.to_string(),
                })?
        }
    };
    let mut scaled_encoders = encoders.clone();
    for (r, mut row) in scaled_encoders.rows_mut().into_iter().enumerate() {
        row *= gain[r] / e.radius;
    }
    let mut vrng = Rng::new(seed.wrapping_add(1));
    let initial_voltage = match &e.initial_voltage {
        Some(dist) => dist.sample(n, &mut vrng),
        None => crate::dists::Dist::Uniform {
            low: 0.0,
            high: 1.0,
        }
        .sample(n, &mut vrng),
    };
    Ok(EnsembleData {
        encoders,
        gain,
        bias,
        scaled_encoders,
        eval_points,
        initial_voltage,
    })
}

/// Apply a function (or identity) to each evaluation point's (sliced) coordinates.
fn targets(
    ep: &Array2<f64>,
    slice: &Option<Range<usize>>,
    f: Option<&crate::network::Function>,
) -> Array2<f64> {
    let cols = slice.clone().unwrap_or(0..ep.ncols());
    let k = f.map(|f| f.size_out).unwrap_or(cols.len());
    let mut out = Array2::zeros((ep.nrows(), k));
    let mut x = vec![0.0; cols.len()];
    let mut y = vec![0.0; k];
    for (r, row) in ep.rows().into_iter().enumerate() {
        for (xi, c) in x.iter_mut().zip(cols.clone()) {
            *xi = row[c];
        }
        match f {
            Some(f) => (f.f)(&x, &mut y),
            None => y.copy_from_slice(&x),
        }
        for (o, v) in out.row_mut(r).iter_mut().zip(&y) {
            *o = *v;
        }
    }
    out
}

/// `transform · decodersᵀ` as a dense `out × n` matrix.
fn fold_transform(t: &Transform, dec: &Array2<f64>) -> Array2<f64> {
    let dt = dec.t();
    match t {
        Transform::Scalar(s) => dt.to_owned() * *s,
        Transform::Diagonal(v) => {
            let mut m = dt.to_owned();
            for (r, mut row) in m.rows_mut().into_iter().enumerate() {
                row *= v[r];
            }
            m
        }
        Transform::Matrix(m) => m.dot(&dt),
    }
}

fn transform_dense(t: &Transform, rows: usize, cols: usize) -> Array2<f64> {
    match t {
        Transform::Scalar(s) => Array2::eye(rows) * *s,
        Transform::Diagonal(v) => Array2::from_diag(&Array1::from(v.clone())),
        Transform::Matrix(m) => {
            debug_assert_eq!(m.dim(), (rows, cols));
            m.clone()
        }
    }
}

impl Simulator {
    /// Build a network with time step `dt` (seconds): check it, compute its plan, do the NEF
    /// work and lay out the signal store.
    pub fn new(mut net: Network, dt: f64) -> Result<Simulator, BuildError> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(invalid(
                "simulator",
                format!("dt must be positive, got {dt}"),
            ));
        }
        let structure = structure(&net)?;
        let plan = plan::plan(&structure).map_err(|e| BuildError::Cycle(e.to_string()))?;
        if let Some(static_plan) = &net.static_plan {
            same_plan(static_plan, &plan).map_err(BuildError::PlanMismatch)?;
        }
        let conn_texts = net
            .conns
            .iter()
            .map(crate::export::files::conn_text)
            .collect();
        let layout = Layout::new(&plan);
        let mut store = vec![0.0; layout.len()];

        // NEF build of every ensemble.
        let mut ensembles = Vec::with_capacity(net.items.len());
        for (i, (name, spec)) in net.items.iter().enumerate() {
            ensembles.push(match spec {
                ItemSpec::Ensemble(e) => Some(build_ensemble(&net, i, name, e)?),
                ItemSpec::Node { .. } => None,
            });
        }

        // Find each op's plan entry by owner and kind.
        let find = |kind: OpKind, owner: Owner| -> Option<&plan::OpDesc<usize>> {
            plan.ops.iter().find(|o| o.kind == kind && o.owner == owner)
        };
        let sig_of = |name: &str| plan.signals.iter().position(|s| s.name == name);

        // Whether a signal is used by one op only.
        let private_sig = |sig: usize| {
            plan.ops
                .iter()
                .flat_map(|o| [&o.sets, &o.incs, &o.reads, &o.updates])
                .flat_map(|v| v.iter())
                .filter(|s| s.signal == sig)
                .count()
                == 1
        };

        // A connection's weight matrix that only its weights op reads (not learned, not probed)
        // is kept once, column-major, outside the store, shared by that op and `ConnData` (a
        // spike then reads one contiguous column); it never changes, so the store and `reset`
        // need no copy of it. Only such a matrix may be stored as f32.
        let weights_op = |c: usize| {
            find(OpKind::Weights, Owner::Conn(c))
                .or_else(|| find(OpKind::MemristorFilter, Owner::Conn(c)))
                .expect("every connection has a weights op")
        };
        let kept_apart = |c: usize| {
            let wop = weights_op(c);
            let wsig = wop.reads[1].signal;
            wop.kind == OpKind::Weights
                && matches!(plan.signals[wsig].shape, Shape::Mat(r, _) if r > 1)
                && private_sig(wsig)
        };
        // (Refused before any decoder solve is spent on it.)
        for (c, spec) in net.conns.iter().enumerate() {
            if spec.weight_storage == WeightStorage::F32 && !kept_apart(c) {
                return Err(BuildError::Invalid {
                    what: format!("connection `{}`", structure.conns[c].label),
                    message: "f32 weight storage is for a weight matrix (more than one row) that \
                              no learning rule or probe uses; this connection's weights are not \
                              one"
                    .into(),
                });
            }
        }

        // Big decoder solves (each a few hundred ms) are independent of each other: solved
        // side by side before the connections and probes that use them are built.
        let mut solved = prefetch_solves(&net, &structure, &plan, &ensembles);

        // Connection weights.
        let mut conn_data = Vec::with_capacity(net.conns.len());
        let mut memristors: Vec<MemristorArray<Device>> = Vec::new();
        let mut memristor_of = vec![usize::MAX; net.conns.len()];
        for (c, spec) in net.conns.iter().enumerate() {
            let sc = &structure.conns[c];
            let wop = weights_op(c);
            let wsig = wop.reads[1].signal;
            let shape = plan.signals[wsig].shape;
            let mut decoders = None;
            // The weights, row-major, or column-major when `w_col_major` (a product that came
            // out in that layout is kept so: no 32 MB copy for large_weights).
            let mut w_col_major = false;
            let w: Vec<f64> = if let Some((pspec, ens)) = decoded_pre(&net, &ensembles, c) {
                let d = match solved.remove(&SolveKey::Conn(c)) {
                    Some(d) => d,
                    None => DecoderSolve::conn(&net, pspec, ens, c).solve(),
                }
                .map_err(|e| BuildError::Solve {
                    conn: sc.label.to_string(),
                    message: e.to_string(),
                })?;
                let mut w = fold_transform(&spec.transform, &d);
                if spec.solver.weights {
                    let Endpoint::Value(post) = spec.post else {
                        unreachable!("checked")
                    };
                    let post_ens = ensembles[post].as_ref().expect("post ensemble");
                    let ItemSpec::Ensemble(qspec) = &net.items[post].1 else {
                        unreachable!()
                    };
                    let cols = spec.post_slice.clone().unwrap_or(0..qspec.dimensions);
                    let enc = post_ens
                        .scaled_encoders
                        .slice(ndarray::s![.., cols])
                        .to_owned();
                    w = enc.dot(&w);
                }
                decoders = Some(d);
                // Either layout is taken as it is (no second copy of a big matrix).
                let fortran = !w.is_standard_layout() && w.t().is_standard_layout();
                if w.is_standard_layout() || fortran {
                    // Contiguous: the values are `n` consecutive entries of the buffer, in
                    // memory order, from the first element's offset.
                    let n = w.len();
                    let (mut v, off) = w.into_raw_vec_and_offset();
                    v.drain(..off.unwrap_or(0));
                    v.truncate(n);
                    w_col_major = fortran;
                    v
                } else {
                    w.as_standard_layout().iter().copied().collect()
                }
            } else {
                let (rows, cols) = match shape {
                    Shape::Mat(r, c) => (r, c),
                    Shape::Vec(n) => (n, n),
                };
                match shape {
                    Shape::Mat(..) => {
                        if let Some(LearningRule::Mpes { .. }) = &spec.learning {
                            vec![0.0; rows * cols]
                        } else {
                            transform_dense(&spec.transform, rows, cols)
                                .iter()
                                .copied()
                                .collect()
                        }
                    }
                    Shape::Vec(_) => match &spec.transform {
                        Transform::Scalar(s) => vec![*s],
                        Transform::Diagonal(v) => v.clone(),
                        Transform::Matrix(_) => {
                            unreachable!("matrix transforms have a matrix shape")
                        }
                    },
                }
            };
            if let Some(LearningRule::Mpes {
                gain,
                model,
                variability,
                seed,
                ..
            }) = &spec.learning
            {
                let (rows, cols) = match shape {
                    Shape::Mat(r, c) => (r, c),
                    Shape::Vec(_) => unreachable!("mPES weights are a matrix"),
                };
                let seed = seed.unwrap_or_else(|| seed_for(net.seed, 1_000_000 + c as u64));
                let mut rng = Rng::new(seed);
                let array = MemristorArray::new(*model, rows, cols, *gain, *variability, &mut rng);
                memristor_of[c] = memristors.len();
                memristors.push(array);
            }
            let (rows, cols) = match shape {
                Shape::Mat(r, c) => (r, c),
                Shape::Vec(n) => (n, 1),
            };
            let weights = if kept_apart(c) {
                let mut w = w;
                if !w_col_major {
                    crate::ops::transpose_in_place(&mut w, rows, cols);
                }
                Weights {
                    data: WeightValues::stored(w, spec.weight_storage),
                    rows,
                    cols,
                    col_major: true,
                }
            } else {
                let mut w = w;
                if w_col_major {
                    // Column-major rows × cols is row-major cols × rows.
                    crate::ops::transpose_in_place(&mut w, cols, rows);
                }
                store[layout.signal(wsig)].copy_from_slice(&w);
                Weights::row_major(w, rows, cols)
            };
            conn_data.push(ConnData {
                decoders,
                weights,
                weights_shape: match shape {
                    Shape::Vec(n) => vec![n],
                    Shape::Mat(r, c) => vec![r, c],
                },
            });
        }

        // Constant node outputs and initial voltages live in the store from the start.
        for (i, (name, spec)) in net.items.iter().enumerate() {
            if let ItemSpec::Node {
                output: NodeOutput::Constant(v),
                ..
            } = spec
            {
                let s = sig_of(&format!("{name}.out")).expect("constant node signal");
                store[layout.signal(s)].copy_from_slice(v);
            }
            if let Some(ens) = &ensembles[i] {
                if let Some(s) = sig_of(&format!("{name}.voltage")) {
                    store[layout.signal(s)].copy_from_slice(&ens.initial_voltage);
                }
            }
        }

        // Bind every plan op to an executable op, in plan order.
        let mut ops = Vec::with_capacity(plan.ops.len());
        let mut op_names = Vec::with_capacity(plan.ops.len());
        let mut access = Vec::with_capacity(plan.ops.len());
        let mut items: Vec<Option<ItemSpec>> = net.items.drain(..).map(|(_, s)| Some(s)).collect();
        let mut node_outputs: Vec<Option<NodeOutput>> = items
            .iter_mut()
            .map(|s| match s.take() {
                Some(ItemSpec::Node { output, .. }) => Some(output),
                Some(other) => {
                    *s = Some(other);
                    None
                }
                None => None,
            })
            .collect();
        let mut functions: Vec<Option<crate::network::Function>> =
            net.conns.iter_mut().map(|c| c.function.take()).collect();
        let process_seed = seed_for(net.seed.wrapping_add(1), 0);
        let mut ext_signals: Vec<(usize, WeightValues)> = Vec::new();
        for desc in plan.ops.iter() {
            let r = |k: usize, v: &[plan::SigRef<usize>]| layout.range(&v[k]);
            let op = match (desc.kind, desc.owner) {
                (OpKind::Time, _) => Some(Op::Time {
                    t: layout.range(&desc.sets[0]).start,
                }),
                (OpKind::Reset, _) => Some(Op::Reset {
                    dst: r(0, &desc.sets),
                }),
                (OpKind::Bias, Owner::Item(i)) => Some(Op::Bias {
                    j: r(0, &desc.sets),
                    bias: ensembles[i].as_ref().expect("ensemble").bias.clone(),
                }),
                (OpKind::Encode, Owner::Item(i)) => Some(Op::Encode {
                    j: r(0, &desc.incs),
                    x: r(0, &desc.reads),
                    enc: ensembles[i]
                        .as_ref()
                        .expect("ensemble")
                        .scaled_encoders
                        .iter()
                        .copied()
                        .collect(),
                    bias: Vec::new(),
                }),
                (OpKind::Neurons, Owner::Item(i)) => {
                    let Some(ItemSpec::Ensemble(e)) = &items[i] else {
                        unreachable!()
                    };
                    let empty = 0..0;
                    Some(Op::Neurons {
                        neuron: crate::neurons::NeuronStepper::new(&e.neuron_type, dt),
                        j: r(0, &desc.reads),
                        out: r(0, &desc.sets),
                        voltage: desc
                            .sets
                            .get(1)
                            .map(|s| layout.range(s))
                            .unwrap_or(empty.clone()),
                        refractory: desc.sets.get(2).map(|s| layout.range(s)).unwrap_or(empty),
                    })
                }
                (OpKind::Node, Owner::Item(i)) => {
                    let out = r(0, &desc.sets);
                    let x = desc.reads.get(1).map(|s| layout.range(s)).unwrap_or(0..0);
                    match node_outputs[i].take().expect("node output") {
                        NodeOutput::Time(f) => Some(Op::NodeTime { out, f }),
                        NodeOutput::TimeInput(f) => Some(Op::NodeTimeInput { x, out, f }),
                        NodeOutput::Stage { state, call, .. } => Some(Op::NodeStage {
                            state,
                            x,
                            out,
                            call,
                        }),
                        NodeOutput::Process(mut p) => {
                            p.set_dt(dt);
                            p.reset(process_seed.wrapping_add(i as u64));
                            Some(Op::NodeProcess { out, process: p })
                        }
                        NodeOutput::Constant(_) | NodeOutput::Passthrough => None,
                    }
                }
                (OpKind::Function, Owner::Conn(c)) => Some(Op::Function {
                    x: r(0, &desc.reads),
                    out: r(0, &desc.sets),
                    f: functions[c].take().expect("function").f,
                }),
                (OpKind::Weights, owner) => {
                    let x = r(0, &desc.reads);
                    let w = r(1, &desc.reads);
                    let out = r(0, &desc.sets);
                    let shape = plan.signals[desc.reads[1].signal].shape;
                    let wsig = desc.reads[1].signal;
                    if let Owner::Conn(c) = owner {
                        let cw = &conn_data[c].weights;
                        if cw.col_major {
                            ext_signals.push((wsig, cw.data.clone()));
                            let cols = x.len();
                            let op = Op::WeightsCols {
                                x,
                                w: cw.data.clone(),
                                out,
                                rows: cw.rows,
                                nz: Vec::with_capacity(cols),
                            };
                            access.push(op_access(desc, &op));
                            ops.push(op);
                            op_names.push(format!("{} {}", desc.kind.name(), desc.label));
                            continue;
                        }
                    }
                    // A matrix no other op touches (not learned, not probed) is stored
                    // column-major, so a spike reads one contiguous column (same sums).
                    let private = private_sig(wsig);
                    let kind = match shape {
                        Shape::Mat(rows, cols) if rows > 1 && private => {
                            WeightsKind::DenseColMajor { rows, cols }
                        }
                        Shape::Mat(rows, cols) => WeightsKind::Dense { rows, cols },
                        Shape::Vec(1) if out.len() != 1 || x.len() == 1 => WeightsKind::Scalar,
                        Shape::Vec(_) => WeightsKind::Diagonal,
                    };
                    if let Owner::Probe(p) = owner {
                        // A decoded-value probe: its own decoders (identity function).
                        let ProbeTarget::Item(i) = structure.probes[p].target else {
                            unreachable!()
                        };
                        let Some(ItemSpec::Ensemble(pspec)) = &items[i] else {
                            unreachable!()
                        };
                        let ens = ensembles[i].as_ref().expect("ensemble");
                        let d = match solved.remove(&SolveKey::Probe(p)) {
                            Some(d) => d,
                            None => DecoderSolve::probe(pspec, ens).solve(),
                        }
                        .map_err(|e| BuildError::Solve {
                            conn: format!("probe {}", structure.probes[p].name),
                            message: e.to_string(),
                        })?;
                        let dt_ = d.t();
                        store[w.clone()].copy_from_slice(&dt_.iter().copied().collect::<Vec<_>>());
                    }
                    if let WeightsKind::DenseColMajor { rows, cols } = kind {
                        crate::ops::transpose_in_place(&mut store[w.clone()], rows, cols);
                    }
                    let cols = x.len();
                    Some(Op::Weights {
                        x,
                        w,
                        out,
                        kind,
                        nz: Vec::with_capacity(cols),
                    })
                }
                (OpKind::MemristorFilter, Owner::Conn(c)) => Some(Op::MemristorFilter {
                    array: memristor_of[c],
                    x: r(0, &desc.reads),
                    out: r(0, &desc.sets),
                }),
                (OpKind::Synapse, Owner::Conn(c)) => {
                    let syn = net.conns[c].synapse.clone().expect("synapse");
                    Some(filter_op(&syn, dt, r(0, &desc.reads), r(0, &desc.updates)))
                }
                (OpKind::ProbeSynapse, Owner::Probe(p)) => {
                    let syn = net.probes[p].1.synapse.clone().expect("synapse");
                    Some(filter_op(&syn, dt, r(0, &desc.reads), r(0, &desc.updates)))
                }
                (OpKind::PreFilter, Owner::Conn(c)) => {
                    let syn = match &net.conns[c].learning {
                        Some(LearningRule::Pes { pre_synapse, .. })
                        | Some(LearningRule::Mpes { pre_synapse, .. }) => pre_synapse.clone(),
                        None => unreachable!("rule"),
                    };
                    match syn {
                        Some(s) => Some(filter_op(&s, dt, r(0, &desc.reads), r(0, &desc.sets))),
                        None => Some(Op::Reset { dst: 0..0 }).and(Some(Op::Inc {
                            src: r(0, &desc.reads),
                            dst: r(0, &desc.sets),
                        })),
                    }
                }
                (OpKind::Inc, _) => Some(Op::Inc {
                    src: r(0, &desc.reads),
                    dst: r(0, &desc.incs),
                }),
                (OpKind::GainInc, Owner::Conn(c)) => {
                    let Endpoint::Neurons(post) = net.conns[c].post else {
                        unreachable!("gain-inc targets neurons")
                    };
                    let gains = &ensembles[post].as_ref().expect("ensemble").gain;
                    let range = net.conns[c].post_slice.clone().unwrap_or(0..gains.len());
                    Some(Op::GainInc {
                        src: r(0, &desc.reads),
                        dst: r(0, &desc.incs),
                        gain: gains[range].to_vec(),
                    })
                }
                (OpKind::LocalError, Owner::Conn(c)) => {
                    let post = match net.conns[c].post {
                        Endpoint::Neurons(i) | Endpoint::Value(i) => i,
                        Endpoint::Learning(_) => unreachable!(),
                    };
                    let se = &ensembles[post].as_ref().expect("ensemble").scaled_encoders;
                    let rows = match (net.conns[c].post, &net.conns[c].post_slice) {
                        (Endpoint::Neurons(_), Some(s)) => s.clone(),
                        _ => 0..se.nrows(),
                    };
                    Some(Op::LocalError {
                        err: r(0, &desc.reads),
                        local: r(0, &desc.incs),
                        enc: se.slice(ndarray::s![rows, ..]).iter().copied().collect(),
                    })
                }
                (OpKind::Pes, Owner::Conn(c)) => {
                    let Some(LearningRule::Pes { learning_rate, .. }) = &net.conns[c].learning
                    else {
                        unreachable!()
                    };
                    let acts = r(0, &desc.reads);
                    let alpha = -learning_rate * dt / acts.len() as f64;
                    Some(Op::Pes {
                        acts,
                        err: r(1, &desc.reads),
                        delta: r(0, &desc.updates),
                        alpha,
                    })
                }
                (OpKind::ApplyDelta, _) => Some(Op::ApplyDelta {
                    delta: r(0, &desc.reads),
                    w: r(0, &desc.incs),
                }),
                (OpKind::MemristorPulse, Owner::Conn(c)) => Some(Op::MemristorPulse {
                    array: memristor_of[c],
                    acts: r(0, &desc.reads),
                    err: r(1, &desc.reads),
                }),
                (OpKind::Copy, _) => Some(Op::Copy {
                    src: r(0, &desc.reads),
                    dst: r(0, &desc.sets),
                }),
                (OpKind::Probe, _) => None,
                (kind, owner) => unreachable!("op {kind:?} of {owner:?}"),
            };
            if let Some(op) = op {
                access.push(op_access(desc, &op));
                ops.push(op);
                op_names.push(format!("{} {}", desc.kind.name(), desc.label));
            }
        }

        fold_biases(&mut ops, &access);

        // Probes.
        let mut probes = Vec::with_capacity(structure.probes.len());
        for (p, sp) in structure.probes.iter().enumerate() {
            let spec = &net.probes[p].1;
            let pop = plan
                .ops
                .iter()
                .find(|o| o.kind == OpKind::Probe && o.owner == Owner::Probe(p))
                .expect("probe op");
            let sig = pop.reads[0].signal;
            let shape = match plan.signals[sig].shape {
                Shape::Vec(n) => vec![n],
                Shape::Mat(r, c) => vec![r, c],
            };
            let source = match (sp.target, sp.attr) {
                (ProbeTarget::Conn(c), ProbeAttr::Weights)
                    if memristor_of[c] != usize::MAX && !sp.synapse =>
                {
                    Source::MemristorWeights(memristor_of[c])
                }
                (ProbeTarget::Conn(c), ProbeAttr::ResistancePos) if !sp.synapse => {
                    Source::MemristorPos(memristor_of[c])
                }
                (ProbeTarget::Conn(c), ProbeAttr::ResistanceNeg) if !sp.synapse => {
                    Source::MemristorNeg(memristor_of[c])
                }
                _ => Source::Store(layout.signal(sig)),
            };
            let period = spec.sample_every.map(|s| s / dt).unwrap_or(1.0);
            probes.push(ProbeData {
                name: sp.name.to_string(),
                source,
                shape,
                period,
                data: Vec::new(),
                steps: Vec::new(),
            });
        }

        // What `reset` restores: every range an op writes (merged), as built.
        let mut written: Vec<Range<usize>> = plan
            .ops
            .iter()
            .flat_map(|o| [&o.sets, &o.incs, &o.updates])
            .flat_map(|v| v.iter())
            .map(|s| layout.signal(s.signal))
            .filter(|r| !r.is_empty())
            .collect();
        written.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(written.len());
        for r in written {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        let initial_written = merged
            .into_iter()
            .map(|r| {
                let v = store[r.clone()].to_vec();
                (r, v)
            })
            .collect();

        // Every op's store ranges are fixed from here on: checked once, so that stepping can
        // split the store without checks (`Op::run_unchecked`).
        for (i, op) in ops.iter().enumerate() {
            op.check_ranges(store.len()).map_err(|m| {
                let name = op_names.get(i).cloned().unwrap_or_default();
                invalid(name, format!("internal: {m}"))
            })?;
        }
        let initial_memristors = memristors.clone();
        Ok(Simulator {
            dt,
            step: 0,
            initial_written,
            store,
            ext_signals,
            ops,
            op_names,
            access,
            pool: None,
            probes,
            states: std::mem::take(&mut net.states),
            memristors,
            initial_memristors,
            plan,
            structure,
            layout,
            ensembles,
            conns: conn_data,
            process_seed,
            progress: true,
            conn_texts,
            memristor_of,
        })
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

    /// Run for `seconds` of simulated time (`round(seconds / dt)` steps).
    pub fn run(&mut self, seconds: f64) -> Result<(), SimError> {
        let steps = (seconds / self.dt).round();
        self.run_steps(steps.max(0.0) as u64)
    }

    /// Run `n` steps. On error, the run stops at the failing step, which is not recorded; every
    /// sample recorded before it is kept.
    pub fn run_steps(&mut self, n: u64) -> Result<(), SimError> {
        for p in &mut self.probes {
            let k = p.samples_in(self.step, n);
            p.data.reserve(k * p.sample_len());
            p.steps.reserve(k);
        }
        let mut progress =
            (self.progress && n >= 20_000).then(|| Progress::new(n as usize, "netdsl run"));
        for k in 0..n {
            self.step_once()?;
            if let Some(p) = progress.as_mut() {
                p.tick(k as usize + 1);
            }
        }
        if let Some(p) = progress.as_mut() {
            p.finish();
        }
        Ok(())
    }

    /// One step: every op in plan order, then the probes.
    fn step_once(&mut self) -> Result<(), SimError> {
        let step = self.step + 1;
        let t = step as f64 * self.dt;
        let mut ctx = Ctx::new(t, self.dt, &mut self.states, &mut self.memristors);
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
    pub fn conn_texts(&self) -> &[crate::export::files::ConnText] {
        &self.conn_texts
    }

    /// The memristive device arrays, in connection order.
    pub fn memristors(&self) -> &[MemristorArray<Device>] {
        &self.memristors
    }
}

fn filter_op(syn: &Synapse, dt: f64, x: Range<usize>, out: Range<usize>) -> Op {
    let filter = syn.discretize(dt);
    let state = vec![0.0; filter.state_len() * out.len()];
    Op::Filter {
        x,
        out,
        filter,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{ConnectionSpec, EnsembleSpec, NodeOutput};

    fn stage_copy(_: &mut dyn Any, _t: f64, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
    }

    /// A chain of 300-neuron ensembles with a learned connection, a slice into a 2-D
    /// ensemble, a closure node and stage calls on two objects (one of them called twice).
    fn mixed() -> Network {
        use crate::network::{LearningRule, NodeOutput::Stage};
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
