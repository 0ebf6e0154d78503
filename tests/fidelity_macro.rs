//! Fidelity of networks written with `network!`: the communication channel (s12), PES (s13) and
//! the forum network (s22) of the Nengo 4.1 fixtures, written as a user would write them, with
//! the fixture's explicit parameters (gains, biases, encoders, eval points, initial voltages)
//! passed as parameter expressions. Spikes must be identical, values within 1e-9.

use netdsl::core::nef::dists::{Dist, VecDist};
use netdsl::prelude::*;
use serde_json::Value;

#[path = "../netdsl-core/tests/common/mod.rs"]
mod common;

use common::{f64s, fixture, matrix, Memristors};

fn ensemble(fx: &str, name: &str) -> Value {
    fixture(fx)["network"]["ensembles"]
        .as_array()
        .expect("ensembles")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{fx}: no ensemble {name}"))
        .clone()
}

fn gain(fx: &str, name: &str) -> Vec<f64> {
    f64s(&ensemble(fx, name)["gain"])
}

fn bias(fx: &str, name: &str) -> Vec<f64> {
    f64s(&ensemble(fx, name)["bias"])
}

fn encoders(fx: &str, name: &str) -> VecDist {
    VecDist::Fixed(matrix(&ensemble(fx, name)["encoders"]))
}

fn eval_points(fx: &str, name: &str) -> VecDist {
    VecDist::Fixed(matrix(&ensemble(fx, name)["eval_points"]))
}

fn voltage(fx: &str, name: &str) -> Dist {
    Dist::Fixed(f64s(&ensemble(fx, name)["initial_voltage"]))
}

/// Compare our probe `ours` with the fixture's `theirs`; spikes exactly, values to 1e-9.
fn check(sim: &Simulator, fx: &str, pairs: &[(&str, &str, bool)]) {
    let f = fixture(fx);
    for &(ours, theirs, spikes) in pairs {
        let want = f["results"]["probes"][theirs]
            .as_array()
            .expect("probe data");
        let got = sim.data(ours);
        assert_eq!(got.nrows(), want.len(), "{fx}: {ours} sample count");
        let mut worst: f64 = 0.0;
        for (k, row) in want.iter().enumerate() {
            let row = f64s(row);
            assert_eq!(row.len(), got.ncols(), "{fx}: {ours} sample size");
            for (a, b) in row.iter().zip(got.row(k)) {
                worst = worst.max((a - b).abs());
            }
        }
        let tol = if spikes { 0.0 } else { 1e-9 };
        println!("{fx}: {ours}: worst |Δ| = {worst:e}");
        assert!(
            worst <= tol,
            "{fx}: probe {ours} differs from Nengo's {theirs} by {worst:e}"
        );
    }
}

const S12: &str = "s12_comm_channel";

network! {
    /// Scenario 12: stim → A (4 LIF) → B (3 LIF) computing 2x.
    pub CommChannel12 {
        node stim: 0 -> 1 = |t| [(10.0 * t).sin()];
        ensemble a: 4 neurons, 1 dims,
            encoders = encoders(S12, "A"), gain = gain(S12, "A"), bias = bias(S12, "A"),
            eval_points = eval_points(S12, "A"), initial_voltage = voltage(S12, "A");
        ensemble b: 3 neurons, 1 dims,
            encoders = encoders(S12, "B"), gain = gain(S12, "B"), bias = bias(S12, "B"),
            eval_points = eval_points(S12, "B"), initial_voltage = voltage(S12, "B");
        stim -> a, synapse = None;
        a -> b, function = |x| [2.0 * x[0]];
        probe b_decoded: b, synapse = 0.01;
        probe b_spikes: b.neurons;
        probe a_spikes: a.neurons;
        probe stim_out: stim;
    }
}

#[test]
fn s12_communication_channel_written_with_the_macro() {
    let mut sim = CommChannel12::new().build(0.001).expect("builds");
    sim.run_steps(200).expect("runs");
    check(
        &sim,
        S12,
        &[
            ("b_decoded", "B_decoded", false),
            ("b_spikes", "B_spikes", true),
            ("a_spikes", "A_spikes", true),
            ("stim_out", "stim", false),
        ],
    );
}

