//! Parameter values outside their valid range (the rule set's `ParamOutOfRange`, the same check
//! and wording the `network!` macro gives literals): refused at build with `BuildError::Rules`.

use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::neurons::NeuronType;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::validate::{ParamRange, Problem};
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

/// `(name, value, range, message)` of every violation.
fn out_of_range(net: Network) -> Vec<(String, f64, ParamRange, String)> {
    let e = match Simulator::new(net, 0.001) {
        Ok(_) => panic!("built"),
        Err(e) => e,
    };
    e.violations()
        .iter()
        .map(|v| match v.problem() {
            Problem::ParamOutOfRange {
                name, value, range, ..
            } => (name.to_string(), *value, *range, v.to_string()),
            p => panic!("unexpected {p:?}"),
        })
        .collect()
}

fn two(net: &mut Network) -> (ItemId, ItemId) {
    let a = net.add_ensemble("a", EnsembleSpec::new(20, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(20, 1));
    (a, b)
}

#[test]
fn negative_synapse_time_constants_are_refused_with_the_macros_wording() {
    let mut net = Network::new("n");
    let (a, b) = two(&mut net);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.synapse = Some(Synapse::Lowpass(-0.01));
    net.connect(c);
    let mut c = ConnectionSpec::new(Endpoint::Value(b), Endpoint::Value(a));
    c.synapse = Some(Synapse::Alpha(f64::NAN));
    net.connect(c);
    let v = out_of_range(net);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(
        (v[0].0.as_str(), v[0].1, v[0].2),
        ("tau", -0.01, ParamRange::NonNegative)
    );
    assert!(v[0]
        .3
        .contains("`tau` of the `Lowpass` synapse of `a -> b` must be >= 0, got -0.01"));
    assert!(v[1].1.is_nan());
}

#[test]
fn a_zero_time_constant_is_valid_as_in_nengo() {
    let mut net = Network::new("n");
    let (a, b) = two(&mut net);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.synapse = Some(Synapse::Lowpass(0.0));
    net.connect(c);
    let mut c = ConnectionSpec::new(Endpoint::Value(b), Endpoint::Value(a));
    c.synapse = Some(Synapse::Alpha(0.0));
    net.connect(c);
    assert!(Simulator::new(net, 0.001).is_ok());
}

#[test]
fn lif_time_constants_out_of_range_are_refused() {
    let mut net = Network::new("n");
    let mut e = EnsembleSpec::new(20, 1);
    e.neuron_type = NeuronType::Lif {
        tau_rc: 0.0,
        tau_ref: -0.001,
        min_voltage: 0.0,
        amplitude: 1.0,
    };
    net.add_ensemble("a", e);
    let v = out_of_range(net);
    let names: Vec<_> = v.iter().map(|x| (x.0.as_str(), x.2)).collect();
    assert_eq!(
        names,
        [
            ("tau_rc", ParamRange::Positive),
            ("tau_ref", ParamRange::NonNegative)
        ]
    );
    assert!(v[0]
        .3
        .contains("`tau_rc` of the `LIF` neurons of `a` must be > 0, got 0"));
}

#[test]
fn negative_learning_rates_gains_and_probe_periods_are_refused() {
    let mut net = Network::new("n");
    let (a, b) = two(&mut net);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.learning = Some(LearningRule::Pes {
        learning_rate: -1e-4,
        pre_synapse: Some(Synapse::Lowpass(-0.005)),
    });
    let learned = net.connect(c);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(b),
        Endpoint::Learning(learned),
    ));
    let mut c = ConnectionSpec::new(Endpoint::Neurons(a), Endpoint::Neurons(b));
    c.transform = Transform::Matrix(netdsl_core::ndarray::Array2::zeros((20, 20)));
    let mut rule = LearningRule::mpes();
    if let LearningRule::Mpes { gain, .. } = &mut rule {
        *gain = -1.0;
    }
    c.learning = Some(rule);
    net.connect(c);
    let mut p = ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Value);
    p.sample_every = Some(0.0);
    p.synapse = Some(Synapse::Lowpass(-1.0));
    net.probe("p", p);
    let v = out_of_range(net);
    let names: Vec<_> = v.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        names,
        ["learning_rate", "tau", "gain", "tau", "sample_every"],
        "{v:?}"
    );
    assert!(v[4]
        .3
        .contains("`sample_every` of probe `p` must be > 0, got 0"));
}

#[test]
fn non_finite_transforms_are_refused() {
    let mut net = Network::new("n");
    let (a, b) = two(&mut net);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.transform = Transform::Scalar(f64::INFINITY);
    net.connect(c);
    let mut c = ConnectionSpec::new(Endpoint::Value(b), Endpoint::Value(a));
    c.transform = Transform::Diagonal(vec![f64::NAN]);
    net.connect(c);
    let v = out_of_range(net);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v.iter().all(|x| x.2 == ParamRange::Finite));
    assert!(v[0]
        .3
        .contains("`transform` of the connection `a -> b` must be finite, got inf"));
}
