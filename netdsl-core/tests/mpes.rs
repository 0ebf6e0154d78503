//! The memristive `pre.neurons → post.neurons` connection in running networks: plan order of its
//! filter and pulse stages, zero initial weights without noise, learning, the error gate, the
//! filter stage checked by hand, PES on the same connection as a control, and determinism.

use ndarray::Array2;
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::memristor::{Device, DeviceModel, PowerLaw, Variability};
use netdsl_core::models::processes::Sines;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

const DT: f64 = 0.001;

fn mpes(variability: Variability) -> LearningRule {
    LearningRule::Mpes {
        gain: 1e4,
        threshold: 1e-5,
        pre_synapse: Some(Synapse::Lowpass(0.005)),
        model: Device::default(),
        variability,
        seed: None,
    }
}

#[derive(Clone)]
struct Opts {
    n: usize,
    d: usize,
    rule: Option<LearningRule>,
    /// Connect the error to the rule.
    error: bool,
    /// The error ensemble is silenced from this step on.
    stop_step: u64,
    seed: u64,
}

impl Opts {
    fn new(rule: Option<LearningRule>) -> Self {
        Opts {
            n: 10,
            d: 1,
            rule,
            error: true,
            stop_step: u64::MAX,
            seed: 3,
        }
    }
}

/// The Frontiers network (learn the identity), scaled by `o`. Connection 0 is the learned one,
/// labelled `learned`.
fn network(o: &Opts) -> Network {
    let (n, d) = (o.n, o.d);
    let mut net = Network::new("mpes_test");
    net.seed = o.seed;
    let input = net.add_node(
        "input",
        0,
        d,
        NodeOutput::Process(Box::new(Sines {
            dims: d,
            period: 4.0,
        })),
    );
    let stop_step = o.stop_step;
    let stop = net.add_node(
        "stop",
        0,
        1,
        NodeOutput::Time(Box::new(move |t, out| {
            out[0] = if (t / DT).round() as u64 >= stop_step {
                1.0
            } else {
                0.0
            };
        })),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, d));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, d));
    let error = net.add_ensemble(
        "error",
        EnsembleSpec {
            radius: 2.0,
            ..EnsembleSpec::new(n, d)
        },
    );
    let mut c = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    c.transform = Transform::Matrix(Array2::zeros((n, n)));
    c.learning = o.rule.clone();
    c.label = Some("learned".into());
    let learned = net.connect(c);
    if o.error && o.rule.is_some() {
        net.connect(ConnectionSpec::new(
            Endpoint::Value(error),
            Endpoint::Learning(learned),
        ));
    }
    net.connect(ConnectionSpec::new(
        Endpoint::Value(post),
        Endpoint::Value(error),
    ));
    let mut target = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(error));
    target.transform = Transform::Scalar(-1.0);
    net.connect(target);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(input),
        Endpoint::Value(pre),
    ));
    let mut inhibit = ConnectionSpec::new(Endpoint::Value(stop), Endpoint::Neurons(error));
    inhibit.transform = Transform::Matrix(Array2::from_elem((n, 1), -20.0));
    net.connect(inhibit);
    let filtered = |attr| ProbeSpec {
        synapse: Some(Synapse::Lowpass(0.01)),
        ..ProbeSpec::new(ProbeOf::Item(pre), attr)
    };
    net.probe("pre", filtered(ProbeAttr::Value));
    net.probe(
        "post",
        ProbeSpec {
            target: ProbeOf::Item(post),
            ..filtered(ProbeAttr::Value)
        },
    );
    net.probe(
        "error",
        ProbeSpec {
            target: ProbeOf::Item(error),
            ..filtered(ProbeAttr::Value)
        },
    );
    net.probe(
        "pre_spikes",
        ProbeSpec::new(ProbeOf::Item(pre), ProbeAttr::Spikes),
    );
    net.probe(
        "post_j",
        ProbeSpec::new(ProbeOf::Item(post), ProbeAttr::Input),
    );
    net.probe(
        "conn_out",
        ProbeSpec::new(ProbeOf::Conn(learned), ProbeAttr::Output),
    );
    net.probe(
        "weights",
        ProbeSpec {
            sample_every: Some(0.1),
            ..ProbeSpec::new(ProbeOf::Conn(learned), ProbeAttr::Weights)
        },
    );
    if matches!(o.rule, Some(LearningRule::Mpes { .. })) {
        for (name, attr) in [
            ("r_pos", ProbeAttr::ResistancePos),
            ("r_neg", ProbeAttr::ResistanceNeg),
        ] {
            net.probe(
                name,
                ProbeSpec {
                    sample_every: Some(0.1),
                    ..ProbeSpec::new(ProbeOf::Conn(learned), attr)
                },
            );
        }
    }
    net
}

