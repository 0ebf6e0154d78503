//! Weight matrices as the weights ops hold them, and the products: spike-driven row-major and
//! column-major matrix–vector products, the one-row dot product in a fixed lane order, transposes.

use std::sync::Arc;

use crate::network::WeightStorage;
use crate::step::kernels::{avx2_kernel, PACK8};

/// How a weights op multiplies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightsKind {
    /// `y = W x` with `W` row-major `rows × cols` in the store.
    Dense {
        /// Rows (output size).
        rows: usize,
        /// Columns (input size).
        cols: usize,
    },
    /// `y = W x` with `W` stored column-major (`cols` columns of `rows` values), so that a
    /// non-zero input (a spike) reads one contiguous column. Sums are taken in the same order as
    /// [`WeightsKind::Dense`], so the results are bit-identical.
    DenseColMajor {
        /// Rows (output size).
        rows: usize,
        /// Columns (input size).
        cols: usize,
    },
    /// `y = w[0] · x`.
    Scalar,
    /// `y = w ⊙ x`.
    Diagonal,
}

/// The values of a weight matrix, in the precision its connection asked for
/// ([`WeightStorage`]).
#[derive(Clone, Debug, PartialEq)]
pub enum WeightValues {
    /// Double precision.
    F64(Arc<Vec<f64>>),
    /// Single precision (read as `f64`).
    F32(Arc<Vec<f32>>),
}

impl WeightValues {
    /// `values` stored as `storage` asks (each rounded to `f32` once for `F32`).
    pub fn stored(values: Vec<f64>, storage: WeightStorage) -> Self {
        match storage {
            WeightStorage::F64 => WeightValues::F64(Arc::new(values)),
            WeightStorage::F32 => {
                WeightValues::F32(Arc::new(values.iter().map(|&v| v as f32).collect()))
            }
        }
    }

    /// The precision the values are stored in.
    pub fn storage(&self) -> WeightStorage {
        match self {
            WeightValues::F64(_) => WeightStorage::F64,
            WeightValues::F32(_) => WeightStorage::F32,
        }
    }

    /// Bytes the values take.
    pub fn bytes(&self) -> usize {
        match self {
            WeightValues::F64(w) => std::mem::size_of_val(w.as_slice()),
            WeightValues::F32(w) => std::mem::size_of_val(w.as_slice()),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            WeightValues::F64(w) => w.len(),
            WeightValues::F32(w) => w.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `k` in storage order, as `f64`.
    pub fn get(&self, k: usize) -> f64 {
        match self {
            WeightValues::F64(w) => w[k],
            WeightValues::F32(w) => f64::from(w[k]),
        }
    }
}

/// The indices of the non-zero entries of `x`, gathered without branches (spike patterns are
/// unpredictable) into `nz`, which keeps its length (`x.len()` after the first call, within the
/// capacity reserved at build) so that nothing is cleared or resized per step.
#[inline]
pub(super) fn nonzero<'a>(x: &[f64], nz: &'a mut Vec<usize>) -> &'a [usize] {
    if nz.len() < x.len() {
        nz.resize(x.len(), 0);
    }
    let buf = &mut nz[..x.len()];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        let k = unsafe { nonzero_avx2(x, buf) };
        return &nz[..k];
    }
    let mut k = 0;
    for (i, &v) in x.iter().enumerate() {
        buf[k] = i;
        k += (v != 0.0) as usize;
    }
    &nz[..k]
}

/// The [`PACK8`] row of mask `m` as eight 32-bit indices, plus `base`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn packed_indices(m: usize, base: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    _mm256_add_epi32(
        _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(PACK8[m] as i64)),
        _mm256_set1_epi32(base as i32),
    )
}

/// The non-zero mask of `x[i..i + 8]` (`v != 0.0`: NaN counts as non-zero).
///
/// # Safety
/// AVX2 must be present and `i + 8 <= x.len()`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn nonzero_mask8(x: &[f64], i: usize) -> usize {
    use std::arch::x86_64::*;
    let zero = _mm256_setzero_pd();
    // SAFETY: i + 8 <= x.len() (caller's contract).
    let (a, b) = unsafe {
        (
            _mm256_loadu_pd(x.as_ptr().add(i)),
            _mm256_loadu_pd(x.as_ptr().add(i + 4)),
        )
    };
    let ma = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_NEQ_UQ>(a, zero)) as usize;
    let mb = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_NEQ_UQ>(b, zero)) as usize;
    ma | (mb << 4)
}

