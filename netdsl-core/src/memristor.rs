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
}

// ---------------------------------------------------------------------------------------------
// The array
// ---------------------------------------------------------------------------------------------

/// An `n_post × n_pre` array of differential device pairs, stored flat and row-major
/// (index `j·n_pre + i` for post `j`, pre `i`), with its weight matrix `w = γ(g⁺ − g⁻)` kept in
/// sync.
#[derive(Clone, Debug)]
pub struct MemristorArray<M: DeviceModel> {
    model: M,
    n_post: usize,
    n_pre: usize,
    gain: f64,
    r_pos: Vec<f64>,
    r_neg: Vec<f64>,
    p_pos: Vec<M::Params>,
    p_neg: Vec<M::Params>,
    w: Vec<f64>,
    /// Scratch: the pre indices that pass the mask in the current step (capacity `n_pre`).
    active: Vec<usize>,
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
        let mut p_pos = vec![nominal; n];
        model.sample_params(&variability, rng, &mut p_pos);
        let p_neg = p_pos.clone();
        let r_pos: Vec<f64> = p_pos
            .iter()
            .map(|p| model.initial_resistance(p, &variability, rng))
            .collect();
        let r_neg: Vec<f64> = p_neg
            .iter()
            .map(|p| model.initial_resistance(p, &variability, rng))
            .collect();
        let mut a = MemristorArray {
            model,
            n_post,
            n_pre,
            gain,
            r_pos,
            r_neg,
            p_pos,
            p_neg,
            w: vec![0.0; n],
            active: Vec::with_capacity(n_pre),
            total_pulses: 0,
        };
        a.refresh_all();
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
        self.refresh_all();
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

    /// Per-device parameters of the `+` devices, row-major.
    pub fn params_pos(&self) -> &[M::Params] {
        &self.p_pos
    }

    /// Per-device parameters of the `−` devices, row-major.
    pub fn params_neg(&self) -> &[M::Params] {
        &self.p_neg
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

    /// Recomputes every weight from the current resistances.
    pub fn refresh_all(&mut self) {
        for k in 0..self.w.len() {
            self.w[k] = self.weight_at(k);
        }
    }

    #[inline]
    fn weight_at(&self, k: usize) -> f64 {
        let gp = self.model.conductance(&self.p_pos[k], self.r_pos[k]);
        let gn = self.model.conductance(&self.p_neg[k], self.r_neg[k]);
        self.gain * (gp - gn)
    }

    /// The filter stage: `out = W · acts` (`out` has `n_post` entries, `acts` `n_pre`). Zero
    /// activities are skipped. Allocation-free.
    ///
    /// # Panics
    /// On a length mismatch.
    pub fn filter_into(&self, acts: &[f64], out: &mut [f64]) {
        assert_eq!(acts.len(), self.n_pre, "acts must have n_pre entries");
        assert_eq!(out.len(), self.n_post, "out must have n_post entries");
        for (j, o) in out.iter_mut().enumerate() {
            let row = &self.w[j * self.n_pre..(j + 1) * self.n_pre];
            let mut s = 0.0;
            for (w, a) in row.iter().zip(acts) {
                s += w * a;
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
        self.active.clear();
        for (i, &a) in acts.iter().enumerate() {
            if a.round_ties_even() != 0.0 {
                self.active.push(i);
            }
        }
        if self.active.is_empty() {
            return 0;
        }
        let n_pre = self.n_pre;
        let mut pulses = 0usize;
        for (j, &e) in local_error.iter().enumerate() {
            if e == 0.0 {
                continue;
            }
            let base = j * n_pre;
            for &i in &self.active {
                let d = -e * acts[i];
                let k = base + i;
                if d > 0.0 {
                    self.r_pos[k] = self.model.pulse(&self.p_pos[k], self.r_pos[k]);
                } else if d < 0.0 {
                    self.r_neg[k] = self.model.pulse(&self.p_neg[k], self.r_neg[k]);
                } else {
                    continue;
                }
                let gp = self.model.conductance(&self.p_pos[k], self.r_pos[k]);
                let gn = self.model.conductance(&self.p_neg[k], self.r_neg[k]);
                self.w[k] = self.gain * (gp - gn);
                pulses += 1;
            }
        }
        self.total_pulses += pulses as u64;
        pulses
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
                if dp {
                    assert_eq!(a.r_pos()[k], m.pulse(pp, before_p[k]));
                    changed += 1;
                }
                if dn {
                    assert_eq!(a.r_neg()[k], m.pulse(pn, before_n[k]));
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
}
