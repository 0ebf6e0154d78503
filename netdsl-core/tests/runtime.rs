//! Runtime behaviour beyond the exact fixtures: Nengo's default random parameters (compared
//! statistically with Nengo), the cycle rule, errors that keep probes, reset, determinism, export.

use netdsl_core::error::BuildError;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::validate::Problem;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// inp = sin(2πt) -> A -> B with `f`, all Nengo defaults; probe B with Lowpass(0.01).
fn channel(n: usize, seed: u64, square: bool) -> Network {
    let mut net = Network::new("channel");
    net.seed = seed;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| {
            o[0] = (2.0 * std::f64::consts::PI * t).sin()
        })),
    );
    let a = net.add_ensemble("A", EnsembleSpec::new(n, 1));
    let b = net.add_ensemble("B", EnsembleSpec::new(n, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    if square {
        c.function = Some(Function {
            size_out: 1,
            f: Box::new(|x, o| o[0] = x[0] * x[0]),
            text: "x**2".into(),
        });
    }
    net.connect(c);
    let mut p = ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("B", p);
    net
}

/// The fixture's ideal: L(L(f(L(u, 0.005)), 0.005), 0.01) with the downstream (delayed) lowpass.
fn ideal(square: bool, steps: usize, dt: f64) -> Vec<f64> {
    let lp = |x: &[f64], tau: f64| {
        let a = (-dt / tau).exp();
        let mut y = vec![0.0; x.len()];
        for k in 1..x.len() {
            y[k] = a * y[k - 1] + (1.0 - a) * x[k - 1];
        }
        y
    };
    let u: Vec<f64> = (1..=steps)
        .map(|k| (2.0 * std::f64::consts::PI * k as f64 * dt).sin())
        .collect();
    let a = lp(&u, 0.005);
    let f: Vec<f64> = a.iter().map(|x| if square { x * x } else { *x }).collect();
    lp(&lp(&f, 0.005), 0.01)
}

fn rmse_vs_nengo(fixture_name: &str, square: bool) {
    let fx = fixture(fixture_name);
    let first = fx["ideal_first_values"].as_array().expect("ideal");
    let ours = ideal(square, 1000, 0.001);
    for (a, b) in ours.iter().zip(first) {
        assert!(
            (a - b.as_f64().expect("f")).abs() < 1e-12,
            "ideal signal differs from the fixture's"
        );
    }
    for n in [50usize, 100] {
        let nengo_mean = fx["results"][n.to_string()]["rmse_mean"]
            .as_f64()
            .expect("mean");
        let mut sum = 0.0;
        for seed in 0..5u64 {
            let mut sim = Simulator::new(channel(n, seed, square), 0.001).expect("build");
            sim.run_steps(1000).expect("run");
            let d = sim.data("B");
            let mse: f64 = d
                .column(0)
                .iter()
                .zip(&ours)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / 1000.0;
            sum += mse.sqrt();
        }
        let mean = sum / 5.0;
        let rel = (mean - nengo_mean).abs() / nengo_mean;
        println!(
            "{fixture_name} N={n}: netdsl RMSE {mean:.5}, Nengo {nengo_mean:.5} ({:+.1}%)",
            100.0 * (mean / nengo_mean - 1.0)
        );
        assert!(
            rel <= 0.20,
            "{fixture_name} N={n}: mean RMSE {mean} vs Nengo {nengo_mean} ({rel:.2} off)"
        );
    }
}

#[test]
fn default_parameters_communication_channel_rmse_within_20_percent_of_nengo() {
    rmse_vs_nengo("stat_comm_channel", false);
}

#[test]
fn default_parameters_squaring_rmse_within_20_percent_of_nengo() {
    rmse_vs_nengo("stat_square", true);
}

fn passthrough_loop(syn_ab: Option<Synapse>, syn_ba: Option<Synapse>) -> Network {
    let mut net = Network::new("loop");
    let a = net.add_node(
        "a",
        1,
        1,
        NodeOutput::TimeInput(Box::new(|_, x, o| o[0] = x[0] + 1.0)),
    );
    let b = net.add_node(
        "b",
        1,
        1,
        NodeOutput::TimeInput(Box::new(|_, x, o| o[0] = x[0] + 1.0)),
    );
    let mut ab = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    ab.synapse = syn_ab;
    let mut ba = ConnectionSpec::new(Endpoint::Value(b), Endpoint::Value(a));
    ba.synapse = syn_ba;
    net.connect(ab);
    net.connect(ba);
    net.probe("a", ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Value));
    net
}

#[test]
fn a_synapse_free_loop_is_an_error_naming_the_cycle() {
    let err = Simulator::new(passthrough_loop(None, None), 0.001).expect_err("cycle");
    let BuildError::Rules { violations, .. } = &err else {
        panic!("expected a rule violation, got {err}")
    };
    // One violation per connection on the loop.
    assert_eq!(violations.len(), 2, "{err}");
    assert!(violations
        .iter()
        .all(|v| matches!(v.problem(), Problem::Cycle { .. })));
    let text = err.to_string();
    assert!(text.contains("a -> b") && text.contains("b -> a"), "{text}");
    assert!(text.contains("synapse = 0"), "{text}");
}

