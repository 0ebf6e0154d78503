//! Building a network by hand: the description the `network!` macro expands into.
//!
//! A [`Network`] holds ensembles, nodes, connections, probes and user-owned state values, in
//! declaration order. [`crate::sim::Simulator::new`] builds it (the NEF work) and steps its plan.

use std::any::Any;
use std::borrow::Cow;
use std::ops::Range;

use ndarray::Array2;

use crate::models::learning::LearningRule;
use crate::models::neurons::NeuronType;
use crate::models::processes::Process;
use crate::models::synapses::Synapse;
use crate::nef::dists::{Dist, VecDist};
pub use crate::nef::solvers::{
    Lstsq, LstsqDrop, LstsqL1, LstsqL2, LstsqL2nz, LstsqMultNoise, LstsqNoise, Nnls, NnlsL2,
    NnlsL2nz, NoSolver, Solver, SolverKind,
};
use crate::plan::{self, ProbeAttr};

/// Index of an ensemble or node in its network.
pub type ItemId = usize;
/// Index of a connection in its network.
pub type ConnId = usize;
/// Index of a probe in its network.
pub type ProbeId = usize;
/// Index of a state value in its network.
pub type StateId = usize;

/// Every parameter of an ensemble, with Nengo 4.1's defaults.
#[derive(Clone, Debug)]
pub struct EnsembleSpec {
    /// Number of neurons.
    pub n_neurons: usize,
    /// Number of represented dimensions.
    pub dimensions: usize,
    /// Neuron model (default LIF).
    pub neuron_type: NeuronType,
    /// Maximum firing rates (default `Uniform(200, 400)`).
    pub max_rates: Dist,
    /// Intercepts (default `Uniform(-1.0, 0.9)`).
    pub intercepts: Dist,
    /// Encoders (default `ScatteredHypersphere { surface: true }`).
    pub encoders: VecDist,
    /// Divide encoders by their norm (default true).
    pub normalize_encoders: bool,
    /// Explicit gains (with `bias`, overrides max_rates and intercepts).
    pub gain: Option<Vec<f64>>,
    /// Explicit biases.
    pub bias: Option<Vec<f64>>,
    /// Representational radius (default 1).
    pub radius: f64,
    /// Evaluation points for decoder solving (default `ScatteredHypersphere { surface: false }`).
    pub eval_points: VecDist,
    /// Number of evaluation points (default: Nengo's heuristic).
    pub n_eval_points: Option<usize>,
    /// Initial membrane voltage (default `Uniform(0, 1)` for spiking neurons).
    pub initial_voltage: Option<Dist>,
    /// Initial values of the other neuron state variables, by Nengo's names
    /// (`refractory_time`, `adaptation`, `recovery`; `voltage` is `initial_voltage`): Nengo's
    /// `initial_state`. Each defaults to 0; a name the neuron type lacks is a build error.
    pub initial_state: Vec<(String, Dist)>,
    /// Seed of this ensemble's parameters (default: drawn from the network seed).
    pub seed: Option<u64>,
}

impl EnsembleSpec {
    /// An ensemble with Nengo's defaults.
    pub fn new(n_neurons: usize, dimensions: usize) -> Self {
        EnsembleSpec {
            n_neurons,
            dimensions,
            neuron_type: NeuronType::lif(),
            max_rates: Dist::Uniform {
                low: 200.0,
                high: 400.0,
            },
            intercepts: Dist::Uniform {
                low: -1.0,
                high: 0.9,
            },
            encoders: VecDist::ScatteredHypersphere { surface: true },
            normalize_encoders: true,
            gain: None,
            bias: None,
            radius: 1.0,
            eval_points: VecDist::ScatteredHypersphere { surface: false },
            n_eval_points: None,
            initial_voltage: None,
            initial_state: Vec::new(),
            seed: None,
        }
    }
}

/// `f(t) -> out`.
pub type TimeFn = Box<dyn FnMut(f64, &mut [f64]) + Send>;
/// `f(t, x) -> out`.
pub type TimeInputFn = Box<dyn FnMut(f64, &[f64], &mut [f64]) + Send>;
/// A stage: a method of a state value, called with the value as `&mut dyn Any`.
pub type StageFn = fn(&mut dyn Any, f64, &[f64], &mut [f64]);
/// A connection function `f(x) -> out`.
pub type VecFn = Box<dyn Fn(&[f64], &mut [f64]) + Send + Sync>;

