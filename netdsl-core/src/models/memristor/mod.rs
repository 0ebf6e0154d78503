//! Memristive synapses: device models and vectorised arrays of differential pairs, stepped by
//! the mPES rule.
//!
//! A memristive connection `pre.neurons → post.neurons` holds, for every synapse `(j, i)`
//! (post `j`, pre `i`), a *differential pair* of devices with resistances `R⁺_ji`, `R⁻_ji`. Its
//! weight is `w_ji = γ · (g(R⁺_ji) − g(R⁻_ji))`, with `g` the device's normalised conductance and
//! `γ` the array's gain. The runtime steps such a connection in two stages:
//!
//! * the **filter stage** ([`MemristorArray::filter_into`]): `out = W · a` with the current
//!   weights (the caller multiplies by the post gain when injecting into `post.neurons`);
//! * the **pulse stage** ([`MemristorArray::mpes_step`]): once the step's error is known, the
//!   mPES rule decides, for every device, whether it receives one SET pulse, then refreshes the
//!   pulsed weights.
//!
//! Device physics live behind the [`DeviceModel`] trait. Two models are provided: the Nb:SrTiO3
//! power law of Tiotto et al. ([`PowerLaw`]) and a bounded linear-conductance toy model
//! ([`LinearConductance`]). [`Device`] dispatches between them at run time so that the runtime
//! can hold one non-generic `MemristorArray<Device>`.
//!
//! Storage is flat: `R⁺`, `R⁻`, the per-device parameters and the weights are each one
//! row-major `n_post × n_pre` vector; there is no object per synapse, and [`mpes_step`] does not
//! allocate.
//!
//! [`mpes_step`]: MemristorArray::mpes_step

mod array;
mod device;
mod mpes;
mod pow;
#[cfg(test)]
mod tests;

pub use array::MemristorArray;
pub use device::{
    Device, DeviceModel, DeviceParams, LinearConductance, LinearParams, PowerLaw, PowerLawParams,
    Variability,
};

/// The mPES gate: the rule does nothing in a step where no local error exceeds this in
/// magnitude.
pub const MPES_ERROR_THRESHOLD: f64 = 1e-5;
