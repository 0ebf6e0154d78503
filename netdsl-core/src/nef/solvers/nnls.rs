//! Non-negative least squares: [`nnls`] (the Lawson–Hanson active-set algorithm, step for step as
//! scipy 1.17's `scipy.optimize.nnls`, so the active set and the order it is built in are the
//! same), and Nengo's `Nnls`, `NnlsL2` and `NnlsL2nz` on top of it.

use ndarray::{Array2, ArrayView2};

use super::SolveError;
use crate::nef::linalg::{gram_tn, matmul_tn};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Householder reflector with a non-negative `beta` (LAPACK `dlarfgp`): for `x = [alpha; rest]`
/// gives `(beta, tau)` and overwrites `rest` with `v[1..]` (`v[0] = 1`) so that
/// `(I - tau v vᵀ) x = [beta; 0]`.
fn reflector(alpha: f64, rest: &mut [f64]) -> (f64, f64) {
    let xnorm = norm(rest);
    if xnorm == 0.0 {
        if alpha >= 0.0 {
            return (alpha, 0.0);
        }
        rest.iter_mut().for_each(|v| *v = 0.0);
        return (-alpha, 2.0);
    }
    let mut beta = alpha.hypot(xnorm).copysign(alpha);
    let mut a = alpha + beta;
    let tau;
    if beta < 0.0 {
        beta = -beta;
        tau = -a / beta;
    } else {
        a = xnorm * (xnorm / a);
        tau = a / beta;
        a = -a;
    }
    let inv = 1.0 / a;
    rest.iter_mut().for_each(|v| *v *= inv);
    (beta, tau)
}

/// Plane rotation with a non-negative `r` (LAPACK `dlartgp`): `(c, s, r)` with
/// `[c s; -s c] [f; g] = [r; 0]`.
fn rotation(f: f64, g: f64) -> (f64, f64, f64) {
    if g == 0.0 {
        return (if f < 0.0 { -1.0 } else { 1.0 }, 0.0, f.abs());
    }
    if f == 0.0 {
        return (0.0, if g < 0.0 { -1.0 } else { 1.0 }, g.abs());
    }
    let r = f.hypot(g);
    (f / r, g / r, r)
}