fn sim(o: &Opts) -> Simulator {
    let mut s = Simulator::new(network(o), DT).expect("build");
    s.set_progress(false);
    s
}

/// Mean |post − pre| (decoded, filtered) over samples `range`.
fn mean_abs_error(s: &Simulator, range: std::ops::Range<usize>) -> f64 {
    let (pre, post) = (s.data("pre"), s.data("post"));
    let mut sum = 0.0;
    let mut k = 0;
    for r in range {
        for c in 0..pre.ncols() {
            sum += (post[[r, c]] - pre[[r, c]]).abs();
            k += 1;
        }
    }
    sum / k as f64
}

/// Mean |post − pre| over the last 2 s of 8 s of `o` with the error
/// disconnected (weights stay at their initial values).
fn unlearned_error(o: &Opts) -> f64 {
    let mut s = sim(&Opts {
        error: false,
        ..o.clone()
    });
    s.run_steps(8000).unwrap();
    mean_abs_error(&s, 6000..8000)
}

#[test]
fn plan_has_filter_before_pulse_and_pulse_is_an_update() {
    let s = sim(&Opts::new(Some(mpes(Variability::NONE))));
    let text = s.plan().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let find = |kind: &str| {
        lines
            .iter()
            .position(|l| {
                let mut w = l.split_whitespace().skip(1);
                w.next() == Some(kind) && w.next() == Some("learned")
            })
            .unwrap_or_else(|| panic!("no `{kind} learned` op in\n{text}"))
    };
    let (filter, pulse) = (find("filter"), find("pulse"));
    assert!(filter < pulse, "filter after pulse:\n{text}");
    // The filter reads the device weights and the pre spikes and sets the weighted output;
    // the pulse reads the filtered activities and the local error and updates the devices.
    assert!(
        lines[filter].contains("sets learned.weighted"),
        "{}",
        lines[filter]
    );
    assert!(
        lines[filter].contains("reads pre.spikes"),
        "{}",
        lines[filter]
    );
    let p = lines[pulse];
    assert!(p.contains("reads learned.acts"), "{p}");
    assert!(p.contains("learned.local_error"), "{p}");
    assert!(
        p.contains("updates learned.weights")
            && p.contains("learned.r_pos")
            && p.contains("learned.r_neg"),
        "{p}"
    );
    assert!(!p.contains("sets") && !p.contains("incs"), "{p}");
    // The local error is computed before the pulse reads it, the synapse injects into post J
    // with the post gain.
    assert!(find("local-error") < pulse);
    let gain_inc = lines[find("gain-inc")];
    assert!(
        gain_inc.contains("incs post.J") && gain_inc.contains("reads learned.syn"),
        "{gain_inc}"
    );
    let syn = lines[find("synapse")];
    assert!(
        syn.contains("reads learned.weighted") && syn.contains("updates learned.syn"),
        "{syn}"
    );
}

