//! The neuron types of issue 14 written with `network!` as a user would, checked against the
//! Nengo 4.1 fixtures s30 (AdaptiveLIF), s32 (Izhikevich presets) and s34 (RegularSpiking):
//! spikes identical, state values within 1e-9 (they are in fact identical).

use netdsl::core::nef::dists::{Dist, VecDist};
use netdsl::prelude::*;
use serde_json::Value;

#[path = "../netdsl-core/tests/common/mod.rs"]
mod common;

use common::{f64s, fixture, matrix};

fn eval_points(fx: &str, name: &str) -> VecDist {
    let e = fixture(fx)["network"]["ensembles"]
        .as_array()
        .expect("ensembles")
        .iter()
        .find(|e| e["name"] == name)
        .expect("ensemble")
        .clone();
    VecDist::Fixed(matrix(&e["eval_points"]))
}

/// Our probe `ours` against the fixture's `theirs`: exactly, or within 1e-9.
fn check(sim: &Simulator, fx: &str, pairs: &[(&str, &str, f64)]) {
    let f = fixture(fx);
    for &(ours, theirs, tol) in pairs {
        let want: &Vec<Value> = f["results"]["probes"][theirs]
            .as_array()
            .expect("probe data");
        let got = sim.data(ours);
        assert_eq!(got.nrows(), want.len(), "{fx}: {ours} sample count");
        let mut worst: f64 = 0.0;
        for (k, row) in want.iter().enumerate() {
            for (a, b) in f64s(row).iter().zip(got.row(k)) {
                worst = worst.max((a - b).abs());
            }
        }
        println!("{fx}: {ours}: worst |Δ| = {worst:e}");
        assert!(
            worst <= tol,
            "{fx}: {ours} differs from Nengo's {theirs} by {worst:e}"
        );
    }
}

const S30: &str = "s30_adaptive_lif";

network! {
    /// Scenario 30: AdaptiveLIF with every state variable given.
    pub Adaptive30 {
        node stim: 0 -> 1 = |t| [(10.0 * t).sin()];
        ensemble ens: 4 neurons, 1 dims,
            neuron = AdaptiveLIF { tau_n: 0.05, inc_n: 0.2 },
            encoders = [[1.0], [-1.0], [1.0], [-1.0]], gain = [2.0, 2.0, 3.0, 3.0],
            bias = [1.5, 1.5, 1.0, 1.0], eval_points = eval_points(S30, "ens"),
            initial_voltage = Dist::Fixed(vec![0.0; 4]),
            initial_refractory_time = Dist::Fixed(vec![0.0, 0.001, 0.0, 0.0]),
            initial_adaptation = Dist::Fixed(vec![0.0, 0.1, 0.2, 0.3]);
        ensemble ens2: 3 neurons, 1 dims,
            neuron = AdaptiveLIF {
                tau_n: 1.0, inc_n: 0.01, tau_rc: 0.05, tau_ref: 0.001, min_voltage: -0.5,
                amplitude: 0.5,
            },
            encoders = [[1.0], [1.0], [-1.0]], max_rates = [100.0, 150.0, 200.0],
            intercepts = [-0.5, 0.0, 0.5], eval_points = eval_points(S30, "ens2"),
            initial_voltage = Dist::Fixed(vec![0.3; 3]);
        node out: 1 -> 1;
        stim -> ens, synapse = 0.005;
        stim -> ens2, synapse = None;
        ens -> out, synapse = 0.005;
        probe spikes: ens.neurons;
        probe voltage: ens.neurons.voltage;
        probe refractory: ens.neurons.refractory_time;
        probe adaptation: ens.neurons.adaptation;
        probe spikes2: ens2.neurons;
        probe adaptation2: ens2.neurons.adaptation;
        probe out_value: out;
        probe decoded2: ens2, synapse = 0.01;
    }
}

#[test]
fn s30_adaptive_lif_written_with_the_macro() {
    let mut sim = Adaptive30::new().build(0.001).expect("builds");
    sim.run_steps(500).expect("runs");
    check(
        &sim,
        S30,
        &[
            ("spikes", "output", 0.0),
            ("voltage", "voltage", 1e-9),
            ("refractory", "refractory_time", 1e-9),
            ("adaptation", "adaptation", 1e-9),
            ("spikes2", "output2", 0.0),
            ("adaptation2", "adaptation2", 1e-9),
            ("out_value", "out", 1e-9),
            ("decoded2", "decoded2", 1e-9),
        ],
    );
}

const S32: &str = "s32_izhikevich";