/// `argmin ‖A x − b‖₂` subject to `x ≥ 0` for `a` (m × n) and `b` (m), with at most `3 n`
/// inner iterations, as `scipy.optimize.nnls(a, b)`: returns `x` and the residual norm.
///
/// The algorithm is Lawson and Hanson's (*Solving Least Squares Problems*, 1974, ch. 23): the
/// variable with the largest dual value enters the positive set through a Householder step of an
/// incrementally built QR factorisation; variables that turn non-positive leave it through Givens
/// rotations. Ties and tolerances are decided as scipy decides them (the first largest dual
/// value; a new column is independent when the norm of its part below the factored rows exceeds
/// 100 ulps of the norm above; a candidate whose trial value is not positive is rejected).
pub fn nnls(a: ArrayView2<'_, f64>, b: &[f64]) -> Result<(Vec<f64>, f64), SolveError> {
    let (m, n) = a.dim();
    if b.len() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: b.len(),
        });
    }
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return Err(SolveError::NotFinite);
    }
    let mut x = vec![0.0; n];
    if m == 0 || n == 0 {
        return Ok((x, 0.0));
    }
    // Column-major copy of A: column j is a[j*m .. (j+1)*m].
    let mut am = vec![0.0; m * n];
    for j in 0..n {
        for i in 0..m {
            am[j * m + i] = a[[i, j]];
        }
    }
    let mut b = b.to_vec();
    let mut w = vec![0.0; n];
    let mut zz = vec![0.0; m];
    let mut idx: Vec<usize> = (0..n).collect();
    let maxiter = 3 * n;
    let mut iter = 0usize;
    let mut np = 0usize; // size of the positive set: idx[..np]
    let col = |_: &[f64], j: usize| j * m;

    // Back substitution of the permuted triangular system into zz[..np] (zz[..np] = b[..np] on
    // entry).
    let solve = |am: &[f64], idx: &[usize], np: usize, zz: &mut [f64]| {
        let mut prev = 0usize;
        for k in 0..np {
            let ip = np - 1 - k;
            if k != 0 {
                let z = zz[ip + 1];
                for i in 0..=ip {
                    zz[i] -= am[prev * m + i] * z;
                }
            }
            prev = idx[ip];
            zz[ip] /= am[prev * m + ip];
        }
    };

    'outer: while np < m.min(n) {
        for &j in &idx[np..] {
            let c = col(&am, j);
            w[j] = dot(&am[c + np..c + m], &b[np..m]);
        }
        // Pick the entering variable.
        let (iz, j, pivot, tau, tauvtb) = loop {
            let mut wmax = 0.0;
            let mut iz = usize::MAX;
            for (k, &j) in idx.iter().enumerate().skip(np) {
                if w[j] > wmax {
                    wmax = w[j];
                    iz = k;
                }
            }
            if wmax <= 0.0 {
                break 'outer;
            }
            let j = idx[iz];
            let c = col(&am, j);
            let unorm = if np > 0 { norm(&am[c..c + np]) } else { 0.0 };
            let spacing = if unorm > 0.0 {
                f64::from_bits(unorm.to_bits() + 1) - unorm
            } else {
                0.0
            };
            if norm(&am[c + np..c + m]) > 100.0 * spacing {
                zz[np..m].copy_from_slice(&am[c + np..c + m]);
                let alpha = zz[np];
                let (pivot, tau) = reflector(alpha, &mut zz[np + 1..m]);
                zz[np] = 1.0;
                let tauvtb = tau * (b[np] + dot(&zz[np + 1..m], &b[np + 1..m]));
                let ztest = (b[np] - tauvtb) / pivot;
                if ztest > 0.0 {
                    break (iz, j, pivot, tau, tauvtb);
                }
            }
            w[j] = 0.0;
        };
        // Column j enters: store its reflector, apply it to b and to the other columns.
        let c = col(&am, j);
        am[c + np..c + m].copy_from_slice(&zz[np..m]);
        b[np] -= tauvtb;
        for i in np + 1..m {
            b[i] -= tauvtb * zz[i];
        }
        idx[iz] = idx[np];
        idx[np] = j;
        np += 1;
        if np < n {
            let v = &zz[np - 1..m];
            for &jj in &idx[np..] {
                let cj = col(&am, jj);
                let s = tau * dot(v, &am[cj + np - 1..cj + m]);
                for (ai, vi) in am[cj + np - 1..cj + m].iter_mut().zip(v) {
                    *ai -= s * vi;
                }
            }
        }
        am[c + np - 1] = pivot;
        for i in np..m {
            am[c + i] = 0.0;
        }
        w[j] = 0.0;
        zz[..np].copy_from_slice(&b[..np]);
        solve(&am, &idx, np, &mut zz);

        // Inner loop: step back towards feasibility while a positive-set value is ≤ 0.
        loop {
            iter += 1;
            if iter >= maxiter {
                return Err(SolveError::NoConvergence {
                    solver: "Nnls",
                    iterations: maxiter,
                });
            }
            let mut alpha = 2.0;
            let mut jj = 0usize;
            for ip in 0..np {
                let k = idx[ip];
                if zz[ip] <= 0.0 {
                    let t = -x[k] / (zz[ip] - x[k]);
                    if alpha > t {
                        alpha = t;
                        jj = ip;
                    }
                }
            }
            if alpha == 2.0 {
                break;
            }
            for ip in 0..np {
                let k = idx[ip];
                x[k] += alpha * (zz[ip] - x[k]);
            }
            let mut i = idx[jj];
            loop {
                x[i] = 0.0;
                if jj + 1 != np {
                    for jp in jj + 1..np {
                        let ii = idx[jp];
                        idx[jp - 1] = ii;
                        let ci = col(&am, ii);
                        let (cc, ss, r) = rotation(am[ci + jp - 1], am[ci + jp]);
                        am[ci + jp - 1] = r;
                        am[ci + jp] = 0.0;
                        for k in 0..n {
                            if k != ii {
                                let ck = col(&am, k);
                                let t = am[ck + jp - 1];
                                am[ck + jp - 1] = cc * t + ss * am[ck + jp];
                                am[ck + jp] = -ss * t + cc * am[ck + jp];
                            }
                        }
                        let t = b[jp - 1];
                        b[jp - 1] = cc * t + ss * b[jp];
                        b[jp] = -ss * t + cc * b[jp];
                    }
                }
                np -= 1;
                idx[np] = i;
                match (0..np).find(|&p| x[idx[p]] <= 0.0) {
                    Some(p) => {
                        jj = p;
                        i = idx[p];
                    }
                    None => break,
                }
            }
            zz[..m].copy_from_slice(&b[..m]);
            solve(&am, &idx, np, &mut zz);
        }
        for k in 0..np {
            x[idx[k]] = zz[k];
        }
    }
    let rnorm = if np < m { norm(&b[np..m]) } else { 0.0 };
    Ok((x, rnorm))
}

