//! The follow-up paper's five tasks ("learning nonlinear functions on vectors") as one
//! parameterised experiment: the task fixes the sizes, the duration and the function; the runner
//! builds the mPES, PES and NEF networks for a seed, runs them, and scores every test block.
//!
//! Setup (spec §3 and `learn_multidimensional_functions.py`): input
//! WhiteSignal(period = run length, high 5 Hz, rms 0.5, `d_in` dims) → `pre`; input →
//! `ground_truth` with `f`, no synapse; `post` (`d_out` dims); `error = post − ground_truth` →
//! `conn.learning`. The run is the task's seconds plus one extra 2.5 s block, so it starts and
//! ends with a test block. Even blocks are test blocks: a node drives `error.neurons` with −2 and
//! nothing learns; odd blocks learn. Metric: Σ over a test block's samples and over the output
//! dimensions of |post − ground_truth|, both decoded and probed with Lowpass(10 ms).

use std::time::Instant;

use super::imports::{
    ConnectionSpec, Device, Endpoint, EnsembleSpec, Function, LearningRule, Network, NodeOutput,
    ProbeAttr, ProbeOf, ProbeSpec, Rng, Simulator, Synapse, Transform, Variability, WhiteSignal,
};
use crate::common::full_matrix;

/// Simulation step.
pub const DT: f64 = 0.001;
/// Steps per learn or test block (2.5 s).
pub const BLOCK_STEPS: u64 = 2500;

/// The function a task learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskFn {
    /// `x1·x2`.
    Product,
    /// `x1·x2 + x3·x4`.
    CombinedProducts,
    /// `[x1·x2, x1·x3, x2·x3]`.
    SeparateProducts,
    /// Circular convolution of the first half of `x` with the second half.
    CircularConvolution,
}

impl TaskFn {
    /// Evaluates the function of `x` into `y`.
    pub fn apply(self, x: &[f64], y: &mut [f64]) {
        match self {
            TaskFn::Product => y[0] = x[0] * x[1],
            TaskFn::CombinedProducts => y[0] = x[0] * x[1] + x[2] * x[3],
            TaskFn::SeparateProducts => {
                y[0] = x[0] * x[1];
                y[1] = x[0] * x[2];
                y[2] = x[1] * x[2];
            }
            TaskFn::CircularConvolution => circular_convolution(x, y),
        }
    }

    /// Source text, for the plan and the graph.
    pub fn text(self) -> &'static str {
        match self {
            TaskFn::Product => "x[0] * x[1]",
            TaskFn::CombinedProducts => "x[0] * x[1] + x[2] * x[3]",
            TaskFn::SeparateProducts => "[x0*x1, x0*x2, x1*x2]",
            TaskFn::CircularConvolution => "cconv(x[..n], x[n..])",
        }
    }
}

/// `y = a ⊛ b` with `a = x[..n]`, `b = x[n..]`, `n = y.len()`:
/// `y_k = Σ_j a_j · b_{(k − j) mod n}` (the real part of `ifft(fft(a) · fft(b))`).
pub fn circular_convolution(x: &[f64], y: &mut [f64]) {
    let n = y.len();
    let (a, b) = x.split_at(n);
    for (k, yk) in y.iter_mut().enumerate() {
        *yk = (0..n).map(|j| a[j] * b[(k + n - j) % n]).sum();
    }
}

/// One of the follow-up's tasks: sizes, duration and function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Task {
    /// Command-line name, also the output folder's.
    pub name: &'static str,
    /// Title for tables and plots.
    pub title: &'static str,
    /// Neurons of `pre`, `post`, `ground_truth`, `error`.
    pub neurons: [usize; 4],
    /// Input (= pre) dimensions.
    pub d_in: usize,
    /// Output (= post, ground truth, error) dimensions.
    pub d_out: usize,
    /// The paper's learning time in seconds; the run adds one 2.5 s test block.
    pub seconds: f64,
    /// The function learned.
    pub f: TaskFn,
}

