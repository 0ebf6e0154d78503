//! The solvers built on Nengo's default least-squares sub-solver, `Cholesky`: `LstsqL2`,
//! `LstsqL2nz`, `LstsqNoise` and `LstsqMultNoise`. All form a Gram matrix (`AᵀA`, or `AAᵀ` for
//! fewer points than neurons with one σ), add `m σ²` to its diagonal and solve by Cholesky.

use ndarray::Array2;

use super::{max_abs_of, SolveError};
use crate::nef::linalg::{cho_solve, cholesky_into, cholesky_solve, gram_tn, matmul_nt, matmul_tn};
use crate::nef::rng::Rng;

/// Nengo's `Cholesky()(A, Y, sigma)`: with one `σ` and fewer points than neurons (m < n) the
/// transposed system `X = Aᵀ (AAᵀ + m σ² I)⁻¹ Y`; otherwise `(AᵀA + m diag(σ²)) X = AᵀY`. `sigma`
/// holds one value, or one per neuron.
pub fn cholesky_lstsq(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    sigma: &[f64],
) -> Result<Array2<f64>, SolveError> {
    let (m, n) = a.dim();
    if targets.nrows() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: targets.nrows(),
        });
    }
    if sigma.len() == 1 && m < n {
        let lambda = m as f64 * (sigma[0] * sigma[0]);
        let mut g = matmul_nt(a, a);
        for i in 0..m {
            g[[i, i]] += lambda;
        }
        let xbar = cholesky_solve(&g, targets)?;
        Ok(matmul_tn(a, &xbar))
    } else {
        let mut g = gram_tn(a);
        for i in 0..n {
            let s = if sigma.len() == 1 { sigma[0] } else { sigma[i] };
            g[[i, i]] += m as f64 * (s * s);
        }
        let b = matmul_tn(a, targets);
        let l = cholesky_into(g)?;
        Ok(cho_solve(&l, &b)?)
    }
}

/// L2-regularised least squares, exactly as Nengo's `LstsqL2(reg)` with its `Cholesky` solver:
/// `sigma = reg * max(A)`; for m ≥ n solves `(AᵀA + m σ² I) D = AᵀY`, for m < n (fewer points than
/// neurons) `D = Aᵀ (AAᵀ + m σ² I)⁻¹ Y`. `a` is m × n (points × neurons), `targets` m × k; the
/// result is n × k.
pub fn lstsq_l2(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    reg: f64,
) -> Result<Array2<f64>, SolveError> {
    let m = a.nrows();
    if targets.nrows() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: targets.nrows(),
        });
    }
    if a.iter().all(|&v| v == 0.0) {
        return Err(SolveError::AllZeroActivities);
    }
    let sigma = reg * super::max_of(a);
    cholesky_lstsq(a, targets, &[sigma])
}

/// Nengo's `LstsqL2nz(reg)`: one `σ_j = reg × max|A| × √(fraction of points where neuron j is
/// non-zero)` per neuron (a never-active neuron gets the largest `σ`), always the `AᵀA` form.
pub fn lstsq_l2nz(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    reg: f64,
) -> Result<Array2<f64>, SolveError> {
    let base = reg * max_abs_of(a);
    let m = a.nrows() as f64;
    let mut sigma: Vec<f64> = a
        .columns()
        .into_iter()
        .map(|c| base * (c.iter().filter(|&&v| v.abs() > 0.0).count() as f64 / m).sqrt())
        .collect();
    let smax = sigma.iter().fold(f64::NEG_INFINITY, |mx, &v| mx.max(v));
    for s in sigma.iter_mut() {
        if *s == 0.0 {
            *s = smax;
        }
    }
    // (One neuron: Nengo's `sigma.size == 1` scalar case, the same `AᵀA` form since m ≥ 1 = n.)
    cholesky_lstsq(a, targets, &sigma)
}

/// Nengo's `LstsqNoise(noise)`: `A + N(0, (noise × max|A|)²)` elementwise (row by row, drawn from
/// `rng`), then the unregularised Cholesky solve. netdsl's generator is not numpy's, so the noise,
/// and the decoders, agree with Nengo's in distribution only.
pub fn lstsq_noise(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    noise: f64,
    rng: &mut Rng,
) -> Result<Array2<f64>, SolveError> {
    let sigma = noise * max_abs_of(a);
    let noisy = a.mapv(|v| v + sigma * rng.normal());
    cholesky_lstsq(&noisy, targets, &[0.0])
}

/// Nengo's `LstsqMultNoise(noise)`: `A + N(0, noise²) ⊙ A` (row by row from `rng`), then the
/// unregularised Cholesky solve. Agrees with Nengo's in distribution only (see [`lstsq_noise`]).
pub fn lstsq_mult_noise(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    noise: f64,
    rng: &mut Rng,
) -> Result<Array2<f64>, SolveError> {
    let noisy = a.mapv(|v| v + (noise * rng.normal()) * v);
    cholesky_lstsq(&noisy, targets, &[0.0])
}