const S13: &str = "s13_pes";

network! {
    /// Scenario 13: PES learning a constant on a decoded connection into a node.
    pub Pes13 {
        node stim: 0 -> 1 = 0.5;
        ensemble pre: 4 neurons, 1 dims,
            encoders = encoders(S13, "pre"), gain = gain(S13, "pre"), bias = bias(S13, "pre"),
            eval_points = eval_points(S13, "pre"), initial_voltage = voltage(S13, "pre");
        node post: 1;
        node err: 1;
        stim -> pre, synapse = None;
        conn learn: pre -> post, function = |_x| [0.0], learning = PES { learning_rate: 1e-3 };
        post -> err, synapse = None;
        stim -> err, transform = -1.0, synapse = None;
        err -> learn.learning;
        probe post_out: post;
        probe err_out: err;
        probe weights: learn.weights;
    }
}

#[test]
fn s13_pes_written_with_the_macro() {
    let mut sim = Pes13::new().build(0.001).expect("builds");
    sim.run_steps(300).expect("runs");
    check(
        &sim,
        S13,
        &[("post_out", "post", false), ("err_out", "err", false)],
    );
    // Weights: samples × 1 × 4.
    let f = fixture(S13);
    let want: Vec<f64> = f["results"]["probes"]["weights"]
        .as_array()
        .expect("weights")
        .iter()
        .flat_map(|s| {
            s.as_array()
                .expect("rows")
                .iter()
                .flat_map(f64s)
                .collect::<Vec<_>>()
        })
        .collect();
    let got: Vec<f64> = sim.data("weights").iter().copied().collect();
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(&want)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst <= 1e-12, "weights differ by {worst:e}");
}

const S22: &str = "s22_forum_network";

/// The fixture's deterministic memristor mock (shared with the runtime's fidelity tests).
fn memristors(which: &str) -> Memristors {
    let m = &fixture(S22)["memristors"][which];
    let u = |k: &str| m[k].as_u64().expect(k) as usize;
    Memristors::new(20, 20, u("a"), u("b"), u("m"))
}

network! {
    /// The forum thread's network, line for line, at the fixture's size and parameters.
    pub Forum22(exc: Memristors, inh: Memristors) {
        const N = 20;

        node inp: 0 -> 1 = |t| [((6.0 * t / 5.0).trunc() / 3.0).rem_euclid(2.0) - 1.0];
        ensemble pre: N neurons, 1 dims,
            encoders = encoders(S22, "pre"), gain = gain(S22, "pre"), bias = bias(S22, "pre"),
            eval_points = eval_points(S22, "pre"), initial_voltage = voltage(S22, "pre");
        ensemble post: N neurons, 1 dims,
            encoders = encoders(S22, "post"), gain = gain(S22, "post"), bias = bias(S22, "post"),
            eval_points = eval_points(S22, "post"), initial_voltage = voltage(S22, "post");
        ensemble err: 30 neurons, 1 dims,
            encoders = encoders(S22, "err"), gain = gain(S22, "err"), bias = bias(S22, "err"),
            eval_points = eval_points(S22, "err"), initial_voltage = voltage(S22, "err");
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

        probe post_decoded: post, synapse = 0.01;
        probe pre_spikes: pre.neurons;
        probe err_decoded: err;
        probe plus_out: memristor_plus, sample_every = 0.02;
        probe minus_out: memristor_minus, sample_every = 0.02;
    }
}

#[test]
fn s22_forum_network_written_with_the_macro() {
    let net = Forum22::new(memristors("exc"), memristors("inh"));
    let mut sim = net.build(0.001).expect("builds");
    sim.run_steps(1000).expect("runs");
    check(
        &sim,
        S22,
        &[
            ("post_decoded", "post_decoded", false),
            ("pre_spikes", "pre_spikes", true),
            ("err_decoded", "err_decoded", false),
            ("plus_out", "memristor_plus", false),
            ("minus_out", "memristor_minus", false),
        ],
    );
    // The shared state ends where Nengo's did.
    let f = fixture(S22);
    for which in ["exc", "inh"] {
        let want: Vec<f64> = f["memristors"][which]["R_final"]
            .as_array()
            .expect("R_final")
            .iter()
            .flat_map(f64s)
            .collect();
        let got = &sim.state::<Memristors>(which).expect("state").r;
        let worst = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |m, (a, b)| m.max(((a - b) / b).abs()));
        assert!(
            worst <= 1e-12,
            "{which}: resistances differ by {worst:e} relative"
        );
    }
}

