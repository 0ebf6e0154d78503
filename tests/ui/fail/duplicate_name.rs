use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 1 dims;
        node a: 0 -> 1 = |_t| [0.0];
        probe a: a;
    }
}

fn main() {}
