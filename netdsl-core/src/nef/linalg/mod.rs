//! Dense linear algebra needed by the NEF build and the synapse discretisation: Cholesky
//! factorisation and solves, an LU solve with partial pivoting, products, and the matrix
//! exponential.
//!
//! Matrices are `ndarray::Array2<f64>` in row-major (standard) layout. The Cholesky factor is
//! computed row by row so that every inner loop is a dot product of two contiguous rows, which
//! keeps it cache-friendly and vectorisable for the sizes decoders need (n up to a few thousand).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use std::fmt;

use crate::threads::build::{build_threads, map_parts, run_parts};

/// Errors from the factorisations in this module.
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// The matrix was not square (rows, columns).
    NotSquare(usize, usize),
    /// Two operands had incompatible shapes.
    ShapeMismatch {
        /// What was being done.
        what: &'static str,
        /// Shape of the left operand.
        left: (usize, usize),
        /// Shape of the right operand.
        right: (usize, usize),
    },
    /// The matrix is not (numerically) positive definite: the pivot at this index was ≤ 0 or NaN.
    NotPositiveDefinite(usize),
    /// The matrix is (numerically) singular: no usable pivot in this column.
    Singular(usize),
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::NotSquare(r, c) => write!(f, "expected a square matrix, got {r}x{c}"),
            LinalgError::ShapeMismatch { what, left, right } => write!(
                f,
                "shape mismatch in {what}: {}x{} and {}x{}",
                left.0, left.1, right.0, right.1
            ),
            LinalgError::NotPositiveDefinite(i) => {
                write!(f, "matrix is not positive definite (pivot {i})")
            }
            LinalgError::Singular(i) => write!(f, "matrix is singular (column {i})"),
        }
    }
}

impl std::error::Error for LinalgError {}

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
        return Err(LinalgError::NotSquare(n, c));
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
                return Err(LinalgError::NotPositiveDefinite(i));
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
        return Err(LinalgError::NotSquare(n, c));
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

/// `aᵀ a` (n × n for an m × n `a`): only the blocks on and below the diagonal are multiplied
/// (half the work of a full product), spread over the machine's threads, then mirrored.
pub fn gram_tn(a: &Array2<f64>) -> Array2<f64> {
    let n = a.ncols();
    const NB: usize = 192;
    let blocks: Vec<(usize, usize)> = (0..n.div_ceil(NB))
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .collect();
    let threads = if a.len() * n < 4_000_000 {
        1
    } else {
        build_threads().min(blocks.len())
    };
    let mut g = Array2::<f64>::zeros((n, n));
    let range = |i: usize| i * NB..((i + 1) * NB).min(n);
    let work = |t: usize| -> Vec<(usize, usize, Array2<f64>)> {
        blocks
            .iter()
            .skip(t)
            .step_by(threads)
            .map(|&(i, j)| {
                let (ri, rj) = (range(i), range(j));
                let mut out = Array2::<f64>::zeros((ri.len(), rj.len()));
                let ai = a.slice(s![.., ri]);
                let aj = a.slice(s![.., rj]);
                general_mat_mul(1.0, &ai.t(), &aj, 0.0, &mut out);
                (i, j, out)
            })
            .collect()
    };
    let mut put = |parts: Vec<(usize, usize, Array2<f64>)>| {
        for (i, j, blk) in parts {
            g.slice_mut(s![range(i), range(j)]).assign(&blk);
            if i != j {
                g.slice_mut(s![range(j), range(i)]).assign(&blk.t());
            }
        }
    };
    if threads == 1 {
        put(work(0));
    } else {
        for p in map_parts((0..threads).collect(), work) {
            put(p);
        }
    }
    g
}