#[test]
fn noise_off_weights_start_at_zero_and_post_gets_nothing() {
    // No error into the rule: the gate stays closed, so the weights stay at their initial value.
    let o = Opts {
        error: false,
        ..Opts::new(Some(mpes(Variability::NONE)))
    };
    let mut s = sim(&o);
    let a = &s.memristors()[0];
    assert_eq!((a.n_post(), a.n_pre()), (10, 10));
    assert!(a.weights().iter().all(|&w| w == 0.0));
    assert!(a.r_pos().iter().chain(a.r_neg()).all(|&r| r == 1e8));
    s.run_steps(500).unwrap();
    assert_eq!(s.memristors()[0].total_pulses(), 0);
    assert!(s.data("weights").iter().all(|&w| w == 0.0));
    assert!(s.data("conn_out").iter().all(|&x| x == 0.0));
    // post's only input is the memristive connection: J is the bias, exactly, every step.
    let bias = s.ensemble("post").unwrap().bias.clone();
    for row in s.data("post_j").rows() {
        assert_eq!(row.to_vec(), bias);
    }
    // The pre neurons did spike (so the zero output is the weights', not the input's).
    assert!(s.data("pre_spikes").iter().any(|&x| x > 0.0));
}

#[test]
fn small_network_learns_and_pulses_stop_once_error_is_silenced() {
    let o = Opts {
        n: 20,
        stop_step: 8000,
        ..Opts::new(Some(mpes(Variability::uniform(0.15))))
    };
    let mut s = sim(&o);
    s.run_steps(8000).unwrap();
    // Learned: over the last 2 s of learning, post tracks pre far better than the same network
    // (same seed, same devices) without an error.
    let late = mean_abs_error(&s, 6000..8000);
    let baseline = unlearned_error(&o);
    assert!(
        late < 0.3 * baseline,
        "error {late} vs {baseline} without learning"
    );
    let learned_pulses = s.memristors()[0].total_pulses();
    assert!(learned_pulses > 100_000, "{learned_pulses}");
    // Error silenced from step 8000: the filtered error decays below the gate within ~0.1 s,
    // then nothing is pulsed any more.
    s.run_steps(300).unwrap();
    let local = s.signal("learned.local_error").expect("local error signal");
    assert!(local.iter().all(|e| e.abs() <= 1e-5), "{local:?}");
    let after = s.memristors()[0].total_pulses();
    let (rp, rn) = (
        s.memristors()[0].r_pos().to_vec(),
        s.memristors()[0].r_neg().to_vec(),
    );
    s.run_steps(1000).unwrap();
    assert_eq!(s.memristors()[0].total_pulses(), after);
    assert_eq!(s.memristors()[0].r_pos(), &rp[..]);
    assert_eq!(s.memristors()[0].r_neg(), &rn[..]);
    // Devices only ever move down (SET pulses only), and the recorded weights are γ(g⁺ − g⁻).
    let (pos, neg) = (s.data("r_pos"), s.data("r_neg"));
    for r in 1..pos.nrows() {
        for c in 0..pos.ncols() {
            assert!(pos[[r, c]] <= pos[[r - 1, c]]);
            assert!(neg[[r, c]] <= neg[[r - 1, c]]);
        }
    }
    let a = &s.memristors()[0];
    let m = PowerLaw::default();
    let w = s.data("weights");
    let last = w.row(w.nrows() - 1);
    for k in 0..a.weights().len() {
        let (pp, pn) = (&a.params_pos()[k], &a.params_neg()[k]);
        let expect = match (pp, pn) {
            (
                netdsl_core::models::memristor::DeviceParams::PowerLaw(pp),
                netdsl_core::models::memristor::DeviceParams::PowerLaw(pn),
            ) => 1e4 * (m.conductance(pp, a.r_pos()[k]) - m.conductance(pn, a.r_neg()[k])),
            _ => unreachable!(),
        };
        assert!((last[k] - expect).abs() <= 1e-12 * expect.abs().max(1e-3));
    }
}

#[test]
fn device_parameters_are_shared_by_the_two_devices_of_a_pair() {
    let s = sim(&Opts::new(Some(mpes(Variability::uniform(0.15)))));
    let a = &s.memristors()[0];
    assert_eq!(a.params_pos(), a.params_neg());
    // ... but the initial resistances are drawn per device.
    assert!(a.r_pos().iter().zip(a.r_neg()).all(|(p, n)| p != n));
    assert!(a.weights().iter().all(|&w| w != 0.0));
}

