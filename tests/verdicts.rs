//! The builder's side of the shared-verdict test: the ten faulty networks of
//! `netdsl-plan/tests/validate.rs` (`faulty()`, hand-built `Declared` networks) and
//! `netdsl-macros/src/verdicts.rs` (the same networks written with `network!`), built here with
//! the builder API, must break the same rules, in the same order, as [`VERDICTS`] says (the same
//! table in all three files). The one network the rules accept is also written with `network!`:
//! the macro's network and the builder's give the same structure and plan.

use netdsl::core::error::BuildError;
use netdsl::core::models::learning::LearningRule;
use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, ItemId, NodeOutput, ProbeOf, ProbeSpec,
};
use netdsl::core::plan::ProbeAttr;
use netdsl::prelude::*;

/// (network, the problems expected, in order): the table of the rule set's author.
const VERDICTS: &[(&str, &[&str])] = &[
    ("size_through_slice", &["SizeMismatch"]),
    ("slice_past_end", &["SlicePastEnd"]),
    ("transform_shape", &["TransformColumns"]),
    ("function_output_size", &["SizeMismatch"]),
    ("probe_attr", &["ProbeNeuronAttr"]),
    ("pes_on_diagonal", &[]),
    ("pes_from_node", &["PesSource"]),
    ("mpes_decoded", &["MpesEnds"]),
    ("cycle_without_synapse", &["Cycle", "Cycle"]),
    ("learning_error_size", &["ErrorSize"]),
];

/// `ensemble a: 10 neurons, 2 dims; ensemble b: 10 neurons, 2 dims; node k: 0 -> 3 = [1, 2, 3];`
fn abk() -> (Network, ItemId, ItemId, ItemId) {
    let mut net = Network::new("Net");
    let a = net.add_ensemble("a", EnsembleSpec::new(10, 2));
    let b = net.add_ensemble("b", EnsembleSpec::new(10, 2));
    let k = net.add_node("k", 0, 3, NodeOutput::Constant(vec![1.0, 2.0, 3.0]));
    (net, a, b, k)
}

fn link(pre: Endpoint, post: Endpoint) -> ConnectionSpec {
    ConnectionSpec::new(pre, post)
}

fn named(label: &str, pre: Endpoint, post: Endpoint) -> ConnectionSpec {
    let mut c = ConnectionSpec::new(pre, post);
    c.label = Some(label.to_string());
    c
}

/// `conn l: a -> b, transform = [1.0, 0.5], learning = PES; a -> l.learning;`
fn pes_on_diagonal() -> Network {
    let (mut net, a, b, _) = abk();
    let mut l = named("l", Endpoint::Value(a), Endpoint::Value(b));
    l.transform = Transform::Diagonal(vec![1.0, 0.5]);
    l.learning = Some(LearningRule::pes());
    let l = net.connect(l);
    net.connect(link(Endpoint::Value(a), Endpoint::Learning(l)));
    net
}

