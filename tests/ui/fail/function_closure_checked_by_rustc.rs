use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 50 neurons, 1 dims;
        ensemble b: 50 neurons, 2 dims;
        a -> b, function = |x| x, transform = [[1.0], [2.0]];
        a -> b, function = |x| square(x);
    }
}

fn square(x: [f64; 1]) -> [f64; 1] {
    [x[0] * x[0]]
}

fn main() {}
