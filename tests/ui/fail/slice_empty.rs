use netdsl::prelude::*;

network! {
    pub Net {
        node a: 0 -> 4 = |_t| [0.0; 4];
        node b: 4 -> 4 = None;
        a[2..2] -> b[0..0];
    }
}

fn main() {}
