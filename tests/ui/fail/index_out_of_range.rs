use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 3 dims;
        ensemble b: 50 neurons, 1 dims;
        a[3] -> b;
    }
}

fn main() {}
