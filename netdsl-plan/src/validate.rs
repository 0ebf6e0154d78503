//! THE rules of a network, checked once for the macro (compile time, sizes may be Rust
//! expressions) and the runtime builder (sizes are `usize`).
//!
//! The caller describes what the user declared as a [`Declared`] network; [`validate`] returns
//! every [`Violation`] in a fixed order, the sizes each connection resolves to, and (when nothing
//! is definitely wrong) the [`Structure`] the plan is lowered from. A violation names what went
//! wrong ([`Problem`], with the values involved) and which part of the user's statement it
//! concerns ([`At`], an opaque position the macro maps to its tokens and the runtime to names).
//! Where a size is not known to the caller (a const generic, a const from outside the block), a
//! violation carries a [`Deferred`] condition instead of a verdict: the violation stands unless
//! the condition holds, and the macro turns it into a `const` assertion rustc evaluates.

use std::borrow::Cow;

use crate::{
    lower, sort, Conn, End, ItemKind, NeuronClass, NodeKind, Port, Probe, ProbeAttr, ProbeTarget,
    RuleKind, Structure, TransformKind,
};

/// A size the rules can compare: a number, or (in the macro) a Rust expression.
pub trait SizeLike: Clone + PartialEq + From<usize> + 'static {
    /// The value, when known.
    fn known(&self) -> Option<usize>;
    /// `self + other`.
    fn plus(&self, other: &Self) -> Self;
    /// `self - other`; `None` when both are known and the difference is negative.
    fn minus(&self, other: &Self) -> Option<Self>;
    /// For messages: `101`, or `` `crate::N + 1` `` for an expression.
    fn show(&self) -> String;
    /// The bare text: `101` or `crate::N + 1`.
    fn text(&self) -> String;
}

impl SizeLike for usize {
    fn known(&self) -> Option<usize> {
        Some(*self)
    }
    fn plus(&self, other: &Self) -> Self {
        self.saturating_add(*other)
    }
    fn minus(&self, other: &Self) -> Option<Self> {
        self.checked_sub(*other)
    }
    fn show(&self) -> String {
        self.to_string()
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

/// A network as the user declared it: what [`validate`] checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Declared<P> {
    /// Network name.
    pub name: Cow<'static, str>,
    /// Ensembles and nodes in declaration order.
    pub items: Vec<ItemDecl<P>>,
    /// Connections in declaration order.
    pub conns: Vec<ConnDecl<P>>,
    /// Probes in declaration order.
    pub probes: Vec<Probe>,
    /// Parameter values with a valid range, where the caller knows them (the macro: literals).
    pub params: Vec<ParamDecl>,
}

/// An ensemble or node with the parameters that have a validity rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemDecl<P> {
    /// Its name.
    pub name: Cow<'static, str>,
    /// Sizes, neuron class, node kind.
    pub kind: ItemKind<P>,
    /// The neuron type's name for messages (e.g. `RectifiedLinear`); empty for nodes.
    pub neuron_name: Cow<'static, str>,
    /// Nodes: how many values its constant or process gives, where the caller knows it (the
    /// macro leaves this to rustc's type check and passes `None`).
    pub output_size: Option<P>,
    /// LIF and LIFRate ensembles: `tau_ref` where known (the default is 0.002).
    pub tau_ref: Option<f64>,
    /// The highest requested `max_rates` value, where known.
    pub max_rate: Option<f64>,
    /// `radius`, where known.
    pub radius: Option<f64>,
}

impl<P> ItemDecl<P> {
    /// An item with no parameter to check.
    pub fn new(name: impl Into<Cow<'static, str>>, kind: ItemKind<P>) -> Self {
        ItemDecl {
            name: name.into(),
            kind,
            neuron_name: Cow::Borrowed(""),
            output_size: None,
            tau_ref: None,
            max_rate: None,
            radius: None,
        }
    }
}

/// A slice on one end of a connection, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceDecl<P> {
    /// Start (`0` for `[..j]`).
    pub lo: P,
    /// End; `None` for an open end (`[i..]`, up to the end's size). For an index `[i]`, `i + 1`.
    pub hi: Option<P>,
    /// `[i]` rather than a range.
    pub index: bool,
}