/// Nengo's `Nnls`: [`nnls`] of `a` against each column of `y`.
pub fn nnls_columns(a: &Array2<f64>, y: &Array2<f64>) -> Result<Array2<f64>, SolveError> {
    if y.nrows() != a.nrows() {
        return Err(SolveError::ShapeMismatch {
            activities: a.nrows(),
            targets: y.nrows(),
        });
    }
    let mut x = Array2::<f64>::zeros((a.ncols(), y.ncols()));
    for (c, yc) in y.columns().into_iter().enumerate() {
        let yc: Vec<f64> = yc.to_vec();
        let (xc, _) = nnls(a.view(), &yc)?;
        for (r, v) in xc.into_iter().enumerate() {
            x[[r, c]] = v;
        }
    }
    Ok(x)
}

/// Nengo's `NnlsL2._solve`: `nnls(AᵀA + m σ_j² δ_ij, Aᵀ max(Y, 0))` column by column; `sigma` has
/// one value (NnlsL2) or one per neuron (NnlsL2nz).
fn nnls_gram(a: &Array2<f64>, y: &Array2<f64>, sigma: &[f64]) -> Result<Array2<f64>, SolveError> {
    let (m, n) = a.dim();
    if y.nrows() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: y.nrows(),
        });
    }
    let mut g = gram_tn(a);
    for i in 0..n {
        let s = if sigma.len() == 1 { sigma[0] } else { sigma[i] };
        g[[i, i]] += m as f64 * (s * s);
    }
    let gy = matmul_tn(a, &y.mapv(|v| v.max(0.0)));
    nnls_columns(&g, &gy)
}

/// Nengo's `NnlsL2(reg)`: `σ = reg × max(A)`, then the regularised Gram system solved by
/// [`nnls`] (Nengo solves `nnls(G, AᵀY⁺)`, not the normal equations of a stacked system).
pub fn nnls_l2(a: &Array2<f64>, y: &Array2<f64>, reg: f64) -> Result<Array2<f64>, SolveError> {
    let sigma = reg * super::max_of(a);
    nnls_gram(a, y, &[sigma])
}

/// Nengo's `NnlsL2nz(reg)`: `σ_j = reg × max(A) × √(fraction of points with A_j > 0)`, and 1 for a
/// neuron that is never active.
pub fn nnls_l2nz(a: &Array2<f64>, y: &Array2<f64>, reg: f64) -> Result<Array2<f64>, SolveError> {
    let base = reg * super::max_of(a);
    let m = a.nrows() as f64;
    let sigma: Vec<f64> = a
        .columns()
        .into_iter()
        .map(|c| {
            let s = base * (c.iter().filter(|&&v| v > 0.0).count() as f64 / m).sqrt();
            if s == 0.0 {
                1.0
            } else {
                s
            }
        })
        .collect();
    nnls_gram(a, y, &sigma)
}
