use netdsl::prelude::*;

network! {
    pub Net {
        ensemble zero_neurons: 0 neurons, 1 dims;
        ensemble zero_dims: 10 neurons, 0 dims;
        ensemble too_fast: 10 neurons, 1 dims, max_rates = Uniform(400, 600);
        ensemble too_fast_custom: 10 neurons, 1 dims, neuron = LIF { tau_ref: 0.01 }, max_rates = Uniform(50, 100);
        ensemble bad_type: 10 neurons, 1 dims, neuron = LFI;
        ensemble bad_param: 10 neurons, 1 dims, max_rate = Uniform(100, 200);
    }
}

fn main() {}
