//! Every Nengo 4.1 solver against Nengo itself at the solver level: `tests/fixtures/s24_solvers.json`
//! (made by `tools/nengo_fixtures.py`) holds fixed activity matrices A and targets Y and the
//! decoders Nengo's solver classes return for them; the same A and Y go through
//! `netdsl_core::nef::solvers::solve_kind` here. Tolerances (worst |Δ| over max |X|):
//!
//! - closed-form solves (LstsqL2, LstsqL2nz, Lstsq, noise = 0 LstsqNoise/LstsqMultNoise, and
//!   LstsqDrop built on them): 1e-10;
//! - Nnls, NnlsL2, NnlsL2nz (Lawson–Hanson, scipy's steps): 1e-9, and the same active set
//!   (zero pattern) exactly, except on the rank-deficient `dead` case, where a never-active
//!   neuron's coefficient is a rounding residue (scipy 4e-16, netdsl 4e-15) and values within
//!   1e-11 of the largest count as zero;
//! - LstsqL1 (scikit-learn's coordinate descent, same sweeps, different summation order):
//!   `L1_TOL`;
//! - LstsqNoise / LstsqMultNoise with noise: netdsl's generator is not numpy's, so the mean
//!   decoders over 400 seeds are compared with Nengo's mean over 400 seeds, entry by entry,
//!   within 5 standard errors of the difference (and the spreads within 20%).

mod common;

use common::{f64s, fixture, matrix, solver};
use ndarray::Array2;
use netdsl_core::nef::rng::Rng;
use netdsl_core::nef::solvers::{solve_kind, SolverKind};
use serde_json::Value;

/// LstsqL1's tolerance (relative to the largest decoder; measured 7e-15 on s24: the sweeps, the
/// screening and the stop are scikit-learn's, so the iterations end on the same sweep).
const L1_TOL: f64 = 1e-9;

fn case(fx: &Value, name: &str) -> (Array2<f64>, Array2<f64>) {
    let c = &fx["cases"][name];
    (matrix(&c["A"]), matrix(&c["Y"]))
}

fn worst_rel(got: &Array2<f64>, want: &Array2<f64>) -> f64 {
    assert_eq!(got.dim(), want.dim());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    got.iter()
        .zip(want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        / scale
}

fn label(s: &Value) -> String {
    let mut out = s["type"].as_str().expect("type").to_string();
    if let Some(o) = s.as_object() {
        let params: Vec<String> = o
            .iter()
            .filter(|(k, _)| *k != "type" && *k != "weights")
            .map(|(k, v)| match v {
                Value::Object(_) => format!("{k}={}", label(v)),
                _ => format!("{k}={v}"),
            })
            .collect();
        out += &format!("({})", params.join(", "));
    }
    out
}

#[test]
fn s24_every_solver_matches_nengo() {
    let fx = fixture("s24_solvers");
    let mut failures = Vec::new();
    for run in fx["runs"].as_array().expect("runs") {
        let (a, y) = case(&fx, run["case"].as_str().expect("case"));
        let s = solver(&run["solver"]);
        let want = matrix(&run["X"]);
        let got = solve_kind(&s.kind, &a, &y, &mut Rng::new(0))
            .unwrap_or_else(|e| panic!("{}: {e}", label(&run["solver"])));
        let worst = worst_rel(&got, &want);
        let (tol, same_zeros) = match &s.kind {
            SolverKind::LstsqL1 { .. } => (L1_TOL, false),
            SolverKind::Nnls | SolverKind::NnlsL2 { .. } | SolverKind::NnlsL2nz { .. } => {
                (1e-9, true)
            }
            SolverKind::LstsqDrop { solver2, .. } if matches!(**solver2, SolverKind::Nnls) => {
                (1e-9, true)
            }
            _ => (1e-10, false),
        };
        // The active set: which coefficients are zero, exactly on the well-conditioned cases.
        // On `dead` (A has zero columns, cond 1e17) a never-active neuron's coefficient is a
        // rounding residue in both (scipy 4e-16, netdsl 4e-15): there values within 1e-11 of
        // the largest count as zero.
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let eps = if run["case"] == "dead" {
            1e-11 * scale
        } else {
            0.0
        };
        let zero = |v: f64| v.abs() <= eps;
        let zeros_ok = !same_zeros || got.iter().zip(&want).all(|(g, w)| zero(*g) == zero(*w));
        println!(
            "{:>5} {:<60} worst rel |Δ| {worst:.2e} (tol {tol:.0e}){}",
            run["case"].as_str().unwrap(),
            label(&run["solver"]),
            if same_zeros {
                ", same zero pattern"
            } else {
                ""
            }
        );
        if worst > tol || !zeros_ok {
            failures.push(format!(
                "{} on {}: {worst:e} (zeros match: {zeros_ok})",
                label(&run["solver"]),
                run["case"]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn s24_noise_solvers_match_nengo_in_distribution() {
    let fx = fixture("s24_solvers");
    for run in fx["noise"].as_array().expect("noise") {
        let (a, y) = case(&fx, run["case"].as_str().expect("case"));
        let s = solver(&run["solver"]);
        let k = run["n_seeds"].as_u64().expect("n") as usize;
        let (mean_n, std_n) = (matrix(&run["mean"]), matrix(&run["std"]));
        let mut sum = Array2::<f64>::zeros(mean_n.dim());
        let mut sum2 = Array2::<f64>::zeros(mean_n.dim());
        for seed in 0..k {
            let x = solve_kind(&s.kind, &a, &y, &mut Rng::new(1000 + seed as u64)).unwrap();
            sum += &x;
            sum2 += &x.mapv(|v| v * v);
        }
        let mean = &sum / k as f64;
        let std = (&sum2 / k as f64 - &mean.mapv(|v| v * v)).mapv(|v| v.max(0.0).sqrt());
        let mut worst_z: f64 = 0.0;
        let mut worst_sd: f64 = 0.0;
        for ((m, mn), (s, sn)) in mean.iter().zip(&mean_n).zip(std.iter().zip(&std_n)) {
            let se = ((s * s + sn * sn) / k as f64).sqrt();
            worst_z = worst_z.max((m - mn).abs() / se);
            worst_sd = worst_sd.max((s / sn - 1.0).abs());
        }
        println!(
            "{}: worst |mean difference| = {worst_z:.2} standard errors, worst s.d. ratio - 1 = \
             {worst_sd:.3} ({k} seeds each)",
            label(&run["solver"])
        );
        assert!(
            worst_z < 5.0,
            "mean decoders differ by {worst_z} standard errors"
        );
        assert!(worst_sd < 0.2, "decoder spread differs by {worst_sd}");
    }
    let _ = f64s;
}