/// The networks of [`VERDICTS`], built by hand, in its order.
fn builder_networks() -> Vec<(&'static str, Network)> {
    let mut out = Vec::new();

    // k[..1] -> a;
    let (mut net, a, _, k) = abk();
    let mut c = link(Endpoint::Value(k), Endpoint::Value(a));
    c.pre_slice = Some(0..1);
    net.connect(c);
    out.push(("size_through_slice", net));

    // k[1..4] -> a;
    let (mut net, a, _, k) = abk();
    let mut c = link(Endpoint::Value(k), Endpoint::Value(a));
    c.pre_slice = Some(1..4);
    net.connect(c);
    out.push(("slice_past_end", net));

    // a -> b, transform = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    let (mut net, a, b, _) = abk();
    let mut c = link(Endpoint::Value(a), Endpoint::Value(b));
    c.transform = Transform::Matrix(netdsl::ndarray::array![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
    net.connect(c);
    out.push(("transform_shape", net));

    // a -> b, function = |x| [x[0]];
    let (mut net, a, b, _) = abk();
    let mut c = link(Endpoint::Value(a), Endpoint::Value(b));
    c.function = Some(Function {
        size_out: 1,
        f: Box::new(|x, o| o[0] = x[0]),
        text: "|x| [x[0]]".into(),
    });
    net.connect(c);
    out.push(("function_output_size", net));

    // ensemble r: 10 neurons, 1 dims, neuron = RectifiedLinear; probe v: r.neurons.voltage;
    let mut net = Network::new("Net");
    let mut spec = EnsembleSpec::new(10, 1);
    spec.neuron_type = NeuronType::RectifiedLinear { amplitude: 1.0 };
    let r = net.add_ensemble("r", spec);
    net.probe("v", ProbeSpec::new(ProbeOf::Item(r), ProbeAttr::Voltage));
    out.push(("probe_attr", net));

    out.push(("pes_on_diagonal", pes_on_diagonal()));

    // conn l: k[..2] -> a, learning = PES;
    let (mut net, a, _, k) = abk();
    let mut l = named("l", Endpoint::Value(k), Endpoint::Value(a));
    l.pre_slice = Some(0..2);
    l.learning = Some(LearningRule::pes());
    net.connect(l);
    out.push(("pes_from_node", net));

    // conn m: a -> b, learning = mPES;
    let (mut net, a, b, _) = abk();
    let mut m = named("m", Endpoint::Value(a), Endpoint::Value(b));
    m.learning = Some(LearningRule::mpes());
    net.connect(m);
    out.push(("mpes_decoded", net));

    // node p: 1 -> 1; node q: 1 -> 1; p -> q, synapse = None; q -> p, synapse = None;
    let mut net = Network::new("Net");
    let p = net.add_node("p", 1, 1, NodeOutput::Passthrough);
    let q = net.add_node("q", 1, 1, NodeOutput::Passthrough);
    for (x, y) in [(p, q), (q, p)] {
        let mut c = link(Endpoint::Value(x), Endpoint::Value(y));
        c.synapse = None;
        net.connect(c);
    }
    out.push(("cycle_without_synapse", net));

    // conn l: a[..1] -> b[..1], learning = PES; a -> l.learning;
    let (mut net, a, b, _) = abk();
    let mut l = named("l", Endpoint::Value(a), Endpoint::Value(b));
    l.pre_slice = Some(0..1);
    l.post_slice = Some(0..1);
    l.learning = Some(LearningRule::pes());
    let l = net.connect(l);
    net.connect(link(Endpoint::Value(a), Endpoint::Learning(l)));
    out.push(("learning_error_size", net));

    out
}

/// The kind of each problem (`SizeMismatch`), in order; empty when the network builds.
fn kinds(result: Result<Simulator, BuildError>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(err) => {
            assert!(
                !err.violations().is_empty(),
                "a rule violation, not another error: {err}"
            );
            err.violations()
                .iter()
                .map(|v| {
                    format!("{:?}", v.problem())
                        .chars()
                        .take_while(|c| c.is_alphanumeric())
                        .collect()
                })
                .collect()
        }
    }
}

#[test]
fn builder_networks_get_the_shared_verdicts() {
    let nets = builder_networks();
    assert_eq!(nets.len(), VERDICTS.len());
    for ((name, net), (want_name, want)) in nets.into_iter().zip(VERDICTS) {
        assert_eq!(name, *want_name);
        assert_eq!(kinds(Simulator::new(net, 0.001)), *want, "{name}");
    }
}

#[test]
fn rule_violations_read_as_the_macro_words_them() {
    let (_, net) = builder_networks().remove(0);
    let err = Simulator::new(net, 0.001).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "network `Net`: size mismatch in `k[0..1] -> a`: `k[0..1]` gives 1 but `a` takes 2 (it \
         has 2 dimensions)"
    );
    // Both cycle violations, one per connection on the loop.
    let (_, net) = builder_networks().remove(8);
    let err = Simulator::new(net, 0.001).expect_err("refused");
    assert!(
        err.to_string().starts_with("network `Net` breaks 2 rules:"),
        "{err}"
    );
}

network! {
    /// `pes_on_diagonal` as users write it: the one network of the table the rules accept.
    PesOnDiagonal {
        ensemble a: 10 neurons, 2 dims;
        ensemble b: 10 neurons, 2 dims;
        node k: 0 -> 3 = [1.0, 2.0, 3.0];
        conn l: a -> b, transform = [1.0, 0.5], learning = PES;
        a -> l.learning;
    }
}

#[test]
fn the_macro_and_the_builder_agree_on_the_accepted_network() {
    let from_macro = PesOnDiagonal::new().network();
    let static_plan = from_macro.static_plan.clone().expect("the macro's plan");
    let macro_sim = Simulator::new(from_macro, 0.001).expect("the macro's network builds");
    // The builder's network, checked against the macro's compile-time plan.
    let mut by_hand = pes_on_diagonal();
    by_hand.name = "PesOnDiagonal".into();
    by_hand.static_plan = Some(static_plan);
    let hand_sim = Simulator::new(by_hand, 0.001).expect("the builder's network builds");
    assert_eq!(macro_sim.structure(), hand_sim.structure());
    assert_eq!(macro_sim.plan().to_string(), hand_sim.plan().to_string());
}
