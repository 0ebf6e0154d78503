//! `Simulator::set_threads`: the multi-threaded step gives bit-identical results to the
//! single-threaded one, reports errors as it does, and is not used where it cannot pay.

use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::{SimOptions, Simulator};

fn probe(net: &mut Network, name: &str, of: ProbeOf, attr: ProbeAttr, syn: Option<Synapse>) {
    let mut p = ProbeSpec::new(of, attr);
    p.synapse = syn;
    net.probe(name, p);
}

/// A chain of five 400-neuron ensembles (one level of five independent neuron updates: enough
/// shared work), a 2-D ensemble fed through a slice, a PES-learned connection, a stateful node
/// whose output depends on the call order, and probes of values, spikes, voltages and weights.
/// `bad_at`: the node's output turns NaN from that time on.
fn network(seed: u64, bad_at: Option<f64>) -> Network {
    let mut net = Network::new("threads");
    net.seed = seed;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(move |t, o| {
            o[0] = match bad_at {
                Some(b) if t > b => f64::NAN,
                _ => (2.0 * std::f64::consts::PI * t).sin(),
            }
        })),
    );
    // A counter: its output changes if the node were called out of order or twice.
    let mut calls = 0.0;
    let counter = net.add_node(
        "counter",
        1,
        1,
        NodeOutput::TimeInput(Box::new(move |_, x, o| {
            calls += 1.0;
            o[0] = x[0] * 0.5 + (calls % 7.0) * 1e-3;
        })),
    );
    let mut prev = Endpoint::Value(inp);
    let mut ens = Vec::new();
    for k in 0..5 {
        let e = net.add_ensemble(format!("e{k}"), EnsembleSpec::new(400, 1));
        net.connect(ConnectionSpec::new(prev, Endpoint::Value(e)));
        prev = Endpoint::Value(e);
        ens.push(e);
    }
    net.connect(ConnectionSpec::new(prev, Endpoint::Value(counter)));
    let two = net.add_ensemble("two", EnsembleSpec::new(300, 2));
    let mut c = ConnectionSpec::new(Endpoint::Value(ens[1]), Endpoint::Value(two));
    c.post_slice = Some(1..2);
    net.connect(c);
    let mut learned = ConnectionSpec::new(Endpoint::Value(ens[2]), Endpoint::Value(ens[4]));
    learned.learning = Some(LearningRule::pes());
    learned.label = Some("learned".into());
    let learned = net.connect(learned);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(counter),
        Endpoint::Learning(learned),
    ));
    let lp = Some(Synapse::Lowpass(0.01));
    probe(
        &mut net,
        "e4",
        ProbeOf::Item(ens[4]),
        ProbeAttr::Value,
        lp.clone(),
    );
    probe(&mut net, "two", ProbeOf::Item(two), ProbeAttr::Value, lp);
    probe(
        &mut net,
        "counter",
        ProbeOf::Item(counter),
        ProbeAttr::Value,
        None,
    );
    probe(
        &mut net,
        "spikes",
        ProbeOf::Item(ens[3]),
        ProbeAttr::Spikes,
        None,
    );
    probe(
        &mut net,
        "voltage",
        ProbeOf::Item(ens[0]),
        ProbeAttr::Voltage,
        None,
    );
    probe(
        &mut net,
        "weights",
        ProbeOf::Conn(learned),
        ProbeAttr::Weights,
        None,
    );
    net
}

const PROBES: [&str; 6] = ["e4", "two", "counter", "spikes", "voltage", "weights"];

fn bits(sim: &Simulator, name: &str) -> Vec<u64> {
    sim.data(name).iter().map(|v| v.to_bits()).collect()
}

#[test]
fn two_threads_give_the_same_bits_as_one() {
    for seed in [1, 2] {
        let mut one = Simulator::new(network(seed, None), 0.001).expect("build");
        let mut two = Simulator::new(network(seed, None), 0.001).expect("build");
        assert_eq!(one.set_threads(1), 1);
        assert_eq!(
            two.set_threads(2),
            2,
            "five 400-neuron updates are worth sharing"
        );
        assert_eq!(two.threads(), 2);
        // Several runs, so that the workers park and wake between them.
        for steps in [150, 1, 149] {
            one.run_steps(steps).expect("run");
            two.run_steps(steps).expect("run");
        }
        for name in PROBES {
            assert_eq!(
                bits(&one, name),
                bits(&two, name),
                "probe {name}, seed {seed}"
            );
        }
        // Back to one thread mid-run, and reset.
        two.set_threads(1);
        one.run_steps(20).expect("run");
        two.run_steps(20).expect("run");
        assert_eq!(bits(&one, "e4"), bits(&two, "e4"));
        two.reset();
        two.set_threads(2);
        two.run_steps(320).expect("run");
        assert_eq!(bits(&one, "e4"), bits(&two, "e4"), "after reset");
    }
}

