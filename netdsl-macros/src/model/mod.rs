//! Phase 2: syntax to the network model. Names are resolved (with "did you mean"), sizes are
//! evaluated where the macro can (literals, block consts, `x.n`, ...) and kept as Rust
//! expressions where it cannot (outside consts, generic parameters).
//!
//! `sizes` (the size type) <- `names` (declarations, suggestions, size resolution) <- `values`
//! (neurons, synapses, transforms, functions, rules, solvers, storage) <- `build` (statements
//! to the model).

use proc_macro2::{Span, TokenStream};
use syn::{Expr, ExprClosure, Ident};

use crate::parse::{ArgInput, EndInput, GenericInput, SizeInput, SliceInput};

mod build;
mod build_ends;
mod instance_types;
mod instances;
mod names;
mod sizes;
mod solver;
mod values;

pub use build::build;
pub use instance_types::{Instance, SubnetCheck, Virtual};
pub use instances::{offset_consts, offsets, own_items, owner};
pub use sizes::Size;

// ------------------------------------------------------------------------------------------
// The model
// ------------------------------------------------------------------------------------------

pub struct Model {
    pub attrs: Vec<syn::Attribute>,
    pub vis: syn::Visibility,
    pub name: Ident,
    pub generics: Vec<GenericInput>,
    pub args: Vec<ArgInput>,
    pub consts: Vec<Const>,
    pub items: Vec<Item>,
    pub conns: Vec<Conn>,
    pub probes: Vec<Probe>,
    /// Subnetwork instances, in declaration order.
    pub instances: Vec<Instance>,
    /// Items inside instances that this network connects or probes.
    pub virtuals: Vec<Virtual>,
    /// What rustc must check about those paths (index in range, has neurons), array
    /// indices and loop ranges.
    pub subnet_checks: Vec<SubnetCheck>,
    /// `[N]` of each item (aligned with `items`; `None` for a single item).
    pub item_counts: Vec<Option<Size>>,
    /// `for` loops; connections name theirs in `Conn::role`.
    pub loops: Vec<Loop>,
    /// Which constructor arguments are state values borrowed by stages.
    pub state_args: Vec<bool>,
    /// False when some statement failed: only the items that built are here, with no
    /// connections or probes (their indices would be wrong); item checks still run.
    pub complete: bool,
}

pub struct Const {
    pub name: Ident,
    pub size: Size,
}

pub struct Item {
    pub name: Ident,
    pub kind: ItemKind,
}

#[allow(clippy::large_enum_variant)]
pub enum ItemKind {
    Ensemble(Ensemble),
    Node(Node),
}

