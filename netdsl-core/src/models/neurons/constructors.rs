//! The neuron types with Nengo 4.1's default parameters (`nengo.LIF()`, `nengo.Izhikevich()`, …)
//! and Izhikevich's named presets.

use super::{IzhikevichPreset, NeuronType};

impl NeuronType {
    /// `LIF()` with Nengo's defaults: tau_rc 0.02, tau_ref 0.002, min_voltage 0, amplitude 1.
    pub fn lif() -> NeuronType {
        NeuronType::Lif {
            tau_rc: 0.02,
            tau_ref: 0.002,
            min_voltage: 0.0,
            amplitude: 1.0,
        }
    }

    /// `LIFRate()` with Nengo's defaults: tau_rc 0.02, tau_ref 0.002, amplitude 1.
    pub fn lif_rate() -> NeuronType {
        NeuronType::LifRate {
            tau_rc: 0.02,
            tau_ref: 0.002,
            amplitude: 1.0,
        }
    }

    /// `RectifiedLinear()` (amplitude 1).
    pub fn rectified_linear() -> NeuronType {
        NeuronType::RectifiedLinear { amplitude: 1.0 }
    }

    /// `SpikingRectifiedLinear()` (amplitude 1).
    pub fn spiking_rectified_linear() -> NeuronType {
        NeuronType::SpikingRectifiedLinear { amplitude: 1.0 }
    }

    /// `Direct()`.
    pub fn direct() -> NeuronType {
        NeuronType::Direct
    }

    /// `AdaptiveLIF()` with Nengo's defaults: tau_n 1, inc_n 0.01, tau_rc 0.02, tau_ref 0.002,
    /// min_voltage 0, amplitude 1.
    pub fn adaptive_lif() -> NeuronType {
        NeuronType::AdaptiveLif {
            tau_n: 1.0,
            inc_n: 0.01,
            tau_rc: 0.02,
            tau_ref: 0.002,
            min_voltage: 0.0,
            amplitude: 1.0,
        }
    }

    /// `AdaptiveLIFRate()` with Nengo's defaults: tau_n 1, inc_n 0.01, tau_rc 0.02,
    /// tau_ref 0.002, amplitude 1.
    pub fn adaptive_lif_rate() -> NeuronType {
        NeuronType::AdaptiveLifRate {
            tau_n: 1.0,
            inc_n: 0.01,
            tau_rc: 0.02,
            tau_ref: 0.002,
            amplitude: 1.0,
        }
    }

    /// `Izhikevich()` with Nengo's defaults (regular spiking): tau_recovery 0.02, coupling 0.2,
    /// reset_voltage -65, reset_recovery 8.
    pub fn izhikevich() -> NeuronType {
        NeuronType::izhikevich_preset(IzhikevichPreset::RegularSpiking)
    }

    /// `Izhikevich(...)` with one of the parameter sets Nengo's docstring names.
    pub fn izhikevich_preset(preset: IzhikevichPreset) -> NeuronType {
        let (tau_recovery, coupling, reset_voltage, reset_recovery) = match preset {
            IzhikevichPreset::RegularSpiking => (0.02, 0.2, -65.0, 8.0),
            IzhikevichPreset::IntrinsicallyBursting => (0.02, 0.2, -55.0, 4.0),
            IzhikevichPreset::Chattering => (0.02, 0.2, -50.0, 2.0),
            IzhikevichPreset::FastSpiking => (0.1, 0.2, -65.0, 8.0),
            IzhikevichPreset::LowThresholdSpiking => (0.02, 0.25, -65.0, 8.0),
            IzhikevichPreset::Resonator => (0.1, 0.26, -65.0, 8.0),
        };
        NeuronType::Izhikevich {
            tau_recovery,
            coupling,
            reset_voltage,
            reset_recovery,
        }
    }

    /// `Sigmoid()` (tau_ref 0.0025).
    pub fn sigmoid() -> NeuronType {
        NeuronType::Sigmoid { tau_ref: 0.0025 }
    }

    /// `Tanh()` (tau_ref 0.0025).
    pub fn tanh() -> NeuronType {
        NeuronType::Tanh { tau_ref: 0.0025 }
    }

    /// `RegularSpiking(base)` (amplitude 1).
    pub fn regular_spiking(base: NeuronType) -> NeuronType {
        NeuronType::RegularSpiking {
            base: Box::new(base),
            amplitude: 1.0,
        }
    }

    /// `StochasticSpiking(base)` (amplitude 1).
    pub fn stochastic_spiking(base: NeuronType) -> NeuronType {
        NeuronType::StochasticSpiking {
            base: Box::new(base),
            amplitude: 1.0,
        }
    }

    /// `PoissonSpiking(base)` (amplitude 1).
    pub fn poisson_spiking(base: NeuronType) -> NeuronType {
        NeuronType::PoissonSpiking {
            base: Box::new(base),
            amplitude: 1.0,
        }
    }
}
