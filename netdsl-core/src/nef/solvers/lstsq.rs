//! Nengo's `Lstsq(rcond)`: `numpy.linalg.lstsq`, the SVD pseudo-inverse without the singular
//! values ≤ `rcond × s_max`.

use ndarray::Array2;

use super::SolveError;
use crate::nef::linalg::lstsq_svd;

/// Nengo's `Lstsq(rcond)`: the minimum-norm least-squares decoders (n × k) of `a` (m × n) for
/// `targets` (m × k), singular values `≤ rcond × s_max` treated as zero (numpy's `lstsq`, LAPACK
/// `gelsd`). The SVD here is a Householder QR followed by one-sided Jacobi rotations, so the
/// numbers agree with LAPACK's to rounding when no singular value lies at the cut-off.
pub fn lstsq(
    a: &Array2<f64>,
    targets: &Array2<f64>,
    rcond: f64,
) -> Result<Array2<f64>, SolveError> {
    if targets.nrows() != a.nrows() {
        return Err(SolveError::ShapeMismatch {
            activities: a.nrows(),
            targets: targets.nrows(),
        });
    }
    let (x, _, _) = lstsq_svd(a, targets, rcond)?;
    Ok(x)
}
