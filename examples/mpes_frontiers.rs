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
//! (paired comparison); the devices' seed is derived from it too. The network and the run are
//! `examples/mpes_common/frontiers.rs` (shared with `mpes_sweep`).

mod common;
mod mpes_common;

use common::{arg, mean_std, pm, Metrics};
use mpes_common::frontiers::{self, Config, Func, Rule, RunResult, DT};

const N: usize = 10;
const D: usize = frontiers::D;
const SIM_STEPS: u64 = 30_000;
/// Learning stops (the error is silenced) from this step on: t = 22 s.
const LEARN_STEPS: u64 = 22_000;

/// The function's name in the tables.
fn title(f: Func) -> &'static str {
    match f {
        Func::X => "x",
        Func::X2 => "x²",
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

fn run_one(rule: Rule, f: Func, seed: u64) -> RunResult {
    let config = Config {
        f,
        sim_steps: SIM_STEPS,
        learn_steps: LEARN_STEPS,
        ..Config::paper(N, arg("--gain", 1e4), arg("--noise", 0.15), seed)
    };
    frontiers::run_rule(&config, rule)
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
            title(f)
        );
        println!();
        println!("| rule | metric | netdsl (mean ± std) | reference | n |");
        println!("|---|---|---|---|---|");
        let mut timing = Vec::new();
        for rule in Rule::ALL {
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
