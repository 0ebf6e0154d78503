//! Every `netdsl::core` path the mPES runners use, in one place (a rename of the core's modules
//! only touches this file).

pub use netdsl::core::io::svg::{Axes, Figure, LineSeries};
pub use netdsl::core::models::learning::LearningRule;
pub use netdsl::core::models::memristor::{Device, Variability};
pub use netdsl::core::models::processes::{Sines, WhiteSignal};
pub use netdsl::core::models::synapses::Synapse;
pub use netdsl::core::nef::rng::Rng;
pub use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, Network, NodeOutput, ProbeOf, ProbeSpec,
    Transform,
};
pub use netdsl::core::plan::ProbeAttr;
pub use netdsl::core::sim::{SimOptions, Simulator};
