use netdsl::prelude::*;

mod parts {
    use netdsl::prelude::*;

    network! {
        /// Two dimensions in, two out.
        pub Pair {
            node input: 2;
            ensemble ens: 50 neurons, 2 dims;
            node output: 2;
            input -> ens;
            ens -> output;
        }
    }
}

network! {
    /// Mistakes across the instance boundary: sizes the outer macro cannot see are checked by
    /// rustc against `Pair`'s shape, on the user's tokens.
    pub Model {
        node stim: 0 -> 3 = |t| [t, t, t];
        ensemble one: 30 neurons, 1 dims;
        net p: parts::Pair;
        stim -> p.input;
        p.output -> one;
        p.ens.neurons -> one.neurons;
    }
}

fn main() {
    let _ = Model::new().network();
}