#[test]
fn filter_stage_injects_post_gain_times_w_spikes_through_the_synapse() {
    // Noise on (non-zero initial weights), no error: W is constant, so the whole run can be
    // recomputed from the recorded pre spikes.
    let o = Opts {
        error: false,
        ..Opts::new(Some(mpes(Variability::uniform(0.15))))
    };
    let mut s = sim(&o);
    let steps = 300;
    s.run_steps(steps).unwrap();
    let a = &s.memristors()[0];
    assert_eq!(a.total_pulses(), 0);
    let (n_post, n_pre) = (a.n_post(), a.n_pre());
    let w = a.weights().to_vec();
    let post = s.ensemble("post").unwrap();
    let (gain, bias) = (post.gain.clone(), post.bias.clone());
    let spikes = s.data("pre_spikes");
    let j = s.data("post_j");
    let out = s.data("conn_out");
    // Lowpass(5 ms), update mode: y[n] = a·y[n−1] + (1 − a)·(W·spikes)[n−1].
    let alpha = (-DT / 0.005).exp();
    let mut y = vec![0.0; n_post];
    let mut weighted_prev = vec![0.0; n_post];
    let mut max_err: f64 = 0.0;
    let mut nonzero = 0;
    for n in 0..steps as usize {
        for r in 0..n_post {
            y[r] = alpha * y[r] + (1.0 - alpha) * weighted_prev[r];
        }
        for r in 0..n_post {
            let expect_j = bias[r] + gain[r] * y[r];
            max_err = max_err.max((j[[n, r]] - expect_j).abs());
            // The output probe records the synapse at the end of step n − 1, after its update:
            // the value post reads in step n.
            if n > 0 {
                max_err = max_err.max((out[[n - 1, r]] - y[r]).abs());
            }
            if y[r] != 0.0 {
                nonzero += 1;
            }
        }
        for (r, wp) in weighted_prev.iter_mut().enumerate() {
            *wp = (0..n_pre).map(|i| w[r * n_pre + i] * spikes[[n, i]]).sum();
        }
    }
    assert!(nonzero > 0, "the connection never injected anything");
    assert!(max_err < 1e-9, "max deviation {max_err}");
}

#[test]
fn pes_on_the_same_neuron_connection_learns() {
    let o = Opts {
        n: 20,
        ..Opts::new(Some(LearningRule::pes()))
    };
    let mut s = sim(&o);
    assert!(s.memristors().is_empty());
    let text = s.plan().to_string();
    assert!(text.contains("pes ") && !text.contains("pulse "), "{text}");
    s.run_steps(8000).unwrap();
    let late = mean_abs_error(&s, 6000..8000);
    let baseline = unlearned_error(&o);
    assert!(
        late < 0.3 * baseline,
        "PES error {late} vs {baseline} without learning"
    );
    let w = s.data("weights");
    assert!(w.row(0).iter().all(|&x| x.abs() < 1e-3));
    assert!(w.row(w.nrows() - 1).iter().any(|&x| x != 0.0));
}

#[test]
fn same_seed_same_probes() {
    let o = Opts {
        stop_step: 1500,
        ..Opts::new(Some(mpes(Variability::uniform(0.15))))
    };
    let run = |seed| {
        let mut s = sim(&Opts { seed, ..o.clone() });
        s.run_steps(2000).unwrap();
        let names = [
            "pre", "post", "error", "weights", "r_pos", "r_neg", "post_j",
        ];
        let data: Vec<Vec<f64>> = names
            .iter()
            .map(|n| s.data(n).iter().copied().collect())
            .collect();
        (data, s.memristors()[0].total_pulses())
    };
    let (a, pa) = run(3);
    let (b, pb) = run(3);
    assert_eq!(pa, pb);
    assert!(pa > 0);
    for (x, y) in a.iter().zip(&b) {
        assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()));
    }
    let (c, _) = run(4);
    assert_ne!(a[4], c[4], "another seed, other devices");
}
