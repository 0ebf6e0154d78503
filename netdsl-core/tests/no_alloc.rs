//! Stepping allocates nothing: a counting global allocator around `Simulator::run_steps` on a
//! network with every op kind (nodes of each form, LIF / rate / Direct ensembles, decoded and
//! neuron connections, Lowpass and Alpha synapses, slices, PES, mPES, probes with a synapse and
//! with `sample_every`). The only allocations allowed are the probe reservations `run_steps`
//! makes before its first step (at most two per probe), whatever the number of steps.

use std::any::Any;
use std::borrow::Cow;

use ndarray::array;
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::neurons::NeuronType;
use netdsl_core::models::processes::{Sines, WhiteSignal};
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, Network, NodeOutput, ProbeOf, ProbeSpec,
    Transform,
};
use netdsl_core::plan::{OpKind, ProbeAttr};
use netdsl_core::sim::Simulator;

mod counting_alloc;

use counting_alloc::{count, turn};

/// A user state shared by two stage nodes.
struct Gains {
    g: Vec<f64>,
}

fn stage_scale(s: &mut dyn Any, _t: f64, x: &[f64], out: &mut [f64]) {
    let s = s.downcast_mut::<Gains>().expect("Gains");
    for ((o, x), g) in out.iter_mut().zip(x).zip(&s.g) {
        *o = x * g;
    }
}

fn stage_adapt(s: &mut dyn Any, _t: f64, x: &[f64], out: &mut [f64]) {
    let s = s.downcast_mut::<Gains>().expect("Gains");
    if x[0] > 0.0 {
        for g in &mut s.g {
            *g *= 0.9999;
        }
    }
    out.copy_from_slice(&x[..out.len()]);
}

fn func(size_out: usize, f: fn(&[f64], &mut [f64])) -> Option<Function> {
    Some(Function {
        size_out,
        f: Box::new(f),
        text: Cow::Borrowed("f"),
    })
}

