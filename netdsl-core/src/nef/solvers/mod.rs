//! Decoder solvers, following Nengo 4.1 (`builder/connection.py`, `solvers.py`,
//! `utils/least_squares_solvers.py`): the rate activities of an ensemble at its evaluation points
//! and every solver of Nengo's, one file per family:
//!
//! - `l2.rs`: the Cholesky family, `LstsqL2` (the default), `LstsqL2nz`, `LstsqNoise`,
//!   `LstsqMultNoise`;
//! - `lstsq.rs`: `Lstsq` (SVD);
//! - `l1.rs`: `LstsqL1` (scikit-learn's elastic net);
//! - `drop.rs`: `LstsqDrop`;
//! - `nnls.rs`: `Nnls`, `NnlsL2`, `NnlsL2nz` on a Lawson–Hanson NNLS (scipy's);
//! - `types.rs`: [`Solver`], [`SolverKind`] and one struct per Nengo class;
//!
//! and `NoSolver` here. [`solve_decoders_with`] is what the build calls: activities, then the
//! solver ([`solve_decoders`], the streamed LstsqL2 path, for the default).

use crate::models::neurons::NeuronType;
use crate::nef::linalg::{
    cho_solve, cholesky_into, gram_tn_acc_lower_sparse, matmul_nt, LinalgError,
};
use crate::nef::rng::Rng;
use crate::threads::build::{build_threads, run_parts};
use ndarray::Array2;

mod drop;
mod l1;
mod l2;
mod lstsq;
mod nnls;
mod types;

pub use drop::lstsq_drop;
pub use l1::lstsq_l1;
pub use l2::{cholesky_lstsq, lstsq_l2, lstsq_l2nz, lstsq_mult_noise, lstsq_noise};
pub use lstsq::lstsq;
pub use nnls::{nnls, nnls_columns, nnls_l2, nnls_l2nz};
pub use types::{
    Lstsq, LstsqDrop, LstsqL1, LstsqL2, LstsqL2nz, LstsqMultNoise, LstsqNoise, Nnls, NnlsL2,
    NnlsL2nz, NoSolver, Solver, SolverKind,
};

/// Nengo's default regularisation of `LstsqL2` (`reg=0.1`).
pub const DEFAULT_REG: f64 = 0.1;

/// Errors from the solvers and [`solve_decoders_with`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// No neuron is active at any evaluation point (Nengo's `BuildError`: "'activities' matrix is
    /// all zero ... no evaluation points fall in the firing ranges of any neurons").
    #[error(
        "the activities matrix is all zero: no evaluation points fall in the firing ranges of any \
         neurons"
    )]
    AllZeroActivities,
    /// Activities and targets disagree on the number of evaluation points.
    #[error("activities have {activities} evaluation points but targets have {targets}")]
    ShapeMismatch {
        /// Rows of the activity matrix.
        activities: usize,
        /// Rows of the target matrix.
        targets: usize,
    },
    /// The regularised Gram matrix could not be factorised (e.g. `reg = 0` with rank-deficient
    /// activities, or non-finite activities).
    #[error("decoder solve failed: {0}")]
    Linalg(#[from] LinalgError),
    /// A solver parameter out of Nengo's range (`reg < 0`, `drop ≥ 1`, …).
    #[error("{0}")]
    InvalidParameter(String),
    /// Non-finite activities or targets given to an iterative solver.
    #[error("non-finite activities or targets")]
    NotFinite,
    /// An iterative solver stopped at its iteration limit (scipy's `nnls`: "Maximum number of
    /// iterations reached", which Nengo does not catch).
    #[error("{solver}: maximum number of iterations ({iterations}) reached")]
    NoConvergence {
        /// The solver.
        solver: &'static str,
        /// Its limit.
        iterations: usize,
    },
    /// `NoSolver { values }` of the wrong shape (Nengo: n_neurons × the function's size).
    #[error(
        "NoSolver values are {}x{}; expected {}x{} (neurons x function size)",
        got.0, got.1, expected.0, expected.1
    )]
    ValuesShape {
        /// n_neurons × function size.
        expected: (usize, usize),
        /// The values' shape.
        got: (usize, usize),
    },
}