/// How a node computes its output.
pub enum NodeOutput {
    /// A constant vector.
    Constant(Vec<f64>),
    /// `|t| ...`.
    Time(TimeFn),
    /// `|t, x| ...`.
    TimeInput(TimeInputFn),
    /// Output = input, no op, no delay.
    Passthrough,
    /// A method of a state value (`state.method`); several stages may share one value.
    Stage {
        /// The state value.
        state: StateId,
        /// The method's name (for the plan text).
        method: Cow<'static, str>,
        /// The call.
        call: StageFn,
    },
    /// A process such as white noise or sines.
    Process(Box<dyn Process>),
}

impl std::fmt::Debug for NodeOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeOutput::Constant(v) => write!(f, "Constant({v:?})"),
            NodeOutput::Time(_) => write!(f, "Time(..)"),
            NodeOutput::TimeInput(_) => write!(f, "TimeInput(..)"),
            NodeOutput::Passthrough => write!(f, "Passthrough"),
            NodeOutput::Stage { state, method, .. } => write!(f, "Stage({state}.{method})"),
            NodeOutput::Process(_) => write!(f, "Process(..)"),
        }
    }
}

/// A connection's transform.
#[derive(Clone, Debug, PartialEq)]
pub enum Transform {
    /// Multiply every element (default 1).
    Scalar(f64),
    /// Elementwise vector.
    Diagonal(Vec<f64>),
    /// A full matrix (out × in).
    Matrix(Array2<f64>),
}

/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// An ensemble's decoded value, or a node.
    Value(ItemId),
    /// An ensemble's neurons.
    Neurons(ItemId),
    /// A learned connection's error input (`conn.learning`).
    Learning(ConnId),
}

/// A connection's function, with its output size.
pub struct Function {
    /// Output size.
    pub size_out: usize,
    /// The function.
    pub f: VecFn,
    /// Source text, for the plan and the graph.
    pub text: Cow<'static, str>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Function({} -> {})", self.text, self.size_out)
    }
}

/// How a connection's weight matrix is stored while the network steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightStorage {
    /// Double precision: the weights exactly as the build computed them (Nengo's default).
    #[default]
    F64,
    /// Single precision: each weight rounded to `f32` once, at build; half the memory, and half
    /// the bytes a step reads for each spiking column. Sums are still accumulated in `f64`, in
    /// the same order, so the result is the `f64` computation with the rounded weights. For a
    /// matrix (more than one row) that no learning rule or probe uses, e.g. a
    /// `weights = true` connection between big populations.
    F32,
}

/// Every option of a connection, with Nengo's defaults.
#[derive(Debug)]
pub struct ConnectionSpec {
    /// Source.
    pub pre: Endpoint,
    /// Source slice.
    pub pre_slice: Option<Range<usize>>,
    /// Target.
    pub post: Endpoint,
    /// Target slice.
    pub post_slice: Option<Range<usize>>,
    /// Function computed across the connection.
    pub function: Option<Function>,
    /// Transform (default scalar 1).
    pub transform: Transform,
    /// Synapse (default `Lowpass(0.005)`; `None` = no filter, no delay).
    pub synapse: Option<Synapse>,
    /// Decoder (or, with `weights`, weight) solver (default `LstsqL2 { reg: 0.1 }`); any of
    /// Nengo's: `Solver::from(Nnls { weights: true })`.
    pub solver: Solver,
    /// Connection-specific evaluation points (default: the pre ensemble's).
    pub eval_points: Option<Array2<f64>>,
    /// Learning rule.
    pub learning: Option<LearningRule>,
    /// Name (for `conn.learning` and the plan text); default `pre -> post`.
    pub label: Option<String>,
    /// Seed.
    pub seed: Option<u64>,
    /// How the weight matrix is stored (default `f64`).
    pub weight_storage: WeightStorage,
}