#[test]
fn errors_name_the_same_op_and_step_with_threads() {
    let mut one = Simulator::new(network(3, Some(0.0405)), 0.001).expect("build");
    let mut two = Simulator::new(network(3, Some(0.0405)), 0.001).expect("build");
    assert_eq!(two.set_threads(2), 2);
    let e1 = one.run_steps(100).expect_err("NaN");
    let e2 = two.run_steps(100).expect_err("NaN");
    assert_eq!((e1.step, &e1.op), (e2.step, &e2.op));
    assert_eq!(e1.step, 41);
    for name in PROBES {
        assert_eq!(bits(&one, name), bits(&two, name), "kept probe {name}");
    }
}

#[test]
fn small_networks_stay_on_one_thread() {
    let mut net = Network::new("small");
    let inp = net.add_node("inp", 0, 1, NodeOutput::Constant(vec![0.5]));
    let a = net.add_ensemble("a", EnsembleSpec::new(100, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(100, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    net.connect(ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b)));
    let mut sim = Simulator::new(net, 0.001).expect("build");
    assert_eq!(
        sim.set_threads(4),
        1,
        "two 100-neuron updates are not worth a hand-over"
    );
    assert_eq!(sim.threads(), 1);
    sim.run_steps(10).expect("run");
}

/// Two 1000-neuron ensembles with a `weights=True` connection and a decoded probe: two big
/// decoder solves, which the build runs side by side on a machine with more than one CPU.
fn big_pair() -> Network {
    let mut net = Network::new("pair");
    net.seed = 7;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (6.0 * t).sin())),
    );
    let a = net.add_ensemble("a", EnsembleSpec::new(1000, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(1000, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.solver.weights = true;
    net.connect(c);
    probe(
        &mut net,
        "b",
        ProbeOf::Item(b),
        ProbeAttr::Value,
        Some(Synapse::Lowpass(0.01)),
    );
    net
}

#[test]
fn side_by_side_decoder_solves_give_the_same_network() {
    // Two build threads: the two solves side by side (forced, so that this holds on a one-CPU
    // machine too); one build thread: one after the other, each on one thread.
    let build = |threads| {
        let options = SimOptions {
            build_threads: threads,
            ..SimOptions::default()
        };
        Simulator::with_options(big_pair(), 0.001, options).expect("build")
    };
    let (mut side, mut serial) = (build(2), build(1));
    side.run_steps(100).expect("run");
    serial.run_steps(100).expect("run");
    assert_eq!(bits(&side, "b"), bits(&serial, "b"));
}

#[test]
fn a_simulator_with_workers_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let mut sim = Simulator::new(network(4, None), 0.001).expect("build");
    assert_eq!(sim.set_threads(2), 2);
    send(&sim);
    sim.run_steps(5).expect("run");
    let sim = std::thread::spawn(move || {
        sim.run_steps(5).expect("run on another thread");
        sim
    })
    .join()
    .expect("thread");
    assert_eq!(sim.n_steps(), 10);
}

/// A user object with two stages, like a memristor crossbar: `filter` is a dense product with
/// its matrix (plus the number of calls so far, so that a call out of order or twice changes
/// the output), `pulse` lowers the rows whose filter output is positive when the error is
/// positive. Each object logs its calls.
struct Crossbar {
    n: usize,
    w: Vec<f64>,
    calls: u64,
    log: Vec<&'static str>,
    panic_at: Option<u64>,
    nan_at: Option<u64>,
}

fn crossbar(s: &mut dyn std::any::Any) -> &mut Crossbar {
    s.downcast_mut::<Crossbar>().expect("a Crossbar")
}

fn cb_filter(s: &mut dyn std::any::Any, _t: f64, x: &[f64], out: &mut [f64]) {
    let c = crossbar(s);
    c.calls += 1;
    if c.panic_at == Some(c.calls) {
        panic!("crossbar filter failed at call {}", c.calls);
    }
    c.log.push("filter");
    for (j, o) in out.iter_mut().enumerate() {
        let row = &c.w[j * c.n..(j + 1) * c.n];
        *o = row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + c.calls as f64 * 1e-6;
    }
    if c.nan_at == Some(c.calls) {
        out[7] = f64::NAN;
    }
}

fn cb_pulse(s: &mut dyn std::any::Any, _t: f64, x: &[f64], out: &mut [f64]) {
    let c = crossbar(s);
    c.log.push("pulse");
    let (o, err) = x.split_at(c.n);
    if err[0] > 0.0 {
        for (j, &v) in o.iter().enumerate() {
            if v > 0.0 {
                c.w[j * c.n..(j + 1) * c.n]
                    .iter_mut()
                    .for_each(|w| *w *= 0.999);
            }
        }
    }
    out.copy_from_slice(o);
}

/// The seed network's shape: two crossbars (objects `exc`, `inh`) between `pre.neurons` and
/// `post.neurons`, each stepped as a filter stage and a pulse stage. The `inh` object's filter
/// (node `fm`) panics at call `panic_at` and outputs a NaN at call `nan_at`.
fn crossbars(panic_at: Option<u64>, nan_at: Option<u64>) -> Network {
    let n = 120;
    let mut net = Network::new("crossbars");
    net.seed = 5;
    let mut rng = netdsl_core::nef::rng::Rng::new(3);
    let mut object = |net: &mut Network, name: &str, panic_at, nan_at| {
        let w = (0..n * n).map(|_| rng.uniform(-0.02, 0.05)).collect();
        net.add_state(
            name,
            Crossbar {
                n,
                w,
                calls: 0,
                log: Vec::new(),
                panic_at,
                nan_at,
            },
        )
    };
    let exc = object(&mut net, "exc", None, None);
    let inh = object(&mut net, "inh", panic_at, nan_at);
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (5.0 * t).sin())),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(50, 1));
    let stage = |state, method: &'static str, call| NodeOutput::Stage {
        state,
        method: method.into(),
        call,
    };
    let fp = net.add_node("fp", n, n, stage(exc, "filter", cb_filter));
    let fm = net.add_node("fm", n, n, stage(inh, "filter", cb_filter));
    let pp = net.add_node("pp", n + 1, n, stage(exc, "pulse", cb_pulse));
    let pm = net.add_node("pm", n + 1, n, stage(inh, "pulse", cb_pulse));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(pre),
    ));
    for f in [fp, fm] {
        let mut c = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Value(f));
        c.synapse = Some(Synapse::Lowpass(0.01));
        net.connect(c);
    }
    for (f, sign) in [(fp, 1.0), (fm, -1.0)] {
        let mut c = ConnectionSpec::new(Endpoint::Value(f), Endpoint::Neurons(post));
        c.synapse = None;
        c.transform = Transform::Scalar(sign);
        net.connect(c);
    }
    let mut c = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(err));
    c.transform = Transform::Scalar(-1.0);
    net.connect(c);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(post),
        Endpoint::Value(err),
    ));
    for (f, p) in [(fp, pp), (fm, pm)] {
        let mut c = ConnectionSpec::new(Endpoint::Value(f), Endpoint::Value(p));
        c.synapse = None;
        c.post_slice = Some(0..n);
        net.connect(c);
        let mut c = ConnectionSpec::new(Endpoint::Value(err), Endpoint::Value(p));
        c.post_slice = Some(n..n + 1);
        net.connect(c);
    }
    probe(
        &mut net,
        "post",
        ProbeOf::Item(post),
        ProbeAttr::Value,
        Some(Synapse::Lowpass(0.01)),
    );
    probe(&mut net, "pp", ProbeOf::Item(pp), ProbeAttr::Value, None);
    probe(&mut net, "pm", ProbeOf::Item(pm), ProbeAttr::Value, None);
    net
}

