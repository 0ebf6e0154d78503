//! Every construct of the language, written as a user would.
use netdsl::prelude::*;

const EXTRA: usize = 1;

network! {
    pub Everything(scale: f64) {
        const D = 2;
        const H = D * 2 - 1;

        node constant: 0 -> 2 = [0.5, -0.25];
        node one: 0 -> 1 = 0.5;
        node clock: 0 -> D = move |t| [t * scale, 1.0];
        node gate: D -> 1 = |_t, x| [x[0] * x[1]];
        node relay: H;
        node noise: 0 -> 1 = process netdsl::core::models::processes::WhiteSignal::new(1.0, 5.0).with_seed(3);
        ensemble a: 30 neurons, D dims,
            neuron = LIF { tau_rc: 0.02, tau_ref: 0.002 },
            max_rates = Uniform(100, 200),
            intercepts = Uniform(-0.5, 0.5),
            radius = 1.5,
            n_eval_points = 300,
            initial_voltage = Uniform(0, 0.5),
            seed = 7;
        ensemble rate: 20 neurons, 1 dims, neuron = LIFRate, encoders = ScatteredHypersphere { surface: true };
        ensemble relu: 20 neurons, 1 dims, neuron = RectifiedLinear { amplitude: 1.0 };
        ensemble srelu: 20 neurons, 1 dims, neuron = SpikingRectifiedLinear;
        ensemble direct: 1 neurons, D + crate::EXTRA dims, neuron = Direct;
        ensemble fixed: 2 neurons, 1 dims, gain = [1.0, 2.0], bias = [0.5, 0.5], encoders = [[1.0], [-1.0]];

        constant -> a;
        clock -> gate, synapse = Alpha(0.01);
        gate -> relay[1], synapse = Lowpass(0.02);
        one -> relay[0], synapse = 0;
        noise -> relay[2..], synapse = LinearFilter([1.0], [0.01, 1.0]);
        a -> rate, function = |x| [x[0] * x[1]], solver = LstsqL2 { reg: 0.05, weights: false };
        a -> direct[..D], transform = [[1.0, 0.0], [0.0, 1.0]];
        a[1] -> direct[2], transform = [2.0];
        rate -> relu, solver = LstsqL2 { weights: true }, storage = f32;
        conn learned: relu -> srelu, learning = PES { learning_rate: 1e-4, pre_synapse: 0.01 };
        srelu -> learned.learning, transform = -1.0;
        relu -> learned.learning;
        a.neurons[..2] -> fixed.neurons, transform = [[0.0, 0.0], [0.0, 0.0]], synapse = None;
        direct -> fixed, function = |x| [x[0]];

        probe a_value: a, synapse = 0.01, sample_every = 0.002;
        probe a_spikes: a.neurons;
        probe a_voltage: a.neurons.voltage;
        probe a_input: a.neurons.input;
        probe relay_out: relay;
        probe w: learned.weights;
        probe e: learned.error;
    }
}

fn main() {
    assert_eq!(Everything::H, 3);
    let mut sim = Everything::new(2.0).build(0.001).expect("builds");
    sim.run_steps(4).expect("runs");
    assert_eq!(sim.data("relay_out").ncols(), 3);
    assert_eq!(sim.data("a_value").nrows(), 2);
    println!("{}", Everything::PLAN);
}
