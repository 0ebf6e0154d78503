//! Nengo's adaptive LIF types (`AdaptiveLIF.step`, `AdaptiveLIFRate.step`): the LIF (rate)
//! step on `J - n`, then `n += (dt / tau_n) (inc_n · output - n)`.

use super::lif::{lif_one, nan_unless_finite, LifConsts};

/// The adaptation update after the output is known.
#[inline(always)]
fn adapt(k: f64, inc_n: f64, o: f64, n: &mut f64) {
    *n += k * (inc_n * o - *n);
}

/// AdaptiveLIF over a population; `k = dt / tau_n`. Returns whether every voltage update (and
/// so every input) was finite, as the LIF step reports it.
#[allow(clippy::too_many_arguments)]
pub(super) fn adaptive_lif(
    c: &LifConsts,
    k: f64,
    inc_n: f64,
    j: &[f64],
    out: &mut [f64],
    voltage: &mut [f64],
    refractory: &mut [f64],
    adaptation: &mut [f64],
) -> bool {
    let mut fin = 0.0;
    for i in 0..j.len() {
        let n = &mut adaptation[i];
        let vv = lif_one(
            c,
            j[i] - *n,
            &mut out[i],
            &mut voltage[i],
            &mut refractory[i],
        );
        fin += nan_unless_finite(vv);
        adapt(k, inc_n, out[i], n);
    }
    fin == 0.0
}

/// AdaptiveLIFRate over a population (the LIF rate curve on `J - n`, scalar like NumPy's).
#[allow(clippy::too_many_arguments)]
pub(super) fn adaptive_lif_rate(
    tau_rc: f64,
    tau_ref: f64,
    amplitude: f64,
    k: f64,
    inc_n: f64,
    j: &[f64],
    out: &mut [f64],
    adaptation: &mut [f64],
) {
    for ((o, &jv), n) in out.iter_mut().zip(j).zip(adaptation.iter_mut()) {
        let jm1 = (jv - *n) - 1.0;
        *o = if jm1 > 0.0 {
            amplitude / (tau_ref + tau_rc * (1.0 / jm1).ln_1p())
        } else {
            0.0
        };
        adapt(k, inc_n, *o, n);
    }
}