/// `g += aᵀ a` on and below the diagonal of `g` (n × n for an m × n `a`; the strict upper
/// triangle gets partial sums too and is not meaningful). `g` is cut into row stripes; stripe
/// `[r0, r1)` needs `a[:, r0..r1]ᵀ · a[:, ..r1]` (one GEMM), and the stripes are shared among the
/// machine's threads, biggest first. For accumulating a Gram matrix over chunks of rows.
pub fn gram_tn_acc_lower(a: ArrayView2<'_, f64>, g: &mut Array2<f64>) {
    let n = a.ncols();
    assert_eq!(g.dim(), (n, n), "gram: g must be n x n");
    let threads = if a.len() * n < 4_000_000 {
        1
    } else {
        build_threads()
    };
    let stripes = (4 * threads).min(n.div_ceil(64)).max(1);
    let h = n.div_ceil(stripes);
    let mut views = Vec::new();
    let mut rest = g.view_mut();
    let mut r0 = 0;
    while r0 < n {
        let k = h.min(n - r0);
        let (top, bot) = rest.split_at(Axis(0), k);
        views.push((r0, r0 + k, top));
        rest = bot;
        r0 += k;
    }
    // Longest-processing-time-first assignment: work of a stripe ∝ its height × r1.
    views.sort_by_key(|v| std::cmp::Reverse((v.1 - v.0) * v.1));
    let mut per_thread: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    let mut load = vec![0usize; threads];
    for v in views {
        let t = (0..threads).min_by_key(|&t| load[t]).unwrap_or(0);
        load[t] += (v.1 - v.0) * v.1;
        per_thread[t].push(v);
    }
    let run = |jobs: Vec<(usize, usize, ndarray::ArrayViewMut2<'_, f64>)>| {
        for (r0, r1, mut stripe) in jobs {
            let lhs = a.slice(s![.., r0..r1]);
            let rhs = a.slice(s![.., ..r1]);
            let mut out = stripe.slice_mut(s![.., ..r1]);
            general_mat_mul(1.0, &lhs.t(), &rhs, 1.0, &mut out);
        }
    };
    run_parts(per_thread, run);
}

