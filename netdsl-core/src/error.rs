//! Errors: building a network ([`BuildError`]) and running it ([`SimError`]).
//!
//! A network that breaks a rule of the one rule set (`netdsl_plan::validate`, the same rules the
//! `network!` macro checks at compile time) gives [`BuildError::Rules`] with every violation, each
//! with its [`Problem`] and the same words the macro uses.

use thiserror::Error;

use crate::models::neurons::NeuronError;
use crate::nef::solvers::SolveError;
use crate::plan::validate::{Problem, Violation};

/// One broken rule of a network built at runtime: the violation (what, with the values
/// involved, and where) and its message, worded as the macro words it.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct RuleViolation {
    /// The violation as the rule set reports it (indices into the network's items,
    /// connections and probes).
    pub violation: Violation<usize>,
    /// Its message, naming items and connections by name.
    pub message: String,
}

impl RuleViolation {
    /// What went wrong, with the values involved.
    pub fn problem(&self) -> &Problem<usize> {
        &self.violation.problem
    }
}

/// What a decoder solve was for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolveFor {
    /// A connection's decoders (or weights).
    Conn {
        /// Its index.
        conn: usize,
        /// Its label.
        label: String,
    },
    /// A decoded-value probe's own decoders.
    Probe {
        /// Its index.
        probe: usize,
        /// Its name.
        name: String,
    },
}

impl std::fmt::Display for SolveFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SolveFor::Conn { label, .. } => write!(f, "`{label}`"),
            SolveFor::Probe { name, .. } => write!(f, "probe `{name}`"),
        }
    }
}

/// Why a network could not be built.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The network breaks rules of the rule set: sizes through slices, functions and transforms,
    /// slice bounds, probe attributes, learning-rule targets, synapse-free cycles, parameter
    /// validity. Every violation, in the rule set's order (never empty).
    #[error("{}", rules_text(network, violations))]
    Rules {
        /// The network's name.
        network: String,
        /// Every violation.
        violations: Vec<RuleViolation>,
    },
    /// A connection or probe names an item index the network does not have.
    #[error("{by} names item {index}, but the network has {len} items")]
    UnknownItem {
        /// The connection or probe (`connection 2`, `probe \`p\``).
        by: String,
        /// The index named.
        index: usize,
        /// How many items there are.
        len: usize,
    },
    /// A connection or probe names a connection index the network does not have.
    #[error("{by} names connection {index}, but the network has {len} connections")]
    UnknownConnection {
        /// The connection or probe.
        by: String,
        /// The index named.
        index: usize,
        /// How many connections there are.
        len: usize,
    },
    /// A stage node names a state value the network does not have.
    #[error("node `{node}` names state value {state}, but the network has {len}")]
    UnknownState {
        /// The node.
        node: String,
        /// The state index named.
        state: usize,
        /// How many state values there are.
        len: usize,
    },
    /// The time step is not a positive finite number.
    #[error("dt must be positive and finite, got {dt}")]
    TimeStep {
        /// The time step given.
        dt: f64,
    },
    /// Fixed evaluation points whose width is not the ensemble's dimensions.
    #[error("ensemble `{ensemble}`: eval_points have {cols} columns but the ensemble has {dims} dimensions")]
    EvalPointsShape {
        /// The ensemble.
        ensemble: String,
        /// Its item index.
        item: usize,
        /// Its dimensions.
        dims: usize,
        /// Columns of the evaluation points.
        cols: usize,
    },
    /// Encoders that are not `n_neurons × dimensions`.
    #[error("ensemble `{ensemble}`: encoders must be {n}x{d}, got {rows}x{cols}")]
    EncodersShape {
        /// The ensemble.
        ensemble: String,
        /// Its item index.
        item: usize,
        /// Neurons.
        n: usize,
        /// Dimensions.
        d: usize,
        /// Rows given.
        rows: usize,
        /// Columns given.
        cols: usize,
    },
    /// A fixed gain or bias whose length is not the number of neurons.
    #[error("ensemble `{ensemble}`: gain and bias need {n} values, got {gain} and {bias}")]
    GainBiasLength {
        /// The ensemble.
        ensemble: String,
        /// Its item index.
        item: usize,
        /// Neurons.
        n: usize,
        /// Gain values given.
        gain: usize,
        /// Bias values given.
        bias: usize,
    },
    /// Neuron parameters that give no valid gain and bias.
    #[error("ensemble `{ensemble}`: {source}")]
    Neurons {
        /// The ensemble.
        ensemble: String,
        /// Its item index.
        item: usize,
        /// What is wrong.
        #[source]
        source: NeuronError,
    },
    /// A decoder solve failed.
    #[error("decoders of {of}: {source}")]
    Solve {
        /// The connection or probe.
        of: SolveFor,
        /// What is wrong.
        #[source]
        source: SolveError,
    },
    /// The plan computed at compile time differs from the runtime's (a netdsl bug).
    #[error("the compile-time plan differs from the runtime plan (a netdsl bug): {detail}")]
    PlanMismatch {
        /// The first difference.
        detail: String,
    },
    /// Building would allocate more than [`SimOptions::build_memory_limit`](crate::sim::SimOptions::build_memory_limit)
    /// at once (a decoder solve's activities and Gram matrix, or a weight matrix).
    #[error(
        "{what} needs {:.3} GB to build ({detail}), over the limit of {:.3} GB: use fewer \
         neurons or evaluation points, decoded instead of full weights, or raise \
         SimOptions::build_memory_limit",
        *bytes as f64 / 1e9,
        *limit as f64 / 1e9
    )]
    TooBig {
        /// The connection or probe, as in the plan (`a -> b`, `probe out`).
        what: String,
        /// What the bytes are (`activities 100000 x 50000 and Gram 50000 x 50000`).
        detail: String,
        /// Bytes needed (saturated at `u64::MAX`).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A check that cannot fail for a network the rules accepted failed (a netdsl bug).
    #[error("{what}: internal error (a netdsl bug): {message}")]
    Internal {
        /// The op or element concerned.
        what: String,
        /// What is wrong.
        message: String,
    },
}

impl BuildError {
    /// The rule violations, when this is [`BuildError::Rules`] (else empty).
    pub fn violations(&self) -> &[RuleViolation] {
        match self {
            BuildError::Rules { violations, .. } => violations,
            _ => &[],
        }
    }
}

fn rules_text(network: &str, violations: &[RuleViolation]) -> String {
    match violations {
        [one] => format!("network `{network}`: {}", one.message),
        many => {
            let mut s = format!("network `{network}` breaks {} rules:", many.len());
            for v in many {
                s.push_str("\n  - ");
                s.push_str(&v.message);
            }
            s
        }
    }
}

/// Why a run stopped. Probes keep everything recorded before the failing step.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("step {step} (t = {t:.6} s), op `{op}`: {message}")]
#[non_exhaustive]
pub struct SimError {
    /// The step (1-based, as `t = step · dt`) during which the op failed.
    pub step: u64,
    /// Simulated time of that step.
    pub t: f64,
    /// The op's index in the plan; `None` for work done between steps (a streamed probe's
    /// flush, a periodic checkpoint: `op` then says which).
    pub op_index: Option<usize>,
    /// The op, as in the plan text (`node memristor_plus`).
    pub op: String,
    /// What went wrong.
    pub message: String,
}
