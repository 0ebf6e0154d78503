//! [`NeuronStepper`]: the per-step update of one population, its constants computed once for a
//! time step, on the scalar or the AVX2 path.

use super::izhikevich::{izh_one, IzhConsts};
use super::lif::{lif_one, nan_unless_finite, LifConsts};
use super::{adaptive, rates_to_spikes};
use super::{lif_rates, lif_simd, relu, sigmoid, tanh, NeuronType};
use crate::nef::rng::Rng;

/// The per-step update of one population, with its constants precomputed for a fixed `dt`.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronStepper {
    kind: NeuronType,
    dt: f64,
    /// `amplitude / dt`: the value of one spike.
    spike: f64,
    /// `expm1(-dt / tau_rc)`: the LIF decay term for a full (non-refractory) step.
    decay_full: f64,
    /// `expm1(-0 / tau_rc)`: the same for a fully refractory step (a signed zero).
    decay_none: f64,
    /// The base type's stepper (rates-to-spikes types).
    base: Option<Box<NeuronStepper>>,
    /// The seed and the generator of StochasticSpiking and PoissonSpiking.
    rng: (u64, Rng),
}

impl NeuronStepper {
    /// Precomputes the step constants of `kind` for time step `dt`.
    pub fn new(kind: &NeuronType, dt: f64) -> NeuronStepper {
        let (spike, decay_full, decay_none) = match *kind {
            NeuronType::Lif {
                tau_rc, amplitude, ..
            }
            | NeuronType::AdaptiveLif {
                tau_rc, amplitude, ..
            } => (
                amplitude / dt,
                (-dt / tau_rc).exp_m1(),
                (-0.0f64 / tau_rc).exp_m1(),
            ),
            NeuronType::SpikingRectifiedLinear { amplitude }
            | NeuronType::RegularSpiking { amplitude, .. }
            | NeuronType::StochasticSpiking { amplitude, .. }
            | NeuronType::PoissonSpiking { amplitude, .. } => (amplitude / dt, 0.0, 0.0),
            _ => (0.0, 0.0, 0.0),
        };
        NeuronStepper {
            kind: kind.clone(),
            dt,
            spike,
            decay_full,
            decay_none,
            base: kind.base().map(|b| Box::new(NeuronStepper::new(b, dt))),
            rng: (0, Rng::new(0)),
        }
    }

    /// Seeds the generator that StochasticSpiking and PoissonSpiking draw from (netdsl's own
    /// generator: the same statistics as Nengo's, not NumPy's draws).
    pub fn with_seed(mut self, seed: u64) -> NeuronStepper {
        self.rng = (seed, Rng::new(seed));
        self
    }

    /// Back to the state after construction: the generator restarts from its seed.
    pub fn reset(&mut self) {
        self.rng.1 = Rng::new(self.rng.0);
    }

