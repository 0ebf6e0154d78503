//! The forum thread's memristive network, line for line, in two variants that both learn to
//! make decoded `post` follow decoded `pre` (a staircase) from all-zero weights:
//!
//! 1. hand-written memristor stages: one `Memristors` value per polarity (R⁺ and R⁻ devices),
//!    whose `filter` stage is the synapse (`gain·g·a`) and whose `pulse` stage is the papers'
//!    mPES (one SET pulse per device and step, by the sign of the local error, along the
//!    Nb:SrTiO3 power law) — both stages borrow the same value, in the order the plan fixes;
//! 2. the built-in memristive connection: `pre.neurons -> post.neurons` with Nb:SrTiO3 device
//!    pairs trained by mPES (`examples/forum/builtin.rs`, shared with `tests/forum_example.rs`).
//!
//! Both use γ = 1e3 ([`GAIN`]: γ·N_pre kept at the Frontiers paper's 1e4 × 10). Each prints the
//! mean |pre − post| over the first and the last second, and over the last second the std of
//! post − pre and its largest 5–50 Hz component (a sustained oscillation shows there).
//!
//! Run: `cargo run --release --example forum_memristor [-- --out DIR --seconds T --seed S
//! --gain G]` (`--gain` replaces γ in both variants, for comparisons). Writes every probe as
//! `.npy` and CSV, `plot.svg`, `network.dot` (+ `network.svg` when Graphviz is there) and
//! `plan.txt` per variant, and prints a summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use netdsl::core::io::svg::{Axes, LineSeries};
use netdsl::prelude::*;

#[path = "forum/builtin.rs"]
mod builtin;

pub use builtin::{build_builtin, first_and_last_second, BuiltinMemristorNet, DT, GAIN, SECONDS};

/// Which device of each synapse's differential pair a [`Memristors`] value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    /// R⁺: its conductance adds to the weight (`memristor_plus`).
    Plus,
    /// R⁻: its conductance is subtracted (`memristor_minus`, transform −1).
    Minus,
}

/// One device of every synapse between `n_pre` inputs and `n_post` outputs, as the thread's
/// author went on to build it (Tiotto et al. 2021): Nb:SrTiO3 devices whose resistance falls
/// with each SET pulse along the power law `R(n) = R0 + R1·n^c`, read as the normalised
/// conductance `g = (1/R − 1/R1)/(1/R0 − 1/R1)` and scaled by `gain`. Two values, one per
/// [`Polarity`], make the differential pair `w = gain·(g⁺ − g⁻)`.
///
/// The `filter` stage is the synapse (Lowpass 5 ms on the pre spikes, then `gain·g·a`); the
/// `pulse` stage is mPES: with the local error `e_j = scaled_encoder_j · E`, a synapse whose pre
/// activity rounds to non-zero is pulsed once on its R⁺ device where `−e_j·a_i > 0` and once on
/// its R⁻ device where `−e_j·a_i < 0` — the sign only, no learning rate.
pub struct Memristors {
    polarity: Polarity,
    /// Resistances, `n_post × n_pre`, row-major.
    r: Vec<f64>,
    /// Normalised conductances of `r`.
    g: Vec<f64>,
    n_pre: usize,
    n_post: usize,
    gain: f64,
    /// Lowpass-filtered pre spikes, shared by the two stages.
    acts: Vec<f64>,
    /// `exp(−dt/τ)` of the 5 ms lowpass, known from the first step's `t` (= dt).
    decay: Option<f64>,
    /// Post's scaled encoders (1-D), from the build: the local error is `e_j = enc_j · E`.
    post_encoders: Option<Vec<f64>>,
    pulses: u64,
}

impl Memristors {
    /// Low-resistance bound R0 (Ω).
    const R0: f64 = 200.0;
    /// High-resistance bound R1 (Ω).
    const R1: f64 = 2.3e8;
    /// Power-law exponent at 0.1 V.
    const C: f64 = -0.146;
    /// Initial resistance of every device (Ω): all weights start at exactly 0.
    const R_INIT: f64 = 1e8;
    /// Time constant of the pre-synaptic lowpass (s).
    const TAU: f64 = 0.005;
    /// The error gate: no pulses in a step where no `|e_j|` exceeds this.
    const GATE: f64 = 1e-5;

    fn new(polarity: Polarity, n_pre: usize, n_post: usize, gain: f64) -> Self {
        Memristors {
            polarity,
            r: vec![Self::R_INIT; n_post * n_pre],
            g: vec![Self::conductance(Self::R_INIT); n_post * n_pre],
            n_pre,
            n_post,
            gain,
            acts: vec![0.0; n_pre],
            decay: None,
            post_encoders: None,
            pulses: 0,
        }
    }