/// `g += aᵀ a` on and below the diagonal of `g` (n × n for an m × n `a`, like
/// [`gram_tn_acc_lower`]), skipping exact zeros in blocks: the columns are cut into tiles of
/// `TILE`, and for each tile the rows between its first and last non-zero entry are found;
/// block `(I, J)` then only multiplies the rows where both tiles can be non-zero. The skipped
/// terms are exact zeros, so this is the dense product up to summation order. Pays off when the
/// rows (evaluation points) and columns (neurons) are ordered so that each tile's non-zeros are
/// a short run of rows (1-D ensembles with sorted points and neurons sorted by threshold).
pub fn gram_tn_acc_lower_sparse(a: ArrayView2<'_, f64>, g: &mut Array2<f64>) {
    const TILE: usize = 64;
    let (m, n) = a.dim();
    assert_eq!(g.dim(), (n, n), "gram: g must be n x n");
    if m == 0 || n == 0 {
        return;
    }
    // First and last+1 non-zero row of every column.
    let mut lo = vec![m; n];
    let mut hi = vec![0usize; n];
    for (r, row) in a.rows().into_iter().enumerate() {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(row.iter()) {
            if v != 0.0 {
                *l = (*l).min(r);
                *h = r + 1;
            }
        }
    }
    let tiles = n.div_ceil(TILE);
    let range = |t: usize| t * TILE..((t + 1) * TILE).min(n);
    let span: Vec<(usize, usize)> = (0..tiles)
        .map(|t| {
            let r = range(t);
            let l = lo[r.clone()].iter().copied().min().unwrap_or(m);
            let h = hi[r].iter().copied().max().unwrap_or(0);
            (l, h)
        })
        .collect();
    let overlap = |i: usize, j: usize| {
        let (l, h) = (span[i].0.max(span[j].0), span[i].1.min(span[j].1));
        (l, h.max(l))
    };
    let threads = if m * n * n < 8_000_000 {
        1
    } else {
        build_threads()
    };
    // Row stripes of one tile each, with their work, dealt out biggest first.
    let mut views = Vec::new();
    let mut rest = g.view_mut();
    for i in 0..tiles {
        let k = range(i).len();
        let (top, bot) = rest.split_at(Axis(0), k);
        rest = bot;
        let work: usize = (0..=i)
            .map(|j| {
                let (l, h) = overlap(i, j);
                (h - l) * range(j).len()
            })
            .sum();
        views.push((i, work, top));
    }
    views.sort_by_key(|v| std::cmp::Reverse(v.1));
    let mut per_thread: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    let mut load = vec![0usize; threads];
    for v in views {
        let t = (0..threads).min_by_key(|&t| load[t]).unwrap_or(0);
        load[t] += v.1;
        per_thread[t].push(v);
    }
    let run = |jobs: Vec<(usize, usize, ndarray::ArrayViewMut2<'_, f64>)>| {
        for (i, _, mut stripe) in jobs {
            for j in 0..=i {
                let (l, h) = overlap(i, j);
                if l == h {
                    continue;
                }
                let lhs = a.slice(s![l..h, range(i)]);
                let rhs = a.slice(s![l..h, range(j)]);
                let mut out = stripe.slice_mut(s![.., range(j)]);
                general_mat_mul(1.0, &lhs.t(), &rhs, 1.0, &mut out);
            }
        }
    };
    run_parts(per_thread, run);
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
        return Err(LinalgError::NotSquare(n, c));
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
            return Err(LinalgError::Singular(col));
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

/// `a · b`.
pub fn matmul(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.dot(b)
}

/// `aᵀ · b` without materialising the transpose.
pub fn matmul_tn(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.t().dot(b)
}

/// `a · bᵀ` without materialising the transpose.
pub fn matmul_nt(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    a.dot(&b.t())
}

/// `a · x` for a vector `x`.
pub fn matvec(a: &Array2<f64>, x: &Array1<f64>) -> Array1<f64> {
    a.dot(x)
}

/// Maximum absolute column sum (the matrix 1-norm).
pub fn onenorm(a: ArrayView2<'_, f64>) -> f64 {
    a.map(|v| v.abs())
        .sum_axis(Axis(0))
        .iter()
        .fold(0.0, |m, &v| if v > m { v } else { m })
}

fn is_upper_triangular(a: &Array2<f64>) -> bool {
    a.indexed_iter().all(|((i, j), &v)| i <= j || v == 0.0)
}

/// The diagonal Padé coefficients b_0..b_m of the order-m approximant to exp, normalised so that
/// b_m = 1: b_j = (2m - j)! / (j! (m - j)!). Exact integers for the orders used here.
fn pade_coefficients(m: u32) -> Vec<f64> {
    fn fact(k: u32) -> u128 {
        (1..=k as u128).product()
    }
    (0..=m)
        .map(|j| (fact(2 * m - j) / (fact(j) * fact(m - j))) as f64)
        .collect()
}

/// Binomial coefficient as f64 (exact for the small arguments used by `ell`).
fn binomial(n: u32, k: u32) -> f64 {
    let mut r = 1.0f64;
    for i in 0..k {
        r = r * (n - i) as f64 / (i + 1) as f64;
    }
    r.round()
}

/// Al-Mohy & Higham's backward-error correction ℓ(A, m): extra squarings needed because ‖|A|^(2m+1)‖
/// is large compared with ‖A‖ (0 in the common case).
fn ell(a: &Array2<f64>, m: u32) -> i32 {
    let p = 2 * m + 1;
    // |c_{2m+1}|⁻¹ = C(2p, p) (2p + 1)!  (the leading error coefficient of the [m/m] approximant).
    let fact: f64 = (1..=(2 * p + 1)).map(|k| k as f64).product();
    let abs_c_recip = binomial(2 * p, p) * fact;
    let abs_a = a.mapv(f64::abs);
    let mut pw = abs_a.clone();
    for _ in 1..p {
        pw = pw.dot(&abs_a);
    }
    let norm_p = onenorm(pw.view());
    if norm_p == 0.0 {
        return 0;
    }
    let u = 2f64.powi(-53);
    let alpha = norm_p / (onenorm(a.view()) * abs_c_recip);
    let v = ((alpha / u).log2() / (2 * m) as f64).ceil();
    if v > 0.0 {
        v as i32
    } else {
        0
    }
}

/// sinh(x)/x, with a short Taylor series near 0 where the quotient loses digits.
fn sinch(x: f64) -> f64 {
    let x2 = x * x;
    if x.abs() < 0.0135 {
        1.0 + (x2 / 6.0) * (1.0 + (x2 / 20.0) * (1.0 + x2 / 42.0))
    } else {
        x.sinh() / x
    }
}

/// The matrix exponential `exp(a)` by scaling and squaring with a Padé approximant, choosing the
/// order (3, 5, 7, 9 or 13) and the number of squarings from exact 1-norms of powers of `a`, as in
/// Al-Mohy & Higham (2009), "A new scaling and squaring algorithm for the matrix exponential"
/// (their Algorithm 6.1, the algorithm behind SciPy's `expm` that Nengo uses). For upper-triangular
/// input the diagonal and first superdiagonal are recomputed exactly at every squaring.
///
/// # Panics
/// If `a` is not square.
pub fn expm(a: &Array2<f64>) -> Array2<f64> {
    let (n, c) = a.dim();
    assert_eq!(n, c, "expm needs a square matrix");
    if n == 0 {
        return Array2::zeros((0, 0));
    }
    if n == 1 {
        return Array2::from_elem((1, 1), a[[0, 0]].exp());
    }
    let upper = is_upper_triangular(a);
    let ident = Array2::<f64>::eye(n);
    let a2 = a.dot(a);
    let a4 = a2.dot(&a2);
    let a6 = a4.dot(&a2);
    let d4 = onenorm(a4.view()).powf(0.25);
    let d6 = onenorm(a6.view()).powf(1.0 / 6.0);

    // Evaluate the [m/m] approximant from the even powers: U = A·Σ odd terms, V = Σ even terms.
    let pade_low = |m: u32, pows: &[&Array2<f64>]| -> Array2<f64> {
        // pows = [I, A2, A4, ...] up to A^(m-1).
        let b = pade_coefficients(m);
        let mut odd = Array2::<f64>::zeros((n, n));
        let mut even = Array2::<f64>::zeros((n, n));
        for (k, p) in pows.iter().enumerate().rev() {
            odd.scaled_add(b[2 * k + 1], p);
            even.scaled_add(b[2 * k], p);
        }
        let u = a.dot(&odd);
        solve_pq(&u, &even)
    };

    let eta1 = d4.max(d6);
    if eta1 < 1.495_585_217_958_292e-2 && ell(a, 3) == 0 {
        return pade_low(3, &[&ident, &a2]);
    }
    let eta2 = d4.max(d6);
    if eta2 < 2.539_398_330_063_23e-1 && ell(a, 5) == 0 {
        return pade_low(5, &[&ident, &a2, &a4]);
    }
    let a8 = a6.dot(&a2);
    let d8 = onenorm(a8.view()).powf(0.125);
    let eta3 = d6.max(d8);
    if eta3 < 9.504_178_996_162_932e-1 && ell(a, 7) == 0 {
        return pade_low(7, &[&ident, &a2, &a4, &a6]);
    }
    if eta3 < 2.097_847_961_257_068 && ell(a, 9) == 0 {
        return pade_low(9, &[&ident, &a2, &a4, &a6, &a8]);
    }
    let a10 = a4.dot(&a6);
    let d10 = onenorm(a10.view()).powf(0.1);
    let eta4 = d8.max(d10);
    let eta5 = eta3.min(eta4);
    let theta13 = 4.25;
    let mut s = ((eta5 / theta13).log2().ceil()).max(0.0) as i32;
    let scaled = a * 2f64.powi(-s);
    s += ell(&scaled, 13);
    let b = pade_coefficients(13);
    let sb = 2f64.powi(-s);
    let bm = a * sb;
    let b2 = &a2 * sb.powi(2);
    let b4 = &a4 * sb.powi(4);
    let b6 = &a6 * sb.powi(6);
    let u2 = b6.dot(&(&b6 * b[13] + &b4 * b[11] + &b2 * b[9]));
    let u = bm.dot(&(u2 + &b6 * b[7] + &b4 * b[5] + &b2 * b[3] + &ident * b[1]));
    let v2 = b6.dot(&(&b6 * b[12] + &b4 * b[10] + &b2 * b[8]));
    let v = v2 + &b6 * b[6] + &b4 * b[4] + &b2 * b[2] + &ident * b[0];
    let mut x = solve_pq(&u, &v);
    if upper {
        // Recompute diagonal and superdiagonal exactly while squaring (Higham's fragment 2.1).
        let diag: Vec<f64> = (0..n).map(|k| a[[k, k]]).collect();
        let scale = 2f64.powi(-s);
        for k in 0..n {
            x[[k, k]] = (scale * diag[k]).exp();
        }
        for i in (0..s).rev() {
            x = x.dot(&x);
            let scale = 2f64.powi(-i);
            for k in 0..n {
                x[[k, k]] = (scale * diag[k]).exp();
            }
            for k in 0..n - 1 {
                let l1 = scale * diag[k];
                let l2 = scale * diag[k + 1];
                let t12 = scale * a[[k, k + 1]];
                let mid = 0.5 * (l1 + l2);
                let half = 0.5 * (l1 - l2);
                x[[k, k + 1]] = t12 * mid.exp() * sinch(half);
            }
        }
    } else {
        for _ in 0..s {
            x = x.dot(&x);
        }
    }
    x
}

/// Solves (V - U) X = (V + U) for the Padé approximant.
fn solve_pq(u: &Array2<f64>, v: &Array2<f64>) -> Array2<f64> {
    let p = u + v;
    let q = v - u;
    lu_solve(&q, &p).expect("Padé denominator is nonsingular for the orders chosen")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
        assert_eq!(a.dim(), b.dim());
        a.iter()
            .zip(b.iter())
            .fold(0.0, |m, (x, y)| m.max((x - y).abs()))
    }

    #[test]
    fn linalg_cholesky_small_known() {
        let a = array![
            [4.0, 12.0, -16.0],
            [12.0, 37.0, -43.0],
            [-16.0, -43.0, 98.0]
        ];
        let l = cholesky(&a).unwrap();
        let expected = array![[2.0, 0.0, 0.0], [6.0, 1.0, 0.0], [-8.0, 5.0, 3.0]];
        assert!(max_abs_diff(&l, &expected) < 1e-14);
        let b = array![[1.0, 0.0], [2.0, 1.0], [3.0, -1.0]];
        let x = cholesky_solve(&a, &b).unwrap();
        assert!(max_abs_diff(&a.dot(&x), &b) < 1e-10);
    }

    #[test]
    fn linalg_cholesky_rejects_indefinite() {
        let a = array![[1.0, 2.0], [2.0, 1.0]];
        assert_eq!(cholesky(&a), Err(LinalgError::NotPositiveDefinite(1)));
        assert!(matches!(
            cholesky(&Array2::zeros((2, 3))),
            Err(LinalgError::NotSquare(2, 3))
        ));
    }

    #[test]
    fn linalg_cholesky_large_random_spd() {
        let mut rng = crate::nef::rng::Rng::new(1);
        let (m, n) = (300, 250);
        let a = Array2::from_shape_fn((m, n), |_| rng.normal());
        let mut g = matmul_tn(&a, &a);
        for i in 0..n {
            g[[i, i]] += 1.0;
        }
        let b = Array2::from_shape_fn((n, 3), |_| rng.normal());
        let x = cholesky_solve(&g, &b).unwrap();
        assert!(max_abs_diff(&g.dot(&x), &b) < 1e-9);
        let l = cholesky(&g).unwrap();
        assert!(max_abs_diff(&matmul_nt(&l, &l), &g) < 1e-10);
    }

    #[test]
    fn linalg_lu_solve_with_pivoting() {
        let a = array![[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]];
        let b = array![[3.0], [2.0], [4.0]];
        let x = lu_solve(&a, &b).unwrap();
        assert!(max_abs_diff(&x, &array![[1.0], [1.0], [1.0]]) < 1e-15);
        let s = array![[1.0, 2.0], [2.0, 4.0]];
        assert!(lu_solve(&s, &array![[1.0], [1.0]]).is_err());
    }

    #[test]
    fn linalg_pade_coefficients_known() {
        assert_eq!(pade_coefficients(3), vec![120.0, 60.0, 12.0, 1.0]);
        let b13 = pade_coefficients(13);
        assert_eq!(b13[0], 64_764_752_532_480_000.0);
        assert_eq!(b13[12], 182.0);
    }

    // Expected values: `nengo.utils.filter_design.expm` (Nengo 4.1's vendored SciPy expm),
    // printed with repr().
    #[test]
    fn linalg_expm_matches_nengo() {
        // expm([[-0.2, 0.001], [0, 0]]) (Lowpass(0.005) ZOH block, dt = 0.001)
        let a = array![[-0.2, 0.001], [0.0, 0.0]];
        let e = expm(&a);
        let expected = array![[0.8187307530779818, 0.0009063462346100906], [0.0, 1.0]];
        assert!(max_abs_diff(&e, &expected) < 1e-17, "{e:?}");
        // A larger, non-triangular matrix that needs Pade 13 with squaring.
        let b = array![[1.0, 2.0, 0.5], [-3.0, 0.25, 1.0], [0.5, -1.0, -2.0]];
        let e = expm(&b);
        let expected = array![
            [-0.7676017203035236, 0.9691268669433931, 0.4694303262402515],
            [
                -1.510477452791191,
                -1.4575504215698758,
                -0.48081815692201757
            ],
            [0.6965789357446552, 0.36724385216981603, 0.2773426838298235]
        ];
        assert!(max_abs_diff(&e, &expected) < 1e-14, "{e:?}");
        // Upper triangular with large norm (fragment 2.1 path).
        let c = array![[-20.0, 5.0], [0.0, 0.0]];
        let e = expm(&c);
        let expected = array![[2.061153622438558e-9, 0.24999999948471163], [0.0, 1.0]];
        assert!(max_abs_diff(&e, &expected) < 1e-16, "{e:?}");
        // Alpha(0.005) ZOH block, dt = 0.001: dt * [[A, B], [0, 0]].
        let d = array![[-0.4, -0.04, 0.001], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
        let e = expm(&d);
        let expected = array![
            [
                0.6549846024623853,
                -0.03274923012311926,
                0.0008187307530779817
            ],
            [
                0.8187307530779818,
                0.9824769036935781,
                0.00043807740766054414
            ],
            [0.0, 0.0, 1.0]
        ];
        assert!(max_abs_diff(&e, &expected) < 1e-16, "{e:?}");
    }
}
