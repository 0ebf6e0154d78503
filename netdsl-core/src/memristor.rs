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

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::rng::Rng;

/// The mPES gate: the rule does nothing in a step where no local error exceeds this in
/// magnitude.
pub const MPES_ERROR_THRESHOLD: f64 = 1e-5;

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

// ---------------------------------------------------------------------------------------------
// Power of the pulse stage: x^c for a batch, vectorisable
// ---------------------------------------------------------------------------------------------

// Coefficients of fdlibm's `e_log.c` (Lg1..Lg7) and `e_exp.c` (P1..P5), by their bits (the
// decimal values as fdlibm prints them in the comments).
const LG1: f64 = f64::from_bits(0x3FE5_5555_5555_5593); // 6.666666666666735130e-01
const LG2: f64 = f64::from_bits(0x3FD9_9999_9997_FA04); // 3.999999999940941908e-01
const LG3: f64 = f64::from_bits(0x3FD2_4924_9422_9359); // 2.857142874366239149e-01
const LG4: f64 = f64::from_bits(0x3FCC_71C5_1D8E_78AF); // 2.222219843214978396e-01
const LG5: f64 = f64::from_bits(0x3FC7_4664_96CB_03DE); // 1.818357216161805012e-01
const LG6: f64 = f64::from_bits(0x3FC3_9A09_D078_C69F); // 1.531383769920937332e-01
const LG7: f64 = f64::from_bits(0x3FC2_F112_DF3E_5244); // 1.479819860511658591e-01
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 6.93147180369123816490e-01
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927058770002e-10
const INV_LN2: f64 = f64::from_bits(0x3FF7_1547_652B_82FE); // 1.44269504088896338700e+00
const EP1: f64 = f64::from_bits(0x3FC5_5555_5555_553E); // 1.66666666666666019037e-01
const EP2: f64 = f64::from_bits(0xBF66_C16C_16BE_BD93); // -2.77777777770155933842e-03
const EP3: f64 = f64::from_bits(0x3F11_566A_AF25_DE2C); // 6.61375632143793436117e-05
const EP4: f64 = f64::from_bits(0xBEBB_BD41_C5D2_6BF1); // -1.65339022054652515390e-06
const EP5: f64 = f64::from_bits(0x3E66_3769_72BE_A4D0); // 4.13813679705723846039e-08

/// Whether [`pow_core`] is valid for `(x, c)`: `1 ≤ x < 1e300` and `|c| ≤ 1`, so that
/// `|c·ln x| < 691` and `2^k` of the exponential stays a normal number.
#[inline(always)]
fn pow_core_ok(x: f64, c: f64) -> bool {
    (1.0..1e300).contains(&x) & (c.abs() <= 1.0)
}

/// `x^c = exp(c·ln x)` for `(x, c)` accepted by [`pow_core_ok`] (garbage otherwise), within
/// a few ulp of `f64::powf`. Branch-free and built only from `+ − × ÷` and bit operations, so
/// that a loop over it vectorises, and with no fused multiply-add, so that the vector and the
/// scalar code give bit-identical results. `ln` is fdlibm's `e_log.c` (k·ln2 + ln m,
/// m ∈ [√½, √2), with its two branches turned into a select), `exp` fdlibm's `e_exp.c` (k from
/// rounding by the 1.5·2⁵² trick, 2^k built from its bits).
#[inline(always)]
fn pow_core(x: f64, c: f64) -> f64 {
    // ln x: x = 2^k · m.
    let bits = x.to_bits();
    let hx = (bits >> 32) & 0x000f_ffff;
    let i = (hx + 0x95f64) & 0x0010_0000;
    let k = (bits >> 52) + (i >> 20) - 1023; // x ≥ 1: k ≥ 0
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | ((i ^ 0x3ff0_0000) << 32));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let dk = f64::from_bits(0x4330_0000_0000_0000 | k) - 4503599627370496.0;
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hx = hx as i64;
    let hfsq = 0.5 * f * f;
    let ln_x = if ((hx - 0x6147a) | (0x6b851 - hx)) > 0 {
        dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    } else {
        dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    };
    // exp(t), |t| < 700: t = k·ln2 + r.
    let t = c * ln_x;
    const ROUND: f64 = 6755399441055744.0; // 1.5·2⁵²
    let kr = t * INV_LN2 + ROUND;
    let ki = (kr.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let kf = kr - ROUND;
    let hi = t - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;
    let r2 = r * r;
    let cr = r - r2 * (EP1 + r2 * (EP2 + r2 * (EP3 + r2 * (EP4 + r2 * EP5))));
    let y = 1.0 - ((lo - (r * cr) / (2.0 - cr)) - hi);
    y * f64::from_bits(((ki + 1023) as u64) << 52)
}

/// Inputs and outputs of one batch of power-law pulses (entry `b` is one device), each of
/// length `n_pre`; a batch is `[..nb]`.
#[derive(Clone, Debug)]
struct Batch {
    /// `n + 1` (the device's new pulse count) and its `c`, `R0`, `R1`, `1/R1`, `1/R0 − 1/R1`.
    x: Vec<f64>,
    c: Vec<f64>,
    r0: Vec<f64>,
    r1: Vec<f64>,
    inv_r1: Vec<f64>,
    g_den: Vec<f64>,
    /// The conductance of the pair's other device.
    g_other: Vec<f64>,
    /// Outputs: the new resistance, conductance and weight.
    r: Vec<f64>,
    g: Vec<f64>,
    w: Vec<f64>,
}

impl Batch {
    fn new(n: usize) -> Self {
        let v = || vec![0.0; n];
        Batch {
            x: v(),
            c: v(),
            r0: v(),
            r1: v(),
            inv_r1: v(),
            g_den: v(),
            g_other: v(),
            r: v(),
            g: v(),
            w: v(),
        }
    }

    /// One pulse's outputs for entry `b` with `y = (n+1)^c`: `R = R0 + R1·y`, `g` exactly as
    /// [`PowerLaw::conductance`], `w = γ(g⁺ − g⁻)`.
    #[inline(always)]
    fn finish<const PLUS: bool>(&mut self, b: usize, y: f64, gain: f64) {
        let r = self.r0[b] + self.r1[b] * y;
        let g = (1.0 / r - self.inv_r1[b]) / self.g_den[b];
        self.r[b] = r;
        self.g[b] = g;
        self.w[b] = if PLUS {
            gain * (g - self.g_other[b])
        } else {
            gain * (self.g_other[b] - g)
        };
    }
}

#[inline(always)]
fn pulse_batch_body<const PLUS: bool>(b: &mut Batch, nb: usize, gain: f64) -> bool {
    let (x, c) = (&b.x[..nb], &b.c[..nb]);
    let (r0, r1, inv_r1, g_den, g_other) = (
        &b.r0[..nb],
        &b.r1[..nb],
        &b.inv_r1[..nb],
        &b.g_den[..nb],
        &b.g_other[..nb],
    );
    let (ro, go, wo) = (&mut b.r[..nb], &mut b.g[..nb], &mut b.w[..nb]);
    // Two passes (the power into `ro`, then the rest): shorter loop bodies let the CPU overlap
    // more iterations of these long dependency chains.
    let mut all_ok = true;
    for k in 0..nb {
        all_ok &= pow_core_ok(x[k], c[k]);
        ro[k] = pow_core(x[k], c[k]);
    }
    for k in 0..nb {
        let r = r0[k] + r1[k] * ro[k];
        let g = (1.0 / r - inv_r1[k]) / g_den[k];
        ro[k] = r;
        go[k] = g;
        wo[k] = if PLUS {
            gain * (g - g_other[k])
        } else {
            gain * (g_other[k] - g)
        };
    }
    all_ok
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pulse_batch_avx2<const PLUS: bool>(b: &mut Batch, nb: usize, gain: f64) -> bool {
    pulse_batch_body::<PLUS>(b, nb, gain)
}

/// Computes the outputs of entries `[..nb]` of `b` (see [`Batch::finish`]), four lanes at a time
/// where AVX2 is available (`avx2` says whether it is; the results are the same either way).
/// Returns whether [`pow_core_ok`] accepted every entry; the ones it rejects are wrong, and the
/// caller redoes them with `powf`.
#[inline]
fn pulse_batch<const PLUS: bool>(b: &mut Batch, nb: usize, gain: f64, avx2: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller checked that the CPU has AVX2.
        return unsafe { pulse_batch_avx2::<PLUS>(b, nb, gain) };
    }
    let _ = avx2;
    pulse_batch_body::<PLUS>(b, nb, gain)
}

