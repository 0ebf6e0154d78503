//! Dense linear algebra needed by the NEF build and the synapse discretisation: Cholesky
//! factorisation and solves, an LU solve with partial pivoting, products, the matrix
//! exponential and an SVD least-squares solve (`lstsq_svd`).
//!
//! Matrices are `ndarray::Array2<f64>` in row-major (standard) layout. The Cholesky factor is
//! computed row by row so that every inner loop is a dot product of two contiguous rows, which
//! keeps it cache-friendly and vectorisable for the sizes decoders need (n up to a few thousand).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, Axis};

mod expm;
mod gram;
mod svd;
#[cfg(test)]
mod tests;

pub use expm::expm;
pub use gram::{gram_tn, gram_tn_acc_lower, gram_tn_acc_lower_sparse};
pub use svd::lstsq_svd;

use crate::threads::build::{build_threads, run_parts};

/// Errors from the factorisations in this module.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinalgError {
    /// The matrix was not square.
    #[error("expected a square matrix, got {rows}x{cols}")]
    NotSquare {
        /// Its rows.
        rows: usize,
        /// Its columns.
        cols: usize,
    },
    /// Two operands had incompatible shapes.
    #[error("shape mismatch in {what}: {}x{} and {}x{}", left.0, left.1, right.0, right.1)]
    ShapeMismatch {
        /// What was being done.
        what: &'static str,
        /// Shape of the left operand.
        left: (usize, usize),
        /// Shape of the right operand.
        right: (usize, usize),
    },
    /// The matrix is not (numerically) positive definite: the pivot at this index was ≤ 0 or NaN.
    #[error("matrix is not positive definite (pivot {pivot} is {value})")]
    NotPositiveDefinite {
        /// The pivot's index.
        pivot: usize,
        /// Its value.
        value: f64,
    },
    /// The matrix is (numerically) singular: no usable pivot in this column.
    #[error("matrix is singular (column {column})")]
    Singular {
        /// The column.
        column: usize,
    },
}

/// Dot product of two equally long slices (four partial sums, so it vectorises).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let chunks = n / 4;
    for c in 0..chunks {
        let i = 4 * c;
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..n {
        s += a[i] * b[i];
    }
    s
}

/// Block size of the blocked Cholesky factorisation.
const CHOL_BLOCK: usize = 96;

/// A zeroed `rows × cols` matrix whose memory the kernel is asked to back with transparent huge
/// pages (Linux `madvise(MADV_HUGEPAGE)`, before anything touches it): filling a 32 MB Gram
/// matrix then takes 16 page faults instead of about 8000. Elsewhere (or if the advice is
/// refused) it is an ordinary zeroed matrix.
pub fn zeros_huge(rows: usize, cols: usize) -> Array2<f64> {
    let buf = vec![0.0f64; rows * cols];
    advise_huge_pages(&buf);
    Array2::from_shape_vec((rows, cols), buf).expect("rows × cols values")
}

