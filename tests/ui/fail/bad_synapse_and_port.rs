use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 10 neurons, 1 dims;
        ensemble b: 10 neurons, 1 dims;
        a -> b, synapse = Lowpas(0.01);
        a.nerons -> b.neurons;
        node n: 0 -> 1 = [0.5];
        n.neurons -> b;
    }
}

fn main() {}