pub struct Ensemble {
    pub n: Size,
    pub d: Size,
    pub n_input: SizeInput,
    pub d_input: SizeInput,
    pub neuron: Neuron,
    pub max_rates: Option<Expr>,
    pub intercepts: Option<Expr>,
    pub radius: Option<Expr>,
    pub encoders: Option<Expr>,
    pub normalize_encoders: Option<Expr>,
    pub gain: Option<Expr>,
    pub bias: Option<Expr>,
    pub eval_points: Option<Expr>,
    pub n_eval_points: Option<Expr>,
    pub initial_voltage: Option<Expr>,
    /// `initial_<state>` for the other state variables (Nengo's `initial_state`).
    pub initial_state: Vec<(&'static str, Expr)>,
    pub seed: Option<Expr>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NeuronKind {
    Lif,
    LifRate,
    RectifiedLinear,
    SpikingRectifiedLinear,
    Direct,
    AdaptiveLif,
    AdaptiveLifRate,
    Izhikevich,
    Sigmoid,
    Tanh,
    RegularSpiking,
    StochasticSpiking,
    PoissonSpiking,
}

impl NeuronKind {
    /// The rates-to-spikes wrappers (they take a base type).
    pub fn is_wrapper(self) -> bool {
        matches!(
            self,
            NeuronKind::RegularSpiking | NeuronKind::StochasticSpiking | NeuronKind::PoissonSpiking
        )
    }
}

/// Izhikevich presets: `Izhikevich::name()` and the runtime's `IzhikevichPreset` variant.
pub const IZHIKEVICH_PRESETS: &[(&str, &str)] = &[
    ("regular_spiking", "RegularSpiking"),
    ("intrinsically_bursting", "IntrinsicallyBursting"),
    ("chattering", "Chattering"),
    ("fast_spiking", "FastSpiking"),
    ("low_threshold_spiking", "LowThresholdSpiking"),
    ("resonator", "Resonator"),
];

pub const NEURON_NAMES: &[(&str, NeuronKind, &[&str])] = &[
    (
        "LIF",
        NeuronKind::Lif,
        &["tau_rc", "tau_ref", "min_voltage", "amplitude"],
    ),
    (
        "LIFRate",
        NeuronKind::LifRate,
        &["tau_rc", "tau_ref", "amplitude"],
    ),
    (
        "RectifiedLinear",
        NeuronKind::RectifiedLinear,
        &["amplitude"],
    ),
    (
        "SpikingRectifiedLinear",
        NeuronKind::SpikingRectifiedLinear,
        &["amplitude"],
    ),
    ("Direct", NeuronKind::Direct, &[]),
    (
        "AdaptiveLIF",
        NeuronKind::AdaptiveLif,
        &[
            "tau_n",
            "inc_n",
            "tau_rc",
            "tau_ref",
            "min_voltage",
            "amplitude",
        ],
    ),
    (
        "AdaptiveLIFRate",
        NeuronKind::AdaptiveLifRate,
        &["tau_n", "inc_n", "tau_rc", "tau_ref", "amplitude"],
    ),
    (
        "Izhikevich",
        NeuronKind::Izhikevich,
        &[
            "tau_recovery",
            "coupling",
            "reset_voltage",
            "reset_recovery",
        ],
    ),
    ("Sigmoid", NeuronKind::Sigmoid, &["tau_ref"]),
    ("Tanh", NeuronKind::Tanh, &["tau_ref"]),
    (
        "RegularSpiking",
        NeuronKind::RegularSpiking,
        &["base", "amplitude"],
    ),
    (
        "StochasticSpiking",
        NeuronKind::StochasticSpiking,
        &["base", "amplitude"],
    ),
    (
        "PoissonSpiking",
        NeuronKind::PoissonSpiking,
        &["base", "amplitude"],
    ),
];

pub struct Neuron {
    pub kind: NeuronKind,
    /// Numeric parameters (for the wrappers: `amplitude`; the base is `base`).
    pub fields: Vec<(Ident, Expr)>,
    pub span: Span,
    /// `Izhikevich::<preset>()`: the runtime preset's variant name.
    pub preset: Option<&'static str>,
    /// The base type of a rates-to-spikes wrapper.
    pub base: Option<Box<Neuron>>,
}

/// `for var in lo..hi { .. }`.
pub struct Loop {
    pub var: Ident,
    pub lo: Size,
    pub hi: Size,
}

/// A connection statement as written, or inside a `for` loop: there it is built three times,
/// once to be emitted (the loop variable is the runtime one) and at each end of the range to
/// be checked (sizes as consts).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ConnRole {
    Plain,
    Emit { lp: usize },
    Check,
}

impl Model {
    /// Whether the macro cannot list every item and connection (instances, arrays, loops):
    /// then the runtime computes the plan, with the same rules, when the network is built.
    pub fn hierarchical(&self) -> bool {
        !self.instances.is_empty()
            || self.item_counts.iter().any(Option::is_some)
            || !self.loops.is_empty()
            || self
                .conns
                .iter()
                .any(|c| matches!(c.transform, Some(Transform::Computed(_))))
    }
}

impl Neuron {
    pub fn field(&self, name: &str) -> Option<&Expr> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

pub struct Node {
    pub size_in: Size,
    pub size_out: Size,
    pub size_out_input: SizeInput,
    pub output: NodeOutput,
}

pub enum NodeOutput {
    Constant(Expr),
    Time(ExprClosure),
    TimeInput(ExprClosure),
    Passthrough,
    Stage {
        state: usize,
        method: Ident,
        expr: Expr,
    },
    Process(Expr),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Port {
    Value,
    Neurons,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    Item {
        item: usize,
        port: Port,
    },
    /// An item (or a connection's `.learning`) inside an instance: `Model::virtuals[v]`.
    Virtual {
        v: usize,
        port: Port,
    },
    Learning {
        conn: usize,
    },
}

pub struct End {
    pub target: Target,
    /// The element of an array item (`e[i]`).
    pub elem: Option<Size>,
    pub slice: Option<Slice>,
    pub input: EndInput,
}

pub struct Slice {
    pub lo: Size,
    pub hi: Size,
    pub input: SliceInput,
}

pub enum Transform {
    Scalar(Expr),
    /// Any Rust value whose type gives the shape (`[[f64; C]; R]`, `[f64; N]`, `f64`, checked
    /// by rustc), or an `Array2`/`Vec` (checked when the network is built).
    Computed(Expr),
    Diagonal(Vec<Expr>),
    Matrix(Vec<Vec<Expr>>),
}

pub struct Function {
    pub expr: Expr,
    /// Output size, when the macro can read it (array body, `-> [f64; K]`, identity).
    pub size_out: Option<Size>,
    /// `|x| x`.
    pub identity: bool,
}

pub enum Synapse {
    None,
    Lowpass(Expr),
    Alpha(Expr),
    LinearFilter(Expr, Expr),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleKind {
    Pes,
    Mpes,
}

pub struct Rule {
    pub kind: RuleKind,
    pub fields: Vec<(Ident, Expr)>,
}

pub use solver::{Solver, SolverField};

pub struct Conn {
    pub label: String,
    /// `conn name: ..`.
    pub name: Option<Ident>,
    pub role: ConnRole,
    pub pre: End,
    pub post: End,
    pub function: Option<Function>,
    pub transform: Option<Transform>,
    pub transform_expr: Option<Expr>,
    /// `None` = default `Lowpass(0.005)`.
    pub synapse: Option<Synapse>,
    pub solver: Option<Solver>,
    pub rule: Option<Rule>,
    pub eval_points: Option<Expr>,
    pub seed: Option<Expr>,
    /// `storage = f32`: the weight matrix in single precision (the tokens, for errors);
    /// `None` for the default (`f64`, also when written out).
    pub storage_f32: Option<TokenStream>,
    pub tokens: TokenStream,
}

/// What a probe records: the plan crate's own attribute, so the two never drift apart.
pub use netdsl_plan::ProbeAttr;

pub enum ProbeOf {
    Item(usize),
    Virtual(usize),
    Conn(usize),
}

pub struct Probe {
    pub name: Ident,
    pub target: ProbeOf,
    /// The element of an array item (`probe p: e[2]`).
    pub elem: Option<Size>,
    pub attr: ProbeAttr,
    pub synapse: Option<Synapse>,
    pub sample_every: Option<Expr>,
    /// `solver = …` of a decoded-value probe of an ensemble.
    pub solver: Option<Solver>,
    /// The attribute's last word as written (`voltage`), for messages.
    pub attr_word: String,
    /// The target and attribute as written, for errors.
    pub tokens: TokenStream,
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::names::suggest;
    use super::*;

