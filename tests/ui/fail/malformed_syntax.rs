use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 10 neuron, 1 dims;
        node b: 1 -> = |_t, x| [x[0]];
        ensemble c: 10 neurons, 1 dims
        a => c;
        a -> c, synapse;
    }
}

fn main() {}
