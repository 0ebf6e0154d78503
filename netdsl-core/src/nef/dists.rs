//! Probability distributions for build-time parameters: scalar ones ([`Dist`], for max rates,
//! intercepts, gains, initial voltages) and vector ones ([`VecDist`], for encoders and evaluation
//! points).
//!
//! They follow Nengo 4.1's definitions (`nengo/dists.py`) but draw from netdsl's own [`Rng`], so
//! the numbers have the same *distribution* as Nengo's, not the same values.
//!
//! [`VecDist::ScatteredHypersphere`] is Nengo's default for encoders and evaluation points. It
//! is quasi-random: an offset-and-shuffled R_d (golden-ratio generalisation) sequence on the unit
//! cube, mapped onto the sphere (or ball) by the spherical coordinate transform with the exact
//! inverse of the regularised incomplete beta function (Nengo's default `"sct-approx"` method
//! interpolates a table of that same function), then turned by a uniformly random rotation.

use crate::nef::rng::Rng;
use ndarray::Array2;
use std::f64::consts::PI;

/// A distribution of scalars.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (exclusive).
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Gaussian {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Each sample is one of the options, all equally likely.
    Choice(Vec<f64>),
    /// Every sample is this value.
    Constant(f64),
    /// Exactly these values, in order (one per sample; the count must match).
    Fixed(Vec<f64>),
}

impl Dist {
    /// Draws `n` samples.
    ///
    /// # Panics
    /// For `Choice` with no options and `n > 0`.
    pub fn sample(&self, n: usize, rng: &mut Rng) -> Vec<f64> {
        match self {
            Dist::Uniform { low, high } => (0..n).map(|_| rng.uniform(*low, *high)).collect(),
            Dist::Gaussian { mean, std } => (0..n).map(|_| mean + std * rng.normal()).collect(),
            Dist::Choice(options) => {
                if n > 0 {
                    assert!(
                        !options.is_empty(),
                        "Dist::Choice needs at least one option"
                    );
                }
                (0..n)
                    .map(|_| options[rng.below(options.len() as u64) as usize])
                    .collect()
            }
            Dist::Constant(c) => vec![*c; n],
            Dist::Fixed(values) => {
                assert_eq!(
                    values.len(),
                    n,
                    "Dist::Fixed has {} values, {n} asked",
                    values.len()
                );
                values.clone()
            }
        }
    }

    /// Nengo's default maximum firing rates, `Uniform(200, 400)`.
    pub fn default_max_rates() -> Dist {
        Dist::Uniform {
            low: 200.0,
            high: 400.0,
        }
    }

    /// Nengo's default intercepts, `Uniform(-1.0, 0.9)`.
    pub fn default_intercepts() -> Dist {
        Dist::Uniform {
            low: -1.0,
            high: 0.9,
        }
    }
}

/// A distribution of `d`-dimensional vectors.
#[derive(Clone, Debug, PartialEq)]
pub enum VecDist {
    /// Quasi-random points scattered evenly over the unit sphere (`surface`) or ball; Nengo's
    /// default for encoders (surface) and evaluation points (ball).
    ScatteredHypersphere {
        /// Points on the surface (true) or in the volume (false).
        surface: bool,
    },
    /// Independent uniform points on the unit sphere (`surface`) or in the unit ball.
    UniformHypersphere {
        /// Points on the surface (true) or in the volume (false).
        surface: bool,
    },
    /// These exact rows (the sample size and dimension must match).
    Fixed(Array2<f64>),
}

impl VecDist {
    /// Nengo's default encoder distribution, `ScatteredHypersphere(surface=True)`.
    pub fn default_encoders() -> VecDist {
        VecDist::ScatteredHypersphere { surface: true }
    }

    /// Nengo's default evaluation-point distribution, `ScatteredHypersphere()` (the ball).
    pub fn default_eval_points() -> VecDist {
        VecDist::ScatteredHypersphere { surface: false }
    }