#[test]
fn the_same_loop_with_a_zero_synapse_runs_like_nengo() {
    // Nengo (semantics §9.4): a and b are x + 1 with synapse 0 both ways: a = 1, 2, 3, 4.
    let mut sim = Simulator::new(
        passthrough_loop(Some(Synapse::Lowpass(0.0)), Some(Synapse::Lowpass(0.0))),
        0.001,
    )
    .expect("runs");
    sim.run_steps(4).expect("run");
    let a: Vec<f64> = sim.data("a").column(0).to_vec();
    assert_eq!(a, vec![1.0, 2.0, 3.0, 4.0]);
    // One synapse is enough to break it.
    assert!(Simulator::new(passthrough_loop(Some(Synapse::Lowpass(0.005)), None), 0.001).is_ok());
}

#[test]
fn a_nan_from_a_node_stops_the_run_naming_op_and_step_and_keeps_probes() {
    let mut net = Network::new("nan");
    let src = net.add_node(
        "src",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| {
            o[0] = if t > 0.0045 { f64::NAN } else { t }
        })),
    );
    net.probe("src", ProbeSpec::new(ProbeOf::Item(src), ProbeAttr::Value));
    let mut sim = Simulator::new(net, 0.001).expect("build");
    let err = sim.run_steps(10).expect_err("NaN");
    assert_eq!(err.step, 5);
    assert!(err.op.contains("node src"), "{err}");
    assert!(err.to_string().contains("step 5"), "{err}");
    let kept: Vec<f64> = sim.data("src").column(0).to_vec();
    assert_eq!(kept.len(), 4);
    assert!((kept[3] - 0.004).abs() < 1e-15);
}

#[test]
fn bad_sizes_are_build_errors_not_panics() {
    let mut net = Network::new("sizes");
    let a = net.add_node("a", 0, 2, NodeOutput::Constant(vec![1.0, 2.0]));
    let b = net.add_node("b", 3, 3, NodeOutput::Passthrough);
    net.connect(ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b)));
    let err = Simulator::new(net, 0.001).expect_err("size error");
    assert!(
        matches!(
            err.violations()[0].problem(),
            Problem::SizeMismatch {
                conn: 0,
                sends: 2,
                takes: 3
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("`a` has size_out 2 but `b` takes 3"),
        "{err}"
    );

    let mut net = Network::new("slices");
    let a = net.add_node("a", 0, 2, NodeOutput::Constant(vec![1.0, 2.0]));
    let b = net.add_node("b", 3, 3, NodeOutput::Passthrough);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.post_slice = Some(2..4);
    net.connect(c);
    let err = Simulator::new(net, 0.001).expect_err("slice error");
    assert!(
        matches!(
            err.violations()[0].problem(),
            Problem::SlicePastEnd { hi: 4, size: 3, .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("2..4"), "{err}");
}

#[test]
fn same_seed_same_numbers_and_reset_replays_exactly() {
    let run = |seed| {
        let mut sim = Simulator::new(channel(30, seed, true), 0.001).expect("build");
        sim.run_steps(300).expect("run");
        sim.data("B").to_owned()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    let mut sim = Simulator::new(channel(30, 3, false), 0.001).expect("build");
    sim.run(0.2).expect("run");
    let first = sim.data("B").to_owned();
    sim.reset();
    assert_eq!(sim.n_steps(), 0);
    sim.run(0.2).expect("run");
    assert_eq!(sim.data("B").to_owned(), first);
}

#[test]
fn probes_export_to_npy_and_csv_and_plots_render() {
    let mut sim = Simulator::new(channel(20, 1, false), 0.001).expect("build");
    sim.run_steps(50).expect("run");
    let dir = std::env::temp_dir().join(format!("netdsl-export-{}", std::process::id()));
    let files = sim.save_probes(&dir).expect("write");
    assert_eq!(files.len(), 2);
    let (shape, values) = netdsl_core::io::npy::read_npy(dir.join("B.npy")).expect("npy");
    assert_eq!(shape, vec![50, 1]);
    assert_eq!(values, sim.data("B").iter().copied().collect::<Vec<_>>());
    let csv = std::fs::read_to_string(dir.join("B.csv")).expect("csv");
    assert!(csv.starts_with("time,B[0]\n0.001,"), "{}", &csv[..40]);
    assert_eq!(csv.lines().count(), 51);
    let svg = sim.plot("channel", &["B"]).render();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.contains(">B<") || svg.contains("B</text>"));
    let dot = sim.to_dot();
    assert!(
        dot.contains("\"inp\"") && dot.contains("\"A\"") && dot.contains("\"B\""),
        "{dot}"
    );
    std::fs::remove_dir_all(dir).ok();
}
