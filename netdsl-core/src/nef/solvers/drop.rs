//! Nengo's `LstsqDrop`: solve, zero the smallest coefficients, re-solve each column on the
//! neurons that are left.

use ndarray::Array2;

use super::{solve_kind, SolveError, SolverKind};
use crate::nef::rng::Rng;

/// Nengo's `LstsqDrop(drop, solver1, solver2)`: `X = solver1(A, Y)`; the threshold is the
/// `round(drop × X.size)`-th smallest `|X|` (numpy's round, half to even) and every `|X|` below
/// it is set to zero; then each column `i` with a non-zero left is re-solved,
/// `X[nz, i] = solver2(A[:, nz], Y[:, i])` (so an `LstsqL2` `solver2` takes its `σ` from the max
/// of the kept columns only).
pub fn lstsq_drop(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    drop: f64,
    solver1: &SolverKind,
    solver2: &SolverKind,
    rng: &mut Rng,
) -> Result<Array2<f64>, SolveError> {
    let mut x = solve_kind(solver1, a, targets, rng)?;
    let mut sorted: Vec<f64> = x.iter().map(|v| v.abs()).collect();
    sorted.sort_by(|p, q| p.total_cmp(q));
    let at = (drop * sorted.len() as f64).round_ties_even() as usize;
    let Some(&threshold) = sorted.get(at) else {
        return Err(SolveError::InvalidParameter(format!(
            "LstsqDrop: drop = {drop} leaves no coefficient (index {at} of {})",
            sorted.len()
        )));
    };
    x.mapv_inplace(|v| if v.abs() < threshold { 0.0 } else { v });
    for i in 0..x.ncols() {
        let nz: Vec<usize> = (0..x.nrows()).filter(|&r| x[[r, i]] != 0.0).collect();
        if nz.is_empty() {
            continue;
        }
        let sub = a.select(ndarray::Axis(1), &nz);
        let yi = targets.column(i).to_owned().insert_axis(ndarray::Axis(1));
        let xi = solve_kind(solver2, &sub, &yi, rng)?;
        for (k, &r) in nz.iter().enumerate() {
            x[[r, i]] = xi[[k, 0]];
        }
    }
    Ok(x)
}