    /// Draws `n` vectors of dimension `d`, as an `n × d` array.
    ///
    /// # Panics
    /// If `d == 0`, or for `Fixed` rows whose shape is not `n × d`.
    pub fn sample(&self, n: usize, d: usize, rng: &mut Rng) -> Array2<f64> {
        assert!(d >= 1, "vector distributions need at least one dimension");
        match self {
            VecDist::Fixed(rows) => {
                assert_eq!(
                    rows.dim(),
                    (n, d),
                    "fixed points have shape {:?}, expected ({n}, {d})",
                    rows.dim()
                );
                rows.clone()
            }
            VecDist::UniformHypersphere { surface } => uniform_hypersphere(n, d, *surface, rng),
            VecDist::ScatteredHypersphere { surface } => scattered_hypersphere(n, d, *surface, rng),
        }
    }
}

fn uniform_hypersphere(n: usize, d: usize, surface: bool, rng: &mut Rng) -> Array2<f64> {
    let mut out = Array2::from_shape_fn((n, d), |_| rng.normal());
    for mut row in out.rows_mut() {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.mapv_inplace(|v| v / norm);
    }
    if !surface {
        let inv_d = 1.0 / d as f64;
        for mut row in out.rows_mut() {
            let r = rng.next_f64().powf(inv_d);
            row.mapv_inplace(|v| v * r);
        }
    }
    out
}

/// The positive root of x^(d+1) = x + 1 (the generalised golden ratio), by Newton's method.
fn generalized_golden_ratio(d: usize) -> f64 {
    let mut x = 1.0f64;
    for _ in 0..100 {
        let f = x.powi(d as i32 + 1) - x - 1.0;
        let df = (d as f64 + 1.0) * x.powi(d as i32) - 1.0;
        let dx = f / df;
        x -= dx;
        if dx.abs() < 1e-10 {
            break;
        }
    }
    x
}