    /// The R⁺ devices (`exc` in the thread), conductance to weight `gain`.
    pub fn plus(n_pre: usize, n_post: usize, gain: f64) -> Self {
        Self::new(Polarity::Plus, n_pre, n_post, gain)
    }

    /// The R⁻ devices (`inh` in the thread), conductance to weight `gain`.
    pub fn minus(n_pre: usize, n_post: usize, gain: f64) -> Self {
        Self::new(Polarity::Minus, n_pre, n_post, gain)
    }

    /// Post's scaled encoders (`encoders · gain / radius`, one per post neuron for a 1-D post),
    /// which only the build knows: the pulse stage needs them for the local error.
    pub fn set_post_encoders(&mut self, scaled_encoders: Vec<f64>) {
        assert_eq!(
            scaled_encoders.len(),
            self.n_post,
            "one encoder per post neuron"
        );
        self.post_encoders = Some(scaled_encoders);
    }

    /// Normalised conductance of a device at resistance `r`.
    pub fn conductance(r: f64) -> f64 {
        (1.0 / r - 1.0 / Self::R1) / (1.0 / Self::R0 - 1.0 / Self::R1)
    }

    /// One SET pulse: clip into `[R0, R1]`, recover the pulse count n from R, step to n + 1.
    pub fn pulse_device(r: f64) -> f64 {
        let r = r.clamp(Self::R0, Self::R1);
        let n = ((r - Self::R0) / Self::R1).powf(1.0 / Self::C);
        Self::R0 + Self::R1 * (n + 1.0).powf(Self::C)
    }

    /// Filter stage, `x` = this step's pre spikes (0 or 1/dt): `a ← Lowpass₅ₘₛ(x)` (kept for the
    /// pulse stage), `out_j = gain · Σ_i g_ji · a_i`.
    pub fn filter(&mut self, t: f64, x: &[f64], out: &mut [f64]) {
        let decay = *self.decay.get_or_insert((-t / Self::TAU).exp());
        for (a, &s) in self.acts.iter_mut().zip(x) {
            *a = decay * *a + (1.0 - decay) * s;
        }
        for (j, o) in out.iter_mut().enumerate() {
            let row = &self.g[j * self.n_pre..(j + 1) * self.n_pre];
            *o = self.gain * row.iter().zip(&self.acts).map(|(g, a)| g * a).sum::<f64>();
        }
    }

    /// Pulse stage: input is this step's filter output (`n_post`, only there to order the
    /// stages) then the decoded error `E` = post − pre (1 value). mPES: gate, rint mask on the
    /// activities, one pulse on this polarity's device where the sign of `−e_j·a_i` asks for it.
    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        let (o, err) = x.split_at(self.n_post);
        out.copy_from_slice(o);
        let enc = self
            .post_encoders
            .as_ref()
            .expect("call `set_post_encoders` on both Memristors before running");
        let local: Vec<f64> = enc.iter().map(|e| e * err[0]).collect();
        if !local.iter().any(|e| e.abs() > Self::GATE) {
            return;
        }
        let active: Vec<usize> = (0..self.n_pre)
            .filter(|&i| self.acts[i].round_ties_even() != 0.0)
            .collect();
        for (j, e) in local.iter().enumerate() {
            for &i in &active {
                let delta = -e * self.acts[i];
                let wanted = match self.polarity {
                    Polarity::Plus => delta > 0.0,
                    Polarity::Minus => delta < 0.0,
                };
                if wanted {
                    let k = j * self.n_pre + i;
                    self.r[k] = Self::pulse_device(self.r[k]);
                    self.g[k] = Self::conductance(self.r[k]);
                    self.pulses += 1;
                }
            }
        }
    }

    /// Mean resistance of all devices.
    pub fn mean_resistance(&self) -> f64 {
        self.r.iter().sum::<f64>() / self.r.len() as f64
    }

    /// Device pulses so far.
    pub fn pulses(&self) -> u64 {
        self.pulses
    }
}

/// Checkpoints (`Simulator::save_checkpoint`, `Simulator::resume`) save what the stages
/// change: resistances, conductances, filtered activities, the lowpass decay, post's encoders
/// and the pulse count (polarity, sizes and gain are the constructor's). `network!` registers
/// the type for checkpoints because it implements this trait (builder-API networks call
/// `netdsl::core::io::checkpoint::register_state::<Memristors>()` or `add_checkpointed_state`).
impl netdsl::core::io::checkpoint::Checkpoint for Memristors {
    fn save(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.r.save(w)?;
        self.g.save(w)?;
        self.acts.save(w)?;
        self.decay.is_some().save(w)?;
        self.decay.unwrap_or(0.0).save(w)?;
        self.post_encoders.clone().unwrap_or_default().save(w)?;
        self.pulses.save(w)
    }

