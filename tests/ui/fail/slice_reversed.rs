use netdsl::prelude::*;

network! {
    pub Net {
        node a: 0 -> 4 = |_t| [0.0; 4];
        node b: 4 -> 4 = None;
        a[3..1] -> b[0..2];
    }
}

fn main() {}