/// A connection's `function`.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDecl<P> {
    /// Its output size, when the caller knows it; the macro cannot always read it (then the
    /// transform or the target implies it, and rustc checks the closure).
    pub size_out: Option<P>,
    /// `|x| x`: its output size is its input size.
    pub identity: bool,
}

/// A connection's transform and its shape.
#[derive(Clone, Debug, PartialEq)]
pub enum TransformDecl<P> {
    /// A scalar (also the default, 1).
    Scalar,
    /// A vector of this many entries: a diagonal matrix.
    Diagonal(P),
    /// A matrix, `rows` (out) by `cols` (in).
    Matrix {
        /// Output size.
        rows: P,
        /// Input size.
        cols: P,
    },
    /// A value whose shape only the caller can check (the macro: a Rust expression, checked by
    /// rustc against the sizes found here): it maps what it is given to the target's size.
    Implied,
}

impl<P> TransformDecl<P> {
    /// The kind of transform, as the plan needs it.
    pub fn kind(&self) -> TransformKind {
        match self {
            TransformDecl::Scalar => TransformKind::Scalar,
            TransformDecl::Diagonal(_) => TransformKind::Diagonal,
            TransformDecl::Matrix { .. } | TransformDecl::Implied => TransformKind::Matrix,
        }
    }
}

/// A connection as written.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnDecl<P> {
    /// Display label (the connection's name, or `pre -> post`).
    pub label: Cow<'static, str>,
    /// Source.
    pub pre: End,
    /// Source slice.
    pub pre_slice: Option<SliceDecl<P>>,
    /// Target.
    pub post: End,
    /// Target slice.
    pub post_slice: Option<SliceDecl<P>>,
    /// `function`, if given.
    pub function: Option<FunctionDecl<P>>,
    /// `transform`.
    pub transform: TransformDecl<P>,
    /// Whether it has a synapse (`synapse = None` has none).
    pub synapse: bool,
    /// Learning rule, if any.
    pub rule: Option<RuleKind>,
    /// `solver = LstsqL2 { weights: true }`.
    pub weight_solver: bool,
    /// `storage = f32`.
    pub storage_f32: bool,
}

/// One side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The source.
    Pre,
    /// The target.
    Post,
}

/// Which part of the user's statement a violation concerns: an opaque position the macro maps
/// to its tokens and the runtime to names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum At {
    /// An ensemble's number of neurons.
    EnsembleNeurons(usize),
    /// An ensemble's number of dimensions.
    EnsembleDims(usize),
    /// An ensemble's `max_rates`.
    EnsembleMaxRates(usize),
    /// An ensemble's `radius`.
    EnsembleRadius(usize),
    /// A node's output size.
    NodeSizeOut(usize),
    /// A node's output (constant, function, process).
    NodeOutput(usize),
    /// A whole connection statement.
    Conn(usize),
    /// A connection's source end.
    ConnPre(usize),
    /// A connection's target end.
    ConnPost(usize),
    /// A connection's source slice.
    ConnPreSlice(usize),
    /// A connection's target slice.
    ConnPostSlice(usize),
    /// A connection's `transform`.
    ConnTransform(usize),
    /// A connection's `storage`.
    ConnStorage(usize),
    /// A probe's target and attribute.
    Probe(usize),
    /// A parameter value: the index into [`Declared::params`].
    Param(usize),
}

/// Why `storage = f32` is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum F32Refusal {
    /// The connection learns: its weights change every step.
    Learns,
    /// A scalar or vector transform: no weight matrix.
    NotMatrix,
    /// One output: a single row.
    OneRow,
}

