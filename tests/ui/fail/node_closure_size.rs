use netdsl::prelude::*;

network! {
    pub Net {
        node inp: 0 -> 2 = |t| [t.sin()];
        node gate: 2 -> 1 = |_t, x| [x[0], x[1]];
        ensemble a: 50 neurons, 2 dims;
        inp -> a;
        a -> gate;
    }
}

fn main() {}
