use netdsl::prelude::*;

network! {
    pub Pair {
        node input: 2;
        ensemble ens: 50 neurons, 2 dims;
        input -> ens;
    }

    /// A misspelt item of an instance: rustc's "no field" error on the word, with a suggestion.
    pub Model {
        node stim: 0 -> 2 = |t| [t, t];
        net p: Pair;
        stim -> p.inptu;
        probe x: p.ensemble;
    }
}

fn main() {
    let _ = Model::new().network();
}
