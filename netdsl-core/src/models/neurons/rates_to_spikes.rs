//! Nengo's rates-to-spikes types (`RegularSpiking`, `StochasticSpiking`, `PoissonSpiking`):
//! the base type's rates (`rate_out`) turned into spikes of `amplitude / dt`.
//!
//! `StochasticSpiking` and `PoissonSpiking` draw from netdsl's generator, not NumPy's
//! `RandomState`: their spike trains follow Nengo's distributions (the same means and
//! variances), not its exact draws.

use crate::nef::rng::Rng;

/// RegularSpiking: `v += dt · rate; n = floor(v); out = (amplitude / dt) n; v -= n`.
pub(super) fn regular(dt: f64, spike: f64, rate: &[f64], out: &mut [f64], voltage: &mut [f64]) {
    for ((o, &r), v) in out.iter_mut().zip(rate).zip(voltage.iter_mut()) {
        let vv = *v + dt * r;
        let n = vv.floor();
        *o = spike * n;
        *v = vv - n;
    }
}

/// StochasticSpiking: `q + 1` spikes with probability `f`, else `q`, where `q` and `f` are the
/// integer and fractional parts of `dt · rate` (`dt · |rate|` and the rate's sign when the base
/// can be negative).
pub(super) fn stochastic(
    dt: f64,
    spike: f64,
    negative: bool,
    rng: &mut Rng,
    rate: &[f64],
    out: &mut [f64],
) {
    for (o, &r) in out.iter_mut().zip(rate) {
        let e = if negative { dt * r.abs() } else { dt * r };
        let q = e.trunc();
        let f = e - q;
        let n = q + if rng.next_f64() < f { 1.0 } else { 0.0 };
        *o = if negative {
            spike * n * sign(r)
        } else {
            spike * n
        };
    }
}

/// PoissonSpiking: a Poisson count with mean `dt · rate` (`dt · |rate|` and the rate's sign
/// when the base can be negative).
pub(super) fn poisson(
    dt: f64,
    spike: f64,
    negative: bool,
    rng: &mut Rng,
    rate: &[f64],
    out: &mut [f64],
) {
    for (o, &r) in out.iter_mut().zip(rate) {
        let lam = if negative { r.abs() * dt } else { r * dt };
        let n = poisson_count(lam, rng);
        *o = if negative {
            spike * n * sign(r)
        } else {
            spike * n
        };
    }
}

/// `np.sign`: -1, 0 or 1 (NaN stays NaN).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// A Poisson draw with mean `lam` (exact: Knuth's product of uniforms, in chunks of mean at
/// most 16 — a sum of independent Poisson counts is Poisson).
fn poisson_count(lam: f64, rng: &mut Rng) -> f64 {
    if lam.is_nan() {
        return f64::NAN;
    }
    if lam <= 0.0 {
        return 0.0;
    }
    if !lam.is_finite() {
        return f64::INFINITY;
    }
    let mut left = lam;
    let mut total = 0.0;
    while left > 0.0 {
        let chunk = left.min(16.0);
        left -= chunk;
        let limit = (-chunk).exp();
        let mut p = rng.next_f64();
        let mut k = 0.0;
        while p > limit {
            k += 1.0;
            p *= rng.next_f64();
        }
        total += k;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_and_stochastic_counts_have_the_right_mean_and_variance() {
        let mut rng = Rng::new(7);
        for lam in [0.05, 0.7, 3.0, 40.0] {
            let n = 40_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson_count(lam, &mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let se = (lam / n as f64).sqrt();
            assert!((mean - lam).abs() < 5.0 * se, "lam {lam}: mean {mean}");
            assert!(
                (var - lam).abs() < 0.05 * lam + 10.0 * se,
                "lam {lam}: var {var}"
            );
        }
        let rate = vec![2500.0; 20_000];
        let mut out = vec![0.0; rate.len()];
        stochastic(1e-3, 1e3, false, &mut rng, &rate, &mut out);
        // 2.5 expected spikes: 2 or 3, mean 2.5.
        assert!(out.iter().all(|&o| o == 2e3 || o == 3e3));
        let mean = out.iter().sum::<f64>() / 1e3 / rate.len() as f64;
        assert!((mean - 2.5).abs() < 0.02, "{mean}");
    }
}
