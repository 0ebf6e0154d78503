use netdsl::prelude::*;

network! {
    pub Net {
        node inp: 0 -> 1 = |t| [t];
        node a: 1 -> 1 = |_t, x| [x[0]];
        node b: 1 -> 1 = |_t, x| [x[0]];
        inp -> a;
        a -> b, synapse = None;
        b -> a, synapse = None;
    }
}

fn main() {}
