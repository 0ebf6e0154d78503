//! Verdicts of the builder API that changed when `Simulator::new` came to call the one rule set
//! (`netdsl_plan::validate`) instead of its own copy of the rules: refused at structure time, with
//! the rule set's `Problem`, like the `network!` macro refuses them.

use netdsl_core::error::BuildError;
use netdsl_core::models::neurons::NeuronType;
use netdsl_core::nef::dists::Dist;
use netdsl_core::network::*;
use netdsl_core::plan::validate::Problem;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

fn problems(net: Network) -> Vec<Problem<usize>> {
    match Simulator::new(net, 0.001) {
        Ok(_) => Vec::new(),
        Err(e) => {
            assert!(!e.violations().is_empty(), "{e}");
            e.violations().iter().map(|v| v.problem().clone()).collect()
        }
    }
}

#[test]
fn a_constant_node_with_an_input_is_refused() {
    let mut net = Network::new("n");
    net.add_node("k", 2, 1, NodeOutput::Constant(vec![1.0]));
    assert!(matches!(
        problems(net)[..],
        [Problem::NodeIgnoresInput {
            item: 0,
            size_in: 2
        }]
    ));
}

#[test]
fn a_radius_that_is_not_positive_is_refused() {
    for radius in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut net = Network::new("n");
        let mut e = EnsembleSpec::new(10, 1);
        e.radius = radius;
        net.add_ensemble("a", e);
        assert!(
            matches!(
                problems(net)[..],
                [Problem::RadiusNotPositive { item: 0, .. }]
            ),
            "radius {radius}"
        );
    }
}

#[test]
fn max_rates_at_the_refractory_limit_are_refused_before_any_solve() {
    let mut net = Network::new("n");
    let mut e = EnsembleSpec::new(10, 1);
    e.neuron_type = NeuronType::Lif {
        tau_rc: 0.02,
        tau_ref: 0.002,
        min_voltage: 0.0,
        amplitude: 1.0,
    };
    e.max_rates = Dist::Constant(500.0);
    net.add_ensemble("a", e);
    assert!(matches!(
        problems(net)[..],
        [Problem::RateTooHigh { item: 0, .. }]
    ));
}

#[test]
fn probing_f32_weights_is_refused() {
    let mut net = Network::new("n");
    let a = net.add_ensemble("a", EnsembleSpec::new(10, 2));
    let b = net.add_ensemble("b", EnsembleSpec::new(10, 2));
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.weight_storage = WeightStorage::F32;
    let c = net.connect(c);
    net.probe("w", ProbeSpec::new(ProbeOf::Conn(c), ProbeAttr::Weights));
    assert!(matches!(
        problems(net)[..],
        [Problem::ProbeF32Weights { probe: 0, conn: 0 }]
    ));
}

#[test]
fn every_violation_is_reported() {
    let mut net = Network::new("n");
    let a = net.add_ensemble("a", EnsembleSpec::new(10, 2));
    let k = net.add_node("k", 0, 3, NodeOutput::Constant(vec![1.0, 2.0, 3.0]));
    net.connect(ConnectionSpec::new(Endpoint::Value(k), Endpoint::Value(a)));
    net.probe("s", ProbeSpec::new(ProbeOf::Item(k), ProbeAttr::Spikes));
    let p = problems(net);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(matches!(p[0], Problem::ProbeNodeAttr { probe: 0, item: 1 }));
    assert!(matches!(
        p[1],
        Problem::SizeMismatch {
            conn: 0,
            sends: 3,
            takes: 2
        }
    ));
}

#[test]
fn indices_the_network_lacks_are_runtime_errors() {
    let mut net = Network::new("n");
    net.add_ensemble("a", EnsembleSpec::new(10, 1));
    net.connect(ConnectionSpec::new(Endpoint::Value(0), Endpoint::Value(7)));
    assert!(matches!(
        Simulator::new(net, 0.001).err(),
        Some(BuildError::UnknownItem {
            index: 7,
            len: 1,
            ..
        })
    ));
    let net = Network::new("n");
    assert!(matches!(
        Simulator::new(net, -1.0).err(),
        Some(BuildError::TimeStep { .. })
    ));
}

#[test]
fn errors_and_the_simulator_describe_themselves() {
    // A solve error keeps its cause as the error's source.
    let mut net = Network::new("n");
    let mut e = EnsembleSpec::new(10, 1);
    e.intercepts = Dist::Constant(0.99);
    e.eval_points = netdsl_core::nef::dists::VecDist::Fixed(ndarray::Array2::zeros((5, 1)));
    let a = net.add_ensemble("a", e);
    let b = net.add_node("b", 1, 1, NodeOutput::Passthrough);
    net.connect(ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b)));
    let err = Simulator::new(net, 0.001).expect_err("all-zero activities");
    assert!(matches!(err, BuildError::Solve { .. }), "{err}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(err.to_string().contains("all zero"), "{err}");

    let mut net = Network::new("summary");
    let k = net.add_node("k", 0, 1, NodeOutput::Constant(vec![1.0]));
    net.probe("k", ProbeSpec::new(ProbeOf::Item(k), ProbeAttr::Value));
    let sim = Simulator::new(net, 0.001).expect("builds");
    let text = format!("{sim:?}");
    assert!(
        text.starts_with("Simulator { network: \"summary\", dt: 0.001, steps: 0,"),
        "{text}"
    );
    assert!(text.contains("probes: [\"k\"]"), "{text}");
}