/// `x.powf(c)` for the lanes [`pow_core`] does not handle. A separate, never-inlined function:
/// LLVM treats the `pow` intrinsic as free of side effects and would otherwise evaluate it for
/// every lane and select.
#[cold]
#[inline(never)]
fn powf_cold(x: f64, c: f64) -> f64 {
    x.powf(c)
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2");
    #[allow(unreachable_code)]
    false
}

// ---------------------------------------------------------------------------------------------
// The array
// ---------------------------------------------------------------------------------------------

/// Extra per-device state of a power-law array: the pulse count `n` of every device, so that a
/// pulse is `R = R0 + R1·(n+1)^c; n += 1` (one power instead of two).
///
/// Invariant: for a device whose `R` lies in `[R0, R1]`, `n` is `((R − R0)/R1)^(1/c)` up to
/// float rounding (exactly that when `R` was set from outside, the pulse count plus rounding
/// after pulses). A device outside its bounds gets `n` recomputed from the clipped `R` when it is
/// pulsed, exactly as the rule says.
#[derive(Clone, Debug)]
struct PowerState {
    /// The power-law parameters of each synapse (shared by its two devices).
    params: Vec<PowerLawParams>,
    n_pos: Vec<f64>,
    n_neg: Vec<f64>,
}

/// One thread's scratch for the pulse stage, of length `n_pre` (fixed lengths, so a cloned
/// array keeps them and stepping never allocates).
#[derive(Clone, Debug)]
struct RowScratch {
    /// One row's pulses (column indices): `R⁺` devices in `[..n_plus]`, `R⁻` devices in
    /// `[lo_minus..]`.
    idx: Vec<usize>,
    /// One side of one row's power-law pulses.
    batch: Batch,
}

impl RowScratch {
    fn new(n_pre: usize) -> Self {
        RowScratch {
            idx: vec![0; n_pre],
            batch: Batch::new(n_pre),
        }
    }
}

/// An `n_post × n_pre` array of differential device pairs, stored flat and row-major
/// (index `j·n_pre + i` for post `j`, pre `i`), with its weight matrix `w = γ(g⁺ − g⁻)` kept in
/// sync.
///
/// Besides the resistances the array keeps every device's normalised conductance (so a pulse
/// recomputes only the pulsed device's), and, for power-law devices, its pulse count (see
/// [`mpes_step`](MemristorArray::mpes_step)).
#[derive(Clone, Debug)]
pub struct MemristorArray<M: DeviceModel> {
    model: M,
    n_post: usize,
    n_pre: usize,
    gain: f64,
    r_pos: Vec<f64>,
    r_neg: Vec<f64>,
    /// Per-synapse parameters, shared by the `+` and `−` devices of the pair.
    params: Vec<M::Params>,
    /// `g(R⁺)`, `g(R⁻)`: `model.conductance(params, r)` of every device.
    g_pos: Vec<f64>,
    g_neg: Vec<f64>,
    w: Vec<f64>,
    /// `Some` when every device is a power law: the fast kernel's state.
    power: Option<PowerState>,
    /// The pre indices passing the mask in the current step: all of them, those with `a_i > 0`
    /// and those with `a_i < 0` (each of length `n_pre`, the step's lists at the front).
    active: [Vec<usize>; 3],
    /// Scratch of the calling thread and of the helper thread.
    scratch: [RowScratch; 2],
    avx2: bool,
    total_pulses: u64,
}

impl<M: DeviceModel> MemristorArray<M> {
    /// Builds the array: one parameter set per synapse (one [`DeviceModel::sample_params`]
    /// call), shared by the `R⁺` and `R⁻` devices of its pair as in the reference
    /// implementation (its `r_min`, `r_max` and exponent arrays are `n_post × n_pre`), then the
    /// initial resistance of every `R⁺` device, then of every `R⁻` device, all from `rng`.
    ///
    /// With [`Variability::NONE`] every device starts at the model's nominal initial resistance
    /// and all weights are exactly 0.
    pub fn new(
        model: M,
        n_post: usize,
        n_pre: usize,
        gain: f64,
        variability: Variability,
        rng: &mut Rng,
    ) -> Self {
        let n = n_post * n_pre;
        let nominal = model.nominal();
        let mut params = vec![nominal; n];
        model.sample_params(&variability, rng, &mut params);
        let r_pos: Vec<f64> = params
            .iter()
            .map(|p| model.initial_resistance(p, &variability, rng))
            .collect();
        let r_neg: Vec<f64> = params
            .iter()
            .map(|p| model.initial_resistance(p, &variability, rng))
            .collect();
        let power = params
            .iter()
            .map(|p| model.as_power_law(p))
            .collect::<Option<Vec<_>>>()
            .map(|params| PowerState {
                params,
                n_pos: vec![0.0; n],
                n_neg: vec![0.0; n],
            });
        let mut a = MemristorArray {
            model,
            n_post,
            n_pre,
            gain,
            r_pos,
            r_neg,
            params,
            g_pos: vec![0.0; n],
            g_neg: vec![0.0; n],
            w: vec![0.0; n],
            power,
            active: [vec![0; n_pre], vec![0; n_pre], vec![0; n_pre]],
            scratch: [RowScratch::new(n_pre), RowScratch::new(n_pre)],
            avx2: has_avx2(),
            total_pulses: 0,
        };
        a.refresh_all();
        if n >= PARALLEL_MIN_PULSES {
            // Started here, at build time, so that stepping never allocates.
            helper::start();
        }
        a
    }

    /// The device model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Number of post neurons (rows).
    pub fn n_post(&self) -> usize {
        self.n_post
    }

    /// Number of pre neurons (columns).
    pub fn n_pre(&self) -> usize {
        self.n_pre
    }

    /// The gain γ.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// Sets the gain γ and recomputes all weights.
    pub fn set_gain(&mut self, gain: f64) {
        self.gain = gain;
        for ((w, gp), gn) in self.w.iter_mut().zip(&self.g_pos).zip(&self.g_neg) {
            *w = gain * (gp - gn);
        }
    }

    /// The weights `γ(g⁺ − g⁻)`, row-major `n_post × n_pre`.
    pub fn weights(&self) -> &[f64] {
        &self.w
    }

