//! Neuron models with Nengo 4.1's equations (`nengo/neurons.py`): rate curves, the
//! gain/bias solution for given maximum rates and intercepts, and the per-step update.
//!
//! The per-step update is done by a [`NeuronStepper`], built once per population and time step so
//! that constants (such as the membrane decay factor of a full, non-refractory step) are computed
//! once. It gives bit-identical results to evaluating Nengo's expressions neuron by neuron.

use crate::nef::dists::Dist;

mod adaptive;
mod constructors;
mod izhikevich;
mod lif;
mod lif_simd;
mod numeric;
mod rates_to_spikes;
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
    /// Spiking LIF neuron with an adaptation current (Nengo's `AdaptiveLIF`): the adaptation
    /// state `n` is subtracted from the input and follows `tau_n dn/dt = -n`, jumping by
    /// `inc_n` at each spike.
    AdaptiveLif {
        /// Adaptation time constant (s), > 0.
        tau_n: f64,
        /// Adaptation increment per spike, >= 0.
        inc_n: f64,
        /// Membrane RC time constant (s).
        tau_rc: f64,
        /// Absolute refractory period (s).
        tau_ref: f64,
        /// Lower bound of the membrane voltage.
        min_voltage: f64,
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
    /// Rate LIF neuron with an adaptation state (Nengo's `AdaptiveLIFRate`).
    AdaptiveLifRate {
        /// Adaptation time constant (s), > 0.
        tau_n: f64,
        /// Adaptation increment (scaled by the rate), >= 0.
        inc_n: f64,
        /// Membrane RC time constant (s).
        tau_rc: f64,
        /// Absolute refractory period (s).
        tau_ref: f64,
        /// Output scale.
        amplitude: f64,
    },
    /// Izhikevich's simple spiking model (Nengo's `Izhikevich`; defaults: regular spiking). The
    /// presets are [`NeuronType::izhikevich_preset`].
    Izhikevich {
        /// Time scale of the recovery variable (Izhikevich's `a`), > 0.
        tau_recovery: f64,
        /// Sensitivity of the recovery to the voltage (`b`), >= 0.
        coupling: f64,
        /// Voltage after a spike, mV (`c`).
        reset_voltage: f64,
        /// Recovery increment after a spike (`d`).
        reset_recovery: f64,
    },
    /// Rate neuron with a logistic response `(1 / tau_ref) / (1 + exp(-J))` (Nengo's `Sigmoid`).
    Sigmoid {
        /// Sets the maximum rate `1 / tau_ref` (s), > 0.
        tau_ref: f64,
    },
    /// Rate neuron with response `(1 / tau_ref) tanh(J)` (Nengo's `Tanh`); can be negative.
    Tanh {
        /// Sets the maximum rate `1 / tau_ref` (s), > 0.
        tau_ref: f64,
    },
    /// Spikes at regular intervals at the rate of a base rate type (Nengo's `RegularSpiking`).
    RegularSpiking {
        /// The rate type whose output rates are turned into spikes.
        base: Box<NeuronType>,
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
    /// Spikes by stochastic rounding of `dt · rate` of a base type (Nengo's
    /// `StochasticSpiking`). netdsl draws from its own generator, not NumPy's: the spike trains
    /// have Nengo's statistics, not its exact spikes.
    StochasticSpiking {
        /// The rate type whose output rates are turned into spikes.
        base: Box<NeuronType>,
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
    /// Poisson spike counts with mean `dt · rate` of a base type (Nengo's `PoissonSpiking`).
    /// netdsl draws from its own generator, not NumPy's: the spike trains have Nengo's
    /// statistics, not its exact spikes.
    PoissonSpiking {
        /// The rate type whose output rates are turned into spikes.
        base: Box<NeuronType>,
        /// Spike amplitude scale (a spike is `amplitude / dt`).
        amplitude: f64,
    },
}

/// Nengo's named Izhikevich parameter sets (`nengo.Izhikevich` docstring).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IzhikevichPreset {
    /// Regular spiking (RS): the defaults.
    RegularSpiking,
    /// Intrinsically bursting (IB): `reset_voltage = -55`, `reset_recovery = 4`.
    IntrinsicallyBursting,
    /// Chattering (CH): `reset_voltage = -50`, `reset_recovery = 2`.
    Chattering,
    /// Fast spiking (FS): `tau_recovery = 0.1`.
    FastSpiking,
    /// Low-threshold spiking (LTS): `coupling = 0.25`.
    LowThresholdSpiking,
    /// Resonator (RZ): `tau_recovery = 0.1`, `coupling = 0.26`.
    Resonator,
}

/// The state variables a neuron type can have, by Nengo's names.
pub const STATE_NAMES: [&str; 4] = ["voltage", "refractory_time", "adaptation", "recovery"];

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
    /// A parameter or combination Nengo rejects (its `ValidationError`), with Nengo's text.
    #[error("{0}")]
    Invalid(String),
}

