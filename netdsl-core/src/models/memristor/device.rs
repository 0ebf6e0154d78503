//! Device models: the [`DeviceModel`] trait, the Nb:SrTiO3 power law, a linear-conductance
//! toy model and the run-time dispatch between them ([`Device`]).

use std::fmt::Debug;

use crate::nef::rng::Rng;

/// Relative device-to-device variability, drawn once per device when an array is built.
///
/// Each field is a relative standard deviation (a fraction of the nominal value). What each
/// sigma perturbs depends on the model; for [`PowerLaw`]:
/// `R0 ~ TruncNormal(R0, R0·r_min, ≥ 0)`, `R1 ~ TruncNormal(R1, R1·r_max, ≥ max over the array
/// of R0)`, `c ~ Normal(c, |c|·exponent)`, and the initial resistance of every device
/// `~ Normal(R_init, R_init·r_init)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variability {
    /// Sigma of the low-resistance bound (R0, "r_min").
    pub r_min: f64,
    /// Sigma of the high-resistance bound (R1, "r_max").
    pub r_max: f64,
    /// Sigma of the pulse exponent (power law) or of the conductance step (linear model).
    pub exponent: f64,
    /// Sigma of the initial resistance.
    pub r_init: f64,
}

impl Variability {
    /// No variability: every device has the nominal parameters and initial state.
    pub const NONE: Variability = Variability {
        r_min: 0.0,
        r_max: 0.0,
        exponent: 0.0,
        r_init: 0.0,
    };

    /// The same relative sigma for all four quantities (the Frontiers experiments used 0.15).
    pub fn uniform(sigma: f64) -> Self {
        Variability {
            r_min: sigma,
            r_max: sigma,
            exponent: sigma,
            r_init: sigma,
        }
    }

    /// Whether all sigmas are zero.
    pub fn is_none(&self) -> bool {
        self.r_min == 0.0 && self.r_max == 0.0 && self.exponent == 0.0 && self.r_init == 0.0
    }
}

impl Default for Variability {
    fn default() -> Self {
        Variability::NONE
    }
}

/// A memristive device model whose state is its resistance `R` (Ω).
///
/// Implementations are plain values (the nominal parameters); the per-device parameters
/// (`Params`) are sampled once per device with [`sample_params`](DeviceModel::sample_params) and
/// may cache derived quantities (reciprocals) so that [`pulse`](DeviceModel::pulse) is cheap.
pub trait DeviceModel: Clone + Send + Sync + Debug + 'static {
    /// Per-device parameters (after variability).
    type Params: Copy + Send + Sync + Debug;

    /// The nominal (variability-free) per-device parameters.
    fn nominal(&self) -> Self::Params;

    /// Fills `out` with per-device parameters drawn with `variability` from `rng`. Drawing all
    /// devices at once lets a model use population-wide bounds (the power law truncates every
    /// `R1` at the largest `R0`). With [`Variability::NONE`] every entry is
    /// [`nominal`](DeviceModel::nominal).
    fn sample_params(&self, variability: &Variability, rng: &mut Rng, out: &mut [Self::Params]);

    /// The initial resistance of one device with parameters `params`, drawn with `variability`.
    fn initial_resistance(
        &self,
        params: &Self::Params,
        variability: &Variability,
        rng: &mut Rng,
    ) -> f64;

    /// One SET pulse: the device is first clipped into its own [`bounds`](DeviceModel::bounds),
    /// then pulsed; returns the new resistance.
    fn pulse(&self, params: &Self::Params, r: f64) -> f64;

    /// The normalised conductance at resistance `r`: 1 at the low bound, 0 at the high bound.
    fn conductance(&self, params: &Self::Params, r: f64) -> f64;

    /// `(low, high)` resistance bounds of one device.
    fn bounds(&self, params: &Self::Params) -> (f64, f64);

    /// These parameters as [`PowerLaw`] parameters, when the model is the power law (directly or
    /// through [`Device`]). An array whose devices all answer `Some` runs its specialised
    /// power-law pulse kernel (it keeps each device's pulse count, so a pulse costs one power);
    /// `None`, the default, selects the generic kernel built on [`pulse`](DeviceModel::pulse).
    fn as_power_law(&self, _params: &Self::Params) -> Option<PowerLawParams> {
        None
    }
}