/// The five tasks, with the sizes and durations of spec §3.
pub const TASKS: [Task; 5] = [
    Task {
        name: "x1x2",
        title: "x1·x2",
        neurons: [200, 200, 100, 100],
        d_in: 2,
        d_out: 1,
        seconds: 50.0,
        f: TaskFn::Product,
    },
    Task {
        name: "x1x2_x3x4",
        title: "x1·x2 + x3·x4",
        neurons: [400, 400, 100, 100],
        d_in: 4,
        d_out: 1,
        seconds: 100.0,
        f: TaskFn::CombinedProducts,
    },
    Task {
        name: "products3",
        title: "[x1·x2, x1·x3, x2·x3]",
        neurons: [300, 300, 300, 300],
        d_in: 3,
        d_out: 3,
        seconds: 100.0,
        f: TaskFn::SeparateProducts,
    },
    Task {
        name: "cconv2",
        title: "2-D circular convolution",
        neurons: [400, 400, 200, 200],
        d_in: 4,
        d_out: 2,
        seconds: 200.0,
        f: TaskFn::CircularConvolution,
    },
    Task {
        name: "cconv3",
        title: "3-D circular convolution",
        neurons: [600, 300, 300, 300],
        d_in: 6,
        d_out: 3,
        seconds: 400.0,
        f: TaskFn::CircularConvolution,
    },
];

/// The task called `name`.
pub fn task(name: &str) -> Option<Task> {
    TASKS.iter().copied().find(|t| t.name == name)
}

/// Which network learns (or does not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// mPES on `pre.neurons → post.neurons` memristive synapses (weights start near 0).
    Mpes,
    /// PES on a decoded `pre → post` connection that starts as a random constant.
    Pes,
    /// A decoded `pre → post` connection computing `f`; no error, no learning.
    Nef,
}

impl Model {
    /// All three, in table order.
    pub const ALL: [Model; 3] = [Model::Mpes, Model::Pes, Model::Nef];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Model::Mpes => "mPES",
            Model::Pes => "PES",
            Model::Nef => "NEF",
        }
    }
}

/// The run's settings besides the task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// mPES gain γ.
    pub gain: f64,
    /// Device variability σ (all four parameters).
    pub noise: f64,
    /// Total blocks (odd: starts and ends with a test block).
    pub blocks: u64,
}

impl Settings {
    /// The task's own length: its seconds plus one extra test block; γ = 1e3, σ = 0.15.
    pub fn for_task(task: &Task) -> Settings {
        Settings {
            gain: 1e3,
            noise: 0.15,
            blocks: (task.seconds / (BLOCK_STEPS as f64 * DT)).round() as u64 + 1,
        }
    }

    /// Steps of the whole run.
    pub fn steps(&self) -> u64 {
        self.blocks * BLOCK_STEPS
    }
}

/// Block of a 1-based step number: `(n − 1) / 2500`.
pub fn block_of(step: u64) -> u64 {
    (step - 1) / BLOCK_STEPS
}

/// Whether block `b` is a test block (even: learning off).
pub fn is_test_block(b: u64) -> bool {
    b % 2 == 0
}

/// The per-block metric: for each test block (0, 2, 4, …, in order), Σ over its samples and over
/// the dimensions of |post − truth|. `steps[k]` is the 1-based step of row `k` of `post` and
/// `truth` (rows are samples, one column per dimension); `n_blocks` bounds the blocks counted.
pub fn test_block_errors(
    steps: &[u64],
    post: &[Vec<f64>],
    truth: &[Vec<f64>],
    n_blocks: u64,
) -> Vec<f64> {
    let mut sums = vec![0.0; n_blocks as usize];
    for (k, &s) in steps.iter().enumerate() {
        let b = block_of(s);
        if b < n_blocks {
            sums[b as usize] += post[k]
                .iter()
                .zip(&truth[k])
                .map(|(p, t)| (p - t).abs())
                .sum::<f64>();
        }
    }
    sums.into_iter()
        .enumerate()
        .filter(|(b, _)| is_test_block(*b as u64))
        .map(|(_, v)| v)
        .collect()
}

fn task_function(task: &Task) -> Function {
    let (f, d_out) = (task.f, task.d_out);
    Function {
        size_out: d_out,
        f: Box::new(move |x, y| f.apply(x, y)),
        text: task.f.text().into(),
    }
}