impl NeuronType {
    /// Nengo's class name (`LIF`, `AdaptiveLIFRate`, `RegularSpiking`, …).
    pub fn name(&self) -> &'static str {
        match self {
            NeuronType::Lif { .. } => "LIF",
            NeuronType::LifRate { .. } => "LIFRate",
            NeuronType::RectifiedLinear { .. } => "RectifiedLinear",
            NeuronType::SpikingRectifiedLinear { .. } => "SpikingRectifiedLinear",
            NeuronType::Direct => "Direct",
            NeuronType::AdaptiveLif { .. } => "AdaptiveLIF",
            NeuronType::AdaptiveLifRate { .. } => "AdaptiveLIFRate",
            NeuronType::Izhikevich { .. } => "Izhikevich",
            NeuronType::Sigmoid { .. } => "Sigmoid",
            NeuronType::Tanh { .. } => "Tanh",
            NeuronType::RegularSpiking { .. } => "RegularSpiking",
            NeuronType::StochasticSpiking { .. } => "StochasticSpiking",
            NeuronType::PoissonSpiking { .. } => "PoissonSpiking",
        }
    }

    /// The base type of `RegularSpiking`, `StochasticSpiking` and `PoissonSpiking`.
    pub fn base(&self) -> Option<&NeuronType> {
        match self {
            NeuronType::RegularSpiking { base, .. }
            | NeuronType::StochasticSpiking { base, .. }
            | NeuronType::PoissonSpiking { base, .. } => Some(base),
            _ => None,
        }
    }

    /// The plan's class of this type (which state signals a population has).
    pub fn class(&self) -> crate::plan::NeuronClass {
        use crate::plan::{NeuronClass, NeuronStates};
        match self {
            NeuronType::Lif { .. } => NeuronClass::Lif,
            NeuronType::SpikingRectifiedLinear { .. } => NeuronClass::SpikingRectifiedLinear,
            NeuronType::Direct => NeuronClass::Direct,
            NeuronType::AdaptiveLif { .. } => NeuronClass::AdaptiveLif,
            NeuronType::AdaptiveLifRate { .. } => NeuronClass::AdaptiveLifRate,
            NeuronType::Izhikevich { .. } => NeuronClass::Izhikevich,
            NeuronType::LifRate { .. }
            | NeuronType::RectifiedLinear { .. }
            | NeuronType::Sigmoid { .. }
            | NeuronType::Tanh { .. } => NeuronClass::Rate,
            NeuronType::RegularSpiking { .. }
            | NeuronType::StochasticSpiking { .. }
            | NeuronType::PoissonSpiking { .. } => NeuronClass::RatesToSpikes(NeuronStates {
                voltage: self.has("voltage"),
                refractory: self.has("refractory_time"),
                adaptation: self.has("adaptation"),
                recovery: self.has("recovery"),
                rate_out: true,
            }),
        }
    }

    /// Whether the output is spikes (`amplitude / dt` impulses) rather than rates.
    pub fn is_spiking(&self) -> bool {
        matches!(
            self,
            NeuronType::Lif { .. }
                | NeuronType::SpikingRectifiedLinear { .. }
                | NeuronType::AdaptiveLif { .. }
                | NeuronType::Izhikevich { .. }
                | NeuronType::RegularSpiking { .. }
                | NeuronType::StochasticSpiking { .. }
                | NeuronType::PoissonSpiking { .. }
        )
    }

    /// The type's own state variables, by Nengo's names (`NeuronType.state`), in Nengo's order.
    fn own_state(&self) -> &'static [&'static str] {
        match self {
            NeuronType::Lif { .. } => &["voltage", "refractory_time"],
            NeuronType::SpikingRectifiedLinear { .. } | NeuronType::RegularSpiking { .. } => {
                &["voltage"]
            }
            NeuronType::AdaptiveLif { .. } => &["voltage", "refractory_time", "adaptation"],
            NeuronType::AdaptiveLifRate { .. } => &["adaptation"],
            NeuronType::Izhikevich { .. } => &["voltage", "recovery"],
            _ => &[],
        }
    }

    /// Every state variable of a population of this type (for the rates-to-spikes types, their
    /// own and then the base type's), by Nengo's names: what `initial_state` may set and what
    /// can be probed besides `output` (and `rate_out` for the rates-to-spikes types).
    pub fn state_names(&self) -> Vec<&'static str> {
        let mut v = self.own_state().to_vec();
        if let Some(b) = self.base() {
            v.extend_from_slice(b.own_state());
        }
        v
    }

    /// Whether a population has the state variable `name` (Nengo's name).
    pub fn has(&self, name: &str) -> bool {
        self.own_state().contains(&name) || self.base().is_some_and(|b| b.has(name))
    }

    /// Whether the model carries state between steps (a voltage, and for LIF a refractory time).
    pub fn has_state(&self) -> bool {
        !self.state_names().is_empty()
    }

    /// Whether the model has a refractory-time state (LIF, AdaptiveLIF, or such a base).
    pub fn has_refractory(&self) -> bool {
        self.has("refractory_time")
    }

    /// Nengo's default initial voltage distribution, `Uniform(0, 1)`, for models with a voltage.
    /// The other state variables (refractory time, adaptation, recovery) start at 0.
    pub fn default_initial_voltage(&self) -> Option<Dist> {
        if self.has("voltage") {
            Some(Dist::Uniform {
                low: 0.0,
                high: 1.0,
            })
        } else {
            None
        }
    }

    /// Nengo's parameter checks (`NumberParam` ranges) and the rates-to-spikes rules: a base
    /// whose state overlaps the wrapper's is Nengo's `ValidationError`; a `Direct` base or a
    /// rates-to-spikes base is refused (Nengo fails on them at build or step time).
    pub fn check(&self) -> Result<(), NeuronError> {
        let bad = |attr: &str, what: &str, v: f64| {
            Err(NeuronError::Invalid(format!(
                "{}.{attr}: Value must be {what} (got {v})",
                self.name()
            )))
        };
        let pos = |attr: &str, v: f64| {
            if v > 0.0 {
                Ok(())
            } else {
                bad(attr, "greater than 0", v)
            }
        };
        let nonneg = |attr: &str, v: f64| {
            if v >= 0.0 {
                Ok(())
            } else {
                bad(attr, "greater than or equal to 0", v)
            }
        };
        match self {
            NeuronType::Lif {
                tau_rc,
                tau_ref,
                min_voltage,
                amplitude,
            }
            | NeuronType::AdaptiveLif {
                tau_rc,
                tau_ref,
                min_voltage,
                amplitude,
                ..
            } => {
                pos("tau_rc", *tau_rc)?;
                nonneg("tau_ref", *tau_ref)?;
                pos("amplitude", *amplitude)?;
                if min_voltage.is_nan() || *min_voltage > 0.0 {
                    return bad("min_voltage", "less than or equal to 0", *min_voltage);
                }
            }
            NeuronType::LifRate {
                tau_rc,
                tau_ref,
                amplitude,
            }
            | NeuronType::AdaptiveLifRate {
                tau_rc,
                tau_ref,
                amplitude,
                ..
            } => {
                pos("tau_rc", *tau_rc)?;
                nonneg("tau_ref", *tau_ref)?;
                pos("amplitude", *amplitude)?;
            }
            NeuronType::RectifiedLinear { amplitude }
            | NeuronType::SpikingRectifiedLinear { amplitude } => pos("amplitude", *amplitude)?,
            NeuronType::Direct => {}
            NeuronType::Izhikevich {
                tau_recovery,
                coupling,
                reset_voltage,
                reset_recovery,
            } => {
                pos("tau_recovery", *tau_recovery)?;
                nonneg("coupling", *coupling)?;
                if !reset_voltage.is_finite() {
                    return bad("reset_voltage", "finite", *reset_voltage);
                }
                if !reset_recovery.is_finite() {
                    return bad("reset_recovery", "finite", *reset_recovery);
                }
            }
            NeuronType::Sigmoid { tau_ref } | NeuronType::Tanh { tau_ref } => {
                pos("tau_ref", *tau_ref)?
            }
            NeuronType::RegularSpiking { base, amplitude }
            | NeuronType::StochasticSpiking { base, amplitude }
            | NeuronType::PoissonSpiking { base, amplitude } => {
                pos("amplitude", *amplitude)?;
                if base.base().is_some() || **base == NeuronType::Direct {
                    return Err(NeuronError::Invalid(format!(
                        "{}: the base type must be a neuron type other than Direct, \
                         RegularSpiking, StochasticSpiking or PoissonSpiking (got {})",
                        self.name(),
                        base.name()
                    )));
                }
                base.check()?;
                if let Some(s) = self
                    .own_state()
                    .iter()
                    .find(|s| base.own_state().contains(s))
                {
                    return Err(NeuronError::Invalid(format!(
                        "{}.state: {}(base_type={}()) and {}() have an overlapping state \
                         variable ({s})",
                        self.name(),
                        self.name(),
                        base.name(),
                        base.name()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The rate-model output for each input current `j` (Nengo's `rates` with `gain = 1`,
    /// `bias = 0`): LIF types (adaptive ones included, as in Nengo) use the LIF rate curve,
    /// rectified linear types `amplitude * max(J, 0)`, Sigmoid and Tanh their curves, Izhikevich
    /// Nengo's `settled_firingrate` (1 ms to settle, then spikes counted over 1 s at dt = 1 ms),
    /// the rates-to-spikes types their base's rates, and Direct passes `j` through.
    ///
    /// # Panics
    /// If `j` and `out` differ in length.
    pub fn rates(&self, j: &[f64], out: &mut [f64]) {
        assert_eq!(j.len(), out.len(), "rates: input and output lengths differ");
        match self {
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
            }
            | NeuronType::AdaptiveLif {
                tau_rc,
                tau_ref,
                amplitude,
                ..
            }
            | NeuronType::AdaptiveLifRate {
                tau_rc,
                tau_ref,
                amplitude,
                ..
            } => lif_rates(*tau_rc, *tau_ref, *amplitude, j, out),
            NeuronType::RectifiedLinear { amplitude }
            | NeuronType::SpikingRectifiedLinear { amplitude } => relu(*amplitude, j, out),
            NeuronType::Direct => out.copy_from_slice(j),
            NeuronType::Sigmoid { tau_ref } => sigmoid(*tau_ref, j, out),
            NeuronType::Tanh { tau_ref } => tanh(*tau_ref, j, out),
            NeuronType::Izhikevich { .. } => izhikevich::settled_rates(self, j, out),
            NeuronType::RegularSpiking { base, .. }
            | NeuronType::StochasticSpiking { base, .. }
            | NeuronType::PoissonSpiking { base, .. } => base.rates(j, out),
        }
    }

    /// Gains and biases that give each neuron the maximum rate `max_rates[i]` (at x = 1) and the
    /// intercept `intercepts[i]` (where it starts firing), with Nengo's formulas and checks:
    /// analytic for the LIF, rectified linear, Sigmoid and Tanh families, Nengo's numerical
    /// search over the rate curve (`NeuronType.gain_bias`) for Izhikevich, the base type's for
    /// the rates-to-spikes types; Direct has none.
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
        let below_limit = |limit: f64| match max_rates
            .iter()
            .enumerate()
            .find(|(_, &r)| r.partial_cmp(&limit) != Some(std::cmp::Ordering::Less))
        {
            Some((index, &max_rate)) => Err(NeuronError::MaxRateTooHigh {
                index,
                max_rate,
                limit,
            }),
            None => Ok(()),
        };
        let (gain, bias): (Vec<f64>, Vec<f64>) = match self {
            NeuronType::Lif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::LifRate {
                tau_rc, tau_ref, ..
            }
            | NeuronType::AdaptiveLif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::AdaptiveLifRate {
                tau_rc, tau_ref, ..
            } => {
                let (tau_rc, tau_ref) = (*tau_rc, *tau_ref);
                below_limit(if tau_ref > 0.0 {
                    1.0 / tau_ref
                } else {
                    f64::INFINITY
                })?;
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
            NeuronType::Sigmoid { tau_ref } => {
                let inv_tau_ref = 1.0 / tau_ref;
                below_limit(inv_tau_ref)?;
                max_rates
                    .iter()
                    .zip(intercepts)
                    .map(|(&mr, &ic)| {
                        let inverse = -(inv_tau_ref / mr - 1.0).ln();
                        let gain = inverse / (1.0 - ic);
                        (gain, inverse - gain)
                    })
                    .unzip()
            }
            NeuronType::Tanh { tau_ref } => {
                below_limit(1.0 / tau_ref)?;
                max_rates
                    .iter()
                    .zip(intercepts)
                    .map(|(&mr, &ic)| {
                        let inverse = libm_atanh(mr * tau_ref);
                        let gain = inverse / (1.0 - ic);
                        (gain, -gain * ic)
                    })
                    .unzip()
            }
            NeuronType::Izhikevich { .. } => numeric::gain_bias(self, max_rates, intercepts)?,
            NeuronType::RegularSpiking { base, .. }
            | NeuronType::StochasticSpiking { base, .. }
            | NeuronType::PoissonSpiking { base, .. } => {
                return base.gain_bias(max_rates, intercepts)
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
    /// [`NeuronType::gain_bias`], for information; Izhikevich by Nengo's sampling of the rate
    /// curve at x = 1 and on 101 points of [-1, 1]). Direct gives empty vectors.
    pub fn max_rates_intercepts(&self, gain: &[f64], bias: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match self {
            NeuronType::Lif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::LifRate {
                tau_rc, tau_ref, ..
            }
            | NeuronType::AdaptiveLif {
                tau_rc, tau_ref, ..
            }
            | NeuronType::AdaptiveLifRate {
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
            NeuronType::Sigmoid { tau_ref } => gain
                .iter()
                .zip(bias)
                .map(|(&g, &b)| {
                    let inverse = g + b;
                    (
                        (1.0 / tau_ref) / (1.0 + (-inverse).exp()),
                        1.0 - inverse / g,
                    )
                })
                .unzip(),
            NeuronType::Tanh { tau_ref } => gain
                .iter()
                .zip(bias)
                .map(|(&g, &b)| ((1.0 / tau_ref) * (g + b).tanh(), -b / g))
                .unzip(),
            NeuronType::Izhikevich { .. } => numeric::max_rates_intercepts(self, gain, bias),
            NeuronType::RegularSpiking { base, .. }
            | NeuronType::StochasticSpiking { base, .. }
            | NeuronType::PoissonSpiking { base, .. } => base.max_rates_intercepts(gain, bias),
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

/// `(1 / tau_ref) / (1 + exp(-J))` (Nengo's `Sigmoid.step`).
pub(super) fn sigmoid(tau_ref: f64, j: &[f64], out: &mut [f64]) {
    let top = 1.0 / tau_ref;
    for (o, &jv) in out.iter_mut().zip(j) {
        *o = top / (1.0 + (-jv).exp());
    }
}

/// `(1 / tau_ref) tanh(J)` (Nengo's `Tanh.step`).
pub(super) fn tanh(tau_ref: f64, j: &[f64], out: &mut [f64]) {
    let top = 1.0 / tau_ref;
    for (o, &jv) in out.iter_mut().zip(j) {
        *o = top * jv.tanh();
    }
}

/// The C library's `atanh` (what NumPy's `arctanh` calls): Rust's `f64::atanh` is its own
/// formula and rounds differently.
pub(super) fn libm_atanh(x: f64) -> f64 {
    extern "C" {
        fn atanh(x: f64) -> f64;
    }
    // SAFETY: `atanh` from the C math library is a pure function of one double.
    unsafe { atanh(x) }
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