/// What went wrong, with the values involved.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Problem<P> {
    /// An ensemble with 0 neurons.
    NoNeurons {
        /// The ensemble.
        item: usize,
        /// Its size.
        n: P,
    },
    /// An ensemble with 0 dimensions.
    NoDimensions {
        /// The ensemble.
        item: usize,
        /// Its size.
        d: P,
    },
    /// A passthrough node whose sizes differ.
    PassthroughSizes {
        /// The node.
        item: usize,
        /// Input size.
        size_in: P,
        /// Output size.
        size_out: P,
    },
    /// A constant or process node declared with an input.
    NodeIgnoresInput {
        /// The node.
        item: usize,
        /// Its input size.
        size_in: P,
    },
    /// A constant or process that gives a different number of values than the node's size_out.
    NodeOutputSize {
        /// The node.
        item: usize,
        /// Values given.
        given: P,
        /// Declared output size.
        size_out: P,
    },
    /// `max_rates` at or above `1 / tau_ref`.
    RateTooHigh {
        /// The ensemble.
        item: usize,
        /// Highest requested rate.
        max_rate: f64,
        /// Refractory period.
        tau_ref: f64,
    },
    /// A radius that is not positive.
    RadiusNotPositive {
        /// The ensemble.
        item: usize,
        /// The radius.
        radius: f64,
    },
    /// A node with no output as a connection's source.
    SourceWithoutOutput {
        /// The connection.
        conn: usize,
        /// The node.
        item: usize,
    },
    /// A node with no input as a connection's target.
    TargetWithoutInput {
        /// The connection.
        conn: usize,
        /// The node.
        item: usize,
    },
    /// `.neurons` of a node or of a Direct-mode ensemble.
    EndWithoutNeurons {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// The item.
        item: usize,
    },
    /// `conn.learning` as a connection's source.
    LearningAsSource {
        /// The connection.
        conn: usize,
    },
    /// `learned.learning` where `learned` has no learning rule.
    LearningWithoutRule {
        /// The connection into `.learning`.
        conn: usize,
        /// The connection named.
        learned: usize,
    },
    /// `x[i]` with `i` past the end.
    IndexOutOfRange {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// The index.
        index: P,
        /// The end's full size.
        size: P,
    },
    /// `x[i..j]` with `j < i`.
    SliceReversed {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// Start.
        lo: P,
        /// End.
        hi: P,
    },
    /// `x[i..i]`.
    SliceEmpty {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// Start (= end).
        lo: P,
    },
    /// A slice ending past the end's size.
    SlicePastEnd {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// Slice end.
        hi: P,
        /// The end's full size.
        size: P,
    },
    /// A slice that is not a non-empty range within its end (only ever deferred: the bounds
    /// are not known).
    SliceOutside {
        /// The connection.
        conn: usize,
        /// Which end.
        side: Side,
        /// Start.
        lo: P,
        /// End.
        hi: P,
        /// The end's full size.
        size: P,
    },
    /// `solver = LstsqL2 { weights: true }` not between two decoded ensembles.
    WeightSolverEnds {
        /// The connection.
        conn: usize,
    },
    /// PES from a node or a Direct-mode ensemble.
    PesSource {
        /// The connection.
        conn: usize,
        /// The source item.
        item: usize,
        /// The source is a Direct-mode ensemble (else a node).
        direct: bool,
    },
    /// mPES not between `pre.neurons` and `post.neurons`.
    MpesEnds {
        /// The connection.
        conn: usize,
    },
    /// mPES with a `function`.
    MpesFunction {
        /// The connection.
        conn: usize,
    },
    /// A `function` on neuron activity.
    FunctionOnNeurons {
        /// The connection.
        conn: usize,
    },
    /// A vector transform whose length differs from what it multiplies.
    TransformEntries {
        /// The connection.
        conn: usize,
        /// Vector entries.
        entries: P,
        /// Size of what it multiplies (the sliced source, or the function's output).
        input: P,
    },
    /// A matrix transform whose columns differ from what it multiplies.
    TransformColumns {
        /// The connection.
        conn: usize,
        /// Rows.
        rows: P,
        /// Columns.
        cols: P,
        /// Size of what it multiplies.
        input: P,
    },
    /// What a connection sends differs from what its target takes.
    SizeMismatch {
        /// The connection.
        conn: usize,
        /// Values sent.
        sends: P,
        /// Values taken.
        takes: P,
    },
    /// A `weights: true` connection whose decoded output differs from the post's dimensions.
    WeightSolverSize {
        /// The connection.
        conn: usize,
        /// Values sent (after the transform).
        sends: P,
        /// Dimensions taken.
        takes: P,
    },
    /// The error sent into `learned.learning` has the wrong size.
    ErrorSize {
        /// The connection into `.learning`.
        conn: usize,
        /// The learned connection.
        learned: usize,
        /// Values sent.
        sends: P,
        /// The error's size.
        error: P,
    },
    /// `storage = f32` where no fixed weight matrix is kept.
    StorageF32 {
        /// The connection.
        conn: usize,
        /// Why not.
        why: F32Refusal,
    },
    /// A neuron attribute of a node.
    ProbeNodeAttr {
        /// The probe.
        probe: usize,
        /// The node.
        item: usize,
    },
    /// A neuron attribute the ensemble's neurons do not have.
    ProbeNeuronAttr {
        /// The probe.
        probe: usize,
        /// The ensemble.
        item: usize,
    },
    /// A connection attribute of an item, or an item attribute of a connection.
    ProbeAttrTarget {
        /// The probe.
        probe: usize,
    },
    /// The error of a connection without a learning rule.
    ProbeNoError {
        /// The probe.
        probe: usize,
        /// The connection.
        conn: usize,
    },
    /// Device resistances of a connection that is not memristive.
    ProbeNotMemristive {
        /// The probe.
        probe: usize,
        /// The connection.
        conn: usize,
    },
    /// The weights of an `f32` connection (kept outside the signals).
    ProbeF32Weights {
        /// The probe.
        probe: usize,
        /// The connection.
        conn: usize,
    },
    /// A synapse on a probe of device weights or resistances (recorded unfiltered).
    ProbeFilteredDevice {
        /// The probe.
        probe: usize,
        /// The connection.
        conn: usize,
    },
    /// A parameter value outside its valid range.
    ParamOutOfRange {
        /// The index into [`Declared::params`].
        param: usize,
        /// The parameter's name.
        name: Cow<'static, str>,
        /// Its value.
        value: f64,
        /// Its valid range.
        range: ParamRange,
    },
    /// A loop of synapse-free connections: nothing in it can run first within a step.
    Cycle {
        /// The connections of the loop, in order.
        conns: Vec<usize>,
        /// Which of them this violation is about (one violation per connection).
        index: usize,
    },
}

