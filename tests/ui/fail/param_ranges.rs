use netdsl::prelude::*;

network! {
    pub Net {
        node stim: 0 -> 1 = [0.5];
        ensemble a: 50 neurons, 1 dims, neuron = LIF { tau_rc: 0.0, tau_ref: -0.001 };
        ensemble b: 50 neurons, 1 dims, neuron = Sigmoid { tau_ref: 0 };
        ensemble c: 50 neurons, 1 dims;
        ensemble d: 50 neurons, 1 dims;
        stim -> a, synapse = Lowpass(-0.01);
        a -> b, synapse = Alpha(-1e-3);
        conn learned: a -> c, learning = PES { learning_rate: -1e-4, pre_synapse: -0.005 };
        c -> learned.learning;
        a -> d, transform = 1e400;
        c.neurons -> d.neurons, transform = [[1.0; 50]; 50], learning = mPES { gain: 0.0 };
        probe pa: a, synapse = Lowpass(-0.01), sample_every = 0.0;
        probe pc: c, synapse = -0.02;
    }
}

fn main() {}
