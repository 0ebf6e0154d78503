use netdsl::prelude::*;

network! {
    pub Net {
        ensemble pre: 50 neurons, 1 dims;
        ensemble post: 50 neurons, 1 dims;
        pre -> pots;
        probe p: psot;
        prre.neurons -> post.neurons;
    }
}

fn main() {}
