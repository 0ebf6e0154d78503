//! Shared helpers of the mPES examples: the Frontiers paper's metrics (MSE, Pearson, Spearman,
//! Kendall tau-b), summary statistics over runs, and a tiny command-line parser.
//!
//! Not an example itself: each example includes it with `mod common;`.
#![allow(dead_code)]

use std::cmp::Ordering;

use netdsl::core::nef::dists::VecDist;
use netdsl::core::nef::rng::Rng;
use netdsl::core::network::Transform;

/// A `rows × cols` matrix transform with every entry `value`.
///
/// The facade package has no `ndarray` dependency of its own, so the `Array2` is obtained from
/// a distribution sample of the right shape and overwritten.
pub fn full_matrix(rows: usize, cols: usize, value: f64) -> Transform {
    let mut m = VecDist::UniformHypersphere { surface: true }.sample(rows, cols, &mut Rng::new(0));
    m.fill(value);
    Transform::Matrix(m)
}

/// Mean squared error.
pub fn mse(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64
}

/// Pearson correlation; `NaN` when either series is constant (as scipy).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa * sbb).sqrt()
}

/// Ranks 1..n with ties given their average rank (scipy's `rankdata`, method "average").
pub fn ranks(a: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..a.len()).collect();
    idx.sort_by(|&i, &j| a[i].partial_cmp(&a[j]).unwrap_or(Ordering::Equal));
    let mut r = vec![0.0; a.len()];
    let mut k = 0;
    while k < idx.len() {
        let mut m = k + 1;
        while m < idx.len() && a[idx[m]] == a[idx[k]] {
            m += 1;
        }
        let avg = (k + m + 1) as f64 / 2.0; // mean of ranks k+1 ..= m
        for &i in &idx[k..m] {
            r[i] = avg;
        }
        k = m;
    }
    r
}

/// Spearman rank correlation: Pearson of the average ranks.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Number of pairs tied within runs of equal values of a sorted slice: Σ t(t−1)/2.
fn tied_pairs<T: PartialEq>(sorted: &[T]) -> u64 {
    let mut total = 0u64;
    let mut k = 0;
    while k < sorted.len() {
        let mut m = k + 1;
        while m < sorted.len() && sorted[m] == sorted[k] {
            m += 1;
        }
        let t = (m - k) as u64;
        total += t * (t - 1) / 2;
        k = m;
    }
    total
}

/// Sorts `v` by merge sort and returns the number of inversions (pairs `i < j`, `v[i] > v[j]`).
fn merge_count(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = {
        let (l, r) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        merge_count(l, bl) + merge_count(r, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j] < v[i] {
            buf[k] = v[j];
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            buf[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    buf[k..k + mid - i].copy_from_slice(&v[i..mid]);
    k += mid - i;
    buf[k..k + n - j].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buf[..n]);
    swaps
}

/// Kendall's tau-b (scipy's default), in O(n log n) by Knight's algorithm.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let n = a.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| {
        a[i].partial_cmp(&a[j])
            .unwrap_or(Ordering::Equal)
            .then(b[i].partial_cmp(&b[j]).unwrap_or(Ordering::Equal))
    });
    let pairs: Vec<(f64, f64)> = idx.iter().map(|&i| (a[i], b[i])).collect();
    let n0 = (n as u64) * (n as u64 - 1) / 2;
    // Ties in a (n1), and joint ties in (a, b) (n3), from the sort by (a, b).
    let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let n1 = tied_pairs(&xs);
    let n3 = tied_pairs(&pairs);
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buf = vec![0.0; n];
    let swaps = merge_count(&mut ys, &mut buf);
    let n2 = tied_pairs(&ys);
    // concordant − discordant = n0 − n1 − n2 + n3 − 2·swaps
    let s = n0 as f64 - n1 as f64 - n2 as f64 + n3 as f64 - 2.0 * swaps as f64;
    s / (((n0 - n1) as f64) * ((n0 - n2) as f64)).sqrt()
}

/// Mean and sample standard deviation (n − 1) of the finite values; `NaN`s are skipped.
pub fn mean_std(v: &[f64]) -> (f64, f64, usize) {
    let xs: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, 0);
    }
    let m = xs.iter().sum::<f64>() / n as f64;
    let s = if n > 1 {
        (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    (m, s, n)
}

/// The four metrics of one run, each averaged over the output dimensions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Mean squared error.
    pub mse: f64,
    /// Pearson correlation.
    pub pearson: f64,
    /// Spearman rank correlation.
    pub spearman: f64,
    /// Kendall tau-b.
    pub kendall: f64,
}

/// Metrics between `y_true` and `y_pred`, both given as one series per dimension; each metric is
/// computed per dimension, then averaged over dimensions. A correlation that is undefined
/// (a constant series, e.g. a silent post) is `NaN`.
pub fn metrics(y_true: &[Vec<f64>], y_pred: &[Vec<f64>]) -> Metrics {
    let d = y_true.len() as f64;
    let mut m = Metrics::default();
    for (t, p) in y_true.iter().zip(y_pred) {
        m.mse += mse(t, p) / d;
        m.pearson += pearson(t, p) / d;
        m.spearman += spearman(t, p) / d;
        m.kendall += kendall_tau_b(t, p) / d;
    }
    m
}

/// `--name value` from the command line, or `default`.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(k) => args
            .get(k + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a valid value")),
        None => default,
    }
}

/// Whether `--name` is on the command line.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// `m ± s` with three decimals.
pub fn pm(m: f64, s: f64) -> String {
    format!("{m:.3} ± {s:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kendall_naive(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len();
        let (mut c, mut d, mut ta, mut tb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            for j in i + 1..n {
                let x = (a[i] - a[j]).signum() * ((a[i] != a[j]) as i32 as f64);
                let y = (b[i] - b[j]).signum() * ((b[i] != b[j]) as i32 as f64);
                if x == 0.0 && y == 0.0 {
                } else if x == 0.0 {
                    ta += 1.0;
                } else if y == 0.0 {
                    tb += 1.0;
                } else if x * y > 0.0 {
                    c += 1.0;
                } else {
                    d += 1.0;
                }
            }
        }
        (c - d) / ((c + d + ta) * (c + d + tb)).sqrt()
    }

    #[test]
    fn kendall_matches_naive_with_ties() {
        let mut s = 12345u64;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 7) as f64
        };
        let a: Vec<f64> = (0..200).map(|_| next()).collect();
        let b: Vec<f64> = (0..200).map(|_| next()).collect();
        let (x, y) = (kendall_tau_b(&a, &b), kendall_naive(&a, &b));
        assert!((x - y).abs() < 1e-12, "{x} vs {y}");
    }

    #[test]
    fn known_values() {
        // scipy's documented examples: kendalltau([12,2,1,12,2],[1,4,7,1,0]) = -0.4714045207910317
        // and spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233.
        let x1 = [12.0, 2.0, 1.0, 12.0, 2.0];
        let x2 = [1.0, 4.0, 7.0, 1.0, 0.0];
        assert!((kendall_tau_b(&x1, &x2) + 0.4714045207910317).abs() < 1e-12);
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [5.0, 6.0, 7.0, 8.0, 7.0];
        assert!((spearman(&a, &b) - 0.8207826816681233).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        assert!((pearson(&a, &a) - 1.0).abs() < 1e-15);
    }
}
