//! Nengo's `LstsqL1`: an elastic net, solved as scikit-learn 1.9's `ElasticNet(alpha, l1_ratio,
//! fit_intercept=False, max_iter)` solves it (cyclic coordinate descent with gap-safe screening,
//! stopped on the duality gap), one target column at a time.

use ndarray::Array2;

use super::{max_of, SolveError};

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Column-major view of the activities: column `j` is `x[j*m .. (j+1)*m]`.
struct Cols<'a> {
    m: usize,
    x: &'a [f64],
}

impl Cols<'_> {
    fn col(&self, j: usize) -> &[f64] {
        &self.x[j * self.m..(j + 1) * self.m]
    }
}

/// scikit-learn's duality gap (`gap_enet`): formulation A for `alpha > 0`, B for a pure ridge,
/// the squared gradient for plain least squares. Fills `xta` with `Xᵀ R − beta w` and returns
/// `(gap, dual norm)`.
fn gap(
    x: &Cols<'_>,
    y: &[f64],
    w: &[f64],
    r: &[f64],
    alpha: f64,
    beta: f64,
    xta: &mut [f64],
) -> (f64, f64) {
    let w_l2 = if beta > 0.0 { dot(w, w) } else { 0.0 };
    let r_norm2 = dot(r, r);
    let ry = dot(r, y);
    if alpha == 0.0 {
        for (j, v) in xta.iter_mut().enumerate() {
            *v = dot(x.col(j), r);
        }
        let dual = dot(xta, xta);
        if beta == 0.0 {
            return (dual, dual);
        }
        let g = r_norm2 + 0.5 * beta * w_l2 - ry + 1.0 / (2.0 * beta) * dual;
        return (g, dual);
    }
    for (j, v) in xta.iter_mut().enumerate() {
        *v = dot(x.col(j), r) - beta * w[j];
    }
    let dual = xta.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let w_l1: f64 = w.iter().map(|v| v.abs()).sum();
    let primal = 0.5 * (r_norm2 + beta * w_l2) + alpha * w_l1;
    let scale = if dual > alpha { alpha / dual } else { 1.0 };
    let dual_obj = -0.5 * (scale * scale) * (r_norm2 + beta * w_l2) + scale * ry;
    (primal - dual_obj, dual)
}

