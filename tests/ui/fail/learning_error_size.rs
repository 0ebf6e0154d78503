use netdsl::prelude::*;

network! {
    pub Net {
        ensemble pre: 50 neurons, 1 dims;
        ensemble post: 50 neurons, 1 dims;
        ensemble err: 50 neurons, 2 dims;
        conn learned: pre -> post, learning = PES { learning_rate: 1e-4 };
        err -> learned.learning;
    }
}

fn main() {}
