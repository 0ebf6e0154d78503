//! What one LIF step costs per neuron, on its own (no other op), and how much of it is the
//! neurons that spike or leave their refractory period (the ones that need `log1p`/`expm1`).
//!
//! ```text
//! cargo run --release --example lif_cost          # 2000 neurons
//! cargo run --release --example lif_cost -- 100   # another population size
//! ```
//!
//! A population (2000 neurons unless given) with Nengo's default parameters (max rates U(200, 400)
//! Hz, intercepts U(−1, 1), encoders ±1) is driven by a 1 Hz sine for 1000 steps per timing; the
//! best of ten timings is reported, less the same loop without the neuron step (setting the inputs,
//! counting spikes). Two extreme inputs give the cost of the branch-free pass alone (no neuron
//! fires) and with every neuron firing fast.

use netdsl::core::models::neurons::{NeuronStepper, NeuronType};
use netdsl::core::nef::rng::Rng;
use std::time::Instant;

fn main() {
    // Population size: the first argument, 2000 by default.
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a.parse().expect("the population size, a whole number"),
        None => 2000,
    };
    const STEPS: usize = 1000;
    let dt = 0.001;
    let lif = NeuronType::lif();
    let stepper = NeuronStepper::new(&lif, dt);
    let mut rng = Rng::new(1);
    let max_rates: Vec<f64> = (0..n).map(|_| rng.uniform(200.0, 400.0)).collect();
    let intercepts: Vec<f64> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let encoders: Vec<f64> = (0..n)
        .map(|_| {
            if rng.uniform(0.0, 1.0) < 0.5 {
                -1.0
            } else {
                1.0
            }
        })
        .collect();
    let (gain, bias) = lif
        .gain_bias(&max_rates, &intercepts)
        .expect("gain and bias");

    type Input<'a> = Box<dyn Fn(usize, &mut [f64]) + 'a>;
    let cases: [(&str, Input); 3] = [
        (
            "sine input (Nengo defaults)",
            Box::new(|k, j| {
                let x = (2.0 * std::f64::consts::PI * k as f64 * dt).sin();
                for i in 0..n {
                    j[i] = gain[i] * encoders[i] * x + bias[i];
                }
            }),
        ),
        ("no neuron fires (J = 0.5)", Box::new(|_, j| j.fill(0.5))),
        ("every neuron fires (J = 40)", Box::new(|_, j| j.fill(40.0))),
    ];
    println!("{n} LIF neurons, best of 10 runs of {STEPS} steps:");
    for (name, input) in &cases {
        let (mut j, mut out) = (vec![0.0; n], vec![0.0; n]);
        let (mut v, mut r) = (vec![0.0; n], vec![0.0; n]);
        // The same loop with and without the neuron step: the difference is the step's cost.
        let mut time = |step: bool| {
            let (mut best, mut spikes) = (f64::MAX, 0);
            for run in 0..11 {
                let mut s = 0;
                let t = Instant::now();
                for k in 0..STEPS {
                    input(k, &mut j);
                    if step {
                        stepper.step(&j, &mut out, &mut v, &mut r);
                    }
                    s += out.iter().filter(|&&o| o > 0.0).count();
                }
                // The first run warms up (and brings the neurons to their running state).
                if run > 0 {
                    best = best.min(t.elapsed().as_secs_f64());
                    spikes = s;
                }
            }
            (best, spikes)
        };
        let (with, spikes) = time(true);
        let (without, _) = time(false);
        println!(
            "  {name:<28} {:>5.2} ns per neuron per step, {:>6.1} spikes per step",
            (with - without) / (STEPS * n) as f64 * 1e9,
            spikes as f64 / STEPS as f64
        );
    }
}
