//! Errors: building a network and running it.

use std::fmt;

/// Why a network could not be built.
#[derive(Clone, Debug, PartialEq)]
pub enum BuildError {
    /// Sizes of a connection's ends (after slices, function and transform) disagree.
    Size {
        /// The connection.
        conn: String,
        /// What is wrong, with both sizes.
        message: String,
    },
    /// A name that does not exist, or an end that cannot be used there.
    Invalid {
        /// The element concerned.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A synapse-free cycle.
    Cycle(String),
    /// Neuron parameters that give no valid gain and bias.
    Neurons {
        /// The ensemble.
        ensemble: String,
        /// What is wrong.
        message: String,
    },
    /// The decoder solve failed.
    Solve {
        /// The connection or probe.
        conn: String,
        /// What is wrong.
        message: String,
    },
    /// The plan computed at compile time differs from the runtime's (a netdsl bug).
    PlanMismatch(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Size { conn, message } => write!(f, "connection `{conn}`: {message}"),
            BuildError::Invalid { what, message } => write!(f, "{what}: {message}"),
            BuildError::Cycle(m) => write!(f, "{m}"),
            BuildError::Neurons { ensemble, message } => {
                write!(f, "ensemble `{ensemble}`: {message}")
            }
            BuildError::Solve { conn, message } => write!(f, "decoders of `{conn}`: {message}"),
            BuildError::PlanMismatch(m) => write!(
                f,
                "the compile-time plan differs from the runtime plan (a netdsl bug): {m}"
            ),
        }
    }
}

impl std::error::Error for BuildError {}

/// Why a run stopped. Probes keep everything recorded before the failing step.
#[derive(Clone, Debug, PartialEq)]
pub struct SimError {
    /// The step (1-based, as `t = step · dt`) during which the op failed.
    pub step: u64,
    /// Simulated time of that step.
    pub t: f64,
    /// The op, as in the plan text (`node memristor_plus`).
    pub op: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "step {} (t = {:.6} s), op `{}`: {}",
            self.step, self.t, self.op, self.message
        )
    }
}

impl std::error::Error for SimError {}