/// Draws from `Normal(mean, sd)` truncated to `[low, ∞)` by rejection; returns `mean` without
/// touching `rng` when `sd == 0`.
fn truncated_normal(rng: &mut Rng, mean: f64, sd: f64, low: f64) -> f64 {
    if sd == 0.0 {
        return mean;
    }
    // Rejection is cheap for the bounds used here (several sigmas below the mean); guard against
    // a bound far in the tail by falling back to the bound itself.
    for _ in 0..10_000 {
        let x = mean + sd * rng.normal();
        if x >= low {
            return x;
        }
    }
    low
}

fn normal(rng: &mut Rng, mean: f64, sd: f64) -> f64 {
    if sd == 0.0 {
        mean
    } else {
        mean + sd * rng.normal()
    }
}

// ---------------------------------------------------------------------------------------------
// Power law
// ---------------------------------------------------------------------------------------------

/// The Nb:SrTiO3 power-law device of Tiotto et al.: `R(n) = R0 + R1 · n^c` after `n` SET pulses.
///
/// `n` is never stored; it is recovered from the resistance, `n = ((R − R0)/R1)^(1/c)`, and one
/// pulse sets `R ← R0 + R1·(n+1)^c`. With `c < 0` every pulse lowers `R` toward `R0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLaw {
    /// Low resistance bound R0 (Ω), default 200.
    pub r0: f64,
    /// High resistance bound / scale R1 (Ω), default 2.3e8.
    pub r1: f64,
    /// Exponent c (negative), default −0.146.
    pub c: f64,
    /// Nominal initial resistance (Ω), default 1e8.
    pub r_init: f64,
}

impl Default for PowerLaw {
    fn default() -> Self {
        PowerLaw {
            r0: 200.0,
            r1: 2.3e8,
            c: -0.146,
            r_init: 1e8,
        }
    }
}

impl PowerLaw {
    /// The default device with the exponent set by the SET pulse voltage:
    /// `c(V) = −0.093 − 0.53·V` (the papers use V = 0.1 V).
    pub fn with_voltage(voltage: f64) -> Self {
        PowerLaw {
            c: Self::exponent_for_voltage(voltage),
            ..PowerLaw::default()
        }
    }

    /// `c(V) = −0.093 − 0.53·V`.
    pub fn exponent_for_voltage(voltage: f64) -> f64 {
        -0.093 - 0.53 * voltage
    }

    /// Builds the per-device parameters (with cached reciprocals) from R0, R1, c.
    pub fn params(r0: f64, r1: f64, c: f64) -> PowerLawParams {
        PowerLawParams {
            r0,
            r1,
            c,
            inv_c: 1.0 / c,
            inv_r1: 1.0 / r1,
            g_den: 1.0 / r0 - 1.0 / r1,
        }
    }

    /// The (fractional) number of pulses that brings a fresh device to resistance `r`:
    /// `n = ((r − R0)/R1)^(1/c)`.
    pub fn pulses_from_resistance(params: &PowerLawParams, r: f64) -> f64 {
        ((r - params.r0) * params.inv_r1).powf(params.inv_c)
    }

    /// The resistance after `n` pulses from a fresh device: `R0 + R1·n^c`.
    pub fn resistance_after(params: &PowerLawParams, n: f64) -> f64 {
        params.r0 + params.r1 * n.powf(params.c)
    }
}

/// Per-device parameters of a [`PowerLaw`] device, with cached derived values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerLawParams {
    /// Low bound R0 (Ω).
    pub r0: f64,
    /// High bound R1 (Ω).
    pub r1: f64,
    /// Exponent c.
    pub c: f64,
    /// `1/c`.
    pub inv_c: f64,
    /// `1/R1`.
    pub inv_r1: f64,
    /// `1/R0 − 1/R1`, the conductance normaliser.
    pub g_den: f64,
}

impl DeviceModel for PowerLaw {
    type Params = PowerLawParams;

    fn nominal(&self) -> PowerLawParams {
        PowerLaw::params(self.r0, self.r1, self.c)
    }

    /// Draw order: every `R0`, then every `R1`, then every `c` (each in `out` order).
    fn sample_params(&self, v: &Variability, rng: &mut Rng, out: &mut [PowerLawParams]) {
        if v.r_min == 0.0 && v.r_max == 0.0 && v.exponent == 0.0 {
            out.fill(self.nominal());
            return;
        }
        let mut max_r0 = f64::NEG_INFINITY;
        for p in out.iter_mut() {
            p.r0 = truncated_normal(rng, self.r0, self.r0 * v.r_min, 0.0);
            max_r0 = max_r0.max(p.r0);
        }
        for p in out.iter_mut() {
            p.r1 = truncated_normal(rng, self.r1, self.r1 * v.r_max, max_r0);
        }
        for p in out.iter_mut() {
            let c = normal(rng, self.c, self.c.abs() * v.exponent);
            *p = PowerLaw::params(p.r0, p.r1, c);
        }
    }

