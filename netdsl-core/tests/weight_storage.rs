//! `ConnectionSpec::weight_storage = WeightStorage::F32`: the weight matrix is kept in single
//! precision (half the bytes), stepping sums the same terms in the same order in `f64`, and the
//! option is refused where it cannot apply.

use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::validate::{F32Refusal, Problem};
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

fn sine(net: &mut Network) -> ItemId {
    net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (6.0 * t).sin())),
    )
}

/// A network `name` with the sine node feeding 1-D ensemble `a` (`na` neurons), and 1-D
/// ensemble `b` (`nb` neurons): `(net, a, b)`.
fn sine_into_pair(name: &str, seed: u64, na: usize, nb: usize) -> (Network, ItemId, ItemId) {
    let mut net = Network::new(name);
    net.seed = seed;
    let inp = sine(&mut net);
    let a = net.add_ensemble("a", EnsembleSpec::new(na, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(nb, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    (net, a, b)
}

fn probe(net: &mut Network, name: &str, of: ItemId, attr: ProbeAttr) {
    let mut p = ProbeSpec::new(ProbeOf::Item(of), attr);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe(name, p);
}

/// `inp → a`, then `a.neurons → b.neurons` through a dense `n_b × n_a` matrix (entries
/// `k / 4096`, exact in `f32`), stored as `storage`.
fn neuron_matrix(storage: WeightStorage) -> Network {
    let (na, nb) = (120, 90);
    let (mut net, a, b) = sine_into_pair("matrix", 3, na, nb);
    let m = ndarray::Array2::from_shape_fn((nb, na), |(r, c)| {
        (((r * 7 + c * 13) % 29) as f64 - 12.0) / 4096.0
    });
    let mut c = ConnectionSpec::new(Endpoint::Neurons(a), Endpoint::Neurons(b));
    c.transform = Transform::Matrix(m);
    c.weight_storage = storage;
    net.connect(c);
    probe(&mut net, "b", b, ProbeAttr::Value);
    probe(&mut net, "spikes", b, ProbeAttr::Spikes);
    probe(&mut net, "a_spikes", a, ProbeAttr::Spikes);
    net
}

/// `inp → a → b`, 400 neurons each, the `a → b` connection as a full weight matrix
/// (`weights = true`), stored as `storage`.
fn full_weights(storage: WeightStorage) -> Network {
    let (mut net, a, b) = sine_into_pair("full", 5, 400, 400);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.solver.weights = true;
    c.weight_storage = storage;
    net.connect(c);
    probe(&mut net, "b", b, ProbeAttr::Value);
    net
}

/// `build`'s network with `f64` weights and with `f32` weights, built.
fn f64_and_f32(build: fn(WeightStorage) -> Network) -> (Simulator, Simulator) {
    let sim = |storage| Simulator::new(build(storage), 0.001).expect("build");
    (sim(WeightStorage::F64), sim(WeightStorage::F32))
}

fn bits(sim: &Simulator, name: &str) -> Vec<u64> {
    sim.data(name).iter().map(|v| v.to_bits()).collect()
}

#[test]
fn weights_exact_in_f32_step_bit_for_bit_as_in_f64() {
    let (mut f64_sim, mut f32_sim) = f64_and_f32(neuron_matrix);
    let (w64, w32) = (
        &f64_sim.connection(1).expect("conn").weights,
        &f32_sim.connection(1).expect("conn").weights,
    );
    assert_eq!(w64.storage(), WeightStorage::F64);
    assert_eq!(w32.storage(), WeightStorage::F32);
    assert_eq!(w32.bytes() * 2, w64.bytes());
    assert!(w32.to_vec() == w64.to_vec(), "the same values");
    f64_sim.run_steps(500).expect("run");
    f32_sim.run_steps(500).expect("run");
    // `a` spikes, so the matrix carries input (`b` spikes too, so its effect is seen).
    assert!(f64_sim.data("a_spikes").sum() > 0.0, "a spikes");
    assert!(f64_sim.data("spikes").sum() > 0.0, "b spikes");
    assert_eq!(bits(&f32_sim, "spikes"), bits(&f64_sim, "spikes"));
    assert_eq!(bits(&f32_sim, "b"), bits(&f64_sim, "b"));
}

#[test]
fn full_weight_matrix_in_f32_is_the_rounded_f64_matrix_and_decodes_alike() {
    let (mut f64_sim, mut f32_sim) = f64_and_f32(full_weights);
    let (w64, w32) = (
        &f64_sim.connection(1).expect("conn").weights,
        &f32_sim.connection(1).expect("conn").weights,
    );
    assert_eq!(w32.dim(), (400, 400));
    assert_eq!(w32.bytes() * 2, w64.bytes());
    let mut rounded_somewhere = false;
    for (a, b) in w64.iter().zip(w32.iter()) {
        assert_eq!(b, a as f32 as f64);
        rounded_somewhere |= a != b;
    }
    assert!(rounded_somewhere, "the f32 matrix really is rounded");
    // The f64 view of an f32 matrix is not in the store.
    assert!(f32_sim.signal("a -> b.weights").is_none());
    assert!(f64_sim.signal("a -> b.weights").is_some());
    f64_sim.run_steps(1000).expect("run");
    f32_sim.run_steps(1000).expect("run");
    // Weights rounded by at most 2^-24 relative: a spike may come a step earlier or later now
    // and then; the decoded signal stays within a small fraction of its range.
    let (x, y) = (f64_sim.data("b"), f32_sim.data("b"));
    let range = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = x
        .iter()
        .zip(y.iter())
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(range > 0.5, "b follows the sine (peak {range})");
    assert!(worst < 0.02 * range, "worst difference {worst} of {range}");
}

#[test]
fn f32_storage_is_refused_where_the_weights_are_not_a_private_matrix() {
    // A decoded 1-D connection: its weights are one row of decoders.
    let (mut net, a, b) = sine_into_pair("decoded", 0, 50, 50);
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.weight_storage = WeightStorage::F32;
    net.connect(c);
    let err = Simulator::new(net, 0.001).expect_err("refused");
    assert!(
        matches!(
            err.violations()[0].problem(),
            Problem::StorageF32 {
                why: F32Refusal::OneRow,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("`a -> b`") && text.contains("storage = f32"),
        "{text}"
    );

    // A learned matrix (PES on neurons → neurons).
    let (mut net, a, b) = sine_into_pair("learned", 0, 30, 30);
    let mut c = ConnectionSpec::new(Endpoint::Neurons(a), Endpoint::Neurons(b));
    c.transform = Transform::Matrix(ndarray::Array2::zeros((30, 30)));
    c.learning = Some(LearningRule::pes());
    c.weight_storage = WeightStorage::F32;
    let learned = net.connect(c);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(b),
        Endpoint::Learning(learned),
    ));
    let err = Simulator::new(net, 0.001).expect_err("refused");
    assert!(
        matches!(
            err.violations()[0].problem(),
            Problem::StorageF32 {
                why: F32Refusal::Learns,
                ..
            }
        ),
        "{err}"
    );
}
