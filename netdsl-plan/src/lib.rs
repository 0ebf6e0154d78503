//! The structure of a netdsl network, its lowering into ops over signals, and the dependency sort
//! that turns those ops into the static step plan.
//!
//! This crate is the single place where the plan rules live. The `network!` macro runs it at
//! compile time (sizes are then Rust expressions, carried as an opaque type `P`), and the runtime
//! runs the very same code on networks built by hand (sizes are `usize`). It has no dependencies.
//!
//! The rules are Nengo 4.1's (`nengo/utils/simulator.py`): for every signal, the op that *sets* it
//! runs before the ops that *increment* it, which run before the ops that *read* it, which run
//! before the op that *updates* it. Update ops (synapses, learning deltas, device pulses) commit a
//! value that the others see one step later, so they break cycles. Independent ops keep the order
//! in which they were created (declaration order).
#![warn(missing_docs)]

use std::borrow::Cow;
use std::fmt;

mod lower;
mod sort;
pub mod validate;

pub use lower::lower;
pub use sort::{sort, Cycle};
pub use validate::{validate, Declared, Violation};

/// Neuron model classes, as far as the plan cares (which state signals exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NeuronClass {
    /// Leaky integrate-and-fire: voltage and refractory time.
    Lif,
    /// Spiking rectified linear: voltage.
    SpikingRectifiedLinear,
    /// Rate neurons (LIFRate, RectifiedLinear): no state.
    Rate,
    /// Direct mode: no neurons; the ensemble's output is its input.
    Direct,
    /// Adaptive LIF: voltage, refractory time and adaptation.
    AdaptiveLif,
    /// Adaptive LIF rate: adaptation.
    AdaptiveLifRate,
    /// Izhikevich: voltage and recovery.
    Izhikevich,
    /// RegularSpiking, StochasticSpiking or PoissonSpiking around a base type: its rates
    /// (`rate_out`) and the state of both (given here in full).
    RatesToSpikes(NeuronStates),
}

/// The state signals of a neuron population besides its output (Nengo's state variables).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NeuronStates {
    /// Membrane voltage (`voltage`).
    pub voltage: bool,
    /// Refractory time (`refractory_time`).
    pub refractory: bool,
    /// Adaptation (`adaptation`).
    pub adaptation: bool,
    /// Recovery (`recovery`).
    pub recovery: bool,
    /// The base type's rates (`rate_out`).
    pub rate_out: bool,
}

impl NeuronClass {
    /// The state signals of a population of this class.
    pub fn states(self) -> NeuronStates {
        let s = NeuronStates::default();
        match self {
            NeuronClass::Lif => NeuronStates {
                voltage: true,
                refractory: true,
                ..s
            },
            NeuronClass::SpikingRectifiedLinear => NeuronStates { voltage: true, ..s },
            NeuronClass::Rate | NeuronClass::Direct => s,
            NeuronClass::AdaptiveLif => NeuronStates {
                voltage: true,
                refractory: true,
                adaptation: true,
                ..s
            },
            NeuronClass::AdaptiveLifRate => NeuronStates {
                adaptation: true,
                ..s
            },
            NeuronClass::Izhikevich => NeuronStates {
                voltage: true,
                recovery: true,
                ..s
            },
            NeuronClass::RatesToSpikes(st) => st,
        }
    }
}

/// How a node produces its output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A constant output (no op).
    Constant,
    /// `|t| ...`.
    Time,
    /// `|t, x| ...`.
    TimeInput,
    /// Output is the input (no op).
    Passthrough,
    /// A method of a state value: `state.method`.
    Stage {
        /// The state value's name.
        state: Cow<'static, str>,
        /// The method's name.
        method: Cow<'static, str>,
    },
    /// A process (white noise, sines): `out = step(t)`.
    Process,
}

/// An ensemble or a node.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind<P> {
    /// An ensemble of neurons.
    Ensemble {
        /// Number of neurons.
        n: P,
        /// Number of dimensions.
        d: P,
        /// Neuron class.
        neuron: NeuronClass,
    },
    /// A node.
    Node {
        /// Input size.
        size_in: P,
        /// Output size.
        size_out: P,
        /// What computes its output.
        kind: NodeKind,
    },
}

/// A named ensemble or node.
#[derive(Clone, Debug, PartialEq)]
pub struct Item<P> {
    /// Its name in the network.
    pub name: Cow<'static, str>,
    /// What it is.
    pub kind: ItemKind<P>,
}

/// Which side of an item a connection touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Port {
    /// An ensemble's decoded value or a node's input/output.
    Value,
    /// An ensemble's neurons (`x.neurons`).
    Neurons,
}

