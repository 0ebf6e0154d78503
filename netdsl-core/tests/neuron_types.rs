//! The neuron types beyond Nengo's LIF family that fixtures cannot pin down spike for spike, and
//! the build errors of every type.
//!
//! StochasticSpiking and PoissonSpiking draw from netdsl's generator, not NumPy's `RandomState`
//! (see the status docs): their spikes cannot equal Nengo's, so these tests check Nengo's
//! statistics instead — the mean spike count per step is `dt · rate` of the base type (whose
//! rates, `rate_out`, are exact), and the count is the integer part or one more (stochastic
//! rounding) or Poisson-distributed (variance = mean).

use netdsl_core::models::neurons::NeuronType;
use netdsl_core::nef::dists::{Dist, VecDist};
use netdsl_core::network::{EnsembleSpec, Network, ProbeOf, ProbeSpec};
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

const DT: f64 = 0.001;

/// One ensemble of `n` neurons with constant currents (gain 1, biases spread over `j`), its
/// spikes and base rates probed.
fn population(nt: NeuronType, j: &[f64]) -> Network {
    let mut net = Network::new("pop");
    let mut e = EnsembleSpec::new(j.len(), 1);
    e.neuron_type = nt;
    e.gain = Some(vec![1.0; j.len()]);
    e.bias = Some(j.to_vec());
    e.encoders = VecDist::Fixed(ndarray::Array2::ones((j.len(), 1)));
    e.eval_points = VecDist::Fixed(ndarray::Array2::from_shape_fn((11, 1), |(i, _)| {
        i as f64 / 5.0 - 1.0
    }));
    let id = net.add_ensemble("ens", e);
    net.probe(
        "spikes",
        ProbeSpec::new(ProbeOf::Item(id), ProbeAttr::Spikes),
    );
    net.probe(
        "rate",
        ProbeSpec::new(ProbeOf::Item(id), ProbeAttr::RateOut),
    );
    net
}

/// (mean, variance) of the spike counts per step of each neuron over `steps` steps, and the
/// base rates.
fn counts(nt: NeuronType, j: &[f64], steps: u64) -> (Vec<(f64, f64)>, Vec<f64>, Simulator) {
    let mut sim = Simulator::new(population(nt, j), DT).expect("builds");
    sim.set_progress(false);
    sim.run_steps(steps).expect("runs");
    let s = sim.data("spikes");
    let rate = sim.data("rate").row(0).to_vec();
    let stats = (0..j.len())
        .map(|i| {
            let c: Vec<f64> = s.column(i).iter().map(|x| x * DT).collect();
            let m = c.iter().sum::<f64>() / c.len() as f64;
            let v = c.iter().map(|x| (x - m).powi(2)).sum::<f64>() / c.len() as f64;
            (m, v)
        })
        .collect();
    (stats, rate, sim)
}

#[test]
fn stochastic_spiking_rounds_dt_rate_up_or_down_with_the_right_mean() {
    // LIFRate base, rates from 0 to ~ 2.6 spikes per step (J = 40: 2580 Hz with tau_ref 0).
    let base = NeuronType::LifRate {
        tau_rc: 0.02,
        tau_ref: 0.0,
        amplitude: 1.0,
    };
    let j = [0.5, 1.2, 2.0, 5.0, 40.0];
    let steps = 20_000;
    let (stats, rate, sim) = counts(NeuronType::stochastic_spiking(base), &j, steps);
    let s = sim.data("spikes");
    for (i, ((m, v), r)) in stats.iter().zip(&rate).enumerate() {
        let e = r * DT;
        let (q, f) = (e.trunc(), e.fract());
        // Only q or q + 1 spikes, with probability f of q + 1: mean e, variance f (1 - f).
        assert!(s
            .column(i)
            .iter()
            .all(|&x| x * DT == q || x * DT == q + 1.0));
        let se = (f * (1.0 - f) / steps as f64).sqrt();
        assert!(
            (m - e).abs() <= 5.0 * se + 1e-12,
            "neuron {i}: mean {m} vs {e}"
        );
        assert!(
            (v - f * (1.0 - f)).abs() <= 5.0 * se + 1e-12,
            "neuron {i}: var {v}"
        );
    }
}