    fn model(ts: TokenStream) -> Result<Model, Vec<String>> {
        let f = crate::parse::parse_file(ts).map_err(|e| vec![e.to_string()])?;
        let (m, errs) = build(&f.networks[0]);
        if !errs.is_empty() {
            return Err(errs.iter().map(|e| e.to_string()).collect());
        }
        m.ok_or_else(Vec::new)
    }

    #[test]
    fn forum_sizes_resolve() {
        let m = model(crate::tests::forum_tokens()).unwrap_or_else(|e| panic!("{e:?}"));
        let ItemKind::Node(n) = &m.items[6].kind else {
            panic!()
        };
        assert_eq!(m.items[6].name, "pulse_plus");
        assert_eq!(n.size_in.value(), Some(101));
        assert_eq!(n.size_out.value(), Some(100));
        assert_eq!(m.conns.len(), 11);
        assert_eq!(m.state_args, vec![true, true]);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("pots", ["post", "pre"]), Some("post"));
        assert_eq!(suggest("zzz", ["post", "pre"]), None);
        let e = model(quote!(N { ensemble post: 10 neurons, 1 dims; node x: 1 -> 1 = |t, x| [x[0]]; x -> pots; })).err().expect("errors");
        assert!(e[0].contains("did you mean `post`"), "{e:?}");
    }

    #[test]
    fn outside_consts_stay_expressions() {
        let m = model(quote!(N { ensemble a: crate::N_PRE neurons, 1 dims; node b: a.n + 1 -> 1 = |t, x| [x[0]]; })).unwrap();
        let ItemKind::Node(n) = &m.items[1].kind else {
            panic!()
        };
        assert_eq!(n.size_in.value(), None);
        assert_eq!(n.size_in.text(), "crate::N_PRE + 1");
    }

    #[test]
    fn duplicates_and_underflow() {
        let e = model(quote!(N { const K = 2; ensemble a: 10 neurons, 1 dims; ensemble a: 10 neurons, 1 dims; node b: 1 - K -> 1 = |t, x| [x[0]]; })).err().expect("errors");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("defined twice"));
        assert!(e[1].contains("underflows"));
    }
}
