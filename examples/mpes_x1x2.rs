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
//! probes filtered 10 ms), per test block; mean ± std over seeds.

mod common;

use std::time::Instant;

use common::{arg, full_matrix, mean_std};
use netdsl::core::models::learning::LearningRule;
use netdsl::core::models::memristor::{Device, Variability};
use netdsl::core::models::processes::WhiteSignal;
use netdsl::core::models::synapses::Synapse;
use netdsl::core::nef::rng::Rng;
use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, Network, NodeOutput, ProbeOf, ProbeSpec,
    Transform,
};
use netdsl::core::plan::ProbeAttr;
use netdsl::core::sim::Simulator;

const DT: f64 = 0.001;
const BLOCK_STEPS: u64 = 2500;
const N_BLOCKS: u64 = 21;
const N_PRE: usize = 200;
const N_POST: usize = 200;
const N_AUX: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Model {
    Mpes,
    Pes,
    Nef,
}

impl Model {
    fn name(self) -> &'static str {
        match self {
            Model::Mpes => "mPES",
            Model::Pes => "PES",
            Model::Nef => "NEF",
        }
    }
}

fn product(x: &[f64], y: &mut [f64]) {
    y[0] = x[0] * x[1];
}

/// Block of step `n` (1-based steps): `(n − 1) / 2500`.
fn block_of(step: u64) -> u64 {
    (step - 1) / BLOCK_STEPS
}

fn build(model: Model, seed: u64, gain: f64, noise: f64) -> Network {
    let mut net = Network::new(format!("x1x2_{}", model.name()));
    net.seed = seed;
    let period = (N_BLOCKS * BLOCK_STEPS) as f64 * DT;
    let input = net.add_node(
        "input",
        0,
        2,
        NodeOutput::Process(Box::new(
            WhiteSignal::new(period, 5.0)
                .with_dims(2)
                .with_seed(seed.wrapping_mul(0x9E37_79B9).wrapping_add(17)),
        )),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(N_PRE, 2));
    let post = net.add_ensemble("post", EnsembleSpec::new(N_POST, 1));
    let truth = net.add_ensemble("ground_truth", EnsembleSpec::new(N_AUX, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(input),
        Endpoint::Value(pre),
    ));
    let mut t = ConnectionSpec::new(Endpoint::Value(input), Endpoint::Value(truth));
    t.function = Some(Function {
        size_out: 1,
        f: Box::new(product),
        text: "x[0] * x[1]".into(),
    });
    t.synapse = None;
    net.connect(t);

    if model == Model::Nef {
        let mut c = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(post));
        c.function = Some(Function {
            size_out: 1,
            f: Box::new(product),
            text: "x[0] * x[1]".into(),
        });
        net.connect(c);
    } else {
        let error = net.add_ensemble("error", EnsembleSpec::new(N_AUX, 1));
        let conn = if model == Model::Mpes {
            let mut c = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
            c.transform = full_matrix(N_POST, N_PRE, 0.0);
            c.learning = Some(LearningRule::Mpes {
                gain,
                threshold: 1e-5,
                pre_synapse: Some(Synapse::Lowpass(0.005)),
                model: Device::default(),
                variability: Variability::uniform(noise),
                seed: None,
            });
            c.label = Some("learned".into());
            net.connect(c)
        } else {
            // PES on a decoded connection whose initial function is a random constant.
            let c0 = Rng::derive(seed, 77).next_f64();
            let mut c = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(post));
            c.function = Some(Function {
                size_out: 1,
                f: Box::new(move |_x, y| y[0] = c0),
                text: "random constant".into(),
            });
            c.learning = Some(LearningRule::pes());
            c.label = Some("learned".into());
            net.connect(c)
        };
        net.connect(ConnectionSpec::new(
            Endpoint::Value(error),
            Endpoint::Learning(conn),
        ));
        net.connect(ConnectionSpec::new(
            Endpoint::Value(post),
            Endpoint::Value(error),
        ));
        let mut neg = ConnectionSpec::new(Endpoint::Value(truth), Endpoint::Value(error));
        neg.transform = Transform::Scalar(-1.0);
        net.connect(neg);
        // 2.0 during test blocks (even), 0 while learning (odd); integer step counting.
        let inhibit = net.add_node(
            "inhibit",
            0,
            1,
            NodeOutput::Time(Box::new(|t, out| {
                let step = (t / DT).round() as u64;
                out[0] = if block_of(step) % 2 == 0 { 2.0 } else { 0.0 };
            })),
        );
        let mut c = ConnectionSpec::new(Endpoint::Value(inhibit), Endpoint::Neurons(error));
        c.transform = full_matrix(N_AUX, 1, -1.0);
        net.connect(c);
    }
    for (name, item) in [("post", post), ("ground_truth", truth)] {
        net.probe(
            format!("{name}_probe"),
            ProbeSpec {
                synapse: Some(Synapse::Lowpass(0.01)),
                ..ProbeSpec::new(ProbeOf::Item(item), ProbeAttr::Value)
            },
        );
    }
    net
}

struct RunResult {
    /// Σ|post − ground_truth| per test block (blocks 0, 2, …, 20).
    test_errors: Vec<f64>,
    seconds: f64,
    pulses: u64,
}

fn run_one(model: Model, seed: u64, gain: f64, noise: f64) -> RunResult {
    let start = Instant::now();
    let mut sim = Simulator::new(build(model, seed, gain, noise), DT).expect("build");
    sim.set_progress(false);
    sim.run_steps(N_BLOCKS * BLOCK_STEPS).expect("run");
    let seconds = start.elapsed().as_secs_f64();
    let post = sim.data("post_probe");
    let truth = sim.data("ground_truth_probe");
    let steps = &sim.probe("post_probe").expect("probe").steps;
    let mut sums = vec![0.0; N_BLOCKS as usize];
    for (k, &s) in steps.iter().enumerate() {
        sums[block_of(s) as usize] += (post[[k, 0]] - truth[[k, 0]]).abs();
    }
    RunResult {
        test_errors: sums.into_iter().step_by(2).collect(),
        seconds,
        pulses: sim.memristors().iter().map(|m| m.total_pulses()).sum(),
    }
}

fn main() {
    let seeds: u64 = arg("--seeds", 3);
    let first_seed: u64 = arg("--first-seed", 0);
    let gain: f64 = arg("--gain", 1e3);
    let noise: f64 = arg("--noise", 0.15);
    let sim_s = (N_BLOCKS * BLOCK_STEPS) as f64 * DT;
    println!(
        "x1·x2 task: pre {N_PRE} (2-D) → post {N_POST} (1-D), {sim_s} s = {N_BLOCKS} blocks of \
         {} s, mPES γ = {gain}, σ = {noise}, seeds {first_seed}..{}",
        BLOCK_STEPS as f64 * DT,
        first_seed + seeds
    );
    let models = [Model::Mpes, Model::Pes, Model::Nef];
    let mut results: Vec<Vec<RunResult>> = Vec::new();
    for &m in &models {
        results.push(
            (first_seed..first_seed + seeds)
                .map(|s| run_one(m, s, gain, noise))
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