/// Asks Linux to back the whole 2 MiB pages inside `buf` with transparent huge pages.
fn advise_huge_pages(buf: &[f64]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        const MADV_HUGEPAGE: i32 = 14;
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        let start = buf.as_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let (lo, hi) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if hi > lo {
            // SAFETY: [lo, hi) lies inside `buf`'s allocation; the advice changes only how
            // the kernel backs those pages, not their contents or validity. Its result is
            // ignored: without huge pages the memory works the same.
            unsafe { madvise(lo as *mut std::ffi::c_void, hi - lo, MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

/// `c = alpha · a · b + beta · c`, with the rows of `a` and `c` split across `threads` threads
/// when the product is big enough to pay for them (each thread runs ndarray's GEMM on its rows).
fn gemm_rows(
    alpha: f64,
    a: &ArrayView2<'_, f64>,
    b: &ArrayView2<'_, f64>,
    beta: f64,
    c: &mut ndarray::ArrayViewMut2<'_, f64>,
    threads: usize,
) {
    let rows = a.nrows();
    let flops = rows * a.ncols() * b.ncols();
    let t = if flops < 4_000_000 {
        1
    } else {
        threads.min(rows / 32).max(1)
    };
    if t == 1 {
        general_mat_mul(alpha, a, b, beta, c);
        return;
    }
    let chunk = rows.div_ceil(t);
    let mut parts = Vec::with_capacity(t);
    let mut c_rest = c.view_mut();
    let mut a_rest = a.view();
    while a_rest.nrows() > 0 {
        let k = chunk.min(a_rest.nrows());
        let (a_top, a_bot) = a_rest.split_at(Axis(0), k);
        let (c_top, c_bot) = c_rest.split_at(Axis(0), k);
        a_rest = a_bot;
        c_rest = c_bot;
        parts.push((a_top, c_top));
    }
    run_parts(parts, |(a_top, mut c_top)| {
        general_mat_mul(alpha, &a_top, b, beta, &mut c_top);
    });
}

/// Cholesky factor `L` (lower triangular, `a = L Lᵀ`) of a symmetric positive-definite matrix.
/// Only the lower triangle of `a` is read.
pub fn cholesky(a: &Array2<f64>) -> Result<Array2<f64>, LinalgError> {
    cholesky_into(a.as_standard_layout().into_owned())
}

/// [`cholesky`] in place: `a` becomes `L` (no second n×n matrix).
///
/// Left-looking and blocked: each block column is first updated with one matrix product against
/// the finished columns to its left (ndarray's cache-blocked GEMM, its rows split across the
/// machine's threads), then its diagonal block is factored and the rows below it are solved, row
/// by row with contiguous dot products.
pub fn cholesky_into(a: Array2<f64>) -> Result<Array2<f64>, LinalgError> {
    let (n, c) = a.dim();
    if n != c {
        return Err(LinalgError::NotSquare { rows: n, cols: c });
    }
    let mut w = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    let threads = build_threads();
    let mut k = 0;
    while k < n {
        let b = CHOL_BLOCK.min(n - k);
        if k > 0 {
            // W[k.., k..k+b] -= L[k.., ..k] · L[k..k+b, ..k]ᵀ
            let (done, mut panel) = w.multi_slice_mut((s![k.., ..k], s![k.., k..k + b]));
            let done = done.view();
            let top = done.slice(s![..b, ..]);
            gemm_rows(-1.0, &done, &top.t(), 1.0, &mut panel, threads);
        }
        let ws = w.as_slice_mut().expect("standard layout");
        // Diagonal block: L[i][j] for i, j in k..k+b, row after row, using only the columns of
        // this block (the rest is already subtracted).
        for i in k..k + b {
            let (above, rest) = ws.split_at_mut(i * n);
            let row_i = &mut rest[..n];
            for j in k..i {
                let row_j = &above[j * n..j * n + n];
                let s = row_i[j] - dot(&row_i[k..j], &row_j[k..j]);
                row_i[j] = s / row_j[j];
            }
            let d = row_i[i] - dot(&row_i[k..i], &row_i[k..i]);
            if d.is_nan() || d <= 0.0 {
                return Err(LinalgError::NotPositiveDefinite { pivot: i, value: d });
            }
            row_i[i] = d.sqrt();
        }
        // The rows below it depend only on the finished diagonal block: independent, so split
        // across threads when there are enough of them (same operations, same values).
        let (top, below) = ws.split_at_mut((k + b) * n);
        let diag = &top[k * n..];
        let solve_rows = |rows: &mut [f64]| {
            for row_i in rows.chunks_exact_mut(n) {
                for j in k..k + b {
                    let row_j = &diag[(j - k) * n..(j - k) * n + n];
                    let s = row_i[j] - dot(&row_i[k..j], &row_j[k..j]);
                    row_i[j] = s / row_j[j];
                }
            }
        };
        let below_rows = n - k - b;
        let t = if below_rows * b * b < 2_000_000 {
            1
        } else {
            threads.min(below_rows / 64).max(1)
        };
        if t == 1 {
            solve_rows(below);
        } else {
            let chunk = below_rows.div_ceil(t) * n;
            run_parts(below.chunks_mut(chunk).collect(), solve_rows);
        }
        k += b;
    }
    for i in 0..n {
        for j in i + 1..n {
            w[[i, j]] = 0.0;
        }
    }
    Ok(w)
}

/// Solves `L Lᵀ X = B` given the Cholesky factor `L` from [`cholesky`]; `B` is n×k.
pub fn cho_solve(l: &Array2<f64>, b: &Array2<f64>) -> Result<Array2<f64>, LinalgError> {
    let (n, c) = l.dim();
    if n != c {
        return Err(LinalgError::NotSquare { rows: n, cols: c });
    }
    if b.nrows() != n {
        return Err(LinalgError::ShapeMismatch {
            what: "cho_solve",
            left: l.dim(),
            right: b.dim(),
        });
    }
    let k = b.ncols();
    let l = l.as_standard_layout();
    let ls = l.as_slice().expect("standard layout");
    let mut x: Vec<f64> = b.as_standard_layout().iter().copied().collect();
    // Forward substitution: L Y = B, row by row (rows of Y are contiguous k-vectors).
    for i in 0..n {
        let (above, rest) = x.split_at_mut(i * k);
        let xi = &mut rest[..k];
        let lrow = &ls[i * n..i * n + i];
        for (j, &lij) in lrow.iter().enumerate() {
            if lij != 0.0 {
                let xj = &above[j * k..j * k + k];
                for (v, &w) in xi.iter_mut().zip(xj) {
                    *v -= lij * w;
                }
            }
        }
        let d = ls[i * n + i];
        for v in xi.iter_mut() {
            *v /= d;
        }
    }
    // Back substitution: Lᵀ X = Y.
    for i in (0..n).rev() {
        let (head, below) = x.split_at_mut((i + 1) * k);
        let xi = &mut head[i * k..];
        for j in i + 1..n {
            let lji = ls[j * n + i];
            if lji != 0.0 {
                let xj = &below[(j - i - 1) * k..(j - i) * k];
                for (v, &w) in xi.iter_mut().zip(xj) {
                    *v -= lji * w;
                }
            }
        }
        let d = ls[i * n + i];
        for v in xi.iter_mut() {
            *v /= d;
        }
    }
    Ok(Array2::from_shape_vec((n, k), x).expect("n*k elements"))
}

/// Solves the symmetric positive-definite system `a X = b` by Cholesky.
pub fn cholesky_solve(a: &Array2<f64>, b: &Array2<f64>) -> Result<Array2<f64>, LinalgError> {
    let l = cholesky(a)?;
    cho_solve(&l, b)
}

/// Solves the general square system `a X = b` by LU factorisation with partial pivoting.
pub fn lu_solve(a: &Array2<f64>, b: &Array2<f64>) -> Result<Array2<f64>, LinalgError> {
    let (n, c) = a.dim();
    if n != c {
        return Err(LinalgError::NotSquare { rows: n, cols: c });
    }
    if b.nrows() != n {
        return Err(LinalgError::ShapeMismatch {
            what: "lu_solve",
            left: a.dim(),
            right: b.dim(),
        });
    }
    let mut lu = a.to_owned();
    let mut x = b.to_owned();
    for col in 0..n {
        let mut p = col;
        let mut best = lu[[col, col]].abs();
        for r in col + 1..n {
            let v = lu[[r, col]].abs();
            if v > best {
                best = v;
                p = r;
            }
        }
        if best == 0.0 || best.is_nan() {
            return Err(LinalgError::Singular { column: col });
        }
        if p != col {
            for j in 0..n {
                lu.swap([p, j], [col, j]);
            }
            for j in 0..x.ncols() {
                x.swap([p, j], [col, j]);
            }
        }
        // Multipliers use the reciprocal of the pivot and the back substitution multiplies by
        // reciprocal diagonals, as LAPACK's getrf and optimised BLAS trsm kernels do.
        let inv_pivot = 1.0 / lu[[col, col]];
        for r in col + 1..n {
            let f = lu[[r, col]] * inv_pivot;
            if f != 0.0 {
                for j in col + 1..n {
                    let u = lu[[col, j]];
                    lu[[r, j]] -= f * u;
                }
                for j in 0..x.ncols() {
                    let u = x[[col, j]];
                    x[[r, j]] -= f * u;
                }
            }
            lu[[r, col]] = 0.0;
        }
    }
    // Column-oriented back substitution (U x = y), last unknown first.
    for k in (0..n).rev() {
        let inv_diag = 1.0 / lu[[k, k]];
        for j in 0..x.ncols() {
            let xk = x[[k, j]] * inv_diag;
            x[[k, j]] = xk;
            if xk != 0.0 {
                for i in 0..k {
                    x[[i, j]] -= xk * lu[[i, k]];
                }
            }
        }
    }
    Ok(x)
}

/// `aᵀ · b` without materialising the transpose.
pub fn matmul_tn(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.t().dot(b)
}

/// `a · bᵀ` without materialising the transpose.
pub fn matmul_nt(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.dot(&b.t())
}

/// Maximum absolute column sum (the matrix 1-norm).
pub fn onenorm(a: ArrayView2<'_, f64>) -> f64 {
    a.map(|v| v.abs())
        .sum_axis(Axis(0))
        .iter()
        .fold(0.0, |m, &v| if v > m { v } else { m })
}
