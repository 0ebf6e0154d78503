//! The Frontiers experiment (`experiments/mPES.py`, spec §3) with its parameters open: ensemble
//! size N, mPES gain γ, device variability σ, the learned function, the run's length, and the
//! learning rule (mPES, PES or none). With N = 10, 30 s and learning until 22 s it is the network
//! of `examples/mpes_frontiers.rs`, which runs it; the sweep runs its mPES form over a grid.

use std::time::Instant;

use super::imports::{
    ConnectionSpec, Device, Endpoint, EnsembleSpec, Function, LearningRule, Network, NodeOutput,
    ProbeAttr, ProbeOf, ProbeSpec, SimOptions, Simulator, Sines, Synapse, Transform, Variability,
};
use crate::common::{full_matrix, metrics, Metrics};

/// Simulation step.
pub const DT: f64 = 0.001;
/// Represented dimensions.
pub const D: usize = 3;

/// The learned function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `f(x) = x`.
    X,
    /// `f(x) = x²`, per dimension.
    X2,
}

impl Func {
    /// `f` of one component.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Func::X => x,
            Func::X2 => x * x,
        }
    }

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Func::X => "x",
            Func::X2 => "x2",
        }
    }
}

/// One mPES run of the Frontiers experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Neurons in each of pre, post and error.
    pub n: usize,
    /// mPES gain γ.
    pub gain: f64,
    /// Variability σ of all four device parameters.
    pub noise: f64,
    /// The function learned.
    pub f: Func,
    /// Network seed (ensembles and devices).
    pub seed: u64,
    /// Steps of the run (30 000 in the paper).
    pub sim_steps: u64,
    /// Learning stops (the error is silenced) from this step on (22 000 in the paper).
    pub learn_steps: u64,
}

impl Config {
    /// The paper's run (30 s, learning until 22 s) for the given point of the grid.
    pub fn paper(n: usize, gain: f64, noise: f64, seed: u64) -> Config {
        Config {
            n,
            gain,
            noise,
            f: Func::X,
            seed,
            sim_steps: 30_000,
            learn_steps: 22_000,
        }
    }
}

/// The rule that learns the `pre.neurons → post.neurons` connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// mPES on memristive synapses (γ and σ from the [`Config`]).
    Mpes,
    /// PES (learning rate 1e-4, pre synapse 5 ms).
    Pes,
    /// No learning: the weights stay 0 and the error drives nothing.
    None,
}

impl Rule {
    /// All three, in table order.
    pub const ALL: [Rule; 3] = [Rule::Mpes, Rule::Pes, Rule::None];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Mpes => "mPES",
            Rule::Pes => "PES",
            Rule::None => "no learning",
        }
    }
}

/// The Frontiers network with mPES on `pre.neurons → post.neurons`.
pub fn build(c: &Config) -> Network {
    build_rule(c, Rule::Mpes)
}

/// The Frontiers network with `rule` on `pre.neurons → post.neurons`. The same seed gives every
/// rule the same ensembles (paired comparison).
pub fn build_rule(c: &Config, rule: Rule) -> Network {
    let (n, f) = (c.n, c.f);
    let mut net = Network::new(format!("frontiers_{}", rule.name()));
    net.seed = c.seed;
    let input = net.add_node(
        "input",
        0,
        D,
        NodeOutput::Process(Box::new(Sines {
            dims: D,
            period: 4.0,
        })),
    );
    let learn_steps = c.learn_steps as f64;
    let stop = net.add_node(
        "stop_learning",
        0,
        1,
        NodeOutput::Time(Box::new(move |t, out| {
            out[0] = if (t / DT).round() >= learn_steps {
                1.0
            } else {
                0.0
            };
        })),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, D));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, D));
    let error = net.add_ensemble(
        "error",
        EnsembleSpec {
            radius: 2.0,
            ..EnsembleSpec::new(n, D)
        },
    );
    let mut learned = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    learned.transform = full_matrix(n, n, 0.0);
    learned.label = Some("learned".into());
    learned.learning = match rule {
        Rule::Mpes => Some(LearningRule::Mpes {
            gain: c.gain,
            threshold: 1e-5,
            pre_synapse: Some(Synapse::Lowpass(0.005)),
            model: Device::default(),
            variability: Variability::uniform(c.noise),
            seed: None,
        }),
        Rule::Pes => Some(LearningRule::pes()),
        Rule::None => None,
    };
    let conn = net.connect(learned);
    if rule != Rule::None {
        net.connect(ConnectionSpec::new(
            Endpoint::Value(error),
            Endpoint::Learning(conn),
        ));
    }
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
    inhibit.transform = full_matrix(n, 1, -20.0);
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

/// What one run gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunResult {
    /// MSE, Pearson, Spearman, Kendall on t > learn time, averaged over the dimensions.
    pub metrics: Metrics,
    /// Device pulses.
    pub pulses: u64,
    /// Wall time of build + run, seconds.
    pub seconds: f64,
}

/// Builds, runs and scores one configuration.
#[allow(dead_code)]
pub fn run(c: &Config) -> RunResult {
    run_with(c, SimOptions::default())
}

/// [`run`] with the simulator's thread options (the results do not depend on them).
pub fn run_with(c: &Config, options: SimOptions) -> RunResult {
    run_rule_with(c, Rule::Mpes, options)
}

/// Builds, runs and scores one configuration learned by `rule`.
pub fn run_rule(c: &Config, rule: Rule) -> RunResult {
    run_rule_with(c, rule, SimOptions::default())
}

/// [`run_rule`] with the simulator's thread options (the results do not depend on them).
pub fn run_rule_with(c: &Config, rule: Rule, options: SimOptions) -> RunResult {
    let start = Instant::now();
    let mut sim = Simulator::with_options(build_rule(c, rule), DT, options).expect("build");
    sim.set_progress(false);
    sim.run_steps(c.sim_steps).expect("run");
    let seconds = start.elapsed().as_secs_f64();
    let pre = sim.data("pre");
    let post = sim.data("post");
    let steps = &sim.probe("pre").expect("probe").steps;
    let first = steps
        .iter()
        .position(|&s| s > c.learn_steps)
        .expect("samples after learning");
    let y_true: Vec<Vec<f64>> = (0..D)
        .map(|d| {
            pre.column(d)
                .iter()
                .skip(first)
                .map(|&x| c.f.apply(x))
                .collect()
        })
        .collect();
    let y_pred: Vec<Vec<f64>> = (0..D)
        .map(|d| post.column(d).iter().skip(first).copied().collect())
        .collect();
    RunResult {
        metrics: metrics(&y_true, &y_pred),
        pulses: sim.memristors().iter().map(|m| m.total_pulses()).sum(),
        seconds,
    }
}