/// [`nonzero`] with AVX2 and no branch per value: eight values at a time, their non-zero mask,
/// then the [`PACK8`] row of that mask plus `i` written as eight indices at position `k` (only the
/// first `popcount` of them are kept: the next group writes over the rest). `k <= i`, so the
/// eight stores stay inside `buf[..i + 8]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn nonzero_avx2(x: &[f64], buf: &mut [usize]) -> usize {
    use std::arch::x86_64::*;
    let n = x.len();
    assert!(buf.len() >= n);
    let (mut i, mut k) = (0, 0);
    while i + 8 <= n {
        // SAFETY: i + 8 <= n; the table row is 8 u32; k + 8 <= i + 8 <= n <= buf.len().
        unsafe {
            let m = nonzero_mask8(x, i);
            let idx = packed_indices(m, i);
            let p = buf.as_mut_ptr().add(k).cast::<__m256i>();
            _mm256_storeu_si256(p, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(idx)));
            _mm256_storeu_si256(
                p.add(1),
                _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(idx)),
            );
            k += m.count_ones() as usize;
        }
        i += 8;
    }
    while i < n {
        buf[k] = i;
        k += (x[i] != 0.0) as usize;
        i += 1;
    }
    k
}

/// `Σ w[i]·x[i]` for one row (a 1-D decoder): eight running sums, lane `l` taking the terms
/// `i ≡ l (mod 8)` (one multiply and one add each, no fused multiply-add), folded as
/// `((s0+s4) + (s1+s5)) + ((s2+s6) + (s3+s7))`, then the last `n mod 8` terms in order. The sum
/// order is fixed, so the portable and the AVX2 versions give the same bits; for 100–2000 neurons
/// this dense sum is cheaper than gathering the spiking ones (a serial chain of adds).
#[inline]
pub(super) fn dot8(w: &[f64], x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { dot8_avx2(w, x) };
    }
    dot8_portable(w, x)
}