/// The network of `model` for `task`, seed `seed`. The same seed gives every model the same
/// input and ensembles (paired comparison).
pub fn build(task: &Task, model: Model, seed: u64, s: &Settings) -> Network {
    let [n_pre, n_post, n_truth, n_error] = task.neurons;
    let (d_in, d_out) = (task.d_in, task.d_out);
    let mut net = Network::new(format!("{}_{}", task.name, model.name()));
    net.seed = seed;
    let period = s.steps() as f64 * DT;
    let input = net.add_node(
        "input",
        0,
        d_in,
        NodeOutput::Process(Box::new(
            WhiteSignal::new(period, 5.0)
                .with_dims(d_in)
                .with_seed(seed.wrapping_mul(0x9E37_79B9).wrapping_add(17)),
        )),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n_pre, d_in));
    let post = net.add_ensemble("post", EnsembleSpec::new(n_post, d_out));
    let truth = net.add_ensemble("ground_truth", EnsembleSpec::new(n_truth, d_out));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(input),
        Endpoint::Value(pre),
    ));
    let mut t = ConnectionSpec::new(Endpoint::Value(input), Endpoint::Value(truth));
    t.function = Some(task_function(task));
    t.synapse = None;
    net.connect(t);

    if model == Model::Nef {
        let mut c = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(post));
        c.function = Some(task_function(task));
        net.connect(c);
    } else {
        let error = net.add_ensemble("error", EnsembleSpec::new(n_error, d_out));
        let conn = if model == Model::Mpes {
            let mut c = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
            c.transform = full_matrix(n_post, n_pre, 0.0);
            c.learning = Some(LearningRule::Mpes {
                gain: s.gain,
                threshold: 1e-5,
                pre_synapse: Some(Synapse::Lowpass(0.005)),
                model: Device::default(),
                variability: Variability::uniform(s.noise),
                seed: None,
            });
            c.label = Some("learned".into());
            net.connect(c)
        } else {
            // PES on a decoded connection whose initial function is a random constant per
            // output dimension (the script's default `decoded=True`).
            let mut rng = Rng::derive(seed, 77);
            let c0: Vec<f64> = (0..d_out).map(|_| rng.next_f64()).collect();
            let mut c = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(post));
            c.function = Some(Function {
                size_out: d_out,
                f: Box::new(move |_x, y| y.copy_from_slice(&c0)),
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
                out[0] = if is_test_block(block_of(step.max(1))) {
                    2.0
                } else {
                    0.0
                };
            })),
        );
        let mut c = ConnectionSpec::new(Endpoint::Value(inhibit), Endpoint::Neurons(error));
        c.transform = full_matrix(n_error, 1, -1.0);
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

/// What one run gives.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// Σ|post − ground truth| per test block (blocks 0, 2, …).
    pub test_errors: Vec<f64>,
    /// Wall time of build + run, seconds.
    pub seconds: f64,
    /// Device pulses (mPES only; 0 otherwise).
    pub pulses: u64,
}

/// Rows of a probe as `Vec<Vec<f64>>` (one inner vector per sample).
fn rows(sim: &Simulator, name: &str) -> Vec<Vec<f64>> {
    sim.data(name)
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect()
}

/// Builds and runs one model for one seed and scores its test blocks.
pub fn run_one(task: &Task, model: Model, seed: u64, s: &Settings) -> RunResult {
    let start = Instant::now();
    let mut sim = Simulator::new(build(task, model, seed, s), DT).expect("build");
    sim.set_progress(false);
    sim.run_steps(s.steps()).expect("run");
    let seconds = start.elapsed().as_secs_f64();
    let steps = sim.probe("post_probe").expect("probe").steps.clone();
    let test_errors = test_block_errors(
        &steps,
        &rows(&sim, "post_probe"),
        &rows(&sim, "ground_truth_probe"),
        s.blocks,
    );
    RunResult {
        test_errors,
        seconds,
        pulses: sim.memristors().iter().map(|m| m.total_pulses()).sum(),
    }
}