/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// An item's value or neurons.
    Item {
        /// Index into [`Structure::items`].
        item: usize,
        /// Which port.
        port: Port,
    },
    /// The error input of a learned connection (`conn.learning`).
    Learning {
        /// Index into [`Structure::conns`].
        conn: usize,
    },
}

/// A learning rule kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// Nengo's PES.
    Pes,
    /// The memristive mPES (device pulses).
    Mpes,
}

/// A connection, with the sizes the lowering needs already worked out by the caller.
#[derive(Clone, Debug, PartialEq)]
pub struct Conn<P> {
    /// Display label (e.g. `pre -> err` or the connection's name).
    pub label: Cow<'static, str>,
    /// Source.
    pub pre: End,
    /// Source slice `[lo, hi)`.
    pub pre_slice: Option<(P, P)>,
    /// Size of the source after its slice; for a decoded source that has neurons, the number
    /// of neurons (decoders read all of them, the slice only changes the targets).
    pub pre_size: P,
    /// Output size of `function`, if the connection has one.
    pub func_size: Option<P>,
    /// Size of the connection's output: the target after its slice; for `weights = true`, the
    /// number of post neurons (the post slice then selects encoder dimensions).
    pub out_size: P,
    /// Target.
    pub post: End,
    /// Target slice `[lo, hi)`.
    pub post_slice: Option<(P, P)>,
    /// Whether the connection has a synapse (`None` = no op, no delay).
    pub synapse: bool,
    /// Learning rule, if any.
    pub rule: Option<RuleKind>,
    /// `solver = LstsqL2 { weights: true }`: a full weight matrix into the post neurons.
    pub weight_solver: bool,
    /// Size of the learning error (the post's dimensions), for learned connections.
    pub error_size: Option<P>,
    /// The kind of transform given (the weight signal's shape follows from it, see
    /// [`Conn::weights_shape`]).
    pub transform: TransformKind,
}

/// What kind of transform a connection has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransformKind {
    /// A scalar (the default, 1).
    Scalar,
    /// A vector: a diagonal matrix.
    Diagonal,
    /// A full matrix (out × in).
    Matrix,
}

impl<P: Clone> Conn<P> {
    /// The shape of the connection's weight signal. Decoded connections from neurons (NEF
    /// decoders folded with the transform), learned connections and `weights = true` connections
    /// have a full matrix `out × in`; otherwise a scalar transform is `Vec(1)`, a diagonal one
    /// `Vec(out)` and a matrix `Mat(out, in)`, where `in` is the function's output size if there is
    /// a function on a node or Direct source, else the source size after its slice.
    pub fn weights_shape(&self, decoded_from_neurons: bool) -> Shape<P>
    where
        P: From<usize>,
    {
        let x = if decoded_from_neurons {
            self.pre_size.clone()
        } else {
            self.func_size
                .clone()
                .unwrap_or_else(|| self.pre_size.clone())
        };
        if decoded_from_neurons || self.rule.is_some() || self.weight_solver {
            return Shape::Mat(self.out_size.clone(), x);
        }
        match self.transform {
            TransformKind::Scalar => Shape::Vec(P::from(1)),
            TransformKind::Diagonal => Shape::Vec(self.out_size.clone()),
            TransformKind::Matrix => Shape::Mat(self.out_size.clone(), x),
        }
    }
}

/// What a probe records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeAttr {
    /// An ensemble's decoded value or a node's output.
    Value,
    /// Neuron output (spikes, or rates for rate neurons).
    Spikes,
    /// Neuron membrane voltage.
    Voltage,
    /// Neuron input current J.
    Input,
    /// LIF refractory time.
    Refractory,
    /// Adaptive LIF adaptation state.
    Adaptation,
    /// Izhikevich recovery state.
    Recovery,
    /// A rates-to-spikes type's base rates.
    RateOut,
    /// A connection's weights (learned or device weights).
    Weights,
    /// A connection's output (after its synapse).
    Output,
    /// A learned connection's error.
    Error,
    /// A memristive connection's positive device resistances.
    ResistancePos,
    /// A memristive connection's negative device resistances.
    ResistanceNeg,
}

/// What a probe is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeTarget {
    /// An item.
    Item(usize),
    /// A connection.
    Conn(usize),
}

/// A probe.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Its name.
    pub name: Cow<'static, str>,
    /// What it records from.
    pub target: ProbeTarget,
    /// Which attribute.
    pub attr: ProbeAttr,
    /// Whether it filters (adds an update op, hence one step of delay).
    pub synapse: bool,
}

