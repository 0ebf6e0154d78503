//! netdsl's runtime core: one signal store laid out by a static plan, the ops that step it with
//! Nengo 4.1's semantics, the NEF build (gains, biases, encoders, decoders), learning rules,
//! memristive devices, probes and export.
//!
//! Users normally reach this crate through the `netdsl` facade and its `network!` macro.
#![warn(missing_docs)]

pub mod dists;
pub mod error;
pub mod export;
pub mod learning;
pub mod linalg;
pub mod memristor;
pub mod nef;
pub mod network;
pub mod neurons;
pub mod ops;
pub mod probe;
pub mod processes;
pub mod rng;
pub mod signals;
pub mod sim;
pub mod synapses;
mod workers;

pub use netdsl_plan as plan;
