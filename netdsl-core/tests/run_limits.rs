//! Durations and probe memory a run is refused for, before its first step (issue 15): negative,
//! NaN, infinite and astronomically long runs, a step counter that would overflow, and probes
//! that would not fit in the simulator's probe-memory limit. A refused run changes nothing.

use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

/// A clock node with a probe of `sample_every` (None: every step).
fn clock(sample_every: Option<f64>) -> Simulator {
    let mut net = Network::new("clock");
    let src = net.add_node("src", 0, 2, NodeOutput::Time(Box::new(|t, o| o.fill(t))));
    let mut p = ProbeSpec::new(ProbeOf::Item(src), ProbeAttr::Value);
    p.sample_every = sample_every;
    net.probe("src", p);
    Simulator::new(net, 0.001).expect("build")
}

#[test]
fn durations_that_are_not_a_number_of_steps_are_refused() {
    let mut sim = clock(None);
    sim.run_steps(3).expect("runs");
    for seconds in [
        -1.0,
        -1e-9,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
    ] {
        let err = sim.run(seconds).expect_err("refused");
        assert_eq!(err.op, "run", "{err}");
        assert_eq!(err.op_index, None);
        assert_eq!(err.step, 3, "{err}");
    }
    // Nothing ran and nothing was recorded.
    assert_eq!(sim.n_steps(), 3);
    assert_eq!(sim.data("src").nrows(), 3);
    sim.run(0.0).expect("a zero duration runs nothing");
    sim.run(0.002).expect("runs");
    assert_eq!(sim.n_steps(), 5);
}

#[test]
fn a_run_whose_probes_do_not_fit_is_refused_with_the_bytes_it_needs() {
    let mut sim = clock(None);
    // 1e10 steps of 2 values + the step number: 240 GB, over the 8 GiB default.
    let err = sim.run_steps(10_000_000_000).expect_err("refused");
    assert_eq!(err.op, "run");
    assert!(err.message.contains("240.000 GB"), "{err}");
    assert!(err.message.contains("stream"), "{err}");
    assert_eq!(sim.n_steps(), 0);
    // A limit of 1 kB: 41 steps (984 bytes) fit, 42 (1008 bytes) would not.
    sim.set_probe_memory_limit(1000);
    sim.run_steps(41).expect("fits");
    let err = sim
        .run_steps(1)
        .expect_err("the 42nd sample is over the limit");
    assert!(err.message.contains("0.000 GB"), "{err}");
    assert_eq!(sim.data("src").nrows(), 41);
    sim.set_probe_memory_limit(u64::MAX);
    sim.run_steps(1).expect("fits again");
    assert_eq!(sim.data("src").nrows(), 42);
}

#[test]
fn sparse_probes_are_sized_without_visiting_every_step() {
    // One sample every 1000 steps: 1e12 steps would be 1e9 samples, 24 GB; refused at once
    // (counting step by step would take minutes).
    let mut sim = clock(Some(1.0));
    let start = std::time::Instant::now();
    let err = sim.run_steps(1_000_000_000_000).expect_err("refused");
    assert!(start.elapsed().as_secs_f64() < 1.0);
    assert!(err.message.contains("GB"), "{err}");
    // The same probe over 10,000 steps records 10 samples.
    sim.run_steps(10_000).expect("runs");
    assert_eq!(sim.data("src").nrows(), 10);
}

#[test]
fn a_step_counter_overflow_is_refused() {
    let mut sim = clock(None);
    sim.set_probe_memory_limit(u64::MAX);
    sim.run_steps(1).expect("runs");
    let err = sim.run_steps(u64::MAX).expect_err("overflow");
    assert!(err.message.contains("overflow"), "{err}");
    assert_eq!(sim.n_steps(), 1);
}