/// One comparison of sizes, for conditions rustc evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum Cmp<P> {
    /// `a == b`.
    Eq(P, P),
    /// `a <= b`.
    Le(P, P),
    /// `a < b`.
    Lt(P, P),
    /// `a > 0`.
    Positive(P),
}

impl<P> Cmp<P> {
    /// The sizes compared, in order.
    pub fn operands(&self) -> Vec<&P> {
        match self {
            Cmp::Eq(a, b) | Cmp::Le(a, b) | Cmp::Lt(a, b) => vec![a, b],
            Cmp::Positive(a) => vec![a],
        }
    }
}

/// A condition decided later, where sizes are unknown now: the violation stands unless every
/// comparison in `require` holds, given that every group in `given` holds (a slice that is
/// itself invalid reports only that).
#[derive(Clone, Debug, PartialEq)]
pub struct Deferred<P> {
    /// Preconditions, one conjunction per group.
    pub given: Vec<Vec<Cmp<P>>>,
    /// What must hold.
    pub require: Vec<Cmp<P>>,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation<P> {
    /// What went wrong.
    pub problem: Problem<P>,
    /// Where, in the user's statement.
    pub at: At,
    /// `None`: certain. `Some`: a violation unless the condition holds (sizes unknown).
    pub deferred: Option<Deferred<P>>,
}

impl<P> Violation<P> {
    /// Whether this is a definite verdict (not a condition left to rustc).
    pub fn is_definite(&self) -> bool {
        self.deferred.is_none()
    }
}

/// The sizes a connection resolves to.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnSizes<P> {
    /// Source slice `[lo, hi)`.
    pub pre_slice: Option<(P, P)>,
    /// See [`Conn::pre_size`].
    pub pre_size: P,
    /// What the function or transform sees: the source value after its slice.
    pub src_size: P,
    /// See [`Conn::func_size`] (implied by the transform or target where not given).
    pub func_size: Option<P>,
    /// See [`Conn::out_size`].
    pub out_size: P,
    /// Target slice `[lo, hi)`.
    pub post_slice: Option<(P, P)>,
    /// See [`Conn::error_size`].
    pub error_size: Option<P>,
}