    /// Advances the population by one step, for every neuron type: `aux` is the adaptation
    /// (AdaptiveLIF, AdaptiveLIFRate) or the recovery (Izhikevich), `rate_out` the base type's
    /// rates (rates-to-spikes types); a slice the type does not use may be empty, the others
    /// have one entry per neuron. For a rates-to-spikes type, `voltage`, `refractory` and `aux`
    /// hold whichever of those the wrapper and its base have (they never share one). Returns
    /// whether every input current and every voltage after the step is finite (as
    /// [`NeuronStepper::step_checked`]). Allocation-free.
    ///
    /// # Panics
    /// If `out` or a state slice the model uses differs in length from `j`.
    pub fn step_all(
        &mut self,
        j: &[f64],
        out: &mut [f64],
        voltage: &mut [f64],
        refractory: &mut [f64],
        aux: &mut [f64],
        rate_out: &mut [f64],
    ) -> bool {
        let n = j.len();
        assert_eq!(
            out.len(),
            n,
            "neuron step: output length differs from input"
        );
        let finite = |x: &[f64]| crate::step::kernels::both_finite(x, j);
        match self.kind {
            NeuronType::AdaptiveLif {
                tau_n,
                inc_n,
                tau_rc,
                tau_ref,
                min_voltage,
                ..
            } => {
                assert!(
                    voltage.len() == n && refractory.len() == n && aux.len() == n,
                    "AdaptiveLIF step: state lengths differ"
                );
                let c = LifConsts {
                    dt: self.dt,
                    spike: self.spike,
                    decay_full: self.decay_full,
                    decay_none: self.decay_none,
                    tau_rc,
                    tau_ref,
                    min_voltage,
                };
                adaptive::adaptive_lif(&c, self.dt / tau_n, inc_n, j, out, voltage, refractory, aux)
                    && finite(aux)
            }
            NeuronType::AdaptiveLifRate {
                tau_n,
                inc_n,
                tau_rc,
                tau_ref,
                amplitude,
            } => {
                assert_eq!(
                    aux.len(),
                    n,
                    "AdaptiveLIFRate step: adaptation length differs"
                );
                let k = self.dt / tau_n;
                adaptive::adaptive_lif_rate(tau_rc, tau_ref, amplitude, k, inc_n, j, out, aux);
                finite(aux)
            }
            NeuronType::Izhikevich { .. } => {
                assert!(
                    voltage.len() == n && aux.len() == n,
                    "Izhikevich step: state lengths differ"
                );
                let c = IzhConsts::new(&self.kind, self.dt).expect("Izhikevich");
                for i in 0..n {
                    izh_one(&c, j[i], &mut out[i], &mut voltage[i], &mut aux[i]);
                }
                finite(voltage) && crate::step::kernels::both_finite(aux, voltage)
            }
            NeuronType::RegularSpiking { .. }
            | NeuronType::StochasticSpiking { .. }
            | NeuronType::PoissonSpiking { .. } => {
                assert_eq!(
                    rate_out.len(),
                    n,
                    "rates-to-spikes step: rate_out length differs"
                );
                let regular = matches!(self.kind, NeuronType::RegularSpiking { .. });
                let base = self.base.as_mut().expect("rates-to-spikes base");
                // The wrapper's own voltage (RegularSpiking) never shares the base's.
                let (bv, own_v): (&mut [f64], &mut [f64]) = if regular {
                    (&mut [], voltage)
                } else {
                    (voltage, &mut [])
                };
                let ok = base.step_all(j, rate_out, bv, refractory, aux, &mut []);
                let (dt, spike) = (self.dt, self.spike);
                let negative = matches!(base.kind, NeuronType::Tanh { .. });
                match self.kind {
                    NeuronType::RegularSpiking { .. } => {
                        assert_eq!(
                            own_v.len(),
                            n,
                            "RegularSpiking step: voltage length differs"
                        );
                        rates_to_spikes::regular(dt, spike, rate_out, out, own_v);
                        ok && finite(own_v)
                    }
                    NeuronType::StochasticSpiking { .. } => {
                        let rng = &mut self.rng.1;
                        rates_to_spikes::stochastic(dt, spike, negative, rng, rate_out, out);
                        ok && finite(rate_out)
                    }
                    _ => {
                        let rng = &mut self.rng.1;
                        rates_to_spikes::poisson(dt, spike, negative, rng, rate_out, out);
                        ok && finite(rate_out)
                    }
                }
            }
            _ => self.step_checked(j, out, voltage, refractory),
        }
    }

    /// The neuron model.
    pub fn neuron_type(&self) -> &NeuronType {
        &self.kind
    }

    /// The time step this stepper was built for.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Advances the population by one step with input currents `j`, writing the output (spikes of
    /// `amplitude / dt`, or rates) to `out` and updating the state in place. Allocation-free.
    ///
    /// * LIF: `voltage` and `refractory` (one entry per neuron) as Nengo's `LIF.step`: the
    ///   refractory time counts down, the voltage follows the exact exponential solution over the
    ///   non-refractory part of the step, a spike is `v > 1`, its time is interpolated and the
    ///   refractory period runs from it; voltages are clipped to `min_voltage`, spiking ones reset.
    /// * SpikingRectifiedLinear: `voltage` integrates `max(J, 0) dt`, each whole unit is a spike
    ///   (several per step are possible); `refractory` is not used and may be empty.
    /// * Rate types (and Direct, which passes `j` through) write their rates; both state slices
    ///   are ignored and may be empty.
    ///
    /// # Panics
    /// If `out`, or a state slice the model uses, differs in length from `j`.
    pub fn step(&self, j: &[f64], out: &mut [f64], voltage: &mut [f64], refractory: &mut [f64]) {
        self.step_impl(j, out, voltage, refractory);
    }