    fn load(&mut self, r: &mut dyn std::io::Read) -> std::io::Result<()> {
        self.r.load(r)?;
        self.g.load(r)?;
        self.acts.load(r)?;
        let (mut has_decay, mut decay) = (false, 0.0);
        has_decay.load(r)?;
        decay.load(r)?;
        self.decay = has_decay.then_some(decay);
        let mut enc: Vec<f64> = Vec::new();
        enc.load(r)?;
        self.post_encoders = (!enc.is_empty()).then_some(enc);
        self.pulses.load(r)
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
}

/// Build the hand-written variant, network seed `seed`, both polarities with gain `gain`, and
/// hand both `Memristors` post's scaled encoders, which the build chose: the pulse stage needs
/// them for the local error.
pub fn build_stages(seed: u64, gain: f64) -> Result<Simulator, netdsl::core::error::BuildError> {
    let net = MemristorNet::new(
        Memristors::plus(100, 100, gain),
        Memristors::minus(100, 100, gain),
    );
    let mut sim = net.build_seeded(DT, seed)?;
    let enc = sim
        .ensemble("post")
        .expect("post")
        .scaled_encoders
        .column(0)
        .to_vec();
    for which in ["exc", "inh"] {
        let m = sim
            .state_mut::<Memristors>(which)
            .expect("a Memristors state");
        m.set_post_encoders(enc.clone());
    }
    Ok(sim)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
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
    let t = sim.probe_times("pre_value").expect("pre_value").to_vec();
    let pre = sim.data("pre_value").column(0).to_vec();
    let post = sim.data("post_value").column(0).to_vec();
    let gap: Vec<f64> = pre.iter().zip(&post).map(|(a, b)| (a - b).abs()).collect();
    let figure = sim
        .plot(title, &["input"])
        .subplot(
            Axes::lines()
                .title("decoded pre (the target) and post")
                .line(LineSeries::new("pre_value", t.clone(), pre))
                .line(LineSeries::new("post_value", t.clone(), post)),
        )
        .subplot(
            Axes::lines()
                .title("|pre − post|")
                .line(LineSeries::new("|pre − post|", t, gap)),
        );
    let mut figure = figure;
    figure
        .axes
        .extend(sim.plot("", &["err_value", "pre_spikes"]).axes);
    figure.save(&plot)?;
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

/// Build a variant (`build` also hands it anything it needs from the build), run it for
/// `seconds`, write its files to `dir` and print the lines every variant shares (timings, how
/// well post follows pre, files); returns the simulator for the rest.
fn run_variant(
    build: impl FnOnce() -> Result<Simulator, Box<dyn std::error::Error>>,
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
    let (first, last) = first_and_last_second(&sim, seconds);
    println!(
        "   |pre − post|, mean over the first second {:.3}, over the last second {:.3}",
        first.mae, last.mae
    );
    println!(
        "   last second: std(post − pre) {:.3}, largest 5–50 Hz component {:.3} at {:.0} Hz",
        last.std, last.peak_amp, last.peak_hz
    );
    println!("   wrote {} files to {}", files.len(), dir.display());
    Ok(sim)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "netdsl-out/forum_memristor".into()));
    let seconds: f64 = arg("--seconds")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(SECONDS);
    let seed: u64 = arg("--seed").map(|s| s.parse()).transpose()?.unwrap_or(0);
    let gain: Option<f64> = arg("--gain").map(|s| s.parse()).transpose()?;
    let g = gain.unwrap_or(GAIN);

    println!(
        "netdsl: the forum thread's memristive network, {seconds} s at dt = 1 ms, seed {seed}, \
         mPES gain γ = {g:e}{}\n",
        if gain.is_some() {
            " (set by --gain)"
        } else {
            " (γ·N_pre = 1e5, the Frontiers paper's 1e4 × 10 pre neurons)"
        }
    );

    // Variant 1: hand-written stages sharing one Memristors value per polarity.
    let sim = run_variant(
        || Ok(build_stages(seed, g)?),
        &MemristorNet::PLAN,
        seconds,
        &out.join("stages"),
        "1. hand-written stages (exc.filter/exc.pulse share one value; plan order fixed)",
    )?;
    let exc = sim.state::<Memristors>("exc").expect("exc state");
    let inh = sim.state::<Memristors>("inh").expect("inh state");
    println!(
        "   pulses: exc {} / inh {}; mean resistance exc {:.4e} Ω, inh {:.4e} Ω",
        exc.pulses(),
        inh.pulses(),
        exc.mean_resistance(),
        inh.mean_resistance()
    );

    // Variant 2: the built-in memristive connection trained by mPES.
    println!();
    let sim = run_variant(
        || Ok(build_builtin(seed, gain)?),
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
