use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 1 dims;
        ensemble b: 50 neurons, 1 dims;
        a -> b, function = |x| [x[0], x[0] * x[0]];
    }
}

fn main() {}
