//! The build's memory guard (issue 15): a decoder solve or weight matrix bigger than
//! `SimOptions::build_memory_limit` is a `BuildError::TooBig` naming the connection or probe and
//! the bytes, decided before anything that size is allocated (tiny limits injected here; one
//! realistic network that would need tens of GB).

use netdsl_core::error::BuildError;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::{SimOptions, Simulator};

fn with_limit(limit: u64) -> SimOptions {
    SimOptions {
        build_memory_limit: limit,
        ..SimOptions::default()
    }
}

/// stim -> a -> b (decoded), a probe of b's value; `weights` makes a -> b a full matrix.
fn chain(n: usize, weights: bool) -> Network {
    chain2(n, n, weights)
}

/// [`chain`] with `na` neurons in `a` and `nb` in `b`.
fn chain2(na: usize, nb: usize, weights: bool) -> Network {
    let mut net = Network::new("chain");
    let stim = net.add_node("stim", 0, 1, NodeOutput::Constant(vec![0.5]));
    let a = net.add_ensemble("a", EnsembleSpec::new(na, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(nb, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(stim),
        Endpoint::Value(a),
    ));
    let mut ab = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    ab.solver.weights = weights;
    net.connect(ab);
    net.probe("out", ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Value));
    net
}

fn too_big(r: Result<Simulator, BuildError>) -> (String, u64) {
    match r.expect_err("refused") {
        BuildError::TooBig { what, bytes, .. } => (what, bytes),
        e => panic!("expected TooBig, got {e}"),
    }
}

#[test]
fn a_decoder_solve_over_the_limit_is_refused_naming_the_connection() {
    // 50 neurons, 750 evaluation points. Nnls holds activities 750 x 50 and Gram 50 x 50:
    // 320,000 bytes.
    let nnls = || {
        let mut net = chain(50, false);
        net.conns[1].solver = Nnls::default().into();
        net
    };
    let (what, bytes) = too_big(Simulator::with_options(nnls(), 0.001, with_limit(319_999)));
    assert_eq!(what, "connection `a -> b`");
    assert_eq!(bytes, (750 * 50 + 50 * 50) * 8);
    Simulator::with_options(nnls(), 0.001, with_limit(320_000)).expect("fits exactly");
    // LstsqL2 (the default) streams the activities: only the 50 x 50 Gram matrix counts.
    let msg = Simulator::with_options(chain(50, false), 0.001, with_limit(19_999))
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("Gram 50 x 50, activities streamed"), "{msg}");
    Simulator::with_options(chain(50, false), 0.001, with_limit(20_000)).expect("fits exactly");
}

#[test]
fn a_weight_matrix_over_the_limit_is_refused() {
    // a: 50 neurons, its solve 20,000 bytes; b: 2000 neurons, the full a -> b matrix
    // 2000 x 50 = 800,000 bytes (b's own probe solve, 4000 x 2000 points x neurons, is 96 MB:
    // no probe on b here).
    let net = |weights| {
        let mut net = chain2(50, 2000, weights);
        net.probes.clear();
        net
    };
    let err = Simulator::with_options(net(true), 0.001, with_limit(500_000));
    let msg = err.as_ref().map(|_| ()).expect_err("refused").to_string();
    assert!(msg.contains("weight matrix 2000 x 50"), "{msg}");
    assert!(msg.contains("build_memory_limit"), "{msg}");
    let (what, bytes) = too_big(err);
    assert_eq!(what, "connection `a -> b`");
    assert_eq!(bytes, 2000 * 50 * 8);
    // Decoded instead of full weights, the same network fits.
    Simulator::with_options(net(false), 0.001, with_limit(500_000)).expect("decoded fits");
}

#[test]
fn a_decoded_probe_over_the_limit_is_refused_naming_the_probe() {
    let mut net = Network::new("probe");
    let a = net.add_ensemble("a", EnsembleSpec::new(50, 1));
    net.probe("value", ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Value));
    let (what, _) = too_big(Simulator::with_options(net, 0.001, with_limit(1000)));
    assert_eq!(what, "probe `value`");
}

#[test]
fn a_huge_ensemble_is_refused_before_its_gram_matrix_is_allocated() {
    // 50,000 neurons: the LstsqL2 solve streams its 100,000 x 50,000 activities but holds a
    // 50,000 x 50,000 Gram matrix, 20 GB, over the 16 GiB default.
    let (what, bytes) = too_big(Simulator::new(chain(50_000, false), 0.001));
    assert_eq!(what, "connection `a -> b`");
    assert_eq!(bytes, 50_000u64 * 50_000 * 8);
}

/// stim -> a, a.neurons -> b.neurons with mPES, b -> its learning error (60 neurons each).
fn mpes_net() -> Network {
    use netdsl_core::models::learning::LearningRule;
    let mut net = Network::new("mpes");
    let stim = net.add_node("stim", 0, 1, NodeOutput::Constant(vec![0.5]));
    let a = net.add_ensemble("a", EnsembleSpec::new(60, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(60, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(stim),
        Endpoint::Value(a),
    ));
    let mut m = ConnectionSpec::new(Endpoint::Neurons(a), Endpoint::Neurons(b));
    m.learning = Some(LearningRule::mpes());
    let learned = net.connect(m);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(b),
        Endpoint::Learning(learned),
    ));
    net
}

#[test]
fn a_memristor_array_over_the_limit_is_refused() {
    use netdsl_core::models::memristor::{Device, MemristorArray};
    // 60 x 60 = 3600 device pairs. The weight matrix (28,800 bytes) and the only decoder solve
    // (b's LstsqL2: a streamed 60 x 60 Gram, 28,800 bytes) fit under any limit from 28,800 up;
    // the array with its reset copy needs 3600 x `per` >= 720,000 bytes.
    let per = 2 * MemristorArray::bytes_per_pair(&Device::default());
    assert!(per >= 200, "{per}");
    let need = 3600 * per;
    let build = |limit| Simulator::with_options(mpes_net(), 0.001, with_limit(limit));
    let msg = build(need - 1).expect_err("refused").to_string();
    assert!(msg.contains("memristor array 60 x 60"), "{msg}");
    let (what, bytes) = too_big(build(need - 1));
    assert_eq!(what, "connection `a.neurons -> b.neurons`");
    assert_eq!(bytes, need);
    build(need).expect("fits at the limit");
}
