//! `netdsl::networks` against Nengo 4.1: the same items, connections, transforms and synapses
//! (order-free), from `tests/fixtures/networks_structure.json`
//! (`tools/nengo_network_structure.py`).

use netdsl::core::network::{ConnectionSpec, Endpoint, ItemSpec, Network, Transform};
use netdsl::networks::{EnsembleArray, InputGatedMemory, Integrator, Oscillator, Product};
use netdsl::prelude::*;
use serde_json::{json, Value};

fn end_size(net: &Network, e: Endpoint, post: bool) -> usize {
    match e {
        Endpoint::Value(i) => match &net.items[i].1 {
            ItemSpec::Ensemble(s) => s.dimensions,
            ItemSpec::Node {
                size_in, size_out, ..
            } => {
                if post {
                    *size_in
                } else {
                    *size_out
                }
            }
        },
        Endpoint::Neurons(i) => match &net.items[i].1 {
            ItemSpec::Ensemble(s) => s.n_neurons,
            ItemSpec::Node { .. } => 0,
        },
        Endpoint::Learning(_) => 0,
    }
}

fn conn(net: &Network, c: &ConnectionSpec) -> Value {
    let slice_len = |s: &Option<std::ops::Range<usize>>, full| s.as_ref().map_or(full, |r| r.len());
    let src = slice_len(&c.pre_slice, end_size(net, c.pre, false));
    let out = slice_len(&c.post_slice, end_size(net, c.post, true));
    let mid = c.function.as_ref().map_or(src, |f| f.size_out);
    let (shape, values): (Vec<usize>, Vec<f64>) = match &c.transform {
        Transform::Scalar(x) => (vec![], vec![*x]),
        Transform::Diagonal(v) => (vec![v.len()], v.clone()),
        Transform::Matrix(m) => (m.shape().to_vec(), m.iter().copied().collect()),
    };
    let synapse = match &c.synapse {
        None => Value::Null,
        Some(Synapse::Lowpass(tau)) => json!(tau),
        Some(other) => panic!("unexpected synapse {other:?}"),
    };
    json!({
        "function": c.function.is_some(),
        "mid": mid,
        "out": out,
        "synapse": synapse,
        "transform": values,
        "transform_shape": shape,
    })
}

fn describe(net: &Network) -> Value {
    let mut ens: Vec<Value> = Vec::new();
    let mut nodes: Vec<(usize, usize)> = Vec::new();
    for (_, it) in &net.items {
        match it {
            ItemSpec::Ensemble(e) => ens.push(json!([e.n_neurons, e.dimensions, e.radius])),
            ItemSpec::Node {
                size_in, size_out, ..
            } => nodes.push((*size_in, *size_out)),
        }
    }
    ens.sort_by_key(|v| v.to_string());
    nodes.sort();
    let mut conns: Vec<Value> = net.conns.iter().map(|c| conn(net, c)).collect();
    conns.sort_by_key(|v| v.to_string());
    json!({
        "ensembles": ens,
        "nodes": nodes.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
        "connections": conns,
    })
}

fn nengo(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!("fixtures/networks_structure.json"))
        .expect("the fixture parses");
    let mut v = all[name].clone();
    // Same sort as `describe` (serde_json's text order).
    if let Some(c) = v["connections"].as_array_mut() {
        c.sort_by_key(|v| v.to_string());
    }
    if let Some(e) = v["ensembles"].as_array_mut() {
        e.sort_by_key(|v| v.to_string());
    }
    v
}

fn same(name: &str, net: &Network) {
    let ours = describe(net);
    let theirs = nengo(name);
    assert_eq!(
        ours["ensembles"], theirs["ensembles"],
        "{name}: ensembles (neurons, dims, radius)"
    );
    assert_eq!(
        ours["nodes"], theirs["nodes"],
        "{name}: nodes (size_in, size_out)"
    );
    let (a, b) = (
        ours["connections"].as_array().unwrap(),
        theirs["connections"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len(), "{name}: number of connections");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y, "{name}: connection");
    }
}

#[test]
fn ensemble_array_is_nengos() {
    same(
        "ensemble_array_3_20_r1.5",
        &EnsembleArray::<3, 20>::new(1.5).network(),
    );
}

#[test]
fn product_is_nengos() {
    same("product_2_100", &Product::<2, 50>::new(1.0).network());
    same("product_1_200_mag2", &Product::<1, 100>::new(2.0).network());
}

#[test]
fn input_gated_memory_is_nengos() {
    same(
        "input_gated_memory_2_50",
        &InputGatedMemory::<2, 50>::new(0.9, 2.0, 0.05, 0.02).network(),
    );
}

#[test]
fn integrator_and_oscillator_are_the_notebooks() {
    same(
        "integrator_2_100_tau0.1",
        &Integrator::<2, 100>::new(0.1).network(),
    );
    same(
        "oscillator_200_tau0.1_f5",
        &Oscillator::<200>::new(0.1, 5.0).network(),
    );
}

network! {
    /// Product computes a product.
    pub Multiply {
        node a: 0 -> 1 = |_t| [0.6];
        node b: 0 -> 1 = |_t| [-0.7];
        net prod: netdsl::networks::Product<1, 100>(1.0);
        a -> prod.input_a;
        b -> prod.input_b;
        probe out: prod.output, synapse = 0.02;
    }
}

#[test]
fn product_multiplies() {
    let mut sim = Multiply::new().build(0.001).expect("builds");
    sim.run(0.4).unwrap();
    let out = sim.data("out");
    let last = out[[out.nrows() - 1, 0]];
    assert!((last - -0.42).abs() < 0.08, "0.6 * -0.7 ≈ {last}");
}

/// The runtime's plan of a hierarchical network: flat, sorted, qualified labels.
#[test]
fn plan_of_a_product() {
    let sim = Multiply::new().build(0.001).expect("builds");
    insta::assert_snapshot!(sim.plan().to_string());
}

network! {
    /// Load 0.5 for 0.3 s with the gate open, then close it and remove the input.
    pub Remember {
        node stim: 0 -> 1 = |t| [if t < 0.3 { 0.5 } else { 0.0 }];
        node gate: 0 -> 1 = |t| [if t < 0.3 { 0.0 } else { 1.0 }];
        net wm: netdsl::networks::InputGatedMemory<1, 100>(1.0, 1.0, 0.1, 0.1);
        stim -> wm.diff.input;
        gate -> wm.gate;
        probe out: wm.mem.output, synapse = 0.01;
    }
}

#[test]
fn input_gated_memory_holds_when_gated() {
    let mut sim = Remember::new().build(0.001).expect("builds");
    sim.run(0.6).unwrap();
    let out = sim.data("out");
    let (loaded, held) = (out[[299, 0]], out[[599, 0]]);
    assert!((loaded - 0.5).abs() < 0.15, "loaded {loaded}");
    assert!(
        (held - 0.5).abs() < 0.15,
        "held {held} after 0.3 s without input"
    );
}
