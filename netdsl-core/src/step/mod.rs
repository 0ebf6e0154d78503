//! Stepping a built network: the signal store, the executable ops, the SIMD kernels they share
//! and the executor that runs a step's ops on one thread or several.
pub(crate) mod kernels;
pub(crate) mod ops;
pub(crate) mod signals;
pub(crate) mod workers;