    /// The weights as an `n_post × n_pre` ndarray view.
    pub fn weights_view(&self) -> ndarray::ArrayView2<'_, f64> {
        ndarray::ArrayView2::from_shape((self.n_post, self.n_pre), &self.w)
            .expect("weights have n_post * n_pre entries")
    }

    /// Resistances of the `+` devices, row-major.
    pub fn r_pos(&self) -> &[f64] {
        &self.r_pos
    }

    /// Resistances of the `−` devices, row-major.
    pub fn r_neg(&self) -> &[f64] {
        &self.r_neg
    }

    /// Per-device parameters of the `+` devices, row-major (the same as
    /// [`params_neg`](Self::params_neg): both devices of a pair share their parameters).
    pub fn params_pos(&self) -> &[M::Params] {
        &self.params
    }

    /// Per-device parameters of the `−` devices, row-major.
    pub fn params_neg(&self) -> &[M::Params] {
        &self.params
    }

    /// Total number of pulses applied since construction.
    pub fn total_pulses(&self) -> u64 {
        self.total_pulses
    }

    /// Overwrites the resistances (e.g. to restore a snapshot) and recomputes all weights.
    ///
    /// # Panics
    /// If a slice does not have `n_post · n_pre` entries.
    pub fn set_resistances(&mut self, r_pos: &[f64], r_neg: &[f64]) {
        self.r_pos.copy_from_slice(r_pos);
        self.r_neg.copy_from_slice(r_neg);
        self.refresh_all();
    }

    /// Recomputes every conductance and weight (and, for power-law devices, every pulse count)
    /// from the current resistances.
    pub fn refresh_all(&mut self) {
        for k in 0..self.w.len() {
            let p = &self.params[k];
            self.g_pos[k] = self.model.conductance(p, self.r_pos[k]);
            self.g_neg[k] = self.model.conductance(p, self.r_neg[k]);
            self.w[k] = self.gain * (self.g_pos[k] - self.g_neg[k]);
        }
        if let Some(ps) = &mut self.power {
            for (k, p) in ps.params.iter().enumerate() {
                ps.n_pos[k] = PowerLaw::pulses_from_resistance(p, self.r_pos[k].clamp(p.r0, p.r1));
                ps.n_neg[k] = PowerLaw::pulses_from_resistance(p, self.r_neg[k].clamp(p.r0, p.r1));
            }
        }
    }

    /// The filter stage: `out = W · acts` (`out` has `n_post` entries, `acts` `n_pre`). Zero
    /// activities are skipped (the sums, in column order, are the same as over every column).
    /// Allocation-free.
    ///
    /// # Panics
    /// On a length mismatch.
    pub fn filter_into(&self, acts: &[f64], out: &mut [f64]) {
        assert_eq!(acts.len(), self.n_pre, "acts must have n_pre entries");
        assert_eq!(out.len(), self.n_post, "out must have n_post entries");
        out.fill(0.0);
        let n_pre = self.n_pre;
        if n_pre == 0 {
            return;
        }
        // The nonzero columns, up to 64 at a time (in column order), then every row
        // accumulates them in that order (rows four at a time for instruction-level
        // parallelism).
        let mut idx = [0usize; 64];
        let mut m = 0;
        for (i, &v) in acts.iter().enumerate() {
            idx[m] = i;
            m += usize::from(v != 0.0);
            if m == idx.len() || (i + 1 == n_pre && m > 0) {
                self.accumulate(&idx[..m], acts, out);
                m = 0;
            }
        }
    }

    /// `out[j] += Σ_{i ∈ idx} w_ji · acts[i]`, in the order of `idx`.
    fn accumulate(&self, idx: &[usize], acts: &[f64], out: &mut [f64]) {
        let n_pre = self.n_pre;
        let mut rows = self.w.chunks_exact(n_pre);
        let mut outs = out.chunks_exact_mut(4);
        for o in &mut outs {
            let (w0, w1, w2, w3) = (
                rows.next().unwrap_or_default(),
                rows.next().unwrap_or_default(),
                rows.next().unwrap_or_default(),
                rows.next().unwrap_or_default(),
            );
            let (mut s0, mut s1, mut s2, mut s3) = (o[0], o[1], o[2], o[3]);
            for &i in idx {
                let x = acts[i];
                s0 += w0[i] * x;
                s1 += w1[i] * x;
                s2 += w2[i] * x;
                s3 += w3[i] * x;
            }
            o.copy_from_slice(&[s0, s1, s2, s3]);
        }
        for (o, w) in outs.into_remainder().iter_mut().zip(rows) {
            let mut s = *o;
            for &i in idx {
                s += w[i] * acts[i];
            }
            *o = s;
        }
    }

    /// The mPES pulse stage for one step; returns the number of pulses applied.
    ///
    /// `local_error[j]` is `e_j = Σ_d scaled_encoder_jd · E_d` (`n_post` entries) and `acts[i]`
    /// the filtered pre activity (`n_pre` entries). Exactly:
    /// 1. gate: if no `|e_j| > 1e-5`, nothing happens;
    /// 2. `Δ_ji = −e_j·a_i`, masked to 0 where `round_half_even(a_i) == 0`;
    /// 3. `Δ_ji > 0` pulses `R⁺_ji` once, `Δ_ji < 0` pulses `R⁻_ji` once (each clipped into its
    ///    bounds first); at most one pulse per device per step;
    /// 4. the pulsed weights are recomputed.
    ///
    /// Power-law devices keep their pulse count `n`, so a pulse is `R = R0 + R1·(n+1)^c`,
    /// `n += 1`, with the power evaluated for a row's pulses at once (vectorised, within a few
    /// ulp of `powf`); `n` is recovered from `R`, `((R − R0)/R1)^(1/c)`, only for a device
    /// outside its bounds (clipped first) and when resistances are set. The result equals the
    /// rule's recover-then-pulse form up to float rounding. Other models use
    /// [`DeviceModel::pulse`].
    ///
    /// Allocation-free; rows with `e_j == 0` and masked columns cost nothing per device.
    ///
    /// # Panics
    /// On a length mismatch.
    pub fn mpes_step(&mut self, local_error: &[f64], acts: &[f64]) -> usize {
        assert_eq!(
            local_error.len(),
            self.n_post,
            "local_error must have n_post entries"
        );
        assert_eq!(acts.len(), self.n_pre, "acts must have n_pre entries");
        if !local_error.iter().any(|e| e.abs() > MPES_ERROR_THRESHOLD) {
            return 0;
        }
        let [all, pos, neg] = &mut self.active;
        let (mut n_active, mut n_above, mut n_below) = (0, 0, 0);
        for (i, &a) in acts.iter().enumerate() {
            let on = a.round_ties_even() != 0.0;
            all[n_active] = i;
            pos[n_above] = i;
            neg[n_below] = i;
            n_active += usize::from(on);
            n_above += usize::from(on & (a > 0.0));
            n_below += usize::from(on & (a < 0.0));
        }
        if n_active == 0 {
            return 0;
        }
        // Rows are claimed in chunks of about `PULSES_PER_CHUNK` potential pulses.
        let chunk = (PULSES_PER_CHUNK / n_active).max(1);
        let (power_params, n_pos, n_neg) = match &mut self.power {
            Some(ps) => (
                ps.params.as_ptr(),
                ps.n_pos.as_mut_ptr(),
                ps.n_neg.as_mut_ptr(),
            ),
            None => (std::ptr::null(), std::ptr::null_mut(), std::ptr::null_mut()),
        };
        let [s0, s1] = &mut self.scratch;
        let step = SharedStep {
            model: &self.model,
            gain: self.gain,
            avx2: self.avx2,
            acts,
            active: &all[..n_active],
            active_pos: &pos[..n_above],
            active_neg: &neg[..n_below],
            local_error,
            n_pre: self.n_pre,
            r_pos: self.r_pos.as_mut_ptr(),
            r_neg: self.r_neg.as_mut_ptr(),
            g_pos: self.g_pos.as_mut_ptr(),
            g_neg: self.g_neg.as_mut_ptr(),
            w: self.w.as_mut_ptr(),
            params: self.params.as_ptr(),
            power_params,
            n_pos,
            n_neg,
            scratch: [s0 as *mut RowScratch, s1 as *mut RowScratch],
            chunk,
            next_row: AtomicUsize::new(0),
            next_slot: AtomicUsize::new(0),
            pulses: AtomicUsize::new(0),
        };
        let rows = local_error.iter().filter(|&&e| e != 0.0).count();
        let job = helper::Job {
            run: run_step::<M>,
            data: (&step as *const SharedStep<'_, M>).cast(),
        };
        // SAFETY: `run_step::<M>` gets a `SharedStep<M>`, which lives until the end of this
        // function, after `run_shared`/`run` return; the raw pointers in it come from `self`'s
        // vectors (not touched otherwise meanwhile), each row is claimed by one thread only,
        // and there are two scratch slots for at most two threads.
        unsafe {
            if rows * n_active >= PARALLEL_MIN_PULSES {
                helper::run_shared(job);
            } else {
                job.run();
            }
        }
        let pulses = step.pulses.load(Ordering::Relaxed);
        self.total_pulses += pulses as u64;
        pulses
    }
}

/// Whether large pulse stages ([`MemristorArray::mpes_step`]) may share their rows with a
/// helper thread (default: yes, on machines with more than one CPU, unless the environment
/// variable `NETDSL_PULSE_THREADS=1` was set when the first large array was built). The results
/// are the same either way; this is for timing and for machines whose other core is busy.
pub fn set_parallel_pulses(enabled: bool) {
    helper::ENABLED.store(enabled, Ordering::Relaxed);
}

/// Potential pulses (`rows × active columns`) from which a step is shared with the helper
/// thread (and arrays with at least this many synapses start it): below that the hand-over
/// (a flag seen by a spinning helper, or a futex wake-up when it sleeps) costs about as much as
/// it saves.
const PARALLEL_MIN_PULSES: usize = 4096;

/// Rows are claimed by the threads in chunks of about this many potential pulses (≈ 10 µs).
const PULSES_PER_CHUNK: usize = 1024;

/// One step of the pulse stage as the threads working on it see it: the step's inputs, raw
/// pointers to the array's row-major vectors (each row is claimed by one thread, through
/// `next_row`), one scratch per thread (claimed through `next_slot`).
struct SharedStep<'a, M: DeviceModel> {
    model: &'a M,
    gain: f64,
    avx2: bool,
    acts: &'a [f64],
    /// The columns passing the mask, and those of them with `a_i > 0`, `a_i < 0`. Every entry
    /// is below `n_pre` (the pulse kernels index rows with them unchecked).
    active: &'a [usize],
    active_pos: &'a [usize],
    active_neg: &'a [usize],
    local_error: &'a [f64],
    n_pre: usize,
    r_pos: *mut f64,
    r_neg: *mut f64,
    g_pos: *mut f64,
    g_neg: *mut f64,
    w: *mut f64,
    params: *const M::Params,
    /// Null when the array has no [`PowerState`].
    power_params: *const PowerLawParams,
    n_pos: *mut f64,
    n_neg: *mut f64,
    scratch: [*mut RowScratch; 2],
    chunk: usize,
    next_row: AtomicUsize,
    next_slot: AtomicUsize,
    pulses: AtomicUsize,
}

