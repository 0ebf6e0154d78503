//! Every `netdsl::core` path the mPES runners use, in one place (a rename of the core's modules
//! only touches this file).

pub use netdsl::core::export::svg::{Axes, Figure, LineSeries};
pub use netdsl::core::memristor::{set_parallel_pulses, Device, Variability};
pub use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, LearningRule, Network, NodeOutput, ProbeOf,
    ProbeSpec, Transform,
};
pub use netdsl::core::plan::ProbeAttr;
pub use netdsl::core::processes::{Sines, WhiteSignal};
pub use netdsl::core::rng::Rng;
pub use netdsl::core::sim::Simulator;
pub use netdsl::core::synapses::Synapse;
