//! The forum thread's memristive network, line for line, in two variants:
//!
//! 1. hand-written memristor stages: one `Memristors` value per polarity, whose `filter` stage
//!    weights the pre spikes and whose `pulse` stage lowers resistances when the error says so —
//!    both stages borrow the same value, in the order the plan fixes;
//! 2. the built-in memristive connection: `pre.neurons -> post.neurons` with Nb:SrTiO3 device
//!    pairs trained by mPES.
//!
//! Run: `cargo run --release --example forum_memristor [-- --out DIR --seconds T]`. Writes every
//! probe as `.npy` and CSV, `plot.svg`, `network.dot` (+ `network.svg` when Graphviz is there)
//! and `plan.txt` per variant, and prints a summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use netdsl::prelude::*;

/// A population of memristors between `n_pre` inputs and `n_post` outputs, as the thread's
/// author sketched it: the weight of a device is its normalised resistance, and a pulse lowers
/// the resistance of every device in a row whose output was positive while the error is positive.
pub struct Memristors {
    r: Vec<f64>,
    n_pre: usize,
    n_post: usize,
    pulses: u64,
}

impl Memristors {
    const R0: f64 = 1e2;
    const R1: f64 = 2.5e8;

    /// Devices with deterministic, slightly different starting resistances.
    pub fn new(n_pre: usize, n_post: usize, salt: usize) -> Self {
        let r = (0..n_post * n_pre)
            .map(|k| 1e8 + 1e6 * ((k * 7 + salt * 3) % 11) as f64)
            .collect();
        Memristors {
            r,
            n_pre,
            n_post,
            pulses: 0,
        }
    }

    /// Filter stage: `out = W · x` with `W = (R − R0) / (R1 − R0)`.
    pub fn filter(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        for (j, o) in out.iter_mut().enumerate() {
            let row = &self.r[j * self.n_pre..(j + 1) * self.n_pre];
            *o = row
                .iter()
                .zip(x)
                .map(|(r, x)| (r - Self::R0) / (Self::R1 - Self::R0) * x)
                .sum();
        }
    }

    /// Pulse stage: input is this step's filter output (`n_post`) then the error (1 value).
    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        let (o, err) = x.split_at(self.n_post);
        if err[0] > 0.0 {
            for (j, &v) in o.iter().enumerate() {
                if v > 0.0 {
                    self.pulses += self.n_pre as u64;
                    for r in &mut self.r[j * self.n_pre..(j + 1) * self.n_pre] {
                        *r *= 0.999;
                    }
                }
            }
        }
        out.copy_from_slice(o);
    }

    /// Mean resistance of all devices.
    pub fn mean_resistance(&self) -> f64 {
        self.r.iter().sum::<f64>() / self.r.len() as f64
    }
}

