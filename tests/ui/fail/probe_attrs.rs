use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 10 neurons, 1 dims, neuron = RectifiedLinear;
        node n: 0 -> 1 = [0.5];
        conn c: n -> a;
        probe v: a.neurons.voltage;
        probe s: n.neurons;
        probe e: c.error;
    }
}

fn main() {}
