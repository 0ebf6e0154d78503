//! The Frontiers experiment (Tiotto et al. 2021, `experiments/mPES.py`): learn `f(x)` on a
//! `pre.neurons → post.neurons` connection of memristive synapses trained by mPES, against PES on
//! the same neuron→neuron connection and a no-learning baseline (all weights 0).
//!
//! ```text
//! cargo run --release --example mpes_frontiers -- [--seeds 20] [--function x|x2|both] [--first-seed 0]
//!     [--gain 1e4] [--noise 0.15]
//! ```
//!
//! Network (see docs/experiments.md): input Sines(period 4, D = 3) → pre (10 LIF, 3-D);
//! pre.neurons → post.neurons learned (transform 0, synapse 5 ms); post → error,
//! pre → error with `f` and transform −1 (error radius 2); error → conn.learning; from
//! `learn_time` = 22 s a node drives error.neurons with −20 to silence the error. dt = 1 ms,
//! 30 s. Metrics on t > 22 s between `f(decoded pre)` and decoded post (probes filtered 10 ms):
//! MSE, Pearson, Spearman, Kendall tau-b per dimension, averaged over dimensions, then mean ±
//! sample std over seeds. Seed `s` builds the same pre/post/error ensembles for every rule
//! (paired comparison); the devices' seed is derived from it too.

mod common;

use std::time::Instant;

use common::{arg, full_matrix, mean_std, metrics, pm, Metrics};
use netdsl::core::models::learning::LearningRule;
use netdsl::core::models::memristor::{Device, Variability};
use netdsl::core::models::processes::Sines;
use netdsl::core::models::synapses::Synapse;
use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, Network, NodeOutput, ProbeOf, ProbeSpec,
    Transform,
};
use netdsl::core::plan::ProbeAttr;
use netdsl::core::sim::Simulator;

const N: usize = 10;
const D: usize = 3;
const DT: f64 = 0.001;
const SIM_STEPS: u64 = 30_000;
/// Learning stops (the error is silenced) from this step on: t = 22 s.
const LEARN_STEPS: u64 = 22_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    Mpes,
    Pes,
    None,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Mpes => "mPES",
            Rule::Pes => "PES",
            Rule::None => "no learning",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Func {
    X,
    X2,
}

impl Func {
    fn apply(self, x: f64) -> f64 {
        match self {
            Func::X => x,
            Func::X2 => x * x,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Func::X => "x",
            Func::X2 => "x²",
        }
    }
}

/// The reference means ± std of §5 (10 runs of the authors' code on Nengo 4.1), in metric order
/// MSE, Pearson, Spearman, Kendall; `None` where §5 gives no number.
fn reference(rule: Rule, f: Func) -> Option<[(f64, f64); 4]> {
    match (rule, f) {
        (Rule::Mpes, Func::X) => Some([
            (0.088, 0.040),
            (0.922, 0.018),
            (0.901, 0.022),
            (0.715, 0.031),
        ]),
        (Rule::Pes, Func::X) => Some([
            (0.267, 0.145),
            (0.856, 0.070),
            (0.841, 0.082),
            (0.652, 0.096),
        ]),
        (Rule::None, Func::X) => Some([
            (0.325, 0.052),
            (0.0, f64::NAN),
            (0.0, f64::NAN),
            (0.0, f64::NAN),
        ]),
        (Rule::Mpes, Func::X2) => Some([
            (0.161, 0.112),
            (0.165, 0.185),
            (0.166, 0.192),
            (0.110, 0.129),
        ]),
        (Rule::Pes, Func::X2) => Some([
            (0.253, 0.164),
            (0.100, 0.222),
            (0.114, 0.230),
            (0.079, 0.158),
        ]),
        (Rule::None, Func::X2) => None,
    }
}

/// The Frontiers network for one rule, function and seed.
fn build(rule: Rule, f: Func, seed: u64) -> Network {
    let mut net = Network::new(format!("frontiers_{}", rule.name()));
    net.seed = seed;
    let input = net.add_node(
        "input",
        0,
        D,
        NodeOutput::Process(Box::new(Sines {
            dims: D,
            period: 4.0,
        })),
    );
    let learn_time = LEARN_STEPS as f64 * DT;
    let stop = net.add_node(
        "stop_learning",
        0,
        1,
        NodeOutput::Time(Box::new(move |t, out| {
            // `t >= learn_time` with t = n·dt: compare step numbers, not floats.
            out[0] = if (t / DT).round() >= learn_time / DT {
                1.0
            } else {
                0.0
            };
        })),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(N, D));
    let post = net.add_ensemble("post", EnsembleSpec::new(N, D));
    let error = net.add_ensemble(
        "error",
        EnsembleSpec {
            radius: 2.0,
            ..EnsembleSpec::new(N, D)
        },
    );

    let mut learned = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    learned.transform = full_matrix(N, N, 0.0);
    learned.label = Some("learned".into());
    learned.learning = match rule {
        Rule::Mpes => Some(LearningRule::Mpes {
            gain: arg("--gain", 1e4),
            threshold: 1e-5,
            pre_synapse: Some(Synapse::Lowpass(0.005)),
            model: Device::default(),
            variability: Variability::uniform(arg("--noise", 0.15)),
            seed: None,
        }),
        Rule::Pes => Some(LearningRule::Pes {
            learning_rate: 1e-4,
            pre_synapse: Some(Synapse::Lowpass(0.005)),
        }),
        Rule::None => None,
    };
    let conn = net.connect(learned);
    if rule != Rule::None {
        net.connect(ConnectionSpec::new(
            Endpoint::Value(error),
            Endpoint::Learning(conn),
        ));
    }
    // error = post − f(pre)
    net.connect(ConnectionSpec::new(
        Endpoint::Value(post),
        Endpoint::Value(error),
    ));
    let mut target = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(error));
    target.function = Some(Function {
        size_out: D,
        f: Box::new(move |x, y| {
            for (yy, xx) in y.iter_mut().zip(x) {
                *yy = f.apply(*xx);
            }
        }),
        text: f.name().into(),
    });
    target.transform = Transform::Scalar(-1.0);
    net.connect(target);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(input),
        Endpoint::Value(pre),
    ));
    let mut inhibit = ConnectionSpec::new(Endpoint::Value(stop), Endpoint::Neurons(error));
    inhibit.transform = full_matrix(N, 1, -20.0);
    net.connect(inhibit);

    for (name, item) in [("pre", pre), ("post", post)] {
        net.probe(
            name,
            ProbeSpec {
                synapse: Some(Synapse::Lowpass(0.01)),
                ..ProbeSpec::new(ProbeOf::Item(item), ProbeAttr::Value)
            },
        );
    }
    net
}

