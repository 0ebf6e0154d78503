//! The mPES pulse stage of an array: which devices get a pulse this step, and the pulses, shared
//! by rows between the stepping thread and the simulator's pulse helper
//! ([`crate::threads::pulse`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::array::{MemristorArray, RowScratch, PARALLEL_MIN_PULSES};
use super::device::{DeviceModel, PowerLaw, PowerLawParams};
use super::pow::{pow_core_ok, powf_cold, pulse_batch, Batch};
use super::MPES_ERROR_THRESHOLD;
use crate::threads::pulse::{Job, PulseHelper};

impl<M: DeviceModel> MemristorArray<M> {
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
    /// Runs on the calling thread; a simulator shares the rows of large stages with its pulse
    /// helper ([`SimOptions::pulse_threads`](crate::sim::SimOptions::pulse_threads)), with the
    /// same results.
    ///
    /// # Panics
    /// On a length mismatch.
    pub fn mpes_step(&mut self, local_error: &[f64], acts: &[f64]) -> usize {
        self.mpes_step_with(local_error, acts, None)
    }

    /// [`MemristorArray::mpes_step`], sharing the rows of a large stage (at least
    /// [`PARALLEL_MIN_PULSES`] potential pulses) with `helper` when there is one.
    pub(crate) fn mpes_step_with(
        &mut self,
        local_error: &[f64],
        acts: &[f64],
        helper: Option<&PulseHelper>,
    ) -> usize {
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
        let job = Job {
            run: run_step::<M>,
            data: (&step as *const SharedStep<'_, M>).cast(),
        };
        // SAFETY: `run_step::<M>` gets a `SharedStep<M>`, which lives until the end of this
        // function, after `run_shared`/`run` return; the raw pointers in it come from `self`'s
        // vectors (not touched otherwise meanwhile), each row is claimed by one thread only,
        // and there are two scratch slots for at most two threads.
        unsafe {
            match helper {
                Some(h) if rows * n_active >= PARALLEL_MIN_PULSES => h.run_shared(job),
                _ => job.run(),
            }
        }
        let pulses = step.pulses.load(Ordering::Relaxed);
        self.total_pulses += pulses as u64;
        pulses
    }
}

/// Rows are claimed by the threads in chunks of about this many potential pulses (≈ 10 µs).
pub(super) const PULSES_PER_CHUNK: usize = 1024;

/// One step of the pulse stage as the threads working on it see it: the step's inputs, raw
/// pointers to the array's row-major vectors (each row is claimed by one thread, through
/// `next_row`), one scratch per thread (claimed through `next_slot`).
pub(super) struct SharedStep<'a, M: DeviceModel> {
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
pub(super) struct RowMut<'a, M: DeviceModel> {
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
pub(super) unsafe fn run_step<M: DeviceModel>(data: *const ()) {
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
pub(super) fn pulse_row<M: DeviceModel>(
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
pub(super) fn pulse_side<M: DeviceModel, const PLUS: bool>(
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