/// Rate activities of every neuron at every evaluation point (m × n): the points are projected on
/// the encoders divided by `radius`, turned into currents `gain * x + bias` and passed through
/// the neuron type's rate curve (for LIF the LIF *rate*, as Nengo's decoder solve uses).
/// For [`NeuronType::Direct`] the projections themselves are returned.
///
/// # Panics
/// If the shapes disagree (`eval_points` m×d, `encoders` n×d, `gain` and `bias` n).
pub fn activities(
    neuron_type: &NeuronType,
    eval_points: &Array2<f64>,
    encoders: &Array2<f64>,
    gain: &[f64],
    bias: &[f64],
    radius: f64,
) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((0, 0));
    activities_into(
        neuron_type,
        eval_points,
        encoders,
        gain,
        bias,
        radius,
        &mut out,
    );
    out
}

/// [`activities`] written into `out` (reshaped to m × n, reusing its buffer when it is big
/// enough: the streamed decoder solve makes one chunk after another in the same matrix).
#[allow(clippy::too_many_arguments)]
fn activities_into(
    neuron_type: &NeuronType,
    eval_points: &Array2<f64>,
    encoders: &Array2<f64>,
    gain: &[f64],
    bias: &[f64],
    radius: f64,
    out: &mut Array2<f64>,
) {
    assert_eq!(
        eval_points.ncols(),
        encoders.ncols(),
        "eval points and encoders must have the same dimension"
    );
    let n = encoders.nrows();
    let enc = encoders.mapv(|v| v / radius);
    // One dimension: `x · e` is the single product `x e` (what the matrix product computes for
    // an inner dimension of 1), made row by row below instead of as an m × n matrix first.
    let one_d = enc.ncols() == 1 && *neuron_type != NeuronType::Direct;
    let x = if one_d {
        std::borrow::Cow::Borrowed(eval_points)
    } else {
        std::borrow::Cow::Owned(matmul_nt(eval_points, &enc))
    };
    if *neuron_type == NeuronType::Direct {
        *out = x.into_owned();
        return;
    }
    assert_eq!(gain.len(), n, "one gain per neuron");
    assert_eq!(bias.len(), n, "one bias per neuron");
    let m = x.nrows();
    if out.dim() != (m, n) {
        let mut buf = std::mem::take(out).into_raw_vec_and_offset().0;
        buf.clear();
        buf.resize(m * n, 0.0);
        *out = Array2::from_shape_vec((m, n), buf).expect("m × n values");
    }
    // (n × 1 in standard layout: the column is the whole buffer.)
    let e1: &[f64] = if one_d {
        enc.as_slice().expect("standard layout")
    } else {
        &[]
    };
    let rows = |x: ndarray::ArrayView2<'_, f64>, mut out: ndarray::ArrayViewMut2<'_, f64>| {
        let mut current = vec![0.0; n];
        for (xrow, mut orow) in x.rows().into_iter().zip(out.rows_mut()) {
            if one_d {
                let xv = xrow[0];
                for (((c, &e), &g), &b) in current.iter_mut().zip(e1).zip(gain).zip(bias) {
                    *c = g * (xv * e) + b;
                }
            } else {
                let xs = xrow.as_slice().expect("standard layout");
                for (((c, &xv), &g), &b) in current.iter_mut().zip(xs).zip(gain).zip(bias) {
                    *c = g * xv + b;
                }
            }
            let o = orow.as_slice_mut().expect("standard layout");
            neuron_type.rates(&current, o);
        }
    };
    // Rows are independent: split them across threads for big matrices (same values).
    let threads = if m * n < 200_000 { 1 } else { build_threads() };
    let chunk = m.div_ceil(threads).max(1);
    let parts: Vec<_> = x
        .axis_chunks_iter(ndarray::Axis(0), chunk)
        .zip(out.axis_chunks_iter_mut(ndarray::Axis(0), chunk))
        .collect();
    run_parts(parts, |(xc, oc)| rows(xc, oc));
}

/// The largest value of `a` (numpy's `A.max()`; `-inf` when empty).
pub(crate) fn max_of(a: &Array2<f64>) -> f64 {
    a.iter()
        .fold(f64::NEG_INFINITY, |mx, &v| if v > mx { v } else { mx })
}

/// The largest `|a|` (numpy's `np.amax(np.abs(A))`).
pub(crate) fn max_abs_of(a: &Array2<f64>) -> f64 {
    a.iter().fold(
        f64::NEG_INFINITY,
        |mx, &v| if v.abs() > mx { v.abs() } else { mx },
    )
}

