//! The forum thread's network, line for line as in the design doc, with a mock `Memristors`.
use netdsl::prelude::*;

pub struct Memristors {
    calls: usize,
}

impl Memristors {
    pub fn filter(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        self.calls += 1;
        out.copy_from_slice(x);
    }

    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        self.calls += 1;
        out.copy_from_slice(&x[..out.len()]);
    }
}

network! {
    /// The forum thread's memristive network.
    pub MemristorNet(exc: Memristors, inh: Memristors) {
        const N = 100;

        node inp: 0 -> 1 = |t| [(6.0 * t / 5.0).trunc() / 3.0 % 2.0 - 1.0];
        ensemble pre: N neurons, 1 dims;
        ensemble post: N neurons, 1 dims;
        ensemble err: 100 neurons, 1 dims;
        node memristor_plus: pre.n -> post.n = exc.filter;
        node memristor_minus: pre.n -> post.n = inh.filter;
        node pulse_plus: post.n + err.d -> post.n = exc.pulse;
        node pulse_minus: post.n + err.d -> post.n = inh.pulse;

        inp -> pre;
        pre.neurons -> memristor_plus, synapse = None;
        pre.neurons -> memristor_minus, synapse = None;
        memristor_plus -> post.neurons, synapse = None;
        memristor_minus -> post.neurons, synapse = None, transform = -1.0;
        pre -> err, function = |x| x, transform = -1.0;
        post -> err;
        memristor_plus -> pulse_plus[..post.n], synapse = None;
        memristor_minus -> pulse_minus[..post.n], synapse = None;
        err -> pulse_plus[post.n..];
        err -> pulse_minus[post.n..];

        probe post_value: post, synapse = 0.01;
        probe pre_spikes: pre.neurons;
    }
}

fn main() {
    assert_eq!(MemristorNet::N, 100);
    let text = MemristorNet::PLAN.to_string();
    assert!(text.starts_with("plan MemristorNet: "), "{text}");
    let net = MemristorNet::new(Memristors { calls: 0 }, Memristors { calls: 0 });
    let mut sim = net.build(0.001).expect("builds");
    sim.run_steps(3).expect("runs");
    assert_eq!(sim.state::<Memristors>("exc").unwrap().calls, 6);
    assert_eq!(sim.data("post_value").nrows(), 3);
}