#[test]
fn stage_calls_of_two_objects_may_share_a_step_and_keep_each_objects_order() {
    let mut one = Simulator::new(crossbars(None, None), 0.001).expect("build");
    let mut two = Simulator::new(crossbars(None, None), 0.001).expect("build");
    assert_eq!(
        two.set_threads(2),
        2,
        "two 120 × 120 filter stages of different objects are worth sharing"
    );
    for steps in [100, 1, 99] {
        one.run_steps(steps).expect("run");
        two.run_steps(steps).expect("run");
    }
    for name in ["post", "pp", "pm"] {
        assert_eq!(bits(&one, name), bits(&two, name), "probe {name}");
    }
    for name in ["exc", "inh"] {
        let log = &two.state::<Crossbar>(name).expect("state").log;
        assert_eq!(
            log.len(),
            400,
            "{name}: one filter and one pulse call per step"
        );
        assert!(
            log.chunks(2).all(|c| c == ["filter", "pulse"]),
            "{name}: filter before pulse every step"
        );
        assert_eq!(log, &one.state::<Crossbar>(name).expect("state").log);
    }
}

#[test]
fn a_panic_in_a_stage_call_reaches_the_caller_with_threads() {
    for threads in [1, 2] {
        let mut sim = Simulator::new(crossbars(Some(30), None), 0.001).expect("build");
        assert_eq!(sim.set_threads(threads), threads);
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim.run_steps(50)));
        let payload = run.expect_err("the stage panics at its 30th call");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("crossbar filter failed at call 30"),
            "{threads} threads: {message}"
        );
        assert_eq!(sim.n_steps(), 29, "{threads} threads");
    }
}