/// The whole network structure: what the plan is computed from.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Structure<P> {
    /// Network name.
    pub name: Cow<'static, str>,
    /// Ensembles and nodes in declaration order.
    pub items: Vec<Item<P>>,
    /// Connections in declaration order.
    pub conns: Vec<Conn<P>>,
    /// Probes in declaration order.
    pub probes: Vec<Probe>,
}

/// The shape of a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape<P> {
    /// A vector.
    Vec(P),
    /// A row-major matrix (rows, columns).
    Mat(P, P),
}

/// One signal of the store.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalDesc<P: Clone + 'static> {
    /// Its name, e.g. `pre.J`.
    pub name: Cow<'static, str>,
    /// Its shape.
    pub shape: Shape<P>,
}

/// A use of a signal by an op: the whole signal or a slice of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SigRef<P> {
    /// Index into [`Plan::signals`].
    pub signal: usize,
    /// The slice `[lo, hi)` used, if not the whole signal.
    pub range: Option<(P, P)>,
}

/// What an op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `step += 1; t = step * dt`.
    Time,
    /// Zero an accumulator.
    Reset,
    /// `J = bias`.
    Bias,
    /// `J += scaled_encoders · in`.
    Encode,
    /// Step the neurons.
    Neurons,
    /// A node's function, stage or process.
    Node,
    /// A connection's `function` on a node or Direct-mode source.
    Function,
    /// `weighted = W · x` (decoders, transform or weights).
    Weights,
    /// A synapse (update: seen downstream one step later).
    Synapse,
    /// `post[slice] += x`.
    Inc,
    /// `J[slice] += gain[slice] ⊙ x` (connections into `.neurons`).
    GainInc,
    /// A learning rule's pre-synaptic filter (set mode, no delay).
    PreFilter,
    /// `local_error = scaled_encoders · error`.
    LocalError,
    /// PES: `delta = -κ dt / n_pre · error ⊗ acts` (update).
    Pes,
    /// `W += delta`.
    ApplyDelta,
    /// The memristive filter stage: `weighted = γ (g⁺ − g⁻) · spikes`.
    MemristorFilter,
    /// The memristive pulse stage: mPES device pulses and weight refresh (update).
    MemristorPulse,
    /// A probe's synapse (update).
    ProbeSynapse,
    /// `dst = src` (a probe reading its synapse's value from the previous step).
    Copy,
    /// A probe read (records at the end of the step).
    Probe,
}

impl OpKind {
    /// Short lowercase name used in the plan text.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Time => "time",
            OpKind::Reset => "reset",
            OpKind::Bias => "bias",
            OpKind::Encode => "encode",
            OpKind::Neurons => "neurons",
            OpKind::Node => "node",
            OpKind::Function => "function",
            OpKind::Weights => "weights",
            OpKind::Synapse => "synapse",
            OpKind::Inc => "inc",
            OpKind::GainInc => "gain-inc",
            OpKind::PreFilter => "pre-filter",
            OpKind::LocalError => "local-error",
            OpKind::Pes => "pes",
            OpKind::ApplyDelta => "apply-delta",
            OpKind::MemristorFilter => "filter",
            OpKind::MemristorPulse => "pulse",
            OpKind::ProbeSynapse => "probe-syn",
            OpKind::Copy => "copy",
            OpKind::Probe => "probe",
        }
    }
}

/// Which network element an op belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// The simulator clock.
    Time,
    /// An item (index into [`Structure::items`]).
    Item(usize),
    /// A connection (index into [`Structure::conns`]).
    Conn(usize),
    /// A probe (index into [`Structure::probes`]).
    Probe(usize),
}

/// One op of the plan, with its signal roles.
#[derive(Clone, Debug, PartialEq)]
pub struct OpDesc<P: Clone + 'static> {
    /// What it does.
    pub kind: OpKind,
    /// Whose op it is.
    pub owner: Owner,
    /// Readable label (the item, connection or probe).
    pub label: Cow<'static, str>,
    /// Signals it sets.
    pub sets: Cow<'static, [SigRef<P>]>,
    /// Signals it increments.
    pub incs: Cow<'static, [SigRef<P>]>,
    /// Signals it reads.
    pub reads: Cow<'static, [SigRef<P>]>,
    /// Signals it updates (committed for the next step).
    pub updates: Cow<'static, [SigRef<P>]>,
}

/// The static step plan: signals and ops, ops in step order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<P: Clone + 'static = usize> {
    /// Network name.
    pub name: Cow<'static, str>,
    /// Every signal of the store.
    pub signals: Cow<'static, [SignalDesc<P>]>,
    /// Ops in the order they run each step.
    pub ops: Cow<'static, [OpDesc<P>]>,
}