struct RunResult {
    metrics: Metrics,
    seconds: f64,
    pulses: u64,
}

fn run_one(rule: Rule, f: Func, seed: u64) -> RunResult {
    let start = Instant::now();
    let mut sim = Simulator::new(build(rule, f, seed), DT).expect("build");
    sim.set_progress(false);
    sim.run_steps(SIM_STEPS).expect("run");
    let seconds = start.elapsed().as_secs_f64();
    let pre = sim.data("pre");
    let post = sim.data("post");
    let steps = &sim.probe("pre").expect("probe").steps;
    // t > learn_time: samples after step 22000 (the authors' `[int(learn_time / dt):]`).
    let first = steps
        .iter()
        .position(|&s| s > LEARN_STEPS)
        .expect("samples after learning");
    let y_true: Vec<Vec<f64>> = (0..D)
        .map(|d| {
            pre.column(d)
                .iter()
                .skip(first)
                .map(|&x| f.apply(x))
                .collect()
        })
        .collect();
    let y_pred: Vec<Vec<f64>> = (0..D)
        .map(|d| post.column(d).iter().skip(first).copied().collect())
        .collect();
    let pulses = sim.memristors().iter().map(|m| m.total_pulses()).sum();
    RunResult {
        metrics: metrics(&y_true, &y_pred),
        seconds,
        pulses,
    }
}

fn main() {
    let seeds: u64 = arg("--seeds", 20);
    let first_seed: u64 = arg("--first-seed", 0);
    let which: String = arg("--function", "both".to_string());
    let funcs = match which.as_str() {
        "x" => vec![Func::X],
        "x2" => vec![Func::X2],
        "both" => vec![Func::X, Func::X2],
        other => panic!("--function x|x2|both, not {other}"),
    };
    println!(
        "Frontiers mPES experiment: N = {N}, D = {D}, dt = {DT}, {} s, learning until {} s, \
         seeds {first_seed}..{}",
        SIM_STEPS as f64 * DT,
        LEARN_STEPS as f64 * DT,
        first_seed + seeds
    );
    for f in funcs {
        println!();
        println!(
            "## f(x) = {}  ({seeds} runs per rule; reference: §5, 10 runs)",
            f.name()
        );
        println!();
        println!("| rule | metric | netdsl (mean ± std) | reference | n |");
        println!("|---|---|---|---|---|");
        let mut timing = Vec::new();
        for rule in [Rule::Mpes, Rule::Pes, Rule::None] {
            let runs: Vec<RunResult> = (first_seed..first_seed + seeds)
                .map(|s| run_one(rule, f, s))
                .collect();
            let cols: [fn(&Metrics) -> f64; 4] =
                [|m| m.mse, |m| m.pearson, |m| m.spearman, |m| m.kendall];
            let refs = reference(rule, f);
            for (k, (name, col)) in ["MSE", "Pearson", "Spearman", "Kendall"]
                .iter()
                .zip(cols)
                .enumerate()
            {
                let v: Vec<f64> = runs.iter().map(|r| col(&r.metrics)).collect();
                let (m, s, n) = mean_std(&v);
                let ours = if n == 0 {
                    "undefined (post silent)".to_string()
                } else {
                    pm(m, s)
                };
                let theirs = match refs {
                    Some(r) if r[k].1.is_nan() => format!("≈ {:.0}", r[k].0),
                    Some(r) => pm(r[k].0, r[k].1),
                    None => "—".to_string(),
                };
                println!("| {} | {name} | {ours} | {theirs} | {n} |", rule.name());
            }
            let secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
            let pulses: Vec<f64> = runs.iter().map(|r| r.pulses as f64).collect();
            timing.push((rule, mean_std(&secs), mean_std(&pulses)));
        }
        println!();
        println!(
            "| rule | wall time per 30 s run (release, build + run) | device pulses per run |"
        );
        println!("|---|---|---|");
        for (rule, (m, s, _), (pm_, ps, _)) in timing {
            let pulses = if rule == Rule::Mpes {
                format!("{pm_:.0} ± {ps:.0}")
            } else {
                "—".to_string()
            };
            println!("| {} | {:.3} ± {:.3} s | {pulses} |", rule.name(), m, s);
        }
    }
}
