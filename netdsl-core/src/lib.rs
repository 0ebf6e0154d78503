//! netdsl's runtime core: one signal store laid out by a static plan, the ops that step it with
//! Nengo 4.1's semantics, the NEF build (gains, biases, encoders, decoders), learning rules,
//! memristive devices, probes and export.
//!
//! Users normally reach this crate through the `netdsl` facade and its `network!` macro.
//!
//! - [`sim`]: the [`Simulator`](sim::Simulator) (build, run, reset, queries), its
//!   [`SimOptions`](sim::SimOptions) (threads) and the build results
//!   ([`EnsembleData`](sim::EnsembleData), [`ConnData`](sim::ConnData), [`Weights`](sim::Weights));
//! - [`network`]: the builder API a `network!` block expands into;
//! - [`models`]: neuron types, synapses, learning rules, memristive devices, processes;
//! - [`nef`]: distributions, evaluation points, encoders, decoder solvers, linear algebra, RNG;
//! - [`io`]: probe records, `.npy`, CSV, SVG plots, DOT drawings, progress;
//! - [`error`]: build and run errors; [`plan`]: the step plan (`netdsl-plan`).
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