/// One row of an array as slices of `n_pre` entries.
struct RowMut<'a, M: DeviceModel> {
    r_pos: &'a mut [f64],
    r_neg: &'a mut [f64],
    g_pos: &'a mut [f64],
    g_neg: &'a mut [f64],
    w: &'a mut [f64],
    params: &'a [M::Params],
    /// Power-law parameters and pulse counts `n⁺`, `n⁻`, when the array has them.
    power: Option<(&'a [PowerLawParams], &'a mut [f64], &'a mut [f64])>,
}

/// The body of a step's job, run by the calling thread and possibly the helper: claims a scratch
/// slot, then chunks of rows until none is left.
///
/// # Safety
/// `data` points to a live `SharedStep<M>` whose pointers are valid for `n_post × n_pre`
/// entries and not otherwise accessed while the job runs; at most two threads run it.
unsafe fn run_step<M: DeviceModel>(data: *const ()) {
    // SAFETY: by the contract above.
    let sh = unsafe { &*data.cast::<SharedStep<'_, M>>() };
    let slot = sh.next_slot.fetch_add(1, Ordering::Relaxed);
    // SAFETY: each slot goes to one thread.
    let s = unsafe { &mut *sh.scratch[slot] };
    let n_post = sh.local_error.len();
    let n = sh.n_pre;
    let mut pulses = 0;
    loop {
        let j0 = sh.next_row.fetch_add(sh.chunk, Ordering::Relaxed);
        if j0 >= n_post {
            break;
        }
        for j in j0..(j0 + sh.chunk).min(n_post) {
            let e = sh.local_error[j];
            if e == 0.0 {
                continue;
            }
            let o = j * n;
            // SAFETY: row j is in bounds and claimed by this thread only.
            let row = unsafe {
                use std::slice::{from_raw_parts, from_raw_parts_mut};
                RowMut::<M> {
                    r_pos: from_raw_parts_mut(sh.r_pos.add(o), n),
                    r_neg: from_raw_parts_mut(sh.r_neg.add(o), n),
                    g_pos: from_raw_parts_mut(sh.g_pos.add(o), n),
                    g_neg: from_raw_parts_mut(sh.g_neg.add(o), n),
                    w: from_raw_parts_mut(sh.w.add(o), n),
                    params: from_raw_parts(sh.params.add(o), n),
                    power: (!sh.power_params.is_null()).then(|| {
                        (
                            from_raw_parts(sh.power_params.add(o), n),
                            from_raw_parts_mut(sh.n_pos.add(o), n),
                            from_raw_parts_mut(sh.n_neg.add(o), n),
                        )
                    }),
                }
            };
            pulses += pulse_row(sh, e, row, s);
        }
    }
    sh.pulses.fetch_add(pulses, Ordering::Relaxed);
}

/// The pulse stage of one row with local error `e ≠ 0`; returns its number of pulses.
fn pulse_row<M: DeviceModel>(
    sh: &SharedStep<'_, M>,
    e: f64,
    mut row: RowMut<'_, M>,
    s: &mut RowScratch,
) -> usize {
    if e.is_normal() || e.is_infinite() {
        // Δ = −e·a is then nonzero for every unmasked a (|a| > 0.5) that is not NaN, with the
        // sign of −e·a: the step's sign lists are the row's pulses.
        let (plus, minus) = if e < 0.0 {
            (sh.active_pos, sh.active_neg)
        } else {
            (sh.active_neg, sh.active_pos)
        };
        pulse_side::<M, true>(sh, &mut row, plus, &mut s.batch);
        pulse_side::<M, false>(sh, &mut row, minus, &mut s.batch);
        return plus.len() + minus.len();
    }
    // Subnormal or NaN e: Δ may underflow to 0 (or be NaN); split the row's pulses one by
    // one: Δ > 0 → R⁺ (front of idx), Δ < 0 → R⁻ (back).
    let n_pre = sh.n_pre;
    let (mut n_plus, mut lo_minus) = (0, n_pre);
    for &i in sh.active {
        let d = -e * sh.acts[i];
        if d > 0.0 {
            s.idx[n_plus] = i;
            n_plus += 1;
        } else if d < 0.0 {
            lo_minus -= 1;
            s.idx[lo_minus] = i;
        }
    }
    pulse_side::<M, true>(sh, &mut row, &s.idx[..n_plus], &mut s.batch);
    pulse_side::<M, false>(sh, &mut row, &s.idx[lo_minus..], &mut s.batch);
    n_plus + (n_pre - lo_minus)
}

/// Pulses the devices `idx` (column indices) of one row: the `+` devices if `PLUS`, else the
/// `−` ones; then refreshes their conductances and weights.
#[inline]
fn pulse_side<M: DeviceModel, const PLUS: bool>(
    sh: &SharedStep<'_, M>,
    row: &mut RowMut<'_, M>,
    idx: &[usize],
    b: &mut Batch,
) {
    let gain = sh.gain;
    let (r, g, g_other) = if PLUS {
        (&mut *row.r_pos, &mut *row.g_pos, &*row.g_neg)
    } else {
        (&mut *row.r_neg, &mut *row.g_neg, &*row.g_pos)
    };
    let w = &mut *row.w;
    let Some((params, n_pos, n_neg)) = &mut row.power else {
        let (model, params) = (sh.model, row.params);
        for &i in idx {
            r[i] = model.pulse(&params[i], r[i]);
            g[i] = model.conductance(&params[i], r[i]);
            w[i] = if PLUS {
                gain * (g[i] - g_other[i])
            } else {
                gain * (g_other[i] - g[i])
            };
        }
        return;
    };
    let n = if PLUS { &mut **n_pos } else { &mut **n_neg };
    let nb = idx.len();
    if nb == 0 {
        return;
    }
    let n_pre = r.len();
    assert!(
        params.len() == n_pre
            && n.len() == n_pre
            && g.len() == n_pre
            && g_other.len() == n_pre
            && w.len() == n_pre
            && b.x.len() >= nb,
        "row slices of n_pre entries"
    );
    debug_assert!(idx.iter().all(|&i| i < n_pre));
    // Gather.
    let (x, c, r0, r1) = (
        &mut b.x[..nb],
        &mut b.c[..nb],
        &mut b.r0[..nb],
        &mut b.r1[..nb],
    );
    let (inv_r1, g_den, go) = (
        &mut b.inv_r1[..nb],
        &mut b.g_den[..nb],
        &mut b.g_other[..nb],
    );
    let mut all_in = true;
    for k in 0..nb {
        let i = idx[k];
        // SAFETY: i < n_pre (see `SharedStep::active`), the length of every row slice.
        let (p, ri, ni, goi) = unsafe {
            (
                params.get_unchecked(i),
                *r.get_unchecked(i),
                *n.get_unchecked(i),
                *g_other.get_unchecked(i),
            )
        };
        all_in &= (ri >= p.r0) & (ri <= p.r1);
        x[k] = ni + 1.0;
        c[k] = p.c;
        r0[k] = p.r0;
        r1[k] = p.r1;
        inv_r1[k] = p.inv_r1;
        g_den[k] = p.g_den;
        go[k] = goi;
    }
    if !all_in {
        // A device outside its bounds (or NaN): clip, then recover n from R.
        for k in 0..nb {
            let (p, ri) = (&params[idx[k]], r[idx[k]]);
            if !((ri >= p.r0) & (ri <= p.r1)) {
                x[k] = PowerLaw::pulses_from_resistance(p, ri.clamp(p.r0, p.r1)) + 1.0;
            }
        }
    }
    if !pulse_batch::<PLUS>(b, nb, gain, sh.avx2) {
        for k in 0..nb {
            if !pow_core_ok(b.x[k], b.c[k]) {
                let y = powf_cold(b.x[k], b.c[k]);
                b.finish::<PLUS>(k, y, gain);
            }
        }
    }
    // Scatter.
    let (x, ro, gout, wout) = (&b.x[..nb], &b.r[..nb], &b.g[..nb], &b.w[..nb]);
    for k in 0..nb {
        let i = idx[k];
        // SAFETY: as above.
        unsafe {
            *r.get_unchecked_mut(i) = ro[k];
            *n.get_unchecked_mut(i) = x[k];
            *g.get_unchecked_mut(i) = gout[k];
            *w.get_unchecked_mut(i) = wout[k];
        }
    }
}

/// One helper thread, shared by every array in the process, that takes part in large pulse
/// stages. Hand-over uses a `Mutex` and `Condvar`s (futexes: no allocation), with a short spin
/// on both sides first, so that back-to-back steps make no system calls (the helper sleeps
/// after ~0.1 ms without work); only the thread's start allocates, at build time.
mod helper {
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::sync::{Condvar, Mutex, MutexGuard, Once};

    /// A job: `run(data)` may be called by two threads at once and shares the work itself.
    #[derive(Clone, Copy)]
    pub(super) struct Job {
        pub run: unsafe fn(*const ()),
        pub data: *const (),
    }

    impl Job {
        /// Runs the job on the calling thread.
        ///
        /// # Safety
        /// `run(data)` must be sound to call.
        pub unsafe fn run(self) {
            // SAFETY: by the caller.
            unsafe { (self.run)(self.data) }
        }
    }

    // SAFETY: a job is only run by the helper while its poster waits for it (`run_shared`).
    unsafe impl Send for Job {}

    enum State {
        Idle,
        Posted(Job),
        Taken,
        Done,
    }

    static STATE: Mutex<State> = Mutex::new(State::Idle);
    /// The helper waits on this for a posted job.
    static POSTED: Condvar = Condvar::new();
    /// The poster waits on this for the helper to finish.
    static DONE: Condvar = Condvar::new();
    /// Whether the helper thread runs.
    static RUNNING: AtomicBool = AtomicBool::new(false);
    /// Whether some thread is using the helper (others then work alone).
    pub(super) static IN_USE: AtomicBool = AtomicBool::new(false);
    /// Whether steps may use the helper ([`set_parallel_pulses`](super::set_parallel_pulses)).
    pub(super) static ENABLED: AtomicBool = AtomicBool::new(true);
    static START: Once = Once::new();
    /// `STATE`'s [`State::phase`] as seen without the lock, for spinning (written only by `set`).
    static PHASE: AtomicU8 = AtomicU8::new(PHASE_IDLE);
    const PHASE_IDLE: u8 = 0;
    const PHASE_POSTED: u8 = 1;
    const PHASE_TAKEN: u8 = 2;
    const PHASE_DONE: u8 = 3;
    /// Whether the helper waits on `POSTED` / the poster on `DONE` (set under the lock, so a
    /// notification is sent exactly when someone sleeps: no system call otherwise).
    static HELPER_ASLEEP: AtomicBool = AtomicBool::new(false);
    static POSTER_ASLEEP: AtomicBool = AtomicBool::new(false);
    /// Spins before sleeping (about 0.1 ms here, `spin_loop` being a `pause` of ~30 ns):
    /// consecutive steps' jobs come closer together than that, and waking a sleeping thread
    /// costs system calls on both sides (they were a fifth of the forum network's step).
    const SPINS: u32 = 1 << 12;

    impl State {
        /// This state's `PHASE_*` value.
        fn phase(&self) -> u8 {
            match self {
                State::Idle => PHASE_IDLE,
                State::Posted(_) => PHASE_POSTED,
                State::Taken => PHASE_TAKEN,
                State::Done => PHASE_DONE,
            }
        }
    }

    /// Sets the state and its lock-free mirror `PHASE` (the lock held: `s` is its guard).
    fn set(s: &mut State, to: State) {
        PHASE.store(to.phase(), Ordering::Release);
        *s = to;
    }

    /// Sets the state, then notifies `cv` if the other side sleeps on it (`asleep`, read under
    /// the lock, so that neither a notification is lost nor a system call made for nobody).
    fn set_and_wake(to: State, asleep: &AtomicBool, cv: &Condvar) {
        let mut s = lock();
        set(&mut s, to);
        let wake = asleep.load(Ordering::Relaxed);
        drop(s);
        if wake {
            cv.notify_one();
        }
    }

    /// Sleeps on `cv` (flagged in `asleep` meanwhile) and returns the guard again.
    fn sleep<'a>(
        s: MutexGuard<'a, State>,
        asleep: &AtomicBool,
        cv: &Condvar,
    ) -> MutexGuard<'a, State> {
        asleep.store(true, Ordering::Relaxed);
        let s = cv.wait(s).unwrap_or_else(|e| e.into_inner());
        asleep.store(false, Ordering::Relaxed);
        s
    }

    fn spin_while(busy: impl Fn() -> bool) {
        for _ in 0..SPINS {
            if !busy() {
                return;
            }
            std::hint::spin_loop();
        }
    }

    fn lock() -> MutexGuard<'static, State> {
        STATE.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the helper thread once, if the machine has more than one CPU and the environment
    /// variable `NETDSL_PULSE_THREADS` is not `1`.
    pub(super) fn start() {
        START.call_once(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            let one = std::env::var("NETDSL_PULSE_THREADS").is_ok_and(|v| v.trim() == "1");
            if cpus > 1
                && !one
                && std::thread::Builder::new()
                    .name("netdsl-mpes".into())
                    .spawn(helper_loop)
                    .is_ok()
            {
                RUNNING.store(true, Ordering::Release);
            }
        });
    }

    fn helper_loop() {
        loop {
            spin_while(|| PHASE.load(Ordering::Acquire) != PHASE_POSTED);
            let job = {
                let mut s = lock();
                loop {
                    if let State::Posted(job) = *s {
                        set(&mut s, State::Taken);
                        break job;
                    }
                    s = sleep(s, &HELPER_ASLEEP, &POSTED);
                }
            };
            // SAFETY: the poster waits until `Done` (see `run_shared`).
            unsafe { job.run() };
            set_and_wake(State::Done, &POSTER_ASLEEP, &DONE);
        }
    }

    /// Runs `job` on the calling thread and, when the helper is free, on the helper too;
    /// returns once neither runs it. A helper that wakes up late finds the job withdrawn (or
    /// nothing left to do), so a busy machine costs at most the hand-over.
    ///
    /// # Safety
    /// `job.run(job.data)` must be sound to call from two threads at once, until this returns.
    pub(super) unsafe fn run_shared(job: Job) {
        if !RUNNING.load(Ordering::Acquire)
            || !ENABLED.load(Ordering::Relaxed)
            || IN_USE.swap(true, Ordering::Acquire)
        {
            // SAFETY: by the caller.
            unsafe { job.run() };
            return;
        }
        set_and_wake(State::Posted(job), &HELPER_ASLEEP, &POSTED);
        // SAFETY: by the caller.
        unsafe { job.run() };
        // The helper, if it took the job, finishes its share about when this thread does.
        spin_while(|| PHASE.load(Ordering::Acquire) == PHASE_TAKEN);
        let mut s = lock();
        loop {
            match *s {
                State::Posted(_) | State::Done => break,
                State::Taken => s = sleep(s, &POSTER_ASLEEP, &DONE),
                State::Idle => unreachable!("a posted job vanished"),
            }
        }
        set(&mut s, State::Idle);
        drop(s);
        IN_USE.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    fn nominal() -> (PowerLaw, PowerLawParams) {
        let m = PowerLaw::default();
        (m, m.nominal())
    }

    fn array(n_post: usize, n_pre: usize) -> MemristorArray<PowerLaw> {
        MemristorArray::new(
            PowerLaw::default(),
            n_post,
            n_pre,
            1e3,
            Variability::NONE,
            &mut Rng::new(1),
        )
    }

    #[test]
    fn check1_pulses_from_resistance() {
        let (_, p) = nominal();
        let n = PowerLaw::pulses_from_resistance(&p, 1e8);
        assert!(rel(n, 300.3266468189994) < 1e-12, "n = {n}");
    }

    #[test]
    fn check2_pulse_sequence_and_closed_form() {
        let (m, p) = nominal();
        let n0 = PowerLaw::pulses_from_resistance(&p, 1e8);
        let expected = [
            (1, 99951478.89301668),
            (2, 99903141.97068724),
            (10, 99522923.4398156),
            (100, 95890641.713071),
            (1000, 80737863.403064),
            (20000, 54054767.17364),
        ];
        let mut r = 1e8;
        let mut k = 0;
        for &(target, value) in &expected {
            while k < target {
                r = m.pulse(&p, r);
                k += 1;
            }
            assert!(rel(r, value) < 1e-12, "{k} pulses: {r} vs {value}");
            let closed = PowerLaw::resistance_after(&p, n0 + k as f64);
            assert!(rel(r, closed) < 1e-12, "{k} pulses: {r} vs closed {closed}");
        }
    }

    #[test]
    fn check3_conductance() {
        let (m, p) = nominal();
        assert!(rel(m.conductance(&p, 1e8), 1.130435765596318e-06) < 1e-12);
        assert!((m.conductance(&p, 200.0) - 1.0).abs() < 1e-15);
        assert_eq!(m.conductance(&p, 2.3e8), 0.0);
    }

    #[test]
    fn check4_weight_after_pulses() {
        let (m, p) = nominal();
        let mut a = array(1, 1);
        // Δ > 0 (e < 0) pulses R⁺.
        a.mpes_step(&[-1.0], &[1.0]);
        assert_eq!(a.r_neg()[0], 1e8);
        assert!(
            rel(a.weights()[0], 9.708940720636e-07) < 1e-10,
            "{}",
            a.weights()[0]
        );
        for _ in 1..100 {
            a.mpes_step(&[-1.0], &[1.0]);
        }
        assert!(
            rel(a.weights()[0], 8.570934111763e-05) < 1e-10,
            "{}",
            a.weights()[0]
        );
        // The same on R⁻ gives exactly the negative.
        let mut b = array(1, 1);
        for _ in 0..100 {
            b.mpes_step(&[1.0], &[1.0]);
        }
        assert_eq!(b.r_pos()[0], 1e8);
        assert_eq!(b.weights()[0], -a.weights()[0]);
        // Direct formula agrees with the array's bookkeeping.
        let w = 1e3 * (m.conductance(&p, a.r_pos()[0]) - m.conductance(&p, 1e8));
        assert_eq!(w, a.weights()[0]);
        assert_eq!(a.total_pulses(), 100);
    }

    #[test]
    fn check5_clip_before_pulse() {
        let (m, p) = nominal();
        let r = m.pulse(&p, 3e8);
        assert!(rel(r, 207863236.7773) < 1e-12, "{r}");
        let n = PowerLaw::pulses_from_resistance(&p, 2.3e8);
        assert!(rel(n, 1.0000059559) < 1e-10, "{n}");
        // Below R0 clips to R0 and stays there.
        assert_eq!(m.pulse(&p, 100.0), 200.0);
    }

    #[test]
    fn check6_noise_off_zero_weights_and_gate() {
        let mut a = array(20, 30);
        assert!(a.weights().iter().all(|&w| w == 0.0));
        assert!(a.r_pos().iter().chain(a.r_neg()).all(|&r| r == 1e8));
        let e: Vec<f64> = (0..20)
            .map(|j| if j % 2 == 0 { 1e-5 } else { -1e-5 })
            .collect();
        let acts = vec![100.0; 30];
        assert_eq!(a.mpes_step(&e, &acts), 0);
        assert!(a.weights().iter().all(|&w| w == 0.0));
        assert!(a.r_pos().iter().chain(a.r_neg()).all(|&r| r == 1e8));
        // One error just above the gate opens it for every nonzero row.
        let mut e2 = e.clone();
        e2[3] = -1.1e-5;
        assert_eq!(a.mpes_step(&e2, &acts), 20 * 30);
    }

    #[test]
    fn check7_gate_mask_sign() {
        let (m, p) = nominal();
        let once = m.pulse(&p, 1e8);
        let mut a = array(3, 3);
        let n = a.mpes_step(&[0.5, -0.2, 0.0], &[0.3, 10.0, 200.0]);
        assert_eq!(n, 4);
        let idx = |j: usize, i: usize| j * 3 + i;
        for j in 0..3 {
            // Column 0 untouched (rint 0.3 = 0).
            assert_eq!(a.r_pos()[idx(j, 0)], 1e8);
            assert_eq!(a.r_neg()[idx(j, 0)], 1e8);
            // Row 2 untouched.
            assert_eq!(a.r_pos()[idx(2, j)], 1e8);
            assert_eq!(a.r_neg()[idx(2, j)], 1e8);
        }
        for i in 1..3 {
            assert_eq!(a.r_neg()[idx(0, i)], once);
            assert_eq!(a.r_pos()[idx(0, i)], 1e8);
            assert!(a.weights()[idx(0, i)] < 0.0);
            assert_eq!(a.r_pos()[idx(1, i)], once);
            assert_eq!(a.r_neg()[idx(1, i)], 1e8);
            assert!(a.weights()[idx(1, i)] > 0.0);
        }
        // a = 0.5 rounds (half to even) to 0: no pulse; 0.51 pulses; 1.5 and 2.5 pulse.
        let mut b = array(1, 4);
        assert_eq!(b.mpes_step(&[1.0], &[0.5, 0.51, -0.5, 2.5]), 2);
        assert_eq!(b.r_neg()[0], 1e8);
        assert_eq!(b.r_neg()[1], once);
        assert_eq!(b.r_neg()[2], 1e8);
        assert_eq!(b.r_neg()[3], once);
    }

    #[test]
    fn check8_at_most_one_pulse_per_device_per_step() {
        let (m, _) = nominal();
        let mut rng = Rng::new(7);
        let mut a = MemristorArray::new(m, 40, 50, 1e4, Variability::uniform(0.15), &mut rng);
        let mut e = vec![0.0; 40];
        let mut acts = vec![0.0; 50];
        for _ in 0..20 {
            for x in e.iter_mut() {
                *x = rng.uniform(-1.0, 1.0);
            }
            for x in acts.iter_mut() {
                *x = rng.uniform(-3.0, 300.0);
            }
            let before_p = a.r_pos().to_vec();
            let before_n = a.r_neg().to_vec();
            let n = a.mpes_step(&e, &acts);
            let mut changed = 0;
            for k in 0..before_p.len() {
                let (pp, pn) = (&a.params_pos()[k], &a.params_neg()[k]);
                let dp = a.r_pos()[k] != before_p[k];
                let dn = a.r_neg()[k] != before_n[k];
                assert!(!(dp && dn), "both devices of a pair pulsed");
                // One pulse of the model, up to rounding (the array keeps the pulse count
                // instead of recovering it from R).
                if dp {
                    assert!(rel(a.r_pos()[k], m.pulse(pp, before_p[k])) < 1e-13);
                    changed += 1;
                }
                if dn {
                    assert!(rel(a.r_neg()[k], m.pulse(pn, before_n[k])) < 1e-13);
                    changed += 1;
                }
                let w =
                    a.gain() * (m.conductance(pp, a.r_pos()[k]) - m.conductance(pn, a.r_neg()[k]));
                assert_eq!(a.weights()[k], w);
            }
            assert_eq!(changed, n);
        }
    }

    #[test]
    fn check9_lowpass_spike_and_mask() {
        // Nengo's Lowpass(0.005) at dt = 0.001: y[n] = a·y[n−1] + (1 − a)·x[n], a = exp(−dt/τ).
        let a = (-0.001f64 / 0.005).exp();
        let mut y = 0.0;
        let mut above = 0;
        for step in 0..100 {
            let x = if step == 0 { 1000.0 } else { 0.0 };
            y = a * y + (1.0 - a) * x;
            if step == 0 {
                assert!((y - 181.26924692).abs() < 1e-8, "{y}");
            }
            if y >= 0.5 {
                above += 1;
            }
        }
        assert_eq!(above, 30);
        // The filtered trace drives pulses exactly while it rounds to a nonzero value.
        let mut arr = array(1, 1);
        let mut y = 0.0;
        let mut pulses = 0;
        for step in 0..100 {
            let x = if step == 0 { 1000.0 } else { 0.0 };
            y = a * y + (1.0 - a) * x;
            pulses += arr.mpes_step(&[1.0], &[y]);
        }
        assert_eq!(pulses, 30);
    }

    #[test]
    fn voltage_constructor_and_defaults() {
        assert!((PowerLaw::exponent_for_voltage(0.1) - -0.146).abs() < 1e-15);
        let m = PowerLaw::with_voltage(0.1);
        assert!((m.c - -0.146).abs() < 1e-15);
        assert_eq!(m.r0, 200.0);
        assert_eq!(m.r1, 2.3e8);
    }

    #[test]
    fn scale_of_pulses() {
        let (_, p) = nominal();
        let n0 = PowerLaw::pulses_from_resistance(&p, 1e8);
        for (k, r) in [(1e4, 5.97e7), (1e5, 4.28e7), (1e6, 3.06e7)] {
            let got = PowerLaw::resistance_after(&p, n0 + k);
            assert!(rel(got, r) < 5e-3, "{k}: {got}");
        }
    }

    #[test]
    fn variability_is_seeded_and_sane() {
        let m = PowerLaw::default();
        let v = Variability::uniform(0.15);
        let a = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(42));
        let b = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(42));
        let c = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(43));
        assert_eq!(a.r_pos(), b.r_pos());
        assert_eq!(a.weights(), b.weights());
        assert_ne!(a.r_pos(), c.r_pos());
        let max_r0 = a
            .params_pos()
            .iter()
            .chain(a.params_neg())
            .map(|p| p.r0)
            .fold(f64::NEG_INFINITY, f64::max);
        for p in a.params_pos().iter().chain(a.params_neg()) {
            assert!(p.r0 >= 0.0);
            assert!(p.r1 >= p.r0 && p.r1 >= max_r0);
            assert!(p.c < 0.0);
            assert_eq!(p.inv_c, 1.0 / p.c);
        }
        // Spread of the initial resistances is about 15 %.
        let rs: Vec<f64> = a.r_pos().iter().chain(a.r_neg()).copied().collect();
        let mean = rs.iter().sum::<f64>() / rs.len() as f64;
        let sd = (rs.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / rs.len() as f64).sqrt();
        assert!(rel(mean, 1e8) < 0.03, "{mean}");
        assert!((sd / 1e8 - 0.15).abs() < 0.03, "{sd}");
        assert!(a.weights().iter().any(|&w| w != 0.0));
    }

    #[test]
    fn linear_model_through_trait_and_enum() {
        let m = LinearConductance {
            r_on: 100.0,
            r_off: 1e6,
            step: 0.25,
            r_init: 1e6,
        };
        let p = m.nominal();
        assert_eq!(m.conductance(&p, 1e6), 0.0);
        let mut r = 1e6;
        for k in 1..=3 {
            r = m.pulse(&p, r);
            assert!((m.conductance(&p, r) - 0.25 * k as f64).abs() < 1e-12);
        }
        r = m.pulse(&p, r);
        assert_eq!(r, 100.0);
        assert_eq!(m.pulse(&p, r), 100.0);
        // Above the high bound: clipped to r_off first.
        assert!((m.conductance(&p, m.pulse(&p, 5e6)) - 0.25).abs() < 1e-12);

        let mut a = MemristorArray::new(
            Device::from(m),
            2,
            2,
            2.0,
            Variability::NONE,
            &mut Rng::new(0),
        );
        assert_eq!(a.mpes_step(&[-1.0, 1.0], &[1.0, 0.0]), 2);
        assert!((a.weights()[0] - 0.5).abs() < 1e-12);
        assert!((a.weights()[2] + 0.5).abs() < 1e-12);
        assert_eq!(a.weights()[1], 0.0);
        assert_eq!(a.weights()[3], 0.0);

        // The enum dispatches the power law identically.
        let mut b = MemristorArray::new(
            Device::default(),
            1,
            1,
            1e3,
            Variability::NONE,
            &mut Rng::new(0),
        );
        b.mpes_step(&[-1.0], &[1.0]);
        assert_eq!(b.r_pos()[0], 99951478.89301668);
    }

    #[test]
    fn filter_stage_is_w_times_a() {
        let mut rng = Rng::new(3);
        let a = MemristorArray::new(
            PowerLaw::default(),
            3,
            4,
            1e4,
            Variability::uniform(0.15),
            &mut rng,
        );
        let acts = [1.0, 0.0, 2.0, -3.0];
        let mut out = [0.0; 3];
        a.filter_into(&acts, &mut out);
        for (j, o) in out.iter().enumerate() {
            let s: f64 = (0..4).map(|i| a.weights()[j * 4 + i] * acts[i]).sum();
            assert!((o - s).abs() <= 1e-15 * s.abs().max(1e-300));
        }
        assert_eq!(a.weights_view().shape(), &[3, 4]);
    }

    #[test]
    fn mpes_step_200x200_is_fast() {
        let mut rng = Rng::new(11);
        let mut a = MemristorArray::new(
            PowerLaw::default(),
            200,
            200,
            1e4,
            Variability::uniform(0.15),
            &mut rng,
        );
        let e: Vec<f64> = (0..200).map(|_| rng.uniform(-1.0, 1.0)).collect();
        // About a fifth of the pre neurons active, as in a typical run.
        let acts: Vec<f64> = (0..200)
            .map(|_| if rng.next_f64() < 0.2 { 50.0 } else { 0.1 })
            .collect();
        let t = std::time::Instant::now();
        let mut total = 0;
        for _ in 0..100 {
            total += a.mpes_step(&e, &acts);
        }
        let per_step = t.elapsed().as_secs_f64() / 100.0;
        assert!(total > 0);
        eprintln!(
            "mpes_step 200x200: {:.1} us/step, {} pulses/step",
            per_step * 1e6,
            total / 100
        );
    }

    /// §2 written out plainly, as the reference for the array's kernels: R recovered from n by
    /// `pulse` (clip, `n = ((R − R0)/R1)^(1/c)`, `R0 + R1·(n+1)^c`) on every pulse, weights
    /// recomputed from the conductances.
    struct Reference<M: DeviceModel> {
        model: M,
        gain: f64,
        n_pre: usize,
        params: Vec<M::Params>,
        r_pos: Vec<f64>,
        r_neg: Vec<f64>,
    }

    impl<M: DeviceModel> Reference<M> {
        fn of(a: &MemristorArray<M>) -> Self {
            Reference {
                model: a.model().clone(),
                gain: a.gain(),
                n_pre: a.n_pre(),
                params: a.params_pos().to_vec(),
                r_pos: a.r_pos().to_vec(),
                r_neg: a.r_neg().to_vec(),
            }
        }

        fn step(&mut self, e: &[f64], acts: &[f64]) -> usize {
            if !e.iter().any(|e| e.abs() > MPES_ERROR_THRESHOLD) {
                return 0;
            }
            let mut pulses = 0;
            for (j, &ej) in e.iter().enumerate() {
                for (i, &a) in acts.iter().enumerate() {
                    let d = if a.round_ties_even() == 0.0 {
                        0.0
                    } else {
                        -ej * a
                    };
                    let k = j * self.n_pre + i;
                    if d > 0.0 {
                        self.r_pos[k] = self.model.pulse(&self.params[k], self.r_pos[k]);
                        pulses += 1;
                    } else if d < 0.0 {
                        self.r_neg[k] = self.model.pulse(&self.params[k], self.r_neg[k]);
                        pulses += 1;
                    }
                }
            }
            pulses
        }

        fn conductances(&self, k: usize) -> (f64, f64) {
            let p = &self.params[k];
            (
                self.model.conductance(p, self.r_pos[k]),
                self.model.conductance(p, self.r_neg[k]),
            )
        }
    }

    /// Random local errors (some rows exactly 0, some subnormal, infinite or NaN now and then)
    /// and activities (masked ones, negative ones, NaN now and then).
    fn random_inputs(rng: &mut Rng, e: &mut [f64], acts: &mut [f64], step: usize) {
        for x in e.iter_mut() {
            *x = match rng.next_f64() {
                u if u < 0.1 => 0.0,
                u if u < 0.12 => rng.uniform(-1.0, 1.0) * 1e-310,
                _ => rng.uniform(-1.0, 1.0),
            };
        }
        for x in acts.iter_mut() {
            *x = match rng.next_f64() {
                u if u < 0.3 => rng.uniform(0.0, 0.5),
                u if u < 0.4 => rng.uniform(-50.0, -0.3),
                u if u < 0.45 => 0.5,
                _ => rng.uniform(0.3, 300.0),
            };
        }
        if step % 97 == 5 {
            e[1] = f64::NEG_INFINITY;
            e[2] = f64::NAN;
            acts[3] = f64::NAN;
            acts[4] = f64::INFINITY;
            // Subnormal e times a small a underflows to 0: no pulse.
            e[0] = 4e-324;
            acts[5] = 0.51;
        }
    }

    /// Runs `a` against the reference for `steps` steps; every `reset_every` steps, sets some
    /// resistances outside the bounds (above R1, below R0, at R1) on both arrays.
    fn compare_with_reference<M: DeviceModel>(
        mut a: MemristorArray<M>,
        steps: usize,
        seed: u64,
        tol: f64,
    ) -> u64 {
        let mut reference = Reference::of(&a);
        let (n_post, n_pre) = (a.n_post(), a.n_pre());
        let mut rng = Rng::new(seed);
        let mut e = vec![0.0; n_post];
        let mut acts = vec![0.0; n_pre];
        for step in 0..steps {
            random_inputs(&mut rng, &mut e, &mut acts, step);
            // A closed gate now and then.
            if step % 50 == 7 {
                e.iter_mut().for_each(|x| *x = 1e-5);
            }
            let expect = reference.step(&e, &acts);
            assert_eq!(a.mpes_step(&e, &acts), expect, "pulses at step {step}");
            if step % 400 == 399 && step + 1 < steps {
                let (mut rp, mut rn) = (a.r_pos().to_vec(), a.r_neg().to_vec());
                for k in (0..rp.len()).step_by(7) {
                    let (lo, hi) = a.model().bounds(&a.params_pos()[k]);
                    rp[k] = [hi * 1.3, lo * 0.5, hi, lo][(k / 7) % 4];
                    rn[k] = [lo * 0.5, hi * 1.01, lo, hi][(k / 7) % 4];
                }
                a.set_resistances(&rp, &rn);
                reference.r_pos.copy_from_slice(&rp);
                reference.r_neg.copy_from_slice(&rn);
            }
        }
        let mut worst = 0.0f64;
        for k in 0..a.weights().len() {
            for (got, want) in [
                (a.r_pos()[k], reference.r_pos[k]),
                (a.r_neg()[k], reference.r_neg[k]),
            ] {
                if got != want {
                    worst = worst.max(rel(got, want));
                }
                assert!(
                    got == want || rel(got, want) <= tol,
                    "device {k}: {got} vs {want}"
                );
            }
            let (gp, gn) = reference.conductances(k);
            let w = reference.gain * (gp - gn);
            assert!(
                (a.weights()[k] - w).abs() <= tol * reference.gain * (gp.abs() + gn.abs()),
                "weight {k}: {} vs {w}",
                a.weights()[k]
            );
        }
        eprintln!(
            "{n_post}×{n_pre}, {} pulses: worst relative difference of R {worst:e}",
            a.total_pulses()
        );
        a.total_pulses()
    }

    #[test]
    fn power_law_kernel_matches_the_reference() {
        // 30 × 40 devices, σ = 0.15: thousands of pulses per device.
        let m = PowerLaw::default();
        let v = Variability::uniform(0.15);
        let a = MemristorArray::new(m, 30, 40, 1e4, v, &mut Rng::new(21));
        let pulses = compare_with_reference(a, 4000, 1, 1e-12);
        assert!(pulses > 30 * 40 * 2000, "{pulses}");
        // The same through the `Device` enum, and without variability.
        let a = MemristorArray::new(Device::default(), 30, 40, 1e3, v, &mut Rng::new(22));
        compare_with_reference(a, 1500, 2, 1e-12);
        let a = MemristorArray::new(m, 7, 9, 1e3, Variability::NONE, &mut Rng::new(23));
        compare_with_reference(a, 3000, 3, 1e-12);
    }

    #[test]
    fn large_arrays_share_rows_with_the_helper_and_match_the_reference() {
        // Above PARALLEL_MIN_PULSES: the step may be shared with the helper thread.
        let m = Device::default();
        let a = MemristorArray::new(
            m,
            90,
            120,
            1e4,
            Variability::uniform(0.15),
            &mut Rng::new(31),
        );
        const { assert!(90 * 120 >= PARALLEL_MIN_PULSES) };
        compare_with_reference(a, 500, 4, 1e-12);
    }

    #[test]
    fn helper_hand_over_runs_every_item_once_and_returns_only_when_done() {
        use std::sync::atomic::{AtomicU32, AtomicUsize};
        /// Work items claimed one at a time by whichever thread runs the job.
        struct Items {
            next: AtomicUsize,
            done: Vec<AtomicU32>,
            spin: u32,
        }
        unsafe fn run(data: *const ()) {
            // SAFETY: `data` is the `Items` of the poster, alive until `run_shared` returns.
            let items = unsafe { &*data.cast::<Items>() };
            loop {
                let i = items.next.fetch_add(1, Ordering::Relaxed);
                let Some(d) = items.done.get(i) else { return };
                for _ in 0..items.spin {
                    std::hint::spin_loop();
                }
                d.fetch_add(1, Ordering::Relaxed);
            }
        }
        helper::start();
        let mut rng = Rng::new(77);
        for round in 0..3000 {
            let n = (rng.uniform(0.0, 64.0)) as usize;
            let items = Items {
                next: AtomicUsize::new(0),
                done: (0..n).map(|_| AtomicU32::new(0)).collect(),
                spin: if round % 3 == 0 { 200 } else { 0 },
            };
            let job = helper::Job {
                run,
                data: (&items as *const Items).cast(),
            };
            // SAFETY: `run` only claims items through atomics, so two threads may run it at once.
            unsafe { helper::run_shared(job) };
            // Returned: nobody runs the job any more, and every item ran exactly once.
            assert!(
                items.done.iter().all(|d| d.load(Ordering::Relaxed) == 1),
                "round {round}, {n} items"
            );
            if round % 500 == 499 {
                // Long enough for the helper to stop spinning and sleep.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }

    #[test]
    fn helper_thread_gives_bit_identical_results() {
        let m = PowerLaw::default();
        let a = MemristorArray::new(
            m,
            100,
            150,
            1e4,
            Variability::uniform(0.15),
            &mut Rng::new(41),
        );
        let mut b = a.clone();
        let mut a = a;
        let mut rng = Rng::new(5);
        let mut e = vec![0.0; 100];
        let mut acts = vec![0.0; 150];
        for step in 0..200 {
            random_inputs(&mut rng, &mut e, &mut acts, step);
            // `a` may use the helper (the flag is global: other tests may clear it meanwhile,
            // which only changes who does the work), `b` works alone through the same kernel.
            let na = a.mpes_step(&e, &acts);
            let nb = {
                let busy = helper::IN_USE.swap(true, Ordering::Acquire);
                let n = b.mpes_step(&e, &acts);
                if !busy {
                    helper::IN_USE.store(false, Ordering::Release);
                }
                n
            };
            assert_eq!(na, nb);
        }
        assert_eq!(a.r_pos(), b.r_pos());
        assert_eq!(a.r_neg(), b.r_neg());
        assert_eq!(a.weights(), b.weights());
    }

    #[test]
    fn linear_model_kernel_matches_the_reference_exactly() {
        let m = LinearConductance {
            r_init: 1e8,
            ..LinearConductance::default()
        };
        let a = MemristorArray::new(m, 12, 17, 2.0, Variability::uniform(0.1), &mut Rng::new(51));
        compare_with_reference(a, 1500, 6, 0.0);
    }

    #[test]
    fn vector_power_is_within_a_few_ulp_of_powf() {
        let mut rng = Rng::new(61);
        let n = 4099;
        let mut b = Batch::new(n);
        for k in 0..n {
            b.x[k] = 1.0 + (rng.uniform(0.0, 25.0)).exp();
            b.c[k] = rng.uniform(-1.0, 1.0);
            b.r0[k] = 0.0;
            b.r1[k] = 1.0;
            b.inv_r1[k] = 1.0;
            b.g_den[k] = 1.0;
        }
        b.x[0] = 1.0;
        b.x[1] = 1.0000059559;
        b.x[2] = std::f64::consts::SQRT_2;
        b.x[3] = 2.0;
        assert!(pulse_batch::<true>(&mut b, n, 1.0, false));
        // The error is that of t = c·ln x (about |t| ulp of t) plus a few ulp: for the devices'
        // range (c ≈ −0.15, x ≤ 1e7, |t| ≤ 3) about 10 ulp at most.
        for k in 0..n {
            let (x, c) = (b.x[k], b.c[k]);
            let want = x.powf(c);
            let t = (c * x.ln()).abs();
            assert!(
                rel(b.r[k], want) <= (4.0 + 2.0 * t) * f64::EPSILON,
                "{x}^{c}: {} vs {want}",
                b.r[k]
            );
        }
        assert_eq!(pow_core(1.0, -0.146), 1.0);
        // The AVX2 path gives the same bits.
        if has_avx2() {
            let mut v = b.clone();
            assert!(pulse_batch::<true>(&mut v, n, 1.0, true));
            assert_eq!(v.r, b.r);
            assert_eq!(v.g, b.g);
            assert_eq!(v.w, b.w);
        }
        // Out of range: reported, for the caller's `powf`.
        b.x[7] = f64::INFINITY;
        assert!(!pulse_batch::<true>(&mut b, n, 1.0, false));
        b.x[7] = 2.0;
        b.c[8] = 1.5;
        assert!(!pulse_batch::<false>(&mut b, n, 1.0, false));
    }
}
