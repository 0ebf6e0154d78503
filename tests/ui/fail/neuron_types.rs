use netdsl::prelude::*;

network! {
    pub Net {
        ensemble overlap: 10 neurons, 1 dims, neuron = RegularSpiking(LIF);
        ensemble preset: 10 neurons, 1 dims, neuron = Izhikevich::chatering();
        ensemble no_base: 10 neurons, 1 dims, neuron = PoissonSpiking { amplitude: 2.0 };
        ensemble direct_base: 10 neurons, 1 dims, neuron = StochasticSpiking(Direct);
        ensemble sigmoid_fast: 10 neurons, 1 dims, neuron = Sigmoid, max_rates = Uniform(300, 450);
        ensemble field: 10 neurons, 1 dims, neuron = AdaptiveLIF { tau_m: 1.0 };
    }
}

fn main() {}