/// Nengo's `solver(A, Y, rng)` for the algorithm `kind`: `a` (m × n activities) fitted to
/// `targets` (m × k), giving n × k. No check that `a` has a non-zero (the build makes it, as
/// Nengo's `build_linear_system`, before the solver is called).
pub fn solve_kind(
    kind: &SolverKind,
    a: &Array2<f64>,
    targets: &Array2<f64>,
    rng: &mut Rng,
) -> Result<Array2<f64>, SolveError> {
    if let Some(m) = kind.invalid() {
        return Err(SolveError::InvalidParameter(m));
    }
    if targets.nrows() != a.nrows() {
        return Err(SolveError::ShapeMismatch {
            activities: a.nrows(),
            targets: targets.nrows(),
        });
    }
    match kind {
        SolverKind::Lstsq { rcond } => lstsq(a, targets, *rcond),
        SolverKind::LstsqNoise { noise } => lstsq_noise(a, targets, *noise, rng),
        SolverKind::LstsqMultNoise { noise } => lstsq_mult_noise(a, targets, *noise, rng),
        SolverKind::LstsqL2 { reg } => l2::cholesky_lstsq(a, targets, &[reg * max_of(a)]),
        SolverKind::LstsqL2nz { reg } => lstsq_l2nz(a, targets, *reg),
        SolverKind::LstsqL1 { l1, l2, max_iter } => lstsq_l1(a, targets, *l1, *l2, *max_iter),
        SolverKind::LstsqDrop {
            drop,
            solver1,
            solver2,
        } => lstsq_drop(a, targets, *drop, solver1, solver2, rng),
        SolverKind::Nnls => nnls_columns(a, targets),
        SolverKind::NnlsL2 { reg } => nnls_l2(a, targets, *reg),
        SolverKind::NnlsL2nz { reg } => nnls_l2nz(a, targets, *reg),
        SolverKind::NoSolver { values } => no_solver(values.as_ref(), a.ncols(), targets.ncols()),
    }
}

/// Nengo's `NoSolver(values)`: the values (checked to be n × k), or zeros.
fn no_solver(values: Option<&Array2<f64>>, n: usize, k: usize) -> Result<Array2<f64>, SolveError> {
    match values {
        None => Ok(Array2::zeros((n, k))),
        Some(v) if v.dim() == (n, k) => Ok(v.clone()),
        Some(v) => Err(SolveError::ValuesShape {
            expected: (n, k),
            got: v.dim(),
        }),
    }
}

/// Decoders (n × k) for `targets` (m × k) at `eval_points` (m × d) with any solver, as Nengo's
/// `build_decoders`: `NoSolver` returns its values without computing anything; the default
/// `LstsqL2` goes through [`solve_decoders`] (streamed for big ensembles); every other solver gets
/// the whole activity matrix (all-zero activities are an error first, as in Nengo). `rng` is only
/// drawn from by the noise solvers.
#[allow(clippy::too_many_arguments)]
pub fn solve_decoders_with(
    kind: &SolverKind,
    neuron_type: &NeuronType,
    eval_points: &Array2<f64>,
    encoders: &Array2<f64>,
    gain: &[f64],
    bias: &[f64],
    radius: f64,
    targets: &Array2<f64>,
    rng: &mut Rng,
) -> Result<Array2<f64>, SolveError> {
    if let Some(m) = kind.invalid() {
        return Err(SolveError::InvalidParameter(m));
    }
    match kind {
        SolverKind::NoSolver { values } => {
            no_solver(values.as_ref(), encoders.nrows(), targets.ncols())
        }
        SolverKind::LstsqL2 { reg } => solve_decoders(
            neuron_type,
            eval_points,
            encoders,
            gain,
            bias,
            radius,
            targets,
            *reg,
        ),
        _ => {
            let a = activities(neuron_type, eval_points, encoders, gain, bias, radius);
            if targets.nrows() != a.nrows() {
                return Err(SolveError::ShapeMismatch {
                    activities: a.nrows(),
                    targets: targets.nrows(),
                });
            }
            if a.iter().all(|&v| v == 0.0) {
                return Err(SolveError::AllZeroActivities);
            }
            solve_kind(kind, &a, targets, rng)
        }
    }
}