const S25: &str = "s25_solver_network";

/// The `NoSolver` decoders of s25: `0.001 * (k - 6)` for neuron k.
fn none_values() -> netdsl::ndarray::Array2<f64> {
    netdsl::ndarray::Array2::from_shape_fn((12, 1), |(k, _)| 0.001 * (k as f64 - 6.0))
}

network! {
    /// Scenario 25: every solver family in the language, on connections and decoded probes.
    pub Solvers25 {
        node stim: 0 -> 1 = |t| [(8.0 * t).sin()];
        ensemble a: 12 neurons, 1 dims,
            encoders = encoders(S25, "A"), gain = gain(S25, "A"), bias = bias(S25, "A"),
            eval_points = eval_points(S25, "A"), initial_voltage = voltage(S25, "A");
        ensemble b: 8 neurons, 1 dims,
            encoders = encoders(S25, "B"), gain = gain(S25, "B"), bias = bias(S25, "B"),
            eval_points = eval_points(S25, "B"), initial_voltage = voltage(S25, "B");
        ensemble c: 8 neurons, 1 dims,
            encoders = encoders(S25, "C"), gain = gain(S25, "C"), bias = bias(S25, "C"),
            eval_points = eval_points(S25, "C"), initial_voltage = voltage(S25, "C");
        node out_lstsq: 1;
        node out_l2nz: 1;
        node out_nnls: 1;
        node out_l1: 1;
        node out_drop: 1;
        node out_nnlsl2: 1;
        node out_none: 1;
        stim -> a, synapse = None;
        a -> out_lstsq, solver = Lstsq;
        a -> out_l2nz, function = |x| [x[0] * x[0]], solver = LstsqL2nz { reg: 0.1 };
        a -> out_nnls, solver = Nnls;
        a -> out_l1, solver = LstsqL1 { l1: 1e-4, l2: 1e-6, max_iter: 1000 };
        a -> out_drop, solver = LstsqDrop {
            drop: 0.25, solver1: LstsqL2 { reg: 0.001 }, solver2: LstsqL2
        };
        a -> out_nnlsl2, function = |x| [x[0] * x[0]], solver = NnlsL2;
        a -> out_none, solver = NoSolver { values: none_values() };
        a -> b, transform = 0.5, solver = Nnls { weights: true };
        a -> c, function = |x| [-x[0]], solver = LstsqL2nz { weights: true };
        probe p_lstsq: out_lstsq;
        probe p_l2nz: out_l2nz;
        probe p_nnls: out_nnls;
        probe p_l1: out_l1;
        probe p_drop: out_drop;
        probe p_nnlsl2: out_nnlsl2;
        probe p_none: out_none;
        probe p_b_spikes: b.neurons;
        probe p_c_spikes: c.neurons;
        probe p_a_l2: a, synapse = 0.01, solver = LstsqL2 { reg: 0.05 };
        probe p_a_nnls: a, solver = Nnls;
        probe p_a_lstsq: a, solver = Lstsq { rcond: 0.01 };
    }
}

#[test]
fn s25_solvers_written_with_the_macro() {
    let mut sim = Solvers25::new().build(0.001).expect("builds");
    sim.run_steps(150).expect("runs");
    let probes = [
        "p_lstsq", "p_l2nz", "p_nnls", "p_l1", "p_drop", "p_nnlsl2", "p_none",
    ];
    let mut pairs: Vec<(&str, &str, bool)> = probes.iter().map(|p| (*p, *p, false)).collect();
    pairs.push(("p_a_l2", "p_A_l2", false));
    pairs.push(("p_a_nnls", "p_A_nnls", false));
    pairs.push(("p_a_lstsq", "p_A_lstsq", false));
    pairs.push(("p_b_spikes", "p_B_spikes", true));
    pairs.push(("p_c_spikes", "p_C_spikes", true));
    check(&sim, S25, &pairs);
}
