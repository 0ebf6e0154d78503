use netdsl::prelude::*;

network! {
    pub Pair {
        node input: 2;
        ensemble ens: 50 neurons, 2 dims;
        input -> ens;
    }

    /// `p.input` has two values: `[2]` is past its end; a node has no `.neurons`.
    pub Model {
        node stim: 0 -> 1 = |t| [t];
        ensemble e: 10 neurons, 1 dims;
        net p: Pair;
        stim -> p.input[2];
        p.input.neurons -> e.neurons;
    }
}

fn main() {
    let _ = Model::new().network();
}
