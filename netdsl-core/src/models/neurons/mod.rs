//! Neuron models with Nengo 4.1's equations (`nengo/neurons.py`): rate curves, the
//! gain/bias solution for given maximum rates and intercepts, and the per-step update.
//!
//! The per-step update is done by a [`NeuronStepper`], built once per population and time step so
//! that constants (such as the membrane decay factor of a full, non-refractory step) are computed
//! once. It gives bit-identical results to evaluating Nengo's expressions neuron by neuron.

use crate::nef::dists::Dist;

mod lif;
mod lif_simd;
mod stepper;
#[cfg(test)]
mod tests;

pub use stepper::NeuronStepper;

/// A neuron model and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronType {
    /// Spiking leaky integrate-and-fire neuron (Nengo's `LIF`).
    Lif {
        /// Membrane RC time constant (s).
        tau_rc: f64,
        /// Absolute refractory period (s).
        tau_ref: f64,
        /// Lower bound of the membrane voltage.
        min_voltage: f64,
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
    /// Rate (non-spiking) LIF neuron (Nengo's `LIFRate`).
    LifRate {
        /// Membrane RC time constant (s).
        tau_rc: f64,
        /// Absolute refractory period (s).
        tau_ref: f64,
        /// Output scale.
        amplitude: f64,
    },
    /// Rectified linear rate neuron (Nengo's `RectifiedLinear`).
    RectifiedLinear {
        /// Output scale.
        amplitude: f64,
    },
    /// Spiking rectified linear (integrate-and-fire without leak) neuron.
    SpikingRectifiedLinear {
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
    /// No neurons: the ensemble computes its functions exactly (Nengo's `Direct`).
    Direct,
}

/// Errors from [`NeuronType::gain_bias`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NeuronError {
    /// A requested maximum rate is not below `1 / tau_ref` (Nengo's `ValidationError`).
    #[error(
        "max rate {max_rate} of neuron {index} must be below the inverse refractory period \
         ({limit:.3})"
    )]
    MaxRateTooHigh {
        /// Index of the offending neuron.
        index: usize,
        /// The requested rate (Hz).
        max_rate: f64,
        /// The limit `1 / tau_ref` (Hz).
        limit: f64,
    },
    /// The resulting gain is not finite or not positive, usually because an intercept is ≥ 1
    /// (Nengo's `BuildError`).
    #[error(
        "the intercepts lead to a negative or non-finite gain ({gain}) for neuron {index}; \
         reduce the largest intercept below 1"
    )]
    BadGain {
        /// Index of the offending neuron.
        index: usize,
        /// The gain that came out.
        gain: f64,
    },
    /// `max_rates` and `intercepts` have different lengths.
    #[error("got {max_rates} max rates but {intercepts} intercepts; they must match")]
    LengthMismatch {
        /// Number of max rates.
        max_rates: usize,
        /// Number of intercepts.
        intercepts: usize,
    },
    /// Direct mode has no neurons, hence no gain or bias.
    #[error("Direct mode has no gain or bias")]
    DirectMode,
}

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

    /// Whether the output is spikes (`amplitude / dt` impulses) rather than rates.
    pub fn is_spiking(&self) -> bool {
        matches!(
            self,
            NeuronType::Lif { .. } | NeuronType::SpikingRectifiedLinear { .. }
        )
    }

    /// Whether the model carries state between steps (a voltage, and for LIF a refractory time).
    pub fn has_state(&self) -> bool {
        self.is_spiking()
    }

    /// Whether the model has a refractory-time state (LIF only).
    pub fn has_refractory(&self) -> bool {
        matches!(self, NeuronType::Lif { .. })
    }

    /// Nengo's default initial voltage distribution, `Uniform(0, 1)`, for models with a voltage.
    /// The refractory time (LIF) starts at 0.
    pub fn default_initial_voltage(&self) -> Option<Dist> {
        if self.has_state() {
            Some(Dist::Uniform {
                low: 0.0,
                high: 1.0,
            })
        } else {
            None
        }
    }

    /// The rate-model output for each input current `j` (Nengo's `rates` with `gain = 1`,
    /// `bias = 0`, i.e. the rate step with dt = 1): LIF types use the LIF rate curve, rectified
    /// linear types `amplitude * max(J, 0)`, and Direct passes `j` through.
    ///
    /// # Panics
    /// If `j` and `out` differ in length.
    pub fn rates(&self, j: &[f64], out: &mut [f64]) {
        assert_eq!(j.len(), out.len(), "rates: input and output lengths differ");
        match *self {
            NeuronType::Lif {
                tau_rc,
                tau_ref,
                amplitude,
                ..
            }
            | NeuronType::LifRate {
                tau_rc,
                tau_ref,
                amplitude,
            } => lif_rates(tau_rc, tau_ref, amplitude, j, out),
            NeuronType::RectifiedLinear { amplitude }
            | NeuronType::SpikingRectifiedLinear { amplitude } => relu(amplitude, j, out),
            NeuronType::Direct => out.copy_from_slice(j),
        }
    }

    /// Gains and biases that give each neuron the maximum rate `max_rates[i]` (at x = 1) and the
    /// intercept `intercepts[i]` (where it starts firing), with Nengo's formulas and checks.
    pub fn gain_bias(
        &self,
        max_rates: &[f64],
        intercepts: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>), NeuronError> {
        if max_rates.len() != intercepts.len() {
            return Err(NeuronError::LengthMismatch {
                max_rates: max_rates.len(),
                intercepts: intercepts.len(),
            });
        }
        let (gain, bias): (Vec<f64>, Vec<f64>) = match *self {
            NeuronType::Lif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::LifRate {
                tau_rc, tau_ref, ..
            } => {
                let limit = if tau_ref > 0.0 {
                    1.0 / tau_ref
                } else {
                    f64::INFINITY
                };
                if let Some((index, &max_rate)) = max_rates
                    .iter()
                    .enumerate()
                    .find(|(_, &r)| r.partial_cmp(&limit) != Some(std::cmp::Ordering::Less))
                {
                    return Err(NeuronError::MaxRateTooHigh {
                        index,
                        max_rate,
                        limit,
                    });
                }
                max_rates
                    .iter()
                    .zip(intercepts)
                    .map(|(&mr, &ic)| {
                        // Current that gives rate `mr` (inverse of the LIF rate curve).
                        let x = 1.0 / (1.0 - ((tau_ref - 1.0 / mr) / tau_rc).exp());
                        let gain = (1.0 - x) / (ic - 1.0);
                        (gain, 1.0 - gain * ic)
                    })
                    .unzip()
            }
            NeuronType::RectifiedLinear { .. } | NeuronType::SpikingRectifiedLinear { .. } => {
                max_rates
                    .iter()
                    .zip(intercepts)
                    .map(|(&mr, &ic)| {
                        let gain = mr / (1.0 - ic);
                        (gain, -ic * gain)
                    })
                    .unzip()
            }
            NeuronType::Direct => return Err(NeuronError::DirectMode),
        };
        if let Some((index, &g)) = gain
            .iter()
            .enumerate()
            .find(|(_, &g)| !g.is_finite() || g <= 0.0)
        {
            return Err(NeuronError::BadGain { index, gain: g });
        }
        Ok((gain, bias))
    }

    /// The maximum rates and intercepts implied by gains and biases (inverse of
    /// [`NeuronType::gain_bias`], for information). Direct gives empty vectors.
    pub fn max_rates_intercepts(&self, gain: &[f64], bias: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match *self {
            NeuronType::Lif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::LifRate {
                tau_rc, tau_ref, ..
            } => gain
                .iter()
                .zip(bias)
                .map(|(&g, &b)| {
                    let ic = (1.0 - b) / g;
                    let mr = 1.0 / (tau_ref - tau_rc * (1.0 / (g * (ic - 1.0) - 1.0)).ln_1p());
                    (mr, ic)
                })
                .unzip(),
            NeuronType::RectifiedLinear { .. } | NeuronType::SpikingRectifiedLinear { .. } => gain
                .iter()
                .zip(bias)
                .map(|(&g, &b)| {
                    let ic = -b / g;
                    (g * (1.0 - ic), ic)
                })
                .unzip(),
            NeuronType::Direct => (Vec::new(), Vec::new()),
        }
    }

    /// One simulation step for a population (see [`NeuronStepper::step`]). Builds a stepper on
    /// each call; keep a [`NeuronStepper`] to step repeatedly.
    pub fn step(
        &self,
        dt: f64,
        j: &[f64],
        out: &mut [f64],
        voltage: &mut [f64],
        refractory: &mut [f64],
    ) {
        NeuronStepper::new(self, dt).step(j, out, voltage, refractory);
    }
}

/// LIF rate curve: `amplitude / (tau_ref + tau_rc * log1p(1 / (J - 1)))` for J > 1, else 0.
pub(super) fn lif_rates(tau_rc: f64, tau_ref: f64, amplitude: f64, j: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if lif_simd::available() {
        // SAFETY: `available()` implies AVX2 and FMA and a library that rounds as the vector
        // `log1p` does.
        unsafe { lif_simd::lif_rates(tau_rc, tau_ref, amplitude, j, out) };
        return;
    }
    for (o, &jv) in out.iter_mut().zip(j) {
        let jm1 = jv - 1.0;
        *o = if jm1 > 0.0 {
            amplitude / (tau_ref + tau_rc * (1.0 / jm1).ln_1p())
        } else {
            0.0
        };
    }
}

/// `amplitude * max(0, J)` (NaN propagates, like NumPy's `maximum`).
pub(super) fn relu(amplitude: f64, j: &[f64], out: &mut [f64]) {
    for (o, &jv) in out.iter_mut().zip(j) {
        *o = amplitude * if jv < 0.0 { 0.0 } else { jv };
    }
}
