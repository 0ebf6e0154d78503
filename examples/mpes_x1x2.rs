//! The follow-up paper's first task ("learning nonlinear functions on vectors"): learn
//! `x1 · x2` from a 2-D white signal, with mPES on `pre.neurons → post.neurons` memristive
//! synapses, PES on a decoded `pre → post` connection, and the NEF baseline (a plain decoded
//! connection computing `x1 · x2`).
//!
//! ```text
//! cargo run --release --example mpes_x1x2 -- [--seeds 3] [--first-seed 0] [--gain 1e3] [--noise 0.15]
//! ```
//!
//! Network (as `learn_multidimensional_functions.py`, experiment 1): input
//! WhiteSignal(period 52.5 s, high 5 Hz, 2-D) → pre (200 LIF, 2-D); input → ground_truth
//! (100 LIF, 1-D) with `x1·x2`, no synapse; post (200 LIF, 1-D); error (100 LIF, 1-D) =
//! post − ground_truth, → conn.learning. 50 s + one extra 2.5 s block = 21 blocks of 2500 steps,
//! counted in integer steps. Even blocks (0, 2, …, 20) are *test* blocks: a node drives
//! error.neurons with −2 (transform −1 × 2), which silences the error, so nothing learns; odd
//! blocks learn. Metric: Σ over the block's samples of |post − ground_truth| (both decoded,
//! probes filtered 10 ms), per test block; mean ± std over seeds. The network and the run are
//! the `x1x2` task of `examples/mpes_common/followup.rs` (shared with `mpes_followup`).

mod common;
mod mpes_common;

use common::{arg, mean_std};
use mpes_common::followup::{self, Model, RunResult, Settings, BLOCK_STEPS, DT};

fn main() {
    let seeds: u64 = arg("--seeds", 3);
    let first_seed: u64 = arg("--first-seed", 0);
    let gain: f64 = arg("--gain", 1e3);
    let noise: f64 = arg("--noise", 0.15);
    let task = followup::task("x1x2").expect("the x1x2 task");
    let [n_pre, n_post, ..] = task.neurons;
    // The task's own length: 50 s plus one extra test block.
    let settings = Settings {
        gain,
        noise,
        ..Settings::for_task(&task)
    };
    let blocks = settings.blocks;
    let sim_s = settings.steps() as f64 * DT;
    println!(
        "x1·x2 task: pre {n_pre} (2-D) → post {n_post} (1-D), {sim_s} s = {blocks} blocks of \
         {} s, mPES γ = {gain}, σ = {noise}, seeds {first_seed}..{}",
        BLOCK_STEPS as f64 * DT,
        first_seed + seeds
    );
    let models = Model::ALL;
    let mut results: Vec<Vec<RunResult>> = Vec::new();
    for &m in &models {
        results.push(
            (first_seed..first_seed + seeds)
                .map(|s| followup::run_one(&task, m, s, &settings))
                .collect(),
        );
    }
    println!();
    println!("Σ|post − ground truth| per test block (mean ± std over {seeds} seeds):");
    println!();
    println!("| test block | t (s) | mPES | PES | NEF |");
    println!("|---|---|---|---|---|");
    let n_test = results[0][0].test_errors.len();
    for b in 0..n_test {
        let lo = (2 * b) as f64 * BLOCK_STEPS as f64 * DT;
        let cells: Vec<String> = results
            .iter()
            .map(|runs| {
                let v: Vec<f64> = runs.iter().map(|r| r.test_errors[b]).collect();
                let (m, s, _) = mean_std(&v);
                if runs.len() > 1 {
                    format!("{m:.1} ± {s:.1}")
                } else {
                    format!("{m:.1}")
                }
            })
            .collect();
        println!(
            "| {b} | {lo:.1}–{:.1} | {} |",
            lo + BLOCK_STEPS as f64 * DT,
            cells.join(" | ")
        );
    }
    println!();
    println!(
        "| model | wall time per {sim_s} s run (release, build + run) | device pulses per run |"
    );
    println!("|---|---|---|");
    for (m, runs) in models.iter().zip(&results) {
        let secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        let (ms, ss, _) = mean_std(&secs);
        let pulses = if *m == Model::Mpes {
            let p: Vec<f64> = runs.iter().map(|r| r.pulses as f64).collect();
            format!("{:.3e}", mean_std(&p).0)
        } else {
            "—".into()
        };
        let ss = if ss.is_nan() { 0.0 } else { ss };
        println!("| {} | {ms:.2} ± {ss:.2} s | {pulses} |", m.name());
    }
}