    /// [`NeuronStepper::step`], then whether every input current and every voltage after the
    /// step is finite (no NaN, no infinity). For LIF the check is folded into the update (no
    /// second pass over the values): it asks that every voltage update `v - (J - v) · decay`
    /// (before the clip and the spike reset) be finite, which holds exactly when the input and
    /// the old voltage are finite and the update does not overflow (inputs near `f64::MAX`);
    /// the same answer on the vector and the scalar paths.
    pub fn step_checked(
        &self,
        j: &[f64],
        out: &mut [f64],
        voltage: &mut [f64],
        refractory: &mut [f64],
    ) -> bool {
        match self.step_impl(j, out, voltage, refractory) {
            Some(finite) => finite,
            None => crate::step::kernels::both_finite(voltage, j),
        }
    }

    /// The step; `Some(all finite)` when the path taken checked the values on the way.
    fn step_impl(
        &self,
        j: &[f64],
        out: &mut [f64],
        voltage: &mut [f64],
        refractory: &mut [f64],
    ) -> Option<bool> {
        let n = j.len();
        assert_eq!(
            out.len(),
            n,
            "neuron step: output length differs from input"
        );
        match self.kind {
            NeuronType::Lif {
                tau_rc,
                tau_ref,
                min_voltage,
                ..
            } => {
                assert_eq!(voltage.len(), n, "LIF step: voltage length differs");
                assert_eq!(refractory.len(), n, "LIF step: refractory length differs");
                let c = LifConsts {
                    dt: self.dt,
                    spike: self.spike,
                    decay_full: self.decay_full,
                    decay_none: self.decay_none,
                    tau_rc,
                    tau_ref,
                    min_voltage,
                };
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above), and FMA if
                    // `available()`; the slices have length n (asserted above).
                    return Some(unsafe {
                        lif_simd::step_blocks(
                            &c,
                            j,
                            out,
                            voltage,
                            refractory,
                            lif_simd::available(),
                        )
                    });
                }
                let mut fin = 0.0;
                for i in 0..n {
                    let vv = lif_one(&c, j[i], &mut out[i], &mut voltage[i], &mut refractory[i]);
                    fin += nan_unless_finite(vv);
                }
                return Some(fin == 0.0);
            }
            NeuronType::SpikingRectifiedLinear { .. } => {
                assert_eq!(
                    voltage.len(),
                    n,
                    "spiking ReLU step: voltage length differs"
                );
                let (dt, spike) = (self.dt, self.spike);
                for ((&jv, o), v) in j.iter().zip(out.iter_mut()).zip(voltage.iter_mut()) {
                    let drive = if jv < 0.0 { 0.0 } else { jv };
                    let vv = *v + drive * dt;
                    let count = vv.floor();
                    *o = spike * count;
                    *v = vv - count;
                }
            }
            NeuronType::LifRate {
                tau_rc,
                tau_ref,
                amplitude,
            } => lif_rates(tau_rc, tau_ref, amplitude, j, out),
            NeuronType::RectifiedLinear { amplitude } => relu(amplitude, j, out),
            NeuronType::Direct => out.copy_from_slice(j),
            NeuronType::Sigmoid { tau_ref } => sigmoid(tau_ref, j, out),
            NeuronType::Tanh { tau_ref } => tanh(tau_ref, j, out),
            NeuronType::AdaptiveLif { .. }
            | NeuronType::AdaptiveLifRate { .. }
            | NeuronType::Izhikevich { .. }
            | NeuronType::RegularSpiking { .. }
            | NeuronType::StochasticSpiking { .. }
            | NeuronType::PoissonSpiking { .. } => panic!(
                "{} has more state than a voltage and a refractory time: step it with \
                 `NeuronStepper::step_all`",
                self.kind.name()
            ),
        }
        None
    }
}