/// scikit-learn's `enet_coordinate_descent` (cyclic, not positive, with screening) for one target:
/// minimises `½‖y − Xw‖² + alpha ‖w‖₁ + ½ beta ‖w‖²` from `w = 0`. Returns the weights and whether
/// the duality gap reached `tol × ‖y‖²` within `max_iter` sweeps (scikit-learn only warns when it
/// does not; so does Nengo, and so the result is used either way).
fn enet_cd(
    x: &Cols<'_>,
    n: usize,
    y: &[f64],
    alpha: f64,
    beta: f64,
    max_iter: usize,
    tol: f64,
) -> (Vec<f64>, bool) {
    let norm2: Vec<f64> = (0..n).map(|j| dot(x.col(j), x.col(j))).collect();
    let mut w = vec![0.0; n];
    let mut r = y.to_vec();
    let mut xta = vec![0.0; n];
    let d_w_tol = tol;
    let tol = tol * dot(y, y);
    let screening = alpha != 0.0;
    let (g, dual) = gap(x, y, &w, &r, alpha, beta, &mut xta);
    if g <= tol {
        return (w, true);
    }
    let mut active: Vec<usize> = (0..n).collect();
    let mut excluded = vec![false; n];
    let screen = |w: &mut [f64],
                  r: &mut [f64],
                  xta: &[f64],
                  excluded: &mut [bool],
                  active: &mut Vec<usize>,
                  g: f64,
                  dual: f64,
                  first: bool| {
        active.clear();
        for j in 0..n {
            if first && norm2[j] == 0.0 {
                w[j] = 0.0;
                excluded[j] = true;
                continue;
            }
            if !first && excluded[j] {
                continue;
            }
            let xj_theta = xta[j] / alpha.max(dual);
            let d_j = (1.0 - xj_theta.abs()) / (norm2[j] + beta).sqrt();
            if d_j <= (2.0 * g).sqrt() / alpha {
                active.push(j);
                excluded[j] = false;
            } else {
                if w[j] != 0.0 {
                    let wj = w[j];
                    for (ri, xi) in r.iter_mut().zip(x.col(j)) {
                        *ri += wj * xi;
                    }
                    w[j] = 0.0;
                }
                excluded[j] = true;
            }
        }
    };
    if screening {
        screen(
            &mut w,
            &mut r,
            &xta,
            &mut excluded,
            &mut active,
            g,
            dual,
            true,
        );
    }

    for it in 0..max_iter {
        let mut w_max = 0.0f64;
        let mut d_w_max = 0.0f64;
        for &j in active.iter() {
            if norm2[j] == 0.0 {
                continue;
            }
            let w_j = w[j];
            let tmp = dot(x.col(j), &r) + w_j * norm2[j];
            w[j] = tmp.signum() * (tmp.abs() - alpha).max(0.0) / (norm2[j] + beta);
            if tmp == 0.0 {
                w[j] = 0.0;
            }
            if w[j] != w_j {
                let d = w_j - w[j];
                for (ri, xi) in r.iter_mut().zip(x.col(j)) {
                    *ri += d * xi;
                }
            }
            d_w_max = d_w_max.max((w[j] - w_j).abs());
            w_max = w_max.max(w[j].abs());
        }
        if w_max == 0.0 || d_w_max / w_max <= d_w_tol || it + 1 == max_iter {
            let (g, dual) = gap(x, y, &w, &r, alpha, beta, &mut xta);
            if g <= tol {
                return (w, true);
            }
            if screening {
                screen(
                    &mut w,
                    &mut r,
                    &xta,
                    &mut excluded,
                    &mut active,
                    g,
                    dual,
                    false,
                );
            }
        }
    }
    (w, false)
}

/// Nengo's `LstsqL1(l1, l2, max_iter)`: scikit-learn's `ElasticNet` with
/// `alpha = l1·max(A) + l2·max(A)²`, `l1_ratio = l1·max(A) / alpha`, no intercept and its default
/// `tol = 1e-4`, fitted to each column of `targets`; coordinate descent on
/// `½‖y − Aw‖² + m·alpha·l1_ratio ‖w‖₁ + ½ m·alpha·(1 − l1_ratio) ‖w‖²` from zero.
///
/// The sweeps, the screening and the stopping rule are scikit-learn's, so the decoders agree with
/// it to the precision the duality-gap tolerance leaves (dot products are summed in a different
/// order than its BLAS, so the last sweep can differ).
pub fn lstsq_l1(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    l1: f64,
    l2: f64,
    max_iter: usize,
) -> Result<Array2<f64>, SolveError> {
    let (m, n) = a.dim();
    if targets.nrows() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: targets.nrows(),
        });
    }
    let amax = max_of(a);
    let l1_reg = l1 * amax;
    let l2_reg = l2 * (amax * amax);
    let alpha = l1_reg + l2_reg;
    let l1_ratio = l1_reg / alpha;
    let alpha_cd = alpha * l1_ratio * m as f64;
    let beta_cd = alpha * (1.0 - l1_ratio) * m as f64;
    let mut cm = vec![0.0; m * n];
    for j in 0..n {
        for i in 0..m {
            cm[j * m + i] = a[[i, j]];
        }
    }
    let cols = Cols { m, x: &cm };
    let mut x = Array2::<f64>::zeros((n, targets.ncols()));
    for (c, y) in targets.columns().into_iter().enumerate() {
        let y = y.to_vec();
        let (w, _) = enet_cd(&cols, n, &y, alpha_cd, beta_cd, max_iter, 1e-4);
        for (r, v) in w.into_iter().enumerate() {
            x[[r, c]] = v;
        }
    }
    Ok(x)
}
