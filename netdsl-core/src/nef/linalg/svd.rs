//! The singular value decomposition behind `Lstsq` (numpy's `linalg.lstsq`): a Householder QR of
//! the tall orientation of the matrix, then one-sided (Hestenes) Jacobi rotations on the square
//! triangular factor, which gives the singular values and vectors to high relative accuracy.

use ndarray::Array2;

use super::LinalgError;

/// Column-major `p × q` working matrix (`p ≥ q`).
struct Cols {
    p: usize,
    q: usize,
    v: Vec<f64>,
}

impl Cols {
    fn col(&self, j: usize) -> &[f64] {
        &self.v[j * self.p..(j + 1) * self.p]
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A thin SVD `B = Q [U Σ Vᵀ; 0]` of a tall matrix `B` (`p × q`, `p ≥ q`), with `Q` kept as its
/// Householder vectors.
struct TallSvd {
    /// Householder vector `k` (length `p - k`, first entry at row `k`) and its `2 / vᵀv`.
    householder: Vec<(Vec<f64>, f64)>,
    /// `U` (q × q) column-major.
    u: Vec<f64>,
    /// `V` (q × q) column-major.
    v: Vec<f64>,
    sigma: Vec<f64>,
}

impl TallSvd {
    fn new(mut b: Cols) -> Result<TallSvd, LinalgError> {
        let (p, q) = (b.p, b.q);
        if b.v.iter().any(|x| !x.is_finite()) {
            return Err(LinalgError::Singular { column: 0 });
        }
        // Householder QR: column k below the diagonal is reflected onto the diagonal.
        let mut householder = Vec::with_capacity(q);
        for k in 0..q {
            let x = &b.v[k * p + k..(k + 1) * p];
            let norm = dot(x, x).sqrt();
            if norm == 0.0 {
                householder.push((vec![0.0; p - k], 0.0));
                continue;
            }
            let alpha = x[0];
            let beta = if alpha >= 0.0 { -norm } else { norm };
            let mut hv = x.to_vec();
            hv[0] = alpha - beta;
            let vtv = dot(&hv, &hv);
            let f = if vtv > 0.0 { 2.0 / vtv } else { 0.0 };
            // Column k becomes (beta, 0, …); the others are reflected.
            b.v[k * p + k] = beta;
            for r in k + 1..p {
                b.v[k * p + r] = 0.0;
            }
            for j in k + 1..q {
                let c = &mut b.v[j * p + k..(j + 1) * p];
                let s = f * dot(&hv, c);
                for (ci, hi) in c.iter_mut().zip(&hv) {
                    *ci -= s * hi;
                }
            }
            householder.push((hv, f));
        }
        // R (q × q, upper triangular), column-major.
        let mut w = vec![0.0; q * q];
        for j in 0..q {
            w[j * q..j * q + j + 1].copy_from_slice(&b.col(j)[..j + 1]);
        }
        let mut v = vec![0.0; q * q];
        for j in 0..q {
            v[j * q + j] = 1.0;
        }
        // One-sided Jacobi: rotate column pairs of R (and of V) until all are orthogonal.
        let eps = f64::EPSILON;
        let mut converged = false;
        for _sweep in 0..80 {
            let mut rotated = false;
            for i in 0..q {
                for j in i + 1..q {
                    let (wi, wj) = (&w[i * q..(i + 1) * q], &w[j * q..(j + 1) * q]);
                    let a = dot(wi, wi);
                    let bb = dot(wj, wj);
                    let g = dot(wi, wj);
                    if g == 0.0 || g.abs() <= eps * (a * bb).sqrt() {
                        continue;
                    }
                    rotated = true;
                    let zeta = (bb - a) / (2.0 * g);
                    let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                    let c = 1.0 / (1.0 + t * t).sqrt();
                    let s = c * t;
                    for m in [&mut w, &mut v] {
                        let (lo, hi) = m.split_at_mut(j * q);
                        let ci = &mut lo[i * q..(i + 1) * q];
                        let cj = &mut hi[..q];
                        for (x, y) in ci.iter_mut().zip(cj.iter_mut()) {
                            let (xi, yj) = (*x, *y);
                            *x = c * xi - s * yj;
                            *y = s * xi + c * yj;
                        }
                    }
                }
            }
            if !rotated {
                converged = true;
                break;
            }
        }
        if !converged {
            return Err(LinalgError::Singular { column: q });
        }
        let mut sigma = vec![0.0; q];
        for k in 0..q {
            let c = &mut w[k * q..(k + 1) * q];
            let s = dot(c, c).sqrt();
            sigma[k] = s;
            if s > 0.0 {
                for x in c.iter_mut() {
                    *x /= s;
                }
            }
        }
        Ok(TallSvd {
            householder,
            u: w,
            v,
            sigma,
        })
    }

    /// `Qᵀ y` (in place, y of length p).
    fn apply_qt(&self, y: &mut [f64]) {
        for (k, (hv, f)) in self.householder.iter().enumerate() {
            let seg = &mut y[k..];
            let s = f * dot(hv, seg);
            for (yi, hi) in seg.iter_mut().zip(hv) {
                *yi -= s * hi;
            }
        }
    }

    /// `Q y` (in place, y of length p).
    fn apply_q(&self, y: &mut [f64]) {
        for (k, (hv, f)) in self.householder.iter().enumerate().rev() {
            let seg = &mut y[k..];
            let s = f * dot(hv, seg);
            for (yi, hi) in seg.iter_mut().zip(hv) {
                *yi -= s * hi;
            }
        }
    }

    /// Whether singular value `k` is kept (`σ_k > rcond · σ_max`, as LAPACK's `gelsd`).
    fn kept(&self, rcond: f64) -> Vec<bool> {
        let smax = self.sigma.iter().fold(0.0f64, |m, &s| m.max(s));
        self.sigma
            .iter()
            .map(|&s| s > rcond * smax && s > 0.0)
            .collect()
    }
}

/// The minimum-norm least-squares solution `x` (n × k) of `a x ≈ y` (`a` m × n, `y` m × k)
/// through the SVD of `a`, treating singular values `≤ rcond × s_max` as zero, as
/// `numpy.linalg.lstsq(a, y, rcond)` (LAPACK `gelsd`); also returns the singular values, largest
/// first, and the rank used.
pub fn lstsq_svd(
    a: &Array2<f64>,
    y: &Array2<f64>,
    rcond: f64,
) -> Result<(Array2<f64>, Vec<f64>, usize), LinalgError> {
    let (m, n) = a.dim();
    if y.nrows() != m {
        return Err(LinalgError::ShapeMismatch {
            what: "lstsq",
            left: a.dim(),
            right: y.dim(),
        });
    }
    let k = y.ncols();
    let transposed = m < n;
    let (p, q) = if transposed { (n, m) } else { (m, n) };
    // Column-major B: column j of A (or row j of A when transposed).
    let mut bv = vec![0.0; p * q];
    for j in 0..q {
        for r in 0..p {
            bv[j * p + r] = if transposed { a[[j, r]] } else { a[[r, j]] };
        }
    }
    let svd = TallSvd::new(Cols { p, q, v: bv })?;
    let kept = svd.kept(rcond);
    let rank = kept.iter().filter(|&&k| k).count();
    let mut x = Array2::<f64>::zeros((n, k));
    let mut col = vec![0.0; p];
    let mut z = vec![0.0; q];
    for c in 0..k {
        if !transposed {
            // x = V Σ⁺ Uᵀ (Qᵀ y)[:q]
            for (r, v) in col.iter_mut().enumerate() {
                *v = y[[r, c]];
            }
            svd.apply_qt(&mut col);
            for (kk, zk) in z.iter_mut().enumerate() {
                *zk = if kept[kk] {
                    dot(&svd.u[kk * q..(kk + 1) * q], &col[..q]) / svd.sigma[kk]
                } else {
                    0.0
                };
            }
            for r in 0..n {
                let mut s = 0.0;
                for (kk, zk) in z.iter().enumerate() {
                    s += svd.v[kk * q + r] * zk;
                }
                x[[r, c]] = s;
            }
        } else {
            // Aᵀ = Q [U Σ Vᵀ; 0], so x = Q [U Σ⁺ Vᵀ y; 0].
            let yc: Vec<f64> = (0..m).map(|r| y[[r, c]]).collect();
            for (kk, zk) in z.iter_mut().enumerate() {
                *zk = if kept[kk] {
                    dot(&svd.v[kk * q..(kk + 1) * q], &yc) / svd.sigma[kk]
                } else {
                    0.0
                };
            }
            col.iter_mut().for_each(|v| *v = 0.0);
            for (r, cr) in col.iter_mut().take(q).enumerate() {
                let mut s = 0.0;
                for (kk, zk) in z.iter().enumerate() {
                    s += svd.u[kk * q + r] * zk;
                }
                *cr = s;
            }
            svd.apply_q(&mut col);
            for (r, v) in col.iter().enumerate() {
                x[[r, c]] = *v;
            }
        }
    }
    let mut s = svd.sigma.clone();
    s.sort_by(|a, b| b.total_cmp(a));
    Ok((x, s, rank))
}