/// `n` points of the R_d quasi-random sequence in `[0, 1)^d`, with a random offset per dimension
/// and the rows shuffled (Nengo's `QuasirandomSequence`). For `d == 1` the points are the evenly
/// spaced grid `k / n` shifted by the random offset.
pub fn quasirandom_sequence(n: usize, d: usize, rng: &mut Rng) -> Array2<f64> {
    assert!(d >= 1, "quasirandom sequences need at least one dimension");
    let offset: Vec<f64> = (0..d).map(|_| rng.next_f64()).collect();
    let mut z = if d == 1 {
        let step = 1.0 / n as f64;
        Array2::from_shape_fn((n, 1), |(k, _)| (offset[0] + step * k as f64) % 1.0)
    } else {
        let inv = 1.0 / generalized_golden_ratio(d);
        let alpha: Vec<f64> = (1..=d).map(|j| inv.powi(j as i32)).collect();
        Array2::from_shape_fn((n, d), |(k, j)| {
            (offset[j] + (k + 1) as f64 * alpha[j]) % 1.0
        })
    };
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let shuffled = Array2::from_shape_fn((n, d), |(k, j)| z[[order[k], j]]);
    z.assign(&shuffled);
    z
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn scattered_hypersphere(n: usize, d: usize, surface: bool, rng: &mut Rng) -> Array2<f64> {
    if d == 1 {
        if surface {
            // Half the points at +1, half at -1 (to within one), in random order.
            return quasirandom_sequence(n, 1, rng).mapv(|v| sign(v - 0.5));
        }
        // Evenly spread magnitudes on each side of 0, then shuffled together.
        let n_pos = n / 2;
        let pos = quasirandom_sequence(n_pos, 1, rng);
        let neg = quasirandom_sequence(n - n_pos, 1, rng);
        let mut vals: Vec<f64> = pos.iter().copied().collect();
        vals.extend(neg.iter().map(|v| -v));
        rng.shuffle(&mut vals);
        return Array2::from_shape_vec((n, 1), vals).expect("n values");
    }
    let (cube, radius) = if surface {
        (quasirandom_sequence(n, d - 1, rng), None)
    } else {
        let full = quasirandom_sequence(n, d, rng);
        let cube = full.slice(ndarray::s![.., ..d - 1]).to_owned();
        let inv_d = 1.0 / d as f64;
        let r: Vec<f64> = full.column(d - 1).iter().map(|v| v.powf(inv_d)).collect();
        (cube, Some(r))
    };
    let mut mapped = spherical_transform(&cube);
    if let Some(r) = radius {
        for (mut row, rv) in mapped.rows_mut().into_iter().zip(r) {
            row.mapv_inplace(|v| v * rv);
        }
    }
    let rot = random_orthogonal(d, rng);
    mapped.dot(&rot)
}

/// Maps points of the unit cube `[0, 1]^(d-1)` (n × (d-1)) onto the unit sphere in `R^d`
/// (n × d) by the spherical coordinate transform (Fang & Wang 1994, §1.5), using the inverse
/// CDF of each angle so that uniform cube points give uniform sphere points.
pub fn spherical_transform(samples: &Array2<f64>) -> Array2<f64> {
    let (n, k) = samples.dim();
    let mut mapped = Array2::<f64>::ones((n, k + 1));
    for i in 0..n {
        let mut prod = 1.0;
        for j in 0..k {
            let angle_frac = spherical_coord_ppf(k - j, samples[[i, j]]);
            let mult = if j + 1 == k { 2.0 } else { 1.0 };
            let theta = mult * PI * angle_frac;
            mapped[[i, j]] = prod * theta.cos();
            prod *= theta.sin();
        }
        mapped[[i, k]] = prod;
    }
    mapped
}

/// Inverse CDF of the `j`-th spherical angle (divided by π) for `dims` remaining dimensions.
fn spherical_coord_ppf(dims: usize, y: f64) -> f64 {
    let reflect = if y < 0.5 { y } else { 1.0 - y };
    let z_sq = betaincinv(dims as f64 / 2.0, 0.5, 2.0 * reflect);
    let x = z_sq.sqrt().asin() / PI;
    if y < 0.5 {
        x
    } else {
        1.0 - x
    }
}

/// A uniformly distributed (Haar) random `d × d` orthogonal matrix: Gram–Schmidt on a matrix of
/// standard normals, with the sign convention that makes the distribution exactly uniform.
pub fn random_orthogonal(d: usize, rng: &mut Rng) -> Array2<f64> {
    let g = Array2::from_shape_fn((d, d), |_| rng.normal());
    let mut q = Array2::<f64>::zeros((d, d));
    // Columns of g orthonormalised (modified Gram–Schmidt, two passes for stability).
    for j in 0..d {
        let mut v: Vec<f64> = g.column(j).to_vec();
        for _pass in 0..2 {
            for p in 0..j {
                let proj: f64 = (0..d).map(|r| q[[r, p]] * v[r]).sum();
                for (r, vr) in v.iter_mut().enumerate() {
                    *vr -= proj * q[[r, p]];
                }
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        for (r, vr) in v.iter().enumerate() {
            q[[r, j]] = vr / norm;
        }
    }
    q
}

/// ln Γ(x) for x > 0 (Stirling series after shifting the argument above 10).
fn ln_gamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 10.0 {
        shift += x.ln();
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv
        * (1.0 / 12.0
            - inv2
                * (1.0 / 360.0
                    - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 * (1.0 / 1188.0)))));
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * PI).ln() + series - shift
}

