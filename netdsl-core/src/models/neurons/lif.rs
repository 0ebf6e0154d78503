//! The scalar LIF step: Nengo's `LIF.step` for one neuron, the reference every vector path
//! matches bit for bit.

/// LIF step constants.
pub(super) struct LifConsts {
    pub(super) dt: f64,
    pub(super) spike: f64,
    pub(super) decay_full: f64,
    pub(super) decay_none: f64,
    pub(super) tau_rc: f64,
    pub(super) tau_ref: f64,
    pub(super) min_voltage: f64,
}

/// One LIF neuron, exactly Nengo's `LIF.step` (the reference the block fast path must match).
/// Returns the voltage update `v - (J - v) · decay` before its clip and spike reset: it is
/// finite exactly when the input and the old voltage are and the update does not overflow,
/// which is what [`NeuronStepper::step_checked`] reports for LIF on every path.
#[inline]
pub(super) fn lif_one(c: &LifConsts, jv: f64, o: &mut f64, v: &mut f64, r: &mut f64) -> f64 {
    let rt = *r - c.dt;
    lif_from(c, jv, o, v, r, rt)
}

/// [`lif_one`] from its first operation on: `rt` is the refractory time already reduced by
/// `dt` (the vector path's fast pass stores it before handing a neuron to the slow path).
#[inline]
pub(super) fn lif_from(
    c: &LifConsts,
    jv: f64,
    o: &mut f64,
    v: &mut f64,
    r: &mut f64,
    rt: f64,
) -> f64 {
    // Non-refractory part of this step, clip(dt - r, 0, dt) (NaN passes through).
    let raw = c.dt - rt;
    let delta_t = if raw < 0.0 {
        0.0
    } else if raw > c.dt {
        c.dt
    } else {
        raw
    };
    let decay = if delta_t == c.dt {
        c.decay_full
    } else if delta_t == 0.0 {
        c.decay_none
    } else {
        (-delta_t / c.tau_rc).exp_m1()
    };
    let vv = *v - (jv - *v) * decay;
    if vv > 1.0 {
        *o = c.spike;
        *v = 0.0;
        *r = spike_refractory(c, jv, vv);
    } else {
        *o = 0.0;
        *v = if vv < c.min_voltage {
            c.min_voltage
        } else {
            vv
        };
        *r = rt;
    }
    vv
}

/// `x − x`: 0 for a finite `x`, NaN for a NaN or an infinity (summed over many values, the sum
/// stays 0 exactly while all of them are finite).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(super) fn nan_unless_finite(x: f64) -> f64 {
    x - x
}

/// The refractory time a LIF neuron gets when its voltage `vv` (input `jv`) crosses 1 in this
/// step: `tau_ref + t_spike`, with the time since the crossing
/// `t_spike = dt + tau_rc log1p(-(vv - 1) / (jv - 1))`.
#[inline]
pub(super) fn spike_refractory(c: &LifConsts, jv: f64, vv: f64) -> f64 {
    let t_spike = c.dt + c.tau_rc * (-(vv - 1.0) / (jv - 1.0)).ln_1p();
    c.tau_ref + t_spike
}
