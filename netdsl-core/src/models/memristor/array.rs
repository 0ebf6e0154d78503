//! The device arrays: `n_post × n_pre` differential pairs stored flat, their weights and the
//! filter stage (`out = W · a`).

use super::device::{Device, DeviceModel, DeviceParams, PowerLaw, PowerLawParams, Variability};
use super::pow::{has_avx2, Batch};
use crate::nef::rng::Rng;

/// Potential pulses (`rows × active columns`) from which a step is shared with the helper
/// thread (and a simulator with an array of at least this many synapses starts one): below that
/// the hand-over (a flag seen by a spinning helper, or a futex wake-up when it sleeps) costs about
/// as much as it saves.
pub(super) const PARALLEL_MIN_PULSES: usize = 4096;

/// Extra per-device state of a power-law array: the pulse count `n` of every device, so that a
/// pulse is `R = R0 + R1·(n+1)^c; n += 1` (one power instead of two).
///
/// Invariant: for a device whose `R` lies in `[R0, R1]`, `n` is `((R − R0)/R1)^(1/c)` up to
/// float rounding (exactly that when `R` was set from outside, the pulse count plus rounding
/// after pulses). A device outside its bounds gets `n` recomputed from the clipped `R` when it is
/// pulsed, exactly as the rule says.
#[derive(Clone, Debug)]
pub(super) struct PowerState {
    /// The power-law parameters of each synapse (shared by its two devices).
    pub(super) params: Vec<PowerLawParams>,
    pub(super) n_pos: Vec<f64>,
    pub(super) n_neg: Vec<f64>,
}

/// One thread's scratch for the pulse stage, of length `n_pre` (fixed lengths, so a cloned
/// array keeps them and stepping never allocates).
#[derive(Clone, Debug)]
pub(super) struct RowScratch {
    /// One row's pulses (column indices): `R⁺` devices in `[..n_plus]`, `R⁻` devices in
    /// `[lo_minus..]`.
    pub(super) idx: Vec<usize>,
    /// One side of one row's power-law pulses.
    pub(super) batch: Batch,
}

impl RowScratch {
    pub(super) fn new(n_pre: usize) -> Self {
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
    pub(super) model: M,
    pub(super) n_post: usize,
    pub(super) n_pre: usize,
    pub(super) gain: f64,
    pub(super) r_pos: Vec<f64>,
    pub(super) r_neg: Vec<f64>,
    /// Per-synapse parameters, shared by the `+` and `−` devices of the pair.
    pub(super) params: Vec<M::Params>,
    /// `g(R⁺)`, `g(R⁻)`: `model.conductance(params, r)` of every device.
    pub(super) g_pos: Vec<f64>,
    pub(super) g_neg: Vec<f64>,
    pub(super) w: Vec<f64>,
    /// `Some` when every device is a power law: the fast kernel's state.
    pub(super) power: Option<PowerState>,
    /// The pre indices passing the mask in the current step: all of them, those with `a_i > 0`
    /// and those with `a_i < 0` (each of length `n_pre`, the step's lists at the front).
    pub(super) active: [Vec<usize>; 3],
    /// Scratch of the calling thread and of the helper thread.
    pub(super) scratch: [RowScratch; 2],
    pub(super) avx2: bool,
    pub(super) total_pulses: u64,
}

impl MemristorArray<Device> {
    /// Bytes one device pair of an array of `model` devices takes: both resistances and
    /// conductances, the weight, the synapse's parameters and, for power-law devices, the fast
    /// kernel's copy of them with both pulse counts (for the build's memory guard; per-row
    /// scratch not included).
    pub fn bytes_per_pair(model: &Device) -> u64 {
        let base = 5 * std::mem::size_of::<f64>() + std::mem::size_of::<DeviceParams>();
        let power = match model {
            Device::PowerLaw(_) => {
                std::mem::size_of::<PowerLawParams>() + 2 * std::mem::size_of::<f64>()
            }
            _ => 0,
        };
        (base + power) as u64
    }
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
        a
    }

    /// Whether the array is big enough for its pulse stage to be shared with a helper thread
    /// (a simulator then starts one at build time, so that stepping never allocates).
    pub(crate) fn wants_pulse_helper(&self) -> bool {
        self.n_post * self.n_pre >= PARALLEL_MIN_PULSES
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

    /// Everything pulses change, for a checkpoint: the gain, then `r⁺`, `r⁻`, `g⁺`, `g⁻`, `w`
    /// and, for power-law arrays, the pulse counts `n⁺`, `n⁻`; and the pulse total. (The
    /// per-device parameters are drawn at build and never change; scratch is rebuilt.)
    pub(crate) fn state_parts(&self) -> (f64, Vec<&[f64]>, u64) {
        let mut v: Vec<&[f64]> = vec![&self.r_pos, &self.r_neg, &self.g_pos, &self.g_neg, &self.w];
        if let Some(p) = &self.power {
            v.push(&p.n_pos);
            v.push(&p.n_neg);
        }
        (self.gain, v, self.total_pulses)
    }

    /// [`MemristorArray::state_parts`], to overwrite (same order and lengths).
    pub(crate) fn state_parts_mut(&mut self) -> (&mut f64, Vec<&mut [f64]>, &mut u64) {
        let mut v: Vec<&mut [f64]> = vec![
            &mut self.r_pos,
            &mut self.r_neg,
            &mut self.g_pos,
            &mut self.g_neg,
            &mut self.w,
        ];
        if let Some(p) = &mut self.power {
            v.push(&mut p.n_pos);
            v.push(&mut p.n_neg);
        }
        (&mut self.gain, v, &mut self.total_pulses)
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
}