    fn initial_resistance(&self, _p: &PowerLawParams, v: &Variability, rng: &mut Rng) -> f64 {
        normal(rng, self.r_init, self.r_init * v.r_init)
    }

    #[inline]
    fn pulse(&self, p: &PowerLawParams, r: f64) -> f64 {
        let r = r.clamp(p.r0, p.r1);
        let n = ((r - p.r0) * p.inv_r1).powf(p.inv_c);
        p.r0 + p.r1 * (n + 1.0).powf(p.c)
    }

    #[inline]
    fn conductance(&self, p: &PowerLawParams, r: f64) -> f64 {
        (1.0 / r - p.inv_r1) / p.g_den
    }

    fn bounds(&self, p: &PowerLawParams) -> (f64, f64) {
        (p.r0, p.r1)
    }

    fn as_power_law(&self, p: &PowerLawParams) -> Option<PowerLawParams> {
        Some(*p)
    }
}

// ---------------------------------------------------------------------------------------------
// Linear conductance
// ---------------------------------------------------------------------------------------------

/// A simple bounded device whose normalised conductance rises by a fixed `step` per SET pulse,
/// saturating at 1 (resistance `r_on`); 0 is resistance `r_off`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearConductance {
    /// Low resistance bound (Ω), where the normalised conductance is 1.
    pub r_on: f64,
    /// High resistance bound (Ω), where the normalised conductance is 0.
    pub r_off: f64,
    /// Normalised conductance added by one pulse.
    pub step: f64,
    /// Nominal initial resistance (Ω).
    pub r_init: f64,
}

impl Default for LinearConductance {
    fn default() -> Self {
        LinearConductance {
            r_on: 200.0,
            r_off: 2.3e8,
            step: 1e-3,
            r_init: 2.3e8,
        }
    }
}

/// Per-device parameters of a [`LinearConductance`] device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearParams {
    /// Low resistance bound (Ω).
    pub r_on: f64,
    /// High resistance bound (Ω).
    pub r_off: f64,
    /// Normalised conductance step per pulse.
    pub step: f64,
    /// `1/r_off`.
    pub inv_r_off: f64,
    /// `1/r_on − 1/r_off`.
    pub g_den: f64,
}

impl LinearConductance {
    /// Builds per-device parameters with cached reciprocals.
    pub fn params(r_on: f64, r_off: f64, step: f64) -> LinearParams {
        LinearParams {
            r_on,
            r_off,
            step,
            inv_r_off: 1.0 / r_off,
            g_den: 1.0 / r_on - 1.0 / r_off,
        }
    }
}

impl DeviceModel for LinearConductance {
    type Params = LinearParams;

    fn nominal(&self) -> LinearParams {
        LinearConductance::params(self.r_on, self.r_off, self.step)
    }

    /// `r_on ~ TruncNormal(≥ 0)`, `r_off ~ TruncNormal(≥ max r_on)`, `step ~ TruncNormal(≥ 0)`,
    /// drawn in that order over the whole array.
    fn sample_params(&self, v: &Variability, rng: &mut Rng, out: &mut [LinearParams]) {
        if v.r_min == 0.0 && v.r_max == 0.0 && v.exponent == 0.0 {
            out.fill(self.nominal());
            return;
        }
        let mut max_on = f64::NEG_INFINITY;
        for p in out.iter_mut() {
            p.r_on = truncated_normal(rng, self.r_on, self.r_on * v.r_min, 0.0);
            max_on = max_on.max(p.r_on);
        }
        for p in out.iter_mut() {
            p.r_off = truncated_normal(rng, self.r_off, self.r_off * v.r_max, max_on);
        }
        for p in out.iter_mut() {
            let step = truncated_normal(rng, self.step, self.step * v.exponent, 0.0);
            *p = LinearConductance::params(p.r_on, p.r_off, step);
        }
    }

    fn initial_resistance(&self, _p: &LinearParams, v: &Variability, rng: &mut Rng) -> f64 {
        normal(rng, self.r_init, self.r_init * v.r_init)
    }

