//! netdsl: spiking neural networks written as a checked Rust macro, stepped with Nengo 4.1's
//! numbers. (User guide: work in progress.)
#![warn(missing_docs)]

pub use netdsl_core as core;
pub use netdsl_core::plan::Plan;
pub use netdsl_macros::network;

/// Everything a network file needs: `use netdsl::prelude::*;`.
pub mod prelude {
    pub use netdsl_core::dists::{Dist, VecDist};
    pub use netdsl_core::network::{LearningRule, LstsqL2, Network, Transform};
    pub use netdsl_core::neurons::NeuronType;
    pub use netdsl_core::plan::Plan;
    pub use netdsl_core::synapses::Synapse;
    pub use netdsl_core::sim::Simulator;
    pub use netdsl_macros::network;
}

/// Items the `network!` expansion names by absolute path. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use netdsl_core::*;
    pub use std::any::Any;
    pub use std::borrow::Cow;
}