impl ConnectionSpec {
    /// A connection with Nengo's defaults.
    pub fn new(pre: Endpoint, post: Endpoint) -> Self {
        ConnectionSpec {
            pre,
            pre_slice: None,
            post,
            post_slice: None,
            function: None,
            transform: Transform::Scalar(1.0),
            synapse: Some(Synapse::Lowpass(0.005)),
            solver: Solver::default(),
            eval_points: None,
            learning: None,
            label: None,
            seed: None,
            weight_storage: WeightStorage::F64,
        }
    }
}

/// What a probe records from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOf {
    /// An ensemble or node.
    Item(ItemId),
    /// A connection.
    Conn(ConnId),
}

/// A probe.
#[derive(Clone, Debug)]
pub struct ProbeSpec {
    /// Its target.
    pub target: ProbeOf,
    /// The attribute recorded.
    pub attr: ProbeAttr,
    /// Filter (adds one step of delay, as in Nengo).
    pub synapse: Option<Synapse>,
    /// Record every this many seconds (default every step).
    pub sample_every: Option<f64>,
    /// The decoder solver of a decoded-value probe of an ensemble (Nengo's
    /// `Probe(ens, solver=…)`, default `LstsqL2 { reg: 0.1 }`); its `weights` flag has no effect
    /// (Nengo only warns). Unused by other probes.
    pub solver: Solver,
}

impl ProbeSpec {
    /// A probe of `attr` of `target`, unfiltered, every step.
    pub fn new(target: ProbeOf, attr: ProbeAttr) -> Self {
        ProbeSpec {
            target,
            attr,
            synapse: None,
            sample_every: None,
            solver: Solver::default(),
        }
    }
}

/// An ensemble or node of a network.
#[derive(Debug)]
pub enum ItemSpec {
    /// An ensemble.
    Ensemble(Box<EnsembleSpec>),
    /// A node.
    Node {
        /// Input size.
        size_in: usize,
        /// Output size.
        size_out: usize,
        /// Its output.
        output: NodeOutput,
    },
}

/// A network: the description a simulator is built from.
pub struct Network {
    /// Name.
    pub name: String,
    /// Seed for every random parameter not given explicitly (default 0).
    pub seed: u64,
    /// Items and their names, in declaration order.
    pub items: Vec<(String, ItemSpec)>,
    /// Connections in declaration order.
    pub conns: Vec<ConnectionSpec>,
    /// Probes and their names.
    pub probes: Vec<(String, ProbeSpec)>,
    /// User-owned state values and their names.
    pub states: Vec<(String, Box<dyn Any + Send>)>,
    /// The plan the macro computed at compile time, checked against the runtime's at build.
    pub static_plan: Option<plan::Plan>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("name", &self.name)
            .field("items", &self.items)
            .field("conns", &self.conns)
            .field("probes", &self.probes)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// An empty network.
    pub fn new(name: impl Into<String>) -> Self {
        Network {
            name: name.into(),
            seed: 0,
            items: Vec::new(),
            conns: Vec::new(),
            probes: Vec::new(),
            states: Vec::new(),
            static_plan: None,
        }
    }

    /// Add a state value owned by the network; stages borrow it in plan order.
    pub fn add_state<T: Any + Send>(&mut self, name: impl Into<String>, value: T) -> StateId {
        self.states.push((name.into(), Box::new(value)));
        self.states.len() - 1
    }

    /// Add an ensemble.
    pub fn add_ensemble(&mut self, name: impl Into<String>, spec: EnsembleSpec) -> ItemId {
        self.items
            .push((name.into(), ItemSpec::Ensemble(Box::new(spec))));
        self.items.len() - 1
    }

    /// Add a node.
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        size_in: usize,
        size_out: usize,
        output: NodeOutput,
    ) -> ItemId {
        self.items.push((
            name.into(),
            ItemSpec::Node {
                size_in,
                size_out,
                output,
            },
        ));
        self.items.len() - 1
    }

    /// Add a connection.
    pub fn connect(&mut self, spec: ConnectionSpec) -> ConnId {
        self.conns.push(spec);
        self.conns.len() - 1
    }

    /// Add a probe.
    pub fn probe(&mut self, name: impl Into<String>, spec: ProbeSpec) -> ProbeId {
        self.probes.push((name.into(), spec));
        self.probes.len() - 1
    }

    /// Find an item by name.
    pub fn item(&self, name: &str) -> Option<ItemId> {
        self.items.iter().position(|(n, _)| n == name)
    }
}
