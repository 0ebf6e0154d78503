use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 2 dims;
        ensemble b: 50 neurons, 2 dims;
        a -> b, transform = [1.0, 2.0, 3.0];
    }
}

fn main() {}
