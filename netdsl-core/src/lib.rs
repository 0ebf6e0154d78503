//! netdsl's runtime core: one signal store laid out by a static plan, the ops that step it with
//! Nengo 4.1's semantics, the NEF build (gains, biases, encoders, decoders), learning rules,
//! memristive devices, probes and export.
//!
//! Users normally reach this crate through the `netdsl` facade and its `network!` macro.
#![warn(missing_docs)]

pub(crate) mod build;
pub mod error;
pub mod io;
pub mod models;
pub mod nef;
pub mod network;
pub mod sim;
pub(crate) mod step;
pub(crate) mod threads;

pub use ndarray;
pub use netdsl_plan as plan;
