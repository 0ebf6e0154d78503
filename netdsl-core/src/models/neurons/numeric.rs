//! Nengo's numerical gain/bias solution (`NeuronType.gain_bias` and
//! `NeuronType.max_rates_intercepts`, used by the types without an analytic one: Izhikevich),
//! with NumPy's `linspace` and `interp` reproduced operation for operation.

use super::{NeuronError, NeuronType};

/// `np.linspace(start, stop, num)`: `i · step + start`, the last point exactly `stop`.
pub(super) fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut y: Vec<f64> = (0..num)
        .map(|i| {
            if step == 0.0 {
                i as f64 / div * (stop - start) + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    if num > 1 {
        y[num - 1] = stop;
    }
    y
}

/// `np.interp(x, xp, fp)` for one `x` (left and right values the end points), as NumPy's C loop
/// computes it: the last `j` with `xp[j] <= x`, an exact hit returns `fp[j]`, else the slope
/// form `slope · (x - xp[j]) + fp[j]` (with NumPy's NaN fallbacks).
pub(super) fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let n = xp.len();
    if x.is_nan() {
        return x;
    }
    if x > xp[n - 1] {
        return fp[n - 1];
    }
    if x < xp[0] {
        return fp[0];
    }
    // Binary search as NumPy's `binary_search_with_guess` ends up: imin = first index with
    // xp[imin] > x, j = imin - 1.
    let (mut imin, mut imax) = (0usize, n);
    while imin < imax {
        let imid = imin + ((imax - imin) >> 1);
        if x >= xp[imid] {
            imin = imid + 1;
        } else {
            imax = imid;
        }
    }
    let j = imin - 1;
    if j == n - 1 || xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let mut r = slope * (x - xp[j]) + fp[j];
    if r.is_nan() {
        r = slope * (x - xp[j + 1]) + fp[j + 1];
        if r.is_nan() && fp[j] == fp[j + 1] {
            r = fp[j];
        }
    }
    r
}

/// Nengo's `NeuronType.gain_bias`: find the current range from the firing threshold to the
/// largest max rate on a grid of 101 currents in [-Jr, Jr] (Jr = 10, doubled up to 10 times),
/// sample the rate curve on 101 currents over that range, and interpolate each neuron's current
/// at its max rate.
pub(super) fn gain_bias(
    nt: &NeuronType,
    max_rates: &[f64],
    intercepts: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), NeuronError> {
    const J_STEPS: usize = 101;
    let max_rate = max_rates.iter().copied().fold(f64::NEG_INFINITY, |m, x| {
        // np.max propagates NaN.
        if x.is_nan() || m.is_nan() {
            f64::NAN
        } else {
            m.max(x)
        }
    });
    let (mut j_threshold, mut j_max) = (None, None);
    let mut jr = 10.0;
    let mut rate = vec![0.0; J_STEPS];
    for _ in 0..10 {
        let j = linspace(-jr, jr, J_STEPS);
        nt.rates(&j, &mut rate);
        if j_threshold.is_none() {
            if let Some(k) = rate.iter().rposition(|&r| r <= 0.0) {
                j_threshold = Some(j[k]);
            }
        }
        if j_max.is_none() {
            if let Some(k) = rate.iter().position(|&r| r >= max_rate) {
                j_max = Some(j[k]);
            }
        }
        if j_threshold.is_some() && j_max.is_some() {
            break;
        }
        jr *= 2.0;
    }
    let msg = |attr: &str, m: &str| NeuronError::Invalid(format!("{}.{attr}: {m}", nt.name()));
    let Some(j_threshold) = j_threshold else {
        return Err(msg(
            "max_rates,intercepts",
            "Could not find firing threshold",
        ));
    };
    let Some(j_max) = j_max else {
        return Err(msg("max_rates", "Could not find max current"));
    };
    let j = linspace(j_threshold, j_max, J_STEPS);
    nt.rates(&j, &mut rate);
    Ok(max_rates
        .iter()
        .zip(intercepts)
        .map(|(&mr, &ic)| {
            let j_top = interp(mr, &rate, &j);
            let gain = (j_threshold - j_top) / (ic - 1.0);
            (gain, j_top - gain)
        })
        .unzip())
}

/// Nengo's `NeuronType.max_rates_intercepts`: the rate at x = 1, and the last of 101 points of
/// [-1, 1] before the first one that fires (clipped to the first point).
pub(super) fn max_rates_intercepts(
    nt: &NeuronType,
    gain: &[f64],
    bias: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let n = gain.len();
    let top: Vec<f64> = gain.iter().zip(bias).map(|(g, b)| g + b).collect();
    let mut max_rates = vec![0.0; n];
    nt.rates(&top, &mut max_rates);
    let xs = linspace(-1.0, 1.0, 101);
    let mut intercepts = Vec::with_capacity(n);
    let (mut jn, mut rn) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
    for (&g, &b) in gain.iter().zip(bias) {
        for (jv, &x) in jn.iter_mut().zip(&xs) {
            *jv = g * x + b;
        }
        nt.rates(&jn, &mut rn);
        // argmax(rates > 0) is 0 when none fires.
        let first = rn.iter().position(|&r| r > 0.0).unwrap_or(0);
        intercepts.push(xs[first.saturating_sub(1)]);
    }
    (max_rates, intercepts)
}