/// Decoders (n × k) for `targets` (m × k) evaluated at `eval_points` (m × d): [`activities`] then
/// [`lstsq_l2`] (the same numbers up to float summation order). Multiply by a transform and
/// transpose for connection weights.
///
/// With at least as many points as neurons the m × n activity matrix is never held whole: it is
/// made a chunk of points at a time and folded into `AᵀA` (lower triangle, threaded) and `AᵀY`,
/// so the peak memory is the n × n Gram matrix (factored in place) plus one chunk.
#[allow(clippy::too_many_arguments)]
pub fn solve_decoders(
    neuron_type: &NeuronType,
    eval_points: &Array2<f64>,
    encoders: &Array2<f64>,
    gain: &[f64],
    bias: &[f64],
    radius: f64,
    targets: &Array2<f64>,
    reg: f64,
) -> Result<Array2<f64>, SolveError> {
    let (m, n) = (eval_points.nrows(), encoders.nrows());
    if m < n || *neuron_type == NeuronType::Direct || m * n < 1_000_000 {
        let a = activities(neuron_type, eval_points, encoders, gain, bias, radius);
        return lstsq_l2(&a, targets, reg);
    }
    if targets.nrows() != m {
        return Err(SolveError::ShapeMismatch {
            activities: m,
            targets: targets.nrows(),
        });
    }
    // For a 1-D ensemble, points sorted by x and neurons sorted by where they start and stop
    // firing make each neuron's non-zero activities a run of consecutive points, so the Gram
    // product can skip the zero blocks (same solution up to float summation order; the
    // decoders are put back in the neurons' order at the end).
    let d = eval_points.ncols();
    let (order, perm): (Vec<usize>, Vec<usize>) = if d == 1 {
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&i, &j| eval_points[[i, 0]].total_cmp(&eval_points[[j, 0]]));
        let grid_n = 65.min(m);
        let grid_rows: Vec<usize> = (0..grid_n)
            .map(|k| order[k * (m - 1) / (grid_n - 1).max(1)])
            .collect();
        let grid = eval_points.select(ndarray::Axis(0), &grid_rows);
        let ga = activities(neuron_type, &grid, encoders, gain, bias, radius);
        let key = |i: usize| {
            let col = ga.column(i);
            let first = col.iter().position(|&v| v != 0.0).unwrap_or(grid_n);
            let last = col.iter().rposition(|&v| v != 0.0).unwrap_or(grid_n);
            (first, last)
        };
        let mut perm: Vec<usize> = (0..n).collect();
        perm.sort_by_key(|&i| key(i));
        (order, perm)
    } else {
        ((0..m).collect(), (0..n).collect())
    };
    let encoders = &encoders.select(ndarray::Axis(0), &perm);
    let gain = &perm.iter().map(|&i| gain[i]).collect::<Vec<_>>()[..];
    let bias = &perm.iter().map(|&i| bias[i]).collect::<Vec<_>>()[..];
    const CHUNK: usize = 512;
    // The n × n Gram matrix (32 MB for 2000 neurons) is filled in place; huge pages spare the
    // thousands of page faults its first touch would cost.
    let mut g = crate::nef::linalg::zeros_huge(n, n);
    let mut aty = Array2::<f64>::zeros((n, targets.ncols()));
    let mut amax = f64::NEG_INFINITY;
    let mut nonzero = false;
    let mut start = 0;
    let mut a = Array2::<f64>::zeros((0, 0));
    while start < m {
        let end = (start + CHUNK).min(m);
        let ep = eval_points.select(ndarray::Axis(0), &order[start..end]);
        activities_into(neuron_type, &ep, encoders, gain, bias, radius, &mut a);
        for &v in a.iter() {
            nonzero |= v != 0.0;
            if v > amax {
                amax = v;
            }
        }
        gram_tn_acc_lower_sparse(a.view(), &mut g);
        let y = targets.select(ndarray::Axis(0), &order[start..end]);
        ndarray::linalg::general_mat_mul(1.0, &a.t(), &y, 1.0, &mut aty);
        start = end;
    }
    if !nonzero {
        return Err(SolveError::AllZeroActivities);
    }
    let sigma = reg * amax;
    let lambda = m as f64 * (sigma * sigma);
    for i in 0..n {
        g[[i, i]] += lambda;
    }
    let l = cholesky_into(g)?;
    let dp = cho_solve(&l, &aty)?;
    let mut dec = Array2::<f64>::zeros(dp.dim());
    for (r, &i) in perm.iter().enumerate() {
        dec.row_mut(i).assign(&dp.row(r));
    }
    Ok(dec)
}

#[cfg(test)]
mod tests;
