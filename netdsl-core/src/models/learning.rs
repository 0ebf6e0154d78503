//! Learning rules: what a connection's [`LearningRule`] asks of the build and the step (PES
//! updates the weights from the error and the filtered pre activities; mPES pulses the
//! memristive devices that make up the weights, see [`crate::models::memristor`]).

use crate::models::memristor::{Device, Variability};
use crate::models::synapses::Synapse;

/// A learning rule on a connection.
#[derive(Clone, Debug, PartialEq)]
pub enum LearningRule {
    /// Nengo's PES: `Δω = -κ dt / n_pre · e ⊗ a`.
    Pes {
        /// κ (default 1e-4).
        learning_rate: f64,
        /// Filter of the pre activities (default `Lowpass(0.005)`).
        pre_synapse: Option<Synapse>,
    },
    /// The memristive mPES rule on a `pre.neurons -> post.neurons` connection whose weights are
    /// `gain · (g⁺ − g⁻)` of differential device pairs.
    Mpes {
        /// γ, conductance to weight (default 1e3; the Frontiers experiments used 1e4).
        gain: f64,
        /// The error gate (default 1e-5).
        threshold: f64,
        /// Filter of the pre activities (default `Lowpass(0.005)`).
        pre_synapse: Option<Synapse>,
        /// Device model (default Nb:SrTiO3 power law).
        model: Device,
        /// Device-to-device variability (default none).
        variability: Variability,
        /// Seed of the devices (default: drawn from the network seed).
        seed: Option<u64>,
    },
}

impl LearningRule {
    /// PES with Nengo's defaults.
    pub fn pes() -> Self {
        LearningRule::Pes {
            learning_rate: 1e-4,
            pre_synapse: Some(Synapse::Lowpass(0.005)),
        }
    }

    /// mPES with the library defaults.
    pub fn mpes() -> Self {
        LearningRule::Mpes {
            gain: 1e3,
            threshold: 1e-5,
            pre_synapse: Some(Synapse::Lowpass(0.005)),
            model: Device::default(),
            variability: Variability::default(),
            seed: None,
        }
    }
}