network! {
    /// The forum thread's memristive network (sizes raised to 100 neurons).
    pub MemristorNet(exc: Memristors, inh: Memristors) {
        const N = 100;

        node inp: 0 -> 1 = |t| [(6.0 * t / 5.0).trunc() / 3.0 % 2.0 - 1.0];
        ensemble pre: N neurons, 1 dims;
        ensemble post: N neurons, 1 dims;
        ensemble err: 100 neurons, 1 dims;
        node memristor_plus: pre.n -> post.n = exc.filter;
        node memristor_minus: pre.n -> post.n = inh.filter;
        node pulse_plus: post.n + err.d -> post.n = exc.pulse;
        node pulse_minus: post.n + err.d -> post.n = inh.pulse;

        inp -> pre;
        pre.neurons -> memristor_plus, synapse = None;
        pre.neurons -> memristor_minus, synapse = None;
        memristor_plus -> post.neurons, synapse = None;
        memristor_minus -> post.neurons, synapse = None, transform = -1.0;
        pre -> err, function = |x| x, transform = -1.0;
        post -> err;
        memristor_plus -> pulse_plus[..post.n], synapse = None;
        memristor_minus -> pulse_minus[..post.n], synapse = None;
        err -> pulse_plus[post.n..];
        err -> pulse_minus[post.n..];

        probe input: inp;
        probe pre_value: pre, synapse = 0.01;
        probe post_value: post, synapse = 0.01;
        probe err_value: err, synapse = 0.01;
        probe pre_spikes: pre.neurons;
    }

    /// The same task with the built-in memristive connection: Nb:SrTiO3 device pairs on
    /// `pre.neurons -> post.neurons`, trained by mPES from the decoded error.
    pub BuiltinMemristorNet {
        const N = 100;

        node inp: 0 -> 1 = |t| [(6.0 * t / 5.0).trunc() / 3.0 % 2.0 - 1.0];
        ensemble pre: N neurons, 1 dims;
        ensemble post: N neurons, 1 dims;
        ensemble err: 100 neurons, 1 dims;

        inp -> pre;
        conn learned: pre.neurons -> post.neurons, learning = mPES { gain: 1e4 };
        pre -> err, function = |x| x, transform = -1.0;
        post -> err;
        err -> learned.learning;

        probe input: inp;
        probe pre_value: pre, synapse = 0.01;
        probe post_value: post, synapse = 0.01;
        probe err_value: err, synapse = 0.01;
        probe pre_spikes: pre.neurons;
        probe weights: learned.weights, sample_every = 0.1;
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Mean absolute error between decoded post and decoded pre over the last `window` seconds.
fn tracking_error(sim: &Simulator, window: f64) -> f64 {
    let pre = sim.data("pre_value");
    let post = sim.data("post_value");
    let n = pre.nrows();
    let k = ((window / sim.dt()) as usize).min(n);
    (n - k..n)
        .map(|i| (pre[[i, 0]] - post[[i, 0]]).abs())
        .sum::<f64>()
        / k.max(1) as f64
}

fn write_outputs(
    sim: &Simulator,
    plan: &Plan,
    dir: &Path,
    title: &str,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut files = sim.save_probes(dir)?;
    let plot = dir.join("plot.svg");
    sim.plot(
        title,
        &[
            "input",
            "pre_value",
            "post_value",
            "err_value",
            "pre_spikes",
        ],
    )
    .save(&plot)?;
    files.push(plot);
    let dot = dir.join("network.dot");
    std::fs::write(&dot, sim.to_dot())?;
    files.push(dot.clone());
    let svg = dir.join("network.svg");
    if let Ok(out) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .arg(&dot)
        .arg("-o")
        .arg(&svg)
        .output()
    {
        if out.status.success() {
            files.push(svg);
        }
    }
    let plan_file = dir.join("plan.txt");
    std::fs::write(&plan_file, plan.to_string())?;
    files.push(plan_file);
    Ok(files)
}

/// Build a variant, run it for `seconds`, write its files to `dir` and print the lines every
/// variant shares (timings, tracking error, files); returns the simulator for the rest.
fn run_variant(
    build: impl FnOnce() -> Result<Simulator, netdsl::core::error::BuildError>,
    plan: &Plan,
    seconds: f64,
    dir: &Path,
    title: &str,
) -> Result<Simulator, Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let mut sim = build()?;
    let built = t0.elapsed();
    let t1 = Instant::now();
    sim.run(seconds)?;
    let ran = t1.elapsed();
    let files = write_outputs(&sim, plan, dir, title)?;
    println!("{title}");
    println!(
        "   plan: {} ops over {} signals",
        plan.ops.len(),
        plan.signals.len()
    );
    println!(
        "   build {:.1} ms, run {:.1} ms ({:.0} steps/s)",
        built.as_secs_f64() * 1e3,
        ran.as_secs_f64() * 1e3,
        sim.n_steps() as f64 / ran.as_secs_f64()
    );
    println!(
        "   |pre − post| over the last second: {:.3}",
        tracking_error(&sim, 1.0)
    );
    println!("   wrote {} files to {}", files.len(), dir.display());
    Ok(sim)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "netdsl-out/forum_memristor".into()));
    let seconds: f64 = arg("--seconds")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(4.0);

    println!("netdsl: the forum thread's memristive network, {seconds} s at dt = 1 ms\n");

    // Variant 1: hand-written stages sharing one Memristors value per polarity.
    let net = MemristorNet::new(Memristors::new(100, 100, 0), Memristors::new(100, 100, 1));
    let sim = run_variant(
        || net.build(0.001),
        &MemristorNet::PLAN,
        seconds,
        &out.join("stages"),
        "1. hand-written stages (exc.filter/exc.pulse share one value; plan order fixed)",
    )?;
    let exc = sim.state::<Memristors>("exc").expect("exc state");
    let inh = sim.state::<Memristors>("inh").expect("inh state");
    println!(
        "   pulses: exc {} / inh {}; mean resistance exc {:.4e} Ω, inh {:.4e} Ω",
        exc.pulses,
        inh.pulses,
        exc.mean_resistance(),
        inh.mean_resistance()
    );

    // Variant 2: the built-in memristive connection trained by mPES.
    println!();
    let sim = run_variant(
        || BuiltinMemristorNet::new().build(0.001),
        &BuiltinMemristorNet::PLAN,
        seconds,
        &out.join("builtin"),
        "2. built-in memristive connection (filter and pulse ops in the plan)",
    )?;
    let devices = &sim.memristors()[0];
    let w = devices.weights();
    let w_mean = w.iter().map(|x| x.abs()).sum::<f64>() / w.len() as f64;
    println!(
        "   {} device pairs, {} pulses, mean |w| = {:.3e}",
        w.len(),
        devices.total_pulses(),
        w_mean
    );
    println!(
        "\nplan of the built-in variant:\n{}",
        BuiltinMemristorNet::PLAN
    );
    Ok(())
}
