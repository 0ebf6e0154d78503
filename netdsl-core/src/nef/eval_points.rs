//! Evaluation points: how many (Nengo's default) and where.

use ndarray::Array2;

use crate::nef::dists::VecDist;
use crate::nef::rng::Rng;

/// Nengo's default number of evaluation points: `max(clip(500 d, 750, 2500), 2 n_neurons)`.
pub fn default_n_eval_points(n_neurons: usize, d: usize) -> usize {
    (500 * d).clamp(750, 2500).max(2 * n_neurons)
}

/// Samples `n` evaluation points of dimension `d` from `dist` and scales them by `radius`
/// (Nengo's `gen_eval_points` with a distribution).
pub fn gen_eval_points(
    dist: &VecDist,
    n: usize,
    d: usize,
    radius: f64,
    rng: &mut Rng,
) -> Array2<f64> {
    let mut ep = dist.sample(n, d, rng);
    ep.mapv_inplace(|v| v * radius);
    ep
}