#[test]
fn a_stage_call_error_on_a_worker_names_the_same_op_and_step() {
    let mut one = Simulator::new(crossbars(None, Some(40)), 0.001).expect("build");
    let mut two = Simulator::new(crossbars(None, Some(40)), 0.001).expect("build");
    assert_eq!(two.set_threads(2), 2);
    let e1 = one.run_steps(60).expect_err("NaN");
    let e2 = two.run_steps(60).expect_err("NaN");
    assert_eq!((e1.step, &e1.op), (e2.step, &e2.op));
    assert_eq!(e1.step, 40);
    assert!(e1.op.contains("fm"), "the inh filter node: {}", e1.op);
    for name in ["post", "pp", "pm"] {
        assert_eq!(bits(&one, name), bits(&two, name), "kept probe {name}");
    }
}

/// A 120 × 100 memristive connection (large enough for the pulse helper), learning a square,
/// next to a decoded connection with a big decoder solve (1000 neurons).
fn memristive() -> Network {
    let mut net = Network::new("memristive");
    net.seed = 11;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (6.0 * t).sin())),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(120, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(100, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(100, 1));
    let big = net.add_ensemble("big", EnsembleSpec::new(1000, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(pre),
    ));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(pre),
        Endpoint::Value(big),
    ));
    let mut m = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    m.transform = Transform::Matrix(ndarray::Array2::zeros((100, 120)));
    m.learning = Some(LearningRule::Mpes {
        gain: 1e4,
        threshold: 1e-5,
        pre_synapse: Some(Synapse::Lowpass(0.005)),
        model: Default::default(),
        variability: netdsl_core::models::memristor::Variability::uniform(0.15),
        seed: Some(3),
    });
    m.label = Some("m".into());
    let m = net.connect(m);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(post),
        Endpoint::Value(err),
    ));
    let mut sq = ConnectionSpec::new(Endpoint::Value(big), Endpoint::Value(err));
    sq.function = Some(Function {
        size_out: 1,
        f: Box::new(|x, o| o[0] = x[0] * x[0]),
        text: "|x| [x[0] * x[0]]".into(),
    });
    sq.transform = Transform::Scalar(-1.0);
    net.connect(sq);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(err),
        Endpoint::Learning(m),
    ));
    let lp = Some(Synapse::Lowpass(0.01));
    probe(&mut net, "post", ProbeOf::Item(post), ProbeAttr::Value, lp);
    probe(&mut net, "w", ProbeOf::Conn(m), ProbeAttr::Weights, None);
    probe(&mut net, "big", ProbeOf::Item(big), ProbeAttr::Value, None);
    net
}

#[test]
fn every_thread_count_of_every_kind_gives_the_same_bits() {
    let run = |options: SimOptions| {
        let mut sim = Simulator::with_options(memristive(), 0.001, options).expect("build");
        sim.run_steps(150).expect("run");
        (bits(&sim, "post"), bits(&sim, "w"), bits(&sim, "big"))
    };
    let reference = run(SimOptions::single_threaded());
    for step_threads in [1, 2] {
        for pulse_threads in [1, 2] {
            for build_threads in [1, 3] {
                let options = SimOptions {
                    step_threads,
                    pulse_threads,
                    build_threads,
                    ..SimOptions::default()
                };
                assert!(run(options) == reference, "{options:?}");
            }
        }
    }
}