impl<P: Clone + 'static> Plan<P> {
    /// The same plan with sizes mapped through `f` (e.g. size expressions to numbers).
    pub fn map_sizes<Q: Clone + 'static, F: FnMut(&P) -> Q>(&self, mut f: F) -> Plan<Q> {
        let mut refs = |v: &[SigRef<P>]| -> Cow<'static, [SigRef<Q>]> {
            Cow::Owned(
                v.iter()
                    .map(|r| SigRef {
                        signal: r.signal,
                        range: r.range.as_ref().map(|(a, b)| (f(a), f(b))),
                    })
                    .collect(),
            )
        };
        let ops: Vec<OpDesc<Q>> = self
            .ops
            .iter()
            .map(|o| OpDesc {
                kind: o.kind,
                owner: o.owner,
                label: o.label.clone(),
                sets: refs(&o.sets),
                incs: refs(&o.incs),
                reads: refs(&o.reads),
                updates: refs(&o.updates),
            })
            .collect();
        let signals = self
            .signals
            .iter()
            .map(|s| SignalDesc {
                name: s.name.clone(),
                shape: match &s.shape {
                    Shape::Vec(a) => Shape::Vec(f(a)),
                    Shape::Mat(a, b) => Shape::Mat(f(a), f(b)),
                },
            })
            .collect::<Vec<_>>();
        Plan {
            name: self.name.clone(),
            signals: Cow::Owned(signals),
            ops: Cow::Owned(ops),
        }
    }
}

impl fmt::Display for Shape<usize> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Vec(n) => write!(f, "{n}"),
            Shape::Mat(r, c) => write!(f, "{r}x{c}"),
        }
    }
}

impl Plan<usize> {
    fn fmt_ref(&self, r: &SigRef<usize>, out: &mut String) {
        let s = &self.signals[r.signal];
        out.push_str(&s.name);
        match r.range {
            Some((lo, hi)) => out.push_str(&format!("[{lo}..{hi}]")),
            None => out.push_str(&format!("[{}]", s.shape)),
        }
    }

    /// Total number of f64 values in the signal store.
    pub fn store_len(&self) -> usize {
        self.signals
            .iter()
            .map(|s| match s.shape {
                Shape::Vec(n) => n,
                Shape::Mat(r, c) => r * c,
            })
            .sum()
    }
}

/// The plan text: a header, then one line per op in step order naming its kind, its item and
/// what it sets, increments, reads and updates, with sizes (`[n]`) or slice ranges (`[lo..hi]`).
impl fmt::Display for Plan<usize> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plan {}: {} ops, {} signals, {} values",
            self.name,
            self.ops.len(),
            self.signals.len(),
            self.store_len()
        )?;
        // The label column is as wide as the longest label, so the roles line up.
        let width = self
            .ops
            .iter()
            .map(|o| o.label.chars().count())
            .max()
            .unwrap_or(0)
            .max(20);
        for (i, op) in self.ops.iter().enumerate() {
            let mut roles = String::new();
            for (word, refs) in [
                ("sets", &op.sets),
                ("incs", &op.incs),
                ("reads", &op.reads),
                ("updates", &op.updates),
            ] {
                if refs.is_empty() {
                    continue;
                }
                if !roles.is_empty() {
                    roles.push_str("; ");
                }
                roles.push_str(word);
                roles.push(' ');
                for (k, r) in refs.iter().enumerate() {
                    if k > 0 {
                        roles.push_str(", ");
                    }
                    self.fmt_ref(r, &mut roles);
                }
            }
            writeln!(
                f,
                "{i:>4}  {:<11} {:<width$} {roles}",
                op.kind.name(),
                op.label
            )?;
        }
        Ok(())
    }
}

/// Why a structure has no plan.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanError {
    /// A loop of same-step (synapse-free) dependencies.
    Cycle(Cycle),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Cycle(c) => write!(f, "{c}"),
        }
    }
}

impl std::error::Error for PlanError {}

/// Lower and sort in one go: the plan of a structure, or the cycle that prevents it.
pub fn plan<P: Clone + From<usize> + 'static>(
    structure: &Structure<P>,
) -> Result<Plan<P>, PlanError> {
    let unsorted = lower(structure);
    let order = sort(&unsorted).map_err(PlanError::Cycle)?;
    let ops: Vec<OpDesc<P>> = order.iter().map(|&i| unsorted.ops[i].clone()).collect();
    Ok(Plan {
        name: unsorted.name,
        signals: unsorted.signals,
        ops: Cow::Owned(ops),
    })
}

#[cfg(test)]
mod tests;