    #[inline]
    fn pulse(&self, p: &LinearParams, r: f64) -> f64 {
        let r = r.clamp(p.r_on, p.r_off);
        let g = ((1.0 / r - p.inv_r_off) / p.g_den + p.step).min(1.0);
        if g >= 1.0 {
            p.r_on
        } else {
            1.0 / (g * p.g_den + p.inv_r_off)
        }
    }

    #[inline]
    fn conductance(&self, p: &LinearParams, r: f64) -> f64 {
        (1.0 / r - p.inv_r_off) / p.g_den
    }

    fn bounds(&self, p: &LinearParams) -> (f64, f64) {
        (p.r_on, p.r_off)
    }
}

// ---------------------------------------------------------------------------------------------
// Run-time dispatch
// ---------------------------------------------------------------------------------------------

/// Any built-in device model, for a runtime that wants one concrete array type
/// (`MemristorArray<Device>`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Device {
    /// [`PowerLaw`].
    PowerLaw(PowerLaw),
    /// [`LinearConductance`].
    Linear(LinearConductance),
}

impl Default for Device {
    fn default() -> Self {
        Device::PowerLaw(PowerLaw::default())
    }
}

impl From<PowerLaw> for Device {
    fn from(m: PowerLaw) -> Self {
        Device::PowerLaw(m)
    }
}

impl From<LinearConductance> for Device {
    fn from(m: LinearConductance) -> Self {
        Device::Linear(m)
    }
}

/// Per-device parameters of a [`Device`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceParams {
    /// Parameters of a [`PowerLaw`] device.
    PowerLaw(PowerLawParams),
    /// Parameters of a [`LinearConductance`] device.
    Linear(LinearParams),
}

impl DeviceModel for Device {
    type Params = DeviceParams;

    fn nominal(&self) -> DeviceParams {
        match self {
            Device::PowerLaw(m) => DeviceParams::PowerLaw(m.nominal()),
            Device::Linear(m) => DeviceParams::Linear(m.nominal()),
        }
    }

    fn sample_params(&self, v: &Variability, rng: &mut Rng, out: &mut [DeviceParams]) {
        // Sample into a typed buffer (build time only, so the allocation is fine).
        match self {
            Device::PowerLaw(m) => {
                let mut tmp = vec![m.nominal(); out.len()];
                m.sample_params(v, rng, &mut tmp);
                for (o, p) in out.iter_mut().zip(tmp) {
                    *o = DeviceParams::PowerLaw(p);
                }
            }
            Device::Linear(m) => {
                let mut tmp = vec![m.nominal(); out.len()];
                m.sample_params(v, rng, &mut tmp);
                for (o, p) in out.iter_mut().zip(tmp) {
                    *o = DeviceParams::Linear(p);
                }
            }
        }
    }

    fn initial_resistance(&self, p: &DeviceParams, v: &Variability, rng: &mut Rng) -> f64 {
        match (self, p) {
            (Device::PowerLaw(m), DeviceParams::PowerLaw(p)) => m.initial_resistance(p, v, rng),
            (Device::Linear(m), DeviceParams::Linear(p)) => m.initial_resistance(p, v, rng),
            _ => unreachable!("device parameters of another model"),
        }
    }

    #[inline]
    fn pulse(&self, p: &DeviceParams, r: f64) -> f64 {
        match (self, p) {
            (Device::PowerLaw(m), DeviceParams::PowerLaw(p)) => m.pulse(p, r),
            (Device::Linear(m), DeviceParams::Linear(p)) => m.pulse(p, r),
            _ => unreachable!("device parameters of another model"),
        }
    }

    #[inline]
    fn conductance(&self, p: &DeviceParams, r: f64) -> f64 {
        match (self, p) {
            (Device::PowerLaw(m), DeviceParams::PowerLaw(p)) => m.conductance(p, r),
            (Device::Linear(m), DeviceParams::Linear(p)) => m.conductance(p, r),
            _ => unreachable!("device parameters of another model"),
        }
    }

    fn bounds(&self, p: &DeviceParams) -> (f64, f64) {
        match (self, p) {
            (Device::PowerLaw(m), DeviceParams::PowerLaw(p)) => m.bounds(p),
            (Device::Linear(m), DeviceParams::Linear(p)) => m.bounds(p),
            _ => unreachable!("device parameters of another model"),
        }
    }

    fn as_power_law(&self, p: &DeviceParams) -> Option<PowerLawParams> {
        match (self, p) {
            (Device::PowerLaw(_), DeviceParams::PowerLaw(p)) => Some(*p),
            _ => None,
        }
    }
}