/// What [`validate`] finds.
#[derive(Clone, Debug, PartialEq)]
pub struct Validated<P> {
    /// Every violation, definite or deferred: probes, then items, then connections (those
    /// into `.learning` last), then a synapse-free cycle.
    pub violations: Vec<Violation<P>>,
    /// Per connection, its sizes (`None` where a definite violation stopped its check).
    pub sizes: Vec<Option<ConnSizes<P>>>,
    /// The structure the plan is lowered from, when no violation is definite.
    pub structure: Option<Structure<P>>,
}

impl<P> Validated<P> {
    /// No definite violation.
    pub fn is_ok(&self) -> bool {
        !self.violations.iter().any(Violation::is_definite)
    }

    /// The definite violations.
    pub fn definite(&self) -> impl Iterator<Item = &Violation<P>> {
        self.violations.iter().filter(|v| v.is_definite())
    }
}

mod message;
mod params;
mod rules;
pub use message::Texts;
pub use params::{param_range, ParamDecl, ParamOf, ParamRange};
pub use rules::validate;

impl Declared<usize> {
    /// The runtime's entry point: the structure, or every violation (sizes are all known, so
    /// every violation is definite). Each violation's [`Violation::message`] names items by name.
    pub fn check(&self) -> Result<Structure<usize>, Vec<Violation<usize>>> {
        let v = validate(self);
        match v.structure {
            Some(s) if v.violations.is_empty() => Ok(s),
            _ => Err(v.violations),
        }
    }
}

pub(crate) fn structure_of<P: SizeLike>(
    d: &Declared<P>,
    sizes: &[Option<ConnSizes<P>>],
) -> Option<Structure<P>> {
    let mut conns = Vec::with_capacity(d.conns.len());
    for (c, s) in d.conns.iter().zip(sizes) {
        let s = s.as_ref()?;
        conns.push(Conn {
            label: c.label.clone(),
            pre: c.pre,
            pre_slice: s.pre_slice.clone(),
            pre_size: s.pre_size.clone(),
            func_size: s.func_size.clone(),
            out_size: s.out_size.clone(),
            post: c.post,
            post_slice: s.post_slice.clone(),
            synapse: c.synapse,
            rule: c.rule,
            weight_solver: c.weight_solver,
            error_size: s.error_size.clone(),
            transform: c.transform.kind(),
        });
    }
    Some(Structure {
        name: d.name.clone(),
        items: d
            .items
            .iter()
            .map(|i| crate::Item {
                name: i.name.clone(),
                kind: i.kind.clone(),
            })
            .collect(),
        conns,
        probes: d.probes.clone(),
    })
}

/// A synapse-free loop in the structure: one violation per connection on it.
pub(crate) fn cycle<P: SizeLike>(s: &Structure<P>) -> Vec<Violation<P>> {
    match sort(&lower(s)) {
        Ok(_) => Vec::new(),
        Err(c) => {
            let conns = c.conns();
            conns
                .iter()
                .enumerate()
                .map(|(index, &conn)| Violation {
                    problem: Problem::Cycle {
                        conns: conns.clone(),
                        index,
                    },
                    at: At::Conn(conn),
                    deferred: None,
                })
                .collect()
        }
    }
}

// Used by the rules and messages.
pub(crate) fn neuron_ok(neuron: NeuronClass, attr: ProbeAttr) -> bool {
    match attr {
        ProbeAttr::Value => true,
        ProbeAttr::Voltage => neuron.states().voltage,
        ProbeAttr::Refractory => neuron.states().refractory,
        ProbeAttr::Adaptation => neuron.states().adaptation,
        ProbeAttr::Recovery => neuron.states().recovery,
        ProbeAttr::RateOut => neuron.states().rate_out,
        ProbeAttr::Spikes | ProbeAttr::Input => neuron != NeuronClass::Direct,
        _ => false,
    }
}
