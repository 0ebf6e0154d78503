//! The forum task with the built-in memristive connection, and the numbers that say whether a
//! variant learned. Shared, as a module, by `examples/forum_memristor.rs` and
//! `tests/forum_example.rs`, so the test checks exactly the network the example runs.

use netdsl::prelude::*;

/// Simulated seconds of the example (and of the test): a bit less than one period (5 s) of the
/// staircase, from −1 up to 1/3.
pub const SECONDS: f64 = 4.0;

/// Time step of the example.
pub const DT: f64 = 0.001;

/// mPES gain γ of both variants: 1e3 by the papers' rule. One mPES step moves each post input
/// by about γ × (active pre neurons) × (one pulse's Δg) × (their rates), the same whatever the
/// error's size (the rule uses its sign only), so γ·N_pre sets the step. The Frontiers paper used
/// γ = 1e4 with N_pre = 10 (γ·N_pre = 1e5); keeping γ·N_pre at 1e5 gives γ = 1e3 for 100 pre
/// neurons, the follow-up paper's value for its 200 × 200 networks too. With the Frontiers γ =
/// 1e4 at this size each step is ten times too big and `post` oscillates around the target
/// (about ±0.2 at 17 Hz) for the whole run.
pub const GAIN: f64 = 1e3;

network! {
    /// The same task with the built-in memristive connection: Nb:SrTiO3 device pairs on
    /// `pre.neurons -> post.neurons`, trained by mPES from the decoded error, γ = [`GAIN`].
    pub BuiltinMemristorNet {
        const N = 100;

        node inp: 0 -> 1 = |t| [(6.0 * t / 5.0).trunc() / 3.0 % 2.0 - 1.0];
        ensemble pre: N neurons, 1 dims;
        ensemble post: N neurons, 1 dims;
        ensemble err: 100 neurons, 1 dims;

        inp -> pre;
        conn learned: pre.neurons -> post.neurons, learning = mPES { gain: GAIN };
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

/// How well decoded `post` follows decoded `pre` over one window of the run (both probed with a
/// 10 ms lowpass).
#[derive(Clone, Copy, Debug)]
pub struct Tracking {
    /// Mean of |pre − post|.
    pub mae: f64,
    /// Standard deviation of post − pre: what is left once a constant offset is removed,
    /// spiking noise plus any oscillation.
    pub std: f64,
    /// Frequency (Hz) of the largest 5–50 Hz component of post − pre.
    pub peak_hz: f64,
    /// Amplitude of that component (a sine of this amplitude would give this peak).
    pub peak_amp: f64,
}

/// [`Tracking`] of `post_value` against `pre_value` over `[from, to)` seconds.
pub fn tracking(sim: &Simulator, from: f64, to: f64) -> Tracking {
    let pre = sim.data("pre_value");
    let post = sim.data("post_value");
    let dt = sim.dt();
    let a = ((from / dt).round() as usize).min(pre.nrows());
    let b = ((to / dt).round() as usize).clamp(a, pre.nrows());
    let d: Vec<f64> = (a..b).map(|i| post[[i, 0]] - pre[[i, 0]]).collect();
    let n = d.len().max(1) as f64;
    let mae = d.iter().map(|x| x.abs()).sum::<f64>() / n;
    let mean = d.iter().sum::<f64>() / n;
    let std = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    // A plain DFT at the window's own frequency resolution (1 Hz for one second).
    let span = n * dt;
    let (mut peak_hz, mut peak_amp) = (0.0, 0.0);
    let first = (5.0 * span).ceil() as usize;
    let last = (50.0 * span).floor() as usize;
    for k in first.max(1)..=last {
        let w = 2.0 * std::f64::consts::PI * k as f64 / n;
        let (mut c, mut s) = (0.0, 0.0);
        for (i, x) in d.iter().enumerate() {
            let (si, co) = (w * i as f64).sin_cos();
            c += (x - mean) * co;
            s += (x - mean) * si;
        }
        let amp = 2.0 * c.hypot(s) / n;
        if amp > peak_amp {
            peak_amp = amp;
            peak_hz = k as f64 / span;
        }
    }
    Tracking {
        mae,
        std,
        peak_hz,
        peak_amp,
    }
}

/// The first and the last second of a run of `seconds`.
pub fn first_and_last_second(sim: &Simulator, seconds: f64) -> (Tracking, Tracking) {
    (
        tracking(sim, 0.0, 1.0_f64.min(seconds)),
        tracking(sim, (seconds - 1.0).max(0.0), seconds),
    )
}

/// Build the built-in variant with network seed `seed` (the example's default is 0); `gain`
/// replaces [`GAIN`] for comparisons (`--gain`).
pub fn build_builtin(
    seed: u64,
    gain: Option<f64>,
) -> Result<Simulator, netdsl::core::error::BuildError> {
    let Some(g) = gain else {
        return BuiltinMemristorNet::new().build_seeded(DT, seed);
    };
    let mut net = BuiltinMemristorNet::new().network();
    net.seed = seed;
    for c in &mut net.conns {
        if let Some(LearningRule::Mpes { gain, .. }) = &mut c.learning {
            *gain = g;
        }
    }
    Simulator::new(net, DT)
}
