//! The matrix exponential (scaling and squaring with Padé approximants, as SciPy's `expm`), for
//! discretising synapses.

use ndarray::Array2;

use super::{lu_solve, onenorm};

fn is_upper_triangular(a: &Array2<f64>) -> bool {
    a.indexed_iter().all(|((i, j), &v)| i <= j || v == 0.0)
}

/// The diagonal Padé coefficients b_0..b_m of the order-m approximant to exp, normalised so that
/// b_m = 1: b_j = (2m - j)! / (j! (m - j)!). Exact integers for the orders used here.
pub(super) fn pade_coefficients(m: u32) -> Vec<f64> {
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