network! {
    /// Scenario 32: Izhikevich, one ensemble per preset; gains and biases solved numerically.
    pub Izhikevich32 {
        node stim: 0 -> 1 = |t| [(10.0 * t).sin()];
        ensemble izh_rs: 3 neurons, 1 dims, neuron = Izhikevich,
            encoders = [[1.0], [-1.0], [1.0]], max_rates = [20.0, 50.0, 80.0],
            intercepts = [-0.5, 0.0, 0.5], eval_points = eval_points(S32, "izh_rs"),
            initial_voltage = Dist::Fixed(vec![-65.0; 3]),
            initial_recovery = Dist::Fixed(vec![-13.0, -10.0, 0.0]);
        ensemble izh_ib: 3 neurons, 1 dims, neuron = Izhikevich::intrinsically_bursting(),
            encoders = [[1.0], [-1.0], [1.0]], max_rates = [20.0, 50.0, 80.0],
            intercepts = [-0.5, 0.0, 0.5], eval_points = eval_points(S32, "izh_ib"),
            initial_voltage = Dist::Fixed(vec![-65.0; 3]),
            initial_recovery = Dist::Fixed(vec![-13.0, -10.0, 0.0]);
        ensemble izh_ch: 3 neurons, 1 dims, neuron = Izhikevich::chattering(),
            encoders = [[1.0], [-1.0], [1.0]], max_rates = [20.0, 50.0, 80.0],
            intercepts = [-0.5, 0.0, 0.5], eval_points = eval_points(S32, "izh_ch"),
            initial_voltage = Dist::Fixed(vec![-65.0; 3]),
            initial_recovery = Dist::Fixed(vec![-13.0, -10.0, 0.0]);
        ensemble izh_rz: 3 neurons, 1 dims,
            neuron = Izhikevich { tau_recovery: 0.1, coupling: 0.26 },
            encoders = [[1.0], [-1.0], [1.0]], max_rates = [20.0, 50.0, 80.0],
            intercepts = [-0.5, 0.0, 0.5], eval_points = eval_points(S32, "izh_rz"),
            initial_voltage = Dist::Fixed(vec![-65.0; 3]),
            initial_recovery = Dist::Fixed(vec![-13.0, -10.0, 0.0]);
        stim -> izh_rs;
        stim -> izh_ib;
        stim -> izh_ch;
        stim -> izh_rz;
        probe rs: izh_rs.neurons;
        probe ib: izh_ib.neurons;
        probe ch: izh_ch.neurons;
        probe rz: izh_rz.neurons;
        probe ch_voltage: izh_ch.neurons.voltage;
        probe ch_recovery: izh_ch.neurons.recovery;
        probe rs_decoded: izh_rs, synapse = 0.01;
    }
}

#[test]
fn s32_izhikevich_presets_written_with_the_macro() {
    let mut sim = Izhikevich32::new().build(0.001).expect("builds");
    sim.run_steps(400).expect("runs");
    check(
        &sim,
        S32,
        &[
            ("rs", "spikes_izh_rs", 0.0),
            ("ib", "spikes_izh_ib", 0.0),
            ("ch", "spikes_izh_ch", 0.0),
            ("rz", "spikes_izh_rz", 0.0),
            ("ch_voltage", "voltage_izh_ch", 1e-9),
            ("ch_recovery", "recovery_izh_ch", 1e-9),
            ("rs_decoded", "decoded_rs", 1e-9),
        ],
    );
}

const S34: &str = "s34_regular_spiking";

network! {
    /// Scenario 34: RegularSpiking around AdaptiveLIFRate and Tanh.
    pub Regular34 {
        node stim: 0 -> 1 = |t| [(10.0 * t).sin()];
        ensemble alifrate: 4 neurons, 1 dims,
            neuron = RegularSpiking(AdaptiveLIFRate { tau_n: 0.1, inc_n: 0.1 }),
            encoders = [[1.0], [-1.0], [1.0], [-1.0]], gain = [2.0, 2.0, 3.0, 3.0],
            bias = [1.5, 1.5, 1.0, 1.0], eval_points = eval_points(S34, "alifrate"),
            initial_voltage = Dist::Fixed(vec![0.25; 4]),
            initial_adaptation = Dist::Fixed(vec![0.0, 0.2, 0.4, 0.0]);
        ensemble tanh: 4 neurons, 1 dims,
            neuron = RegularSpiking { base: Tanh, amplitude: 0.5 },
            encoders = [[1.0], [-1.0], [1.0], [-1.0]], gain = [2.0, 2.0, 3.0, 3.0],
            bias = [1.5, 1.5, 1.0, 1.0], eval_points = eval_points(S34, "tanh"),
            initial_voltage = Dist::Fixed(vec![0.25; 4]);
        stim -> alifrate;
        stim -> tanh;
        probe a_spikes: alifrate.neurons;
        probe a_rates: alifrate.neurons.rate_out;
        probe a_adaptation: alifrate.neurons.adaptation;
        probe t_spikes: tanh.neurons;
        probe t_voltage: tanh.neurons.voltage;
        probe t_decoded: tanh, synapse = 0.01;
    }
}

#[test]
fn s34_regular_spiking_written_with_the_macro() {
    let mut sim = Regular34::new().build(0.001).expect("builds");
    sim.run_steps(300).expect("runs");
    check(
        &sim,
        S34,
        &[
            ("a_spikes", "output_alifrate", 0.0),
            ("a_rates", "rate_out_alifrate", 1e-9),
            ("a_adaptation", "adaptation_alifrate", 1e-9),
            ("t_spikes", "output_tanh", 0.0),
            ("t_voltage", "voltage_tanh", 1e-9),
            ("t_decoded", "decoded_tanh", 1e-9),
        ],
    );
}