fn every_op_network() -> Network {
    let mut net = Network::new("every_op");
    let gains = net.add_state("gains", Gains { g: vec![1.0; 2] });
    // Nodes of each form.
    let konst = net.add_node("konst", 0, 1, NodeOutput::Constant(vec![0.25]));
    let sine = net.add_node(
        "sine",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (6.0 * t).sin())),
    );
    let tin = net.add_node(
        "tin",
        2,
        2,
        NodeOutput::TimeInput(Box::new(|t, x, o| {
            o[0] = x[0] + t;
            o[1] = x[1] * 0.5;
        })),
    );
    let pass = net.add_node("pass", 2, 2, NodeOutput::Passthrough);
    let sines = net.add_node(
        "sines",
        0,
        3,
        NodeOutput::Process(Box::new(Sines {
            dims: 3,
            period: 4.0,
        })),
    );
    let white = net.add_node(
        "white",
        0,
        1,
        NodeOutput::Process(Box::new(WhiteSignal::new(1.0, 5.0))),
    );
    let scale = net.add_node(
        "scale",
        2,
        2,
        NodeOutput::Stage {
            state: gains,
            method: Cow::Borrowed("scale"),
            call: stage_scale,
        },
    );
    let adapt = net.add_node(
        "adapt",
        3,
        2,
        NodeOutput::Stage {
            state: gains,
            method: Cow::Borrowed("adapt"),
            call: stage_adapt,
        },
    );
    // Ensembles: LIF (1-D and 2-D), a rate ensemble, a Direct ensemble.
    let a = net.add_ensemble("a", EnsembleSpec::new(40, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(50, 2));
    let mut rs = EnsembleSpec::new(20, 1);
    rs.neuron_type = NeuronType::rectified_linear();
    let r = net.add_ensemble("r", rs);
    let mut ds = EnsembleSpec::new(1, 2);
    ds.neuron_type = NeuronType::Direct;
    let d = net.add_ensemble("d", ds);
    let post = net.add_ensemble("post", EnsembleSpec::new(30, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(30, 1));
    let mpost = net.add_ensemble("mpost", EnsembleSpec::new(40, 1));
    let merr = net.add_ensemble("merr", EnsembleSpec::new(30, 1));

    let c = |pre, post| ConnectionSpec::new(pre, post);
    use Endpoint::{Learning, Neurons, Value};
    net.connect(c(Value(sine), Value(a)));
    let mut k = c(Value(konst), Value(tin));
    k.post_slice = Some(0..1);
    k.synapse = None;
    net.connect(k);
    let mut k = c(Value(white), Value(tin));
    k.post_slice = Some(1..2);
    k.synapse = Some(Synapse::Alpha(0.005));
    net.connect(k);
    let mut k = c(Value(tin), Value(pass));
    k.synapse = None;
    net.connect(k);
    net.connect(c(Value(pass), Value(b)));
    let mut k = c(Value(sines), Value(d));
    k.pre_slice = Some(0..2);
    k.transform = Transform::Diagonal(vec![1.0, -1.0]);
    net.connect(k);
    let mut k = c(Value(d), Value(r));
    k.function = func(1, |x, o| o[0] = x[0] * x[1]);
    net.connect(k);
    let mut k = c(Value(b), Value(scale));
    k.transform = Transform::Matrix(array![[1.0, 0.5], [-0.5, 1.0]]);
    net.connect(k);
    let mut k = c(Value(scale), Value(adapt));
    k.post_slice = Some(0..2);
    k.synapse = None;
    net.connect(k);
    let mut k = c(Value(a), Value(adapt));
    k.post_slice = Some(2..3);
    net.connect(k);
    let mut k = c(Value(adapt), Neurons(r));
    k.transform = Transform::Matrix(ndarray::Array2::from_elem((20, 2), 0.1));
    net.connect(k);
    let mut k = c(Neurons(a), Neurons(post));
    k.transform = Transform::Matrix(ndarray::Array2::from_elem((30, 40), 1e-4));
    net.connect(k);
    // PES on a decoded connection.
    let mut k = c(Value(a), Value(post));
    k.learning = Some(LearningRule::pes());
    k.function = func(1, |_, o| o[0] = 0.0);
    let pes = net.connect(k);
    net.connect(c(Value(post), Value(err)));
    let mut k = c(Value(a), Value(err));
    k.transform = Transform::Scalar(-1.0);
    net.connect(k);
    net.connect(c(Value(err), Learning(pes)));
    // mPES on a neuron connection.
    let mut k = c(Neurons(a), Neurons(mpost));
    k.learning = Some(LearningRule::mpes());
    let mpes = net.connect(k);
    net.connect(c(Value(mpost), Value(merr)));
    let mut k = c(Value(a), Value(merr));
    k.transform = Transform::Scalar(-1.0);
    net.connect(k);
    net.connect(c(Value(merr), Learning(mpes)));
    // Every other neuron type (scalar steps, rates-to-spikes with their generators), driven by
    // the constant node, with their state probed.
    for (k, nt) in [
        NeuronType::adaptive_lif(),
        NeuronType::adaptive_lif_rate(),
        NeuronType::izhikevich(),
        NeuronType::sigmoid(),
        NeuronType::tanh(),
        NeuronType::regular_spiking(NeuronType::adaptive_lif_rate()),
        NeuronType::stochastic_spiking(NeuronType::tanh()),
        NeuronType::poisson_spiking(NeuronType::lif()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = EnsembleSpec::new(8, 1);
        e.neuron_type = nt;
        e.max_rates = netdsl_core::nef::dists::Dist::Uniform {
            low: 250.0,
            high: 350.0,
        };
        e.eval_points = netdsl_core::nef::dists::VecDist::Fixed(ndarray::Array2::from_shape_fn(
            (11, 1),
            |(i, _)| i as f64 / 5.0 - 1.0,
        ));
        let id = net.add_ensemble(format!("extra{k}"), e);
        net.connect(c(Value(konst), Value(id)));
        net.probe(
            format!("extra{k}_out"),
            ProbeSpec::new(ProbeOf::Item(id), ProbeAttr::Spikes),
        );
    }
    // Probes: decoded with a synapse, spikes every step, voltage with sample_every, weights,
    // node outputs, an error.
    let mut p = ProbeSpec::new(ProbeOf::Item(post), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("post", p);
    net.probe(
        "a_spikes",
        ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Spikes),
    );
    let mut p = ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Voltage);
    p.sample_every = Some(0.005);
    net.probe("b_voltage", p);
    let mut p = ProbeSpec::new(ProbeOf::Conn(mpes), ProbeAttr::Weights);
    p.sample_every = Some(0.01);
    net.probe("mpes_w", p);
    let mut p = ProbeSpec::new(ProbeOf::Conn(pes), ProbeAttr::Weights);
    p.synapse = Some(Synapse::Lowpass(0.005));
    net.probe("pes_w", p);
    net.probe(
        "adapt",
        ProbeSpec::new(ProbeOf::Item(adapt), ProbeAttr::Value),
    );
    net.probe("r", ProbeSpec::new(ProbeOf::Item(r), ProbeAttr::Spikes));
    net.probe("err", ProbeSpec::new(ProbeOf::Conn(pes), ProbeAttr::Error));
    net
}

#[test]
fn run_steps_allocates_nothing_but_probe_reservations() {
    let _turn = turn();
    // The counter really sees allocations (else every bound below would hold vacuously).
    let (v, n) = count(|| std::hint::black_box(vec![1u8; 64]));
    assert!(
        n >= 1 && v.len() == 64,
        "the counting allocator is not installed"
    );
    let net = every_op_network();
    let n_probes = net.probes.len();
    let mut sim = Simulator::new(net, 0.001).expect("builds");
    sim.set_progress(false);
    // The network really has every op kind the runtime steps.
    let kinds: Vec<OpKind> = sim.plan().ops.iter().map(|o| o.kind).collect();
    for k in [
        OpKind::Time,
        OpKind::Reset,
        OpKind::Bias,
        OpKind::Encode,
        OpKind::Neurons,
        OpKind::Node,
        OpKind::Function,
        OpKind::Weights,
        OpKind::Synapse,
        OpKind::ProbeSynapse,
        OpKind::PreFilter,
        OpKind::Inc,
        OpKind::GainInc,
        OpKind::LocalError,
        OpKind::Pes,
        OpKind::ApplyDelta,
        OpKind::MemristorFilter,
        OpKind::MemristorPulse,
        OpKind::Copy,
        OpKind::Probe,
    ] {
        assert!(kinds.contains(&k), "the test network has no {k:?} op");
    }
    let bound = 2 * n_probes;
    let (r, first) = count(|| sim.run_steps(300));
    r.expect("runs");
    assert!(first <= bound, "first run_steps(300): {first} allocations");
    for steps in [1, 1000, 3000] {
        let (r, n) = count(|| sim.run_steps(steps));
        r.expect("runs");
        assert!(
            n <= bound,
            "run_steps({steps}) made {n} allocations (only {bound} probe reservations allowed)"
        );
    }
    // Without probes to grow, stepping allocates nothing at all.
    let mut net = every_op_network();
    net.probes.clear();
    let mut sim = Simulator::new(net, 0.001).expect("builds");
    sim.set_progress(false);
    sim.run_steps(10).expect("runs");
    let (r, n) = count(|| sim.run_steps(2000));
    r.expect("runs");
    assert_eq!(n, 0, "stepping without probes allocated {n} times");
    assert!(sim.data_dyn("post").is_none());
}

#[test]
fn stepping_on_two_threads_allocates_nothing() {
    let _turn = turn();
    // The every-op network plus three chained 400-neuron ensembles: a level of independent
    // neuron updates big enough for `set_threads` to share.
    let mut net = every_op_network();
    net.probes.clear();
    let src = net.add_node("src", 0, 1, NodeOutput::Constant(vec![0.3]));
    let mut prev = Endpoint::Value(src);
    for k in 0..3 {
        let e = net.add_ensemble(format!("big{k}"), EnsembleSpec::new(400, 1));
        net.connect(ConnectionSpec::new(prev, Endpoint::Value(e)));
        prev = Endpoint::Value(e);
    }
    let mut sim = Simulator::new(net, 0.001).expect("builds");
    sim.set_progress(false);
    assert_eq!(sim.set_threads(2), 2, "the big ensembles are worth sharing");
    sim.run_steps(10).expect("runs");
    let (r, n) = count(|| sim.run_steps(2000));
    r.expect("runs");
    assert_eq!(n, 0, "stepping on two threads allocated {n} times");
}
