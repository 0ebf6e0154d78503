use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 2 dims;
        ensemble b: 50 neurons, 3 dims;
        a -> b, transform = 0.5;
    }
}

fn main() {}