pub(super) fn dot8_portable(w: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let w = &w[..n];
    let mut acc = [0.0f64; 8];
    let mut i = 0;
    while i + 8 <= n {
        for l in 0..8 {
            acc[l] += w[i + l] * x[i + l];
        }
        i += 8;
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    while i < n {
        s += w[i] * x[i];
        i += 1;
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) fn dot8_avx2(w: &[f64], x: &[f64]) -> f64 {
    use std::arch::x86_64::*;
    let n = x.len();
    let w = &w[..n];
    let (mut lo, mut hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n = x.len() = w.len().
        unsafe {
            let (wp, xp) = (w.as_ptr().add(i), x.as_ptr().add(i));
            lo = _mm256_add_pd(lo, _mm256_mul_pd(_mm256_loadu_pd(wp), _mm256_loadu_pd(xp)));
            hi = _mm256_add_pd(
                hi,
                _mm256_mul_pd(_mm256_loadu_pd(wp.add(4)), _mm256_loadu_pd(xp.add(4))),
            );
        }
        i += 8;
    }
    let mut c = [0.0f64; 4];
    // SAFETY: `c` holds four f64.
    unsafe { _mm256_storeu_pd(c.as_mut_ptr(), _mm256_add_pd(lo, hi)) };
    let mut s = (c[0] + c[1]) + (c[2] + c[3]);
    while i < n {
        s += w[i] * x[i];
        i += 1;
    }
    s
}

#[inline]
pub(super) fn matvec(
    w: &[f64],
    rows: usize,
    cols: usize,
    x: &[f64],
    y: &mut [f64],
    nz: &mut Vec<usize>,
) {
    // One row (a 1-D decoder): one dense sum in a fixed lane order.
    if rows == 1 && x.len() == cols {
        y[0] = dot8(&w[..cols], x);
        return;
    }
    // Spike-driven: only columns with a non-zero input are read. Skipping zero terms leaves
    // every sum bit-identical to the dense one.
    let nz = nonzero(x, nz);
    if nz.len() * 2 > cols {
        for (r, yr) in y.iter_mut().enumerate().take(rows) {
            let row = &w[r * cols..(r + 1) * cols];
            let mut s = 0.0;
            for (a, b) in row.iter().zip(x) {
                s += a * b;
            }
            *yr = s;
        }
    } else {
        for (r, yr) in y.iter_mut().enumerate().take(rows) {
            let row = &w[r * cols..(r + 1) * cols];
            let mut s = 0.0;
            for &i in nz.iter() {
                s += row[i] * x[i];
            }
            *yr = s;
        }
    }
}

/// Writes the row-major `rows × cols` matrix `rm` column-major into `cm`.
pub(crate) fn transpose_into(rm: &[f64], rows: usize, cols: usize, cm: &mut [f64]) {
    assert!(rm.len() == rows * cols && cm.len() == rows * cols);
    for (r, row) in rm.chunks_exact(cols.max(1)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            cm[c * rows + r] = v;
        }
    }
}

/// Turns the row-major `rows × cols` matrix in `m` column-major, in place for a square matrix
/// (no second copy of a big one).
pub(crate) fn transpose_in_place(m: &mut [f64], rows: usize, cols: usize) {
    if rows == cols {
        // Tile by tile (32 × 32, 8 KB each side), so that both sides of each swap stay in
        // cache: a 2000 × 2000 matrix is 32 MB.
        const TILE: usize = 32;
        let n = rows;
        for bi in (0..n).step_by(TILE) {
            for bj in (bi..n).step_by(TILE) {
                for r in bi..(bi + TILE).min(n) {
                    let c0 = if bi == bj { r + 1 } else { bj };
                    for c in c0..(bj + TILE).min(n) {
                        m.swap(r * n + c, c * n + r);
                    }
                }
            }
        }
    } else {
        let rm = m.to_vec();
        transpose_into(&rm, rows, cols, m);
    }
}

/// `y = W x` with `W` column-major: `y = Σ_i x_i · W[:, i]` over the non-zero `x_i` in increasing
/// `i`, accumulated element by element from 0 — for every `y[r]` the same sequence of roundings as
/// the row-major dot product, so the result is bit-identical to [`matvec`]. Four columns are
/// added per pass over `y` (still one rounding per term, in order) to cut loads and stores of `y`.
/// An `f32` matrix is read as the `f64` values of its entries (exact conversions).
#[inline(always)]
pub(super) fn matvec_cols<T: Copy + Into<f64>>(
    w: &[T],
    rows: usize,
    x: &[f64],
    y: &mut [f64],
    nz: &mut Vec<usize>,
) {
    let nz = nonzero(x, nz);
    let y = &mut y[..rows];
    y.fill(0.0);
    let col = |i: usize| &w[i * rows..(i + 1) * rows];
    let mut quads = nz.chunks_exact(4);
    for q in &mut quads {
        let (c0, c1, c2, c3) = (col(q[0]), col(q[1]), col(q[2]), col(q[3]));
        let (x0, x1, x2, x3) = (x[q[0]], x[q[1]], x[q[2]], x[q[3]]);
        for ((((yy, &a), &b), &c), &d) in y.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
            *yy = (((*yy + a.into() * x0) + b.into() * x1) + c.into() * x2) + d.into() * x3;
        }
    }
    for &i in quads.remainder() {
        let xi = x[i];
        for (yy, &a) in y.iter_mut().zip(col(i)) {
            *yy += a.into() * xi;
        }
    }
}

avx2_kernel! {
    /// [`matvec_cols`] for an `f64` matrix.
    pub(super) fn matvec_cols_f64(w: &[f64], rows: usize, x: &[f64], y: &mut [f64], nz: &mut Vec<usize>) {
        matvec_cols(w, rows, x, y, nz)
    }
}

avx2_kernel! {
    /// [`matvec_cols`] for an `f32` matrix.
    pub(super) fn matvec_cols_f32(w: &[f32], rows: usize, x: &[f64], y: &mut [f64], nz: &mut Vec<usize>) {
        matvec_cols(w, rows, x, y, nz)
    }
}

/// `y += M · x` with `M` row-major `y.len() × x.len()`; each row summed in column order.
#[inline]
pub(super) fn add_matvec(y: &mut [f64], m: &[f64], x: &[f64]) {
    let d = x.len();
    for (r, yy) in y.iter_mut().enumerate() {
        let row = &m[r * d..(r + 1) * d];
        let mut s = 0.0;
        for (a, b) in row.iter().zip(x) {
            s += a * b;
        }
        *yy += s;
    }
}
