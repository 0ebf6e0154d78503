//! SVG figures of the runners: error per test block for each rule, and a sweep's metric against
//! gain for each σ. Seed spread is drawn as two lines in a lighter shade of the mean's colour
//! (mean ± sample std), as the plot API has no bands; with more than five lines in a panel only
//! the means are drawn.

use super::imports::{Axes, Figure, LineSeries};
use crate::common::mean_std;

/// (dark, light) colour pairs from matplotlib's tab10 / tab20.
const COLOURS: [(&str, &str); 10] = [
    ("#2ca02c", "#98df8a"),
    ("#1f77b4", "#aec7e8"),
    ("#d62728", "#ff9896"),
    ("#9467bd", "#c5b0d5"),
    ("#ff7f0e", "#ffbb78"),
    ("#8c564b", "#c49c94"),
    ("#e377c2", "#f7b6d2"),
    ("#7f7f7f", "#c7c7c7"),
    ("#bcbd22", "#dbdb8d"),
    ("#17becf", "#9edae5"),
];

/// More lines than this in one panel: means only, no ± std lines (they would be unreadable).
const MAX_BANDS: usize = 5;

/// Mean line plus (if `spread`) mean ± std lines of `runs` (one `Vec` per seed, all of
/// `x.len()`).
fn band(label: &str, k: usize, x: &[f64], runs: &[Vec<f64>], spread: bool) -> Vec<LineSeries> {
    let (dark, light) = COLOURS[k % COLOURS.len()];
    let stats: Vec<(f64, f64)> = (0..x.len())
        .map(|i| {
            let v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
            let (m, s, _) = mean_std(&v);
            (m, if s.is_finite() { s } else { 0.0 })
        })
        .collect();
    let mean: Vec<f64> = stats.iter().map(|p| p.0).collect();
    let mut out = vec![LineSeries::new(label, x.to_vec(), mean).color(dark)];
    if spread && runs.len() > 1 {
        let hi: Vec<f64> = stats.iter().map(|p| p.0 + p.1).collect();
        let lo: Vec<f64> = stats.iter().map(|p| p.0 - p.1).collect();
        out.push(LineSeries::new(format!("{label} ± std"), x.to_vec(), hi).color(light));
        out.push(LineSeries::new("", x.to_vec(), lo).color(light));
    }
    out
}

/// Error per test block (x: the block's start time) for each model: `(name, runs)` with one
/// vector of test-block errors per seed.
pub fn test_errors(title: &str, block_starts: &[f64], models: &[(&str, Vec<Vec<f64>>)]) -> Figure {
    let mut axes = Axes::lines()
        .title("Σ|post − ground truth| per 2.5 s test block (mean, and ± std over seeds)")
        .ylabel("total error");
    for (k, (name, runs)) in models.iter().enumerate() {
        for l in band(name, k, block_starts, runs, models.len() <= MAX_BANDS) {
            axes = axes.line(l);
        }
    }
    Figure::new(title)
        .xlabel("start of the test block [s]")
        .subplot(axes)
}

/// One panel per metric against log10(gain), one line (± std) per σ. `points[σ index]` holds,
/// for each gain, the metric's values over seeds.
pub fn metric_vs_gain(
    title: &str,
    gains: &[f64],
    sigmas: &[f64],
    panels: &[(&str, Vec<Vec<Vec<f64>>>)],
) -> Figure {
    let x: Vec<f64> = gains.iter().map(|g| g.log10()).collect();
    let mut fig = Figure::new(title).xlabel("log10(gain γ)");
    for (metric, per_sigma) in panels {
        let what = if sigmas.len() <= MAX_BANDS {
            "mean ± std"
        } else {
            "mean"
        };
        let mut axes = Axes::lines().title(format!("{metric} ({what} over seeds)"));
        for (k, (sigma, per_gain)) in sigmas.iter().zip(per_sigma).enumerate() {
            // per_gain[g] = values over seeds; transpose to runs[seed][g].
            let n_seeds = per_gain.iter().map(Vec::len).min().unwrap_or(0);
            let runs: Vec<Vec<f64>> = (0..n_seeds)
                .map(|s| per_gain.iter().map(|v| v[s]).collect())
                .collect();
            let spread = sigmas.len() <= MAX_BANDS;
            for l in band(&format!("σ = {sigma}"), k, &x, &runs, spread) {
                axes = axes.line(l);
            }
        }
        fig = fig.subplot(axes);
    }
    fig
}