/// Continued fraction for the regularised incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b).
pub fn betainc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// The inverse of [`betainc`] in x: the x in `[0, 1]` with I_x(a, b) = p (bisection-safeguarded
/// Newton iteration).
pub fn betaincinv(a: f64, b: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = 0.5;
    for _ in 0..200 {
        let f = betainc(a, b, x) - p;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let dens = ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_beta).exp();
        let mut next = x - f / dens;
        if !(next > lo && next < hi && next.is_finite()) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 1e-17 + 4.0 * f64::EPSILON * x.abs() || hi - lo <= f64::EPSILON * hi
        {
            return next;
        }
        x = next;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dists_scalar_moments() {
        let mut rng = Rng::new(1);
        let u = Dist::Uniform {
            low: -1.0,
            high: 0.9,
        }
        .sample(100_000, &mut rng);
        assert!(u.iter().all(|&v| (-1.0..0.9).contains(&v)));
        let mean = u.iter().sum::<f64>() / u.len() as f64;
        assert!((mean + 0.05).abs() < 0.01);
        let g = Dist::Gaussian {
            mean: 2.0,
            std: 0.5,
        }
        .sample(100_000, &mut rng);
        let m = g.iter().sum::<f64>() / g.len() as f64;
        let var = g.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / g.len() as f64;
        assert!((m - 2.0).abs() < 0.01 && (var.sqrt() - 0.5).abs() < 0.01);
        let c = Dist::Choice(vec![0.0, 5.0]).sample(1000, &mut rng);
        assert!(c.iter().all(|&v| v == 0.0 || v == 5.0));
        assert!(c.contains(&0.0) && c.contains(&5.0));
        assert_eq!(Dist::Constant(3.0).sample(3, &mut rng), vec![3.0; 3]);
        assert_eq!(Dist::Choice(vec![]).sample(0, &mut rng), Vec::<f64>::new());
    }

    // Expected values: scipy.special.betaincinv / betainc (SciPy 1.17, the function Nengo's
    // "sct" method calls and its "sct-approx" table interpolates), printed with repr().
    #[test]
    fn dists_betaincinv_matches_scipy() {
        let cases = [
            (0.5, 0.5, 0.3, 0.2061073738537634),
            (1.0, 0.5, 0.7, 0.9099999999999999),
            (1.5, 0.5, 0.25, 0.5971500783855161),
            (5.0, 0.5, 0.9, 0.9983414871448768),
            (25.0, 0.5, 0.01, 0.8745757485228267),
        ];
        for (a, b, p, expected) in cases {
            let x = betaincinv(a, b, p);
            assert!(
                (x - expected).abs() < 1e-13,
                "betaincinv({a},{b},{p}) = {x}"
            );
            assert!((betainc(a, b, x) - p).abs() < 1e-13);
        }
    }

    // Expected: Nengo 4.1 `ScatteredHypersphere.spherical_transform_sct(cube, approx=False)`
    // (the exact transform; Nengo's default "sct-approx" interpolates a table of the same
    // inverse incomplete beta function and differs from these by up to ~4e-3).
    #[test]
    fn dists_spherical_transform_matches_nengo_sct() {
        let cube2 = ndarray::array![[0.1, 0.7], [0.5, 0.25], [0.93, 0.01]];
        let e2 = [
            0.7999999999999999,
            -0.18541019662496858,
            -0.5706339097770922,
            6.123233995736766e-17,
            2.83276944882399e-16,
            1.0,
            -0.8600000000000001,
            0.5092870841786044,
            0.0320416274376784,
        ];
        let cube4 = ndarray::array![[0.1, 0.7, 0.3, 0.95], [0.6, 0.2, 0.85, 0.4]];
        let e4 = [
            0.6083997886818167,
            -0.25371699854188795,
            0.3007929206036117,
            0.6554711597801243,
            -0.21297549012518893,
            -0.13413784570453657,
            0.4874167212749877,
            -0.6039633012890193,
            -0.4984886139105941,
            0.36217317773249147,
        ];
        for (cube, expected) in [(cube2, &e2[..]), (cube4, &e4[..])] {
            let m = spherical_transform(&cube);
            for (g, e) in m.iter().zip(expected) {
                assert!((g - e).abs() < 1e-13, "{g} vs {e}");
            }
        }
    }

    #[test]
    fn dists_quasirandom_d1_is_a_shifted_grid() {
        let mut rng = Rng::new(4);
        let z = quasirandom_sequence(10, 1, &mut rng);
        let mut v: Vec<f64> = z.iter().copied().collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        for w in v.windows(2) {
            assert!((w[1] - w[0] - 0.1).abs() < 1e-12);
        }
    }

    #[test]
    fn dists_golden_ratio() {
        assert!((generalized_golden_ratio(1) - 1.618_033_988_749_895).abs() < 1e-12);
        // Plastic number for d = 2.
        assert!((generalized_golden_ratio(2) - 1.324_717_957_244_746).abs() < 1e-12);
    }

    #[test]
    fn dists_scattered_surface_d1_is_balanced_signs() {
        let mut rng = Rng::new(2);
        let s = VecDist::ScatteredHypersphere { surface: true }.sample(11, 1, &mut rng);
        let pos = s.iter().filter(|&&v| v == 1.0).count();
        let neg = s.iter().filter(|&&v| v == -1.0).count();
        assert_eq!(pos + neg, 11);
        assert!(pos == 5 || pos == 6);
    }

    #[test]
    fn dists_scattered_ball_d1_symmetric_grid() {
        let mut rng = Rng::new(2);
        let s = VecDist::ScatteredHypersphere { surface: false }.sample(100, 1, &mut rng);
        assert_eq!(s.iter().filter(|&&v| v > 0.0).count(), 50);
        assert!(s.iter().all(|v| v.abs() < 1.0));
    }

    #[test]
    fn dists_scattered_surface_unit_norm_and_uniform() {
        for d in [2, 3, 5, 16] {
            let mut rng = Rng::new(d as u64);
            let n = 2000;
            let s = VecDist::ScatteredHypersphere { surface: true }.sample(n, d, &mut rng);
            assert_eq!(s.dim(), (n, d));
            for row in s.rows() {
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                assert!((norm - 1.0).abs() < 1e-12);
            }
            // Uniform on the sphere: mean ≈ 0 and E[x_j²] = 1/d, with quasi-random accuracy.
            for j in 0..d {
                let col = s.column(j);
                let mean = col.sum() / n as f64;
                let m2 = col.iter().map(|v| v * v).sum::<f64>() / n as f64;
                assert!(mean.abs() < 0.02, "d={d} mean {mean}");
                assert!((m2 - 1.0 / d as f64).abs() < 0.02, "d={d} m2 {m2}");
            }
        }
    }

    #[test]
    fn dists_scattered_ball_radius_distribution() {
        let d = 3;
        let n = 4000;
        let mut rng = Rng::new(9);
        let s = VecDist::ScatteredHypersphere { surface: false }.sample(n, d, &mut rng);
        // In the unit ball P(|x| < r) = r^d: check at r = 0.5 (1/8) and the mean norm d/(d+1).
        let norms: Vec<f64> = s
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt())
            .collect();
        assert!(norms.iter().all(|&r| r <= 1.0 + 1e-12));
        let inside = norms.iter().filter(|&&r| r < 0.5).count() as f64 / n as f64;
        assert!((inside - 0.125).abs() < 0.01);
        let mean = norms.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.75).abs() < 0.01);
    }

    #[test]
    fn dists_random_orthogonal_is_orthogonal() {
        let mut rng = Rng::new(5);
        let q = random_orthogonal(6, &mut rng);
        let qtq = q.t().dot(&q);
        for i in 0..6 {
            for j in 0..6 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((qtq[[i, j]] - e).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn dists_uniform_hypersphere() {
        let mut rng = Rng::new(6);
        let s = VecDist::UniformHypersphere { surface: true }.sample(500, 4, &mut rng);
        for row in s.rows() {
            assert!((row.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let b = VecDist::UniformHypersphere { surface: false }.sample(500, 4, &mut rng);
        assert!(b
            .rows()
            .into_iter()
            .all(|r| r.iter().map(|v| v * v).sum::<f64>() <= 1.0 + 1e-12));
        let f = Array2::from_shape_vec((2, 1), vec![1.0, -1.0]).unwrap();
        assert_eq!(VecDist::Fixed(f.clone()).sample(2, 1, &mut rng), f);
    }
}