#[test]
fn poisson_spiking_has_poisson_counts_at_the_base_rate() {
    let j = [0.0, 1.5, 3.0, 10.0];
    let steps = 20_000;
    let (stats, rate, _) = counts(
        NeuronType::poisson_spiking(NeuronType::lif_rate()),
        &j,
        steps,
    );
    for (i, ((m, v), r)) in stats.iter().zip(&rate).enumerate() {
        let lam = r * DT;
        let se = (lam / steps as f64).sqrt();
        assert!(
            (m - lam).abs() <= 5.0 * se + 1e-12,
            "neuron {i}: mean {m} vs {lam}"
        );
        // The sample variance's standard error: sqrt((mu4 - sigma^4) / n), mu4 = lam + 3 lam^2.
        let se_v = ((lam + 2.0 * lam * lam) / steps as f64).sqrt();
        assert!(
            (v - lam).abs() <= 5.0 * se_v + 1e-12,
            "neuron {i}: var {v} vs {lam}"
        );
    }
    // A negative base (Tanh) gives negative spikes where the rate is negative.
    let (_, rate, sim) = counts(
        NeuronType::poisson_spiking(NeuronType::tanh()),
        &[-1.0, 1.0],
        2000,
    );
    let s = sim.data("spikes");
    assert!(rate[0] < 0.0 && s.column(0).iter().all(|&x| x <= 0.0));
    assert!(s.column(0).iter().any(|&x| x < 0.0) && s.column(1).iter().all(|&x| x >= 0.0));
}

#[test]
fn stochastic_types_repeat_after_reset() {
    let nt = NeuronType::poisson_spiking(NeuronType::lif_rate());
    let mut sim = Simulator::new(population(nt, &[2.0, 4.0]), DT).expect("builds");
    sim.set_progress(false);
    sim.run_steps(500).expect("runs");
    let first = sim.data("spikes").to_owned();
    sim.reset();
    sim.run_steps(500).expect("runs");
    assert_eq!(first, sim.data("spikes"));
}

fn build_error(nt: NeuronType, state: &[(&str, f64)]) -> String {
    let mut net = population(nt, &[1.5, 2.0]);
    if let netdsl_core::network::ItemSpec::Ensemble(e) = &mut net.items[0].1 {
        for (k, v) in state {
            e.initial_state
                .push((k.to_string(), Dist::Fixed(vec![*v; 2])));
        }
    }
    net.probes.clear();
    match Simulator::new(net, DT) {
        Ok(_) => panic!("built"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_types_and_states_are_build_errors_with_nengos_text() {
    let e = build_error(NeuronType::regular_spiking(NeuronType::lif()), &[]);
    assert!(
        e.contains(
            "RegularSpiking(base_type=LIF()) and LIF() have an overlapping state variable \
             (voltage)"
        ),
        "{e}"
    );
    let e = build_error(NeuronType::adaptive_lif(), &[("recovery", 0.0)]);
    assert!(
        e.contains(
            "State variable 'recovery' not recognized; should be one of 'refractory_time', \
             'adaptation'"
        ),
        "{e}"
    );
    let e = build_error(
        NeuronType::Izhikevich {
            tau_recovery: 0.0,
            coupling: 0.2,
            reset_voltage: -65.0,
            reset_recovery: 8.0,
        },
        &[],
    );
    assert!(
        e.contains("Izhikevich.tau_recovery: Value must be greater than 0 (got 0)"),
        "{e}"
    );
    let e = build_error(NeuronType::stochastic_spiking(NeuronType::Direct), &[]);
    assert!(e.contains("base type"), "{e}");
}

#[test]
fn initial_states_reach_the_state_signals() {
    let mut net = population(NeuronType::adaptive_lif(), &[0.5, 0.5]);
    if let netdsl_core::network::ItemSpec::Ensemble(e) = &mut net.items[0].1 {
        e.initial_state
            .push(("adaptation".into(), Dist::Fixed(vec![1.0, 2.0])));
        e.initial_voltage = Some(Dist::Fixed(vec![0.0, 0.0]));
    }
    net.probes.clear();
    let id = 0;
    net.probe(
        "a",
        ProbeSpec::new(ProbeOf::Item(id), ProbeAttr::Adaptation),
    );
    let mut sim = Simulator::new(net, DT).expect("builds");
    sim.run_steps(1).expect("runs");
    // n += (dt / tau_n) (inc_n · 0 - n): no spike at J = 0.5.
    let a = sim.data("a");
    assert_eq!(a[[0, 0]], 1.0 + 0.001 * (0.01 * 0.0 - 1.0));
    assert_eq!(a[[0, 1]], 2.0 + 0.001 * (0.01 * 0.0 - 2.0));
}
